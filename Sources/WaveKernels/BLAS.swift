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

/// OpenBLAS picks its kernels when it loads, and Debian's 0.3.21 does not know newer CPUs: it
/// falls back to its slowest ("Prescott") kernels on some Intel parts and to its AVX2 ("Haswell")
/// kernels on AMD Zen 5, which has AVX-512. When the kernels it picked are narrower than what the
/// CPU has, the process restarts itself once with OPENBLAS_CORETYPE set from the CPU's features
/// (measured on a Zen 5: sgemm 239 GFLOP/s with Haswell's kernels, 449 with SkylakeX's). A
/// user's own OPENBLAS_CORETYPE is left alone. Our shards run one per core, so BLAS itself stays
/// single-threaded.
public enum BLASSetup {
    /// The OPENBLAS_CORETYPE to restart with, or nil to keep what OpenBLAS loaded: SkylakeX when the
    /// CPU has AVX-512 and the loaded kernels do not use it; Haswell when OpenBLAS fell back to
    /// Prescott on a CPU with AVX2.
    public static func wantedCoreType(cpuHasAVX512: Bool, loadedAVX512Kernels: Bool, loadedCore: String, cpuHasAVX2: Bool) -> String? {
        if cpuHasAVX512 { return loadedAVX512Kernels ? nil : "SkylakeX" }
        if loadedCore.lowercased() == "prescott", cpuHasAVX2 { return "Haswell" }
        return nil
    }

    /// Restarts the process once with better kernels when `wantedCoreType` says so (only returns
    /// when it does not, or when the restart fails), then keeps BLAS single-threaded.
    public static func prepare() {
        #if os(Linux)
        if getenv("OPENBLAS_CORETYPE") == nil, getenv("WRNN_BLAS_REEXEC") == nil {
            let avx512 = KernelPath.available == .avx512
            let wanted = wantedCoreType(
                cpuHasAVX512: avx512, loadedAVX512Kernels: BLASThreads.usesAVX512Kernels, loadedCore: BLASThreads.coreName,
                cpuHasAVX2: !avx512 && ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx2") ?? false))
            if let wanted {
                setenv("OPENBLAS_CORETYPE", wanted, 1)
                setenv("WRNN_BLAS_REEXEC", "1", 1)
                execv("/proc/self/exe", CommandLine.unsafeArgv) // only returns on failure: carry on with the kernels picked
            }
        }
        #endif
        BLASThreads.set(1)
    }
}

extension BLASSetup {
    /// When the environment pins OpenBLAS to kernels narrower than this CPU runs, say so: wrnn
    /// keeps a user's OPENBLAS_CORETYPE, but the sgemm peak and every BLAS-bound row depend on it.
    public static var environmentNote: String? {
        guard let pinned = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !pinned.isEmpty,
            ProcessInfo.processInfo.environment["WRNN_BLAS_REEXEC"] == nil
        else { return nil }
        if KernelPath.available == .avx512 && !BLASThreads.usesAVX512Kernels {
            return "OPENBLAS_CORETYPE=\(pinned) is set in the environment; this CPU has AVX-512: unset it for OpenBLAS's AVX-512 kernels"
        }
        return "OPENBLAS_CORETYPE=\(pinned) from the environment"
    }
}
