// The 2-D wave RNN's convolution: c channels, each an h x w torus (a sheet), one f x f kernel
// across channels, circular in both directions.
//
//   out[b, o, y, x] = sum_{i, dy, dx} weight[o, i, dy, dx] * input[b, i, (y + dy - f/2) mod h, (x + dx - f/2) mod w]
//
// The fast kernels run 16 batch rows at once, one per SIMD lane: a sheet of 10 x 10 cells gives
// no position-vector a whole number of lanes (a ring of 100 wastes an eighth of its lanes on
// halos; a 10-cell row of a sheet a third), while sequences of the batch always fill them. Each
// call turns its rows into lanes ([c, h, w, 16]: one transpose in, one out), so nothing outside
// this file sees that layout. Wrapping in y and x is index arithmetic on whole lane vectors.
// Plain versions, on the [b, c, h, w] layout and summed in the textbook order, are at the end.

import WaveKernelsAVX512
import WaveKernelsBF16

/// Batch rows the sheet kernels compute together, one per SIMD lane.
public let sheetLanes = 16

/// Scratch the sheet kernels need: the input's lanes, the output's (or output gradient's) lanes,
/// 16 batch rows of raw sums for the epilogue, the weights packed in output tiles, and the
/// weight gradient's lane sums.
public func sheetConvScratchCount(channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int) -> Int {
    let cells = h * w, widest = max(cIn, cOut), weights = sheetOutputTiles(widest) * sheetTile * widest * f * f
    return sheetLanes * cells * (cIn + cOut + 2 * widest) + weights + sheetLanes * cOut * cIn * f * f
}

/// Output channels a forward tile keeps in registers (6 accumulators of 16 lanes: 12 AVX2 registers).
let sheetTile = 6
@inline(__always) func sheetOutputTiles(_ cOut: Int) -> Int { (cOut + sheetTile - 1) / sheetTile }

/// v mod n in 0 ..< n for any v (a kernel may be as wide as the sheet): no division in the usual case.
@inline(__always) func wrappedIndex(_ v: Int, _ n: Int) -> Int {
    var r = v
    while r < 0 { r += n }
    return r >= n ? r % n : r
}

@inline(__always) func loadLanes<T: SIMDScalar>(_ p: UnsafePointer<T>) -> SIMD16<T> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<T>.self)
}
@inline(__always) func storeLanes<T: SIMDScalar>(_ v: SIMD16<T>, _ p: UnsafeMutablePointer<T>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<T>.self)
}

/// lanes[u, l] = rows[l, u] for l < valid, 0 for the lanes past the batch's end.
/// rows: [valid, count] (row stride count); lanes: [count, 16]. Float: transpose.c's 8 x 8 blocks.
@inline(__always)
func rowsToLanes<T: Scalar>(_ lanes: UnsafeMutablePointer<T>, _ rows: UnsafePointer<T>, valid: Int, count: Int) {
    if T.self == Float.self { return wrnn_rows_to_lanes(asFloat(lanes), asFloat(rows), valid, count) }
    for u in 0..<count {
        for l in 0..<sheetLanes { lanes[u * sheetLanes + l] = l < valid ? rows[l * count + u] : 0 }
    }
}

/// rows[l, u] = lanes[u, l] for l < valid. rows: [valid, count]; lanes: [count, 16].
@inline(__always)
func lanesToRows<T: Scalar>(_ rows: UnsafeMutablePointer<T>, _ lanes: UnsafePointer<T>, valid: Int, count: Int) {
    if T.self == Float.self { return wrnn_lanes_to_rows(asFloat(rows), asFloat(lanes), valid, count) }
    for l in 0..<valid {
        for u in 0..<count { rows[l * count + u] = lanes[u * sheetLanes + l] }
    }
}

