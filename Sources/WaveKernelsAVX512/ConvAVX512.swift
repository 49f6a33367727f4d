// The circular convolution's inner products on 16-lane AVX-512 vectors. This target alone is
// compiled for Skylake-X's AVX-512 set (F, CD, BW, DQ, VL); the rest of the binary stays portable
// (x86-64-v3), and WaveCore calls in here only after the CPU says it has that set
// (`KernelPath`). Nothing here runs at load time.
//
// Both kernels read "columns", the im2col form of one batch row's rings:
//   column j = ch * f + k (depth K = cIn * f) holds input[ch, (i + k - f/2) mod n] for
//   i < positions (a multiple of 16, at least n), at columns + ch * channelStride + k * tapStride,
// so the convolution is a plain product with the weight [cOut, K]. With tapStride 1 that is the
// wrapped, padded ring itself (one copy, unaligned loads); with tapStride = positions it is
// im2col proper (f copies, aligned loads).
// The plain versions they are tested against are WaveCore's reference convolutions.

#if arch(x86_64)
public typealias Vector16 = SIMD16<Float>

@inline(__always) func load(_ p: UnsafePointer<Float>) -> Vector16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vector16.self)
}
@inline(__always) func store(_ v: Vector16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector16.self)
}

/// What a forward tile does with its sums v before they leave the registers, for one batch row
/// whose ring length n is the product's positions:
///   store: out = v + addend + bias           accumulate: out += v + addend + bias
///   relu:  out = max(v + addend + bias, 0)    reluGradient: out = (v + addend) * (h > 0)
/// then columnSums += out when given. out, addend and h are this batch row's [rows, n]; bias and
/// columnSums [rows, n]. (tanh is finished outside, from raw sums.)
public struct FusedEpilogue {
    public enum Kind { case store, accumulate, relu, reluGradient }
    public var kind: Kind
    public var ringSize: Int
    public var out: UnsafeMutablePointer<Float>
    public var addend: UnsafePointer<Float>?
    public var bias: UnsafePointer<Float>?
    public var activationOutput: UnsafePointer<Float>?
    public var columnSums: UnsafeMutablePointer<Float>?
    public init(
        kind: Kind, ringSize: Int, out: UnsafeMutablePointer<Float>, addend: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        activationOutput: UnsafePointer<Float>?, columnSums: UnsafeMutablePointer<Float>?
    ) {
        self.kind = kind; self.ringSize = ringSize; self.out = out; self.addend = addend; self.bias = bias
        self.activationOutput = activationOutput; self.columnSums = columnSums
    }

    /// The finished value at out[index ..< index + 16] from its raw sums: addend and bias added,
    /// then the kind's step; `accumulated` turns the sum into what accumulate stores.
    @inline(__always)
    func finished(_ sums: Vector16, index: Int, accumulated: (Vector16) -> Vector16) -> Vector16 {
        var v = sums
        if let addend { v += load(addend + index) }
        if let bias { v += load(bias + index) }
        switch kind {
        case .store: return v
        case .accumulate: return accumulated(v)
        case .relu:
            // on the bit patterns: negative lanes (sign bit set) become +0
            let bits = unsafeBitCast(v, to: SIMD16<Int32>.self)
            return unsafeBitCast(bits & ~(bits &>> 31), to: Vector16.self)
        case .reluGradient:
            let hb = unsafeBitCast(load(activationOutput! + index), to: SIMD16<Int32>.self)
            let notPositive = (hb | (hb &- 1)) &>> 31 // all ones where h <= 0
            return unsafeBitCast(unsafeBitCast(v, to: SIMD16<Int32>.self) & ~notPositive, to: Vector16.self)
        }
    }

    @inline(__always)
    func finish(_ sums: Vector16, row o: Int, position i: Int) {
        let index = o * ringSize + i
        let v = finished(sums, index: index) { $0 + load(out + index) }
        store(v, out + index)
        if let columnSums { store(load(columnSums + index) + v, columnSums + index) }
    }

    /// As `finish`, for the last vector of a ring whose length is not a multiple of 16: it ends
    /// at the ring's end and overlaps the vector before, whose lanes below `firstNew` it
    /// recomputes to the same values (store, relu, relu gradient) or keeps (accumulate). Only the
    /// new lanes go into the column sums, one by one: a vector load there would overlap the
    /// vector just stored and wait for it.
    @inline(__always)
    func finishOverlapping(_ sums: Vector16, row o: Int, firstNew: Int) {
        let index = o * ringSize + ringSize - 16
        let v = finished(sums, index: index) { sum in
            // all ones on the new lanes: lane index - firstNew is not negative there
            let new = ~((SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) &- Int32(firstNew)) &>> 31)
            return masked(sum, new) + load(out + index)
        }
        store(v, out + index)
        if let columnSums { for lane in firstNew..<16 { columnSums[index + lane] += v[lane] } }
    }
}

