import Foundation
import WaveKernels
import XCTest

/// `--precision bf16` from the command line: refused with one line where it cannot run or does
/// not apply, recorded in the run, kept on --resume, and timed beside fp32 by `wrnn bench`.
final class PrecisionCLITests: XCTestCase {
    /// What this CPU says about bf16 products, from /proc/cpuinfo (not from the tool).
    var cpuHasBF16: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        return ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"].allSatisfy(flags.contains)
    }
    var cpuHasAMX: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        return flags.contains("amx_bf16") && flags.contains("amx_tile")
    }

    func testRefusedWhereItCannotRunOrDoesNotApply() throws {
        let cannotRun =
            cpuHasBF16
            ? "--precision bf16 needs AVX512-BF16 products, which WRNN_KERNELS=portable turns off; unset it or use --precision fp32"
            : "--precision bf16 needs a CPU with AVX512-BF16 products (Cooper Lake, Sapphire Rapids, AMD Zen 4 or later), and this one has none; use --precision fp32"
        let cannotRunDense =
            cpuHasBF16 || cpuHasAMX
            ? "--precision bf16 needs bf16 products, which WRNN_KERNELS=portable turns off; unset it or use --precision fp32"
            : "--precision bf16 needs a CPU with bf16 products (AVX512-BF16 or AMX: Cooper Lake, Sapphire Rapids, AMD Zen 4 or later), and this one has none; use --precision fp32"
        let cases: [([String], [String: String?], String)] = [
            (
                ["train", "--model", "wrnn2d", "--precision", "bf16"], [:],
                "--precision applies to --model wrnn, irnn, lstm, gru, cornn and lem only (the sheet's convolution has no bf16 products yet)"
            ),
            (
                ["train", "--model", "wrnn", "--precision", "bf16", "--locally-connected"], [:],
                "--precision bf16 applies to the shared kernel, not --locally-connected; use --precision fp32"
            ),
            (["train", "--model", "wrnn", "--precision", "bf16"], ["WRNN_KERNELS": "portable"], cannotRun),
            (["train", "--model", "gru", "--precision", "bf16"], ["WRNN_KERNELS": "portable"], cannotRunDense)
        ]
        for (arguments, environment, message) in cases {
            let result = try wrnn(arguments, in: scratchDirectory(), environment: environment)
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
        }
        // a sweep is planned anywhere (a login node may lack what the compute nodes have): its bf16
        // points are refused only where they train
        let grid = scratchDirectory() + "/grid.yaml"
        try "name: bf16\nparameters:\n  task: {value: copy}\n  precision: {values: [fp32, bf16]}\n".write(
            toFile: grid, atomically: true, encoding: .utf8)
        let planned = try wrnn(
            ["sweep", grid, "--dry-run", "--out", scratchDirectory() + "/grid"], environment: ["WRNN_KERNELS": "portable"])
        XCTAssertEqual(planned.status, 0, planned.stderr)
        XCTAssertTrue(planned.stdout.contains("2 runs, 2 valid, 0 invalid"), planned.stdout)
        // fp32 is every model's format: saying so is not an error
        let fp32 = try wrnn(["train", "--model", "lstm", "--precision", "fp32", "--steps", "1", "--quiet"], in: scratchDirectory())
        XCTAssertEqual(fp32.status, 0, fp32.stderr)

        let bench: [([String], [String: String?], String)] = [
            (
                ["bench", "--configs", "copy-wrnn2d", "--precision", "fp32,bf16"], [:],
                "--precision bf16 applies to configurations of --model wrnn, irnn, lstm, gru, cornn and lem only; name one (e.g. copy-wrnn)"
            ),
            (["bench", "--configs", "copy-wrnn", "--precision", "bf16"], ["WRNN_KERNELS": "portable"], cannotRun),
            // every bf16 row must run: the first that cannot is refused
            (["bench", "--configs", "copy-wrnn2d,smnist-lstm", "--precision", "bf16"], ["WRNN_KERNELS": "portable"], cannotRunDense),
            (
                ["bench", "--configs", "copy-wrnn", "--precision", "fp16"], [:],
                "--precision: unknown number format 'fp16'; choose fp32 or bf16, comma-separated"
            )
        ]
        for (arguments, environment, message) in bench {
            let result = try wrnn(arguments, in: scratchDirectory(), environment: environment)
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
        }
    }

    /// A bf16 run learns the copy task's first steps, says so in its set-up and config.json, and
    /// continues as bf16: --resume refuses --precision fp32 and goes on with the saved format. On a
    /// CPU without bf16 products the run uses their plain versions (WRNN_BF16=emulate).
    func testTrainsRecordsAndResumesInBF16() throws {
        let here: [String: String?] = cpuHasBF16 ? [:] : ["WRNN_BF16": "emulate"]
        let run = scratchDirectory() + "/bf16"
        let trained = try wrnn(
            [
                "train", "--task", "copy", "-T", "10", "--precision", "bf16", "--steps", "200", "--eval-every", "100",
                "--test-size", "256", "--threads", "2", "--out", run
            ], environment: here)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stdout.contains("model: wRNN n=100 c=6 f=3 relu, u shift, V sparse, bf16 products"), trained.stdout)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as! [String: Any]
        XCTAssertEqual((config["model"] as? [String: Any])?["precision"] as? String, "bf16")
        let summary =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
        // chance is ln 10 = 2.3 per step on the 10 recalled steps; the fp32 model is below 0.01 here
        XCTAssertLessThan(summary["test_loss"] as! Double, 0.05)

        let changed = try wrnn(["train", "--resume", run, "--precision", "fp32", "--steps", "300"], environment: here)
        XCTAssertEqual(changed.status, 64)
        XCTAssertTrue(changed.stderr.contains("--precision would change it"), changed.stderr)
        // where bf16 products cannot run, the run is not resumed, and is evaluated with fp32 products
        let elsewhere: [String: String?] = cpuHasBF16 ? ["WRNN_KERNELS": "portable"] : [:]
        let missing = cpuHasBF16 ? "WRNN_KERNELS=portable turns them off" : "this CPU has none"
        let refused = try wrnn(["train", "--resume", run, "--steps", "250"], environment: elsewhere)
        XCTAssertEqual(refused.status, 64)
        XCTAssertEqual(
            refused.stderr,
            "wrnn: error: this run trains with --precision bf16, which needs AVX512-BF16 products, and \(missing); resume it where they run (its weights stay fp32: wrnn eval reads it anywhere)\n"
        )
        let evaluated = try wrnn(["eval", run], environment: elsewhere)
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertTrue(evaluated.stdout.contains("recall"), evaluated.stdout)
        let resumed = try wrnn(["train", "--resume", run, "--steps", "250", "--quiet"], environment: here)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }

    /// Never slower unannounced: a bf16 run's header names its products and how they compare with
    /// fp32 here, measured at its start, and command.json keeps both. The plain versions run on any
    /// CPU (WRNN_BF16=emulate); the kernels where the CPU has them.
    func testABF16RunSaysWhichProductsRunAndHowFastTheyAre() throws {
        var environments: [([String: String?], String)] = [
            (["WRNN_KERNELS": "portable", "WRNN_BF16": "emulate"], "bf16 products: plain versions (WRNN_BF16=emulate), ")
        ]
        if cpuHasBF16 { environments.append(([:], "AVX512-BF16 kernels")) }
        for (environment, expected) in environments {
            let cwd = scratchDirectory()
            let result = try wrnn(
                [
                    "train", "--task", "copy", "-T", "3", "-n", "16", "-c", "2", "--precision", "bf16", "--steps", "4", "--out", "r",
                    "--quiet"
                ],
                in: cwd, environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            let line = try XCTUnwrap(
                result.stdout.split(separator: "\n").map(String.init).first { $0.contains("bf16 products") && !$0.hasPrefix("model:") })
            XCTAssertTrue(line.contains(expected), line)
            XCTAssertNotNil(line.firstMatch(of: #/[0-9]+\.[0-9]{2}x the fp32 convolution's speed/#), line)
            let command = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cwd + "/r/command.json"))) as? [String: Any])
            XCTAssertNotNil(command["bf16_speedup"] as? Double)
            XCTAssertNotNil(command["bf16_products"] as? String)
            // a slower bf16 says so: the line for a speed-up under 1
            let slower = result.stdout.contains("makes this run slower")
            let speedup = try XCTUnwrap(command["bf16_speedup"] as? Double)
            if expected == "AVX512-BF16 kernels" { XCTAssertEqual(slower, speedup < 1, line) }
        }
    }

    /// The gated models and the iRNN take --precision bf16 too: their recurrent products through
    /// oneDNN where it runs (the plain version under WRNN_BF16=emulate elsewhere). The run names the
    /// products in its model line, times them against fp32 at its start, records both in command.json,
    /// and a resume where they cannot run is refused with what is missing.
    func testGatedModelsTrainInBF16AndSayHow() throws {
        let emulate: [String: String?] = ["WRNN_KERNELS": "portable", "WRNN_BF16": "emulate"]
        var environments: [([String: String?], String)] = [(emulate, "plain versions (WRNN_BF16=emulate)")]
        if cpuHasBF16 || cpuHasAMX { environments.append(([:], "oneDNN ")) }
        for (environment, products) in environments {
            for model in ["lstm", "gru", "irnn", "cornn", "lem"] {
                let cwd = scratchDirectory()
                let result = try wrnn(
                    [
                        "train", "--task", "copy", "-T", "3", "--model", model, "--hidden-size", "24", "--precision", "bf16", "--steps",
                        "3", "--test-size", "64", "--out", "r"
                    ],
                    in: cwd, environment: environment)
                XCTAssertEqual(result.status, 0, result.stderr)
                let lines = result.stdout.split(separator: "\n").map(String.init)
                let modelLine = try XCTUnwrap(lines.first { $0.hasPrefix("model:") }, result.stdout)
                XCTAssertTrue(modelLine.contains(", bf16 products (\(products)"), modelLine)
                let speedLine = try XCTUnwrap(lines.first { $0.contains("bf16 products") && !$0.hasPrefix("model:") }, result.stdout)
                XCTAssertNotNil(speedLine.firstMatch(of: #/[0-9]+\.[0-9]{2}x the fp32 recurrent products' speed/#), speedLine)
                let command = try XCTUnwrap(
                    JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cwd + "/r/command.json"))) as? [String: Any])
                XCTAssertTrue((command["bf16_products"] as? String)?.hasPrefix(products) == true, "\(command)")
                let speedup = try XCTUnwrap(command["bf16_speedup"] as? Double)
                if products == "oneDNN " { XCTAssertEqual(speedLine.hasPrefix("note:"), speedup < 1, speedLine) }
            }
        }
        // resumed where no bf16 products run: refused with what is missing; evaluated anywhere
        let run = scratchDirectory() + "/lstm"
        let here: [String: String?] = cpuHasBF16 || cpuHasAMX ? [:] : ["WRNN_BF16": "emulate"]
        let trained = try wrnn(
            [
                "train", "--task", "copy", "-T", "3", "--model", "lstm", "--hidden-size", "16", "--precision", "bf16", "--steps", "2",
                "--out", run, "--quiet"
            ],
            environment: here)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let elsewhere: [String: String?] = cpuHasBF16 || cpuHasAMX ? ["WRNN_KERNELS": "portable"] : [:]
        let missing =
            cpuHasBF16 || cpuHasAMX
            ? "bf16 products, and WRNN_KERNELS=portable turns them off" : "bf16 products (AVX512-BF16 or AMX), and this CPU has none"
        let refused = try wrnn(["train", "--resume", run, "--steps", "3"], environment: elsewhere)
        XCTAssertEqual(refused.status, 64)
        XCTAssertEqual(
            refused.stderr,
            "wrnn: error: this run trains with --precision bf16, which needs \(missing); resume it where they run (its weights stay fp32: wrnn eval reads it anywhere)\n"
        )
        let evaluated = try wrnn(["eval", run], environment: elsewhere)
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
    }
}
