import Foundation
import WaveCore
import WaveSweep
import WaveTasks
import WaveTraining
import XCTest

/// The sweep's run state machine through the library: an invalid point is recorded and skipped, a
/// run finishes once and is then skipped, a diverged run is failed and skipped until --retry-failed,
/// and each step is an event in sweep.jsonl.
final class SweepRunnerTests: XCTestCase {
    func run(_ index: Int, learningRate: Double?, invalid: String? = nil) -> PlannedRun {
        var config = Preset.train(task: TaskConfig(kind: .adding, t: 8), kind: .wrnn)
        config.model.ringSize = 10
        config.model.channels = 2
        config.steps = 4
        config.batchSize = 4
        config.testSize = 8
        config.evalEvery = 2
        config.checkpointEvery = 2
        config.threads = 1
        if let learningRate { config.learningRate = learningRate }
        return PlannedRun(
            index: index, id: "run\(index)", name: "run\(index)", seed: 0, settings: [], arguments: [],
            config: invalid == nil ? config : nil, invalid: invalid, notes: [])
    }

    func testEachOutcomeOfTheStateMachine() throws {
        let directory = SweepDirectory(path: NSTemporaryDirectory() + "wrnn-runner-\(UUID().uuidString)")
        try directory.prepare()
        let plan = SweepPlan(
            name: "t", source: "t.yml", program: nil, seeds: [0], budget: nil,
            runs: [run(0, learningRate: 0.001), run(1, learningRate: 1e30), run(2, learningRate: nil, invalid: "negative learning rate")])
        try directory.writePlan(plan)
        var lines: [String] = []
        var runner = SweepRunner(retryFailed: false, announceInvalid: true) { error in
            ((error as? WrnnError)?.exitCode ?? 70, (error as? WrnnError)?.message ?? "\(error)")
        }
        runner.log = { lines.append($0) }
        XCTAssertEqual(try runner.execute(plan.runs[0], in: directory, total: 3), .finished)
        XCTAssertEqual(try runner.execute(plan.runs[1], in: directory, total: 3), .failed)
        XCTAssertEqual(try runner.execute(plan.runs[2], in: directory, total: 3), .invalid)
        XCTAssertTrue(directory.isDone("run0"))
        XCTAssertEqual(directory.failure("run1")?.code, 3)
        XCTAssertEqual(lines.first, "[1/3] run0: start")
        XCTAssertTrue(lines.contains("[3/3] run2: invalid: negative learning rate"), "\(lines)")

        // a second walk runs nothing: done is done, failed stays failed
        var finished = 0
        XCTAssertTrue(try runner.walk(plan, directory: directory) { finished += 1 }.isEmpty)
        XCTAssertEqual(finished, 0)
        XCTAssertEqual(try runner.execute(plan.runs[1], in: directory, total: 3), .skippedFailed)
        // --retry-failed runs it again (and it diverges again)
        runner.retryFailed = true
        XCTAssertEqual(try runner.execute(plan.runs[1], in: directory, total: 3), .failed)

        let events = try String(contentsOfFile: directory.path + "/sweep.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event"] as? String
        }
        XCTAssertEqual(events.filter { $0 != "plan" }, ["start", "done", "start", "diverged", "retry", "start", "diverged"])
    }
}
