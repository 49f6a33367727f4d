import WaveCore
import Foundation
import WaveTasks
import XCTest
import WaveAnalysis
import WaveModels
import WaveTraining

final class RecordingTests: XCTestCase {
    func trainedRun(_ kind: ModelKind) throws -> String {
        let dir = NSTemporaryDirectory() + "wrnn-analysis-\(UUID().uuidString)/run"
        var config = Preset.train(task: TaskConfig(kind: .copy, t: 30), kind: kind)
        config.model.ringSize = kind == .wrnn ? 40 : 40
        if kind == .wrnn { config.model.channels = 2 }
        config.steps = 20
        config.batchSize = 16
        config.testSize = 8
        config.evalEvery = 10
        let directory = try RunDirectory.create(dir)
        try directory.writeJSON(config, to: "config.json")
        _ = try Trainer(config: config).run(directory: directory, progress: Progress(quiet: true))
        return dir
    }

    /// The shift-initialised wRNN carries its inputs as waves one neuron per step; the iRNN's
    /// identity recurrence holds them in place.
    func testWaveRNNShowsWavesAndIRNNDoesNot() throws {
        let wave = try trainedRun(.wrnn), still = try trainedRun(.irnn)
        let waveRecording = try Recording.record(runDirectory: wave, samples: [0, 3])
        XCTAssertEqual(waveRecording.states[1].count, 50 * 2 * 40)
        let waveSummary = try writeFigures(waveRecording, channels: nil, runDirectory: wave, into: wave + "/analysis")
        let stillSummary = try writeFigures(
            try Recording.record(runDirectory: still, samples: [0]), channels: nil,
            runDirectory: still, into: still + "/analysis")
        for channel in waveSummary.channels { XCTAssertEqual(channel.speed, -1, accuracy: 0.1, "wRNN channel \(channel.channel)") }
        XCTAssertEqual(stillSummary.channels[0].speed, 0, accuracy: 0.5)
        XCTAssertGreaterThan(waveSummary.meanDiagonalPower, 2 * stillSummary.meanDiagonalPower)
        for file in [
            "hidden_s0.npy", "hidden_s3.npy", "spacetime_s3_c1.png", "spectrum_s0_c0.png", "hidden_s0.gif",
            "copy_io_s0.png", "curves.png", "accuracy.png", "spectrum_s0_c0.npy", "analysis.json"
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: wave + "/analysis/" + file), file)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: still + "/analysis/spacetime_sorted_s0_c0.png"))
        XCTAssertThrowsError(try Recording.record(runDirectory: wave, samples: [8])) {
            XCTAssertEqual(($0 as! WrnnError).exitCode, 64)
        }

        let report = NSTemporaryDirectory() + "wrnn-report-\(UUID().uuidString).html"
        defer { unlink(report) }
        // a scale redraws the maps for the page only: the runs' analyses stay byte for byte
        let before = FileManager.default.contents(atPath: wave + "/analysis/spacetime_s0_c0.png")
        try writeReport(runs: [wave, still], to: report, scale: .fixed(0, 1))
        XCTAssertEqual(FileManager.default.contents(atPath: wave + "/analysis/spacetime_s0_c0.png"), before)
        let fixed = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(fixed.contains("the maps on the colour range 0.0 to 1.0"), "the caption names the scale")
        try writeReport(runs: [wave, still], to: report)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertNotEqual(html.count, 0)
        XCTAssertTrue(html.contains("each panel on its own colour range"))
        // the scale changed what was embedded
        func images(_ page: String) -> [Substring] { page.split(separator: "\"").filter { $0.hasPrefix("data:image/png") } }
        XCTAssertNotEqual(images(fixed), images(html))
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<h2>Comparison</h2>"))
        XCTAssertTrue(html.contains("data:image/png;base64,"))
        XCTAssertTrue(html.contains("data:image/gif;base64,"))
        XCTAssertFalse(html.contains("Accuracy against parameter count"), "one size per model: no Figure 7")
        XCTAssertTrue(html.contains("the paper's Figure 2"), "a wRNN and an iRNN on one task: Figure 2")
        XCTAssertTrue(html.contains("<meta name=\"viewport\""))
        XCTAssertTrue(html.contains("<title>Wave-RNN report"))
        XCTAssertFalse(html.contains("channel"), "one word, ring, throughout")
        XCTAssertFalse(html.contains("src=\"/"), "self-contained: no links to files")
    }
}

final class ReportLabelTests: XCTestCase {
    /// Runs whose folders share a name stay apart by their parent folders.
    func testLabelsStayUniqueWhenFolderNamesClash() {
        XCTAssertEqual(uniqueRunLabels(["/a/x/run", "/a/y/run", "/b/other"]), ["x/run", "y/run", "other"])
        XCTAssertEqual(uniqueRunLabels(["/s/wrnn", "/s/irnn"]), ["wrnn", "irnn"])
    }
}
