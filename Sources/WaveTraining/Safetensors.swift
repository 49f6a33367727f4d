import WaveCore
import Foundation
import WaveModels

/// safetensors files: 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and [begin, end) byte range in the data block, then the data. Only F32 here.
public enum Safetensors {
    public static let maximumHeaderBytes = 100 * 1024 * 1024

    public struct Tensor: Sendable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) { self.shape = shape; self.values = values }
    }

    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) throws -> [UInt8] {
        var entries: [String] = []
        if !metadata.isEmpty {
            let json = try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])
            entries.append("\"__metadata__\":" + String(decoding: json, as: UTF8.self))
        }
        var offset = 0
        for (name, tensor) in tensors {
            precondition(tensor.shape.reduce(1, *) == tensor.values.count)
            let end = offset + 4 * tensor.values.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        let length = UInt64(header.count)
        for k in 0..<8 { bytes.append(UInt8((length >> (8 * UInt64(k))) & 0xFF)) }
        bytes += header
        for (_, tensor) in tensors { tensor.values.withUnsafeBytes { bytes += $0 } }
        return bytes
    }

    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String], to path: String) throws {
        try writeAtomically(try encode(tensors, metadata: metadata), to: path)
    }

    /// Reads and checks a file. The header is validated (length, JSON, dtypes, shapes, offsets in
    /// range and not overlapping) before the data block is read, so a hostile header cannot make
    /// it allocate more than the file holds.
    public static func read(from path: String) throws -> (metadata: [String: String], tensors: [String: Tensor]) {
        try parse(try readFileBytes(path, what: "safetensors file").get(), path: path)
    }

    /// Checks and decodes a safetensors file's bytes (`path` names it in errors).
    public static func parse(_ bytes: [UInt8], path: String) throws -> (metadata: [String: String], tensors: [String: Tensor]) {
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
        var ranges: [(name: String, shape: [Int], begin: Int, end: Int, width: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any] else { throw bad("tensor \(name) is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw bad("tensor \(name) has no dtype") }
            // F32 for weights; U8 (read as the floats 0 ... 255) for images in test fixtures
            guard let width = ["F32": 4, "U8": 1][dtype] else {
                throw bad("tensor \(name) has dtype \(dtype); only F32 and U8 are supported")
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
            let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard elements != Int.max, elements <= dataSize, end - begin == width * elements else {
                throw bad("tensor \(name) has shape \(shape) but \(end - begin) bytes")
            }
            ranges.append((name, shape, begin, end, width))
        }
        ranges.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.begin < a.end {
            throw bad("tensors \(a.name) and \(b.name) overlap")
        }
        // the tensors must cover the data block exactly: no gap, nothing after the last one
        var covered = 0
        for r in ranges {
            guard r.begin == covered else { throw bad("bytes \(covered) ..< \(r.begin) of the data block belong to no tensor") }
            covered = r.end
        }
        guard covered == dataSize else { throw bad("\(dataSize - covered) bytes after the last tensor belong to no tensor") }
        var tensors: [String: Tensor] = [:]
        bytes.withUnsafeBytes { file in
            let raw = UnsafeRawBufferPointer(rebasing: file[(8 + Int(headerLength))...])
            for r in ranges {
                let values =
                    r.width == 1
                    ? (r.begin..<r.end).map { Float(raw[$0]) }
                    : (0..<((r.end - r.begin) / 4)).map { raw.loadUnaligned(fromByteOffset: r.begin + 4 * $0, as: Float.self) }
                tensors[r.name] = Tensor(shape: r.shape, values: values)
            }
        }
        return (metadata, tensors)
    }

    /// The model's parameters as named tensors in the authors' state_dict layout.
    public static func tensors(layout: ParameterLayout, params: [Float]) -> [(name: String, tensor: Tensor)] {
        layout.tensors.map { ($0.name, Tensor(shape: $0.shape, values: Array(params[$0.range]))) }
    }

    /// Flat parameters for `layout` from a file's tensors: every name present with its exact shape.
    public static func parameters(for layout: ParameterLayout, from tensors: [String: Tensor], path: String) throws -> [Float] {
        var params = [Float](repeating: 0, count: layout.count)
        for t in layout.tensors {
            guard let tensor = tensors[t.name] else {
                throw WrnnError.data(
                    "\(path) has no tensor \(t.name) (the model needs \(layout.tensors.map(\.name).joined(separator: ", ")))")
            }
            guard tensor.shape == t.shape else {
                throw WrnnError.data("\(path): tensor \(t.name) has shape \(tensor.shape), the model needs \(t.shape)")
            }
            if let bad = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw WrnnError.data(
                    "\(path): tensor \(t.name) holds \(tensor.values[bad]) at index \(bad); initial weights must be finite")
            }
            params.replaceSubrange(t.range, with: tensor.values)
        }
        let unknown = Set(tensors.keys).subtracting(layout.tensors.map(\.name))
        if let extra = unknown.sorted().first {
            throw WrnnError.data("\(path) has a tensor \(extra) that this model does not have")
        }
        return params
    }
}

/// The first key that occurs twice at the top level of a JSON object's text, if any. Strings are
/// skipped with their escapes, so braces and quotes inside them do not count.
func duplicateTopLevelKey(in json: [UInt8]) -> String? {
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
