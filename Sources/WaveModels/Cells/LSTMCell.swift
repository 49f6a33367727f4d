import WaveKernels
import Foundation
import WaveCore
import WaveTasks

/// The LSTM cell as PyTorch computes it (gates i, f, g, o):
///
///   A = x W_ih^T + b_ih + h W_hh^T + b_hh;  c' = s(f) c + s(i) tanh(g);  h' = s(o) tanh(c')
///
/// Backward overwrites each step's saved gates with dA, so dW_hh is one product over all steps.
public struct LSTMCell<T: Scalar>: GatedCell {
    public let config: ModelConfig
    public static var gateCount: Int { 4 }
    public var displayName: String { "LSTM" }
    public init(_ config: ModelConfig) { self.config = config }

    public final class Workspace {
        let cells: Buffer<T> // [L + 1, rows, N] c_0 = 0, c_1 .. c_L
        let gates: Buffer<T> // [L, rows, 4N] activated gates per step; dA in backward
        let dh: Buffer<T> // [rows, N] dLoss/dh, carried
        let dc: Buffer<T> // [rows, N] dLoss/dc, carried
        let dGateBias: Buffer<T> // [4N] dA summed (b_ih and b_hh get the same gradient)
        let products: DenseProducts<T> // h W_hh^T, dA W_hh, dA^T h in the model's precision
        init(_ cell: LSTMCell, capacity: Int, length: Int) {
            products = cell.makeProducts(cell.config, widestOperand: capacity * max(cell.width, cell.config.inputSize))
            cells = Buffer(zeros: (length + 1) * capacity * cell.units)
            gates = Buffer(zeros: length * capacity * cell.width)
            dh = Buffer(zeros: capacity * cell.units); dc = Buffer(zeros: capacity * cell.units)
            dGateBias = Buffer(zeros: cell.width)
        }
    }
    public func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(self, capacity: capacity, length: length) }
    public func workspaceCount(capacity: Int, length: Int) -> Double {
        let rowsN = Double(capacity) * Double(units)
        return (Double(length) + 1) * rowsN + Double(length) * 4 * rowsN + 2 * rowsN + Double(width)
            + productsCount(config, widestOperand: capacity * max(width, config.inputSize))
    }
    public func bytes(of ws: Workspace) -> Int {
        [ws.cells, ws.gates, ws.dh, ws.dc, ws.dGateBias].reduce(0) { $0 + $1.bytes } + ws.products.bytes
    }

    public func prepare(params: UnsafePointer<T>, rows: Int, workspace ws: Workspace) {
        ws.cells.pointer.update(repeating: 0, count: rows * units)
        ws.products.roundWeights(params, offset: wHH, count: width * units)
        if wideInput { ws.products.roundWeights(params, offset: wIH, count: width * config.inputSize) }
    }

    @inline(__always)
    public func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, d = config.inputSize, w = width
        let gates = ws.gates.pointer + t * b * w
        inputProduct(gates, x: x, params: params, rows: b, products: ws.products)
        if t > 0 {
            ws.products.timesWeight(
                gates, ldc: w, states[t], lda: n, .none, params: params, offset: wHH, ldb: n, .transposed, m: b, n: w, k: n, beta: 1)
        }
        T.addBias(out: gates, bias: params + bIH, rows: b, cols: w)
        T.addBias(out: gates, bias: params + bHH, rows: b, cols: w)
        T.lstmForward(
            h: states[t + 1], c: ws.cells.pointer + (t + 1) * b * n, gates: gates,
            cPrev: ws.cells.pointer + t * b * n, rows: b, n: n)
    }

    public func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        ws.dh.pointer.update(from: dh, count: states.rows * units)
        ws.dc.zero()
        ws.dGateBias.zero()
    }

    @inline(__always)
    public func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let b = states.rows, n = units, d = config.inputSize, w = width
        let gates = ws.gates.pointer + t * b * w
        T.lstmBackward(
            dA: gates, dc: ws.dc.pointer, dh: ws.dh.pointer, gates: gates, c: ws.cells.pointer + (t + 1) * b * n,
            cPrev: ws.cells.pointer + t * b * n, rows: b, n: n)
        T.addColumnSums(out: ws.dGateBias.pointer, input: gates, rows: b, cols: w)
        if !config.freezeEncoder {
            inputWeightGradient(grads, dA: gates, x: x, rows: b, products: ws.products)
        }
        guard t > 0 else { return }
        // dLoss/dh_t = dA W_hh (+ the readout's)
        if let dhReadout { ws.dh.pointer.update(from: dhReadout, count: b * n) }
        ws.products.timesWeight(
            ws.dh.pointer, ldc: n, gates, lda: w, .none, params: params, offset: wHH, ldb: n, .none, m: b, n: n, k: w,
            beta: dhReadout == nil ? 0 : 1)
    }

    public func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, w = width, length = states.length
        if !config.freezeRecurrent && length > 1 {
            // dW_hh = sum_{t >= 1} dA_t^T h_t over every step at once
            ws.products.product(
                grads + wHH, ldc: n, ws.gates.pointer + b * w, lda: w, .transposed, states[1], ldb: n, .none,
                m: w, n: n, k: (length - 1) * b, beta: 1)
        }
        if !config.freezeEncoder { T.add(out: grads + bIH, ws.dGateBias.pointer, count: w) }
        if !config.freezeRecurrent { T.add(out: grads + bHH, ws.dGateBias.pointer, count: w) }
    }
}

