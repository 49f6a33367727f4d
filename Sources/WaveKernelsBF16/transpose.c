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

/// One row's 8 finished values: (v + addend + bias), relu'd (mode 1) or gated by h > 0 (mode 2).
AVX2_TARGET static inline __m256 finish8(__m256 v, const float *addend, const float *bias, const float *h, int mode) {
    if (addend) v = _mm256_add_ps(v, _mm256_loadu_ps(addend));
    if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
    if (mode == 1) v = _mm256_max_ps(_mm256_setzero_ps(), v); // a NaN stays NaN (maxps returns its second operand)
    if (mode == 2) v = _mm256_and_ps(v, _mm256_cmp_ps(_mm256_loadu_ps(h), _mm256_setzero_ps(), _CMP_GT_OQ));
    return v;
}

AVX2_TARGET static void lanes_to_rows_fused_avx2(
    float *out, const float *lanes, long valid, long count, const float *addend, const float *bias, const float *h,
    float *column_sums, int mode) {
    long blocks = count / 8 * 8;
    // eight rows at a time, each written front to back (rows are count apart: walking the units
    // inside keeps every stream sequential)
    for (long l0 = 0; l0 < valid; l0 += 8) {
        for (long u0 = 0; u0 < blocks; u0 += 8) {
            __m256 r[8];
            for (long j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(lanes + (u0 + j) * 16 + l0);
            transpose8(r);
            __m256 sums = _mm256_setzero_ps();
            for (long i = 0; i < 8 && l0 + i < valid; i++) {
                long at = (l0 + i) * count + u0;
                __m256 v = finish8(r[i], addend ? addend + at : 0, bias ? bias + u0 : 0, h ? h + at : 0, mode);
                _mm256_storeu_ps(out + at, v);
                sums = _mm256_add_ps(sums, v);
            }
            if (column_sums) _mm256_storeu_ps(column_sums + u0, _mm256_add_ps(_mm256_loadu_ps(column_sums + u0), sums));
        }
    }
    for (long l = 0; l < valid; l++) {
        for (long u = blocks; u < count; u++) {
            long at = l * count + u;
            float v = lanes[u * 16 + l] + (addend ? addend[at] : 0) + (bias ? bias[u] : 0);
            if (mode == 1) v = v > 0 ? v : 0;
            if (mode == 2) v = h[at] > 0 ? v : 0;
            out[at] = v;
            if (column_sums) column_sums[u] += v;
        }
    }
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

static void lanes_to_rows_fused_plain(
    float *out, const float *lanes, long valid, long count, const float *addend, const float *bias, const float *h,
    float *column_sums, int mode) {
    for (long l = 0; l < valid; l++) {
        for (long u = 0; u < count; u++) {
            long at = l * count + u;
            float v = lanes[u * 16 + l] + (addend ? addend[at] : 0) + (bias ? bias[u] : 0);
            if (mode == 1) v = v > 0 ? v : 0;
            if (mode == 2) v = h[at] > 0 ? v : 0;
            out[at] = v;
            if (column_sums) column_sums[u] += v;
        }
    }
}

void wrnn_lanes_to_rows_fused(
    float *out, const float *lanes, long valid, long count, const float *addend, const float *bias, const float *h,
    float *column_sums, int mode) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        lanes_to_rows_fused_avx2(out, lanes, valid, count, addend, bias, h, column_sums, mode);
        return;
    }
#endif
    lanes_to_rows_fused_plain(out, lanes, valid, count, addend, bias, h, column_sums, mode);
}
