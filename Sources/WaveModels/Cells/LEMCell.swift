import WaveKernels
import Foundation
import WaveCore
import WaveTasks

/// The Long Expressive Memory cell (Rusch, Mishra, Erichson & Mahoney, ICLR 2022): y and z, both 0 at t = 0.
///
///   [i_dt1, i_dt2, i_z, i_y] = inp2hid(x_t)        (d -> 4N)
///   [h_dt1, h_dt2, h_y]      = hid2hid(y_t)        (N -> 3N)
///   dt_bar = dt s(i_dt1 + h_dt1);   dt_t = dt s(i_dt2 + h_dt2)
///   z_{t+1} = (1 - dt_t) z_t + dt_t tanh(i_y + h_y)
///   y_{t+1} = (1 - dt_bar) y_t + dt_bar tanh(transform_z(z_{t+1}) + i_z)
///
/// Every cell weight and bias starts uniform(±1/sqrt(N)); the readout (`classifier`) reads y.
public struct LEMCell<T: Scalar>: RecurrentCell {
    public let config: ModelConfig
    let encoder: InputProjection<T>
    let dt: T
    public var units: Int { config.units }
    var inputWidth: Int { 4 * units }
    var hiddenWidth: Int { 3 * units }
    public var displayName: String { "LEM" }
    public var summary: String { "N=\(units), dt \(config.lemDt), uniform(1/sqrt(N)) init, Kaiming-normal classifier" }
    public var flopsPerStep: Double { Double(2 * (inputWidth * config.inputSize + hiddenWidth * units + units * units)) }
    public var inputFlopsPerStep: Double { Double(2 * inputWidth * config.inputSize) }
    var inputBias: Int { inputWidth * config.inputSize }
    var hiddenWeight: Int { inputBias + inputWidth }
    var hiddenBias: Int { hiddenWeight + hiddenWidth * units }
    var transformWeight: Int { hiddenBias + hiddenWidth }
    var transformBias: Int { transformWeight + units * units }

    public var readoutName: String { "classifier" }
    public var readoutWeightInit: ReadoutWeightInit { .kaimingNormal }

    public init(_ config: ModelConfig) {
        self.config = config
        encoder = InputProjection(inputSize: config.inputSize, units: 4 * config.units, weight: 0, frozen: false)
        dt = T(config.lemDt)
    }

    public var parameters: [ParameterSpec] {
        let n = units, d = config.inputSize
        return [
            ParameterSpec("cell.inp2hid.weight", [4 * n, d], .encoderWeight), ParameterSpec("cell.inp2hid.bias", [4 * n], .encoderBias),
            ParameterSpec("cell.hid2hid.weight", [3 * n, n], .recurrentWeight), ParameterSpec("cell.hid2hid.bias", [3 * n], .recurrentBias),
            ParameterSpec("cell.transform_z.weight", [n, n], .cellWeight), ParameterSpec("cell.transform_z.bias", [n], .cellBias)
        ]
    }

    public func initialValues(_ rng: inout RandomStream) -> [Double] {
        uniformValues(parameterCount, bound: 1 / Double(units).squareRoot(), &rng)
    }

