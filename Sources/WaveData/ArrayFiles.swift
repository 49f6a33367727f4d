import CZlib
import Foundation
import WaveCore

/// One numeric array read from a researcher's data file: its shape, its values as Float (exact for
/// the integers a label array holds and for every 8- and 16-bit type), and whether its element
/// type is an integer one (labels) or a floating one (inputs, regression targets).
public struct DataArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]
    public var isInteger: Bool
    /// The element type as the file names it ("<f8", "I64"): for messages.
    public var dtype: String
    public init(shape: [Int], values: [Float], isInteger: Bool, dtype: String) {
        self.shape = shape; self.values = values; self.isInteger = isInteger; self.dtype = dtype
    }
}

/// An element type both formats share: width in bytes and how its bits read as a number.
enum ElementType: Sendable {
    case float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool

    var width: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }
    var isInteger: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return false
        default: return true
        }
    }

    /// numpy's descr without its byte order ("f4", "i8", "b1", "u1").
    static func numpy(_ code: String) -> ElementType? {
        [
            "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16, "i4": .int32, "i8": .int64, "u1": .uint8,
            "u2": .uint16, "u4": .uint32, "u8": .uint64, "b1": .bool
        ][code]
    }

    /// safetensors' dtype names.
    static func safetensors(_ name: String) -> ElementType? {
        [
            "F16": .float16, "BF16": .bfloat16, "F32": .float32, "F64": .float64, "I8": .int8, "I16": .int16, "I32": .int32,
            "I64": .int64, "U8": .uint8, "U16": .uint16, "U32": .uint32, "U64": .uint64, "BOOL": .bool
        ][name]
    }

    /// `count` elements starting at byte `offset` of `raw`, as Float.
    func decode(_ raw: UnsafeRawBufferPointer, offset: Int, count: Int, bigEndian: Bool = false) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        func bits<U: FixedWidthInteger>(_ at: Int, _: U.Type) -> U {
            let v = raw.loadUnaligned(fromByteOffset: offset + at * MemoryLayout<U>.size, as: U.self)
            return bigEndian ? U(bigEndian: v) : U(littleEndian: v)
        }
        for k in 0..<count {
            switch self {
            case .float16: out[k] = halfToFloat(bits(k, UInt16.self))
            case .bfloat16: out[k] = Float(bitPattern: UInt32(bits(k, UInt16.self)) << 16)
            case .float32: out[k] = Float(bitPattern: bits(k, UInt32.self))
            case .float64: out[k] = Float(Double(bitPattern: bits(k, UInt64.self)))
            case .int8: out[k] = Float(Int8(bitPattern: raw[offset + k]))
            case .uint8: out[k] = Float(raw[offset + k])
            case .bool: out[k] = raw[offset + k] == 0 ? 0 : 1
            case .int16: out[k] = Float(Int16(bitPattern: bits(k, UInt16.self)))
            case .uint16: out[k] = Float(bits(k, UInt16.self))
            case .int32: out[k] = Float(Int32(bitPattern: bits(k, UInt32.self)))
            case .uint32: out[k] = Float(bits(k, UInt32.self))
            case .int64: out[k] = Float(Int64(bitPattern: bits(k, UInt64.self)))
            case .uint64: out[k] = Float(bits(k, UInt64.self))
            }
        }
        return out
    }
}

/// IEEE half-precision bits as a Float (subnormals, infinities and NaN included).
func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = h & 0x8000 != 0 ? -1 : 1
    let exponent = Int((h >> 10) & 0x1F), fraction = Float(h & 0x3FF)
    if exponent == 0 { return sign * fraction * 0x1p-24 }
    if exponent == 31 { return fraction == 0 ? sign * .infinity : .nan }
    return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
}

/// Elements of `shape`, or nil when the product overflows or passes `limit`.
func elementCount(_ shape: [Int], limit: Int) -> Int? {
    var total = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: d)
        guard !overflow, product <= limit else { return nil }
        total = product
    }
    return total
}

