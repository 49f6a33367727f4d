/// The instruction set the kernels were compiled for (Package.swift's target CPU).
public enum BuildTarget {
    public static var description: String {
        #if WRNN_NATIVE_BUILD
        return "built for this CPU (-target-cpu native; not portable)"
        #elseif arch(x86_64)
        return "portable x86-64-v3 build (Haswell: AVX2 + FMA)"
        #elseif arch(arm64)
        return "portable ARM64 build (NEON)"
        #else
        return "portable build"
        #endif
    }
}
