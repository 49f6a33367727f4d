import WaveKernels
import Foundation
import WaveCore
import WaveTraining
import XCTest
import WaveTestSupport

/// Faults an operator meets, driven against the built binary: injected I/O errors (strace), a full
/// disk (ulimit -f), an unprivileged user (setpriv), hostile files and signals. Every case checks
/// the exact exit code, the one-line message and that nothing was lost (the checkpoints' sha256).
final class FaultSuiteTests: XCTestCase {
    /// A small finished run with checkpoint.bin and checkpoint.prev.bin.
    func makeRun(steps: Int = 20) throws -> String {
        let run = scratchDirectory() + "/run"
        let result = try wrnn([
            "train", "--task", "copy", "-T", "4", "-n", "16", "-c", "4", "--steps", "\(steps)", "--eval-every", "5",
            "--checkpoint-every", "5", "--threads", "1", "--test-size", "16", "--out", run, "--quiet"
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        return run
    }

    func sha(_ path: String) -> String {
        guard access(path, F_OK) == 0, let result = try? shell("sha256sum '\(path)'"), result.status == 0 else { return "absent" }
        return String(result.stdout.prefix(64))
    }

    func hasTool(_ name: String) -> Bool { (try? shell("command -v \(name)"))?.status == 0 }

    // `require` (WaveTestSupport): every condition must hold (`make test`'s set-up installs the tools;
    // the suite runs as root) and a missing one fails the test, naming what to provide.

    func requireTool(_ name: String) throws { try require(hasTool(name), "\(name) is not installed; `make setup` installs it") }

    /// The wrnn error line alone (strace's own output filtered out).
    func errorLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("wrnn:") }
    }

    // MARK: injected I/O errors

