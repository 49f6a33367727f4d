import WaveCore
import WaveKernels
import WaveTasks

/// A 2-D wave field's size: h rows by w columns of cells per channel, each channel a torus.
/// Spelled "HxW" in options, sweep files and config.json ("10x10").
public struct SheetShape: Codable, Equatable, Hashable, Sendable, LosslessStringConvertible {
    public var height: Int
    public var width: Int
    public init(height: Int, width: Int) { self.height = height; self.width = width }
    /// "10x10" (or "10X10"); nil for anything else, including sides below 1.
    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h >= 1, w >= 1, h <= 4096, w <= 4096 else { return nil }
        height = h; width = w
    }
    public var description: String { "\(height)x\(width)" }
    public var cells: Int { height * width }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let shape = SheetShape(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "sheet '\(text)' is not HxW"))
        }
        self = shape
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Where the shift initialisation moves activity on the sheet, one cell per step: along an axis
/// or a diagonal ("+x" moves it towards larger x, "-y" towards smaller y, "+x-y" both), or
/// `mixed`: channel k takes +x, +y, -x, -y in turn, so the channels carry waves four ways.
public struct ShiftDirection: Codable, Equatable, Sendable, LosslessStringConvertible {
    /// (sx, sy) in {-1, 0, 1}^2, not both 0; nil for mixed.
    public var step: (x: Int, y: Int)?
    public static let mixed = ShiftDirection(step: nil)
    public static let plusX = ShiftDirection(step: (1, 0))
    static let mixedCycle: [(x: Int, y: Int)] = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    init(step: (x: Int, y: Int)?) { self.step = step }

    public init?(_ text: String) {
        if text == "mixed" { step = nil; return }
        var x = 0, y = 0, rest = Substring(text)
        while !rest.isEmpty {
            guard rest.count >= 2, let sign = rest.first, sign == "+" || sign == "-" else { return nil }
            let axis = rest.dropFirst().first!, value = sign == "+" ? 1 : -1
            switch axis {
            case "x" where x == 0 && y == 0: x = value
            case "y" where y == 0: y = value
            default: return nil
            }
            rest = rest.dropFirst(2)
        }
        guard x != 0 || y != 0 else { return nil }
        step = (x, y)
    }
    public var description: String {
        guard let step else { return "mixed" }
        func part(_ v: Int, _ axis: String) -> String { v == 0 ? "" : (v > 0 ? "+" : "-") + axis }
        return part(step.x, "x") + part(step.y, "y")
    }
    /// Channel `channel`'s step.
    public func step(channel: Int) -> (x: Int, y: Int) { step ?? Self.mixedCycle[channel % Self.mixedCycle.count] }
    public static func == (a: ShiftDirection, b: ShiftDirection) -> Bool { a.description == b.description }
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let direction = ShiftDirection(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a shift direction"))
        }
        self = direction
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
    /// The words the option takes, for help and messages.
    public static let spellings = "+x, -x, +y, -y, a diagonal such as +x-y, or mixed"
}

/// Which cells the sparse encoder feeds in each channel: one cell (the corner (0, 0)), or one
/// edge (the column x = 0 when the channel's wave moves in x, else the row y = 0), so each input
/// starts a point or a plane wave.
public enum WaveSource: String, Codable, CaseIterable, Sendable { case cell, edge }

