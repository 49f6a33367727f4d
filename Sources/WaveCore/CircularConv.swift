// Multi-channel circular 1-D cross-correlation, as PyTorch's Conv1d with
// padding_mode='circular', padding f/2, no bias:
//   out[b, o, i] = sum_{ch < cIn} sum_{k < f} weight[o, ch, k] * input[b, ch, (i + k - f/2) mod n]
// Buffers: input [batch, cIn, n], out [batch, cOut, n], weight [cOut, cIn, f].
// Each fast kernel sits next to the plain version the tests hold it to.

/// Row length of a wrapped, padded ring copy: positions are computed 16 at a time and the
/// kernel window reaches f - 1 past them.
@inline(__always)
public func circularPadStride(ringSize n: Int, kernel f: Int) -> Int { (n + 15) / 16 * 16 + f - 1 }

/// Scratch the fast kernels need for one batch element: a padded copy of the input rings
/// and, for the weight gradient, a zero-tailed copy of the output gradient.
public func circularConvScratchCount(channels c: Int, ringSize n: Int, kernel f: Int) -> Int {
    c * circularPadStride(ringSize: n, kernel: f) + c * ((n + 15) / 16 * 16)
}

/// pad[ch, p] = input[ch, (p - f/2) mod n] for p < padStride: the ring unrolled so that every
/// kernel window is a contiguous, in-bounds read.
@inline(__always)
func fillWrapped<T>(_ pad: UnsafeMutablePointer<T>, padStride: Int, _ input: UnsafePointer<T>,
                    channels: Int, n: Int, half: Int) {
    let start = ((-half) % n + n) % n
    for ch in 0..<channels {
        let src = input + ch * n
        let dst = pad + ch * padStride
        var j = start
        for p in 0..<padStride {
            dst[p] = src[j]
            j += 1
            if j == n { j = 0 }
        }
    }
}

@inline(__always)
func storeRow<T: Scalar>(_ dst: UnsafeMutablePointer<T>, _ lo: SIMD8<T>, _ hi: SIMD8<T>, valid: Int, accumulate: Bool) {
    if valid >= 16 {
        if accumulate {
            storeVector(loadVector(dst) + lo, dst)
            storeVector(loadVector(dst + 8) + hi, dst + 8)
        } else {
            storeVector(lo, dst)
            storeVector(hi, dst + 8)
        }
    } else {
        for lane in 0..<valid {
            let v = lane < 8 ? lo[lane] : hi[lane - 8]
            dst[lane] = accumulate ? dst[lane] + v : v
        }
    }
}

