import WaveKernels
import WaveCore
import WaveTasks

/// The wRNN cell (spec 2.1): c rings of n neurons, one circular convolution across them.
///
///   h_{t+1} = act(conv(u, h_t) + b_u + V x_t + b_V),   u [c, c, f] circular over each ring
///
/// The ablation `locallyConnected` (spec 2.4) unties the kernel per neuron: u [c, c, n, f].
/// Forward adds the projection, bias and activation in the convolution's epilogue; backward
/// carries dpre_t = dLoss/d(pre-activation of step t) and runs the transposed convolution with
/// the activation's derivative, the readout's gradient and the bias sums fused in.
public struct WaveCell<T: Scalar>: RecurrentCell {
    public let config: ModelConfig
    let encoder: InputProjection<T>
    let kernelOffset: Int, kernelBiasOffset: Int
    var c: Int { config.channels }
    var n: Int { config.ringSize }
    var f: Int { config.kernelSize }
    /// The convolution's products in bf16 (`--precision bf16`; checked: Float, shared kernel, a CPU with AVX512-BF16).
    let bf16: Bool
    public var units: Int { c * n }
    public var displayName: String { "wRNN" }
    public var summary: String {
        let speed = config.recurrentInit == .shift && config.waveSpeed != 1 ? " (speed \(config.waveSpeed))" : ""
        return
            "n=\(n) c=\(c) f=\(f)\(config.locallyConnected ? " locally connected" : "") \(config.activation.rawValue), u \(config.recurrentInit.rawValue)\(speed), V \(config.encoderInit.rawValue)"
    }
    public func symbol(_ spec: ParameterSpec) -> String {
        [ParameterRole.recurrentWeight: "u", .recurrentBias: "b_u", .encoderWeight: "V", .encoderBias: "b_V"][spec.role] ?? spec.name
    }
    /// Blocks of rows whose state at one step fills at most 128 KB, in multiples of the AVX-512
    /// path's 8-ring groups, so h_t is still in L2 when step t + 1 reads it (the cell keeps nothing
    /// per step but the states). Not with a dense V (d > 16): its gradient dV += dpre^T x_t rewrites
    /// all of dV once per call, so fewer rows per call would cost more than the cache saves.
    public var rowBlock: Int? {
        guard encoder.small else { return nil }
        return max(8, 128 * 1024 / (units * MemoryLayout<T>.stride) / 8 * 8)
    }
    public var flopsPerStep: Double { Double(2 * c * c * f * n) + inputFlopsPerStep }
    public var inputFlopsPerStep: Double { Double(2 * config.inputSize * units) }

    public init(_ config: ModelConfig) {
        self.config = config
        // where the CPU has no bf16 products (training refuses there: `checkRunsHere`), a bf16 model is
        // evaluated, analysed and drawn with fp32 products
        bf16 = config.precision == .bf16 && T.self == Float.self && !config.locallyConnected && Precision.bf16Available
        let units = config.channels * config.ringSize
        encoder = InputProjection(inputSize: config.inputSize, units: units, weight: 0, frozen: config.freezeEncoder)
        kernelOffset = units * config.inputSize + units
        kernelBiasOffset =
            kernelOffset
            + (config.locallyConnected
                ? config.channels * config.channels * config.ringSize * config.kernelSize
                : config.channels * config.channels * config.kernelSize)
    }

    public var parameters: [ParameterSpec] {
        [
            ParameterSpec("cell.Wx.weight", [units, config.inputSize], .encoderWeight),
            ParameterSpec("cell.Wx.bias", [units], .encoderBias),
            ParameterSpec("cell.Wy.weight", config.locallyConnected ? [c, c, n, f] : [c, c, f], .recurrentWeight),
            ParameterSpec("cell.Wy.bias", [c], .recurrentBias)
        ]
    }

    /// V by `encoderInit`; u as the shift (taps 1 - nu, nu around the centre of each ring's own
    /// kernel), identity or PyTorch's default; b_u always PyTorch's default conv bias, as the authors keep it.
    public func initialValues(_ rng: inout RandomStream) -> [Double] {
        var values = encoder.initialValues(config.encoderInit, ringSize: n, &rng)
        let fanIn = Double(c * f)
        let kernelCount = kernelBiasOffset - kernelOffset
        if config.recurrentInit == .random {
            values += uniformValues(kernelCount, bound: 1 / fanIn.squareRoot(), &rng)
        } else {
            var kernel = [Double](repeating: 0, count: kernelCount)
            let half = f / 2, speed = config.recurrentInit == .shift ? config.waveSpeed : 0
            let positions = config.locallyConnected ? n : 1 // untied: the same taps at every neuron
            for o in 0..<c {
                for i in 0..<positions {
                    let base = ((o * c + o) * positions + i) * f
                    kernel[base + half] += 1 - speed
                    kernel[base + (half + 1) % f] += speed
                }
            }
            values += kernel
        }
        return values + uniformValues(c, bound: 1 / fanIn.squareRoot(), &rng)
    }

