// The bf16 kernels of WaveKernelsBF16.h. Each function carries the AVX512-BF16 target itself, so
// this file needs no compiler flags and the binary stays portable; the plain versions the tests
// hold these to are WaveKernels' reference convolutions on bf16-rounded operands.
#include "WaveKernelsBF16.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#define INLINE static inline __attribute__((always_inline))

// Word 2i of a pair vector takes word i of the converted rows, word 2i + 1 word 16 + i.
BF16_TARGET INLINE __m512i pair_index(void) {
    return _mm512_set_epi16(
        31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
        23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
}

/// 16 lanes of pairs (low[i], high[i]), both rounded to bf16.
BF16_TARGET INLINE __m512i make_pairs(__m512 low, __m512 high, __m512i index) {
    __m512i both = (__m512i)_mm512_cvtne2ps_pbh(high, low); // words 0-15: low, 16-31: high
    return _mm512_permutexvar_epi16(index, both);
}

BF16_TARGET INLINE __mmask16 lanes_below(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

static inline uint16_t bf16_bits(float x) {
    // round to nearest even, as vcvtneps2bf16 (inputs here are finite)
    union { float f; uint32_t u; } v = { x };
    return (uint16_t)((v.u + 0x7FFFu + ((v.u >> 16) & 1u)) >> 16);
}

BF16_TARGET
void wrnn_bf16_pack_weight_pairs(uint32_t *pairs, const float *weight, long rows, long depth) {
    long depthPairs = (depth + 1) / 2;
    for (long o = 0; o < rows; o++) {
        const float *w = weight + o * depth;
        for (long p = 0; p < depthPairs; p++) {
            uint32_t low = bf16_bits(w[2 * p]);
            uint32_t high = 2 * p + 1 < depth ? bf16_bits(w[2 * p + 1]) : 0;
            pairs[o * depthPairs + p] = low | (high << 16);
        }
    }
}

/// ring[(start + l) mod n] for l < 16: one load inside the ring; across one of its ends two masked
/// loads (a masked-off lane is never read, so the addresses outside the ring do not fault); lane
/// by lane for rings shorter than a vector or windows further out.
BF16_TARGET INLINE __m512 load_wrapped(const float *ring, long n, long start) {
    if (start >= 0 && start + 16 <= n) return _mm512_loadu_ps(ring + start);
    if (n >= 16 && start > -16 && start < 0) { // lanes below -start from the ring's end
        const __mmask16 end = (__mmask16)((1u << -start) - 1u);
        return _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(end, ring + start + n), (__mmask16)~end, ring + start);
    }
    if (n >= 16 && start >= 0 && start < n) { // lanes from n - start on from the ring's start
        const __mmask16 inside = (__mmask16)((1u << (n - start)) - 1u);
        return _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(inside, ring + start), (__mmask16)~inside, ring + start - n);
    }
    float lanes[16];
    for (int l = 0; l < 16; l++) {
        long j = (start + l) % n;
        lanes[l] = ring[j < 0 ? j + n : j];
    }
    return _mm512_loadu_ps(lanes);
}

BF16_TARGET
void wrnn_bf16_pack_columns(
    uint32_t *packed, const float *input, long group, long channels, long kernel, long ringSize, long positions) {
    const long depth = channels * kernel, depthPairs = (depth + 1) / 2, n = ringSize, half = kernel / 2;
    const __m512i index = pair_index();
    for (long p = 0; p < depthPairs; p++) {
        const long j0 = 2 * p, j1 = 2 * p + 1;
        const int hasHigh = j1 < depth;
        uint32_t *dst = packed + p * positions;
        for (long r = 0; r < group; r++) {
            const float *low = input + (r * channels + j0 / kernel) * n;
            const float *high = hasHigh ? input + (r * channels + j1 / kernel) * n : low;
            const long lowShift = j0 % kernel - half, highShift = j1 % kernel - half;
            for (long i = 0; i < n; i += 16) {
                __m512 h = hasHigh ? load_wrapped(high, n, i + highShift) : _mm512_setzero_ps();
                __m512i v = make_pairs(load_wrapped(low, n, i + lowShift), h, index);
                _mm512_mask_storeu_epi32(dst + r * n + i, lanes_below(n - i), v);
            }
        }
    }
}

