import WaveCore

/// Preallocated buffers for one batch shard: nothing is allocated inside the time loop.
/// Only the hidden states are kept for backprop through time; relu and tanh derivatives
/// are recovered from them.
public final class Workspace<T: Scalar>: @unchecked Sendable {
    /// Largest shard (rows) and sequence length these buffers hold.
    public let capacity: Int
    public let length: Int
    let states: Buffer<T>       // [length + 1, rows, N]: h_0 = 0, h_1 .. h_L (fc: [rows, L * d])
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
    let cells: Buffer<T>        // LSTM [length + 1, rows, N]: c_0 = 0, c_1 .. c_L
    let gates: Buffer<T>        // gated cells [length, rows, G*N] activated gates per step
    let hn: Buffer<T>           // GRU [length, rows, N]: W_hn h + b_hn per step
    let ax: Buffer<T>           // gated [rows, G*N] x W_ih^T + b_ih; reused as dLoss/d(ax)
    let ah: Buffer<T>           // GRU [rows, G*N] h W_hh^T + b_hh; reused as dLoss/d(ah)
    let dc: Buffer<T>           // LSTM [rows, N] dLoss/dc
    let dGateBiasIH: Buffer<T>  // gated [G*N]
    let dGateBiasHH: Buffer<T>  // gated [G*N]
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
        // fc keeps one "state": the flattened sequence [rows, L * d]
        states = Buffer(zeros: config.kind.isRecurrent ? (length + 1) * capacity * n : capacity * n)
        pre = Buffer(zeros: capacity * n)
        dh = Buffer(zeros: capacity * n)
        dpre = Buffer(zeros: capacity * n)
        dpreEarlier = Buffer(zeros: capacity * n)
        convScratch = Buffer(zeros: config.kind == .wrnn
            ? circularConvScratchCount(channels: config.channels, ringSize: config.hiddenSize, kernel: config.kernelSize) : 0)
        kernelT = Buffer(zeros: config.kind == .wrnn ? config.channels * config.channels * config.kernelSize : 0)
        encoderT = Buffer(zeros: config.kind.isGated ? 0 : config.inputSize * n)
        dEncoderT = Buffer(zeros: config.kind.isGated ? 0 : config.inputSize * n)
        bias = Buffer(zeros: n)
        dbias = Buffer(zeros: n)
        let gated = config.kind.isGated, gateWidth = config.kind.gateCount * n
        cells = Buffer(zeros: config.kind == .lstm ? (length + 1) * capacity * n : 0)
        gates = Buffer(zeros: gated ? length * capacity * gateWidth : 0)
        hn = Buffer(zeros: config.kind == .gru ? length * capacity * n : 0)
        ax = Buffer(zeros: gated ? capacity * gateWidth : 0)
        ah = Buffer(zeros: gated ? capacity * gateWidth : 0)
        dc = Buffer(zeros: config.kind == .lstm ? capacity * n : 0)
        dGateBiasIH = Buffer(zeros: gated ? gateWidth : 0)
        dGateBiasHH = Buffer(zeros: gated ? gateWidth : 0)
        logits = Buffer(zeros: readoutSteps * capacity * config.outputSize)
        dlogits = Buffer(zeros: readoutSteps * capacity * config.outputSize)
        hidden = Buffer(zeros: readoutSteps * capacity * mlp)
        dhidden = Buffer(zeros: readoutSteps * capacity * mlp)
    }

    /// Bytes held by this workspace.
    public var bytes: Int {
        [states, pre, dh, dpre, dpreEarlier, convScratch, kernelT, encoderT, dEncoderT, bias, dbias, cells, gates, hn, ax, ah, dc, dGateBiasIH, dGateBiasHH, logits, dlogits, hidden, dhidden]
            .reduce(0) { $0 + $1.bytes }
    }

    /// h_t for row `row` of the last run: N values, channel-major (ch * n + i).
    public func state(step t: Int, row: Int, rows: Int, units: Int) -> UnsafePointer<T> {
        UnsafePointer(states.pointer + (t * rows + row) * units)
    }
}
