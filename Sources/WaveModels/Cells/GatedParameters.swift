import WaveKernels
import WaveCore

/// PyTorch's names for the gated cells' tensors in the paper's tables.
func gatedSymbol(_ spec: ParameterSpec) -> String {
    [ParameterRole.recurrentWeight: "W_hh", .recurrentBias: "b_hh", .encoderWeight: "W_ih", .encoderBias: "b_ih"][spec.role] ?? spec.name
}

/// PyTorch's nn.LSTM and nn.GRU parameters, in its state_dict order, every one uniform(±1/sqrt(N)).
func gatedParameters(gates: Int, units n: Int, inputSize d: Int) -> [ParameterSpec] {
    [
        ParameterSpec("rnn.weight_ih_l0", [gates * n, d], .encoderWeight),
        ParameterSpec("rnn.weight_hh_l0", [gates * n, n], .recurrentWeight),
        ParameterSpec("rnn.bias_ih_l0", [gates * n], .encoderBias),
        ParameterSpec("rnn.bias_hh_l0", [gates * n], .recurrentBias)
    ]
}

/// What the LSTM and GRU share: PyTorch's stacked-gate layout (W_ih [G N, d], W_hh [G N, N], b_ih,
/// b_hh, in its state_dict order), its init (every tensor uniform(±1/sqrt(N))) and their FLOPs.
public protocol GatedCell: RecurrentCell {
    /// G: gate blocks stacked in each weight (LSTM 4, GRU 3).
    static var gateCount: Int { get }
    var config: ModelConfig { get }
}

extension GatedCell {
    public var units: Int { config.units }
    /// G N: one row block per gate.
    var width: Int { Self.gateCount * units }
    var wIH: Int { 0 }
    var wHH: Int { width * config.inputSize }
    var bIH: Int { wHH + width * units }
    var bHH: Int { bIH + width }
    public var summary: String { "N=\(units), PyTorch init" }
    public func symbol(_ spec: ParameterSpec) -> String { gatedSymbol(spec) }
    public var flopsPerStep: Double { Double(2 * width * (config.inputSize + units)) }
    public var inputFlopsPerStep: Double { Double(2 * width * config.inputSize) }
    public var parameters: [ParameterSpec] { gatedParameters(gates: Self.gateCount, units: units, inputSize: config.inputSize) }
    public func initialValues(_ rng: inout RandomStream) -> [Double] {
        uniformValues(parameterCount, bound: 1 / Double(units).squareRoot(), &rng)
    }

    /// Inputs wider than `InputProjection.smallLimit` values take the products' precision; pixels
    /// and tokens stay fp32, where the product is too small to gain.
    var wideInput: Bool { config.inputSize > InputProjection<T>.smallLimit }

    /// out = x W_ih^T: [rows, G N].
    @inline(__always)
    func inputProduct(
        _ out: UnsafeMutablePointer<T>, x: UnsafePointer<T>, params: UnsafePointer<T>, rows b: Int, products: DenseProducts<T>
    ) {
        let d = config.inputSize, w = width
        if wideInput {
            products.timesWeight(out, ldc: w, x, lda: d, .none, params: params, offset: wIH, ldb: d, .transposed, m: b, n: w, k: d, beta: 0)
        } else {
            T.gemm(out, ldc: w, x, lda: d, .none, params + wIH, ldb: d, .transposed, m: b, n: w, k: d, alpha: 1, beta: 0)
        }
    }

    /// dW_ih += dA^T x.
    @inline(__always)
    func inputWeightGradient(
        _ grads: UnsafeMutablePointer<T>, dA: UnsafePointer<T>, x: UnsafePointer<T>, rows b: Int, products: DenseProducts<T>
    ) {
        let d = config.inputSize, w = width
        if wideInput {
            products.product(grads + wIH, ldc: d, dA, lda: w, .transposed, x, ldb: d, .none, m: w, n: d, k: b, beta: 1)
        } else {
            T.gemm(grads + wIH, ldc: d, dA, lda: w, .transposed, x, ldb: d, .none, m: w, n: d, k: b, alpha: 1, beta: 1)
        }
    }
}
