#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The element type of every buffer: Float for training, Double for the gradient checks.
///
/// Every loop over elements is a requirement here, so callers that are generic over the
/// scalar (the models) still run code specialised for Float or Double, and Double's
/// checks exercise the same kernels that Float's training runs.
public protocol Scalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable
where Self.SIMD8Storage: Sendable {
    /// Row-major C[m, n] = alpha * op(A) * op(B) + beta * C through BLAS.
    static func gemm(
        _ c: UnsafeMutablePointer<Self>, ldc: Int,
        _ a: UnsafePointer<Self>, lda: Int, _ transA: Transpose,
        _ b: UnsafePointer<Self>, ldb: Int, _ transB: Transpose,
        m: Int, n: Int, k: Int, alpha: Self, beta: Self)
    static func elementaryExp(_ x: Self) -> Self
    static func elementaryLog(_ x: Self) -> Self
    static func elementaryTanh(_ x: Self) -> Self
    /// sigmoid and tanh for the gated cells: Float without a library call (a polynomial exp accurate
    /// to ~2 ulp, from `negativeExp8`), Double through the C library.
    static func gateSigmoid(_ x: Self) -> Self
    static func gateTanh(_ x: Self) -> Self
    /// The same on 8 lanes (Float: arithmetic and bit operations only, so it stays in vector registers).
    static func gateSigmoid8(_ x: SIMD8<Self>) -> SIMD8<Self>
    static func gateTanh8(_ x: SIMD8<Self>) -> SIMD8<Self>
    /// max(v, 0) lane-wise on the bit patterns (one integer max; SIMD comparison masks
    /// compile to lane-by-lane code). Negative values, -0 and sign-set NaNs give +0.
    static func relu(_ v: SIMD8<Self>) -> SIMD8<Self>
    /// h > 0 ? g : 0 lane-wise on the bit patterns.
    static func reluGate(_ g: SIMD8<Self>, _ h: SIMD8<Self>) -> SIMD8<Self>

    /// The coRNN's and LEM's elementwise steps (OscillatorKernels.swift).
    static func cornnForward(
        yNext: UnsafeMutablePointer<Self>, zNext: UnsafeMutablePointer<Self>, activation pre: UnsafeMutablePointer<Self>,
        yPrev: UnsafePointer<Self>, zPrev: UnsafePointer<Self>, bias: UnsafePointer<Self>,
        rows: Int, n: Int, dt: Self, gamma: Self, epsilon: Self)
    static func cornnBackward(
        dpre: UnsafeMutablePointer<Self>, dy: UnsafeMutablePointer<Self>, dz: UnsafeMutablePointer<Self>,
        rows: Int, n: Int, dt: Self, gamma: Self, epsilon: Self)
    static func lemGatesForward(
        zNext: UnsafeMutablePointer<Self>, gates: UnsafeMutablePointer<Self>, hidden: UnsafePointer<Self>,
        zPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self)
    static func lemOutputForward(
        yNext: UnsafeMutablePointer<Self>, gates: UnsafeMutablePointer<Self>, transformed: UnsafePointer<Self>,
        bias: UnsafePointer<Self>, yPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self)
    static func lemOutputBackward(
        gates: UnsafeMutablePointer<Self>, dy: UnsafeMutablePointer<Self>, yPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self)
    static func lemGatesBackward(
        gates: UnsafeMutablePointer<Self>, dz: UnsafeMutablePointer<Self>, zPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self)

    /// out[b, o, i] = epilogue(sum_{ch, k} weight[o, ch, k] * input[b, ch, (i + k - f/2) mod n])
    static func circularConvForward(
        out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, ringSize: Int, kernel: Int, epilogue: ConvEpilogue<Self>)
    /// dweight[o, ch, k] += sum_{b, i} dout[b, o, i] * input[b, ch, (i + k - f/2) mod n]
    static func circularConvWeightGrad(
        dweight: UnsafeMutablePointer<Self>, dout: UnsafePointer<Self>, input: UnsafePointer<Self>,
        scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, ringSize: Int, kernel: Int)
    /// out[b, o, y, x] = epilogue(sum_{i, dy, dx} weight[o, i, dy, dx] * input[b, i, (y + dy - f/2) mod h, (x + dx - f/2) mod w])
    /// (SheetConv.swift; scratch: `sheetConvScratchCount`)
    static func sheetConvForward(
        out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, height: Int, width: Int, kernel: Int, epilogue: ConvEpilogue<Self>)
    /// One step back: dweight[o, i, dy, dx] += sum_{b, y, x} dout[b, o, y, x] * input[b, i, (y + dy - f/2) mod h, (x + dx - f/2) mod w]
    /// when dweight is given; dinput = epilogue(sheetConvForward of dout with weightT, the flipped
    /// transposed kernel [cIn, cOut, f, f]) when dinput is given.
    static func sheetConvBackward(
        dinput: UnsafeMutablePointer<Self>?, dweight: UnsafeMutablePointer<Self>?, dout: UnsafePointer<Self>,
        input: UnsafePointer<Self>, weightT: UnsafePointer<Self>?, scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, height: Int, width: Int, kernel: Int, epilogue: ConvEpilogue<Self>)
    /// out[r, :] = (accumulate ? out[r, :] : init) + sum_k a[r, k] * b[k, :], skipping a[r, k] == 0,
    /// where init is `initial` ([n]) or zero. a: [rows, k], b: [k, n]. For small k, where BLAS's
    /// packing costs more than the product.
    static func smallProduct(
        out: UnsafeMutablePointer<Self>, a: UnsafePointer<Self>, b: UnsafePointer<Self>, initial: UnsafePointer<Self>?,
        rows: Int, k: Int, n: Int, accumulate: Bool)
    /// out[k, :] += sum_r a[r, k] * d[r, :], skipping a[r, k] == 0. a: [rows, k], d: [rows, n], out: [k, n].
    static func smallTransposedProduct(
        out: UnsafeMutablePointer<Self>, a: UnsafePointer<Self>, d: UnsafePointer<Self>, rows: Int, k: Int, n: Int)
    /// out[r, o] = sum_i a[r, i] * b[o, i] for a narrow output (o < width <= 16): each row of a is
    /// read once against all of b. a: [rows, n], b: [width, n], out: [rows, width].
    static func narrowProduct(
        out: UnsafeMutablePointer<Self>, a: UnsafePointer<Self>, b: UnsafePointer<Self>, rows: Int, width: Int, n: Int)
    /// LSTM cell, PyTorch gate order (i, f, g, o). a: [rows, 4n] pre-activations (both biases
    /// included) becomes the activated gates in place; c = f c_prev + i g, h = o tanh(c).
    static func lstmForward(
        h: UnsafeMutablePointer<Self>, c: UnsafeMutablePointer<Self>, gates a: UnsafeMutablePointer<Self>,
        cPrev: UnsafePointer<Self>, rows: Int, n: Int)
    /// LSTM step backward: from dh (dLoss/dh_t) and dc (dLoss/dc_t from later steps, overwritten
    /// with dLoss/dc_{t-1}) writes dA [rows, 4n], the gradient of the gate pre-activations.
    static func lstmBackward(
        dA: UnsafeMutablePointer<Self>, dc: UnsafeMutablePointer<Self>, dh: UnsafePointer<Self>,
        gates: UnsafePointer<Self>, c: UnsafePointer<Self>, cPrev: UnsafePointer<Self>, rows: Int, n: Int)
    /// GRU cell, PyTorch gate order (r, z, n). ax = x W_ih^T + b_ih and ah = h W_hh^T + b_hh, both
    /// [rows, 3n]; gates [rows, 3n] receives (r, z, n), hn [rows, n] keeps ah's n part;
    /// h = (1 - z) n + z h_prev with n = tanh(ax_n + r hn).
    static func gruForward(
        h: UnsafeMutablePointer<Self>, gates: UnsafeMutablePointer<Self>, hn: UnsafeMutablePointer<Self>,
        ax: UnsafePointer<Self>, ah: UnsafePointer<Self>, hPrev: UnsafePointer<Self>, rows: Int, n: Int)
    /// GRU step backward: writes dAx, dAh [rows, 3n] (gradients of ax and ah) and dhDirect
    /// [rows, n] = dh z, the part of dLoss/dh_prev that does not pass through W_hh.
    static func gruBackward(
        dAx: UnsafeMutablePointer<Self>, dAh: UnsafeMutablePointer<Self>, dhDirect: UnsafeMutablePointer<Self>,
        dh: UnsafePointer<Self>, gates: UnsafePointer<Self>, hn: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
        rows: Int, n: Int)
    /// Locally connected ring (spec 2.4), untied weights u [cOut, cIn, n, f]:
    /// out[b, o, i] += sum_{ch, k} u[o, ch, i, k] * input[b, ch, (i + k - f/2) mod n]
    static func locallyConnectedForward(
        out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, ringSize: Int, kernel: Int)
    /// dinput[b, ch, j] = sum_{o, k} u[o, ch, i, k] dout[b, o, i] with i = (j - k + f/2) mod n
    static func locallyConnectedInputGrad(
        dinput: UnsafeMutablePointer<Self>, dout: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, ringSize: Int, kernel: Int)
    /// dweight[o, ch, i, k] += sum_b dout[b, o, i] input[b, ch, (i + k - f/2) mod n]
    static func locallyConnectedWeightGrad(
        dweight: UnsafeMutablePointer<Self>, dout: UnsafePointer<Self>, input: UnsafePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, ringSize: Int, kernel: Int)
    /// out[r, j] = act(pre[r, j] + bias[j])
    static func biasActivation(
        out: UnsafeMutablePointer<Self>, pre: UnsafePointer<Self>, bias: UnsafePointer<Self>,
        rows: Int, cols: Int, activation: Activation)
    /// dpre = dh * act'(.) written through the activation's output h
    static func activationBackward(
        dpre: UnsafeMutablePointer<Self>, dh: UnsafePointer<Self>, h: UnsafePointer<Self>,
        count: Int, activation: Activation)
    /// out[j] += sum_r input[r, j]
    static func addColumnSums(out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, rows: Int, cols: Int)
    /// out[r, j] += bias[j]
    static func addBias(out: UnsafeMutablePointer<Self>, bias: UnsafePointer<Self>, rows: Int, cols: Int)
    /// out += a
    static func add(out: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, count: Int)
    /// x *= factor
    static func scale(_ x: UnsafeMutablePointer<Self>, by factor: Self, count: Int)
    /// sum of x^2 in Double
    static func sumOfSquares(_ x: UnsafePointer<Self>, count: Int) -> Double
    /// Softmax cross-entropy per row; returns the summed loss and writes
    /// dlogits = (softmax - onehot) * gradScale. targets < 0 are ignored rows.
    static func softmaxCrossEntropy(
        dlogits: UnsafeMutablePointer<Self>, logits: UnsafePointer<Self>, targets: UnsafePointer<Int32>,
        rows: Int, classes: Int, gradScale: Self
    ) -> Double
    /// Returns sum (pred - target)^2 and writes dpred = 2 (pred - target) * gradScale.
    static func squaredError(
        dpred: UnsafeMutablePointer<Self>, pred: UnsafePointer<Self>, target: UnsafePointer<Self>,
        count: Int, gradScale: Self
    ) -> Double
    /// One Adam update in PyTorch's formulation (bias-corrected, eps outside the root).
    static func adamUpdate(
        params: UnsafeMutablePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
        grads: UnsafePointer<Self>, count: Int,
        learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, step: Int)
}

