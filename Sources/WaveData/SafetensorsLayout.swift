import Foundation
import WaveCore

/// The structure of a safetensors file: 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and [begin, end) byte range in the data block, then the data. The
/// header is checked whole (length, JSON, dtypes, shapes, offsets in range, no overlap, no gap)
/// before any data is read, so a hostile header cannot make a reader allocate more than the file holds.
public struct SafetensorsLayout: Sendable {
    public static let maximumHeaderBytes = 100 * 1024 * 1024

    public struct Entry: Sendable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        /// Byte range in the data block.
        public var begin: Int, end: Int
        public var count: Int
    }
    public var metadata: [String: String]
    /// In data order.
    public var entries: [Entry]
    /// Where the data block starts in the file.
    public var dataStart: Int

    /// Checks a file's bytes (`path` names it in errors); `dtypes` are the element types the caller reads.
    public static func parse(_ bytes: [UInt8], path: String, dtypes: Set<String>? = nil) throws -> SafetensorsLayout {
        func bad(_ what: String) -> WrnnError { .data("\(path) is not a valid safetensors file: \(what)") }
        let fileSize = bytes.count
        guard fileSize >= 8 else { throw bad("shorter than its 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maximumHeaderBytes) else {
            throw bad("header length \(headerLength) bytes is over the 100 MB limit")
        }
        guard 8 + Int(headerLength) <= fileSize else {
            throw bad("header length \(headerLength) runs past the end of the file (\(fileSize) bytes)")
        }
        let headerData = Data(bytes[8..<(8 + Int(headerLength))])
        guard let object = try? JSONSerialization.jsonObject(with: headerData), let header = object as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        // JSON objects keep one value per key; the format forbids a second one, which a parser would drop
        if let duplicate = duplicateTopLevelKey(in: [UInt8](headerData)) { throw bad("the header names tensor \(duplicate) twice") }
        let dataSize = fileSize - 8 - Int(headerLength)
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any] else { throw bad("tensor \(name) is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw bad("tensor \(name) has no dtype") }
            guard let type = ElementType.safetensors(dtype), dtypes?.contains(dtype) ?? true else {
                let known =
                    (dtypes.map { Array($0) } ?? ["F16", "BF16", "F32", "F64", "I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64", "BOOL"])
                throw bad("tensor \(name) has dtype \(dtype); only \(known.sorted().joined(separator: ", ")) are read here")
            }
            guard let shape = entry["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("tensor \(name) has no valid shape")
            }
            guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("tensor \(name) has no valid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw bad("tensor \(name) has data_offsets [\(begin), \(end)] outside the \(dataSize)-byte data block")
            }
            guard let count = elementCount(shape, limit: dataSize), end - begin == type.width * count else {
                throw bad("tensor \(name) has shape \(shape) but \(end - begin) bytes")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end, count: count))
        }
        entries.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }
        for (a, b) in zip(entries, entries.dropFirst()) where b.begin < a.end {
            throw bad("tensors \(a.name) and \(b.name) overlap")
        }
        // the tensors must cover the data block exactly: no gap, nothing after the last one
        var covered = 0
        for e in entries {
            guard e.begin == covered else { throw bad("bytes \(covered) ..< \(e.begin) of the data block belong to no tensor") }
            covered = e.end
        }
        guard covered == dataSize else { throw bad("\(dataSize - covered) bytes after the last tensor belong to no tensor") }
        return SafetensorsLayout(metadata: metadata, entries: entries, dataStart: 8 + Int(headerLength))
    }
}

/// The first key that occurs twice at the top level of a JSON object's text, if any. Strings are
/// skipped with their escapes, so braces and quotes inside them do not count.
public func duplicateTopLevelKey(in json: [UInt8]) -> String? {
    var depth = 0, i = 0, seen = Set<String>()
    while i < json.count {
        let c = json[i]
        if c == UInt8(ascii: "\"") {
            var j = i + 1
            while j < json.count && json[j] != UInt8(ascii: "\"") { j += json[j] == UInt8(ascii: "\\") ? 2 : 1 }
            if depth == 1 {
                var k = j + 1
                while k < json.count && [0x20, 0x09, 0x0A, 0x0D].contains(json[k]) { k += 1 }
                if k < json.count && json[k] == UInt8(ascii: ":") {
                    let key = String(decoding: json[(i + 1)..<min(j, json.count)], as: UTF8.self)
                    if !seen.insert(key).inserted { return key }
                }
            }
            i = j + 1
            continue
        }
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
        if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") { depth -= 1 }
        i += 1
    }
    return nil
}
