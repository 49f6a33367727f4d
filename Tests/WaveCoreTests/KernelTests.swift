import WaveKernels
import XCTest
import WaveCore
import WaveTestSupport

final class KernelTests: XCTestCase {
    func testGemmMatchesPlainLoopsForEveryTranspose() {
        var rng = RandomStream(seed: 11)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 10, 100)] {
            for ta in [Transpose.none, .transposed] {
                for tb in [Transpose.none, .transposed] {
                    let a = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
                    let b = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
                    let c0 = (0..<(m * n)).map { _ in rng.uniform(-1, 1) }
                    let lda = ta == .none ? k : m, ldb = tb == .none ? n : k
                    var fast = c0, slow = c0
                    Double.gemm(&fast, ldc: n, a, lda: lda, ta, b, ldb: ldb, tb, m: m, n: n, k: k, alpha: 0.5, beta: 2)
                    referenceGemm(&slow, ldc: n, a, lda: lda, ta, b, ldb: ldb, tb, m: m, n: n, k: k, alpha: 0.5, beta: 2)
                    assertClose(fast, slow, 1e-12, "gemm \(m)x\(n)x\(k) \(ta) \(tb)")
                    let af = a.map(Float.init), bf = b.map(Float.init)
                    var fastF = c0.map(Float.init)
                    Float.gemm(&fastF, ldc: n, af, lda: lda, ta, bf, ldb: ldb, tb, m: m, n: n, k: k, alpha: 0.5, beta: 2)
                    assertClose(fastF, slow.map(Float.init), 1e-4, "sgemm \(m)x\(n)x\(k)")
                }
            }
        }
    }

    func testActivationsMatchFiniteDifferences() {
        var rng = RandomStream(seed: 5)
        let rows = 3, cols = 11 // 11: one SIMD vector plus a scalar tail
        let pre = (0..<(rows * cols)).map { _ in rng.uniform(-2, 2) }
        let bias = (0..<cols).map { _ in rng.uniform(-0.5, 0.5) }
        let dh = (0..<(rows * cols)).map { _ in rng.uniform(-1, 1) }
        for activation in Activation.allCases {
            func forward(_ p: [Double]) -> [Double] {
                var out = [Double](repeating: 0, count: p.count)
                Double.biasActivation(out: &out, pre: p, bias: bias, rows: rows, cols: cols, activation: activation)
                return out
            }
            let h = forward(pre)
            var dpre = [Double](repeating: 0, count: pre.count)
            Double.activationBackward(dpre: &dpre, dh: dh, h: h, count: pre.count, activation: activation)
            for j in pre.indices {
                var up = pre, down = pre
                up[j] += 1e-6; down[j] -= 1e-6
                let numeric = (forward(up)[j] - forward(down)[j]) / 2e-6 * dh[j]
                XCTAssertEqual(dpre[j], numeric, accuracy: 1e-7, "\(activation) at \(j)")
            }
            let expected: (Double) -> Double = {
                switch activation {
                case .relu: return max($0, 0);
                case .tanh: return Foundation.tanh($0);
                case .identity: return $0
                }
            }
            for j in pre.indices { XCTAssertEqual(h[j], expected(pre[j] + bias[j % cols]), accuracy: 1e-12) }
        }
    }

    func testSoftmaxCrossEntropyValueAndGradient() {
        let logits: [Double] = [1, 2, 3, 0, 0, 0]
        let targets: [Int32] = [2, -1]
        var d = [Double](repeating: 9, count: 6)
        let loss = Double.softmaxCrossEntropy(dlogits: &d, logits: logits, targets: targets, rows: 2, classes: 3, gradScale: 1)
        let z = exp(1.0) + exp(2.0) + exp(3.0)
        XCTAssertEqual(loss, log(z) - 3, accuracy: 1e-12)
        XCTAssertEqual(d[0], exp(1.0) / z, accuracy: 1e-12)
        XCTAssertEqual(d[2], exp(3.0) / z - 1, accuracy: 1e-12)
        XCTAssertEqual(Array(d[3...]), [0, 0, 0], "an ignored row has no gradient")
        // finite differences on a random row
        var rng = RandomStream(seed: 2)
        let row = (0..<7).map { _ in rng.uniform(-3, 3) }
        var grad = [Double](repeating: 0, count: 7), scratch = grad
        _ = Double.softmaxCrossEntropy(dlogits: &grad, logits: row, targets: [4], rows: 1, classes: 7, gradScale: 0.5)
        for j in 0..<7 {
            var up = row, down = row
            up[j] += 1e-6; down[j] -= 1e-6
            let numeric =
                (Double.softmaxCrossEntropy(dlogits: &scratch, logits: up, targets: [4], rows: 1, classes: 7, gradScale: 1)
                    - Double.softmaxCrossEntropy(dlogits: &scratch, logits: down, targets: [4], rows: 1, classes: 7, gradScale: 1)) / 2e-6
            XCTAssertEqual(grad[j], 0.5 * numeric, accuracy: 1e-8)
        }
    }

    func testSquaredError() {
        var d = [Double](repeating: 0, count: 2)
        let loss = Double.squaredError(dpred: &d, pred: [1, 3], target: [0, 1], count: 2, gradScale: 0.5)
        XCTAssertEqual(loss, 5)
        XCTAssertEqual(d, [1, 2])
    }

    /// One Adam step worked by hand: PyTorch's update with bias correction.
    func testAdamStepByHand() {
        var p: [Double] = [1.0, -2.0], m: [Double] = [0, 0], v: [Double] = [0, 0]
        Double.adamUpdate(
            params: &p, m: &m, v: &v, grads: [0.5, -0.1], count: 2,
            learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1)
        // step 1: m = 0.1 g, v = 0.001 g^2, mhat = g, vhat = g^2, update = lr * g / (|g| + eps)
        XCTAssertEqual(m[0], 0.05, accuracy: 1e-15)
        XCTAssertEqual(v[1], 0.001 * 0.01, accuracy: 1e-15)
        XCTAssertEqual(p[0], 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), accuracy: 1e-12)
        XCTAssertEqual(p[1], -2.0 + 0.1 * 0.1 / (0.1 + 1e-8), accuracy: 1e-12)
        // step 2 with gradient 0.2 on the first parameter
        Double.adamUpdate(
            params: &p, m: &m, v: &v, grads: [0.2, 0], count: 2,
            learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 2)
        let m2 = 0.9 * 0.05 + 0.1 * 0.2, v2 = 0.999 * 0.00025 + 0.001 * 0.04
        let expected = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8) - 0.1 / (1 - 0.81) * m2 / (v2.squareRoot() / (1 - 0.999 * 0.999).squareRoot() + 1e-8)
        XCTAssertEqual(p[0], expected, accuracy: 1e-12)
    }

    func testRandomStreamIsDeterministicAndSeparated() {
        var a = RandomStream(seed: 42), b = RandomStream(seed: 42), c = RandomStream(seed: 42, stream: 1)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<5).map { _ in c.next() })
        var u = RandomStream(seed: 1)
        let draws = (0..<10_000).map { _ in u.uniform() }
        XCTAssertTrue(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(draws.reduce(0, +) / 10_000, 0.5, accuracy: 0.02)
        let normals = (0..<10_000).map { _ in u.normal() }
        let mean = normals.reduce(0, +) / 10_000
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10_000, 1, accuracy: 0.05)
        XCTAssertEqual(u.permutation(50).sorted(), Array(0..<50))
    }

    func testShardRangesCoverEveryRowOnce() {
        XCTAssertEqual(shardRanges(total: 128, parts: 2), [0..<64, 64..<128])
        XCTAssertEqual(shardRanges(total: 5, parts: 2), [0..<2, 2..<5])
        XCTAssertEqual(shardRanges(total: 1, parts: 4), [0..<1])
    }
}

