import WaveCore
import ArgumentParser
import Foundation
import WaveAnalysis
import WavePlot
import WaveTraining

/// "0,2,5" -> [0, 2, 5]
func parseIndexList(_ text: String, option: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }) else {
        throw ValidationError("\(option) must be a comma-separated list of non-negative integers (got '\(text)')")
    }
    return values
}

func requireRunDirectory(_ path: String) throws { try RunDirectory.requireExisting(path) }

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a trained model's hidden states and draw the waves.",
        discussion: """
            Writes into RUN_DIR/analysis: hidden states (.npy, time x channels x neurons), space-time maps, \
            normalised 2-D spectra with diagonal power and wave speed, an animated GIF, the copy task's \
            input/output/target panel, learning curves (SVG) and analysis.json. A sheet run (--model wrnn2d): \
            a strip of frames per sample, the hidden states as time x channels x h x w, and per channel the \
            normalised (k, ky, kx) spectrum with the wave's velocity, speed and direction and the wave test \
            against the sheet's cells in random places.
            """)

    @Argument(help: "A run directory written by `wrnn train` or `wrnn demo`.")
    var runDirectory: String
    @Option(parsing: .unconditional, help: "Test-set samples to record, e.g. 0,1,2.")
    var samples: String = "0"
    @Option(parsing: .unconditional, help: "Channels (rings) to draw, e.g. 0,1. Default: the first four.")
    var channels: String?
    @Option(help: "Checkpoint to load. Default: RUN_DIR/checkpoint.bin.")
    var checkpoint: String?
    @Option(parsing: .unconditional, help: "Seed of the time shuffle behind the normalised spectrum. Default: the run's seed.")
    var seed: UInt64?
    @Option(help: "Figure formats, comma-separated: png, pdf, svg (vector for papers).")
    var format: String = "png"
    @Option(
        help:
            "Colour ranges: panel (each map and spectrum its own, so a weak ring shows), shared (one for every map, one for every spectrum, to compare them), or LO,HI for the maps."
    )
    var scale: String = "panel"
    @OptionGroup var printSize: FigureSizeOptions
    @Option(
        help:
            "Test sequences (other than --samples) on which the neurons' response-lag order is found, for the wave tests; 0 skips the tests."
    )
    var orderSamples: Int = 16
    @Option(help: "Random orders of the neurons in each wave test's null distribution.")
    var permutations: Int = 200
    @Option(
        help:
            "A sheet run (--model wrnn2d): the time steps its strip of frames shows, A:B counted from 1 (at most 40). Default: the 12 steps over which the sheet changes most."
    )
    var frames: String?

    /// "5:16" -> 5...16.
    func parseFrames(_ text: String) throws -> ClosedRange<Int> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 1, b > a, b - a < 40 else {
            throw ValidationError(
                "--frames must be A:B with 1 <= A < B and at most 40 steps, counted from 1 (for example 5:16); got '\(text)'")
        }
        return a...b
    }

    func validate() throws {
        if orderSamples < 0 || orderSamples > 1000 { throw ValidationError("--order-samples must be 0 ... 1000; got \(orderSamples)") }
        if permutations < 19 || permutations > 100_000 {
            throw ValidationError("--permutations must be 19 ... 100,000 (19 is the fewest that can give p < 0.05); got \(permutations)")
        }
        do { _ = try FigureFormat.parse(format) } catch let error as WrnnError { throw ValidationError(error.message) }
        do { _ = try ColourScale(parsing: scale) } catch let error as WrnnError { throw ValidationError(error.message) }
        _ = try parseIndexList(samples, option: "--samples")
        if let frames { _ = try parseFrames(frames) }
        if let channels { _ = try parseIndexList(channels, option: "--channels") }
    }

    func run() throws {
        try requireRunDirectory(runDirectory)
        printSize.apply()
        let drawn = try parseIndexList(samples, option: "--samples")
        let recording = try Recording.record(runDirectory: runDirectory, checkpoint: checkpoint, samples: drawn)
        if frames != nil, recording.config.model.sheet == nil {
            throw WrnnError.usage(
                "--frames applies to a sheet run (--model wrnn2d); the model of \(runDirectory) is the \(recording.config.model.displayName)"
            )
        }
        // the neurons' response-lag order is found on other test sequences, so the tests' p-values hold
        let others = (0..<recording.config.testSize).lazy.filter { !drawn.contains($0) }.prefix(orderSamples)
        let waveTests =
            try others.isEmpty
            ? nil
            : WaveTestSettings(
                ordering: Recording.record(runDirectory: runDirectory, checkpoint: checkpoint, samples: Array(others)),
                permutations: permutations)
        let out = runDirectory + "/analysis"
        let summary = try writeFigures(
            recording, channels: try channels.map { try parseIndexList($0, option: "--channels") },
            runDirectory: runDirectory, into: out, seed: seed, formats: try FigureFormat.parse(format),
            scale: try ColourScale(parsing: scale), size: try printSize.size() ?? .screen, waveTests: waveTests,
            frames: try frames.map(parseFrames))
        print(
            "wrnn analyze: \(recording.config.model.displayName) on the \(recording.config.task.summaryLine), checkpoint step \(recording.step)"
        )
        print(analysisTable(summary))
        print("wrote \(summary.files.count + 1) files to \(out)")
    }
}

