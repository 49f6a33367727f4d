import Foundation
import WaveCore

/// What the training loop carries between steps besides weights, optimiser and data stream.
public struct LoopState: Codable, Equatable, Sendable {
    public var lossSinceLog = 0.0
    public var stepsSinceLog = 0
    public var lastFiniteLoss = Double.nan
    public var lastNorm = 0.0
    public var bestValidation: Double?
    public var testAtBest: Double?
    /// Regression with a validation split: the lowest validation loss and the test loss then.
    public var bestValidationLoss: Double?
    public var testLossAtBest: Double?
    /// Seconds of training before this process started (wall time continues across resumes).
    public var elapsed = 0.0
    /// Reduce-on-plateau: the current rate, the best monitored value and evaluations since it.
    public var plateauRate: Double?
    public var plateauBest: Double?
    public var plateauWaiting = 0
    /// The authors' ReduceLROnPlateau: evaluations left in its cool-down after a drop.
    public var plateauCooldown = 0
    /// The authors' protocol on copy and adding: the stream the fresh test sequences come from.
    public var testStream: RandomStream?
    /// The last evaluation, so that a resumed run that ends before evaluating again reports it.
    public var lastEvaluation: Evaluation?
    /// A stop request cut the evaluation of this step short: it is done first on --resume.
    public var evaluationDue: Bool?
    public init() {}

    enum CodingKeys: String, CodingKey {
        case lossSinceLog, stepsSinceLog, lastFiniteLoss, lastNorm, bestValidation, testAtBest, elapsed
        case plateauRate, plateauBest, plateauWaiting, plateauCooldown, testStream, lastEvaluation, evaluationDue
        case bestValidationLoss, testLossAtBest
    }
    // NaN is not JSON: store the last finite loss as nil until there is one
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lossSinceLog = try c.decode(Double.self, forKey: .lossSinceLog)
        stepsSinceLog = try c.decode(Int.self, forKey: .stepsSinceLog)
        lastFiniteLoss = try c.decodeIfPresent(Double.self, forKey: .lastFiniteLoss) ?? .nan
        lastNorm = try c.decode(Double.self, forKey: .lastNorm)
        bestValidation = try c.decodeIfPresent(Double.self, forKey: .bestValidation)
        testAtBest = try c.decodeIfPresent(Double.self, forKey: .testAtBest)
        bestValidationLoss = try c.decodeIfPresent(Double.self, forKey: .bestValidationLoss)
        testLossAtBest = try c.decodeIfPresent(Double.self, forKey: .testLossAtBest)
        elapsed = try c.decode(Double.self, forKey: .elapsed)
        plateauRate = try c.decodeIfPresent(Double.self, forKey: .plateauRate)
        plateauBest = try c.decodeIfPresent(Double.self, forKey: .plateauBest)
        plateauWaiting = try c.decodeIfPresent(Int.self, forKey: .plateauWaiting) ?? 0
        plateauCooldown = try c.decodeIfPresent(Int.self, forKey: .plateauCooldown) ?? 0
        testStream = try c.decodeIfPresent(RandomStream.self, forKey: .testStream)
        lastEvaluation = try c.decodeIfPresent(Evaluation.self, forKey: .lastEvaluation)
        evaluationDue = try c.decodeIfPresent(Bool.self, forKey: .evaluationDue)
        // counters the loop adds to: a file's value past any real run would overflow them
        for (key, count) in [
            (CodingKeys.stepsSinceLog, stepsSinceLog), (.plateauWaiting, plateauWaiting), (.plateauCooldown, plateauCooldown)
        ]
        where !(0...(1 << 40)).contains(count) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c, debugDescription: "\(key.stringValue) \(count) is outside 0 ... 2^40")
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lossSinceLog, forKey: .lossSinceLog)
        try c.encode(stepsSinceLog, forKey: .stepsSinceLog)
        if lastFiniteLoss.isFinite { try c.encode(lastFiniteLoss, forKey: .lastFiniteLoss) }
        try c.encode(lastNorm, forKey: .lastNorm)
        try c.encodeIfPresent(bestValidation, forKey: .bestValidation)
        try c.encodeIfPresent(testAtBest, forKey: .testAtBest)
        try c.encodeIfPresent(bestValidationLoss, forKey: .bestValidationLoss)
        try c.encodeIfPresent(testLossAtBest, forKey: .testLossAtBest)
        try c.encode(elapsed, forKey: .elapsed)
        try c.encodeIfPresent(plateauRate, forKey: .plateauRate)
        try c.encodeIfPresent(plateauBest, forKey: .plateauBest)
        try c.encode(plateauWaiting, forKey: .plateauWaiting)
        if plateauCooldown != 0 { try c.encode(plateauCooldown, forKey: .plateauCooldown) }
        try c.encodeIfPresent(testStream, forKey: .testStream)
        if let lastEvaluation, lastEvaluation.loss.isFinite { try c.encode(lastEvaluation, forKey: .lastEvaluation) }
        try c.encodeIfPresent(evaluationDue, forKey: .evaluationDue)
    }
}
