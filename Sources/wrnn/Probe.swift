import ArgumentParser
import Foundation
import WaveAnalysis
import WaveCore
import WavePlot
import WaveTraining

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how far back a model's state holds its input, and where on the ring it keeps it.",
        discussion: """
            For each lag k, a ridge regression reads the input x(t-k) from the hidden state h(t); its penalty, and \
            whether it reads the units as they are or standardised, are chosen per lag by 5-fold cross-validation (3 \
            above 1,024 units) over --samples training sequences of the run's task, and it is scored on as many \
            sequences of the run's test set: R² for real inputs, balanced \
            accuracy (chance: 1 / the tokens present) for one-hot ones such as the copy task's digits. Memory \
            capacity sums (score - chance) / (1 - chance) over the lags, so a perfect memory of L lags scores L. \
            Every lag reads the same steps t = (largest lag) ... T-1. Writes probe.json, probe.csv, the memory \
            curves (one line per run; --init dashed) and, for ring models, the lag x ring-position map of the \
            readout's weights into --out (default: RUN_DIR/probe for one run, ./probe for several).
            """)

    @Argument(help: "Run directories written by `wrnn train`, sweep directories or folders of runs.")
    var runDirectories: [String]
    @Option(help: "Lags to probe, A:B (inclusive). Default 0:min(0.8 T, 100).")
    var lags: String?
    @Flag(
        name: .customLong("init"),
        help: "Also probe each run at its initial weights (its init scheme at its seed), to compare with training.")
    var initial = false
    @Option(help: "Sequences to fit on, and as many test sequences to score on (at least 10).")
    var samples: Int = 500
    @Option(help: "At most this many states per side; past it every s-th step is read.")
    var maxRows: Int = 40_000
    @Option(help: "Checkpoint to probe (one run only). Default: RUN_DIR/checkpoint.bin.")
    var checkpoint: String?
    @Option(help: "Threads. Default: all cores.")
    var threads: Int?
    @Option(help: "Labels of the runs in the figures, comma-separated. Default: the directories' names.")
    var labels: String?
    @Option(help: "Directory to write into.")
    var out: String?
    @Option(help: "Figure formats, comma-separated: png, pdf, svg.")
    var format: String = "png"
    @OptionGroup var printSize: FigureSizeOptions

    func validate() throws {
        if runDirectories.isEmpty { throw ValidationError("give at least one run directory") }
        if samples < 10 {
            throw ValidationError("--samples must be at least 10 (the cross-validation's folds need sequences); got \(samples)")
        }
        if samples > 100_000 { throw ValidationError("--samples must be at most 100,000; got \(samples)") }
        if maxRows < 100 { throw ValidationError("--max-rows must be at least 100; got \(maxRows)") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be 1 ... 256; got \(threads)") }
        if let lags { _ = try parseLags(lags) }
        if let out, case .file = OutputPath(out) {
            throw ValidationError("--out \(out) names a file, but probe writes several (probe.json, its figures); give a directory")
        }
        if checkpoint != nil && runDirectories.count > 1 {
            throw ValidationError("--checkpoint applies to one run; give one run directory")
        }
        do { _ = try FigureFormat.parse(format) } catch let error as WrnnError { throw ValidationError(error.message) }
    }

    func parseLags(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let k = parts[0], k >= 0 { return k...k }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, b >= a, b <= 100_000 else {
            throw ValidationError("--lags must be A:B with 0 <= A <= B (for example 0:40); got '\(text)'")
        }
        return a...b
    }

    func run() throws {
        printSize.apply()
        let runDirectories = try expandRuns(self.runDirectories, needing: "checkpoint.bin")
        if let labels, labels.split(separator: ",", omittingEmptySubsequences: false).count != runDirectories.count {
            throw WrnnError.usage("--labels needs one label per run directory (\(runDirectories.count)); got '\(labels)'")
        }
        let names = labels.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let settings = ProbeSettings(
            lags: try lags.map(parseLags), samples: samples, maxRows: maxRows,
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let directory = out ?? (runDirectories.count == 1 ? runDirectories[0] + "/probe" : "probe")
        try refuseOutputOverInput(directory + "/probe.json", inputs: runDirectories.flatMap { RunDirectory.inputFiles($0) })
        var entries: [ProbeEntry] = []
        for (k, run) in runDirectories.enumerated() {
            let name = names?[k] ?? runConfigName(run) ?? URL(fileURLWithPath: run).lastPathComponent
            for weights in initial ? [ProbeWeights.trained, .initial] : [.trained] {
                let (config, params, step) = try probeParameters(run: run, checkpoint: checkpoint, weights: weights)
                let label = weights == .initial ? "\(name) (init)" : name
                entries.append(
                    try probe(
                        run: run, label: label, config: config, params: params, step: step, weights: weights, settings: settings,
                        progress: { print("wrnn probe: \($0)") }))
            }
        }
        let files = try writeProbeResults(entries, into: directory, formats: try FigureFormat.parse(format), size: try printSize.size())
        print(probeTable(entries))
        print("wrote \(files.count) files to \(directory)")
    }
}

func probeTable(_ entries: [ProbeEntry]) -> String {
    var lines = [
        "probe" + String(repeating: " ", count: 25) + "metric             lags     memory capacity  input alone  drift (positions/lag)"
    ]
    for e in entries {
        let lags = "\(e.curve.lags.first!)-\(e.curve.lags.last!)"
        let capacity = String(format: "%.2f", e.curve.memoryCapacity)
        let drift =
            e.memoryDrift.map { String(format: "%+.2f", $0) } ?? e.sheetDrift.map { String(format: "(%+.2f, %+.2f) cells", $0[0], $0[1]) }
            ?? "-"
        let alone = e.inputOnly.map { String(format: "%.2f", $0.memoryCapacity) } ?? "-"
        let line: String = padded(e.label, 30) + padded(e.curve.metric, 19) + padded(lags, 9) + padded(capacity, 17) + padded(alone, 13)
        lines.append(line + drift)
    }
    return lines.joined(separator: "\n")
}
