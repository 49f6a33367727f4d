// Default implementations of the Scalar kernels. Each conformance's witness calls these with
// a concrete type, so they are compiled once for Float and once for Double.

extension Scalar {
    @inline(__always)
    public static func circularConvForward(
        out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, ringSize: Int, kernel: Int, epilogue: ConvEpilogue<Self>
    ) {
        circularConvForwardFast(
            out: out, input: input, weight: weight, scratch: scratch, batch: batch,
            channelsOut: channelsOut, channelsIn: channelsIn, ringSize: ringSize,
            kernel: kernel, epilogue: epilogue)
    }

    @inline(__always)
    public static func circularConvWeightGrad(
        dweight: UnsafeMutablePointer<Self>, dout: UnsafePointer<Self>, input: UnsafePointer<Self>,
        scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, ringSize: Int, kernel: Int
    ) {
        circularConvWeightGradFast(
            dweight: dweight, dout: dout, input: input, scratch: scratch, batch: batch,
            channelsOut: channelsOut, channelsIn: channelsIn, ringSize: ringSize, kernel: kernel)
    }

    @inline(__always)
    public static func sheetConvForward(
        out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, height: Int, width: Int, kernel: Int, epilogue: ConvEpilogue<Self>
    ) {
        sheetConvForwardFast(
            out: out, input: input, weight: weight, scratch: scratch, batch: batch, channelsOut: channelsOut,
            channelsIn: channelsIn, height: height, width: width, kernel: kernel, epilogue: epilogue)
    }

    @inline(__always)
    public static func sheetConvBackward(
        dinput: UnsafeMutablePointer<Self>?, dweight: UnsafeMutablePointer<Self>?, dout: UnsafePointer<Self>,
        input: UnsafePointer<Self>, weightT: UnsafePointer<Self>?, scratch: UnsafeMutablePointer<Self>,
        batch: Int, channelsOut: Int, channelsIn: Int, height: Int, width: Int, kernel: Int, epilogue: ConvEpilogue<Self>
    ) {
        sheetConvBackwardFast(
            dinput: dinput, dweight: dweight, dout: dout, input: input, weightT: weightT, scratch: scratch, batch: batch,
            channelsOut: channelsOut, channelsIn: channelsIn, height: height, width: width, kernel: kernel, epilogue: epilogue)
    }

    /// out [rows, n] (+)= a [rows, k] b [k, n] for small k (BLAS's packing would cost more than
    /// the arithmetic). Mostly-zero a (one-hot tokens) goes one axpy per nonzero; dense a (the
    /// readout's dlogits) in register tiles of 4 rows x 16 columns, so each loaded row of b
    /// serves four rows and out is written once.
    @inline(__always)
    public static func smallProduct(
        out: UnsafeMutablePointer<Self>, a: UnsafePointer<Self>, b: UnsafePointer<Self>, initial: UnsafePointer<Self>?,
        rows: Int, k: Int, n: Int, accumulate: Bool
    ) {
        guard mostlyNonzero(a, count: rows * k) else {
            for r in 0..<rows {
                let dst = out + r * n
                if !accumulate {
                    if let initial { dst.update(from: initial, count: n) } else { dst.update(repeating: 0, count: n) }
                }
                for p in 0..<k {
                    let coefficient = a[r * k + p]
                    if coefficient == 0 { continue }
                    axpy(dst, coefficient, b + p * n, n)
                }
            }
            return
        }
        let stripeEnd = n / 16 * 16
        var r0 = 0
        while r0 < rows {
            let valid = min(4, rows - r0)
            // rows past `valid` repeat the last valid row and are not stored
            let a0 = a + r0 * k, a1 = a + (r0 + min(1, valid - 1)) * k
            let a2 = a + (r0 + min(2, valid - 1)) * k, a3 = a + (r0 + min(3, valid - 1)) * k
            var i = 0
            while i < stripeEnd {
                @inline(__always) func start(_ row: Int, _ j: Int) -> SIMD8<Self> {
                    if accumulate { return loadVector(out + (r0 + min(row, valid - 1)) * n + j) }
                    if let initial { return loadVector(initial + j) }
                    return SIMD8<Self>()
                }
                var c00 = start(0, i), c01 = start(0, i + 8), c10 = start(1, i), c11 = start(1, i + 8)
                var c20 = start(2, i), c21 = start(2, i + 8), c30 = start(3, i), c31 = start(3, i + 8)
                for p in 0..<k {
                    let b0 = loadVector(b + p * n + i), b1 = loadVector(b + p * n + i + 8)
                    var s = SIMD8<Self>(repeating: a0[p]); c00.addProduct(s, b0); c01.addProduct(s, b1)
                    s = SIMD8<Self>(repeating: a1[p]); c10.addProduct(s, b0); c11.addProduct(s, b1)
                    s = SIMD8<Self>(repeating: a2[p]); c20.addProduct(s, b0); c21.addProduct(s, b1)
                    s = SIMD8<Self>(repeating: a3[p]); c30.addProduct(s, b0); c31.addProduct(s, b1)
                }
                let o = out + r0 * n + i
                storeVector(c00, o); storeVector(c01, o + 8)
                if valid > 1 { storeVector(c10, o + n); storeVector(c11, o + n + 8) }
                if valid > 2 { storeVector(c20, o + 2 * n); storeVector(c21, o + 2 * n + 8) }
                if valid > 3 { storeVector(c30, o + 3 * n); storeVector(c31, o + 3 * n + 8) }
                i += 16
            }
            for r in r0..<(r0 + valid) {
                for j in stripeEnd..<n {
                    var v: Self = accumulate ? out[r * n + j] : (initial?[j] ?? 0)
                    for p in 0..<k { v += a[r * k + p] * b[p * n + j] }
                    out[r * n + j] = v
                }
            }
            r0 += 4
        }
    }