/// packed[t, dy, dx, i, r] = weight[min(6 t + r, cOut - 1), i, dy, dx]: for one tap (dy, dx) and
/// input channel i, a tile's six weights are adjacent (a partial tile repeats its last channel).
@inline(__always)
func packSheetWeights<T: Scalar>(
    _ packed: UnsafeMutablePointer<T>, _ weight: UnsafePointer<T>, channelsOut cOut: Int, channelsIn cIn: Int, kernel f: Int
) {
    let taps = f * f
    for t in 0..<sheetOutputTiles(cOut) {
        for k in 0..<taps {
            for i in 0..<cIn {
                for r in 0..<sheetTile {
                    let o = min(t * sheetTile + r, cOut - 1)
                    packed[((t * taps + k) * cIn + i) * sheetTile + r] = weight[(o * cIn + i) * taps + k]
                }
            }
        }
    }
}

/// The convolution on lanes: out [cOut, h, w, 16] = conv(input [cIn, h, w, 16]) with the packed weights.
/// Per cell and tap, one lane vector of each input channel meets six output channels' weights.
@inline(__always)
func sheetLanesForward<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, packed: UnsafePointer<T>,
    channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    let cells = h * w, plane = cells * sheetLanes, half = f / 2, taps = f * f
    for t in 0..<sheetOutputTiles(cOut) {
        let rowsInTile = min(sheetTile, cOut - t * sheetTile)
        let tileWeights = packed + t * taps * cIn * sheetTile
        for y in 0..<h {
            for x in 0..<w {
                var a0 = SIMD16<T>(), a1 = SIMD16<T>(), a2 = SIMD16<T>()
                var a3 = SIMD16<T>(), a4 = SIMD16<T>(), a5 = SIMD16<T>()
                for dy in 0..<f {
                    let yy = wrappedIndex(y + dy - half, h)
                    for dx in 0..<f {
                        let xx = wrappedIndex(x + dx - half, w)
                        var src = input + (yy * w + xx) * sheetLanes
                        var wt = tileWeights + (dy * f + dx) * cIn * sheetTile
                        for _ in 0..<cIn {
                            let v = loadLanes(src)
                            a0 = a0.addingProduct(v, SIMD16(repeating: wt[0]))
                            a1 = a1.addingProduct(v, SIMD16(repeating: wt[1]))
                            a2 = a2.addingProduct(v, SIMD16(repeating: wt[2]))
                            a3 = a3.addingProduct(v, SIMD16(repeating: wt[3]))
                            a4 = a4.addingProduct(v, SIMD16(repeating: wt[4]))
                            a5 = a5.addingProduct(v, SIMD16(repeating: wt[5]))
                            src += plane
                            wt += sheetTile
                        }
                    }
                }
                let dst = out + (t * sheetTile * cells + y * w + x) * sheetLanes
                storeLanes(a0, dst)
                if rowsInTile > 1 { storeLanes(a1, dst + plane) }
                if rowsInTile > 2 { storeLanes(a2, dst + 2 * plane) }
                if rowsInTile > 3 { storeLanes(a3, dst + 3 * plane) }
                if rowsInTile > 4 { storeLanes(a4, dst + 4 * plane) }
                if rowsInTile > 5 { storeLanes(a5, dst + 5 * plane) }
            }
        }
    }
}

/// The product on lanes on the path the CPU takes: AVX-512's larger tiles, or the portable ones.
@inline(__always)
func sheetLanesProduct<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, packed: UnsafePointer<T>,
    channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    if T.self == Float.self && KernelPath.current == .avx512 {
        sheetLanesForwardAVX512(
            out: asFloat(out), input: asFloat(input), packed: asFloat(packed), channelsOut: cOut, channelsIn: cIn, height: h, width: w,
            kernel: f)
    } else {
        sheetLanesForward(out: out, input: input, packed: packed, channelsOut: cOut, channelsIn: cIn, height: h, width: w, kernel: f)
    }
}

