import ArgumentParser
import Foundation
import WaveCore
import WaveTraining

/// Evaluates a saved model on its run's test set (and validation split).
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a saved model on its run's test (and validation) set.")

    @Argument(help: "A run directory.")
    var runDirectory: String
    @Option(help: "last (checkpoint.bin), best (best.bin) or a checkpoint file.")
    var checkpoint: String = "last"
    @Option(parsing: .unconditional, help: "Threads (batch shards). Default: all cores.")
    var threads: Int?

    func validate() throws { try requirePositive(threads, "--threads") }

    func run() throws {
        try requireRunDirectory(runDirectory)
        let path = checkpoint == "last" ? nil : checkpoint == "best" ? runDirectory + "/best.bin" : checkpoint
        let saved = try Checkpoint.read(run: runDirectory, path: path)
        var config = saved.header.config
        if let threads { config.threads = threads }
        let trainer = try Trainer(checkedConfig: config)
        try trainer.restore(from: saved)
        let test = trainer.evaluate()
        var line =
            "\(config.model.displayName) at step \(saved.header.step) on the \(config.task.summaryLine): test loss \(formatLoss(test.loss))"
        if let recall = test.recallAccuracy { line += String(format: "  recall %.1f%%", recall * 100) }
        if let accuracy = test.accuracy { line += String(format: "  test acc %.2f%%", accuracy * 100) }
        if let validation = trainer.evaluateValidation() {
            line += "  val loss \(formatLoss(validation.loss))"
            if let accuracy = validation.accuracy { line += String(format: "  val acc %.2f%%", accuracy * 100) }
        }
        print(line)
    }
}
