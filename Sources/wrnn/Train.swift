import WaveKernels
import ArgumentParser
import Foundation
import WaveCore
import WaveTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a wRNN, iRNN, LSTM, GRU, coRNN, LEM or FC on the copy, adding or a sequential-image task.",
        discussion: """
            Writes config.json, metrics.jsonl, checkpoint.bin (and checkpoint.prev.bin, best.bin) and summary.json \
            into the run directory. --resume RUN_DIR continues a stopped run exactly.
            """)

    @OptionGroup(title: "Task") var taskOptions: TaskOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Optimisation") var optimizerOptions: OptimizerOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    func validate() throws {
        let model = modelOptions.resolve(task: taskOptions.resolved)
        if model.kind == .wrnn, model.kernelSize > model.ringSize {
            throw ValidationError(
                "--kernel-size \(model.kernelSize) is wider than the ring (n = \(model.ringSize)); use at most \(model.ringSize % 2 == 1 ? model.ringSize : model.ringSize - 1)"
            )
        }
        if modelOptions.model == .fc, taskOptions.task == .copy {
            throw ValidationError(
                "--model fc reads the whole sequence once and answers once; the copy task needs an answer at every step (use adding or an image task)"
            )
        }
        // options that do not apply are refused, never ignored
        if runOptions.resume == nil {
            let resolved = config
            for option in optimizerOptions.scheduleOptions where option.given {
                guard let kind = resolved.schedule?.kind, option.kinds.contains(kind) else {
                    throw ValidationError(
                        "\(option.name) applies to --schedule \(option.kinds.map(\.rawValue).joined(separator: " and ")) only (this run's schedule is \(resolved.schedule?.kind.rawValue ?? "constant"))"
                    )
                }
            }
            if optimizerOptions.epochSteps != nil, taskOptions.task.isImage {
                throw ValidationError(
                    "--epoch-steps applies to the copy and adding tasks only (an image task's epoch is one pass over its training split)")
            }
            if modelOptions.model != .wrnn, modelOptions.waveSpeed != 1 {
                throw ValidationError("--wave-speed applies to --model wrnn only")
            }
        }
        // the ranges every configuration is held to, from the command line or from a file
        if runOptions.resume == nil {
            do { try config.checkRanges() } catch let error as WrnnError { throw ValidationError(error.message) }
        }
    }

    var config: TrainConfig {
        let authors = optimizerOptions.trainingProtocol == .authors
        var task = taskOptions.resolved
        // the authors' sMNIST loader has no drop_last (their psMNIST and CIFAR loaders drop it)
        if authors, task.kind == .smnist || task.kind == .sfmnist { task.keepPartialBatch = true }
        var config = Preset.train(task: task, kind: modelOptions.model, batchSize: optimizerOptions.batchSize)
        if authors {
            config.trainingProtocol = .authors
            if task.kind == .copy { config.testSize = TrainingProtocol.copyTestBatch }
        }
        config.model = modelOptions.resolve(task: task)
        if let clip = optimizerOptions.clip { config.clip = clip }
        let epochSteps = task.epochSteps(batchSize: config.batchSize) ?? optimizerOptions.epochSteps ?? 1000
        if let epochs = optimizerOptions.epochs { config.steps = epochs * epochSteps }
        config.schedule = optimizerOptions.resolveSchedule(preset: config.schedule)
        if config.schedule != nil && !task.kind.isImage { config.epochSteps = optimizerOptions.epochSteps ?? 1000 }
        config.seed = runOptions.seed
        config.threads = runOptions.threadCount
        if let evalEvery = runOptions.evalEvery { config.evalEvery = evalEvery }
        if let checkpointEvery = runOptions.checkpointEvery { config.checkpointEvery = checkpointEvery }
        if let testSize = runOptions.testSize { config.testSize = testSize }
        if let lr = optimizerOptions.lr { config.learningRate = lr }
        if let steps = optimizerOptions.steps { config.steps = steps }
        config.initFrom = runOptions.initFrom
        if runOptions.keepDenormals { config.keepDenormals = true }
        let notes = task.notes
        config.notes = notes.isEmpty ? nil : notes
        return config
    }

    func run() throws {
        StopRequest.install()
        if let resume = runOptions.resume {
            try refuseChangesOnResume(Array(CommandLine.arguments.dropFirst()))
            var changes = ResumeChanges()
            changes.steps = optimizerOptions.steps
            changes.evalEvery = runOptions.evalEvery
            changes.checkpointEvery = runOptions.checkpointEvery
            changes.threads = runOptions.threads
            _ = try TrainSession.resume(resume, changes: changes, quiet: runOptions.quiet)
            return
        }
        // after every option is checked, before anything is made: an existing directory is 73
        if let out = runOptions.out { try RunDirectory.requireAbsent(out) }
        let config = self.config
        let path = runOptions.out ?? defaultRunPath("\(config.task.kind.rawValue)-\(config.model.kind.rawValue)")
        _ = try TrainSession.start(config, path: path, quiet: runOptions.quiet)
    }
}

