import WaveKernels
import WaveCore

/// Runs a model over a batch split into one shard per thread. Each shard has its own
/// workspace and gradient buffer; gradients are summed in shard order, so a given thread
/// count always gives the same numbers.
public final class BatchRunner<T: Scalar>: @unchecked Sendable {
    public let model: SequenceModel<T>
    public let threads: Int
    public let capacity: Int
    public let length: Int
    let workspaces: [Workspace<T>]
    let shardGrads: [Buffer<T>]
    let pool: ShardPool
    private(set) var lastShards: [Range<Int>] = []

    public init(model: SequenceModel<T>, batch: Int, length: Int, threads: Int) {
        self.model = model
        self.threads = max(1, min(threads, batch))
        self.capacity = batch
        self.length = length
        let largest = shardRanges(total: batch, parts: self.threads).map(\.count).max() ?? batch
        workspaces = (0..<self.threads).map { _ in model.makeWorkspace(capacity: largest, length: length) }
        shardGrads = (0..<self.threads).map { _ in Buffer<T>(zeros: model.layout.count) }
        pool = ShardPool(threads: self.threads)
    }

    /// Bytes of every workspace and gradient buffer.
    public var bytes: Int { workspaces.reduce(0) { $0 + $1.bytes } + shardGrads.reduce(0) { $0 + $1.bytes } }

    /// Mean loss over the batch; with `grads`, writes the gradient of `gradientScale` times that mean into it.
    @discardableResult
    public func run(params: Buffer<T>, grads: Buffer<T>?, batch: SequenceBatch<T>, gradientScale: Double = 1) -> Double {
        precondition(batch.batch <= capacity && batch.length == length)
        let shards = shardRanges(total: batch.batch, parts: threads)
        lastShards = shards
        let normaliser = model.lossNormaliser(batch)
        var losses = [Double](repeating: 0, count: shards.count)
        losses.withUnsafeMutableBufferPointer { lossOut in
            let lossPointer = lossOut.baseAddress!
            pool.run(shards.count) { s in
                let g = grads == nil ? nil : self.shardGrads[s].pointer
                g?.update(repeating: 0, count: self.model.layout.count)
                lossPointer[s] = self.model.run(
                    params: params.pointer, grads: g, batch: batch, rows: shards[s],
                    lossScale: gradientScale / normaliser, workspace: self.workspaces[s])
            }
        }
        if let grads {
            grads.copy(from: shardGrads[0])
            for s in 1..<max(1, shards.count) { T.add(out: grads.pointer, shardGrads[s].pointer, count: grads.count) }
        }
        return losses.reduce(0, +) / normaliser
    }

    /// Output of readout step r for batch row `row` of the last run: outputSize values.
    public func output(step r: Int, row: Int) -> UnsafePointer<T> {
        let (s, local, rows) = locate(row)
        return UnsafePointer(workspaces[s].logits.pointer + (r * rows + local) * model.config.outputSize)
    }

    /// Hidden state h_t (t = 0 ... length) for batch row `row` of the last run.
    public func state(step t: Int, row: Int) -> UnsafePointer<T> {
        let (s, local, rows) = locate(row)
        return workspaces[s].state(step: t, row: local, rows: rows, units: model.config.units)
    }

    private func locate(_ row: Int) -> (Int, Int, Int) {
        let s = lastShards.firstIndex { $0.contains(row) }!
        return (s, row - lastShards[s].lowerBound, lastShards[s].count)
    }
}
