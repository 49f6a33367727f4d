import Foundation
import WaveCore
import WaveModels
import WaveTasks

/// Every `wrnn train` option as given (nil or false: not given), and the one place they are
/// checked: their ranges, which tasks and models they apply to (the models say which of theirs do),
/// the resolved configuration's consistency and, on --resume, whether they would change the saved
/// run. Errors are `WrnnError.usage` lines that name the options; the command line only maps them.
public struct TrainOptions: Equatable, Sendable {
    // the task
    public var task: TaskKind?
    public var t: Int?
    public var copyLayout: CopyLayout?
    public var dataDirectory: String?
    public var permutation: String?
    public var freshNoise = false
    public var dataFile: String?
    public var normalize = false
    public var maskValue: String?
    // the model
    public var model: ModelKind?
    public var modelOptions = ModelOptionValues()
    // optimisation
    public var learningRate: Double?
    public var clip: Double?
    public var batchSize: Int?
    public var steps: Int?
    public var epochs: Int?
    public var schedule: Schedule.Kind?
    public var lrFactor: Double?
    public var lrEvery: Int?
    public var lrGamma: Double?
    public var patience: Int?
    public var epochSteps: Int?
    public var trainingProtocol: TrainingProtocol?
    // the run
    public var seed: UInt64?
    public var threads: Int?
    public var evalEvery: Int?
    public var checkpointEvery: Int?
    public var testSize: Int?
    public var validationSize: Int?
    /// The run's name, tags and notes (`--name`, `--tag`, `--notes`).
    public var label = RunLabel()
    public var initFrom: String?
    public var keepDenormals = false
    /// Processes the run is spread over (MPI ranks); `threads` is per rank, the run's shards are ranks x threads.
    public var ranks = 1

    public init() {}

    /// The configuration these options make: the task's and model's paper preset with every option
    /// given applied, checked whole (`TrainConfig.checkRanges`).
    public func resolve() throws -> TrainConfig {
        try checkValues()
        let authors = trainingProtocol == .authors
        var taskConfig = try taskConfiguration()
        try taskConfig.inspectData(seed: seed ?? 0)
        // the authors' sMNIST loader has no drop_last (their psMNIST and CIFAR loaders drop it)
        if authors, taskConfig.authors.keepsPartialBatch { taskConfig.keepPartialBatch = true }
        let preset = try (model ?? .standard).configure(task: taskConfig, options: modelOptions)
        var config = Preset.train(task: taskConfig, preset: preset, batchSize: batchSize)
        if authors {
            config.trainingProtocol = .authors
            if let size = taskConfig.authors.testSize { config.testSize = size }
        }
        if let clip { config.clip = clip }
        let epochLength = taskConfig.epochSteps(batchSize: config.batchSize) ?? epochSteps ?? 1000
        if let epochs { config.steps = epochs * epochLength }
        config.schedule = resolveSchedule(preset: config.schedule)
        if config.schedule != nil && !taskConfig.kind.isDataSet { config.epochSteps = epochSteps ?? 1000 }
        if let seed { config.seed = seed }
        if let threads { config.threads = threads }
        config.threads *= ranks
        if let evalEvery { config.evalEvery = evalEvery }
        if let checkpointEvery { config.checkpointEvery = checkpointEvery }
        if let testSize { config.testSize = testSize }
        if let validationSize {
            let available = taskConfig.kind.task.validationExamples(taskConfig)
            guard available > 0 else {
                throw WrnnError.usage(
                    "--val-size applies to tasks with a validation split (\(TaskRegistry.list(TaskRegistry.all.filter { $0.isDataSet }.map { $0.name }))); this run's task has none"
                )
            }
            guard validationSize <= available else {
                throw WrnnError.usage("--val-size \(validationSize) is more than the \(available) validation sequences this task holds out")
            }
            config.validationSize = validationSize
        }
        config.label = label.isEmpty ? nil : label
        if let learningRate { config.learningRate = learningRate }
        if let steps { config.steps = steps }
        config.initFrom = initFrom
        if keepDenormals { config.keepDenormals = true }
        let notes = taskConfig.notes
        config.notes = notes.isEmpty ? nil : notes
        // schedule options apply to the schedules that read them: refused, never ignored
        for option in scheduleOptions where option.given {
            guard let scheduleKind = config.schedule?.kind, option.kinds.contains(scheduleKind) else {
                throw WrnnError.usage(
                    "\(option.name) applies to --schedule \(option.kinds.map(\.rawValue).joined(separator: " and ")) only (this run's schedule is \(config.schedule?.kind.rawValue ?? "constant"))"
                )
            }
        }
        try config.checkRanges()
        return config
    }

