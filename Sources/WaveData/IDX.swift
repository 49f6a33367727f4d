import Foundation
import WaveCore

/// An IDX array of unsigned bytes (the MNIST format): big-endian magic 0x0000080D where D is the
/// number of dimensions, D big-endian UInt32 sizes, then the bytes in C order.
public struct IDXArray: Sendable {
    public let dimensions: [Int]
    public let bytes: [UInt8]
}

public enum IDX {
    /// Reads a raw or gzip-compressed IDX file of `dimensions` dimensions and checks the magic
    /// number and that the sizes account for exactly the bytes present.
    public static func read(_ path: String, dimensions expected: Int) throws -> IDXArray {
        var bytes = try readFileBytes(path).get()
        if path.hasSuffix(".gz") && !isGzip(bytes) {
            throw WrnnError.data("\(path): named .gz but does not hold gzip data (no 1f 8b magic); rename it without .gz if it is a raw IDX file")
        }
        if isGzip(bytes) { bytes = try gunzip(bytes, path: path) }
        let expectedMagic = UInt32(0x0800) | UInt32(expected)
        guard bytes.count >= 4 else {
            throw WrnnError.data("\(path): not an IDX file: \(bytes.count) bytes is shorter than the 4-byte magic number")
        }
        let magic = readBigEndian(bytes, 0)
        guard magic == expectedMagic else {
            throw WrnnError.data(String(format: "%@: not an IDX file of %d-dimensional unsigned bytes: expected magic 0x%08X, found 0x%08X",
                                        path as NSString, expected, expectedMagic, magic))
        }
        let headerBytes = 4 + 4 * expected
        guard bytes.count >= headerBytes else {
            throw WrnnError.data("\(path): truncated IDX header: expected \(headerBytes) bytes, found \(bytes.count)")
        }
        let sizes = (0..<expected).map { Int(readBigEndian(bytes, 4 + 4 * $0)) }
        let count = sizes.reduce(1, *)
        guard bytes.count - headerBytes == count else {
            throw WrnnError.data("\(path): header says \(sizes.map(String.init).joined(separator: " x ")) = \(count) bytes of data, found \(bytes.count - headerBytes)")
        }
        return IDXArray(dimensions: sizes, bytes: Array(bytes[headerBytes...]))
    }

    static func readBigEndian(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
