import Foundation
import WaveCore

/// 1-D integer .npy files (<i8 or <i4), for pixel permutations.
public enum NpyIndices {
    public static func write(_ values: [Int], to path: String) throws {
        var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (\(values.count),), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        for v in values { var x = Int64(v).littleEndian; withUnsafeBytes(of: &x) { bytes += $0 } }
        try writeAtomically(bytes, to: path)
    }

    /// Reads a permutation of 0..<count from a .npy file of little-endian int64 or int32.
    public static func readPermutation(_ path: String, count: Int) throws -> [Int] {
        try parsePermutation(try readFileBytes(path, what: "permutation").get(), path: path, count: count)
    }

    /// Checks and decodes a permutation file's bytes (`path` names it in errors).
    public static func parsePermutation(_ bytes: [UInt8], path: String, count: Int) throws -> [Int] {
        func bad(_ what: String) -> WrnnError { .data("\(path): \(what)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else { throw bad("not a .npy file") }
        let headerLength = bytes[6] == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8 : -1
        guard headerLength > 0, 10 + headerLength <= bytes.count else { throw bad("unsupported .npy version or truncated header") }
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        let width = header.contains("'<i8'") ? 8 : header.contains("'<i4'") ? 4 : 0
        guard width > 0 else {
            throw bad(
                "expected little-endian int64 or int32 ('<i8' or '<i4'), found \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard header.contains("'shape': (\(count),)") else { throw bad("expected shape (\(count),)") }
        guard bytes.count - 10 - headerLength == count * width else {
            throw bad("expected \(count * width) data bytes, found \(bytes.count - 10 - headerLength)")
        }
        let values: [Int] = bytes.withUnsafeBytes { raw in
            (0..<count).map { k in
                let at = 10 + headerLength + k * width
                return width == 8
                    ? Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                    : Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
            }
        }
        guard values.sorted() == Array(0..<count) else { throw bad("not a permutation of 0..<\(count)") }
        return values
    }
}
