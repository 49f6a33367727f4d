import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every file wrwnn writes (checkpoints, configs, figures, data, reports) goes through here: a
// temporary file in the same directory, fsync, rename, fsync of the directory. A reader sees the
// old file or the new one, never a torn one; each failing step is one line naming the path, the
// operation and the errno text, with exit 74 (73 when the path cannot be an output at all).

func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Only a regular file (or a symlink to one) may be replaced: a FIFO, device, socket or
/// directory at `path` is refused with 73, before anything is written.
public func refuseNonRegularOutput(_ path: String) throws {
    var info = stat()
    guard stat(path, &info) == 0 else { return } // absent: fine (a dangling link too)
    guard (info.st_mode & S_IFMT) != S_IFREG else { return }
    throw WrnnError(
        "cannot create \(path): it is \(fileKind(info.st_mode)), not a file this command may replace; choose another path", exitCode: 73)
}

/// "a FIFO", "a directory", "a device", "a socket" for a stat mode that is not a regular file's.
func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: return "a FIFO"
    case S_IFDIR: return "a directory"
    case S_IFCHR, S_IFBLK: return "a device"
    case S_IFSOCK: return "a socket"
    default: return "not a regular file"
    }
}

/// The temporary sibling a file is written to before it replaces `path`.
public func temporaryPath(for path: String) -> String {
    let url = URL(fileURLWithPath: path)
    return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".tmp-\(getpid())"
}

/// Makes the finished `temporary` the file at `path`: fsync it, keep the file it replaces as
/// `previous` when asked, rename, fsync the directory. On any error the temporary file is removed
/// and `path` (and `previous`) are as they were, except after the final rename, when the new file
/// is in place but its durability was not confirmed; the error then says so.
public func commitTemporary(_ temporary: String, to path: String, keepingPreviousAs previous: String? = nil) throws {
    func fail(_ operation: String, _ code: Int32) -> WrnnError {
        unlink(temporary)
        return WrnnError.io("cannot \(operation): \(errnoText(code))")
    }
    let fd = open(temporary, O_RDONLY)
    guard fd >= 0 else { throw fail("open \(temporary)", errno) }
    if fsync(fd) != 0 { let code = errno; close(fd); throw fail("fsync \(temporary)", code) }
    close(fd)
    if let previous, access(path, F_OK) == 0 {
        // a crash between the two renames leaves `previous` good and `path` absent: resume falls back
        guard rename(path, previous) == 0 else { throw fail("rename \(path) to \(previous); both kept as they were", errno) }
    }
    guard rename(temporary, path) == 0 else { throw fail("rename \(temporary) to \(path)", errno) }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let dfd = open(directory, O_RDONLY)
    guard dfd >= 0 else { throw WrnnError.io("cannot open directory \(directory) to make \(path) durable: \(errnoText())") }
    defer { close(dfd) }
    guard fsync(dfd) == 0 else {
        throw WrnnError.io(
            "cannot fsync directory \(directory) after writing \(path) (the file is in place, its durability unconfirmed): \(errnoText())")
    }
}

/// Writes `bytes` to `path` atomically (see above); ENOSPC names the bytes it needed.
public func writeAtomically(_ bytes: [UInt8], to path: String, keepingPreviousAs previous: String? = nil) throws {
    try refuseNonRegularOutput(path)
    let temporary = temporaryPath(for: path)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
        let code = errno
        // cannot create the output at all (permissions, read-only, no such directory): 73; otherwise I/O, 74
        throw WrnnError(
            "cannot create \(temporary): \(errnoText(code))",
            exitCode: code == EACCES || code == EPERM || code == EROFS || code == ENOENT || code == ENOTDIR ? 73 : 74)
    }
    var written = 0
    let code: Int32 = bytes.withUnsafeBytes { raw in
        while written < raw.count {
            let r = write(fd, raw.baseAddress! + written, raw.count - written)
            if r < 0 { if errno == EINTR { continue }; return errno }
            written += r
        }
        return 0
    }
    close(fd)
    guard code == 0 else {
        unlink(temporary)
        let need = code == ENOSPC || code == EFBIG ? " (\(bytes.count) bytes needed, \(written) written)" : ""
        throw WrnnError.io("cannot write \(path): \(errnoText(code))\(need)")
    }
    try commitTemporary(temporary, to: path, keepingPreviousAs: previous)
}