/// Fast forward (and, with the flipped transposed kernel, the input gradient): 16 batch rows at
/// a time into lanes, the product on lanes, then each row's raw sums through the epilogue
/// (addend, bias, activation or its gradient, column sums) in one vectorised pass.
func sheetConvForwardFast<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int,
    epilogue: ConvEpilogue<T>
) {
    let cells = h * w
    let inLanes = scratch, outLanes = inLanes + cIn * cells * sheetLanes
    let raw = outLanes + max(cIn, cOut) * cells * sheetLanes, packed = raw + sheetLanes * max(cIn, cOut) * cells
    packSheetWeights(packed, weight, channelsOut: cOut, channelsIn: cIn, kernel: f)
    var b0 = 0
    while b0 < batch {
        let valid = min(sheetLanes, batch - b0)
        rowsToLanes(inLanes, input + b0 * cIn * cells, valid: valid, count: cIn * cells)
        sheetLanesProduct(
            out: outLanes, input: inLanes, packed: packed, channelsOut: cOut, channelsIn: cIn, height: h, width: w, kernel: f)
        finishLanes(out, lanes: outLanes, raw: raw, valid: valid, firstRow: b0, channels: cOut, cells: cells, epilogue)
        b0 += sheetLanes
    }
}

/// transpose.c's fused epilogue for `mode`: 0 store, 1 relu, 2 relu's gradient (identity's are 0
/// and the store); nil for accumulate and tanh.
@inline(__always) func fusedMode<T>(_ mode: ConvEpilogue<T>.Mode) -> Int32? {
    switch mode {
    case .store, .activate(.identity), .activationGradient(.identity): return 0
    case .activate(.relu): return 1
    case .activationGradient(.relu): return 2
    case .accumulate, .activate(.tanh), .activationGradient(.tanh): return nil
    }
}

/// The output lanes back to rows and through the epilogue, one batch row at a time.
@inline(__always)
func finishLanes<T: Scalar>(
    _ out: UnsafeMutablePointer<T>, lanes: UnsafePointer<T>, raw: UnsafeMutablePointer<T>, valid: Int, firstRow b0: Int,
    channels: Int, cells: Int, _ epilogue: ConvEpilogue<T>
) {
    // Float with relu or no activation: the epilogue inside the transpose, one pass (transpose.c)
    if T.self == Float.self, let mode = fusedMode(epilogue.mode) {
        let count = channels * cells, at = b0 * count
        return wrnn_lanes_to_rows_fused(
            asFloat(out + at), asFloat(lanes), valid, count, epilogue.addend.map { asFloat($0 + at) },
            epilogue.bias.map { asFloat($0) }, epilogue.activationOutput.map { asFloat($0 + at) }, epilogue.columnSums.map { asFloat($0) },
            mode)
    }
    lanesToRows(raw, lanes, valid: valid, count: channels * cells)
    for l in 0..<valid {
        finishRows(
            out, raw: raw + l * channels * cells, rawStride: cells, rows: channels, firstRow: 0, batchRow: b0 + l,
            channelsOut: channels, ringSize: cells, epilogue)
    }
}