final class BitReluTests: XCTestCase {
    /// The bit-pattern relu and gate agree with max(v, 0) and h > 0 ? g : 0, signed zeros included.
    func testBitPatternReluAndGate() {
        // IEEE semantics for the reference comparisons (the subnormal cases), whatever mode an
        // earlier test left this thread in
        let flushed = FloatMode.currentThreadFlushes
        FloatMode.set(false)
        defer { FloatMode.set(flushed) }
        let values: [Float] = [-1, 2, -0.0, 0, -3.5e-40, 4.2e-40, .infinity, -.infinity]
        let v = SIMD8<Float>(values)
        let r = Float.relu(v)
        for j in 0..<8 {
            XCTAssertEqual(r[j], max(values[j], 0))
            XCTAssertEqual(r[j].sign, .plus)
        }
        let g = SIMD8<Float>(repeating: 7)
        let gated = Float.reluGate(g, v)
        for j in 0..<8 { XCTAssertEqual(gated[j], values[j] > 0 ? 7 : 0, "h = \(values[j])") }
        let d = Double.reluGate(SIMD8<Double>(repeating: 3), SIMD8<Double>(values.map(Double.init)))
        for j in 0..<8 { XCTAssertEqual(d[j], values[j] > 0 ? 3 : 0) }
        XCTAssertEqual(Double.relu(SIMD8<Double>(values.map(Double.init))), SIMD8<Double>(values.map { Double(max($0, 0)) }))
    }
}

