import Foundation
import XCTest
import WaveTestSupport

/// `wrnn figure2` for a pair of runs trained here: the ring with the strongest diagonal power by
/// default, the iRNN sorted by onset, and a page 6.75 in wide whose text is 7 to 9 pt.
final class Figure2Tests: XCTestCase {
    func train(_ model: [String], in dir: String, name: String) throws -> String {
        let run = dir + "/" + name
        let result = try wrnn(
            [
                "train", "--task", "copy", "-T", "4", "--steps", "30", "--batch-size", "16", "--test-size", "8",
                "--seed", "2", "--threads", "1", "--quiet", "--out", run
            ] + model)
        XCTAssertEqual(result.status, 0, result.stderr)
        return run
    }

    func testFigure2ForAnyPairIsSizedForPrint() throws {
        let dir = scratchDirectory()
        let wave = try train(["--model", "wrnn", "-n", "24", "-c", "3"], in: dir, name: "w")
        let plain = try train(["--model", "irnn", "--hidden-size", "24"], in: dir, name: "i")
        let result = try wrnn(["figure2", wave, plain, "--out", dir + "/figs"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, result.stdout)
        XCTAssertNotNil(
            lines[0].wholeMatch(of: #/wrnn figure2: wRNN ring [0-2] \(the strongest diagonal power\) against iRNN, test sample 0/#),
            lines[0])
        XCTAssertNotNil(
            lines[1].wholeMatch(of: #/diagonal power: wRNN [0-9.]+, iRNN [0-9.]+; the iRNN has [0-9]+ silent neurons?/#), lines[1])
        XCTAssertEqual(
            lines[2],
            "wrote \(dir)/figs/figure2.json, \(dir)/figs/figure2.pdf, \(dir)/figs/figure2.svg, \(dir)/figs/figure2.png (6.75 in wide)")
        // --out with an extension is that file alone (and its data beside it)
        let single = try wrnn(["figure2", wave, plain, "--out", dir + "/one/f.pdf"])
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertTrue(single.stdout.hasSuffix("wrote \(dir)/one/f.json, \(dir)/one/f.pdf (6.75 in wide)\n"), single.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/one").sorted(), ["f.json", "f.pdf"])
        let mismatch = try wrnn(["figure2", wave, plain, "--out", dir + "/f.pdf", "--format", "png"])
        XCTAssertEqual(mismatch.status, 64)
        XCTAssertEqual(mismatch.stderr, "wrnn: error: --out \(dir)/f.pdf is a .pdf file but --format asks for png; give one of them\n")
        // the ring chosen is the strongest one: no ring given explicitly shows more diagonal power
        let chosen = Int(lines[0].firstMatch(of: #/ring ([0-9])/#)!.output.1)!
        let power = Double(lines[1].firstMatch(of: #/wRNN ([0-9.]+)/#)!.output.1)!
        for ring in 0..<3 where ring != chosen {
            let other = try wrnn(["figure2", wave, plain, "--ring", "\(ring)", "--out", dir + "/r\(ring)", "--format", "png"])
            XCTAssertEqual(other.status, 0, other.stderr)
            let otherPower = Double(other.stdout.firstMatch(of: #/wRNN ([0-9.]+)/#)!.output.1)!
            XCTAssertLessThanOrEqual(otherPower, power, "ring \(ring)")
        }
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/figs/figure2.json"))) as! [String: Any]
        XCTAssertEqual(json["ring"] as? Int, chosen)
        XCTAssertEqual((json["irnn_onset_order"] as? [Int])?.sorted(), Array(0..<24))

        try require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext"), "poppler-utils is not installed; `make setup` installs it")
        XCTAssertTrue(try shell("pdfinfo \(dir)/figs/figure2.pdf").stdout.contains("Page size:       486 x "), "6.75 in = 486 pt wide")
        // every horizontal word's box: DejaVu's boxes are about 1.16 times the size, so 7-9 pt text is 8.1-10.5 pt tall
        let boxes = try shell("pdftotext -bbox \(dir)/figs/figure2.pdf -").stdout
        var heights: [Double] = []
        for match in boxes.matches(of: #/xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]+)</#) {
            let (w, h) = (Double(match.output.3)! - Double(match.output.1)!, Double(match.output.4)! - Double(match.output.2)!)
            if match.output.5.count > 1 && w > h { heights.append(h) }
        }
        XCTAssertGreaterThan(heights.count, 30)
        for h in heights { XCTAssertTrue((8.0...10.7).contains(h), "a word \(h) pt tall is outside 7-9 pt text") }

        // refused before anything is drawn
        let swapped = try wrnn(["figure2", plain, wave, "--out", dir + "/x"])
        XCTAssertEqual(swapped.status, 64)
        XCTAssertEqual(swapped.stderr, "wrnn: error: \(plain): its model is the iRNN, not the wRNN; give the wRNN's run first\n")
        let narrow = try wrnn(["figure2", wave, plain, "--width", "3"])
        XCTAssertEqual(narrow.status, 64)
        XCTAssertEqual(
            narrow.stderr,
            "wrnn: error: --width must be from 3.25 to 20 inches (got 3.0); 3.25 is one column of a paper, and its four panels cannot keep readable text in less\n"
        )
        let ring = try wrnn(["figure2", wave, plain, "--ring", "7", "--out", dir + "/x"])
        XCTAssertEqual(ring.status, 64)
        XCTAssertEqual(ring.stderr, "wrnn: error: --ring: the wRNN has rings 0 ... 2 (got 7)\n")
        let scale = try wrnn(["figure2", wave, plain, "--scale", "3,1", "--out", dir + "/x"])
        XCTAssertEqual(scale.status, 64)
        XCTAssertEqual(scale.stderr, "wrnn: error: --scale takes panel, shared or LO,HI with LO < HI (got '3,1')\n")
        let fixed = try wrnn(["figure2", wave, plain, "--scale", "0,2", "--out", dir + "/fixed", "--format", "png"])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x"), "a refused figure makes nothing")
    }

    /// From one column (3.25 in, panels stacked) to two (6.75 in): every word of the PDF clear of
    /// every other and inside the page, text 7 to 9 pt; --no-title and --no-caption leave those lines
    /// out; --time draws a window; --dpi sets the PNG's pixels and its pHYs tag.
    func testEveryWidthFromOneColumnToTwoIsClean() throws {
        try require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext"), "poppler-utils is not installed; `make setup` installs it")
        let dir = scratchDirectory()
        let wave = try train(["--model", "wrnn", "-n", "24", "-c", "3"], in: dir, name: "w")
        let plain = try train(["--model", "irnn", "--hidden-size", "24"], in: dir, name: "i")
        for width in ["3.25", "4", "5", "6", "6.75", "7"] {
            let out = dir + "/w\(width.replacingOccurrences(of: ".", with: "_")).pdf"
            let result = try wrnn(["figure2", wave, plain, "--width", width, "--out", out])
            XCTAssertEqual(result.status, 0, result.stderr)
            let info = try shell("pdfinfo \(out)").stdout
            let pageWidth = Double(info.firstMatch(of: #/Page size: +([0-9.]+) x ([0-9.]+)/#)!.output.1)!
            let pageHeight = Double(info.firstMatch(of: #/Page size: +([0-9.]+) x ([0-9.]+)/#)!.output.2)!
            XCTAssertEqual(pageWidth, Double(width)! * 72, accuracy: 1)
            var boxes: [(x0: Double, y0: Double, x1: Double, y1: Double, word: String)] = []
            for match in try shell("pdftotext -bbox \(out) -").stdout.matches(
                of: #/xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]+)</#)
            {
                boxes.append(
                    (
                        Double(match.output.1)!, Double(match.output.2)!, Double(match.output.3)!, Double(match.output.4)!,
                        String(match.output.5)
                    ))
            }
            XCTAssertGreaterThan(boxes.count, 30, width)
            for b in boxes {
                XCTAssertTrue(
                    b.x0 >= -0.5 && b.x1 <= pageWidth + 0.5 && b.y0 >= -0.5 && b.y1 <= pageHeight + 0.5,
                    "\(width) in: '\(b.word)' leaves the page")
            }
            // words clear of each other (boxes shrunk by a point: DejaVu's boxes include line spacing)
            for i in boxes.indices {
                for j in boxes.indices where j > i {
                    let a = boxes[i], b = boxes[j]
                    let overlap = min(a.x1, b.x1) - max(a.x0, b.x0) > 1 && min(a.y1, b.y1) - max(a.y0, b.y0) > 1.5
                    XCTAssertFalse(overlap, "\(width) in: '\(a.word)' overlaps '\(b.word)'")
                }
            }
            XCTAssertTrue(boxes.contains { $0.word == "a" } && boxes.contains { $0.word == "d" }, "panel letters at \(width) in")
        }
        let bare = try wrnn(["figure2", wave, plain, "--width", "3.25", "--no-title", "--no-caption", "--out", dir + "/bare.pdf"])
        XCTAssertEqual(bare.status, 0, bare.stderr)
        let words = try shell("pdftotext \(dir)/bare.pdf -").stdout
        XCTAssertFalse(words.contains("against"), "no title")
        XCTAssertFalse(words.contains("shuffled"), "no caption")

        let window = try wrnn(["figure2", wave, plain, "--time", "3:9", "--out", dir + "/window.png", "--dpi", "300"])
        XCTAssertEqual(window.status, 0, window.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/window.json"))) as! [String: Any]
        XCTAssertEqual(json["map_shapes"] as? [[Int]], [[7, 24], [7, 24]])
        XCTAssertEqual(json["first_steps"] as? [Int], [3, 3])
        let png = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/window.png"))
        let bytes = Array(png)
        func u32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(u32(16), 2025, "6.75 in at 300 dpi")
        XCTAssertEqual(String(decoding: bytes[37..<41], as: UTF8.self), "pHYs")
        XCTAssertEqual(u32(41), 11811, "300 dpi in pixels per metre")
        XCTAssertEqual(bytes[49], 1, "the unit is the metre")
        let outside = try wrnn(["figure2", wave, plain, "--time", "3:90", "--out", dir + "/never.png"])
        XCTAssertEqual(outside.status, 64)
        XCTAssertEqual(
            outside.stderr, "wrnn: error: --time 3:90 is outside the wRNN run's 24 steps; give A:B with 1 <= A < B <= 24\n")
        let dpi = try wrnn(["figure2", wave, plain, "--dpi", "20"])
        XCTAssertEqual(dpi.status, 64)
        XCTAssertEqual(dpi.stderr, "wrnn: error: --dpi must be from 72 to 1200 (got 20.0); 300 is a journal's usual\n")
    }
}
