import WaveKernels
import Foundation
import WaveCore
import WaveTasks

/// The coupled oscillatory RNN (Rusch & Mishra, ICLR 2021): position y, velocity z, both 0 at t = 0.
///
///   z_{t+1} = z_t + dt * ( tanh(W [x_t, z_t, y_t] + b) - gamma * y_t - eps * z_t )
///   y_{t+1} = y_t + dt * z_{t+1}
///
/// One Linear `cell.i2h` over the concatenation [x, z, y] (PyTorch's default init); the readout
/// reads y. W's three column blocks are used in place: W_x [N, d], W_z [N, N], W_y [N, N].
public struct CoRNNCell<T: Scalar>: RecurrentCell {
    public let config: ModelConfig
    let encoder: InputProjection<T>
    let dt: T, gamma: T, epsilon: T
    public var units: Int { config.units }
    var width: Int { config.inputSize + 2 * units } // d + 2N: a row of W
    public var displayName: String { "coRNN" }
    public var summary: String {
        "N=\(units), dt \(config.coRNNDt), gamma \(config.coRNNGamma), eps \(config.coRNNEpsilon), PyTorch init"
    }
    public var flopsPerStep: Double { Double(2 * units * width) }
    public var inputFlopsPerStep: Double { Double(2 * units * config.inputSize) }
    var zColumns: Int { config.inputSize } // W_z starts at column d
    var yColumns: Int { config.inputSize + units } // W_y at column d + N
    var biasOffset: Int { units * width }

    public init(_ config: ModelConfig) {
        self.config = config
        var encoder = InputProjection<T>(inputSize: config.inputSize, units: config.units, weight: 0, frozen: false)
        encoder.stride = config.inputSize + 2 * config.units
        self.encoder = encoder
        dt = T(config.coRNNDt); gamma = T(config.coRNNGamma); epsilon = T(config.coRNNEpsilon)
    }

    public var parameters: [ParameterSpec] {
        [ParameterSpec("cell.i2h.weight", [units, width], .cellWeight), ParameterSpec("cell.i2h.bias", [units], .cellBias)]
    }

    public func initialValues(_ rng: inout RandomStream) -> [Double] {
        uniformValues(parameterCount, bound: 1 / Double(width).squareRoot(), &rng)
    }

