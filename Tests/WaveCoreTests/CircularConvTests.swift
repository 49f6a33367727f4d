import WaveKernels
import XCTest
import WaveCore
import WaveTestSupport

final class CircularConvTests: XCTestCase {
    /// Shapes around the 8- and 16-wide SIMD tiles, channel counts around the 4-channel tile,
    /// and kernels wider than the ring.
    static let shapes: [(batch: Int, cOut: Int, cIn: Int, n: Int, f: Int)] = {
        var s: [(Int, Int, Int, Int, Int)] = []
        for n in [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100] {
            for (cOut, cIn) in [(1, 1), (2, 3), (4, 4), (5, 2), (6, 6), (9, 7)] {
                for f in [1, 3, 5] { s.append((n % 3 + 1, cOut, cIn, n, f)) }
            }
        }
        s.append((2, 27, 27, 100, 3))
        // more batch rows than the weight gradient takes at once; the sMNIST ring
        s.append((11, 6, 6, 100, 3))
        s.append((9, 16, 16, 256, 3))
        // rings read in place by the AVX-512 path (n >= 48; the weight gradient when n % 16 == 0),
        // up to the widest kernel it takes there
        s += [(3, 5, 4, 48, 5), (2, 7, 3, 64, 3), (2, 3, 2, 49, 3), (1, 2, 2, 48, 33), (2, 4, 3, 80, 1), (1, 2, 3, 47, 3)]
        s.append((1, 3, 3, 10, 7))
        return s.map { (batch: $0.0, cOut: $0.1, cIn: $0.2, n: $0.3, f: $0.4) }
    }()

    func random<T: Scalar>(_ count: Int, _ rng: inout RandomStream) -> [T] {
        (0..<count).map { _ in T(rng.uniform(-1, 1)) }
    }

