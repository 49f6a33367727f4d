import Foundation
import WaveCore
import WaveData

/// A task and its settings as config.json keeps them: its kind, its size parameter T (the copy
/// task's delay, the adding task's length), and what the tasks that read data need. Everything
/// that depends on the kind is the task's description's (`TaskDescription`); this only asks it.
public struct TaskConfig: Codable, Equatable, Sendable {
    public var kind: TaskKind
    public var t: Int
    public var copyLayout: CopyLayout
    public var dataDirectory: String?
    /// psMNIST / psFMNIST: a .npy permutation of the 784 positions instead of one drawn from the seed.
    public var permutationFile: String?
    /// nsCIFAR10: new noise for every training sequence instead of the authors' one fixed block.
    public var freshNoise: Bool?
    /// Data sets: keep each epoch's last, partial batch (57,000 = 445 x 128 + 40), as the authors'
    /// sMNIST loader does (no drop_last); nil or false drops it, as their psMNIST and noisy CIFAR-10
    /// loaders do.
    public var keepPartialBatch: Bool?
    /// sequences: the data file (--data), whether to normalise each feature (--normalize), the value
    /// that marks padding (--mask-value: "nan" or a number), where the targets are read
    /// (--readout-at), and what the file holds (read when the run is configured).
    public var dataFile: String?
    public var normalize: Bool?
    public var maskValue: String?
    public var readoutAt: ReadoutTiming?
    public var data: SequenceShape?

    public init(
        kind: TaskKind, t: Int? = nil, copyLayout: CopyLayout = .paper, dataDirectory: String? = nil,
        permutationFile: String? = nil
    ) {
        self.kind = kind
        self.t = t ?? kind.task.defaultT
        self.copyLayout = copyLayout
        self.dataDirectory = dataDirectory
        self.permutationFile = permutationFile
    }

    /// The description of this configuration's task.
    public var task: any TaskDescription.Type { kind.task }

    /// Training sequences in one epoch of a data set (the split's training part); nil for the
    /// synthetic tasks, which draw fresh sequences.
    public var trainingExamples: Int? { task.trainingExamples(self) }
    /// Sequences held out of training for validation (0 for the synthetic tasks).
    public var validationExamples: Int { task.validationExamples(self) }

    /// Steps in one pass over the training split at `batchSize` (the last partial batch dropped
    /// unless `keepPartialBatch`).
    public func epochSteps(batchSize: Int) -> Int? {
        let b = max(batchSize, 1)
        return trainingExamples.map { max(1, keepPartialBatch == true ? ($0 + b - 1) / b : $0 / b) }
    }

    public var inputSize: Int { task.inputSize(self) }
    public var outputSize: Int { task.outputSize(self) }
    public var readoutTiming: ReadoutTiming { task.readoutTiming(self) }
    /// L: steps per sequence.
    public var length: Int { task.length(self) }
    public var modelRecipe: ModelRecipe { task.modelRecipe }
    public var recipe: TaskRecipe { task.recipe(self) }
    public var summaryLine: String { task.summaryLine(self) }
    public var tableLabel: String { task.tableLabel(self) }
    public var solvedThreshold: Double? { task.solvedThreshold }
    public var authors: AuthorsConventions { task.authors }
    public var resultStyle: ResultStyle { task.resultStyle(self) }
    public var inputCategories: Int? { task.inputCategories(self) }
    public func loss(perBatchDivisor: Double) -> LossMeasure { task.loss(self, perBatchDivisor: perBatchDivisor) }

    /// What a reader of this run's numbers must know about the task's construction.
    public var notes: [String] { task.notes(self) }

    /// Reads what the configuration names (own data) and records it here: the model's shape follows.
    public mutating func inspectData(seed: UInt64) throws { try task.inspect(&self, seed: seed) }

    /// Any task; data sets read and check their files (exit 65/66 on failure).
    public func loadTask(seed: UInt64) throws -> any SequenceTask { try task.load(self, seed: seed) }

    /// A synthetic task, which reads nothing (tests and benchmarks).
    public func makeTask() -> any SequenceTask {
        do { return try loadTask(seed: 0) } catch { preconditionFailure("\(kind) reads data; use loadTask(seed:)") }
    }

    /// The checks every configuration of this task must pass (its size's range), exit 64.
    public func check() throws { try task.check(self) }
}
