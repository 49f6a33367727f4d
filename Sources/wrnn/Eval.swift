import ArgumentParser
import Foundation
import WaveCore
import WaveTraining
import WaveAnalysis

/// Evaluates a saved model on its run's test set (and validation split).
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a saved model on its run's test (and validation) set.")

    @Argument(help: "A run directory.")
    var runDirectory: String
    @Option(help: "last (checkpoint.bin), best (best.bin) or a checkpoint file.")
    var checkpoint: String = "last"
    @Option(parsing: .unconditional, help: "Threads (batch shards). Default: all cores.")
    var threads: Int?
    @Flag(help: "Print one JSON object (scores as fractions, as in metrics.jsonl) instead of the line.")
    var json = false
    @Option(
        help:
            "Also write the first --samples test sequences and the model's raw outputs to this safetensors file (inputs [L, B, d], outputs [R, B, out]): what a PyTorch model of the run must reproduce."
    )
    var outputs: String?
    @Option(parsing: .unconditional, help: "Test sequences in --outputs.")
    var samples: Int = 8

    func validate() throws {
        try requirePositive(threads, "--threads")
        try requirePositive(samples, "--samples")
    }

    /// What `eval --json` prints.
    struct Report: Encodable {
        var run: String
        var checkpoint: String
        var step: Int
        var task: String
        var model: String
        var parameters: Int
        var testLoss: Double
        var recallAccuracy: Double?
        var testAccuracy: Double?
        var validationLoss: Double?
        var validationAccuracy: Double?
        enum CodingKeys: String, CodingKey {
            case run, checkpoint, step, task, model, parameters
            case testLoss = "test_loss", recallAccuracy = "recall_accuracy", testAccuracy = "test_accuracy"
            case validationLoss = "validation_loss", validationAccuracy = "validation_accuracy"
        }
    }

    func run() throws {
        try requireRunDirectory(runDirectory)
        let path = checkpoint == "last" ? nil : checkpoint == "best" ? runDirectory + "/best.bin" : checkpoint
        let saved = try Checkpoint.read(run: runDirectory, path: path)
        var config = saved.header.config
        if let threads { config.threads = threads }
        let trainer = try Trainer(checkedConfig: config)
        try trainer.restore(from: saved)
        let test = trainer.evaluate()
        let validation = trainer.evaluateValidation()
        if let outputs {
            try refuseOutputOverInput(outputs, inputs: RunDirectory.inputFiles(runDirectory) + [path].compactMap { $0 })
            let recording = try Recording.record(
                config: config, task: trainer.task, step: saved.header.step, params: saved.params,
                samples: Array(0..<min(samples, config.testSize)))
            try Safetensors.write(checkTensors(recording), metadata: ["format": "pt", "producer": "wrnn eval"], to: outputs)
        }
        if json {
            let report = Report(
                run: runDirectory, checkpoint: path ?? runDirectory + "/checkpoint.bin", step: saved.header.step,
                task: config.task.kind.rawValue, model: config.model.kind.rawValue, parameters: config.model.parameterCount,
                testLoss: test.loss, recallAccuracy: test.recallAccuracy, testAccuracy: test.accuracy, validationLoss: validation?.loss,
                validationAccuracy: validation?.accuracy)
            let encoder = WrnnJSON.encoder(pretty: false)
            encoder.outputFormatting.insert(.withoutEscapingSlashes)
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        var line =
            "\(config.model.displayName) at step \(saved.header.step) on the \(config.task.summaryLine): test loss \(formatLoss(test.loss))"
        if let recall = test.recallAccuracy { line += String(format: "  recall %.1f%%", recall * 100) }
        if let accuracy = test.accuracy { line += String(format: "  test acc %.2f%%", accuracy * 100) }
        if let validation {
            line += "  val loss \(formatLoss(validation.loss))"
            if let accuracy = validation.accuracy { line += String(format: "  val acc %.2f%%", accuracy * 100) }
        }
        print(line)
    }
}
