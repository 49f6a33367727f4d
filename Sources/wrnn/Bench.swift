import WaveKernels
import WaveCore
import ArgumentParser
import Foundation
import WaveModels
import WaveTraining

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time whole training iterations (forward, backward, clip, Adam) for the paper's configurations.")

    @Option(help: "Comma-separated configurations: \(BenchConfig.all.map(\.name).joined(separator: ", ")), or all.")
    var configs: String = BenchConfig.defaults.map(\.name).joined(separator: ",")
    @Option(parsing: .unconditional, help: "Timed iterations per configuration (at least: shorter rows repeat until a second is timed).")
    var iterations: Int = 5
    @Option(parsing: .unconditional, help: "Untimed warm-up iterations (at least: and a quarter second of them).")
    var warmup: Int = 1
    @Option(parsing: .unconditional, help: "Threads (batch shards). Default: all cores.")
    var threads: Int?
    @Option(parsing: .unconditional, help: "Sequences per iteration instead of each configuration's own (e.g. one shard's size).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Seed for weights and data.")
    var seed: UInt64 = 0
    @Flag(help: "Keep subnormal floats (default: flushed to zero on every computing thread).")
    var keepDenormals = false
    @Flag(help: "Print JSON instead of a table.")
    var json = false
    @OptionGroup(title: "What to compare") var modes: BenchModes

    var selected: [BenchConfig] {
        get throws {
            do {
                return try BenchConfig.select(configs, precisions: modes.precisions).map { config in
                    var config = config
                    if let batchSize { config.batch = batchSize }
                    return config
                }
            } catch let error as WrnnError { throw ValidationError(error.message) }
        }
    }

    func validate() throws {
        _ = try selected
        if modes.kernels, try !selected.contains(where: { $0.kernelBenchmark != nil }) {
            let timed = BenchConfig.all.filter { $0.kernelBenchmark != nil }.map(\.name)
            throw ValidationError("--kernels times kernels alone; name a configuration that has some (\(timed.joined(separator: ", ")))")
        }
        try requirePositive(iterations, "--iterations")
        try requirePositive(batchSize, "--batch-size")
        if warmup < 0 { throw ValidationError("--warmup must be a non-negative integer (got \(warmup))") }
        try requirePositive(threads, "--threads")
    }

    func run() throws {
        let threadCount = threads ?? Preset.defaultThreads
        // over MPI every rank measures its own cores; the group's peak is the ranks' sum
        let peak = measureSgemmPeak(threads: threadCount) * Double(Processes.group.size)
        let lead = Processes.group.isLead
        if !json && lead { print(benchHeader(peak: peak, threads: threadCount)) }
        if modes.kernels { return try runKernels(peak: peak, threads: threadCount) }
        var results: [BenchResult] = []
        let configs = try selected
        for config in configs {
            // several configurations: each in its own process, so peak memory is its own
            // over MPI every rank runs every configuration in-process
            let inProcess = configs.count == 1 || Processes.group.size > 1
            let result = try config.bench(
                iterations: iterations, warmup: warmup, threads: threadCount, seed: seed, keepDenormals: keepDenormals, inProcess: inProcess
            )
            results.append(result)
            if !json && !modes.torch && !modes.python && lead {
                print(result.tableRow + String(format: "  %.0f%% of peak", 100 * result.gflops / peak))
            }
        }
        var torchResults: [String: TorchResult] = [:]
        if modes.torch || modes.python {
            torchResults = try runTorchBench(
                configs: try selected, iterations: iterations, warmup: warmup, threads: threadCount, fast: modes.python)
        }
        if json && lead {
            let pythonResults = modes.torch || modes.python ? Array(torchResults.values).sorted { $0.name < $1.name } : nil
            print(try BenchReport(results, peak: peak, threads: threadCount, python: pythonResults).json())
        } else if modes.python {
            print(sideBySideFast(results, torchResults, peak: peak))
        } else if modes.torch {
            print(sideBySide(results, torchResults, peak: peak))
        }
        if !json && lead { for line in precisionSpeedups(results) { print(line) } }
    }
}

extension Bench {
    func runKernels(peak: Double, threads: Int) throws {
        let rows = try selected.flatMap { config in
            (config.kernelBenchmark?(config.name, config.batch, threads, seed) ?? []).map { row in
                var row = row
                row.percentOfPeak = 100 * row.gflops / peak
                if !json { print(row.tableRow) }
                return row
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        }
    }
}

/// Whole training iterations against PyTorch (--torch) or every Python formulation (--python), or
/// the kernels alone (--kernels).
struct BenchModes: ParsableArguments {
    @Flag(help: "Also run scripts/torch_bench.py on the same configurations and print both side by side.")
    var torch = false
    @Flag(
        help:
            "Like --torch, with the stronger Python formulations too: the eager models under bf16 autocast, torch.compile and JAX (scripts/python_twins.py; pip install torch \"jax[cpu]\"), compile times apart, and the best of them."
    )
    var python = false
    @Flag(
        help:
            "Time the wRNN configurations' three convolution kernels alone (forward, input gradient, weight gradient) instead of training iterations."
    )
    var kernels = false
    @Option(
        help:
            "Comma-separated number formats: fp32, bf16. Each configuration runs in each its model takes (bf16: the wRNN's convolution and the recurrent models' products, on CPUs with AVX512-BF16 or AMX), and the bf16 rows show their speed-up over fp32. Default fp32."
    )
    var precision = "fp32"

    var precisions: [Precision] {
        get throws {
            try precision.split(separator: ",").map { text in
                guard let value = Precision(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--precision: unknown number format '\(text)'; choose fp32 or bf16, comma-separated")
                }
                return value
            }
        }
    }

    func validate() throws {
        _ = try precisions
        if kernels, try precisions != [.fp32] {
            throw ValidationError("--kernels times the fp32 kernels; drop --precision (the training rows show bf16's speed-up)")
        }
        if kernels && (torch || python) {
            throw ValidationError("--kernels times wrnn's kernels alone; --torch compares whole training iterations: give one of them")
        }
        if Processes.group.size > 1, torch || python || kernels {
            throw ValidationError(
                "under mpirun or srun, wrnn bench times whole training iterations over the ranks; drop --torch and --kernels")
        }
    }
}
