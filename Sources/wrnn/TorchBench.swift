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

func runTorchBench(configs: [BenchConfig], iterations: Int, warmup: Int, threads: Int) throws -> [String: TorchResult] {
    guard let script = locateScript("scripts/torch_bench.py") else {
        throw WrnnError.missing("--torch: scripts/torch_bench.py not found; run from the repository or set WRNN_ROOT")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, "--json", "--configs", configs.map(\.name).joined(separator: ","),
                         "--iterations", String(iterations), "--warmup", String(warmup), "--threads", String(threads)]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw WrnnError.missing("--torch: scripts/torch_bench.py failed (exit \(process.terminationStatus)); is PyTorch installed? pip install torch")
    }
    let results = try JSONDecoder().decode([TorchResult].self, from: data)
    return Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0) })
}

func sideBySide(_ ours: [BenchResult], _ torch: [String: TorchResult]) -> String {
    let version = torch.values.first?.torchVersion ?? "?"
    var lines = [padded("config", 13) + "  wrnn s/iter  GFLOP/s  peak MB    torch \(version) s/iter  peak MB  speed-up"]
    for r in ours {
        let t = torch[r.name]
        lines.append(padded(r.name, 13)
                     + padded(String(format: "%.4f", r.secondsPerIteration), 13, right: true)
                     + padded(String(format: "%.1f", r.gflops), 9, right: true)
                     + padded(String(format: "%.0f", Double(r.peakMemoryBytes) / 1e6), 9, right: true)
                     + padded(t.map { String(format: "%.4f", $0.secondsPerIteration) } ?? "-", 15 + version.count, right: true)
                     + padded(t.map { String(format: "%.0f", Double($0.peakMemoryBytes) / 1e6) } ?? "-", 9, right: true)
                     + padded(t.map { String(format: "%.1fx", $0.secondsPerIteration / r.secondsPerIteration) } ?? "-", 10, right: true))
    }
    return lines.joined(separator: "\n")
}
