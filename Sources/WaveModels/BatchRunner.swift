import WaveKernels
import WaveCore

/// Runs a model over a batch split into one shard per thread. Each shard has its own
/// workspace and gradient buffer; gradients are summed in shard order, so a given thread
/// count always gives the same numbers.
///
/// Over a group of R processes (MPI ranks), `threads` counts the shards of the whole group: rank r
/// computes shards r·k ..< (r+1)·k on its own k threads. The gradient is reduced in shard order as one
/// process reduces it, split by parameters: rank q receives every shard's slice q of P/R parameters
/// (an all-to-all), adds them in shard order, and the ranks gather the summed slices. The losses and
/// (when evaluating) outputs are gathered whole. So R ranks of k threads give bitwise the numbers of
/// one process with R·k threads, and each rank moves about (k + 1)·P floats per step, whatever R is.
public final class BatchRunner<T: Scalar>: @unchecked Sendable {
    public let model: SequenceModel<T>
    /// S: shards of the whole group.
    public let threads: Int
    public let capacity: Int
    public let length: Int
    let group: any ProcessGroup
    /// k: shards per rank (this rank's threads).
    let perRank: Int
    /// The largest shard's rows: every shard's buffers are this size.
    let largest: Int
    let workspaces: [Workspace<T>]
    let shardGrads: [Buffer<T>]
    /// Over a group, L = ceil(P / R) parameters per slice: the slices sent [R (to), k, L] and received
    /// [R (from), k, L], the summed slices of every rank [R, L], and the outputs [R·k, steps · largest · out].
    let slice: Int
    let sentSlices: Buffer<T>?
    let receivedSlices: Buffer<T>?
    let summedSlices: Buffer<T>?
    let ownSlice: Buffer<T>?
    let gatheredOutputs: Buffer<T>?
    let sentOutputs: Buffer<T>?
    let pool: ShardPool
    private(set) var lastShards: [Range<Int>] = []
    private var outputsGathered = false

    public init(model: SequenceModel<T>, batch: Int, length: Int, threads: Int, group: any ProcessGroup = SingleProcess.shared) {
        self.model = model
        self.threads = max(1, min(threads, batch))
        self.capacity = batch
        self.length = length
        self.group = group
        let k = (self.threads + group.size - 1) / group.size,
            rows = shardRanges(total: batch, parts: self.threads).map(\.count).max() ?? batch
        perRank = k
        largest = rows
        workspaces = (0..<k).map { _ in model.makeWorkspace(capacity: rows, length: length) }
        shardGrads = (0..<k).map { _ in Buffer<T>(zeros: model.layout.count) }
        let outputs = model.readoutSteps(length: length) * rows * model.config.outputSize, several = group.size > 1
        let l = (model.layout.count + group.size - 1) / group.size
        slice = l
        sentSlices = several ? Buffer<T>(zeros: group.size * k * l) : nil
        receivedSlices = several ? Buffer<T>(zeros: group.size * k * l) : nil
        summedSlices = several ? Buffer<T>(zeros: group.size * l) : nil
        ownSlice = several ? Buffer<T>(zeros: l) : nil
        gatheredOutputs = several ? Buffer<T>(zeros: group.size * k * outputs) : nil
        sentOutputs = several ? Buffer<T>(zeros: k * outputs) : nil
        pool = ShardPool(threads: k)
    }

    /// The global shards this rank computes, of `count`.
    func owned(_ count: Int) -> Range<Int> {
        Swift.min(group.rank * perRank, count)..<Swift.min((group.rank + 1) * perRank, count)
    }

    /// Bytes of every workspace and gradient buffer.
    public var bytes: Int { workspaces.reduce(0) { $0 + $1.bytes } + shardGrads.reduce(0) { $0 + $1.bytes } }