final class SmallProductTests: XCTestCase {
    /// The BLAS-free products against the plain triple loop: a mostly nonzero (register tiles,
    /// partial row and output tiles, column tails, more than one 64-row block) and mostly zero
    /// (one axpy per nonzero), odd sizes.
    func testSmallAndNarrowProductsMatchPlainLoops() {
        var rng = RandomStream(seed: 21)
        for zeros in [0.3, 0.8] {
            for (rows, k, n) in [(1, 1, 1), (3, 2, 7), (5, 10, 17), (64, 16, 100), (2, 3, 600), (130, 7, 37), (9, 13, 48)] {
                let a = (0..<(rows * k)).map { _ in rng.uniform() < zeros ? 0 : rng.uniform(-1, 1) }
                let b = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
                let initial = (0..<n).map { _ in rng.uniform(-1, 1) }
                var expected = [Double](repeating: 0, count: rows * n)
                referenceGemm(&expected, ldc: n, a, lda: k, .none, b, ldb: n, .none, m: rows, n: n, k: k)
                var out = [Double](repeating: 9, count: rows * n)
                Double.smallProduct(out: &out, a: a, b: b, initial: nil, rows: rows, k: k, n: n, accumulate: false)
                assertClose(out, expected, 1e-12, "smallProduct \(rows)x\(k)x\(n)")
                Double.smallProduct(out: &out, a: a, b: b, initial: nil, rows: rows, k: k, n: n, accumulate: true)
                assertClose(out, expected.map { 2 * $0 }, 1e-12, "smallProduct accumulate")
                Double.smallProduct(out: &out, a: a, b: b, initial: initial, rows: rows, k: k, n: n, accumulate: false)
                assertClose(out, expected.enumerated().map { $0.element + initial[$0.offset % n] }, 1e-12, "smallProduct initial")

                // out[k, n] += a^T d
                let d = (0..<(rows * n)).map { _ in rng.uniform(-1, 1) }
                var transposed = [Double](repeating: 0.5, count: k * n)
                var expectedT = transposed
                referenceGemm(&expectedT, ldc: n, a, lda: k, .transposed, d, ldb: n, .none, m: k, n: n, k: rows, beta: 1)
                Double.smallTransposedProduct(out: &transposed, a: a, d: d, rows: rows, k: k, n: n)
                assertClose(transposed, expectedT, 1e-12, "smallTransposedProduct")

                // out[rows, width] = d b^T with width = k
                var narrow = [Double](repeating: 9, count: rows * k)
                var expectedN = [Double](repeating: 0, count: rows * k)
                referenceGemm(&expectedN, ldc: k, d, lda: n, .none, b, ldb: n, .transposed, m: rows, n: k, k: n)
                Double.narrowProduct(out: &narrow, a: d, b: b, rows: rows, width: k, n: n)
                assertClose(narrow, expectedN, 1e-12, "narrowProduct")
            }
        }
    }
}