/// What `--resume` may change: everything else would make it another run.
struct ResumeChanges {
    var steps: Int?
    var evalEvery: Int?
    var checkpointEvery: Int?
    var threads: Int?
    static let allowedOptions = ["--resume", "--steps", "--eval-every", "--checkpoint-every", "--threads", "--quiet"]

    /// The configuration without the fields a resume may change.
    static func fixed(_ config: TrainConfig) -> TrainConfig {
        var c = config
        c.steps = 0; c.evalEvery = 0; c.checkpointEvery = 0; c.threads = 0
        return c
    }
}

extension Train {
    /// --resume with an option that would change the model, task, data or optimiser is refused (64),
    /// naming each such option (scanned from the command line: an option left at its default is not given).
    func refuseChangesOnResume(_ arguments: [String]) throws {
        let shortNames = ["-n": "--hidden-size", "-c": "--channels", "-f": "--kernel-size", "-T": "-T"]
        var given: [String] = []
        var skipValue = false
        for argument in arguments.dropFirst() { // after the subcommand name
            if skipValue { skipValue = false; continue }
            let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            guard name.hasPrefix("--") || shortNames[name] != nil else { continue }
            let long = shortNames[name] ?? name
            if ResumeChanges.allowedOptions.contains(long) { skipValue = !argument.contains("=") && long != "--quiet"; continue }
            if !given.contains(long) { given.append(long) }
        }
        guard !given.isEmpty else { return }
        throw ValidationError(
            "--resume continues a run exactly as it was configured; \(given.joined(separator: ", ")) would change it. With --resume only --steps, --eval-every, --checkpoint-every and --threads may be given; start a new run for other settings"
        )
    }
}

/// Starting and resuming one run, with its header and closing lines: `wrnn train` and the sweep
/// workers share it.
enum TrainSession {
    /// Creates the run directory at `path` and trains; a bad --init-from fails before the directory exists.
    static func start(_ config: TrainConfig, path: String, quiet: Bool) throws -> TrainSummary {
        let trainer = try Trainer(checkedConfig: config)
        let directory = try RunDirectory.create(path)
        try directory.writeJSON(config, to: "config.json")
        try directory.writeJSON(RunCommand(command: CommandLine.arguments), to: "command.json")
        print("wrnn train: \(config.task.summaryLine)")
        print("model: \(config.model.summaryLine)")
        print("\(config.model.parameterBreakdown)")
        print("\(config.optimisationLine), \(config.threads) thread\(config.threads == 1 ? "" : "s")")
        if let initFrom = config.initFrom { print("initial weights: \(initFrom)") }
        if config.keepDenormals == true { print("subnormal floats kept (--keep-denormals)") }
        for note in config.notes ?? [] { print("note: \(note)") }
        print("run directory: \(path)")
        let summary = try trainer.run(directory: directory, progress: Progress(quiet: quiet))
        print(resultLine(summary, config))
        return summary
    }

    /// Continues the run in `path` from its checkpoint with only the allowed changes: more steps, the
    /// evaluation and checkpoint intervals, the thread count (then no longer bitwise the same). A run
    /// whose checkpoint is at its last step and that has a summary is complete: nothing is rewritten.
    static func resume(_ path: String, changes: ResumeChanges = ResumeChanges(), quiet: Bool) throws -> TrainSummary {
        let directory = try RunDirectory.open(path)
        let (checkpoint, warning) = try Checkpoint.readWithFallback(
            directory.file("checkpoint.bin"),
            previous: directory.file("checkpoint.prev.bin"))
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
        // the checkpoint must belong to this run directory
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
            print("wrnn train: \(path) is already complete (\(config.steps) steps); nothing to do (give --steps to train longer)")
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
        let trainer = try Trainer(checkedConfig: config)
        try trainer.restore(from: checkpoint)
        try directory.truncateMetrics(after: checkpoint.header.step)
        if config != checkpoint.header.config { try directory.writeJSON(config, to: "config.json") }
        print("wrnn train: resuming \(path) at step \(checkpoint.header.step) of \(config.steps)")
        print("model: \(config.model.summaryLine)")
        let summary = try trainer.run(directory: directory, progress: Progress(quiet: quiet))
        print(resultLine(summary, config))
        return summary
    }

    /// The closing line of a run: steps, speed, test loss and the task's own scores.
    static func resultLine(_ summary: TrainSummary, _ config: TrainConfig) -> String {
        var result =
            "done: \(summary.steps) steps in \(formatDuration(summary.seconds)) (\(String(format: "%.1f", summary.stepsPerSecond)) steps/s)  test loss \(formatLoss(summary.testLoss))"
        if let recall = summary.recallAccuracy { result += "  recall \(String(format: "%.1f%%", recall * 100))" }
        if config.task.kind == .adding { result += "  solved at \(summary.solvedAt.map(String.init) ?? "never")" }
        if let accuracy = summary.testAccuracy { result += String(format: "  test acc %.2f%%", accuracy * 100) }
        if let best = summary.bestValidationAccuracy, let atBest = summary.testAccuracyAtBestValidation {
            result += String(format: "  (best val acc %.2f%%, test acc there %.2f%%)", best * 100, atBest * 100)
        }
        return result
    }
}
