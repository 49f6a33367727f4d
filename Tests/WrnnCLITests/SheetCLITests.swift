import Foundation
import XCTest
import WaveTestSupport

/// The 2-D wave RNN from the command line: it trains, names its parameters term by term, refuses
/// what does not apply in one line (64, nothing written), keeps its sheet across a resume, exports
/// under the PyTorch twin's names, and `analyze` and `figure2` show its waves.
final class SheetCLITests: XCTestCase {
    func trainSheet(_ extra: [String], in dir: String, name: String = "sheet") throws -> (run: String, result: Result) {
        let run = dir + "/" + name
        let result = try wrnn(
            [
                "train", "--model", "wrnn2d", "--task", "copy", "-T", "4", "--steps", "40", "--batch-size", "20", "--test-size", "24",
                "--eval-every", "20", "--seed", "3", "--threads", "2", "--out", run
            ] + extra)
        return (run, result)
    }

    func testTrainsWithItsParameterFormulaAndConfig() throws {
        let dir = scratchDirectory()
        let (run, result) = try trainSheet(["--sheet", "4x5", "-c", "7", "--shift-direction=-y", "--wave-source", "edge"], in: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[1], "model: wRNN-2D sheet 4x5 c=7 f=3 relu, u shift -y, V sparse (edge), linear readout at every step")
        // u c*c*f*f, b_u c, V N*d, b_V N, readout out*N + out with N = c*h*w = 140, d = out = 10
        XCTAssertEqual(lines[2], "3,398 parameters = u 441 + b_u 7 + V 1,400 + b_V 140 + readout 1,410")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as! [String: Any]
        let model = config["model"] as! [String: Any]
        XCTAssertEqual(model["sheet"] as? String, "4x5")
        XCTAssertEqual(model["shiftDirection"] as? String, "-y")
        XCTAssertEqual(model["waveSource"] as? String, "edge")
        XCTAssertEqual(model["hiddenSize"] as? Int, 20)

        // a resume keeps the sheet, and refuses another
        let changed = try wrnn(["train", "--resume", run, "--sheet", "5x4"])
        XCTAssertEqual(changed.status, 64)
        XCTAssertTrue(changed.stderr.contains("--sheet"), changed.stderr)
        let resumed = try wrnn(["train", "--resume", run, "--steps", "60", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)

        // exported under the twin's names and shapes (conv2d: [c, c, f, f])
        let export = try wrnn(["export", run, "--out", dir + "/export"])
        XCTAssertEqual(export.status, 0, export.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/export/model.safetensors"))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        XCTAssertEqual((header["cell.Wy.weight"] as! [String: Any])["shape"] as! [Int], [7, 7, 3, 3])
        XCTAssertEqual((header["cell.Wx.weight"] as! [String: Any])["shape"] as! [Int], [140, 10])
        // and imported again: the same test loss at step 0
        let imported = try wrnn(
            [
                "train", "--model", "wrnn2d", "--task", "copy", "-T", "4", "--steps", "1", "--batch-size", "20", "--test-size", "24",
                "--seed", "3", "--sheet", "4x5", "-c", "7", "--shift-direction=-y", "--wave-source", "edge",
                "--init-from", dir + "/export/model.safetensors", "--out", dir + "/imported"
            ])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let summary =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
        let first = try String(contentsOfFile: dir + "/imported/metrics.jsonl", encoding: .utf8).split(separator: "\n")[0]
        let step0 = try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any]
        XCTAssertEqual(step0["test_loss"] as! Double, summary["test_loss"] as! Double, accuracy: 1e-6 * (summary["test_loss"] as! Double))
    }

    func testWhatDoesNotApplyIsRefused() throws {
        let cases: [([String], String)] = [
            (
                ["--hidden-size", "100"],
                "--hidden-size does not apply to --model wrnn2d; its cells per channel are --sheet HxW (e.g. --sheet 10x10)"
            ),
            (["--sheet", "10by10"], "The value '10by10' is invalid for '--sheet <HxW>': give HxW with sides from 1 to 4096, e.g. 10x10"),
            (["--sheet", "0x3"], "The value '0x3' is invalid for '--sheet <HxW>': give HxW with sides from 1 to 4096, e.g. 10x10"),
            (
                ["--shift-direction", "-z"],
                "The value '-z' is invalid for '--shift-direction <direction>': give +x, -x, +y, -y, a diagonal such as +x-y, or mixed"
            ),
            (["--sheet", "4x6", "--kernel-size", "5"], "--kernel-size 5 is wider than the sheet's shorter side (4x6); use at most 3"),
            (["--kernel-size", "4"], "--kernel-size must be odd (got 4)"),
            (
                ["--initialization", "identity", "--shift-direction", "+y"],
                "--shift-direction applies to --initialization shift (got identity)"
            ),
            (["--encoder-init", "normal", "--wave-source", "edge"], "--wave-source applies to --encoder-init sparse (got normal)"),
            (
                ["--locally-connected"],
                "--locally-connected applies to --model wrnn only (the sheet's kernel is shared; the untied ablation is the ring's)"
            ),
            (
                ["--precision", "bf16"],
                "--precision applies to --model wrnn, irnn, lstm, gru, cornn and lem only (the sheet's convolution has no bf16 products yet)"
            ),
            (["--dt", "0.1"], "--dt applies to --model cornn and lem only")
        ]
        let dir = scratchDirectory()
        for (arguments, message) in cases {
            let result = try wrnn(["train", "--model", "wrnn2d", "--steps", "1", "--out", dir + "/refused"] + arguments)
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/refused"), "\(arguments): nothing written")
        }
        // the ring refuses the sheet's options, naming the model that takes them
        for option in [["--sheet", "10x10"], ["--shift-direction", "+x"], ["--wave-source", "cell"]] {
            let result = try wrnn(["train", "--model", "wrnn", "--steps", "1", "--out", dir + "/refused"] + option)
            XCTAssertEqual(result.status, 64)
            XCTAssertEqual(result.stderr, "wrnn: error: \(option[0]) applies to --model wrnn2d only\n")
        }
    }

    /// analyze: frames (strip and GIF), the (k, ky, kx) spectrum, velocity and direction, the wave
    /// test; a sheet initialised to move activity along +x is measured moving along +x.
    func testAnalyzeAndFigure2ShowTheSheet() throws {
        let dir = scratchDirectory()
        let (run, result) = try trainSheet(["--sheet", "6x8", "-c", "2", "--steps", "1", "--lr", "1e-9"], in: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        let analyze = try wrnn(["analyze", run, "--order-samples", "4", "--permutations", "19"])
        XCTAssertEqual(analyze.status, 0, analyze.stderr)
        let lines = analyze.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(
            lines[1],
            "sample  channel  shift-plane power  velocity (cells/step)  speed  direction  wave score z (p) vs cells in random places")
        for line in lines[2...3] {
            // the shift init, barely trained: one cell per step along +x (direction 0 degrees), far above the null
            XCTAssertNotNil(
                line.wholeMatch(of: #/0       [01]        [0-9.]+ +\(\+1\.00, [+-]0\.00\) +1\.00   0 deg      [0-9.]+ \(0\.050\)/#), line)
        }
        let analysis =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/analysis/analysis.json")))
            as! [String: Any]
        let channel = (analysis["channels"] as! [[String: Any]])[0]
        XCTAssertEqual(channel["velocity"] as! [Double], [1, 0])
        XCTAssertEqual(channel["direction"] as! Double, 0)
        XCTAssertGreaterThan((channel["sheet_wave_test"] as! [String: Any])["z"] as! Double, 3)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: run + "/analysis"))
        for file in ["frames_s0.png", "hidden_s0.gif", "hidden_s0.npy", "spectrum_s0_c0.png", "spectrum_s0_c1.npy", "copy_io_s0.png"] {
            XCTAssertTrue(files.contains(file), file)
        }
        // the hidden states as [t, c, h, w]
        let npy = try Data(contentsOf: URL(fileURLWithPath: run + "/analysis/hidden_s0.npy"))
        XCTAssertTrue(String(decoding: npy.prefix(128), as: UTF8.self).contains("'shape': (24, 2, 6, 8)"))

        // --frames picks the strip's steps; a ring or iRNN run has no sheet to show
        let framed = try wrnn(["analyze", run, "--order-samples", "0", "--frames", "2:5"])
        XCTAssertEqual(framed.status, 0, framed.stderr)
        let outside = try wrnn(["analyze", run, "--order-samples", "0", "--frames", "20:30"])
        XCTAssertEqual(outside.status, 64)
        XCTAssertEqual(outside.stderr, "wrnn: error: --frames 20:30 is outside the run's 24 steps; give A:B with 1 <= A < B <= 24\n")

        // Figure 2 takes the sheet beside an iRNN: its strongest line of cells
        let plain = dir + "/irnn"
        let trained = try wrnn(
            [
                "train", "--model", "irnn", "--task", "copy", "-T", "4", "--steps", "5", "--batch-size", "8", "--test-size", "8", "--quiet",
                "--out", plain
            ])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let figure = try wrnn(["figure2", run, plain, "--out", dir + "/f2.png"])
        XCTAssertEqual(figure.status, 0, figure.stderr)
        let printed = figure.stdout.split(separator: "\n").map(String.init)
        XCTAssertNotNil(
            printed[0].wholeMatch(
                of: #/wrnn figure2: wRNN-2D channel [01], row y = [0-5] \(the strongest diagonal power\) against iRNN, test sample 0/#),
            printed[0])
        XCTAssertNotNil(printed[1].wholeMatch(of: #/diagonal power: wRNN-2D [0-9.]+, iRNN [0-9.]+; the iRNN has [0-9]+ silent neurons?/#))
        let ring = try wrnn(["analyze", plain, "--frames", "2:5"])
        XCTAssertEqual(ring.status, 64)
        XCTAssertEqual(ring.stderr, "wrnn: error: --frames applies to a sheet run (--model wrnn2d); the model of \(plain) is the iRNN\n")
    }
}
