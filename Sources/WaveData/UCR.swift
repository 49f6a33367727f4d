import Foundation
import WaveCore

/// The UCR time-series archive's text format (`NAME_TRAIN.tsv`, `NAME_TEST.tsv`): one sequence
/// per line, its label first, values separated by tabs (commas or spaces also read). Lines may be
/// ragged or end in NaN, as the archive pads its variable-length sets.
public enum UCRFile {
    /// The labels (as written) and the rows as `DataArray`s: x (N, L, 1) with NaN after a short
    /// row's end, and the label text of each row.
    public static func parse(_ bytes: [UInt8], path: String) throws -> (labels: [String], x: DataArray) {
        var labels: [String] = [], rows: [[Float]] = []
        var line = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            let text = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            let fields = text.split(whereSeparator: { $0 == "\t" || $0 == "," || $0 == " " }).map(String.init)
            guard let label = fields.first, Double(label)?.isFinite == true || Int(label) != nil else {
                throw WrnnError.data(
                    "\(path) line \(line): the label '\(fields.first ?? "")' is not a number (UCR lines start with the class label)")
            }
            var values: [Float] = []
            values.reserveCapacity(fields.count - 1)
            for (k, field) in fields.dropFirst().enumerated() {
                guard let v = Float(field) ?? (field.lowercased() == "nan" ? Float.nan : nil) else {
                    throw WrnnError.data("\(path) line \(line): value \(k + 1) '\(field)' is not a number")
                }
                values.append(v)
            }
            guard !values.isEmpty else { throw WrnnError.data("\(path) line \(line): a label and no values") }
            labels.append(Double(label).map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : label } ?? label)
            rows.append(values)
        }
        guard !rows.isEmpty else { throw WrnnError.data("\(path) holds no sequences") }
        return (labels, padded(rows.map { $0[...] }, to: rows.map(\.count).max()!))
    }

    /// Rows as (N, length, 1), each ending in NaN after its own end.
    static func padded(_ rows: [ArraySlice<Float>], to length: Int) -> DataArray {
        var x = [Float](repeating: .nan, count: rows.count * length)
        for (i, row) in rows.enumerated() { x.replaceSubrange((i * length)..<(i * length + row.count), with: row) }
        return DataArray(shape: [rows.count, length, 1], values: x, isInteger: false, dtype: "text")
    }

    /// `x` (N, L, 1) padded with NaN to `length` steps (a test file shorter than its training file).
    public static func padded(_ x: DataArray, to length: Int) -> DataArray {
        let steps = x.shape[1]
        guard steps < length else { return x }
        return padded((0..<x.shape[0]).map { x.values[($0 * steps)..<(($0 + 1) * steps)] }, to: length)
    }

    /// The distinct labels in numeric order (text order among equal numbers): class k is the k-th.
    public static func classNames(_ labels: [String]) -> [String] {
        Set(labels).sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
    }
}
