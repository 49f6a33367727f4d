import WaveKernels
import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveTraining

/// A trained model run on chosen test sequences, with every hidden state kept.
public struct Recording: Sendable {
    public let config: TrainConfig
    public let step: Int
    public let samples: [Int]
    /// Steps T: hidden states h_1 ... h_T.
    public let length: Int
    /// Rings c (1 for the iRNN) and neurons per ring n (N for the iRNN).
    public let channels: Int
    public let ringSize: Int
    /// Per sample: [T, channels, ringSize].
    public let states: [[Float]]
    /// Per sample: [R, outputSize] softmax probabilities (classification) or raw outputs.
    public let outputs: [[Float]]
    /// Per sample: [R, outputSize] raw readout outputs (logits).
    public let logits: [[Float]]
    /// Per sample: [T, inputSize].
    public let inputs: [[Float]]
    /// Per sample: [R] class targets (classification only).
    public let targets: [[Int32]]

    /// Loads `checkpoint` (default RUN_DIR/checkpoint.bin) and runs test sequences `samples` of the
    /// run's fixed test set through it.
    public static func record(runDirectory: String, checkpoint: String? = nil, samples: [Int]) throws -> Recording {
        let loaded = try Checkpoint.read(run: runDirectory, path: checkpoint)
        let config = loaded.header.config
        for s in samples where s < 0 || s >= config.testSize {
            throw WrnnError.usage("--samples: sample \(s) is outside the run's test set (0..<\(config.testSize))")
        }
        return try record(
            config: config, task: try config.task.loadTask(seed: config.seed), step: loaded.header.step, params: loaded.params,
            samples: samples)
    }

    /// Runs test sequences `samples` of `task`'s fixed test set through the model with `params`;
    /// `testSet` when the caller holds it already (a trainer), else drawn from the task.
    public static func record(
        config: TrainConfig, task: any SequenceTask, step: Int, params: [Float], samples: [Int],
        testSet given: [SequenceBatch<Float>]? = nil
    ) throws -> Recording {
        let testSet = given ?? task.evaluationBatches(count: config.testSize, batchSize: config.batchSize, seed: config.seed)
        let batch = task.makeBatch(count: samples.count)
        // copy the chosen rows out of the test batches (time-major layouts)
        var offsets: [(SequenceBatch<Float>, Int)] = []
        var start = 0
        for part in testSet { offsets.append((part, start)); start += part.batch }
        for (row, sample) in samples.enumerated() {
            let (part, first) = offsets.last { $0.1 <= sample }!
            let local = sample - first
            let d = task.inputSize
            for t in 0..<task.length {
                for j in 0..<d { batch.inputs[(t * samples.count + row) * d + j] = part.inputs[(t * part.batch + local) * d + j] }
            }
            if let from = part.classTargets, let to = batch.classTargets {
                let steps = from.count / part.batch
                for r in 0..<steps { to[r * samples.count + row] = from[r * part.batch + local] }
            }
            if let from = part.valueTargets, let to = batch.valueTargets {
                let out = task.outputSize
                for j in 0..<out { to[row * out + j] = from[local * out + j] }
            }
        }
        let model = SequenceModel<Float>(config.model)
        guard params.count == model.layout.count else {
            throw WrnnError.data("checkpoint has \(params.count) parameters, the configuration needs \(model.layout.count)")
        }
        let runner = BatchRunner(model: model, batch: samples.count, length: task.length, threads: 1)
        runner.run(params: Buffer(params), grads: nil, batch: batch)

        let n = config.model.units, out = config.model.outputSize
        let readoutSteps = model.readoutSteps(length: task.length)
        var states: [[Float]] = [], outputs: [[Float]] = [], inputs: [[Float]] = [], targets: [[Int32]] = []
        var logits: [[Float]] = []
        for row in 0..<samples.count {
            var h = [Float](), y = [Float](), x = [Float](), z = [Int32](), raw = [Float]()
            for t in 1...task.length { let p = runner.state(step: t, row: row); h += (0..<n).map { p[$0] } }
            for r in 0..<readoutSteps {
                let p = runner.output(step: r, row: row)
                var values = (0..<out).map { p[$0] }
                raw += values
                if out > 1 { // softmax
                    let m = values.max() ?? 0
                    let e = values.map { Foundation.exp($0 - m) }
                    let sum = e.reduce(0, +)
                    values = e.map { $0 / sum }
                }
                y += values
                if let c = batch.classTargets { z.append(c[r * samples.count + row]) }
            }
            for t in 0..<task.length {
                for j in 0..<task.inputSize { x.append(batch.inputs[(t * samples.count + row) * task.inputSize + j]) }
            }
            states.append(h); outputs.append(y); inputs.append(x); targets.append(z); logits.append(raw)
        }
        return Recording(
            config: config, step: step, samples: samples, length: task.length,
            channels: config.model.channels, ringSize: config.model.kind.hasRings ? config.model.ringSize : n,
            states: states, outputs: outputs, logits: logits, inputs: inputs, targets: targets)
    }

    /// The space-time map of one sample and channel: [T, ringSize] (time x neurons).
    public func map(sample row: Int, channel: Int) -> [Double] {
        var m = [Double](repeating: 0, count: length * ringSize)
        for t in 0..<length {
            for i in 0..<ringSize { m[t * ringSize + i] = Double(states[row][(t * channels + channel) * ringSize + i]) }
        }
        return m
    }
}
