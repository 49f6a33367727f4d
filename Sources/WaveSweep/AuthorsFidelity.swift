import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveTraining

/// Proves that a grid point of the authors' sweep files trains what their script trains. Each
/// fixture (scripts/authors_steps.py) holds their initial weights, five batches, and their weights
/// after each of five steps. The grid point is resolved exactly as `wrnn sweep` resolves it (their
/// vocabulary, then `resolve`, wrnn train's parser); wrnn's own initialisation of it must draw every
/// tensor as theirs does; from their weights and on their batches, wrnn's weights after every step
/// must equal theirs to float tolerance, and its schedule must give their rate every epoch.
public struct AuthorsFidelity {
    /// Directory of the authors' sweep files.
    public var sweeps: String
    /// Where to write wrnn's weights after every step, as FIXTURE-NAME.wrnn.safetensors.
    public var write: String?
    public var resolve: ([String]) throws -> TrainConfig
    public init(sweeps: String, write: String?, resolve: @escaping ([String]) throws -> TrainConfig) {
        self.sweeps = sweeps; self.write = write; self.resolve = resolve
    }

    /// The fixtures' steps are taken in float64 (the exact answer). Each weight's difference is
    /// measured in units of lr + 1e-5 |w| (an Adam step moves a weight by up to about lr; 1e-5 |w|
    /// is a few dozen float32 roundings of it). Float32 rounding, in PyTorch or here, leaves a mean of
    /// 2e-5 to 1.4e-3 of those units per tensor after five steps; a weight whose true gradient is
    /// below float32's noise can take its first Adam step (a full lr) the other way, 2 units or a
    /// little more, on a few dozen weights of a tensor of half a million. A step taken differently
    /// moves the mean by 0.007 (a rate 1% off, first step) to 0.5 (the loss scale or the clip left
    /// out) and puts most weights past 0.25. So a tensor agrees when its mean is at most 0.003 and at most one in 3,000 of its
    /// weights (none in a tensor of fewer than 3,000) is off by more than 0.25.
    static let meanLimit = 3e-3
    static let outlierUnits = 0.25
    static func allowedOutliers(_ count: Int) -> Int { count / 3_000 }

