import Foundation
import WaveCore
import WaveData

/// A task and its one size parameter T (the copy task's delay, the adding task's length), or
/// for image tasks where the data are and which permutation to use.
public struct TaskConfig: Codable, Equatable, Sendable {
    public var kind: TaskKind
    public var t: Int
    public var copyLayout: CopyLayout
    public var dataDirectory: String?
    /// psMNIST / psFMNIST: a .npy permutation of the 784 positions instead of one drawn from the seed.
    public var permutationFile: String?
    /// nsCIFAR10: new noise for every training sequence instead of the authors' one fixed block.
    public var freshNoise: Bool?
    /// Image tasks: keep each epoch's last, partial batch (57,000 = 445 x 128 + 40), as the authors'
    /// sMNIST loader does (no drop_last); nil or false drops it, as their psMNIST and noisy CIFAR-10
    /// loaders do.
    public var keepPartialBatch: Bool?

    public init(
        kind: TaskKind, t: Int? = nil, copyLayout: CopyLayout = .paper, dataDirectory: String? = nil,
        permutationFile: String? = nil
    ) {
        self.kind = kind
        self.t = t ?? (kind == .copy ? 30 : kind == .adding ? 400 : kind == .nscifar10 ? 1000 : 784)
        self.copyLayout = copyLayout
        self.dataDirectory = dataDirectory
        self.permutationFile = permutationFile
    }

    /// Training sequences in one epoch of an image task (the split's training part); nil for the
    /// synthetic tasks, which draw fresh sequences.
    public var trainingExamples: Int? { kind == .nscifar10 ? 47_000 : kind.isImage ? 57_000 : nil }

    /// Steps in one pass over the training split at `batchSize` (the last partial batch dropped
    /// unless `keepPartialBatch`).
    public func epochSteps(batchSize: Int) -> Int? {
        let b = max(batchSize, 1)
        return trainingExamples.map { max(1, keepPartialBatch == true ? ($0 + b - 1) / b : $0 / b) }
    }

    public var inputSize: Int { kind == .copy ? 10 : kind == .adding ? 2 : kind == .nscifar10 ? 96 : 1 }
    public var outputSize: Int { kind == .adding ? 1 : 10 }
    public var readoutTiming: ReadoutTiming { kind == .copy ? .every : .last }

    /// L: steps per sequence.
    public var length: Int {
        switch kind {
        case .copy: return CopyTask(delay: t, layout: copyLayout).length
        case .adding: return t
        case .nscifar10: return NoisyCIFARTask.length
        default: return 784
        }
    }

    /// What a reader of this run's numbers must know about the task's construction.
    public var notes: [String] {
        guard kind == .copy, copyLayout == .script else { return [] }
        let task = CopyTask(delay: t, layout: copyLayout)
        guard task.delimiterOverwritesDigit else { return [] }
        return [
            "copy task in the authors' script layout with T'=\(t): the delimiter at index \(task.delimiterPosition) overwrites digit \(task.delimiterPosition + 1) of 10, as the script does (it has no paper T)"
        ]
    }

    /// The copy and adding tasks; image tasks need `loadTask` (they read files).
    public func makeTask() -> any SequenceTask {
        switch kind {
        case .copy: return CopyTask(delay: t, layout: copyLayout)
        case .adding: return AddingTask(length: t)
        default: preconditionFailure("image tasks are loaded with loadTask(seed:)")
        }
    }

    /// Any task; image tasks read and check their data set (exit 65/66 on failure).
    public func loadTask(seed: UInt64) throws -> any SequenceTask {
        guard kind.isImage else { return makeTask() }
        if kind == .nscifar10 {
            let (train, test) = try CIFAR10.load(dataDirectory: dataDirectory)
            return NoisyCIFARTask(train: train, test: test, seed: seed, freshNoise: freshNoise ?? false)
        }
        let (train, test) = try kind.collection.load(dataDirectory: dataDirectory)
        var permutation: [Int]? = nil
        if kind.isPermuted {
            let pixels = train.height * train.width
            if let permutationFile {
                permutation = try NpyIndices.readPermutation(permutationFile, count: pixels)
            } else {
                var stream = RandomStream(seed: seed, stream: 3)
                permutation = stream.permutation(pixels)
            }
        }
        return ImageSequenceTask(
            name: kind.rawValue, train: train, test: test, seed: seed, permutation: permutation,
            keepPartialBatch: keepPartialBatch == true)
    }
}
