import WaveKernels
import WaveCore
import WaveData

/// Noisy sequential CIFAR-10 (spec 3.4): step r < 32 holds image row r as [32 red, 32 green,
/// 32 blue] in [0, 1]; steps 32 ..< 1000 hold Gaussian noise N(0, 1) in 96 dimensions. As in the
/// authors' code one noise block, drawn from the seed, follows every image (train and test);
/// `freshNoise` draws new noise for every training sequence instead. Split 47,000 / 3,000.
public struct NoisyCIFARTask: SequenceTask {
    public let train: ImageSet
    public let test: ImageSet
    public let sampler: SplitSampler
    /// [968, 96] noise block.
    public let noise: [Float]
    public let freshNoise: Bool
    public static let length = 1000
    public static let rows = 32
    public static let validationSize = 3000

    public init(train: ImageSet, test: ImageSet, seed: UInt64, freshNoise: Bool) {
        self.train = train
        self.test = test
        sampler = SplitSampler(count: train.count, validationSize: Self.validationSize, seed: seed)
        var noiseStream = RandomStream(seed: seed, stream: 5)
        noise = (0..<((Self.length - Self.rows) * 96)).map { _ in Float(noiseStream.normal()) }
        self.freshNoise = freshNoise
    }

    public var name: String { "nscifar10" }
    public var length: Int { Self.length }
    public var inputSize: Int { 96 }
    public var outputSize: Int { 10 }
    public var readoutTiming: ReadoutTiming { .last }

    func write(_ set: ImageSet, index: Int, into batch: SequenceBatch<Float>, row: Int, rng: inout RandomStream, fresh: Bool) {
        let x = batch.inputs.pointer, b = batch.batch
        let image = index * 3072
        for r in 0..<Self.rows {
            let step = x + (r * b + row) * 96
            for channel in 0..<3 {
                for column in 0..<32 { step[channel * 32 + column] = Float(set.images[image + channel * 1024 + r * 32 + column]) / 255 }
            }
        }
        for t in Self.rows..<Self.length {
            let step = x + (t * b + row) * 96
            for j in 0..<96 { step[j] = fresh ? Float(rng.normal()) : noise[(t - Self.rows) * 96 + j] }
        }
        batch.classTargets![row] = Int32(set.labels[index])
    }

    public var trainIndices: [Int] { sampler.trainIndices }
    public var validationIndices: [Int] { sampler.validationIndices }
    public func stepsPerEpoch(batchSize: Int) -> Int? { sampler.stepsPerEpoch(batchSize: batchSize) }
    public var trainingExamples: Int? { sampler.trainIndices.count }
    public var testExamples: Int? { test.count }

    /// The fixed noise block every sequence carries, unless the noise is fresh.
    public var artefacts: [TaskArtefact] {
        guard !freshNoise else { return [] }
        let noise = self.noise
        return [TaskArtefact(name: "noise.npy") { try Npy.write(noise, shape: [Self.length - Self.rows, 96], to: $0) }]
    }

    public func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        for row in 0..<batch.batch {
            write(train, index: sampler.randomTrainingIndex(&rng), into: batch, row: row, rng: &rng, fresh: freshNoise)
        }
    }

    public func fill(_ batch: SequenceBatch<Float>, step: Int, batchSize: Int, rng: inout RandomStream) {
        for row in 0..<batch.batch {
            write(
                train, index: sampler.trainingIndex(step: step, row: row, batchSize: batchSize), into: batch, row: row,
                rng: &rng, fresh: freshNoise)
        }
    }

    func batches(_ set: ImageSet, _ indices: [Int], batchSize: Int) -> [SequenceBatch<Float>] {
        var unused = RandomStream(seed: 0)
        return SplitSampler.batches(
            indices, batchSize: batchSize, make: { makeBatch(count: $0) },
            write: { write(set, index: $2, into: $0, row: $1, rng: &unused, fresh: false) })
    }

    public func evaluationBatches(count: Int, batchSize: Int, seed: UInt64) -> [SequenceBatch<Float>] {
        batches(test, Array(0..<min(count, test.count)), batchSize: batchSize)
    }

    public func validationBatches(batchSize: Int, limit: Int?) -> [SequenceBatch<Float>]? {
        batches(train, Array(sampler.validationIndices.prefix(limit ?? Int.max)), batchSize: batchSize)
    }
}

/// Noisy sequential CIFAR-10 as the tool knows it (spec 3.4): 1,000 steps of 96 values.
public enum NoisyCIFARDescription: TaskDescription {
    public static let name = "nscifar10"
    public static let help = "noisy sequential CIFAR-10"
    public static let options: Set<TaskOption> = [.dataDirectory, .freshNoise]
    public static let defaultT = 1000
    public static let isDataSet = true
    public static let modelRecipe = ModelRecipe.noisyClassification

    public static func load(_ config: TaskConfig, seed: UInt64) throws -> any SequenceTask {
        let (train, test) = try CIFAR10.load(dataDirectory: config.dataDirectory)
        return NoisyCIFARTask(train: train, test: test, seed: seed, freshNoise: config.freshNoise ?? false)
    }
    public static func length(_ config: TaskConfig) -> Int { NoisyCIFARTask.length }
    public static func inputSize(_ config: TaskConfig) -> Int { 96 }
    public static func outputSize(_ config: TaskConfig) -> Int { 10 }
    public static func readoutTiming(_ config: TaskConfig) -> ReadoutTiming { .last }
    public static func trainingExamples(_ config: TaskConfig) -> Int? { 47_000 }
    public static func validationExamples(_ config: TaskConfig) -> Int { NoisyCIFARTask.validationSize }
    /// Adam lr 1e-4, no clipping, batch 256, 120 epochs, the 10,000 test images.
    public static func recipe(_ config: TaskConfig) -> TaskRecipe {
        TaskRecipe(learningRate: 1e-4, clip: 0, batchSize: 256, epochs: 120, testSize: 10_000)
    }
    public static func summaryLine(_ config: TaskConfig) -> String {
        "nscifar10: 32 rows of 96 values (R, G, B) then 968 steps of \(config.freshNoise == true ? "fresh" : "one fixed") Gaussian noise, 1000 steps"
    }
    public static func loss(_ config: TaskConfig, perBatchDivisor: Double) -> LossMeasure { .classes(10) }
    public static func resultStyle(_ config: TaskConfig) -> ResultStyle { .validationAccuracy }
}
