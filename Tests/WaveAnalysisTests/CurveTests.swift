import Foundation
import WaveTasks
import XCTest
import WaveAnalysis
import WaveCore
import WaveModels
import WaveTraining

/// Learning curves: seeds of one configuration are one line (their mean) with a band from the
/// lowest to the highest, each evaluation carries a marker, and the task's reference lines are drawn.
final class CurveTests: XCTestCase {
    func run(_ kind: ModelKind, seed: UInt64, in root: String) throws -> String {
        var config = Preset.train(task: TaskConfig(kind: .adding, t: 12), kind: kind)
        if kind == .wrnn { config.model.ringSize = 16; config.model.channels = 2 } else { config.model.ringSize = 24 }
        config.steps = 12
        config.batchSize = 8
        config.testSize = 16
        config.evalEvery = 4
        config.seed = seed
        config.threads = 1
        let path = root + "/\(kind.rawValue)-\(seed)"
        let directory = try RunDirectory.create(path)
        try directory.writeJSON(config, to: "config.json")
        _ = try Trainer(config: config).run(directory: directory, progress: Progress(quiet: true))
        return path
    }

    func testLossesOfSeedsAreTheirMeanInABandAndTheTaskReferencesAreDrawn() throws {
        let root = NSTemporaryDirectory() + "wrnn-curves-\(UUID().uuidString)"
        let runs = [try run(.wrnn, seed: 0, in: root), try run(.wrnn, seed: 1, in: root), try run(.irnn, seed: 0, in: root)]
        let chart = try learningCurveChart(runs: runs)
        XCTAssertEqual(
            chart.series.map(\.name),
            [
                "wRNN test, 2 seeds", "wRNN train, 2 seeds", "\(URL(fileURLWithPath: runs[2]).lastPathComponent) (iRNN) test",
                "\(URL(fileURLWithPath: runs[2]).lastPathComponent) (iRNN) train"
            ])
        // the mean and the range of the two seeds' test losses, step by step
        func testLosses(_ run: String) throws -> [Double] {
            try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
                (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["test_loss"] as! Double
            }
        }
        let a = try testLosses(runs[0]), b = try testLosses(runs[1])
        let wave = chart.series[0]
        XCTAssertEqual(wave.points.map(\.x), [0, 4, 8, 12])
        XCTAssertTrue(wave.pointMarkers)
        XCTAssertEqual(wave.band.count, 4)
        for k in 0..<4 {
            XCTAssertEqual(wave.points[k].y, (a[k] + b[k]) / 2, accuracy: 1e-12)
            // Foundation's two JSON parsers may differ in the last bit
            XCTAssertEqual(wave.band[k].low, min(a[k], b[k]), accuracy: 1e-15)
            XCTAssertEqual(wave.band[k].high, max(a[k], b[k]), accuracy: 1e-15)
        }
        XCTAssertTrue(chart.series[2].band.isEmpty, "one seed has no spread")
        XCTAssertEqual(chart.references.map(\.label), ["predict the mean (1/6)", "solved (0.05)"])
        XCTAssertEqual(chart.references[0].y, 1.0 / 6, accuracy: 1e-15)
    }

    /// The copy task's line is the loss of a model with no memory, on the figure's scale (the
    /// authors' / 50), and an untrained model starts above it.
    func testCopyCurvesCarryTheNoMemoryLine() throws {
        let root = NSTemporaryDirectory() + "wrnn-curves-\(UUID().uuidString)"
        var config = Preset.train(task: TaskConfig(kind: .copy, t: 10), kind: .wrnn)
        config.model.ringSize = 16; config.model.channels = 2
        config.steps = 2; config.batchSize = 8; config.testSize = 16; config.evalEvery = 2; config.threads = 1
        let directory = try RunDirectory.create(root + "/copy")
        try directory.writeJSON(config, to: "config.json")
        _ = try Trainer(config: config).run(directory: directory, progress: Progress(quiet: true))
        let chart = try learningCurveChart(runs: [root + "/copy"])
        XCTAssertEqual(chart.references.map(\.label), ["no memory (10 ln 8 / 30)"])
        XCTAssertEqual(chart.references[0].y, 10 * log(8.0) / 30 / 50, accuracy: 1e-15)
        XCTAssertGreaterThan(chart.series[0].points[0].y, chart.references[0].y)
    }
}
