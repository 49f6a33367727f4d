import WaveCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
typealias Glibc = Darwin
#endif

/// Set by SIGINT or SIGTERM; the training loop finishes its step, checkpoints and exits.
public enum StopRequest {
    nonisolated(unsafe) public static var signal: Int32 = 0

    /// Installs handlers that only record the signal (the loop acts on it between steps).
    public static func install() {
        Glibc.signal(SIGINT) { StopRequest.signal = $0 }
        Glibc.signal(SIGTERM) { StopRequest.signal = $0 }
    }
}

/// Writes `bytes` to `path` so that a reader sees the old file or the new one, never a torn
/// one: temporary file in the same directory, fsync, rename, fsync the directory.
public func writeAtomically(_ bytes: [UInt8], to path: String, keepingPreviousAs previous: String? = nil) throws {
    // only a regular file may be replaced: a FIFO, device, socket or directory at `path` is refused
    var info = stat()
    if lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG, (info.st_mode & S_IFMT) != S_IFLNK {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFIFO: kind = "a FIFO"
        case S_IFDIR: kind = "a directory"
        case S_IFCHR, S_IFBLK: kind = "a device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw WrnnError("cannot create \(path): it is \(kind), not a file this command may replace; choose another path", exitCode: 73)
    }
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw WrnnError.io("cannot write \(temporary): \(String(cString: strerror(errno)))") }
    var written = 0
    let ok: Bool = bytes.withUnsafeBytes { raw in
        while written < raw.count {
            let r = write(fd, raw.baseAddress! + written, raw.count - written)
            if r < 0 { if errno == EINTR { continue }; return false }
            written += r
        }
        return fsync(fd) == 0
    }
    let error = errno
    close(fd)
    guard ok else {
        unlink(temporary)
        throw WrnnError.io("cannot write \(path): \(String(cString: strerror(error)))")
    }
    if let previous, FileManager.default.fileExists(atPath: path) {
        // a crash between the two renames leaves `previous` good and `path` absent: resume falls back
        _ = rename(path, previous)
    }
    guard rename(temporary, path) == 0 else {
        let message = String(cString: strerror(errno))
        unlink(temporary)
        throw WrnnError.io("cannot rename \(temporary) to \(path): \(message)")
    }
    let dfd = open(directory, O_RDONLY)
    if dfd >= 0 { fsync(dfd); close(dfd) }
}

/// CRC-32 (IEEE 802.3, the polynomial zlib and PNG use).
public func crc32(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
    var crc = ~initial
    for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
}

private let crcTable: [UInt32] = (0..<256).map { i -> UInt32 in
    var c = UInt32(i)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

/// The directory of one training run: config.json, metrics.jsonl, checkpoint.bin, summary.json.
public final class RunDirectory: @unchecked Sendable {
    public let path: String

    /// The one check that a new run's directory is free: no run is ever overwritten (64).
    public static func requireAbsent(_ path: String) throws {
        if FileManager.default.fileExists(atPath: path) {
            throw WrnnError.usage("--out: run directory \(path) already exists; choose a new --out or remove it (or continue it with --resume)")
        }
    }

    /// The one check that a run directory given to resume, analyze, eval or report exists (66).
    public static func requireExisting(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WrnnError.missing("run directory \(path) does not exist")
        }
    }

    /// Creates a new run directory; an existing one is refused so that no run is overwritten.
    public static func create(_ path: String) throws -> RunDirectory {
        try requireAbsent(path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw WrnnError.io("cannot create run directory \(path): \(error.localizedDescription)")
        }
        let run = RunDirectory(path: path)
        try run.lock()
        return run
    }

    private var lockDescriptor: Int32 = -1

    init(path: String) { self.path = path }

    /// An existing run directory, for resuming: locked, with stale temporary files removed.
    public static func open(_ path: String) throws -> RunDirectory {
        try requireExisting(path)
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
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw WrnnError.io("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw WrnnError("run directory \(path) is in use by process \(holder.isEmpty ? "?" : holder); wait for it to finish or stop it", exitCode: 75)
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        lockDescriptor = fd   // held open for the life of this object
    }

    deinit { if lockDescriptor >= 0 { close(lockDescriptor) } }

    /// Keeps only the metrics lines up to `step` (those a checkpoint at `step` had seen).
    public func truncateMetrics(after step: Int) throws {
        let p = file("metrics.jsonl")
        guard let text = try? String(contentsOfFile: p, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let data = line.data(using: .utf8),
                  let record = try? JSONDecoder().decode(MetricsRecord.self, from: data) else { return false }
            return record.step <= step
        }
        try writeAtomically(Array((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: p)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func writeJSON<V: Encodable>(_ value: V, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(Array(try encoder.encode(value)) + [10], to: file(name))
    }

    /// Appends one JSON object per line to metrics.jsonl and flushes it.
    public func appendMetrics(_ record: MetricsRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try appendDurably(Array(try encoder.encode(record)) + [10], to: file("metrics.jsonl"))
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

    enum CodingKeys: String, CodingKey {
        case learningRate = "lr"
        case step, accuracy, trainLoss = "train_loss", testLoss = "test_loss", testLossPerBatch = "test_loss_per_batch"
        case recallAccuracy = "recall_accuracy", solvedAt = "solved_at", gradNorm = "grad_norm", wallTime = "wall_time"
        case validationLoss = "validation_loss", validationAccuracy = "validation_accuracy"
    }
}
