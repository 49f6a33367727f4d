import Dispatch
import Foundation

/// Persistent worker threads for batch shards: shard 0 runs on the caller, shard i on worker i.
/// (DispatchQueue.concurrentPerform lets the caller steal a late worker's shard, which
/// serialises a step; here every shard always has its own thread.) The time loop never
/// synchronises, so a training step costs one hand-off and one join however long the sequence.
public final class ShardPool: @unchecked Sendable {
    /// What the workers share; they hold it (not the pool), so the pool can go away while
    /// they finish.
    final class State: @unchecked Sendable {
        var job: ((Int) -> Void)?
        var stopping = false
        let start: [DispatchSemaphore]
        let done: [DispatchSemaphore]
        init(workers: Int) {
            start = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
            done = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        }
    }

    public let threads: Int
    private let state: State

    public init(threads: Int) {
        self.threads = max(1, threads)
        state = State(workers: self.threads - 1)
        let flush = FloatMode.flushSubnormals
        for worker in 1..<self.threads {
            let state = self.state
            let thread = Thread {
                FloatMode.set(flush) // the pool's threads compute like the thread that made the pool
                while true {
                    state.start[worker - 1].wait()
                    if state.stopping { state.done[worker - 1].signal(); return }
                    state.job!(worker)
                    state.done[worker - 1].signal()
                }
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    /// Runs body(0 ..< count) with count <= threads, one shard per thread, and waits for all.
    public func run(_ count: Int, _ body: (Int) -> Void) {
        precondition(count <= threads)
        if count <= 1 { if count == 1 { body(0) }; return }
        withoutActuallyEscaping(body) { escapable in
            state.job = escapable
            for worker in 1..<count { state.start[worker - 1].signal() }
            escapable(0)
            for worker in 1..<count { state.done[worker - 1].wait() }
            state.job = nil
        }
    }

    deinit {
        state.stopping = true
        for worker in 1..<threads { state.start[worker - 1].signal(); state.done[worker - 1].wait() }
    }
}

/// Splits `total` rows into `parts` contiguous ranges whose sizes differ by at most one.
public func shardRanges(total: Int, parts: Int) -> [Range<Int>] {
    let p = max(1, min(parts, total))
    return (0..<p).map { i in (total * i / p)..<(total * (i + 1) / p) }
}
