import WaveKernels
import WaveCore

/// Recurrent weight initialisation: `shift` moves activity one neuron per step (the
/// authors' `fwd`, the iRNN's Sigma-init), `identity` holds it in place (`eye`), `random` is
/// PyTorch's default uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
public enum RecurrentInit: String, Codable, CaseIterable, Sendable { case shift, identity, random }

/// Encoder V initialisation: `sparse` (neuron 0 of every ring takes every input with weight 1,
/// zero bias, the authors' `solo_init yes`), `normal` (N(0, 0.001^2), PyTorch-default bias, their
/// `solo_init no` where the model file applies it) or `pytorch` (nn.Linear's default,
/// uniform(-1/sqrt(d), 1/sqrt(d)) for weight and bias: what the authors' iRNN keeps on the image tasks,
/// whose model files never touch V).
public enum EncoderInit: String, Codable, CaseIterable, Sendable { case sparse, normal, pytorch }

/// Readout: `linear` N -> out, or `mlp` N -> 100 -> relu -> out.
public enum ReadoutKind: String, Codable, CaseIterable, Sendable { case linear, mlp }

/// Everything that fixes a model's shape and initialisation.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var kind: ModelKind
    /// d: input dimension per time step.
    public var inputSize: Int
    public var outputSize: Int
    /// n: neurons per ring (see `Glossary`). Every model but the wRNN has one ring, so there n = N;
    /// for `fc` it is the flattened input size L * d that the readout sees.
    public var ringSize: Int
    /// c: rings (wRNN only; 1 for every other model).
    public var channels: Int
    /// f: odd circular kernel width (wRNN only).
    public var kernelSize: Int
    public var activation: Activation
    public var recurrentInit: RecurrentInit
    public var encoderInit: EncoderInit
    public var readout: ReadoutKind
    public var readoutTiming: ReadoutTiming
    public var freezeRecurrent: Bool
    public var freezeEncoder: Bool
    /// nu in [0, 1] for the shift init: taps [.., 1 - nu, nu] around the centre.
    public var waveSpeed: Double
    public var mlpHidden: Int
    /// wRNN ablation (spec 2.4): the same ring and kernel with untied weights per neuron, u [c, c, n, f].
    public var locallyConnected: Bool = false
    /// Constants of the oscillator models (their cells read them): step dt, stiffness gamma, damping
    /// epsilon; nil takes the cell's authors' sMNIST value.
    public var dt: Double?
    public var gamma: Double?
    public var epsilon: Double?
    /// The number format of the heavy products (wRNN only: its convolution); nil is fp32, and is
    /// what run directories written before `--precision` carry.
    public var precision: Precision?
    /// The 2-D wave RNN's sheet (h x w cells per channel; then n = h * w), its shift
    /// initialisation's direction and its sparse encoder's source; nil for every other model.
    public var sheet: SheetShape?
    public var shiftDirection: ShiftDirection?
    public var waveSource: WaveSource?

    enum CodingKeys: String, CodingKey {
        // "hiddenSize" is the key run directories written before the glossary carry
        case ringSize = "hiddenSize"
        case kind, inputSize, outputSize, channels, kernelSize, activation, recurrentInit, encoderInit, readout
        case readoutTiming, freezeRecurrent, freezeEncoder, waveSpeed, mlpHidden, locallyConnected, dt, gamma, epsilon
        case precision, sheet, shiftDirection, waveSource
    }

    public init(
        kind: ModelKind, inputSize: Int, outputSize: Int, ringSize: Int, channels: Int = 1,
        kernelSize: Int = 3, activation: Activation = .relu, recurrentInit: RecurrentInit? = nil,
        encoderInit: EncoderInit? = nil, readout: ReadoutKind = .linear, readoutTiming: ReadoutTiming = .last,
        freezeRecurrent: Bool = false, freezeEncoder: Bool = false, waveSpeed: Double = 1, mlpHidden: Int = 100
    ) {
        self.kind = kind
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.ringSize = ringSize
        self.channels = kind.hasRings ? channels : 1
        self.kernelSize = kernelSize
        self.activation = activation
        self.recurrentInit = recurrentInit ?? kind.model.defaultRecurrentInit
        self.encoderInit = encoderInit ?? kind.model.defaultEncoderInit
        self.readout = readout
        self.readoutTiming = readoutTiming
        self.freezeRecurrent = freezeRecurrent
        self.freezeEncoder = freezeEncoder
        self.waveSpeed = waveSpeed
        self.mlpHidden = mlpHidden
    }

    /// Training with this model can run here: bf16 products need a CPU that has them (evaluating a
    /// bf16 model elsewhere runs its products in fp32).
    public func checkRunsHere(resuming: Bool = false) throws {
        let engine = kind.model.bf16Engine
        guard precision == .bf16, !engine.available else { return }
        guard resuming else { throw WrnnError.usage(engine.refusal) }
        throw WrnnError.usage(
            "this run trains with --precision bf16, which needs \(engine.missing); resume it where they run (its weights stay fp32: wrnn eval reads it anywhere)"
        )
    }

    /// N: hidden units the readout sees, c * n.
    public var units: Int { channels * ringSize }

    /// wRNN: c*c*f + c + d*N + N + readout; wRNN-2D: c*c*f*f + c + d*N + N + readout; iRNN: N*N + N + d*N + N + readout (spec 2.5).
    public var parameterCount: Int { ParameterLayout(self).count }
}
