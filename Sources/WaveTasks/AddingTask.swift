import WaveKernels
import WaveCore

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

/// The adding task as the tool knows it (spec 3.2): T is the sequence length; solved at MSE 0.05.
public enum AddingTaskDescription: TaskDescription {
    public static let name = "adding"
    public static let help = "the sum of two marked numbers in a sequence of length T"
    public static let options: Set<TaskOption> = [.size, .epochSteps]
    public static let defaultT = 400
    public static let modelRecipe = ModelRecipe.longRegression

    public static func check(_ config: TaskConfig) throws {
        if config.t < 2 { throw WrnnError.usage("--length must be an integer >= 2 (got \(config.t))") }
        if config.t > SizeLimits.length { throw WrnnError.usage("--length must be in 2 ... \(SizeLimits.length) (got \(config.t))") }
    }

    public static func load(_ config: TaskConfig, seed: UInt64) throws -> any SequenceTask { AddingTask(length: config.t) }
    public static func length(_ config: TaskConfig) -> Int { config.t }
    public static func inputSize(_ config: TaskConfig) -> Int { 2 }
    public static func outputSize(_ config: TaskConfig) -> Int { 1 }
    public static func readoutTiming(_ config: TaskConfig) -> ReadoutTiming { .last }
    /// Adam lr 1e-3, clip 10, batch 128, 1,000 test sequences.
    public static func recipe(_ config: TaskConfig) -> TaskRecipe {
        TaskRecipe(learningRate: 1e-3, clip: 10, batchSize: 128, epochs: 0, testSize: 1000)
    }
    public static func summaryLine(_ config: TaskConfig) -> String { "adding task, length T=\(config.t)" }
    public static func tableLabel(_ config: TaskConfig) -> String { "adding T=\(config.t)" }
    public static var solvedThreshold: Double? { AddingTask.solvedThreshold }

    /// Mean squared error, against predicting the mean (1/6) and the solved line.
    public static func loss(_ config: TaskConfig, perBatchDivisor: Double) -> LossMeasure {
        LossMeasure(
            label: "mean squared error (log scale)", shortLabel: "MSE (log)",
            unit: "Loss: mean squared error on the test sequences, in the table and in the charts.",
            references: [(1.0 / 6, "predict the mean (1/6)"), (AddingTask.solvedThreshold, "solved (\(AddingTask.solvedThreshold))")])
    }
    public static func resultStyle(_ config: TaskConfig) -> ResultStyle { .solvedEarliest }
}
