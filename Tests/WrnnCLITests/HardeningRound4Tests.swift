import Foundation
import WaveTestSupport
import WaveTraining
import XCTest

/// Round 4 of the fault suite: no dead end after a crash, every signal a shell, a pipe or a launcher
/// sends, checkpoints that are good states, ranks that mean one run, inputs that are not what they
/// claim. Each case runs the built binary as a user would.
final class HardeningRound4Tests: XCTestCase {
    let quickCopy = [
        "train", "--task", "copy", "-T", "4", "-n", "12", "-c", "2", "--batch-size", "8", "--test-size", "16", "--threads", "1"
    ]

    /// `wrnn ARGUMENTS` started in the background, output dropped. Foundation starts a child in a
    /// process group of its own, so kill(-pid) reaches it as a shell's or srun's group-wide signal does.
    func background(_ arguments: [String], in directory: String) throws -> Process {
        let process = Process()
        process.executableURL = wrnnBinary
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    func waitFor(_ path: String, seconds: Double = 60) {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(50_000) }
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func testARunKilledBeforeItsFirstCheckpointCanBeContinuedFromStepZero() throws {
        let cwd = scratchDirectory()
        let arguments = quickCopy + ["--eval-every", "50", "--checkpoint-every", "1000000"]
        let process = try background(arguments + ["--steps", "1000000", "--out", "killed"], in: cwd)
        waitFor(cwd + "/killed/metrics.jsonl")
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: cwd + "/killed/checkpoint.bin"))
        // starting it again under the same name points at the command that works
        let again = try wrnn(arguments + ["--out", "killed"], in: cwd)
        XCTAssertEqual(again.status, 73)
        XCTAssertEqual(
            again.stderr,
            "wrnn: error: --out: run directory killed already exists; choose a new --out or remove it, or continue it with: wrnn train --resume killed\n"
        )
        let resumed = try wrnn(["train", "--resume", "killed", "--steps", "300", "--quiet"], in: cwd)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(
            resumed.stdout.split(separator: "\n").first.map(String.init),
            "wrnn train: killed has no checkpoint yet; starting it again from step 0 with its recorded configuration")
        let whole = try wrnn(arguments + ["--steps", "300", "--out", "whole", "--quiet"], in: cwd)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(try metricsWithoutTime(cwd + "/killed"), try metricsWithoutTime(cwd + "/whole"))
        XCTAssertEqual(try metricsWithoutTime(cwd + "/whole").count, 7)
    }

    func testAClosedPipeNeverStopsTraining() throws {
        let cwd = scratchDirectory()
        let piped = try shell(
            "cd '\(cwd)' && '\(wrnnBinary.path)' "
                + (quickCopy + ["--steps", "300", "--eval-every", "10", "--out", "piped"]).joined(separator: " ")
                + " | head -1; echo \"status ${PIPESTATUS[0]}\"")
        XCTAssertTrue(piped.stdout.hasSuffix("status 0\n"), piped.stdout + piped.stderr)
        XCTAssertEqual(try json(cwd + "/piped/summary.json")["status"] as? String, "complete")
        // a piped sweep too
        try "parameters:\n  task: {value: adding}\n  T: {value: 8}\n  steps: {value: 30}\n  lr: {values: [1e-3, 2e-3]}\n".write(
            toFile: cwd + "/grid.yml", atomically: true, encoding: .utf8)
        let sweep = try shell("cd '\(cwd)' && '\(wrnnBinary.path)' sweep grid.yml --out s | head -1; echo \"status ${PIPESTATUS[0]}\"")
        XCTAssertTrue(sweep.stdout.hasSuffix("status 0\n"), sweep.stdout + sweep.stderr)
        let status = try wrnn(["sweep", "--status", "s"], in: cwd)
        XCTAssertTrue(status.stdout.contains("2 done"), status.stdout)
    }

    func testHangupAndRepeatedGroupWideStopsEndWithTheCheckpoint() throws {
        let cwd = scratchDirectory()
        let arguments = quickCopy + ["--steps", "100000", "--checkpoint-every", "100000"]
        for (name, signals) in [
            ("hup", [SIGHUP]), ("xcpu", [SIGXCPU]), ("twice", [SIGTERM, SIGTERM, SIGINT]), ("group", [SIGTERM, SIGTERM])
        ] {
            let process = try background(arguments + ["--out", name], in: cwd)
            waitFor(cwd + "/\(name)/metrics.jsonl")
            usleep(500_000)
            XCTAssertEqual(getpgid(process.processIdentifier), process.processIdentifier, "a process group of its own")
            for signal in signals {
                // the group-wide case: to every process of the group, as a shell or srun sends it
                kill(name == "group" ? -process.processIdentifier : process.processIdentifier, signal)
                usleep(20_000)
            }
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 128 + signals[0], name)
            XCTAssertTrue(FileManager.default.fileExists(atPath: cwd + "/\(name)/checkpoint.bin"), name)
            let resumed = try wrnn(["train", "--resume", name, "--steps", "400", "--quiet"], in: cwd)
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
        }
    }

    func testAStopRequestCutsALongEvaluationShortAndResumeDoesItExactly() throws {
        let cwd = scratchDirectory()
        // 10,000 test images: an evaluation of several seconds
        let arguments = [
            "train", "--task", "sfmnist", "--model", "gru", "-n", "48", "--steps", "2", "--eval-every", "2", "--test-size", "10000",
            "--threads", "1"
        ]
        let process = try background(arguments + ["--out", "cut"], in: cwd)
        waitFor(cwd + "/cut/config.json")
        usleep(1_500_000)
        let sent = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        XCTAssertLessThan(Date().timeIntervalSince(sent), 3, "the evaluation was not cut short")
        let resumed = try wrnn(["train", "--resume", "cut", "--quiet"], in: cwd)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let whole = try wrnn(arguments + ["--out", "whole", "--quiet"], in: cwd)
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(try metricsWithoutTime(cwd + "/cut"), try metricsWithoutTime(cwd + "/whole"))
    }

    func testADivergedRunKeepsTheWeightsOfItsLastFiniteLoss() throws {
        let cwd = scratchDirectory()
        let runs = [
            ("copy", ["train", "--task", "copy", "-T", "10", "--steps", "300", "--lr", "1000", "--clip", "0", "--threads", "1"]),
            (
                "adding",
                [
                    "train", "--task", "adding", "--model", "irnn", "-T", "50", "--lr", "1e6", "--clip", "0", "--steps", "100",
                    "--batch-size", "16", "--test-size", "16", "--threads", "1"
                ]
            )
        ]
        for (out, arguments) in runs {
            let run = try wrnn(arguments + ["--out", out, "--quiet"], in: cwd)
            XCTAssertEqual(run.status, 3, run.stderr)
            XCTAssertTrue(run.stderr.contains("kept the last good checkpoint"), run.stderr)
            let evaluated = try wrnn(["eval", out], in: cwd)
            XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
            XCTAssertFalse(evaluated.stdout.lowercased().contains("nan"), evaluated.stdout)
            let analysis = try wrnn(["analyze", out, "--order-samples", "0"], in: cwd)
            XCTAssertEqual(analysis.status, 0, analysis.stderr)
            XCTAssertFalse(analysis.stdout.lowercased().contains("nan"), analysis.stdout)
        }
    }

    func testACheckpointHoldingNaNIsRefusedByEveryReader() throws {
        let cwd = scratchDirectory()
        XCTAssertEqual(try wrnn(quickCopy + ["--steps", "5", "--out", "run", "--quiet"], in: cwd).status, 0)
        let path = cwd + "/run/checkpoint.bin"
        let good = try Checkpoint.read(from: path)
        for (k, part) in ["weights", "Adam's first moment", "Adam's second moment"].enumerated() {
            var broken = good
            // the last tensor's last value (the readout's bias)
            if k == 0 { broken.params[broken.params.count - 1] = .nan }
            if k == 1 { broken.m[broken.m.count - 1] = .infinity }
            if k == 2 { broken.v[broken.v.count - 1] = -.infinity }
            try broken.write(to: path)
            let name = good.header.tensors.last!.name
            let message =
                "wrnn: error: checkpoint \(path) holds a non-finite value (NaN or Inf) in \(name) (\(part)); it is not a good state: use checkpoint.prev.bin or best.bin (--checkpoint), or train again\n"
            for command in [["eval", "run"], ["analyze", "run"], ["export", "run"], ["probe", "run", "--samples", "10"]] {
                let result = try wrnn(command, in: cwd)
                XCTAssertEqual(result.status, 65, "\(command) \(part)")
                XCTAssertEqual(result.stderr, message.replacingOccurrences(of: path, with: "run/checkpoint.bin"), "\(command)")
            }
            // --resume falls back to nothing better here: it says so and changes nothing
            let resumed = try wrnn(["train", "--resume", "run"], in: cwd)
            XCTAssertEqual(resumed.status, 65, resumed.stderr)
        }
    }

    func testACheckpointOfAnotherRunIsRefused() throws {
        let cwd = scratchDirectory()
        XCTAssertEqual(try wrnn(quickCopy + ["--steps", "3", "--out", "wave", "--quiet"], in: cwd).status, 0)
        XCTAssertEqual(
            try wrnn(
                ["train", "--task", "copy", "-T", "4", "--model", "lstm", "-n", "12", "--steps", "3", "--out", "lstm", "--quiet"], in: cwd
            )
            .status, 0)
        XCTAssertEqual(try wrnn(quickCopy + ["-T", "6", "--steps", "3", "--out", "longer", "--quiet"], in: cwd).status, 0)
        for (other, key, theirs, ours) in [("lstm", "model.kind", "\"lstm\"", "\"wrnn\""), ("longer", "task.t", "6", "4")] {
            for command in [["eval", "wave"], ["analyze", "wave"], ["export", "wave"], ["probe", "wave", "--samples", "10"]] {
                let result = try wrnn(command + ["--checkpoint", "\(other)/checkpoint.bin"], in: cwd)
                XCTAssertEqual(result.status, 65, "\(command)")
                XCTAssertEqual(
                    result.stderr,
                    "wrnn: error: \(other)/checkpoint.bin was not written by the run in wave: its \(key) is \(theirs), the run's is \(ours); give that run's directory, or a checkpoint of this one\n"
                )
            }
        }
        // its own checkpoints are fine
        XCTAssertEqual(try wrnn(["eval", "wave", "--checkpoint", "wave/checkpoint.bin"], in: cwd).status, 0)
    }

    func testAnEmptyMetricsFileIsAWarningNotAnEmptyFigure() throws {
        let cwd = scratchDirectory()
        XCTAssertEqual(try wrnn(quickCopy + ["--steps", "3", "--out", "run", "--quiet"], in: cwd).status, 0)
        for content in ["", "\n"] {
            try content.write(toFile: cwd + "/run/metrics.jsonl", atomically: true, encoding: .utf8)
            let curves = try wrnn(["curves", "run", "--out", "figures"], in: cwd)
            XCTAssertEqual(curves.status, 0, curves.stderr)
            XCTAssertEqual(
                curves.stderr,
                "wrnn: warning: run/metrics.jsonl holds no evaluation yet (the run stopped before its first); run has no curve\n")
            let results = try wrnn(["results", "run"], in: cwd)
            XCTAssertTrue(results.stderr.contains("wrnn: warning: run/metrics.jsonl holds no evaluation yet"), results.stderr)
        }
    }

    func testAFullDiskDuringAFigureNamesTheSystemsReason() throws {
        try require(try shell("command -v strace").status == 0, "strace is not installed (scripts/setup.sh installs it)")
        let cwd = scratchDirectory()
        XCTAssertEqual(try wrnn(quickCopy + ["--steps", "3", "--out", "run", "--quiet"], in: cwd).status, 0)
        // the second write of `curves` is the PNG's (the first, its data beside it)
        let full = try shell(
            "cd '\(cwd)' && strace -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=2 '\(wrnnBinary.path)' curves run --out figures --format png"
        )
        XCTAssertEqual(full.status, 74, full.stderr)
        XCTAssertTrue(full.stderr.hasPrefix("wrnn: error: cannot write figures/curves.png: No space left on device"), full.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cwd + "/figures/curves.png"), "nothing half written")
    }

    func testASweepDirectoryBelongsToOneGrid() throws {
        let cwd = scratchDirectory()
        func grid(_ name: String, _ rates: String) throws {
            try "parameters:\n  task: {value: adding}\n  T: {value: 8}\n  steps: {value: 3}\n  lr: {values: [\(rates)]}\n".write(
                toFile: cwd + "/\(name).yml", atomically: true, encoding: .utf8)
        }
        try grid("first", "1e-3")
        try grid("other", "1e-2")
        try grid("grown", "1e-3, 1e-2")
        XCTAssertEqual(try wrnn(["sweep", "first.yml", "--out", "s"], in: cwd).status, 0)
        let other = try wrnn(["sweep", "other.yml", "--out", "s"], in: cwd)
        XCTAssertEqual(other.status, 64)
        XCTAssertEqual(
            other.stderr,
            "wrnn: error: s holds the sweep 'first' from first.yml, and other.yml is another grid (it does not train that sweep's run adding-wrnn_s0); give this sweep its own --out, or run first.yml again\n"
        )
        // a grid that keeps every run and adds points is the same sweep grown
        let grown = try wrnn(["sweep", "grown.yml", "--out", "s"], in: cwd)
        XCTAssertEqual(grown.status, 0, grown.stderr)
    }

    func testAKilledSweepDriverLeavesNoWorkerRunning() throws {
        let cwd = scratchDirectory()
        try "parameters:\n  task: {value: copy}\n  T: {value: 4}\n  steps: {value: 1000000}\n  lr: {values: [1e-3, 2e-3]}\n".write(
            toFile: cwd + "/long.yml", atomically: true, encoding: .utf8)
        let driver = try background(["sweep", "long.yml", "--out", "s", "--jobs", "2"], in: cwd)
        let deadline = Date().addingTimeInterval(60)
        func checkpoints() -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: cwd + "/s/runs")) ?? []).filter {
                FileManager.default.fileExists(atPath: cwd + "/s/runs/\($0)/metrics.jsonl")
            }.count
        }
        while checkpoints() < 2 && Date() < deadline { usleep(100_000) }
        let workers = try shell("pgrep -P \(driver.processIdentifier)").stdout.split(separator: "\n").compactMap { pid_t($0) }
        XCTAssertEqual(workers.count, 2, "the driver's workers")
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
        // the workers see their parent gone and stop with their checkpoints
        var left = workers
        let stop = Date().addingTimeInterval(20)
        while !left.isEmpty && Date() < stop {
            usleep(200_000)
            left = left.filter { kill($0, 0) == 0 }
        }
        XCTAssertEqual(left, [], "workers still running after their driver was killed")
        for run in try FileManager.default.contentsOfDirectory(atPath: cwd + "/s/runs") {
            XCTAssertTrue(FileManager.default.fileExists(atPath: cwd + "/s/runs/\(run)/checkpoint.bin"), run)
        }
    }

    func testRanksStartedDifferentlyStopTogetherWithOneLine() throws {
        try require(
            try shell("command -v mpirun").status == 0,
            "mpirun is not installed (scripts/setup.sh installs Debian's openmpi-bin and libopenmpi-dev)")
        let cwd = scratchDirectory()
        let common = ["train", "--task", "copy", "-T", "4", "--steps", "5", "--out", "ranks", "--quiet"]
        func two(_ first: [String], _ second: [String], environment: String = "") throws -> ProcessResult {
            let binary = "'\(wrnnBinary.path)'"
            return try shell(
                "cd '\(cwd)' && mpirun --allow-run-as-root --oversubscribe -np 1 \(binary) \((common + first).joined(separator: " ")) : -np 1 \(environment) \(binary) \((common + second).joined(separator: " ")) 2>&1"
            )
        }
        var cases: [([String], [String], String, String)] = [
            (["--lr", "0.001"], ["--lr", "0.01"], "", "rank 1's --lr is 0.01, rank 0's is 0.001"),
            (["-n", "20"], ["-n", "30"], "", "rank 1's --hidden-size is 30, rank 0's is 20"),
            (["--threads", "1"], ["--threads", "2"], "", "rank 1's --threads is 4, rank 0's is 2")
        ]
        // two kernel paths on one machine: where the CPU has the AVX-512 ones, one rank told to leave them
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if cpu.contains(" avx512f") && cpu.contains(" avx512bw") && cpu.contains(" avx512vl") {
            cases.append(([], [], "env WRNN_KERNELS=portable", "rank 1's kernel path is portable, rank 0's is avx512"))
        }
        for (first, second, environment, line) in cases {
            let result = try two(first, second, environment: environment)
            XCTAssertEqual(result.status, 64, result.stdout)
            let errors = result.stdout.split(separator: "\n").filter { $0.hasPrefix("wrnn: error:") }
            XCTAssertEqual(errors.count, 1, result.stdout)
            XCTAssertTrue(errors.first?.contains("the MPI ranks were not started alike: \(line)") ?? false, result.stdout)
            XCTAssertFalse(FileManager.default.fileExists(atPath: cwd + "/ranks"), "something was written")
        }
    }
}
