import CZlib
import Foundation
import WaveCore

/// Whether `bytes` start with the gzip magic 1f 8b.
public func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

/// Inflates a gzip member through zlib, which checks the trailer's CRC-32 and length, and stops
/// one byte past `maximumBytes`: a small file that inflates without end is refused within that
/// much memory.
public func gunzip(_ bytes: [UInt8], path: String, maximumBytes: Int) throws -> [UInt8] {
    try gunzip(bytes, path: path, promised: { _ in (maximumBytes, "the \(maximumBytes) bytes such a file can hold") })
}

/// Inflates with a bound read from the output so far: `promised(prefix)` gives the most bytes
/// the content may have (an IDX header promises its exact size) and a phrase naming that bound.
/// Inflation stops one byte past it.
public func gunzip(_ bytes: [UInt8], path: String, promised: ([UInt8]) throws -> (bytes: Int, what: String)) throws -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw WrnnError.io("\(path): cannot start zlib")
    }
    defer { inflateEnd(&stream) }
    var output = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var status: Int32 = Z_OK
    var input = bytes
    try input.withUnsafeMutableBufferPointer { inBuffer in
        stream.next_in = inBuffer.baseAddress
        stream.avail_in = uInt(inBuffer.count)
        repeat {
            let bound = try promised(output)
            guard output.count <= bound.bytes else {
                throw WrnnError.data("\(path): inflates to more than \(bound.what); the file is not what it claims to be")
            }
            // never more than one byte past the bound
            let room = min(chunk.count, bound.bytes - output.count + 1)
            try chunk.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(room)
                status = inflate(&stream, Z_NO_FLUSH)
                if status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_MEM_ERROR {
                    let message = stream.msg.map { String(cString: $0) } ?? "invalid data"
                    switch message {
                    case "incorrect data check":
                        throw WrnnError.data("\(path): gzip CRC mismatch: the file is corrupt; download it again")
                    case "incorrect length check":
                        throw WrnnError.data("\(path): gzip length mismatch: the file is corrupt; download it again")
                    default:
                        throw WrnnError.data("\(path): invalid gzip data (\(message))")
                    }
                }
                output.append(contentsOf: outBuffer[0..<(room - Int(stream.avail_out))])
            }
            let after = try promised(output)
            if output.count > after.bytes {
                throw WrnnError.data("\(path): inflates to more than \(after.what); the file is not what it claims to be")
            }
            if status == Z_BUF_ERROR || (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
                throw WrnnError.data("\(path): truncated gzip stream: the file is incomplete; download it again")
            }
        } while status != Z_STREAM_END
        if stream.avail_in > 0 {
            throw WrnnError.data(
                "\(path): \(stream.avail_in) bytes of trailing data after the gzip stream: the file is not what it claims to be; download it again"
            )
        }
    }
    return output
}
