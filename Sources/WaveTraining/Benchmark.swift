import WaveKernels
import Foundation
import WaveCore
import WaveModels
import WaveTasks
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One benchmark configuration: a paper experiment's shapes at its batch size.
public struct BenchConfig: Codable, Equatable, Sendable {
    public var name: String
    public var task: TaskConfig
    public var model: ModelKind
    public var batch: Int
    /// Image tasks run on random data of their shape: [length, inputSize].
    public var randomShape: [Int]? = nil
    /// The products' number format (nil: fp32); `wrnn bench --precision`.
    public var precision: Precision? = nil

    /// The row's name: the configuration's, with ":bf16" when its products are bf16.
    public var label: String { name + (precision == .bf16 ? ":bf16" : "") }
    /// Whether its model takes `--precision`.
    public var takesPrecision: Bool { model.model.options.contains(.precision) }

    /// Every registered model's configurations, task by task (copy, adding, then the images by
    /// sequence length), in registry order within a task.
    public static var all: [BenchConfig] {
        let configs = ModelRegistry.all.flatMap { model in
            model.benchmarks.map {
                BenchConfig(name: $0.name, task: $0.task, model: model.kind, batch: $0.batch, randomShape: $0.randomShape)
            }
        }
        func rank(_ c: BenchConfig) -> Int {
            // the synthetic tasks first, shortest first, then the data sets by sequence length
            (c.task.kind.isDataSet ? 1 << 30 : 0) + (c.randomShape?.first ?? c.task.length)
        }
        return configs.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }

    /// The configurations `wrnn bench` runs when none are named: each model's defaults.
    public static var defaults: [BenchConfig] {
        let names = Set(ModelRegistry.all.flatMap { $0.benchmarks.filter(\.isDefault).map(\.name) })
        return all.filter { names.contains($0.name) }
    }

    /// Its model's kernels timed alone, or nil when the model has none to time apart.
    public var kernelBenchmark: KernelBenchmark? { model.model.kernelBenchmark(trainConfig.model) }

    public var trainConfig: TrainConfig {
        var config = Preset.train(task: task, kind: model)
        config.batchSize = batch
        config.testSize = 1
        if let shape = randomShape { config.model.inputSize = shape[1] }
        if precision == .bf16 { config.model.precision = .bf16 }
        return config
    }

    public func makeTask() -> any SequenceTask {
        if let shape = randomShape { return RandomClassificationTask(length: shape[0], inputSize: shape[1], classes: 10) }
        return task.makeTask()
    }
}

public struct BenchResult: Codable, Sendable {
    public var name: String
    public var secondsPerIteration: Double
    public var minSecondsPerIteration: Double
    public var gflops: Double
    public var flopsPerIteration: Double
    public var peakMemoryBytes: Int
    public var workspaceBytes: Int
    public var parameters: Int
    public var threads: Int
    /// gflops as a percentage of the same run's sgemm peak (filled in by `wrnn bench`).
    public var percentOfPeak: Double?
    /// Over MPI: the ranks (threads is then per rank), and the share of the timed iterations spent in exchanges.
    public var ranks: Int? = nil
    public var communicationShare: Double? = nil
    /// A bf16 row's products: "AVX512-BF16 kernels", "oneDNN brg:avx512_core_amx_bf16 (AMX)", ...
    public var bf16Products: String? = nil

    enum CodingKeys: String, CodingKey {
        case name, gflops, threads, parameters, ranks, percentOfPeak = "percent_of_peak", communicationShare = "communication_share"
        case bf16Products = "bf16_products"
        case secondsPerIteration = "seconds_per_iteration", minSecondsPerIteration = "min_seconds_per_iteration"
        case flopsPerIteration = "flops_per_iteration", peakMemoryBytes = "peak_memory_bytes", workspaceBytes = "workspace_bytes"
    }

    /// The configuration's name without its precision (":bf16"): the Python twins' row.
    public var configurationName: String { String(name.split(separator: ":").first ?? Substring(name)) }

