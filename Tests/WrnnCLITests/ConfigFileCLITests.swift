import Foundation
import XCTest

/// `wrnn train --config FILE.yaml` with the command line overriding it, and `--name`, `--tag`,
/// `--notes` and `--val-size` recorded in config.json; every bad file is one line and its code.
final class ConfigFileCLITests: XCTestCase {
    func testConfigFileThenFlagsOverrideAndLabelsAreRecorded() throws {
        let cwd = scratchDirectory()
        try """
        # one run of the copy task
        task: copy
        model: wrnn
        T: 5
        steps: 20
        eval-every: 10
        lr: 0.002
        hidden-size: 8
        channels: 2
        tag: [baseline, short]
        name: first try
        """.write(toFile: cwd + "/run.yaml", atomically: true, encoding: .utf8)
        let result = try wrnn(
            ["train", "--config", "run.yaml", "--lr", "0.003", "--tag", "extra", "--notes", "lr raised", "--out", "r", "--threads", "1"],
            in: cwd)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Adam lr 0.003, clip 1.0, batch 128, 20 steps, seed 0, 1 thread\n"), result.stdout)
        let config = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cwd + "/r/config.json"))) as? [String: Any])
        XCTAssertEqual(config["learningRate"] as? Double, 0.003)
        XCTAssertEqual((config["model"] as? [String: Any])?["hiddenSize"] as? Int, 8)
        let label = try XCTUnwrap(config["label"] as? [String: Any])
        XCTAssertEqual(label["name"] as? String, "first try")
        XCTAssertEqual(label["tags"] as? [String], ["baseline", "short", "extra"])
        XCTAssertEqual(label["notes"] as? String, "lr raised")

        // a sweep file whose every parameter has one value is a configuration file too
        try "parameters:\n  task: {value: copy}\n  T: {value: 5}\n  steps: 10\n  hidden-size: 8\n  channels: 2\n"
            .write(toFile: cwd + "/sweep-like.yaml", atomically: true, encoding: .utf8)
        let sweepLike = try wrnn(["train", "--config", "sweep-like.yaml", "--out", "s", "--quiet"], in: cwd)
        XCTAssertEqual(sweepLike.status, 0, sweepLike.stderr)
    }

    func testBadConfigurationFilesAreOneLineWithTheirCode() throws {
        let cwd = scratchDirectory()
        let files = [
            "list.yaml": "task: copy\nlr: [0.1, 0.2]\n",
            "typo.yaml": "task: copy\nlrr: 0.1\n",
            "word.yaml": "task: copy\nmodel: wrn\n",
            "broken.yaml": "task: [copy\n",
            "resume.yaml": "resume: runs/x\n",
            "twice.yaml": "parameters:\n  lr: [0.1, 0.2]\n",
            "scalar.yaml": "just words\n"
        ]
        for (name, text) in files { try text.write(toFile: cwd + "/" + name, atomically: true, encoding: .utf8) }
        let expected: [(String, Int32, String)] = [
            (
                "list.yaml", 64,
                "list.yaml:2: lr has a list of values: a configuration file is one run; run a grid with wrnn sweep (a sweep file's parameters:)"
            ),
            (
                "typo.yaml", 64,
                "typo.yaml:2: unknown option 'lrr'; did you mean 'lr'? (a file without `program:` uses wrnn train's option names)"
            ),
            ("broken.yaml", 64, "broken.yaml: not valid YAML: 2:1: did not find expected ',' or ']'; fix the file"),
            (
                "resume.yaml", 64,
                "resume.yaml:1: 'resume' cannot be given in a configuration file (--resume continues a run from its own configuration)"
            ),
            ("twice.yaml", 64, "twice.yaml: lr has 2 values: a configuration file is one run; run a grid with wrnn sweep twice.yaml"),
            ("scalar.yaml", 64, "scalar.yaml: a configuration file is a YAML mapping of wrnn train options (task: copy, model: wrnn, ...)"),
            ("missing.yaml", 66, "--config missing.yaml does not exist")
        ]
        for (file, code, line) in expected {
            let result = try wrnn(["train", "--config", file], in: cwd)
            XCTAssertEqual(result.status, code, "\(file): \(result.stderr)")
            XCTAssertEqual(result.stderr, "wrnn: error: \(line)\n", file)
            XCTAssertEqual(result.stdout, "", file)
        }
        let word = try wrnn(["train", "--config", "word.yaml"], in: cwd)
        XCTAssertEqual(word.status, 64)
        XCTAssertTrue(
            word.stderr.hasPrefix("wrnn: error: word.yaml:2: model: 'wrn' is not one of its values; did you mean 'wrnn'?"), word.stderr)
        let both = try wrnn(["train", "--config", "typo.yaml", "--resume", "r"], in: cwd)
        XCTAssertEqual(both.status, 64)
        XCTAssertEqual(
            both.stderr, "wrnn: error: --config starts a new run; --resume continues one from its own configuration: give one of them\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cwd).sorted(), files.keys.sorted(), "nothing was created")
        // a sweep grid cannot name a configuration file
        try "parameters:\n  task: {value: copy}\n  config: {value: run.yaml}\n".write(
            toFile: cwd + "/grid.yml", atomically: true, encoding: .utf8)
        let grid = try wrnn(["sweep", "grid.yml", "--dry-run"], in: cwd)
        XCTAssertEqual(grid.status, 64)
        XCTAssertEqual(
            grid.stderr, "wrnn: error: grid.yml: 'config' names a configuration file for wrnn train; put its options in the grid instead\n")
    }

    func testValidationSizeIsCheckedAgainstTheTask() throws {
        let copy = try wrnn(["train", "--task", "copy", "--val-size", "10"])
        XCTAssertEqual(copy.status, 64)
        XCTAssertEqual(
            copy.stderr,
            "wrnn: error: --val-size applies to tasks with a validation split (smnist, psmnist, sfmnist, psfmnist, nscifar10 and sequences); this run's task has none\n"
        )
        let tooMany = try wrnn(["train", "--task", "sfmnist", "--val-size", "3001"])
        XCTAssertEqual(tooMany.status, 64)
        XCTAssertEqual(tooMany.stderr, "wrnn: error: --val-size 3001 is more than the 3000 validation sequences this task holds out\n")
    }
}
