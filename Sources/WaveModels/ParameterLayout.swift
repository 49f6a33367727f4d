import WaveCore

/// What a parameter tensor does, so training can freeze or treat it by role.
public enum ParameterRole: String, Codable, Sendable {
    case encoderWeight, encoderBias, recurrentWeight, recurrentBias
    /// Cell tensors that are neither the input's nor the recurrence's alone (coRNN's i2h over
    /// [x, z, y], LEM's transform_z).
    case cellWeight, cellBias
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
        let body = config.makeBody(Double.self)
        for spec in body.parameters + config.makeReadout(body: body).parameters { add(spec.name, spec.shape, spec.role) }
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
            (config.freezeRecurrent && ($0.role == .recurrentWeight || $0.role == .recurrentBias))
                || (config.freezeEncoder && ($0.role == .encoderWeight || $0.role == .encoderBias))
        }.map(\.range)
    }
}
