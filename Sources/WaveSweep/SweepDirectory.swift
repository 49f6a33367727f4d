import Foundation
import WaveCore
import WaveTraining
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One planned run of a sweep: where it goes, what it is, or why it cannot run.
public struct PlannedRun: Codable, Equatable, Sendable {
    public var index: Int
    /// Directory name under runs/: configuration hash, then the readable name.
    public var id: String
    public var name: String
    public var seed: UInt64
    public var settings: [Setting]
    /// `wrnn train` arguments (without seed, threads and run directory).
    public var arguments: [String]
    /// The resolved configuration; nil for an invalid point.
    public var config: TrainConfig?
    /// Why the point cannot run (e.g. a negative learning rate), recorded instead of running it.
    public var invalid: String?
    public var notes: [String]

    public init(
        index: Int, id: String, name: String, seed: UInt64, settings: [Setting], arguments: [String],
        config: TrainConfig?, invalid: String?, notes: [String]
    ) {
        self.index = index; self.id = id; self.name = name; self.seed = seed; self.settings = settings
        self.arguments = arguments; self.config = config; self.invalid = invalid; self.notes = notes
    }
}

/// The expanded grid as saved in the sweep directory (sweep.json): `--status` and `results` read it.
public struct SweepPlan: Codable, Equatable, Sendable {
    public var name: String
    public var source: String
    public var program: String?
    public var seeds: [UInt64]
    /// A CPU-scale budget that replaced the grid's own (`--steps` / `--epochs`), as text.
    public var budget: String?
    public var runs: [PlannedRun]

    public init(name: String, source: String, program: String?, seeds: [UInt64], budget: String?, runs: [PlannedRun]) {
        self.name = name; self.source = source; self.program = program; self.seeds = seeds; self.budget = budget; self.runs = runs
    }
}

/// Where a run stands, read from the disk (so every process sees the same).
public enum RunStatus: String, Codable, CaseIterable, Sendable {
    /// Not started, or started without a checkpoint yet.
    case pending
    /// Stopped with a checkpoint: the next worker resumes it exactly.
    case partial
    /// A worker holds its claim now.
    case running
    case done
    /// Diverged (exit 3) or failed otherwise; retried only with --retry-failed.
    case failed
    /// The grid point cannot run (recorded with its reason).
    case invalid
}

/// A failed run's record (the FAILED marker).
public struct RunFailure: Codable, Equatable, Sendable {
    public var code: Int32
    public var reason: String
    public init(code: Int32, reason: String) { self.code = code; self.reason = reason }
}

/// A sweep's directory: sweep.json (the plan), sweep.jsonl (events), runs/ID/ (run directories,
/// each finished one holding a DONE marker written last and atomically), claims/ID.lock.
public final class SweepDirectory: @unchecked Sendable {
    public let path: String
    public init(path: String) { self.path = path }

    public var planPath: String { path + "/sweep.json" }
    public func runPath(_ id: String) -> String { path + "/runs/" + id }
    func claimPath(_ id: String) -> String { path + "/claims/" + id + ".lock" }

    public func prepare() throws {
        // errno-classed: a file in the way or no permission is 73, other failures 74
        for sub in ["", "/runs", "/claims", "/logs"] {
            do { try makeDirectories(path + sub) } catch let error as WrnnError {
                throw WrnnError("sweep directory: \(error.message); choose another --out", exitCode: error.exitCode)
            }
        }
    }

    /// A sweep directory belongs to one grid: a plan with other runs under the same names, or without
    /// some of the runs already planned there, is refused (64) before anything is written. A plan that
    /// keeps every earlier run and adds points is the same sweep grown (a seed, a value).
    public func checkBelongs(_ plan: SweepPlan) throws {
        guard FileManager.default.fileExists(atPath: planPath), let existing = try? readPlan() else { return }
        // runs are compared by what they train (their names change when a grid grows)
        func key(_ run: PlannedRun) -> String {
            guard let config = run.config, let data = try? WrnnJSON.encoder().encode(ResumeChanges.fixed(config)) else {
                return "invalid:" + run.arguments.joined(separator: " ")
            }
            return String(decoding: data, as: UTF8.self)
        }
        let planned = Set(plan.runs.map(key))
        if let missing = existing.runs.first(where: { !planned.contains(key($0)) }) {
            throw WrnnError.usage(
                "\(path) holds the sweep '\(existing.name)' from \(existing.source), and \(plan.source) is another grid (it does not train that sweep's run \(missing.name)); give this sweep its own --out, or run \(existing.source) again"
            )
        }
    }

