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
