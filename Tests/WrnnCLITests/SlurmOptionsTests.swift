import Foundation
import XCTest

/// The job array's resource lines, and --slurm where Slurm is not: refused before the sweep
/// directory exists.
final class SlurmOptionsTests: XCTestCase {
    let grid =
        "parameters:\n  task: {value: copy}\n  T: {value: 3}\n  hidden-size: {value: 8}\n  channels: {value: 2}\n  steps: {value: 4}\n"

    func testAccountQosMemoryAndGresReachTheScript() throws {
        let cwd = scratchDirectory()
        try grid.write(toFile: cwd + "/g.yml", atomically: true, encoding: .utf8)
        let dry = try wrnn(
            ["sweep", "g.yml", "--slurm", "--dry-run", "--account", "lab-1", "--qos", "long", "--mem", "8G", "--gres", "gpu:1"], in: cwd)
        XCTAssertEqual(dry.status, 0, dry.stderr)
        for line in ["#SBATCH --account=lab-1\n", "#SBATCH --qos=long\n", "#SBATCH --mem=8G\n", "#SBATCH --gres=gpu:1\n"] {
            XCTAssertTrue(dry.stdout.contains(line), line)
        }
        let injected = try wrnn(["sweep", "g.yml", "--slurm", "--dry-run", "--account", "a\nrm -rf /"], in: cwd)
        XCTAssertEqual(injected.status, 64)
        XCTAssertTrue(injected.stderr.contains("--account 'a"), injected.stderr)
        let notSlurm = try wrnn(["sweep", "g.yml", "--mem", "8G"], in: cwd)
        XCTAssertEqual(notSlurm.status, 64)
        XCTAssertEqual(
            notSlurm.stderr,
            "wrnn: error: --partition, --time, --cpus-per-task, --max-parallel, --account, --qos, --mem and --gres apply to --slurm only\n")
    }

    func testSlurmWithoutSbatchLeavesNoSweepDirectory() throws {
        let cwd = scratchDirectory()
        try grid.write(toFile: cwd + "/g.yml", atomically: true, encoding: .utf8)
        let result = try wrnn(["sweep", "g.yml", "--slurm", "--out", "sw"], in: cwd, environment: ["PATH": "/nonexistent"])
        XCTAssertEqual(result.status, 69)
        XCTAssertEqual(
            result.stderr,
            "wrnn: error: --slurm: sbatch is not on PATH here; submit from a Slurm login node, or run the grid here without --slurm\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: cwd + "/sw"), "no sweep directory is left behind")
    }
}