    /// out [k, n] += a^T d for a [rows, k] with small k, d [rows, n]. Mostly-zero a, or k < 4,
    /// goes one axpy per nonzero (out's k rows stay in L1); dense a with k >= 4 in tiles of 6
    /// outputs x 16 columns summed over 64 rows at a time (their d stays in cache across the
    /// column stripes), so out is read and written once per 64 rows instead of once per row and output.
    @inline(__always)
    public static func smallTransposedProduct(
        out: UnsafeMutablePointer<Self>, a: UnsafePointer<Self>, d: UnsafePointer<Self>, rows: Int, k: Int, n: Int
    ) {
        guard k >= 4 && mostlyNonzero(a, count: rows * k) else {
            for r in 0..<rows {
                for p in 0..<k {
                    let coefficient = a[r * k + p]
                    if coefficient == 0 { continue }
                    axpy(out + p * n, coefficient, d + r * n, n)
                }
            }
            return
        }
        let stripeEnd = n / 16 * 16
        var r0 = 0
        while r0 < rows {
            let blockRows = min(64, rows - r0)
            var i = 0
            while i < stripeEnd {
                var p0 = 0
                while p0 < k {
                    let valid = min(6, k - p0)
                    // outputs past `valid` repeat the last valid one and are not stored
                    let q1 = p0 + min(1, valid - 1), q2 = p0 + min(2, valid - 1), q3 = p0 + min(3, valid - 1)
                    let q4 = p0 + min(4, valid - 1), q5 = p0 + min(5, valid - 1)
                    var c00 = SIMD8<Self>(), c01 = SIMD8<Self>(), c10 = SIMD8<Self>(), c11 = SIMD8<Self>()
                    var c20 = SIMD8<Self>(), c21 = SIMD8<Self>(), c30 = SIMD8<Self>(), c31 = SIMD8<Self>()
                    var c40 = SIMD8<Self>(), c41 = SIMD8<Self>(), c50 = SIMD8<Self>(), c51 = SIMD8<Self>()
                    for r in r0..<(r0 + blockRows) {
                        let x0 = loadVector(d + r * n + i), x1 = loadVector(d + r * n + i + 8), ar = a + r * k
                        var s = SIMD8<Self>(repeating: ar[p0]); c00.addProduct(s, x0); c01.addProduct(s, x1)
                        s = SIMD8<Self>(repeating: ar[q1]); c10.addProduct(s, x0); c11.addProduct(s, x1)
                        s = SIMD8<Self>(repeating: ar[q2]); c20.addProduct(s, x0); c21.addProduct(s, x1)
                        s = SIMD8<Self>(repeating: ar[q3]); c30.addProduct(s, x0); c31.addProduct(s, x1)
                        s = SIMD8<Self>(repeating: ar[q4]); c40.addProduct(s, x0); c41.addProduct(s, x1)
                        s = SIMD8<Self>(repeating: ar[q5]); c50.addProduct(s, x0); c51.addProduct(s, x1)
                    }
                    @inline(__always) func add(_ q: Int, _ lo: SIMD8<Self>, _ hi: SIMD8<Self>) {
                        let o = out + (p0 + q) * n + i
                        storeVector(loadVector(o) + lo, o); storeVector(loadVector(o + 8) + hi, o + 8)
                    }
                    add(0, c00, c01)
                    if valid > 1 { add(1, c10, c11) }
                    if valid > 2 { add(2, c20, c21) }
                    if valid > 3 { add(3, c30, c31) }
                    if valid > 4 { add(4, c40, c41) }
                    if valid > 5 { add(5, c50, c51) }
                    p0 += 6
                }
                i += 16
            }
            for p in 0..<k {
                for j in stripeEnd..<n {
                    var v = out[p * n + j]
                    for r in r0..<(r0 + blockRows) { v += a[r * k + p] * d[r * n + j] }
                    out[p * n + j] = v
                }
            }
            r0 += blockRows
        }
    }