    public func writePlan(_ plan: SweepPlan) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(Array(try encoder.encode(plan)) + [10], to: planPath)
    }

    public func readPlan() throws -> SweepPlan {
        guard access(planPath, F_OK) == 0 else {
            throw WrnnError.missing("\(path) is not a sweep directory (no sweep.json); give the directory `wrnn sweep` wrote")
        }
        return try Self.decodePlan(try readFileBytes(planPath).get(), path: planPath)
    }

    /// Checks and decodes a sweep.json's bytes (`path` names it in errors).
    public static func decodePlan(_ bytes: [UInt8], path: String) throws -> SweepPlan {
        do { return try WrnnJSON.decoder().decode(SweepPlan.self, from: Data(bytes)) } catch {
            throw WrnnError.data("\(path) is not a sweep plan (\(decodingReason(error)))")
        }
    }

    // MARK: markers

    public func isDone(_ id: String) -> Bool { FileManager.default.fileExists(atPath: runPath(id) + "/DONE") }

    public func failure(_ id: String) -> RunFailure? {
        fileContents(atPath: runPath(id) + "/FAILED").flatMap { try? WrnnJSON.decoder().decode(RunFailure.self, from: $0) }
    }

    public func markDone(_ id: String) throws {
        let text = "{\"finished\": \"\(timestamp())\", \"host\": \"\(hostName())\"}\n"
        try writeAtomically(Array(text.utf8), to: runPath(id) + "/DONE")
    }

    public func markFailed(_ id: String, _ failure: RunFailure) throws {
        try writeAtomically(Array(try JSONEncoder().encode(failure)) + [10], to: runPath(id) + "/FAILED")
    }

    public func hasCheckpoint(_ id: String) -> Bool {
        ["checkpoint.bin", "checkpoint.prev.bin"].contains { FileManager.default.fileExists(atPath: runPath(id) + "/" + $0) }
    }

    /// The run's status as any process sees it now.
    public func status(of run: PlannedRun) -> RunStatus {
        if run.invalid != nil { return .invalid }
        if isDone(run.id) { return .done }
        if failure(run.id) != nil { return .failed }
        if isClaimed(run.id) { return .running }
        return hasCheckpoint(run.id) ? .partial : .pending
    }

    // MARK: claims

    /// An exclusive claim on a run: a POSIX record lock on claims/ID.lock, released when the holder
    /// exits, even by kill -9. POSIX locks (not flock) so that `isClaimed` can test for one with
    /// F_GETLK without taking it: a status probe never makes a worker miss its claim.
    public final class Claim {
        let descriptor: Int32
        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }

    static func wholeFileLock(_ type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        return lock
    }

    /// Claims the run for this process, or nil when another process holds it.
    public func claim(_ id: String) throws -> Claim? {
        let path = claimPath(id)
        let fd = open(path, O_RDWR | O_CREAT | O_NONBLOCK, 0o644)
        guard fd >= 0 else { throw WrnnError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        var lock = Self.wholeFileLock(Int32(F_WRLCK))
        guard fcntl(fd, F_SETLK, &lock) == 0 else { close(fd); return nil }
        ftruncate(fd, 0)
        let holder = "\(getpid()) \(hostName())\n"
        _ = holder.withCString { write(fd, $0, strlen($0)) }
        return Claim(descriptor: fd)
    }

    /// Whether another process holds the run's claim now (tested, not taken).
    func isClaimed(_ id: String) -> Bool {
        let fd = open(claimPath(id), O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var lock = Self.wholeFileLock(Int32(F_WRLCK))
        guard fcntl(fd, F_GETLK, &lock) == 0 else { return false }
        return lock.l_type != Int16(F_UNLCK)
    }

    // MARK: events

    /// Appends one line to sweep.jsonl (one write with O_APPEND, so concurrent workers' lines never mix).
    public func event(_ kind: String, run: PlannedRun? = nil, detail: String? = nil) {
        var record: [String: String] = ["time": timestamp(), "event": kind, "host": hostName(), "pid": String(getpid())]
        if let run { record["run"] = run.id; record["index"] = String(run.index) }
        if let detail { record["detail"] = detail }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(record) else { return }
        let fd = open(path + "/sweep.jsonl", O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, 0o644)
        guard fd >= 0 else { return }
        let line = Array(data) + [10]
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }
}

func timestamp() -> String {
    let formatter = ISO8601DateFormatter()
    return formatter.string(from: Date())
}

func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    return String(cString: buffer)
}
