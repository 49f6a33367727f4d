// bf16 products for the wRNN's circular convolution (`--precision bf16`): operands rounded to
// bfloat16 (round to nearest even), products summed in fp32 by AVX512-BF16's vdpbf16ps, results
// stored in fp32. The kernels run AVX512-BF16 instructions: call them only after
// wrnn_cpu_has_avx512_bf16() (CFloatMode) says the CPU has them, or after wrnn_bf16_use_plain(1).
// Nothing here runs at load time.
//
// A "pair" is two bf16 values in one 32-bit lane, the first in the low half: vdpbf16ps multiplies
// lane pairs and adds both products to an fp32 lane, so a product's depth is walked two at a time.
//
// Positions: `group` batch rows' rings laid end to end, each wrapped and padded to span = n + f - 1
// values, so that ring r's padded value p (p < span) is input[r, ch, (p - f/2) mod n] at position
// q = r * span + p. Output position r * span + i (i < n) is ring r's output i: its kernel window is
// positions r * span + i + k, k < f, all inside the ring's own span; the f - 1 outputs between rings
// are computed and dropped.
#ifndef WAVE_KERNELS_BF16_H
#define WAVE_KERNELS_BF16_H
#include <stdint.h>

/// 1: every function below runs its plain version (the same products and order, one value at a time, on any CPU)
/// instead of the AVX512-BF16 kernel; 0 (the default): the kernels.
void wrnn_bf16_use_plain(int plain);

/// pairs[o, k, p] = (bf16(weight[o, 2p, k]), bf16(weight[o, 2p + 1, k])), zero past the channels:
/// the weight in the forward product's depth order (tap, then channel pair).
/// - pairs: [rows, kernel, (channels + 1) / 2]; weight: [rows, channels, kernel]
void wrnn_bf16_pack_weight_pairs(uint32_t *pairs, const float *weight, long rows, long channels, long kernel);

/// packed[p, q] = (bf16(ring of channel 2p at q), bf16(ring of channel 2p + 1 at q)) for the
/// wrapped, padded rings laid end to end as above; zero for a channel past the last and from
/// group * span to `stride`.
/// - packed: [(channels + 1) / 2, stride]; input: [group, channels, n]
void wrnn_bf16_pack_channel_pairs(
    uint32_t *packed, long stride, const float *input, long group, long channels, long kernel, long ringSize);

/// raw[o, q] = sum_{k < f} sum_{p < channelPairs} pairs[o, k, p] . packed[p, q + k] for o < rows and
/// q < positions (a multiple of 16): the convolution's forward on the end-to-end rings, each output
/// an fp32 sum of exact bf16 products in depth order.
/// - raw: [rows, rawStride]; packed: [channelPairs, stride] (stride >= positions + f - 1)
void wrnn_bf16_product(
    float *raw, long rawStride, const uint32_t *packed, long stride, const uint32_t *pairs, long rows, long channelPairs,
    long kernel, long positions);

/// The weight gradient's operands as plain bf16 rows on the same positions:
///   rings[ch, q] = bf16(padded ring ch at q), zero from group * span to `stride`;
///   gradients[o, r * span + i] = bf16(dout[r, o, i]) for i < n, zero between rings and up to `stride`.
/// - rings: [channels, stride]; input: [group, channels, n]; gradients: [rows, stride]; dout: [group, rows, n]
void wrnn_bf16_pack_rings(uint16_t *rings, long stride, const float *input, long group, long channels, long kernel, long ringSize);
void wrnn_bf16_pack_gradients(
    uint16_t *gradients, long stride, const float *dout, long group, long rows, long kernel, long ringSize);

/// dweight[o, ch, k] += sum_{q < positions} gradients[o, q] * rings[ch, q + k] (positions a
/// multiple of 32; the rings' stride at least positions + f - 1).
/// - dweight: [rows, channels, kernel]; gradients: [rows, gradientStride]; rings: [channels, ringStride]
void wrnn_bf16_weight_grad(
    float *dweight, const uint16_t *gradients, long gradientStride, const uint16_t *rings, long ringStride, long rows,
    long channels, long kernel, long positions);

// The sheet kernels' lane transposes (transpose.c); any x86 CPU (AVX2 when it has it) or other.
/// lanes[u * 16 + l] = rows[l * count + u] for l < valid (<= 16), 0 for l >= valid.
void wrnn_rows_to_lanes(float *lanes, const float *rows, long valid, long count);
/// rows[l * count + u] = lanes[u * 16 + l] for l < valid.
void wrnn_lanes_to_rows(float *rows, const float *lanes, long valid, long count);
/// The same with the convolution's epilogue on the way: out[l, u] = (lanes[u, l] + addend[l, u] +
/// bias[u]), then mode 0 as is, 1 max(v, 0), 2 v where h[l, u] > 0 else 0; column_sums[u] += out[l, u].
/// addend, bias, h and column_sums may be NULL (h not with mode 2). out, addend, h: [valid, count].
void wrnn_lanes_to_rows_fused(
    float *out, const float *lanes, long valid, long count, const float *addend, const float *bias, const float *h,
    float *column_sums, int mode);

// Dense bf16 products (matmul.c): the recurrent products of the iRNN and the gated cells under
// `--precision bf16`, through oneDNN's matmul (loaded at run time from libdnnl.so.2; it picks AMX
// tiles or AVX512-BF16 from CPUID), and the plain version the tests hold it to.

/// out[r, j] = bf16(in[r, j]) for r < rows, j < cols: round to nearest even, a NaN stays NaN.
void wrnn_bf16_round_rows(uint16_t *out, long ldo, const float *in, long ldi, long rows, long cols);

/// 1 when oneDNN is loaded and its bf16 matmul can run; else 0 and the reason, one line, in `why`.
int wrnn_dnnl_load(char *why, long capacity);

/// c[m, n] = op(a)[m, k] op(b)[k, n] + beta c (beta 0 or 1): a, b bf16, row-major with leading
/// dimensions lda, ldb (op transposes the stored matrix when trans is 1), sums and c fp32. Through
/// oneDNN, single-threaded in the calling thread; one primitive per shape per thread, kept.
/// Returns 0, or nonzero when oneDNN is missing or refused the product.
int wrnn_bf16_gemm(
    float *c, long ldc, const uint16_t *a, long lda, int transA, const uint16_t *b, long ldb, int transB, long m, long n,
    long k, float beta);

/// The plain version, on any CPU: each c[i, j] an fp32 sum over p = 0, 1, ... of the exact products.
void wrnn_bf16_gemm_plain(
    float *c, long ldc, const uint16_t *a, long lda, int transA, const uint16_t *b, long ldb, int transB, long m, long n,
    long k, float beta);

/// The implementation oneDNN picks for an [m, k] x [k, n] bf16 product, e.g. "brg:avx512_core_amx_bf16"; 0 on success.
int wrnn_bf16_gemm_impl(char *impl, long capacity, long m, long n, long k);

#endif
