import WaveCore
import Foundation
import WaveModels
import WavePlot
import WaveTraining

/// Analyses `run` (sample 0) unless RUN_DIR/analysis/analysis.json already exists.
public func ensureAnalysis(_ run: String, seed: UInt64? = nil) throws -> AnalysisSummary {
    let path = run + "/analysis/analysis.json"
    if let data = fileContents(atPath: path),
        let summary = try? WrnnJSON.decoder().decode(AnalysisSummary.self, from: data)
    {
        return summary
    }
    let recording = try Recording.record(runDirectory: run, samples: [0])
    return try writeFigures(recording, channels: nil, runDirectory: run, into: run + "/analysis", seed: seed)
}

/// Labels for runs that stay unique when folder names clash: the folder name, or as many of the
/// trailing path components as it takes to tell them apart.
public func uniqueRunLabels(_ runs: [String]) -> [String] {
    let parts = runs.map { URL(fileURLWithPath: $0).standardizedFileURL.pathComponents.filter { $0 != "/" } }
    var depths = [Int](repeating: 1, count: runs.count)
    func label(_ k: Int) -> String { parts[k].suffix(depths[k]).joined(separator: "/") }
    // lengthen only the labels that clash, until none does (or they are whole paths)
    while true {
        let clashing = runs.indices.filter { k in runs.indices.contains { $0 != k && label($0) == label(k) } && depths[k] < parts[k].count }
        if clashing.isEmpty { break }
        for k in clashing { depths[k] += 1 }
    }
    return runs.indices.map(label)
}

/// A chart as an inline SVG image (drawn by cairo into a temporary file, then embedded).
public func svgDataURI(_ draw: (Canvas) -> Void, width: Int, height: Int) throws -> String {
    let path = NSTemporaryDirectory() + "wrnn-chart-\(UUID().uuidString).svg"
    defer { unlink(path) }
    let canvas = try Canvas(width: width, height: height, format: .svg, path: path)
    draw(canvas)
    try canvas.finish()
    return "data:image/svg+xml;base64," + (fileContents(atPath: path) ?? Data()).base64EncodedString()
}

/// A chart as it goes into a page: two drawings of it, a narrow one (360 units, legend below) for
/// screens up to 640 px and a wider one (560 units) above, each with text large enough that its
/// smallest (the tick labels) shows at 11 px or more at the narrowest width it is shown at: 350 px
/// for the narrow one (a 400 px phone less the page's margins), 500 px for the wide one (the
/// figures' grid never makes a column narrower).
public func chartFigure(_ chart: LineChart, alt: String, caption: String) throws -> String {
    let narrow = try svgDataURI({ chartDrawn(chart, fontScale: ChartSizes.narrowScale).draw(on: $0) }, size: ChartSizes.narrow, chart)
    let wide = try svgDataURI({ chartDrawn(chart, fontScale: ChartSizes.wideScale).draw(on: $0) }, size: ChartSizes.wide, chart)
    return
        "<figure><picture><source media=\"(max-width: 640px)\" srcset=\"\(narrow)\"><img src=\"\(wide)\" alt=\"\(escapeXML(alt))\"></picture><figcaption>\(caption)</figcaption></figure>"
}

/// The page charts' drawing sizes and text scales (tick labels are 9.5 x the scale, in drawing units).
public enum ChartSizes {
    public static let narrow = 360.0, wide = 560.0
    public static let narrowScale = 1.25, wideScale = 1.3
    /// The narrowest each drawing is shown at, in CSS pixels.
    public static let narrowShownAt = 350.0, wideShownAt = 500.0
}

func chartDrawn(_ chart: LineChart, fontScale: Double) -> LineChart {
    var chart = chart
    chart.fontScale = fontScale
    return chart
}

/// `svgDataURI` for a chart `size` units wide, as tall as its panel and legend need.
func svgDataURI(_ draw: (Canvas) -> Void, size width: Double, _ chart: LineChart) throws -> String {
    let scale = width == ChartSizes.narrow ? ChartSizes.narrowScale : ChartSizes.wideScale
    let height = width * 0.62 + chartDrawn(chart, fontScale: scale).legendBelowHeight(width: width)
    return try svgDataURI(draw, width: Int(width), height: Int(height.rounded()))
}

