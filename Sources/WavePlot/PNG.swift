import WaveCore
import CZlib
import Foundation

/// PNG encoding: 8-bit RGB, filter 0 on every scanline, zlib-compressed IDAT, CRC per chunk.
public enum PNG {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func encode(_ image: RGBImage) -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity(image.height * (1 + 3 * image.width))
        for y in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(3 * y * image.width)..<(3 * (y + 1) * image.width)]
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), 9)
        precondition(status == Z_OK, "zlib compress2 failed (\(status))")
        compressed.removeSubrange(Int(compressedLength)...)

        var header = [UInt8]()
        appendBigEndian(&header, UInt32(image.width))
        appendBigEndian(&header, UInt32(image.height))
        header += [8, 2, 0, 0, 0]   // bit depth 8, colour type RGB, deflate, filter 0, no interlace
        var out = signature
        chunk(&out, "IHDR", header)
        chunk(&out, "IDAT", compressed)
        chunk(&out, "IEND", [])
        return out
    }

    public static func write(_ image: RGBImage, to path: String) throws {
        try writeAtomically(encode(image), to: path)
    }

    static func chunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        appendBigEndian(&out, UInt32(data.count))
        let body = Array(type.utf8) + data
        out += body
        appendBigEndian(&out, UInt32(crc32(0, body, uInt(body.count))))
    }

    static func appendBigEndian(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}
