import Foundation
import XCTest
import WaveTestSupport
import WaveTraining

/// `wrnn sweep` and `wrnn results` through the built binary: the authors' files, restarts,
/// failures, two processes on one grid, and a real single-node Slurm cluster.
final class SweepCLITests: XCTestCase {
    static let anchors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/anchors/authors-sweeps").path

    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func events(_ sweep: String, _ kind: String) -> [String] {
        ((try? String(contentsOfFile: sweep + "/sweep.jsonl", encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains("\"event\":\"\(kind)\"") }.map(String.init)
    }

    func runDirectories(_ sweep: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: sweep + "/runs").sorted().map { sweep + "/runs/" + $0 }
    }

    /// The weights and Adam state of a run's last checkpoint.
    func weights(_ run: String) throws -> [Float] {
        let checkpoint = try Checkpoint.read(from: run + "/checkpoint.bin")
        return checkpoint.params + checkpoint.m + checkpoint.v
    }

    func testDryRunReadsEveryAuthorsFileUnchanged() throws {
        let expected = [
            "adding_sweep_rnn.yml": "sweep Adding_Sweep_iRNN", "adding_sweep_wrnn.yml": "sweep Adding_Sweep_wRNN",
            "copy_sweep_rnn.yml": "sweep Copy_Sweep_iRNN", "copy_sweep_wrnn.yml": "sweep Copy_Sweep_wRNN",
            "noisy_cifar10_sweep_rnn.yml": "sweep Cifar10_rnn", "noisy_cifar10_sweep_wrnn.yml": "sweep Cifar10_wrnn",
            "psMNIST_sweep_convrnn.yml": "sweep psMNIST_wrnn", "psMNIST_sweep_rnn.yml": "sweep psMNIST_rnn",
            "sMNIST_sweep_convrnn.yml": "sweep sMNIST_wrnn", "sMNIST_sweep_fc.yml": "sweep sMNIST_fc_baseline",
            "sMNIST_sweep_rnn.yml": "sweep sMNIST_rnn_mlp"
        ]
        let counts = [
            "adding_sweep_rnn.yml": "75 runs, 75 valid, 0 invalid", "adding_sweep_wrnn.yml": "75 runs, 50 valid, 25 invalid",
            "copy_sweep_rnn.yml": "360 runs, 360 valid", "copy_sweep_wrnn.yml": "45 runs, 45 valid",
            "noisy_cifar10_sweep_rnn.yml": "12 runs", "noisy_cifar10_sweep_wrnn.yml": "6 runs",
            "psMNIST_sweep_convrnn.yml": "60 runs", "psMNIST_sweep_rnn.yml": "60 runs", "sMNIST_sweep_convrnn.yml": "2 runs",
            "sMNIST_sweep_fc.yml": "16 runs, 16 valid", "sMNIST_sweep_rnn.yml": "4 runs"
        ]
        let cwd = scratchDirectory()
        for (file, name) in expected {
            let result = try wrnn(["sweep", Self.anchors + "/" + file, "--dry-run"], in: cwd)
            XCTAssertEqual(result.status, 0, result.stderr)
            let first = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertTrue(first.hasPrefix("\(name) (\(Self.anchors)/\(file)): \(counts[file]!)"), first)
            XCTAssertTrue(result.stdout.contains("\nestimated compute: "), file)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cwd), [], "a dry run writes nothing")

        let adding = try wrnn(["sweep", Self.anchors + "/adding_sweep_wrnn.yml", "--dry-run", "--limit", "1"], in: cwd)
        XCTAssertTrue(
            adding.stdout.contains(
                "  [0] adding-wrnn_lr-1e-2_T100_grad_clip0.0_s0: INVALID: --lr must be a finite number > 0 (got -0.01)\n"), adding.stdout)
        let copy = try wrnn(
            ["sweep", Self.anchors + "/copy_sweep_wrnn.yml", "--dry-run", "--filter", "T=10", "--filter", "lr=0.001", "--seeds", "0,1"],
            in: cwd)
        XCTAssertTrue(
            copy.stdout.hasPrefix("sweep Copy_Sweep_wRNN (\(Self.anchors)/copy_sweep_wrnn.yml): 6 runs, 6 valid, 0 invalid\n"), copy.stdout)
        XCTAssertTrue(
            copy.stdout.contains(
                "      copy task, authors' script T'=10 (length 20, delimiter at 9; no paper T); the delimiter overwrites digit 10 of 10, as the script does\n"
            ), copy.stdout)
        XCTAssertTrue(copy.stdout.contains("Adam lr 0.001, clip 1.0, batch 128, 60000 steps, seed 1, authors' protocol, "), copy.stdout)
    }