/// One tile of R rows x V vectors of 16 positions: R * V accumulators stay in registers over the
/// whole depth; each pair of weights is a broadcast operand. Rows past `valid` repeat the last.
BF16_TARGET INLINE void product_tile(
    float *raw, long rawStride, const uint32_t *packed, long positions, const uint32_t *pairs, long depthPairs,
    int R, int V, int valid) {
    __m512 acc[9][4];
    const uint32_t *w[9];
    for (int r = 0; r < R; r++) {
        w[r] = pairs + (r < valid ? r : valid - 1) * depthPairs;
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    }
    for (long p = 0; p < depthPairs; p++) {
        __m512i b[4];
        for (int v = 0; v < V; v++) b[v] = _mm512_loadu_si512(packed + p * positions + 16 * v);
        for (int r = 0; r < R; r++) {
            __m512i a = _mm512_set1_epi32((int)w[r][p]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], (__m512bh)a, (__m512bh)b[v]);
        }
    }
    for (int r = 0; r < valid; r++)
        for (int v = 0; v < V; v++) _mm512_storeu_ps(raw + r * rawStride + 16 * v, acc[r][v]);
}

#define TILE(R, V)                                                                                                  \
    BF16_TARGET static void tile##R##x##V(                                                                          \
        float *o, long s, const uint32_t *x, long q, const uint32_t *w, long d, int valid) {                        \
        product_tile(o, s, x, q, w, d, R, V, valid);                                                                \
    }
TILE(6, 4) TILE(6, 2) TILE(6, 1) TILE(8, 2) TILE(8, 1) TILE(9, 2) TILE(9, 1)

/// Row tiles of 8 when 8 divides the rows, 9 when 9 does (the sums are the same either way: each
/// output adds its depth's pairs in order), else 6 with a last, partial tile; each as wide as the
/// 32 registers allow, narrower ones taking the last positions.
BF16_TARGET
void wrnn_bf16_product(
    float *raw, long rawStride, const uint32_t *packed, const uint32_t *pairs, long rows, long depthPairs, long positions) {
    const int tileRows = rows % 8 == 0 ? 8 : rows % 9 == 0 ? 9 : 6;
    for (long o0 = 0; o0 < rows; o0 += tileRows) {
        const int valid = rows - o0 < tileRows ? (int)(rows - o0) : tileRows;
        float *out = raw + o0 * rawStride;
        const uint32_t *w = pairs + o0 * depthPairs;
        long i0 = 0;
        if (tileRows == 6) {
            for (; i0 + 64 <= positions; i0 += 64) tile6x4(out + i0, rawStride, packed + i0, positions, w, depthPairs, valid);
            for (; i0 + 32 <= positions; i0 += 32) tile6x2(out + i0, rawStride, packed + i0, positions, w, depthPairs, valid);
            for (; i0 < positions; i0 += 16) tile6x1(out + i0, rawStride, packed + i0, positions, w, depthPairs, valid);
        } else if (tileRows == 8) {
            for (; i0 + 32 <= positions; i0 += 32) tile8x2(out + i0, rawStride, packed + i0, positions, w, depthPairs, valid);
            for (; i0 < positions; i0 += 16) tile8x1(out + i0, rawStride, packed + i0, positions, w, depthPairs, valid);
        } else {
            for (; i0 + 32 <= positions; i0 += 32) tile9x2(out + i0, rawStride, packed + i0, positions, w, depthPairs, valid);
            for (; i0 < positions; i0 += 16) tile9x1(out + i0, rawStride, packed + i0, positions, w, depthPairs, valid);
        }
    }
}

