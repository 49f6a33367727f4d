import Dispatch
import Foundation

/// Persistent worker threads for batch shards: shard 0 runs on the caller, shard i on worker i.
/// (DispatchQueue.concurrentPerform lets the caller steal a late worker's shard, which
/// serialises a step; here every shard always has its own thread.) The time loop never
/// synchronises, so a training step costs one hand-off and one join however long the sequence.
public final class ShardPool: @unchecked Sendable {
    public let threads: Int
    private var job: ((Int) -> Void)?
    private var stopping = false
    private let start: [DispatchSemaphore]
    private let done: [DispatchSemaphore]

    public init(threads: Int) {
        self.threads = max(1, threads)
        start = (1..<self.threads).map { _ in DispatchSemaphore(value: 0) }
        done = (1..<self.threads).map { _ in DispatchSemaphore(value: 0) }
        for worker in 1..<self.threads {
            let thread = Thread { [unowned self] in self.workerLoop(worker) }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    private func workerLoop(_ worker: Int) {
        while true {
            start[worker - 1].wait()
            if stopping { done[worker - 1].signal(); return }
            job!(worker)
            done[worker - 1].signal()
        }
    }

    /// Runs body(0 ..< count) with count <= threads, one shard per thread, and waits for all.
    public func run(_ count: Int, _ body: (Int) -> Void) {
        precondition(count <= threads)
        if count <= 1 { if count == 1 { body(0) }; return }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            for worker in 1..<count { start[worker - 1].signal() }
            escapable(0)
            for worker in 1..<count { done[worker - 1].wait() }
            job = nil
        }
    }

    deinit {
        stopping = true
        for worker in 1..<threads { start[worker - 1].signal(); done[worker - 1].wait() }
    }
}

/// Splits `total` rows into `parts` contiguous ranges whose sizes differ by at most one.
public func shardRanges(total: Int, parts: Int) -> [Range<Int>] {
    let p = max(1, min(parts, total))
    return (0..<p).map { i in (total * i / p)..<(total * (i + 1) / p) }
}