    public final class Workspace {
        let z: Buffer<T> // [L + 1, rows, N] z_0 = 0 ... z_L
        let activation: Buffer<T> // [L, rows, N] tanh(W [x, z, y] + b) per step; dLoss/dpre in backward
        let dy: Buffer<T> // [rows, N] dLoss/dy, carried
        let dz: Buffer<T> // [rows, N] dLoss/dz (not through y), carried
        let dbias: Buffer<T> // [N]
        let encoderT: Buffer<T>, dEncoderT: Buffer<T> // [d, N]
        let products: DenseProducts<T> // z W_z^T, y W_y^T, dpre W_z, dpre W_y and their weight gradients in the model's precision
        init(_ cell: CoRNNCell, capacity: Int, length: Int) {
            products = cell.makeProducts(cell.config, widestOperand: capacity * max(cell.units, cell.config.inputSize))
            let n = cell.units
            z = Buffer(zeros: (length + 1) * capacity * n); activation = Buffer(zeros: length * capacity * n)
            dy = Buffer(zeros: capacity * n); dz = Buffer(zeros: capacity * n); dbias = Buffer(zeros: n)
            (encoderT, dEncoderT) = cell.encoder.makeBuffers()
        }
        var all: [Buffer<T>] { [z, activation, dy, dz, dbias, encoderT, dEncoderT] }
    }
    public func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(self, capacity: capacity, length: length) }
    public func bytes(of ws: Workspace) -> Int { ws.all.reduce(0) { $0 + $1.bytes } + ws.products.bytes }
    public func workspaceCount(capacity: Int, length: Int) -> Double {
        let rowsN = Double(capacity) * Double(units)
        return (2 * Double(length) + 1) * rowsN + 2 * rowsN + Double(units) + encoder.bufferCount
            + productsCount(config, widestOperand: capacity * max(units, config.inputSize))
    }

    public func prepare(params: UnsafePointer<T>, rows: Int, workspace ws: Workspace) {
        ws.z.pointer.update(repeating: 0, count: rows * units)
        encoder.prepare(params: params, transposed: ws.encoderT)
        ws.products.roundWeights(params, offset: 0, count: units * width)
    }

    @inline(__always)
    public func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, w = width
        let pre = ws.activation.pointer + t * b * n
        let zPrev = ws.z.pointer + t * b * n, zNext = zPrev + b * n
        let yPrev = states[t], yNext = states[t + 1]
        encoder.forward(pre: pre, x: x, params: params, transposed: ws.encoderT, rows: b, accumulate: false, products: ws.products)
        if t > 0 {
            ws.products.timesWeight(
                pre, ldc: n, zPrev, lda: n, .none, params: params, offset: zColumns, ldb: w, .transposed, m: b, n: n, k: n, beta: 1)
            ws.products.timesWeight(
                pre, ldc: n, yPrev, lda: n, .none, params: params, offset: yColumns, ldb: w, .transposed, m: b, n: n, k: n, beta: 1)
        }
        T.cornnForward(
            yNext: yNext, zNext: zNext, activation: pre, yPrev: yPrev, zPrev: zPrev, bias: params + biasOffset,
            rows: b, n: n, dt: dt, gamma: gamma, epsilon: epsilon)
    }

    public func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        ws.dy.pointer.update(from: dh, count: states.rows * units)
        ws.dz.zero()
        ws.dbias.zero()
        ws.dEncoderT.zero()
    }

    /// With dy = dLoss/dy_{t+1}, dz = dLoss/dz_{t+1} (not through y_{t+1}):
    ///   dz' = dz + dt dy;  dpre = dz' dt (1 - a^2);  dz_t = (1 - dt eps) dz' + dpre W_z;  dy_t = dy - dt gamma dz' + dpre W_y
    @inline(__always)
    public func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let b = states.rows, n = units, w = width
        let dpre = ws.activation.pointer + t * b * n // a, overwritten by dLoss/dpre
        let dy = ws.dy.pointer, dz = ws.dz.pointer
        T.cornnBackward(dpre: dpre, dy: dy, dz: dz, rows: b, n: n, dt: dt, gamma: gamma, epsilon: epsilon)
        T.addColumnSums(out: ws.dbias.pointer, input: dpre, rows: b, cols: n)
        encoder.backward(grads: grads, dTransposed: ws.dEncoderT, dpre: dpre, x: x, rows: b, products: ws.products)
        guard t > 0 else { return }
        ws.products.timesWeight(dz, ldc: n, dpre, lda: n, .none, params: params, offset: zColumns, ldb: w, .none, m: b, n: n, k: n, beta: 1)
        ws.products.timesWeight(dy, ldc: n, dpre, lda: n, .none, params: params, offset: yColumns, ldb: w, .none, m: b, n: n, k: n, beta: 1)
        if let dhReadout { T.add(out: dy, dhReadout, count: b * n) }
    }

    /// dW_z = sum_{t >= 1} dpre_t^T z_t and dW_y = sum_{t >= 1} dpre_t^T y_t, each one product over every step.
    public func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, w = width, length = states.length
        if length > 1 {
            let dpre = ws.activation.pointer + b * n
            ws.products.product(
                grads + zColumns, ldc: w, dpre, lda: n, .transposed, ws.z.pointer + b * n, ldb: n, .none,
                m: n, n: n, k: (length - 1) * b, beta: 1)
            ws.products.product(
                grads + yColumns, ldc: w, dpre, lda: n, .transposed, states[1], ldb: n, .none,
                m: n, n: n, k: (length - 1) * b, beta: 1)
        }
        T.add(out: grads + biasOffset, ws.dbias.pointer, count: n)
        encoder.finish(grads: grads, dTransposed: ws.dEncoderT)
    }
}

extension CoRNNCell {
    /// The plain coRNN the fast forward is tested against: its authors' equations for y_1 ... y_L of
    /// one sequence, from `cell.i2h` over the concatenation [x, z, y].
    ///
    ///   z += dt (tanh(W [x, z, y] + b) - gamma y - eps z);  y += dt z
    public static func plainForward(_ config: ModelConfig, params: [Double], inputs: [[Double]]) -> [[Double]] {
        let n = config.units, d = config.inputSize
        var p = Plain.Reader(params)
        let w = p.take(n * (d + 2 * n)), b = p.take(n)
        let dt = config.coRNNDt, gamma = config.coRNNGamma, epsilon = config.coRNNEpsilon
        var y = [Double](repeating: 0, count: n), z = y, states: [[Double]] = []
        for x in inputs {
            let a = Plain.linear(w, b, x + z + y).map(tanh)
            for k in 0..<n { z[k] += dt * (a[k] - gamma * y[k] - epsilon * z[k]) }
            for k in 0..<n { y[k] += dt * z[k] }
            states.append(y)
        }
        return states
    }
}

extension ModelConfig {
    /// The coRNN's constants, with its authors' sMNIST values when unset.
    var coRNNDt: Double { dt ?? 0.042 }
    var coRNNGamma: Double { gamma ?? 2.7 }
    var coRNNEpsilon: Double { epsilon ?? 4.7 }
}

/// The published settings of a cited baseline on one task, as plain values.
struct BaselineSettings: Sendable {
    var units: Int
    var learningRate: Double
    var batchSize: Int
    var clip: Double
    var dt: Double
    var gamma: Double? = nil
    var epsilon: Double? = nil

    /// The settings a cited baseline published for `task`: the permuted ones for psMNIST / psFMNIST,
    /// the noisy-CIFAR ones for nscifar10, the sMNIST ones elsewhere.
    static func forTask(
        _ task: TaskConfig, sMNIST: BaselineSettings, psMNIST: BaselineSettings, nsCIFAR10: BaselineSettings
    ) -> BaselineSettings {
        switch task.modelRecipe {
        case .noisyClassification: return nsCIFAR10
        case .permutedClassification: return psMNIST
        case .tokenRecall, .longRegression, .classification: return sMNIST
        }
    }

