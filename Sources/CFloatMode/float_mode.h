// The floating-point control bits that make subnormal numbers zero: flush-to-zero (results) and
// denormals-are-zero (inputs). x86: MXCSR bits 15 (FTZ) and 6 (DAZ); ARM64: FPCR.FZ (bit 24).
// They are per thread, so every thread that computes sets them.
#ifndef WRNN_FLOAT_MODE_H
#define WRNN_FLOAT_MODE_H
#include <stdint.h>

static inline void wrnn_set_flush_subnormals(int on) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int csr = __builtin_ia32_stmxcsr();
    csr = on ? (csr | 0x8040u) : (csr & ~0x8040u);
    __builtin_ia32_ldmxcsr(csr);
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = on ? (fpcr | (1ull << 24)) : (fpcr & ~(1ull << 24));
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
#else
    (void)on;
#endif
}

static inline int wrnn_flushes_subnormals(void) {
#if defined(__x86_64__) || defined(__i386__)
    return (__builtin_ia32_stmxcsr() & 0x8040u) == 0x8040u;
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    return (fpcr >> 24) & 1;
#else
    return 0;
#endif
}
#endif