final class ShardPoolTests: XCTestCase {
    /// Every shard runs exactly once per call, and pools can be created and dropped freely.
    func testShardPoolRunsEveryShardAndShutsDown() {
        for _ in 0..<20 {
            let pool = ShardPool(threads: 3)
            var hits = [Int](repeating: 0, count: 3)
            hits.withUnsafeMutableBufferPointer { h in
                let p = h.baseAddress!
                for _ in 0..<10 { pool.run(3) { p[$0] += 1 } }
                pool.run(2) { p[$0] += 100 }
            }
            XCTAssertEqual(hits, [110, 110, 10])
        }
    }
}

final class TranscendentalTests: XCTestCase {
    /// The Float gate functions against the C library across the range the cells see.
    func testPolynomialExpSigmoidAndTanhAccuracy() {
        var worstExp: Float = 0, worstSigmoid: Float = 0, worstTanh: Float = 0
        var x: Float = -80
        while x <= 80 {
            worstExp = max(worstExp, abs(negativeExp8(SIMD8(repeating: x))[0] - Foundation.exp(-abs(x))) / Foundation.exp(-abs(x)))
            worstSigmoid = max(worstSigmoid, abs(Float.gateSigmoid(x) - 1 / (1 + Foundation.exp(-x))))
            worstTanh = max(worstTanh, abs(Float.gateTanh(x) - Foundation.tanh(x)))
            x += 0.0137
        }
        XCTAssertLessThan(worstExp, 3e-7)
        XCTAssertLessThan(worstSigmoid, 3e-7)
        XCTAssertLessThan(worstTanh, 3e-7)
        // the 8-lane versions agree with the scalar ones
        var y: Float = -100
        while y <= 100 {
            let lanes = SIMD8<Float>((0..<8).map { y + Float($0) * 0.37 - 1.3 })
            let s = Float.gateSigmoid8(lanes), t = Float.gateTanh8(lanes)
            for k in 0..<8 {
                XCTAssertEqual(s[k], 1 / (1 + Foundation.exp(-lanes[k])), accuracy: 3e-7, "sigmoid(\(lanes[k]))")
                XCTAssertEqual(t[k], Foundation.tanh(lanes[k]), accuracy: 3e-7, "tanh(\(lanes[k]))")
            }
            y += 0.731
        }
        XCTAssertEqual(Float.gateTanh8(SIMD8<Float>(repeating: -0.0))[0].sign, .minus)
        XCTAssertEqual(Float.gateSigmoid(-200), 0, accuracy: 1e-30)
        XCTAssertEqual(Float.gateSigmoid(200), 1)
        XCTAssertEqual(Float.gateTanh(-200), -1)
        XCTAssertEqual(Float.gateTanh(200), 1)
    }
}

/// Subnormal floats are flushed to zero on every computing thread by default (issue: 9x stalls
/// in the gated cells on Intel cores), and kept when asked.
final class FloatModeTests: XCTestCase {
    /// 1e-30 * 1e-10 = 1e-40, a subnormal Float, computed on each shard thread of a pool.
    func products(threads: Int) -> [Float] {
        let pool = ShardPool(threads: threads)
        var out = [Float](repeating: -1, count: threads)
        let a = Float(sqrt(Double(1e-60))), b = Float(Double(threads) * 1e-10 / Double(threads)) // opaque to the optimiser
        out.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            pool.run(threads) { shard in p[shard] = a * b }
        }
        return out
    }

    func testSubnormalProductsOnShardThreadsAreZeroUnlessKept() {
        let saved = FloatMode.flushSubnormals
        defer { FloatMode.flushSubnormals = saved; FloatMode.apply() }
        FloatMode.flushSubnormals = true
        FloatMode.apply()
        XCTAssertTrue(FloatMode.currentThreadFlushes)
        XCTAssertEqual(products(threads: 3), [0, 0, 0], "main thread and both worker threads flush")
        FloatMode.flushSubnormals = false
        FloatMode.apply()
        XCTAssertFalse(FloatMode.currentThreadFlushes)
        for value in products(threads: 3) {
            XCTAssertTrue(value.isSubnormal && value > 0, "kept: \(value)")
        }
    }
}
