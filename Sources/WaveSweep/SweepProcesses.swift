import Foundation
import WaveCore
import WaveTraining
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--jobs N`: N worker processes of this binary on the same plan, sharing it through the claims;
/// each writes its output to SWEEP_DIR/logs/worker-K.log. A stop signal is forwarded to every worker.
public struct SweepWorkers {
    public var directory: SweepDirectory
    public var plan: SweepPlan
    public var jobs: Int
    /// The arguments that make the same plan in another process (the workers add --worker).
    public var arguments: [String]

    public init(directory: SweepDirectory, plan: SweepPlan, jobs: Int, arguments: [String]) {
        self.directory = directory; self.plan = plan; self.jobs = jobs; self.arguments = arguments
    }

    public func run(threads: Int) throws {
        print(
            "sweep \(plan.name): \(plan.runs.count) runs, \(jobs) jobs x \(threads) thread\(threads == 1 ? "" : "s"); logs in \(directory.path)/logs"
        )
        var workers: [Process] = []
        for k in 0..<jobs {
            let log = directory.path + "/logs/worker-\(k).log"
            let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o644) // a restarted sweep keeps the earlier logs
            guard fd >= 0 else { throw WrnnError.io("cannot open \(log): \(String(cString: strerror(errno)))") }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            process.arguments = arguments + ["--worker", "--jobs", String(jobs)]
            process.standardOutput = handle
            process.standardError = handle
            do { try process.run() } catch { throw WrnnError.io("cannot start a sweep worker: \(error.localizedDescription)") }
            workers.append(process)
        }
        let interactive = isatty(STDOUT_FILENO) == 1
        var forwarded = false
        while workers.contains(where: \.isRunning) {
            if StopRequest.signal != 0, !forwarded {
                for w in workers where w.isRunning { kill(w.processIdentifier, StopRequest.signal) }
                forwarded = true
            }
            if interactive { writeStandard(("\r\u{1B}[2K" + directory.progressLine(plan, jobs: jobs))) }
            usleep(500_000)
        }
        if interactive { writeStandard("\r\u{1B}[2K") }
        if StopRequest.signal != 0 {
            throw WrnnError(
                "stopped by signal \(StopRequest.signal); runs checkpointed, run the same command again to continue",
                exitCode: 128 + StopRequest.signal)
        }
        print(try directory.statusText())
        if let failed = workers.first(where: { $0.terminationStatus != 0 }) {
            throw WrnnError(
                "a sweep worker exited with code \(failed.terminationStatus); see \(directory.path)/logs; runs that could not run stay pending",
                exitCode: failed.terminationStatus)
        }
    }
}

/// `--slurm`: writes SWEEP_DIR/sweep.sbatch and submits it with sbatch; returns the job id.
public enum SlurmSubmission {
    public static func submit(_ script: String, plan: SweepPlan, directory: SweepDirectory) throws -> String {
        let scriptPath = directory.path + "/sweep.sbatch"
        try writeAtomically(Array(script.utf8), to: scriptPath)
        let sbatch = Process()
        sbatch.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sbatch.arguments = ["sbatch", "--parsable", scriptPath]
        let pipe = Pipe(), errors = Pipe()
        sbatch.standardOutput = pipe
        sbatch.standardError = errors
        do { try sbatch.run() } catch {
            throw WrnnError.missing("cannot run sbatch: \(error.localizedDescription); is Slurm installed here?")
        }
        let output = String(decoding: pipe.fileHandleForReading.readToEndSafely(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readToEndSafely(), as: UTF8.self)
        sbatch.waitUntilExit()
        guard sbatch.terminationStatus == 0 else {
            let line = errorText.split(separator: "\n").first.map(String.init) ?? "exit \(sbatch.terminationStatus)"
            throw WrnnError("sbatch refused the job array: \(line)", exitCode: 69)
        }
        let jobID = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? output
        directory.event("submitted", detail: "slurm job \(jobID), \(plan.runs.count) array tasks")
        return jobID
    }
}
