import Foundation
import WaveAnalysis
import WaveCore
import WaveKernels
import WaveModels
import WaveSweep
import WaveTasks
import WaveTraining
import XCTest

/// A task defined here, in the test target: one token of four shown at the first step, T blank
/// steps, and the token to name at the last step. One description and one `register` call.
struct DelayedRecallTask: SequenceTask {
    let delay: Int
    var name: String { DelayedRecallDescription.name }
    var length: Int { delay + 1 }
    var inputSize: Int { 5 }
    var outputSize: Int { 4 }
    var readoutTiming: ReadoutTiming { .last }
    var inputCategories: Int? { 5 }

    func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        let b = batch.batch, x = batch.inputs.pointer
        x.update(repeating: 0, count: batch.inputs.count)
        for row in 0..<b {
            let token = rng.int(below: 4)
            x[row * 5 + 1 + token] = 1
            for t in 1..<length { x[(t * b + row) * 5] = 1 }
            batch.classTargets![row] = Int32(token)
        }
    }
}

enum DelayedRecallDescription: TaskDescription {
    static let name = "delayed-recall"
    static let help = "name the token shown T steps ago"
    static let options: Set<TaskOption> = [.size, .epochSteps]
    static let defaultT = 6
    static let modelRecipe = ModelRecipe.tokenRecall
    static func check(_ config: TaskConfig) throws {
        if config.t < 1 { throw WrnnError.usage("--delay must be a positive integer (got \(config.t))") }
    }
    static func load(_ config: TaskConfig, seed: UInt64) throws -> any SequenceTask { DelayedRecallTask(delay: config.t) }
    static func length(_ config: TaskConfig) -> Int { config.t + 1 }
    static func inputSize(_ config: TaskConfig) -> Int { 5 }
    static func outputSize(_ config: TaskConfig) -> Int { 4 }
    static func readoutTiming(_ config: TaskConfig) -> ReadoutTiming { .last }
    static func recipe(_ config: TaskConfig) -> TaskRecipe {
        TaskRecipe(learningRate: 1e-2, clip: 1, batchSize: 32, epochs: 0, testSize: 256)
    }
    static func summaryLine(_ config: TaskConfig) -> String { "delayed recall, delay T=\(config.t)" }
    static func tableLabel(_ config: TaskConfig) -> String { "delayed recall T=\(config.t)" }
    static func loss(_ config: TaskConfig, perBatchDivisor: Double) -> LossMeasure { .classes(4) }
    static func resultStyle(_ config: TaskConfig) -> ResultStyle { .validationAccuracy }
}

final class TaskRegistryTests: XCTestCase {
    override func setUpWithError() throws { try TaskRegistry.register(DelayedRecallDescription.self) }
    override func tearDown() { TaskRegistry.unregister(DelayedRecallDescription.name) }

    /// One `register` call, and every part of the tool knows the new task: its options and their
    /// checks, the model presets, training, config files, sweeps, results tables and learning curves.
    func testATaskAddedThroughTheRegistryAloneRunsEverywhere() throws {
        let kind = try XCTUnwrap(TaskKind(rawValue: "delayed-recall"))
        XCTAssertTrue(TaskKind.allCases.contains(kind))
        XCTAssertThrowsError(try TaskRegistry.register(DelayedRecallDescription.self))

        var options = TrainOptions()
        options.task = kind
        options.t = 4
        options.model = .standard
        options.modelOptions.hiddenSize = 12
        options.steps = 400
        options.evalEvery = 100
        options.threads = 1
        let config = try options.resolve()
        XCTAssertEqual(config.model.channels, 6) // the wRNN's token-recall preset
        XCTAssertEqual(config.model.inputSize, 5)
        XCTAssertEqual(config.learningRate, 1e-2)
        XCTAssertEqual(config.batchSize, 32)
        // options the task does not take are refused by the registry's rule; its own check runs
        var wrong = options
        wrong.copyLayout = .code
        XCTAssertThrowsError(try wrong.resolve()) {
            XCTAssertEqual(($0 as? WrnnError)?.message, "--copy-layout applies to --task copy only")
        }
        wrong = options
        wrong.t = 0
        XCTAssertThrowsError(try wrong.resolve()) {
            XCTAssertEqual(($0 as? WrnnError)?.message, "--delay must be a positive integer (got 0)")
        }
        XCTAssertTrue(TaskRegistry.tasks(accepting: .size).contains("delayed-recall"))

        // it trains into a run directory and learns (chance: ln 4 = 1.39)
        let root = NSTemporaryDirectory() + "wrnn-task-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let summary = try TrainSession.start(config, path: root + "/run", quiet: true)
        XCTAssertEqual(summary.task, "delayed-recall")
        XCTAssertLessThan(summary.testLoss, 0.7, "\(summary)")
        XCTAssertGreaterThan(summary.testAccuracy ?? 0, 0.8, "\(summary)")
        let saved = try TrainConfig.decoded(from: Array(try Data(contentsOf: URL(fileURLWithPath: root + "/run/config.json"))))
        XCTAssertEqual(saved, config)

        // a sweep over it plans through the same options
        let sweep = try SweepFile.parse(
            "name: recall\nparameters:\n  task: {value: delayed-recall}\n  T: {values: [3, 5]}\n  steps: {value: 10}\n",
            source: "recall.yml")
        let planner = SweepPlanner(
            seeds: [0], threads: 1,
            resolve: { arguments in
                var o = TrainOptions()
                o.task = TaskKind(rawValue: arguments[arguments.firstIndex(of: "--task")! + 1])
                o.t = Int(arguments[arguments.firstIndex(of: "-T")! + 1])
                o.steps = Int(arguments[arguments.firstIndex(of: "--steps")! + 1])
                return try o.resolve()
            }, describe: { "\($0)" })
        let plan = try planner.plan(sweep, source: "recall.yml")
        XCTAssertEqual(plan.runs.map { $0.config?.task.t }, [3, 5])
        XCTAssertEqual(plan.runs.map { $0.config?.task.kind }, [kind, kind])

        // results and curves read the run as the task describes it
        let tables = ResultsTables(try ResultsCollector.collect([root]).runs)
        let markdown = tables.markdown()
        XCTAssertTrue(markdown.contains("## delayed recall T=4"), markdown)
        XCTAssertTrue(markdown.contains("best mean validation accuracy") || markdown.contains("test acc"), markdown)
        let chart = try learningCurveChart(runs: [root + "/run"])
        XCTAssertTrue(chart.references.contains { $0.label == "chance (ln 4)" }, "\(chart.references)")
    }
}
