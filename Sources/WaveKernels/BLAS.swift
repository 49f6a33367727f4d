import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Whether a matrix operand of `gemm` is read transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Row-major C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C, through cblas.
@inline(__always)
public func sgemm(
    _ c: UnsafeMutablePointer<Float>, ldc: Int,
    _ a: UnsafePointer<Float>, lda: Int, _ transA: Transpose,
    _ b: UnsafePointer<Float>, ldb: Int, _ transB: Transpose,
    m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
) {
    guard m > 0, n > 0 else { return }
    if k == 0 { scaleInPlace(c, ldc: ldc, m: m, n: n, beta: beta); return }
    cblas_sgemm(
        CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Double-precision twin of `sgemm`, used by the gradient checks.
@inline(__always)
public func dgemm(
    _ c: UnsafeMutablePointer<Double>, ldc: Int,
    _ a: UnsafePointer<Double>, lda: Int, _ transA: Transpose,
    _ b: UnsafePointer<Double>, ldb: Int, _ transB: Transpose,
    m: Int, n: Int, k: Int, alpha: Double = 1, beta: Double = 0
) {
    guard m > 0, n > 0 else { return }
    if k == 0 { scaleInPlace(c, ldc: ldc, m: m, n: n, beta: beta); return }
    cblas_dgemm(
        CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

private func scaleInPlace<T: BinaryFloatingPoint>(_ c: UnsafeMutablePointer<T>, ldc: Int, m: Int, n: Int, beta: T) {
    for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta } }
}

/// Plain triple loop with the same contract as `sgemm`; the tests hold BLAS to it.
public func referenceGemm<T: BinaryFloatingPoint>(
    _ c: UnsafeMutablePointer<T>, ldc: Int,
    _ a: UnsafePointer<T>, lda: Int, _ transA: Transpose,
    _ b: UnsafePointer<T>, ldb: Int, _ transB: Transpose,
    m: Int, n: Int, k: Int, alpha: T = 1, beta: T = 0
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum: T = 0
            for p in 0..<k {
                let av = transA == .none ? a[i * lda + p] : a[p * lda + i]
                let bv = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                sum += av * bv
            }
            c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
        }
    }
}

/// OpenBLAS threading: the trainer runs its own batch shards on every core, so each
/// shard's BLAS calls must stay single-threaded.
public enum BLASThreads {
    public static func set(_ count: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(count))
        #endif
    }
    public static var coreName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #endif
    }
    /// Whether OpenBLAS runs its AVX-512 kernels (the cores it names for them).
    public static var usesAVX512Kernels: Bool {
        ["skylakex", "cooperlake", "sapphirerapids"].contains(coreName.lowercased())
    }
}