/// v on the lanes where mask is all ones, zero elsewhere.
@inline(__always) func masked(_ v: Vector16, _ mask: SIMD16<Int32>) -> Vector16 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD16<Int32>.self) & mask, to: Vector16.self)
}

/// Finishes rows o < rows of raw sums (row o at raw + o * rawStride, the epilogue's ring length
/// n >= 16 long) into the epilogue's output, 16 lanes at a time; a last partial vector ends at n
/// and overlaps the one before (`finishOverlapping`). For the rings laid end to end, whose tiles
/// cannot apply the epilogue themselves.
public func finishRowsAVX512(raw: UnsafePointer<Float>, rawStride: Int, rows: Int, epilogue e: FusedEpilogue) {
    let n = e.ringSize, whole = n / 16 * 16
    // one loop per kind, so the choice is not made per vector
    @inline(__always) func run(_ kind: FusedEpilogue.Kind) {
        var e = e
        e.kind = kind
        for o in 0..<rows {
            let row = raw + o * rawStride
            var i = 0
            while i < whole { e.finish(load(row + i), row: o, position: i); i += 16 }
            if whole < n { e.finishOverlapping(load(row + n - 16), row: o, firstNew: 16 - (n - whole)) }
        }
    }
    switch e.kind {
    case .store: run(.store)
    case .accumulate: run(.accumulate)
    case .relu: run(.relu)
    case .reluGradient: run(.reluGradient)
    }
}

/// raw[o, i] = sum_{j < K} weight[o, j] * columns[j, i] for o < rows, i < positions; with an
/// epilogue (positions then equal its ring length) the finished values go straight to its
/// output instead.
/// Row tiles of 8 (when 8 divides rows), 9 (when 9 does) or else 6 (a last, partial tile repeats
/// its last row, so `raw` must hold `rows` rounded up to 6), each as wide as the 32 registers
/// allow (6 x 64, 8 x 32, 9 x 32 positions), narrower tiles taking the last positions. Each
/// weight is a broadcast operand of its multiply-adds.
/// - raw: [rows rounded up to 6, rawStride]; columns: [channels, f] rows as above; weight: [rows, K]
public func convForwardAVX512(
    raw: UnsafeMutablePointer<Float>, rawStride: Int,
    columns: UnsafePointer<Float>, channelStride: Int, tapStride: Int, weight: UnsafePointer<Float>,
    rows: Int, channels: Int, kernel f: Int, positions: Int, epilogue e: FusedEpilogue? = nil
) {
    let tileRows = rows % 8 == 0 ? 8 : rows % 9 == 0 ? 9 : 6
    let widest = tileRows == 6 ? 4 : 2 // 16-lane vectors per row of the widest tile
    let depth = channels * f
    var o0 = 0
    while o0 < rows {
        let valid = min(tileRows, rows - o0)
        let out = raw + o0 * rawStride, w = weight + o0 * depth
        var i0 = 0, vectors = widest
        while i0 < positions {
            while i0 + 16 * vectors > positions { vectors /= 2 }
            let at = (out + i0, rawStride, columns + i0, channelStride, tapStride, w, depth, channels, f)
            switch (tileRows, vectors) {
            case (6, 4): forwardTile6x4(at.0, at.1, at.2, at.3, at.4, at.5, at.6, at.7, at.8, e, firstRow: o0, valid: valid, position: i0)
            case (6, 2): forwardTile6x2(at.0, at.1, at.2, at.3, at.4, at.5, at.6, at.7, at.8, e, firstRow: o0, valid: valid, position: i0)
            case (6, _): forwardTile6x1(at.0, at.1, at.2, at.3, at.4, at.5, at.6, at.7, at.8, e, firstRow: o0, valid: valid, position: i0)
            case (8, 2): forwardTile8x2(at.0, at.1, at.2, at.3, at.4, at.5, at.6, at.7, at.8, e, firstRow: o0, valid: valid, position: i0)
            case (8, _): forwardTile8x1(at.0, at.1, at.2, at.3, at.4, at.5, at.6, at.7, at.8, e, firstRow: o0, valid: valid, position: i0)
            case (_, 2): forwardTile9x2(at.0, at.1, at.2, at.3, at.4, at.5, at.6, at.7, at.8, e, firstRow: o0, valid: valid, position: i0)
            default: forwardTile9x1(at.0, at.1, at.2, at.3, at.4, at.5, at.6, at.7, at.8, e, firstRow: o0, valid: valid, position: i0)
            }
            i0 += 16 * vectors
        }
        o0 += tileRows
    }
}

// The forward tiles (forwardTile6x4 ... forwardTile9x1) are in ForwardTiles.swift, generated from one
// template by scripts/generate_avx512_tiles.py.