    /// Checks one fixture, printing one line (and each difference); false when it differs.
    public func check(_ path: String) throws -> Bool {
        let (metadata, tensors) = try Safetensors.read(from: path)
        guard let sweepName = metadata["sweep"], let pointText = metadata["point"],
            let wanted = try? JSONSerialization.jsonObject(with: Data(pointText.utf8)) as? [String: String]
        else {
            throw WrnnError.data("\(path): not an authors-steps fixture (no sweep or point in its metadata)")
        }
        let sweepPath = (sweeps as NSString).appendingPathComponent(sweepName)
        // looked at before it is opened, like every input (a FIFO would block)
        guard let data = fileContents(atPath: sweepPath) else {
            throw WrnnError.missing("\(sweepPath) cannot be read; give the authors' sweep directory with --sweeps")
        }
        let text = String(decoding: data, as: UTF8.self)
        let points = try SweepFile.parse(text, source: sweepPath).expand(seeds: [0])
        guard
            let point = points.first(where: { p in
                wanted.allSatisfy { key, value in p.settings.contains { $0.key == key && sameValue($0.value, value) } }
            })
        else {
            throw WrnnError.data("\(path): no grid point of \(sweepName) has \(pointText)")
        }
        var config = try resolve(point.train.arguments + ["--seed", "0", "--threads", "1"])
        config.testSize = 1 // the replay evaluates nothing: no test set to hold
        let label = "\(sweepName) " + wanted.keys.sorted().map { "\($0)=\(wanted[$0]!)" }.joined(separator: " ")
        var ok = true
        var lines: [String] = []

        // 1. wrnn's own initialisation draws each tensor as theirs does
        let model = SequenceModel<Float>(config.model)
        var stream = RandomStream(seed: 0, stream: 0)
        let ours = config.model.initialParameters(&stream, as: Float.self)
        for spec in model.layout.tensors {
            guard let theirs = tensors["init.\(spec.name)"] else { throw WrnnError.data("\(path): no init.\(spec.name)") }
            if let difference = distributionDifference(Array(ours[spec.range]), theirs.values) {
                lines.append("  init \(spec.name): \(difference)")
                ok = false
            }
        }

        // 2. their weights, their batches, five steps
        let steps = Int(metadata["steps"] ?? "") ?? 5
        let batchFile = metadata["batches"].map {
            (URL(fileURLWithPath: path).deletingLastPathComponent().path as NSString).appendingPathComponent($0)
        }
        let shared = try batchFile.map { try Safetensors.read(from: $0).tensors } ?? [:]
        let replay = try replayTask(config: config, tensors: tensors, shared: shared, steps: steps, path: path)
        let trainer = Trainer(config: config, task: replay)
        let initial = Dictionary(
            uniqueKeysWithValues: tensors.compactMap { name, t in name.hasPrefix("init.") ? (String(name.dropFirst(5)), t) : nil })
        let start = try Safetensors.parameters(for: model.layout, from: initial, path: path)
        trainer.params.pointer.update(from: start, count: start.count)
        let batch = replay.makeBatch(count: config.batchSize)
        var largestMean = 0.0, largest = 0.0, totalOutliers = 0
        var written: [(name: String, tensor: Safetensors.Tensor)] = []
        for k in 1...steps {
            let (loss, _) = trainer.trainStep(batch)
            written += Safetensors.tensors(layout: model.layout, params: trainer.params.array).map { ("step\(k).\($0.name)", $0.tensor) }
            let scriptLoss = loss * config.gradientScale
            if let theirs = tensors["step\(k).loss"]?.values.first, abs(scriptLoss - Double(theirs)) > 1e-3 * abs(Double(theirs)) + 1e-7 {
                lines.append("  step \(k): loss \(scriptLoss), theirs \(theirs)")
                ok = false
            }
            for spec in model.layout.tensors {
                // a large tensor is kept whole after the last step, and as a fixed sample of its values before
                let whole = tensors["step\(k).\(spec.name)"]?.values
                let positions = whole.map { Array(0..<$0.count) } ?? tensors["step\(k).\(spec.name).index"]?.values.map { Int($0) }
                guard let positions, let theirs = whole ?? tensors["step\(k).\(spec.name).sample"]?.values, theirs.count == positions.count,
                    positions.allSatisfy({ (0..<spec.range.count).contains($0) })
                else {
                    throw WrnnError.data("\(path): no step\(k).\(spec.name), or its sample does not fit the tensor")
                }
                var sum = 0.0, outliers = 0, worst = (units: 0.0, index: 0, ours: Float(0), theirs: Float(0))
                for (j, t) in zip(positions, theirs) {
                    let mine = trainer.params[spec.range.lowerBound + j]
                    let units = abs(Double(mine) - Double(t)) / (config.learningRate + 1e-5 * abs(Double(t)))
                    sum += units
                    if units > Self.outlierUnits { outliers += 1 }
                    if units > worst.units { worst = (units, j, mine, t) }
                }
                let mean = sum / Double(max(positions.count, 1))
                largestMean = max(largestMean, mean)
                largest = max(largest, worst.units)
                totalOutliers += outliers
                if mean > Self.meanLimit || outliers > Self.allowedOutliers(positions.count) {
                    lines.append(
                        "  step \(k) \(spec.name): mean difference \(String(format: "%.3g", mean)) lr, \(outliers) of \(positions.count) weights off by more than \(Self.outlierUnits) lr, largest \(String(format: "%.3g", worst.units)) lr at [\(worst.index)] (ours \(worst.ours), theirs \(worst.theirs))"
                    )
                    ok = false
                }
            }
        }

        if let write {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".wrnn.safetensors"
            try Safetensors.write(written, metadata: [:], to: (write as NSString).appendingPathComponent(name))
        }

        // 3. the rate in every epoch, as their loop sets it
        var rates = ""
        if let text = metadata["lr_per_epoch"], let expected = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Double],
            !expected.isEmpty
        {
            let epoch = config.task.epochSteps(batchSize: config.batchSize) ?? 1
            for (e, rate) in expected.enumerated() where abs(trainer.learningRate(afterSteps: e * epoch) - rate) > 1e-9 * rate {
                lines.append("  epoch \(e): rate \(trainer.learningRate(afterSteps: e * epoch)), theirs \(rate)")
                ok = false
            }
            rates = "; the rate of all \(expected.count) epochs as theirs"
        }
        print(
            "\(ok ? "agrees" : "DIFFERS"): \(label): init of \(model.layout.tensors.count) tensors as theirs; \(steps) steps, weights within \(String(format: "%.2g", largestMean)) lr on average per tensor, \(totalOutliers) weight-steps past \(Self.outlierUnits) lr (largest \(String(format: "%.2g", largest)) lr)\(rates)"
        )
        lines.forEach { print($0) }
        return ok
    }

    /// The fixture's batches in wrnn's layout: [L, B, d] inputs and their targets.
    func replayTask(
        config: TrainConfig, tensors: [String: Safetensors.Tensor], shared: [String: Safetensors.Tensor], steps: Int,
        path: String
    ) throws -> ReplayTask {
        let task = config.task, b = config.batchSize, length = task.length, d = task.inputSize
        func tensor(_ name: String, in source: [String: Safetensors.Tensor]) throws -> [Float] {
            guard let t = source[name] else { throw WrnnError.data("\(path): no tensor \(name)") }
            return t.values
        }
        var batches: [(inputs: [Float], targets: [Float])] = []
        for k in 1...steps {
            switch task.kind {
            case .copy, .adding:
                batches.append((try tensor("step\(k).inputs", in: tensors), try tensor("step\(k).targets", in: tensors)))
            case .nscifar10:
                let images = try tensor("step\(k).images", in: shared), noise = try tensor("noise", in: shared)
                var x = [Float](repeating: 0, count: length * b * d)
                for s in 0..<b {
                    for r in 0..<32 {
                        for channel in 0..<3 {
                            for column in 0..<32 {
                                x[(r * b + s) * 96 + channel * 32 + column] = images[s * 3072 + channel * 1024 + r * 32 + column] / 255
                            }
                        }
                    }
                    for t in 32..<length { for j in 0..<96 { x[(t * b + s) * 96 + j] = noise[(t - 32) * 96 + j] } }
                }
                batches.append((x, Array(try tensor("step\(k).labels", in: shared).prefix(b))))
            default:
                let images = try tensor("step\(k).images", in: shared)
                let order = tensors["permutation"].map { $0.values.map { Int($0) } } ?? Array(0..<length)
                guard order.count == length else { throw WrnnError.data("\(path): permutation has \(order.count) entries") }
                var x = [Float](repeating: 0, count: length * b)
                for s in 0..<b { for t in 0..<length { x[t * b + s] = images[s * length + order[t]] / 255 } }
                batches.append((x, Array(try tensor("step\(k).labels", in: shared).prefix(b))))
            }
        }
        return ReplayTask(
            name: task.kind.rawValue, length: length, inputSize: d, outputSize: task.outputSize,
            readoutTiming: config.model.readoutTiming, steps: batches, epochSteps: task.epochSteps(batchSize: b))
    }
}

