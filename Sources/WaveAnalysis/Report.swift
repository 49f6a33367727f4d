import WaveCore
import Foundation
import WaveModels
import WavePlot
import WaveTraining

/// Analyses `run` (sample 0) unless RUN_DIR/analysis/analysis.json already exists.
public func ensureAnalysis(_ run: String, seed: UInt64? = nil) throws -> AnalysisSummary {
    let path = run + "/analysis/analysis.json"
    if let data = FileManager.default.contents(atPath: path),
       let summary = try? WrnnJSON.decoder().decode(AnalysisSummary.self, from: data) {
        return summary
    }
    let recording = try Recording.record(runDirectory: run, samples: [0])
    return try writeFigures(recording, channels: nil, runDirectory: run, into: run + "/analysis", seed: seed)
}

/// One self-contained HTML page for one or several runs: configuration, summary numbers, the
/// figures (embedded), and for several runs a comparison table and overlaid curves.
public func writeReport(runs: [String], to path: String, seed: UInt64? = nil) throws {
    var sections: [String] = []
    var rows: [String] = []
    var paramPoints: [ChartSeries] = []
    for (k, run) in runs.enumerated() {
        guard FileManager.default.fileExists(atPath: run + "/checkpoint.bin") else {
            throw WrnnError.missing("\(run) is not a run directory (no checkpoint.bin)")
        }
        let analysis = try ensureAnalysis(run, seed: seed)
        let config = try WrnnJSON.decoder().decode(TrainConfig.self, from: Data(contentsOf: URL(fileURLWithPath: run + "/config.json")))
        let summary = (try? Data(contentsOf: URL(fileURLWithPath: run + "/summary.json")))
            .flatMap { try? WrnnJSON.decoder().decode(TrainSummary.self, from: $0) }
        let name = URL(fileURLWithPath: run).lastPathComponent
        let metrics = try readMetrics(run)
        let last = metrics.last
        let recall = last?.recallAccuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
        rows.append("<tr><td>\(escapeXML(name))</td><td>\(config.model.displayName)</td><td>\(grouped(config.model.parameterCount))</td>"
            + "<td>\(last.map { formatLoss($0.testLoss) } ?? "–")</td><td>\(recall)</td>"
            + "<td>\(summary?.solvedAt.map(String.init) ?? "–")</td>"
            + "<td>\(String(format: "%.2f", analysis.meanDiagonalPower))</td><td>\(String(format: "%.2f", analysis.meanSpeed))</td></tr>")
        if let accuracy = last?.recallAccuracy {
            paramPoints.append(ChartSeries(name: name, points: [(Double(config.model.parameterCount), 100 * accuracy)],
                                           color: chartColors[k % chartColors.count], markers: true))
        }
        sections.append(try runSection(run: run, name: name, config: config, summary: summary, analysis: analysis))
    }

    var comparison = ""
    if runs.count > 1 {
        comparison = """
        <h2>Comparison</h2>
        <table><tr><th>run</th><th>model</th><th>parameters</th><th>test loss</th><th>recall</th><th>solved at</th><th>diagonal power</th><th>wave speed</th></tr>
        \(rows.joined(separator: "\n"))</table>
        <div class="figures"><figure>\(try learningCurves(runs: runs))<figcaption>Loss of every run (test solid, train dashed).</figcaption></figure>
        \(try accuracyCurves(runs: runs).map { "<figure>\($0)<figcaption>Recall accuracy against step.</figcaption></figure>" } ?? "")
        \(paramPoints.count > 1 ? "<figure>" + Chart(title: "Accuracy against parameter count", xLabel: "parameters (log scale)", yLabel: "recall accuracy (%)", logX: true, series: paramPoints).svg() + "<figcaption>Final recall accuracy against parameter count (the paper's Figure 7).</figcaption></figure>" : "")
        </div>
        """
    }

    let html = """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><title>WaveRNN report</title>
    <style>
    body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1400px; color: #222; background: #fafafa; }
    h1 { font-size: 26px; margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
    h3 { margin: 18px 0 8px; }
    table { border-collapse: collapse; margin: 8px 0 16px; background: white; }
    td, th { border: 1px solid #ddd; padding: 4px 10px; text-align: left; font-size: 14px; }
    th { background: #f0f0f0; }
    .figures { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
    figure { margin: 0; background: white; border: 1px solid #e2e2e2; padding: 8px; }
    figure img { display: block; image-rendering: pixelated; max-width: 100%; }
    figcaption { font-size: 13px; color: #555; margin-top: 6px; max-width: 820px; }
    .note { color: #555; font-size: 14px; }
    </style></head><body>
    <h1>WaveRNN report</h1>
    <p class="note">\(runs.count) run\(runs.count == 1 ? "" : "s"), written \(ISO8601DateFormatter().string(from: Date())). Space-time maps: neurons vertical, time horizontal (diagonal bands are traveling waves). Spectra: log<sub>10</sub> of |FFT2| divided by |FFT2| of the time-shuffled map, spatial frequency vertical, temporal horizontal, zero frequency in the middle.</p>
    \(comparison)
    \(sections.joined(separator: "\n"))
    </body></html>
    """
    try writeAtomically(html, to: path)
}

