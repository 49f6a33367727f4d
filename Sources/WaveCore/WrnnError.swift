/// A failure the CLI reports as one line and a documented exit code.
public struct WrnnError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let exitCode: Int32
    public var description: String { message }
    public init(_ message: String, exitCode: Int32) { self.message = message; self.exitCode = exitCode }

    /// Exit codes (sysexits.h where one fits): 64 bad usage, 65 bad data or checkpoint,
    /// 66 missing input, 74 I/O error, 3 training diverged.
    public static func usage(_ m: String) -> WrnnError { WrnnError(m, exitCode: 64) }
    public static func data(_ m: String) -> WrnnError { WrnnError(m, exitCode: 65) }
    public static func missing(_ m: String) -> WrnnError { WrnnError(m, exitCode: 66) }
    public static func io(_ m: String) -> WrnnError { WrnnError(m, exitCode: 74) }
}

