import WaveCore
import WaveKernels

/// What updates the parameters from their gradient. Its state is named buffers of the parameters'
/// length that a checkpoint stores under those names (with the optimiser's own name), so a resumed
/// run continues it exactly and a checkpoint says what it holds.
public protocol Optimizer: AnyObject {
    /// config.json's and the checkpoint's name for it ("adam").
    static var name: String { get }
    var learningRate: Double { get set }
    /// Updates taken (Adam's bias-correction t).
    var step: Int { get set }
    /// Its state in checkpoint order, each buffer the parameters' length.
    var state: [(name: String, buffer: Buffer<Float>)] { get }
    /// One update of `params` from `grads` at the current learning rate.
    func update(params: Buffer<Float>, grads: Buffer<Float>)
    /// The momentum a schedule sets (PyTorch's OneCycleLR cycles Adam's beta1).
    func setMomentum(_ momentum: Double)
}

/// The optimisers a checkpoint may name, by name.
public enum Optimizers {
    public static let adam = Adam.name
    /// A checkpoint written before optimisers were named holds Adam's m and v.
    public static let legacyState = ["m", "v"]

    public static func make(name: String, count: Int, learningRate: Double, frozen: [Range<Int>]) throws -> any Optimizer {
        guard name == Adam.name else { throw WrnnError.data("unknown optimiser '\(name)' (known: \(Adam.name))") }
        return Adam(count: count, learningRate: learningRate, frozen: frozen)
    }
}

/// Adam with PyTorch's defaults (beta1 0.9, beta2 0.999, eps 1e-8) and bias correction:
/// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
public final class Adam: Optimizer, @unchecked Sendable {
    public static let name = "adam"
    public var learningRate: Double
    /// beta1 is a variable because PyTorch's OneCycleLR cycles it (the bias correction uses the current value).
    public var beta1 = 0.9
    public let beta2 = 0.999, epsilon = 1e-8
    /// First and second moments, [P] each.
    public let m: Buffer<Float>
    public let v: Buffer<Float>
    public var step = 0
    /// Parameter ranges that are never updated (frozen tensors).
    let frozen: [Range<Int>]

    public init(count: Int, learningRate: Double, frozen: [Range<Int>] = []) {
        self.learningRate = learningRate
        m = Buffer(zeros: count)
        v = Buffer(zeros: count)
        self.frozen = frozen
    }

    public var state: [(name: String, buffer: Buffer<Float>)] { [("m", m), ("v", v)] }
    public func setMomentum(_ momentum: Double) { beta1 = momentum }

    public func update(params: Buffer<Float>, grads: Buffer<Float>) {
        step += 1
        var start = 0
        for range in frozen.sorted(by: { $0.lowerBound < $1.lowerBound }) + [params.count..<params.count] {
            if range.lowerBound > start {
                Float.adamUpdate(
                    params: params.pointer + start, m: m.pointer + start, v: v.pointer + start,
                    grads: grads.pointer + start, count: range.lowerBound - start,
                    learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
            }
            start = max(start, range.upperBound)
        }
    }
}

/// Global L2 norm of the gradient; when above `maxNorm` (> 0) the gradient is scaled by
/// maxNorm / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_ does. Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ grads: Buffer<Float>, maxNorm: Double) -> Double {
    let norm = Float.sumOfSquares(grads.pointer, count: grads.count).squareRoot()
    if maxNorm > 0, norm.isFinite {
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 { Float.scale(grads.pointer, by: Float(coefficient), count: grads.count) }
    }
    return norm
}