func runSection(run: String, name: String, config: TrainConfig, summary: TrainSummary?, analysis: AnalysisSummary) throws -> String {
    let dir = run + "/analysis/"
    func embed(_ file: String, mime: String) -> String? {
        guard let data = FileManager.default.contents(atPath: dir + file) else { return nil }
        return "data:\(mime);base64,\(data.base64EncodedString())"
    }
    var figures: [String] = []
    for channel in analysis.channels {
        let s = channel.sample, c = channel.channel
        if let image = embed("spacetime_s\(s)_c\(c).png", mime: "image/png") {
            figures.append("<figure><img src=\"\(image)\" alt=\"space-time map\"><figcaption>Hidden state, sample \(s), \(config.model.kind == .wrnn ? "ring \(c)" : "all neurons"): neurons vertical, time horizontal.</figcaption></figure>")
        }
        if let image = embed("spacetime_sorted_s\(s)_c\(c).png", mime: "image/png") {
            figures.append("<figure><img src=\"\(image)\" alt=\"sorted space-time map\"><figcaption>The same map with neurons sorted by the time of their largest activation (onset).</figcaption></figure>")
        }
        if let image = embed("spectrum_s\(s)_c\(c).png", mime: "image/png") {
            figures.append("<figure><img src=\"\(image)\" alt=\"normalised spectrum\"><figcaption>Normalised 2-D spectrum, sample \(s), channel \(c): diagonal power \(String(format: "%.2f", channel.diagonalPower)), estimated speed \(String(format: "%.2f", channel.speed)) neurons/step.</figcaption></figure>")
        }
    }
    if let gif = embed("hidden_s0.gif", mime: "image/gif") {
        figures.append("<figure><img src=\"\(gif)\" alt=\"hidden state over time\"><figcaption>Hidden state over time (rings as rows).</figcaption></figure>")
    }
    if let panel = embed("copy_io_s0.png", mime: "image/png") {
        figures.append("<figure><img src=\"\(panel)\" alt=\"copy task\"><figcaption>Copy task, sample 0: input tokens (top), model output softmax (middle), target (bottom); tokens vertical, time horizontal.</figcaption></figure>")
    }
    if let curves = try? String(contentsOfFile: dir + "curves.svg", encoding: .utf8) {
        figures.append("<figure>\(curves)<figcaption>Learning curves.</figcaption></figure>")
    }
    var numbers = "<tr><th>parameters</th><td>\(escapeXML(config.model.parameterBreakdown))</td></tr>"
    if let summary {
        numbers += "<tr><th>steps</th><td>\(summary.steps) in \(formatDuration(summary.seconds)) (\(String(format: "%.1f", summary.stepsPerSecond)) steps/s)</td></tr>"
        numbers += "<tr><th>test loss</th><td>\(formatLoss(summary.testLoss))\(summary.testLossPerBatch.map { " (/batch \(formatLoss($0)))" } ?? "")</td></tr>"
        if let recall = summary.recallAccuracy { numbers += "<tr><th>recall accuracy</th><td>\(String(format: "%.1f%%", recall * 100))</td></tr>" }
        if config.task.kind == .adding { numbers += "<tr><th>solved at</th><td>\(summary.solvedAt.map(String.init) ?? "never")</td></tr>" }
    }
    numbers += "<tr><th>mean diagonal power</th><td>\(String(format: "%.2f", analysis.meanDiagonalPower))</td></tr>"
    numbers += "<tr><th>mean wave speed</th><td>\(String(format: "%.2f", analysis.meanSpeed)) neurons/step</td></tr>"
    return """
    <h2>\(escapeXML(name))</h2>
    <table>
    <tr><th>task</th><td>\(escapeXML(config.task.summaryLine))</td></tr>
    <tr><th>model</th><td>\(escapeXML(config.model.summaryLine))</td></tr>
    <tr><th>training</th><td>Adam lr \(config.learningRate), clip \(config.clip), batch \(config.batchSize), \(config.steps) steps, seed \(config.seed)</td></tr>
    \(numbers)
    </table>
    <div class="figures">\(figures.joined(separator: "\n"))</div>
    """
}
