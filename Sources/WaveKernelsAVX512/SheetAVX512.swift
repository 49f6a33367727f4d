// The sheet convolution's products on lanes (WaveKernels/SheetConv.swift) with AVX-512's 32
// registers: tiles twice as large as the portable kernels' 12 AVX2 registers allow, so each
// loaded lane vector meets more weights and each weight more cells. Same layouts, same products;
// the plain versions they are tested against are WaveKernels' reference sheet convolutions.
//   lanes: [channels, h, w, 16], one batch row per lane
//   packed: [output tiles of 6][f * f taps][cIn][6]

#if arch(x86_64)
/// (y + d) mod n for any d (a kernel may be as wide as the sheet).
@inline(__always) func wrapped(_ v: Int, _ n: Int) -> Int {
    var r = v
    while r < 0 { r += n }
    return r >= n ? r % n : r
}

/// out = conv(input) on lanes: tiles of 6 output channels x 4 cells (24 accumulators), the four
/// cells consecutive in y * w + x (across row ends: each cell's taps are wrapped on their own),
/// each weight a broadcast operand of four multiply-adds.
public func sheetLanesForwardAVX512(
    out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, packed: UnsafePointer<Float>,
    channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    let cells = h * w, plane = cells * 16, half = f / 2, taps = f * f
    let tiles = (cOut + 5) / 6
    for t in 0..<tiles {
        let rowsInTile = min(6, cOut - t * 6)
        let tileWeights = packed + t * taps * cIn * 6
        var cell = 0
        while cell < cells {
            let valid = min(4, cells - cell)
            // the tile's cells: a last partial tile repeats its last cell (computed, not stored)
            let c0 = cell, c1 = cell + min(1, valid - 1), c2 = cell + min(2, valid - 1), c3 = cell + min(3, valid - 1)
            // each cell's row and column, once per tile (a division per tap would cost more than its products)
            let y0 = c0 / w, x0 = c0 - y0 * w, y1 = c1 / w, x1 = c1 - y1 * w
            let y2 = c2 / w, x2 = c2 - y2 * w, y3 = c3 / w, x3 = c3 - y3 * w
            var a00 = Vector16(), a01 = Vector16(), a02 = Vector16(), a03 = Vector16()
            var a10 = Vector16(), a11 = Vector16(), a12 = Vector16(), a13 = Vector16()
            var a20 = Vector16(), a21 = Vector16(), a22 = Vector16(), a23 = Vector16()
            var a30 = Vector16(), a31 = Vector16(), a32 = Vector16(), a33 = Vector16()
            var a40 = Vector16(), a41 = Vector16(), a42 = Vector16(), a43 = Vector16()
            var a50 = Vector16(), a51 = Vector16(), a52 = Vector16(), a53 = Vector16()
            for dy in 0..<f {
                for dx in 0..<f {
                    @inline(__always) func source(_ y: Int, _ x: Int) -> Int {
                        (wrapped(y + dy - half, h) * w + wrapped(x + dx - half, w)) * 16
                    }
                    let s0 = source(y0, x0), s1 = source(y1, x1), s2 = source(y2, x2), s3 = source(y3, x3)
                    var channel = input
                    var wt = tileWeights + (dy * f + dx) * cIn * 6
                    for _ in 0..<cIn {
                        let v0 = load(channel + s0), v1 = load(channel + s1), v2 = load(channel + s2), v3 = load(channel + s3)
                        var b = Vector16(repeating: wt[0])
                        a00 = a00.addingProduct(v0, b); a01 = a01.addingProduct(v1, b)
                        a02 = a02.addingProduct(v2, b); a03 = a03.addingProduct(v3, b)
                        b = Vector16(repeating: wt[1])
                        a10 = a10.addingProduct(v0, b); a11 = a11.addingProduct(v1, b)
                        a12 = a12.addingProduct(v2, b); a13 = a13.addingProduct(v3, b)
                        b = Vector16(repeating: wt[2])
                        a20 = a20.addingProduct(v0, b); a21 = a21.addingProduct(v1, b)
                        a22 = a22.addingProduct(v2, b); a23 = a23.addingProduct(v3, b)
                        b = Vector16(repeating: wt[3])
                        a30 = a30.addingProduct(v0, b); a31 = a31.addingProduct(v1, b)
                        a32 = a32.addingProduct(v2, b); a33 = a33.addingProduct(v3, b)
                        b = Vector16(repeating: wt[4])
                        a40 = a40.addingProduct(v0, b); a41 = a41.addingProduct(v1, b)
                        a42 = a42.addingProduct(v2, b); a43 = a43.addingProduct(v3, b)
                        b = Vector16(repeating: wt[5])
                        a50 = a50.addingProduct(v0, b); a51 = a51.addingProduct(v1, b)
                        a52 = a52.addingProduct(v2, b); a53 = a53.addingProduct(v3, b)
                        channel += plane
                        wt += 6
                    }
                }
            }
            @inline(__always) func put(_ r: Int, _ x0: Vector16, _ x1: Vector16, _ x2: Vector16, _ x3: Vector16) {
                guard r < rowsInTile else { return }
                let dst = out + (t * 6 + r) * plane + cell * 16
                store(x0, dst)
                if valid > 1 { store(x1, dst + 16) }
                if valid > 2 { store(x2, dst + 32) }
                if valid > 3 { store(x3, dst + 48) }
            }
            put(0, a00, a01, a02, a03); put(1, a10, a11, a12, a13); put(2, a20, a21, a22, a23)
            put(3, a30, a31, a32, a33); put(4, a40, a41, a42, a43); put(5, a50, a51, a52, a53)
            cell += 4
        }
    }
}

