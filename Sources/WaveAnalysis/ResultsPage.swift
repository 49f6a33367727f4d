import Foundation
import WavePlot
import WaveSweep
import WaveTraining

/// `wrnn results --format html`: the tables, and per task the accuracy against parameters (the
/// paper's Figure 7, where some model comes in several sizes), the best runs' learning curves and
/// their accuracy.
public func resultsPage(_ tables: ResultsTables, runs: [RunRecord]) -> String {
    // accuracy against parameters, only for a task where some model comes in several sizes (Figure 7)
    var figure7: [String: String] = [:]
    for (task, taskRuns) in Dictionary(
        grouping: runs.filter { $0.summary?.testAccuracy != nil }, by: { ResultsTables.taskLabel($0.config.task) })
    {
        let byModel = Dictionary(grouping: taskRuns, by: { $0.config.model.displayName })
        guard byModel.values.contains(where: { Set($0.map { $0.config.model.parameterCount }).count > 1 }) else { continue }
        var series: [ChartSeries] = []
        for (k, (model, modelRuns)) in byModel.sorted(by: { $0.key < $1.key }).enumerated() {
            var points: [(x: Double, y: Double)] = []
            for (count, seeds) in Dictionary(grouping: modelRuns, by: { $0.config.model.parameterCount }) {
                let accuracies = seeds.compactMap { $0.summary?.testAccuracy }
                points.append((x: Double(count), y: 100 * accuracies.reduce(0, +) / Double(max(accuracies.count, 1))))
            }
            points.sort { $0.x < $1.x }
            series.append(ChartSeries(name: model, points: points, color: runColors[k % runColors.count]))
        }
        var chart = LineChart(
            title: "Test accuracy against parameters", xLabel: "parameters (log scale)", yLabel: "test accuracy (%)",
            logX: true, series: series)
        chart.yRange = (0, 100)
        chart.references = [(10, "chance (10 classes)")]
        figure7[task] = try? chartFigure(
            chart, alt: "accuracy against parameters",
            caption: "\(task): final test accuracy (mean over seeds) against parameter count, one line per model (the paper's Figure 7).")
    }
    return tables.html { task, runs, labels in
        var figures = ""
        if let figure = figure7[task] { figures += figure }
        if let chart = try? learningCurveChart(runs: runs, labels: labels),
            let figure = try? chartFigure(chart, alt: "learning curves", caption: "\(task): learning curves of the best run per model.")
        {
            figures += figure
        }
        if let chart = (try? accuracyChart(runs: runs, labels: labels)) ?? nil,
            let figure = try? chartFigure(chart, alt: "accuracy", caption: "\(task): accuracy of the best run per model.")
        {
            figures += figure
        }
        // the task's Figure 2 from its best wRNN and iRNN runs, or why there is none
        let roles = runs.map { runConfig($0)?.model.kind.model.role }
        let wave = zip(runs, labels).enumerated().first { roles[$0.offset] == .wave }.map { ($0.element.0, $0.element.1) }
        let plain = zip(runs, labels).enumerated().first { roles[$0.offset] == .waveFreeTwin }.map { ($0.element.0, $0.element.1) }
        if let figure = try? figure2Figure(task: task, wave: wave, plain: plain, scale: nil) {
            figures += figure
        }
        return figures
    }
}
