import Foundation
import WaveKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
