// What the CPU and the operating system let a thread use, for choosing a kernel path at run time:
// one portable binary (x86-64-v3) carries an AVX-512 path that runs only where this says so.
#ifndef WRNN_CPU_FEATURES_H
#define WRNN_CPU_FEATURES_H

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdint.h>

/// 1 when the CPU has the Skylake-X AVX-512 set (F, CD, BW, DQ, VL) that the AVX-512 kernels are
/// compiled for, and the OS saves the opmask and zmm registers (XCR0 bits 1, 2, 5, 6, 7).
static inline int wrnn_cpu_has_avx512(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 27))) return 0;                 // OSXSAVE: xgetbv is allowed
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ __volatile__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0xE6u) != 0xE6u) return 0;          // SSE, AVX, opmask, zmm0-15 high, zmm16-31
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned int need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31); // F DQ CD BW VL
    return (ebx & need) == need;
}

/// 1 when, on top of that set, the CPU has AVX512-BF16 (CPUID leaf 7 sub-leaf 1, EAX bit 5):
/// vdpbf16ps, bf16 pairs multiplied and summed into fp32 (Cooper Lake, Sapphire Rapids, Zen 4 on).
static inline int wrnn_cpu_has_avx512_bf16(void) {
    if (!wrnn_cpu_has_avx512()) return 0;
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || eax < 1) return 0; // highest sub-leaf
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
    return (eax >> 5) & 1u;
}

/// 1 when the CPU has AMX tiles with bf16 products (CPUID leaf 7, EDX bits 22 and 24: tdpbf16ps,
/// Sapphire Rapids on) and the OS saves the tile state (XCR0 bits 17 and 18). A process must still
/// ask for the tile state (arch_prctl ARCH_REQ_XCOMP_PERM) before its first tile instruction;
/// oneDNN does so itself.
static inline int wrnn_cpu_has_amx_bf16(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ __volatile__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & (3u << 17)) != (3u << 17)) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (edx & ((1u << 22) | (1u << 24))) == ((1u << 22) | (1u << 24));
}
#else
static inline int wrnn_cpu_has_avx512(void) { return 0; }
static inline int wrnn_cpu_has_avx512_bf16(void) { return 0; }
static inline int wrnn_cpu_has_amx_bf16(void) { return 0; }
#endif
#endif
