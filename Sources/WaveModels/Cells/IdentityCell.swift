import WaveKernels
import WaveCore
import WaveTasks

/// The iRNN cell (Le et al. 2015), the wRNN's wave-free twin (spec 2.2):
///
///   h_{t+1} = act(U h_t + b_U + V x_t + b_V),   U [N, N]
///
/// U starts as the identity (`identity`), a one-neuron shift (`shift`, the Sigma-init) or
/// PyTorch's default (`random`); b_U starts at zero unless random.
public struct IdentityCell<T: Scalar>: RecurrentCell {
    public let config: ModelConfig
    let encoder: InputProjection<T>
    public var units: Int { config.units }
    public var displayName: String { "iRNN" }
    public var summary: String {
        "N=\(units) \(config.activation.rawValue), U \(config.recurrentInit.rawValue), V \(config.encoderInit.rawValue)"
    }
    public func symbol(_ spec: ParameterSpec) -> String {
        [ParameterRole.recurrentWeight: "U", .recurrentBias: "b_U", .encoderWeight: "V", .encoderBias: "b_V"][spec.role] ?? spec.name
    }
    public var flopsPerStep: Double { Double(2 * units * units) + inputFlopsPerStep }
    public var inputFlopsPerStep: Double { Double(2 * config.inputSize * units) }
    var recurrentOffset: Int { units * config.inputSize + units }
    var recurrentBiasOffset: Int { recurrentOffset + units * units }

    public init(_ config: ModelConfig) {
        self.config = config
        encoder = InputProjection(inputSize: config.inputSize, units: config.units, weight: 0, frozen: config.freezeEncoder)
    }

    public var parameters: [ParameterSpec] {
        [
            ParameterSpec("cell.Wx.weight", [units, config.inputSize], .encoderWeight),
            ParameterSpec("cell.Wx.bias", [units], .encoderBias),
            ParameterSpec("cell.Wy.weight", [units, units], .recurrentWeight),
            ParameterSpec("cell.Wy.bias", [units], .recurrentBias)
        ]
    }

    public func initialValues(_ rng: inout RandomStream) -> [Double] {
        let n = units, bound = 1 / Double(n).squareRoot()
        var values = encoder.initialValues(config.encoderInit, ringSize: n, &rng)
        var u = [Double](repeating: 0, count: n * n)
        switch config.recurrentInit {
        case .random: u = uniformValues(n * n, bound: bound, &rng)
        case .identity: for i in 0..<n { u[i * n + i] = 1 }
        case .shift: for i in 0..<n { u[i * n + (i + 1) % n] = 1 }
        }
        values += u
        // Le et al. start the identity and shift inits from zero bias
        return values + (config.recurrentInit == .random ? uniformValues(n, bound: bound, &rng) : [Double](repeating: 0, count: n))
    }

    public final class Workspace {
        let pre: Buffer<T> // [rows, N]
        let dh: Buffer<T> // [rows, N] dLoss/dh_t being formed
        var dpre: Buffer<T> // [rows, N] dLoss/dpre_t, carried
        var dpreEarlier: Buffer<T> // [rows, N]
        let bias: Buffer<T> // [N] b_U + b_V
        let dbias: Buffer<T> // [N]
        let encoderT: Buffer<T>, dEncoderT: Buffer<T> // [d, N]
        let products: DenseProducts<T> // h U^T, dpre U, dpre^T h in the model's precision
        init(_ cell: IdentityCell, capacity: Int) {
            products = cell.makeProducts(cell.config, widestOperand: capacity * max(cell.units, cell.config.inputSize))
            let count = capacity * cell.units
            pre = Buffer(zeros: count); dh = Buffer(zeros: count); dpre = Buffer(zeros: count); dpreEarlier = Buffer(zeros: count)
            bias = Buffer(zeros: cell.units); dbias = Buffer(zeros: cell.units)
            (encoderT, dEncoderT) = cell.encoder.makeBuffers()
        }
        var all: [Buffer<T>] { [pre, dh, dpre, dpreEarlier, bias, dbias, encoderT, dEncoderT] }
    }

