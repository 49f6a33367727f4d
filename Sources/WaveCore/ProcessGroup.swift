import Foundation

/// The processes one run is spread over: ranks 0 ..< size of an MPI job, or this process alone.
/// Every exchange is one whose result does not depend on the order the library combines in: the
/// ranks gather each other's bytes and add them up themselves, in shard order, so a run on R ranks
/// of k threads computes exactly what one process of R·k threads does.
public protocol ProcessGroup: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    /// Every rank's `bytes` bytes, in rank order, into `receive` (size · bytes): rank r's at r · bytes.
    func allGather(_ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer)
    /// Rank r's block q (of `bytes` bytes, blocks in rank order in `send`) to rank q, which receives
    /// every rank's block for it in rank order into `receive` (size · bytes).
    func allToAll(_ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer)
    /// The largest of every rank's value.
    func maximum(_ value: Int32) -> Int32
    /// Rank 0's bytes, on every rank.
    func broadcast(_ bytes: [UInt8]) -> [UInt8]
    /// Ends every rank of the job with `code`: an error one rank met and the others cannot see.
    func abort(_ code: Int32) -> Never
    /// Leaves the group cleanly before the process exits.
    func finish()
    /// Seconds spent in exchanges so far.
    var communicationSeconds: Double { get }
}

extension ProcessGroup {
    /// Rank 0 writes the run's files, prints, and holds the run directory's lock.
    public var isLead: Bool { rank == 0 }
}

/// This process alone: every exchange is a copy.
public final class SingleProcess: ProcessGroup, @unchecked Sendable {
    public static let shared = SingleProcess()
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allGather(_ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer) {
        receive.copyMemory(from: send, byteCount: bytes)
    }
    public func allToAll(_ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer) {
        receive.copyMemory(from: send, byteCount: bytes)
    }
    public func maximum(_ value: Int32) -> Int32 { value }
    public func broadcast(_ bytes: [UInt8]) -> [UInt8] { bytes }
    public func abort(_ code: Int32) -> Never { exit(code) }
    public func finish() {}
    public var communicationSeconds: Double { 0 }
}

/// The group this process belongs to: set once at start-up (`wrnn train` and `wrnn bench` under
/// mpirun or srun), read by the batch runner and the training loop.
public enum Processes {
    nonisolated(unsafe) public static var group: any ProcessGroup = SingleProcess.shared
}