    public var tableRow: String {
        padded(name, 20)
            + String(
                format: "%9.4f s/iter (min %.4f)  %7.1f GFLOP/s  peak RSS %7.1f MB  workspace %7.1f MB  ",
                secondsPerIteration, minSecondsPerIteration, gflops,
                Double(peakMemoryBytes) / 1e6, Double(workspaceBytes) / 1e6) + grouped(parameters) + " params"
            + (ranks.map { r in "  \(r) ranks x \(threads), " + String(format: "%.0f%% in exchanges", 100 * (communicationShare ?? 0)) }
                ?? "")
    }
}

public struct BenchReport: Codable, Sendable {
    public var threads: Int
    public var blasCore: String
    public var cpu: String?
    /// The instruction set wrnn's own kernels were compiled for.
    public var build: String?
    /// This machine's single-precision peak as a large OpenBLAS sgemm reaches it (same threads).
    public var sgemmPeakGflops: Double?
    public var results: [BenchResult]
    public var torch: [TorchResult]?
    /// The convolution kernels that ran: "avx512" (chosen at run time) or "portable".
    public var kernelPath: String?
    /// How OpenBLAS's kernels were chosen, when the environment pinned them.
    public var blasNote: String?
    public init(
        threads: Int, blasCore: String, cpu: String?, build: String?, sgemmPeakGflops: Double?, results: [BenchResult],
        torch: [TorchResult]?
    ) {
        self.threads = threads; self.blasCore = blasCore; self.cpu = cpu; self.build = build; self.sgemmPeakGflops = sgemmPeakGflops
        self.results = results; self.torch = torch
    }
    enum CodingKeys: String, CodingKey {
        case threads, results, torch, cpu, build, blasCore = "blas_core", sgemmPeakGflops = "sgemm_peak_gflops"
        case kernelPath = "kernel_path", blasNote = "blas_note"
    }
}

/// The machine's attainable single-precision rate: the best of several 2048^3 OpenBLAS sgemms on
/// `threads` threads, in this process (BLAS then goes back to one thread per shard).
public func measureSgemmPeak(threads: Int, size: Int = 2048, repeats: Int = 4) -> Double {
    let a = Buffer<Float>(zeros: size * size), b = Buffer<Float>(zeros: size * size), c = Buffer<Float>(zeros: size * size)
    for i in 0..<(size * size) { a[i] = Float(i % 7) * 0.25 - 0.75; b[i] = Float(i % 5) * 0.2 - 0.4 }
    BLASThreads.set(threads)
    defer { BLASThreads.set(1) }
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        sgemm(
            c.pointer, ldc: size, UnsafePointer(a.pointer), lda: size, .none, UnsafePointer(b.pointer), ldb: size, .none,
            m: size, n: size, k: size)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return 2 * pow(Double(size), 3) / best / 1e9
}

