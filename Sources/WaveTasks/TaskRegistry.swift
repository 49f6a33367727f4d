import Foundation
import WaveCore

/// Everything the tool knows about a task, declared once in the task's own file: its data, sizes,
/// the options it takes, its part of the training recipe and of the model presets, how its loss is
/// named and judged, its figures' reference lines, and the authors' conventions for it. The rest of
/// the tool asks the description; nothing outside the task files and this registry names a task.
public protocol TaskDescription {
    /// The name `--task`, config.json and sweep files use ("copy").
    static var name: String { get }
    /// One line for `--task`'s help.
    static var help: String { get }
    /// The task-specific options it takes (every other one is refused, naming the tasks that take it).
    static var options: Set<TaskOption> { get }
    /// T when not given (the copy task's delay, the adding task's length); 0 for tasks without one.
    static var defaultT: Int { get }
    /// Walked in epochs over a fixed training split with a validation split (data sets), or drawn fresh.
    static var isDataSet: Bool { get }
    /// Which of the paper's model presets the task takes.
    static var modelRecipe: ModelRecipe { get }

    /// The task's size checks (T's range and the like) on a configuration, exit 64.
    static func check(_ config: TaskConfig) throws
    /// Reads what the configuration names (own data) into it; most tasks have nothing to read.
    static func inspect(_ config: inout TaskConfig, seed: UInt64) throws
    /// The task itself: a generator, or a data set read and checked (exit 65/66 on failure).
    static func load(_ config: TaskConfig, seed: UInt64) throws -> any SequenceTask

    /// L, d, outputs and where they are read.
    static func length(_ config: TaskConfig) -> Int
    static func inputSize(_ config: TaskConfig) -> Int
    static func outputSize(_ config: TaskConfig) -> Int
    static func readoutTiming(_ config: TaskConfig) -> ReadoutTiming
    /// Sequences in the training split (one epoch) and held out for validation; nil and 0 when drawn.
    static func trainingExamples(_ config: TaskConfig) -> Int?
    static func validationExamples(_ config: TaskConfig) -> Int
    /// Adam's rate, clipping, batch, epochs and test size before a model's preset changes them.
    static func recipe(_ config: TaskConfig) -> TaskRecipe

    /// "copy task, delay T=30 (length 50, paper layout)": the run header's task line.
    static func summaryLine(_ config: TaskConfig) -> String
    /// "copy T=30": the task as a results table's heading (runs with one label are compared).
    static func tableLabel(_ config: TaskConfig) -> String
    /// What a reader of the run's numbers must know about how the task was built.
    static func notes(_ config: TaskConfig) -> [String]
    /// How the loss is named and scaled in figures and tables; `perBatchDivisor` is the copy
    /// figure's divisor (the authors' batch_test) where the task reports one.
    static func loss(_ config: TaskConfig, perBatchDivisor: Double) -> LossMeasure
    /// How `results` chooses the best hyper-parameters and what its table shows.
    static func resultStyle(_ config: TaskConfig) -> ResultStyle
    /// Test loss at or below which the task counts as solved (`solved_at`); nil when it has no such line.
    static var solvedThreshold: Double? { get }
    /// The authors' scripts' conventions for this task, under `--protocol authors`.
    static var authors: AuthorsConventions { get }
    /// When every input step is one token of this many (one-hot): figures then draw inputs,
    /// outputs and targets as token panels. nil for real-valued inputs.
    static func inputCategories(_ config: TaskConfig) -> Int?
}

/// A task-specific option, as `wrnn train` spells it.
public enum TaskOption: String, CaseIterable, Sendable {
    case size = "-T/--delay/--length", copyLayout = "--copy-layout", dataDirectory = "--data-dir", permutation = "--permutation"
    case freshNoise = "--fresh-noise", epochSteps = "--epoch-steps", data = "--data", normalize = "--normalize"
    case maskValue = "--mask-value"
}

/// Which of the paper's model presets a task takes; each model's description says what it sets
/// for each (its size, its cited settings), so a new task picks one and every model follows.
public enum ModelRecipe: Sendable, CaseIterable {
    /// Recalling tokens over a delay, the copy task's (wRNN c = 6).
    case tokenRecall
    /// A regression read from the last step of a long sequence, the adding task's (wRNN c = 27).
    case longRegression
    /// Sequential classification (n = 256, wRNN c = 16; coRNN and LEM: their sMNIST settings).
    case classification
    /// The same on a permuted order (coRNN and LEM: their psMNIST settings; the iRNN trains 250 epochs).
    case permutedClassification
    /// The same on long noisy sequences (coRNN and LEM: their noisy-CIFAR-10 settings).
    case noisyClassification

    public var isClassification: Bool { self != .tokenRecall && self != .longRegression }
}

/// The task's part of the training recipe.
public struct TaskRecipe: Sendable {
    public var learningRate: Double, clip: Double, batchSize: Int
    /// Training length of a data set in epochs (synthetic tasks train 60,000 steps).
    public var epochs: Int
    public var testSize: Int
    public init(learningRate: Double, clip: Double, batchSize: Int, epochs: Int, testSize: Int) {
        self.learningRate = learningRate; self.clip = clip; self.batchSize = batchSize; self.epochs = epochs; self.testSize = testSize
    }
}

