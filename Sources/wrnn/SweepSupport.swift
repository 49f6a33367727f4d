import ArgumentParser
import Foundation
import WaveCore
import WaveSweep
import WaveTraining
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `wrnn sweep` hands the library: its runner and its Slurm script.
extension Sweep {
    /// The run state machine (claim, skip, resume or start, done / diverged / error) lives in
    /// WaveSweep's SweepRunner; the command supplies how an error reads and what the user sees.
    var runner: SweepRunner {
        var runner = SweepRunner(retryFailed: grid.retryFailed, announceInvalid: runIndex != nil) { error in
            (
                (error as? WrnnError)?.exitCode ?? Wrnn.exitCode(for: error).rawValue,
                (error as? WrnnError)?.message ?? Wrnn.message(for: error)
            )
        }
        if grid.ranksPerRun > 1 { runner.launch = { [ranks = grid.ranksPerRun] in try RankLauncher(ranks: ranks).train($0) } }
        return runner
    }

    /// Walks the plan once, running every run that is neither finished nor claimed by another process.
    /// Runs that could not start (missing data, I/O errors) stay pending; the sweep carries on and
    /// then exits with the first one's code.
    func workLoop(_ plan: SweepPlan, directory: SweepDirectory) throws {
        let interactive = !worker && isatty(STDOUT_FILENO) == 1
        let errors = try runner.walk(plan, directory: directory) {
            if interactive { print("sweep: " + directory.progressLine(plan, jobs: jobs)) }
        }
        if let first = errors.first {
            if !worker { try? print(directory.statusText()) }
            throw WrnnError(
                "\(errors.count) run\(errors.count == 1 ? "" : "s") could not run and stay pending (first: \(first.message)); fix that and run the same command again",
                exitCode: first.code)
        }
    }

    func submit(_ plan: SweepPlan, _ directory: SweepDirectory, _ threads: Int) throws {
        let job = try SlurmSubmission.submit(slurmScript(plan, directory, threads), plan: plan, directory: directory)
        print(
            "submitted job array \(job): \(plan.runs.count) runs (\(directory.path)/sweep.sbatch); follow with: wrnn sweep --status \(directory.path)"
        )
    }

    func slurmScript(_ plan: SweepPlan, _ directory: SweepDirectory, _ threads: Int) -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var script = SlurmScript(
            name: plan.name, runs: plan.runs.count, executable: executable,
            arguments: grid.sameSweep(directory, threads, path: grid.absolute),
            workingDirectory: FileManager.default.currentDirectoryPath, logDirectory: grid.absolute(directory.path + "/logs"),
            cpusPerTask: threads, partition: slurmOptions.partition, timeLimit: slurmOptions.time,
            maxParallel: slurmOptions.maxParallel
        )
        script.ranks = grid.ranksPerRun
        script.account = slurmOptions.account
        script.qos = slurmOptions.qos
        script.memory = slurmOptions.mem
        script.gres = slurmOptions.gres
        return script.text
    }
}

/// The grid's file, its planner, and the arguments that make the same sweep in another process.
extension SweepGridOptions {
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
        do { return (try SweepFile.parse(text, source: path), path) } catch let error as SweepError { throw WrnnError.usage(error.message) }
    }

    /// Every grid point resolved through `wrnn train`'s own parser and checks.
    func planner(threads: Int) throws -> SweepPlanner {
        let ranks = ranksPerRun
        // a run's shards are its ranks' threads together, as `wrnn train` under MPI counts them
        let resolve: ([String]) throws -> TrainConfig = { arguments in
            var config = try Train.parse(arguments).config
            config.threads *= ranks
            return config
        }
        var planner = SweepPlanner(seeds: try seedList(), threads: threads, resolve: resolve, describe: { Wrnn.message(for: $0) })
        planner.filters = filter
        planner.limit = limit
        planner.maxRuns = maxRuns
        planner.steps = steps
        planner.epochs = epochs
        planner.dataDirectory = dataDir
        planner.keepDenormals = keepDenormals
        return planner
    }

    /// `wrnn sweep` arguments that make the same plan in another process (a local worker or a
    /// Slurm array task); `path` rewrites file paths for where that process runs.
    func sameSweep(_ directory: SweepDirectory, _ threads: Int, path: (String) -> String) -> [String] {
        var arguments = ["sweep"] + (file.map { [path($0)] } ?? ["--preset", preset!])
        arguments += ["--out", path(directory.path), "--seeds", seeds, "--threads", String(threads)]
        for f in filter { arguments += ["--filter", f] }
        if let limit { arguments += ["--limit", String(limit)] }
        if let steps { arguments += ["--steps", String(steps)] }
        if let epochs { arguments += ["--epochs", String(epochs)] }
        if let dataDir { arguments += ["--data-dir", path(dataDir)] }
        if retryFailed { arguments.append("--retry-failed") }
        if keepDenormals { arguments.append("--keep-denormals") }
        if ranksPerRun > 1 { arguments += ["--ranks-per-run", String(ranksPerRun)] }
        return arguments
    }

    func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path }
}

