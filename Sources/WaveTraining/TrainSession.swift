import Foundation
import WaveCore
import WaveKernels

/// What `--resume` may change: everything else would make it another run.
public struct ResumeChanges: Sendable {
    public var steps: Int?
    public var evalEvery: Int?
    public var checkpointEvery: Int?
    public var threads: Int?
    public init(steps: Int? = nil, evalEvery: Int? = nil, checkpointEvery: Int? = nil, threads: Int? = nil) {
        self.steps = steps; self.evalEvery = evalEvery; self.checkpointEvery = checkpointEvery; self.threads = threads
    }
    /// The configuration without the fields a resume may change.
    public static func fixed(_ config: TrainConfig) -> TrainConfig {
        var c = config
        c.steps = 0; c.evalEvery = 0; c.checkpointEvery = 0; c.threads = 0
        return c
    }
}

/// Starting and resuming one run, with its header and closing lines: `wrnn train` and the sweep
/// workers share it. Here, not in the command, so that tests reach the checkpoint fallback, the
/// rename-aside of a damaged checkpoint and the mismatch checks without spawning the binary.
public enum TrainSession {
    /// Creates the run directory at `path` and trains; a bad --init-from fails before the directory exists.
    /// A run whose products this CPU cannot compute (bf16) is refused here, where it would train, not
    /// when a sweep is planned on another machine.
    public static func start(_ config: TrainConfig, path: String, quiet: Bool) throws -> TrainSummary {
        try config.model.checkRunsHere()
        let trainer = try Trainer(checkedConfig: config)
        // over MPI, rank 0 alone makes and writes the run directory; the others train beside it
        guard Processes.group.isLead else { return try trainer.run(directory: nil, progress: Progress(quiet: true)) }
        let directory = try RunDirectory.create(path)
        try directory.writeJSON(config, to: "config.json")
        var command = RunCommand(command: CommandLine.arguments)
        let bf16 = BF16Check.measure(config)
        command.bf16Products = bf16?.products
        command.bf16Speedup = bf16?.speedup
        try directory.writeJSON(command, to: "command.json")
        print("wrnn train: \(config.task.summaryLine)")
        print("model: \(config.model.summaryLine)")
        if let bf16 { print(bf16.line) }
        print("\(config.model.parameterBreakdown)")
        print("\(config.optimisationLine), \(threadsText(config))")
        if let initFrom = config.initFrom { print("initial weights: \(initFrom)") }
        if config.keepDenormals == true { print("subnormal floats kept (--keep-denormals)") }
        for note in config.notes ?? [] { print("note: \(note)") }
        print("run directory: \(path)")
        let summary = try trainer.run(directory: directory, progress: leadProgress(quiet: quiet))
        print(resultLine(summary, config))
        return summary
    }

    /// Continues the run in `path` from its checkpoint with only the allowed changes: more steps, the
    /// evaluation and checkpoint intervals, the thread count (then no longer bitwise the same). A run
    /// whose checkpoint is at its last step and that has a summary is complete: nothing is rewritten.
    public static func resume(_ path: String, changes: ResumeChanges = ResumeChanges(), quiet: Bool) throws -> TrainSummary {
        try resume(path, quiet: quiet) { _ in changes }
    }

    /// Continues the run in `path` with the options given on the command line: compared with the
    /// saved configuration (`TrainOptions.resumeChanges`) before anything is written.
    public static func resume(_ path: String, options: TrainOptions, quiet: Bool) throws -> TrainSummary {
        try resume(path, quiet: quiet) { try options.resumeChanges(saved: $0) }
    }

