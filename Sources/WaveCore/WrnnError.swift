/// A failure the CLI reports as one line and a documented exit code.
public struct WrnnError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let exitCode: Int32
    /// Over MPI: every rank found this error at the same point (a check all ranks make together), so
    /// each ends by itself after rank 0 says why, instead of aborting the job.
    public var everyRank = false
    public var description: String { message }
    public init(_ message: String, exitCode: Int32, everyRank: Bool = false) {
        self.message = message; self.exitCode = exitCode; self.everyRank = everyRank
    }

    /// Exit codes (sysexits.h where one fits): 64 bad usage, 65 bad data or checkpoint,
    /// 66 missing input, 74 I/O error, 3 training diverged.
    public static func usage(_ m: String) -> WrnnError { WrnnError(m, exitCode: 64) }
    public static func data(_ m: String) -> WrnnError { WrnnError(m, exitCode: 65) }
    public static func missing(_ m: String) -> WrnnError { WrnnError(m, exitCode: 66) }
    public static func io(_ m: String) -> WrnnError { WrnnError(m, exitCode: 74) }

    /// The exit codes of a run stopped by a signal after its checkpoint (128 + SIGHUP, SIGINT, SIGTERM,
    /// SIGXCPU): `--resume` continues it, a sweep stops and a Slurm task is requeued.
    public static let stopCodes: [Int32] = [129, 130, 143, 152]
    public var isStop: Bool { Self.stopCodes.contains(exitCode) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes text to standard output or error with write(2): a closed or full stream loses the text
/// but never stops the program (Foundation's FileHandle.write traps on such errors).
public func writeStandard(_ text: String, error: Bool = false) {
    let fd = error ? STDERR_FILENO : STDOUT_FILENO
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
    }
    bytes.removeAll()
}

/// Prints "wrnn: warning: `message`" on stderr once per process, however often it is reached.
public func warnOnce(_ message: String) {
    warnedLock.lock()
    defer { warnedLock.unlock() }
    guard !warned.contains(message) else { return }
    warned.insert(message)
    writeStandard("wrnn: warning: \(message)\n", error: true)
}

nonisolated(unsafe) private var warned: Set<String> = []
private let warnedLock = NSLock()

/// Appends `bytes` to the file at `path` (created if missing) and fsyncs it; every failure is a
/// WrnnError naming the path, the operation and the errno text (exit 74).
public func appendDurably(_ bytes: [UInt8], to path: String) throws {
    // O_NONBLOCK: a FIFO in the file's place would hold open() until a reader came
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK, 0o644)
    guard fd >= 0 else {
        let code = errno
        throw WrnnError("cannot open \(path) for appending: \(String(cString: strerror(code)))", exitCode: code == ENXIO ? 73 : 74)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
        throw WrnnError("cannot append to \(path): it is not a regular file; move it aside", exitCode: 73)
    }
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else {
            throw WrnnError.io(
                "cannot append to \(path): \(String(cString: strerror(n < 0 ? errno : ENOSPC))) (\(bytes.count - offset) bytes not written)"
            )
        }
        offset += n
    }
    guard fsync(fd) == 0 else { throw WrnnError.io("cannot fsync \(path): \(String(cString: strerror(errno)))") }
}

import Foundation

extension FileHandle {
    /// Everything up to end of file; a read error ends the data there instead of trapping.
    public func readToEndSafely() -> Data { ((try? readToEnd()) ?? nil) ?? Data() }
}

/// A JSON decoding failure as "key.path: what was wrong", one line, for messages that name the file.
public func decodingReason(_ error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String {
        let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return text.isEmpty ? "" : text + ": "
    }
    guard let error = error as? DecodingError else {
        return "\(error)".split(separator: "\n").joined(separator: " ")
    }
    switch error {
    case let .keyNotFound(key, context): return "\(path(context.codingPath + [key]))missing"
    case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return "\(path(context.codingPath))\(underlying ?? context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
