import Foundation
import XCTest

/// Every command that reads runs takes run directories, sweep directories and folders of runs;
/// folders without a run are skipped with a note; every --out follows one rule (an extension: that
/// file; otherwise a directory); `eval --json` is one JSON object.
final class CommandsAgreeTests: XCTestCase {
    func train(_ out: String, in cwd: String, _ extra: [String] = []) throws {
        let result = try wrnn(
            [
                "train", "-T", "3", "-n", "8", "--steps", "10", "--eval-every", "5", "--test-size", "16", "--batch-size", "8",
                "--threads", "1", "--out", out, "--quiet"
            ] + extra, in: cwd)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testFoldersOfRunsAndTheOutRule() throws {
        let cwd = scratchDirectory()
        try train("runs/a", in: cwd, ["--name", "first", "--tag", "t1", "-c", "2"])
        try train("runs/demo/w", in: cwd, ["-c", "2"])
        try train("runs/demo/i", in: cwd, ["--model", "irnn"])
        try FileManager.default.createDirectory(atPath: cwd + "/runs/figs", withIntermediateDirectories: true)

        let results = try wrnn(["results", "runs"], in: cwd)
        XCTAssertEqual(results.status, 0, results.stderr)
        XCTAssertEqual(results.stderr, "wrnn: note: runs/figs: holds no run; skipped\n")
        XCTAssertTrue(results.stdout.contains("3 runs in 2 configurations"), results.stdout)
        XCTAssertTrue(results.stdout.contains(" | first [t1] |"), "the runs' names and tags are in the table")

        let curves = try wrnn(["curves", "runs", "--out", "c", "--format", "svg"], in: cwd)
        XCTAssertEqual(curves.status, 0, curves.stderr)
        XCTAssertEqual(curves.stdout, "wrote c/curves.json, c/curves.svg, c/accuracy.json, c/accuracy.svg\n")
        let legend = try String(contentsOfFile: cwd + "/c/curves.svg", encoding: .utf8)
        XCTAssertTrue(legend.contains(">first test<"), "the run's --name is its legend label")
        let onto = try wrnn(["curves", "runs", "--out", "c.png"], in: cwd)
        XCTAssertEqual(onto.status, 64)
        XCTAssertEqual(
            onto.stderr, "wrnn: error: --out c.png names a file, but curves writes several (curves.* and accuracy.*); give a directory\n")

        let table = try wrnn(["results", "runs", "--format", "csv", "--out", "tables"], in: cwd)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertEqual(table.stdout, "wrote tables/results.csv\n")
        let csv = try String(contentsOfFile: cwd + "/tables/results.csv", encoding: .utf8)
        XCTAssertTrue(csv.contains("runs/a,first,t1,,done,"), csv)

        let report = try wrnn(["report", "runs/a", "--out", "pages"], in: cwd)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertEqual(report.stdout, "wrote pages/report.html\n")
        let page = try String(contentsOfFile: cwd + "/pages/report.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<tr><th>tags</th><td>t1</td></tr>"), "tags are on the page")

        let export = try wrnn(["export", "runs/a", "--out", "weights"], in: cwd)
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cwd + "/weights/model.safetensors"))

        let eval = try wrnn(["eval", "runs/a", "--json"], in: cwd)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["run"] as? String, "runs/a")
        XCTAssertEqual(object["step"] as? Int, 10)
        XCTAssertEqual(object["task"] as? String, "copy")
        let recall = try XCTUnwrap(object["recall_accuracy"] as? Double)
        XCTAssertTrue((0...1).contains(recall), "a fraction, as in metrics.jsonl")
        XCTAssertEqual(eval.stdout.split(separator: "\n").count, 1)
    }
}
