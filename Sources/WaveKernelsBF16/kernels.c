// The bf16 kernels of WaveKernelsBF16.h. Each function carries the AVX512-BF16 target itself, so
// this file needs no compiler flags and the binary stays portable; the plain versions the tests
// hold these to are WaveKernels' reference convolutions on bf16-rounded operands.
#include "WaveKernelsBF16.h"
#include "bf16_round.h"

static int use_plain = 0;
void wrnn_bf16_use_plain(int plain) { use_plain = plain; }

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



/// ring[(start + l) mod n] for l < 16: one load inside the ring, lane by lane across its ends (no
/// address outside the ring is formed; these are two vectors of a ring's span).
BF16_TARGET INLINE __m512 load_wrapped(const float *ring, long n, long start) {
    if (start >= 0 && start + 16 <= n) return _mm512_loadu_ps(ring + start);
    float lanes[16];
    if (start > -n && start + 16 < 2 * n) { // at most one end crossed: no division
        for (int l = 0; l < 16; l++) {
            long j = start + l;
            j = j < 0 ? j + n : j >= n ? j - n : j;
            lanes[l] = ring[j];
        }
    } else {
        for (int l = 0; l < 16; l++) {
            long j = (start + l) % n;
            lanes[l] = ring[j < 0 ? j + n : j];
        }
    }
    return _mm512_loadu_ps(lanes);
}

BF16_TARGET
static void hw_pack_channel_pairs(
    uint32_t *packed, long stride, const float *input, long group, long channels, long kernel, long ringSize) {
    const long n = ringSize, span = n + kernel - 1, half = kernel / 2, channelPairs = (channels + 1) / 2;
    const __m512i index = pair_index();
    for (long p = 0; p < channelPairs; p++) {
        uint32_t *dst = packed + p * stride;
        const int hasHigh = 2 * p + 1 < channels;
        for (long r = 0; r < group; r++) {
            const float *low = input + (r * channels + 2 * p) * n;
            const float *high = low + n;
            for (long s = 0; s < span; s += 16) {
                __m512 h = hasHigh ? load_wrapped(high, n, s - half) : _mm512_setzero_ps();
                __m512i v = make_pairs(load_wrapped(low, n, s - half), h, index);
                if (s + 16 <= span) _mm512_storeu_si512(dst + r * span + s, v);
                else _mm512_mask_storeu_epi32(dst + r * span + s, lanes_below(span - s), v);
            }
        }
        for (long q = group * span; q < stride; q++) dst[q] = 0;
    }
}

/// One tile of R rows x V vectors of 16 positions: R * V accumulators stay in registers over the
/// whole depth (taps, then channel pairs: each tap reads the packed rings one position further on);
/// each pair of weights is a broadcast operand. Rows past `valid` repeat the last.
BF16_TARGET INLINE void product_tile(
    float *raw, long rawStride, const uint32_t *packed, long stride, const uint32_t *pairs, long channelPairs, long kernel,
    int R, int V, int valid) {
    const long depth = kernel * channelPairs;
    __m512 acc[9][4];
    const uint32_t *w[9];
    for (int r = 0; r < R; r++) {
        w[r] = pairs + (r < valid ? r : valid - 1) * depth;
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    }
    for (long k = 0; k < kernel; k++) {
        for (long p = 0; p < channelPairs; p++) {
            const uint32_t *column = packed + p * stride + k;
            const long d = k * channelPairs + p;
            __m512i b[4];
            for (int v = 0; v < V; v++) b[v] = _mm512_loadu_si512(column + 16 * v);
            for (int r = 0; r < R; r++) {
                __m512i a = _mm512_set1_epi32((int)w[r][d]);
                for (int v = 0; v < V; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], (__m512bh)a, (__m512bh)b[v]);
            }
        }
    }
    for (int r = 0; r < valid; r++)
        for (int v = 0; v < V; v++) _mm512_storeu_ps(raw + r * rawStride + 16 * v, acc[r][v]);
}

#define TILE(R, V)                                                                                                  \
    BF16_TARGET static void tile##R##x##V(                                                                          \
        float *o, long s, const uint32_t *x, long xs, const uint32_t *w, long cp, long f, int valid) {               \
        product_tile(o, s, x, xs, w, cp, f, R, V, valid);                                                           \
    }
TILE(6, 4) TILE(6, 2) TILE(6, 1) TILE(8, 2) TILE(8, 1) TILE(9, 2) TILE(9, 1)

