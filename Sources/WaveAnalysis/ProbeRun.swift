import Foundation
import WaveCore
import WaveData
import WaveKernels
import WaveModels
import WaveTasks
import WaveTraining

/// How `wrnn probe` reads a run: the lags (nil: 0 ... min(0.8 T, 100)), the sequences fitted and as
/// many others scored, at most `maxRows` states per side (a stride in time past that), threads.
public struct ProbeSettings: Sendable {
    public var lags: ClosedRange<Int>?
    public var samples: Int
    public var maxRows: Int
    public var threads: Int
    public init(lags: ClosedRange<Int>? = nil, samples: Int = 500, maxRows: Int = 40_000, threads: Int = 2) {
        self.lags = lags; self.samples = samples; self.maxRows = maxRows; self.threads = threads
    }

    public static func defaultLags(length: Int) -> ClosedRange<Int> { 0...max(0, min(length * 4 / 5, 100, length - 1)) }
}

/// Which weights a probe reads.
public enum ProbeWeights: String, Codable, Sendable {
    /// The run's checkpoint.
    case trained
    /// The run's initial weights: its init scheme at its seed (or its --init-from file), as step 0 of training.
    case initial = "init"
}

/// One probed state: the run, its weights and the curve, with where the memory sits on a ring model.
public struct ProbeEntry: Encodable, Sendable {
    public var run: String
    public var label: String
    public var weights: ProbeWeights
    public var step: Int
    public var model: String
    public var task: String
    public var units: Int
    public var curve: ProbeCurve
    /// Ring models: c and n, the lag x position map [lags, n] (each lag's row divided by its largest
    /// value) and the memory's drift along the ring in positions per lag.
    public var rings: Int?
    public var ringSize: Int?
    public var positionMap: [Double]?
    public var memoryDrift: Double?
    /// Sheet models: the sheet ("10x10"; the map's positions are its cells y * w + x) and the
    /// memory's drift [x, y] in cells per lag (`memoryDrift` is then nil).
    public var sheet: String?
    public var sheetDrift: [Double]?
    /// The same probe reading the present input x_t alone instead of h_t: what the input's own
    /// correlations (neighbouring pixels, a task's structure) give away about x_(t-k) with no memory
    /// at all. A state remembers beyond its input where its curve is above this one.
    public var inputOnly: ProbeCurve?

    enum CodingKeys: String, CodingKey {
        case run, label, weights, step, model, task, units, rings
        case ringSize = "ring_size", memoryDrift = "memory_drift", normalisedScore = "normalised_score"
        case sheet, sheetDrift = "memory_drift_xy"
        case inputOnlyScore = "input_only_score", inputOnlyCapacity = "input_only_capacity"
    }

    public func encode(to encoder: Encoder) throws {
        try curve.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(run, forKey: .run)
        try c.encode(label, forKey: .label)
        try c.encode(weights, forKey: .weights)
        try c.encode(step, forKey: .step)
        try c.encode(model, forKey: .model)
        try c.encode(task, forKey: .task)
        try c.encode(units, forKey: .units)
        try c.encode(curve.normalisedScore, forKey: .normalisedScore)
        try c.encodeIfPresent(rings, forKey: .rings)
        try c.encodeIfPresent(ringSize, forKey: .ringSize)
        try c.encode(memoryDrift, forKey: .memoryDrift)
        try c.encodeIfPresent(sheet, forKey: .sheet)
        try c.encodeIfPresent(sheetDrift, forKey: .sheetDrift)
        try c.encodeIfPresent(inputOnly?.score, forKey: .inputOnlyScore)
        try c.encodeIfPresent(inputOnly?.memoryCapacity, forKey: .inputOnlyCapacity)
    }
}

/// A run's weights to probe: the checkpoint's (`Checkpoint.read` refuses one holding NaN or Inf, or
/// another run's) or the initial ones.
public func probeParameters(run: String, checkpoint: String?, weights: ProbeWeights) throws -> (
    config: TrainConfig, params: [Float], step: Int
) {
    let loaded = try Checkpoint.read(run: run, path: checkpoint)
    let config = loaded.header.config
    switch weights {
    case .trained:
        return (config, loaded.params, loaded.header.step)
    case .initial:
        var stream = RandomStream(seed: config.seed, stream: 0)
        var params = config.model.initialParameters(&stream, as: Float.self)
        if let initFrom = config.initFrom {
            let (_, tensors) = try Safetensors.read(from: initFrom)
            params = try Safetensors.parameters(for: ParameterLayout(config.model), from: tensors, path: initFrom)
        }
        return (config, params, 0)
    }
}

