import Foundation
import XCTest

/// `--width` sizes a figure for print: a one-column figure is 3.25 in (234 pt) wide with its text at
/// 7 to 9 pt, read from the SVGs' own <text> elements; a bad width is one line, exit 64.
final class PrintSizeTests: XCTestCase {
    func fontSizes(_ svg: String) -> [Double] {
        svg.components(separatedBy: "font-size=\"").dropFirst().compactMap { Double($0.prefix { $0 != "\"" }) }
    }

    func testOneColumnFiguresHaveTheirWidthAndSevenToNinePointText() throws {
        let cwd = scratchDirectory()
        let trained = try wrnn(
            [
                "train", "--task", "copy", "-T", "3", "--steps", "10", "--eval-every", "5", "--threads", "1",
                "--out", "run", "--quiet"
            ], in: cwd)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let curves = try wrnn(["curves", "run", "--out", "figures", "--format", "svg", "--width", "3.25"], in: cwd)
        XCTAssertEqual(curves.status, 0, curves.stderr)
        let analyze = try wrnn(["analyze", "run", "--format", "svg", "--width", "3.25", "--channels", "0"], in: cwd)
        XCTAssertEqual(analyze.status, 0, analyze.stderr)
        let files = [
            "figures/curves.svg", "figures/accuracy.svg", "run/analysis/spacetime_s0_c0.svg", "run/analysis/spectrum_s0_c0.svg",
            "run/analysis/copy_io_s0.svg", "run/analysis/curves.svg"
        ]
        for file in files {
            let svg = try String(contentsOfFile: cwd + "/" + file, encoding: .utf8)
            XCTAssertTrue(svg.contains("width=\"234pt\""), "\(file) is one column wide")
            let sizes = fontSizes(svg)
            XCTAssertFalse(sizes.isEmpty, file)
            XCTAssertTrue(sizes.allSatisfy { (7...9).contains($0) }, "\(file): text sizes \(Set(sizes).sorted())")
        }
        // the screen layout (no --width) keeps its larger text
        let screen = try wrnn(["curves", "run", "--out", "screen", "--format", "svg"], in: cwd)
        XCTAssertEqual(screen.status, 0, screen.stderr)
        XCTAssertTrue(fontSizes(try String(contentsOfFile: cwd + "/screen/curves.svg", encoding: .utf8)).contains { $0 > 9 })

        let narrow = try wrnn(["curves", "run", "--out", "figures", "--width", "1"], in: cwd)
        XCTAssertEqual(narrow.status, 64)
        XCTAssertTrue(
            narrow.stderr.contains("--width must be from 2.5 to 20 inches (got 1.0); 3.25 is one column of a paper, 6.75 two"),
            narrow.stderr)
        let orphan = try wrnn(["analyze", "run", "--font-size", "7"], in: cwd)
        XCTAssertEqual(orphan.status, 64)
        XCTAssertTrue(orphan.stderr.contains("--font-size applies with --width; give a width in inches too"), orphan.stderr)
    }
}