/// Row tiles of 8 when 8 divides the rows, 9 when 9 does (the sums are the same either way: each
/// output adds its depth's pairs in order), else 6 with a last, partial tile; each as wide as the
/// 32 registers allow, narrower ones taking the last positions.
BF16_TARGET
static void hw_product(
    float *raw, long rawStride, const uint32_t *packed, long stride, const uint32_t *pairs, long rows, long channelPairs,
    long kernel, long positions) {
    const int tileRows = rows % 8 == 0 ? 8 : rows % 9 == 0 ? 9 : 6;
    const long depth = kernel * channelPairs;
    for (long o0 = 0; o0 < rows; o0 += tileRows) {
        const int valid = rows - o0 < tileRows ? (int)(rows - o0) : tileRows;
        float *out = raw + o0 * rawStride;
        const uint32_t *w = pairs + o0 * depth;
        long i0 = 0;
#define RUN(R, V)                                                                                                   \
    for (; i0 + 16 * V <= positions; i0 += 16 * V)                                                                  \
        tile##R##x##V(out + i0, rawStride, packed + i0, stride, w, channelPairs, kernel, valid);
        if (tileRows == 6) {
            RUN(6, 4) RUN(6, 2) RUN(6, 1)
        } else if (tileRows == 8) {
            RUN(8, 2) RUN(8, 1)
        } else {
            RUN(9, 2) RUN(9, 1)
        }
#undef RUN
    }
}

BF16_TARGET
static void hw_pack_rings(uint16_t *rings, long stride, const float *input, long group, long channels, long kernel, long ringSize) {
    const long n = ringSize, span = n + kernel - 1, half = kernel / 2;
    for (long ch = 0; ch < channels; ch++) {
        uint16_t *dst = rings + ch * stride;
        for (long r = 0; r < group; r++) {
            const float *ring = input + (r * channels + ch) * n;
            for (long s = 0; s < span; s += 16) {
                __m256i v = (__m256i)_mm512_cvtneps_pbh(load_wrapped(ring, n, s - half));
                if (s + 16 <= span) _mm256_storeu_si256((__m256i *)(dst + r * span + s), v);
                else _mm256_mask_storeu_epi16(dst + r * span + s, lanes_below(span - s), v);
            }
        }
        for (long q = group * span; q < stride; q++) dst[q] = 0;
    }
}

