import CFloatMode
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WaveKernelsBF16

/// Dense products with bf16 operands, the iRNN's and the gated cells' recurrent products under
/// `--precision bf16`:
///
///   C = op(A) op(B) + beta C,  A and B rounded to bfloat16 (nearest even), their exact products summed in fp32
///
/// They run through oneDNN's matmul (libdnnl.so.2, opened at run time), which picks its kernels from
/// CPUID: AMX tiles (`tdpbf16ps`) on Sapphire and Emerald Rapids, AVX512-BF16 (`vdpbf16ps`) on
/// Cooper Lake and Zen 4. `WRNN_BF16=emulate` runs the plain version instead (any CPU, slow).
public enum DenseBF16 {
    public enum Products: String, Sendable { case onednn, plain }

    /// Whether this CPU has AMX tiles with bf16 products and the OS saves their state.
    public static let cpuHasAMX: Bool = wrnn_cpu_has_amx_bf16() != 0

    /// Nil when oneDNN is loaded; else why not, one line.
    public static let loadError: String? = {
        var why = [CChar](repeating: 0, count: 256)
        return wrnn_dnnl_load(&why, why.count) != 0 ? nil : String(cString: why)
    }()

    /// oneDNN where the CPU multiplies bf16 (AVX512-BF16 or AMX), oneDNN loads and `WRNN_KERNELS=portable`
    /// does not ask for the baseline only; else the plain version when `WRNN_BF16=emulate` asks; else none.
    public static let chosenProducts: Products? = {
        if Precision.cpuHasBF16 || cpuHasAMX, KernelPath.chosen == .avx512, loadError == nil, implementation != nil {
            return .onednn
        }
        return getenv("WRNN_BF16").map { String(cString: $0) } == "emulate" ? .plain : nil
    }()

    /// Tests set this to run the plain version, and then oneDNN where it runs.
    nonisolated(unsafe) public static var override: Products?
    public static var products: Products? { override ?? chosenProducts }

    /// The kernels oneDNN picks on this CPU for an LSTM gate product, e.g. "brg:avx512_core_amx_bf16"
    /// (AMX) or "brg:avx512_core_bf16"; nil where oneDNN cannot build one.
    public static let implementation: String? = {
        guard loadError == nil else { return nil }
        var impl = [CChar](repeating: 0, count: 128)
        return wrnn_bf16_gemm_impl(&impl, impl.count, 64, 1024, 256) == 0 ? String(cString: impl) : nil
    }()

    /// What runs the products, for the run's start line, command.json and `wrnn bench`.
    public static var description: String? {
        switch products {
        case .onednn: return describe(implementation ?? "?")
        case .plain: return "plain versions (WRNN_BF16=emulate)"
        case nil: return nil
        }
    }

    /// "oneDNN brg:avx512_core_amx_bf16 (AMX)" for oneDNN's implementation name.
    static func describe(_ impl: String) -> String {
        let unit = impl.contains("amx") ? "AMX" : impl.contains("bf16") ? "AVX512-BF16" : "no bf16 instructions"
        return "oneDNN \(impl) (\(unit))"
    }

    /// The one line that refuses `--precision bf16` for these products where they cannot run.
    public static var refusal: String {
        if !(Precision.cpuHasBF16 || cpuHasAMX) {
            return
                "--precision bf16 needs a CPU with bf16 products (AVX512-BF16 or AMX: Cooper Lake, Sapphire Rapids, AMD Zen 4 or later), and this one has none; use --precision fp32"
        }
        if KernelPath.chosen != .avx512 {
            return "--precision bf16 needs bf16 products, which WRNN_KERNELS=portable turns off; unset it or use --precision fp32"
        }
        return
            "--precision bf16 needs oneDNN for this model's products: \(loadError ?? "it refused a bf16 matmul"); or use --precision fp32"
    }

    nonisolated(unsafe) private static var warned = false

