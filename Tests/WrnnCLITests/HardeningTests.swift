import Foundation
import XCTest
import WaveTestSupport

/// Issue 19's cases and their classes, against the built binary: a checkpoint's stream state,
/// bounded grids, one exit code per class, and results that name every run they cannot count.
extension FaultSuiteTests {
    func testCheckpointStateOfTheWrongSizeIsRefusedNotTrusted() throws {
        let cases: [(String, [UInt64], String)] = [
            ("two words", [1, 2], "found 2"), ("empty", [], "found 0"), ("all zero", [0, 0, 0, 0], "found 4")
        ]
        for (what, state, found) in cases {
            let run = try makeRun()
            for file in ["checkpoint.bin", "checkpoint.prev.bin"] {
                try rewriteHeader(run + "/" + file) { h in h["dataStream"] = ["state": state] }
            }
            let before = sha(run + "/checkpoint.bin")
            let message = "unreadable header (dataStream.state: a random stream's state is four words, not all zero (\(found)))"
            let evaluated = try wrnn(["eval", run])
            XCTAssertEqual(evaluated.status, 65, "\(what): \(evaluated.stderr)")
            XCTAssertEqual(evaluated.stderr, "wrnn: error: checkpoint \(run)/checkpoint.bin is corrupt: \(message)\n", what)
            let resumed = try wrnn(["train", "--resume", run, "--steps", "30"])
            XCTAssertEqual(resumed.status, 65, "\(what): \(resumed.stderr)")
            XCTAssertEqual(resumed.stderr, "wrnn: error: checkpoint \(run)/checkpoint.prev.bin is corrupt: \(message)\n", what)
            XCTAssertEqual(sha(run + "/checkpoint.bin"), before, "\(what): both are damaged, so nothing is moved or replaced")
        }
        // a loop counter past any real run would overflow when the loop adds to it
        let run = try makeRun()
        for file in ["checkpoint.bin", "checkpoint.prev.bin"] {
            try rewriteHeader(run + "/" + file) { h in
                var loop = h["loop"] as! [String: Any]
                loop["stepsSinceLog"] = 1 << 62
                h["loop"] = loop
            }
        }
        let result = try wrnn(["eval", run])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertEqual(
            result.stderr,
            "wrnn: error: checkpoint \(run)/checkpoint.bin is corrupt: unreadable header (loop.stepsSinceLog: stepsSinceLog 4611686018427387904 is outside 0 ... 2^40)\n"
        )
    }

    func testAnUnreadableConfigIsRefusedOnResumeAndKept() throws {
        for (what, text) in [("not JSON", "{\"task\": "), ("not a configuration", "[1, 2, 3]"), ("out of range", "")] {
            let run = try makeRun(steps: 10)
            var contents = text
            if what == "out of range" {
                contents = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
                    .replacingOccurrences(of: "\"batchSize\" : 128", with: "\"batchSize\" : -4")
                XCTAssertTrue(contents.contains("-4"))
            }
            try contents.write(toFile: run + "/config.json", atomically: true, encoding: .utf8)
            let before = (sha(run + "/config.json"), sha(run + "/checkpoint.bin"))
            let result = try wrnn(["train", "--resume", run, "--steps", "20"])
            XCTAssertEqual(result.status, 65, "\(what): \(result.stderr)")
            XCTAssertTrue(
                result.stderr.hasPrefix("wrnn: error: \(run)/config.json is not a wrnn run configuration ("), "\(what): \(result.stderr)")
            XCTAssertTrue(
                result.stderr.hasSuffix(
                    "so it cannot say that \(run)/checkpoint.bin belongs to this run; restore it, or move it aside to resume from the checkpoint's own configuration\n"
                ), result.stderr)
            XCTAssertEqual(errorLines(result.stderr).count, 1)
            XCTAssertEqual(sha(run + "/config.json"), before.0, "\(what): config.json is not rewritten")
            XCTAssertEqual(sha(run + "/checkpoint.bin"), before.1)
        }
    }

