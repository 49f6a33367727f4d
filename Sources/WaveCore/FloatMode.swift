import CFloatMode

/// Subnormal floats (|x| < 2^-126 for Float) take a slow microcode path on many x86 cores: the
/// gated cells ran 9x slower on an Intel Xeon from them. By default every thread that computes
/// (the main thread and each shard thread) flushes them to zero (x86 MXCSR FTZ + DAZ, ARM64
/// FPCR.FZ), as PyTorch's `torch.set_flush_denormal(True)` does; `--keep-denormals` keeps them.
public enum FloatMode {
    /// What threads started from now on use; `apply()` sets it on the calling thread.
    nonisolated(unsafe) public static var flushSubnormals = true

    /// Sets the calling thread's mode to `flushSubnormals`.
    public static func apply() { set(flushSubnormals) }

    /// Sets the calling thread's mode.
    public static func set(_ flush: Bool) { wrnn_set_flush_subnormals(flush ? 1 : 0) }

    /// Whether the calling thread flushes subnormals now.
    public static var currentThreadFlushes: Bool { wrnn_flushes_subnormals() != 0 }
}
