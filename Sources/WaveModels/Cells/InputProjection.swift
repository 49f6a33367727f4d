import WaveKernels
import WaveCore

/// The encoder of the wRNN and iRNN: pre = x V^T + b, V [N, d] (PyTorch's `cell.Wx`).
/// Inputs with at most `smallLimit` values per step (one-hot tokens, pixels) skip BLAS, whose
/// packing costs more than the arithmetic, and skip zero inputs. Wider inputs take the cell's
/// `DenseProducts` when it passes them: bf16 under `--precision bf16`.
struct InputProjection<T: Scalar>: Sendable {
    /// Products with at most this many terms skip BLAS.
    static var smallLimit: Int { 16 }
    let inputSize: Int // d
    let units: Int // N
    let weight: Int // offset of V [N, d]
    let frozen: Bool
    /// Distance between V's rows: d, or wider when V is the first d columns of a larger matrix (coRNN).
    var stride: Int = 0
    var ld: Int { stride == 0 ? inputSize : stride }
    var small: Bool { inputSize <= Self.smallLimit }

    /// [d, N] V transposed for the small-d product; dLoss/dV transposed, summed over steps.
    func makeBuffers() -> (transposed: Buffer<T>, dTransposed: Buffer<T>) {
        (Buffer(zeros: small ? inputSize * units : 0), Buffer(zeros: small ? inputSize * units : 0))
    }

    /// Elements of `makeBuffers`.
    var bufferCount: Double { small ? 2 * Double(inputSize) * Double(units) : 0 }

    func prepare(params: UnsafePointer<T>, transposed: Buffer<T>, products: DenseProducts<T>? = nil) {
        guard small else {
            products?.roundWeights(params, offset: weight, count: units * ld)
            return
        }
        let n = units, d = inputSize
        for i in 0..<n { for j in 0..<d { transposed[j * n + i] = params[weight + i * ld + j] } }
    }

    /// pre (+)= x V^T: [rows, N].
    @inline(__always)
    func forward(
        pre: UnsafeMutablePointer<T>, x: UnsafePointer<T>, params: UnsafePointer<T>, transposed: Buffer<T>,
        rows b: Int, accumulate: Bool, products: DenseProducts<T>? = nil
    ) {
        let n = units, d = inputSize
        if small {
            T.smallProduct(out: pre, a: x, b: transposed.pointer, initial: nil, rows: b, k: d, n: n, accumulate: accumulate)
        } else if let products {
            products.timesWeight(
                pre, ldc: n, x, lda: d, .none, params: params, offset: weight, ldb: ld, .transposed, m: b, n: n, k: d,
                beta: accumulate ? 1 : 0)
        } else {
            T.gemm(
                pre, ldc: n, x, lda: d, .none, params + weight, ldb: ld, .transposed,
                m: b, n: n, k: d, alpha: 1, beta: accumulate ? 1 : 0)
        }
    }

    /// dV += dpre^T x (small d: summed transposed, added at the end).
    @inline(__always)
    func backward(
        grads: UnsafeMutablePointer<T>, dTransposed: Buffer<T>, dpre: UnsafePointer<T>, x: UnsafePointer<T>, rows b: Int,
        products: DenseProducts<T>? = nil
    ) {
        guard !frozen else { return }
        let n = units, d = inputSize
        if small {
            T.smallTransposedProduct(out: dTransposed.pointer, a: x, d: dpre, rows: b, k: d, n: n)
        } else if let products {
            products.product(grads + weight, ldc: ld, dpre, lda: n, .transposed, x, ldb: d, .none, m: n, n: d, k: b, beta: 1)
        } else {
            T.gemm(grads + weight, ldc: ld, dpre, lda: n, .transposed, x, ldb: d, .none, m: n, n: d, k: b, alpha: 1, beta: 1)
        }
    }

    func finish(grads: UnsafeMutablePointer<T>, dTransposed: Buffer<T>) {
        guard small, !frozen else { return }
        let n = units, d = inputSize
        for j in 0..<d { for i in 0..<n { grads[weight + i * ld + j] += dTransposed[j * n + i] } }
    }
}

extension InputProjection {
    /// V and b_V (spec 2.1): `sparse` puts weight 1 from every input on neuron 0 of each ring of
    /// `ringSize` neurons, zero bias; `normal` draws V ~ N(0, 0.001^2) and PyTorch's default bias;
    /// `pytorch` draws both from nn.Linear's default uniform(-1/sqrt(d), 1/sqrt(d)).
    func initialValues(_ scheme: EncoderInit, ringSize: Int, _ rng: inout RandomStream) -> [Double] {
        let n = units, d = inputSize
        var weight = [Double](repeating: 0, count: n * d)
        switch scheme {
        case .sparse:
            for ring in 0..<(n / ringSize) { for j in 0..<d { weight[ring * ringSize * d + j] = 1 } }
        case .normal:
            for j in weight.indices { weight[j] = 0.001 * rng.normal() }
        case .pytorch:
            weight = uniformValues(n * d, bound: 1 / Double(d).squareRoot(), &rng)
        }
        let bias = scheme != .sparse ? uniformValues(n, bound: 1 / Double(d).squareRoot(), &rng) : [Double](repeating: 0, count: n)
        return weight + bias
    }
}
