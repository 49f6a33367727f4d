import WaveKernels
import WaveCore

/// A synthetic sequence task: draws batches from a seeded stream and scores outputs.
public protocol SequenceTask: Sendable {
    var name: String { get }
    /// L: steps per sequence.
    var length: Int { get }
    /// d: input size per step.
    var inputSize: Int { get }
    var outputSize: Int { get }
    var readoutTiming: ReadoutTiming { get }
    /// Allocates a batch of `count` sequences shaped for this task.
    func makeBatch(count: Int) -> SequenceBatch<Float>
    /// Overwrites every sequence of `batch` with fresh draws from `rng`.
    func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream)
    /// The batch for training step `step` (0-based) of epochs made of `batchSize`-sequence batches:
    /// data sets walk shuffled epochs, synthetic tasks draw fresh sequences. `batch` holds
    /// `rows(step:batchSize:)` sequences.
    func fill(_ batch: SequenceBatch<Float>, step: Int, batchSize: Int, rng: inout RandomStream)
    /// Sequences in training step `step`: `batchSize`, or fewer for an epoch's last, partial batch.
    func rows(step: Int, batchSize: Int) -> Int
    /// The fixed test set: `count` sequences in batches of at most `batchSize`.
    func evaluationBatches(count: Int, batchSize: Int, seed: UInt64) -> [SequenceBatch<Float>]
    /// The first `limit` sequences (all when nil) of the validation set held out of training, when
    /// the task has one. The split itself never changes with `limit`: training sees the same data.
    func validationBatches(batchSize: Int, limit: Int?) -> [SequenceBatch<Float>]?

    /// Full batches in one pass over the training data; nil for tasks that draw fresh sequences.
    func stepsPerEpoch(batchSize: Int) -> Int?
    /// Sequences in the training split; nil for tasks that draw fresh sequences.
    var trainingExamples: Int? { get }
    /// Sequences in the fixed test set of a data set; nil when the test set is drawn.
    var testExamples: Int? { get }
    /// What the test loss is called in logs ("test MSE" for the adding task).
    var lossLabel: String { get }
    /// Test loss at or below which the task counts as solved; the first such step is `solved_at`.
    var solvedThreshold: Double? { get }
    /// Whether the loss is also reported as the authors' copy script reports it (mean CE / 50, their batch_test).
    var reportsLossPerBatch: Bool { get }
    /// Fraction of recall positions answered right, for tasks that have them (copy); nil otherwise.
    func recallAccuracy(outputs: (_ step: Int, _ row: Int) -> UnsafePointer<Float>, batch: SequenceBatch<Float>) -> Double?
    /// Files a run saves so that it can be reproduced elsewhere (a permutation, a noise block).
    var artefacts: [TaskArtefact] { get }
    /// When every input step is one token of this many (one-hot, like the copy task's digits): the
    /// memory probe then scores a readout of the input k steps back by its accuracy at naming the
    /// token. nil for real-valued inputs (pixels, the adding task's numbers), scored by R².
    var inputCategories: Int? { get }
    /// Which outputs test accuracy scores: the last step's class (a class per sequence), every
    /// step's (a class per step; -1 marks a step not scored), or none (regression; the copy task's
    /// recall is its own measure).
    var classAccuracy: ClassAccuracy { get }
}

/// Which outputs a task's accuracy scores.
public enum ClassAccuracy: Sendable { case none, lastStep, everyStep }

/// One file a task saves beside a run: its name and how to write it.
public struct TaskArtefact: Sendable {
    public let name: String
    public let write: @Sendable (_ path: String) throws -> Void
    public init(name: String, write: @escaping @Sendable (_ path: String) throws -> Void) { self.name = name; self.write = write }
}

extension SequenceTask {
    /// Synthetic tasks draw their test set from the seed's own test stream.
    public func evaluationBatches(count: Int, batchSize: Int, seed: UInt64) -> [SequenceBatch<Float>] {
        var testStream = RandomStream(seed: seed, stream: 2)
        return shardRanges(total: count, parts: (count + batchSize - 1) / batchSize).map { range in
            let batch = makeBatch(count: range.count)
            fill(batch, rng: &testStream)
            return batch
        }
    }

