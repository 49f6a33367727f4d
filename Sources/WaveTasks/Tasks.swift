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
    /// A validation set held out of training, when the task has one.
    func validationBatches(batchSize: Int) -> [SequenceBatch<Float>]?

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

    public func validationBatches(batchSize: Int) -> [SequenceBatch<Float>]? { nil }
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

/// Where the copy task puts its delimiter and recall targets.
public enum CopyLayout: String, Codable, CaseIterable, Sendable {
    /// The paper's text: length T + 20, delimiter 9 at T + 10, recall at T + 10 ... T + 19.
    case paper
    /// The authors' code with T' = T + 20: length T + 30, delimiter at T + 19, recall at T + 20 ... T + 29.
    case code
    /// The authors' script with its own argument: T is the script's T' (>= 1): length T' + 10, digits at
    /// 0 ... 9, delimiter at T' - 1, recall at T' ... T' + 9 of the digits as they stand after the
    /// delimiter is written. For T' < 10 the delimiter overwrites a digit (T' = 10: the tenth), exactly
    /// as the script does; such points have no paper T (T = T' - 20 < 0).
    case script
}

/// Copy task (spec 3.1): ten digits in {1..8}, a blank delay, a delimiter 9, then the
/// model must output the ten digits in order. One-hot inputs (blank = token 0), cross-entropy
/// at every step against target token 0 everywhere but the ten recall positions.
public struct CopyTask: SequenceTask {
    public let delay: Int
    public let layout: CopyLayout
    public static let digits = 10
    /// The authors' copy script's `batch_test`: its test loss is the mean CE over this many fresh
    /// sequences divided by this number.
    public static let authorsTestBatch = 50
    public init(delay: Int, layout: CopyLayout = .paper) { self.delay = delay; self.layout = layout }

    public var name: String { "copy" }
    public var length: Int {
        switch layout {
        case .paper: delay + 20;
        case .code: delay + 30;
        case .script: delay + 10
        }
    }
    public var inputSize: Int { 10 }
    public var outputSize: Int { 10 }
    public var readoutTiming: ReadoutTiming { .every }
    /// Blank (0), the digits 1 ... 8 and the delimiter 9, one-hot.
    public var inputCategories: Int? { 10 }
    public var delimiterPosition: Int {
        switch layout {
        case .paper: delay + 10;
        case .code: delay + 19;
        case .script: delay - 1
        }
    }
    /// The ten steps at which the digits must be recalled (the last ten steps in the authors' layouts).
    public var recallPositions: Range<Int> { layout == .paper ? (delay + 10)..<(delay + 20) : (length - 10)..<length }
    /// The script layout with T' <= 10: the delimiter lands on one of the ten digits.
    public var delimiterOverwritesDigit: Bool { delimiterPosition < Self.digits }

    /// Token per position for one sequence with the given digits: (inputs, targets).
    public func tokens(digits: [Int]) -> (inputs: [Int], targets: [Int]) {
        var inputs = [Int](repeating: 0, count: length), targets = inputs
        for i in 0..<Self.digits { inputs[i] = digits[i] }
        inputs[delimiterPosition] = 9
        // the script copies the targets from its input row after writing the delimiter
        for (i, p) in recallPositions.enumerated() { targets[p] = inputs[i] }
        return (inputs, targets)
    }

    public func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        let b = batch.batch, x = batch.inputs.pointer, y = batch.classTargets!.pointer
        x.update(repeating: 0, count: batch.inputs.count)
        for s in 0..<b {
            let digits = (0..<Self.digits).map { _ in 1 + rng.int(below: 8) }
            let (inputs, targets) = tokens(digits: digits)
            for t in 0..<length {
                x[(t * b + s) * 10 + inputs[t]] = 1
                y[t * b + s] = Int32(targets[t])
            }
        }
    }

    public var reportsLossPerBatch: Bool { true }

    /// Fraction of recall steps whose most likely output is the right digit.
    public func recallAccuracy(outputs: (_ step: Int, _ row: Int) -> UnsafePointer<Float>, batch: SequenceBatch<Float>) -> Double? {
        var correct = 0
        for s in 0..<batch.batch {
            for p in recallPositions {
                let z = outputs(p, s)
                var best = 0
                for j in 1..<outputSize where z[j] > z[best] { best = j }
                if Int32(best) == batch.classTargets![p * batch.batch + s] { correct += 1 }
            }
        }
        return Double(correct) / Double(batch.batch * Self.digits)
    }
}

/// Adding task (spec 3.2): input d = 2, first channel uniform [0, 1), second channel marks one
/// index in [0, T/2) and one in [T/2, T); the target is the sum of the two marked values,
/// read from the last state with MSE loss.
public struct AddingTask: SequenceTask {
    public let length: Int
    /// MSE at or below which the task counts as solved (predicting the mean scores about 0.167).
    public static let solvedThreshold = 0.05
    public init(length: Int) { self.length = length }
    public var solvedThreshold: Double? { Self.solvedThreshold }
    public var lossLabel: String { "test MSE" }

    public var name: String { "adding" }
    public var inputSize: Int { 2 }
    public var outputSize: Int { 1 }
    public var readoutTiming: ReadoutTiming { .last }

    public func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        let b = batch.batch, x = batch.inputs.pointer, y = batch.valueTargets!.pointer
        let half = length / 2
        for s in 0..<b {
            for t in 0..<length {
                x[(t * b + s) * 2] = Float(rng.uniform())
                x[(t * b + s) * 2 + 1] = 0
            }
            let first = rng.int(below: half)
            let second = half + rng.int(below: length - half)
            x[(first * b + s) * 2 + 1] = 1
            x[(second * b + s) * 2 + 1] = 1
            y[s] = x[(first * b + s) * 2] + x[(second * b + s) * 2]
        }
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
