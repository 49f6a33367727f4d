import Foundation
import WaveTestSupport
import WaveTraining
import XCTest

/// One run over MPI ranks: bitwise the run of one process with as many threads, under mpirun and
/// srun; stop signals and a killed rank end cleanly and resume exactly; sweeps launch runs over ranks.
final class MPITests: XCTestCase {
    let mpirun = "mpirun --allow-run-as-root --oversubscribe"

    func requireMPI() throws {
        try require(
            try shell("command -v mpirun").status == 0,
            "mpirun is not installed (scripts/setup.sh installs Debian's openmpi-bin and libopenmpi-dev)")
    }

    func requireSlurm() throws {
        let nodes = try shell("sinfo -h -o %T").stdout
        try require(
            nodes.contains("idle") || nodes.contains("mix"),
            "no idle Slurm node here (run scripts/slurm-up.sh as root; it installs slurm-wlm, munge and libpmix-dev and starts a single-node cluster)"
        )
    }

    /// `wrnn ARGUMENTS` under a launcher, in `directory`.
    func launched(_ launcher: String, _ arguments: [String], in directory: String) throws -> ProcessResult {
        try shell("cd '\(directory)' && \(launcher) '\(wrnnBinary.path)' " + arguments.map { "'\($0)'" }.joined(separator: " "))
    }

    /// The exported weights and the metrics without wall time: what must be bitwise the same.
    func fingerprint(_ run: String) throws -> (Data, [String]) {
        let export = try wrnn(["export", run])
        XCTAssertEqual(export.status, 0, export.stderr)
        return (try Data(contentsOf: URL(fileURLWithPath: run + "/model.safetensors")), try metricsWithoutTime(run))
    }

    func assertSame(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (weightsA, metricsA) = try fingerprint(a), (weightsB, metricsB) = try fingerprint(b)
        XCTAssertEqual(weightsA, weightsB, "\(a) and \(b): weights differ", file: file, line: line)
        XCTAssertEqual(metricsA, metricsB, "\(a) and \(b): metrics differ", file: file, line: line)
        XCTAssertGreaterThan(metricsA.count, 1, file: file, line: line)
    }

