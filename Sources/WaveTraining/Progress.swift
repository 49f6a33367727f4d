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
public final class Progress: @unchecked Sendable {
    let interactive: Bool
    let quiet: Bool
    let prefix: String
    let start = Date()
    var lastDraw = Date.distantPast
    var drawn = false

    public init(prefix: String = "", quiet: Bool = false, interactive: Bool? = nil) {
        self.prefix = prefix
        self.quiet = quiet
        self.interactive = interactive ?? (isatty(STDOUT_FILENO) == 1)
    }

    public func update(step: Int, of total: Int, loss: Double) {
        guard interactive, !quiet else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.25 else { return }
        lastDraw = now
        let rate = Double(step) / max(now.timeIntervalSince(start), 1e-9)
        let eta = Double(total - step) / max(rate, 1e-9)
        let line =
            "\(prefix)step \(step)/\(total)  loss \(formatLoss(loss))  \(String(format: "%.1f", rate)) steps/s  ETA \(formatDuration(eta))"
        writeStandard(("\r\u{1B}[2K" + line))
        drawn = true
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