    /// The authors' non-recurrent baseline and their copy script's own T', from wrnn train.
    func testFCModelAndScriptCopyLayout() throws {
        let cwd = scratchDirectory()
        let fc = try wrnn(
            [
                "train", "--task", "sfmnist", "--model", "fc", "--readout", "mlp", "-n", "256", "--steps", "3",
                "--test-size", "64", "--out", "fc"
            ], in: cwd)
        XCTAssertEqual(fc.status, 0, fc.stderr)
        XCTAssertTrue(
            fc.stdout.contains(
                "model: FC (no recurrence): the flattened sequence, 784 values, into an MLP readout (784 -> 256 -> relu -> 10)\n203,530 parameters = MLP readout 203,530\n"
            ), fc.stdout)
        let copy = try wrnn(
            [
                "train", "--copy-layout", "script", "-T", "10", "-n", "8", "-c", "2", "--steps", "3", "--test-size", "8",
                "--out", "copy"
            ], in: cwd)
        XCTAssertEqual(copy.status, 0, copy.stderr)
        XCTAssertTrue(
            copy.stdout.hasPrefix(
                "wrnn train: copy task, authors' script T'=10 (length 20, delimiter at 9; no paper T); the delimiter overwrites digit 10 of 10, as the script does\n"
            ), copy.stdout)
        let summary = try String(contentsOfFile: cwd + "/copy/summary.json", encoding: .utf8)
        XCTAssertTrue(summary.contains("the delimiter at index 9 overwrites digit 10 of 10"), summary)
        let bad: [([String], String)] = [
            (
                ["train", "--model", "fc", "--task", "copy"],
                "--model fc reads the whole sequence once and answers once; the copy task needs an answer at every step (use adding or an image task)"
            ),
            (
                ["train", "--model", "fc", "--task", "adding", "--activation", "tanh"],
                "--activation applies to --model wrnn, irnn and wrnn2d only (fc has no recurrence: it reads the flattened sequence)"
            ),
            (
                ["train", "--copy-layout", "script", "-T", "0"],
                "--delay with --copy-layout script is the authors' T' and must be an integer >= 1 (got 0)"
            ),
            (["train", "--steps", "5", "--epochs", "1"], "--steps and --epochs both set the training length; give one")
        ]
        for (arguments, message) in bad {
            let result = try wrnn(arguments, in: cwd)
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
        }
    }

