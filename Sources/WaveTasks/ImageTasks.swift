import Foundation
import WaveKernels
import WaveCore
import WaveData

/// The shuffled order of an epoch, a function of (seed, epoch) alone, drawn once per epoch and
/// reused by that epoch's steps (training fills batches from one thread).
final class EpochOrder: @unchecked Sendable {
    private var epoch = -1
    private var order: [Int] = []

    func order(seed: UInt64, epoch: Int, count: Int) -> [Int] {
        if epoch != self.epoch || order.count != count {
            var shuffle = RandomStream(seed: seed, stream: 1000 + UInt64(epoch))
            order = shuffle.permutation(count)
            self.epoch = epoch
        }
        return order
    }
}

/// What every data-set task shares: the training images split by the seed into training and
/// validation, and epochs that visit the training part in a shuffled order depending only on
/// (seed, epoch), so a run stopped mid-epoch resumes with exactly the batches it would have seen.
public struct SplitSampler: Sendable {
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    let seed: UInt64
    /// Keep each epoch's last, partial batch (the authors' sMNIST loader) instead of dropping it.
    public let keepPartialBatch: Bool
    let epochOrder = EpochOrder()

    /// `validationSize` images (at most a tenth of them) held out of `count`.
    public init(count: Int, validationSize: Int, seed: UInt64, keepPartialBatch: Bool = false) {
        self.keepPartialBatch = keepPartialBatch
        var split = RandomStream(seed: seed, stream: 4)
        let order = split.permutation(count)
        let validation = min(validationSize, count / 10)
        trainIndices = Array(order[validation...])
        validationIndices = Array(order[..<validation])
        self.seed = seed
    }

    /// Batches per epoch: full ones, plus the last, partial one when it is kept.
    public func stepsPerEpoch(batchSize: Int) -> Int {
        max(1, keepPartialBatch ? (trainIndices.count + batchSize - 1) / batchSize : trainIndices.count / batchSize)
    }

    /// Images in training step `step`: `batchSize`, or what is left for an epoch's kept partial batch.
    public func rows(step: Int, batchSize: Int) -> Int {
        min(batchSize, trainIndices.count - (step % stepsPerEpoch(batchSize: batchSize)) * batchSize)
    }

    /// The training image for row `row` of training step `step`.
    func trainingIndex(step: Int, row: Int, batchSize: Int) -> Int {
        let perEpoch = stepsPerEpoch(batchSize: batchSize)
        let order = epochOrder.order(seed: seed, epoch: step / perEpoch, count: trainIndices.count)
        return trainIndices[order[(step % perEpoch) * batchSize + row]]
    }

    /// A training image drawn uniformly (used outside the epoch loop).
    func randomTrainingIndex(_ rng: inout RandomStream) -> Int { trainIndices[rng.int(below: trainIndices.count)] }

    /// `indices` in order, as batches of at most `batchSize`, each row written by `write(batch, row, index)`.
    static func batches(
        _ indices: [Int], batchSize: Int, make: (Int) -> SequenceBatch<Float>,
        write: (SequenceBatch<Float>, Int, Int) -> Void
    ) -> [SequenceBatch<Float>] {
        shardRanges(total: indices.count, parts: (indices.count + batchSize - 1) / batchSize).map { range in
            let batch = make(range.count)
            for (row, k) in range.enumerated() { write(batch, row, indices[k]) }
            return batch
        }
    }
}

/// Sequential image classification (spec 3.3): the pixels of each image, scaled to [0, 1], one
/// per step in raster order (or in one fixed permuted order), classified from the last state.
/// The 60,000 training images are split 57,000 / 3,000 into training and validation by the seed.
public struct ImageSequenceTask: SequenceTask {
    public let name: String
    public let train: ImageSet
    public let test: ImageSet
    public let sampler: SplitSampler
    /// Step t reads pixel permutation[t]; nil for raster order.
    public let permutation: [Int]?

    public static let validationSize = 3000

    public init(name: String, train: ImageSet, test: ImageSet, seed: UInt64, permutation: [Int]?, keepPartialBatch: Bool = false) {
        self.name = name
        self.train = train
        self.test = test
        sampler = SplitSampler(count: train.count, validationSize: Self.validationSize, seed: seed, keepPartialBatch: keepPartialBatch)
        self.permutation = permutation
    }

    public var trainIndices: [Int] { sampler.trainIndices }
    public var validationIndices: [Int] { sampler.validationIndices }
    public func stepsPerEpoch(batchSize: Int) -> Int? { sampler.stepsPerEpoch(batchSize: batchSize) }
    public var trainingExamples: Int? { sampler.trainIndices.count }
    public var testExamples: Int? { test.count }

    public func fill(_ batch: SequenceBatch<Float>, step: Int, batchSize: Int, rng: inout RandomStream) {
        for row in 0..<batch.batch {
            write(train, index: sampler.trainingIndex(step: step, row: row, batchSize: batchSize), into: batch, row: row)
        }
    }
    public func rows(step: Int, batchSize: Int) -> Int { sampler.rows(step: step, batchSize: batchSize) }

    public var length: Int { train.height * train.width }
    public var inputSize: Int { 1 }
    public var outputSize: Int { 10 }
    public var readoutTiming: ReadoutTiming { .last }

    /// The permutation a permuted run used, so it can be run again with --permutation.
    public var artefacts: [TaskArtefact] {
        guard let permutation else { return [] }
        return [TaskArtefact(name: "permutation.npy") { try NpyIndices.write(permutation, to: $0) }]
    }