    public final class Workspace {
        let gates: Buffer<T> // [L, rows, 4N] (s(dt1), s(dt2), tanh z-branch, tanh y-branch); dLoss/d(inp2hid) in backward
        let hidden: Buffer<T> // [rows, 3N] hid2hid(y_t)
        let transformed: Buffer<T> // [rows, N] transform_z(z_{t+1}) without bias
        let z: Buffer<T> // [L + 1, rows, N] z_0 = 0 ... z_L
        let dy: Buffer<T> // [rows, N] dLoss/dy, carried
        let dz: Buffer<T> // [rows, N] dLoss/dz (not through y), carried
        let dInputBias: Buffer<T> // [4N]
        let dHiddenBias: Buffer<T> // [3N]
        let dTransformBias: Buffer<T> // [N]
        let encoderT: Buffer<T>, dEncoderT: Buffer<T> // [d, 4N]
        let products: DenseProducts<T> // hid2hid's and transform_z's products and weight gradients in the model's precision
        init(_ cell: LEMCell, capacity: Int, length: Int) {
            products = cell.makeProducts(cell.config, widestOperand: capacity * max(2 * cell.units, cell.config.inputSize))
            let n = cell.units
            gates = Buffer(zeros: length * capacity * 4 * n); hidden = Buffer(zeros: capacity * 3 * n)
            transformed = Buffer(zeros: capacity * n); z = Buffer(zeros: (length + 1) * capacity * n)
            dy = Buffer(zeros: capacity * n); dz = Buffer(zeros: capacity * n)
            dInputBias = Buffer(zeros: 4 * n); dHiddenBias = Buffer(zeros: 3 * n); dTransformBias = Buffer(zeros: n)
            (encoderT, dEncoderT) = cell.encoder.makeBuffers()
        }
        var all: [Buffer<T>] { [gates, hidden, transformed, z, dy, dz, dInputBias, dHiddenBias, dTransformBias, encoderT, dEncoderT] }
    }
    public func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(self, capacity: capacity, length: length) }
    public func bytes(of ws: Workspace) -> Int { ws.all.reduce(0) { $0 + $1.bytes } + ws.products.bytes }
    public func workspaceCount(capacity: Int, length: Int) -> Double {
        let rowsN = Double(capacity) * Double(units)
        return Double(length) * 4 * rowsN + 4 * rowsN + (Double(length) + 1) * rowsN + 2 * rowsN + 8 * Double(units) + encoder.bufferCount
            + productsCount(config, widestOperand: capacity * max(2 * units, config.inputSize))
    }

    public func prepare(params: UnsafePointer<T>, rows: Int, workspace ws: Workspace) {
        ws.z.pointer.update(repeating: 0, count: rows * units)
        encoder.prepare(params: params, transposed: ws.encoderT, products: ws.products)
        ws.products.roundWeights(params, offset: hiddenWeight, count: hiddenWidth * units)
        ws.products.roundWeights(params, offset: transformWeight, count: units * units)
    }

    @inline(__always)
    public func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, g = ws.gates.pointer + t * b * 4 * n, hh = ws.hidden.pointer
        let zPrev = ws.z.pointer + t * b * n, zNext = zPrev + b * n
        let yPrev = states[t], yNext = states[t + 1]
        encoder.forward(pre: g, x: x, params: params, transposed: ws.encoderT, rows: b, accumulate: false, products: ws.products)
        T.addBias(out: g, bias: params + inputBias, rows: b, cols: 4 * n)
        if t > 0 {
            ws.products.timesWeight(
                hh, ldc: 3 * n, yPrev, lda: n, .none, params: params, offset: hiddenWeight, ldb: n, .transposed, m: b, n: 3 * n, k: n,
                beta: 0)
        } else {
            hh.update(repeating: 0, count: b * 3 * n)
        }
        T.addBias(out: hh, bias: params + hiddenBias, rows: b, cols: 3 * n)
        T.lemGatesForward(zNext: zNext, gates: g, hidden: hh, zPrev: zPrev, rows: b, n: n, dt: dt)
        let transformed = ws.transformed.pointer
        ws.products.timesWeight(
            transformed, ldc: n, zNext, lda: n, .none, params: params, offset: transformWeight, ldb: n, .transposed, m: b, n: n, k: n,
            beta: 0)
        T.lemOutputForward(
            yNext: yNext, gates: g, transformed: transformed, bias: params + transformBias, yPrev: yPrev,
            rows: b, n: n, dt: dt)
    }

    public func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        ws.dy.pointer.update(from: dh, count: states.rows * units)
        ws.dz.zero()
        ws.dInputBias.zero(); ws.dHiddenBias.zero(); ws.dTransformBias.zero()
        ws.dEncoderT.zero()
    }

    /// The saved gates of step t become dLoss/d(inp2hid output) = [dA1, dA2, dAz, dAy]; hid2hid's
    /// output gradient is [dA1, dA2, dAy], the same columns without the z-branch.
    @inline(__always)
    public func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let b = states.rows, n = units, g = ws.gates.pointer + t * b * 4 * n
        let zPrev = ws.z.pointer + t * b * n
        let yPrev = states[t], dy = ws.dy.pointer, dz = ws.dz.pointer
        // through y_{t+1} = (1 - dt_bar) y_t + dt_bar az
        T.lemOutputBackward(gates: g, dy: dy, yPrev: yPrev, rows: b, n: n, dt: dt)
        // dLoss/dz_{t+1} in full: what later steps sent plus dAz transform_z
        ws.products.timesWeight(
            dz, ldc: n, g + 2 * n, lda: 4 * n, .none, params: params, offset: transformWeight, ldb: n, .none, m: b, n: n, k: n, beta: 1)
        // through z_{t+1} = (1 - dt_t) z_t + dt_t ay
        T.lemGatesBackward(gates: g, dz: dz, zPrev: zPrev, rows: b, n: n, dt: dt)
        T.addColumnSums(out: ws.dInputBias.pointer, input: g, rows: b, cols: 4 * n)
        for r in 0..<b {
            let gi = g + r * 4 * n
            T.add(out: ws.dHiddenBias.pointer, gi, count: 2 * n)
            T.add(out: ws.dHiddenBias.pointer + 2 * n, gi + 3 * n, count: n)
            T.add(out: ws.dTransformBias.pointer, gi + 2 * n, count: n)
        }
        encoder.backward(grads: grads, dTransposed: ws.dEncoderT, dpre: g, x: x, rows: b, products: ws.products)
        guard t > 0 else { return }
        // dLoss/dy_t += [dA1, dA2] W_hh[0 ..< 2N] + dAy W_hh[2N ..< 3N] (+ the readout's)
        let w = hiddenWeight
        ws.products.timesWeight(dy, ldc: n, g, lda: 4 * n, .none, params: params, offset: w, ldb: n, .none, m: b, n: n, k: 2 * n, beta: 1)
        ws.products.timesWeight(
            dy, ldc: n, g + 3 * n, lda: 4 * n, .none, params: params, offset: w + 2 * n * n, ldb: n, .none, m: b, n: n, k: n, beta: 1)
        if let dhReadout { T.add(out: dy, dhReadout, count: b * n) }
    }

    /// hid2hid's and transform_z's weight gradients, one product each over every step.
    public func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, length = states.length, g = ws.gates.pointer
        if length > 1 {
            let rows = (length - 1) * b, later = g + b * 4 * n
            ws.products.product(
                grads + hiddenWeight, ldc: n, later, lda: 4 * n, .transposed, states[1], ldb: n, .none,
                m: 2 * n, n: n, k: rows, beta: 1)
            ws.products.product(
                grads + hiddenWeight + 2 * n * n, ldc: n, later + 3 * n, lda: 4 * n, .transposed, states[1], ldb: n, .none,
                m: n, n: n, k: rows, beta: 1)
        }
        ws.products.product(
            grads + transformWeight, ldc: n, g + 2 * n, lda: 4 * n, .transposed, ws.z.pointer + b * n, ldb: n, .none,
            m: n, n: n, k: length * b, beta: 1)
        T.add(out: grads + inputBias, ws.dInputBias.pointer, count: 4 * n)
        T.add(out: grads + hiddenBias, ws.dHiddenBias.pointer, count: 3 * n)
        T.add(out: grads + transformBias, ws.dTransformBias.pointer, count: n)
        encoder.finish(grads: grads, dTransposed: ws.dEncoderT)
    }
}

