import Dispatch

/// Runs `body(shard)` for every shard, one thread each; the time loop never synchronises,
/// so a training step costs one fork/join however long the sequence is.
public func parallelShards(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 { body(0); return }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
}

/// Splits `total` rows into `parts` contiguous ranges whose sizes differ by at most one.
public func shardRanges(total: Int, parts: Int) -> [Range<Int>] {
    let p = max(1, min(parts, total))
    return (0..<p).map { i in (total * i / p)..<(total * (i + 1) / p) }
}
