// Elementwise steps of the coRNN and LEM cells, 8 lanes at a time; a row's last n mod 8 lanes
// go through the same formula with a partial load and store.

@inline(__always)
func loadLanes<T: Scalar>(_ p: UnsafePointer<T>, _ m: Int) -> SIMD8<T> {
    if m == 8 { return loadVector(p) }
    var v = SIMD8<T>(repeating: 0)
    for i in 0..<m { v[i] = p[i] }
    return v
}

@inline(__always)
func loadLanes<T: Scalar>(_ p: UnsafeMutablePointer<T>, _ m: Int) -> SIMD8<T> { loadLanes(UnsafePointer(p), m) }

@inline(__always)
func storeLanes<T: Scalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ m: Int) {
    if m == 8 { storeVector(v, p); return }
    for i in 0..<m { p[i] = v[i] }
}

extension Scalar {
    /// coRNN, one step: a = tanh(pre + bias) (written over pre); z' = z + dt (a - gamma y - eps z); y' = y + dt z'.
    @inline(__always)
    public static func cornnForward(
        yNext: UnsafeMutablePointer<Self>, zNext: UnsafeMutablePointer<Self>, activation pre: UnsafeMutablePointer<Self>,
        yPrev: UnsafePointer<Self>, zPrev: UnsafePointer<Self>, bias: UnsafePointer<Self>,
        rows: Int, n: Int, dt: Self, gamma: Self, epsilon: Self
    ) {
        let dt = SIMD8(repeating: dt), gamma = SIMD8(repeating: gamma), epsilon = SIMD8(repeating: epsilon)
        for r in 0..<rows {
            let o = r * n
            var j = 0
            while j < n {
                let m = min(8, n - j)
                let a = gateTanh8(loadLanes(pre + o + j, m) + loadLanes(bias + j, m))
                let y = loadLanes(yPrev + o + j, m), z = loadLanes(zPrev + o + j, m)
                let zn = z + dt * (a - gamma * y - epsilon * z)
                storeLanes(a, pre + o + j, m)
                storeLanes(zn, zNext + o + j, m)
                storeLanes(y + dt * zn, yNext + o + j, m)
                j += 8
            }
        }
    }

    /// coRNN, one step back: dz' = dz + dt dy; dpre = dz' dt (1 - a^2) (written over a);
    /// dz = (1 - dt eps) dz'; dy = dy - dt gamma dz' (the W_z, W_y products are added by the cell).
    @inline(__always)
    public static func cornnBackward(
        dpre: UnsafeMutablePointer<Self>, dy: UnsafeMutablePointer<Self>, dz: UnsafeMutablePointer<Self>,
        rows: Int, n: Int, dt: Self, gamma: Self, epsilon: Self
    ) {
        let dt = SIMD8(repeating: dt), gamma = SIMD8(repeating: gamma), epsilon = SIMD8(repeating: epsilon)
        for r in 0..<rows {
            let o = r * n
            var j = 0
            while j < n {
                let m = min(8, n - j)
                let a = loadLanes(dpre + o + j, m), dyv = loadLanes(dy + o + j, m)
                let dzTotal = loadLanes(dz + o + j, m) + dt * dyv
                storeLanes(dzTotal * dt * (1 - a * a), dpre + o + j, m)
                storeLanes((1 - dt * epsilon) * dzTotal, dz + o + j, m)
                storeLanes(dyv - dt * gamma * dzTotal, dy + o + j, m)
                j += 8
            }
        }
    }