/// dweightLanes[o, i, dy, dx, :] += sum over cells of dout[o, cell, :] * input[i, cell shifted by the tap, :]:
/// tiles of 6 output x 4 input channels (24 accumulators) per tap over every cell, or 6 x 3 when
/// 3 divides the input channels and 4 does not (c = 6 would waste a quarter of its products on a
/// last tile of 4 holding 2).
public func sheetLanesWeightGradAVX512(
    dweightLanes: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, input: UnsafePointer<Float>,
    channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    if cIn % 4 != 0 && cIn % 3 == 0 {
        weightGradTiles6x3(
            dweightLanes: dweightLanes, dout: dout, input: input, channelsOut: cOut, channelsIn: cIn, height: h, width: w, kernel: f)
    } else {
        weightGradTiles6x4(
            dweightLanes: dweightLanes, dout: dout, input: input, channelsOut: cOut, channelsIn: cIn, height: h, width: w, kernel: f)
    }
}

func weightGradTiles6x4(
    dweightLanes: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, input: UnsafePointer<Float>,
    channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    let cells = h * w, plane = cells * 16, half = f / 2, taps = f * f
    var o0 = 0
    while o0 < cOut {
        // a partial tile repeats its last channel (computed, not added)
        @inline(__always) func gradient(_ r: Int) -> UnsafePointer<Float> { dout + min(o0 + r, cOut - 1) * plane }
        let d0 = gradient(0), d1 = gradient(1), d2 = gradient(2), d3 = gradient(3), d4 = gradient(4), d5 = gradient(5)
        var i0 = 0
        while i0 < cIn {
            @inline(__always) func channel(_ j: Int) -> UnsafePointer<Float> { input + min(i0 + j, cIn - 1) * plane }
            let x0 = channel(0), x1 = channel(1), x2 = channel(2), x3 = channel(3)
            for dy in 0..<f {
                for dx in 0..<f {
                    var s00 = Vector16(), s01 = Vector16(), s02 = Vector16(), s03 = Vector16()
                    var s10 = Vector16(), s11 = Vector16(), s12 = Vector16(), s13 = Vector16()
                    var s20 = Vector16(), s21 = Vector16(), s22 = Vector16(), s23 = Vector16()
                    var s30 = Vector16(), s31 = Vector16(), s32 = Vector16(), s33 = Vector16()
                    var s40 = Vector16(), s41 = Vector16(), s42 = Vector16(), s43 = Vector16()
                    var s50 = Vector16(), s51 = Vector16(), s52 = Vector16(), s53 = Vector16()
                    for y in 0..<h {
                        let row = wrapped(y + dy - half, h) * w
                        for x in 0..<w {
                            let at = (y * w + x) * 16, shifted = (row + wrapped(x + dx - half, w)) * 16
                            let v0 = load(x0 + shifted), v1 = load(x1 + shifted), v2 = load(x2 + shifted), v3 = load(x3 + shifted)
                            var g = load(d0 + at)
                            s00 = s00.addingProduct(g, v0); s01 = s01.addingProduct(g, v1)
                            s02 = s02.addingProduct(g, v2); s03 = s03.addingProduct(g, v3)
                            g = load(d1 + at)
                            s10 = s10.addingProduct(g, v0); s11 = s11.addingProduct(g, v1)
                            s12 = s12.addingProduct(g, v2); s13 = s13.addingProduct(g, v3)
                            g = load(d2 + at)
                            s20 = s20.addingProduct(g, v0); s21 = s21.addingProduct(g, v1)
                            s22 = s22.addingProduct(g, v2); s23 = s23.addingProduct(g, v3)
                            g = load(d3 + at)
                            s30 = s30.addingProduct(g, v0); s31 = s31.addingProduct(g, v1)
                            s32 = s32.addingProduct(g, v2); s33 = s33.addingProduct(g, v3)
                            g = load(d4 + at)
                            s40 = s40.addingProduct(g, v0); s41 = s41.addingProduct(g, v1)
                            s42 = s42.addingProduct(g, v2); s43 = s43.addingProduct(g, v3)
                            g = load(d5 + at)
                            s50 = s50.addingProduct(g, v0); s51 = s51.addingProduct(g, v1)
                            s52 = s52.addingProduct(g, v2); s53 = s53.addingProduct(g, v3)
                        }
                    }
                    let k = dy * f + dx
                    // each (o, i) pair once: a partial tile's repeated channels are not added again
                    @inline(__always) func add(_ r: Int, _ j: Int, _ v: Vector16) {
                        guard o0 + r < cOut, i0 + j < cIn else { return }
                        let p = dweightLanes + (((o0 + r) * cIn + i0 + j) * taps + k) * 16
                        store(load(p) + v, p)
                    }
                    add(0, 0, s00); add(0, 1, s01); add(0, 2, s02); add(0, 3, s03)
                    add(1, 0, s10); add(1, 1, s11); add(1, 2, s12); add(1, 3, s13)
                    add(2, 0, s20); add(2, 1, s21); add(2, 2, s22); add(2, 3, s23)
                    add(3, 0, s30); add(3, 1, s31); add(3, 2, s32); add(3, 3, s33)
                    add(4, 0, s40); add(4, 1, s41); add(4, 2, s42); add(4, 3, s43)
                    add(5, 0, s50); add(5, 1, s51); add(5, 2, s52); add(5, 3, s53)
                }
            }
            i0 += 4
        }
        o0 += 6
    }
}