    static func resume(_ path: String, quiet: Bool, changes decide: (TrainConfig) throws -> ResumeChanges) throws -> TrainSummary {
        // over MPI, rank 0 reads the run and decides; the others receive its configuration and checkpoint
        let group = Processes.group
        if !group.isLead {
            switch try ResumePayload.decode(group.broadcast([])) {
            case .complete(let summary): return summary
            case .resume(let config, let checkpoint):
                let trainer = try Trainer(checkedConfig: config)
                try trainer.restore(from: checkpoint)
                return try trainer.run(directory: nil, progress: Progress(quiet: true))
            }
        }
        let directory = try RunDirectory.open(path)
        if access(directory.file("checkpoint.bin"), F_OK) != 0 && access(directory.file("checkpoint.prev.bin"), F_OK) != 0 {
            return try restart(directory, quiet: quiet, changes: decide)
        }
        let (checkpoint, warning) = try Checkpoint.readWithFallback(
            directory.file("checkpoint.bin"),
            previous: directory.file("checkpoint.prev.bin"))
        let changes = try decide(checkpoint.header.config)
        if let warning {
            writeStandard("wrnn: warning: \(warning)\n", error: true)
            // the newer file is never rotated away or deleted: it is set aside for inspection first
            let damaged = directory.file("checkpoint.bin"), aside = directory.file("checkpoint.bin.damaged")
            if access(damaged, F_OK) == 0 {
                guard rename(damaged, aside) == 0 else {
                    throw WrnnError.io(
                        "cannot set aside the unreadable \(damaged) as \(aside): \(String(cString: strerror(errno))); nothing was changed")
                }
                writeStandard("wrnn: warning: kept the unreadable checkpoint as \(aside)\n", error: true)
            }
        }
        var config = checkpoint.header.config
        // the checkpoint must belong to this run directory; a config.json that cannot be read says
        // nothing about which run this is, so it is refused like a different one (never rewritten)
        let configPath = directory.file("config.json")
        if access(configPath, F_OK) == 0 {
            let saved: TrainConfig
            do { saved = try TrainConfig.decoded(from: try readFileBytes(configPath).get()) } catch {
                let reason = (error as? WrnnError)?.message ?? decodingReason(error)
                throw WrnnError.data(
                    "\(configPath) is not a wrnn run configuration (\(reason)), so it cannot say that \(directory.file("checkpoint.bin")) belongs to this run; restore it, or move it aside to resume from the checkpoint's own configuration"
                )
            }
            if ResumeChanges.fixed(saved) != ResumeChanges.fixed(config) {
                throw WrnnError.data(
                    "\(directory.file("checkpoint.bin")) was not written by the run in \(path) (its configuration differs from config.json); it cannot be resumed here"
                )
            }
        }
        if changes.steps == nil, checkpoint.header.step >= config.steps,
            let data = fileContents(atPath: directory.file("summary.json")),
            let summary = try? WrnnJSON.decoder().decode(TrainSummary.self, from: data)
        {
            print(
                "wrnn train: \(path) is already complete (\(counted(config.steps, "step"))); nothing to do (give --steps to train longer)")
            if group.size > 1 { _ = group.broadcast(try ResumePayload.complete(summary).encoded()) }
            return summary
        }
        if let steps = changes.steps { config.steps = steps }
        if let evalEvery = changes.evalEvery { config.evalEvery = evalEvery }
        if let checkpointEvery = changes.checkpointEvery { config.checkpointEvery = checkpointEvery }
        if let threads = changes.threads, threads != config.threads {
            writeStandard(
                "wrnn: warning: --threads \(threads) differs from the run's \(config.threads): the numbers will no longer be bitwise those of an uninterrupted run\n",
                error: true)
            config.threads = threads
        }
        // another node of a cluster may take another kernel path: say so, as for --threads
        if let data = fileContents(atPath: directory.file("command.json")),
            let started = try? WrnnJSON.decoder().decode(RunCommand.self, from: data)
        {
            let path = KernelPath.current.rawValue, core = BLASThreads.coreName
            if let started = started.kernelPath, started != path {
                writeStandard(
                    "wrnn: warning: the run started on the \(started) kernels and continues on the \(path) ones (this CPU, or WRNN_KERNELS): the numbers will no longer be bitwise those of an uninterrupted run\n",
                    error: true)
            } else if let started = started.blasCore, started != core {
                writeStandard(
                    "wrnn: warning: the run started with OpenBLAS's \(started) kernels and continues with its \(core) ones: the numbers will no longer be bitwise those of an uninterrupted run\n",
                    error: true)
            }
        }
        if group.size > 1 { _ = group.broadcast(try ResumePayload.resume(config, checkpoint).encoded()) }
        let trainer = try Trainer(checkedConfig: config)
        try trainer.restore(from: checkpoint)
        try directory.truncateMetrics(after: checkpoint.header.step)
        if config != checkpoint.header.config { try directory.writeJSON(config, to: "config.json") }
        print("wrnn train: resuming \(path) at step \(checkpoint.header.step) of \(config.steps)")
        print("model: \(config.model.summaryLine)")
        if let bf16 = BF16Check.measure(config) { print(bf16.line) }
        let summary = try trainer.run(directory: directory, progress: leadProgress(quiet: quiet))
        print(resultLine(summary, config))
        return summary
    }

