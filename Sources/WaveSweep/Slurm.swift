import Foundation
import WaveCore
import WaveModels
import WaveTraining

/// The sbatch script for a sweep: one array task per run, each running
/// `wrnn sweep ... --run-index $SLURM_ARRAY_TASK_ID` as a job step into the shared sweep directory.
///
/// Preemption: Slurm's SIGTERM (a preemption, `scancel --signal=TERM`, or the time limit's warning
/// two minutes ahead) reaches wrnn through the step; wrnn checkpoints and exits 143, and the task
/// requeues itself, so the requeued task resumes from the checkpoint.
public struct SlurmScript: Sendable {
    public var name: String
    public var runs: Int
    public var executable: String
    public var arguments: [String]
    public var workingDirectory: String
    public var logDirectory: String
    public var cpusPerTask: Int
    public var partition: String?
    public var timeLimit: String?
    public var maxParallel: Int?
    /// MPI ranks per run: the array task holds this many tasks, and the sweep launches its run over
    /// them with srun (PMIx), rank 0 writing the run directory.
    public var ranks = 1
    /// sbatch's --account, --qos, --mem and --gres, when given.
    public var account: String?
    public var qos: String?
    public var memory: String?
    public var gres: String?

    public init(
        name: String, runs: Int, executable: String, arguments: [String], workingDirectory: String,
        logDirectory: String, cpusPerTask: Int, partition: String?, timeLimit: String?, maxParallel: Int?
    ) {
        self.name = name; self.runs = runs; self.executable = executable; self.arguments = arguments
        self.workingDirectory = workingDirectory; self.logDirectory = logDirectory; self.cpusPerTask = cpusPerTask
        self.partition = partition; self.timeLimit = timeLimit; self.maxParallel = maxParallel
    }

    public var text: String {
        var lines = [
            "#!/bin/bash",
            "# wrnn sweep \(name): \(runs) runs, one array task each (written by wrnn sweep --slurm)",
            "#SBATCH --job-name=wrnn-\(name.prefix(40))",
            "#SBATCH --array=0-\(runs - 1)\(maxParallel.map { "%\($0)" } ?? "")",
            "#SBATCH --cpus-per-task=\(cpusPerTask)",
            "#SBATCH --ntasks=\(ranks)",
            "#SBATCH --requeue",
            "#SBATCH --open-mode=append",
            "#SBATCH --signal=TERM@120",
            "#SBATCH --output=\(logDirectory)/slurm-%A_%a.out",
            "#SBATCH --chdir=\(workingDirectory)"
        ]
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if let timeLimit { lines.append("#SBATCH --time=\(timeLimit)") }
        if let account { lines.append("#SBATCH --account=\(account)") }
        if let qos { lines.append("#SBATCH --qos=\(qos)") }
        if let memory { lines.append("#SBATCH --mem=\(memory)") }
        if let gres { lines.append("#SBATCH --gres=\(gres)") }
        let command = (arguments + ["--run-index", "$SLURM_ARRAY_TASK_ID"]).map(shellQuoted).joined(separator: " ")
        lines += [
            "",
            "# the binary, found on the node that runs the task: $WRNN_BIN, else the one that wrote this script",
            "# (a path every node must see), else wrnn on PATH",
            "if [ -n \"${WRNN_BIN:-}\" ]; then WRNN=\"$WRNN_BIN\"; else",
            "    WRNN=\(shellQuoted(executable))",
            "    [ -x \"$WRNN\" ] || WRNN=\"$(command -v wrnn || true)\"",
            "fi",
            "if [ -z \"$WRNN\" ] || [ ! -x \"$WRNN\" ]; then",
            "    echo \"wrnn sweep: no wrnn binary on $(hostname) (${WRNN:-none found}): build it on a filesystem every node mounts, set WRNN_BIN, or put wrnn on PATH\" >&2",
            "    exit 66",
            "fi",
            // one run over several ranks: the sweep decides here and launches the run with srun itself
            ranks > 1
                ? "\"$WRNN\" \(command)" : "srun --ntasks=1 --cpus-per-task=\(cpusPerTask) \"$WRNN\" \(command)",
            "status=$?",
            "# \(WrnnError.stopCodes.map(String.init).joined(separator: "/")): stopped by a signal after a checkpoint; requeue so that the run resumes",
            "case $status in \(WrnnError.stopCodes.map(String.init).joined(separator: "|")))",
            "    scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" ;;",
            "esac",
            "exit $status",
            ""
        ]
        return lines.joined(separator: "\n")
    }
}

/// Single-quoted for bash, except `$SLURM_ARRAY_TASK_ID`, which the shell must expand.
func shellQuoted(_ word: String) -> String {
    if word == "$SLURM_ARRAY_TASK_ID" { return "\"$SLURM_ARRAY_TASK_ID\"" }
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:+@".contains($0) }
    return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A run's cost before it runs: its training FLOPs (`trainingFlops`) at the rate `wrnn bench`
/// measured for its model kind on the development machine (2 threads, AMD EPYC Zen 3).
public struct CostEstimate: Sendable {
    public var flops: Double
    public var seconds: Double

    /// GFLOP/s from the README's benchmark table (copy, adding, sMNIST and nsCIFAR-10 rows).
    /// coRNN and LEM: `wrnn bench --configs smnist-cornn,smnist-lem` on the same machine (AMD EPYC, 2 threads).
    /// Each model's own rate (`ModelDescription.cpuGFLOPS`).
    public static var rateText: String { ModelRegistry.rateText }

    public init(config: TrainConfig) {
        let length = config.task.length
        let perStep = trainingFlops(model: config.model, length: length, batch: config.batchSize)
        let evaluations = Double(config.steps / max(config.evalEvery, 1) + 1)
        let evaluationFlops =
            evaluations * perStep / 3 * Double(config.testSize) / Double(max(config.batchSize, 1))
            * (config.task.kind.isDataSet ? 1.3 : 1) // data sets also evaluate the validation split
        flops = perStep * Double(config.steps) + evaluationFlops
        seconds = flops / (config.model.kind.model.cpuGFLOPS * 1e9)
        steps = Double(config.steps)
        parameters = Double(config.model.parameterCount)
        shards = max(1, min(config.threads, config.batchSize)) // a shard needs a row
    }

    var steps = 0.0, parameters = 0.0, shards = 1

    /// Wall time of the run over `ranks` MPI ranks (its shards split among them), as docs/cluster.md
    /// models it: the compute at the benchmark's rate, which was measured on 2 cores, spread over the
    /// shards' cores; plus per step an all-to-all of k slices of L = P / R floats to each other rank,
    /// an all-gather of the summed slices and two one-number exchanges: latency · ((R − 1) + 3 log2 R)
    /// + 4 (R − 1) L (k + 1) bytes / bandwidth (50 µs, 10 Gb/s).
    public func wallSeconds(ranks: Int, latency: Double = 50e-6, bandwidth: Double = 1.25e9) -> Double {
        guard ranks > 1 else { return seconds }
        let k = Double((shards + ranks - 1) / ranks), r = Double(ranks)
        let slice = (parameters / r).rounded(.up)
        let exchange = latency * ((r - 1) + 3 * log2(r).rounded(.up)) + 4 * (r - 1) * slice * (k + 1) / bandwidth
        return seconds * 2 / Double(shards) + steps * exchange
    }
}