    /// Whether more than half of a's values are nonzero.
    @inline(__always)
    static func mostlyNonzero(_ a: UnsafePointer<Self>, count: Int) -> Bool {
        var nonzero = 0
        for j in 0..<count where a[j] != 0 { nonzero += 1 }
        return 2 * nonzero > count
    }

    /// out [rows, width] = a [rows, n] b^T for b [width, n], width small: tiles of 2 rows x 4
    /// outputs, so each loaded vector of b serves two rows and each of a four outputs.
    @inline(__always)
    public static func narrowProduct(
        out: UnsafeMutablePointer<Self>, a: UnsafePointer<Self>, b: UnsafePointer<Self>, rows: Int, width: Int, n: Int
    ) {
        let vectorEnd = n / 8 * 8
        var r = 0
        while r < rows {
            let pair = rows - r > 1
            let row0 = a + r * n, row1 = pair ? row0 + n : row0
            var o = 0
            while o < width {
                let count = min(4, width - o)
                let b0 = b + o * n
                let b1 = count > 1 ? b0 + n : b0, b2 = count > 2 ? b1 + n : b1, b3 = count > 3 ? b2 + n : b2
                var s0 = SIMD8<Self>(), s1 = SIMD8<Self>(), s2 = SIMD8<Self>(), s3 = SIMD8<Self>()
                var t0 = SIMD8<Self>(), t1 = SIMD8<Self>(), t2 = SIMD8<Self>(), t3 = SIMD8<Self>()
                var i = 0
                while i < vectorEnd {
                    let x = loadVector(row0 + i), y = loadVector(row1 + i)
                    var w = loadVector(b0 + i); s0.addProduct(x, w); t0.addProduct(y, w)
                    w = loadVector(b1 + i); s1.addProduct(x, w); t1.addProduct(y, w)
                    w = loadVector(b2 + i); s2.addProduct(x, w); t2.addProduct(y, w)
                    w = loadVector(b3 + i); s3.addProduct(x, w); t3.addProduct(y, w)
                    i += 8
                }
                var u0 = s0.sum(), u1 = s1.sum(), u2 = s2.sum(), u3 = s3.sum()
                var v0 = t0.sum(), v1 = t1.sum(), v2 = t2.sum(), v3 = t3.sum()
                while i < n {
                    u0 += row0[i] * b0[i]; u1 += row0[i] * b1[i]; u2 += row0[i] * b2[i]; u3 += row0[i] * b3[i]
                    v0 += row1[i] * b0[i]; v1 += row1[i] * b1[i]; v2 += row1[i] * b2[i]; v3 += row1[i] * b3[i]
                    i += 1
                }
                let dst = out + r * width + o
                dst[0] = u0
                if count > 1 { dst[1] = u1 }
                if count > 2 { dst[2] = u2 }
                if count > 3 { dst[3] = u3 }
                if pair {
                    let next = dst + width
                    next[0] = v0
                    if count > 1 { next[1] = v1 }
                    if count > 2 { next[2] = v2 }
                    if count > 3 { next[3] = v3 }
                }
                o += count
            }
            r += pair ? 2 : 1
        }
    }

