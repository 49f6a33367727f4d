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
        if listPresets {
            for preset in SweepPresets.all { print("\(padded(preset.name, 16)) \(preset.summary)") }
            return
        }
        if let status { return try showStatus(SweepDirectory(path: status)) }
        StopRequest.install()
        let (sweepFile, source) = try loadFile()
        let directory = SweepDirectory(path: out ?? "sweeps/\(directorySafe(sweepFile.name))")
        let threadCount = threads ?? (slurm ? (cpusPerTask ?? 2) : runIndex != nil ? slurmThreads() : max(1, Preset.defaultThreads / jobs))
        let plan = try makePlan(sweepFile, source: source, threads: threadCount)
        if dryRun {
            printDryRun(plan)
            // the job array as it would be submitted, to read before submitting (nothing is written)
            if slurm {
                print(
                    "\nsweep.sbatch, as --slurm would write and submit it:\n"
                        + slurmScript(plan, directory: directory, threads: threadCount))
            }
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
        if slurm { return try submit(plan, directory: directory, threads: threadCount) }
        if let runIndex {
            guard runIndex < plan.runs.count else {
                throw WrnnError.usage("--run-index \(runIndex) is past the grid's last run (\(plan.runs.count - 1))")
            }
            let outcome = try runner.execute(plan.runs[runIndex], in: directory, total: plan.runs.count)
            if case .busy = outcome { print("run \(runIndex) is being run by another process; nothing to do") }
            if case .error(let code, let message) = outcome { throw WrnnError(message, exitCode: code) }
            return
        }
        if jobs > Preset.defaultThreads && !worker { warn("--jobs \(jobs) is more than this machine's \(Preset.defaultThreads) cores") }
        if jobs > 1 && !worker { return try runWorkers(directory: directory, plan: plan, threads: threadCount) }
        try workLoop(plan, directory: directory)
        if !worker { try showStatus(directory) }
    }

    func warn(_ text: String) { writeStandard("wrnn: warning: \(text)\n", error: true) }

    func slurmThreads() -> Int {
        ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init) ?? Preset.defaultThreads
    }

    func loadFile() throws -> (SweepFile, String) {
        if let preset {
            guard let found = SweepPresets.all.first(where: { $0.name == preset }) else {
                throw WrnnError.usage(
                    "--preset: no grid named '\(preset)'\(suggestion(preset, SweepPresets.all.map(\.name))); see wrnn sweep --list-presets")
            }
            return (try SweepFile.parse(found.yaml, source: "preset \(found.name)"), "preset:\(found.name)")
        }
        let path = file!
        let data = Data(try readFileBytes(path, what: "sweep file").get())
        guard let text = String(data: data, encoding: .utf8) else { throw WrnnError.data("\(path) is not UTF-8 text") }
        // a file that is not a valid sweep (YAML, keys, values) is a configuration error
        do { return (try SweepFile.parse(text, source: path), path) } catch let error as SweepError {
            throw WrnnError.usage(error.message)
        }
    }

    /// Expands the grid and resolves every point through `wrnn train`'s own parser, so a point
    /// means exactly what the same command line would.
    func makePlan(_ sweepFile: SweepFile, source: String, threads: Int) throws -> SweepPlan {
        let filters = try filter.map { try GridFilter(parsing: $0) }
        var points: [GridPoint]
        do {
            for f in filters { try f.check(against: sweepFile) }
        } catch let error as SweepError { throw WrnnError.usage(error.message) }
        do {
            points = try sweepFile.expand(seeds: try seedList(), maximumRuns: maxRuns)
        } catch let error as SweepError {
            throw WrnnError.usage("\(source.hasPrefix("preset:") ? "preset " + source.dropFirst(7) : source): \(error.message)")
        }
        points = points.filter { p in filters.allSatisfy { $0.matches(p) } }
        if let limit { points = Array(points.prefix(limit)) }
        guard !points.isEmpty else { throw WrnnError.usage("no grid point matches --filter \(filter.joined(separator: " "))") }
        var budget: String?
        if let steps { budget = "--steps \(steps)" }
        if let epochs { budget = "--epochs \(epochs)" }
        let runs = points.enumerated().map { index, point -> PlannedRun in
            var arguments = point.train.arguments + ["--seed", String(point.seed), "--threads", String(threads)]
            if keepDenormals { arguments.append("--keep-denormals") }
            if let dataDir, let task = point.train.value(of: "--task"), TaskKind(rawValue: task)?.isImage == true {
                arguments += ["--data-dir", dataDir]
            }
            var run = PlannedRun(
                index: index, id: "invalid-\(index)-\(point.name)", name: point.name, seed: point.seed,
                settings: point.settings, arguments: arguments, config: nil, invalid: nil, notes: point.train.notes)
            do {
                let command = try Train.parse(arguments)
                var config = command.config
                if steps != nil || epochs != nil {
                    let original = config.steps
                    let epochSteps = config.task.epochSteps(batchSize: config.batchSize) ?? config.epochSteps ?? 1000
                    config.steps = steps ?? (epochs! * epochSteps)
                    run.notes.append(
                        "budget \(budget!) (\(config.steps) steps) replaces the grid's \(original) steps: a CPU-scale reproduction")
                }
                run.notes += config.notes ?? []
                config.notes = run.notes.isEmpty ? nil : run.notes
                run.config = config
                run.id = configurationHash(config) + "-" + point.name
            } catch {
                run.invalid = Wrnn.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            }
            if let reason = point.train.invalid { run.invalid = reason }
            return run
        }
        // two grid points that resolve to one configuration (lr: [1e-3, 0.001]) would train it twice and
        // count as two seeds in `results`: the grid is refused, naming both
        var first: [String: PlannedRun] = [:]
        for run in runs {
            guard let config = run.config else { continue }
            let hash = configurationHash(config)
            if let earlier = first[hash] {
                throw WrnnError.usage(
                    "\(source.hasPrefix("preset:") ? "preset " + source.dropFirst(7) : source): grid points \(earlier.name) and \(run.name) are the same run (\(earlier.settings.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) against \(run.settings.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); name each value once"
                )
            }
            first[hash] = run
        }
        return SweepPlan(
            name: sweepFile.name, source: source, program: sweepFile.program, seeds: try seedList(),
            budget: budget, runs: runs)
    }

    func printDryRun(_ plan: SweepPlan) {
        let valid = plan.runs.filter { $0.invalid == nil }
        var seconds = 0.0
        print(
            "sweep \(plan.name) (\(plan.source)): \(plan.runs.count) runs, \(valid.count) valid, \(plan.runs.count - valid.count) invalid\(plan.budget.map { "; budget \($0)" } ?? "")"
        )
        for run in plan.runs {
            if let reason = run.invalid {
                print("  [\(run.index)] \(run.name): INVALID: \(reason)")
                continue
            }
            let config = run.config!
            let estimate = CostEstimate(config: config)
            seconds += estimate.seconds
            print("  [\(run.index)] \(run.id)")
            print("      \(config.task.summaryLine)")
            print("      \(config.model.summaryLine); \(grouped(config.model.parameterCount)) parameters")
            print(
                "      \(config.optimisationLine), \(config.threads) threads; ~\(formatDuration(estimate.seconds)) (\(String(format: "%.3g", estimate.flops / 1e12)) TFLOP)"
            )
            for note in run.notes { print("      note: \(note)") }
        }
        print(
            "estimated compute: \(formatDuration(seconds)) on one \(Preset.defaultThreads)-core machine at the benchmark's rates (\(CostEstimate.rateText))"
        )
    }

    // MARK: running

    /// The run state machine (claim, skip, resume or start, done / diverged / error) lives in
    /// WaveSweep's SweepRunner; the command supplies how an error reads and what the user sees.
    var runner: SweepRunner {
        SweepRunner(retryFailed: retryFailed, announceInvalid: runIndex != nil) { error in
            (
                (error as? WrnnError)?.exitCode ?? Wrnn.exitCode(for: error).rawValue,
                (error as? WrnnError)?.message ?? Wrnn.message(for: error)
            )
        }
    }

    /// Walks the plan once, running every run that is neither finished nor claimed by another process.
    /// Runs that could not start (missing data, I/O errors) stay pending; the sweep carries on and
    /// then exits with the first one's code.
    func workLoop(_ plan: SweepPlan, directory: SweepDirectory) throws {
        let interactive = !worker && isatty(STDOUT_FILENO) == 1
        let errors = try runner.walk(plan, directory: directory) {
            if interactive { print("sweep: " + progressLine(plan, directory)) }
        }
        if let first = errors.first {
            if !worker { try? showStatus(directory) }
            throw WrnnError(
                "\(errors.count) run\(errors.count == 1 ? "" : "s") could not run and stay pending (first: \(first.message)); fix that and run the same command again",
                exitCode: first.code)
        }
    }

    /// --jobs N: N worker processes of this binary on the same plan, sharing it through the claims;
    /// each writes its output to SWEEP_DIR/logs/worker-K.log.
    func runWorkers(directory: SweepDirectory, plan: SweepPlan, threads: Int) throws {
        let arguments = sameSweep(directory: directory, threads: threads, path: { $0 }) + ["--worker", "--jobs", String(jobs)]
        print(
            "sweep \(plan.name): \(plan.runs.count) runs, \(jobs) jobs x \(threads) thread\(threads == 1 ? "" : "s"); logs in \(directory.path)/logs"
        )
        var workers: [Process] = []
        for k in 0..<jobs {
            let log = directory.path + "/logs/worker-\(k).log"
            let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o644) // a restarted sweep keeps the earlier logs
            guard fd >= 0 else { throw WrnnError.io("cannot open \(log): \(String(cString: strerror(errno)))") }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            process.arguments = arguments
            process.standardOutput = handle
            process.standardError = handle
            do { try process.run() } catch { throw WrnnError.io("cannot start a sweep worker: \(error.localizedDescription)") }
            workers.append(process)
        }
        let interactive = isatty(STDOUT_FILENO) == 1
        var forwarded = false
        while workers.contains(where: \.isRunning) {
            if StopRequest.signal != 0, !forwarded {
                for w in workers where w.isRunning { kill(w.processIdentifier, StopRequest.signal) }
                forwarded = true
            }
            if interactive { writeStandard(("\r\u{1B}[2K" + progressLine(plan, directory))) }
            usleep(500_000)
        }
        if interactive { writeStandard("\r\u{1B}[2K") }
        if StopRequest.signal != 0 {
            throw WrnnError(
                "stopped by signal \(StopRequest.signal); runs checkpointed, run the same command again to continue",
                exitCode: 128 + StopRequest.signal)
        }
        try showStatus(directory)
        if let failed = workers.first(where: { $0.terminationStatus != 0 }) {
            throw WrnnError(
                "a sweep worker exited with code \(failed.terminationStatus); see \(directory.path)/logs; runs that could not run stay pending",
                exitCode: failed.terminationStatus)
        }
    }

    func progressLine(_ plan: SweepPlan, _ directory: SweepDirectory) -> String {
        let counts = Dictionary(grouping: plan.runs, by: { directory.status(of: $0) }).mapValues(\.count)
        let done = counts[.done, default: 0]
        let left = plan.runs.count - done - counts[.failed, default: 0] - counts[.invalid, default: 0]
        let eta = etaText(plan, directory, remaining: left)
        return
            "done \(done) / running \(counts[.running, default: 0]) / failed \(counts[.failed, default: 0]) / pending \(counts[.pending, default: 0] + counts[.partial, default: 0]) / invalid \(counts[.invalid, default: 0])\(eta)"
    }

    /// Remaining runs x the mean wall time of the finished ones / the runs that go at once.
    func etaText(_ plan: SweepPlan, _ directory: SweepDirectory, remaining: Int) -> String {
        let times = plan.runs.compactMap { run -> Double? in
            guard directory.isDone(run.id), let data = fileContents(atPath: directory.runPath(run.id) + "/summary.json"),
                let summary = try? WrnnJSON.decoder().decode(TrainSummary.self, from: data)
            else { return nil }
            return summary.seconds
        }
        guard !times.isEmpty, remaining > 0 else { return "" }
        return "  ETA \(formatDuration(times.reduce(0, +) / Double(times.count) * Double(remaining) / Double(max(1, jobs))))"
    }

    func showStatus(_ directory: SweepDirectory) throws {
        let plan = try directory.readPlan()
        var counts: [RunStatus: Int] = [:]
        for run in plan.runs {
            let status = directory.status(of: run)
            counts[status, default: 0] += 1
            var detail = ""
            if status == .failed, let failure = directory.failure(run.id) { detail = ": \(failure.reason)" }
            if status == .invalid, let reason = run.invalid { detail = ": \(reason)" }
            print("\(padded(status.rawValue, 8)) [\(run.index)] \(run.id)\(detail)")
        }
        let order: [RunStatus] = [.done, .running, .partial, .pending, .failed, .invalid]
        print(
            "sweep \(plan.name): " + order.map { "\(counts[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
                + " of \(plan.runs.count) runs (\(directory.path))")
    }

    // MARK: Slurm

    func slurmScript(_ plan: SweepPlan, directory: SweepDirectory, threads: Int) -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let arguments = sameSweep(directory: directory, threads: threads, path: absolute)
        return SlurmScript(
            name: plan.name, runs: plan.runs.count, executable: executable, arguments: arguments,
            workingDirectory: FileManager.default.currentDirectoryPath, logDirectory: absolute(directory.path + "/logs"),
            cpusPerTask: threads, partition: partition, timeLimit: time, maxParallel: maxParallel
        ).text
    }

    func submit(_ plan: SweepPlan, directory: SweepDirectory, threads: Int) throws {
        let script = slurmScript(plan, directory: directory, threads: threads)
        let scriptPath = directory.path + "/sweep.sbatch"
        try writeAtomically(Array(script.utf8), to: scriptPath)
        let sbatch = Process()
        sbatch.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sbatch.arguments = ["sbatch", "--parsable", scriptPath]
        let pipe = Pipe(), errors = Pipe()
        sbatch.standardOutput = pipe
        sbatch.standardError = errors
        do { try sbatch.run() } catch {
            throw WrnnError.missing("cannot run sbatch: \(error.localizedDescription); is Slurm installed here?")
        }
        let output = String(decoding: pipe.fileHandleForReading.readToEndSafely(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readToEndSafely(), as: UTF8.self)
        sbatch.waitUntilExit()
        guard sbatch.terminationStatus == 0 else {
            let line = errorText.split(separator: "\n").first.map(String.init) ?? "exit \(sbatch.terminationStatus)"
            throw WrnnError("sbatch refused the job array: \(line)", exitCode: 69)
        }
        let jobID = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? output
        directory.event("submitted", detail: "slurm job \(jobID), \(plan.runs.count) array tasks")
        print("submitted job array \(jobID): \(plan.runs.count) runs (\(scriptPath)); follow with: wrnn sweep --status \(directory.path)")
    }

    /// `wrnn sweep` arguments that make the same plan in another process (a local worker or a
    /// Slurm array task); `path` rewrites file paths for where that process runs.
    func sameSweep(directory: SweepDirectory, threads: Int, path: (String) -> String) -> [String] {
        var arguments = ["sweep"] + (file.map { [path($0)] } ?? ["--preset", preset!])
        arguments += ["--out", path(directory.path), "--seeds", seeds, "--threads", String(threads)]
        for f in filter { arguments += ["--filter", f] }
        if let limit { arguments += ["--limit", String(limit)] }
        if let steps { arguments += ["--steps", String(steps)] }
        if let epochs { arguments += ["--epochs", String(epochs)] }
        if let dataDir { arguments += ["--data-dir", path(dataDir)] }
        if retryFailed { arguments.append("--retry-failed") }
        if keepDenormals { arguments.append("--keep-denormals") }
        return arguments
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
