import ArgumentParser
import Foundation
import WaveAnalysis
import WaveCore
import WavePlot
import WaveTraining

/// `wrnn curves RUN...`: the learning curves and the accuracy of several runs in one figure each.
struct Curves: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the learning curves and accuracies of several runs, one colour per run (or per group of seeds).",
        discussion: """
            Writes DIR/curves.{formats} (test loss solid with a marker at each evaluation, training loss dashed, \
            the paper's loss: cross-entropy / 50 for the copy task; reference lines for predicting the mean and \
            "solved" on the adding task, chance on images) and DIR/accuracy.{formats} (test accuracy, or recall for \
            the copy task, with the chance level), each with its data as JSON. Runs that differ only in their seed \
            are one line, their mean, in a band from the lowest to the highest seed. Image runs are drawn against \
            epochs, so runs with other batch sizes line up; the others against training steps. Runs of several tasks \
            get a pair of figures per task (curves-TASK.*, accuracy-TASK.*): no axis mixes units, no line joins tasks.
            """)

    @Argument(help: "Run directories, sweep directories or folders of runs.")
    var runDirectories: [String]
    @Option(help: "Directory to write the figures into (created if missing); curves writes several files, so not a file name.")
    var out: String
    @Option(help: "Legend labels, comma-separated, one per run. Default: each run's directory name and model.")
    var labels: String?
    @Option(help: "Figure formats, comma-separated: png, pdf, svg.")
    var format: String = "png,svg"
    @OptionGroup var printSize: FigureSizeOptions

    func validate() throws {
        if runDirectories.isEmpty { throw ValidationError("give at least one run directory") }
        guard case .directory = OutputPath(out) else {
            throw ValidationError("--out \(out) names a file, but curves writes several (curves.* and accuracy.*); give a directory")
        }
        do { _ = try FigureFormat.parse(format) } catch let error as WrnnError { throw ValidationError(error.message) }
    }

    func run() throws {
        printSize.apply()
        let runDirectories = try expandRuns(self.runDirectories, needing: "metrics.jsonl")
        if let labels, labels.split(separator: ",", omittingEmptySubsequences: false).count != runDirectories.count {
            throw WrnnError.usage(
                "--labels has \(labels.split(separator: ",", omittingEmptySubsequences: false).count) labels for \(runDirectories.count) runs; give one per run"
            )
        }
        try makeDirectories(out)
        let names = labels.map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let files = try writeCurves(
            runs: runDirectories, labels: names, to: out, formats: try FigureFormat.parse(format),
            size: try printSize.size())
        print("wrote \(files.map { out + "/" + $0 }.joined(separator: ", "))")
    }
}
