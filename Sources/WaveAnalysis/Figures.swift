import Foundation
import WaveCore
import WaveData
import WaveModels
import WaveTasks
import WavePlot
import WaveTraining

/// Spectral summary of one space-time map.
public struct ChannelAnalysis: Codable, Sendable {
    public var sample: Int
    public var channel: Int
    public var diagonalPower: Double
    public var speed: Double
    enum CodingKeys: String, CodingKey { case sample, channel, speed, diagonalPower = "diagonal_power" }
}

/// What `wrnn analyze` writes into RUN_DIR/analysis/analysis.json.
public struct AnalysisSummary: Codable, Sendable {
    public var model: String
    public var task: String
    public var step: Int
    public var channels: [ChannelAnalysis]
    public var meanDiagonalPower: Double
    public var meanSpeed: Double
    public var files: [String]
    enum CodingKeys: String, CodingKey {
        case model, task, step, channels, files
        case meanDiagonalPower = "mean_diagonal_power", meanSpeed = "mean_speed"
    }
}

/// Neurons ordered by the time of their largest activation (silent neurons last), as the paper
/// sorts the iRNN's map to show that even then it has no bands.
public func onsetOrder(_ map: [Double], steps: Int, neurons: Int) -> [Int] {
    let onset: [(Int, Double)] = (0..<neurons).map { i in
        var bestT = 0, best = -Double.infinity
        for t in 0..<steps where map[t * neurons + i] > best { best = map[t * neurons + i]; bestT = t }
        return (best > 0 ? bestT : steps, best)
    }
    return (0..<neurons).sorted { onset[$0].0 != onset[$1].0 ? onset[$0].0 < onset[$1].0 : $0 < $1 }
}

/// [T, n] time x neurons -> image with neurons vertical, time horizontal.
func spaceTimeImage(_ map: [Double], steps: Int, neurons: Int, order: [Int]? = nil) -> RGBImage {
    var values = [Double](repeating: 0, count: steps * neurons)
    for (row, i) in (order ?? Array(0..<neurons)).enumerated() {
        for t in 0..<steps { values[row * steps + t] = map[t * neurons + i] }
    }
    let low = values.min() ?? 0, high = values.max() ?? 1
    return heatmap(values, rows: neurons, cols: steps, scaleX: max(1, 800 / steps), scaleY: max(1, 320 / neurons),
                   low: low, high: high)
}

/// Images stacked top to bottom with a white gap.
func stack(_ images: [RGBImage], gap: Int = 6) -> RGBImage {
    let width = images.map(\.width).max() ?? 1
    var out = RGBImage(width: width, height: images.reduce(0) { $0 + $1.height } + gap * max(0, images.count - 1))
    var y = 0
    for image in images {
        for yy in 0..<image.height { for x in 0..<image.width { out[x, y + yy] = image[x, yy] } }
        y += image.height + gap
    }
    return out
}

/// Writes every figure of `recording` into `directory` and returns the summary.
/// `seed` drives the time shuffle of the normalised spectrum (default: the run's seed).
public func writeFigures(_ recording: Recording, channels requested: [Int]?, runDirectory: String,
                         into directory: String, seed: UInt64? = nil) throws -> AnalysisSummary {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let config = recording.config
    let channels = requested ?? Array(0..<min(recording.channels, 4))
    for c in channels where c < 0 || c >= recording.channels {
        throw WrnnError.usage("--channels: channel \(c) does not exist (the model has \(recording.channels))")
    }
    var files: [String] = []
    var results: [ChannelAnalysis] = []
    let t = recording.length, n = recording.ringSize
    for (row, sample) in recording.samples.enumerated() {
        let name = "hidden_s\(sample).npy"
        try Npy.write(recording.states[row], shape: [t, recording.channels, n], to: directory + "/" + name)
        files.append(name)
        for c in channels {
            let map = recording.map(sample: row, channel: c)
            try PNG.write(spaceTimeImage(map, steps: t, neurons: n), to: directory + "/spacetime_s\(sample)_c\(c).png")
            files.append("spacetime_s\(sample)_c\(c).png")
            if config.model.kind == .irnn {
                let order = onsetOrder(map, steps: t, neurons: n)
                try PNG.write(spaceTimeImage(map, steps: t, neurons: n, order: order),
                              to: directory + "/spacetime_sorted_s\(sample)_c\(c).png")
                files.append("spacetime_sorted_s\(sample)_c\(c).png")
            }
            let spectrum = WaveSpectrum(map: map, steps: t, neurons: n, seed: seed ?? config.seed)
            let logRatio = spectrum.displayLogRatio
            try PNG.write(heatmap(logRatio, rows: n, cols: t, scaleX: max(1, 600 / t), scaleY: max(1, 300 / n),
                                  low: logRatio.min() ?? 0, high: logRatio.max() ?? 1),
                          to: directory + "/spectrum_s\(sample)_c\(c).png")
            files.append("spectrum_s\(sample)_c\(c).png")
            results.append(ChannelAnalysis(sample: sample, channel: c, diagonalPower: spectrum.diagonalPower,
                                           speed: spectrum.estimatedSpeed()))
        }
        try writeHiddenGIF(recording, row: row, to: directory + "/hidden_s\(sample).gif")
        files.append("hidden_s\(sample).gif")
        if config.task.kind == .copy {
            try PNG.write(copyPanel(recording, row: row), to: directory + "/copy_io_s\(sample).png")
            files.append("copy_io_s\(sample).png")
        }
    }
    if let curves = try? learningCurves(runs: [runDirectory]) {
        try writeAtomically(curves, to: directory + "/curves.svg")
        files.append("curves.svg")
    }
    let summary = AnalysisSummary(
        model: config.model.kind.rawValue, task: config.task.kind.rawValue, step: recording.step, channels: results,
        meanDiagonalPower: results.map(\.diagonalPower).reduce(0, +) / Double(max(results.count, 1)),
        meanSpeed: results.map(\.speed).reduce(0, +) / Double(max(results.count, 1)), files: files)
    try writeAtomically(Array(try WrnnJSON.encoder().encode(summary)) + [10], to: directory + "/analysis.json")
    return summary
}