/// The 2-D wave RNN: c channels, each an h x w torus of cells, one circular 2-D convolution
/// across them (issue 34; the ring wRNN's equations with a sheet in place of each ring).
///
///   h_{t+1} = act(conv2d(u, h_t) + b_u + V x_t + b_V),   u [c, c, f, f] circular in y and x
///
/// The state is [c, h, w] per sequence (PyTorch's conv2d layout, flattened for the readout).
/// Forward adds the projection, bias and activation in the convolution's epilogue; backward carries
/// dpre_t and runs the flipped, transposed kernel with the activation's derivative, the readout's
/// gradient and the bias sums fused in, as the ring's cell does.
public struct SheetCell<T: Scalar>: RecurrentCell {
    public let config: ModelConfig
    let encoder: InputProjection<T>
    let kernelOffset: Int, kernelBiasOffset: Int
    let sheet: SheetShape
    var c: Int { config.channels }
    var f: Int { config.kernelSize }
    var cells: Int { sheet.cells }
    public var units: Int { c * cells }
    public var displayName: String { SheetModel.label }
    public var summary: String {
        let init0 = config.recurrentInit == .shift ? "shift \(config.shiftDirection ?? .plusX)" : config.recurrentInit.rawValue
        let speed = config.recurrentInit == .shift && config.waveSpeed != 1 ? " (speed \(config.waveSpeed))" : ""
        let source = config.encoderInit == .sparse ? " (\((config.waveSource ?? .cell).rawValue))" : ""
        return "sheet \(sheet) c=\(c) f=\(f) \(config.activation.rawValue), u \(init0)\(speed), V \(config.encoderInit.rawValue)\(source)"
    }
    public func symbol(_ spec: ParameterSpec) -> String {
        [ParameterRole.recurrentWeight: "u", .recurrentBias: "b_u", .encoderWeight: "V", .encoderBias: "b_V"][spec.role] ?? spec.name
    }
    /// Blocks of rows whose state at one step fills at most 128 KB, in whole lane groups of the
    /// sheet kernels (not with a dense V, for the ring's reason).
    public var rowBlock: Int? {
        guard encoder.small else { return nil }
        return max(sheetLanes, 128 * 1024 / (units * MemoryLayout<T>.stride) / sheetLanes * sheetLanes)
    }
    public var flopsPerStep: Double { Double(2 * c * c * f * f * cells) + inputFlopsPerStep }
    public var inputFlopsPerStep: Double { Double(2 * config.inputSize * units) }

    public init(_ config: ModelConfig) {
        self.config = config
        sheet = config.sheet ?? SheetShape(height: 1, width: config.ringSize)
        let units = config.channels * sheet.cells
        encoder = InputProjection(inputSize: config.inputSize, units: units, weight: 0, frozen: config.freezeEncoder)
        kernelOffset = units * config.inputSize + units
        kernelBiasOffset = kernelOffset + config.channels * config.channels * config.kernelSize * config.kernelSize
    }

    public var parameters: [ParameterSpec] {
        [
            ParameterSpec("cell.Wx.weight", [units, config.inputSize], .encoderWeight),
            ParameterSpec("cell.Wx.bias", [units], .encoderBias),
            ParameterSpec("cell.Wy.weight", [c, c, f, f], .recurrentWeight),
            ParameterSpec("cell.Wy.bias", [c], .recurrentBias)
        ]
    }

    /// V by `encoderInit` (sparse: weight 1 from every input into the source cells of each
    /// channel, zero bias); u as the 2-D shift (taps 1 - nu at the centre and nu one cell against
    /// the channel's direction, so activity moves with it), identity or PyTorch's default; b_u
    /// PyTorch's default conv bias, as the ring's.
    public func initialValues(_ rng: inout RandomStream) -> [Double] {
        var values: [Double]
        if config.encoderInit == .sparse {
            let d = config.inputSize
            values = [Double](repeating: 0, count: units * d + units)
            for ch in 0..<c {
                for cell in sourceCells(channel: ch) { for j in 0..<d { values[(ch * cells + cell) * d + j] = 1 } }
            }
        } else {
            values = encoder.initialValues(config.encoderInit, ringSize: cells, &rng)
        }
        let fanIn = Double(c * f * f)
        if config.recurrentInit == .random {
            values += uniformValues(c * c * f * f, bound: 1 / fanIn.squareRoot(), &rng)
        } else {
            var kernel = [Double](repeating: 0, count: c * c * f * f)
            let half = f / 2, speed = config.recurrentInit == .shift ? config.waveSpeed : 0
            for o in 0..<c {
                let base = (o * c + o) * f * f
                kernel[base + half * f + half] += 1 - speed
                if speed != 0 {
                    // out[y, x] takes in[y - sy, x - sx]: the tap at (half - sy, half - sx) (f = 1: the centre)
                    let step = (config.shiftDirection ?? .plusX).step(channel: o)
                    kernel[base + (half - step.y + f) % f * f + (half - step.x + f) % f] += speed
                }
            }
            values += kernel
        }
        return values + uniformValues(c, bound: 1 / fanIn.squareRoot(), &rng)
    }

