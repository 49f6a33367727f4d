import Foundation
import WaveCore
import WaveData
import WavePlot
import WaveSweep

/// What `wrnn probe` writes: probe.json (`probes`, one object per probed state, and the first one's
/// fields at the top level so a single probe reads as one object), probe.csv (one row per probe and
/// lag), the memory curves (score against lag, one line per probe) and, for ring models, the lag x
/// ring position map of each probe. Returns the files written.
public func writeProbeResults(
    _ entries: [ProbeEntry], into directory: String, formats: [FigureFormat], size: FigureSize?
) throws -> [String] {
    try makeDirectories(directory)
    var files: [String] = []
    // probe.json
    struct Document: Encodable {
        let entries: [ProbeEntry]
        enum CodingKeys: String, CodingKey { case probes }
        func encode(to encoder: Encoder) throws {
            if let first = entries.first { try first.encode(to: encoder) }
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(entries, forKey: .probes)
        }
    }
    try writeAtomically(Array(try WrnnJSON.encoder().encode(Document(entries: entries))) + [10], to: directory + "/probe.json")
    files.append("probe.json")
    // probe.csv
    var csv = "label,run,weights,step,model,task,metric,lag,score,chance,normalised_score,accuracy,penalty,input_only_score\n"
    for e in entries {
        let normalised = e.curve.normalisedScore
        for (l, lag) in e.curve.lags.enumerated() {
            let accuracy = e.curve.accuracy.map { String($0[l]) } ?? ""
            csv +=
                [
                    csvField(e.label), csvField(e.run), e.weights.rawValue, String(e.step), e.model, e.task, e.curve.metric, String(lag),
                    String(e.curve.score[l]), String(e.curve.chance[l]), String(normalised[l]), accuracy, String(e.curve.penalty[l]),
                    e.inputOnly.map { String($0.score[l]) } ?? ""
                ].joined(separator: ",") + "\n"
        }
    }
    try writeAtomically(csv, to: directory + "/probe.csv")
    files.append("probe.csv")
    // the memory curves
    let metrics = Set(entries.map(\.curve.metric))
    let yLabel =
        metrics == ["r2"]
        ? "R² of the input k steps back" : metrics == ["balanced_accuracy"] ? "balanced accuracy on the input k steps back" : "score"
    var series: [ChartSeries] = []
    var runs: [String] = []
    for e in entries where !runs.contains(e.run) { runs.append(e.run) }
    for e in entries {
        var line = ChartSeries(
            name: "\(e.label) (MC \(String(format: "%.1f", e.curve.memoryCapacity)))",
            // a lag whose input never varies (chance 1) has nothing to remember: a gap in the line
            points: zip(e.curve.lags, zip(e.curve.score, e.curve.chance)).map { (Double($0), $1.1 >= 1 - 1e-12 ? .nan : $1.0) },
            color: runColors[runs.firstIndex(of: e.run)! % runColors.count],
            dashed: e.weights == .initial)
        line.pointMarkers = e.curve.lags.count <= 30
        series.append(line)
    }
    var chart = LineChart(
        title: "Memory of the recent past: a linear readout of x(t-k) from h(t)", xLabel: "lag k (steps back)", yLabel: yLabel,
        series: series)
    chart.shortYLabel = metrics == ["r2"] ? "R²" : "score"
    // what the present input alone tells about the past, once per task: the line a memory must clear
    var tasks: [String] = []
    for e in entries where !tasks.contains(e.task) {
        tasks.append(e.task)
        guard let reference = e.inputOnly else { continue }
        var line = ChartSeries(
            name: "the present input alone" + (Set(entries.map(\.task)).count > 1 ? " (\(e.task))" : ""),
            points: zip(reference.lags, zip(reference.score, reference.chance)).map { (Double($0), $1.1 >= 1 - 1e-12 ? .nan : $1.0) },
            color: Color(0.35, 0.35, 0.35), dashed: true)
        line.pointMarkers = false
        chart.series.append(line)
    }
    let chances = Set(entries.flatMap(\.curve.chance))
    if chances.count == 1, let level = chances.first {
        chart.references = [(level, level == 0 ? "chance (R² 0)" : String(format: "chance (%.2f)", level))]
    } else if metrics == ["balanced_accuracy"], let first = entries.first {
        // chance differs by lag (the tokens present): drawn as its own line
        chart.series.append(
            ChartSeries(
                name: "chance (1 / tokens present)",
                points: zip(first.curve.lags, first.curve.chance).map { (Double($0), $1 >= 1 - 1e-12 ? .nan : $1) },
                color: Color(0.5, 0.5, 0.5),
                dashed: true))
    }
    let low = min(0, entries.flatMap(\.curve.score).filter(\.isFinite).min() ?? 0)
    chart.yRange = (max(low, -0.5), 1.02)
    files +=
        try size.map { try chart.write(to: directory + "/memory_curve", formats: formats, size: $0) }
        ?? chart.write(to: directory + "/memory_curve", formats: formats)
    try writeChartData(chart, to: directory + "/memory_curve.json")
    files.append("memory_curve.json")
    // where the memory sits on the ring
    for (k, e) in entries.enumerated() {
        guard let map = e.positionMap, let n = e.ringSize else { continue }
        let lags = e.curve.lags
        let base = "memory_map_\(k)_\(directorySafe(e.label))"
        try Npy.write(map.map(Float.init), shape: [lags.count, n], to: directory + "/" + base + ".npy")
        files.append(base + ".npy")
        let layout = MapLayout(size ?? .screen, aspect: min(1.2, max(0.35, Double(lags.count) / Double(n))))
        let narrow = (size ?? .screen).widthPoints < 300
        let drift =
            e.memoryDrift.map { String(format: "drift %+.2f positions/lag", $0) }
            ?? e.sheetDrift.map { String(format: "drift (%+.2f, %+.2f) cells/lag", $0[0], $0[1]) } ?? "no drift measured"
        files += try writeFigure(to: directory + "/" + base, formats: formats, width: layout.width, height: layout.height) { canvas in
            var panel = Panel(
                x: layout.x, y: layout.y, w: layout.w, h: layout.h,
                xAxis: Axis(e.sheet.map { "cell on the \($0) sheet (y * w + x)" } ?? "position on the ring", -0.5, Double(n) - 0.5),
                yAxis: Axis("lag k (steps back)", Double(lags.first!) - 0.5, Double(lags.last!) + 0.5, downward: true))
            panel.fontScale = layout.fontScale
            // a lag whose input never varies (chance 1) has nothing to remember: grey
            let chance = e.curve.chance
            drawHeatmap(
                canvas, panel, values: map, rows: lags.count, cols: n, low: 0, high: 1, masked: { row, _ in chance[row] >= 1 - 1e-12 })
            panel.drawFrame(
                canvas,
                title: narrow
                    ? "\(e.label): memory by position"
                    : "\(e.label): where lag k is read on the \(e.sheet == nil ? "ring" : "sheet") (\(drift))")
            drawColorbar(
                canvas, x: layout.barX, y: layout.y, w: layout.barWidth, h: layout.h, low: 0, high: 1,
                label: narrow ? "share of lag's max" : "readout weight x unit spread (of the lag's max)", fontScale: layout.fontScale)
        }
    }
    return files
}
