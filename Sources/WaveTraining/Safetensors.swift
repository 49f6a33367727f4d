import WaveCore
import Foundation
import WaveModels
import WaveData

/// safetensors files: 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and [begin, end) byte range in the data block, then the data. Only F32 here.
public enum Safetensors {
    public static let maximumHeaderBytes = SafetensorsLayout.maximumHeaderBytes

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

    /// Reads and checks a file (`SafetensorsLayout`: the header is checked whole before any data is read).
    public static func read(from path: String) throws -> (metadata: [String: String], tensors: [String: Tensor]) {
        try parse(try readFileBytes(path, what: "safetensors file").get(), path: path)
    }

    /// Checks and decodes a safetensors file's bytes (`path` names it in errors): F32 for weights,
    /// U8 (read as the floats 0 ... 255) for images in test fixtures.
    public static func parse(_ bytes: [UInt8], path: String) throws -> (metadata: [String: String], tensors: [String: Tensor]) {
        let layout = try SafetensorsLayout.parse(bytes, path: path, dtypes: ["F32", "U8"])
        let arrays = try DataArray.readSafetensors(bytes, layout: layout)
        return (layout.metadata, arrays.mapValues { Tensor(shape: $0.shape, values: $0.values) })
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
