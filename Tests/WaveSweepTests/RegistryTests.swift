import Foundation
import WaveCore
import WaveKernels
import WaveModels
import WaveSweep
import WaveTasks
import WaveTraining
import XCTest

/// A leaky tanh cell defined here, in the test target, and known to wrnn through one registry call:
///
///   h_{t+1} = tanh(a ⊙ h_t + W x_t + b),   a [N], W [N, d], b [N]
struct DecayCell<T: Scalar>: RecurrentCell {
    let config: ModelConfig
    var units: Int { config.units }
    var d: Int { config.inputSize }
    var displayName: String { DecayModel.label }
    var summary: String { "N=\(units) leaky tanh" }
    var flopsPerStep: Double { Double(2 * units * d + 2 * units) }
    var inputFlopsPerStep: Double { Double(2 * units * d) }
    var parameters: [ParameterSpec] {
        [
            ParameterSpec("cell.decay", [units], .recurrentWeight), ParameterSpec("cell.input.weight", [units, d], .encoderWeight),
            ParameterSpec("cell.input.bias", [units], .encoderBias)
        ]
    }
    func initialValues(_ rng: inout RandomStream) -> [Double] {
        [Double](repeating: 0.9, count: units) + (0..<(units * d + units)).map { _ in rng.uniform(-0.5, 0.5) }
    }
    final class Workspace {
        let dh: Buffer<T> // [rows, N] dLoss/d(state after the step being walked back)
        init(_ count: Int) { dh = Buffer(zeros: count) }
    }
    func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(capacity * units) }
    func bytes(of ws: Workspace) -> Int { ws.dh.bytes }
    func workspaceCount(capacity: Int, length: Int) -> Double { Double(capacity * units) }
    func prepare(params: UnsafePointer<T>, rows: Int, workspace: Workspace) {}

    func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace: Workspace) {
        let n = units, a = params, w = params + n, b = params + n + n * d
        for row in 0..<states.rows {
            for i in 0..<n {
                var pre = Double(a[i]) * Double(states[t][row * n + i]) + Double(b[i])
                for j in 0..<d { pre += Double(w[i * d + j]) * Double(x[row * d + j]) }
                states[t + 1][row * n + i] = T(Foundation.tanh(pre))
            }
        }
    }
    func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        ws.dh.pointer.update(from: dh, count: states.rows * units)
    }
    func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let n = units, dh = ws.dh.pointer
        for row in 0..<states.rows {
            for i in 0..<n {
                let k = row * n + i, h = states[t + 1][k]
                let dpre = dh[k] * (1 - h * h)
                grads[i] += dpre * states[t][k]
                for j in 0..<d { grads[n + i * d + j] += dpre * x[row * d + j] }
                grads[n + n * d + i] += dpre
                dh[k] = dpre * params[i] + (dhReadout?[k] ?? 0)
            }
        }
    }
    func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace: Workspace) {}
}

enum DecayModel: ModelDescription {
    static let name = "decay"
    static let label = "Decay"
    static let help = "a leaky tanh cell registered by a test"
    static let options: Set<ModelOption> = [.readoutAt]
    static func preset(task: TaskConfig) -> ModelPreset {
        var model = basePreset(task: task)
        model.ringSize = 24
        return ModelPreset(model: model, learningRate: 1e-2)
    }
    static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { DecayCell<T>(config: config) }
    static let published = [PublishedRow("Decay", adding: [20: (1e-3, 500)])]
    static let cpuGFLOPS = 5.0
    static let benchmarks = [ModelBenchmark(name: "adding-decay", task: TaskConfig(kind: .adding, t: 20), batch: 16)]
    static let authorsModelTypes = ["decay_rnn": [String]()]
}

final class RegistryTests: XCTestCase {
    // registered for each test and removed after it, so other tests see the shipped models only
    override func setUpWithError() throws { try ModelRegistry.register(DecayModel.self) }
    override func tearDown() { ModelRegistry.unregister(DecayModel.name) }

