import CFloatMode
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which build of the hot kernels runs. The binary is compiled for a portable baseline
/// (x86-64-v3: AVX2 + FMA; NEON on ARM64); on x86 CPUs that report the Skylake-X AVX-512 set,
/// and an OS that saves its registers, the circular convolution runs 16-lane kernels compiled
/// for that set instead. The choice is made once, at first use, from CPUID; `WRNN_KERNELS=portable`
/// in the environment keeps the baseline (to measure what the wider path gives, or to rule it out).
public enum KernelPath: String, Sendable {
    case portable
    case avx512

    /// What this CPU can run.
    public static let available: KernelPath = wrnn_cpu_has_avx512() != 0 ? .avx512 : .portable

    /// The path the kernels take: `available`, unless the environment asks for the baseline.
    public static let chosen: KernelPath = {
        if let asked = getenv("WRNN_KERNELS").map({ String(cString: $0) }), asked == "portable" { return .portable }
        return available
    }()

    /// Tests set this to run one path and then the other in the same process.
    nonisolated(unsafe) public static var override: KernelPath?

    @inline(__always)
    public static var current: KernelPath { override ?? chosen }

    /// For `wrnn bench` and run records.
    public var description: String {
        switch self {
        case .avx512: return "AVX-512 convolution kernels, chosen at run time"
        case .portable:
            #if arch(x86_64)
            return KernelPath.available == .avx512
                ? "baseline AVX2 kernels (WRNN_KERNELS=portable)" : "baseline AVX2 kernels (no AVX-512 on this CPU)"
            #else
            return "baseline kernels"
            #endif
        }
    }
}