    /// The cells (y * w + x) the sparse encoder feeds in channel `channel`.
    func sourceCells(channel: Int) -> [Int] {
        guard config.waveSource == .edge else { return [0] }
        let step = (config.shiftDirection ?? .plusX).step(channel: channel)
        return step.x != 0 ? (0..<sheet.height).map { $0 * sheet.width } : Array(0..<sheet.width)
    }

    public final class Workspace {
        let pre: Buffer<T> // [rows, N] V x_t
        var dpre: Buffer<T> // [rows, N] dLoss/dpre_t, carried
        var dpreEarlier: Buffer<T> // [rows, N] dLoss/dpre_{t-1} (ping-pong with dpre)
        let convScratch: Buffer<T> // the sheet kernels' lanes and packed weights
        let kernelT: Buffer<T> // [c, c, f, f] flipped transpose of u
        let bias: Buffer<T> // [N] b_u broadcast over each sheet, plus b_V
        let dbias: Buffer<T> // [N] dpre summed over rows and steps
        let encoderT: Buffer<T> // [d, N]
        let dEncoderT: Buffer<T> // [d, N]
        init(_ cell: SheetCell, capacity: Int) {
            let count = capacity * cell.units
            pre = Buffer(zeros: count); dpre = Buffer(zeros: count); dpreEarlier = Buffer(zeros: count)
            convScratch = Buffer(zeros: cell.convScratchCount)
            kernelT = Buffer(zeros: cell.c * cell.c * cell.f * cell.f)
            bias = Buffer(zeros: cell.units); dbias = Buffer(zeros: cell.units)
            (encoderT, dEncoderT) = cell.encoder.makeBuffers()
        }
        var all: [Buffer<T>] { [pre, dpre, dpreEarlier, convScratch, kernelT, bias, dbias, encoderT, dEncoderT] }
    }

    var convScratchCount: Int {
        sheetConvScratchCount(channelsOut: c, channelsIn: c, height: sheet.height, width: sheet.width, kernel: f)
    }

    public func makeWorkspace(capacity: Int, length: Int) -> Workspace { Workspace(self, capacity: capacity) }
    public func bytes(of ws: Workspace) -> Int { ws.all.reduce(0) { $0 + $1.bytes } }
    public func workspaceCount(capacity: Int, length: Int) -> Double {
        3 * Double(capacity) * Double(units) + Double(convScratchCount) + Double(c * c * f * f) + 2 * Double(units)
            + encoder.bufferCount
    }

    public func prepare(params: UnsafePointer<T>, rows: Int, workspace ws: Workspace) {
        ws.bias.pointer.update(from: params + units * config.inputSize, count: units)
        for ch in 0..<c { for i in 0..<cells { ws.bias[ch * cells + i] += params[kernelBiasOffset + ch] } }
        encoder.prepare(params: params, transposed: ws.encoderT)
    }

