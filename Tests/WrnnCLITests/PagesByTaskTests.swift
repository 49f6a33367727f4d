import Foundation
import XCTest

/// `report` and `results --format html` over runs of two tasks: a section per task (one loss axis
/// each, no line across tasks), a Figure 2 for the task with a wRNN and an iRNN and a line saying
/// why for the other, and chart text at 11 px or more at any page width.
final class PagesByTaskTests: XCTestCase {
    func train(_ out: String, _ arguments: [String], in cwd: String) throws {
        let result = try wrnn(
            [
                "train", "--steps", "10", "--eval-every", "5", "--test-size", "32", "--batch-size", "16", "--threads", "1", "--quiet",
                "--out", out
            ]
                + arguments, in: cwd)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testPagesGroupRunsByTaskAndKeepChartTextReadable() throws {
        let cwd = scratchDirectory()
        try train("runs/copy-w", ["--task", "copy", "-T", "4", "-n", "16", "-c", "2", "--name", "copy wave"], in: cwd)
        try train("runs/copy-i", ["--task", "copy", "-T", "4", "--model", "irnn", "-n", "16", "--name", "copy plain"], in: cwd)
        try train("runs/sf-w", ["--task", "sfmnist", "-n", "16", "-c", "2", "--val-size", "32", "--name", "image wave"], in: cwd)

        let report = try wrnn(["report", "runs", "--out", "report.html"], in: cwd)
        XCTAssertEqual(report.status, 0, report.stderr)
        let page = try String(contentsOfFile: cwd + "/report.html", encoding: .utf8)
        XCTAssertEqual(page.matches(of: #/<h3>([^<]*)</h3>/#).map { String($0.output.1) }, ["copy T=4", "sfmnist"])
        XCTAssertTrue(
            page.contains(
                "No Figure 2 for sfmnist: it needs a wRNN run and an iRNN run of the task, and these runs have no iRNN run."), page)
        XCTAssertEqual(page.components(separatedBy: "alt=\"Figure 2\"").count - 1, 1, "one Figure 2: the copy task's")
        // each task's learning curves name only its own runs
        let sections = page.components(separatedBy: "<h3>").map { $0.components(separatedBy: "<h2>")[0] }
        let copyCharts = svgs(in: sections[1]).joined(), imageCharts = svgs(in: sections[2]).joined()
        XCTAssertTrue(copyCharts.contains(">copy wave test<") && !copyCharts.contains("image wave"))
        XCTAssertTrue(imageCharts.contains(">image wave test<") && !imageCharts.contains("copy wave"))
        try checkChartText(page)
        // the runs' own figures (maps, spectra, the GIF) never shrink below the width that keeps their
        // text at 11 px: a narrow screen scrolls them sideways
        let runFigures = page.matches(of: #/<figure><img src="data:image/(png|gif);base64,[^"]*"( style="min-width: ([0-9]+)px")?/#)
        XCTAssertGreaterThan(runFigures.count, 6)
        for image in runFigures { XCTAssertNotNil(image.output.2, "a run figure without a minimum width") }

        let curves = try wrnn(["curves", "runs", "--out", "curves", "--format", "svg"], in: cwd)
        XCTAssertEqual(curves.status, 0, curves.stderr)
        XCTAssertEqual(
            curves.stdout,
            "wrote curves/curves-copy-T4.json, curves/curves-copy-T4.svg, curves/accuracy-copy-T4.json, curves/accuracy-copy-T4.svg, curves/curves-sfmnist.json, curves/curves-sfmnist.svg, curves/accuracy-sfmnist.json, curves/accuracy-sfmnist.svg\n"
        )

        let results = try wrnn(["results", "runs", "--format", "html", "--out", "results.html"], in: cwd)
        XCTAssertEqual(results.status, 0, results.stderr)
        let table = try String(contentsOfFile: cwd + "/results.html", encoding: .utf8)
        XCTAssertTrue(table.contains("No Figure 2 for sfmnist"), "the results page says why a task has no Figure 2")
        XCTAssertEqual(table.components(separatedBy: "alt=\"Figure 2\"").count - 1, 1)
        try checkChartText(table)
    }

    /// Every chart is a picture of two drawings, and each drawing's smallest text is 11 px or more at
    /// the narrowest width it is shown at (350 px up to 640 px screens, 500 px above).
    func checkChartText(_ page: String) throws {
        XCTAssertFalse(page.contains("<figure><img src=\"data:image/svg"), "no chart outside a picture")
        let pictures = page.matches(
            of:
                #/<source media="\(max-width: 640px\)" srcset="data:image/svg\+xml;base64,([^"]+)"><img src="data:image/svg\+xml;base64,([^"]+)"/#
        )
        XCTAssertGreaterThan(pictures.count, 2)
        for picture in pictures {
            for (data, shownAt) in [(picture.output.1, 350.0), (picture.output.2, 500.0)] {
                let svg = String(decoding: Data(base64Encoded: String(data))!, as: UTF8.self)
                let width = Double(svg.firstMatch(of: #/viewBox="0 0 ([0-9.]+) /#)!.output.1)!
                let smallest = svg.matches(of: #/font-size="([0-9.]+)"/#).map { Double($0.output.1)! }.min()!
                XCTAssertGreaterThanOrEqual(
                    smallest * shownAt / width, 11, "text of \(smallest) in a \(width)-wide drawing shown at \(shownAt) px")
            }
        }
    }

    func svgs(in html: String) -> [String] {
        html.matches(of: #/data:image/svg\+xml;base64,([^"]+)"/#).map {
            String(decoding: Data(base64Encoded: String($0.output.1))!, as: UTF8.self)
        }
    }
}
