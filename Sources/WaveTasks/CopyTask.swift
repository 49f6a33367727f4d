import Foundation
import WaveKernels
import WaveCore

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

/// The copy task as the tool knows it (spec 3.1): T is the delay; its loss is reported as the
/// authors' figure, cross-entropy / 50.
public enum CopyTaskDescription: TaskDescription {
    public static let name = "copy"
    public static let help = "recall ten digits after a delay T"
    public static let options: Set<TaskOption> = [.size, .copyLayout, .epochSteps]
    public static let defaultT = 30
    public static let modelRecipe = ModelRecipe.tokenRecall

    public static func check(_ config: TaskConfig) throws {
        let t = config.t
        if config.copyLayout == .script, t < 1 {
            throw WrnnError.usage("--delay with --copy-layout script is the authors' T' and must be an integer >= 1 (got \(t))")
        }
        if t < 0 { throw WrnnError.usage("--delay must be a non-negative integer (got \(t))") }
        if t > SizeLimits.length { throw WrnnError.usage("--delay must be in 0 ... \(SizeLimits.length) (got \(t))") }
    }

    static func task(_ config: TaskConfig) -> CopyTask { CopyTask(delay: config.t, layout: config.copyLayout) }
    public static func load(_ config: TaskConfig, seed: UInt64) throws -> any SequenceTask { task(config) }
    public static func length(_ config: TaskConfig) -> Int { task(config).length }
    public static func inputSize(_ config: TaskConfig) -> Int { 10 }
    public static func outputSize(_ config: TaskConfig) -> Int { 10 }
    public static func readoutTiming(_ config: TaskConfig) -> ReadoutTiming { .every }
    public static func inputCategories(_ config: TaskConfig) -> Int? { 10 }
    /// Adam lr 1e-3, clip 1, batch 128, 1,000 test sequences.
    public static func recipe(_ config: TaskConfig) -> TaskRecipe {
        TaskRecipe(learningRate: 1e-3, clip: 1, batchSize: 128, epochs: 0, testSize: 1000)
    }

    public static func summaryLine(_ config: TaskConfig) -> String {
        let t = config.t, task = task(config)
        if config.copyLayout == .script {
            let paperT = t - 20 >= 0 ? "paper T=\(t - 20)" : "no paper T"
            var text = "copy task, authors' script T'=\(t) (length \(task.length), delimiter at \(task.delimiterPosition); \(paperT))"
            if task.delimiterOverwritesDigit {
                text += "; the delimiter overwrites digit \(task.delimiterPosition + 1) of 10, as the script does"
            }
            return text
        }
        return "copy task, delay T=\(t) (length \(task.length), \(config.copyLayout.rawValue) layout)"
    }

    public static func tableLabel(_ config: TaskConfig) -> String {
        let t = config.t
        switch config.copyLayout {
        case .paper: return "copy T=\(t)"
        case .code: return "copy T=\(t) (authors' layout)"
        case .script: return "copy T'=\(t) (authors' script" + (t >= 20 ? ", paper T=\(t - 20))" : ", no paper T)")
        }
    }

    public static func notes(_ config: TaskConfig) -> [String] {
        let task = task(config)
        guard config.copyLayout == .script, task.delimiterOverwritesDigit else { return [] }
        return [
            "copy task in the authors' script layout with T'=\(config.t): the delimiter at index \(task.delimiterPosition) overwrites digit \(task.delimiterPosition + 1) of 10, as the script does (it has no paper T)"
        ]
    }

    /// The mean cross-entropy divided by 50, the authors' test figure; against it the loss of a
    /// model with no memory: every blank right, each recalled digit a guess among eight, 10 ln 8 / L per step.
    public static func loss(_ config: TaskConfig, perBatchDivisor: Double) -> LossMeasure {
        let length = length(config)
        return LossMeasure(
            scale: 1 / perBatchDivisor, label: "cross-entropy / 50, the authors' test figure (log scale)",
            shortLabel: "cross-entropy / 50 (log)",
            unit: "Loss: the authors' test figure, cross-entropy / 50, in the table and in the charts.",
            references: [(10 * log(8.0) / Double(length) / perBatchDivisor, "no memory (10 ln 8 / \(length))")])
    }

    public static func resultStyle(_ config: TaskConfig) -> ResultStyle { .copyLoss }
    /// The copy script: a fresh test batch of 50 (copy/copy_task.py:37, 100), the mean CE / batch
    /// backpropagated (:126-128), no log at i = 0 (:135).
    public static let authors = AuthorsConventions(testSize: CopyTask.authorsTestBatch, gradientPerBatch: true, skipsFirstLog: true)
}
