#if arch(x86_64)
import WaveKernelsAVX512
#endif

// Multi-channel circular 1-D cross-correlation, as PyTorch's Conv1d with
// padding_mode='circular', padding f/2, no bias:
//   out[b, o, i] = sum_{ch < cIn} sum_{k < f} weight[o, ch, k] * input[b, ch, (i + k - f/2) mod n]
// Buffers: input [batch, cIn, n], out [batch, cOut, n], weight [cOut, cIn, f].
// Each fast kernel sits next to the plain version the tests hold it to.

/// Row length of a wrapped, padded ring copy: positions are computed 16 at a time and the
/// kernel window reaches f - 1 past them.
@inline(__always)
public func circularPadStride(ringSize n: Int, kernel f: Int) -> Int { (n + 15) / 16 * 16 + f - 1 }

/// Batch rows the weight-gradient kernel pads and walks at once (its working set stays in L2).
let weightGradRows = 8

/// Scratch the fast kernels need, whichever path runs: padded copies of the input rings (one per
/// batch row, or several end to end) and zero-tailed copies of the output gradient.
public func circularConvScratchCount(channels c: Int, ringSize n: Int, kernel f: Int) -> Int {
    let chunked = (n + 15) / 16 * 16
    let portable = weightGradRows * c * (circularPadStride(ringSize: n, kernel: f) + chunked) + 6 * chunked
    let wide = (c + 5) / 6 * 6 * chunked + c * circularPadStride(ringSize: n, kernel: f)
    let grouped = ((c + 5) / 6 * 6 + c) * ringGroupStride(ringSize: n, kernel: f)
    return max(portable, wide, grouped)
}

/// What the fast kernel does with each raw correlation value v before storing it, so the
/// elementwise work of a recurrent step happens while the tile is still in registers:
///   store:              out = v + addend + bias
///   accumulate:         out = out + v + addend + bias
///   activate(act):      out = act(v + addend + bias)                 (forward step)
///   activationGradient: out = (v + addend) * act'(h), h = activation output   (backward step)
/// and then columnSums[o * n + i] += out when given. addend and h are [batch, cOut, n];
/// bias and columnSums are [cOut * n].
public struct ConvEpilogue<T: Scalar> {
    public enum Mode { case store, accumulate, activate(Activation), activationGradient(Activation) }
    public var mode: Mode
    public var addend: UnsafePointer<T>?
    public var bias: UnsafePointer<T>?
    public var activationOutput: UnsafePointer<T>?
    public var columnSums: UnsafeMutablePointer<T>?

    public init(
        _ mode: Mode, addend: UnsafePointer<T>? = nil, bias: UnsafePointer<T>? = nil,
        activationOutput: UnsafePointer<T>? = nil, columnSums: UnsafeMutablePointer<T>? = nil
    ) {
        self.mode = mode; self.addend = addend; self.bias = bias
        self.activationOutput = activationOutput; self.columnSums = columnSums
    }
    public static var store: ConvEpilogue { ConvEpilogue(.store) }
    public static var accumulate: ConvEpilogue { ConvEpilogue(.accumulate) }

    /// The epilogue for one value, written plainly; the tests and the tails use it.
    @inline(__always)
    public func apply(_ raw: T, out: UnsafeMutablePointer<T>, index: Int, biasIndex: Int) {
        var v = raw
        if let addend { v += addend[index] }
        if let bias { v += bias[biasIndex] }
        switch mode {
        case .store: break
        case .accumulate: v += out[index]
        case .activate(let activation):
            switch activation {
            case .relu: v = v < 0 ? 0 : v
            case .tanh: v = T.elementaryTanh(v)
            case .identity: break
            }
        case .activationGradient(let activation):
            let h = activationOutput![index]
            switch activation {
            case .relu: v = h > 0 ? v : 0
            case .tanh: v *= 1 - h * h
            case .identity: break
            }
        }
        out[index] = v
        if let columnSums { columnSums[biasIndex] += v }
    }
}

