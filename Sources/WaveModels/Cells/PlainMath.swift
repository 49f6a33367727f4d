import Foundation

/// What the plain (oracle) cell forwards share: written for reading, in Double, one row and one
/// step at a time, with no SIMD, BLAS or saved state. The fast cells are tested against them.
enum Plain {
    /// W x + b for W [rows, x.count] row-major.
    static func linear(_ w: ArraySlice<Double>, _ b: ArraySlice<Double>, _ x: [Double]) -> [Double] {
        let rows = b.count, w = Array(w), b = Array(b)
        return (0..<rows).map { i in b[i] + x.indices.reduce(0) { $0 + w[i * x.count + $1] * x[$1] } }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// Consecutive tensors of `params`, in layout order.
    struct Reader {
        let params: [Double]
        var offset = 0
        init(_ params: [Double]) { self.params = params }
        mutating func take(_ count: Int) -> ArraySlice<Double> {
            defer { offset += count }
            return params[offset..<(offset + count)]
        }
    }
}