/// Launches one `wrnn train` over MPI ranks from a sweep: with srun (PMIx, every task killed when
/// one fails) inside a Slurm allocation, else with mpirun. Its exit code is the run's.
struct RankLauncher {
    var ranks: Int

    func train(_ arguments: [String]) throws {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let inSlurm = ProcessInfo.processInfo.environment["SLURM_JOB_ID"] != nil
        var launcher =
            inSlurm
            ? ["srun", "--mpi=pmix", "--kill-on-bad-exit=1", "--ntasks=\(ranks)"]
            : ["mpirun", "-np", String(ranks), "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
        if inSlurm, let cpus = ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"] { launcher.append("--cpus-per-task=\(cpus)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = launcher + [executable, "train"] + arguments
        do { try process.run() } catch {
            throw WrnnError.missing("cannot run \(launcher[0]) to launch the run over \(ranks) ranks: \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let code = process.terminationStatus
        guard code != 0 else { return }
        let what = code == 3 ? "diverged" : WrnnError.stopCodes.contains(code) ? "was stopped" : "failed"
        throw WrnnError("the run over \(ranks) ranks (\(launcher[0])) \(what), exit \(code); its output is above", exitCode: code)
    }
}

/// What every command that reads several runs accepts: run directories, sweep directories (their
/// runs) and folders of runs. Folders without a run, and runs found inside a folder that lack
/// `needing` (a run still to start, one stopped before its first evaluation), are skipped with a
/// note on stderr; a run directory named directly is the command's to check.
func expandRuns(_ paths: [String], needing: String) throws -> [String] {
    var skipped: [String] = []
    var runs: [String] = []
    for path in paths {
        if ResultsCollector.isRunDirectory(path) {
            try requireRunDirectory(path)
            runs.append(path)
            continue
        }
        for run in try ResultsCollector.runDirectories([path], skipped: &skipped) {
            if access(run + "/" + needing, F_OK) == 0 {
                runs.append(run)
            } else {
                skipped.append("\(run): no \(needing) yet; skipped")
            }
        }
    }
    for note in skipped { writeStandard("wrnn: note: \(note)\n", error: true) }
    guard !runs.isEmpty else { throw WrnnError.missing("\(paths.joined(separator: ", ")) hold no run with a \(needing)") }
    return runs
}

/// The one rule every `--out` of a command that writes files follows: a path whose last component
/// has an extension (`fig.pdf`) is that file; any other path is a directory (created when missing)
/// that gets the command's usual file names. Run and sweep directories (`train`, `demo`, `sweep`)
/// are directories whatever their names.
enum OutputPath: Equatable {
    case file(String)
    case directory(String)

    init(_ path: String) {
        // something that exists and is not a directory (a file, a FIFO) is that file, refused or replaced as such
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            self = isDirectory.boolValue ? .directory(path) : .file(path)
            return
        }
        let last = URL(fileURLWithPath: path).lastPathComponent
        let ext = (last as NSString).pathExtension
        self = !ext.isEmpty && !path.hasSuffix("/") && last != "." && last != ".." ? .file(path) : .directory(path)
    }

    /// The file to write: the path itself, or `name` inside the directory.
    func file(named name: String) -> String {
        switch self {
        case .file(let path): return path
        case .directory(let directory):
            return directory == "." ? name : (directory.hasSuffix("/") ? directory + name : directory + "/" + name)
        }
    }

    /// The path's extension when it names a file.
    var fileExtension: String? {
        if case .file(let path) = self { return (path as NSString).pathExtension.lowercased() }
        return nil
    }

    /// Creates the directory a file goes into, or the directory itself.
    func makeParent() throws {
        switch self {
        case .file(let path):
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty { try makeDirectories(parent) }
        case .directory(let directory): try makeDirectories(directory)
        }
    }
}

/// The name a run was given with `--name`, if any.
func runConfigName(_ run: String) -> String? {
    guard let bytes = try? readFileBytes(run + "/config.json").get(), let config = try? TrainConfig.decoded(from: bytes) else { return nil }
    return config.label?.name
}

/// Whether `name` is an executable file in a directory of $PATH.
func commandOnPath(_ name: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
}
