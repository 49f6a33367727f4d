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
        try parse(try readFileBytes(path, maximumBytes: maximumBytes).get(), path: path, dimensions: expected)
    }

    /// No IDX file this tool reads is larger (MNIST's training images are 47 MB).
    public static let maximumBytes = 1 << 30

    /// Checks and decodes the bytes of a raw or gzip-compressed IDX file (`path` names it in errors).
    public static func parse(_ input: [UInt8], path: String, dimensions expected: Int) throws -> IDXArray {
        var bytes = input
        if path.hasSuffix(".gz") && !isGzip(bytes) {
            throw WrnnError.data(
                "\(path): named .gz but does not hold gzip data (no 1f 8b magic); rename it without .gz if it is a raw IDX file")
        }
        if isGzip(bytes) {
            // inflate no further than the header's sizes promise, plus one byte
            bytes = try gunzip(bytes, path: path) { try promisedBytes($0, path: path) }
        }
        let expectedMagic = UInt32(0x0800) | UInt32(expected)
        guard bytes.count >= 4 else {
            throw WrnnError.data("\(path): not an IDX file: \(bytes.count) bytes is shorter than the 4-byte magic number")
        }
        let magic = readBigEndian(bytes, 0)
        guard magic == expectedMagic else {
            throw WrnnError.data(
                String(
                    format: "%@: not an IDX file of %d-dimensional unsigned bytes: expected magic 0x%08X, found 0x%08X",
                    path as NSString, expected, expectedMagic, magic))
        }
        let headerBytes = 4 + 4 * expected
        guard bytes.count >= headerBytes else {
            throw WrnnError.data("\(path): truncated IDX header: expected \(headerBytes) bytes, found \(bytes.count)")
        }
        let sizes = (0..<expected).map { Int(readBigEndian(bytes, 4 + 4 * $0)) }
        let count = try dataCount(bytes, path: path, dimensions: expected)
        guard bytes.count - headerBytes == count else {
            throw WrnnError.data(
                "\(path): header says \(sizes.map(String.init).joined(separator: " x ")) = \(count) bytes of data, found \(bytes.count - headerBytes)"
            )
        }
        return IDXArray(dimensions: sizes, bytes: Array(bytes[headerBytes...]))
    }

    /// How far a gzip'd IDX file may inflate, read from what has been inflated so far: the size its
    /// header promises (the dimension count is the magic's last byte), or until the header is in,
    /// `maximumBytes`.
    public static func promisedBytes(_ prefix: [UInt8], path: String) throws -> (bytes: Int, what: String) {
        guard prefix.count >= 4 else { return (maximumBytes, "the \(maximumBytes) bytes an IDX file may hold") }
        let dimensions = Int(prefix[3])
        let header = 4 + 4 * dimensions
        guard prefix.count >= header else { return (maximumBytes, "the \(maximumBytes) bytes an IDX file may hold") }
        let count = try dataCount(prefix, path: path, dimensions: dimensions)
        return (header + count, "the \(header + count) bytes its IDX header promises")
    }

    /// The number of data bytes the header's sizes multiply to, refused past `maximumBytes`
    /// (four 32-bit sizes can multiply past any integer).
    static func dataCount(_ header: [UInt8], path: String, dimensions: Int) throws -> Int {
        var count = 1
        for k in 0..<dimensions {
            let size = Int(readBigEndian(header, 4 + 4 * k))
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumBytes else {
                throw WrnnError.data(
                    "\(path): IDX header sizes \((0..<dimensions).map { String(readBigEndian(header, 4 + 4 * $0)) }.joined(separator: " x ")) are more than the \(maximumBytes) bytes an IDX file may hold"
                )
            }
            count = product
        }
        return count
    }

    static func readBigEndian(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