/// pad[ch, p] = input[ch, (p - f/2) mod n] for p < padStride: the ring unrolled so that every
/// kernel window is a contiguous, in-bounds read.
/// (channelStride apart when the rows are longer than padStride: rings laid end to end.)
@inline(__always)
func fillWrapped<T: Scalar>(
    _ pad: UnsafeMutablePointer<T>, padStride: Int, _ input: UnsafePointer<T>,
    channels: Int, n: Int, half: Int, channelStride: Int? = nil
) {
    let start = ((-half) % n + n) % n
    for ch in 0..<channels {
        let src = input + ch * n
        let dst = pad + ch * (channelStride ?? padStride)
        var p = 0, j = start
        while p < padStride {
            let run = min(n - j, padStride - p)
            copyValues(dst + p, src + j, run)
            p += run
            j = 0
        }
    }
}

/// Applies the epilogue to the tile's first `valid` (at most 16) values, bound for
/// out[index ...]. Plain loops with selects: LLVM vectorises these, while SIMD comparison
/// masks compile to lane-by-lane code.
/// dst[0 ..< count] = src[0 ..< count], inline: these copies are a ring long, where a call to
/// memmove costs more than the copy.
@inline(__always)
func copyValues<T: Scalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, _ count: Int) {
    var i = 0
    while i + 8 <= count { storeVector(loadVector(src + i), dst + i); i += 8 }
    while i < count { dst[i] = src[i]; i += 1 }
}

/// Applies the epilogue to `rows` finished output rows o0 ..< o0 + rows of batch row b, whose raw
/// sums sit in `raw` (row stride `rawStride`): one vectorised pass per row block, so the
/// per-value work is amortised over whole rings.
@inline(__always)
func finishRows<T: Scalar>(
    _ out: UnsafeMutablePointer<T>, raw: UnsafeMutablePointer<T>, rawStride: Int,
    rows: Int, firstRow o0: Int, batchRow b: Int, channelsOut cOut: Int, ringSize n: Int,
    _ e: ConvEpilogue<T>
) {
    let vectorEnd = n / 8 * 8
    for r in 0..<rows {
        let index = (b * cOut + o0 + r) * n, biasIndex = (o0 + r) * n
        let src = raw + r * rawStride, dst = out + index
        // Everything on SIMD values: relu and its gate work on bit patterns, because SIMD
        // comparison masks compile to scalar code.
        var i = 0
        while i < vectorEnd {
            var v = loadVector(src + i)
            if let a = e.addend { v += loadVector(a + index + i) }
            if let bias = e.bias { v += loadVector(bias + biasIndex + i) }
            switch e.mode {
            case .store, .activate(.identity), .activationGradient(.identity): break
            case .accumulate: v += loadVector(dst + i)
            case .activate(.relu): v = T.relu(v)
            case .activate(.tanh): for lane in 0..<8 { v[lane] = T.elementaryTanh(v[lane]) }
            case .activationGradient(.relu): v = T.reluGate(v, loadVector(e.activationOutput! + index + i))
            case .activationGradient(.tanh):
                let h = loadVector(e.activationOutput! + index + i)
                v *= 1 - h * h
            }
            storeVector(v, dst + i)
            if let sums = e.columnSums { storeVector(loadVector(sums + biasIndex + i) + v, sums + biasIndex + i) }
            i += 8
        }
        while i < n {
            e.apply(src[i], out: out, index: index + i, biasIndex: biasIndex + i)
            i += 1
        }
    }
}

