import WaveKernels
import WaveCore

/// How the readout's last weight starts: PyTorch's Linear default uniform(±1/sqrt(fan_in)), or
/// Kaiming-normal N(0, 2 / fan_in) (LEM's classifier).
public enum ReadoutWeightInit: Sendable { case pytorchDefault, kaimingNormal }

/// The readout (spec 2.3): y = W h + b (`linear`) or W2 relu(W1 h + b1) + b2 (`mlp`), applied to
/// the features of every readout step at once ([R, rows, N] -> [R, rows, out]).
struct Readout<T: Scalar>: Sendable {
    let kind: ReadoutKind
    let features: Int // N
    let outputs: Int // out
    let mlpHidden: Int // m
    let name: String
    let weightInit: ReadoutWeightInit
    /// Offsets of the tensors inside the model's flat buffer.
    var base = 0
    var weight: Int { kind == .mlp ? base + mlpHidden * features + mlpHidden : base }
    var bias: Int { weight + outputs * (kind == .mlp ? mlpHidden : features) }
    var mlpWeight: Int { base }
    var mlpBias: Int { base + mlpHidden * features }
    /// Products with at most this many terms skip BLAS.
    static var smallLimit: Int { 16 }

    var parameters: [ParameterSpec] {
        switch kind {
        case .linear:
            return [
                ParameterSpec("\(name).weight", [outputs, features], .readoutWeight), ParameterSpec("\(name).bias", [outputs], .readoutBias)
            ]
        case .mlp:
            return [
                ParameterSpec("\(name).0.weight", [mlpHidden, features], .mlpWeight),
                ParameterSpec("\(name).0.bias", [mlpHidden], .mlpBias),
                ParameterSpec("\(name).2.weight", [outputs, mlpHidden], .readoutWeight),
                ParameterSpec("\(name).2.bias", [outputs], .readoutBias)
            ]
        }
    }

    func initialValues(_ rng: inout RandomStream) -> [Double] {
        var values: [Double] = []
        let hiddenBound = 1 / Double(features).squareRoot()
        if kind == .mlp {
            values += uniformValues(mlpHidden * features + mlpHidden, bound: hiddenBound, &rng)
        }
        let fanIn = kind == .mlp ? mlpHidden : features
        switch weightInit {
        case .pytorchDefault: values += uniformValues(outputs * fanIn, bound: 1 / Double(fanIn).squareRoot(), &rng)
        case .kaimingNormal: values += (0..<(outputs * fanIn)).map { _ in (2 / Double(fanIn)).squareRoot() * rng.normal() }
        }
        return values + uniformValues(outputs, bound: 1 / Double(fanIn).squareRoot(), &rng)
    }

    /// logits [rows, out] from features [rows, N]; the MLP's hidden layer kept in `hidden`.
    func forward(params: UnsafePointer<T>, features x: UnsafePointer<T>, rows: Int, ws: Workspace<T>) {
        let n = features, out = outputs
        switch kind {
        case .linear where out <= Self.smallLimit:
            T.narrowProduct(out: ws.logits.pointer, a: x, b: params + weight, rows: rows, width: out, n: n)
        case .linear:
            T.gemm(
                ws.logits.pointer, ldc: out, x, lda: n, .none, params + weight, ldb: n, .transposed,
                m: rows, n: out, k: n, alpha: 1, beta: 0)
        case .mlp:
            let h = mlpHidden
            T.gemm(
                ws.hidden.pointer, ldc: h, x, lda: n, .none, params + mlpWeight, ldb: n, .transposed,
                m: rows, n: h, k: n, alpha: 1, beta: 0)
            T.biasActivation(out: ws.hidden.pointer, pre: ws.hidden.pointer, bias: params + mlpBias, rows: rows, cols: h, activation: .relu)
            T.gemm(
                ws.logits.pointer, ldc: out, ws.hidden.pointer, lda: h, .none, params + weight, ldb: h,
                .transposed, m: rows, n: out, k: h, alpha: 1, beta: 0)
        }
        T.addBias(out: ws.logits.pointer, bias: params + bias, rows: rows, cols: out)
    }

    /// Adds the readout's parameter gradients from dlogits; returns what dLoss/dfeatures follows
    /// from per step: dLoss/d(first layer's output) [R, rows, width] and that layer's weight [width, N].
    func backward(
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, features x: UnsafePointer<T>, rows: Int,
        ws: Workspace<T>
    ) -> FeatureGradient<T> {
        let n = features, out = outputs
        let dlogits = UnsafePointer(ws.dlogits.pointer)
        T.addColumnSums(out: grads + bias, input: dlogits, rows: rows, cols: out)
        switch kind {
        case .linear:
            if out <= Self.smallLimit {
                T.smallTransposedProduct(out: grads + weight, a: dlogits, d: x, rows: rows, k: out, n: n)
            } else {
                T.gemm(grads + weight, ldc: n, dlogits, lda: out, .transposed, x, ldb: n, .none, m: out, n: n, k: rows, alpha: 1, beta: 1)
            }
            return FeatureGradient(upstream: dlogits, weight: params + weight, width: out, features: n)
        case .mlp:
            let h = mlpHidden, hidden = ws.hidden.pointer, dhidden = ws.dhidden.pointer
            T.gemm(grads + weight, ldc: h, dlogits, lda: out, .transposed, hidden, ldb: h, .none, m: out, n: h, k: rows, alpha: 1, beta: 1)
            T.gemm(dhidden, ldc: h, dlogits, lda: out, .none, params + weight, ldb: h, .none, m: rows, n: h, k: out, alpha: 1, beta: 0)
            T.activationBackward(dpre: dhidden, dh: dhidden, h: hidden, count: rows * h, activation: .relu)
            T.gemm(grads + mlpWeight, ldc: n, dhidden, lda: h, .transposed, x, ldb: n, .none, m: h, n: n, k: rows, alpha: 1, beta: 1)
            T.addColumnSums(out: grads + mlpBias, input: dhidden, rows: rows, cols: h)
            return FeatureGradient(upstream: UnsafePointer(dhidden), weight: params + mlpWeight, width: h, features: n)
        }
    }
}

/// dLoss/dfeatures, one readout step at a time: upstream [R, rows, width] times weight [width, N].
struct FeatureGradient<T: Scalar> {
    let upstream: UnsafePointer<T>
    let weight: UnsafePointer<T>
    let width: Int
    let features: Int

    /// dh = dLoss/d(features of readout step r) for `rows` of the shard's `total` rows.
    @inline(__always)
    func write(into dh: UnsafeMutablePointer<T>, readoutStep r: Int, rows: Range<Int>, of total: Int) {
        let n = features, b = rows.count, a = upstream + (r * total + rows.lowerBound) * width
        if width <= Readout<T>.smallLimit {
            T.smallProduct(out: dh, a: a, b: weight, initial: nil, rows: b, k: width, n: n, accumulate: false)
        } else {
            T.gemm(dh, ldc: n, a, lda: width, .none, weight, ldb: n, .none, m: b, n: n, k: width, alpha: 1, beta: 0)
        }
    }
}