    @inline(__always)
    public static func lstmForward(
        h: UnsafeMutablePointer<Self>, c: UnsafeMutablePointer<Self>, gates a: UnsafeMutablePointer<Self>,
        cPrev: UnsafePointer<Self>, rows: Int, n: Int
    ) {
        let vectorEnd = n / 8 * 8
        for r in 0..<rows {
            let gi = a + r * 4 * n, gf = gi + n, gg = gf + n, go = gg + n
            let cp = cPrev + r * n, cn = c + r * n, hn = h + r * n
            var j = 0
            while j < vectorEnd {
                let i = gateSigmoid8(loadVector(gi + j)), f = gateSigmoid8(loadVector(gf + j))
                let cand = gateTanh8(loadVector(gg + j)), o = gateSigmoid8(loadVector(go + j))
                storeVector(i, gi + j); storeVector(f, gf + j); storeVector(cand, gg + j); storeVector(o, go + j)
                let cell = f * loadVector(cp + j) + i * cand
                storeVector(cell, cn + j)
                storeVector(o * gateTanh8(cell), hn + j)
                j += 8
            }
            while j < n {
                let i = gateSigmoid(gi[j]), f = gateSigmoid(gf[j]), cand = gateTanh(gg[j]), o = gateSigmoid(go[j])
                gi[j] = i; gf[j] = f; gg[j] = cand; go[j] = o
                let cell = f * cp[j] + i * cand
                cn[j] = cell
                hn[j] = o * gateTanh(cell)
                j += 1
            }
        }
    }

    @inline(__always)
    public static func lstmBackward(
        dA: UnsafeMutablePointer<Self>, dc: UnsafeMutablePointer<Self>, dh: UnsafePointer<Self>,
        gates: UnsafePointer<Self>, c: UnsafePointer<Self>, cPrev: UnsafePointer<Self>, rows: Int, n: Int
    ) {
        let vectorEnd = n / 8 * 8
        for r in 0..<rows {
            let gi = gates + r * 4 * n, gf = gi + n, gg = gf + n, go = gg + n
            let di = dA + r * 4 * n, df = di + n, dg = df + n, dout = dg + n
            let dcr = dc + r * n, dhr = dh + r * n, cr = c + r * n, cp = cPrev + r * n
            var j = 0
            while j < vectorEnd {
                let i = loadVector(gi + j), f = loadVector(gf + j), cand = loadVector(gg + j), o = loadVector(go + j)
                let tc = gateTanh8(loadVector(cr + j)), dhv = loadVector(dhr + j)
                let dcell = loadVector(dcr + j) + dhv * o * (1 - tc * tc)
                storeVector(dcell * cand * i * (1 - i), di + j)
                storeVector(dcell * loadVector(cp + j) * f * (1 - f), df + j)
                storeVector(dcell * i * (1 - cand * cand), dg + j)
                storeVector(dhv * tc * o * (1 - o), dout + j)
                storeVector(dcell * f, dcr + j)
                j += 8
            }
            while j < n {
                let i = gi[j], f = gf[j], cand = gg[j], o = go[j]
                let tc = gateTanh(cr[j])
                let dcell = dcr[j] + dhr[j] * o * (1 - tc * tc)
                di[j] = dcell * cand * i * (1 - i)
                df[j] = dcell * cp[j] * f * (1 - f)
                dg[j] = dcell * i * (1 - cand * cand)
                dout[j] = dhr[j] * tc * o * (1 - o)
                dcr[j] = dcell * f
                j += 1
            }
        }
    }

    @inline(__always)
    public static func gruForward(
        h: UnsafeMutablePointer<Self>, gates: UnsafeMutablePointer<Self>, hn: UnsafeMutablePointer<Self>,
        ax: UnsafePointer<Self>, ah: UnsafePointer<Self>, hPrev: UnsafePointer<Self>, rows: Int, n: Int
    ) {
        let vectorEnd = n / 8 * 8
        for r in 0..<rows {
            let x = ax + r * 3 * n, y = ah + r * 3 * n, g = gates + r * 3 * n
            let hp = hPrev + r * n, hr = h + r * n, hnr = hn + r * n
            var j = 0
            while j < vectorEnd {
                let reset = gateSigmoid8(loadVector(x + j) + loadVector(y + j))
                let update = gateSigmoid8(loadVector(x + n + j) + loadVector(y + n + j))
                let yn = loadVector(y + 2 * n + j)
                let candidate = gateTanh8(loadVector(x + 2 * n + j) + reset * yn)
                storeVector(reset, g + j); storeVector(update, g + n + j); storeVector(candidate, g + 2 * n + j)
                storeVector(yn, hnr + j)
                storeVector((1 - update) * candidate + update * loadVector(hp + j), hr + j)
                j += 8
            }
            while j < n {
                let reset = gateSigmoid(x[j] + y[j]), update = gateSigmoid(x[n + j] + y[n + j])
                let candidate = gateTanh(x[2 * n + j] + reset * y[2 * n + j])
                g[j] = reset; g[n + j] = update; g[2 * n + j] = candidate
                hnr[j] = y[2 * n + j]
                hr[j] = (1 - update) * candidate + update * hp[j]
                j += 1
            }
        }
    }

