import ArgumentParser
import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveTraining
import WaveAnalysis

/// The paper's first claim on the user's machine: with the same budget, the wRNN learns the
/// copy task far better than the wave-free iRNN.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a wRNN and an iRNN on the copy task with the same budget and compare them.")

    @Option(name: [.customShort("T"), .customLong("delay")], parsing: .unconditional, help: "Copy-task delay T.")
    var delay: Int = 30
    @Option(parsing: .unconditional, help: "Training steps for each model.")
    var steps: Int = 3000
    @Option(parsing: .unconditional, help: "Adam learning rate for both models.")
    var lr: Double = 1e-3
    @Option(parsing: .unconditional, help: "Gradient clipping (global L2 norm) for both models; 0 = off.")
    var clip: Double = 1
    @Option(parsing: .unconditional, help: "Seed for both runs.")
    var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Threads (batch shards). Default: all cores.")
    var threads: Int?
    @Option(help: "Directory for the two runs (must not exist). Default: runs/demo-<time>.")
    var out: String?

    /// The wave model and its wave-free twin, as the registry names them.
    var models: [any ModelDescription.Type] { [ModelRegistry.model(role: .wave), ModelRegistry.model(role: .waveFreeTwin)] }

    /// `wrnn train`'s options for one of the two runs: the demo is two train runs, checked and
    /// resolved by the same code (`TrainOptions`) with the same messages.
    func options(for model: ModelKind) -> TrainOptions {
        var o = TrainOptions()
        o.task = .standard
        o.t = delay
        o.model = model
        o.steps = steps
        o.learningRate = lr
        o.clip = clip
        o.seed = seed
        o.threads = threads
        o.evalEvery = max(1, steps / 10)
        o.checkpointEvery = max(1, steps)
        return o
    }

    func validate() throws {
        for model in models {
            do { _ = try options(for: model.kind).resolve() } catch let error as WrnnError where error.exitCode == 64 {
                throw ValidationError(error.message)
            }
        }
    }

    func run() throws {
        // after every option is checked, before anything is made: an existing directory is 73
        if let out { try RunDirectory.requireAbsent(out) }
        let root = out ?? defaultRunPath("demo")
        let configs = try models.map { try options(for: $0.kind).resolve() }
        print(
            "wrnn demo: \(configs[0].task.summaryLine), \(steps) steps each, Adam lr \(lr), clip \(clip), batch \(configs[0].batchSize), seed \(seed)"
        )
        var rows: [(String, TrainSummary)] = []
        for config in configs {
            let kind = config.model.kind
            let directory = try RunDirectory.create(root + "/" + kind.rawValue)
            try directory.writeJSON(config, to: "config.json")
            try directory.writeJSON(RunCommand(command: CommandLine.arguments), to: "command.json")
            print("\n\(config.model.summaryLine)\n\(config.model.parameterBreakdown)")
            let summary = try Trainer(config: config).run(directory: directory, progress: Progress(prefix: "  \(kind.rawValue) "))
            rows.append((config.model.displayName, summary))
        }
        print("\n" + comparisonTable(rows))
        let wave = rows[0].1, still = rows[1].1
        if wave.testLoss > 0, still.testLoss.isFinite {
            let ratio = still.testLoss / wave.testLoss
            let text =
                ratio >= 10
                ? String(format: "%.0fx lower than", ratio)
                : ratio > 1 ? String(format: "%.1fx lower than", ratio) : String(format: "not below (%.2fx)", ratio)
            print("\nThe \(models[0].label)'s test loss is \(text) the \(models[1].label)'s after the same \(steps) steps.")
        }
        var powers: [String] = []
        var recordings: [Recording] = []
        for model in models {
            let run = root + "/" + model.name
            let recording = try Recording.record(runDirectory: run, samples: [0])
            let summary = try writeFigures(recording, channels: nil, runDirectory: run, into: run + "/analysis")
            recordings.append(recording)
            powers.append(String(format: "%.1f", summary.meanDiagonalPower))
        }
        let figure = try writeFigure2(wave: recordings[0], plain: recordings[1], to: root + "/figure2", formats: [.png, .pdf]).files
        print("Diagonal power of the normalised spectrum (waves): \(models[0].label) \(powers[0]), \(models[1].label) \(powers[1]).")
        print("The paper's Figure 2 (maps and spectra side by side): \(figure.map { root + "/" + $0 }.joined(separator: " and "))")
        let runs = models.map { root + "/" + $0.name }
        print("Runs written to \(runs[0]) and \(runs[1]); `wrnn report \(runs[0]) \(runs[1])` makes an HTML page.")
    }
}

import WaveModels

func comparisonTable(_ rows: [(String, TrainSummary)]) -> String {
    var lines = ["model    test loss    CE / 50    recall   steps/s   parameters"]
    for (name, s) in rows {
        lines.append(
            padded(name, 6) + padded(formatLoss(s.testLoss), 11, right: true)
                + padded(formatLoss(s.testLossPerBatch ?? .nan), 12, right: true)
                + padded(String(format: "%.1f%%", (s.recallAccuracy ?? 0) * 100), 9, right: true)
                + padded(String(format: "%.1f", s.stepsPerSecond), 10, right: true)
                + padded(grouped(s.parameters), 13, right: true))
    }
    return lines.joined(separator: "\n")
}