extension LSTMCell {
    /// The plain LSTM the fast forward is tested against: PyTorch's equations for h_1 ... h_L of one
    /// sequence, from the cell's parameters (W_ih, W_hh, b_ih, b_hh in state_dict order).
    ///
    ///   A = W_ih x + b_ih + W_hh h + b_hh = [i, f, g, o];  c' = s(f) c + s(i) tanh(g);  h' = s(o) tanh(c')
    public static func plainForward(_ config: ModelConfig, params: [Double], inputs: [[Double]]) -> [[Double]] {
        let n = config.units, d = config.inputSize
        var p = Plain.Reader(params)
        let wIH = p.take(4 * n * d), wHH = p.take(4 * n * n), bIH = p.take(4 * n), bHH = p.take(4 * n)
        var h = [Double](repeating: 0, count: n), c = h, states: [[Double]] = []
        for x in inputs {
            let ax = Plain.linear(wIH, bIH, x), ah = Plain.linear(wHH, bHH, h)
            let a = (0..<(4 * n)).map { ax[$0] + ah[$0] }
            for k in 0..<n {
                c[k] = Plain.sigmoid(a[n + k]) * c[k] + Plain.sigmoid(a[k]) * tanh(a[2 * n + k])
                h[k] = Plain.sigmoid(a[3 * n + k]) * tanh(c[k])
            }
            states.append(h)
        }
        return states
    }
}

/// The LSTM as the tool sees it: PyTorch's own init, its paper numbers.
public enum LSTMModel: ModelDescription {
    public static let name = "lstm"
    public static let label = "LSTM"
    public static let help = "PyTorch's nn.LSTM"
    public static let options: Set<ModelOption> = [.readoutAt, .freezeU, .freezeV, .precision]
    public static func refusalReason(_ option: ModelOption) -> String? { authorsInitReason(name, option) }
    public static func preset(task: TaskConfig) -> ModelPreset { ModelPreset(model: basePreset(task: task)) }
    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { LSTMCell<T>(config) }
    public static let published = [PublishedRow("LSTM", accuracy: [.smnist: 98.8, .psmnist: 92.9, .nscifar10: 11.6])]
    /// Its recurrent products through oneDNN in bf16 against BLAS in fp32.
    public static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double? {
        let n = config.units
        return timeDenseBF16Speedup(weights: [(4 * n, n)], rows: rows, seconds: seconds)
    }
    public static let cpuGFLOPS = 110.0
    public static let benchmarks = [ModelBenchmark(name: "smnist-lstm", task: TaskConfig(kind: .smnist), batch: 128, randomShape: [784, 1])]
}

extension ModelKind {
    public static let lstm = LSTMModel.kind
}