extension LEMCell {
    /// The plain LEM the fast forward is tested against: its paper's equations for y_1 ... y_L of one
    /// sequence, from inp2hid [4N, d], hid2hid [3N, N] and transform_z [N, N].
    ///
    ///   dt_bar = dt s(i_1 + h_1), dt_z = dt s(i_2 + h_2)
    ///   z' = (1 - dt_z) z + dt_z tanh(i_4 + h_3);  y' = (1 - dt_bar) y + dt_bar tanh(T z' + i_3)
    public static func plainForward(_ config: ModelConfig, params: [Double], inputs: [[Double]]) -> [[Double]] {
        let n = config.units, d = config.inputSize, dt = config.lemDt
        var p = Plain.Reader(params)
        let wi = p.take(4 * n * d), bi = p.take(4 * n), wh = p.take(3 * n * n), bh = p.take(3 * n), wt = p.take(n * n), bt = p.take(n)
        var y = [Double](repeating: 0, count: n), z = y, states: [[Double]] = []
        for x in inputs {
            let i = Plain.linear(wi, bi, x), h = Plain.linear(wh, bh, y)
            let dtBar = (0..<n).map { dt * Plain.sigmoid(i[$0] + h[$0]) }, dtZ = (0..<n).map { dt * Plain.sigmoid(i[n + $0] + h[n + $0]) }
            for k in 0..<n { z[k] = (1 - dtZ[k]) * z[k] + dtZ[k] * tanh(i[3 * n + k] + h[2 * n + k]) }
            let transformed = Plain.linear(wt, bt, z)
            for k in 0..<n { y[k] = (1 - dtBar[k]) * y[k] + dtBar[k] * tanh(transformed[k] + i[2 * n + k]) }
            states.append(y)
        }
        return states
    }
}

