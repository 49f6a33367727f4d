import WaveCore

// Eight lanes at a time for the cells' elementwise steps; a row's last lanes (n not a multiple
// of 8) go through the same code with a partial load and store, so there is one formula.

@inline(__always)
func load8<T: Scalar>(_ p: UnsafePointer<T>, _ m: Int) -> SIMD8<T> {
    if m == 8 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self) }
    var v = SIMD8<T>(repeating: 0)
    for i in 0..<m { v[i] = p[i] }
    return v
}

@inline(__always)
func load8<T: Scalar>(_ p: UnsafeMutablePointer<T>, _ m: Int) -> SIMD8<T> { load8(UnsafePointer(p), m) }

@inline(__always)
func store8<T: Scalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ m: Int) {
    if m == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self); return }
    for i in 0..<m { p[i] = v[i] }
}

/// Calls `body(offset, lanes)` for every block of at most 8 values in a row of `n`.
@inline(__always)
func forEachBlock(_ n: Int, _ body: (Int, Int) -> Void) {
    var j = 0
    while j < n { body(j, min(8, n - j)); j += 8 }
}