/// Fast forward. Output channels go in register tiles of 6 (f = 3, taps unrolled) or 4 (any
/// f) rows x 16 positions, SIMD over positions; a last, partial tile repeats its last valid
/// row. Raw sums go to a small row-block scratch, then one epilogue pass finishes the block.
@inline(__always)
func circularConvForwardFast<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int,
    epilogue e: ConvEpilogue<T>
) {
    #if arch(x86_64)
    if T.self == Float.self && KernelPath.current == .avx512 {
        circularConvForwardColumns(
            out: out, input: input, weight: weight, scratch: scratch, batch: batch,
            channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f, epilogue: e)
        return
    }
    #endif
    let half = f / 2
    let padStride = circularPadStride(ringSize: n, kernel: f)
    let chunked = (n + 15) / 16 * 16
    let wStride = cIn * f
    let raw = scratch // [6, chunked] raw sums of one row block
    let pad = scratch + 6 * chunked // [cIn, padStride] wrapped input rings
    for b in 0..<batch {
        fillWrapped(pad, padStride: padStride, input + b * cIn * n, channels: cIn, n: n, half: half)
        var o0 = 0
        while o0 < cOut {
            let remaining = cOut - o0
            let rows: Int
            if f == 3 && remaining >= 5 {
                rows = min(6, remaining)
                let w0 = weight + o0 * wStride
                let w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride, w4 = w3 + wStride
                let w5 = rows == 6 ? w4 + wStride : w4
                var i0 = 0
                while i0 < n {
                    var a0l = SIMD8<T>(), a0h = SIMD8<T>(), a1l = SIMD8<T>(), a1h = SIMD8<T>()
                    var a2l = SIMD8<T>(), a2h = SIMD8<T>(), a3l = SIMD8<T>(), a3h = SIMD8<T>()
                    var a4l = SIMD8<T>(), a4h = SIMD8<T>(), a5l = SIMD8<T>(), a5h = SIMD8<T>()
                    var row = UnsafePointer(pad + i0)
                    var wo = 0
                    for _ in 0..<cIn {
                        for k in 0..<3 {
                            let xl = loadVector(row + k), xh = loadVector(row + k + 8)
                            var s = SIMD8<T>(repeating: w0[wo + k]); a0l.addProduct(s, xl); a0h.addProduct(s, xh)
                            s = SIMD8<T>(repeating: w1[wo + k]); a1l.addProduct(s, xl); a1h.addProduct(s, xh)
                            s = SIMD8<T>(repeating: w2[wo + k]); a2l.addProduct(s, xl); a2h.addProduct(s, xh)
                            s = SIMD8<T>(repeating: w3[wo + k]); a3l.addProduct(s, xl); a3h.addProduct(s, xh)
                            s = SIMD8<T>(repeating: w4[wo + k]); a4l.addProduct(s, xl); a4h.addProduct(s, xh)
                            s = SIMD8<T>(repeating: w5[wo + k]); a5l.addProduct(s, xl); a5h.addProduct(s, xh)
                        }
                        row += padStride
                        wo += 3
                    }
                    let r = raw + i0
                    storeVector(a0l, r); storeVector(a0h, r + 8)
                    storeVector(a1l, r + chunked); storeVector(a1h, r + chunked + 8)
                    storeVector(a2l, r + 2 * chunked); storeVector(a2h, r + 2 * chunked + 8)
                    storeVector(a3l, r + 3 * chunked); storeVector(a3h, r + 3 * chunked + 8)
                    storeVector(a4l, r + 4 * chunked); storeVector(a4h, r + 4 * chunked + 8)
                    storeVector(a5l, r + 5 * chunked); storeVector(a5h, r + 5 * chunked + 8)
                    i0 += 16
                }
            } else {
                rows = min(4, remaining)
                let w0 = weight + o0 * wStride
                let w1 = rows > 1 ? w0 + wStride : w0
                let w2 = rows > 2 ? w1 + wStride : w1
                let w3 = rows > 3 ? w2 + wStride : w2
                var i0 = 0
                while i0 < n {
                    var a0l = SIMD8<T>(), a0h = SIMD8<T>(), a1l = SIMD8<T>(), a1h = SIMD8<T>()
                    var a2l = SIMD8<T>(), a2h = SIMD8<T>(), a3l = SIMD8<T>(), a3h = SIMD8<T>()
                    for ch in 0..<cIn {
                        let row = UnsafePointer(pad + ch * padStride + i0)
                        let wo = ch * f
                        for k in 0..<f {
                            let xl = loadVector(row + k), xh = loadVector(row + k + 8)
                            let s0 = SIMD8<T>(repeating: w0[wo + k]), s1 = SIMD8<T>(repeating: w1[wo + k])
                            let s2 = SIMD8<T>(repeating: w2[wo + k]), s3 = SIMD8<T>(repeating: w3[wo + k])
                            a0l.addProduct(s0, xl); a0h.addProduct(s0, xh)
                            a1l.addProduct(s1, xl); a1h.addProduct(s1, xh)
                            a2l.addProduct(s2, xl); a2h.addProduct(s2, xh)
                            a3l.addProduct(s3, xl); a3h.addProduct(s3, xh)
                        }
                    }
                    let r = raw + i0
                    storeVector(a0l, r); storeVector(a0h, r + 8)
                    storeVector(a1l, r + chunked); storeVector(a1h, r + chunked + 8)
                    storeVector(a2l, r + 2 * chunked); storeVector(a2h, r + 2 * chunked + 8)
                    storeVector(a3l, r + 3 * chunked); storeVector(a3h, r + 3 * chunked + 8)
                    i0 += 16
                }
            }
            finishRows(
                out, raw: raw, rawStride: chunked, rows: rows, firstRow: o0, batchRow: b,
                channelsOut: cOut, ringSize: n, e)
            o0 += rows
        }
    }
}

