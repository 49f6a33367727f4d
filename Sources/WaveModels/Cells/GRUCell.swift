import WaveKernels
import Foundation
import WaveCore
import WaveTasks

/// The GRU cell as PyTorch computes it (gates r, z, n):
///
///   r = s(.), z = s(.), n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn));  h' = (1 - z) n + z h
public struct GRUCell<T: Scalar>: GatedCell {
    public let config: ModelConfig
    public static var gateCount: Int { 3 }
    public var displayName: String { "GRU" }
    public init(_ config: ModelConfig) { self.config = config }

    public final class Workspace {
        let gates: Buffer<T> // [L, rows, 3N] activated gates per step; dLoss/d(h W_hh^T + b_hh) in backward
        let hn: Buffer<T> // [L, rows, N] h W_hn^T + b_hn per step
        let ax: Buffer<T> // [rows, 3N] x W_ih^T + b_ih; dLoss/d(that) in backward
        let ah: Buffer<T> // [rows, 3N] h W_hh^T + b_hh
        let dh: Buffer<T> // [rows, N] dLoss/dh, carried
        let direct: Buffer<T> // [rows, N] z dh: the part of dLoss/dh_t that skips W_hh
        let dGateBiasIH: Buffer<T> // [3N]
        let dGateBiasHH: Buffer<T> // [3N]
        let products: DenseProducts<T> // h W_hh^T, dAh W_hh, dAh^T h in the model's precision
        init(_ cell: GRUCell, capacity: Int, length: Int) {
            products = cell.makeProducts(cell.config, widestOperand: capacity * max(cell.width, cell.config.inputSize))
            let n = cell.units, w = cell.width
            gates = Buffer(zeros: length * capacity * w); hn = Buffer(zeros: length * capacity * n)
            ax = Buffer(zeros: capacity * w); ah = Buffer(zeros: capacity * w)
            dh = Buffer(zeros: capacity * n); direct = Buffer(zeros: capacity * n)
            dGateBiasIH = Buffer(zeros: w); dGateBiasHH = Buffer(zeros: w)
        }
        var all: [Buffer<T>] { [gates, hn, ax, ah, dh, direct, dGateBiasIH, dGateBiasHH] }
    }
    public func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(self, capacity: capacity, length: length) }
    public func bytes(of ws: Workspace) -> Int { ws.all.reduce(0) { $0 + $1.bytes } + ws.products.bytes }
    public func workspaceCount(capacity: Int, length: Int) -> Double {
        let rowsN = Double(capacity) * Double(units)
        return Double(length) * 4 * rowsN + 2 * 3 * rowsN + 2 * rowsN + 2 * Double(width)
            + productsCount(config, widestOperand: capacity * max(width, config.inputSize))
    }
    public func prepare(params: UnsafePointer<T>, rows: Int, workspace ws: Workspace) {
        ws.products.roundWeights(params, offset: wHH, count: width * units)
        if wideInput { ws.products.roundWeights(params, offset: wIH, count: width * config.inputSize) }
    }

    @inline(__always)
    public func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, d = config.inputSize, w = width
        let ax = ws.ax.pointer, ah = ws.ah.pointer
        inputProduct(ax, x: x, params: params, rows: b, products: ws.products)
        T.addBias(out: ax, bias: params + bIH, rows: b, cols: w)
        if t > 0 {
            ws.products.timesWeight(
                ah, ldc: w, states[t], lda: n, .none, params: params, offset: wHH, ldb: n, .transposed, m: b, n: w, k: n, beta: 0)
        } else {
            ah.update(repeating: 0, count: b * w)
        }
        T.addBias(out: ah, bias: params + bHH, rows: b, cols: w)
        T.gruForward(
            h: states[t + 1], gates: ws.gates.pointer + t * b * w, hn: ws.hn.pointer + t * b * n, ax: ax, ah: ah,
            hPrev: states[t], rows: b, n: n)
    }

    public func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        ws.dh.pointer.update(from: dh, count: states.rows * units)
        ws.dGateBiasIH.zero()
        ws.dGateBiasHH.zero()
    }

    @inline(__always)
    public func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let b = states.rows, n = units, d = config.inputSize, w = width
        let gates = ws.gates.pointer + t * b * w, dAx = ws.ax.pointer, dh = ws.dh.pointer
        T.gruBackward(
            dAx: dAx, dAh: gates, dhDirect: ws.direct.pointer, dh: dh, gates: gates, hn: ws.hn.pointer + t * b * n,
            hPrev: states[t], rows: b, n: n)
        T.addColumnSums(out: ws.dGateBiasHH.pointer, input: gates, rows: b, cols: w)
        T.addColumnSums(out: ws.dGateBiasIH.pointer, input: dAx, rows: b, cols: w)
        if !config.freezeEncoder {
            inputWeightGradient(grads, dA: dAx, x: x, rows: b, products: ws.products)
        }
        guard t > 0 else { return }
        // dLoss/dh_t = z dh + dAh W_hh (+ the readout's)
        dh.update(from: ws.direct.pointer, count: b * n)
        if let dhReadout { T.add(out: dh, dhReadout, count: b * n) }
        ws.products.timesWeight(dh, ldc: n, gates, lda: w, .none, params: params, offset: wHH, ldb: n, .none, m: b, n: n, k: w, beta: 1)
    }

    public func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, w = width, length = states.length
        if !config.freezeRecurrent && length > 1 {
            ws.products.product(
                grads + wHH, ldc: n, ws.gates.pointer + b * w, lda: w, .transposed, states[1], ldb: n, .none,
                m: w, n: n, k: (length - 1) * b, beta: 1)
        }
        if !config.freezeEncoder { T.add(out: grads + bIH, ws.dGateBiasIH.pointer, count: w) }
        if !config.freezeRecurrent { T.add(out: grads + bHH, ws.dGateBiasHH.pointer, count: w) }
    }
}

