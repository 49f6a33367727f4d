import ArgumentParser
import Foundation
import WaveCore
import WaveAnalysis
import WaveSweep
import WaveTraining

struct Results: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lay the results of sweeps or runs beside the paper's tables: mean ± std over seeds, the best hyper-parameters per model by the paper's rule.")

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
        let runs = try ResultsCollector.collect(directories)
        if let out {
            try refuseOutputOverInput(out, inputs: runs.flatMap { RunDirectory.inputFiles($0.path) } + directories.map { $0 + "/sweep.json" })
        }
        let tables = ResultsTables(runs)
        let text: String
        switch format {
        case .md: text = tables.markdown()
        case .csv: text = tables.csv()
        case .html:
            text = tables.html { task, runs in
                var figures = ""
                let labels = uniqueRunLabels(runs)
                if let chart = try? learningCurveChart(runs: runs, labels: labels), let uri = try? svgDataURI({ chart.draw(on: $0) }, width: 760, height: 400) {
                    figures += "<figure><img src=\"\(uri)\" alt=\"learning curves\"><figcaption>\(task): learning curves of the best run per model.</figcaption></figure>"
                }
                if let chart = (try? accuracyChart(runs: runs, labels: labels)) ?? nil, let uri = try? svgDataURI({ chart.draw(on: $0) }, width: 760, height: 400) {
                    figures += "<figure><img src=\"\(uri)\" alt=\"accuracy\"><figcaption>\(task): accuracy of the best run per model.</figcaption></figure>"
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
    }
}