/// "AMD EPYC ... (avx2, avx512f)" from /proc/cpuinfo, or nil elsewhere.
public var cpuDescription: String? {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
    let lines = text.split(separator: "\n")
    let model = lines.first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
    let flags = Set(lines.first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
    let isa = ["avx2", "fma", "avx512f", "avx512bw", "avx512_bf16", "amx_tile"].filter { flags.contains($0) }
    return "\(model ?? "unknown CPU") (\(isa.joined(separator: ", ")))"
}

/// What scripts/torch_bench.py reports for one configuration.
public struct TorchResult: Codable, Sendable {
    public var name: String
    /// The PyTorch module timed (the script asserts it is the row's model).
    public var module: String?
    /// As PyTorch ships (subnormals kept).
    public var secondsPerIteration: Double
    public var peakMemoryBytes: Int
    /// With torch.set_flush_denormal(True), wrnn's default.
    public var secondsPerIterationFlushDenormal: Double?
    public var torchVersion: String
    /// The stronger formulations (`--python`): torch.compile of the cell and JAX (jit + scan) of the
    /// whole step, each with its compilation time (not in the step time) and its peak memory.
    public var secondsPerIterationCompiled: Double?
    public var compileSecondsCompiled: Double?
    public var peakMemoryBytesCompiled: Int?
    public var secondsPerIterationJAX: Double?
    public var compileSecondsJAX: Double?
    public var peakMemoryBytesJAX: Int?
    public var jaxVersion: String?
    /// The eager models under `torch.autocast("cpu", dtype=torch.bfloat16)` (flush_denormal on).
    public var secondsPerIterationAutocast: Double?
    public var peakMemoryBytesAutocast: Int?
    enum CodingKeys: String, CodingKey {
        case name, module, secondsPerIteration = "seconds_per_iteration", peakMemoryBytes = "peak_memory_bytes"
        case secondsPerIterationFlushDenormal = "seconds_per_iteration_flush_denormal"
        case torchVersion = "torch_version"
        case secondsPerIterationCompiled = "seconds_per_iteration_compiled", compileSecondsCompiled = "compile_seconds_compiled"
        case peakMemoryBytesCompiled = "peak_memory_bytes_compiled", secondsPerIterationJAX = "seconds_per_iteration_jax"
        case compileSecondsJAX = "compile_seconds_jax", peakMemoryBytesJAX = "peak_memory_bytes_jax", jaxVersion = "jax_version"
        case secondsPerIterationAutocast = "seconds_per_iteration_autocast", peakMemoryBytesAutocast = "peak_memory_bytes_autocast"
    }

    /// The fastest Python formulation timed: its name, seconds per iteration and peak memory.
    public var best: (name: String, seconds: Double, bytes: Int) {
        var candidates: [(String, Double, Int)] = [("eager", secondsPerIteration, peakMemoryBytes)]
        if let s = secondsPerIterationFlushDenormal { candidates.append(("eager+flush", s, peakMemoryBytes)) }
        if let s = secondsPerIterationCompiled { candidates.append(("compiled", s, peakMemoryBytesCompiled ?? 0)) }
        if let s = secondsPerIterationJAX { candidates.append(("JAX", s, peakMemoryBytesJAX ?? 0)) }
        if let s = secondsPerIterationAutocast { candidates.append(("bf16 autocast", s, peakMemoryBytesAutocast ?? 0)) }
        let fastest = candidates.min { $0.1 < $1.1 }!
        return (fastest.0, fastest.1, fastest.2)
    }
}

public enum BLASCore { public static var name: String { BLASThreads.coreName } }

/// Multiply-add FLOPs of one training iteration, counting only products that run: the forward
/// pass's (recurrence, encoder, readout), and in the backward twice those of the recurrence and
/// readout (input and weight gradients) but once the encoder's (its weight gradient: x_t is data,
/// so no gradient flows into it, here or in PyTorch). A frozen u/U or V (`--freeze-u`,
/// `--freeze-v`) drops its weight gradient.
public func trainingFlops(model: ModelConfig, length: Int, batch: Int) -> Double {
    let n = Double(model.units), out = Double(model.outputSize)
    let readoutSteps = Double(model.readoutTiming == .every ? length : 1)
    let h = Double(model.mlpHidden)
    let readout = model.readout == .linear ? 2 * n * out : 2 * n * h + 2 * h * out
    if !model.kind.isRecurrent { // fc: the readout on the flattened sequence, once
        return 3 * Double(batch) * readout
    }
    let input = model.cellInputFlopsPerStep, recurrence = model.cellFlopsPerStep - input
    let cellBackward = (model.freezeRecurrent ? 1 : 2) * recurrence + (model.freezeEncoder ? 0 : 1) * input
    return Double(batch) * (Double(length) * (model.cellFlopsPerStep + cellBackward) + 3 * readoutSteps * readout)
}

/// Peak resident memory of this process so far.
public func peakResidentBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    #if os(Linux)
    return Int(usage.ru_maxrss) * 1024
    #else
    return Int(usage.ru_maxrss)
    #endif
}