extension GRUCell {
    /// The plain GRU the fast forward is tested against: PyTorch's equations for h_1 ... h_L of one
    /// sequence, from the cell's parameters (W_ih, W_hh, b_ih, b_hh in state_dict order).
    ///
    ///   r = s(x_r + h_r), z = s(x_z + h_z), n = tanh(x_n + r h_n);  h' = (1 - z) n + z h
    public static func plainForward(_ config: ModelConfig, params: [Double], inputs: [[Double]]) -> [[Double]] {
        let n = config.units, d = config.inputSize
        var p = Plain.Reader(params)
        let wIH = p.take(3 * n * d), wHH = p.take(3 * n * n), bIH = p.take(3 * n), bHH = p.take(3 * n)
        var h = [Double](repeating: 0, count: n), states: [[Double]] = []
        for x in inputs {
            let ax = Plain.linear(wIH, bIH, x), ah = Plain.linear(wHH, bHH, h)
            h = (0..<n).map { k in
                let reset = Plain.sigmoid(ax[k] + ah[k]), update = Plain.sigmoid(ax[n + k] + ah[n + k])
                let candidate = tanh(ax[2 * n + k] + reset * ah[2 * n + k])
                return (1 - update) * candidate + update * h[k]
            }
            states.append(h)
        }
        return states
    }
}

/// The GRU as the tool sees it: PyTorch's own init, its paper numbers.
public enum GRUModel: ModelDescription {
    public static let name = "gru"
    public static let label = "GRU"
    public static let help = "PyTorch's nn.GRU"
    public static let options: Set<ModelOption> = [.readoutAt, .freezeU, .freezeV, .precision]
    public static func refusalReason(_ option: ModelOption) -> String? { authorsInitReason(name, option) }
    public static func preset(task: TaskConfig) -> ModelPreset { ModelPreset(model: basePreset(task: task)) }
    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { GRUCell<T>(config) }
    public static let published = [PublishedRow("GRU", accuracy: [.smnist: 99.1, .psmnist: 94.1, .nscifar10: 43.8])]
    /// Its recurrent products through oneDNN in bf16 against BLAS in fp32.
    public static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double? {
        let n = config.units
        return timeDenseBF16Speedup(weights: [(3 * n, n)], rows: rows, seconds: seconds)
    }
    public static let cpuGFLOPS = 110.0
    public static let benchmarks = [ModelBenchmark(name: "smnist-gru", task: TaskConfig(kind: .smnist), batch: 128, randomShape: [784, 1])]
}

extension ModelKind {
    public static let gru = GRUModel.kind
}
