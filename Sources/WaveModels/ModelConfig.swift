import WaveCore

public enum ModelKind: String, Codable, CaseIterable, Sendable {
    /// `fc` is the authors' non-recurrent baseline: the whole flattened sequence into the readout.
    case wrnn, irnn, lstm, gru, fc
    /// Every model but `fc` walks the sequence one step at a time.
    public var isRecurrent: Bool { self != .fc }
    /// Gate blocks in the gated cells' weight matrices: 4 (i, f, g, o) for the LSTM, 3 (r, z, n) for the GRU.
    public var gateCount: Int { self == .lstm ? 4 : self == .gru ? 3 : 1 }
    public var isGated: Bool { self == .lstm || self == .gru }
}

/// Recurrent weight initialisation: `shift` moves activity one neuron per step (the
/// authors' `fwd`, the iRNN's Sigma-init), `identity` holds it in place (`eye`), `random` is
/// PyTorch's default uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
public enum RecurrentInit: String, Codable, CaseIterable, Sendable { case shift, identity, random }

/// Encoder V initialisation: `sparse` (neuron 0 of every ring takes every input with weight 1,
/// zero bias) or `normal` (N(0, 0.001^2), PyTorch-default bias).
public enum EncoderInit: String, Codable, CaseIterable, Sendable { case sparse, normal }

/// Readout: `linear` N -> out, or `mlp` N -> 100 -> relu -> out.
public enum ReadoutKind: String, Codable, CaseIterable, Sendable { case linear, mlp }

/// Which hidden states are read out: every step (copy task) or only the last.
public enum ReadoutTiming: String, Codable, CaseIterable, Sendable { case every, last }

/// Everything that fixes a model's shape and initialisation.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var kind: ModelKind
    /// d: input dimension per time step.
    public var inputSize: Int
    public var outputSize: Int
    /// n: neurons per ring for the wRNN; the whole hidden size N for the iRNN, LSTM and GRU; for
    /// `fc` the flattened input size L * d that the readout sees.
    public var hiddenSize: Int
    /// c: rings (wRNN only; 1 for the iRNN).
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

    public init(kind: ModelKind, inputSize: Int, outputSize: Int, hiddenSize: Int, channels: Int = 1,
                kernelSize: Int = 3, activation: Activation = .relu, recurrentInit: RecurrentInit? = nil,
                encoderInit: EncoderInit? = nil, readout: ReadoutKind = .linear, readoutTiming: ReadoutTiming = .last,
                freezeRecurrent: Bool = false, freezeEncoder: Bool = false, waveSpeed: Double = 1, mlpHidden: Int = 100) {
        self.kind = kind
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.hiddenSize = hiddenSize
        self.channels = kind == .wrnn ? channels : 1
        self.kernelSize = kernelSize
        self.activation = activation
        self.recurrentInit = recurrentInit ?? (kind == .wrnn ? .shift : .identity)
        self.encoderInit = encoderInit ?? (kind == .wrnn ? .sparse : .normal)
        self.readout = readout
        self.readoutTiming = readoutTiming
        self.freezeRecurrent = freezeRecurrent
        self.freezeEncoder = freezeEncoder
        self.waveSpeed = waveSpeed
        self.mlpHidden = mlpHidden
    }

    /// N: hidden units, c * n for the wRNN.
    public var units: Int { kind == .wrnn ? channels * hiddenSize : hiddenSize }

    /// wRNN: c*c*f + c + d*N + N + readout; iRNN: N*N + N + d*N + N + readout (spec 2.5).
    public var parameterCount: Int { ParameterLayout(self).count }
}
