import ArgumentParser
import Foundation
import WaveCore
import WaveSweep
import WaveTraining

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

    @OptionGroup var grid: SweepGridOptions
    @Flag(help: "List the shipped grids and exit.")
    var listPresets = false
    @Option(help: "Show done / running / failed / pending for the sweep in this directory and exit.")
    var status: String?
    @Option(help: "Sweep directory. Default: sweeps/<the sweep's name>.")
    var out: String?
    @Option(parsing: .unconditional, help: "Runs at once on this machine (processes); threads are split so that jobs x threads <= cores.")
    var jobs: Int = 1
    @Option(parsing: .unconditional, help: "Threads per run. Default: cores / jobs (Slurm: --cpus-per-task).")
    var threads: Int?
    @Flag(help: "List the runs (count, configuration, estimated cost) and run nothing.")
    var dryRun = false
    @Option(parsing: .unconditional, help: "Run only this grid point (0-based; a Slurm array task's $SLURM_ARRAY_TASK_ID).")
    var runIndex: Int?
    @OptionGroup(title: "Slurm") var slurmOptions: SlurmOptions
    @Flag(help: .hidden)
    var worker = false

    func validate() throws {
        if listPresets || status != nil { return }
        guard (grid.file == nil) != (grid.preset == nil) else {
            throw ValidationError(
                grid.file == nil ? "give a sweep file or --preset NAME (or --status DIR)" : "give a sweep file or --preset, not both")
        }
        try requirePositive(jobs, "--jobs")
        try requirePositive(threads, "--threads")
        // the same bound as wrnn train's, so that no grid point is refused for it one by one
        if let threads, threads > 4096 { throw ValidationError("--threads must be at most 4,096 (got \(groupedCount(threads)))") }
        if let runIndex, runIndex < 0 { throw ValidationError("--run-index must be a non-negative integer (got \(runIndex))") }
        if slurmOptions.slurm, runIndex != nil { throw ValidationError("--slurm submits the whole grid; drop --run-index") }
    }

    func run() throws {
        if listPresets { return SweepPresets.all.forEach { print("\(padded($0.name, 16)) \($0.summary)") } }
        if let status { return print(try SweepDirectory(path: status).statusText()) }
        StopRequest.install()
        if worker { StopRequest.watchParent() }
        let (sweepFile, source) = try grid.loadFile()
        let directory = SweepDirectory(path: out ?? "sweeps/\(directorySafe(sweepFile.name))")
        let cores = Preset.defaultThreads, slurmCPUs = ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init)
        let threadCount =
            threads
            ?? (slurmOptions.slurm ? (slurmOptions.cpusPerTask ?? 2) : runIndex != nil ? (slurmCPUs ?? cores) : max(1, cores / jobs))
        let plan = try grid.planner(threads: threadCount).plan(sweepFile, source: source)
        if dryRun {
            print(plan.dryRunText(cores: cores, ranks: grid.ranksPerRun))
            // the job array as it would be submitted, to read before submitting (nothing is written)
            if slurmOptions.slurm {
                print("\nsweep.sbatch, as --slurm would write and submit it:\n" + slurmScript(plan, directory, threadCount))
            }
            return
        }
        // refused before anything is written: a wrong index leaves no sweep directory behind
        if let runIndex, runIndex >= plan.runs.count {
            throw WrnnError.usage("--run-index \(runIndex) is past the grid's last run (\(plan.runs.count - 1))")
        }
        // --slurm where sbatch cannot run: said before the sweep directory is made, so none is left behind
        if slurmOptions.slurm, !commandOnPath("sbatch") {
            throw WrnnError(
                "--slurm: sbatch is not on PATH here; submit from a Slurm login node, or run the grid here without --slurm", exitCode: 69)
        }
        let existed = FileManager.default.fileExists(atPath: directory.path)
        try directory.checkBelongs(plan)
        try directory.prepare()
        try directory.writePlan(plan)
        if !worker && runIndex == nil { runner.recordInvalid(plan, in: directory) }
        if slurmOptions.slurm {
            do { return try submit(plan, directory, threadCount) } catch {
                // a refused submission of a new sweep leaves no directory that looks like a sweep
                if !existed { try? FileManager.default.removeItem(atPath: directory.path) }
                throw error
            }
        }
        if let runIndex { return try runner.executeOne(plan, index: runIndex, in: directory) }
        if jobs > cores && !worker {
            writeStandard("wrnn: warning: --jobs \(jobs) is more than this machine's \(cores) cores\n", error: true)
        }
        if jobs > 1 && !worker {
            let arguments = grid.sameSweep(directory, threadCount, path: { $0 })
            return try SweepWorkers(directory: directory, plan: plan, jobs: jobs, arguments: arguments).run(threads: threadCount)
        }
        try workLoop(plan, directory: directory)
        if !worker { print(try directory.statusText()) }
    }
}