/// Records the states of `settings.samples` training sequences (drawn from the run's task with the
/// probe's own stream, so the run's batches and test set are untouched), fits the probe, and scores
/// it on as many sequences of the run's test set. `progress` gets one line per phase.
public func probe(
    run: String, label: String, config: TrainConfig, params: [Float], step: Int, weights: ProbeWeights, settings: ProbeSettings,
    progress: (String) -> Void
) throws -> ProbeEntry {
    let model = config.model
    guard model.kind.isRecurrent else {
        throw WrnnError.usage("\(run): the \(model.displayName) has no hidden state through time to probe; probe a recurrent model's run")
    }
    let task = try config.task.loadTask(seed: config.seed)
    let length = task.length, d = task.inputSize, n = model.units
    let lags = settings.lags ?? ProbeSettings.defaultLags(length: length)
    guard lags.upperBound < length else {
        throw WrnnError.usage(
            "--lags \(lags.lowerBound):\(lags.upperBound) reaches past the sequences of \(run) (\(length) steps); use lags below \(length)")
    }
    var samples = settings.samples
    if let available = task.testExamples, available < samples {
        progress("\(label): the test set has \(available) sequences; scoring \(available)")
        samples = available
    }
    let available = length - lags.upperBound
    let stepStride = max(1, (samples * available + settings.maxRows - 1) / settings.maxRows)
    let design = ProbeDesign(
        lags: Array(lags), inputSize: d, categories: task.inputCategories, features: n, length: length, stepStride: stepStride,
        folds: n <= 1024 ? 5 : 3)
    let probe = MemoryProbe(design)
    let inputOnly = MemoryProbe(
        ProbeDesign(
            lags: design.lags, inputSize: d, categories: design.categories, features: d, length: length, stepStride: stepStride,
            folds: design.folds))
    // a chunk's states (T + 1) x rows x N stay near 64 MiB
    let chunk = max(1, min(128, (1 << 24) / max(1, (length + 1) * n)))
    let runner = BatchRunner(model: SequenceModel<Float>(model), batch: chunk, length: length, threads: settings.threads)
    let weightsBuffer = Buffer(params)
    progress(
        "\(label): \(samples) fitting and \(samples) test sequences, lags \(lags.lowerBound)-\(lags.upperBound), "
            + "\(design.rowSteps.count) step\(design.rowSteps.count == 1 ? "" : "s") of each, \(n) units")

    // fitting sequences: the task's training sequences, from a stream no run uses
    var stream = RandomStream(seed: config.seed, stream: 13)
    var index = 0
    while index < samples {
        let rows = min(chunk, samples - index)
        let batch = task.makeBatch(count: rows)
        task.fill(batch, rng: &stream)
        runner.run(params: weightsBuffer, grads: nil, batch: batch)
        for row in 0..<rows {
            let input = { (t: Int) in UnsafePointer(batch.inputs.pointer + (t * rows + row) * d) }
            probe.addFitting(index: index + row, state: { runner.state(step: $0 + 1, row: row) }, input: input)
            inputOnly.addFitting(index: index + row, state: input, input: input)
        }
        index += rows
    }
    BLASThreads.set(settings.threads)
    probe.fit()
    inputOnly.fit()
    BLASThreads.set(1)
    for batch in task.evaluationBatches(count: samples, batchSize: chunk, seed: config.seed) {
        runner.run(params: weightsBuffer, grads: nil, batch: batch)
        let rows = batch.batch
        for row in 0..<rows {
            let input = { (t: Int) in UnsafePointer(batch.inputs.pointer + (t * rows + row) * d) }
            probe.addScored(state: { runner.state(step: $0 + 1, row: row) }, input: input)
            inputOnly.addScored(state: input, input: input)
        }
    }
    let curve = probe.curve()
    var entry = ProbeEntry(
        run: run, label: label, weights: weights, step: step, model: model.kind.rawValue, task: config.task.kind.rawValue, units: n,
        curve: curve)
    entry.inputOnly = inputOnly.curve()
    if model.kind.hasRings {
        let map = ringMemoryMap(probe.contributions, lags: design.lags.count, rings: model.channels, ringSize: model.ringSize)
        entry.rings = model.channels
        entry.ringSize = model.ringSize
        entry.positionMap = map
        if let sheet = model.sheet {
            entry.sheet = sheet.description
            entry.sheetDrift = sheetMemoryDrift(
                map: map, lags: design.lags, height: sheet.height, width: sheet.width, normalisedScore: curve.normalisedScore
            ).map { [$0.x, $0.y] }
        } else {
            entry.memoryDrift = memoryDrift(map: map, lags: design.lags, ringSize: model.ringSize, normalisedScore: curve.normalisedScore)
        }
    }
    let metric = curve.metric == "r2" ? "R²" : "balanced accuracy"
    progress(
        "\(label): memory capacity \(String(format: "%.2f", curve.memoryCapacity)) of \(design.lags.count) lags (\(metric); the present input alone: \(String(format: "%.2f", entry.inputOnly!.memoryCapacity)))"
            + (entry.memoryDrift.map { String(format: ", drifting %+.2f ring positions per lag", $0) } ?? "")
            + (entry.sheetDrift.map { String(format: ", drifting (%+.2f, %+.2f) cells per lag on the sheet", $0[0], $0[1]) } ?? ""))
    return entry
}
