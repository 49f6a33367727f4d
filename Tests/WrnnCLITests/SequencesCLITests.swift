import Foundation
import WaveSweep
import WaveTestSupport
import XCTest

/// `--task sequences --data FILE`: every model on every format and target kind, learning, sweeps,
/// results, and bad files refused with one line, exit 65 and nothing created.
final class SequencesCLITests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sequences").path
    let quick = ["--threads", "1", "--quiet", "--epochs", "2"]

    func summary(_ run: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/summary.json"))) as! [String: Any]
    }
    func config(_ run: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as! [String: Any]
    }

    func testEveryModelTrainsOnEveryFormatAndTargetKind() throws {
        let cwd = scratchDirectory()
        let sizes: [String: [String]] = [
            "wrnn": ["-n", "8", "-c", "2"], "irnn": ["-n", "16"], "lstm": ["-n", "8"], "gru": ["-n", "8"], "cornn": ["-n", "8"],
            "lem": ["-n", "8"], "fc": ["--readout", "mlp", "-n", "8"]
        ]
        for (model, size) in sizes.sorted(by: { $0.key < $1.key }) {
            let r = try wrnn(
                ["train", "--task", "sequences", "--data", Self.fixtures + "/classes.npz", "--model", model, "--out", model] + size + quick,
                in: cwd)
            XCTAssertEqual(r.status, 0, "\(model): \(r.stderr)")
            let s = try summary(cwd + "/" + model)
            XCTAssertEqual(s["task"] as? String, "sequences")
            XCTAssertNotNil(s["test_accuracy"], model)
        }
        // each format and kind of target: what the run line says, and the summary's numbers
        let cases: [(file: String, extra: [String], line: String, accuracy: Bool)] = [
            ("classes-compressed.npz", [], "12 steps of 2 features, 2 classes, one per sequence, read at the last step", true),
            ("classes.npz", ["--readout-at", "every"], "12 steps of 2 features, 2 classes, one per sequence, read at every step", true),
            ("values-per-step.npz", ["--normalize"], "12 steps of 2 features, 1 value per step, normalised", false),
            ("values.safetensors", [], "12 steps of 2 features, 2 values per sequence, read at the last step", false),
            ("class-per-step.safetensors", [], "12 steps of 2 features, 2 classes, one per step", true),
            ("Toy_TRAIN.tsv", [], "16 steps of 1 feature, 3 classes, one per sequence, read at the last step", true),
            ("Ragged_TRAIN.tsv", ["--mask-value", "nan"], "16 steps of 1 feature, 3 classes, one per sequence, read at the last step", true)
        ]
        for (k, c) in cases.enumerated() {
            let r = try wrnn(
                [
                    "train", "--task", "sequences", "--data", Self.fixtures + "/" + c.file, "--model", "wrnn", "-n", "8", "-c", "2",
                    "--threads", "1",
                    "--epochs", "2", "--out", "case\(k)"
                ] + c.extra, in: cwd)
            XCTAssertEqual(r.status, 0, "\(c.file): \(r.stderr)")
            XCTAssertEqual(
                r.stdout.split(separator: "\n").first.map(String.init), "wrnn train: sequences from \(Self.fixtures)/\(c.file): \(c.line)")
            let s = try summary(cwd + "/case\(k)")
            XCTAssertEqual(s["test_accuracy"] != nil, c.accuracy, c.file)
            XCTAssertEqual(s["best_validation_loss"] != nil, !c.accuracy, c.file)
        }
        let ucr = try config(cwd + "/case5")
        XCTAssertEqual(
            ucr["notes"] as? [String],
            [
                "validation split: a tenth of x_train, drawn by the seed (26 train, 2 validation, 12 test)",
                "classes 0 ... 2 are the labels -1, 1, 2"
            ])
        let ragged = try String(contentsOfFile: cwd + "/case6/config.json", encoding: .utf8)
        XCTAssertTrue(ragged.contains("10 sequences padded (--mask-value nan): their padding moved to the front as zeros"), ragged)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cwd + "/case2/normalization.npy"))
        // results, curves, eval and the probe read these runs
        let results = try wrnn(["results", "."], in: cwd)
        XCTAssertEqual(results.status, 0, results.stderr)
        XCTAssertTrue(results.stdout.contains("## sequences values-per-step.npz (normalised)"), results.stdout)
        XCTAssertTrue(results.stdout.contains("## sequences Toy_TRAIN.tsv"), results.stdout)
        for command in [
            ["eval", "case4"], ["curves", "case0", "case2", "--out", "curves"], ["probe", "case5", "--out", "probe"], ["analyze", "case0"]
        ] {
            let r = try wrnn(command, in: cwd)
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
        }
    }

    /// A memory task (the label is an input three steps before the end): the wRNN learns it, the
    /// training loss falls, and the same seed gives the same numbers.
    func testTheWaveModelLearnsAMemoryTaskFromAFile() throws {
        let cwd = scratchDirectory()
        let arguments = [
            "train", "--task", "sequences", "--data", Self.fixtures + "/classes.npz", "--model", "wrnn", "-n", "12", "-c", "2", "--lr",
            "0.01",
            "--epochs", "60", "--batch-size", "16", "--threads", "1", "--quiet"
        ]
        XCTAssertEqual(try wrnn(arguments + ["--out", "a"], in: cwd).status, 0)
        XCTAssertEqual(try wrnn(arguments + ["--out", "b"], in: cwd).status, 0)
        XCTAssertEqual(try metricsWithoutTime(cwd + "/a"), try metricsWithoutTime(cwd + "/b"))
        let lines = try metricsWithoutTime(cwd + "/a").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let first = lines.first { $0["test_loss"] != nil }!["test_loss"] as! Double
        let s = try summary(cwd + "/a")
        XCTAssertLessThan(s["train_loss"] as! Double, 0.5 * first, "\(s)")
        XCTAssertGreaterThan(s["test_accuracy"] as! Double, 0.85, "\(s)")
    }

    func testBadFilesAreOneLineExit65AndCreateNothing() throws {
        let cwd = scratchDirectory()
        func safetensors(_ tensors: [(String, String, [Int], [UInt8])]) -> [UInt8] {
            var offset = 0, entries: [String] = [], data: [UInt8] = []
            for (name, dtype, shape, bytes) in tensors {
                entries.append(
                    "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
                offset += bytes.count
                data += bytes
            }
            let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
            return (0..<8).map { UInt8((header.count >> (8 * $0)) & 0xFF) } + header + data
        }
        func floats(_ values: [Float]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v) { Array($0) } } }
        func ints(_ values: [Int64]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v) { Array($0) } } }
        let x = floats((0..<40).map { Float($0) / 40 }) // (10, 4, 1)
        var withNaN = (0..<40).map { Float($0) / 40 }
        withNaN[13] = .nan
        let labels = ints([0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
        let original = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/classes-compressed.npz"))
        let files: [(String, [UInt8], String)] = [
            (
                "truncated.npz", Array(original.prefix(5000)),
                "truncated.npz: not a complete zip/.npz archive (no end-of-directory record): truncated, or not saved by numpy.savez"
            ),
            (
                "nan.safetensors", safetensors([("x_train", "F32", [10, 4, 1], floats(withNaN)), ("y_train", "I64", [10], labels)]),
                "nan.safetensors: x_train holds nan at sequence 3, step 1, feature 0; inputs must be finite (mark padding with --mask-value)"
            ),
            (
                "shapes.safetensors", safetensors([("x_train", "F32", [10, 4, 1], x), ("y_train", "I64", [9], Array(labels.prefix(72)))]),
                "shapes.safetensors: y_train has shape [9] but x_train holds 10 sequences; their first dimensions must agree"
            ),
            (
                "range.safetensors",
                safetensors([
                    ("x_train", "F32", [10, 4, 1], x), ("y_train", "I64", [10], labels), ("x_test", "F32", [2, 4, 1], Array(x.prefix(32))),
                    ("y_test", "I64", [2], ints([1, 5]))
                ]),
                "range.safetensors: y_test holds label 5 but y_train's labels are 0 ... 1; every label must be one the training split has"
            ),
            (
                "alone.safetensors",
                safetensors([
                    ("x_train", "F32", [10, 4, 1], x), ("y_train", "I64", [10], labels), ("x_val", "F32", [2, 4, 1], Array(x.prefix(32)))
                ]),
                "alone.safetensors has x_val without y_val; give both or neither"
            ),
            (
                "negative.safetensors",
                safetensors([("x_train", "F32", [10, 4, 1], x), ("y_train", "I64", [10], ints([0, 1, 0, 1, 0, 1, 0, 1, 0, -1]))]),
                "negative.safetensors: y_train holds label -1; classes are 0, 1, ..."
            ),
            (
                "data.csv", Array("1,2\n".utf8),
                "--data data.csv: not a file this task reads; give .npz (numpy.savez), .safetensors or a UCR NAME_TRAIN.tsv"
            )
        ]
        for (name, bytes, message) in files {
            FileManager.default.createFile(atPath: cwd + "/" + name, contents: Data(bytes))
            let r = try wrnn(["train", "--task", "sequences", "--data", name, "--out", "run-\(name)", "--threads", "1"], in: cwd)
            XCTAssertEqual(r.status, 65, "\(name): \(r.stderr)")
            XCTAssertEqual(
                r.stderr, "wrnn: error: \(cwd)/\(message)\n".replacingOccurrences(of: "\(cwd)/--data ", with: "--data \(cwd)/"), name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: cwd + "/run-\(name)"), name)
        }
        // ragged UCR lines without a mask value: the line names the fix
        let ragged = try wrnn(["train", "--task", "sequences", "--data", Self.fixtures + "/Ragged_TRAIN.tsv", "--out", "r"], in: cwd)
        XCTAssertEqual(ragged.status, 65)
        XCTAssertEqual(
            ragged.stderr,
            "wrnn: error: \(Self.fixtures)/Ragged_TRAIN.tsv: x_train holds nan at sequence 0, step 11, feature 0; sequences of different lengths? pad each at its end with NaN and give --mask-value nan\n"
        )
        let missing = try wrnn(["train", "--task", "sequences", "--data", "none.npz"], in: cwd)
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "wrnn: error: data file \(cwd)/none.npz does not exist\n")
        // options that need the task, and the task that needs --data: usage, exit 64
        for (arguments, message) in [
            (
                ["--task", "sequences"],
                "--task sequences needs --data FILE (.npz or .safetensors with x_train and y_train, or a UCR NAME_TRAIN.tsv)"
            ),
            (["--data", "x.npz"], "--data applies to --task sequences only"),
            (["--task", "sequences", "--data", "x.npz", "--mask-value", "blank"], "--mask-value must be nan or a finite number (got blank)")
        ] {
            let r = try wrnn(["train"] + arguments, in: cwd)
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertEqual(r.stderr, "wrnn: error: \(message)\n")
        }
    }

    /// A sweep over own data: the file's options in a sweep file mean what they mean to `wrnn train`.
    func testASweepTrainsOnOwnData() throws {
        let cwd = scratchDirectory()
        let sweep = """
            name: own
            parameters:
              task: {value: sequences}
              data: {value: \(Self.fixtures)/Toy_TRAIN.tsv}
              model: {values: [wrnn, lstm]}
              hidden-size: {value: 8}
              epochs: {value: 2}
              normalize: {value: yes}
              schedule: {value: exponential}
              lr-gamma: {value: 0.9}
            """
        FileManager.default.createFile(atPath: cwd + "/own.yml", contents: Data(sweep.utf8))
        let r = try wrnn(["sweep", "own.yml", "--seeds", "1", "--threads", "1"], in: cwd)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("sweep own: 2 done, 0 running, 0 partial, 0 pending, 0 failed, 0 invalid of 2 runs"), r.stdout)
    }

    /// Every option `wrnn train` has is a sweep file's key with the same name (or one the sweep sets
    /// itself), and every key of the sweep vocabulary is a `wrnn train` option: they cannot drift.
    func testEveryTrainOptionIsASweepKey() throws {
        let dump = try wrnn(["train", "--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0)
        let root = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as! [String: Any]
        let arguments = (root["command"] as! [String: Any])["arguments"] as! [[String: Any]]
        var options: Set<String> = [], flags: Set<String> = []
        for argument in arguments {
            let names = (argument["names"] as? [[String: String]] ?? []).filter { $0["kind"] == "long" || $0["name"] == "T" }.map {
                $0["name"]!
            }
            for name in names where !["help", "version"].contains(name) {
                if argument["kind"] as? String == "flag" { flags.insert(name) } else { options.insert(name) }
            }
        }
        let owned = Set(WrnnVocabulary.sweepOwned)
        XCTAssertEqual(options.subtracting(owned), Set(WrnnVocabulary.valueOptions))
        XCTAssertEqual(flags.subtracting(owned), Set(WrnnVocabulary.flags))
        XCTAssertEqual(owned.subtracting(options).subtracting(flags), [])
        for key in WrnnVocabulary.valueOptions {
            XCTAssertEqual(try WrnnVocabulary.trainArguments([(key, "1")]).arguments, [key == "T" ? "-T" : "--\(key)", "1"], key)
        }
        for key in WrnnVocabulary.flags {
            XCTAssertEqual(try WrnnVocabulary.trainArguments([(key, "yes")]).arguments, ["--\(key)"], key)
        }
    }
}