    @inline(__always)
    public func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        let b = states.rows, pre = ws.pre.pointer
        let hPrev = UnsafePointer(states[t]), hNext = states[t + 1]
        encoder.forward(pre: pre, x: x, params: params, transposed: ws.encoderT, rows: b, accumulate: false)
        if t == 0 { // h_0 = 0
            T.biasActivation(out: hNext, pre: pre, bias: ws.bias.pointer, rows: b, cols: units, activation: config.activation)
        } else {
            T.sheetConvForward(
                out: hNext, input: hPrev, weight: params + kernelOffset, scratch: ws.convScratch.pointer,
                batch: b, channelsOut: c, channelsIn: c, height: sheet.height, width: sheet.width, kernel: f,
                epilogue: ConvEpilogue(.activate(config.activation), addend: UnsafePointer(pre), bias: UnsafePointer(ws.bias.pointer)))
        }
    }

    public func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace ws: Workspace) {
        ws.dbias.zero()
        ws.dEncoderT.zero()
        T.activationBackward(
            dpre: ws.dpre.pointer, dh: dh, h: states[states.length], count: states.rows * units, activation: config.activation)
        T.addColumnSums(out: ws.dbias.pointer, input: ws.dpre.pointer, rows: states.rows, cols: units)
        // the f x f taps flipped together are the flattened f^2 taps reversed
        flipTransposeKernel(ws.kernelT.pointer, params + kernelOffset, channelsOut: c, channelsIn: c, kernel: f * f)
    }

    /// With dpre = dLoss/dpre_t: dV (+)= dpre^T x_t; for t > 0 also du += the correlation of dpre
    /// with h_t, and dpre_{t-1} = (conv^T(dpre) + readout's dh_t) * act'(h_t), summed into the bias.
    @inline(__always)
    public func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace
    ) {
        let b = states.rows, dpre = UnsafePointer(ws.dpre.pointer)
        encoder.backward(grads: grads, dTransposed: ws.dEncoderT, dpre: dpre, x: x, rows: b)
        guard t > 0 else { return }
        let h = UnsafePointer(states[t])
        T.sheetConvBackward(
            dinput: ws.dpreEarlier.pointer, dweight: config.freezeRecurrent ? nil : grads + kernelOffset, dout: dpre, input: h,
            weightT: ws.kernelT.pointer, scratch: ws.convScratch.pointer,
            batch: b, channelsOut: c, channelsIn: c, height: sheet.height, width: sheet.width, kernel: f,
            epilogue: ConvEpilogue(
                .activationGradient(config.activation), addend: dhReadout, activationOutput: h, columnSums: ws.dbias.pointer))
        swap(&ws.dpre, &ws.dpreEarlier)
    }

    /// b_V gets the bias sums; b_u their sum over each sheet.
    public func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace ws: Workspace) {
        finishWaveBiasGradients(
            grads: grads, dbias: ws.dbias, encoder: encoder, dEncoderT: ws.dEncoderT, config: config, channels: c, positions: cells,
            kernelBiasOffset: kernelBiasOffset)
    }
}

/// The 2-D wave RNN as the tool sees it: `--model wrnn2d --sheet HxW`.
public enum SheetModel: ModelDescription {
    public static let name = "wrnn2d"
    public static let label = "wRNN-2D"
    public static let help = "the 2-D wave RNN: c channels of h x w toroidal sheets (--sheet HxW), one circular 2-D convolution"
    public static let options: Set<ModelOption> = [
        .sheet, .shiftDirection, .waveSource, .channels, .kernelSize, .initialization, .encoderInit, .activation, .waveSpeed,
        .readoutAt, .freezeU, .freezeV
    ]
    public static let defaultRecurrentInit = RecurrentInit.shift
    public static let defaultEncoderInit = EncoderInit.sparse

    public static func refusalReason(_ option: ModelOption) -> String? {
        switch option {
        case .locallyConnected: return "the sheet's kernel is shared; the untied ablation is the ring's"
        case .precision: return "the sheet's convolution has no bf16 products yet"
        default: return nil
        }
    }

    /// The ring wRNN's channels with each ring of n folded into a sheet of about n cells: copy and
    /// adding 10 x 10 (n = 100), images 16 x 16 (n = 256); f = 3, the shift along +x from one cell.
    /// Same N, V and readout as the ring; u has f times the ring's taps.
    public static func preset(task: TaskConfig) -> ModelPreset {
        var model = basePreset(task: task)
        let side = model.ringSize == 256 ? 16 : 10
        model.sheet = SheetShape(height: side, width: side)
        model.ringSize = side * side
        switch task.modelRecipe {
        case .tokenRecall: model.channels = 6
        case .longRegression: model.channels = 27
        case .classification, .permutedClassification, .noisyClassification: model.channels = 16
        }
        return ModelPreset(model: model)
    }

