// bf16 products for the wRNN's circular convolution (`--precision bf16`): operands rounded to
// bfloat16 (round to nearest even), products summed in fp32 by AVX512-BF16's vdpbf16ps, results
// stored in fp32. Every function here runs AVX512-BF16 instructions: call them only after
// wrnn_cpu_has_avx512_bf16() (CFloatMode) says the CPU has them. Nothing here runs at load time.
//
// A "pair" is two bf16 values in one 32-bit lane, the first in the low half: vdpbf16ps multiplies
// lane pairs and adds both products to an fp32 lane, so a product's depth is walked two at a time.
// Sizes: rows (output channels), depth K = cIn * f, depthPairs = (K + 1) / 2, positions Q.
#ifndef WAVE_KERNELS_BF16_H
#define WAVE_KERNELS_BF16_H
#include <stdint.h>

/// pairs[o, p] = (bf16(weight[o, 2p]), bf16(weight[o, 2p + 1])), zero past depth.
/// - pairs: [rows, depthPairs]; weight: [rows, depth]
void wrnn_bf16_pack_weight_pairs(uint32_t *pairs, const float *weight, long rows, long depth);

/// The im2col columns of `group` batch rows in pairs: with column j = ch * f + k holding
/// input[r, ch, (i + k - f/2) mod n] at position q = r * n + i (i < n),
///   packed[p, q] = (bf16(column 2p at q), bf16(column 2p + 1 at q)), zero for a column past K.
/// Positions from group * n to `positions` are left as they are.
/// - packed: [depthPairs, positions]; input: [group, channels, n]
void wrnn_bf16_pack_columns(
    uint32_t *packed, const float *input, long group, long channels, long kernel, long ringSize, long positions);

/// raw[o, q] = sum_{p < depthPairs} pairs[o, p] . packed[p, q] for o < rows, q < positions (a
/// multiple of 16): the forward product of the convolution, fp32 sums of exact bf16 products.
/// - raw: [rows, rawStride]; packed: [depthPairs, positions]; pairs: [rows, depthPairs]
void wrnn_bf16_product(
    float *raw, long rawStride, const uint32_t *packed, const uint32_t *pairs, long rows, long depthPairs, long positions);

/// The weight gradient's operands as plain bf16 rows over positions q = r * n + i, zero from
/// group * n to `positions` (a multiple of 32):
///   columns[j, q] = bf16(input[r, j / f, (i + j % f - f/2) mod n]),   gradients[o, q] = bf16(dout[r, o, i]).
/// - columns: [channels * kernel, positions]; input: [group, channels, n]; gradients: [rows, positions]; dout: [group, rows, n]
void wrnn_bf16_pack_columns_plain(
    uint16_t *columns, const float *input, long group, long channels, long kernel, long ringSize, long positions);
void wrnn_bf16_pack_gradients(uint16_t *gradients, const float *dout, long group, long rows, long ringSize, long positions);

/// dweight[o, j] += sum_{q < positions} gradients[o, q] * columns[j, q] (positions a multiple of 32).
/// - dweight: [rows, depth]; gradients: [rows, positions]; columns: [depth, positions]
void wrnn_bf16_weight_grad(
    float *dweight, const uint16_t *gradients, const uint16_t *columns, long rows, long depth, long positions);

#endif
