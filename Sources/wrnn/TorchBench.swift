import WaveCore
import ArgumentParser
import Foundation
import WaveTraining

/// Finds scripts/torch_bench.py: $WRNN_ROOT, then up from the executable, then up from the
/// working directory.
func locateScript(_ relative: String) -> String? {
    var roots: [URL] = []
    if let root = ProcessInfo.processInfo.environment["WRNN_ROOT"] { roots.append(URL(fileURLWithPath: root)) }
    roots.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
    roots.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    for root in roots {
        var dir = root
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
    }
    return nil
}

func runTorchBench(configs: [BenchConfig], iterations: Int, warmup: Int, threads: Int, fast: Bool = false) throws -> [String: TorchResult] {
    guard let script = locateScript("scripts/torch_bench.py") else {
        throw WrnnError.missing("--torch: scripts/torch_bench.py not found; run from the repository or set WRNN_ROOT")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
        [
            "python3", script, "--json", "--configs", Array(Set(configs.map(\.name))).sorted().joined(separator: ","),
            "--iterations", String(iterations), "--warmup", String(warmup), "--threads", String(threads)
        ] + (fast ? ["--fast"] : [])
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readToEndSafely()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw WrnnError.missing(
            "--torch: scripts/torch_bench.py failed (exit \(process.terminationStatus)); is PyTorch installed? pip install torch")
    }
    let results = try WrnnJSON.decoder().decode([TorchResult].self, from: data)
    return Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0) })
}

/// Both PyTorch columns (as shipped, and with flush_denormal like wrnn's default) beside ours.
func sideBySide(_ ours: [BenchResult], _ torch: [String: TorchResult], peak: Double) -> String {
    let version = torch.values.first?.torchVersion ?? "?"
    func cell(_ value: Double?, _ format: String, _ width: Int) -> String {
        padded(value.map { String(format: format, $0) } ?? "-", width, right: true)
    }
    var lines = [
        "PyTorch \(version); speed-up = PyTorch s/iter / wrnn s/iter",
        padded("config", 17) + "  wrnn s/iter  GFLOP/s  % peak  peak MB  torch s/iter  +flush s/iter  torch MB  speed-up  vs +flush  module"
    ]
    for r in ours {
        let t = torch[r.configurationName]
        lines.append(
            padded(r.name, 17)
                + cell(r.secondsPerIteration, "%.4f", 13)
                + cell(r.gflops, "%.1f", 9)
                + cell(100 * r.gflops / peak, "%.0f%%", 8)
                + cell(Double(r.peakMemoryBytes) / 1e6, "%.0f", 9)
                + cell(t?.secondsPerIteration, "%.4f", 14)
                + cell(t?.secondsPerIterationFlushDenormal, "%.4f", 15)
                + cell(t.map { Double($0.peakMemoryBytes) / 1e6 }, "%.0f", 10)
                + cell(t.map { $0.secondsPerIteration / r.secondsPerIteration }, "%.1fx", 10)
                + cell(t?.secondsPerIterationFlushDenormal.map { $0 / r.secondsPerIteration }, "%.1fx", 11)
                + "  " + (t?.module ?? "-"))
    }
    return lines.joined(separator: "\n")
}

/// `--python`: every Python column (eager, eager under bf16 autocast, torch.compile, JAX) beside ours, the best of them, and the
/// speed-up and memory against that best.
func sideBySideFast(_ ours: [BenchResult], _ python: [String: TorchResult], peak: Double) -> String {
    let torch = python.values.first?.torchVersion ?? "?", jax = python.values.compactMap(\.jaxVersion).first ?? "JAX not run"
    func cell(_ value: Double?, _ format: String, _ width: Int) -> String {
        padded(value.map { String(format: format, $0) } ?? "-", width, right: true)
    }
    var lines = [
        "PyTorch \(torch), \(jax); s/iter of whole training steps, compile times apart; speed-up = best Python s/iter / wrnn s/iter",
        padded("config", 17)
            + "  wrnn s/iter  % peak  wrnn MB   eager  +flush  bf16 autocast  compiled (compile s)  JAX (compile s)  best           best MB  speed-up"
    ]
    for r in ours {
        guard let t = python[r.configurationName] else {
            lines.append(padded(r.name, 17) + cell(r.secondsPerIteration, "%.4f", 13) + "  (no Python result)")
            continue
        }
        let best = t.best
        lines.append(
            padded(r.name, 17) + cell(r.secondsPerIteration, "%.4f", 13) + cell(100 * r.gflops / peak, "%.0f%%", 8)
                + cell(Double(r.peakMemoryBytes) / 1e6, "%.0f", 9)
                + cell(t.secondsPerIteration, "%.4f", 8) + cell(t.secondsPerIterationFlushDenormal, "%.4f", 8)
                + cell(t.secondsPerIterationAutocast, "%.4f", 15)
                + cell(t.secondsPerIterationCompiled, "%.4f", 10) + cell(t.compileSecondsCompiled, "(%.1f)", 12)
                + cell(t.secondsPerIterationJAX, "%.4f", 7) + cell(t.compileSecondsJAX, "(%.1f)", 10)
                + "  " + padded(best.name, 13) + cell(Double(best.bytes) / 1e6, "%.0f", 9)
                + cell(best.seconds / r.secondsPerIteration, "%.1fx", 10))
    }
    return lines.joined(separator: "\n")
}