/// `writeAtomically` for text.
public func writeAtomically(_ text: String, to path: String) throws { try writeAtomically(Array(text.utf8), to: path) }

/// JSON as every wrnn file writes and reads it: keys sorted, and a NaN or infinite number (a
/// diverged run's loss) as the strings "nan", "inf", "-inf" instead of an encoding error.
public enum WrnnJSON {
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// The whole file at `path`, read with POSIX calls so that a failure carries its errno: an input
/// that is not there or cannot be opened (missing, permissions, a symbolic-link loop, not a
/// regular file) is 66; a failure while reading (EIO) one line with the errno text, 74. A file
/// larger than `maximumBytes` is refused (65) before anything is allocated for it.
public func readFileBytes(_ path: String, what: String = "", maximumBytes: Int = Int.max) -> Swift.Result<[UInt8], WrnnError> {
    let label = what.isEmpty ? path : "\(what) \(path)"
    // look before opening: open() on a FIFO waits for a writer, and would hang here
    var kind = stat()
    if stat(path, &kind) == 0, (kind.st_mode & S_IFMT) != S_IFREG {
        return .failure(.missing("\(label) is \(fileKind(kind.st_mode)), not a regular file; give a file"))
    }
    let fd = open(path, O_RDONLY | O_NONBLOCK)
    guard fd >= 0 else {
        let code = errno
        switch code {
        case ENOENT: return .failure(.missing("\(label) does not exist"))
        case EACCES, EPERM, ELOOP, ENOTDIR, ENAMETOOLONG, ENXIO:
            return .failure(.missing("cannot open \(label): \(errnoText(code))"))
        default: return .failure(.io("cannot read \(label): \(errnoText(code))"))
        }
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .failure(.io("cannot read \(label): \(errnoText())")) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        return .failure(.missing("\(label) is \(fileKind(info.st_mode)), not a regular file; give a file"))
    }
    guard info.st_size <= maximumBytes else {
        return .failure(
            .data("\(label) is \(info.st_size) bytes, more than the \(maximumBytes) such a file can hold; is it the right file?"))
    }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var done = 0
    while done < bytes.count {
        let r = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
        if r < 0 { if errno == EINTR { continue }; return .failure(.io("cannot read \(label): \(errnoText())")) }
        if r == 0 { break }
        done += r
    }
    return .success(Array(bytes[0..<done]))
}

/// mkdir -p with errno: a directory that cannot be created (permissions, read-only, a file in the
/// way) is 73, other failures 74.
public func makeDirectories(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        prefix += "/" + component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            let code = errno
            throw WrnnError(
                "cannot create directory \(prefix): \(errnoText(code))",
                exitCode: code == EACCES || code == EPERM || code == EROFS || code == ENOTDIR ? 73 : 74)
        }
    }
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
        throw WrnnError("cannot create directory \(path): a file of that name is in the way", exitCode: 73)
    }
}

/// Refuses (73) an output path that is one of the command's own inputs (compared after resolving
/// symbolic links and `..`), so that no command overwrites what it reads.
public func refuseOutputOverInput(_ output: String, inputs: [String]) throws {
    func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) { defer { free(real) }; return String(cString: real) }
        // not there yet: its directory resolved, plus its name
        let url = URL(fileURLWithPath: path)
        guard let parent = realpath(url.deletingLastPathComponent().path, nil) else { return url.standardizedFileURL.path }
        defer { free(parent) }
        return String(cString: parent) + "/" + url.lastPathComponent
    }
    let target = resolved(output)
    if let input = inputs.first(where: { access($0, F_OK) == 0 && resolved($0) == target }) {
        throw WrnnError(
            "cannot write \(output): it is \(input == output ? "" : "\(input), ")one of this command's inputs; choose another path",
            exitCode: 73)
    }
}

/// The file's bytes, or nil when it is missing, unreadable or not a regular file: the optional
/// reads (a summary, a lock's holder) that FileManager's `contents(atPath:)` would do, except that
/// a FIFO in the file's place is not opened and cannot block.
public func fileContents(atPath path: String) -> Data? {
    guard case .success(let bytes) = readFileBytes(path) else { return nil }
    return Data(bytes)
}