    /// The 1-based position of the first `syscall` call whose traced line contains `marker`, from a
    /// rehearsal with `strace -y` (file descriptors shown as paths) on a copy of the run: the calls
    /// come in the same order every time, so the real run's fault lands on exactly that call.
    func position(of syscall: String, containing marker: String, resuming run: String) throws -> Int {
        let rehearsal = scratchDirectory() + "/run"
        XCTAssertEqual(try shell("cp -a \(run) \(rehearsal)").status, 0)
        let log = rehearsal + ".strace"
        _ = try shell("strace -f -qq -y -o \(log) -e trace=\(syscall) \(wrnnBinary.path) train --resume \(rehearsal) --steps 30")
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains(syscall + "(") }
        guard let index = calls.firstIndex(where: { $0.contains(marker) }) else {
            XCTFail("no \(syscall) on \(marker) in the rehearsal"); return 1
        }
        return index + 1
    }

    func testInjectedIOErrorsFailTheCheckpointAndKeepThePreviousOne() throws {
        try requireTool("strace")
        let cases: [(syscall: String, marker: String, message: (String) -> String, rotated: Bool)] = [
            // the metrics line, the new checkpoint's data, the rotation to checkpoint.prev.bin, the directory
            ("fsync", "metrics.jsonl>", { "wrnn: error: cannot fsync \($0)/metrics.jsonl: Input/output error" }, false),
            ("fsync", ".checkpoint.bin.tmp-", { "wrnn: error: cannot fsync \($0)/.checkpoint.bin.tmp-PID: Input/output error" }, false),
            (
                "rename", "checkpoint.prev.bin",
                {
                    "wrnn: error: cannot rename \($0)/checkpoint.bin to \($0)/checkpoint.prev.bin; both kept as they were: Input/output error"
                }, false
            )
        ]
        for (syscall, marker, message, rotated) in cases {
            let run = try makeRun()
            let when = try position(of: syscall, containing: marker, resuming: run)
            let before = (sha(run + "/checkpoint.bin"), sha(run + "/checkpoint.prev.bin"))
            let result = try shell(
                "strace -f -qq -o /dev/null -e trace=\(syscall) -e inject=\(syscall):error=EIO:when=\(when) \(wrnnBinary.path) train --resume \(run) --steps 30"
            )
            XCTAssertEqual(result.status, 74, "\(marker): \(result.stderr)")
            let lines = errorLines(result.stderr)
            XCTAssertEqual(lines.count, 1, "\(marker): \(result.stderr)")
            let expected = message(run).components(separatedBy: "PID")
            XCTAssertTrue(lines.first.map { $0.hasPrefix(expected[0]) && $0.hasSuffix(expected.last!) } ?? false, "\(marker): \(lines)")
            if rotated {
                XCTAssertEqual(sha(run + "/checkpoint.prev.bin"), before.0, marker)
            } else {
                XCTAssertEqual(sha(run + "/checkpoint.bin"), before.0, marker)
                XCTAssertEqual(sha(run + "/checkpoint.prev.bin"), before.1, marker)
            }
            XCTAssertNoThrow(try Checkpoint.read(from: run + "/checkpoint.bin"), marker)
            XCTAssertFalse(
                try FileManager.default.contentsOfDirectory(atPath: run).contains { $0.contains(".tmp-") }, "no temporary left: \(marker)")
        }
        // the directory's fsync after the new checkpoint is in place: 74, and the checkpoint it
        // replaced is checkpoint.prev.bin, unchanged
        let run = try makeRun()
        let rehearsal = scratchDirectory() + "/run"
        XCTAssertEqual(try shell("cp -a \(run) \(rehearsal)").status, 0)
        let log = rehearsal + ".strace"
        _ = try shell("strace -f -qq -y -o \(log) -e trace=fsync \(wrnnBinary.path) train --resume \(rehearsal) --steps 30")
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains("fsync(") }
        let data = try XCTUnwrap(calls.firstIndex { $0.contains(".checkpoint.bin.tmp-") })
        let before = sha(run + "/checkpoint.bin")
        let result = try shell(
            "strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:error=EIO:when=\(data + 2) \(wrnnBinary.path) train --resume \(run) --steps 30"
        )
        XCTAssertEqual(result.status, 74, result.stderr)
        XCTAssertEqual(
            errorLines(result.stderr),
            [
                "wrnn: error: cannot fsync directory \(run) after writing \(run)/checkpoint.bin (the file is in place, its durability unconfirmed): Input/output error"
            ])
        XCTAssertEqual(sha(run + "/checkpoint.prev.bin"), before)
        XCTAssertNoThrow(try Checkpoint.read(from: run + "/checkpoint.bin"))
    }

    /// A full disk (a file-size limit): the checkpoint fails with the bytes it needed; the good ones stay.
    func testFullDiskFailsTheCheckpointWithTheBytesNeeded() throws {
        let run = try makeRun()
        let before = (sha(run + "/checkpoint.bin"), sha(run + "/checkpoint.prev.bin"))
        let size = (try FileManager.default.attributesOfItem(atPath: run + "/checkpoint.bin")[.size] as? NSNumber)?.intValue ?? 0
        let result = try shell("ulimit -f \(size / 1024 - 1); \(wrnnBinary.path) train --resume \(run) --steps 30 --eval-every 100")
        XCTAssertEqual(result.status, 74, result.stderr)
        let lines = errorLines(result.stderr)
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("wrnn: error: cannot write \(run)/checkpoint.bin: File too large (") ?? false, result.stderr)
        XCTAssertTrue(lines.first?.hasSuffix(" bytes needed, \(size / 1024 * 1024 - 1024) written)") ?? false, result.stderr)
        XCTAssertEqual(sha(run + "/checkpoint.bin"), before.0)
        XCTAssertEqual(sha(run + "/checkpoint.prev.bin"), before.1)
    }

    // MARK: an unprivileged user

    func testUnprivilegedUser() throws {
        try requireTool("setpriv")
        try require(getuid() == 0, "switching to an unprivileged user needs root")
        // a copy of the binary every user may run
        let bin = scratchDirectory()
        try FileManager.default.copyItem(atPath: wrnnBinary.path, toPath: bin + "/wrnn")
        for path in [bin, bin + "/wrnn"] { chmod(path, 0o755) }
        let nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups"

        // a directory the user cannot write: creating a run there is 73, nothing created
        let locked = scratchDirectory()
        chmod(locked, 0o755)
        let create = try shell("\(nobody) \(bin)/wrnn train --task copy -T 4 -n 8 -c 2 --steps 2 --out \(locked)/run")
        XCTAssertEqual(create.status, 73, create.stderr)
        XCTAssertEqual(errorLines(create.stderr).count, 1, create.stderr)
        XCTAssertEqual(create.stderr, "wrnn: error: cannot create directory \(locked)/run: Permission denied\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: locked), [])

        // a mode-000 input is an input that cannot be opened: 66, like a missing one
        let closed = locked + "/closed.yml"
        try "name: g\nparameters:\n  task: {value: copy}\n".write(toFile: closed, atomically: true, encoding: .utf8)
        chmod(closed, 0)
        let unreadable = try shell("\(nobody) \(bin)/wrnn sweep \(closed) --dry-run")
        XCTAssertEqual(unreadable.status, 66, unreadable.stderr)
        XCTAssertEqual(unreadable.stderr, "wrnn: error: cannot open sweep file \(closed): Permission denied\n")
        try FileManager.default.removeItem(atPath: closed)

        // someone else's run: resuming it is 73 and changes nothing
        let run = try makeRun()
        chmod(URL(fileURLWithPath: run).deletingLastPathComponent().path, 0o755)
        chmod(run, 0o755)
        let before = (sha(run + "/checkpoint.bin"), sha(run + "/checkpoint.prev.bin"))
        let foreign = try shell("\(nobody) \(bin)/wrnn train --resume \(run) --steps 30")
        XCTAssertEqual(foreign.status, 73, foreign.stderr)
        XCTAssertEqual(errorLines(foreign.stderr), ["wrnn: error: cannot create \(run)/.lock: Permission denied"])
        XCTAssertEqual(sha(run + "/checkpoint.bin"), before.0)

        // the user's own run whose newest checkpoint it cannot read: it resumes from the previous one
        // and keeps the unreadable file aside, never rotating it away
        for name in try FileManager.default.contentsOfDirectory(atPath: run) { chown(run + "/" + name, 65534, 65534) }
        chown(run, 65534, 65534)
        chmod(run + "/checkpoint.bin", 0)
        let resumed = try shell("\(nobody) \(bin)/wrnn train --resume \(run) --steps 30 --quiet")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let warnings = errorLines(resumed.stderr)
        XCTAssertEqual(warnings.count, 2, resumed.stderr)
        XCTAssertEqual(
            warnings[0],
            "wrnn: warning: cannot open checkpoint \(run)/checkpoint.bin: Permission denied; resuming from \(run)/checkpoint.prev.bin (step 15) instead"
        )
        XCTAssertEqual(warnings[1], "wrnn: warning: kept the unreadable checkpoint as \(run)/checkpoint.bin.damaged")
        XCTAssertEqual(sha(run + "/checkpoint.bin.damaged"), before.0, "the unreadable checkpoint is kept, byte for byte")
    }

    // MARK: hostile files

    /// Rewrites a checkpoint's JSON header with `edit` and recomputes its CRC, as an attacker would.
    func rewriteHeader(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        let length = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        var header = try JSONSerialization.jsonObject(with: Data(bytes[16..<(16 + length)])) as! [String: Any]
        edit(&header)
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = Array(bytes[0..<12])
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((json.count >> shift) & 0xFF)) }
        out += json + bytes[(16 + length)..<(bytes.count - 4)]
        let crc = out.withUnsafeBytes { crc32($0) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((Int(crc) >> shift) & 0xFF)) }
        FileManager.default.createFile(atPath: path, contents: Data(out))
    }

    func testHostileCheckpointHeaders() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            (
                "a tensor of 2^40 x 2^40",
                { h in
                    var tensors = h["tensors"] as! [[String: Any]]
                    tensors[0]["shape"] = [1 << 40, 1 << 40]
                    h["tensors"] = tensors
                }, "tensor cell.Wx.weight has an impossible shape [1099511627776, 1099511627776]"
            ),
            ("step -5", { h in h["step"] = -5 }, "step -5 (Adam step ADAM) is outside 0 ... 20"),
            (
                "another task",
                { h in
                    var config = h["config"] as! [String: Any]
                    var task = config["task"] as! [String: Any]
                    task["kind"] = "adding"
                    config["task"] = task
                    h["config"] = config
                }, "its configuration is invalid: the model reads 10 and answers 10 values per step, but the adding task has 2 and 1"
            )
        ]
        for (what, edit, message) in cases {
            let run = try makeRun()
            try rewriteHeader(run + "/checkpoint.bin", edit)
            try rewriteHeader(run + "/checkpoint.prev.bin", edit)
            let before = sha(run + "/checkpoint.bin")
            for command in [["eval", run], ["analyze", run], ["export", run]] {
                let result = try wrnn(command)
                XCTAssertEqual(result.status, 65, "\(what) \(command): \(result.stderr)")
                XCTAssertEqual(
                    result.stderr,
                    "wrnn: error: checkpoint \(run)/checkpoint.bin is corrupt: \(message.replacingOccurrences(of: "ADAM", with: "20"))\n",
                    "\(what) \(command)")
            }
            let resumed = try wrnn(["train", "--resume", run, "--steps", "30"])
            XCTAssertEqual(resumed.status, 65, "\(what): \(resumed.stderr)")
            XCTAssertEqual(
                resumed.stderr,
                "wrnn: error: checkpoint \(run)/checkpoint.prev.bin is corrupt: \(message.replacingOccurrences(of: "ADAM", with: "15"))\n",
                what)
            XCTAssertEqual(sha(run + "/checkpoint.bin"), before, what)
        }
    }

    func testHostileDataAndWeightFiles() throws {
        let dir = scratchDirectory()
        // safetensors: a duplicate key, and bytes no tensor covers
        func safetensors(_ header: String, data: Int) -> [UInt8] {
            let json = Array(header.utf8)
            var bytes: [UInt8] = []
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((json.count >> shift) & 0xFF)) }
            return bytes + json + [UInt8](repeating: 0, count: data)
        }
        let duplicate =
            #"{"readout.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"readout.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let gap = #"{"readout.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        for (name, bytes, message) in [
            ("dup", safetensors(duplicate, data: 8), "the header names tensor readout.bias twice"),
            ("gap", safetensors(gap, data: 12), "8 bytes after the last tensor belong to no tensor")
        ] {
            let path = dir + "/\(name).safetensors"
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let result = try wrnn([
                "train", "--task", "adding", "-T", "10", "--steps", "1", "--init-from", path, "--out", dir + "/r-\(name)"
            ])
            XCTAssertEqual(result.status, 65, result.stderr)
            XCTAssertEqual(result.stderr, "wrnn: error: \(path) is not a valid safetensors file: \(message)\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/r-\(name)"))
        }
        // IDX: a raw file named .gz, and trailing data after a gzip stream
        let data = dir + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let debian = ImageCollectionFiles.debian
        for name in ImageCollectionFiles.names {
            try FileManager.default.copyItem(atPath: debian + "/" + name + ".gz", toPath: data + "/" + name + ".gz")
        }
        let raw = data + "/t10k-labels-idx1-ubyte.gz"
        let labels = try shell("gzip -dc \(raw)")
        XCTAssertEqual(labels.status, 0)
        XCTAssertEqual(try shell("gzip -dc \(raw) > \(raw).raw && mv \(raw).raw \(raw)").status, 0)
        let plain = try wrnn(["train", "--task", "sfmnist", "--data-dir", data, "--steps", "1", "--out", dir + "/r1"])
        XCTAssertEqual(plain.status, 65, plain.stderr)
        XCTAssertEqual(
            plain.stderr,
            "wrnn: error: \(raw): named .gz but does not hold gzip data (no 1f 8b magic); rename it without .gz if it is a raw IDX file\n")
        try FileManager.default.removeItem(atPath: raw)
        try FileManager.default.copyItem(atPath: debian + "/t10k-labels-idx1-ubyte.gz", toPath: raw)
        let handle = FileHandle(forWritingAtPath: raw)!
        handle.seekToEndOfFile()
        handle.write(Data("garbage".utf8))
        handle.closeFile()
        let trailing = try wrnn(["train", "--task", "sfmnist", "--data-dir", data, "--steps", "1", "--out", dir + "/r2"])
        XCTAssertEqual(trailing.status, 65, trailing.stderr)
        XCTAssertEqual(
            trailing.stderr,
            "wrnn: error: \(raw): 7 bytes of trailing data after the gzip stream: the file is not what it claims to be; download it again\n"
        )
    }

    // MARK: outputs, sizes, signals, divergence

    func testOutputsThatAreNotFilesAreRefused() throws {
        let run = try makeRun()
        let fifo = scratchDirectory() + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        for command in [["export", run, "--out", fifo], ["report", run, "--out", fifo]] {
            let result = try wrnn(command)
            XCTAssertEqual(result.status, 73, "\(command): \(result.stderr)")
            XCTAssertEqual(
                result.stderr,
                "wrnn: error: cannot create \(fifo): it is a FIFO, not a file this command may replace; choose another path\n")
            var info = stat()
            XCTAssertEqual(lstat(fifo, &info), 0)
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still there")
        }
        // a command's own inputs are never its outputs, however the path is spelled
        let before = (sha(run + "/checkpoint.bin"), sha(run + "/metrics.jsonl"))
        let cases: [([String], String)] = [
            (["export", run, "--out", run + "/checkpoint.bin"], run + "/checkpoint.bin"),
            (["report", run, "--out", run + "/../run/metrics.jsonl"], run + "/../run/metrics.jsonl"),
            (["results", run, "--out", run + "/summary.json"], run + "/summary.json")
        ]
        for (command, out) in cases {
            let result = try wrnn(command)
            XCTAssertEqual(result.status, 73, "\(command): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("wrnn: error: cannot write \(out): it is "), result.stderr)
            XCTAssertTrue(result.stderr.hasSuffix("one of this command's inputs; choose another path\n"), result.stderr)
        }
        XCTAssertEqual(sha(run + "/checkpoint.bin"), before.0)
        XCTAssertEqual(sha(run + "/metrics.jsonl"), before.1)
    }

    func testSizesAreCheckedBeforeAnythingIsAllocatedOrCreated() throws {
        let cwd = scratchDirectory()
        let cases: [([String], String)] = [
            (
                ["--task", "sfmnist", "--batch-size", "57001"],
                "--batch-size 57,001 is more than the 57,000 training sequences of sfmnist; use at most 57,000"
            ),
            (
                ["--task", "sfmnist", "--test-size", "10001"],
                "--test-size 10,001 is more than the 10,000 test sequences of sfmnist; use at most 10,000"
            ),
            (["-n", "10000000"], "--hidden-size must be at most 1,048,576 (got 10,000,000)")
        ]
        for (arguments, message) in cases {
            let result = try wrnn(["train"] + arguments + ["--steps", "1", "--out", "r"], in: cwd)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
        }
        // a configuration larger than the machine: its size and what to lower
        let huge = try wrnn(["train", "--model", "irnn", "-n", "100000", "--steps", "1", "--out", "r"], in: cwd)
        XCTAssertEqual(huge.status, 64, huge.stderr)
        XCTAssertTrue(huge.stderr.hasPrefix("wrnn: error: this run needs about "), huge.stderr)
        XCTAssertTrue(huge.stderr.hasSuffix("available; lower --batch-size, --hidden-size or --threads\n"), huge.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cwd), [], "no run directory was created")
        // an empty directory is not a run: nothing created in it
        let empty = scratchDirectory()
        let resume = try wrnn(["train", "--resume", empty])
        XCTAssertEqual(resume.status, 66)
        XCTAssertEqual(
            resume.stderr,
            "wrnn: error: \(empty) is not a run directory (no checkpoint.bin, checkpoint.prev.bin or config.json); nothing to resume\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty), [])
    }

    /// Two interrupts: the second ends the process at once; the last complete checkpoint stays readable.
    func testSecondInterruptStopsAtOnce() throws {
        let run = scratchDirectory() + "/run"
        let process = try startTraining([
            "train", "--task", "copy", "-T", "30", "--steps", "100000", "--checkpoint-every", "50",
            "--eval-every", "50", "--threads", "1", "--out", run
        ])
        // wait for the first checkpoint
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: run + "/checkpoint.bin") && Date() < deadline { usleep(50_000) }
        kill(process.processIdentifier, SIGINT)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertNoThrow(try Checkpoint.readWithFallback(run + "/checkpoint.bin", previous: run + "/checkpoint.prev.bin"))
    }

    func testDivergedRunIsRecordedAndCanBeAnalysed() throws {
        let run = scratchDirectory() + "/run"
        let result = try wrnn([
            "train", "--task", "copy", "-T", "5", "--lr", "50", "--clip", "0", "--steps", "200",
            "--eval-every", "5", "--out", run, "--quiet"
        ])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("wrnn: error: training diverged at step "), result.stderr)
        XCTAssertTrue(result.stderr.contains("(learning rate 50): loss NaN (last finite loss "), result.stderr)
        let last = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix(#"{"diverged":true,"divergence":"loss NaN""#), last)
        let summary =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
        XCTAssertEqual(summary["status"] as? String, "diverged")
        for command in [["analyze", run], ["report", run], ["eval", run]] {
            let done = try wrnn(command)
            XCTAssertEqual(done.status, 0, "\(command): \(done.stderr)")
        }
    }
    // MARK: one binary for every node of a cluster

    /// The release binary, run on an emulated CPU without AVX-512 (qemu's Haswell model: AVX2 and
    /// FMA, what the binary is built for), takes the portable path and gives the numbers the
    /// portable path gives natively, bit for bit; a native run names the path this CPU takes.
    /// (A `-target-cpu native` build made on an AVX-512 machine dies here with SIGILL.)
    func testReleaseBinaryRunsOnACPUWithoutAVX512() throws {
        #if arch(x86_64) && os(Linux)
        try requireTool("qemu-x86_64")
        let directory = scratchDirectory()
        let arguments = [
            "train", "--task", "copy", "-T", "4", "-n", "20", "-c", "3", "--steps", "6", "--batch-size", "8",
            "--test-size", "8", "--seed", "9", "--quiet"
        ]
        let emulated = try shell(
            "OPENBLAS_CORETYPE=Haswell qemu-x86_64 -cpu Haswell '\(wrnnBinary.path)' \(arguments.joined(separator: " ")) "
                + "--out '\(directory)/emulated'")
        XCTAssertEqual(emulated.status, 0, emulated.stderr)
        let native = try wrnn(
            arguments + ["--out", directory + "/native"], environment: ["OPENBLAS_CORETYPE": "Haswell", "WRNN_KERNELS": "portable"])
        XCTAssertEqual(native.status, 0, native.stderr)
        let chosen = try wrnn(arguments + ["--out", directory + "/chosen"])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)

        func metrics(_ run: String) throws -> [String] {
            try String(contentsOfFile: "\(directory)/\(run)/metrics.jsonl", encoding: .utf8)
                .split(separator: "\n").map { String($0.replacing(#/"wall_time":[^,}]*/#, with: "")) }
        }
        func kernelPath(_ run: String) throws -> String? {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(run)/command.json"))
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["kernel_path"] as? String
        }
        XCTAssertGreaterThanOrEqual(try metrics("emulated").count, 2)
        XCTAssertEqual(try metrics("emulated"), try metrics("native"))
        XCTAssertEqual(try kernelPath("emulated"), "portable")
        XCTAssertEqual(try kernelPath("native"), "portable")
        XCTAssertEqual(try kernelPath("chosen"), KernelPath.available.rawValue)
        #endif
    }

}

/// Debian's Fashion-MNIST files, which the set-up installs on every machine.
enum ImageCollectionFiles {
    static let debian = "/usr/share/datasets/fashion-mnist"
    static let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

}
