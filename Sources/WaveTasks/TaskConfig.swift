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
        self.t = t ?? (kind == .copy ? 30 : kind == .adding ? 400 : kind == .nscifar10 ? 1000 : kind == .sequences ? 0 : 784)
        self.copyLayout = copyLayout
        self.dataDirectory = dataDirectory
        self.permutationFile = permutationFile
    }

    /// Training sequences in one epoch of an image task (the split's training part); nil for the
    /// synthetic tasks, which draw fresh sequences.
    public var trainingExamples: Int? {
        kind == .sequences ? data?.trainCount : kind == .nscifar10 ? 47_000 : kind.isImage ? 57_000 : nil
    }

    /// Steps in one pass over the training split at `batchSize` (the last partial batch dropped
    /// unless `keepPartialBatch`).
    public func epochSteps(batchSize: Int) -> Int? {
        let b = max(batchSize, 1)
        return trainingExamples.map { max(1, keepPartialBatch == true ? ($0 + b - 1) / b : $0 / b) }
    }

    public var inputSize: Int {
        kind == .sequences ? data?.inputSize ?? 1 : kind == .copy ? 10 : kind == .adding ? 2 : kind == .nscifar10 ? 96 : 1
    }
    public var outputSize: Int { kind == .sequences ? data?.outputSize ?? 1 : kind == .adding ? 1 : 10 }
    public var readoutTiming: ReadoutTiming { kind == .sequences ? data?.readout ?? .last : kind == .copy ? .every : .last }

    /// L: steps per sequence.
    public var length: Int {
        switch kind {
        case .copy: return CopyTask(delay: t, layout: copyLayout).length
        case .adding: return t
        case .nscifar10: return NoisyCIFARTask.length
        case .sequences: return data?.length ?? 1
        default: return 784
        }
    }

    /// Which of the paper's model presets a task takes (each model's description says what it
    /// sets for each): the copy task's, the adding task's, or sequence classification's (the image
    /// tasks; own sequences take it too, whatever their targets).
    public enum ModelRecipe: Sendable { case copy, adding, classification }
    public var modelRecipe: ModelRecipe {
        switch kind {
        case .copy: return .copy
        case .adding: return .adding
        case .smnist, .psmnist, .sfmnist, .psfmnist, .nscifar10, .sequences: return .classification
        }
    }

    /// Sequences held out of training for validation (0 for the synthetic tasks).
    public var validationExamples: Int {
        kind == .sequences ? data?.validationCount ?? 0 : kind.isImage ? ImageSequenceTask.validationSize : 0
    }

    /// The task's part of the training recipe, before a model's preset changes it: Adam's rate,
    /// clipping, batch, epochs (data sets) and the test set's size.
    public struct Recipe: Sendable {
        public var learningRate: Double, clip: Double, batchSize: Int, epochs: Int, testSize: Int
    }

    /// Copy and adding: lr 1e-3, clip 1 (copy) or 10 (adding), batch 128, 1,000 test sequences.
    /// Images: lr 1e-4, no clipping, batch 128 (256 for nscifar10), 120 epochs, 10,000 test images.
    /// Own sequences: lr 1e-3, clip 10, batch 128 (or the whole training split when smaller),
    /// 120 epochs, the whole test split.
    public var recipe: Recipe {
        switch kind {
        case .copy: return Recipe(learningRate: 1e-3, clip: 1, batchSize: 128, epochs: 0, testSize: 1000)
        case .adding: return Recipe(learningRate: 1e-3, clip: 10, batchSize: 128, epochs: 0, testSize: 1000)
        case .sequences:
            return Recipe(
                learningRate: 1e-3, clip: 10, batchSize: min(128, max(data?.trainCount ?? 128, 1)), epochs: 120,
                testSize: max(data?.testCount ?? 1, 1))
        case .nscifar10: return Recipe(learningRate: 1e-4, clip: 0, batchSize: 256, epochs: 120, testSize: 10_000)
        default: return Recipe(learningRate: 1e-4, clip: 0, batchSize: 128, epochs: 120, testSize: 10_000)
        }
    }

    /// What a reader of this run's numbers must know about the task's construction.
    public var notes: [String] {
        if kind == .sequences, let data {
            var notes: [String] = []
            let held = [data.validationHeldOut ? "validation" : nil, data.testHeldOut ? "test" : nil].compactMap { $0 }
            if !held.isEmpty {
                notes.append(
                    "\(held.joined(separator: " and ")) split\(held.count > 1 ? "s: a tenth of x_train each" : ": a tenth of x_train"), drawn by the seed (\(data.trainCount) train, \(data.validationCount) validation, \(data.testCount) test)"
                )
            }
            if data.padded > 0 {
                notes.append("\(data.padded) sequences padded (--mask-value \(maskValue ?? "")): their padding moved to the front as zeros")
            }
            if let labels = data.labels {
                notes.append("classes 0 ... \(labels.count - 1) are the labels \(labels.joined(separator: ", "))")
            }
            return notes
        }
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

    /// sequences: reads the file and records what it holds (`data`), which the model's shape
    /// follows; every other task has nothing to read here.
    public mutating func inspectData(seed: UInt64) throws {
        guard kind == .sequences else { return }
        keepPartialBatch = true
        data = try SequenceData.load(self, seed: seed).shape
    }

    /// Any task; image tasks and own sequences read and check their data set (exit 65/66 on failure).
    public func loadTask(seed: UInt64) throws -> any SequenceTask {
        if kind == .sequences {
            let loaded = try SequenceData.load(self, seed: seed)
            if let data, data.md5 != loaded.shape.md5 {
                throw WrnnError.data(
                    "\(dataFile ?? "the data file") changed since this run was configured (MD5 \(loaded.shape.md5), the run's \(data.md5)); restore it or start a new run"
                )
            }
            return SequencesTask(data: loaded, seed: seed)
        }
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