BF16_TARGET
void wrnn_bf16_pack_columns_plain(
    uint16_t *columns, const float *input, long group, long channels, long kernel, long ringSize, long positions) {
    const long depth = channels * kernel, n = ringSize, filled = group * ringSize, half = kernel / 2;
    for (long j = 0; j < depth; j++) {
        uint16_t *dst = columns + j * positions;
        const long shift = j % kernel - half;
        for (long r = 0; r < group; r++) {
            const float *ring = input + (r * channels + j / kernel) * n;
            for (long i = 0; i < n; i += 16) {
                __m256i v = (__m256i)_mm512_cvtneps_pbh(load_wrapped(ring, n, i + shift));
                _mm256_mask_storeu_epi16(dst + r * n + i, lanes_below(n - i), v);
            }
        }
        for (long q = filled; q < positions; q++) dst[q] = 0;
    }
}

BF16_TARGET
void wrnn_bf16_pack_gradients(uint16_t *gradients, const float *dout, long group, long rows, long ringSize, long positions) {
    const long n = ringSize, filled = group * ringSize;
    for (long o = 0; o < rows; o++) {
        uint16_t *dst = gradients + o * positions;
        for (long r = 0; r < group; r++) {
            const float *src = dout + (r * rows + o) * n;
            for (long i = 0; i < n; i += 16) {
                __mmask16 m = lanes_below(n - i);
                __m256i v = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
                _mm256_mask_storeu_epi16(dst + r * n + i, m, v);
            }
        }
        for (long q = filled; q < positions; q++) dst[q] = 0;
    }
}

BF16_TARGET
void wrnn_bf16_weight_grad(
    float *dweight, const uint16_t *gradients, const uint16_t *columns, long rows, long depth, long positions) {
    for (long o0 = 0; o0 < rows; o0 += 4) {
        const int validO = rows - o0 < 4 ? (int)(rows - o0) : 4;
        const uint16_t *g[4];
        for (int a = 0; a < 4; a++) g[a] = gradients + (o0 + (a < validO ? a : validO - 1)) * positions;
        for (long j0 = 0; j0 < depth; j0 += 6) {
            const int validJ = depth - j0 < 6 ? (int)(depth - j0) : 6;
            const uint16_t *x[6];
            for (int b = 0; b < 6; b++) x[b] = columns + (j0 + (b < validJ ? b : validJ - 1)) * positions;
            __m512 acc[4][6];
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 6; b++) acc[a][b] = _mm512_setzero_ps();
            for (long q = 0; q < positions; q += 32) {
                __m512i gv[4], xv[6];
                for (int a = 0; a < 4; a++) gv[a] = _mm512_loadu_si512(g[a] + q);
                for (int b = 0; b < 6; b++) xv[b] = _mm512_loadu_si512(x[b] + q);
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 6; b++) acc[a][b] = _mm512_dpbf16_ps(acc[a][b], (__m512bh)gv[a], (__m512bh)xv[b]);
            }
            for (int a = 0; a < validO; a++)
                for (int b = 0; b < validJ; b++) dweight[(o0 + a) * depth + j0 + b] += _mm512_reduce_add_ps(acc[a][b]);
        }
    }
}
#else
// No bf16 products off x86: wrnn_cpu_has_avx512_bf16() is 0 there, so these are never called.
#include <stdlib.h>
void wrnn_bf16_pack_weight_pairs(uint32_t *pairs, const float *weight, long rows, long depth) { abort(); }
void wrnn_bf16_pack_columns(
    uint32_t *packed, const float *input, long group, long channels, long kernel, long ringSize, long positions) { abort(); }
void wrnn_bf16_product(
    float *raw, long rawStride, const uint32_t *packed, const uint32_t *pairs, long rows, long depthPairs, long positions) { abort(); }
void wrnn_bf16_pack_columns_plain(
    uint16_t *columns, const float *input, long group, long channels, long kernel, long ringSize, long positions) { abort(); }
void wrnn_bf16_pack_gradients(uint16_t *gradients, const float *dout, long group, long rows, long ringSize, long positions) { abort(); }
void wrnn_bf16_weight_grad(
    float *dweight, const uint16_t *gradients, const uint16_t *columns, long rows, long depth, long positions) { abort(); }
#endif