    /// c[m, n] = op(a)[m, k] op(b)[k, n] + beta c (beta 0 or 1) on bf16 operands, fp32 sums and c.
    /// - c: [m, ldc]; a: [m, lda] or, transposed, [k, lda]; b: [k, ldb] or, transposed, [n, ldb]
    public static func gemm(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: UnsafePointer<UInt16>, lda: Int, _ transA: Transpose,
        _ b: UnsafePointer<UInt16>, ldb: Int, _ transB: Transpose, m: Int, n: Int, k: Int, beta: Float
    ) {
        guard m > 0, n > 0 else { return }
        let ta: Int32 = transA == .none ? 0 : 1, tb: Int32 = transB == .none ? 0 : 1
        if products == .onednn, k > 0 {
            if wrnn_bf16_gemm(c, ldc, a, lda, ta, b, ldb, tb, m, n, k, beta) == 0 { return }
            // oneDNN loaded and built this shape's siblings at start; should it refuse one mid-run,
            // the plain version gives the same products (slowly) rather than stopping the run
            if !warned {
                warned = true
                fputs("wrnn: warning: oneDNN refused a \(m)x\(k)x\(n) bf16 product; running the plain version\n", stderr)
            }
        }
        wrnn_bf16_gemm_plain(c, ldc, a, lda, ta, b, ldb, tb, m, n, k, beta)
    }

    /// out[r, j] = bf16(input[r, j]) for r < rows, j < cols (nearest even; NaN stays NaN).
    @inline(__always)
    public static func round(_ out: UnsafeMutablePointer<UInt16>, ldo: Int, _ input: UnsafePointer<Float>, ldi: Int, rows: Int, cols: Int) {
        wrnn_bf16_round_rows(out, ldo, input, ldi, rows, cols)
    }
}

/// A cell's recurrent products in its model's precision: fp32 through BLAS (`T.gemm`), or under
/// `--precision bf16` (Float models) bf16 operands with fp32 sums through `DenseBF16`. The weights
/// are rounded once per pass (`roundWeights`); activations as each product reads them, the long
/// weight-gradient products in slices of their depth so the rounded operands stay in cache.
public final class DenseProducts<T: Scalar> {
    public let bf16: Bool
    /// [parameters] the rounded weights, at the parameters' own offsets (bf16 only)
    let weights: UnsafeMutablePointer<UInt16>?
    /// the rounded activations of one product or one depth slice (bf16 only)
    let operands: UnsafeMutablePointer<UInt16>?
    let operandCount: Int
    public let bytes: Int

    /// Depth of one slice of a product whose operands are both activations: about 512 KiB of bf16.
    public static func sliceDepth(m: Int, n: Int) -> Int { max(16, (sliceElements / max(m + n, 1)) / 16 * 16) }

    /// `operandCount`: the largest activation operand a `timesWeight` product reads (elements as stored),
    /// and room for one slice of any `product`.
    public init(bf16: Bool, parameterCount: Int, operandCount: Int) {
        self.bf16 = bf16 && T.self == Float.self
        self.operandCount = operandCount + Self.sliceElements
        weights = self.bf16 ? .allocate(capacity: parameterCount) : nil
        operands = self.bf16 ? .allocate(capacity: self.operandCount) : nil
        bytes = self.bf16 ? 2 * (parameterCount + self.operandCount) : 0
    }

    /// One depth slice's two operands at most (`sliceDepth`).
    static var sliceElements: Int { 256 * 1024 }

    /// bf16 values a bf16 instance holds.
    public static func bf16Count(parameterCount: Int, operandCount: Int) -> Int { parameterCount + operandCount + sliceElements }

    deinit {
        weights?.deallocate()
        operands?.deallocate()
    }

    /// Rounds params[offset ..< offset + count] (a weight the products read) to bf16; fp32: nothing.
    public func roundWeights(_ params: UnsafePointer<T>, offset: Int, count: Int) {
        guard let weights else { return }
        DenseBF16.round(weights + offset, ldo: count, asFloat(params + offset), ldi: count, rows: 1, cols: count)
    }

    /// c = op(a) op(W) + beta c, W the weight at params + offset (rounded by `roundWeights` when bf16).
    @inline(__always)
    public func timesWeight(
        _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ transA: Transpose,
        params: UnsafePointer<T>, offset: Int, ldb: Int, _ transB: Transpose, m: Int, n: Int, k: Int, beta: T
    ) {
        guard let weights, let operands else {
            T.gemm(c, ldc: ldc, a, lda: lda, transA, params + offset, ldb: ldb, transB, m: m, n: n, k: k, alpha: 1, beta: beta)
            return
        }
        let (rows, cols) = transA == .none ? (m, k) : (k, m)
        precondition(rows * cols <= operandCount, "DenseProducts: an operand larger than the workspace planned")
        DenseBF16.round(operands, ldo: cols, asFloat(a), ldi: lda, rows: rows, cols: cols)
        DenseBF16.gemm(
            asFloat(c), ldc: ldc, operands, lda: cols, transA, weights + offset, ldb: ldb, transB, m: m, n: n, k: k,
            beta: beta == 0 ? 0 : 1)
    }

