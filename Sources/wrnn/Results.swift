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

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case md, csv, html
        case evaluationsCSV = "evaluations-csv"
        var fileExtension: String { self == .evaluationsCSV ? "csv" : rawValue }
    }

    @Argument(help: "Sweep directories, run directories, or directories holding run directories.")
    var directories: [String]
    @Option(
        help:
            "md (Markdown tables), html (tables and the best runs' learning curves), csv (one row per run: every hyper-parameter in its own column, then the run's results) or evaluations-csv (one row per evaluation of every run). Scores in the CSVs are fractions, as in metrics.jsonl."
    )
    var format: Format = .md
    @Option(help: "Write to this file instead of standard output, or into this directory as results.<format>.")
    var out: String?

    func validate() throws {
        if directories.isEmpty { throw ValidationError("give at least one sweep or run directory") }
    }

    func run() throws {
        let collection = try ResultsCollector.collect(directories)
        let runs = collection.runs.filter { $0.status != .corrupt }
        // every run that is not counted is named, and the exit code says so (after the tables)
        for problem in collection.problems { writeStandard("wrnn: warning: \(problem)\n", error: true) }
        for note in collection.skipped { writeStandard("wrnn: note: \(note)\n", error: true) }
        let out = self.out.map { OutputPath($0).file(named: "results." + format.fileExtension) }
        if let target = self.out.map(OutputPath.init) { try target.makeParent() }
        if let out {
            try refuseOutputOverInput(
                out, inputs: runs.flatMap { RunDirectory.inputFiles($0.path) } + directories.map { $0 + "/sweep.json" })
        }
        let tables = ResultsTables(runs)
        let text: String
        switch format {
        case .md: text = tables.markdown()
        case .csv: text = TidyCSV.runs(runs)
        case .evaluationsCSV: text = TidyCSV.evaluations(runs)
        case .html: text = resultsPage(tables, runs: runs)
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
