import WaveKernels
import WaveCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
typealias Glibc = Darwin
#endif

/// Set by SIGINT, SIGTERM, SIGHUP (a closed terminal) or SIGXCPU (a CPU-time limit, `ulimit -t` or a
/// batch system's, before its SIGKILL); the training loop finishes its step (or
/// cuts an evaluation short), checkpoints and exits with 128 + the signal.
public enum StopRequest {
    nonisolated(unsafe) public static var signal: Int32 = 0

    /// Installs handlers that only record the first signal (the loop acts on it between steps). Later
    /// ones are ignored: `timeout`, srun, shells and process managers send a stop to the whole
    /// process group and often repeat it, and the stop checkpoint must still be written (SIGKILL
    /// ends a process at once; the checkpoint files are replaced atomically, so the last one stays).
    /// SIGPIPE is ignored for good: a closed pipe on stdout (`wrnn train ... | head -1`) makes
    /// writes fail, never ends training.
    public static func install() {
        Glibc.signal(SIGPIPE, SIG_IGN)
        for stop in [SIGINT, SIGTERM, SIGHUP, SIGXCPU] {
            Glibc.signal(stop) { received in
                if StopRequest.signal == 0 { StopRequest.signal = received }
            }
        }
    }

    /// A sweep worker stops (with its checkpoint) when the driver that started it is gone, so a killed
    /// driver leaves no worker running: it watches its parent process every half second.
    public static func watchParent() {
        let parent = getppid()
        let thread = Thread {
            while true {
                if getppid() != parent {
                    if StopRequest.signal == 0 { StopRequest.signal = SIGTERM }
                    return
                }
                usleep(500_000)
            }
        }
        thread.start()
    }
}

/// The directory of one training run: config.json, metrics.jsonl, checkpoint.bin, summary.json.
public final class RunDirectory: @unchecked Sendable {
    public let path: String

    /// The one check that a new run's directory is free: no run is ever overwritten (73, an output
    /// that cannot be created).
    public static func requireAbsent(_ path: String) throws {
        if FileManager.default.fileExists(atPath: path) {
            let isRun = FileManager.default.fileExists(atPath: path + "/config.json")
            throw WrnnError(
                "--out: run directory \(path) already exists; choose a new --out or remove it"
                    + (isRun ? ", or continue it with: wrnn train --resume \(path)" : ""), exitCode: 73)
        }
    }

    /// The one check that a run directory given to resume, analyze, eval or report exists (66).
    public static func requireExisting(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw WrnnError.missing(
                code == ENOENT
                    ? "run directory \(path) does not exist" : "cannot open run directory \(path): \(String(cString: strerror(code)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw WrnnError.missing("\(path) is not a directory; give the run directory (the one that holds checkpoint.bin)")
        }
    }

    /// Creates a new run directory; an existing one is refused so that no run is overwritten.
    public static func create(_ path: String) throws -> RunDirectory {
        try requireAbsent(path)
        try makeDirectories(path)
        let run = RunDirectory(path: path)
        try run.lock()
        return run
    }

    private var lockDescriptor: Int32 = -1

    init(path: String) { self.path = path }