    public final class Workspace {
        let pre: Buffer<T> // [rows, N] V x_t (forward); the transposed product (locally connected backward)
        var dpre: Buffer<T> // [rows, N] dLoss/dpre_t, carried
        var dpreEarlier: Buffer<T> // [rows, N] dLoss/dpre_{t-1} (ping-pong with dpre)
        let convScratch: Buffer<T> // padded rings for the circular kernels (and the bf16 ones' packed operands)
        let kernelT: Buffer<T> // [c, c, f] flipped transpose of u
        let kernelPairs: Buffer<T> // [c, (c f + 1) / 2] u in bf16 pairs (bf16 only)
        let kernelTPairs: Buffer<T> // [c, (c f + 1) / 2] the flipped transpose in bf16 pairs (bf16 only)
        let bias: Buffer<T> // [N] b_u broadcast over each ring, plus b_V
        let dbias: Buffer<T> // [N] dpre summed over rows and steps
        let encoderT: Buffer<T> // [d, N]
        let dEncoderT: Buffer<T> // [d, N]
        let products: DenseProducts<T> // a wide input's projection in bf16 under --precision bf16 (oneDNN)
        var rows = 0
        init(_ cell: WaveCell, capacity: Int) {
            products = cell.makeProducts(cell.config, widestOperand: cell.projectionOperand(capacity: capacity))
            let count = capacity * cell.units
            pre = Buffer(zeros: count); dpre = Buffer(zeros: count); dpreEarlier = Buffer(zeros: count)
            convScratch = Buffer(zeros: cell.convScratchCount)
            kernelT = Buffer(zeros: cell.c * cell.c * cell.f)
            let pairs = cell.bf16 ? bf16WeightPairsCount(rows: cell.c, channels: cell.c, kernel: cell.f) : 0
            kernelPairs = Buffer(zeros: pairs); kernelTPairs = Buffer(zeros: pairs)
            bias = Buffer(zeros: cell.units); dbias = Buffer(zeros: cell.units)
            (encoderT, dEncoderT) = cell.encoder.makeBuffers()
        }
        var all: [Buffer<T>] { [pre, dpre, dpreEarlier, convScratch, kernelT, kernelPairs, kernelTPairs, bias, dbias, encoderT, dEncoderT] }
    }

    /// The widest operand of the bf16 input projection (x), or 0 where the products stay fp32: an
    /// input of at most `InputProjection.smallLimit` values skips BLAS, and the locally connected
    /// ablation has no bf16 products.
    func projectionOperand(capacity: Int) -> Int {
        config.precision == .bf16 && !encoder.small && !config.locallyConnected ? capacity * config.inputSize : -1
    }

    var convScratchCount: Int { convScratchCount(bf16: bf16) }
    func convScratchCount(bf16: Bool) -> Int {
        let fp32 = circularConvScratchCount(channels: c, ringSize: n, kernel: f)
        return bf16 ? max(fp32, circularConvBF16ScratchCount(channelsOut: c, channelsIn: c, ringSize: n, kernel: f)) : fp32
    }
    /// Whether this configuration's Float cell runs bf16 products: the memory estimate is made with a Double cell.
    var bf16InFloat: Bool { config.precision == .bf16 && !config.locallyConnected && Precision.bf16Available }

