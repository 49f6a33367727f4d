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
            narrow.stderr, "wrnn: error: --width must be from 5 to 20 inches (got 3.0); its four panels cannot keep readable text in less\n"
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
}