/// A task's loss as figures and tables show it.
public struct LossMeasure: Sendable {
    /// Multiplies the mean loss into the figure's unit (1 / 50 for the copy task's CE / 50).
    public var scale: Double
    /// "cross-entropy (log scale)" and "cross-entropy (log)".
    public var label: String, shortLabel: String
    /// One sentence for a results page: which loss the table and charts show.
    public var unit: String
    /// Levels a reader measures the loss against (chance, predicting the mean, solved), on the figure's scale.
    public var references: [(y: Double, label: String)]
    public init(scale: Double = 1, label: String, shortLabel: String, unit: String, references: [(y: Double, label: String)] = []) {
        self.scale = scale; self.label = label; self.shortLabel = shortLabel; self.unit = unit; self.references = references
    }
}

/// How `results` chooses among hyper-parameters and what its comparison table shows.
public enum ResultStyle: Sendable {
    /// The lowest mean test cross-entropy / 50 (the copy task's figure), with recall.
    case copyLoss
    /// Solved earliest (then the lowest MSE), as the adding task is judged.
    case solvedEarliest
    /// The best mean validation accuracy; test accuracy at that evaluation.
    case validationAccuracy
    /// The lowest mean validation MSE; test MSE at that evaluation.
    case validationLoss
}

/// The authors' scripts' conventions for a task, where they differ from the tool's.
public struct AuthorsConventions: Sendable {
    /// Their loader keeps each epoch's last, partial batch (sMNIST's has no drop_last).
    public var keepsPartialBatch = false
    /// Their test set: this many fresh sequences (the copy script's batch_test).
    public var testSize: Int? = nil
    /// They backpropagate the mean loss divided by the batch size (the copy script).
    public var gradientPerBatch = false
    /// Their log at i = 0 is skipped (the copy script).
    public var skipsFirstLog = false
    public init(keepsPartialBatch: Bool = false, testSize: Int? = nil, gradientPerBatch: Bool = false, skipsFirstLog: Bool = false) {
        self.keepsPartialBatch = keepsPartialBatch; self.testSize = testSize; self.gradientPerBatch = gradientPerBatch
        self.skipsFirstLog = skipsFirstLog
    }
}

extension TaskDescription {
    public static var kind: TaskKind { TaskKind(registering: name) }
    public static var defaultT: Int { 0 }
    public static func check(_ config: TaskConfig) throws {}
    public static func inspect(_ config: inout TaskConfig, seed: UInt64) throws {}
    public static func trainingExamples(_ config: TaskConfig) -> Int? { nil }
    public static func validationExamples(_ config: TaskConfig) -> Int { 0 }
    public static func tableLabel(_ config: TaskConfig) -> String { name }
    public static func notes(_ config: TaskConfig) -> [String] { [] }
    public static var solvedThreshold: Double? { nil }
    public static var authors: AuthorsConventions { AuthorsConventions() }
    public static var isDataSet: Bool { false }
    public static func inputCategories(_ config: TaskConfig) -> Int? { nil }
}

/// The tasks wrnn knows, in the order help and tables list them. The one place outside each
/// task's own file that names the tasks.
public enum TaskRegistry {
    static let registry = Registry<any TaskDescription.Type>(
        "task",
        shipped: [
            CopyTaskDescription.self, AddingTaskDescription.self, SMNISTDescription.self, PSMNISTDescription.self,
            SFMNISTDescription.self, PSFMNISTDescription.self, NoisyCIFARDescription.self, SequencesDescription.self
        ], name: { $0.name })

    /// Every registered task, shipped ones first.
    public static var all: [any TaskDescription.Type] { registry.all }

    /// Adds a task defined elsewhere (a test target's, a user's own): from then on every option,
    /// check, preset, table and figure knows it. A name already registered is refused.
    public static func register(_ task: any TaskDescription.Type) throws { try registry.register(task) }

    /// Removes a task `register` added (shipped tasks stay).
    public static func unregister(_ name: String) { registry.unregister(name) }

    /// The task named `name`, or nil.
    public static func task(named name: String) -> (any TaskDescription.Type)? { registry.named(name) }

    /// The tasks an option applies to, by name.
    public static func tasks(accepting option: TaskOption) -> [String] { all.filter { $0.options.contains(option) }.map { $0.name } }

    /// "a, b and c".
    public static func list(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }
}

/// A task's name as options, config.json and sweep files spell it; only registered names make one.
public struct TaskKind: RegisteredName {
    public static let registryNoun = "task"
    public let rawValue: String
    public init?(rawValue: String) {
        guard TaskRegistry.task(named: rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }
    /// For a description's own `kind`: its name, registered or about to be.
    public init(registering name: String) { rawValue = name }

    public static var allCases: [TaskKind] { TaskRegistry.all.map { $0.kind } }
    /// The task `--task` defaults to and the demo trains: the first registered, the copy task.
    public static var standard: TaskKind { TaskRegistry.all[0].kind }
    /// The task behind the name.
    public var task: any TaskDescription.Type {
        guard let found = TaskRegistry.task(named: rawValue) else { preconditionFailure("task '\(rawValue)' is not registered") }
        return found
    }
    public var isDataSet: Bool { task.isDataSet }
}