    /// The pid of rank `rank` of the run writing `out` (read from each process's environment).
    func rankProcess(_ rank: Int, out: String) throws -> pid_t? {
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = Int32(entry),
                let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                String(decoding: command, as: UTF8.self).contains(out),
                let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { continue }
            let variables = String(decoding: environment, as: UTF8.self).split(separator: "\0")
            if variables.contains(where: { $0 == "OMPI_COMM_WORLD_RANK=\(rank)" || $0 == "PMIX_RANK=\(rank)" }),
                String(decoding: command, as: UTF8.self).hasPrefix(wrnnBinary.path)
            {
                return pid
            }
        }
        return nil
    }

    /// `wrnn ARGUMENTS` on 2 ranks under mpirun, in the background.
    func startTwoRanks(_ arguments: [String], in directory: String) throws -> Process {
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: "/bin/bash")
        launcher.arguments = [
            "-c", "cd '\(directory)' && exec \(mpirun) -np 2 '\(wrnnBinary.path)' " + arguments.map { "'\($0)'" }.joined(separator: " ")
        ]
        launcher.standardOutput = FileHandle.nullDevice
        launcher.standardError = FileHandle.nullDevice
        try launcher.run()
        return launcher
    }

    func waitForCheckpoint(_ path: String, seconds: Double = 60) {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(100_000) }
    }

    /// 2 ranks of 1 thread equal 1 process of 2 threads bit for bit: a wRNN on the copy task (every
    /// step read out, recall) and an LSTM on the adding task with an uneven split (15 rows, 2 shards).
    func testTwoRanksEqualTwoThreads() throws {
        try requireMPI()
        let cwd = scratchDirectory()
        let runs: [[String]] = [
            ["--task", "copy", "-T", "5", "-n", "16", "-c", "2", "--steps", "60", "--batch-size", "16"],
            ["--task", "adding", "-T", "12", "--model", "lstm", "-n", "12", "--steps", "60", "--batch-size", "15"]
        ]
        for (k, arguments) in runs.enumerated() {
            let common = ["train"] + arguments + ["--eval-every", "20", "--test-size", "50", "--quiet"]
            XCTAssertEqual(try wrnn(common + ["--threads", "2", "--out", "one-\(k)"], in: cwd).status, 0)
            let ranks = try launched("\(mpirun) -np 2", common + ["--threads", "1", "--out", "two-\(k)"], in: cwd)
            XCTAssertEqual(ranks.status, 0, ranks.stderr)
            XCTAssertTrue(ranks.stdout.contains("2 ranks x 1 thread (2 shards)"), ranks.stdout)
            try assertSame(cwd + "/one-\(k)", cwd + "/two-\(k)")
        }
        // the binary has no link-time dependency on MPI: it starts where no MPI is installed
        let ldd = try shell("ldd '\(wrnnBinary.path)'")
        XCTAssertFalse(ldd.stdout.contains("libmpi"), ldd.stdout)
        // only train and bench run over ranks
        let sweep = try launched("\(mpirun) -np 2", ["results", "x"], in: cwd)
        XCTAssertNotEqual(sweep.status, 0)
        XCTAssertTrue(
            sweep.stderr.contains(
                "wrnn: error: wrnn results runs as one process; start it without mpirun or srun (only bench and train run over 2 ranks)"),
            sweep.stderr)
    }

    /// SIGTERM to one rank: every rank stops at the same step, rank 0 checkpoints, all exit 143; a
    /// resume over 2 ranks then ends bitwise where an uninterrupted 2-thread run ends.
    func testSIGTERMToOneRankStopsAllAndResumesExactly() throws {
        try requireMPI()
        let cwd = scratchDirectory()
        let common = [
            "train", "--task", "copy", "-T", "5", "-n", "48", "-c", "4", "--eval-every", "100", "--checkpoint-every", "100",
            "--test-size", "32", "--batch-size", "16", "--quiet"
        ]
        let launcher = try startTwoRanks(common + ["--steps", "200000", "--threads", "1", "--out", "stopped"], in: cwd)
        defer { if launcher.isRunning { launcher.terminate() } } // never left training when a check fails
        waitForCheckpoint(cwd + "/stopped/checkpoint.bin")
        let rank1 = try XCTUnwrap(try rankProcess(1, out: "stopped"), "rank 1 not found")
        kill(rank1, SIGTERM)
        launcher.waitUntilExit()
        XCTAssertEqual(launcher.terminationStatus, 143)
        let stoppedAt = try Checkpoint.read(from: cwd + "/stopped/checkpoint.bin").header.step
        XCTAssertGreaterThan(stoppedAt, 0)
        let target = ((stoppedAt / 100) + 3) * 100
        let resumed = try launched(
            "\(mpirun) -np 2", ["train", "--resume", "stopped", "--steps", String(target), "--threads", "1"], in: cwd)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try wrnn(common + ["--steps", String(target), "--threads", "2", "--out", "whole"], in: cwd).status, 0)
        try assertSame(cwd + "/whole", cwd + "/stopped")
    }

    /// A rank killed with SIGKILL while the other waits for it: the job ends within seconds, and the
    /// last checkpoint is intact.
    func testKilledRankEndsTheJobAndLeavesTheCheckpoint() throws {
        try requireMPI()
        let cwd = scratchDirectory()
        let launcher = try startTwoRanks(
            [
                "train", "--task", "copy", "-T", "5", "-n", "48", "-c", "4", "--steps", "200000", "--checkpoint-every", "100",
                "--eval-every", "100", "--test-size", "32", "--batch-size", "16", "--threads", "1", "--quiet", "--out", "killed"
            ], in: cwd)
        defer { if launcher.isRunning { launcher.terminate() } } // never left training when a check fails
        waitForCheckpoint(cwd + "/killed/checkpoint.bin")
        let rank1 = try XCTUnwrap(try rankProcess(1, out: "killed"), "rank 1 not found")
        let killed = Date()
        kill(rank1, SIGKILL)
        launcher.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(killed), 30, "the job must end within seconds of a rank's death")
        XCTAssertNotEqual(launcher.terminationStatus, 0)
        XCTAssertNil(try rankProcess(0, out: "killed"), "rank 0 must not outlive the job")
        XCTAssertNoThrow(try Checkpoint.read(from: cwd + "/killed/checkpoint.bin"))
    }

    /// The same run through Slurm's srun (PMIx), and a sweep whose array tasks each run over 2 ranks:
    /// both bitwise the 2-thread run.
    func testSrunAndSweepsOverRanks() throws {
        try requireMPI()
        try requireSlurm()
        let cwd = scratchDirectory()
        let arguments = [
            "--task", "copy", "-T", "5", "-n", "16", "-c", "2", "--steps", "60", "--eval-every", "20", "--test-size", "32",
            "--batch-size", "16", "--lr", "0.002", "--quiet"
        ]
        XCTAssertEqual(try wrnn(["train"] + arguments + ["--threads", "2", "--out", "one"], in: cwd).status, 0)
        let srun = try launched(
            "srun --mpi=pmix --kill-on-bad-exit=1 -n 2", ["train"] + arguments + ["--threads", "1", "--out", "srun"], in: cwd)
        XCTAssertEqual(srun.status, 0, srun.stderr)
        try assertSame(cwd + "/one", cwd + "/srun")

        try """
        name: ranks
        parameters:
          task: {value: copy}
          T: {value: 5}
          hidden-size: {value: 16}
          channels: {value: 2}
          steps: {value: 60}
          eval-every: {value: 20}
          test-size: {value: 32}
          batch-size: {value: 16}
          lr: {values: [0.001, 0.002]}
        """.write(toFile: cwd + "/grid.yml", atomically: true, encoding: .utf8)
        let dry = try wrnn(["sweep", "grid.yml", "--dry-run", "--ranks-per-run", "2", "--threads", "1"], in: cwd)
        XCTAssertTrue(dry.stdout.contains("over 2 ranks x 1 thread: ~"), dry.stdout)
        let submit = try wrnn(["sweep", "grid.yml", "--out", "swept", "--slurm", "--ranks-per-run", "2", "--threads", "1"], in: cwd)
        XCTAssertEqual(submit.status, 0, submit.stderr)
        let script = try String(contentsOfFile: cwd + "/swept/sweep.sbatch", encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --ntasks=2"), script)
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline, try wrnn(["sweep", "--status", "swept"], in: cwd).stdout.contains("2 done") == false { sleep(2) }
        let status = try wrnn(["sweep", "--status", "swept"], in: cwd).stdout
        XCTAssertTrue(status.contains("sweep ranks: 2 done"), status)
        let run = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: cwd + "/swept/runs").first { $0.hasSuffix("lr0.002_s0") })
        try assertSame(cwd + "/one", cwd + "/swept/runs/" + run)
    }
}