struct ReportRun {
    let path: String
    let label: String
    let config: TrainConfig
    let summary: TrainSummary?
    let analysis: AnalysisSummary
    /// Where the analysis figures are: RUN/analysis, or a scratch directory for `--scale`.
    let analysisDirectory: String
    let metrics: [MetricsPoint]
    let command: RunCommand?
}

/// One self-contained HTML page for one or several runs: each run's configuration, numbers and
/// figures, and for several runs a comparison (table, overlaid curves, Figure 2 when a wRNN and an
/// iRNN share a task, accuracy against parameters when a model comes in several sizes). It reads
/// on a phone (400 px) and on a desktop (1400 px); each run keeps one colour in every chart.
/// `scale` nil reuses each run's analysis (made on per-panel ranges when missing); a scale redraws
/// every run's maps on it in a scratch directory, leaving the runs' own analyses as they are.
public func writeReport(runs paths: [String], to path: String, seed: UInt64? = nil, scale: ColourScale? = nil) throws {
    // a run's --name is its label; the others are told apart by their directories
    let labels = zip(uniqueRunLabels(paths), paths).map { runConfig($1)?.label?.name ?? $0 }
    var runs: [ReportRun] = []
    let scratch = NSTemporaryDirectory() + "wrnn-report-\(UUID().uuidString)"
    defer { if scale != nil { try? FileManager.default.removeItem(atPath: scratch) } }
    for (k, run) in paths.enumerated() {
        guard FileManager.default.fileExists(atPath: run + "/checkpoint.bin") else {
            throw WrnnError.missing("\(run) is not a run directory (no checkpoint.bin)")
        }
        var analysisDirectory = run + "/analysis"
        let analysis: AnalysisSummary
        if let scale {
            analysisDirectory = scratch + "/\(k)"
            analysis = try writeFigures(
                try Recording.record(runDirectory: run, samples: [0]), channels: nil, runDirectory: run,
                into: analysisDirectory, seed: seed, scale: scale)
        } else {
            analysis = try ensureAnalysis(run, seed: seed)
        }
        let config = try WrnnJSON.decoder().decode(TrainConfig.self, from: Data(try readFileBytes(run + "/config.json").get()))
        let summary = fileContents(atPath: run + "/summary.json").flatMap { try? WrnnJSON.decoder().decode(TrainSummary.self, from: $0) }
        let command = fileContents(atPath: run + "/command.json").flatMap { try? WrnnJSON.decoder().decode(RunCommand.self, from: $0) }
        runs.append(
            ReportRun(
                path: run, label: labels[k], config: config, summary: summary, analysis: analysis,
                analysisDirectory: analysisDirectory, metrics: try readMetrics(run), command: command))
    }

    var comparison = ""
    if runs.count > 1 {
        var rows = ""
        for (k, r) in runs.enumerated() {
            let last = r.metrics.last
            rows +=
                "<tr><td><span class=\"swatch\" style=\"background:\(runColors[k % runColors.count].hexText)\"></span>\(escapeXML(r.label))</td>"
                + "<td>\(escapeXML(r.config.task.tableLabel))</td><td>\(r.config.model.displayName)</td><td>\(grouped(r.config.model.parameterCount))</td>"
                + "<td>\(last.map { formatLoss($0.testLoss) } ?? "–")</td><td>\(last?.recallAccuracy.map { String(format: "%.1f%%", $0 * 100) } ?? last?.accuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "–")</td>"
                + "<td>\(r.summary?.solvedAt.map(String.init) ?? "–")</td>"
                + "<td>\(String(format: "%.2f", r.analysis.meanDiagonalPower))</td><td>\(String(format: "%.2f", r.analysis.meanSpeed))</td></tr>\n"
        }
        // one section per task: a loss axis per task and unit, no line from one task to another, and
        // a Figure 2 for the task's wRNN and iRNN or a line saying why there is none
        var figures = ""
        var taskOrder: [String] = []
        var byTask: [String: [ReportRun]] = [:]
        for r in runs {
            let task = r.config.task.tableLabel
            if byTask[task] == nil { taskOrder.append(task) }
            byTask[task, default: []].append(r)
        }
        for task in taskOrder {
            let taskRuns = byTask[task]!
            figures += try taskFigures(task: task, runs: taskRuns, scale: scale, heading: taskOrder.count > 1)
        }
        comparison = """
            <h2>Comparison</h2>
            <div class="table-wrap"><table><tr><th>run</th><th>task</th><th>model</th><th>parameters</th><th>test loss</th><th>recall / accuracy</th><th>solved at</th><th>diagonal power</th><th>wave speed (neurons / step)</th></tr>
            \(rows)</table></div>
            \(figures)
            """
    }

    let html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Wave-RNN report (traveling-wave RNNs, Keller et al. ICLR 2024): \(runs.count) run\(runs.count == 1 ? "" : "s")</title>
        <style>
        * { box-sizing: border-box; }
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0 auto; padding: 16px; max-width: 1400px; color: #222; background: #fafafa; line-height: 1.4; }
        h1 { font-size: 24px; margin: 8px 0 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 32px; font-size: 20px; }
        .table-wrap { overflow-x: auto; max-width: 100%; }
        table { border-collapse: collapse; margin: 8px 0 16px; background: white; }
        td, th { border: 1px solid #ddd; padding: 4px 10px; text-align: left; font-size: 14px; vertical-align: top; }
        th { background: #f0f0f0; white-space: nowrap; }
        code { font-size: 13px; word-break: break-all; }
        .figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 16px; }
        figure { margin: 0; background: white; border: 1px solid #e2e2e2; padding: 8px; min-width: 0; }
        figure.wide { grid-column: 1 / -1; }
        figure.wide img { max-width: 980px; margin: 0 auto; }
        figure img { display: block; width: 100%; height: auto; }
        figure { overflow-x: auto; }
        figcaption { font-size: 13px; color: #555; margin-top: 6px; }
        .note { color: #555; font-size: 14px; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
        </style></head><body>
        <h1>Wave-RNN report</h1>
        <p class="note">Traveling-wave recurrent networks (wRNN, Keller, Muller, Sejnowski &amp; Welling, ICLR 2024), made with wrnn \(WrnnVersion.text) on \(ISO8601DateFormatter().string(from: Date())); \(runs.count) run\(runs.count == 1 ? "" : "s"). Space-time maps show one ring's neurons down the page and time across it: diagonal bands are traveling waves. Spectra are log<sub>10</sub> |FFT2| of a map over |FFT2| of the same map with its time steps shuffled, spatial frequency up, temporal frequency across, zero marked; the zero temporal-frequency column is grey because the shuffle cannot change it.</p>
        \(comparison)
        \(try runs.enumerated().map { try runSection($0.element, color: runColors[$0.offset % runColors.count]) }.joined(separator: "\n"))
        </body></html>
        """
    try writeAtomically(html, to: path)
}

/// How a caption names a colour scale.
func scaleWords(_ scale: ColourScale) -> String {
    switch scale {
    case .panel: return "each panel on its own colour range"
    case .shared: return "the maps on one colour range, the spectra on another"
    case .fixed(let low, let high): return "the maps on the colour range \(low) to \(high)"
    }
}

func runSection(_ run: ReportRun, color: Color) throws -> String {
    let dir = run.analysisDirectory + "/"
    func embed(_ file: String, mime: String) -> String? {
        guard let data = fileContents(atPath: dir + file) else { return nil }
        // the figure never shrinks below the width at which its smallest text shows at 11 px: on a
        // narrow screen it scrolls sideways instead (tick labels are 9.5 pt in a figure drawn for the screen)
        let bytes = [UInt8](data)
        var minimum = 0.0
        if mime == "image/png", bytes.count > 24 {
            let pixels = Double(bytes[16..<20].reduce(0) { $0 << 8 | Int($1) })
            minimum = (pixels * 72 / pngResolution(bytes)) * 11 / 9.5
        } else if mime == "image/gif", bytes.count > 8 {
            minimum = Double(Int(bytes[6]) | Int(bytes[7]) << 8) // its text is drawn in its own pixels
        }
        return "data:\(mime);base64,\(data.base64EncodedString())\" style=\"min-width: \(Int(minimum.rounded(.up)))px"
    }
    let config = run.config
    var figures: [String] = []
    let sheet = config.model.sheet
    if let sheet, let image = embed("frames_s0.png", mime: "image/png") {
        figures.append(
            "<figure><img src=\"\(image)\" alt=\"frames of the sheet\"><figcaption>The sheet over time, test sample 0: each row a channel's \(sheet) cells (x to the right, y upwards), one frame per step.</figcaption></figure>"
        )
    }
    for channel in run.analysis.channels {
        let s = channel.sample, c = channel.channel
        if sheet != nil, let velocity = channel.velocity, let image = embed("spectrum_s\(s)_c\(c).png", mime: "image/png") {
            let test =
                channel.sheetTest.map { String(format: "; wave score z %.1f (p %.3f) against its cells in random places", $0.z, $0.p) }
                ?? ""
            figures.append(
                "<figure><img src=\"\(image)\" alt=\"normalised spectrum of the sheet\"><figcaption>Normalised (k, ky, kx) spectrum, test sample \(s), channel \(c), on the slices ky = 0 and kx = 0: velocity (\(String(format: "%+.2f, %+.2f", velocity[0], velocity[1]))) cells / step, direction \(String(format: "%.0f", channel.direction ?? 0))°, shift-plane power \(String(format: "%.2f", channel.diagonalPower))\(test).</figcaption></figure>"
            )
            continue
        }
        let ring = config.model.kind.hasRings ? "ring \(c)" : "all neurons (one ring)"
        if let image = embed("spacetime_s\(s)_c\(c).png", mime: "image/png") {
            figures.append(
                "<figure><img src=\"\(image)\" alt=\"space-time map\"><figcaption>Hidden state, test sample \(s), \(ring).</figcaption></figure>"
            )
        }
        if let image = embed("spacetime_sorted_s\(s)_c\(c).png", mime: "image/png") {
            figures.append(
                "<figure><img src=\"\(image)\" alt=\"sorted space-time map\"><figcaption>The same map with neurons sorted by the time of their largest activation (onset): even sorted, no bands.</figcaption></figure>"
            )
        }
        if let image = embed("spectrum_s\(s)_c\(c).png", mime: "image/png") {
            figures.append(
                "<figure><img src=\"\(image)\" alt=\"normalised spectrum\"><figcaption>Normalised 2-D spectrum, test sample \(s), \(ring): diagonal power \(String(format: "%.2f", channel.diagonalPower)), estimated speed \(String(format: "%.2f", channel.speed)) neurons / step.</figcaption></figure>"
            )
        }
    }
    if let gif = embed("hidden_s0.gif", mime: "image/gif") {
        figures.append(
            "<figure><img src=\"\(gif)\" alt=\"hidden state over time\"><figcaption>Hidden state over time, test sample 0: \(sheet == nil ? "each row is a ring" : "the channels' sheets side by side"), the counter is the time step.</figcaption></figure>"
        )
    }
    if let panel = embed("copy_io_s0.png", mime: "image/png") {
        figures.append(
            "<figure><img src=\"\(panel)\" alt=\"copy task\"><figcaption>Copy task, test sample 0: input tokens, the model's output and the target against time; the dashed line marks the start of the recall.</figcaption></figure>"
        )
    }
    let curves = try learningCurveChart(runs: [run.path], labels: [run.label])
    curves.series.indices.forEach { _ in }
    var coloured = curves
    coloured.series = curves.series.map {
        var s = $0; s.color = color; return s
    }
    figures.append(
        try chartFigure(coloured, alt: "learning curves", caption: "Learning curves in the paper's units (test solid, train dashed).")
    )
    if var accuracy = try accuracyChart(runs: [run.path], labels: [run.label]) {
        accuracy.series = accuracy.series.map {
            var s = $0; s.color = color; return s
        }
        figures.append(
            try chartFigure(accuracy, alt: "accuracy", caption: "Accuracy against step, with the chance level.")
        )
    }

    var numbers = "<tr><th>parameters</th><td>\(escapeXML(config.model.parameterBreakdown))</td></tr>"
    numbers +=
        "<tr><th>evaluation</th><td>every \(grouped(config.evalEvery)) steps on a fixed test set of \(grouped(config.testSize)) sequences</td></tr>"
    if let summary = run.summary {
        numbers += "<tr><th>status</th><td>\(summary.status ?? (summary.diverged ? "diverged" : "complete"))</td></tr>"
        numbers +=
            "<tr><th>steps</th><td>\(grouped(summary.steps)) in \(formatDuration(summary.seconds)) (\(String(format: "%.1f", summary.stepsPerSecond)) steps/s)</td></tr>"
        numbers += "<tr><th>final train loss</th><td>\(formatLoss(summary.trainLoss))</td></tr>"
        numbers +=
            "<tr><th>test loss</th><td>\(formatLoss(summary.testLoss))\(summary.testLossPerBatch.map { " (cross-entropy / 50, the authors' test figure: \(formatLoss($0)))" } ?? "")</td></tr>"
        if let recall = summary.recallAccuracy {
            numbers += "<tr><th>recall accuracy</th><td>\(String(format: "%.1f%%", recall * 100))</td></tr>"
        }
        if let accuracy = summary.testAccuracy {
            numbers +=
                "<tr><th>test accuracy</th><td>\(String(format: "%.2f%%", accuracy * 100))\(summary.testAccuracyAtBestValidation.map { String(format: " (%.2f%% at the best validation accuracy)", $0 * 100) } ?? "")</td></tr>"
        }
        if let threshold = config.task.solvedThreshold {
            numbers +=
                "<tr><th>solved at</th><td>\(summary.solvedAt.map(String.init) ?? "never") \(config.followsAuthors ? "(iteration i whose training-batch MSE was &le; \(threshold), at a log step)" : "(test MSE &le; \(threshold))")</td></tr>"
        }
    }
    // tasks with recall: the first evaluation that recalled everything
    if run.metrics.contains(where: { $0.recallAccuracy != nil }) {
        let perfect = run.metrics.first { ($0.recallAccuracy ?? 0) >= 1 }.map { "step \(grouped($0.step))" } ?? "not reached"
        numbers += "<tr><th>first 100% recall</th><td>\(perfect)</td></tr>"
    }
    numbers += "<tr><th>mean diagonal power</th><td>\(String(format: "%.2f", run.analysis.meanDiagonalPower))</td></tr>"
    numbers += "<tr><th>mean wave speed</th><td>\(String(format: "%.2f", run.analysis.meanSpeed)) neurons / step</td></tr>"
    if let command = run.command {
        numbers += "<tr><th>command</th><td><code>\(escapeXML(command.command.joined(separator: " ")))</code></td></tr>"
        numbers += "<tr><th>tool</th><td>wrnn \(escapeXML(command.version))</td></tr>"
    }
    return """
        <h2><span class="swatch" style="background:\(color.hexText)"></span>\(escapeXML(run.label))</h2>
        <p class="note">Run directory: <code>\(escapeXML(URL(fileURLWithPath: run.path).standardizedFileURL.path))</code></p>
        <div class="table-wrap"><table>
        <tr><th>task</th><td>\(escapeXML(config.task.summaryLine))</td></tr>
        <tr><th>model</th><td>\(escapeXML(config.model.summaryLine))</td></tr>
        <tr><th>training</th><td>\(config.optimisationLine), \(config.threads) thread\(config.threads == 1 ? "" : "s")</td></tr>
        \(labelRows(config.label))\(numbers)
        </table></div>
        <div class="figures">\(figures.joined(separator: "\n"))</div>
        """
}

/// The run's tags and notes as table rows (its name is the section's title).
func labelRows(_ label: RunLabel?) -> String {
    var rows = ""
    if let tags = label?.tags, !tags.isEmpty { rows += "<tr><th>tags</th><td>\(escapeXML(tags.joined(separator: ", ")))</td></tr>\n" }
    if let notes = label?.notes { rows += "<tr><th>notes</th><td>\(escapeXML(notes))</td></tr>\n" }
    return rows
}

/// One task's charts in a page: the learning curves (one loss axis, the task's unit), the accuracy,
/// accuracy against parameters where a model comes in several sizes (the paper's Figure 7), and
/// Figure 2 for its first wRNN and iRNN runs, or a line saying why it has none.
func taskFigures(task: String, runs: [ReportRun], scale: ColourScale?, heading: Bool) throws -> String {
    var figures = ""
    let curves = try learningCurveChart(runs: runs.map(\.path), labels: runs.map(\.label))
    figures += try chartFigure(
        curves, alt: "learning curves", caption: "\(escapeXML(task)): loss of every run in the paper's units (test solid, train dashed).")
    if let accuracy = try accuracyChart(runs: runs.map(\.path), labels: runs.map(\.label)) {
        figures += try chartFigure(
            accuracy, alt: "accuracy", caption: "\(escapeXML(task)): recall or test accuracy against training, with the chance level.")
    }
    let byModel = Dictionary(grouping: runs.indices, by: { runs[$0].config.model.kind })
    if byModel.values.contains(where: { Set($0.map { runs[$0].config.model.parameterCount }).count > 1 }) {
        var series: [ChartSeries] = []
        for (_, indices) in byModel.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let points = indices.compactMap { i -> (x: Double, y: Double)? in
                (runs[i].metrics.last?.accuracy ?? runs[i].metrics.last?.recallAccuracy).map {
                    (Double(runs[i].config.model.parameterCount), 100 * $0)
                }
            }.sorted { $0.x < $1.x }
            if !points.isEmpty {
                series.append(
                    ChartSeries(
                        name: runs[indices[0]].config.model.displayName, points: points, color: runColors[indices[0] % runColors.count]))
            }
        }
        var chart = LineChart(
            title: "Accuracy against parameter count", xLabel: "parameters (log scale)", yLabel: "final accuracy (%)", logX: true,
            series: series)
        chart.yRange = (0, 100)
        figures += try chartFigure(
            chart, alt: "accuracy against parameters",
            caption: "\(escapeXML(task)): final accuracy against parameter count, one line per model (the paper's Figure 7).")
    }
    let wave = runs.first { $0.config.model.kind.model.role == .wave }
    let plain = runs.first { $0.config.model.kind.model.role == .waveFreeTwin }
    let figure2 = try figure2Figure(
        task: task, wave: wave.map { ($0.path, $0.label) }, plain: plain.map { ($0.path, $0.label) }, scale: scale)
    return (heading ? "<h3>\(escapeXML(task))</h3>" : "") + "<div class=\"figures\">\(figures)</div>" + figure2
}

/// A task's Figure 2 in a page (a two-column drawing, and a one-column one for narrow screens), or
/// a line saying why there is none.
public func figure2Figure(task: String, wave: (path: String, label: String)?, plain: (path: String, label: String)?, scale: ColourScale?)
    throws -> String
{
    guard let wave, let plain else {
        let missing = wave == nil && plain == nil ? "neither a wRNN nor an iRNN run" : wave == nil ? "no wRNN run" : "no iRNN run"
        return
            "<p class=\"note\">No Figure 2 for \(escapeXML(task)): it needs a wRNN run and an iRNN run of the task, and these runs have \(missing).</p>"
    }
    let base = NSTemporaryDirectory() + "wrnn-figure2-\(UUID().uuidString)"
    defer { for suffix in [".png", ".json"] { unlink(base + suffix) } }
    var options = Figure2Options()
    options.scale = scale ?? .panel
    options.title = false
    options.fontSize = 9 // 11 px and more wherever the page shows it
    let waveRecording = try Recording.record(runDirectory: wave.path, samples: [0])
    let plainRecording = try Recording.record(runDirectory: plain.path, samples: [0])
    _ = try writeFigure2(wave: waveRecording, plain: plainRecording, to: base, formats: [.png], options: options)
    let wide = fileContents(atPath: base + ".png") ?? Data()
    options.widthInches = 3.25 // shown at 350 px and more: 9 pt text (8 pt ticks) is 12 px and more
    _ = try writeFigure2(wave: waveRecording, plain: plainRecording, to: base, formats: [.png], options: options)
    let narrow = fileContents(atPath: base + ".png") ?? Data()
    return
        "<figure class=\"wide\"><picture><source media=\"(max-width: 640px)\" srcset=\"data:image/png;base64,\(narrow.base64EncodedString())\"><img src=\"data:image/png;base64,\(wide.base64EncodedString())\" alt=\"Figure 2\"></picture><figcaption>\(escapeXML(task)): the paper's Figure 2, \(escapeXML(wave.label)) against \(escapeXML(plain.label)), \(scale.map(scaleWords) ?? "each panel on its own colour range"); the wRNN's ring with the strongest diagonal power, the iRNN's neurons sorted by onset.</figcaption></figure>"
}

/// A PNG's resolution in dots per inch from its pHYs chunk, or 144 (wrnn's figures before they carried it).
func pngResolution(_ bytes: [UInt8]) -> Double {
    var offset = 8
    while offset + 12 <= bytes.count {
        let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
        if type == "pHYs", offset + 17 <= bytes.count, bytes[offset + 16] == 1 {
            let perMetre = bytes[(offset + 8)..<(offset + 12)].reduce(0) { $0 << 8 | Int($1) }
            return Double(perMetre) * 0.0254
        }
        if type == "IDAT" { break }
        offset += 12 + length
    }
    return 144
}