    /// The options' own ranges and the tasks they apply to, before any preset is looked up.
    func checkValues() throws {
        // every option's own range, as its declaration states it (TrainOptionTable)
        for option in TrainOptionTable.all { try option.check(self) }
        if let f = modelOptions.kernelSize, f % 2 == 0 { throw WrnnError.usage("--kernel-size must be odd (got \(f))") }
        if steps != nil, epochs != nil { throw WrnnError.usage("--steps and --epochs both set the training length; give one") }
        // task options apply to the tasks that take them: refused, naming those, never ignored
        let kind = task ?? .standard
        for (option, given) in taskOptionsGiven where given && !kind.task.options.contains(option) {
            throw WrnnError.usage("\(option.rawValue) applies to --task \(TaskRegistry.list(TaskRegistry.tasks(accepting: option))) only")
        }
        try taskConfiguration().check()
    }

    /// The task-specific options, each with whether it was given.
    var taskOptionsGiven: [(TaskOption, Bool)] {
        [
            (.size, t != nil), (.copyLayout, copyLayout != nil), (.permutation, permutation != nil),
            (.freshNoise, freshNoise), (.epochSteps, epochSteps != nil), (.data, dataFile != nil), (.normalize, normalize),
            (.maskValue, maskValue != nil)
        ]
    }

    /// The task's configuration from the options given (before any data is read).
    func taskConfiguration() throws -> TaskConfig {
        var config = TaskConfig(
            kind: task ?? .standard, t: t, copyLayout: copyLayout ?? .paper, dataDirectory: dataDirectory, permutationFile: permutation)
        if freshNoise { config.freshNoise = true }
        config.dataFile = absoluteDataFile
        if normalize { config.normalize = true }
        config.maskValue = maskValue
        if config.kind.task.options.contains(.data) { config.readoutAt = modelOptions.readoutAt }
        return config
    }

    /// --data as an absolute path, so that sweep workers, Slurm jobs and --resume find it from any directory.
    var absoluteDataFile: String? {
        dataFile.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
    }

    /// The schedule options given, each with the schedules it applies to.
    var scheduleOptions: [(name: String, given: Bool, kinds: [Schedule.Kind])] {
        [
            ("--lr-factor", lrFactor != nil, [.step, .plateau]), ("--lr-every", lrEvery != nil, [.step]),
            ("--lr-gamma", lrGamma != nil, [.exponential]), ("--patience", patience != nil, [.plateau])
        ]
    }

    /// The schedule: --schedule's (with these options or their defaults), or the preset's with any of them changed.
    func resolveSchedule(preset: Schedule?) -> Schedule? {
        if let schedule {
            guard schedule != .constant else { return nil }
            return Schedule(kind: schedule, factor: lrFactor ?? 10, every: lrEvery ?? 40, gamma: lrGamma ?? 0.97, patience: patience ?? 10)
        }
        guard var resolved = preset else { return nil }
        if let lrFactor { resolved.factor = lrFactor }
        if let lrEvery { resolved.every = lrEvery }
        if let lrGamma { resolved.gamma = lrGamma }
        if let patience { resolved.patience = patience }
        return resolved
    }

}

// MARK: resume

