import Foundation
import XCTest

/// coRNN and LEM from the command line: their published settings, real data, export to PyTorch.
final class BaselineCLITests: XCTestCase {
    /// Both train on sequential Fashion-MNIST (Debian's copy, on every machine) with their authors'
    /// constants, print their parameters term by term, and export files that load into the PyTorch twin.
    func testCoRNNAndLEMTrainOnFashionMNISTAndExport() throws {
        let expected = [
            "cornn": (
                "model: coRNN N=256, dt 0.042, gamma 2.7, eps 4.7, PyTorch init, linear readout at the last step\n"
                    + "134,154 parameters = i2h.weight 131,328 + i2h.bias 256 + readout 2,570\n"
                    + "Adam lr 0.0021, step schedule, clip off, batch 16, 3 steps",
                ["cell.i2h.weight", "cell.i2h.bias", "readout.weight", "readout.bias"]
            ),
            "lem": (
                "model: LEM N=128, dt 0.31, uniform(1/sqrt(N)) init, Kaiming-normal classifier, linear readout at the last step\n"
                    + "68,362 parameters = hid2hid.weight 49,152 + hid2hid.bias 384 + inp2hid.weight 512 + inp2hid.bias 512 + transform_z.weight 16,384 + transform_z.bias 128 + readout 1,290\n"
                    + "Adam lr 0.0073, step schedule, clip 1.1, batch 16, 3 steps",
                [
                    "cell.inp2hid.weight", "cell.inp2hid.bias", "cell.hid2hid.weight", "cell.hid2hid.bias",
                    "cell.transform_z.weight", "cell.transform_z.bias", "classifier.weight", "classifier.bias"
                ]
            )
        ]
        for (model, (setup, names)) in expected.sorted(by: { $0.key < $1.key }) {
            // LEM on the permuted task takes its psMNIST settings (dt 0.31, lr 0.0073, clip 1.1)
            let task = model == "lem" ? "psfmnist" : "sfmnist"
            let run = scratchDirectory() + "/" + model
            let result = try wrnn([
                "train", "--task", task, "--model", model, "--steps", "3", "--batch-size", "16", "--test-size", "32",
                "--eval-every", "3", "--threads", "2", "--out", run
            ])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains(setup), result.stdout)
            XCTAssertTrue(result.stdout.contains("val acc"), result.stdout)
            let summary =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
            XCTAssertEqual(summary["model"] as? String, model)
            XCTAssertTrue((summary["test_loss"] as! Double).isFinite)

            let export = try wrnn(["export", run])
            XCTAssertEqual(export.status, 0, export.stderr)
            let header = try safetensorsNames(run + "/model.safetensors")
            XCTAssertEqual(header, names.sorted()) // PyTorch's outputs and gradients under these names: ParityFixtureTests
        }
    }

    func testOptionsThatDoNotApplyAreRefused() throws {
        let cases: [([String], String)] = [
            (["train", "--model", "lem", "--gamma", "1"], "--gamma applies to --model cornn only"),
            (["train", "--model", "lstm", "--dt", "0.1"], "--dt applies to --model cornn and lem only"),
            (["train", "--model", "cornn", "--dt", "0"], "--dt must be a finite number > 0 (got 0.0)"),
            (["train", "--model", "cornn", "--epsilon", "-1"], "--epsilon must be a finite number >= 0 (got -1.0)"),
            (
                ["train", "--model", "cornn", "--freeze-u"],
                "--freeze-u applies to --model wrnn, irnn, lstm, gru and wrnn2d only (cornn's weights mix input and recurrence)"
            ),
            (
                ["train", "--model", "lem", "--activation", "tanh"],
                "--activation applies to --model wrnn, irnn and wrnn2d only (lem uses its authors' init and activations)"
            )
        ]
        for (arguments, message) in cases {
            let result = try wrnn(arguments, in: scratchDirectory())
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
        }
    }

    /// The tensor names in a safetensors header, sorted.
    func safetensorsNames(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        return header.keys.filter { $0 != "__metadata__" }.sorted()
    }
}
