// The sheet kernels' lane transposes (WaveKernels/SheetConv.swift): 16 batch rows of a state to
// [count, 16] lanes and back. Swift has no SIMD shuffles, and element by element these moves cost
// a third of the sheet's convolution; here 8 x 8 blocks go through AVX2's unpack and permute
// instructions (every x86 CPU the portable build runs on has AVX2; the target attribute says so
// per function, so this file needs no flags). Elsewhere, and at the blocks' edges, plain loops.
#include "WaveKernelsBF16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2_TARGET __attribute__((target("avx2")))

/// out[j] = (in[0][j], ..., in[7][j]) for eight 8-float rows.
AVX2_TARGET static inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

AVX2_TARGET static void rows_to_lanes_avx2(float *lanes, const float *rows, long valid, long count) {
    long blocks = count / 8 * 8;
    for (long l0 = 0; l0 < 16; l0 += 8) {
        for (long u0 = 0; u0 < blocks; u0 += 8) {
            __m256 r[8];
            for (long i = 0; i < 8; i++)
                r[i] = l0 + i < valid ? _mm256_loadu_ps(rows + (l0 + i) * count + u0) : _mm256_setzero_ps();
            transpose8(r);
            for (long j = 0; j < 8; j++) _mm256_storeu_ps(lanes + (u0 + j) * 16 + l0, r[j]);
        }
    }
    for (long u = blocks; u < count; u++)
        for (long l = 0; l < 16; l++) lanes[u * 16 + l] = l < valid ? rows[l * count + u] : 0;
}

AVX2_TARGET static void lanes_to_rows_avx2(float *rows, const float *lanes, long valid, long count) {
    long blocks = count / 8 * 8;
    for (long l0 = 0; l0 < valid; l0 += 8) {
        for (long u0 = 0; u0 < blocks; u0 += 8) {
            __m256 r[8];
            for (long j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(lanes + (u0 + j) * 16 + l0);
            transpose8(r);
            for (long i = 0; i < 8 && l0 + i < valid; i++) _mm256_storeu_ps(rows + (l0 + i) * count + u0, r[i]);
        }
    }
    for (long u = blocks; u < count; u++)
        for (long l = 0; l < valid; l++) rows[l * count + u] = lanes[u * 16 + l];
}
#endif

static void rows_to_lanes_plain(float *lanes, const float *rows, long valid, long count) {
    for (long u = 0; u < count; u++)
        for (long l = 0; l < 16; l++) lanes[u * 16 + l] = l < valid ? rows[l * count + u] : 0;
}

static void lanes_to_rows_plain(float *rows, const float *lanes, long valid, long count) {
    for (long l = 0; l < valid; l++)
        for (long u = 0; u < count; u++) rows[l * count + u] = lanes[u * 16 + l];
}

void wrnn_rows_to_lanes(float *lanes, const float *rows, long valid, long count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) { rows_to_lanes_avx2(lanes, rows, valid, count); return; }
#endif
    rows_to_lanes_plain(lanes, rows, valid, count);
}

void wrnn_lanes_to_rows(float *rows, const float *lanes, long valid, long count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) { lanes_to_rows_avx2(rows, lanes, valid, count); return; }
#endif
    lanes_to_rows_plain(rows, lanes, valid, count);
}
