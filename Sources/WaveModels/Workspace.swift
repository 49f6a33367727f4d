import WaveCore

/// Preallocated buffers for one batch shard: nothing is allocated inside the time loop.
/// Only the hidden states are kept for backprop through time; relu and tanh derivatives
/// are recovered from them.
public final class Workspace<T: Scalar>: @unchecked Sendable {
    /// Largest shard (rows) and sequence length these buffers hold.
    public let capacity: Int
    public let length: Int
    let states: Buffer<T>       // [length + 1, rows, N]: h_0 = 0, h_1 .. h_L
    let pre: Buffer<T>          // [rows, N] pre-activation of the current step
    let dh: Buffer<T>           // [rows, N] dLoss/dh of the state being walked back through
    let dpre: Buffer<T>         // [rows, N] dLoss/dpre of the step being walked back through
    let dpreEarlier: Buffer<T>  // [rows, N] the same for the step before it (ping-pong with dpre)
    let convScratch: Buffer<T>  // padded rings for the circular kernels
    let kernelT: Buffer<T>      // [c, c, f] flipped transpose of u
    let encoderT: Buffer<T>     // [d, N] V transposed, for the small-d input projection
    let dEncoderT: Buffer<T>    // [d, N] dLoss/dV transposed, accumulated over steps
    let bias: Buffer<T>         // [N] b_u broadcast over each ring, plus b_V
    let dbias: Buffer<T>        // [N] dpre summed over rows and steps
    let logits: Buffer<T>       // [R, rows, out], R = length (every step) or 1
    let dlogits: Buffer<T>      // [R, rows, out]
    let hidden: Buffer<T>       // [R, rows, mlpHidden]
    let dhidden: Buffer<T>      // [R, rows, mlpHidden]

    init(config: ModelConfig, capacity: Int, length: Int) {
        self.capacity = capacity
        self.length = length
        let n = config.units
        let readoutSteps = config.readoutTiming == .every ? length : 1
        let mlp = config.readout == .mlp ? config.mlpHidden : 0
        states = Buffer(zeros: (length + 1) * capacity * n)
        pre = Buffer(zeros: capacity * n)
        dh = Buffer(zeros: capacity * n)
        dpre = Buffer(zeros: capacity * n)
        dpreEarlier = Buffer(zeros: capacity * n)
        convScratch = Buffer(zeros: config.kind == .wrnn
            ? circularConvScratchCount(channels: config.channels, ringSize: config.hiddenSize, kernel: config.kernelSize) : 0)
        kernelT = Buffer(zeros: config.kind == .wrnn ? config.channels * config.channels * config.kernelSize : 0)
        encoderT = Buffer(zeros: config.inputSize * n)
        dEncoderT = Buffer(zeros: config.inputSize * n)
        bias = Buffer(zeros: n)
        dbias = Buffer(zeros: n)
        logits = Buffer(zeros: readoutSteps * capacity * config.outputSize)
        dlogits = Buffer(zeros: readoutSteps * capacity * config.outputSize)
        hidden = Buffer(zeros: readoutSteps * capacity * mlp)
        dhidden = Buffer(zeros: readoutSteps * capacity * mlp)
    }

    /// Bytes held by this workspace.
    public var bytes: Int {
        [states, pre, dh, dpre, dpreEarlier, convScratch, kernelT, encoderT, dEncoderT, bias, dbias, logits, dlogits, hidden, dhidden]
            .reduce(0) { $0 + $1.bytes }
    }

    /// h_t for row `row` of the last run: N values, channel-major (ch * n + i).
    public func state(step t: Int, row: Int, rows: Int, units: Int) -> UnsafePointer<T> {
        UnsafePointer(states.pointer + (t * rows + row) * units)
    }
}
