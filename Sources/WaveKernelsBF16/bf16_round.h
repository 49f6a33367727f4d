// The plain bf16 rounding both C files of WaveKernelsBF16 use (not part of the module's interface).
#ifndef WRNN_BF16_ROUND_H
#define WRNN_BF16_ROUND_H
#include <stdint.h>

/// x rounded to the nearest bf16, ties to even, as vcvtneps2bf16 does; a NaN stays a (quiet) NaN,
/// so divergence still reaches the loss.
static inline uint16_t bf16_bits(float x) {
    union { float f; uint32_t u; } v = { x };
    if ((v.u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((v.u >> 16) | 0x0040u);
    return (uint16_t)((v.u + 0x7FFFu + ((v.u >> 16) & 1u)) >> 16);
}

/// The Float whose upper half is the low 16 bits of `bits`.
static inline float bf16_value(uint32_t bits) {
    union { uint32_t u; float f; } v = { (bits & 0xFFFFu) << 16 };
    return v.f;
}
#endif
