import WaveCore
import WaveData
import WaveModels

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

/// Sequential image classification (spec 3.3): the pixels of each image, scaled to [0, 1], one
/// per step in raster order (or in one fixed permuted order), classified from the last state.
/// The 60,000 training images are split 57,000 / 3,000 into training and validation by the seed.
public struct ImageSequenceTask: SequenceTask {
    public let name: String
    public let train: ImageSet
    public let test: ImageSet
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    /// Step t reads pixel permutation[t]; nil for raster order.
    public let permutation: [Int]?
    /// Seeds each epoch's shuffle.
    let seed: UInt64
    let epochOrder = EpochOrder()

    public static let validationSize = 3000

    public init(name: String, train: ImageSet, test: ImageSet, seed: UInt64, permutation: [Int]?) {
        self.name = name
        self.train = train
        self.test = test
        var split = RandomStream(seed: seed, stream: 4)
        let order = split.permutation(train.count)
        let validation = min(Self.validationSize, train.count / 10)
        trainIndices = Array(order[validation...])
        validationIndices = Array(order[..<validation])
        self.permutation = permutation
        self.seed = seed
    }

    /// Full batches per epoch (the last, partial batch of an epoch is dropped).
    public func stepsPerEpoch(batchSize: Int) -> Int { max(1, trainIndices.count / batchSize) }

    /// Epoch e visits the training split in a shuffled order that depends only on (seed, e), so a
    /// run stopped mid-epoch resumes with exactly the batches it would have seen.
    public func fill(_ batch: SequenceBatch<Float>, step: Int, rng: inout RandomStream) {
        let perEpoch = stepsPerEpoch(batchSize: batch.batch)
        let epoch = step / perEpoch, position = step % perEpoch
        let order = epochOrder.order(seed: seed, epoch: epoch, count: trainIndices.count)
        for row in 0..<batch.batch {
            write(train, index: trainIndices[order[position * batch.batch + row]], into: batch, row: row)
        }
    }

    public var length: Int { train.height * train.width }
    public var inputSize: Int { 1 }
    public var outputSize: Int { 10 }
    public var readoutTiming: ReadoutTiming { .last }

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
        for row in 0..<batch.batch { write(train, index: trainIndices[rng.int(below: trainIndices.count)], into: batch, row: row) }
    }

    func batches(_ set: ImageSet, _ indices: [Int], batchSize: Int) -> [SequenceBatch<Float>] {
        shardRanges(total: indices.count, parts: (indices.count + batchSize - 1) / batchSize).map { range in
            let batch = makeBatch(count: range.count)
            for (row, k) in range.enumerated() { write(set, index: indices[k], into: batch, row: row) }
            return batch
        }
    }

    /// The first `count` test images, in order.
    public func evaluationBatches(count: Int, batchSize: Int, seed: UInt64) -> [SequenceBatch<Float>] {
        batches(test, Array(0..<min(count, test.count)), batchSize: batchSize)
    }

    public func validationBatches(batchSize: Int) -> [SequenceBatch<Float>]? {
        batches(train, validationIndices, batchSize: batchSize)
    }
}