extension Float: Scalar {
    @inline(__always)
    public static func gemm(
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        _ a: UnsafePointer<Float>, lda: Int, _ transA: Transpose,
        _ b: UnsafePointer<Float>, ldb: Int, _ transB: Transpose,
        m: Int, n: Int, k: Int, alpha: Float, beta: Float
    ) {
        sgemm(c, ldc: ldc, a, lda: lda, transA, b, ldb: ldb, transB, m: m, n: n, k: k, alpha: alpha, beta: beta)
    }
    @inline(__always) public static func elementaryExp(_ x: Float) -> Float { expf(x) }
    @inline(__always) public static func elementaryLog(_ x: Float) -> Float { logf(x) }
    @inline(__always) public static func elementaryTanh(_ x: Float) -> Float { tanhf(x) }
    // the loops' tails: one lane of the vector versions, so there is one polynomial
    @inline(__always) public static func gateSigmoid(_ x: Float) -> Float { gateSigmoid8(SIMD8(repeating: x))[0] }
    @inline(__always) public static func gateTanh(_ x: Float) -> Float { gateTanh8(SIMD8(repeating: x))[0] }
    @inline(__always) public static func gateSigmoid8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // s = 1 / (1 + e^-|x|) is sigmoid(|x|); for negative x, sigmoid(x) = 1 - s
        let s = 1 / (1 + negativeExp8(x))
        let negative = unsafeBitCast((unsafeBitCast(x, to: SIMD8<Int32>.self) &>> 31) & 0x3F80_0000, to: SIMD8<Float>.self)
        return s + negative * (1 - 2 * s)
    }
    @inline(__always) public static func gateTanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // tanh(|x|) = (1 - e^-2|x|) / (1 + e^-2|x|), then x's sign bit
        let e = negativeExp8(2 * x)
        let t = (1 - e) / (1 + e)
        let sign = unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x8000_0000
        return unsafeBitCast(unsafeBitCast(t, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
    }
    @inline(__always) public static func relu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(v, to: SIMD8<Int32>.self)
        return unsafeBitCast(bits & ~(bits &>> 31), to: SIMD8<Float>.self)
    }
    @inline(__always) public static func reluGate(_ g: SIMD8<Float>, _ h: SIMD8<Float>) -> SIMD8<Float> {
        let hb = unsafeBitCast(h, to: SIMD8<Int32>.self)
        let notPositive = (hb | (hb &- 1)) &>> 31 // all ones when the float h <= 0 (or -0)
        return unsafeBitCast(unsafeBitCast(g, to: SIMD8<Int32>.self) & ~notPositive, to: SIMD8<Float>.self)
    }
}