/// Fast backward of one step, sharing the output gradient's lanes between both products:
///   dweight[o, i, dy, dx] += sum_{b, y, x} dout[b, o, y, x] * input[b, i, y + dy - f/2, x + dx - f/2]  (when given)
///   dinput = epilogue(forward of dout with weightT [cIn, cOut, f, f], the flipped transposed kernel)  (when given)
/// both wrapped. The weight gradient keeps, per tap, a tile of 3 output x 2 input channels in six
/// lane accumulators over every cell, summed across lanes once per call.
func sheetConvBackwardFast<T: Scalar>(
    dinput: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>?, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    weightT: UnsafePointer<T>?, scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int, epilogue: ConvEpilogue<T>
) {
    let cells = h * w, plane = cells * sheetLanes, taps = f * f, widest = max(cIn, cOut)
    let inLanes = scratch, doutLanes = inLanes + cIn * plane, dinLanes = doutLanes + cOut * plane
    let raw = dinLanes + widest * plane, packed = raw + widest * plane
    let dweightLanes = packed + sheetOutputTiles(widest) * sheetTile * widest * taps
    if dweight != nil { dweightLanes.update(repeating: 0, count: cOut * cIn * taps * sheetLanes) }
    if let weightT { packSheetWeights(packed, weightT, channelsOut: cIn, channelsIn: cOut, kernel: f) }
    var b0 = 0
    while b0 < batch {
        let valid = min(sheetLanes, batch - b0)
        rowsToLanes(doutLanes, dout + b0 * cOut * cells, valid: valid, count: cOut * cells)
        if dweight != nil {
            rowsToLanes(inLanes, input + b0 * cIn * cells, valid: valid, count: cIn * cells)
            if T.self == Float.self && KernelPath.current == .avx512 {
                sheetLanesWeightGradAVX512(
                    dweightLanes: asFloat(dweightLanes), dout: asFloat(UnsafePointer(doutLanes)), input: asFloat(UnsafePointer(inLanes)),
                    channelsOut: cOut, channelsIn: cIn, height: h, width: w, kernel: f)
            } else {
                sheetLanesWeightGrad(
                    dweightLanes, dout: doutLanes, input: inLanes, channelsOut: cOut, channelsIn: cIn, height: h, width: w, kernel: f)
            }
        }
        if let dinput, weightT != nil {
            sheetLanesProduct(
                out: dinLanes, input: doutLanes, packed: packed, channelsOut: cIn, channelsIn: cOut, height: h, width: w, kernel: f)
            finishLanes(dinput, lanes: dinLanes, raw: raw, valid: valid, firstRow: b0, channels: cIn, cells: cells, epilogue)
        }
        b0 += sheetLanes
    }
    if let dweight {
        for k in 0..<(cOut * cIn * taps) { dweight[k] += loadLanes(dweightLanes + k * sheetLanes).sum() }
    }
}

/// dweightLanes[o, i, dy, dx, :] += sum over cells of dout[o, y, x, :] * input[i, y + dy - f/2, x + dx - f/2, :] on lanes.
@inline(__always)
func sheetLanesWeightGrad<T: Scalar>(
    _ dweightLanes: UnsafeMutablePointer<T>, dout doutLanes: UnsafePointer<T>, input inLanes: UnsafePointer<T>,
    channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    let plane = h * w * sheetLanes, half = f / 2, taps = f * f
    var o0 = 0
    while o0 < cOut {
        let o1 = min(o0 + 1, cOut - 1), o2 = min(o0 + 2, cOut - 1)
        var i0 = 0
        while i0 < cIn {
            let i1 = min(i0 + 1, cIn - 1)
            for dy in 0..<f {
                for dx in 0..<f {
                    var s00 = SIMD16<T>(), s01 = SIMD16<T>(), s10 = SIMD16<T>()
                    var s11 = SIMD16<T>(), s20 = SIMD16<T>(), s21 = SIMD16<T>()
                    for y in 0..<h {
                        let yy = wrappedIndex(y + dy - half, h)
                        for x in 0..<w {
                            let xx = wrappedIndex(x + dx - half, w)
                            let cell = (y * w + x) * sheetLanes, shifted = (yy * w + xx) * sheetLanes
                            let d0 = loadLanes(doutLanes + o0 * plane + cell)
                            let d1 = loadLanes(doutLanes + o1 * plane + cell)
                            let d2 = loadLanes(doutLanes + o2 * plane + cell)
                            let v0 = loadLanes(inLanes + i0 * plane + shifted)
                            let v1 = loadLanes(inLanes + i1 * plane + shifted)
                            s00 = s00.addingProduct(d0, v0); s01 = s01.addingProduct(d0, v1)
                            s10 = s10.addingProduct(d1, v0); s11 = s11.addingProduct(d1, v1)
                            s20 = s20.addingProduct(d2, v0); s21 = s21.addingProduct(d2, v1)
                        }
                    }
                    let k = dy * f + dx
                    func add(_ o: Int, _ i: Int, _ v: SIMD16<T>) {
                        let p = dweightLanes + ((o * cIn + i) * taps + k) * sheetLanes
                        storeLanes(loadLanes(p) + v, p)
                    }
                    add(o0, i0, s00)
                    if i1 > i0 { add(o0, i1, s01) }
                    if o1 > o0 {
                        add(o1, i0, s10)
                        if i1 > i0 { add(o1, i1, s11) }
                    }
                    if o2 > o1 {
                        add(o2, i0, s20)
                        if i1 > i0 { add(o2, i1, s21) }
                    }
                }
            }
            i0 += 2
        }
        o0 += 3
    }
}