/// Times training iterations on one fixed batch: at least `warmup` untimed ones and a quarter
/// second of them, then at least `iterations` timed ones and a second of them (rows of a few
/// milliseconds were otherwise timed while the cores were still waking up, at half speed).
public func runBenchmark(
    _ bench: BenchConfig, iterations: Int, warmup: Int, threads: Int, seed: UInt64,
    keepDenormals: Bool = false
) -> BenchResult {
    var config = bench.trainConfig
    let group = Processes.group
    config.threads = threads * group.size // over MPI: threads per rank, shards over all ranks
    if keepDenormals { config.keepDenormals = true }
    config.seed = seed
    let trainer = Trainer(config: config, task: bench.makeTask())
    let batch = trainer.task.makeBatch(count: bench.batch)
    var stream = RandomStream(seed: seed, stream: 1)
    trainer.task.fill(batch, rng: &stream)
    // over MPI every rank must run the same iterations: rank 0's clock decides (the ranks' flags' maximum)
    func agree(_ more: Bool) -> Bool { group.size > 1 ? group.maximum(more && group.isLead ? 1 : 0) == 1 : more }
    let began = DispatchTime.now().uptimeNanoseconds
    var warmed = 0
    while agree(warmed < warmup || Double(DispatchTime.now().uptimeNanoseconds - began) * 1e-9 < 0.25) {
        _ = trainer.optimise(on: batch)
        warmed += 1
    }
    var times: [Double] = []
    var communication = 0.0
    while agree(times.count < iterations || times.reduce(0, +) < 1) {
        let start = DispatchTime.now().uptimeNanoseconds, exchanged = group.communicationSeconds
        _ = trainer.optimise(on: batch)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        communication += group.communicationSeconds - exchanged
    }
    let sorted = times.sorted()
    let median = sorted[sorted.count / 2]
    let flops = trainingFlops(model: config.model, length: trainer.task.length, batch: bench.batch)
    return BenchResult(
        name: bench.label, secondsPerIteration: median, minSecondsPerIteration: sorted[0],
        gflops: flops / median / 1e9, flopsPerIteration: flops, peakMemoryBytes: peakResidentBytes(),
        workspaceBytes: trainer.workspaceBytes, parameters: trainer.params.count, threads: threads,
        ranks: group.size > 1 ? group.size : nil, communicationShare: group.size > 1 ? communication / times.reduce(0, +) : nil,
        bf16Products: config.model.precision == .bf16 ? config.model.kind.model.bf16Engine.products : nil)
}

extension BenchConfig {
    /// "copy-wrnn,adding-irnn" or "all" -> the configurations, in that order; an unknown name is refused.
    /// `select(text)` at each of `precisions` its model takes: fp32 for every configuration, bf16
    /// for those whose model takes `--precision` (at least one must, when bf16 is asked for).
    public static func select(_ text: String, precisions: [Precision]) throws -> [BenchConfig] {
        let configs = try select(text)
        if precisions.contains(.bf16) {
            guard configs.contains(where: \.takesPrecision) else {
                throw WrnnError.usage(
                    "--precision bf16 applies to configurations of --model \(ModelRegistry.list(ModelRegistry.models(accepting: .precision))) only; name one (e.g. \(all.first(where: \.takesPrecision)?.name ?? "?"))"
                )
            }
            // every bf16 row's products must run here (the first that cannot is refused)
            if let missing = configs.first(where: { $0.takesPrecision && !$0.model.model.bf16Engine.available }) {
                throw WrnnError.usage(missing.model.model.bf16Engine.refusal)
            }
        }
        return configs.flatMap { config in
            precisions.filter { $0 == .fp32 || config.takesPrecision }.map { precision in
                var config = config
                config.precision = precision == .bf16 ? .bf16 : nil
                return config
            }
        }
    }

    public static func select(_ text: String) throws -> [BenchConfig] {
        if text == "all" { return all }
        return try text.split(separator: ",").map { name in
            guard let config = all.first(where: { $0.name == name.trimmingCharacters(in: .whitespaces) }) else {
                throw WrnnError.usage(
                    "--configs: unknown configuration '\(name)'; choose from \(all.map(\.name).joined(separator: ", "))")
            }
            return config
        }
    }