    func testSweepOptionsAndGridsGiveTheirClassesExitCodeAndCreateNothing() throws {
        let dir = scratchDirectory()
        let file = dir + "/grid.yml"
        try "name: g\nparameters:\n  task: {value: copy}\n  model: {values: [wrnn, irnn]}\n  steps: {value: 3}\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: dir + "/taken"))
        // 40^6 points: counted, not expanded
        let forty = (1...40).map(String.init).joined(separator: ", ")
        let keys = ["steps", "T", "lr", "clip", "batch-size", "test-size"]
        try ("name: big\nparameters:\n  task: {value: copy}\n" + keys.map { "  \($0): {values: [\(forty)]}\n" }.joined())
            .write(toFile: dir + "/big.yml", atomically: true, encoding: .utf8)
        let cases: [([String], Int32, String)] = [
            (["sweep", file, "--filter", "nokv", "--dry-run"], 64, "--filter takes key=value (got 'nokv')"),
            (["sweep", file, "--threads", "100000", "--dry-run"], 64, "--threads must be at most 4,096 (got 100,000)"),
            (["sweep", file, "--max-runs", "0", "--dry-run"], 64, "--max-runs must be a positive integer (got 0)"),
            (["sweep", file, "--run-index", "7", "--out", dir + "/never"], 64, "--run-index 7 is past the grid's last run (1)"),
            (
                ["sweep", file, "--out", dir + "/taken"], 73,
                "sweep directory: cannot create directory \(dir)/taken: a file of that name is in the way; choose another --out"
            ),
            (
                ["sweep", dir + "/big.yml", "--dry-run"], 64,
                "\(dir)/big.yml: the grid is 4,096,000,000 points x 1 seed = 4,096,000,000 runs, past the limit of 100,000; narrow it with --filter, or raise the limit with --max-runs"
            ),
            (
                ["sweep", file, "--max-runs", "3", "--seeds", "0,1", "--dry-run"], 64,
                "\(file): the grid is 2 points x 2 seeds = 4 runs, past the limit of 3; narrow it with --filter, or raise the limit with --max-runs"
            )
        ]
        for (arguments, code, message) in cases {
            let started = Date()
            let result = try wrnn(arguments, in: dir)
            XCTAssertEqual(result.status, code, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 20, "\(arguments) is bounded work")
        }
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["big.yml", "grid.yml", "taken"], "nothing was created")
        // the limit is the user's to raise
        let raised = try wrnn(["sweep", file, "--max-runs", "4", "--seeds", "0,1", "--dry-run"], in: dir)
        XCTAssertEqual(raised.status, 0, raised.stderr)
    }

    func testInputsThatCannotBeOpenedAreMissingInputs() throws {
        let dir = scratchDirectory()
        XCTAssertEqual(symlink(dir + "/loop-b", dir + "/loop-a"), 0)
        XCTAssertEqual(symlink(dir + "/loop-a", dir + "/loop-b"), 0)
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/plain"))
        let cases: [([String], String)] = [
            (["sweep", dir + "/loop-a", "--dry-run"], "cannot open sweep file \(dir)/loop-a: Too many levels of symbolic links"),
            (["sweep", dir, "--dry-run"], "sweep file \(dir) is a directory, not a regular file; give a file"),
            (["eval", dir + "/plain"], "\(dir)/plain is not a directory; give the run directory (the one that holds checkpoint.bin)"),
            (
                ["train", "--task", "adding", "--steps", "1", "--init-from", dir + "/loop-a", "--out", dir + "/r"],
                "cannot open safetensors file \(dir)/loop-a: Too many levels of symbolic links"
            )
        ]
        for (arguments, message) in cases {
            let result = try wrnn(arguments)
            XCTAssertEqual(result.status, 66, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(message)\n", "\(arguments)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/r"))
    }

    func testResultsNameEveryRunTheyCannotCount() throws {
        let sweep = scratchDirectory() + "/sweep"
        let runs = sweep + "/runs"
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true)
        let good = try makeRun(steps: 10), noConfig = try makeRun(steps: 10), corrupt = try makeRun(steps: 10),
            badConfig = try makeRun(steps: 10)
        for (run, name) in [(good, "a-good"), (noConfig, "b-no-config"), (corrupt, "c-corrupt-summary"), (badConfig, "d-bad-config")] {
            try FileManager.default.moveItem(atPath: run, toPath: runs + "/" + name)
        }
        try FileManager.default.removeItem(atPath: runs + "/b-no-config/config.json")
        try "{\"steps\": ".write(toFile: runs + "/c-corrupt-summary/summary.json", atomically: true, encoding: .utf8)
        try "{}".write(toFile: runs + "/d-bad-config/config.json", atomically: true, encoding: .utf8)
        let result = try wrnn(["results", sweep, "--format", "csv"])
        XCTAssertEqual(result.status, 65, result.stderr)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, result.stderr)
        XCTAssertEqual(lines[0], "wrnn: warning: \(runs)/b-no-config: skipped, it has no config.json (not a complete run directory)")
        XCTAssertTrue(lines[1].hasPrefix("wrnn: warning: \(runs)/c-corrupt-summary: summary.json is corrupt ("), lines[1])
        XCTAssertTrue(lines[1].hasSuffix("); the run is not counted"), lines[1])
        XCTAssertTrue(
            lines[2].hasPrefix("wrnn: warning: \(runs)/d-bad-config: skipped, its config.json is not a wrnn run configuration ("), lines[2])
        XCTAssertEqual(lines[3], "wrnn: error: 3 run directories could not be read and are not in the tables (named above)")
        // the one good run is in the table, counted once
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 2, result.stdout)
    }
}