    public func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(self, capacity: capacity) }
    public func bytes(of ws: Workspace) -> Int { ws.all.reduce(0) { $0 + $1.bytes } + ws.products.bytes }
    public func workspaceCount(capacity: Int, length: Int) -> Double {
        3 * Double(capacity) * Double(units) + Double(convScratchCount(bf16: bf16InFloat))
            + Double(c * c * f) + (bf16InFloat ? 2 * Double(bf16WeightPairsCount(rows: c, channels: c, kernel: f)) : 0) + 2 * Double(units)
            + encoder.bufferCount + productsCount(config, widestOperand: projectionOperand(capacity: capacity))
    }

    public func prepare(params: UnsafePointer<T>, rows: Int, workspace ws: Workspace) {
        ws.rows = rows
        ws.bias.pointer.update(from: params + units * config.inputSize, count: units)
        for ch in 0..<c { for i in 0..<n { ws.bias[ch * n + i] += params[kernelBiasOffset + ch] } }
        encoder.prepare(params: params, transposed: ws.encoderT, products: ws.products)
        if bf16 { packWeightPairsBF16(ws.kernelPairs.pointer, weight: params + kernelOffset, rows: c, channels: c, kernel: f) }
    }

    @inline(__always)
    public func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let b = states.rows, pre = ws.pre.pointer
        let hPrev = UnsafePointer(states[t]), hNext = states[t + 1]
        encoder.forward(pre: pre, x: x, params: params, transposed: ws.encoderT, rows: b, accumulate: false, products: ws.products)
        if config.locallyConnected {
            if t > 0 {
                T.locallyConnectedForward(
                    out: pre, input: hPrev, weight: params + kernelOffset, batch: b,
                    channelsOut: c, channelsIn: c, ringSize: n, kernel: f)
            }
            T.biasActivation(out: hNext, pre: pre, bias: ws.bias.pointer, rows: b, cols: units, activation: config.activation)
        } else if t == 0 { // h_0 = 0
            T.biasActivation(out: hNext, pre: pre, bias: ws.bias.pointer, rows: b, cols: units, activation: config.activation)
        } else {
            let epilogue = ConvEpilogue(.activate(config.activation), addend: UnsafePointer(pre), bias: UnsafePointer(ws.bias.pointer))
            if bf16 {
                circularConvForwardBF16(
                    out: hNext, input: hPrev, weightPairs: ws.kernelPairs.pointer, scratch: ws.convScratch.pointer,
                    batch: b, channelsOut: c, channelsIn: c, ringSize: n, kernel: f, epilogue: epilogue)
            } else {
                T.circularConvForward(
                    out: hNext, input: hPrev, weight: params + kernelOffset, scratch: ws.convScratch.pointer,
                    batch: b, channelsOut: c, channelsIn: c, ringSize: n, kernel: f, epilogue: epilogue)
            }
        }
    }

    public func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let count = states.rows * units
        ws.dbias.zero()
        ws.dEncoderT.zero()
        T.activationBackward(dpre: ws.dpre.pointer, dh: dh, h: states[states.length], count: count, activation: config.activation)
        T.addColumnSums(out: ws.dbias.pointer, input: ws.dpre.pointer, rows: states.rows, cols: units)
        if !config.locallyConnected {
            flipTransposeKernel(ws.kernelT.pointer, params + kernelOffset, channelsOut: c, channelsIn: c, kernel: f)
            if bf16 { packWeightPairsBF16(ws.kernelTPairs.pointer, weight: ws.kernelT.pointer, rows: c, channels: c, kernel: f) }
        }
    }

    /// With dpre = dLoss/dpre_t: dV (+)= dpre^T x_t; for t > 0 also du += the correlation of dpre
    /// with h_t, and dpre_{t-1} = (conv^T(dpre) + readout's dh_t) * act'(h_t), summed into the bias.
    @inline(__always)
    public func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let b = states.rows, dpre = UnsafePointer(ws.dpre.pointer), dpreEarlier = ws.dpreEarlier.pointer
        encoder.backward(grads: grads, dTransposed: ws.dEncoderT, dpre: dpre, x: x, rows: b, products: ws.products)
        guard t > 0 else { return }
        let h = UnsafePointer(states[t])
        if config.locallyConnected {
            if !config.freezeRecurrent {
                T.locallyConnectedWeightGrad(
                    dweight: grads + kernelOffset, dout: dpre, input: h, batch: b,
                    channelsOut: c, channelsIn: c, ringSize: n, kernel: f)
            }
            let recurrent = ws.pre.pointer // free during the backward pass
            T.locallyConnectedInputGrad(
                dinput: recurrent, dout: dpre, weight: params + kernelOffset, batch: b,
                channelsOut: c, channelsIn: c, ringSize: n, kernel: f)
            if let dhReadout { T.add(out: recurrent, dhReadout, count: b * units) }
            T.activationBackward(dpre: dpreEarlier, dh: recurrent, h: h, count: b * units, activation: config.activation)
            T.addColumnSums(out: ws.dbias.pointer, input: dpreEarlier, rows: b, cols: units)
        } else {
            let epilogue = ConvEpilogue(
                .activationGradient(config.activation), addend: dhReadout, activationOutput: h, columnSums: ws.dbias.pointer)
            if bf16 {
                if !config.freezeRecurrent {
                    circularConvWeightGradBF16(
                        dweight: grads + kernelOffset, dout: dpre, input: h, scratch: ws.convScratch.pointer,
                        batch: b, channelsOut: c, channelsIn: c, ringSize: n, kernel: f)
                }
                circularConvForwardBF16(
                    out: dpreEarlier, input: dpre, weightPairs: ws.kernelTPairs.pointer, scratch: ws.convScratch.pointer,
                    batch: b, channelsOut: c, channelsIn: c, ringSize: n, kernel: f, epilogue: epilogue)
            } else {
                if !config.freezeRecurrent {
                    T.circularConvWeightGrad(
                        dweight: grads + kernelOffset, dout: dpre, input: h, scratch: ws.convScratch.pointer,
                        batch: b, channelsOut: c, channelsIn: c, ringSize: n, kernel: f)
                }
                T.circularConvForward(
                    out: dpreEarlier, input: dpre, weight: ws.kernelT.pointer, scratch: ws.convScratch.pointer,
                    batch: b, channelsOut: c, channelsIn: c, ringSize: n, kernel: f, epilogue: epilogue)
            }
        }
        swap(&ws.dpre, &ws.dpreEarlier)
    }

    /// b_V gets the bias sums; b_u their sum over each ring.
    public func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace) {
        finishWaveBiasGradients(
            grads: grads, dbias: ws.dbias, encoder: encoder, dEncoderT: ws.dEncoderT, config: config, channels: c, positions: n,
            kernelBiasOffset: kernelBiasOffset)
    }
}