    /// A run stopped before its first checkpoint (killed, or diverged from its first step) starts again
    /// from step 0 with the configuration it recorded: a directory is never a dead end.
    static func restart(_ directory: RunDirectory, quiet: Bool, changes decide: (TrainConfig) throws -> ResumeChanges) throws
        -> TrainSummary
    {
        let configPath = directory.file("config.json")
        var config: TrainConfig
        do { config = try TrainConfig.decoded(from: try readFileBytes(configPath).get()) } catch {
            let reason = (error as? WrnnError)?.message ?? decodingReason(error)
            throw WrnnError.data(
                "\(directory.path) has no checkpoint and its \(configPath) cannot be read (\(reason)); start a new run with wrnn train --out NEW_DIR"
            )
        }
        let changes = try decide(config)
        if let steps = changes.steps { config.steps = steps }
        if let evalEvery = changes.evalEvery { config.evalEvery = evalEvery }
        if let checkpointEvery = changes.checkpointEvery { config.checkpointEvery = checkpointEvery }
        if let threads = changes.threads { config.threads = threads }
        try config.model.checkRunsHere()
        let trainer = try Trainer(checkedConfig: config)
        let group = Processes.group
        if group.size > 1 { _ = group.broadcast(try ResumePayload.resume(config, trainer.checkpoint()).encoded()) }
        try directory.truncateMetrics(after: -1)
        try? FileManager.default.removeItem(atPath: directory.file("summary.json"))
        try directory.writeJSON(config, to: "config.json")
        print("wrnn train: \(directory.path) has no checkpoint yet; starting it again from step 0 with its recorded configuration")
        print("model: \(config.model.summaryLine)")
        let summary = try trainer.run(directory: directory, progress: leadProgress(quiet: quiet))
        print(resultLine(summary, config))
        return summary
    }

    /// The closing line of a run: steps, speed, test loss and the task's own scores.
    public static func resultLine(_ summary: TrainSummary, _ config: TrainConfig) -> String {
        var result =
            "done: \(counted(summary.steps, "step")) in \(formatDuration(summary.seconds)) (\(String(format: "%.1f", summary.stepsPerSecond)) steps/s)  test loss \(formatLoss(summary.testLoss))"
        if let recall = summary.recallAccuracy { result += "  recall \(String(format: "%.1f%%", recall * 100))" }
        if config.task.solvedThreshold != nil { result += "  solved at \(summary.solvedAt.map(String.init) ?? "never")" }
        if let accuracy = summary.testAccuracy { result += String(format: "  test acc %.2f%%", accuracy * 100) }
        if let best = summary.bestValidationAccuracy, let atBest = summary.testAccuracyAtBestValidation {
            result += String(format: "  (best val acc %.2f%%, test acc there %.2f%%)", best * 100, atBest * 100)
        }
        return result
    }
}