/// .npy files of any numeric dtype (what `numpy.save` writes): versions 1 to 3, either byte order,
/// C order. The header is checked against the bytes that follow before anything is allocated.
public enum NpyArray {
    public static func parse(_ bytes: [UInt8], path: String) throws -> DataArray {
        func bad(_ what: String) -> WrnnError { .data("\(path): \(what)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw bad("not a .npy array (no \\x93NUMPY magic); save it with numpy.save or numpy.savez")
        }
        let major = bytes[6]
        let (lengthBytes, start): (Int, Int) = major == 1 ? (2, 10) : (major == 2 || major == 3) ? (4, 12) : (0, 0)
        guard lengthBytes > 0 else { throw bad(".npy version \(major) is not one numpy writes (1, 2 or 3)") }
        guard bytes.count >= start else { throw bad("the .npy header is truncated") }
        let headerLength = (0..<lengthBytes).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        guard headerLength <= bytes.count - start else { throw bad("the .npy header runs past the end of the file: truncated") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        guard let descr = quotedValue(header, key: "descr") else { throw bad("the .npy header has no 'descr'") }
        if header.range(of: #"'fortran_order'\s*:\s*True"#, options: .regularExpression) != nil {
            throw bad("the array is in Fortran order; save numpy.ascontiguousarray(a) instead")
        }
        guard descr.count == 3, let type = ElementType.numpy(String(descr.dropFirst())), "<>|=".contains(descr.first!) else {
            throw bad("dtype '\(descr)' is not a number type this tool reads (float16/32/64, int8 ... int64, uint8 ... uint64, bool)")
        }
        guard let shape = tupleValue(header, key: "shape") else { throw bad("the .npy header has no valid 'shape'") }
        let dataStart = start + headerLength, available = bytes.count - dataStart
        guard let count = elementCount(shape, limit: available / max(type.width, 1) + 1), count * type.width == available else {
            throw bad(
                "shape \(shape) of \(descr) needs a different number of bytes than the \(available) that follow: truncated or not this array"
            )
        }
        let values = bytes.withUnsafeBytes { type.decode($0, offset: dataStart, count: count, bigEndian: descr.first == ">") }
        return DataArray(shape: shape, values: values, isInteger: type.isInteger, dtype: descr)
    }

    /// The string after `'key':` in a Python dict literal.
    static func quotedValue(_ header: String, key: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)'") else { return nil }
        let rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    /// The integers of the tuple after `'key':` ("(3, 4)", "(5,)", "()").
    static func tupleValue(_ header: String, key: String) -> [Int]? {
        guard let keyRange = header.range(of: "'\(key)'") else { return nil }
        let rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "(", let end = rest.firstIndex(of: ")") else { return nil }
        let items = rest[rest.index(after: rest.startIndex)..<end].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var shape: [Int] = []
        for item in items where !item.isEmpty {
            guard let d = Int(item.hasSuffix("L") ? String(item.dropLast()) : item), d >= 0 else { return nil }
            shape.append(d)
        }
        return shape
    }
}

/// The members of a zip archive (what `numpy.savez` and `savez_compressed` write): stored or
/// deflated, zip64 sizes included, each checked against its CRC-32.
public enum ZipArchive {
    public static func members(_ bytes: [UInt8], path: String) throws -> [(name: String, bytes: [UInt8])] {
        func bad(_ what: String) -> WrnnError { .data("\(path): \(what)") }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
        func signature(_ at: Int, _ value: Int) -> Bool { at >= 0 && at + 4 <= bytes.count && u32(at) == value }
        func fits(_ value: UInt64) throws -> Int {
            guard value <= UInt64(bytes.count) else { throw bad("a size or offset points past the end of the file: truncated") }
            return Int(value)
        }
        // the end-of-central-directory record: the last PK\5\6 within its 64 KiB comment's reach
        var end = bytes.count - 22
        while end >= max(0, bytes.count - 22 - 65_535) && !signature(end, 0x0605_4B50) { end -= 1 }
        guard end >= 0, end >= bytes.count - 22 - 65_535 else {
            throw bad("not a complete zip/.npz archive (no end-of-directory record): truncated, or not saved by numpy.savez")
        }
        var entries = u16(end + 10), directorySize = u32(end + 12), directoryOffset = u32(end + 16)
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // zip64: the locator just before the record points at the zip64 record
            guard signature(end - 20, 0x0706_4B50) else { throw bad("zip64 archive without its locator: truncated") }
            let record = try fits(u64(end - 20 + 8))
            guard record + 56 <= bytes.count, signature(record, 0x0606_4B50) else { throw bad("zip64 record missing: truncated") }
            entries = try fits(u64(record + 32))
            directorySize = try fits(u64(record + 40))
            directoryOffset = try fits(u64(record + 48))
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw bad("the zip directory lies outside the file: truncated")
        }
        var members: [(name: String, bytes: [UInt8])] = []
        var at = directoryOffset
        for _ in 0..<entries {
            guard at + 46 <= bytes.count, signature(at, 0x0201_4B50) else { throw bad("damaged zip directory: truncated or not a zip") }
            let flags = u16(at + 8), method = u16(at + 10), crc = UInt32(u32(at + 16))
            var compressed = u32(at + 20), size = u32(at + 24)
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            var local = u32(at + 42)
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= bytes.count else { throw bad("damaged zip directory: truncated") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            // zip64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in this order
            var extra = at + 46 + nameLength
            while extra + 4 <= at + 46 + nameLength + extraLength {
                let id = u16(extra), length = u16(extra + 2)
                var field = extra + 4
                if id == 0x0001 {
                    if size == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { size = try fits(u64(field)); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { compressed = try fits(u64(field)); field += 8 }
                    if local == 0xFFFF_FFFF, field + 8 <= extra + 4 + length { local = try fits(u64(field)) }
                }
                extra += 4 + length
            }
            guard flags & 1 == 0 else { throw bad("member \(name) is encrypted") }
            guard local + 30 <= bytes.count, signature(local, 0x0403_4B50) else {
                throw bad("member \(name)'s data is missing: truncated")
            }
            let dataStart = local + 30 + u16(local + 26) + u16(local + 28)
            guard dataStart <= bytes.count, compressed <= bytes.count - dataStart else {
                throw bad("member \(name) runs past the end of the file: truncated")
            }
            let data = bytes[dataStart..<(dataStart + compressed)]
            let content: [UInt8]
            switch method {
            case 0:
                guard compressed == size else { throw bad("stored member \(name) has \(compressed) bytes for \(size)") }
                content = Array(data)
            case 8:
                // deflate cannot expand beyond about 1032:1: a larger claim is a damaged directory
                guard size <= 1100 * compressed + 1024 else { throw bad("member \(name) claims \(size) bytes from \(compressed)") }
                content = try inflateRaw(data, size: size, path: "\(path) member \(name)")
            default:
                throw bad("member \(name) uses zip compression method \(method); save with numpy.savez or numpy.savez_compressed")
            }
            let actual = content.withUnsafeBytes {
                UInt32(truncatingIfNeeded: crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count)))
            }
            guard actual == crc else { throw bad("member \(name) fails its CRC-32 check: the file is damaged") }
            members.append((name, content))
            at = next
        }
        return members
    }
}

/// Inflates raw deflate data that must come to exactly `size` bytes.
func inflateRaw(_ data: ArraySlice<UInt8>, size: Int, path: String) throws -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw WrnnError.io("\(path): cannot start zlib")
    }
    defer { inflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: size + 1)
    var input = Array(data)
    let status: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
        output.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            return inflate(&stream, Z_FINISH)
        }
    }
    guard status == Z_STREAM_END, Int(stream.total_out) == size else {
        throw WrnnError.data("\(path): damaged deflate data (inflates to \(stream.total_out) bytes for \(size))")
    }
    output.removeLast()
    return output
}

