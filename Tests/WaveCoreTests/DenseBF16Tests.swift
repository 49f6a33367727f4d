import Foundation
import WaveKernels
import XCTest
import WaveCore
import WaveTestSupport

/// The dense bf16 products (`--precision bf16` for the iRNN and gated cells) against a Double
/// reference on the same operands rounded to bf16: each product of two bf16 values is exact in
/// fp32, so the plain version and oneDNN may differ from it only by the order and rounding of their
/// fp32 sums. The plain version runs on every CPU; oneDNN where it runs (a CPU with AVX512-BF16 or
/// AMX and libdnnl.so.2), over shapes that are and are not multiples of its blocks, both transposes,
/// leading dimensions wider than the rows, and accumulation.
final class DenseBF16Tests: XCTestCase {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 17, 3), (5, 1, 9), (16, 16, 16), (17, 33, 15), (31, 64, 2), (64, 96, 32), (3, 40, 200), (128, 48, 17),
        (65, 257, 33)
    ]

    func random(_ count: Int, _ rng: inout RandomStream) -> [Float] { (0..<count).map { _ in Float(rng.uniform(-1, 1)) } }

    /// What /proc/cpuinfo says (not the tool): bf16 products and oneDNN installed give oneDNN.
    func testOneDNNIsChosenWhereItRuns() throws {
        #if os(Linux) && arch(x86_64)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }!.split(separator: " ").map(String.init))
        let bf16 = (KernelPath.available == .avx512 && flags.contains("avx512_bf16")) || flags.contains("amx_bf16")
        let installed = FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libdnnl.so.2")
        XCTAssertEqual(DenseBF16.cpuHasAMX, flags.contains("amx_bf16") && flags.contains("amx_tile"))
        XCTAssertEqual(DenseBF16.loadError == nil, installed, DenseBF16.loadError ?? "")
        let portable = ProcessInfo.processInfo.environment["WRNN_KERNELS"] == "portable"
        XCTAssertEqual(DenseBF16.chosenProducts == .onednn, bf16 && installed && !portable)
        if DenseBF16.chosenProducts == .onednn {
            // the kernels oneDNN picked take bf16 products (on a CPU with AMX, oneDNN's choice between
            // its AMX and AVX512-BF16 kernels is its own; the run's lines name the one it took)
            let impl = try XCTUnwrap(DenseBF16.implementation)
            XCTAssertTrue(impl.contains("bf16"), impl)
            XCTAssertTrue(DenseBF16.description!.hasPrefix("oneDNN \(impl) ("), DenseBF16.description!)
        }
        #else
        XCTAssertNil(DenseBF16.chosenProducts)
        #endif
    }

    func testRoundingMatchesTheConvolutionsAndKeepsNaN() {
        var rng = RandomStream(seed: 5)
        var values = random(1000, &rng).map { $0 * 1e3 }
        values += [0, -0, 1, .infinity, -.infinity, Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000), 3.4e38, 1e-40]
        var out = [UInt16](repeating: 0, count: values.count)
        DenseBF16.round(&out, ldo: values.count, values, ldi: values.count, rows: 1, cols: values.count)
        for (x, bits) in zip(values, out) {
            XCTAssertEqual(Float(bitPattern: UInt32(bits) << 16).bitPattern, bf16Rounded(x).bitPattern, "\(x)")
        }
        // a NaN, even one whose payload sits in the low half only, stays a NaN (divergence reaches the loss)
        let nans: [Float] = [.nan, -.nan, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFF80_0001)]
        var nanOut = [UInt16](repeating: 0, count: nans.count)
        DenseBF16.round(&nanOut, ldo: nans.count, nans, ldi: nans.count, rows: 1, cols: nans.count)
        for bits in nanOut { XCTAssertTrue(Float(bitPattern: UInt32(bits) << 16).isNaN, String(bits, radix: 16)) }
    }

    func testProductsMatchTheRoundedReference() {
        defer { DenseBF16.override = nil }
        for products in DenseBF16.chosenProducts == .onednn ? [DenseBF16.Products.plain, .onednn] : [.plain] {
            DenseBF16.override = products
            check(products)
        }
    }

    func check(_ products: DenseBF16.Products) {
        var rng = RandomStream(seed: 7)
        for (m, n, k) in Self.shapes {
            for transA in [Transpose.none, .transposed] {
                for transB in [Transpose.none, .transposed] {
                    for beta: Float in [0, 1] {
                        let label = "\(products.rawValue) m \(m) n \(n) k \(k) \(transA) \(transB) beta \(beta)"
                        // stored shapes with leading dimensions 3 wider than the rows
                        let (rowsA, colsA) = transA == .none ? (m, k) : (k, m), (rowsB, colsB) = transB == .none ? (k, n) : (n, k)
                        let lda = colsA + 3, ldb = colsB + 3, ldc = n + 3
                        let a = random(rowsA * lda, &rng), b = random(rowsB * ldb, &rng), c0 = random(m * ldc, &rng)
                        var aBits = [UInt16](repeating: 0, count: a.count), bBits = [UInt16](repeating: 0, count: b.count)
                        DenseBF16.round(&aBits, ldo: lda, a, ldi: lda, rows: rowsA, cols: lda)
                        DenseBF16.round(&bBits, ldo: ldb, b, ldi: ldb, rows: rowsB, cols: ldb)
                        var c = c0
                        DenseBF16.gemm(&c, ldc: ldc, aBits, lda: lda, transA, bBits, ldb: ldb, transB, m: m, n: n, k: k, beta: beta)
                        func at(_ x: [Float], _ ld: Int, _ trans: Transpose, _ i: Int, _ j: Int) -> Double {
                            Double(bf16Rounded(trans == .none ? x[i * ld + j] : x[j * ld + i]))
                        }
                        for i in 0..<m {
                            for j in 0..<n {
                                var sum = 0.0, magnitude = 0.0
                                for p in 0..<k {
                                    let product = at(a, lda, transA, i, p) * at(b, ldb, transB, p, j)
                                    sum += product; magnitude += abs(product)
                                }
                                let expected = sum + Double(beta) * Double(c0[i * ldc + j])
                                let tolerance = (magnitude + abs(Double(c0[i * ldc + j]))) * Double(k + 2) * 6e-8 + 1e-30
                                XCTAssertEqual(Double(c[i * ldc + j]), expected, accuracy: tolerance, "\(label) at \(i), \(j)")
                            }
                            // the gaps between rows are left alone
                            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], label) }
                        }
                    }
                }
            }
        }
    }

    /// `DenseProducts.product`, the weight gradients' path: a depth longer than one slice is summed
    /// slice by slice into c, every slice's operands rounded; fp32 `DenseProducts` is BLAS itself.
    func testSlicedProductMatchesTheRoundedReference() {
        defer { DenseBF16.override = nil }
        DenseBF16.override = DenseBF16.chosenProducts ?? .plain
        var rng = RandomStream(seed: 9)
        let m = 300, n = 260, k = 1500 // slices of 448: three whole and a partial one
        XCTAssertLessThan(DenseProducts<Float>.sliceDepth(m: m, n: n), k / 2)
        let a = random(k * m, &rng), b = random(k * n, &rng), c0 = random(m * n, &rng)
        for bf16 in [false, true] {
            let products = DenseProducts<Float>(bf16: bf16, parameterCount: 1, operandCount: 1)
            XCTAssertEqual(products.bf16, bf16)
            var c = c0
            products.product(&c, ldc: n, a, lda: m, .transposed, b, ldb: n, .none, m: m, n: n, k: k, beta: 1)
            var worst = 0.0, exactDiffers = false
            for i in stride(from: 0, to: m, by: 7) {
                for j in stride(from: 0, to: n, by: 5) {
                    var sum = Double(c0[i * n + j]), exact = sum, magnitude = 0.0
                    for p in 0..<k {
                        sum +=
                            Double(bf16 ? bf16Rounded(a[p * m + i]) : a[p * m + i])
                            * Double(bf16 ? bf16Rounded(b[p * n + j]) : b[p * n + j])
                        exact += Double(a[p * m + i]) * Double(b[p * n + j])
                        magnitude += abs(Double(a[p * m + i] * b[p * n + j]))
                    }
                    worst = max(worst, abs(Double(c[i * n + j]) - sum) / magnitude)
                    if abs(Double(c[i * n + j]) - exact) > 1e-4 * magnitude { exactDiffers = true }
                }
            }
            XCTAssertLessThan(worst, 2e-6, "bf16 \(bf16)")
            // bf16's rounding shows against the unrounded operands; fp32's does not
            XCTAssertEqual(exactDiffers, bf16, "bf16 \(bf16)")
        }
    }

    /// Products against the rounded weight: `timesWeight` reads the weight `roundWeights` rounded,
    /// at the parameters' own offset, and rounds the activation (stored with a wider leading dimension).
    func testTimesWeightReadsTheRoundedWeightAtItsOffset() {
        defer { DenseBF16.override = nil }
        DenseBF16.override = DenseBF16.chosenProducts ?? .plain
        var rng = RandomStream(seed: 13)
        let rows = 19, units = 37, width = 3 * units, offset = 11, lda = units + 4
        let params = random(offset + width * units + 5, &rng), x = random(rows * lda, &rng)
        let products = DenseProducts<Float>(bf16: true, parameterCount: params.count, operandCount: rows * units)
        products.roundWeights(params, offset: offset, count: width * units)
        var c = [Float](repeating: 0, count: rows * width)
        products.timesWeight(
            &c, ldc: width, x, lda: lda, .none, params: params, offset: offset, ldb: units, .transposed, m: rows, n: width, k: units,
            beta: 0)
        for i in 0..<rows {
            for j in 0..<width {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<units {
                    let product = Double(bf16Rounded(x[i * lda + p])) * Double(bf16Rounded(params[offset + j * units + p]))
                    sum += product; magnitude += abs(product)
                }
                XCTAssertEqual(Double(c[i * width + j]), sum, accuracy: magnitude * 4e-6, "\(i), \(j)")
            }
        }
    }
}
