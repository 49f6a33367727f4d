import WaveKernels
import XCTest
import WaveCore

/// The memory probe's linear algebra: the Gram update and LAPACK's eigen-decomposition against
/// their plain versions, over sizes that are not multiples of any SIMD width.
final class LinearAlgebraTests: XCTestCase {
    func testGramUpdateMatchesPlainSumsOverShapes() {
        var rng = RandomStream(seed: 21)
        for (rows, columns) in [(1, 1), (3, 5), (17, 9), (64, 33), (130, 70)] {
            let a = (0..<(rows * columns)).map { _ in rng.uniform(-1, 1) }
            let start = (0..<(columns * columns)).map { _ in rng.uniform(-1, 1) }
            var fast = start, plain = start
            a.withUnsafeBufferPointer { ap in
                fast.withUnsafeMutableBufferPointer { gramAccumulate($0.baseAddress!, ap.baseAddress!, rows: rows, columns: columns) }
                plain.withUnsafeMutableBufferPointer {
                    referenceGramAccumulate($0.baseAddress!, ap.baseAddress!, rows: rows, columns: columns)
                }
            }
            for i in 0..<columns {
                for j in 0..<columns {
                    // the upper triangle is updated, the lower one left as it was
                    XCTAssertEqual(fast[i * columns + j], j >= i ? plain[i * columns + j] : start[i * columns + j], accuracy: 1e-10)
                }
            }
        }
    }

    func testEigenDecompositionMatchesJacobiAndRebuildsTheMatrix() {
        var rng = RandomStream(seed: 22)
        for n in [1, 2, 5, 17, 40] {
            // a symmetric matrix with a repeated eigenvalue's worth of structure: BᵀB plus a diagonal
            let b = (0..<(n * n)).map { _ in rng.uniform(-1, 1) }
            var a = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += b[k * n + i] * b[k * n + j] } } }
            for i in 0..<n { a[i * n + i] += 0.5 }
            let fast = SymmetricEigen(a, size: n), plain = SymmetricEigen(jacobi: a, size: n)
            for j in 0..<n { XCTAssertEqual(fast.values[j], plain.values[j], accuracy: 1e-9 * max(1, abs(plain.values[j]))) }
            XCTAssertEqual(fast.values, fast.values.sorted())
            for e in [fast, plain] {
                // Q diag(λ) Qᵀ = A and QᵀQ = I
                for i in 0..<n {
                    for j in 0..<n {
                        var rebuilt = 0.0, gram = 0.0
                        for k in 0..<n {
                            rebuilt += e.vectors[i * n + k] * e.values[k] * e.vectors[j * n + k]
                            gram += e.vectors[k * n + i] * e.vectors[k * n + j]
                        }
                        XCTAssertEqual(rebuilt, a[i * n + j], accuracy: 1e-9 * Double(n))
                        XCTAssertEqual(gram, i == j ? 1 : 0, accuracy: 1e-10)
                    }
                }
            }
        }
    }
}