/// The lead's progress line; over MPI it starts with the rank count.
func leadProgress(quiet: Bool) -> Progress {
    let ranks = Processes.group.size
    return Progress(prefix: ranks > 1 ? "[\(ranks) ranks] " : "", quiet: quiet)
}

/// "2 threads", or over MPI "2 ranks x 1 thread (2 shards)".
func threadsText(_ config: TrainConfig) -> String {
    let ranks = Processes.group.size
    guard ranks > 1 else { return "\(config.threads) thread\(config.threads == 1 ? "" : "s")" }
    let perRank = (config.threads + ranks - 1) / ranks
    return "\(ranks) ranks x \(perRank) thread\(perRank == 1 ? "" : "s") (\(config.threads) shards)"
}

/// What rank 0 sends the other ranks on --resume: the run is complete, or its configuration and checkpoint.
enum ResumePayload {
    case complete(TrainSummary)
    case resume(TrainConfig, Checkpoint)

    func encoded() throws -> [UInt8] {
        switch self {
        case .complete(let summary): return [0] + Array(try WrnnJSON.encoder().encode(summary))
        case .resume(let config, let checkpoint):
            let json = Array(try WrnnJSON.encoder().encode(config))
            var bytes: [UInt8] = [1]
            appendLittleEndian(&bytes, UInt32(json.count))
            return bytes + json + (try checkpoint.encoded())
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> ResumePayload {
        guard let kind = bytes.first else { throw WrnnError.data("rank 0 sent no resume state") }
        if kind == 0 { return .complete(try WrnnJSON.decoder().decode(TrainSummary.self, from: Data(bytes.dropFirst()))) }
        let count = Int(readLittleEndian(bytes, at: 1))
        let config = try WrnnJSON.decoder().decode(TrainConfig.self, from: Data(bytes[5..<(5 + count)]))
        return .resume(config, try Checkpoint.decode(Array(bytes[(5 + count)...]), path: "rank 0's checkpoint"))
    }
}

/// `--precision bf16` is never slower unannounced: at a bf16 run's start the products it changes are
/// timed in both formats on this CPU for the run's shapes (about a tenth of a second), and one line
/// says which products run and how they compare; a run that bf16 makes slower says so.
public enum BF16Check {
    public struct Result: Sendable {
        public var products: String
        public var speedup: Double
        /// The plain versions (WRNN_BF16=emulate) ran: for checking numbers, not for speed.
        public var emulated: Bool
        /// "the fp32 convolution's" or "the fp32 recurrent products'".
        public var fp32Products: String
        public init(products: String, speedup: Double, emulated: Bool = false, fp32Products: String = "the fp32 convolution's") {
            self.products = products; self.speedup = speedup; self.emulated = emulated; self.fp32Products = fp32Products
        }
        public var line: String {
            if emulated {
                return String(
                    format: "bf16 products: %@, %.2fx %@ speed here: for checking numbers, not for speed", products, speedup, fp32Products)
            }
            if speedup < 1 {
                return String(
                    format:
                        "note: on this CPU the bf16 products (%@) run at %.2fx %@ speed for this model's shapes: --precision bf16 makes this run slower, not faster; --precision fp32 is faster here",
                    products, speedup, fp32Products)
            }
            return String(format: "bf16 products: %@, %.2fx %@ speed for this model's shapes", products, speedup, fp32Products)
        }
    }

    /// Nil unless the run's products are bf16 and run here.
    public static func measure(_ config: TrainConfig, seconds: Double = 0.1) -> Result? {
        let engine = config.model.kind.model.bf16Engine
        guard config.model.precision == .bf16, let products = engine.products else { return nil }
        let rows = max(1, (config.batchSize + config.threads - 1) / max(config.threads, 1))
        guard let speedup = config.model.kind.model.bf16Speedup(config.model, rows: rows, seconds: seconds) else { return nil }
        return Result(products: products, speedup: speedup, emulated: engine.emulated, fp32Products: engine.fp32Products)
    }
}