func analysisTable(_ summary: AnalysisSummary) -> String {
    if summary.channels.contains(where: { $0.velocity != nil }) { return sheetAnalysisTable(summary) }
    let tested = summary.channels.contains { $0.ownOrder != nil }
    var lines = [
        "sample  ring     diagonal power  speed (neurons/step)"
            + (tested ? "  wave score z (p): own order      by response lag" : "")
    ]
    func test(_ t: WaveNullTest?) -> String {
        guard let t else { return "-" }
        return String(format: "%.1f (%.3f)", t.z, t.p)
    }
    for c in summary.channels {
        let row: String =
            padded(String(c.sample), 8) + padded(String(c.channel), 9) + padded(String(format: "%.2f", c.diagonalPower), 16)
            + padded(String(format: "%.2f", c.speed), tested ? 22 : 0)
        lines.append(tested ? row + padded(test(c.ownOrder), 32) + test(c.lagOrder) : row)
    }
    return lines.joined(separator: "\n")
}

/// The sheet's rows: the shift plane's power (the ring's diagonal power), the best plane's
/// velocity as speed and direction, and the wave test against the cells in random places.
func sheetAnalysisTable(_ summary: AnalysisSummary) -> String {
    let tested = summary.channels.contains { $0.sheetTest != nil }
    var lines = [
        "sample  channel  shift-plane power  velocity (cells/step)  speed  direction"
            + (tested ? "  wave score z (p) vs cells in random places" : "")
    ]
    for c in summary.channels {
        let v = c.velocity ?? [0, 0]
        var row =
            padded(String(c.sample), 8) + padded(String(c.channel), 9) + padded(String(format: "%.2f", c.diagonalPower), 19)
            + padded(String(format: "(%+.2f, %+.2f)", v[0], v[1]), 23) + padded(String(format: "%.2f", c.speed), 7)
            + padded(String(format: "%.0f deg", c.direction ?? 0), tested ? 11 : 0)
        if let test = c.sheetTest { row += String(format: "%.1f (%.3f)", test.z, test.p) }
        lines.append(row)
    }
    return lines.joined(separator: "\n")
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML page for one or several runs.",
        discussion: "Analyses runs that have not been analysed yet (sample 0).")

    @Argument(help: "Run directories, sweep directories or folders of runs.")
    var runDirectories: [String]
    @Option(
        help:
            "HTML file to write, or a directory for report.html. Default: RUN_DIR/report.html for one run, report.html for several.")
    var out: String?
    @Option(parsing: .unconditional, help: "Seed of the spectrum's time shuffle for runs not analysed yet. Default: each run's seed.")
    var seed: UInt64?
    @Option(
        help:
            "Colour ranges: panel, shared or LO,HI, as in `wrnn analyze`. Given, every run's maps are redrawn on it for the page (the runs' own analysis folders are left as they are); without it each run's analysis is reused."
    )
    var scale: String?

    func validate() throws {
        if runDirectories.isEmpty { throw ValidationError("give at least one run directory") }
        if let scale { do { _ = try ColourScale(parsing: scale) } catch let error as WrnnError { throw ValidationError(error.message) } }
    }

    func run() throws {
        let runDirectories = try expandRuns(self.runDirectories, needing: "checkpoint.bin")
        let target = out.map(OutputPath.init)
        try target?.makeParent()
        let path = target?.file(named: "report.html") ?? (runDirectories.count == 1 ? runDirectories[0] + "/report.html" : "report.html")
        try refuseOutputOverInput(path, inputs: runDirectories.flatMap { RunDirectory.inputFiles($0) })
        try writeReport(runs: runDirectories, to: path, seed: seed, scale: try scale.map(ColourScale.init(parsing:)))
        print("wrote \(path)")
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's weights as safetensors under the authors' PyTorch state_dict names.",
        discussion: """
            Also writes check.safetensors: inputs [L, B, d] from the run's test set and this model's outputs \
            [R, B, out]. In Python, wrnn.torch_module(RUN_DIR) builds the same model in PyTorch with these \
            weights, and python3 -m wrnn.check RUN_DIR compares its outputs with wrnn eval's (the package: wrnn python).
            """)

    @Argument(help: "A run directory.")
    var runDirectory: String
    @Option(help: "Weights file to write, or a directory for model.safetensors. Default: RUN_DIR/model.safetensors.")
    var out: String?
    @Option(help: "Checkpoint to export. Default: RUN_DIR/checkpoint.bin.")
    var checkpoint: String?
    @Option(help: "Test sequences in check.safetensors.")
    var checkSamples: Int = 4

    func validate() throws { try requirePositive(checkSamples, "--check-samples") }

    func run() throws {
        try requireRunDirectory(runDirectory)
        let loaded = try Checkpoint.read(run: runDirectory, path: checkpoint)
        let config = loaded.header.config
        let layout = ParameterLayoutOf(config)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata = [
            "format": "pt", "producer": "wrnn", "step": String(loaded.header.step),
            "config": String(decoding: try encoder.encode(config), as: UTF8.self)
        ]
        let target = out.map(OutputPath.init)
        try target?.makeParent()
        let path = target?.file(named: "model.safetensors") ?? runDirectory + "/model.safetensors"
        let check = runDirectory + "/check.safetensors"
        try refuseOutputOverInput(path, inputs: RunDirectory.inputFiles(runDirectory) + [checkpoint, check].compactMap { $0 })
        try Safetensors.write(Safetensors.tensors(layout: layout, params: loaded.params), metadata: metadata, to: path)
        let samples = Array(0..<min(checkSamples, config.testSize))
        let recording = try Recording.record(runDirectory: runDirectory, checkpoint: checkpoint, samples: samples)
        try Safetensors.write(checkTensors(recording), metadata: ["config": metadata["config"]!], to: check)
        print("wrote \(path) (\(layout.tensors.count) tensors, \(grouped(layout.count)) parameters)")
        print("wrote \(check) (\(samples.count) test sequences and this model's outputs)")
        print(
            "check in PyTorch: python3 -m wrnn.check \(runDirectory) (the wrnn Python package: wrnn python --out wrnn-python && pip install ./wrnn-python)"
        )
    }
}

import WaveModels
func ParameterLayoutOf(_ config: TrainConfig) -> ParameterLayout { ParameterLayout(config.model) }

/// inputs [L, B, d] and raw outputs [R, B, out] (logits, before the softmax the recording applies).
func checkTensors(_ recording: Recording) -> [(name: String, tensor: Safetensors.Tensor)] {
    let b = recording.samples.count, l = recording.length, d = recording.config.model.inputSize
    let out = recording.config.model.outputSize
    let steps = recording.outputs[0].count / out
    var inputs = [Float](repeating: 0, count: l * b * d), outputs = [Float](repeating: 0, count: steps * b * out)
    for row in 0..<b {
        for t in 0..<l { for j in 0..<d { inputs[(t * b + row) * d + j] = recording.inputs[row][t * d + j] } }
        for r in 0..<steps { for j in 0..<out { outputs[(r * b + row) * out + j] = recording.logits[row][r * out + j] } }
    }
    return [("inputs", .init(shape: [l, b, d], values: inputs)), ("outputs", .init(shape: [steps, b, out], values: outputs))]
}