/// Two option values the same: equal text, or equal numbers (`1e-5` and `0.00001`).
public func sameValue(_ a: String, _ b: String) -> Bool {
    if a == b { return true }
    if let x = Double(a), let y = Double(b) { return x == y }
    return false
}

/// Nil when `ours` is drawn as `theirs` is: a tensor of at most two distinct values (zeros, an
/// identity, a shift, the sparse encoder) must match element for element; a random one must have
/// the same spread (for 64 or more values: standard deviation within 15%, largest magnitude within 30%).
public func distributionDifference(_ ours: [Float], _ theirs: [Float]) -> String? {
    guard ours.count == theirs.count else { return "\(ours.count) values, theirs \(theirs.count)" }
    guard theirs.count >= 8 else { return nil } // a bias of one or two values says nothing about a distribution
    if Set(theirs).count <= 2 {
        if let j = ours.indices.first(where: { ours[$0] != theirs[$0] }) {
            return "element \(j) is \(ours[j]), theirs \(theirs[j]) (their tensor is not random)"
        }
        return nil
    }
    if Set(ours).count <= 2 { return "not random, theirs is (standard deviation \(String(format: "%.3g", deviation(theirs))))" }
    guard theirs.count >= 64 else { return nil }
    let (a, b) = (deviation(ours), deviation(theirs))
    let (ma, mb) = (ours.map { abs(Double($0)) }.max()!, theirs.map { abs(Double($0)) }.max()!)
    if abs(a / b - 1) > 0.15 || abs(ma / mb - 1) > 0.3 {
        return
            "standard deviation \(String(format: "%.3g", a)) and largest magnitude \(String(format: "%.3g", ma)), theirs \(String(format: "%.3g", b)) and \(String(format: "%.3g", mb))"
    }
    return nil
}

public func deviation(_ x: [Float]) -> Double {
    let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
    return (x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count)).squareRoot()
}
