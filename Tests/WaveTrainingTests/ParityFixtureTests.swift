import WaveKernels
import Foundation
import WaveCore
import WaveModels
import WaveTraining
import XCTest

/// PyTorch parity without PyTorch: each fixture (scripts/torch_parity_fixtures.py) holds a model built
/// in PyTorch under the authors' state_dict names, a batch, and PyTorch's outputs, mean cross-entropy
/// and gradients (float64). wRNN, iRNN, LSTM, GRU, coRNN, LEM and the 2-D wave RNN, every readout, sizes off the SIMD widths.
final class ParityFixtureTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torch-parity").path

    func testEveryModelMatchesPyTorchForwardAndBackward() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertEqual(
            Set(files.map { $0.split(separator: "-").first.map(String.init)!.replacingOccurrences(of: ".safetensors", with: "") }),
            ["wrnn", "irnn", "lstm", "gru", "cornn", "lem", "wrnn2d"], "one fixture or more for every model")
        for file in files { try check(Self.directory + "/" + file) }
    }

    func check(_ path: String) throws {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let (metadata, tensors) = try Safetensors.read(from: path)
        let config = try WrnnJSON.decoder().decode(ModelConfig.self, from: Data(try XCTUnwrap(metadata["model"]).utf8))
        let model = SequenceModel<Float>(config)
        let weights = Dictionary(
            uniqueKeysWithValues: tensors.compactMap { key, t in key.hasPrefix("weight.") ? (String(key.dropFirst(7)), t) : nil })
        XCTAssertEqual(Set(weights.keys), Set(model.layout.tensors.map(\.name)), "\(name): the same state_dict names")
        let params = Buffer<Float>(try Safetensors.parameters(for: model.layout, from: weights, path: path))

        let inputs = try XCTUnwrap(tensors["inputs"]), targets = try XCTUnwrap(tensors["targets"]),
            outputs = try XCTUnwrap(tensors["outputs"])
        let (length, rows) = (inputs.shape[0], inputs.shape[1])
        let steps = targets.shape[0], out = config.outputSize
        let batch = SequenceBatch<Float>(
            length: length, batch: rows, inputSize: config.inputSize, classTargets: steps * rows, valueTargets: nil)
        batch.inputs.pointer.update(from: inputs.values, count: inputs.values.count)
        for j in 0..<targets.values.count { batch.classTargets![j] = Int32(targets.values[j]) }
        let runner = BatchRunner(model: model, batch: rows, length: length, threads: 1)
        let grads = Buffer<Float>(zeros: params.count)
        let loss = runner.run(params: params, grads: grads, batch: batch)

        XCTAssertEqual(loss, Double(try XCTUnwrap(tensors["loss"]?.values.first)), accuracy: 1e-5 * loss, "\(name): loss")
        let scale = outputs.values.map { abs($0) }.max() ?? 1
        for r in 0..<steps {
            for s in 0..<rows {
                let ours = runner.output(step: r, row: s)
                for j in 0..<out {
                    XCTAssertEqual(
                        ours[j], outputs.values[(r * rows + s) * out + j], accuracy: 1e-5 * scale, "\(name): output step \(r) row \(s)")
                }
            }
        }
        for spec in model.layout.tensors {
            let theirs = try XCTUnwrap(tensors["grad.\(spec.name)"], "\(name): grad.\(spec.name)").values
            let largest = theirs.map { abs($0) }.max() ?? 0
            let worst = zip(grads.array[spec.range], theirs).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-4 * largest + 1e-7, "\(name): gradient of \(spec.name)")
        }
    }
}
