/// Elementwise nonlinearity of a recurrent cell: relu(x) = max(x, 0), tanh, identity(x) = x.
public enum Activation: String, Codable, CaseIterable, Sendable {
    case relu, tanh, identity
}
