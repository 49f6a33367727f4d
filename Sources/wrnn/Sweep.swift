import WaveTasks
import ArgumentParser
import Foundation
import WaveCore
import WaveTraining
import WaveSweep
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Run a grid of training runs from a sweep file (the authors' W&B files unchanged, or wrnn train's option names), locally or on Slurm.",
        discussion: """
            Every run gets SWEEP_DIR/runs/HASH-NAME (HASH: the resolved configuration). A run is done when its DONE \
            marker exists; a restarted sweep skips done runs, resumes stopped ones from their checkpoints, and leaves \
            failed ones (divergence is a result) unless --retry-failed. Points that cannot run (a negative learning \
            rate) are recorded as invalid with the reason. Several sweep processes on one directory share the work. \
            Events go to SWEEP_DIR/sweep.jsonl.
            """)

    @Argument(help: "Sweep file (YAML). Not needed with --preset or --status.")
    var file: String?
    @Option(help: "Run a grid shipped with wrnn instead of a file (see --list-presets).")
    var preset: String?
    @Flag(help: "List the shipped grids and exit.")
    var listPresets = false
    @Option(help: "Sweep directory. Default: sweeps/<the sweep's name>.")
    var out: String?
    @Option(parsing: .unconditional, help: "Comma-separated seeds; every grid point runs once per seed.")
    var seeds: String = "0"
    @Option(parsing: .unconditional, help: "Runs at once on this machine (processes); threads are split so that jobs x threads <= cores.")
    var jobs: Int = 1
    @Option(parsing: .unconditional, help: "Threads per run. Default: cores / jobs (Slurm: --cpus-per-task).")
    var threads: Int?
    @Option(help: "Only the grid points with this setting (key=value, the file's option names, or seed=N); repeatable.")
    var filter: [String] = []
    @Option(parsing: .unconditional, help: "At most this many runs (after --filter).")
    var limit: Int?
    @Option(parsing: .unconditional, help: "Refuse a grid of more runs than this before expanding it (default 100,000).")
    var maxRuns: Int = SweepFile.defaultMaximumRuns
    @Option(
        parsing: .unconditional, help: "Train every run for this many steps instead of the grid's budget (recorded in each run's config).")
    var steps: Int?
    @Option(
        parsing: .unconditional, help: "Train every run for this many epochs instead of the grid's budget (recorded in each run's config).")
    var epochs: Int?
    @Option(help: "Image tasks: directory with the data files (passed to every run).")
    var dataDir: String?
    @Flag(help: "List the runs (count, configuration, estimated cost) and run nothing.")
    var dryRun = false
    @Flag(help: "Run failed (diverged) runs again, from scratch.")
    var retryFailed = false
    @Flag(help: "Keep subnormal floats in every run (see wrnn train --help).")
    var keepDenormals = false
    @Option(parsing: .unconditional, help: "Run only this grid point (0-based; a Slurm array task's $SLURM_ARRAY_TASK_ID).")
    var runIndex: Int?
    @Option(help: "Show done / running / failed / pending for the sweep in this directory and exit.")
    var status: String?
    @Flag(help: "Submit the grid to Slurm as one job array (sbatch) instead of running it here.")
    var slurm = false
    @Option(help: "Slurm partition.")
    var partition: String?
    @Option(help: "Slurm time limit per run (e.g. 24:00:00).")
    var time: String?
    @Option(parsing: .unconditional, help: "Slurm CPUs per run (also the runs' thread count). Default 2.")
    var cpusPerTask: Int?
    @Option(parsing: .unconditional, help: "Slurm: at most this many array tasks at once.")
    var maxParallel: Int?
    @Flag(help: .hidden)
    var worker = false

    func validate() throws {
        if listPresets || status != nil { return }
        guard (file == nil) != (preset == nil) else {
            throw ValidationError(
                file == nil ? "give a sweep file or --preset NAME (or --status DIR)" : "give a sweep file or --preset, not both")
        }
        try requirePositive(jobs, "--jobs")
        try requirePositive(threads, "--threads")
        // the same bound as wrnn train's, so that no grid point is refused for it one by one
        if let threads, threads > 4096 { throw ValidationError("--threads must be at most 4,096 (got \(groupedCount(threads)))") }
        try requirePositive(maxRuns, "--max-runs")
        for f in filter {
            do { _ = try GridFilter(parsing: f) } catch let error as SweepError { throw ValidationError(error.message) }
        }
        try requirePositive(limit, "--limit")
        try requirePositive(steps, "--steps")
        try requirePositive(epochs, "--epochs")
        try requirePositive(cpusPerTask, "--cpus-per-task")
        try requirePositive(maxParallel, "--max-parallel")
        if steps != nil, epochs != nil { throw ValidationError("--steps and --epochs both set the budget; give one") }
        if let runIndex, runIndex < 0 { throw ValidationError("--run-index must be a non-negative integer (got \(runIndex))") }
        _ = try seedList()
        if !slurm, partition != nil || time != nil || cpusPerTask != nil || maxParallel != nil {
            throw ValidationError("--partition, --time, --cpus-per-task and --max-parallel apply to --slurm only")
        }
        if slurm, runIndex != nil { throw ValidationError("--slurm submits the whole grid; drop --run-index") }
    }

    func seedList() throws -> [UInt64] {
        let parts = seeds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { UInt64($0) }
        guard !parts.isEmpty, values.count == parts.count, Set(values).count == values.count else {
            throw ValidationError("--seeds takes distinct non-negative integers separated by commas (got '\(seeds)')")
        }
        return values
    }

    func run() throws {
        if listPresets { return SweepPresets.all.forEach { print("\(padded($0.name, 16)) \($0.summary)") } }
        if let status { return print(try SweepDirectory(path: status).statusText()) }
        StopRequest.install()
        let (sweepFile, source) = try loadFile()
        let directory = SweepDirectory(path: out ?? "sweeps/\(directorySafe(sweepFile.name))")
        let cores = Preset.defaultThreads, slurmCPUs = ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init)
        let threadCount = threads ?? (slurm ? (cpusPerTask ?? 2) : runIndex != nil ? (slurmCPUs ?? cores) : max(1, cores / jobs))
        let plan = try planner(threads: threadCount).plan(sweepFile, source: source)
        if dryRun {
            print(plan.dryRunText(cores: cores))
            // the job array as it would be submitted, to read before submitting (nothing is written)
            if slurm { print("\nsweep.sbatch, as --slurm would write and submit it:\n" + slurmScript(plan, directory, threadCount)) }
            return
        }
        // refused before anything is written: a wrong index leaves no sweep directory behind
        if let runIndex, runIndex >= plan.runs.count {
            throw WrnnError.usage("--run-index \(runIndex) is past the grid's last run (\(plan.runs.count - 1))")
        }
        try directory.prepare()
        try directory.writePlan(plan)
        if !worker && runIndex == nil {
            for run in plan.runs where run.invalid != nil {
                print("[\(run.index + 1)/\(plan.runs.count)] \(run.name): invalid: \(run.invalid!)")
                directory.event("invalid", run: run, detail: run.invalid)
            }
        }
        if slurm {
            let job = try SlurmSubmission.submit(slurmScript(plan, directory, threadCount), plan: plan, directory: directory)
            return print(
                "submitted job array \(job): \(plan.runs.count) runs (\(directory.path)/sweep.sbatch); follow with: wrnn sweep --status \(directory.path)"
            )
        }
        if let runIndex {
            let outcome = try runner.execute(plan.runs[runIndex], in: directory, total: plan.runs.count)
            if case .busy = outcome { print("run \(runIndex) is being run by another process; nothing to do") }
            if case .error(let code, let message) = outcome { throw WrnnError(message, exitCode: code) }
            return
        }
        if jobs > cores && !worker {
            writeStandard("wrnn: warning: --jobs \(jobs) is more than this machine's \(cores) cores\n", error: true)
        }
        if jobs > 1 && !worker {
            let arguments = sameSweep(directory, threadCount, path: { $0 })
            return try SweepWorkers(directory: directory, plan: plan, jobs: jobs, arguments: arguments).run(threads: threadCount)
        }
        try workLoop(plan, directory: directory)
        if !worker { print(try directory.statusText()) }
    }
}