/// The end of a wave cell's reverse walk (ring or sheet): V's summed products and b_V the bias
/// gradient summed over rows and steps, dbias [c * n]; b_u that sum over each channel's n positions.
func finishWaveBiasGradients<T: Scalar>(
    grads: UnsafeMutablePointer<T>, dbias: Buffer<T>, encoder: InputProjection<T>, dEncoderT: Buffer<T>, config: ModelConfig,
    channels c: Int, positions n: Int, kernelBiasOffset: Int
) {
    if !config.freezeEncoder {
        T.add(out: grads + c * n * config.inputSize, dbias.pointer, count: c * n)
        encoder.finish(grads: grads, dTransposed: dEncoderT)
    }
    if !config.freezeRecurrent {
        for ch in 0..<c {
            var sum: T = 0
            for i in 0..<n { sum += dbias[ch * n + i] }
            grads[kernelBiasOffset + ch] += sum
        }
    }
}

/// The wRNN as the tool sees it: its options, paper settings, table rows and numbers.
public enum WaveModel: ModelDescription {
    public static let name = "wrnn"
    public static let label = "wRNN"
    public static let help = "the traveling-wave RNN: c rings of n neurons, one circular convolution"
    public static let role = ModelRole.wave
    public static let options: Set<ModelOption> = [
        .channels, .kernelSize, .locallyConnected, .initialization, .encoderInit, .activation, .waveSpeed, .readoutAt, .freezeU,
        .freezeV, .precision
    ]
    public static let defaultRecurrentInit = RecurrentInit.shift
    public static let defaultEncoderInit = EncoderInit.sparse

    /// Copy: n = 100, c = 6; adding: n = 100, c = 27; images (spec 3.3): n = 256, c = 16; f = 3.
    public static func preset(task: TaskConfig) -> ModelPreset {
        var model = basePreset(task: task)
        switch task.modelRecipe {
        case .tokenRecall: model.channels = 6
        case .longRegression: model.channels = 27
        case .classification, .permutedClassification, .noisyClassification: model.channels = 16
        }
        return ModelPreset(model: model)
    }

    public static func apply(_ options: ModelOptionValues, to config: inout ModelConfig) throws {
        if let hiddenSize = options.hiddenSize { config.ringSize = hiddenSize }
        if let channels = options.channels { config.channels = channels }
        if let kernelSize = options.kernelSize { config.kernelSize = kernelSize }
        config.locallyConnected = options.locallyConnected
    }