    /// c = op(a) op(b) + beta c with both operands activations (a weight gradient over many rows):
    /// bf16 in slices of the depth k, each slice's operands rounded just before its product.
    @inline(__always)
    public func product(
        _ c: UnsafeMutablePointer<T>, ldc: Int, _ a: UnsafePointer<T>, lda: Int, _ transA: Transpose,
        _ b: UnsafePointer<T>, ldb: Int, _ transB: Transpose, m: Int, n: Int, k: Int, beta: T
    ) {
        guard bf16, let operands else {
            T.gemm(c, ldc: ldc, a, lda: lda, transA, b, ldb: ldb, transB, m: m, n: n, k: k, alpha: 1, beta: beta)
            return
        }
        let depth = Self.sliceDepth(m: m, n: n), fa = asFloat(a), fb = asFloat(b)
        var k0 = 0, accumulate = beta != 0
        repeat {
            let kc = min(depth, k - k0)
            let sliceA = operands, sliceB = operands + m * kc
            // a slice of op(a) is kc of its columns: stored rows when transposed, else a block of each row
            if transA == .none {
                DenseBF16.round(sliceA, ldo: kc, fa + k0, ldi: lda, rows: m, cols: kc)
            } else {
                DenseBF16.round(sliceA, ldo: m, fa + k0 * lda, ldi: lda, rows: kc, cols: m)
            }
            if transB == .none {
                DenseBF16.round(sliceB, ldo: n, fb + k0 * ldb, ldi: ldb, rows: kc, cols: n)
            } else {
                DenseBF16.round(sliceB, ldo: kc, fb + k0, ldi: ldb, rows: n, cols: kc)
            }
            DenseBF16.gemm(
                asFloat(c), ldc: ldc, sliceA, lda: transA == .none ? kc : m, transA, sliceB, ldb: transB == .none ? n : kc,
                transB, m: m, n: n, k: kc, beta: accumulate ? 1 : 0)
            accumulate = true
            k0 += kc
        } while k0 < k
    }
}

/// Which bf16 products a model's `--precision bf16` runs.
public enum BF16Engine: Sendable {
    /// The wRNN's circular convolution: WaveKernelsBF16's own AVX512-BF16 kernels (`Precision`).
    case convolution
    /// Dense recurrent products (iRNN, LSTM, GRU, coRNN, LEM): oneDNN's matmul (`DenseBF16`).
    case dense

    /// Whether they run here.
    public var available: Bool { self == .convolution ? Precision.bf16Available : DenseBF16.products != nil }

    /// What runs them here ("AVX512-BF16 kernels", "oneDNN brg:avx512_core_amx_bf16 (AMX)", or the
    /// plain versions under WRNN_BF16=emulate); nil where none run.
    public var products: String? {
        switch self {
        case .convolution:
            switch Precision.products {
            case .kernels where Precision.route == .onednn:
                // the conv goes through the same oneDNN matmul as the dense products
                return DenseBF16.implementation.map { DenseBF16.describe($0) } ?? "oneDNN"
            case .kernels: return "AVX512-BF16 kernels"
            case .plain: return "plain versions (WRNN_BF16=emulate)"
            case nil: return nil
            }
        case .dense: return DenseBF16.description
        }
    }

    /// Whether they are the plain versions: for checking numbers, not for speed.
    public var emulated: Bool { self == .convolution ? Precision.products == .plain : DenseBF16.products == .plain }

    /// The one line that refuses `--precision bf16` where they cannot run.
    public var refusal: String { self == .convolution ? Precision.bf16Refusal : DenseBF16.refusal }

    /// What they need and why it is missing here, for a resumed run (which keeps its format).
    public var missing: String {
        let turnedOff = KernelPath.chosen != .avx512
        switch self {
        case .convolution:
            return "AVX512-BF16 products, and " + (Precision.cpuHasBF16 ? "WRNN_KERNELS=portable turns them off" : "this CPU has none")
        case .dense:
            if !(Precision.cpuHasBF16 || DenseBF16.cpuHasAMX) { return "bf16 products (AVX512-BF16 or AMX), and this CPU has none" }
            if turnedOff { return "bf16 products, and WRNN_KERNELS=portable turns them off" }
            return "oneDNN's bf16 matmul, and \(DenseBF16.loadError ?? "it refused one")"
        }
    }

    /// What fp32 does in their place, for "1.54x the fp32 convolution's speed".
    public var fp32Products: String { self == .convolution ? "the fp32 convolution's" : "the fp32 recurrent products'" }
}