    /// Mean loss over the batch; with `grads`, writes the gradient of `gradientScale` times that mean into it.
    @discardableResult
    public func run(params: Buffer<T>, grads: Buffer<T>?, batch: SequenceBatch<T>, gradientScale: Double = 1) -> Double {
        precondition(batch.batch <= capacity && batch.length == length)
        let shards = shardRanges(total: batch.batch, parts: threads)
        lastShards = shards
        let mine = owned(shards.count)
        let normaliser = model.lossNormaliser(batch)
        var losses = [Double](repeating: 0, count: group.size * perRank)
        losses.withUnsafeMutableBufferPointer { lossOut in
            let lossPointer = lossOut.baseAddress! + group.rank * perRank
            pool.run(mine.count) { j in
                let g = grads == nil ? nil : self.shardGrads[j].pointer
                g?.update(repeating: 0, count: self.model.layout.count)
                lossPointer[j] = self.model.run(
                    params: params.pointer, grads: g, batch: batch, rows: shards[mine.lowerBound + j],
                    lossScale: gradientScale / normaliser, workspace: self.workspaces[j])
            }
        }
        outputsGathered = false
        if group.size > 1 {
            exchange(losses: &losses, grads: grads, shards: shards, mine: mine)
        } else if let grads {
            grads.pointer.update(from: shardGrads[0].pointer, count: grads.count)
            for s in 1..<max(1, shards.count) { T.add(out: grads.pointer, shardGrads[s].pointer, count: grads.count) }
        }
        return losses.prefix(shards.count).reduce(0, +) / normaliser
    }

    /// Every rank's shard losses, gradients (training) or outputs (evaluation), gathered in shard order.
    private func exchange(losses: inout [Double], grads: Buffer<T>?, shards: [Range<Int>], mine: Range<Int>) {
        let k = perRank
        let local = Array(losses[(group.rank * k)..<(group.rank * k + k)])
        losses.withUnsafeMutableBytes { all in
            local.withUnsafeBytes { group.allGather($0.baseAddress!, bytes: k * 8, into: all.baseAddress!) }
        }
        let stride = MemoryLayout<T>.stride
        if let grads, let send = sentSlices, let received = receivedSlices, let summed = summedSlices, let own = ownSlice {
            // slice q of each of this rank's shards to rank q (zeros for a shard it does not have)
            let count = model.layout.count, l = slice, ranks = group.size
            send.zero()
            for q in 0..<ranks {
                let low = Swift.min(q * l, count), high = Swift.min(low + l, count)
                for j in 0..<mine.count where high > low {
                    (send.pointer + (q * k + j) * l).update(from: shardGrads[j].pointer + low, count: high - low)
                }
            }
            group.allToAll(send.pointer, bytes: k * l * stride, into: received.pointer)
            // this rank's slice, summed over every shard in shard order (received from rank r, its shard j: s = r·k + j)
            own.pointer.update(from: received.pointer, count: l)
            for s in 1..<max(1, shards.count) { T.add(out: own.pointer, received.pointer + s * l, count: l) }
            group.allGather(own.pointer, bytes: l * stride, into: summed.pointer)
            grads.pointer.update(from: summed.pointer, count: count)
        } else if grads == nil, let gathered = gatheredOutputs, let send = sentOutputs {
            let block = model.readoutSteps(length: length) * largest * model.config.outputSize
            for j in 0..<mine.count {
                let used = model.readoutSteps(length: length) * shards[mine.lowerBound + j].count * model.config.outputSize
                (send.pointer + j * block).update(from: workspaces[j].logits.pointer, count: used)
            }
            group.allGather(send.pointer, bytes: k * block * stride, into: gathered.pointer)
            outputsGathered = true
        }
    }

    /// Output of readout step r for batch row `row` of the last run: outputSize values.
    public func output(step r: Int, row: Int) -> UnsafePointer<T> {
        let (s, local, rows) = locate(row)
        let out = model.config.outputSize
        if outputsGathered, let gathered = gatheredOutputs {
            let block = model.readoutSteps(length: length) * largest * out
            return UnsafePointer(gathered.pointer + s * block + (r * rows + local) * out)
        }
        return UnsafePointer(workspaces[s - owned(lastShards.count).lowerBound].logits.pointer + (r * rows + local) * out)
    }

    /// Hidden state h_t (t = 0 ... length) for batch row `row` of the last run (this process's rows).
    public func state(step t: Int, row: Int) -> UnsafePointer<T> {
        let (s, local, rows) = locate(row)
        return workspaces[s - owned(lastShards.count).lowerBound].state(step: t, row: local, rows: rows, units: model.config.units)
    }

    private func locate(_ row: Int) -> (Int, Int, Int) {
        let s = lastShards.firstIndex { $0.contains(row) }!
        return (s, row - lastShards[s].lowerBound, lastShards[s].count)
    }
}