/// Fast weight gradient, dweight[o, ch, k] += sum_{b, i} dout[b, o, i] * input[b, ch, (i + k - f/2) mod n].
/// Rows are padded `weightGradRows` at a time; for f = 3 a tile of 2 outputs x 2 inputs x 3
/// taps keeps 12 accumulators over all those rows before one horizontal sum each.
@inline(__always)
func circularConvWeightGradFast<T: Scalar>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    #if arch(x86_64)
    if T.self == Float.self && KernelPath.current == .avx512 {
        circularConvWeightGradColumns(
            dweight: dweight, dout: dout, input: input, scratch: scratch, batch: batch,
            channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f)
        return
    }
    #endif
    let half = f / 2
    let padStride = circularPadStride(ringSize: n, kernel: f)
    let chunked = (n + 15) / 16 * 16
    let inStride = cIn * padStride, outStride = cOut * chunked
    let padIn = scratch
    let padOut = padIn + weightGradRows * inStride
    var b0 = 0
    while b0 < batch {
        let rows = min(weightGradRows, batch - b0)
        for r in 0..<rows {
            fillWrapped(padIn + r * inStride, padStride: padStride, input + (b0 + r) * cIn * n, channels: cIn, n: n, half: half)
            for o in 0..<cOut {
                let dst = padOut + r * outStride + o * chunked
                copyValues(dst, dout + ((b0 + r) * cOut + o) * n, n)
                for i in n..<chunked { dst[i] = 0 }
            }
        }
        // input-channel pairs outside, so their padded rows stay in L1 while the output
        // gradient rows stream past
        var ch = 0
        while ch < cIn {
            let pairCh = f == 3 && ch + 2 <= cIn
            var o = 0
            while o < cOut {
                if pairCh && o + 2 <= cOut {
                    var a = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
                    var c = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
                    for r in 0..<rows {
                        let g0 = UnsafePointer(padOut + r * outStride + o * chunked), g1 = g0 + chunked
                        let x0 = UnsafePointer(padIn + r * inStride + ch * padStride), x1 = x0 + padStride
                        var i = 0
                        while i < chunked {
                            let gv0 = loadVector(g0 + i), gv1 = loadVector(g1 + i)
                            var x = loadVector(x0 + i)
                            a.0.addProduct(gv0, x); c.0.addProduct(gv1, x)
                            x = loadVector(x0 + i + 1)
                            a.1.addProduct(gv0, x); c.1.addProduct(gv1, x)
                            x = loadVector(x0 + i + 2)
                            a.2.addProduct(gv0, x); c.2.addProduct(gv1, x)
                            x = loadVector(x1 + i)
                            a.3.addProduct(gv0, x); c.3.addProduct(gv1, x)
                            x = loadVector(x1 + i + 1)
                            a.4.addProduct(gv0, x); c.4.addProduct(gv1, x)
                            x = loadVector(x1 + i + 2)
                            a.5.addProduct(gv0, x); c.5.addProduct(gv1, x)
                            i += 8
                        }
                    }
                    let d0 = dweight + o * cIn * 3 + ch * 3, d1 = d0 + cIn * 3
                    d0[0] += a.0.sum(); d0[1] += a.1.sum(); d0[2] += a.2.sum()
                    d0[3] += a.3.sum(); d0[4] += a.4.sum(); d0[5] += a.5.sum()
                    d1[0] += c.0.sum(); d1[1] += c.1.sum(); d1[2] += c.2.sum()
                    d1[3] += c.3.sum(); d1[4] += c.4.sum(); d1[5] += c.5.sum()
                    o += 2
                } else {
                    // leftover output (or any kernel width): one (output, input) pair at a time
                    for cc in ch..<(pairCh ? ch + 2 : ch + 1) {
                        for k in 0..<f {
                            var a0 = SIMD8<T>(), a1 = SIMD8<T>()
                            for r in 0..<rows {
                                let g = UnsafePointer(padOut + r * outStride + o * chunked)
                                let x = UnsafePointer(padIn + r * inStride + cc * padStride + k)
                                var i = 0
                                while i < chunked {
                                    a0.addProduct(loadVector(g + i), loadVector(x + i))
                                    a1.addProduct(loadVector(g + i + 8), loadVector(x + i + 8))
                                    i += 16
                                }
                            }
                            dweight[(o * cIn + cc) * f + k] += (a0 + a1).sum()
                        }
                    }
                    o += 1
                }
            }
            ch += pairCh ? 2 : 1
        }
        b0 += rows
    }
}

