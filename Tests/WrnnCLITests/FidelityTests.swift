import Foundation
import WaveTraining
import XCTest

/// The authors' sweep files train what the authors' scripts train: for one grid point of each of the
/// eleven files, `wrnn fidelity` checks wrnn's initialisation, five training steps and every epoch's
/// rate against fixtures made by scripts/authors_steps.py (PyTorch, float64). CI needs no PyTorch.
final class FidelityTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/authors-steps").path
    static let sweeps = root.deletingLastPathComponent().appendingPathComponent("shared/anchors/authors-sweeps").path

    func fixture(_ sweep: String) -> String { Self.fixtures + "/" + sweep.replacingOccurrences(of: ".yml", with: ".safetensors") }

    func testEveryAuthorsSweepFileTrainsWhatItsScriptTrains() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.sweeps).filter { $0.hasSuffix(".yml") }.sorted()
        XCTAssertEqual(files.count, 11)
        for file in files { XCTAssertTrue(FileManager.default.fileExists(atPath: fixture(file)), "no fixture for \(file)") }
        let result = try wrnn(["fidelity", "--sweeps", Self.sweeps] + files.map(fixture))
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let agreeing = result.stdout.split(separator: "\n").filter { $0.hasPrefix("agrees: ") }
        XCTAssertEqual(agreeing.count, 11, result.stdout)
        for file in files { XCTAssertTrue(agreeing.contains { $0.contains(file) }, "\(file): \(result.stdout)") }
    }

    /// The check fails when the training differs: the copy point trained at another rate, and an
    /// iRNN whose V the authors drew 1000 times wider than wrnn draws it.
    func testADifferentStepOrInitialisationIsCaught() throws {
        let scratch = scratchDirectory()
        var (metadata, tensors) = try Safetensors.read(from: fixture("copy_sweep_wrnn.yml"))
        metadata["point"] = metadata["point"]!.replacingOccurrences(of: "\"1e-2\"", with: "\"1e-3\"")
        try Safetensors.write(
            tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata, to: scratch + "/copy_sweep_wrnn.safetensors")
        let rate = try wrnn(["fidelity", "--sweeps", Self.sweeps, scratch + "/copy_sweep_wrnn.safetensors"])
        XCTAssertEqual(rate.status, 70, rate.stdout + rate.stderr)
        XCTAssertTrue(rate.stdout.hasPrefix("DIFFERS: copy_sweep_wrnn.yml T=10 grad_clip=1.0 lr=1e-3"), rate.stdout)
        XCTAssertTrue(rate.stdout.contains("mean difference"), rate.stdout)
        XCTAssertEqual(rate.stderr, "wrnn: error: 1 of 1 fixtures differ from the authors' scripts: copy_sweep_wrnn.safetensors\n")

        (metadata, tensors) = try Safetensors.read(from: fixture("adding_sweep_rnn.yml"))
        tensors["init.cell.Wx.weight"]!.values = tensors["init.cell.Wx.weight"]!.values.map { $0 * 1000 }
        try Safetensors.write(
            tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata, to: scratch + "/adding_sweep_rnn.safetensors"
        )
        let initialisation = try wrnn(["fidelity", "--sweeps", Self.sweeps, scratch + "/adding_sweep_rnn.safetensors"])
        XCTAssertEqual(initialisation.status, 70, initialisation.stdout + initialisation.stderr)
        XCTAssertTrue(initialisation.stdout.contains("  init cell.Wx.weight: standard deviation"), initialisation.stdout)
    }
}