extension DataArray {
    /// Every array of a `.npz` archive, by name without its ".npy".
    public static func readNpz(_ bytes: [UInt8], path: String) throws -> [String: DataArray] {
        var arrays: [String: DataArray] = [:]
        for member in try ZipArchive.members(bytes, path: path) {
            let name = member.name.hasSuffix(".npy") ? String(member.name.dropLast(4)) : member.name
            arrays[name] = try NpyArray.parse(member.bytes, path: "\(path) array \(name)")
        }
        return arrays
    }

    /// Every tensor of a `.safetensors` file, by name.
    public static func readSafetensors(_ bytes: [UInt8], path: String) throws -> [String: DataArray] {
        try readSafetensors(bytes, layout: try SafetensorsLayout.parse(bytes, path: path))
    }

    /// The tensors of a file already checked by `SafetensorsLayout.parse`.
    public static func readSafetensors(_ bytes: [UInt8], layout file: SafetensorsLayout) throws -> [String: DataArray] {
        var arrays: [String: DataArray] = [:]
        bytes.withUnsafeBytes { raw in
            for entry in file.entries {
                let type = ElementType.safetensors(entry.dtype)!
                arrays[entry.name] = DataArray(
                    shape: entry.shape, values: type.decode(raw, offset: file.dataStart + entry.begin, count: entry.count),
                    isInteger: type.isInteger, dtype: entry.dtype)
            }
        }
        return arrays
    }
}