/// dweight[o, j] += sum_{r < batchRows} sum_{i < positions} gradients[r, o, i] * columns[r, j, i].
/// Tiles of 4 outputs x 6 column rows keep 24 accumulators over all batch rows and positions,
/// then one horizontal sum each. Partial tiles repeat their last row and drop its sums.
/// The gradient rows must be zero past n (the columns there hold finite wrapped values).
/// - dweight: [rows, K]; gradients: [batchRows, rows, positions] (strides given);
///   columns: [batchRows] of the layout above, columnBatchStride apart
public func convWeightGradAVX512(
    dweight: UnsafeMutablePointer<Float>,
    gradients: UnsafePointer<Float>, gradientBatchStride: Int, gradientStride: Int,
    columns: UnsafePointer<Float>, columnBatchStride: Int, channelStride: Int, tapStride: Int,
    batchRows: Int, rows: Int, channels: Int, kernel f: Int, positions: Int
) {
    let depth = channels * f
    var o0 = 0
    while o0 < rows {
        let validO = min(4, rows - o0)
        let go1 = validO > 1 ? 1 : 0, go2 = validO > 2 ? 2 : go1, go3 = validO > 3 ? 3 : go2
        var j0 = 0
        while j0 < depth {
            let validJ = min(6, depth - j0)
            let c1 = validJ > 1 ? 1 : 0, c2 = validJ > 2 ? 2 : c1, c3 = validJ > 3 ? 3 : c2
            let c4 = validJ > 4 ? 4 : c3, c5 = validJ > 5 ? 5 : c4
            var a00 = Vector16(), a01 = Vector16(), a02 = Vector16(), a03 = Vector16(), a04 = Vector16(), a05 = Vector16()
            var a10 = Vector16(), a11 = Vector16(), a12 = Vector16(), a13 = Vector16(), a14 = Vector16(), a15 = Vector16()
            var a20 = Vector16(), a21 = Vector16(), a22 = Vector16(), a23 = Vector16(), a24 = Vector16(), a25 = Vector16()
            var a30 = Vector16(), a31 = Vector16(), a32 = Vector16(), a33 = Vector16(), a34 = Vector16(), a35 = Vector16()
            for r in 0..<batchRows {
                let g0 = gradients + r * gradientBatchStride + o0 * gradientStride
                let g1 = g0 + go1 * gradientStride, g2 = g0 + go2 * gradientStride, g3 = g0 + go3 * gradientStride
                let base = columns + r * columnBatchStride
                @inline(__always) func row(_ j: Int) -> UnsafePointer<Float> { base + (j / f) * channelStride + (j % f) * tapStride }
                let x0 = row(j0), x1 = row(j0 + c1), x2 = row(j0 + c2), x3 = row(j0 + c3), x4 = row(j0 + c4), x5 = row(j0 + c5)
                var i = 0
                while i < positions {
                    let gv0 = load(g0 + i), gv1 = load(g1 + i), gv2 = load(g2 + i), gv3 = load(g3 + i)
                    var x = load(x0 + i)
                    a00.addProduct(gv0, x); a10.addProduct(gv1, x); a20.addProduct(gv2, x); a30.addProduct(gv3, x)
                    x = load(x1 + i)
                    a01.addProduct(gv0, x); a11.addProduct(gv1, x); a21.addProduct(gv2, x); a31.addProduct(gv3, x)
                    x = load(x2 + i)
                    a02.addProduct(gv0, x); a12.addProduct(gv1, x); a22.addProduct(gv2, x); a32.addProduct(gv3, x)
                    x = load(x3 + i)
                    a03.addProduct(gv0, x); a13.addProduct(gv1, x); a23.addProduct(gv2, x); a33.addProduct(gv3, x)
                    x = load(x4 + i)
                    a04.addProduct(gv0, x); a14.addProduct(gv1, x); a24.addProduct(gv2, x); a34.addProduct(gv3, x)
                    x = load(x5 + i)
                    a05.addProduct(gv0, x); a15.addProduct(gv1, x); a25.addProduct(gv2, x); a35.addProduct(gv3, x)
                    i += 16
                }
            }
            @inline(__always) func finish(_ o: Int, _ a: (Vector16, Vector16, Vector16, Vector16, Vector16, Vector16)) {
                guard o < validO else { return }
                let d = dweight + (o0 + o) * depth + j0
                d[0] += a.0.sum()
                if validJ > 1 { d[1] += a.1.sum() }
                if validJ > 2 { d[2] += a.2.sum() }
                if validJ > 3 { d[3] += a.3.sum() }
                if validJ > 4 { d[4] += a.4.sum() }
                if validJ > 5 { d[5] += a.5.sum() }
            }
            finish(0, (a00, a01, a02, a03, a04, a05))
            finish(1, (a10, a11, a12, a13, a14, a15))
            finish(2, (a20, a21, a22, a23, a24, a25))
            finish(3, (a30, a31, a32, a33, a34, a35))
            j0 += 6
        }
        o0 += 4
    }
}
#endif