    /// `--slurm --dry-run` prints the job array it would submit, and writes nothing.
    func testSlurmDryRunPrintsTheScript() throws {
        let cwd = scratchDirectory()
        let result = try wrnn(["sweep", "--preset", "table1-cpu", "--slurm", "--dry-run", "--limit", "2", "--cpus-per-task", "2"], in: cwd)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\nsweep.sbatch, as --slurm would write and submit it:\n#!/bin/bash\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("#SBATCH --array=0-1\n"), result.stdout)
        XCTAssertTrue(
            result.stdout.contains(
                " sweep --preset table1-cpu --out \(cwd)/sweeps/table1-cpu --seeds 0 --threads 2 --limit 2 --run-index \"$SLURM_ARRAY_TASK_ID\"\n"
            ), result.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cwd), [], "a dry run writes nothing")
    }

    func testBadSweepInputIsOneLine() throws {
        let cwd = scratchDirectory()
        try write("parameters:\n  lrr: {value: 1}\n", to: cwd + "/bad.yml")
        try write("parameters:\n  task: {value: adding}\n  T: {value: 10}\n  lr: {values: [1e-3, 0.001]}\n", to: cwd + "/twice.yml")
        try write("parameters:\n  task: {value: copy}\n  model: {values: [wrnn, irn]}\n", to: cwd + "/typo.yml")
        try write("parameters:\n  task: {value: copy}\n  steps: {value: 3k}\n", to: cwd + "/number.yml")
        try write("parameters:\n  lr: {values: [1, 2}\n", to: cwd + "/syntax.yml")
        try write("parameters:\n  lr: {value: 1}\n  lr: {value: 2}\n", to: cwd + "/duplicate.yml")
        XCTAssertEqual(mkfifo(cwd + "/fifo.yml", 0o644), 0) // open() would wait for a writer
        try FileManager.default.createDirectory(atPath: cwd + "/folder.yml", withIntermediateDirectories: false)
        let cases: [([String], Int32, String)] = [
            (
                ["sweep", "bad.yml", "--dry-run"], 64,
                "bad.yml: unknown option 'lrr'; did you mean 'lr'? (a file without `program:` uses wrnn train's option names)"
            ),
            (
                ["sweep", "typo.yml", "--dry-run"], 64,
                "typo.yml:3: model: 'irn' is not one of its values; did you mean 'irnn'?; choose from wrnn, irnn, lstm, gru, cornn, lem, fc, wrnn2d"
            ),
            (["sweep", "number.yml", "--dry-run"], 64, "number.yml:3: steps: '3k' is not a whole number"),
            (["sweep", "syntax.yml", "--dry-run"], 64, "syntax.yml: not valid YAML: 2:21: did not find expected ',' or ']'; fix the file"),
            (["sweep", "duplicate.yml", "--dry-run"], 64, "duplicate.yml: not valid YAML: 3:3: duplicate key 'lr'; fix the file"),
            (
                ["sweep", "twice.yml", "--dry-run"], 64,
                "twice.yml: grid points adding-wrnn_lr1e-3_s0 and adding-wrnn_lr0.001_s0 are the same run (task adding, T 10, lr 1e-3 against task adding, T 10, lr 0.001); name each value once"
            ),
            (["sweep", "missing.yml"], 66, "sweep file missing.yml does not exist"),
            (["sweep", "fifo.yml", "--dry-run"], 66, "sweep file fifo.yml is a FIFO, not a regular file; give a file"),
            (["sweep", "folder.yml", "--dry-run"], 66, "sweep file folder.yml is a directory, not a regular file; give a file"),
            (
                ["sweep", "--preset", "table5"], 64,
                "--preset: no grid named 'table5'; did you mean 'table4'?; see wrnn sweep --list-presets"
            ),
            (
                ["sweep", "--preset", "table4", "--seeds", "1,x"], 64,
                "--seeds takes distinct non-negative integers separated by commas (got '1,x')"
            ),
            (["sweep", "--preset", "table4", "--jobs", "0"], 64, "--jobs must be a positive integer (got 0)"),
            (["sweep", "--preset", "table4", "--filter", "T=7", "--dry-run"], 64, "no grid point matches --filter T=7"),
            (
                ["sweep", "--status", "nowhere"], 66,
                "nowhere is not a sweep directory (no sweep.json); give the directory `wrnn sweep` wrote"
            )
        ]
        for (arguments, code, message) in cases {
            let result = try wrnn(arguments, in: cwd)
            XCTAssertEqual(result.status, code, "\(arguments)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
        }
    }

    /// Missing data is not a result: the runs stay pending, the sweep goes on, and exits 66.
    func testRunsThatCannotStartStayPending() throws {
        let cwd = scratchDirectory()
        let result = try wrnn(
            [
                "sweep", Self.anchors + "/psMNIST_sweep_rnn.yml", "--limit", "2", "--steps", "1", "--out", "sw",
                "--data-dir", cwd + "/nothing-here"
            ], in: cwd)
        XCTAssertEqual(result.status, 66)
        XCTAssertTrue(
            result.stderr.hasPrefix(
                "wrnn: error: 2 runs could not run and stay pending (first: data directory \(cwd)/nothing-here does not exist; give an existing --data-dir)"
            ), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(
            result.stdout.hasSuffix("sweep psMNIST_rnn: 0 done, 0 running, 0 partial, 2 pending, 0 failed, 0 invalid of 2 runs (sw)\n"),
            result.stdout)
        XCTAssertEqual(events(cwd + "/sw", "error").count, 2)
    }

    static let smallGrid = """
        name: small
        parameters:
          task: {value: adding}
          T: {value: 20}
          model: {value: irnn}
          hidden-size: {value: 8}
          lr: {values: [0.001, 1e30]}
          clip: {value: 0}
          steps: {value: 40}
          batch-size: {value: 16}
          test-size: {value: 16}
          eval-every: {value: 20}
        """

    /// --jobs 2 finishes the grid; a diverged run is a result; a restart repeats nothing; only
    /// --retry-failed runs a failed point again.
    func testLocalSweepRestartsWithoutRepeatingFinishedWork() throws {
        let cwd = scratchDirectory()
        try write(Self.smallGrid, to: cwd + "/small.yml")
        let first = try wrnn(["sweep", "small.yml", "--seeds", "0,1", "--jobs", "2", "--out", "sw"], in: cwd)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.hasPrefix("sweep small: 4 runs, 2 jobs x 1 thread; logs in sw/logs\n"), first.stdout)
        XCTAssertTrue(
            first.stdout.hasSuffix("sweep small: 2 done, 0 running, 0 partial, 0 pending, 2 failed, 0 invalid of 4 runs (sw)\n"),
            first.stdout)
        let sweep = cwd + "/sw"
        XCTAssertEqual(events(sweep, "start").count, 4)
        XCTAssertEqual(events(sweep, "diverged").count, 2)
        let runs = try runDirectories(sweep)
        XCTAssertEqual(runs.filter { FileManager.default.fileExists(atPath: $0 + "/DONE") }.count, 2)
        XCTAssertEqual(runs.filter { FileManager.default.fileExists(atPath: $0 + "/FAILED") }.count, 2)

        let again = try wrnn(["sweep", "small.yml", "--seeds", "0,1", "--out", "sw"], in: cwd)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(events(sweep, "start").count, 4, "a restarted sweep repeats no finished or failed run")

        let retry = try wrnn(["sweep", "small.yml", "--seeds", "0,1", "--out", "sw", "--retry-failed"], in: cwd)
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertEqual(events(sweep, "retry").count, 2)
        XCTAssertEqual(events(sweep, "start").count, 6)

        let status = try wrnn(["sweep", "--status", "sw"], in: cwd)
        XCTAssertEqual(status.status, 0)
        XCTAssertTrue(status.stdout.contains("failed   [2] "), status.stdout)
        XCTAssertTrue(status.stdout.contains(": training diverged at step "), status.stdout)

        let table = try wrnn(["results", "sw"], in: cwd)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("## adding T=20\n"), table.stdout)
        XCTAssertTrue(
            table.stdout.contains("| iRNN N=8 | lr 0.001, clip off, batch 16, 40 steps, relu | 105 | 2 | never, never | – | "), table.stdout
        )
        XCTAssertTrue(
            table.stdout.contains(
                "| adding T=20 | iRNN N=8 | lr 1e+30, clip off, batch 16, 40 steps, relu | 105 | 2 | 0 | 2 | solved at –; MSE – |"),
            table.stdout)
        // tidy: a header and one row per run, each hyper-parameter in its own column
        let csv = try wrnn(["results", "sw", "--format", "csv"], in: cwd)
        let rows = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.count, 5, csv.stdout)
        let header = rows[0]
        for column in ["run", "name", "tags", "status", "learning_rate", "model.hidden_size", "seed", "solved", "solved_at", "test_loss"] {
            XCTAssertTrue(header.contains(column), "\(column) in \(header)")
        }
        let rates = rows.dropFirst().map { $0[header.firstIndex(of: "learning_rate")!] }
        XCTAssertEqual(Set(rates), ["0.001", "1e+30"])
        XCTAssertFalse(csv.stdout.contains("never"), "an unsolved run has solved false and an empty solved_at")
        let evaluations = try wrnn(["results", "sw", "--format", "evaluations-csv"], in: cwd)
        XCTAssertEqual(evaluations.status, 0, evaluations.stderr)
        XCTAssertTrue(evaluations.stdout.hasPrefix("run,name,task,model,seed,step,train_loss,test_loss,"), evaluations.stdout)
        XCTAssertEqual(mkfifo(cwd + "/fifo", 0o644), 0)
        let fifo = try wrnn(["results", "sw", "--out", "fifo"], in: cwd)
        XCTAssertEqual(fifo.status, 73)
        XCTAssertEqual(
            fifo.stderr, "wrnn: error: cannot create fifo: it is a FIFO, not a file this command may replace; choose another path\n")
        let html = try wrnn(["results", "sw", "--format", "html", "--out", "results.html"], in: cwd)
        XCTAssertEqual(html.stdout, "wrote results.html\n")
        let page = try String(contentsOfFile: cwd + "/results.html", encoding: .utf8)
        XCTAssertTrue(
            page.contains("<meta name=\"viewport\"") && page.contains("<h2>adding T=20</h2>")
                && page.contains("data:image/svg+xml;base64,"), page)
        // charts shrink to the page's width, the loss unit is said once, the last table reads in words
        XCTAssertTrue(page.contains("img,svg{max-width:100%;height:auto;display:block}"))
        XCTAssertTrue(page.contains("<p>Loss: mean squared error on the test sequences, in the table and in the charts.</p>"), page)
        XCTAssertTrue(page.contains("<th>result (mean ± std over seeds)</th>"), page)
        XCTAssertFalse(page.contains("<th>final_test_loss_mean</th>"), "the CSV's column names stay in the CSV")
    }

    /// SIGTERM to a sweep: the running run checkpoints; the same command resumes it exactly.
    func testStoppedSweepResumesItsRunExactly() throws {
        let cwd = scratchDirectory()
        try write(
            """
            name: long
            parameters:
              task: {value: copy}
              T: {value: 5}
              hidden-size: {value: 16}
              channels: {value: 2}
              steps: {value: 6000}
              eval-every: {value: 500}
              checkpoint-every: {value: 500}
            """, to: cwd + "/long.yml")
        XCTAssertEqual(try wrnn(["sweep", "long.yml", "--out", "whole", "--threads", "1"], in: cwd).status, 0)
        let process = Process()
        process.executableURL = wrnnBinary
        process.arguments = ["sweep", "long.yml", "--out", "split", "--threads", "1"]
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let run = try? runDirectories(cwd + "/split").first, FileManager.default.fileExists(atPath: run + "/checkpoint.bin") {
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let during = try wrnn(["sweep", "--status", "split"], in: cwd)
        XCTAssertTrue(
            during.stdout.hasSuffix("sweep long: 0 done, 1 running, 0 partial, 0 pending, 0 failed, 0 invalid of 1 runs (split)\n"),
            during.stdout)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        let after = try wrnn(["sweep", "--status", "split"], in: cwd)
        XCTAssertTrue(
            after.stdout.hasSuffix("sweep long: 0 done, 0 running, 1 partial, 0 pending, 0 failed, 0 invalid of 1 runs (split)\n"),
            after.stdout)
        let run = try XCTUnwrap(runDirectories(cwd + "/split").first)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/DONE"))
        let resumed = try wrnn(["sweep", "long.yml", "--out", "split", "--threads", "4"], in: cwd)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(events(cwd + "/split", "resume").count, 1)
        let whole = try XCTUnwrap(runDirectories(cwd + "/whole").first)
        XCTAssertEqual(
            URL(fileURLWithPath: run).lastPathComponent, URL(fileURLWithPath: whole).lastPathComponent,
            "the run's name does not depend on threads")
        XCTAssertEqual(try metricsWithoutTime(run), try metricsWithoutTime(whole))
        XCTAssertTrue(try weights(run) == weights(whole), "weights and Adam state differ")
    }

    /// Two sweep processes on one grid share it and run nothing twice.
    func testTwoSweepProcessesShareTheGrid() throws {
        let cwd = scratchDirectory()
        try write(Self.smallGrid.replacingOccurrences(of: "[0.001, 1e30]", with: "[0.001, 0.002, 0.003]"), to: cwd + "/g.yml")
        let processes = (0..<2).map { _ -> Process in
            let p = Process()
            p.executableURL = wrnnBinary
            p.arguments = ["sweep", "g.yml", "--seeds", "0,1", "--out", "shared", "--threads", "1"]
            p.currentDirectoryURL = URL(fileURLWithPath: cwd)
            p.standardOutput = FileHandle.nullDevice
            return p
        }
        for p in processes { try p.run() }
        for p in processes { p.waitUntilExit(); XCTAssertEqual(p.terminationStatus, 0) }
        XCTAssertEqual(events(cwd + "/shared", "start").count, 6, "every run ran exactly once")
        XCTAssertEqual(events(cwd + "/shared", "done").count, 6)
    }

    /// --resume continues the same run: other settings are refused, a foreign checkpoint is refused,
    /// and a finished run is left as it is.
    func testResumeMeansTheSameRun() throws {
        let cwd = scratchDirectory()
        let base = [
            "train", "-T", "2", "-n", "8", "-c", "2", "--steps", "30", "--eval-every", "10", "--test-size", "8", "--batch-size", "8",
            "--threads", "2", "--quiet"
        ]
        XCTAssertEqual(try wrnn(base + ["--out", "run"], in: cwd).status, 0)
        let changed = try wrnn(["train", "--resume", "run", "--model", "irnn", "-n", "50", "--lr", "0.5"], in: cwd)
        XCTAssertEqual(changed.status, 64)
        XCTAssertEqual(
            changed.stderr,
            "wrnn: error: --resume continues a run exactly as it was configured; --model, --hidden-size, --lr would change it. With --resume only --steps, --eval-every, --checkpoint-every and --threads may be given; start a new run for other settings\n"
        )
        // the saved configuration is compared, not the argument list: repeating its values changes nothing
        let same = try wrnn(["train", "--resume", "run", "--model", "wrnn", "-n", "8", "--task", "copy", "-T", "2", "--seed", "0"], in: cwd)
        XCTAssertEqual(same.status, 0, same.stderr)
        let before = try [
            String(contentsOfFile: cwd + "/run/summary.json", encoding: .utf8),
            String(contentsOfFile: cwd + "/run/metrics.jsonl", encoding: .utf8)
        ]
        let complete = try wrnn(["train", "--resume", "run"], in: cwd)
        XCTAssertEqual(complete.status, 0)
        XCTAssertEqual(complete.stdout, "wrnn train: run is already complete (30 steps); nothing to do (give --steps to train longer)\n")
        XCTAssertEqual(
            try [
                String(contentsOfFile: cwd + "/run/summary.json", encoding: .utf8),
                String(contentsOfFile: cwd + "/run/metrics.jsonl", encoding: .utf8)
            ], before, "nothing rewritten")
        var other = base
        other[2] = "3" // -T 3: another task, so another run
        XCTAssertEqual(try wrnn(other + ["--out", "other"], in: cwd).status, 0)
        try FileManager.default.removeItem(atPath: cwd + "/run/checkpoint.bin")
        try FileManager.default.copyItem(atPath: cwd + "/other/checkpoint.bin", toPath: cwd + "/run/checkpoint.bin")
        let foreign = try wrnn(["train", "--resume", "run", "--steps", "50"], in: cwd)
        XCTAssertEqual(foreign.status, 65)
        XCTAssertEqual(
            foreign.stderr,
            "wrnn: error: run/checkpoint.bin was not written by the run in run (its configuration differs from config.json); it cannot be resumed here\n"
        )
        let longer = try wrnn(["train", "--resume", "other", "--steps", "40", "--eval-every", "5", "--threads", "1"], in: cwd)
        XCTAssertEqual(longer.status, 0, longer.stderr)
        XCTAssertEqual(
            longer.stderr,
            "wrnn: warning: --threads 1 differs from the run's 2: the numbers will no longer be bitwise those of an uninterrupted run\n")
        XCTAssertTrue(try metricsWithoutTime(cwd + "/other").last!.contains("\"step\":40"))
        XCTAssertTrue(try metricsWithoutTime(cwd + "/other").contains { $0.contains("\"step\":35") }, "the new evaluation interval applies")
    }

    /// A full disk while appending metrics (a file-size limit here) is an I/O error, exit 74, one line.
    func testFileSizeLimitWhileAppendingMetricsIsAnIOError() throws {
        let cwd = scratchDirectory()
        let result = try shell(
            "cd \(cwd) && ulimit -f 16 && '\(wrnnBinary.path)' train -T 2 -n 8 -c 2 --steps 4000 --eval-every 1 --checkpoint-every 10 --test-size 8 --batch-size 8 --out run --quiet 2>&1 >/dev/null; echo \"exit $?\""
        )
        // the TensorBoard log is a view: its failure is a warning, and the run goes on until its record fails
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("wrnn: warning: cannot write run/events.out.tfevents."), result.stdout)
        XCTAssertTrue(
            lines[0].hasSuffix(": File too large; the run goes on without its TensorBoard log (metrics.jsonl has every evaluation)"),
            result.stdout)
        XCTAssertTrue(lines[1].hasPrefix("wrnn: error: cannot append to run/metrics.jsonl: File too large ("), result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix(" bytes not written)\nexit 74\n"), result.stdout)
        XCTAssertNoThrow(try Checkpoint.read(from: cwd + "/run/checkpoint.bin"), "the last checkpoint is intact")
    }

    // MARK: Slurm

    /// A grid on a real single-node Slurm (scripts/slurm-up.sh starts it): every array task DONE and
    /// bitwise equal to the same runs made here, and one task sent SIGTERM mid-run is requeued and resumes.
    func testSlurmJobArrayMatchesLocalRunsAndSurvivesSIGTERM() throws {
        let nodes = try shell("sinfo -h -o %T").stdout
        try require(
            nodes.contains("idle") || nodes.contains("mix"),
            "no idle Slurm node here (run scripts/slurm-up.sh as root; it installs slurm-wlm and munge and starts a single-node cluster)")
        let cwd = scratchDirectory()
        try write(
            """
            name: slurm-test
            parameters:
              task: {value: copy}
              T: {value: 5}
              hidden-size: {value: 16}
              channels: {value: 2}
              lr: {values: [0.001, 0.003]}
              steps: {value: 20000}
              eval-every: {value: 1000}
              checkpoint-every: {value: 500}
            """, to: cwd + "/grid.yml")
        let submit = try wrnn(["sweep", "grid.yml", "--out", "cluster", "--slurm", "--cpus-per-task", "1"], in: cwd)
        XCTAssertEqual(submit.status, 0, submit.stderr)
        let job = try XCTUnwrap(submit.stdout.split(separator: " ").dropFirst(3).first.map { String($0.dropLast()) }, submit.stdout)
        XCTAssertTrue(submit.stdout.hasPrefix("submitted job array \(job): 2 runs (cluster/sweep.sbatch)"), submit.stdout)

        // SIGTERM to task 1 once it has a checkpoint, then let the requeued task start at once
        let cluster = cwd + "/cluster"
        let plan = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cluster + "/sweep.json"))) as? [String: Any])
        let second = try XCTUnwrap((plan["runs"] as? [[String: Any]])?[1]["id"] as? String)
        var deadline = Date().addingTimeInterval(240)
        var signalled = false
        while Date() < deadline && !signalled {
            let run = cluster + "/runs/" + second
            if FileManager.default.fileExists(atPath: run + "/checkpoint.bin"), !FileManager.default.fileExists(atPath: run + "/DONE") {
                signalled = try shell("scancel --signal=TERM \(job)_1").status == 0
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertTrue(signalled, "task 1 was signalled while running")
        deadline = Date().addingTimeInterval(300)
        var pendingSince: Date? = nil
        while Date() < deadline {
            let ids = (plan["runs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            let finished = ids.filter { id in
                ["DONE", "FAILED"].contains { FileManager.default.fileExists(atPath: cluster + "/runs/" + id + "/" + $0) }
            }
            let queued = try shell("squeue -h -j \(job)").stdout
            if finished.count == ids.count && queued.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            // Slurm holds a requeued task for two minutes; let it start sooner, but not within
            // seconds of the kill: slurmd refuses to launch it while it still counts the old
            // instance as killed ("Job 52 already killed, do not launch batch job", then "Job
            // credential revoked") and the task fails instead of resuming
            if try shell("squeue -h -j \(job) -o %T").stdout.contains("PENDING") {
                if let since = pendingSince {
                    if Date().timeIntervalSince(since) >= 5 { _ = try shell("scontrol update jobid=\(job)_1 starttime=now") }
                } else {
                    pendingSince = Date()
                }
            }
            Thread.sleep(forTimeInterval: 1)
        }
        XCTAssertEqual(events(cluster, "stopped").count, 1, "the signalled task checkpointed and stopped")
        XCTAssertEqual(events(cluster, "resume").count, 1, "the requeued task resumed")
        // the same runs here (same seed, one thread each)
        let local = try wrnn(["sweep", "grid.yml", "--out", "local", "--threads", "1"], in: cwd)
        XCTAssertEqual(local.status, 0, local.stderr)
        let status = try wrnn(["sweep", "--status", "cluster"], in: cwd)
        XCTAssertTrue(
            status.stdout.hasSuffix("sweep slurm-test: 2 done, 0 running, 0 partial, 0 pending, 0 failed, 0 invalid of 2 runs (cluster)\n"),
            status.stdout)
        let slurmRuns = try runDirectories(cluster), localRuns = try runDirectories(cwd + "/local")
        XCTAssertEqual(
            slurmRuns.map { URL(fileURLWithPath: $0).lastPathComponent }, localRuns.map { URL(fileURLWithPath: $0).lastPathComponent })
        for (a, b) in zip(slurmRuns, localRuns) {
            XCTAssertTrue(FileManager.default.fileExists(atPath: a + "/DONE"))
            XCTAssertEqual(try metricsWithoutTime(a), try metricsWithoutTime(b), a)
            XCTAssertTrue(try weights(a) == weights(b), "weights and Adam state of \(a) and \(b) differ")
        }
    }
}