    @inline(__always)
    public static func gruBackward(
        dAx: UnsafeMutablePointer<Self>, dAh: UnsafeMutablePointer<Self>, dhDirect: UnsafeMutablePointer<Self>,
        dh: UnsafePointer<Self>, gates: UnsafePointer<Self>, hn: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
        rows: Int, n: Int
    ) {
        for r in 0..<rows {
            let g = gates + r * 3 * n, dx = dAx + r * 3 * n, dy = dAh + r * 3 * n
            let dhr = dh + r * n, hp = hPrev + r * n, hnr = hn + r * n, direct = dhDirect + r * n
            for j in 0..<n {
                let reset = g[j], update = g[n + j], candidate = g[2 * n + j]
                let dCandidatePre = dhr[j] * (1 - update) * (1 - candidate * candidate)
                let dUpdatePre = dhr[j] * (hp[j] - candidate) * update * (1 - update)
                let dResetPre = dCandidatePre * hnr[j] * reset * (1 - reset)
                dx[j] = dResetPre; dx[n + j] = dUpdatePre; dx[2 * n + j] = dCandidatePre
                dy[j] = dResetPre; dy[n + j] = dUpdatePre; dy[2 * n + j] = dCandidatePre * reset
                direct[j] = dhr[j] * update
            }
        }
    }

    @inline(__always)
    public static func locallyConnectedForward(
        out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
    ) {
        let half = f / 2
        for b in 0..<batch {
            for o in 0..<cOut {
                for ch in 0..<cIn {
                    let x = input + (b * cIn + ch) * n, y = out + (b * cOut + o) * n
                    let w = weight + (o * cIn + ch) * n * f
                    for i in 0..<n {
                        var sum: Self = 0
                        for k in 0..<f { sum += w[i * f + k] * x[((i + k - half) % n + n) % n] }
                        y[i] += sum
                    }
                }
            }
        }
    }

    @inline(__always)
    public static func locallyConnectedInputGrad(
        dinput: UnsafeMutablePointer<Self>, dout: UnsafePointer<Self>, weight: UnsafePointer<Self>,
        batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
    ) {
        let half = f / 2
        dinput.update(repeating: 0, count: batch * cIn * n)
        for b in 0..<batch {
            for o in 0..<cOut {
                for ch in 0..<cIn {
                    let g = dout + (b * cOut + o) * n, dx = dinput + (b * cIn + ch) * n
                    let w = weight + (o * cIn + ch) * n * f
                    for i in 0..<n { for k in 0..<f { dx[((i + k - half) % n + n) % n] += w[i * f + k] * g[i] } }
                }
            }
        }
    }

    @inline(__always)
    public static func locallyConnectedWeightGrad(
        dweight: UnsafeMutablePointer<Self>, dout: UnsafePointer<Self>, input: UnsafePointer<Self>,
        batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
    ) {
        let half = f / 2
        for b in 0..<batch {
            for o in 0..<cOut {
                for ch in 0..<cIn {
                    let g = dout + (b * cOut + o) * n, x = input + (b * cIn + ch) * n
                    let dw = dweight + (o * cIn + ch) * n * f
                    for i in 0..<n { for k in 0..<f { dw[i * f + k] += g[i] * x[((i + k - half) % n + n) % n] } }
                }
            }
        }
    }

    /// y += alpha * x
    @inline(__always)
    static func axpy(_ y: UnsafeMutablePointer<Self>, _ alpha: Self, _ x: UnsafePointer<Self>, _ count: Int) {
        let s = SIMD8<Self>(repeating: alpha)
        let vectorEnd = count / 8 * 8
        var j = 0
        while j < vectorEnd {
            var v = loadVector(y + j)
            v.addProduct(s, loadVector(x + j))
            storeVector(v, y + j)
            j += 8
        }
        while j < count { y[j] += alpha * x[j]; j += 1 }
    }

    @inline(__always)
    public static func biasActivation(
        out: UnsafeMutablePointer<Self>, pre: UnsafePointer<Self>, bias: UnsafePointer<Self>,
        rows: Int, cols: Int, activation: Activation
    ) {
        for r in 0..<rows {
            let src = pre + r * cols, dst = out + r * cols
            switch activation {
            case .relu: for j in 0..<cols { let v = src[j] + bias[j]; dst[j] = v < 0 ? 0 : v }
            case .tanh: for j in 0..<cols { dst[j] = elementaryTanh(src[j] + bias[j]) }
            case .identity: for j in 0..<cols { dst[j] = src[j] + bias[j] }
            }
        }
    }