    /// LEM, first half of a step. gates [rows, 4N] holds inp2hid(x) = (i_dt1, i_dt2, i_z, i_y), hidden
    /// [rows, 3N] hid2hid(y) = (h_dt1, h_dt2, h_y). Writes s1 = s(i_dt1 + h_dt1), s2 = s(i_dt2 + h_dt2),
    /// ay = tanh(i_y + h_y) into gates (i_z stays) and z' = (1 - dt s2) z + dt s2 ay.
    @inline(__always)
    public static func lemGatesForward(
        zNext: UnsafeMutablePointer<Self>, gates: UnsafeMutablePointer<Self>, hidden: UnsafePointer<Self>,
        zPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self
    ) {
        let dt = SIMD8(repeating: dt)
        for r in 0..<rows {
            let g = gates + r * 4 * n, h = hidden + r * 3 * n, o = r * n
            var j = 0
            while j < n {
                let m = min(8, n - j)
                let s1 = gateSigmoid8(loadLanes(g + j, m) + loadLanes(h + j, m))
                let s2 = gateSigmoid8(loadLanes(g + n + j, m) + loadLanes(h + n + j, m))
                let ay = gateTanh8(loadLanes(g + 3 * n + j, m) + loadLanes(h + 2 * n + j, m))
                let step = dt * s2
                storeLanes(s1, g + j, m); storeLanes(s2, g + n + j, m); storeLanes(ay, g + 3 * n + j, m)
                storeLanes((1 - step) * loadLanes(zPrev + o + j, m) + step * ay, zNext + o + j, m)
                j += 8
            }
        }
    }

    /// LEM, second half: az = tanh(transformed + bias + i_z) (written over i_z); y' = (1 - dt s1) y + dt s1 az.
    @inline(__always)
    public static func lemOutputForward(
        yNext: UnsafeMutablePointer<Self>, gates: UnsafeMutablePointer<Self>, transformed: UnsafePointer<Self>,
        bias: UnsafePointer<Self>, yPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self
    ) {
        let dt = SIMD8(repeating: dt)
        for r in 0..<rows {
            let g = gates + r * 4 * n, o = r * n
            var j = 0
            while j < n {
                let m = min(8, n - j)
                let az = gateTanh8(loadLanes(transformed + o + j, m) + loadLanes(bias + j, m) + loadLanes(g + 2 * n + j, m))
                let step = dt * loadLanes(g + j, m)
                storeLanes(az, g + 2 * n + j, m)
                storeLanes((1 - step) * loadLanes(yPrev + o + j, m) + step * az, yNext + o + j, m)
                j += 8
            }
        }
    }

    /// LEM, back through y' = (1 - dt s1) y + dt s1 az: dA1 over s1, dAz over az, dy *= (1 - dt s1).
    @inline(__always)
    public static func lemOutputBackward(
        gates: UnsafeMutablePointer<Self>, dy: UnsafeMutablePointer<Self>, yPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self
    ) {
        let dt = SIMD8(repeating: dt)
        for r in 0..<rows {
            let g = gates + r * 4 * n, o = r * n
            var j = 0
            while j < n {
                let m = min(8, n - j)
                let s1 = loadLanes(g + j, m), az = loadLanes(g + 2 * n + j, m), dyv = loadLanes(dy + o + j, m)
                let step = dt * s1
                storeLanes(dyv * (az - loadLanes(yPrev + o + j, m)) * dt * s1 * (1 - s1), g + j, m)
                storeLanes(dyv * step * (1 - az * az), g + 2 * n + j, m)
                storeLanes(dyv * (1 - step), dy + o + j, m)
                j += 8
            }
        }
    }

    /// LEM, back through z' = (1 - dt s2) z + dt s2 ay: dA2 over s2, dAy over ay, dz *= (1 - dt s2).
    @inline(__always)
    public static func lemGatesBackward(
        gates: UnsafeMutablePointer<Self>, dz: UnsafeMutablePointer<Self>, zPrev: UnsafePointer<Self>, rows: Int, n: Int, dt: Self
    ) {
        let dt = SIMD8(repeating: dt)
        for r in 0..<rows {
            let g = gates + r * 4 * n, o = r * n
            var j = 0
            while j < n {
                let m = min(8, n - j)
                let s2 = loadLanes(g + n + j, m), ay = loadLanes(g + 3 * n + j, m), dzv = loadLanes(dz + o + j, m)
                let step = dt * s2
                storeLanes(dzv * (ay - loadLanes(zPrev + o + j, m)) * dt * s2 * (1 - s2), g + n + j, m)
                storeLanes(dzv * step * (1 - ay * ay), g + 3 * n + j, m)
                storeLanes(dzv * (1 - step), dz + o + j, m)
                j += 8
            }
        }
    }
}