    /// Writes image `index` of `set` as row `row` of `batch`.
    func write(_ set: ImageSet, index: Int, into batch: SequenceBatch<Float>, row: Int) {
        let x = batch.inputs.pointer, b = batch.batch, pixels = length
        let base = index * pixels
        if let permutation {
            for t in 0..<pixels { x[t * b + row] = Float(set.images[base + permutation[t]]) / 255 }
        } else {
            for t in 0..<pixels { x[t * b + row] = Float(set.images[base + t]) / 255 }
        }
        batch.classTargets![row] = Int32(set.labels[index])
    }

    /// Training sequences drawn uniformly from the training split (used outside the epoch loop).
    public func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        for row in 0..<batch.batch { write(train, index: sampler.randomTrainingIndex(&rng), into: batch, row: row) }
    }

    func batches(_ set: ImageSet, _ indices: [Int], batchSize: Int) -> [SequenceBatch<Float>] {
        SplitSampler.batches(
            indices, batchSize: batchSize, make: { makeBatch(count: $0) },
            write: { write(set, index: $2, into: $0, row: $1) })
    }

    /// The first `count` test images, in order.
    public func evaluationBatches(count: Int, batchSize: Int, seed: UInt64) -> [SequenceBatch<Float>] {
        batches(test, Array(0..<min(count, test.count)), batchSize: batchSize)
    }

    public func validationBatches(batchSize: Int, limit: Int?) -> [SequenceBatch<Float>]? {
        batches(train, Array(sampler.validationIndices.prefix(limit ?? Int.max)), batchSize: batchSize)
    }
}

/// What the sequential image tasks share (spec 3.3): one pixel per step, ten classes read at the
/// last step, 57,000 / 3,000 training and validation images, the paper's image recipe.
public protocol SequentialImageDescription: TaskDescription {
    static var collection: ImageCollection { get }
    static var permuted: Bool { get }
}

extension SequentialImageDescription {
    public static var help: String {
        (permuted ? "permuted " : "") + "sequential " + (collection == .mnist ? "MNIST" : "Fashion-MNIST")
    }
    public static var options: Set<TaskOption> { permuted ? [.dataDirectory, .permutation] : [.dataDirectory] }
    public static var defaultT: Int { 784 }
    public static var isDataSet: Bool { true }
    public static var modelRecipe: ModelRecipe { permuted ? .permutedClassification : .classification }

    public static func load(_ config: TaskConfig, seed: UInt64) throws -> any SequenceTask {
        let (train, test) = try collection.load(dataDirectory: config.dataDirectory)
        var permutation: [Int]? = nil
        if permuted {
            let pixels = train.height * train.width
            if let file = config.permutationFile {
                permutation = try NpyIndices.readPermutation(file, count: pixels)
            } else {
                var stream = RandomStream(seed: seed, stream: 3)
                permutation = stream.permutation(pixels)
            }
        }
        return ImageSequenceTask(
            name: name, train: train, test: test, seed: seed, permutation: permutation, keepPartialBatch: config.keepPartialBatch == true)
    }
    public static func length(_ config: TaskConfig) -> Int { 784 }
    public static func inputSize(_ config: TaskConfig) -> Int { 1 }
    public static func outputSize(_ config: TaskConfig) -> Int { 10 }
    public static func readoutTiming(_ config: TaskConfig) -> ReadoutTiming { .last }
    public static func trainingExamples(_ config: TaskConfig) -> Int? { 57_000 }
    public static func validationExamples(_ config: TaskConfig) -> Int { ImageSequenceTask.validationSize }
    /// Adam lr 1e-4, no clipping, batch 128, 120 epochs, the 10,000 test images.
    public static func recipe(_ config: TaskConfig) -> TaskRecipe {
        TaskRecipe(learningRate: 1e-4, clip: 0, batchSize: 128, epochs: 120, testSize: 10_000)
    }
    public static func summaryLine(_ config: TaskConfig) -> String {
        let data = collection == .mnist ? "MNIST" : "Fashion-MNIST"
        let order = permuted ? (config.permutationFile.map { "permuted by \($0)" } ?? "permuted (seeded)") : "raster order"
        return "\(name): sequential \(data), 784 steps of 1 pixel, \(order)"
    }
    public static func loss(_ config: TaskConfig, perBatchDivisor: Double) -> LossMeasure { .classes(10) }
    public static func resultStyle(_ config: TaskConfig) -> ResultStyle { .validationAccuracy }
    /// Their sMNIST loader keeps each epoch's last, partial batch (sMNIST/utils.py:21, no drop_last);
    /// the permuted one drops it (psMNIST/utils.py:24).
    public static var authors: AuthorsConventions { AuthorsConventions(keepsPartialBatch: !permuted) }
}

extension LossMeasure {
    /// Cross-entropy over `classes` classes, against chance (ln classes).
    public static func classes(_ classes: Int) -> LossMeasure {
        LossMeasure(
            label: "cross-entropy (log scale)", shortLabel: "cross-entropy (log)",
            unit: "Loss: cross-entropy on the test set in the charts; the table reports accuracy (%).",
            references: [(log(Double(classes)), "chance (ln \(classes))")])
    }
}

public enum SMNISTDescription: SequentialImageDescription {
    public static let name = "smnist"
    public static let collection = ImageCollection.mnist
    public static let permuted = false
}

public enum PSMNISTDescription: SequentialImageDescription {
    public static let name = "psmnist"
    public static let collection = ImageCollection.mnist
    public static let permuted = true
}

public enum SFMNISTDescription: SequentialImageDescription {
    public static let name = "sfmnist"
    public static let collection = ImageCollection.fashionMNIST
    public static let permuted = false
}

public enum PSFMNISTDescription: SequentialImageDescription {
    public static let name = "psfmnist"
    public static let collection = ImageCollection.fashionMNIST
    public static let permuted = true
}