// MARK: - Plain versions

/// out[b, o, y, x] (+)= sum_{i, dy, dx} weight[o, i, dy, dx] * input[b, i, (y + dy - f/2) mod h, (x + dx - f/2) mod w]
public func referenceSheetConvForward<T: BinaryFloatingPoint>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int, accumulate: Bool
) {
    let cells = h * w
    for b in 0..<batch {
        for o in 0..<cOut {
            for y in 0..<h {
                for x in 0..<w {
                    var sum: T = 0
                    for i in 0..<cIn {
                        for dy in 0..<f {
                            for dx in 0..<f {
                                let cell = wrap(y + dy - f / 2, h) * w + wrap(x + dx - f / 2, w)
                                sum += weight[((o * cIn + i) * f + dy) * f + dx] * input[(b * cIn + i) * cells + cell]
                            }
                        }
                    }
                    let index = (b * cOut + o) * cells + y * w + x
                    out[index] = accumulate ? out[index] + sum : sum
                }
            }
        }
    }
}

/// dinput[b, i, y, x] (+)= sum_{o, dy, dx} weight[o, i, dy, dx] * dout[b, o, (y - dy + f/2) mod h, (x - dx + f/2) mod w]
public func referenceSheetConvInputGrad<T: BinaryFloatingPoint>(
    dinput: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, weight: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int, accumulate: Bool
) {
    let cells = h * w
    for b in 0..<batch {
        for i in 0..<cIn {
            for y in 0..<h {
                for x in 0..<w {
                    var sum: T = 0
                    for o in 0..<cOut {
                        for dy in 0..<f {
                            for dx in 0..<f {
                                let cell = wrap(y - dy + f / 2, h) * w + wrap(x - dx + f / 2, w)
                                sum += weight[((o * cIn + i) * f + dy) * f + dx] * dout[(b * cOut + o) * cells + cell]
                            }
                        }
                    }
                    let index = (b * cIn + i) * cells + y * w + x
                    dinput[index] = accumulate ? dinput[index] + sum : sum
                }
            }
        }
    }
}

/// dweight[o, i, dy, dx] += sum_{b, y, x} dout[b, o, y, x] * input[b, i, (y + dy - f/2) mod h, (x + dx - f/2) mod w]
public func referenceSheetConvWeightGrad<T: BinaryFloatingPoint>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, height h: Int, width w: Int, kernel f: Int
) {
    let cells = h * w
    for o in 0..<cOut {
        for i in 0..<cIn {
            for dy in 0..<f {
                for dx in 0..<f {
                    var sum: T = 0
                    for b in 0..<batch {
                        for y in 0..<h {
                            for x in 0..<w {
                                let cell = wrap(y + dy - f / 2, h) * w + wrap(x + dx - f / 2, w)
                                sum += dout[(b * cOut + o) * cells + y * w + x] * input[(b * cIn + i) * cells + cell]
                            }
                        }
                    }
                    dweight[((o * cIn + i) * f + dy) * f + dx] += sum
                }
            }
        }
    }
}