    @inline(__always)
    public static func activationBackward(
        dpre: UnsafeMutablePointer<Self>, dh: UnsafePointer<Self>, h: UnsafePointer<Self>,
        count: Int, activation: Activation
    ) {
        switch activation {
        case .relu: for j in 0..<count { dpre[j] = h[j] > 0 ? dh[j] : 0 }
        case .tanh: for j in 0..<count { dpre[j] = dh[j] * (1 - h[j] * h[j]) }
        case .identity: if dpre != UnsafeMutablePointer(mutating: dh) { for j in 0..<count { dpre[j] = dh[j] } }
        }
    }

    @inline(__always)
    public static func addColumnSums(out: UnsafeMutablePointer<Self>, input: UnsafePointer<Self>, rows: Int, cols: Int) {
        for r in 0..<rows { add(out: out, input + r * cols, count: cols) }
    }

    @inline(__always)
    public static func addBias(out: UnsafeMutablePointer<Self>, bias: UnsafePointer<Self>, rows: Int, cols: Int) {
        for r in 0..<rows { add(out: out + r * cols, bias, count: cols) }
    }

    @inline(__always)
    public static func add(out: UnsafeMutablePointer<Self>, _ a: UnsafePointer<Self>, count: Int) {
        let vectorEnd = count / 8 * 8
        var j = 0
        while j < vectorEnd { storeVector(loadVector(out + j) + loadVector(a + j), out + j); j += 8 }
        while j < count { out[j] += a[j]; j += 1 }
    }

    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Self>, by factor: Self, count: Int) {
        for j in 0..<count { x[j] *= factor }
    }

    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Self>, count: Int) -> Double {
        var total = 0.0
        for j in 0..<count { let v = Double(x[j]); total += v * v }
        return total
    }

    @inline(__always)
    public static func softmaxCrossEntropy(
        dlogits: UnsafeMutablePointer<Self>, logits: UnsafePointer<Self>, targets: UnsafePointer<Int32>,
        rows: Int, classes: Int, gradScale: Self
    ) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let z = logits + r * classes, dz = dlogits + r * classes
            let target = Int(targets[r])
            if target < 0 { for j in 0..<classes { dz[j] = 0 }; continue }
            var maxLogit = z[0]
            for j in 1..<classes where z[j] > maxLogit { maxLogit = z[j] }
            if !maxLogit.isFinite { maxLogit = 0 } // let NaN/Inf reach the loss and stop the run
            var sum: Self = 0
            for j in 0..<classes { let e = elementaryExp(z[j] - maxLogit); dz[j] = e; sum += e }
            total += Double(elementaryLog(sum) - (z[target] - maxLogit))
            let inverse = gradScale / sum
            for j in 0..<classes { dz[j] *= inverse }
            dz[target] -= gradScale
        }
        return total
    }

    @inline(__always)
    public static func squaredError(
        dpred: UnsafeMutablePointer<Self>, pred: UnsafePointer<Self>, target: UnsafePointer<Self>,
        count: Int, gradScale: Self
    ) -> Double {
        var total = 0.0
        for j in 0..<count {
            let diff = pred[j] - target[j]
            total += Double(diff) * Double(diff)
            dpred[j] = 2 * diff * gradScale
        }
        return total
    }

    @inline(__always)
    public static func adamUpdate(
        params: UnsafeMutablePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
        grads: UnsafePointer<Self>, count: Int,
        learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, step: Int
    ) {
        // Bias corrections in Double, as PyTorch computes them on the host.
        let correction1 = 1 - pow(beta1, Double(step))
        let correction2Root = (1 - pow(beta2, Double(step))).squareRoot()
        let stepSize = Self(learningRate / correction1)
        let b1 = Self(beta1), b2 = Self(beta2), eps = Self(epsilon)
        let c2 = Self(correction2Root)
        for j in 0..<count {
            let g = grads[j]
            let mj = m[j] + (1 - b1) * (g - m[j])
            let vj = b2 * v[j] + (1 - b2) * g * g
            m[j] = mj; v[j] = vj
            params[j] -= stepSize * mj / (vj.squareRoot() / c2 + eps)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
