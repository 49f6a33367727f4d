import Foundation
import XCTest

/// `wrnn probe` and the wave tests of `wrnn analyze` from the built binary: every model, a one-hot
/// task and a real-valued one, real Fashion-MNIST, the files written, and one line per bad input.
final class ProbeCLITests: XCTestCase {
    func train(_ model: String, task: String = "copy", _ extra: [String] = []) throws -> String {
        let run = scratchDirectory() + "/\(task)-\(model)"
        let size = model == "wrnn" ? ["-n", "12", "-c", "2"] : model == "fc" ? [] : ["-n", "10"]
        let shape = task == "copy" ? ["-T", "4"] : task == "adding" ? ["-T", "16"] : []
        let result = try wrnn(
            [
                "train", "--task", task, "--model", model, "--steps", "6", "--batch-size", "8", "--test-size", "40", "--seed", "3",
                "--threads", "1", "--quiet", "--out", run
            ] + size + shape + extra)
        XCTAssertEqual(result.status, 0, result.stderr)
        return run
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func testProbeWritesCurvesMapsAndCapacityForEveryRecurrentModel() throws {
        for model in ["wrnn", "irnn", "lstm", "gru", "cornn", "lem"] {
            let run = try train(model)
            let result = try wrnn(["probe", run, "--samples", "20", "--lags", "0:12", "--init", "--threads", "2"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(
                lines[0],
                "wrnn probe: copy-\(model): 20 fitting and 20 test sequences, lags 0-12, 12 steps of each, \(model == "wrnn" ? 24 : 10) units"
            )
            XCTAssertTrue(lines[1].hasPrefix("wrnn probe: copy-\(model): memory capacity "), lines[1])
            XCTAssertTrue(lines[3].hasPrefix("wrnn probe: copy-\(model) (init): memory capacity "), lines[3])
            XCTAssertEqual(
                lines[4], "probe                         metric             lags     memory capacity  input alone  drift (positions/lag)")
            XCTAssertTrue(
                lines[5].hasPrefix("copy-\(model)".padding(toLength: 30, withPad: " ", startingAt: 0) + "balanced_accuracy  0-12     "),
                lines[5])
            // probe.json and .csv, the curves and their data, and a ring model's two maps with theirs
            let files = model == "wrnn" ? 8 : 4
            XCTAssertEqual(lines.last, "wrote \(files) files to \(run)/probe")
            let probe = try json(run + "/probe/probe.json")
            XCTAssertEqual(probe["metric"] as? String, "balanced_accuracy")
            XCTAssertEqual(probe["lags"] as? [Int], Array(0...12))
            let score = probe["score"] as! [Double], chance = probe["chance"] as! [Double]
            XCTAssertEqual(score.count, 13)
            XCTAssertEqual(chance.count, 13)
            // the copy task's layout at T = 4: steps 12 ... 23 read back to steps 0 ... 23; the digits
            // (8 tokens and the blank) are the chance of the longest lags
            XCTAssertEqual(chance[12], 1.0 / 9, accuracy: 1e-12)
            let capacity = probe["memory_capacity"] as! Double
            let normalised = zip(score, chance).map { s, c in c < 1 ? min(max((s - c) / (1 - c), 0), 1) : 0 }
            XCTAssertEqual(capacity, normalised.reduce(0, +), accuracy: 1e-9)
            let probes = probe["probes"] as! [[String: Any]]
            XCTAssertEqual(probes.map { $0["weights"] as! String }, ["trained", "init"])
            // the present input alone names itself (lag 0) and, the digits being drawn independently, nothing before it
            let alone = probe["input_only_score"] as! [Double]
            XCTAssertEqual(alone[0], 1)
            XCTAssertLessThan(alone[12], 1.0 / 9 + 0.05)
            XCTAssertEqual(probes[1]["step"] as? Int, 0)
            XCTAssertEqual(probes[0]["step"] as? Int, 6)
            let csv = try String(contentsOfFile: run + "/probe/probe.csv", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(csv.count, 1 + 2 * 13)
            for file in ["memory_curve.png", "memory_curve.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/probe/" + file), file)
            }
            // a ring model's memory by position: [lags, n]
            XCTAssertEqual(FileManager.default.fileExists(atPath: run + "/probe/memory_map_0_copy-wrnn.png"), model == "wrnn")
            XCTAssertEqual(probes[0]["ring_size"] as? Int, model == "wrnn" ? 12 : nil)
            // the same run, seed and threads: the same numbers
            let again = try wrnn(["probe", run, "--samples", "20", "--lags", "0:12", "--init", "--threads", "2", "--out", run + "/again"])
            let repeated = again.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(Array(repeated.dropLast()), Array(lines.dropLast()))
        }
    }

    func testRealInputsAreScoredByR2AndRealImagesProbe() throws {
        let adding = try train("wrnn", task: "adding")
        let result = try wrnn(["probe", adding, "--samples", "12", "--out", adding + "/p"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let probe = try json(adding + "/p/probe.json")
        XCTAssertEqual(probe["metric"] as? String, "r2")
        // the default lags: 0 ... 0.8 T
        XCTAssertEqual(probe["lags"] as? [Int], Array(0...12))
        XCTAssertEqual(probe["chance"] as? [Double], [Double](repeating: 0, count: 13))
        // real data: Fashion-MNIST's pixels, one step each
        let images = try train("lstm", task: "sfmnist", ["-n", "8"])
        let pixels = try wrnn(["probe", images, "--samples", "10", "--lags", "0:20", "--max-rows", "1000"])
        XCTAssertEqual(pixels.status, 0, pixels.stderr)
        let imageProbe = try json(images + "/probe/probe.json")
        XCTAssertEqual(imageProbe["metric"] as? String, "r2")
        // 764 steps of 10 sequences under 1,000 rows: every 8th step
        XCTAssertEqual(imageProbe["step_stride"] as? Int, 8)
        XCTAssertEqual(imageProbe["scored_rows"] as? Int, 10 * 96)
    }

    func testSeveralRunsOverlayInOneDirectory() throws {
        let a = try train("wrnn"), b = try train("irnn")
        let out = scratchDirectory() + "/both"
        let result = try wrnn([
            "probe", a, b, "--samples", "10", "--lags", "0:5", "--labels", "wave,plain", "--out", out, "--format", "svg,png"
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let probes = try json(out + "/probe.json")["probes"] as! [[String: Any]]
        XCTAssertEqual(probes.map { $0["label"] as! String }, ["wave", "plain"])
        let chart = try json(out + "/memory_curve.json")
        let names = (chart["series"] as! [[String: Any]]).map { $0["name"] as! String }
        XCTAssertTrue(names[0].hasPrefix("wave (MC "), "\(names)")
        XCTAssertTrue(names[1].hasPrefix("plain (MC "), "\(names)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/memory_curve.svg"))
    }

    func testBadInputIsOneLineWithItsExitCode() throws {
        let run = try train("wrnn")
        let cases: [([String], Int32, String)] = [
            (["probe", run, "--lags", "5:2"], 64, "wrnn: error: --lags must be A:B with 0 <= A <= B (for example 0:40); got '5:2'"),
            (
                ["probe", run, "--samples", "3"], 64,
                "wrnn: error: --samples must be at least 10 (the cross-validation's folds need sequences); got 3"
            ),
            (
                ["probe", run, "--lags", "0:30"], 64,
                "wrnn: error: --lags 0:30 reaches past the sequences of \(run) (24 steps); use lags below 24"
            ),
            (["probe", run, run, "--labels", "one"], 64, "wrnn: error: --labels needs one label per run directory (2); got 'one'"),
            (["probe"], 64, "wrnn: error: Missing expected argument '<run-directories> ...'")
        ]
        for (arguments, code, message) in cases {
            let result = try wrnn(arguments)
            XCTAssertEqual(result.status, code, "\(arguments)")
            XCTAssertEqual(result.stderr.split(separator: "\n").first.map(String.init), message, "\(arguments)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
        let missing = try wrnn(["probe", run + "-nowhere"])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        let fc = try train("fc", task: "adding")
        let flat = try wrnn(["probe", fc, "--samples", "10"])
        XCTAssertEqual(flat.status, 64, flat.stderr)
        XCTAssertTrue(flat.stderr.contains("has no hidden state through time to probe"), flat.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fc + "/probe"))
    }

    func testAnalyzeTestsWavesInEveryModelAgainstRandomOrders() throws {
        for model in ["wrnn", "lstm"] {
            let run = try train(model)
            let result = try wrnn(["analyze", run, "--channels", "0", "--permutations", "39"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(
                lines[1], "sample  ring     diagonal power  speed (neurons/step)  wave score z (p): own order      by response lag")
            let analysis = try json(run + "/analysis/analysis.json")
            let channel = (analysis["channels"] as! [[String: Any]])[0]
            let own = channel["own_order_test"] as! [String: Any], lagged = channel["lag_order_test"] as! [String: Any]
            XCTAssertEqual(own["order"] as? String, model == "wrnn" ? "ring" : "index")
            XCTAssertEqual(lagged["order"] as? String, "lag")
            for test in [own, lagged] {
                let p = test["p"] as! Double
                XCTAssertTrue(p >= 1.0 / 40 && p <= 1, "\(p)")
                XCTAssertEqual(test["permutations"] as? Int, 39)
            }
            for file in ["spacetime_lag_s0_c0.png", "spectrum_lag_s0_c0.png", "lag_order_c0.npy"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/analysis/" + file), file)
            }
        }
        // the tests can be skipped, and a null needs enough orders to mean something
        let run = try train("irnn")
        let plain = try wrnn(["analyze", run, "--order-samples", "0"])
        XCTAssertEqual(plain.stdout.split(separator: "\n")[1], "sample  ring     diagonal power  speed (neurons/step)")
        let few = try wrnn(["analyze", run, "--permutations", "5"])
        XCTAssertEqual(few.status, 64)
        XCTAssertEqual(
            few.stderr, "wrnn: error: --permutations must be 19 ... 100,000 (19 is the fewest that can give p < 0.05); got 5\n")
    }
}