    /// The preset: N = `units` on images and 100 on copy and adding; the constants everywhere; on
    /// images also the batch, clipping and lr / 10 after epoch 100 (120 epochs).
    func preset(_ base: ModelConfig, task: TaskConfig) -> ModelPreset {
        var model = base
        if task.modelRecipe.isClassification { model.ringSize = units }
        model.dt = dt
        model.gamma = gamma
        model.epsilon = epsilon
        guard task.modelRecipe.isClassification else { return ModelPreset(model: model, learningRate: learningRate) }
        return ModelPreset(model: model, learningRate: learningRate, batchSize: batchSize, clip: clip, dropsRateAt100: true)
    }
}

/// The refusal for the models that keep their authors' init and activations.
func authorsInitReason(_ name: String, _ option: ModelOption) -> String? {
    switch option {
    case .initialization, .encoderInit, .activation, .waveSpeed: return "\(name) uses its authors' init and activations"
    default: return nil
    }
}

/// The coRNN as the tool sees it: its constants, its published settings per task, its numbers.
public enum CoRNNModel: ModelDescription {
    public static let name = "cornn"
    public static let label = "coRNN"
    public static let help = "the coupled oscillatory RNN (Rusch & Mishra 2021)"
    public static let options: Set<ModelOption> = [.readoutAt, .dt, .gamma, .epsilon, .precision]
    public static func refusalReason(_ option: ModelOption) -> String? {
        option == .freezeU || option == .freezeV ? "cornn's weights mix input and recurrence" : authorsInitReason(name, option)
    }

    /// Their Table 7: sMNIST, psMNIST and noisy sCIFAR-10; 120 epochs, lr / 10 after 100.
    static let sMNIST = BaselineSettings(units: 256, learningRate: 0.0021, batchSize: 120, clip: 0, dt: 0.042, gamma: 2.7, epsilon: 4.7)
    static let psMNIST = BaselineSettings(units: 256, learningRate: 0.0054, batchSize: 120, clip: 0, dt: 0.076, gamma: 0.4, epsilon: 8.0)
    static let nsCIFAR10 = BaselineSettings(
        units: 128, learningRate: 0.0075, batchSize: 100, clip: 0, dt: 0.034, gamma: 1.3, epsilon: 12.7)

    /// The permuted settings for psMNIST / psFMNIST, the noisy-CIFAR ones for nscifar10, the sMNIST ones elsewhere.
    public static func preset(task: TaskConfig) -> ModelPreset {
        BaselineSettings.forTask(task, sMNIST: sMNIST, psMNIST: psMNIST, nsCIFAR10: nsCIFAR10).preset(basePreset(task: task), task: task)
    }

    public static func apply(_ options: ModelOptionValues, to config: inout ModelConfig) throws {
        if let hiddenSize = options.hiddenSize { config.ringSize = hiddenSize }
        if let dt = options.dt { config.dt = dt }
        if let gamma = options.gamma { config.gamma = gamma }
        if let epsilon = options.epsilon { config.epsilon = epsilon }
    }

    public static func check(_ config: ModelConfig, task: TaskConfig) throws {
        try checkFinite(config.dt, "--dt", strictlyPositive: true)
        try checkFinite(config.gamma, "--gamma", strictlyPositive: false)
        try checkFinite(config.epsilon, "--epsilon", strictlyPositive: false)
    }

    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { CoRNNCell<T>(config) }

    public static func tableLabel(_ m: ModelConfig) -> String {
        "coRNN N=\(m.units) dt=\(m.coRNNDt) gamma=\(m.coRNNGamma) eps=\(m.coRNNEpsilon)"
    }
    public static let published = [PublishedRow("coRNN", accuracy: [.smnist: 99.3, .psmnist: 96.6, .nscifar10: 59.0])]
    /// Its recurrent products through oneDNN in bf16 against BLAS in fp32.
    public static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double? {
        let n = config.units
        return timeDenseBF16Speedup(weights: [(n, n), (n, n)], rows: rows, seconds: seconds)
    }
    public static let cpuGFLOPS = 150.0
    /// At its published size: N = 256, batch 120.
    public static let benchmarks = [
        ModelBenchmark(name: "smnist-cornn", task: TaskConfig(kind: .smnist), batch: 120, randomShape: [784, 1])
    ]
}

/// A constant that must be finite and > 0 (or >= 0), when set.
func checkFinite(_ value: Double?, _ name: String, strictlyPositive: Bool) throws {
    guard let value else { return }
    guard value.isFinite, strictlyPositive ? value > 0 : value >= 0 else {
        throw WrnnError.usage("\(name) must be a finite number \(strictlyPositive ? ">" : ">=") 0 (got \(value))")
    }
}

extension ModelKind {
    public static let cornn = CoRNNModel.kind
}
