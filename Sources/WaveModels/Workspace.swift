import WaveKernels
import WaveCore

/// Preallocated buffers for one batch shard: nothing is allocated inside the time loop. The
/// model's own buffers are here; the cell's (gates, cell states, carried gradients) are in `body`.
public final class Workspace<T: Scalar>: @unchecked Sendable {
    /// Largest shard (rows) and sequence length these buffers hold.
    public let capacity: Int
    public let length: Int
    let states: Buffer<T> // [L + 1, rows, N]: h_0 = 0, h_1 .. h_L (fc: [rows, L * d])
    let dhReadout: Buffer<T> // [rows, N] the readout's dLoss/dh for one step
    let logits: Buffer<T> // [R, rows, out], R = L (every step) or 1
    let dlogits: Buffer<T> // [R, rows, out]
    let hidden: Buffer<T> // [R, rows, m] the MLP readout's hidden layer
    let dhidden: Buffer<T> // [R, rows, m]
    let body: AnyObject // the cell's own workspace
    let bodyBytes: Int

    init(config: ModelConfig, body: any SequenceBody<T>, capacity: Int, length: Int) {
        self.capacity = capacity
        self.length = length
        let n = config.units
        let readoutSteps = config.readoutTiming == .every ? length : 1
        let mlp = config.readout == .mlp ? config.mlpHidden : 0
        states = Buffer(zeros: config.kind.isRecurrent ? (length + 1) * capacity * n : capacity * n)
        dhReadout = Buffer(zeros: config.kind.isRecurrent ? capacity * n : 0)
        logits = Buffer(zeros: readoutSteps * capacity * config.outputSize)
        dlogits = Buffer(zeros: readoutSteps * capacity * config.outputSize)
        hidden = Buffer(zeros: readoutSteps * capacity * mlp)
        dhidden = Buffer(zeros: readoutSteps * capacity * mlp)
        self.body = body.makeWorkspace(capacity: capacity, length: length)
        bodyBytes = body.bytes(of: self.body)
    }

    /// Bytes held by this workspace.
    public var bytes: Int { [states, dhReadout, logits, dlogits, hidden, dhidden].reduce(bodyBytes) { $0 + $1.bytes } }

    /// h_t for row `row` of the last run: N values, channel-major (ch * n + i).
    public func state(step t: Int, row: Int, rows: Int, units: Int) -> UnsafePointer<T> {
        UnsafePointer(states.pointer + (t * rows + row) * units)
    }
}