    public static func check(_ config: ModelConfig, task: TaskConfig) throws {
        let f = config.kernelSize, n = config.ringSize
        guard f >= 1 else { throw WrnnError.usage("--kernel-size must be a positive integer (got \(f))") }
        guard f % 2 == 1 else { throw WrnnError.usage("--kernel-size must be odd (got \(f))") }
        guard f <= n else {
            throw WrnnError.usage("--kernel-size \(f) is wider than the ring (n = \(n)); use at most \(n % 2 == 1 ? n : n - 1)")
        }
        if config.precision == .bf16 {
            guard !config.locallyConnected else {
                throw WrnnError.usage("--precision bf16 applies to the shared kernel, not --locally-connected; use --precision fp32")
            }
        }
    }

    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { WaveCell<T>(config) }

    /// Kind, size and the ablations Table 4 names.
    public static func tableLabel(_ m: ModelConfig) -> String {
        var text =
            "wRNN n=\(m.ringSize) c=\(m.channels)" + (m.locallyConnected ? " locally connected" : "")
            + (m.precision == .bf16 ? " bf16" : "")
        if m.encoderInit != .sparse { text += " - V-init" }
        if m.recurrentInit != .shift { text += " - u-shift-init (\(m.recurrentInit.rawValue))" }
        return text
    }

    public static func paperRow(_ m: ModelConfig, task: TaskConfig) -> String? {
        guard !m.locallyConnected else { return nil }
        switch task.modelRecipe {
        case .tokenRecall:
            guard m.readout == .linear else { return nil }
            return "wRNN" + (m.encoderInit == .sparse ? "" : " - V-init") + (m.recurrentInit == .shift ? "" : " - u-shift-init")
        case .longRegression: return "wRNN"
        case .classification, .permutedClassification, .noisyClassification: return m.readout == .mlp ? "wRNN + MLP" : "wRNN"
        }
    }

    public static let published = [
        PublishedRow(
            "wRNN", copyLoss: [0: 9e-12, 10: 1e-10, 30: 8e-11, 80: 1e-11],
            adding: [100: (4e-6, 300), 200: (2e-5, 1_000), 400: (4e-5, 1_000), 700: (8e-5, 3_000), 1000: (6e-5, 2_000)],
            accuracy: [.smnist: 97.6, .psmnist: 96.7, .nscifar10: 55.0]),
        PublishedRow("wRNN - V-init", copyLoss: [0: 1e-11, 10: 2e-11, 30: 4e-10, 80: 4e-11]),
        PublishedRow("wRNN - u-shift-init", copyLoss: [0: 5e-11, 10: 3e-10, 30: 7e-4, 80: 6e-4]),
        PublishedRow("wRNN - V-init - u-shift-init", copyLoss: [0: 8e-10, 10: 1e-4, 30: 3e-4, 80: 7e-4]),
        PublishedRow("wRNN + MLP", accuracy: [.smnist: 97.5, .psmnist: 97.6])
    ]

    public static let cpuGFLOPS = 50.0
    public static let benchmarks = [
        ModelBenchmark(name: "copy-wrnn", task: TaskConfig(kind: .copy, t: 30), batch: 128, isDefault: true),
        ModelBenchmark(name: "adding-wrnn", task: TaskConfig(kind: .adding, t: 400), batch: 128, isDefault: true),
        ModelBenchmark(name: "smnist-wrnn", task: TaskConfig(kind: .smnist), batch: 128, randomShape: [784, 1]),
        ModelBenchmark(name: "nscifar10-wrnn", task: TaskConfig(kind: .smnist), batch: 256, randomShape: [1000, 96])
    ]

    /// The three circular-convolution kernels (the locally connected ablation has its own, untimed).
    public static func kernelBenchmark(_ config: ModelConfig) -> KernelBenchmark? {
        guard !config.locallyConnected else { return nil }
        return { name, batch, threads, seed in timeConvolutionKernels(config, configName: name, batch: batch, threads: threads, seed: seed)
        }
    }

    /// The circular convolution's forward and weight gradient, fp32 against bf16 products.
    public static let bf16Engine = BF16Engine.convolution
    public static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double? {
        guard !config.locallyConnected, Precision.bf16Available else { return nil }
        return timeConvolutionBF16Speedup(config, rows: rows, seconds: seconds)
    }

    /// The authors' wave model, and their locally connected ablation ("loco"): their `model_select`
    /// (authors-code sMNIST/sMNIST_task.py:62, copy/copy_task.py:74).
    public static let authorsModelTypes = ["wrnn": [String](), "loco": ["--locally-connected"]]
}

extension ModelKind {
    public static let wrnn = WaveModel.kind
}