/// Fast forward: register tiles of 4 output channels x 16 positions, SIMD over positions.
@inline(__always)
func circularConvForwardFast<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int,
    accumulate: Bool
) {
    let half = f / 2
    let padStride = circularPadStride(ringSize: n, kernel: f)
    let wStride = cIn * f
    for b in 0..<batch {
        fillWrapped(scratch, padStride: padStride, input + b * cIn * n, channels: cIn, n: n, half: half)
        let outB = out + b * cOut * n
        var o0 = 0
        while o0 + 4 <= cOut {
            let w0 = weight + o0 * wStride, w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride
            var i0 = 0
            while i0 < n {
                var a0l = SIMD8<T>(), a0h = SIMD8<T>(), a1l = SIMD8<T>(), a1h = SIMD8<T>()
                var a2l = SIMD8<T>(), a2h = SIMD8<T>(), a3l = SIMD8<T>(), a3h = SIMD8<T>()
                for ch in 0..<cIn {
                    let row = UnsafePointer(scratch + ch * padStride + i0)
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
                let valid = n - i0
                storeRow(outB + (o0 + 0) * n + i0, a0l, a0h, valid: valid, accumulate: accumulate)
                storeRow(outB + (o0 + 1) * n + i0, a1l, a1h, valid: valid, accumulate: accumulate)
                storeRow(outB + (o0 + 2) * n + i0, a2l, a2h, valid: valid, accumulate: accumulate)
                storeRow(outB + (o0 + 3) * n + i0, a3l, a3h, valid: valid, accumulate: accumulate)
                i0 += 16
            }
            o0 += 4
        }
        while o0 < cOut {
            let w0 = weight + o0 * wStride
            var i0 = 0
            while i0 < n {
                var al = SIMD8<T>(), ah = SIMD8<T>()
                for ch in 0..<cIn {
                    let row = UnsafePointer(scratch + ch * padStride + i0)
                    for k in 0..<f {
                        let s = SIMD8<T>(repeating: w0[ch * f + k])
                        al.addProduct(s, loadVector(row + k)); ah.addProduct(s, loadVector(row + k + 8))
                    }
                }
                storeRow(outB + o0 * n + i0, al, ah, valid: n - i0, accumulate: accumulate)
                i0 += 16
            }
            o0 += 1
        }
    }
}

/// Fast weight gradient, dweight[o, ch, k] += sum_{b, i} dout[b, o, i] * input[b, ch, (i + k - f/2) mod n].
/// For f = 3 the three taps share each output-gradient load (12 accumulators per tile).
@inline(__always)
func circularConvWeightGradFast<T: Scalar>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    let half = f / 2
    let padStride = circularPadStride(ringSize: n, kernel: f)
    let chunked = (n + 15) / 16 * 16
    let padIn = scratch
    let padOut = scratch + cIn * padStride
    for b in 0..<batch {
        fillWrapped(padIn, padStride: padStride, input + b * cIn * n, channels: cIn, n: n, half: half)
        for o in 0..<cOut {
            let src = dout + (b * cOut + o) * n
            let dst = padOut + o * chunked
            for i in 0..<n { dst[i] = src[i] }
            for i in n..<chunked { dst[i] = 0 }
        }
        for o in 0..<cOut {
            let g = UnsafePointer(padOut + o * chunked)
            let dw = dweight + o * cIn * f
            var ch = 0
            if f == 3 {
                while ch + 2 <= cIn {
                    let x0 = UnsafePointer(padIn + ch * padStride), x1 = x0 + padStride
                    var a00 = SIMD8<T>(), a01 = SIMD8<T>(), a02 = SIMD8<T>()
                    var a10 = SIMD8<T>(), a11 = SIMD8<T>(), a12 = SIMD8<T>()
                    var i = 0
                    while i < chunked {
                        let gv = loadVector(g + i)
                        a00.addProduct(gv, loadVector(x0 + i)); a01.addProduct(gv, loadVector(x0 + i + 1))
                        a02.addProduct(gv, loadVector(x0 + i + 2))
                        a10.addProduct(gv, loadVector(x1 + i)); a11.addProduct(gv, loadVector(x1 + i + 1))
                        a12.addProduct(gv, loadVector(x1 + i + 2))
                        i += 8
                    }
                    dw[ch * 3 + 0] += a00.sum(); dw[ch * 3 + 1] += a01.sum(); dw[ch * 3 + 2] += a02.sum()
                    dw[ch * 3 + 3] += a10.sum(); dw[ch * 3 + 4] += a11.sum(); dw[ch * 3 + 5] += a12.sum()
                    ch += 2
                }
            }
            while ch < cIn {
                let x = UnsafePointer(padIn + ch * padStride)
                for k in 0..<f {
                    var a0 = SIMD8<T>(), a1 = SIMD8<T>()
                    var i = 0
                    while i + 16 <= chunked {
                        a0.addProduct(loadVector(g + i), loadVector(x + i + k))
                        a1.addProduct(loadVector(g + i + 8), loadVector(x + i + k + 8))
                        i += 16
                    }
                    dw[ch * f + k] += (a0 + a1).sum()
                }
                ch += 1
            }
        }
    }
}

/// wT[ch, o, f - 1 - k] = weight[o, ch, k]: the input gradient of a circular
/// cross-correlation is the forward pass of the transposed, flipped kernel.
public func flipTransposeKernel<T>(_ wT: UnsafeMutablePointer<T>, _ weight: UnsafePointer<T>,
                                   channelsOut cOut: Int, channelsIn cIn: Int, kernel f: Int) {
    for o in 0..<cOut { for ch in 0..<cIn { for k in 0..<f {
        wT[(ch * cOut + o) * f + (f - 1 - k)] = weight[(o * cIn + ch) * f + k]
    } } }
}

// MARK: - Plain versions

@inline(__always) func wrap(_ i: Int, _ n: Int) -> Int { ((i % n) + n) % n }

public func referenceCircularConvForward<T: BinaryFloatingPoint>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int, accumulate: Bool
) {
    for b in 0..<batch { for o in 0..<cOut { for i in 0..<n {
        var sum: T = 0
        for ch in 0..<cIn { for k in 0..<f {
            sum += weight[(o * cIn + ch) * f + k] * input[(b * cIn + ch) * n + wrap(i + k - f / 2, n)]
        } }
        let idx = (b * cOut + o) * n + i
        out[idx] = accumulate ? out[idx] + sum : sum
    } } }
}

/// dinput[b, ch, j] (+)= sum_{o, k} weight[o, ch, k] * dout[b, o, (j - k + f/2) mod n]
public func referenceCircularConvInputGrad<T: BinaryFloatingPoint>(
    dinput: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int, accumulate: Bool
) {
    for b in 0..<batch { for ch in 0..<cIn { for j in 0..<n {
        var sum: T = 0
        for o in 0..<cOut { for k in 0..<f {
            sum += weight[(o * cIn + ch) * f + k] * dout[(b * cOut + o) * n + wrap(j - k + f / 2, n)]
        } }
        let idx = (b * cIn + ch) * n + j
        dinput[idx] = accumulate ? dinput[idx] + sum : sum
    } } }
}

public func referenceCircularConvWeightGrad<T: BinaryFloatingPoint>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    for o in 0..<cOut { for ch in 0..<cIn { for k in 0..<f {
        var sum: T = 0
        for b in 0..<batch { for i in 0..<n {
            sum += dout[(b * cOut + o) * n + i] * input[(b * cIn + ch) * n + wrap(i + k - f / 2, n)]
        } }
        dweight[(o * cIn + ch) * f + k] += sum
    } } }
}
