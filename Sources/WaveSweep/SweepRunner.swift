import Foundation
import WaveCore
import WaveTraining

/// One sweep process's work on a plan: each run is claimed (so no two processes run it), skipped
/// when done or failed, resumed from its checkpoint or started, then marked done, or failed when it
/// diverged (exit 3). Any other error (missing data, a disk error) is not a result: the run stays
/// pending for the next sweep. A stop signal checkpoints and ends the walk.
public struct SweepRunner {
    public enum Outcome: Equatable { case finished, failed, skippedDone, skippedFailed, busy, invalid, error(code: Int32, message: String) }

    /// Run again what diverged before (its directory is removed first).
    public var retryFailed: Bool
    /// Print each invalid point when it is reached (a single --run-index); a whole sweep lists them with its plan.
    public var announceInvalid: Bool
    /// An error's exit code and one-line message, as the command reports them.
    public var describe: (Error) -> (code: Int32, message: String)
    /// Where the per-run lines go.
    public var log: (String) -> Void = { print($0) }
    /// Runs `wrnn train` with these arguments in other processes (one run over MPI ranks: srun or
    /// mpirun); nil runs it in this process. It throws what the training would (exit 3, 143, ...).
    public var launch: (([String]) throws -> Void)?

    public init(retryFailed: Bool, announceInvalid: Bool, describe: @escaping (Error) -> (code: Int32, message: String)) {
        self.retryFailed = retryFailed
        self.announceInvalid = announceInvalid
        self.describe = describe
    }

    /// Runs one planned run if nobody else is and it is not finished.
    @discardableResult
    public func execute(_ run: PlannedRun, in directory: SweepDirectory, total: Int) throws -> Outcome {
        let label = "[\(run.index + 1)/\(total)] \(run.id)"
        if let reason = run.invalid {
            if announceInvalid { log("\(label): invalid: \(reason)") }
            return .invalid
        }
        guard let claim = try directory.claim(run.id) else { return .busy }
        defer { withExtendedLifetime(claim) {} }
        if directory.isDone(run.id) { return .skippedDone }
        let path = directory.runPath(run.id)
        if directory.failure(run.id) != nil {
            guard retryFailed else { return .skippedFailed }
            try? FileManager.default.removeItem(atPath: path)
            directory.event("retry", run: run)
        }
        do {
            if directory.hasCheckpoint(run.id) {
                log("\(label): resuming")
                directory.event("resume", run: run)
                if let launch { try launch(["--resume", path, "--quiet"]) } else { _ = try TrainSession.resume(path, quiet: true) }
            } else {
                // a run stopped before its first checkpoint starts again from scratch
                if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
                log("\(label): start")
                directory.event("start", run: run)
                if let launch {
                    try launch(run.arguments + ["--out", path, "--quiet"])
                } else {
                    _ = try TrainSession.start(run.config!, path: path, quiet: true)
                }
            }
            try directory.markDone(run.id)
            directory.event("done", run: run)
            return .finished
        } catch let error as WrnnError where error.isStop {
            directory.event("stopped", run: run, detail: error.message)
            throw error
        } catch {
            let (code, message) = describe(error)
            guard code == 3 else {
                // missing data, a disk error, ...: not a result; the run stays pending for the next sweep
                log("\(label): could not run (exit \(code)): \(message)")
                directory.event("error", run: run, detail: message)
                if !directory.hasCheckpoint(run.id) { try? FileManager.default.removeItem(atPath: path) }
                return .error(code: code, message: message)
            }
            log("\(label): diverged: \(message)")
            try directory.markFailed(run.id, RunFailure(code: code, reason: message))
            directory.event("diverged", run: run, detail: message)
            return .failed
        }
    }

    /// Walks the plan once, running every run that is neither finished nor claimed by another
    /// process; `finished` is called after each run this process finished. Returns the runs that could
    /// not run (their exit codes and messages), in plan order; a stop signal throws 128 + signal.
    public func walk(_ plan: SweepPlan, directory: SweepDirectory, finished: () -> Void = {}) throws -> [(code: Int32, message: String)] {
        var errors: [(code: Int32, message: String)] = []
        for run in plan.runs {
            if StopRequest.signal != 0 { throw WrnnError("stopped by signal \(StopRequest.signal)", exitCode: 128 + StopRequest.signal) }
            let outcome = try execute(run, in: directory, total: plan.runs.count)
            if case .error(let code, let message) = outcome { errors.append((code, message)) }
            if outcome == .finished { finished() }
        }
        return errors
    }
}

extension SweepRunner {
    /// Records and prints the points that cannot run, once, before the work starts.
    public func recordInvalid(_ plan: SweepPlan, in directory: SweepDirectory) {
        for run in plan.runs where run.invalid != nil {
            print("[\(run.index + 1)/\(plan.runs.count)] \(run.name): invalid: \(run.invalid!)")
            directory.event("invalid", run: run, detail: run.invalid)
        }
    }

    /// `--run-index`: this one run (a Slurm array task's), or nothing when another process has it.
    public func executeOne(_ plan: SweepPlan, index: Int, in directory: SweepDirectory) throws {
        let outcome = try execute(plan.runs[index], in: directory, total: plan.runs.count)
        if case .busy = outcome { print("run \(index) is being run by another process; nothing to do") }
        if case .error(let code, let message) = outcome { throw WrnnError(message, exitCode: code) }
    }
}
