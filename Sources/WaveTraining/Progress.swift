import Foundation
import WaveTasks
import WaveCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints evaluation lines always, and on a terminal also a live progress line
/// (step, loss, steps/s, ETA) that the next evaluation line replaces.
///
/// The ETA is honest about evaluations: the step rate is measured over training time alone (the
/// evaluations' time taken out, and only the steps this process trained counted, so a resumed run's
/// rate is its own), and the evaluations still to come are added at the mean time one has taken.
public final class Progress: @unchecked Sendable {
    let interactive: Bool
    let quiet: Bool
    let prefix: String
    public let start = Date()
    var lastDraw = Date.distantPast
    var drawn = false
    /// The first step this process trained from, and the seconds its evaluations took.
    var firstStep: Int?
    var evaluationSeconds = 0.0
    var evaluations = 0
    /// Evaluations still to come after a step (set by the trainer).
    public var evaluationsRemaining: ((Int) -> Int)?

    public init(prefix: String = "", quiet: Bool = false, interactive: Bool? = nil) {
        self.prefix = prefix
        self.quiet = quiet
        self.interactive = interactive ?? (isatty(STDOUT_FILENO) == 1)
    }

    public func update(step: Int, of total: Int, loss: Double) {
        if firstStep == nil { firstStep = step - 1 }
        guard interactive, !quiet else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.25 else { return }
        lastDraw = now
        let eta = estimate(step: step, of: total, now: now)
        let rate = self.rate(step: step, now: now)
        let line =
            "\(prefix)step \(step)/\(total)  loss \(formatLoss(loss))  \(String(format: "%.1f", rate)) steps/s  ETA \(formatDuration(eta))"
        writeStandard(("\r\u{1B}[2K" + line))
        drawn = true
    }

    /// Steps per second of training alone since this process began training.
    func rate(step: Int, now: Date) -> Double {
        let trained = Double(step - (firstStep ?? step))
        return trained / max(now.timeIntervalSince(start) - evaluationSeconds, 1e-9)
    }

    /// Seconds to the end: the steps left at the training rate, plus the evaluations left at the mean
    /// time one took.
    public func estimate(step: Int, of total: Int, now: Date = Date()) -> Double {
        let rate = self.rate(step: step, now: now)
        let perEvaluation = evaluations > 0 ? evaluationSeconds / Double(evaluations) : 0
        let left = Double(evaluationsRemaining?(step) ?? 0)
        return Double(total - step) / max(rate, 1e-9) + left * perEvaluation
    }

    /// An evaluation took `seconds` (its time is left out of the step rate).
    public func evaluated(step: Int, seconds: Double) {
        evaluationSeconds += seconds
        evaluations += 1
    }

    public func logEvaluation(_ m: MetricsRecord, task: any SequenceTask, totalSteps: Int) {
        guard !quiet else { return }
        var parts = ["\(prefix)step \(m.step)/\(totalSteps)"]
        if let train = m.trainLoss { parts.append("train \(formatLoss(train))") }
        parts.append("\(task.lossLabel) \(formatLoss(m.testLoss))")
        if task.solvedThreshold != nil { parts.append("solved at \(m.solvedAt.map(String.init) ?? "-")") }
        if let perBatch = m.testLossPerBatch { parts.append("(/50 \(formatLoss(perBatch)))") }
        if let recall = m.recallAccuracy { parts.append("recall \(String(format: "%.1f%%", recall * 100))") }
        if let accuracy = m.accuracy { parts.append("test acc \(String(format: "%.2f%%", accuracy * 100))") }
        if let accuracy = m.validationAccuracy { parts.append("val acc \(String(format: "%.2f%%", accuracy * 100))") }
        if m.step > 0 { parts.append("\(String(format: "%.1f", Double(m.step) / max(m.wallTime, 1e-9))) steps/s") }
        emit(parts.joined(separator: "  "))
    }

    public func emit(_ line: String) {
        let clear = drawn ? "\r\u{1B}[2K" : ""
        drawn = false
        writeStandard((clear + line + "\n"))
    }

    public func finish() {
        if drawn { writeStandard("\r\u{1B}[2K"); drawn = false }
    }
}

public func formatLoss(_ x: Double) -> String {
    if !x.isFinite { return "\(x)" }
    return abs(x) >= 0.01 || x == 0 ? String(format: "%.4f", x) : String(format: "%.3e", x)
}

public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "-" }
    let s = Int(seconds.rounded())
    return String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
}