/// `weightGradTiles6x4` with three input channels per tile (18 accumulators).
func weightGradTiles6x3(
    dweightLanes: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, input: UnsafePointer<Float>,
    channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    let cells = h * w, plane = cells * 16, half = f / 2, taps = f * f
    var o0 = 0
    while o0 < cOut {
        @inline(__always) func gradient(_ r: Int) -> UnsafePointer<Float> { dout + min(o0 + r, cOut - 1) * plane }
        let d0 = gradient(0), d1 = gradient(1), d2 = gradient(2), d3 = gradient(3), d4 = gradient(4), d5 = gradient(5)
        var i0 = 0
        while i0 < cIn {
            let x0 = input + i0 * plane, x1 = x0 + plane, x2 = x1 + plane // 3 divides cIn
            for dy in 0..<f {
                for dx in 0..<f {
                    var s00 = Vector16(), s01 = Vector16(), s02 = Vector16(), s10 = Vector16(), s11 = Vector16(), s12 = Vector16()
                    var s20 = Vector16(), s21 = Vector16(), s22 = Vector16(), s30 = Vector16(), s31 = Vector16(), s32 = Vector16()
                    var s40 = Vector16(), s41 = Vector16(), s42 = Vector16(), s50 = Vector16(), s51 = Vector16(), s52 = Vector16()
                    for y in 0..<h {
                        let row = wrapped(y + dy - half, h) * w
                        for x in 0..<w {
                            let at = (y * w + x) * 16, shifted = (row + wrapped(x + dx - half, w)) * 16
                            let v0 = load(x0 + shifted), v1 = load(x1 + shifted), v2 = load(x2 + shifted)
                            var g = load(d0 + at)
                            s00 = s00.addingProduct(g, v0); s01 = s01.addingProduct(g, v1); s02 = s02.addingProduct(g, v2)
                            g = load(d1 + at)
                            s10 = s10.addingProduct(g, v0); s11 = s11.addingProduct(g, v1); s12 = s12.addingProduct(g, v2)
                            g = load(d2 + at)
                            s20 = s20.addingProduct(g, v0); s21 = s21.addingProduct(g, v1); s22 = s22.addingProduct(g, v2)
                            g = load(d3 + at)
                            s30 = s30.addingProduct(g, v0); s31 = s31.addingProduct(g, v1); s32 = s32.addingProduct(g, v2)
                            g = load(d4 + at)
                            s40 = s40.addingProduct(g, v0); s41 = s41.addingProduct(g, v1); s42 = s42.addingProduct(g, v2)
                            g = load(d5 + at)
                            s50 = s50.addingProduct(g, v0); s51 = s51.addingProduct(g, v1); s52 = s52.addingProduct(g, v2)
                        }
                    }
                    let k = dy * f + dx
                    @inline(__always) func add(_ r: Int, _ j: Int, _ v: Vector16) {
                        guard o0 + r < cOut else { return }
                        let p = dweightLanes + (((o0 + r) * cIn + i0 + j) * taps + k) * 16
                        store(load(p) + v, p)
                    }
                    add(0, 0, s00); add(0, 1, s01); add(0, 2, s02); add(1, 0, s10); add(1, 1, s11); add(1, 2, s12)
                    add(2, 0, s20); add(2, 1, s21); add(2, 2, s22); add(3, 0, s30); add(3, 1, s31); add(3, 2, s32)
                    add(4, 0, s40); add(4, 1, s41); add(4, 2, s42); add(5, 0, s50); add(5, 1, s51); add(5, 2, s52)
                }
            }
            i0 += 3
        }
        o0 += 6
    }
}
#endif
