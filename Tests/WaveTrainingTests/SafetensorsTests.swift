import WaveCore
import Foundation
import XCTest
import WaveModels
import WaveTraining

final class SafetensorsTests: XCTestCase {
    func file(header: String, data: [UInt8], length: UInt64? = nil) -> String {
        let path = temporaryDirectory() + "/t.safetensors"
        let h = Array(header.utf8)
        let n = length ?? UInt64(h.count)
        let bytes = (0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xFF) } + h + data
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func assertRejected(_ path: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Safetensors.read(from: path), file: file, line: line) { error in
            let e = error as! WrnnError
            XCTAssertEqual(e.exitCode, 65, file: file, line: line)
            XCTAssertEqual(e.message, "\(path) is not a valid safetensors file: \(reason)", file: file, line: line)
        }
    }

    func testRoundTripKeepsNamesShapesValuesAndMetadata() throws {
        let config = ModelConfig(kind: .wrnn, inputSize: 3, outputSize: 2, ringSize: 5, channels: 2, readout: .mlp, mlpHidden: 4)
        let layout = ParameterLayout(config)
        let params = (0..<layout.count).map { Float($0) * 0.25 - 3 }
        let path = temporaryDirectory() + "/m.safetensors"
        try Safetensors.write(Safetensors.tensors(layout: layout, params: params), metadata: ["config": "{\"a\":1}"], to: path)
        let (metadata, tensors) = try Safetensors.read(from: path)
        XCTAssertEqual(metadata["config"], "{\"a\":1}")
        XCTAssertEqual(
            Set(tensors.keys),
            [
                "cell.Wx.weight", "cell.Wx.bias", "cell.Wy.weight", "cell.Wy.bias",
                "readout.0.weight", "readout.0.bias", "readout.2.weight", "readout.2.bias"
            ])
        XCTAssertEqual(tensors["cell.Wy.weight"]?.shape, [2, 2, 3])
        XCTAssertEqual(tensors["readout.0.weight"]?.shape, [4, 10])
        XCTAssertEqual(try Safetensors.parameters(for: layout, from: tensors, path: path), params)
        // header length is a multiple of 8, as the format asks
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        XCTAssertEqual(Int(bytes[0]) % 8, 0)
    }

    func testMalformedFilesAreRejectedWithTheirReason() {
        let eight = [UInt8](repeating: 0, count: 8)
        assertRejected(file(header: "{}", data: [], length: 1000), "header length 1000 runs past the end of the file (10 bytes)")
        assertRejected(file(header: "{}", data: [], length: 200_000_000), "header length 200000000 bytes is over the 100 MB limit")
        assertRejected(file(header: "not json", data: []), "the header is not a JSON object")
        assertRejected(
            file(header: #"{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: eight),
            "tensor a has dtype F16; only F32, U8 are read here")
        assertRejected(
            file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight),
            "tensor a has shape [3] but 8 bytes")
        assertRejected(
            file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eight),
            "tensor a has data_offsets [0, 16] outside the 8-byte data block")
        assertRejected(
            file(
                header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                data: [UInt8](repeating: 0, count: 12)), "tensors a and b overlap")
        assertRejected(file(header: #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: eight), "tensor a has no valid shape")
        let tiny = temporaryDirectory() + "/tiny"
        FileManager.default.createFile(atPath: tiny, contents: Data([1, 2]))
        assertRejected(tiny, "shorter than its 8-byte header length")
        XCTAssertThrowsError(try Safetensors.read(from: "/nonexistent.safetensors")) { XCTAssertEqual(($0 as! WrnnError).exitCode, 66) }
    }

    func testWeightsThatDoNotFitTheModelAreRejected() throws {
        let layout = ParameterLayout(ModelConfig(kind: .irnn, inputSize: 2, outputSize: 1, ringSize: 4))
        var tensors = Dictionary(
            uniqueKeysWithValues: Safetensors.tensors(layout: layout, params: [Float](repeating: 1, count: layout.count))
                .map { ($0.name, $0.tensor) })
        tensors["cell.Wy.weight"] = .init(shape: [2, 8], values: [Float](repeating: 0, count: 16))
        XCTAssertThrowsError(try Safetensors.parameters(for: layout, from: tensors, path: "f")) {
            XCTAssertEqual(($0 as! WrnnError).message, "f: tensor cell.Wy.weight has shape [2, 8], the model needs [4, 4]")
        }
        tensors["cell.Wy.weight"] = nil
        XCTAssertThrowsError(try Safetensors.parameters(for: layout, from: tensors, path: "f")) {
            XCTAssertTrue(($0 as! WrnnError).message.hasPrefix("f has no tensor cell.Wy.weight"))
        }
    }
}
