import WaveData

/// The tasks of the paper (copy, adding, sequential image classification) and a researcher's own
/// sequences read from a file.
public enum TaskKind: String, Codable, CaseIterable, Sendable {
    case copy, adding, smnist, psmnist, sfmnist, psfmnist, nscifar10, sequences
    /// Sequential image classification: MNIST (s*), Fashion-MNIST (sf*), permuted (p*) or not, and
    /// noisy sequential CIFAR-10.
    public var isImage: Bool { self != .copy && self != .adding && self != .sequences }
    /// A fixed data set walked in epochs, with a validation split (images and own sequences); the
    /// synthetic tasks draw fresh sequences instead.
    public var isDataSet: Bool { self != .copy && self != .adding }
    public var isPermuted: Bool { self == .psmnist || self == .psfmnist }
    public var collection: ImageCollection { self == .sfmnist || self == .psfmnist ? .fashionMNIST : .mnist }
}