    public static func apply(_ options: ModelOptionValues, to config: inout ModelConfig) throws {
        if options.hiddenSize != nil {
            throw WrnnError.usage(
                "--hidden-size does not apply to --model wrnn2d; its cells per channel are --sheet HxW (e.g. --sheet 10x10)")
        }
        if let sheet = options.sheet {
            config.sheet = sheet
            config.ringSize = sheet.cells
        }
        if let channels = options.channels { config.channels = channels }
        if let kernelSize = options.kernelSize { config.kernelSize = kernelSize }
        if let direction = options.shiftDirection { config.shiftDirection = direction }
        if let source = options.waveSource { config.waveSource = source }
    }

    public static func check(_ config: ModelConfig, task: TaskConfig) throws {
        let f = config.kernelSize
        guard let sheet = config.sheet else { throw WrnnError.usage("--model wrnn2d needs --sheet HxW (e.g. --sheet 10x10)") }
        // a configuration read from a file: its cells per channel are the sheet's
        guard config.ringSize == sheet.cells else {
            throw WrnnError.usage(
                "the sheet \(sheet) has \(sheet.cells) cells per channel, but the configuration's hiddenSize is \(config.ringSize); they must agree"
            )
        }
        guard f >= 1 else { throw WrnnError.usage("--kernel-size must be a positive integer (got \(f))") }
        guard f % 2 == 1 else { throw WrnnError.usage("--kernel-size must be odd (got \(f))") }
        let side = min(sheet.height, sheet.width)
        guard f <= side else {
            throw WrnnError.usage(
                "--kernel-size \(f) is wider than the sheet's shorter side (\(sheet)); use at most \(side % 2 == 1 ? side : side - 1)")
        }
        if config.shiftDirection != nil, config.recurrentInit != .shift {
            throw WrnnError.usage("--shift-direction applies to --initialization shift (got \(config.recurrentInit.rawValue))")
        }
        if config.waveSource != nil, config.encoderInit != .sparse {
            throw WrnnError.usage("--wave-source applies to --encoder-init sparse (got \(config.encoderInit.rawValue))")
        }
    }

    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { SheetCell<T>(config) }

    public static func tableLabel(_ m: ModelConfig) -> String {
        var text = "wRNN-2D \(m.sheet.map(\.description) ?? "?") c=\(m.channels)"
        if m.recurrentInit == .shift, let direction = m.shiftDirection, direction != .plusX { text += " \(direction)" }
        if m.recurrentInit != .shift { text += " u \(m.recurrentInit.rawValue)" }
        if m.encoderInit != .sparse { text += " V \(m.encoderInit.rawValue)" } else if m.waveSource == .edge { text += " edge" }
        return text
    }

    /// Not in the paper.
    public static func paperRow(_ config: ModelConfig, task: TaskConfig) -> String? { nil }

    /// `wrnn bench` measured 132 (copy) and 154 (sMNIST) GFLOP/s in training on 2 Zen 4 threads;
    /// estimates take less, for the evaluations and one-thread runs.
    public static let cpuGFLOPS = 100.0
    public static let benchmarks = [
        ModelBenchmark(name: "copy-wrnn2d", task: TaskConfig(kind: .copy, t: 30), batch: 128, isDefault: true),
        ModelBenchmark(name: "smnist-wrnn2d", task: TaskConfig(kind: .smnist), batch: 128, randomShape: [784, 1])
    ]

    /// The sheet convolution's three kernels.
    public static func kernelBenchmark(_ config: ModelConfig) -> KernelBenchmark? {
        return { name, batch, threads, seed in timeSheetKernels(config, configName: name, batch: batch, threads: threads, seed: seed) }
    }
}

extension ModelKind {
    public static let wrnn2d = SheetModel.kind
    /// The hidden state is c sheets of h x w cells (frames and 2-D spectra per channel).
    public var hasSheet: Bool { model.options.contains(.sheet) }
}