// MARK: - AVX-512 path (16-lane products in WaveKernelsAVX512)

#if arch(x86_64)
/// The forward on the AVX-512 path, for n a multiple of 16 (other rings go end to end): per batch
/// row, its wrapped, padded ring and one [cOut, K] x [K, n] product, finished in the tiles'
/// registers (tanh: in the row-block scratch, then the baseline path's epilogue pass).
@inline(__always)
func circularConvForwardColumns<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int,
    epilogue e: ConvEpilogue<T>
) {
    guard n % 16 == 0 else {
        circularConvForwardGrouped(
            out: out, input: input, weight: weight, scratch: scratch, batch: batch,
            channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f, epilogue: e)
        return
    }
    let padStride = circularPadStride(ringSize: n, kernel: f)
    let raw = scratch // [cOut rounded up to 6, n]
    let pad = raw + (cOut + 5) / 6 * 6 * n // [cIn, padStride]
    for b in 0..<batch {
        fillWrapped(pad, padStride: padStride, input + b * cIn * n, channels: cIn, n: n, half: f / 2)
        // the epilogue in the tiles' registers unless it needs tanh
        let fused = fusedEpilogue(e, out: out, batchRow: b, channelsOut: cOut, ringSize: n)
        convForwardAVX512(
            raw: asFloat(raw), rawStride: n, columns: asFloat(UnsafePointer(pad)),
            channelStride: padStride, tapStride: 1, weight: asFloat(weight),
            rows: cOut, channels: cIn, kernel: f, positions: n, epilogue: fused)
        if fused == nil {
            finishRows(out, raw: raw, rawStride: n, rows: cOut, firstRow: 0, batchRow: b, channelsOut: cOut, ringSize: n, e)
        }
    }
}

/// The weight gradient on the AVX-512 path: `weightGradRows` batch rows' wrapped, padded rings at
/// a time, then one product summed over those rows and all positions, reading the output
/// gradient in place (n is a multiple of 16 here; other rings go end to end).
@inline(__always)
func circularConvWeightGradColumns<T: Scalar>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    guard n % 16 == 0 else {
        circularConvWeightGradGrouped(
            dweight: dweight, dout: dout, input: input, scratch: scratch, batch: batch,
            channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f)
        return
    }
    let padStride = circularPadStride(ringSize: n, kernel: f)
    let pads = scratch // [rows, cIn, padStride]
    var b0 = 0
    while b0 < batch {
        let rows = min(weightGradRows, batch - b0)
        for r in 0..<rows {
            fillWrapped(
                pads + r * cIn * padStride, padStride: padStride, input + (b0 + r) * cIn * n,
                channels: cIn, n: n, half: f / 2)
        }
        convWeightGradAVX512(
            dweight: asFloat(dweight), gradients: asFloat(dout + b0 * cOut * n),
            gradientBatchStride: cOut * n, gradientStride: n,
            columns: asFloat(UnsafePointer(pads)), columnBatchStride: cIn * padStride,
            channelStride: padStride, tapStride: 1,
            batchRows: rows, rows: cOut, channels: cIn, kernel: f, positions: n)
        b0 += rows
    }
}

