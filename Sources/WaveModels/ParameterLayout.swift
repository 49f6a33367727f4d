import WaveCore

/// What a parameter tensor does, so training can freeze or treat it by role.
public enum ParameterRole: String, Codable, Sendable {
    case encoderWeight, encoderBias, recurrentWeight, recurrentBias
    case readoutWeight, readoutBias, mlpWeight, mlpBias
}

/// One named tensor inside the flat parameter buffer (names follow the authors' PyTorch state_dict).
public struct ParameterTensor: Codable, Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var role: ParameterRole
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// All of a model's parameters in one contiguous buffer, so Adam, clipping and checkpoints
/// are single loops over it.
public struct ParameterLayout: Equatable, Sendable {
    public private(set) var tensors: [ParameterTensor] = []
    public private(set) var count = 0

    public init(_ config: ModelConfig) {
        let n = config.units, d = config.inputSize, out = config.outputSize
        if config.kind.isGated {
            // PyTorch's nn.LSTM / nn.GRU parameters, in its state_dict order
            let g = config.kind.gateCount * n
            add("rnn.weight_ih_l0", [g, d], .encoderWeight)
            add("rnn.weight_hh_l0", [g, n], .recurrentWeight)
            add("rnn.bias_ih_l0", [g], .encoderBias)
            add("rnn.bias_hh_l0", [g], .recurrentBias)
        } else if config.kind.isRecurrent {
            add("cell.Wx.weight", [n, d], .encoderWeight)
            add("cell.Wx.bias", [n], .encoderBias)
        }
        switch config.kind {
        case .lstm, .gru, .fc: break
        case .wrnn:
            add("cell.Wy.weight", config.locallyConnected
                ? [config.channels, config.channels, config.hiddenSize, config.kernelSize]
                : [config.channels, config.channels, config.kernelSize], .recurrentWeight)
            add("cell.Wy.bias", [config.channels], .recurrentBias)
        case .irnn:
            add("cell.Wy.weight", [n, n], .recurrentWeight)
            add("cell.Wy.bias", [n], .recurrentBias)
        }
        switch config.readout {
        case .linear:
            add("readout.weight", [out, n], .readoutWeight)
            add("readout.bias", [out], .readoutBias)
        case .mlp:
            add("readout.0.weight", [config.mlpHidden, n], .mlpWeight)
            add("readout.0.bias", [config.mlpHidden], .mlpBias)
            add("readout.2.weight", [out, config.mlpHidden], .readoutWeight)
            add("readout.2.bias", [out], .readoutBias)
        }
    }

    private mutating func add(_ name: String, _ shape: [Int], _ role: ParameterRole) {
        let tensor = ParameterTensor(name: name, shape: shape, offset: count, role: role)
        tensors.append(tensor)
        count += tensor.count
    }

    public func tensor(_ role: ParameterRole) -> ParameterTensor? { tensors.first { $0.role == role } }
    public func offset(_ role: ParameterRole) -> Int { tensor(role)?.offset ?? 0 }

    /// Tensors that receive no update: u and b_u when the recurrence is frozen, V and b_V for the encoder.
    public func frozenRanges(_ config: ModelConfig) -> [Range<Int>] {
        tensors.filter {
            (config.freezeRecurrent && ($0.role == .recurrentWeight || $0.role == .recurrentBias)) ||
            (config.freezeEncoder && ($0.role == .encoderWeight || $0.role == .encoderBias))
        }.map(\.range)
    }
}