    public func validationBatches(batchSize: Int, limit: Int?) -> [SequenceBatch<Float>]? { nil }
    public func stepsPerEpoch(batchSize: Int) -> Int? { nil }
    public var trainingExamples: Int? { nil }
    public var testExamples: Int? { nil }
    public var lossLabel: String { "test" }
    public var solvedThreshold: Double? { nil }
    public var reportsLossPerBatch: Bool { false }
    public func recallAccuracy(outputs: (_ step: Int, _ row: Int) -> UnsafePointer<Float>, batch: SequenceBatch<Float>) -> Double? { nil }
    public var artefacts: [TaskArtefact] { [] }
    public var inputCategories: Int? { nil }
    public var classAccuracy: ClassAccuracy { readoutTiming == .last && outputSize > 1 ? .lastStep : .none }

    public func fill(_ batch: SequenceBatch<Float>, step: Int, batchSize: Int, rng: inout RandomStream) { fill(batch, rng: &rng) }
    public func rows(step: Int, batchSize: Int) -> Int { batchSize }

    public func makeBatch(count: Int) -> SequenceBatch<Float> {
        let classes = outputSize > 1
        let steps = readoutTiming == .every ? length : 1
        return SequenceBatch(
            length: length, batch: count, inputSize: inputSize,
            classTargets: classes ? steps * count : nil,
            valueTargets: classes ? nil : count * outputSize)
    }
}

/// Random inputs in [0, 1) and random class labels read from the last state: the shapes of a
/// sequential classification task without its data, for benchmarks.
public struct RandomClassificationTask: SequenceTask {
    public let length: Int
    public let inputSize: Int
    public let outputSize: Int
    public init(length: Int, inputSize: Int, classes: Int) { self.length = length; self.inputSize = inputSize; outputSize = classes }
    public var name: String { "random-classification" }
    public var readoutTiming: ReadoutTiming { .last }

    public func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        for j in 0..<batch.inputs.count { batch.inputs[j] = Float(rng.uniform()) }
        for row in 0..<batch.batch { batch.classTargets![row] = Int32(rng.int(below: outputSize)) }
    }
}

/// Batches given in advance, one per training step (a test fixture's, or another framework's), with
/// the shapes and epoch length of the task they came from: training on it takes exactly those steps.
public struct ReplayTask: SequenceTask {
    public let name: String
    public let length: Int
    public let inputSize: Int
    public let outputSize: Int
    public let readoutTiming: ReadoutTiming
    /// Per step: inputs [L, B, d] and targets ([L, B] or [B] classes, or [B, out] values).
    public let steps: [(inputs: [Float], targets: [Float])]
    let epochSteps: Int?

    public init(
        name: String, length: Int, inputSize: Int, outputSize: Int, readoutTiming: ReadoutTiming,
        steps: [(inputs: [Float], targets: [Float])], epochSteps: Int?
    ) {
        self.name = name
        self.length = length
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.readoutTiming = readoutTiming
        self.steps = steps
        self.epochSteps = epochSteps
    }

    public func stepsPerEpoch(batchSize: Int) -> Int? { epochSteps }

    public func fill(_ batch: SequenceBatch<Float>, step: Int, batchSize: Int, rng: inout RandomStream) {
        let (inputs, targets) = steps[step % steps.count]
        precondition(inputs.count == batch.inputs.count, "replayed batch \(step) has \(inputs.count) inputs for \(batch.inputs.count)")
        batch.inputs.pointer.update(from: inputs, count: inputs.count)
        if let classes = batch.classTargets {
            for j in 0..<classes.count { classes[j] = Int32(targets[j]) }
        } else if let values = batch.valueTargets {
            values.pointer.update(from: targets, count: values.count)
        }
    }

    /// Outside the replayed steps (test batches) there is nothing to replay: zeros, targets 0.
    public func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        batch.inputs.pointer.update(repeating: 0, count: batch.inputs.count)
        if let classes = batch.classTargets { classes.pointer.update(repeating: 0, count: classes.count) }
        if let values = batch.valueTargets { values.pointer.update(repeating: 0, count: values.count) }
    }
}