    /// One `register` call, and every part of the tool knows the new model: options and their
    /// checks, presets, training, config files, results tables, cost estimates, benchmarks and the
    /// authors' vocabulary. Nothing outside this file names it.
    func testACellAddedThroughTheRegistryAloneRunsEverywhere() throws {
        let kind = try XCTUnwrap(ModelKind(rawValue: "decay"))
        XCTAssertTrue(ModelKind.allCases.contains(kind))
        XCTAssertThrowsError(try ModelRegistry.register(DecayModel.self)) // a name registers once

        // options: its preset, and the options it does not take refused by the registry's rule
        var options = TrainOptions()
        options.task = .adding
        options.t = 20
        options.model = kind
        options.steps = 300
        options.batchSize = 32
        options.testSize = 128
        options.evalEvery = 100
        options.threads = 2
        var config = try options.resolve()
        XCTAssertEqual(config.model.ringSize, 24)
        XCTAssertEqual(config.learningRate, 1e-2)
        options.modelOptions.channels = 3
        XCTAssertThrowsError(try options.resolve()) { error in
            XCTAssertEqual((error as? WrnnError)?.message, "--channels applies to --model wrnn and wrnn2d only")
        }
        options.modelOptions.channels = nil

        // it trains, and learns the adding task's sum better than guessing (MSE ~0.17)
        let trainer = Trainer(config: config)
        let before = trainer.evaluate().loss
        let summary = try trainer.run(directory: nil, progress: Progress(quiet: true))
        XCTAssertEqual(summary.model, "decay")
        XCTAssertLessThan(summary.testLoss, 0.5 * before)

        // config files round-trip through its name; an unknown name is refused
        let data = try WrnnJSON.encoder().encode(config)
        XCTAssertEqual(try TrainConfig.decoded(from: Array(data)), config)
        let unknown = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"decay\"", with: "\"nosuch\"")
        XCTAssertThrowsError(try TrainConfig.decoded(from: Array(unknown.utf8)))

        // tables, estimates, benchmarks and the authors' vocabulary ask the registry
        config.steps = 1000
        XCTAssertEqual(ResultsTables.modelLabel(config), "Decay N=24")
        XCTAssertEqual(CostEstimate(config: config).seconds, CostEstimate(config: config).flops / 5e9, accuracy: 1e-12)
        XCTAssertTrue(CostEstimate.rateText.contains("Decay 5"))
        XCTAssertTrue(BenchConfig.all.contains { $0.name == "adding-decay" && $0.model == kind })
        XCTAssertNil(BenchConfig.all.first { $0.name == "adding-decay" }?.kernelBenchmark)
        XCTAssertTrue(ModelRegistry.models(accepting: .readoutAt).contains("decay"))
    }

    /// Its backward against finite differences in Double, through the whole model and time.
    func testTheRegisteredCellsGradientMatchesFiniteDifferences() throws {
        let config = ModelConfig(kind: try XCTUnwrap(ModelKind(rawValue: "decay")), inputSize: 3, outputSize: 1, ringSize: 5)
        let model = SequenceModel<Double>(config)
        var rng = RandomStream(seed: 3)
        let params = Buffer(config.initialParameters(&rng, as: Double.self))
        let rows = 2, length = 4
        let batch = SequenceBatch<Double>(length: length, batch: rows, inputSize: 3, classTargets: nil, valueTargets: rows)
        for i in 0..<batch.inputs.count { batch.inputs[i] = rng.uniform(-1, 1) }
        for i in 0..<rows { batch.valueTargets![i] = rng.uniform(-1, 1) }
        let ws = model.makeWorkspace(capacity: rows, length: length)
        let grads = Buffer<Double>(zeros: params.count)
        _ = model.run(params: params.pointer, grads: grads.pointer, batch: batch, rows: 0..<rows, lossScale: 1, workspace: ws)
        for k in 0..<params.count {
            let keep = params[k], h = 1e-6
            params[k] = keep + h
            let up = model.run(params: params.pointer, grads: nil, batch: batch, rows: 0..<rows, lossScale: 1, workspace: ws)
            params[k] = keep - h
            let down = model.run(params: params.pointer, grads: nil, batch: batch, rows: 0..<rows, lossScale: 1, workspace: ws)
            params[k] = keep
            XCTAssertEqual(grads[k], (up - down) / (2 * h), accuracy: 1e-6 * max(1, abs(grads[k])), "parameter \(k)")
        }
    }
}