extension Double: Scalar {
    @inline(__always)
    public static func gemm(
        _ c: UnsafeMutablePointer<Double>, ldc: Int,
        _ a: UnsafePointer<Double>, lda: Int, _ transA: Transpose,
        _ b: UnsafePointer<Double>, ldb: Int, _ transB: Transpose,
        m: Int, n: Int, k: Int, alpha: Double, beta: Double
    ) {
        dgemm(c, ldc: ldc, a, lda: lda, transA, b, ldb: ldb, transB, m: m, n: n, k: k, alpha: alpha, beta: beta)
    }
    @inline(__always) public static func elementaryExp(_ x: Double) -> Double { exp(x) }
    @inline(__always) public static func elementaryLog(_ x: Double) -> Double { log(x) }
    @inline(__always) public static func elementaryTanh(_ x: Double) -> Double { tanh(x) }
    @inline(__always) public static func gateSigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    @inline(__always) public static func gateTanh(_ x: Double) -> Double { tanh(x) }
    @inline(__always) public static func gateSigmoid8(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var out = x
        for lane in 0..<8 { out[lane] = 1 / (1 + exp(-x[lane])) }
        return out
    }
    @inline(__always) public static func gateTanh8(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var out = x
        for lane in 0..<8 { out[lane] = tanh(x[lane]) }
        return out
    }
    @inline(__always) public static func relu(_ v: SIMD8<Double>) -> SIMD8<Double> {
        let bits = unsafeBitCast(v, to: SIMD8<Int64>.self)
        return unsafeBitCast(bits & ~(bits &>> 63), to: SIMD8<Double>.self)
    }
    @inline(__always) public static func reluGate(_ g: SIMD8<Double>, _ h: SIMD8<Double>) -> SIMD8<Double> {
        let hb = unsafeBitCast(h, to: SIMD8<Int64>.self)
        let notPositive = (hb | (hb &- 1)) &>> 63
        return unsafeBitCast(unsafeBitCast(g, to: SIMD8<Int64>.self) & ~notPositive, to: SIMD8<Double>.self)
    }
}

@inline(__always)
func loadVector<T: Scalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
}

@inline(__always)
func storeVector<T: Scalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
}

/// e^-|x| on 8 lanes without a library call: -|x| = n ln 2 + r with |r| <= ln 2 / 2, e^r by a
/// degree-6 Taylor polynomial, 2^n written into the exponent bits. |x| is capped at 87
/// (e^-87 ~ 1.6e-38) on the bit patterns, which for non-negative floats order like integers.
@inline(__always)
public func negativeExp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let magnitude = unsafeBitCast(x, to: SIMD8<Int32>.self) & 0x7FFF_FFFF
    let over = magnitude &- 0x42AE_0000 // bits of 87.0
    let capped = magnitude &- (over & ~(over &>> 31)) // min(magnitude, 87)
    let v = -unsafeBitCast(capped, to: SIMD8<Float>.self)
    // adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits (0x4B40_0000 is 1.5 * 2^23)
    let shifted = v * 1.442_695_04 + 12_582_912
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let n = shifted - 12_582_912
    let r = (v - n * 0.693_145_75) - n * 1.428_606_8e-6
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = (integer &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
}