    public func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(self, capacity: capacity) }
    public func bytes(of ws: Workspace) -> Int { ws.all.reduce(0) { $0 + $1.bytes } + ws.products.bytes }
    public func workspaceCount(capacity: Int, length: Int) -> Double {
        4 * Double(capacity) * Double(units) + 2 * Double(units) + encoder.bufferCount
            + productsCount(config, widestOperand: capacity * max(units, config.inputSize))
    }

    public func prepare(params: UnsafePointer<T>, rows: Int, workspace ws: Workspace) {
        ws.bias.pointer.update(from: params + units * config.inputSize, count: units)
        T.add(out: ws.bias.pointer, params + recurrentBiasOffset, count: units)
        encoder.prepare(params: params, transposed: ws.encoderT, products: ws.products)
        ws.products.roundWeights(params, offset: recurrentOffset, count: units * units)
    }

    @inline(__always)
    public func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let b = states.rows, n = units, pre = ws.pre.pointer
        if t == 0 {
            pre.update(repeating: 0, count: b * n)
        } else {
            ws.products.timesWeight(
                pre, ldc: n, states[t], lda: n, .none, params: params, offset: recurrentOffset, ldb: n, .transposed,
                m: b, n: n, k: n, beta: 0)
        }
        encoder.forward(pre: pre, x: x, params: params, transposed: ws.encoderT, rows: b, accumulate: true, products: ws.products)
        T.biasActivation(out: states[t + 1], pre: pre, bias: ws.bias.pointer, rows: b, cols: n, activation: config.activation)
    }

    public func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        ws.dbias.zero()
        ws.dEncoderT.zero()
        T.activationBackward(
            dpre: ws.dpre.pointer, dh: dh, h: states[states.length], count: states.rows * units,
            activation: config.activation)
        T.addColumnSums(out: ws.dbias.pointer, input: ws.dpre.pointer, rows: states.rows, cols: units)
    }

    /// dU += dpre_t^T h_t; dh_t = dpre_t U (+ readout); dpre_{t-1} = dh_t * act'(h_t).
    @inline(__always)
    public func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let b = states.rows, n = units, dpre = UnsafePointer(ws.dpre.pointer), dh = ws.dh.pointer
        encoder.backward(grads: grads, dTransposed: ws.dEncoderT, dpre: dpre, x: x, rows: b, products: ws.products)
        guard t > 0 else { return }
        let h = UnsafePointer(states[t])
        if !config.freezeRecurrent {
            ws.products.product(grads + recurrentOffset, ldc: n, dpre, lda: n, .transposed, h, ldb: n, .none, m: n, n: n, k: b, beta: 1)
        }
        if let dhReadout { dh.update(from: dhReadout, count: b * n) }
        ws.products.timesWeight(
            dh, ldc: n, dpre, lda: n, .none, params: params, offset: recurrentOffset, ldb: n, .none,
            m: b, n: n, k: n, beta: dhReadout == nil ? 0 : 1)
        T.activationBackward(dpre: ws.dpreEarlier.pointer, dh: dh, h: h, count: b * n, activation: config.activation)
        T.addColumnSums(out: ws.dbias.pointer, input: ws.dpreEarlier.pointer, rows: b, cols: n)
        swap(&ws.dpre, &ws.dpreEarlier)
    }

    public func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace) {
        if !config.freezeEncoder {
            T.add(out: grads + units * config.inputSize, ws.dbias.pointer, count: units)
            encoder.finish(grads: grads, dTransposed: ws.dEncoderT)
        }
        if !config.freezeRecurrent { T.add(out: grads + recurrentBiasOffset, ws.dbias.pointer, count: units) }
    }
}

/// The iRNN as the tool sees it: the wRNN's options but the ring's, its paper rows and numbers.
public enum IdentityModel: ModelDescription {
    public static let name = "irnn"
    public static let label = "iRNN"
    public static let help = "the wave-free twin: one dense U of N x N"
    public static let role = ModelRole.waveFreeTwin
    public static let options: Set<ModelOption> = [
        .initialization, .encoderInit, .activation, .waveSpeed, .readoutAt, .freezeU, .freezeV, .precision
    ]

    /// n = 100 (256 on images); 250 epochs on the permuted tasks, as the paper trains it.
    public static func preset(task: TaskConfig) -> ModelPreset {
        ModelPreset(model: basePreset(task: task), epochs: task.modelRecipe == .permutedClassification ? 250 : nil)
    }

    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { IdentityCell<T>(config) }

    public static func tableLabel(_ m: ModelConfig) -> String {
        var text = "iRNN N=\(m.ringSize)"
        if m.recurrentInit == .shift { text += " + Sigma-init" } else if m.recurrentInit == .random { text += " (random U)" }
        if m.encoderInit == .sparse { text += " + V-init" }
        return text
    }

    public static func paperRow(_ m: ModelConfig, task: TaskConfig) -> String? {
        guard task.modelRecipe == .tokenRecall else { return "iRNN" }
        guard m.ringSize == 100, m.readout == .linear else { return nil }
        switch (m.recurrentInit, m.encoderInit) {
        case (.identity, .normal): return "iRNN (n=100)"
        case (.shift, .normal): return "iRNN + Sigma-init"
        case (.shift, .sparse): return "iRNN + Sigma-init + V-init"
        default: return nil
        }
    }

    public static let published = [
        PublishedRow(
            "iRNN", adding: [100: (1e-5, 14_000), 200: (4e-5, 22_000), 400: (1e-4, 30_000), 700: (0.16, nil), 1000: (0.16, nil)],
            accuracy: [.smnist: 98.5, .psmnist: 92.5, .nscifar10: 51.3]),
        PublishedRow("iRNN (n=100)", copyLoss: [0: 1e-4, 10: 3e-3, 30: 2e-3, 80: 1e-3]),
        PublishedRow("iRNN + Sigma-init", copyLoss: [0: 1e-8, 10: 1e-7, 30: 2e-7, 80: 2e-5]),
        PublishedRow("iRNN + Sigma-init + V-init", copyLoss: [0: 1e-7, 10: 1e-7, 30: 1e-6, 80: 8e-6])
    ]

    /// Its recurrent products through oneDNN in bf16 against BLAS in fp32.
    public static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double? {
        let n = config.units
        return timeDenseBF16Speedup(weights: [(n, n)], rows: rows, seconds: seconds)
    }
    public static let cpuGFLOPS = 80.0
    public static let benchmarks = [
        ModelBenchmark(name: "copy-irnn", task: TaskConfig(kind: .copy, t: 30), batch: 128, isDefault: true),
        ModelBenchmark(name: "adding-irnn", task: TaskConfig(kind: .adding, t: 400), batch: 128, isDefault: true),
        ModelBenchmark(name: "smnist-irnn", task: TaskConfig(kind: .smnist), batch: 128, randomShape: [784, 1])
    ]
    /// The authors' dense RNN, `model_select['rnn']` (authors-code copy/copy_task.py:74, sMNIST/sMNIST_task.py:62).
    public static let authorsModelTypes = ["rnn": [String]()]
}

extension ModelKind {
    public static let irnn = IdentityModel.kind
}
