/// Adam with PyTorch's defaults (beta1 0.9, beta2 0.999, eps 1e-8) and bias correction:
/// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
public final class Adam: @unchecked Sendable {
    public var learningRate: Double
    /// beta1 is a variable because PyTorch's OneCycleLR cycles it (the bias correction uses the current value).
    public var beta1 = 0.9
    public let beta2 = 0.999, epsilon = 1e-8
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
