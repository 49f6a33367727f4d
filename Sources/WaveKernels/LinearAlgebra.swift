import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Row-major C[n, n] (upper triangle) += Aᵀ A for A[k, n]: the Gram matrix of k rows, through
/// cblas_dsyrk (half the work of the full product). The lower triangle is left as it was.
public func gramAccumulate(_ c: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>, rows k: Int, columns n: Int) {
    guard k > 0, n > 0 else { return }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), 1, a, Int32(n), 1, c, Int32(n))
}

/// The plain version `gramAccumulate` is tested against: every entry of the upper triangle as one sum.
public func referenceGramAccumulate(_ c: UnsafeMutablePointer<Double>, _ a: UnsafePointer<Double>, rows k: Int, columns n: Int) {
    for i in 0..<n {
        for j in i..<n {
            var sum = 0.0
            for r in 0..<k { sum += a[r * n + i] * a[r * n + j] }
            c[i * n + j] += sum
        }
    }
}

/// The eigen-decomposition of a symmetric matrix, A = Q diag(λ) Qᵀ.
public struct SymmetricEigen: Sendable {
    /// λ [n], ascending.
    public let values: [Double]
    /// Q [n, n] row-major: column j (entries j, n + j, 2n + j, ...) is the unit eigenvector of values[j].
    public let vectors: [Double]
    public let size: Int

    /// LAPACK's divide-and-conquer dsyevd (OpenBLAS) where it is linked; the plain Jacobi sweeps
    /// elsewhere. `matrix` [n, n] is read as symmetric from its upper triangle.
    public init(_ matrix: [Double], size n: Int) {
        #if canImport(Accelerate)
        self = SymmetricEigen(jacobi: matrix, size: n)
        #else
        precondition(matrix.count == n * n)
        guard n > 0 else { self = SymmetricEigen(jacobi: matrix, size: n); return }
        // row-major upper = column-major lower: ask LAPACK for 'L'
        var a = matrix, w = [Double](repeating: 0, count: n)
        var info: Int32 = 0, nn = Int32(n), workQuery: Int32 = -1, iworkQuery: Int32 = -1
        var workSize = 0.0, iworkSize: Int32 = 0
        let jobz: CChar = 86, uplo: CChar = 76 // "V", "L"
        withUnsafePointer(to: jobz) { jz in
            withUnsafePointer(to: uplo) { ul in
                dsyevd_(jz, ul, &nn, &a, &nn, &w, &workSize, &workQuery, &iworkSize, &iworkQuery, &info)
                var lwork = Int32(workSize.rounded(.up)), liwork = iworkSize
                var work = [Double](repeating: 0, count: Int(lwork)), iwork = [Int32](repeating: 0, count: Int(liwork))
                dsyevd_(jz, ul, &nn, &a, &nn, &w, &work, &lwork, &iwork, &liwork, &info)
            }
        }
        if info != 0 {
            // LAPACK did not converge (it does not for finite input in practice): the plain sweeps instead
            self = SymmetricEigen(jacobi: matrix, size: n)
            return
        }
        // a holds the eigenvectors column-major: entry (i, j) at a[j * n + i]; store row-major
        var q = [Double](repeating: 0, count: n * n)
        for j in 0..<n { for i in 0..<n { q[i * n + j] = a[j * n + i] } }
        self.init(values: w, vectors: q, size: n)
        #endif
    }

    init(values: [Double], vectors: [Double], size: Int) { self.values = values; self.vectors = vectors; self.size = size }

    /// The plain version: cyclic Jacobi rotations until the off-diagonal part is below 1e-14 of the
    /// norm. O(n³) per sweep; for tests and for platforms without LAPACK.
    public init(jacobi matrix: [Double], size n: Int) {
        precondition(matrix.count == n * n)
        size = n
        var a = matrix
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { off += a[i * n + j] * a[i * n + j] } }
            if off.squareRoot() <= 1e-14 * max(norm, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where a[p * n + q] != 0 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        values = order.map { a[$0 * n + $0] }
        var q = [Double](repeating: 0, count: n * n)
        for (j, source) in order.enumerated() { for i in 0..<n { q[i * n + j] = v[i * n + source] } }
        vectors = q
    }
}