/// Batch rows whose rings the AVX-512 path lays end to end when n is not a multiple of 16.
let ringGroupRows = 8

/// Row length per channel of `ringGroupRows` rings laid end to end, each with its halo (n + f - 1),
/// rounded to 16, plus the kernel window's reach past the last computed position.
@inline(__always)
func ringGroupStride(ringSize n: Int, kernel f: Int) -> Int {
    (ringGroupRows * (n + f - 1) + 15) / 16 * 16 + (f + 14) / 16 * 16
}

/// The forward for rings whose length is not a multiple of 16 (the copy and adding tasks' 100):
/// `ringGroupRows` batch rows' wrapped rings end to end in one row per channel, so the 16-lane
/// tiles run over all of them at once instead of ending each ring on a mostly empty tile. Output
/// position r (n + f - 1) + i is row r's position i; the f - 1 between rings are computed and dropped.
@inline(__always)
func circularConvForwardGrouped<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int,
    epilogue e: ConvEpilogue<T>
) {
    let span = n + f - 1
    let stride = ringGroupStride(ringSize: n, kernel: f)
    let raw = scratch // [cOut rounded up to 6, stride]
    let pad = raw + (cOut + 5) / 6 * 6 * stride // [cIn, stride]: rings end to end
    var b0 = 0
    while b0 < batch {
        let rows = min(ringGroupRows, batch - b0)
        for r in 0..<rows {
            fillWrapped(
                pad + r * span, padStride: span, input + (b0 + r) * cIn * n, channels: cIn, n: n, half: f / 2,
                channelStride: stride)
        }
        let positions = ((rows - 1) * span + n + 15) / 16 * 16
        convForwardAVX512(
            raw: asFloat(raw), rawStride: stride, columns: asFloat(UnsafePointer(pad)),
            channelStride: stride, tapStride: 1, weight: asFloat(weight),
            rows: cOut, channels: cIn, kernel: f, positions: positions)
        for r in 0..<rows {
            if n >= 16, let fused = fusedEpilogue(e, out: out, batchRow: b0 + r, channelsOut: cOut, ringSize: n) {
                finishRowsAVX512(raw: asFloat(UnsafePointer(raw + r * span)), rawStride: stride, rows: cOut, epilogue: fused)
            } else {
                finishRows(
                    out, raw: raw + r * span, rawStride: stride, rows: cOut, firstRow: 0, batchRow: b0 + r,
                    channelsOut: cOut, ringSize: n, e)
            }
        }
        b0 += rows
    }
}

/// The weight gradient for rings whose length is not a multiple of 16, on the same end-to-end
/// layout: the output gradients laid out alike with zeros between and after the rings, so one
/// product over all positions sums exactly the real ones.
@inline(__always)
func circularConvWeightGradGrouped<T: Scalar>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    let span = n + f - 1
    let stride = ringGroupStride(ringSize: n, kernel: f)
    let pad = scratch // [cIn, stride]: rings end to end
    let gradients = pad + cIn * stride // [cOut, stride]: zero between and after rings
    var b0 = 0
    while b0 < batch {
        let rows = min(ringGroupRows, batch - b0)
        let positions = ((rows - 1) * span + n + 15) / 16 * 16
        for r in 0..<rows {
            fillWrapped(
                pad + r * span, padStride: span, input + (b0 + r) * cIn * n, channels: cIn, n: n, half: f / 2,
                channelStride: stride)
            for o in 0..<cOut {
                let dst = gradients + o * stride + r * span
                copyValues(dst, dout + ((b0 + r) * cOut + o) * n, n)
                for i in n..<span { dst[i] = 0 }
            }
        }
        // past the last ring: zero gradients, and finite (zero) inputs under them
        let filled = rows * span
        for ch in 0..<cIn { for q in filled..<(positions + f - 1) { pad[ch * stride + q] = 0 } }
        for o in 0..<cOut { for q in filled..<max(filled, positions) { gradients[o * stride + q] = 0 } }
        convWeightGradAVX512(
            dweight: asFloat(dweight), gradients: asFloat(UnsafePointer(gradients)),
            gradientBatchStride: 0, gradientStride: stride,
            columns: asFloat(UnsafePointer(pad)), columnBatchStride: 0, channelStride: stride, tapStride: 1,
            batchRows: 1, rows: cOut, channels: cIn, kernel: f, positions: positions)
        b0 += rows
    }
}

