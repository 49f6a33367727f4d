import Foundation
import WaveModels
import WaveTasks

extension ModelConfig {
    /// e.g. "wRNN n=100 c=6 f=3 relu, u shift, V sparse, linear readout at every step"
    public var summaryLine: String {
        if !kind.isRecurrent {
            let mlpText = readout == .mlp ? "an MLP readout (\(ringSize) -> \(mlpHidden) -> relu -> \(outputSize))" : "a linear readout"
            return "\(displayName) \(cellSummary), into \(mlpText)"
        }
        // the path bf16 products take here; where none run (reading a bf16 run elsewhere) fp32 does
        let products = precision == .bf16 ? ", bf16 products (\(kind.model.bf16Engine.products ?? "none on this CPU: fp32 here"))" : ""
        var text =
            "\(displayName) \(cellSummary)\(products), \(readout.rawValue) readout at \(readoutTiming == .every ? "every step" : "the last step")"
        if freezeRecurrent { text += ", recurrence frozen" }
        if freezeEncoder { text += ", encoder frozen" }
        return text
    }

    /// The parameter count as spec 2.5's formula, term by term: recurrence, then input, then the rest.
    public var parameterBreakdown: String {
        let layout = ParameterLayout(self)
        let readoutCount = layout.tensors.filter { [.readoutWeight, .readoutBias, .mlpWeight, .mlpBias].contains($0.role) }
            .reduce(0) { $0 + $1.count }
        let readoutTerm = "\(readout == .mlp ? "MLP readout" : "readout") \(grouped(readoutCount))"
        let order: [ParameterRole] = [.recurrentWeight, .recurrentBias, .encoderWeight, .encoderBias, .cellWeight, .cellBias]
        let cell = cellParameters.sorted { order.firstIndex(of: $0.role)! < order.firstIndex(of: $1.role)! }
        let terms = cell.map { "\(symbol($0)) \(grouped($0.count))" } + [readoutTerm]
        return "\(grouped(layout.count)) parameters = " + terms.joined(separator: " + ")
    }
}

/// 12724 -> "12,724"
public func grouped(_ value: Int) -> String {
    let digits = String(abs(value))
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (value < 0 ? "-" : "") + out
}

/// Pads `text` with spaces to `width` columns (left-aligned, or right-aligned for numbers).
public func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}