    func checkAgainstReference<T: Scalar>(_: T.Type, tolerance: Double) {
        var rng = RandomStream(seed: 7)
        for s in Self.shapes {
            let input: [T] = random(s.batch * s.cIn * s.n, &rng)
            let weight: [T] = random(s.cOut * s.cIn * s.f, &rng)
            let dout: [T] = random(s.batch * s.cOut * s.n, &rng)
            let start: [T] = random(s.batch * s.cOut * s.n, &rng)
            let scratch = Buffer<T>(zeros: circularConvScratchCount(channels: max(s.cIn, s.cOut), ringSize: s.n, kernel: s.f))
            let label = "\(T.self) \(KernelPath.current.rawValue) batch \(s.batch) cOut \(s.cOut) cIn \(s.cIn) n \(s.n) f \(s.f)"
            // every epilogue against the plain kernel followed by the plain epilogue
            let addend: [T] = random(start.count, &rng), bias: [T] = random(s.cOut * s.n, &rng)
            let h: [T] = random(start.count, &rng)
            var modes: [(String, ConvEpilogue<T>.Mode)] = [("store", .store), ("accumulate", .accumulate)]
            for a in Activation.allCases { modes += [("activate \(a)", .activate(a)), ("gradient \(a)", .activationGradient(a))] }
            for (name, mode) in modes {
                for extras in [false, true] {
                    var fast = start, slow = start
                    var fastSums: [T] = random(s.cOut * s.n, &rng)
                    var slowSums = fastSums
                    addend.withUnsafeBufferPointer { a in
                        bias.withUnsafeBufferPointer { bi in
                            h.withUnsafeBufferPointer { hp in
                                fastSums.withUnsafeMutableBufferPointer { fs in
                                    slowSums.withUnsafeMutableBufferPointer { ss in
                                        let e = ConvEpilogue<T>(
                                            mode, addend: extras ? a.baseAddress : nil, bias: extras ? bi.baseAddress : nil,
                                            activationOutput: hp.baseAddress, columnSums: extras ? fs.baseAddress : nil)
                                        T.circularConvForward(
                                            out: &fast, input: input, weight: weight, scratch: scratch.pointer, batch: s.batch,
                                            channelsOut: s.cOut, channelsIn: s.cIn, ringSize: s.n, kernel: s.f, epilogue: e)
                                        var raw = [T](repeating: 0, count: start.count)
                                        referenceCircularConvForward(
                                            out: &raw, input: input, weight: weight, batch: s.batch, channelsOut: s.cOut,
                                            channelsIn: s.cIn, ringSize: s.n, kernel: s.f, accumulate: false)
                                        var plain = e
                                        plain.columnSums = extras ? ss.baseAddress : nil
                                        slow.withUnsafeMutableBufferPointer { out in
                                            for j in raw.indices {
                                                plain.apply(raw[j], out: out.baseAddress!, index: j, biasIndex: j % (s.cOut * s.n))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    assertClose(fast, slow, tolerance, "forward \(name) extras=\(extras) \(label)")
                    assertClose(fastSums, slowSums, tolerance * Double(s.batch), "column sums \(name) \(label)")
                }
            }
            // input gradient = forward pass of the flipped, transposed kernel
            var kernelT = [T](repeating: 0, count: weight.count)
            flipTransposeKernel(&kernelT, weight, channelsOut: s.cOut, channelsIn: s.cIn, kernel: s.f)
            var fastInput = [T](repeating: 0, count: input.count), slowInput = fastInput
            T.circularConvForward(
                out: &fastInput, input: dout, weight: kernelT, scratch: scratch.pointer, batch: s.batch,
                channelsOut: s.cIn, channelsIn: s.cOut, ringSize: s.n, kernel: s.f, epilogue: .store)
            referenceCircularConvInputGrad(
                dinput: &slowInput, dout: dout, weight: weight, batch: s.batch, channelsOut: s.cOut,
                channelsIn: s.cIn, ringSize: s.n, kernel: s.f, accumulate: false)
            assertClose(fastInput, slowInput, tolerance, "input grad \(label)")

            var fastWeight: [T] = random(weight.count, &rng)
            var slowWeight = fastWeight
            T.circularConvWeightGrad(
                dweight: &fastWeight, dout: dout, input: input, scratch: scratch.pointer, batch: s.batch,
                channelsOut: s.cOut, channelsIn: s.cIn, ringSize: s.n, kernel: s.f)
            referenceCircularConvWeightGrad(
                dweight: &slowWeight, dout: dout, input: input, batch: s.batch, channelsOut: s.cOut,
                channelsIn: s.cIn, ringSize: s.n, kernel: s.f)
            assertClose(fastWeight, slowWeight, tolerance * Double(s.n * s.batch).squareRoot(), "weight grad \(label)")
        }
    }

    /// Every kernel path this CPU can run: the portable one always, AVX-512 where the CPU has it.
    func testFastKernelsMatchPlainFloat() {
        defer { KernelPath.override = nil }
        for path in Set([KernelPath.portable, KernelPath.available]).sorted(by: { $0.rawValue < $1.rawValue }) {
            KernelPath.override = path
            checkAgainstReference(Float.self, tolerance: 2e-5)
        }
    }

    /// The run-time choice agrees with what the kernel reports about the CPU (Linux: /proc/cpuinfo).
    func testKernelPathMatchesCPUFlags() throws {
        #if os(Linux) && arch(x86_64)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }!.split(separator: " ").map(String.init))
        let hasSet = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        XCTAssertEqual(KernelPath.available, hasSet ? .avx512 : .portable)
        #else
        XCTAssertEqual(KernelPath.available, .portable)
        #endif
    }
    func testFastKernelsMatchPlainDouble() { checkAgainstReference(Double.self, tolerance: 1e-12) }

    /// The plain kernels themselves against finite differences of L = sum(g * conv(u, x)).
    func testPlainConvolutionGradientsMatchFiniteDifferences() {
        var rng = RandomStream(seed: 3)
        let (b, cOut, cIn, n, f) = (2, 3, 2, 5, 3)
        var input: [Double] = random(b * cIn * n, &rng)
        var weight: [Double] = random(cOut * cIn * f, &rng)
        let g: [Double] = random(b * cOut * n, &rng)
        func loss() -> Double {
            var out = [Double](repeating: 0, count: g.count)
            referenceCircularConvForward(
                out: &out, input: input, weight: weight, batch: b, channelsOut: cOut,
                channelsIn: cIn, ringSize: n, kernel: f, accumulate: false)
            return zip(out, g).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var dinput = [Double](repeating: 0, count: input.count), dweight = [Double](repeating: 0, count: weight.count)
        referenceCircularConvInputGrad(
            dinput: &dinput, dout: g, weight: weight, batch: b, channelsOut: cOut,
            channelsIn: cIn, ringSize: n, kernel: f, accumulate: false)
        referenceCircularConvWeightGrad(
            dweight: &dweight, dout: g, input: input, batch: b, channelsOut: cOut,
            channelsIn: cIn, ringSize: n, kernel: f)
        let h = 1e-6
        for j in input.indices {
            let keep = input[j]
            input[j] = keep + h; let up = loss(); input[j] = keep - h; let down = loss(); input[j] = keep
            XCTAssertEqual(dinput[j], (up - down) / (2 * h), accuracy: 1e-8)
        }
        for j in weight.indices {
            let keep = weight[j]
            weight[j] = keep + h; let up = loss(); weight[j] = keep - h; let down = loss(); weight[j] = keep
            XCTAssertEqual(dweight[j], (up - down) / (2 * h), accuracy: 1e-8)
        }
    }

    /// PyTorch's Conv1d(padding_mode='circular') is a cross-correlation: a kernel [0, 0, 1]
    /// reads the right-hand neighbour, so out[i] = x[i + 1].
    func testCrossCorrelationConvention() {
        let x: [Float] = [1, 2, 3, 4, 5]
        var out = [Float](repeating: 0, count: 5)
        referenceCircularConvForward(
            out: &out, input: x, weight: [0, 0, 1], batch: 1, channelsOut: 1, channelsIn: 1,
            ringSize: 5, kernel: 3, accumulate: false)
        XCTAssertEqual(out, [2, 3, 4, 5, 1])
    }
}