BF16_TARGET
static void hw_pack_gradients(
    uint16_t *gradients, long stride, const float *dout, long group, long rows, long kernel, long ringSize) {
    const long n = ringSize, span = n + kernel - 1;
    for (long o = 0; o < rows; o++) {
        uint16_t *dst = gradients + o * stride;
        for (long r = 0; r < group; r++) {
            const float *src = dout + (r * rows + o) * n;
            long i = 0;
            for (; i + 16 <= n; i += 16)
                _mm256_storeu_si256((__m256i *)(dst + r * span + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
            if (i < n) {
                __mmask16 m = lanes_below(n - i);
                __m256i v = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
                _mm256_mask_storeu_epi16(dst + r * span + i, m, v);
            }
            for (long i = n; i < span; i++) dst[r * span + i] = 0;
        }
        for (long q = group * span; q < stride; q++) dst[q] = 0;
    }
}

BF16_TARGET
static void hw_weight_grad(
    float *dweight, const uint16_t *gradients, long gradientStride, const uint16_t *rings, long ringStride, long rows,
    long channels, long kernel, long positions) {
    const long depth = channels * kernel;
    for (long o0 = 0; o0 < rows; o0 += 4) {
        const int validO = rows - o0 < 4 ? (int)(rows - o0) : 4;
        const uint16_t *g[4];
        for (int a = 0; a < 4; a++) g[a] = gradients + (o0 + (a < validO ? a : validO - 1)) * gradientStride;
        for (long j0 = 0; j0 < depth; j0 += 6) {
            const int validJ = depth - j0 < 6 ? (int)(depth - j0) : 6;
            const uint16_t *x[6];
            for (int b = 0; b < 6; b++) {
                const long j = j0 + (b < validJ ? b : validJ - 1);
                x[b] = rings + (j / kernel) * ringStride + j % kernel; // channel j / f, one tap further on
            }
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
#endif

// The plain versions: the same layouts, products and order of the sums (each output's depth, pair
// by pair, low product first), one value at a time, rounding after every addition (vdpbf16ps may
// round a pair's two products once, so the kernels agree with these to fp32 rounding, not bit for bit). The tests hold the AVX512-BF16 kernels to
// them and run them where the CPU has no bf16 products (`wrnn_bf16_use_plain`); so does
// WRNN_BF16=emulate. Off x86 they are all there is.

static inline long wrapped(long j, long n) {
    j %= n;
    return j < 0 ? j + n : j;
}

void wrnn_bf16_pack_weight_pairs(uint32_t *pairs, const float *weight, long rows, long channels, long kernel) {
    const long channelPairs = (channels + 1) / 2;
    for (long o = 0; o < rows; o++)
        for (long k = 0; k < kernel; k++)
            for (long p = 0; p < channelPairs; p++) {
                uint32_t low = bf16_bits(weight[(o * channels + 2 * p) * kernel + k]);
                uint32_t high = 2 * p + 1 < channels ? bf16_bits(weight[(o * channels + 2 * p + 1) * kernel + k]) : 0;
                pairs[(o * kernel + k) * channelPairs + p] = low | (high << 16);
            }
}

static void plain_pack_channel_pairs(
    uint32_t *packed, long stride, const float *input, long group, long channels, long kernel, long ringSize) {
    const long n = ringSize, span = n + kernel - 1, half = kernel / 2, channelPairs = (channels + 1) / 2;
    for (long p = 0; p < channelPairs; p++) {
        uint32_t *dst = packed + p * stride;
        for (long r = 0; r < group; r++) {
            const float *low = input + (r * channels + 2 * p) * n, *high = low + n;
            for (long s = 0; s < span; s++) {
                const long j = wrapped(s - half, n);
                uint32_t h = 2 * p + 1 < channels ? bf16_bits(high[j]) : 0;
                dst[r * span + s] = bf16_bits(low[j]) | (h << 16);
            }
        }
        for (long q = group * span; q < stride; q++) dst[q] = 0;
    }
}

static void plain_product(
    float *raw, long rawStride, const uint32_t *packed, long stride, const uint32_t *pairs, long rows, long channelPairs,
    long kernel, long positions) {
    for (long o = 0; o < rows; o++)
        for (long q = 0; q < positions; q++) {
            float sum = 0;
            for (long k = 0; k < kernel; k++)
                for (long p = 0; p < channelPairs; p++) {
                    const uint32_t w = pairs[(o * kernel + k) * channelPairs + p], x = packed[p * stride + q + k];
                    sum += bf16_value(w) * bf16_value(x);
                    sum += bf16_value(w >> 16) * bf16_value(x >> 16);
                }
            raw[o * rawStride + q] = sum;
        }
}

static void plain_pack_rings(uint16_t *rings, long stride, const float *input, long group, long channels, long kernel, long ringSize) {
    const long n = ringSize, span = n + kernel - 1, half = kernel / 2;
    for (long ch = 0; ch < channels; ch++) {
        uint16_t *dst = rings + ch * stride;
        for (long r = 0; r < group; r++)
            for (long s = 0; s < span; s++) dst[r * span + s] = bf16_bits(input[(r * channels + ch) * n + wrapped(s - half, n)]);
        for (long q = group * span; q < stride; q++) dst[q] = 0;
    }
}

static void plain_pack_gradients(
    uint16_t *gradients, long stride, const float *dout, long group, long rows, long kernel, long ringSize) {
    const long n = ringSize, span = n + kernel - 1;
    for (long o = 0; o < rows; o++) {
        uint16_t *dst = gradients + o * stride;
        for (long r = 0; r < group; r++)
            for (long s = 0; s < span; s++) dst[r * span + s] = s < n ? bf16_bits(dout[(r * rows + o) * n + s]) : 0;
        for (long q = group * span; q < stride; q++) dst[q] = 0;
    }
}

static void plain_weight_grad(
    float *dweight, const uint16_t *gradients, long gradientStride, const uint16_t *rings, long ringStride, long rows,
    long channels, long kernel, long positions) {
    for (long o = 0; o < rows; o++)
        for (long j = 0; j < channels * kernel; j++) {
            const uint16_t *g = gradients + o * gradientStride, *x = rings + (j / kernel) * ringStride + j % kernel;
            float sum = 0;
            for (long q = 0; q < positions; q++) sum += bf16_value(g[q]) * bf16_value(x[q]);
            dweight[o * channels * kernel + j] += sum;
        }
}

#if defined(__x86_64__)
#define DISPATCH(name, ...)                                                                                         \
    if (use_plain) plain_##name(__VA_ARGS__);                                                                       \
    else hw_##name(__VA_ARGS__)
#else
#define DISPATCH(name, ...) plain_##name(__VA_ARGS__)
#endif

void wrnn_bf16_pack_channel_pairs(
    uint32_t *packed, long stride, const float *input, long group, long channels, long kernel, long ringSize) {
    DISPATCH(pack_channel_pairs, packed, stride, input, group, channels, kernel, ringSize);
}
void wrnn_bf16_product(
    float *raw, long rawStride, const uint32_t *packed, long stride, const uint32_t *pairs, long rows, long channelPairs,
    long kernel, long positions) {
    DISPATCH(product, raw, rawStride, packed, stride, pairs, rows, channelPairs, kernel, positions);
}
void wrnn_bf16_pack_rings(uint16_t *rings, long stride, const float *input, long group, long channels, long kernel, long ringSize) {
    DISPATCH(pack_rings, rings, stride, input, group, channels, kernel, ringSize);
}
void wrnn_bf16_pack_gradients(
    uint16_t *gradients, long stride, const float *dout, long group, long rows, long kernel, long ringSize) {
    DISPATCH(pack_gradients, gradients, stride, dout, group, rows, kernel, ringSize);
}
void wrnn_bf16_weight_grad(
    float *dweight, const uint16_t *gradients, long gradientStride, const uint16_t *rings, long ringStride, long rows,
    long channels, long kernel, long positions) {
    DISPATCH(weight_grad, dweight, gradients, gradientStride, rings, ringStride, rows, channels, kernel, positions);
}