extension TrainOptions {
    /// --resume: the saved configuration is the run's. Of the options given, --steps, --eval-every,
    /// --checkpoint-every and --threads may change it (returned); any other that differs from the
    /// saved value is refused, naming each (an option repeating the saved value changes nothing).
    public func resumeChanges(saved: TrainConfig) throws -> ResumeChanges {
        try saved.model.checkRunsHere(resuming: true)
        try checkValues()
        let m = saved.model, task = saved.task, schedule = saved.schedule
        func differs<V: Equatable>(_ given: V?, _ saved: V?) -> Bool { given != nil && given != saved }
        let savedEpochs = task.epochSteps(batchSize: saved.batchSize) ?? saved.epochSteps ?? 1000
        let checks: [(String, Bool)] = [
            ("--task", differs(self.task, task.kind)), ("-T", differs(t, task.t)), ("--copy-layout", differs(copyLayout, task.copyLayout)),
            ("--data-dir", differs(dataDirectory, task.dataDirectory)), ("--permutation", differs(permutation, task.permutationFile)),
            ("--fresh-noise", freshNoise && task.freshNoise != true), ("--data", differs(absoluteDataFile, task.dataFile)),
            ("--normalize", normalize && task.normalize != true), ("--mask-value", differs(maskValue, task.maskValue)),
            ("--model", differs(model, m.kind)),
            ("--hidden-size", differs(modelOptions.hiddenSize, m.kind.isRecurrent ? m.ringSize : m.mlpHidden)),
            ("--channels", differs(modelOptions.channels, m.channels)), ("--kernel-size", differs(modelOptions.kernelSize, m.kernelSize)),
            ("--initialization", differs(modelOptions.initialization, m.recurrentInit)),
            ("--encoder-init", differs(modelOptions.encoderInit, m.encoderInit)),
            ("--activation", differs(modelOptions.activation, m.activation)), ("--readout", differs(modelOptions.readout, m.readout)),
            ("--readout-at", differs(modelOptions.readoutAt, m.readoutTiming)),
            ("--freeze-u", modelOptions.freezeU && !m.freezeRecurrent), ("--freeze-v", modelOptions.freezeV && !m.freezeEncoder),
            ("--locally-connected", modelOptions.locallyConnected && !m.locallyConnected),
            ("--wave-speed", differs(modelOptions.waveSpeed, m.waveSpeed)), ("--dt", differs(modelOptions.dt, m.dt)),
            ("--gamma", differs(modelOptions.gamma, m.gamma)), ("--epsilon", differs(modelOptions.epsilon, m.epsilon)),
            ("--precision", differs(modelOptions.precision, m.precision ?? .fp32)),
            ("--sheet", differs(modelOptions.sheet, m.sheet)),
            ("--shift-direction", differs(modelOptions.shiftDirection, m.shiftDirection)),
            ("--wave-source", differs(modelOptions.waveSource, m.waveSource)),
            ("--lr", differs(learningRate, saved.learningRate)), ("--clip", differs(clip, saved.clip)),
            ("--batch-size", differs(batchSize, saved.batchSize)), ("--epochs", differs(epochs.map { $0 * savedEpochs }, saved.steps)),
            ("--schedule", differs(self.schedule, schedule?.kind ?? .constant)), ("--lr-factor", differs(lrFactor, schedule?.factor)),
            ("--lr-every", differs(lrEvery, schedule?.every)), ("--lr-gamma", differs(lrGamma, schedule?.gamma)),
            ("--patience", differs(patience, schedule?.patience)), ("--epoch-steps", differs(epochSteps, saved.epochSteps)),
            ("--protocol", differs(trainingProtocol, saved.trainingProtocol)), ("--seed", differs(seed, saved.seed)),
            ("--test-size", differs(testSize, saved.testSize)), ("--init-from", differs(initFrom, saved.initFrom)),
            ("--keep-denormals", keepDenormals && saved.keepDenormals != true),
            ("--val-size", differs(validationSize, saved.validationSize)), ("--name", differs(label.name, saved.label?.name)),
            ("--tag", differs(label.tags, saved.label?.tags)), ("--notes", differs(label.notes, saved.label?.notes))
        ]
        let changed = checks.filter(\.1).map(\.0)
        guard changed.isEmpty else {
            throw WrnnError.usage(
                "--resume continues a run exactly as it was configured; \(changed.joined(separator: ", ")) would change it. With --resume only --steps, --eval-every, --checkpoint-every and --threads may be given; start a new run for other settings"
            )
        }
        // the saved shard count is kept unless --threads is given: then ranks x threads per rank
        return ResumeChanges(steps: steps, evalEvery: evalEvery, checkpointEvery: checkpointEvery, threads: threads.map { $0 * ranks })
    }
}