/// The hidden state over time: each frame shows the rings as rows, neurons as columns.
func writeHiddenGIF(_ recording: Recording, row: Int, to path: String) throws {
    let c = recording.channels, n = recording.ringSize, t = recording.length
    let values = recording.states[row]
    // a run that diverged may hold Inf or NaN: the scale comes from the finite values, the rest draw as the low end
    let finite = values.lazy.filter { $0.isFinite }.map(Double.init)
    let low = finite.min() ?? 0, high = finite.max() ?? 1
    let scale = max(1, 400 / n), rowScale = max(scale, 120 / max(c, 1) / max(1, 1))
    let width = n * scale, height = c * rowScale
    let stride = max(1, t / 200)   // at most about 200 frames
    var frames: [[UInt8]] = []
    for step in Swift.stride(from: 0, to: t, by: stride) {
        var frame = [UInt8](repeating: 0, count: width * height)
        for ch in 0..<c {
            for i in 0..<n {
                let v = (Double(values[(step * c + ch) * n + i]) - low) / max(high - low, 1e-12)
                let index = v.isFinite ? UInt8(min(max(v, 0), 1) * 255) : 0
                for y in (ch * rowScale)..<((ch + 1) * rowScale) { for x in (i * scale)..<((i + 1) * scale) { frame[y * width + x] = index } }
            }
        }
        frames.append(frame)
    }
    try AnimatedGIF.write(frames: frames, width: width, height: height, palette: Colormap.viridisPalette,
                          delayCentiseconds: 6, to: path)
}

/// Copy task: input tokens, the model's softmax output and the target, each [10 tokens x time].
func copyPanel(_ recording: Recording, row: Int) -> RGBImage {
    let t = recording.length, classes = recording.config.model.outputSize
    func image(_ value: (Int, Int) -> Double) -> RGBImage {
        var values = [Double](repeating: 0, count: classes * t)
        for k in 0..<classes { for s in 0..<t { values[k * t + s] = value(k, s) } }
        return heatmap(values, rows: classes, cols: t, scaleX: max(1, 800 / t), scaleY: 8, low: 0, high: 1)
    }
    let input = image { k, s in Double(recording.inputs[row][s * recording.config.model.inputSize + k]) }
    let output = image { k, s in Double(recording.outputs[row][s * classes + k]) }
    let target = image { k, s in recording.targets[row][s] == Int32(k) ? 1 : 0 }
    return stack([input, output, target])
}

/// One metrics line as read back for plotting.
struct MetricsPoint: Decodable {
    var step: Int
    var trainLoss: Double?
    var testLoss: Double
    var recallAccuracy: Double?
    var accuracy: Double?
    var diverged: Bool?
    enum CodingKeys: String, CodingKey {
        case step, accuracy, diverged, trainLoss = "train_loss", testLoss = "test_loss", recallAccuracy = "recall_accuracy"
    }
}

func readMetrics(_ run: String) throws -> [MetricsPoint] {
    let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
    // the diverged row repeats the last evaluation: the curves end at the last good step
    return try text.split(separator: "\n").map { try WrnnJSON.decoder().decode(MetricsPoint.self, from: Data($0.utf8)) }
        .filter { $0.diverged != true }
}

func runLabel(_ run: String) -> String {
    let name = URL(fileURLWithPath: run).lastPathComponent
    if let data = FileManager.default.contents(atPath: run + "/config.json"),
       let config = try? WrnnJSON.decoder().decode(TrainConfig.self, from: data) {
        return "\(name) (\(config.model.displayName))"
    }
    return name
}

/// Learning curves of one or several runs: log-scale loss against step (test solid, train dashed).
public func learningCurves(runs: [String]) throws -> String {
    var series: [ChartSeries] = []
    for (k, run) in runs.enumerated() {
        let points = try readMetrics(run)
        let color = chartColors[k % chartColors.count]
        series.append(ChartSeries(name: "\(runLabel(run)) test", points: points.map { (Double($0.step), $0.testLoss) }, color: color))
        let train = points.compactMap { p in p.trainLoss.map { (x: Double(p.step), y: $0) } }
        if !train.isEmpty { series.append(ChartSeries(name: "train", points: train, color: color, dashed: true)) }
    }
    return Chart(title: "Learning curves", xLabel: "training step", yLabel: "loss (log scale)", logY: true, series: series).svg()
}

/// Recall accuracy (copy) or test accuracy (classification) against step, for runs that report it.
public func accuracyCurves(runs: [String]) throws -> String? {
    var series: [ChartSeries] = []
    for (k, run) in runs.enumerated() {
        let points = try readMetrics(run).compactMap { p in (p.recallAccuracy ?? p.accuracy).map { (x: Double(p.step), y: 100 * $0) } }
        if !points.isEmpty { series.append(ChartSeries(name: runLabel(run), points: points, color: chartColors[k % chartColors.count])) }
    }
    return series.isEmpty ? nil : Chart(title: "Accuracy", xLabel: "training step", yLabel: "accuracy (%)", series: series).svg()
}