    /// Runs this configuration in a child `wrnn bench` process, so that its peak memory is its own.
    public func runInChildProcess(iterations: Int, warmup: Int, threads: Int, seed: UInt64, keepDenormals: Bool) throws -> BenchResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        #if !os(Linux)
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        #endif
        process.arguments =
            [
                "bench", "--configs", name, "--batch-size", String(batch), "--iterations", String(iterations), "--warmup", String(warmup),
                "--threads", String(threads), "--seed", String(seed), "--json"
            ] + (keepDenormals ? ["--keep-denormals"] : []) + (precision.map { ["--precision", $0.rawValue] } ?? [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readToEndSafely()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let report = try? WrnnJSON.decoder().decode(BenchReport.self, from: data), let result = report.results.first
        else {
            throw WrnnError.io("bench: the run of \(label) failed (exit \(process.terminationStatus))")
        }
        return result
    }
}

/// For each bf16 row with an fp32 row of the same configuration: how much faster its training steps ran.
public func precisionSpeedups(_ results: [BenchResult]) -> [String] {
    results.filter { $0.name.hasSuffix(":bf16") }.compactMap { bf16 in
        guard let fp32 = results.first(where: { $0.name == bf16.configurationName }) else { return nil }
        let speedup = fp32.secondsPerIteration / bf16.secondsPerIteration
        let path = bf16.bf16Products ?? "?"
        // never slower unannounced: a row bf16 does not speed up says so
        let verdict = speedup < 1 ? "; no faster than fp32 on this CPU: --precision bf16 brings no speed here" : ""
        return padded(bf16.name, 20)
            + String(
                format: "bf16 products (%@): %.2fx the fp32 steps' speed (%.4f vs %.4f s/iter)%@", path, speedup,
                bf16.secondsPerIteration, fp32.secondsPerIteration, verdict)
    }
}

/// The benchmark's first line: the CPU, the kernel paths, BLAS's kernels and the sgemm peak they set.
public func benchHeader(peak: Double, threads: Int) -> String {
    "CPU: \(cpuDescription ?? "unknown"); kernels: \(BuildTarget.description), \(KernelPath.current.description); OpenBLAS \(BLASCore.name) kernels\(BLASSetup.environmentNote.map { " (\($0))" } ?? ""); \(threads) thread\(threads == 1 ? "" : "s")\(Processes.group.size > 1 ? " x \(Processes.group.size) ranks" : ""); sgemm peak \(String(format: "%.1f", peak)) GFLOP/s (2048^3, in this process\(Processes.group.size > 1 ? ", times the ranks" : ""))"
}

extension BenchConfig {
    /// Times this configuration here, or in a child process so that its peak memory is its own.
    public func bench(iterations: Int, warmup: Int, threads: Int, seed: UInt64, keepDenormals: Bool, inProcess: Bool) throws -> BenchResult
    {
        guard inProcess else {
            return try runInChildProcess(iterations: iterations, warmup: warmup, threads: threads, seed: seed, keepDenormals: keepDenormals)
        }
        return runBenchmark(self, iterations: iterations, warmup: warmup, threads: threads, seed: seed, keepDenormals: keepDenormals)
    }
}

extension BenchReport {
    /// This machine's report of `results` (each with its share of `peak`) and the Python columns.
    public init(_ results: [BenchResult], peak: Double, threads: Int, python: [TorchResult]?) {
        var rows = results
        for k in rows.indices { rows[k].percentOfPeak = 100 * rows[k].gflops / peak }
        self.init(
            threads: threads, blasCore: BLASCore.name, cpu: cpuDescription, build: BuildTarget.description, sgemmPeakGflops: peak,
            results: rows, torch: python)
        kernelPath = KernelPath.current.rawValue
        blasNote = BLASSetup.environmentNote
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
