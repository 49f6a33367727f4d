import WaveKernels
import Foundation
import XCTest
import WaveCore

/// Runs the built `wrnn` binary and checks its exact output and exit codes.
final class CLITests: XCTestCase {
    /// Bad input: one line naming the option and what is allowed, exit 64, nothing created.
    func testBadInputGivesOneLineAndExit64() throws {
        let cwd = scratchDirectory()
        let existing = cwd + "/taken"
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        let cases: [([String], String)] = [
            (
                ["train", "--task", "sort"],
                "The value 'sort' is invalid for '--task <task>'. Please provide one of the following: copy, adding, smnist, psmnist, sfmnist, psfmnist, nscifar10, sequences"
            ),
            (
                ["train", "--model", "rnn"],
                "The value 'rnn' is invalid for '--model <model>'. Please provide one of the following: wrnn, irnn, lstm, gru, cornn, lem, fc, wrnn2d; did you mean 'wrnn'?"
            ),
            (["train", "--hidden-size", "0"], "--hidden-size must be a positive integer (got 0)"),
            (["train", "-c", "-3"], "--channels must be a positive integer (got -3)"),
            (["train", "--kernel-size", "4"], "--kernel-size must be odd (got 4)"),
            (["train", "-f", "41", "-n", "16"], "--kernel-size 41 is wider than the ring (n = 16); use at most 15"),
            (
                ["train", "--seed", "-1"],
                "The value '-1' is invalid for '--seed <seed>'; a seed is an integer from 0 to 18446744073709551615"
            ),
            (
                ["train", "--activation", "relu6"],
                "The value 'relu6' is invalid for '--activation <activation>'. Please provide one of 'relu', 'tanh' or 'identity'.; did you mean 'relu'?"
            ),
            (["train", "--batch-size", "0"], "--batch-size must be a positive integer (got 0)"),
            (["train", "--lr", "0"], "--lr must be a finite number > 0 (got 0.0)"),
            (["train", "--lr", "-0.1"], "--lr must be a finite number > 0 (got -0.1)"),
            (["train", "--lr", "nan"], "--lr must be a finite number > 0 (got nan)"),
            (["train", "--clip", "inf"], "--clip must be a finite number >= 0 (0 turns clipping off) (got inf)"),
            (["train", "--task", "adding", "--length", "1"], "--length must be an integer >= 2 (got 1)"),
            (
                ["train", "--task", "adding", "--readout-at", "every"],
                "--readout-at every does not fit the adding task, whose targets are read at the last step; drop --readout-at"
            ),
            (
                ["train", "--task", "copy", "--readout-at", "last"],
                "--readout-at last does not fit the copy task, whose targets are read at every step; drop --readout-at"
            ),
            (["train", "--model", "irnn", "--channels", "4"], "--channels applies to --model wrnn and wrnn2d only"),
            (
                ["train", "--model", "lstm", "--initialization", "shift"],
                "--initialization applies to --model wrnn, irnn and wrnn2d only (lstm uses its authors' init and activations)"
            ),
            (["demo", "--steps", "0"], "--steps must be a positive integer (got 0)"),
            (["analyze", "some-run", "--scale", "1,0"], "--scale takes panel, shared or LO,HI with LO < HI (got '1,0')"),
            (
                ["bench", "--configs", "copy-lstm"],
                "--configs: unknown configuration 'copy-lstm'; choose from copy-wrnn, copy-irnn, copy-wrnn2d, adding-wrnn, adding-irnn, smnist-wrnn, smnist-irnn, smnist-lstm, smnist-gru, smnist-cornn, smnist-lem, smnist-wrnn2d, nscifar10-wrnn"
            )
        ]
        for (arguments, message) in cases {
            let result = try wrnn(arguments, in: cwd)
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
        }
        // an existing run directory is an output that cannot be created: 73, and the run is untouched
        let taken = try wrnn(["train", "--out", existing], in: cwd)
        XCTAssertEqual(taken.status, 73)
        XCTAssertEqual(
            taken.stderr,
            "wrnn: error: --out: run directory \(existing) already exists; choose a new --out or remove it\n"
        )
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cwd), ["taken"], "no run directory was created")
    }

    func testTrainRunPrintsItsSetupAndWritesTheRunDirectory() throws {
        let run = scratchDirectory() + "/run"
        let result = try wrnn([
            "train", "--task", "copy", "-T", "2", "-n", "8", "-c", "2", "--steps", "20",
            "--batch-size", "8", "--test-size", "16", "--eval-every", "10", "--seed", "3",
            "--threads", "1", "--out", run
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(
            Array(lines.prefix(5)),
            [
                "wrnn train: copy task, delay T=2 (length 22, paper layout)",
                "model: wRNN n=8 c=2 f=3 relu, u shift, V sparse, linear readout at every step",
                "360 parameters = u 12 + b_u 2 + V 160 + b_V 16 + readout 170",
                "Adam lr 0.001, clip 1.0, batch 8, 20 steps, seed 3, 1 thread",
                "run directory: \(run)"
            ])
        XCTAssertTrue(lines[5].hasPrefix("step 0/20  test "), lines[5])
        XCTAssertTrue(lines[6].hasPrefix("step 10/20  train "), lines[6])
        XCTAssertTrue(lines[7].hasPrefix("step 20/20  train "), lines[7])
        XCTAssertTrue(lines[8].hasPrefix("done: 20 steps in "), lines[8])
        XCTAssertEqual(lines.count, 9)
        for file in ["config.json", "metrics.jsonl", "checkpoint.bin", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/" + file), file)
        }
        let metrics = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 3)
        let last = try JSONSerialization.jsonObject(with: Data(metrics[2].utf8)) as! [String: Any]
        XCTAssertEqual(last["step"] as? Int, 20)
        for key in ["train_loss", "test_loss", "test_loss_per_batch", "recall_accuracy", "wall_time"] {
            XCTAssertNotNil(last[key], key)
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as! [String: Any]
        XCTAssertEqual(config["seed"] as? Int, 3)
    }

    /// Spec 2.5's example: the paper's copy-task wRNN has 12,724 parameters.
    /// A crash can leave metrics.jsonl with a half-written last line: report and curves draw up to the
    /// line before; a damaged line elsewhere is one line naming the file and line, exit 65.
    func testReportToleratesATornLastMetricsLine() throws {
        let cwd = scratchDirectory()
        let trained = try wrnn(
            ["train", "--task", "copy", "-T", "3", "--steps", "10", "--eval-every", "5", "--threads", "1", "--out", "run", "--quiet"],
            in: cwd)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: cwd + "/run/metrics.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"step\":15,\"test_lo".utf8))
        try handle.close()
        let report = try wrnn(["report", "run"], in: cwd)
        XCTAssertEqual(report.status, 0, report.stderr)
        let curves = try wrnn(["curves", "run", "--out", "figures", "--format", "svg"], in: cwd)
        XCTAssertEqual(curves.status, 0, curves.stderr)
        var lines = try String(contentsOfFile: cwd + "/run/metrics.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        lines[1] = "garbage"
        try (lines.joined(separator: "\n") + "\n").write(toFile: cwd + "/run/metrics.jsonl", atomically: true, encoding: .utf8)
        let damaged = try wrnn(["report", "run"], in: cwd)
        XCTAssertEqual(damaged.status, 65)
        XCTAssertEqual(damaged.stderr, "wrnn: error: run/metrics.jsonl line 2 is not a metrics record; the run's log is damaged\n")
    }

    func testPaperDefaultsPrintTheirParameterCount() throws {
        let dir = scratchDirectory()
        let wave = try wrnn(["train", "--steps", "1", "--test-size", "1", "--batch-size", "2", "--out", dir + "/w"])
        XCTAssertEqual(wave.status, 0, wave.stderr)
        XCTAssertTrue(wave.stdout.contains("\n12,724 parameters = u 108 + b_u 6 + V 6,000 + b_V 600 + readout 6,010\n"), wave.stdout)
        let still = try wrnn([
            "train", "--task", "adding", "--model", "irnn", "--steps", "1", "--test-size", "1",
            "--batch-size", "2", "-T", "10", "--out", dir + "/i"
        ])
        XCTAssertEqual(still.status, 0, still.stderr)
        XCTAssertTrue(still.stdout.contains("\n10,501 parameters = U 10,000 + b_U 100 + V 200 + b_V 100 + readout 101\n"), still.stdout)
        XCTAssertTrue(
            still.stdout.contains("model: iRNN N=100 relu, U identity, V normal, linear readout at the last step\n"), still.stdout)
    }

    func testDivergedRunExits3AndKeepsItsCheckpoint() throws {
        let run = scratchDirectory() + "/run"
        let result = try wrnn([
            "train", "--task", "adding", "--model", "irnn", "-T", "50", "--lr", "1e6", "--clip", "0",
            "--steps", "100", "--batch-size", "16", "--test-size", "16", "--out", run
        ])
        XCTAssertEqual(result.status, 3)
        XCTAssertTrue(result.stderr.hasPrefix("wrnn: error: training diverged at step "), result.stderr)
        XCTAssertTrue(
            result.stderr.hasSuffix(
                "; kept the last good checkpoint (step 0, the weights of the last finite loss) at \(run)/checkpoint.bin\n"),
            result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/checkpoint.bin"))
    }

    func testBenchJSON() throws {
        let result = try wrnn(["bench", "--configs", "copy-irnn", "--iterations", "2", "--warmup", "0", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let rows = report["results"] as! [[String: Any]]
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0]["name"] as? String, "copy-irnn")
        XCTAssertGreaterThan(rows[0]["seconds_per_iteration"] as! Double, 0)
        XCTAssertGreaterThan(rows[0]["gflops"] as! Double, 0)
        XCTAssertEqual(rows[0]["parameters"] as? Int, 12_210)
        XCTAssertEqual(report["kernel_path"] as? String, KernelPath.available.rawValue)
    }

    /// `bench --kernels` times the three convolution kernels alone, and only for wRNN configurations.
    func testBenchKernels() throws {
        let result = try wrnn(["bench", "--kernels", "--configs", "copy-wrnn,copy-irnn", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["kernel"] as? String }, ["forward", "input gradient", "weight gradient"])
        for row in rows {
            XCTAssertEqual(row["config"] as? String, "copy-wrnn")
            XCTAssertEqual(row["path"] as? String, KernelPath.available.rawValue)
            XCTAssertGreaterThan(row["gflops"] as! Double, 0)
            XCTAssertGreaterThan(row["percent_of_peak"] as! Double, 0)
        }
        let notWave = try wrnn(["bench", "--kernels", "--configs", "smnist-lstm"])
        XCTAssertEqual(notWave.status, 64)
        XCTAssertEqual(
            notWave.stderr,
            "wrnn: error: --kernels times kernels alone; name a configuration that has some (copy-wrnn, copy-wrnn2d, adding-wrnn, smnist-wrnn, smnist-wrnn2d, nscifar10-wrnn)\n"
        )
        let both = try wrnn(["bench", "--kernels", "--torch"])
        XCTAssertEqual(both.status, 64)
        XCTAssertEqual(
            both.stderr, "wrnn: error: --kernels times wrnn's kernels alone; --torch compares whole training iterations: give one of them\n"
        )
    }

    /// A run continued on another kernel path (another node's CPU, or WRNN_KERNELS) says that its
    /// numbers are no longer bitwise those of an uninterrupted run.
    func testResumeOnAnotherKernelPathWarns() throws {
        let run = scratchDirectory() + "/run"
        let started = try wrnn(
            [
                "train", "--task", "copy", "-T", "4", "-n", "12", "-c", "2", "--steps", "4", "--batch-size", "8",
                "--test-size", "8", "--quiet", "--out", run
            ], environment: ["WRNN_KERNELS": "portable"])
        XCTAssertEqual(started.status, 0, started.stderr)
        let resumed = try wrnn(["train", "--resume", run, "--steps", "6", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let warning =
            "wrnn: warning: the run started on the portable kernels and continues on the avx512 ones (this CPU, or WRNN_KERNELS): the numbers will no longer be bitwise those of an uninterrupted run\n"
        XCTAssertEqual(resumed.stderr, KernelPath.available == .avx512 ? warning : "")
    }

    /// The convolution path is chosen from the CPU and can be held to the baseline; with no
    /// OPENBLAS_CORETYPE given, an AVX-512 CPU gets OpenBLAS's AVX-512 kernels (restarting once
    /// when OpenBLAS picked narrower ones).
    func testBenchNamesKernelPaths() throws {
        let portable = try wrnn(
            ["bench", "--configs", "copy-wrnn", "--iterations", "1", "--warmup", "0", "--json"],
            environment: ["WRNN_KERNELS": "portable"])
        XCTAssertEqual(portable.status, 0, portable.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(portable.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["kernel_path"] as? String, "portable")
        let chosen = try wrnn(
            ["bench", "--configs", "copy-irnn", "--iterations", "1", "--warmup", "0"],
            environment: ["OPENBLAS_CORETYPE": nil, "WRNN_BLAS_REEXEC": nil])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        let header = chosen.stdout.split(separator: "\n").first.map(String.init) ?? ""
        if KernelPath.available == .avx512 {
            XCTAssertTrue(header.contains("AVX-512 convolution kernels, chosen at run time"), header)
            XCTAssertNotNil(header.firstMatch(of: #/OpenBLAS (SkylakeX|Cooperlake|SapphireRapids) kernels;/#), header)
        } else {
            XCTAssertTrue(header.contains("baseline"), header)
        }
    }

    /// Help prose is wrapped by the parser at the terminal's width, never broken mid-sentence by
    /// hand: inside a paragraph every line but the last fills most of the 80 columns.
    func testHelpTextsWrapCleanly() throws {
        for command in [
            ["--help"], ["train", "--help"], ["sweep", "--help"], ["analyze", "--help"], ["figure2", "--help"],
            ["curves", "--help"], ["results", "--help"], ["export", "--help"]
        ] {
            let help = try wrnn(command)
            XCTAssertEqual(help.status, 0, "\(command)")
            let prose = help.stdout.components(separatedBy: "USAGE:")[0]
            for paragraph in prose.components(separatedBy: "\n\n") {
                let lines = paragraph.split(separator: "\n").map(String.init)
                for line in lines.dropLast() {
                    XCTAssertLessThanOrEqual(line.count, 80, "\(command): \(line)")
                    XCTAssertGreaterThanOrEqual(line.count, 55, "\(command): a line broken by hand: \(line)")
                }
            }
        }
    }

    func testHelpAndVersion() throws {
        let help = try wrnn(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("SUBCOMMANDS:"))
        XCTAssertTrue(help.stdout.contains("train"))
        let prose = help.stdout.replacingOccurrences(of: "\n", with: " ") // as wrapped at the terminal's width
        XCTAssertTrue(prose.contains("64 usage or configuration error"))
        XCTAssertTrue(prose.contains("66 missing or unreadable input"))
        let version = try wrnn(["--version"])
        XCTAssertEqual(version.stdout, "0.2.0\n")
    }

    func formatLossForTest(_ x: Double) -> String {
        abs(x) >= 0.01 || x == 0 ? String(format: "%.4f", x) : String(format: "%.3e", x)
    }

    func tinyRun(_ extra: [String] = []) throws -> String {
        let run = scratchDirectory() + "/run"
        let result = try wrnn(
            [
                "train", "--task", "copy", "-T", "4", "-n", "12", "-c", "2", "--steps", "10", "--batch-size", "8",
                "--test-size", "8", "--seed", "5", "--quiet", "--out", run
            ] + extra)
        XCTAssertEqual(result.status, 0, result.stderr)
        return run
    }

    func testAnalyzeReportAndExport() throws {
        let run = try tinyRun()
        let analyze = try wrnn(["analyze", run, "--samples", "0,2", "--channels", "1"])
        XCTAssertEqual(analyze.status, 0, analyze.stderr)
        let lines = analyze.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "wrnn analyze: wRNN on the copy task, delay T=4 (length 24, paper layout), checkpoint step 10")
        XCTAssertEqual(
            lines[1], "sample  ring     diagonal power  speed (neurons/step)  wave score z (p): own order      by response lag")
        XCTAssertTrue(lines[2].hasPrefix("0       1       "), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("2       1       "), lines[3])
        XCTAssertEqual(lines[4], "wrote 24 files to \(run)/analysis")
        for file in [
            "hidden_s2.npy", "spacetime_s0_c1.png", "spectrum_s2_c1.png", "spectrum_s2_c1.npy", "hidden_s0.gif", "copy_io_s2.png",
            "curves.png", "accuracy.png"
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/analysis/" + file), file)
        }
        let evaluated = try wrnn(["eval", run])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertTrue(
            evaluated.stdout.hasPrefix("wRNN at step 10 on the copy task, delay T=4 (length 24, paper layout): test loss "),
            evaluated.stdout)
        let summary =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
        XCTAssertTrue(evaluated.stdout.contains("test loss \(formatLossForTest(summary["test_loss"] as! Double))"), evaluated.stdout)
        // the spectrum's shuffle follows --seed: same seed, same numbers; another seed, others
        let again = try wrnn(["analyze", run, "--samples", "0,2", "--channels", "1"])
        XCTAssertEqual(again.stdout, analyze.stdout)
        let reseeded = try wrnn(["analyze", run, "--samples", "0,2", "--channels", "1", "--seed", "99"])
        XCTAssertEqual(reseeded.status, 0)
        XCTAssertNotEqual(reseeded.stdout, analyze.stdout)
        let report = try wrnn(["report", run])
        XCTAssertEqual(report.stdout, "wrote \(run)/report.html\n")
        let export = try wrnn(["export", run])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(
            export.stdout.split(separator: "\n").first.map(String.init),
            "wrote \(run)/model.safetensors (6 tensors, 528 parameters)")
        // PyTorch's side of the export (its outputs and gradients under these names) is ParityFixtureTests
    }

    /// Weights move both ways: a run started from an export begins where the original ended.
    func testInitFromAnExportStartsWhereTheRunEnded() throws {
        let run = try tinyRun()
        XCTAssertEqual(try wrnn(["export", run]).status, 0)
        let next = try tinyRun(["--init-from", run + "/model.safetensors"])
        let ended = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
        let firstLine = try String(contentsOfFile: next + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")[0]
        let started = try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as! [String: Any]
        XCTAssertEqual(started["test_loss"] as? Double, ended["test_loss"] as? Double)

        let bad = scratchDirectory() + "/bad.safetensors"
        FileManager.default.createFile(atPath: bad, contents: Data([255, 255, 255, 255, 0, 0, 0, 0, 123]))
        let result = try wrnn(["train", "--init-from", bad, "--steps", "1", "--out", scratchDirectory() + "/x"])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(
            result.stderr, "wrnn: error: \(bad) is not a valid safetensors file: header length 4294967295 bytes is over the 100 MB limit\n")

        // one NaN weight: refused with the tensor's name, before a run directory exists
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")))
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        bytes.replaceSubrange((8 + headerLength)..<(12 + headerLength), with: [0, 0, 0xC0, 0x7F])
        let nan = scratchDirectory() + "/nan.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: nan))
        let out = scratchDirectory() + "/nan-run"
        let refused = try wrnn(["train", "--init-from", nan, "-T", "4", "-n", "12", "-c", "2", "--steps", "1", "--out", out])
        XCTAssertEqual(refused.status, 65)
        XCTAssertTrue(refused.stderr.hasPrefix("wrnn: error: \(nan): tensor "), refused.stderr)
        XCTAssertTrue(refused.stderr.hasSuffix(" holds nan at index 0; initial weights must be finite\n"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing created")
    }

    func testAnalyzeBadInput() throws {
        let missing = try wrnn(["analyze", "/nonexistent/run"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "wrnn: error: run directory /nonexistent/run does not exist\n")
        let list = try wrnn(["analyze", "/tmp", "--samples", "a,1"])
        XCTAssertEqual(list.status, 64)
        XCTAssertEqual(list.stderr, "wrnn: error: --samples must be a comma-separated list of non-negative integers (got 'a,1')\n")
    }

    func testImageTasks() throws {
        let missing = try wrnn(["train", "--task", "psmnist", "--data-dir", "/nonexistent", "--out", scratchDirectory() + "/x"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "wrnn: error: data directory /nonexistent does not exist; give an existing --data-dir\n")
        // an existing directory without the files: named, and never replaced by Debian's Fashion-MNIST
        let empty = scratchDirectory()
        let none = try wrnn(["train", "--task", "sfmnist", "--data-dir", empty, "--out", scratchDirectory() + "/x"])
        XCTAssertEqual(none.status, 66)
        XCTAssertEqual(
            none.stderr,
            "wrnn: error: fashion-mnist: train-images-idx3-ubyte[.gz] and the other three files are not in \(empty)/fashion-mnist, \(empty); fetch them with `wrnn data fetch fashion-mnist`, or put them in one of those directories (or set --data-dir / WRNN_DATA)\n"
        )
        let wrong = try wrnn(["train", "--task", "smnist", "--permutation", "p.npy"])
        XCTAssertEqual(wrong.status, 64)
        XCTAssertEqual(wrong.stderr, "wrnn: error: --permutation applies to --task psmnist and psfmnist only\n")
        let run = scratchDirectory() + "/run"
        let result = try wrnn([
            "train", "--task", "psfmnist", "--model", "gru", "-n", "8", "--steps", "2", "--batch-size", "4",
            "--test-size", "8", "--eval-every", "2", "--out", run
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(
            result.stdout.hasPrefix(
                "wrnn train: psfmnist: sequential Fashion-MNIST, 784 steps of 1 pixel, permuted (seeded)\nmodel: GRU N=8, PyTorch init, linear readout at the last step\n"
            ), result.stdout)
        XCTAssertTrue(result.stdout.contains("val acc"), result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/permutation.npy"))
    }

    // MARK: resume, signals, lock

    /// SIGTERM mid-run: the step finishes, a checkpoint is written, exit 143; --resume then gives
    /// exactly the metrics and weights of an uninterrupted run (same seed and threads).
    func testStopAndResumeIsBitwiseExact() throws {
        let arguments = [
            "train", "-T", "10", "--steps", "300", "--eval-every", "20", "--checkpoint-every", "1000",
            "--test-size", "64", "--seed", "4", "--threads", "2"
        ]
        let whole = scratchDirectory() + "/whole", split = scratchDirectory() + "/split"
        XCTAssertEqual(try wrnn(arguments + ["--out", whole]).status, 0)

        let process = try startTraining(arguments + ["--out", split])
        var lines = 0
        let deadline = Date().addingTimeInterval(60)
        while lines < 3 && Date() < deadline { // stop once a few evaluations are in (mid-interval)
            Thread.sleep(forTimeInterval: 0.05)
            lines = ((try? String(contentsOfFile: split + "/metrics.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        Thread.sleep(forTimeInterval: 0.13)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        XCTAssertFalse(FileManager.default.fileExists(atPath: split + "/summary.json"), "an interrupted run has no summary yet")
        let partial = try metricsWithoutTime(split)
        XCTAssertLessThan(partial.count, 16, "stopped well before the end (15 evaluations and step 0 in all)")
        let resumed = try wrnn(["train", "--resume", split])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.hasPrefix("wrnn train: resuming \(split) at step "), resumed.stdout)
        XCTAssertEqual(try metricsWithoutTime(split), try metricsWithoutTime(whole))
        let a = try FileManager.default.contents(atPath: whole + "/checkpoint.bin").map { [UInt8]($0) }
        let b = try FileManager.default.contents(atPath: split + "/checkpoint.bin").map { [UInt8]($0) }
        XCTAssertNotNil(a)
        // the float payloads (weights, Adam state) are identical; headers differ only in wall time
        XCTAssertEqual(
            a.map { Array($0.suffix(3 * 12_724 * 4 + 4).dropLast(4)) }, b.map { Array($0.suffix(3 * 12_724 * 4 + 4).dropLast(4)) })
    }

    func testLockCorruptCheckpointFallbackAndKill9() throws {
        let run = try tinyRun()
        // a second process on a run in use is refused, naming the holder
        let holder = try startTraining(["train", "--resume", run, "--steps", "100000"])
        Thread.sleep(forTimeInterval: 0.8)
        let refused = try wrnn(["train", "--resume", run])
        XCTAssertEqual(refused.status, 75)
        XCTAssertEqual(
            refused.stderr,
            "wrnn: error: run directory \(run) is in use by process \(holder.processIdentifier); wait for it to finish or stop it\n")
        kill(holder.processIdentifier, SIGINT)
        holder.waitUntilExit()
        XCTAssertEqual(holder.terminationStatus, 130)

        // a corrupt last checkpoint: resume falls back to the previous one and says so
        var bytes = [UInt8](FileManager.default.contents(atPath: run + "/checkpoint.bin")!)
        bytes[bytes.count / 2] ^= 0xFF
        FileManager.default.createFile(atPath: run + "/checkpoint.bin", contents: Data(bytes))
        let fallback = try wrnn(["train", "--resume", run, "--steps", "10"])
        XCTAssertEqual(fallback.status, 0, fallback.stderr)
        XCTAssertTrue(
            fallback.stderr.hasPrefix(
                "wrnn: warning: checkpoint \(run)/checkpoint.bin is corrupt: CRC mismatch (damaged file); resuming from \(run)/checkpoint.prev.bin (step "
            ), fallback.stderr)
        // both damaged: reported, exit 65, never silently from scratch
        for name in ["checkpoint.bin", "checkpoint.prev.bin"] {
            FileManager.default.createFile(atPath: run + "/" + name, contents: Data("junk".utf8))
        }
        let broken = try wrnn(["train", "--resume", run])
        XCTAssertEqual(broken.status, 65)

        // kill -9 while checkpoints are being written every step: a loadable one always remains
        let busy = scratchDirectory() + "/busy"
        for attempt in 0..<6 {
            let arguments =
                attempt == 0
                ? [
                    "train", "--task", "adding", "-T", "20", "--steps", "100000", "--checkpoint-every", "1", "--eval-every", "100000",
                    "--test-size", "8", "--batch-size", "8", "--out", busy
                ]
                : ["train", "--resume", busy]
            let process = try startTraining(arguments)
            Thread.sleep(forTimeInterval: 0.3 + 0.07 * Double(attempt))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertNoThrow(try readCheckpointLikeResume(busy), "after kill -9 number \(attempt + 1)")
        }
    }

    func readCheckpointLikeResume(_ run: String) throws {
        let data =
            FileManager.default.contents(atPath: run + "/checkpoint.bin")
            ?? FileManager.default.contents(atPath: run + "/checkpoint.prev.bin")
        XCTAssertNotNil(data)
        let result = try wrnn(["export", run, "--out", run + "/probe.safetensors", "--check-samples", "1"])
        if result.status != 0 {
            // export reads checkpoint.bin only; resume's fallback is what must succeed
            let prev = FileManager.default.fileExists(atPath: run + "/checkpoint.prev.bin")
            XCTAssertTrue(prev, result.stderr)
        }
    }

    func testDataVerifyAndFetch() throws {
        let verify = try wrnn(["data", "verify", "fashion-mnist"])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(
            verify.stdout.hasSuffix(
                "fashion-mnist: /usr/share/datasets/fashion-mnist: 60000 training and 10000 test images of 28x28, labels in 0...9\n"),
            verify.stdout)
        let missing = try wrnn(["data", "verify", "mnist", "--data-dir", "/nonexistent"])
        XCTAssertEqual(missing.status, 66)
        let unknown = try wrnn(["data", "fetch", "imagenet"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertEqual(unknown.stderr, "wrnn: error: unknown data set 'imagenet'; choose from mnist, fashion-mnist, cifar10\n")
        let dir = scratchDirectory()
        let fetch = try wrnn(["data", "fetch", "fashion-mnist", "--data-dir", dir, "--mirror", "file:///usr/share/datasets/fashion-mnist"])
        XCTAssertEqual(fetch.status, 0, fetch.stderr)
        XCTAssertEqual(fetch.stdout.split(separator: "\n").count, 4)
        XCTAssertEqual(try wrnn(["data", "verify", "fashion-mnist", "--data-dir", dir]).status, 0)
    }
}