extension ModelConfig {
    /// LEM's largest step, with its authors' sMNIST value when unset.
    var lemDt: Double { dt ?? 0.21 }
}

/// LEM as the tool sees it: its step, its published settings per task, its numbers.
public enum LEMModel: ModelDescription {
    public static let name = "lem"
    public static let label = "LEM"
    public static let help = "Long Expressive Memory (Rusch et al. 2022)"
    public static let options: Set<ModelOption> = [.readoutAt, .dt, .precision]
    public static func refusalReason(_ option: ModelOption) -> String? {
        option == .freezeU || option == .freezeV ? "lem's weights mix input and recurrence" : authorsInitReason(name, option)
    }

    /// Rusch et al. 2022: batch 128 unless stated; 120 epochs, lr / 10 after 100.
    static let sMNIST = BaselineSettings(units: 128, learningRate: 0.0018, batchSize: 128, clip: 1.0, dt: 0.21)
    static let psMNIST = BaselineSettings(units: 128, learningRate: 0.0073, batchSize: 128, clip: 1.1, dt: 0.31)
    static let nsCIFAR10 = BaselineSettings(units: 128, learningRate: 0.00322, batchSize: 100, clip: 0, dt: 0.44)

    public static func preset(task: TaskConfig) -> ModelPreset {
        BaselineSettings.forTask(task, sMNIST: sMNIST, psMNIST: psMNIST, nsCIFAR10: nsCIFAR10).preset(basePreset(task: task), task: task)
    }

    public static func apply(_ options: ModelOptionValues, to config: inout ModelConfig) throws {
        if let hiddenSize = options.hiddenSize { config.ringSize = hiddenSize }
        if let dt = options.dt { config.dt = dt }
    }

    public static func check(_ config: ModelConfig, task: TaskConfig) throws {
        try checkFinite(config.dt, "--dt", strictlyPositive: true)
    }

    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { LEMCell<T>(config) }
    public static func tableLabel(_ m: ModelConfig) -> String { "LEM N=\(m.units) dt=\(m.lemDt)" }
    public static let published = [PublishedRow("LEM", accuracy: [.smnist: 99.5, .psmnist: 96.6, .nscifar10: 60.5])]
    /// Its recurrent products through oneDNN in bf16 against BLAS in fp32.
    public static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double? {
        let n = config.units
        return timeDenseBF16Speedup(weights: [(3 * n, n), (n, n)], rows: rows, seconds: seconds)
    }
    public static let cpuGFLOPS = 130.0
    /// At its published size: N = 128, batch 128.
    public static let benchmarks = [ModelBenchmark(name: "smnist-lem", task: TaskConfig(kind: .smnist), batch: 128, randomShape: [784, 1])]
}

extension ModelKind {
    public static let lem = LEMModel.kind
}