/// The epilogue as the AVX-512 kernels apply it, for batch row b's [cOut, n] block, or nil for
/// tanh (finished from raw sums by the baseline path's `finishRows`).
@inline(__always)
func fusedEpilogue<T: Scalar>(
    _ e: ConvEpilogue<T>, out: UnsafeMutablePointer<T>, batchRow b: Int, channelsOut cOut: Int,
    ringSize n: Int
) -> FusedEpilogue? {
    let kind: FusedEpilogue.Kind
    switch e.mode {
    case .store, .activate(.identity), .activationGradient(.identity): kind = .store
    case .accumulate: kind = .accumulate
    case .activate(.relu): kind = .relu
    case .activationGradient(.relu): kind = .reluGradient
    case .activate(.tanh), .activationGradient(.tanh): return nil
    }
    let rowBase = b * cOut * n
    return FusedEpilogue(
        kind: kind, ringSize: n, out: asFloat(out + rowBase), addend: e.addend.map { asFloat($0 + rowBase) },
        bias: e.bias.map { asFloat($0) }, activationOutput: e.activationOutput.map { asFloat($0 + rowBase) },
        columnSums: e.columnSums.map { asFloat($0) })
}
#endif

/// The AVX-512 and bf16 kernels are Float-only; callers have checked T == Float.
@inline(__always) func asFloat<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
@inline(__always) func asFloat<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// wT[ch, o, f - 1 - k] = weight[o, ch, k]: the input gradient of a circular
/// cross-correlation is the forward pass of the transposed, flipped kernel.
public func flipTransposeKernel<T>(
    _ wT: UnsafeMutablePointer<T>, _ weight: UnsafePointer<T>,
    channelsOut cOut: Int, channelsIn cIn: Int, kernel f: Int
) {
    for o in 0..<cOut {
        for ch in 0..<cIn {
            for k in 0..<f {
                wT[(ch * cOut + o) * f + (f - 1 - k)] = weight[(o * cIn + ch) * f + k]
            }
        }
    }
}

// MARK: - Plain versions

@inline(__always) func wrap(_ i: Int, _ n: Int) -> Int { ((i % n) + n) % n }

public func referenceCircularConvForward<T: BinaryFloatingPoint>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int, accumulate: Bool
) {
    for b in 0..<batch {
        for o in 0..<cOut {
            for i in 0..<n {
                var sum: T = 0
                for ch in 0..<cIn {
                    for k in 0..<f {
                        sum += weight[(o * cIn + ch) * f + k] * input[(b * cIn + ch) * n + wrap(i + k - f / 2, n)]
                    }
                }
                let idx = (b * cOut + o) * n + i
                out[idx] = accumulate ? out[idx] + sum : sum
            }
        }
    }
}

/// dinput[b, ch, j] (+)= sum_{o, k} weight[o, ch, k] * dout[b, o, (j - k + f/2) mod n]
public func referenceCircularConvInputGrad<T: BinaryFloatingPoint>(
    dinput: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int, accumulate: Bool
) {
    for b in 0..<batch {
        for ch in 0..<cIn {
            for j in 0..<n {
                var sum: T = 0
                for o in 0..<cOut {
                    for k in 0..<f {
                        sum += weight[(o * cIn + ch) * f + k] * dout[(b * cOut + o) * n + wrap(j - k + f / 2, n)]
                    }
                }
                let idx = (b * cIn + ch) * n + j
                dinput[idx] = accumulate ? dinput[idx] + sum : sum
            }
        }
    }
}

public func referenceCircularConvWeightGrad<T: BinaryFloatingPoint>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    for o in 0..<cOut {
        for ch in 0..<cIn {
            for k in 0..<f {
                var sum: T = 0
                for b in 0..<batch {
                    for i in 0..<n {
                        sum += dout[(b * cOut + o) * n + i] * input[(b * cIn + ch) * n + wrap(i + k - f / 2, n)]
                    }
                }
                dweight[(o * cIn + ch) * f + k] += sum
            }
        }
    }
}