    /// An existing run directory, for resuming: locked, with stale temporary files removed.
    public static func open(_ path: String) throws -> RunDirectory {
        try requireExisting(path)
        // nothing is created in a directory that holds no run (not even the lock file)
        guard ["checkpoint.bin", "checkpoint.prev.bin", "config.json"].contains(where: { access(path + "/" + $0, F_OK) == 0 }) else {
            throw WrnnError.missing(
                "\(path) is not a run directory (no checkpoint.bin, checkpoint.prev.bin or config.json); nothing to resume")
        }
        let run = RunDirectory(path: path)
        try run.lock()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            try? FileManager.default.removeItem(atPath: path + "/" + name)
        }
        return run
    }

    /// Takes the run directory's lock (flock on .lock, released when the process ends, even by
    /// kill -9); a second process is refused, naming the holder.
    public func lock() throws {
        let lockPath = file(".lock")
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_NONBLOCK, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw WrnnError(
                "cannot create \(lockPath): \(String(cString: strerror(code)))",
                exitCode: code == EACCES || code == EPERM || code == EROFS ? 73 : 74)
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder =
                fileContents(atPath: lockPath).map { String(decoding: $0, as: UTF8.self) }?.trimmingCharacters(in: .whitespacesAndNewlines)
                ?? "?"
            close(fd)
            throw WrnnError(
                "run directory \(path) is in use by process \(holder.isEmpty ? "?" : holder); wait for it to finish or stop it",
                exitCode: 75)
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        lockDescriptor = fd // held open for the life of this object
    }

    deinit { if lockDescriptor >= 0 { close(lockDescriptor) } }

    /// Keeps only the metrics lines up to `step` (those a checkpoint at `step` had seen).
    public func truncateMetrics(after step: Int) throws {
        let p = file("metrics.jsonl")
        guard let data = fileContents(atPath: p) else { return }
        let text = String(decoding: data, as: UTF8.self)
        let kept = text.split(separator: "\n").filter { line in
            guard let data = line.data(using: .utf8),
                let record = try? WrnnJSON.decoder().decode(MetricsRecord.self, from: data)
            else { return false }
            return record.step <= step
        }
        try writeAtomically(Array((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: p)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// The files a run directory at `path` holds that commands read: no output may replace one.
    public static func inputFiles(_ path: String) -> [String] {
        [
            "config.json", "metrics.jsonl", "summary.json", "checkpoint.bin", "checkpoint.prev.bin", "best.bin",
            "permutation.npy", "noise.npy", "DONE", "FAILED"
        ].map { path + "/" + $0 }
    }

    public func writeJSON<V: Encodable>(_ value: V, to name: String) throws {
        try writeAtomically(Array(try WrnnJSON.encoder().encode(value)) + [10], to: file(name))
    }

    /// Appends one JSON object per line to metrics.jsonl and flushes it.
    public func appendMetrics(_ record: MetricsRecord) throws {
        try appendDurably(Array(try WrnnJSON.encoder(pretty: false).encode(record)) + [10], to: file("metrics.jsonl"))
    }
}

/// One line of metrics.jsonl: logged at every evaluation.
public struct MetricsRecord: Codable, Equatable, Sendable {
    public var step: Int
    /// Mean training loss over the steps since the previous record.
    public var trainLoss: Double?
    public var testLoss: Double
    /// The authors' logged copy-task figure: mean cross-entropy divided by the batch size.
    public var testLossPerBatch: Double?
    /// Copy task: fraction of the ten recall steps answered correctly.
    public var recallAccuracy: Double?
    /// Adding task: first step at which test MSE <= 0.05.
    public var solvedAt: Int?
    /// Classification tasks: test accuracy, validation loss and accuracy.
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var gradNorm: Double?
    /// Learning rate of the latest update.
    public var learningRate: Double?
    public var wallTime: Double
    /// The row written when training diverges: `step` is the step that failed, `divergence` says
    /// what was not finite, and the test numbers are the last evaluation's.
    public var diverged: Bool?
    public var divergence: String?

    enum CodingKeys: String, CodingKey {
        case diverged, divergence
        case learningRate = "lr"
        case step, accuracy, trainLoss = "train_loss", testLoss = "test_loss", testLossPerBatch = "test_loss_per_batch"
        case recallAccuracy = "recall_accuracy", solvedAt = "solved_at", gradNorm = "grad_norm", wallTime = "wall_time"
        case validationLoss = "validation_loss", validationAccuracy = "validation_accuracy"
    }
}

/// The tool's version, written into every run's command.json and shown by `--version`.
public enum WrnnVersion { public static let text = "0.2.0" }

/// How a run was started: the command line and the tool's version, kept beside config.json
/// (not inside it, so a sweep's run hashes do not depend on how the sweep was invoked).
/// It also names the kernels that computed the run (the convolution path and OpenBLAS's core):
/// a seed gives the same numbers bit for bit on the same path, and last-bit differences across paths.
public struct RunCommand: Codable, Sendable {
    public var command: [String]
    public var version: String
    /// "avx512" or "portable" (absent in runs from before 0.2.0's run-time dispatch).
    public var kernelPath: String?
    public var blasCore: String?
    /// A bf16 run's products ("AVX512-BF16 kernels", or their plain versions) and how much faster than
    /// fp32 they ran at its start on this CPU, for its shapes (`BF16Check`).
    public var bf16Products: String?
    public var bf16Speedup: Double?
    public init(command: [String], version: String = WrnnVersion.text) {
        self.command = command; self.version = version
        kernelPath = KernelPath.current.rawValue
        blasCore = BLASThreads.coreName
    }
    enum CodingKeys: String, CodingKey {
        case command, version, kernelPath = "kernel_path", blasCore = "blas_core", bf16Products = "bf16_products"
        case bf16Speedup = "bf16_speedup"
    }
}
