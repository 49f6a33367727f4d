import WaveData

/// The tasks of the paper: copy, adding, and sequential image classification.
public enum TaskKind: String, Codable, CaseIterable, Sendable {
    case copy, adding, smnist, psmnist, sfmnist, psfmnist, nscifar10
    /// Sequential image classification: MNIST (s*), Fashion-MNIST (sf*), permuted (p*) or not, and
    /// noisy sequential CIFAR-10.
    public var isImage: Bool { self != .copy && self != .adding }
    public var isPermuted: Bool { self == .psmnist || self == .psfmnist }
    public var collection: ImageCollection { self == .sfmnist || self == .psfmnist ? .fashionMNIST : .mnist }
}
