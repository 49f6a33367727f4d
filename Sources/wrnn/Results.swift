import ArgumentParser
import Foundation
import WaveCore
import WaveAnalysis
import WavePlot
import WaveSweep
import WaveTraining

struct Results: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Lay the results of sweeps or runs beside the paper's tables: mean ± std over seeds, the best hyper-parameters per model by the paper's rule.",
        discussion:
            "Exit codes: 0 every run was read; 65 some run directory could not be read (each is named on stderr, the tables hold the rest); 66 a directory given holds no runs."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case md, csv, html }

    @Argument(help: "Sweep directories, run directories, or directories holding run directories.")
    var directories: [String]
    @Option(help: "md (Markdown tables), csv (one line per configuration) or html (tables and the best runs' learning curves).")
    var format: Format = .md
    @Option(help: "Write to this file instead of standard output.")
    var out: String?

    func validate() throws {
        if directories.isEmpty { throw ValidationError("give at least one sweep or run directory") }
    }

    func run() throws {
        let collection = try ResultsCollector.collect(directories)
        let runs = collection.runs.filter { $0.status != .corrupt }
        // every run that is not counted is named, and the exit code says so (after the tables)
        for problem in collection.problems { writeStandard("wrnn: warning: \(problem)\n", error: true) }
        if let out {
            try refuseOutputOverInput(
                out, inputs: runs.flatMap { RunDirectory.inputFiles($0.path) } + directories.map { $0 + "/sweep.json" })
        }
        let tables = ResultsTables(runs)
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
            if let uri = try? svgDataURI({ chart.draw(on: $0) }, width: 760, height: 400) {
                figure7[task] =
                    "<figure><img src=\"\(uri)\" alt=\"accuracy against parameters\"><figcaption>\(task): final test accuracy (mean over seeds) against parameter count, one line per model (the paper's Figure 7).</figcaption></figure>"
            }
        }
        let text: String
        switch format {
        case .md: text = tables.markdown()
        case .csv: text = tables.csv()
        case .html:
            text = tables.html { task, runs, labels in
                var figures = ""
                if let figure = figure7[task] { figures += figure }
                if let chart = try? learningCurveChart(runs: runs, labels: labels),
                    let uri = try? svgDataURI({ chart.draw(on: $0) }, width: 760, height: 400)
                {
                    figures +=
                        "<figure><img src=\"\(uri)\" alt=\"learning curves\"><figcaption>\(task): learning curves of the best run per model.</figcaption></figure>"
                }
                if let chart = (try? accuracyChart(runs: runs, labels: labels)) ?? nil,
                    let uri = try? svgDataURI({ chart.draw(on: $0) }, width: 760, height: 400)
                {
                    figures +=
                        "<figure><img src=\"\(uri)\" alt=\"accuracy\"><figcaption>\(task): accuracy of the best run per model.</figcaption></figure>"
                }
                return figures
            }
        }
        if let out {
            try writeAtomically(Array(text.utf8), to: out)
            print("wrote \(out)")
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
        if !collection.problems.isEmpty {
            let count = collection.problems.count
            throw WrnnError.data(
                "\(count) run director\(count == 1 ? "y" : "ies") could not be read and \(count == 1 ? "is" : "are") not in the tables (named above)"
            )
        }
    }
}
