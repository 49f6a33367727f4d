import Foundation
import WaveKernels
import XCTest
import WaveCore
import WaveTestSupport

/// The bf16 convolution (`--precision bf16`) against the plain convolution in Double on the same
/// operands rounded to bf16: the kernels may differ from it only by the order of their fp32 sums.
final class CircularConvBF16Tests: XCTestCase {
    /// The fp32 kernels' shapes, plus batches past the rows the bf16 kernels pack at once (8 and
    /// 16) and odd channel counts, whose last channel pair is half empty.
    static let shapes =
        CircularConvTests.shapes + [
            (batch: 17, cOut: 6, cIn: 6, n: 100, f: 3), (batch: 19, cOut: 27, cIn: 27, n: 100, f: 3),
            (batch: 9, cOut: 16, cIn: 16, n: 256, f: 3), (batch: 33, cOut: 5, cIn: 3, n: 17, f: 3), (batch: 3, cOut: 7, cIn: 1, n: 40, f: 1)
        ]

    func random(_ count: Int, _ rng: inout RandomStream) -> [Float] { (0..<count).map { _ in Float(rng.uniform(-1, 1)) } }

    func testAvailabilityMatchesCPUFlags() throws {
        #if os(Linux) && arch(x86_64)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }!.split(separator: " ").map(String.init))
        XCTAssertEqual(Precision.cpuHasBF16, KernelPath.available == .avx512 && flags.contains("avx512_bf16"))
        // AMX CPUs take the convolution's products through oneDNN (its AMX tiles), others our kernels
        if ProcessInfo.processInfo.environment["WRNN_BF16_CONV"] == nil {
            let amx = flags.contains("amx_bf16") && flags.contains("amx_tile")
            XCTAssertEqual(Precision.chosenRoute, amx && DenseBF16.loadError == nil ? .onednn : .kernels)
        }
        #else
        XCTAssertFalse(Precision.cpuHasBF16)
        #endif
    }

    func testRoundingIsToNearestEven() {
        XCTAssertEqual(bf16Rounded(1), 1)
        XCTAssertEqual(bf16Rounded(Float(bitPattern: 0x3F80_8000)), 1) // a tie: down to the even 0x3F80
        XCTAssertEqual(bf16Rounded(Float(bitPattern: 0x3F81_8000)), Float(bitPattern: 0x3F82_0000)) // a tie: up to even
        XCTAssertEqual(bf16Rounded(Float(bitPattern: 0x3F80_8001)), Float(bitPattern: 0x3F81_0000))
        XCTAssertEqual(bf16Rounded(-0.3), -Float(bitPattern: 0x3E9A_0000))
    }

    /// The plain versions on every CPU, and the AVX512-BF16 kernels where the CPU has them.
    func testKernelsMatchPlainOnRoundedOperands() {
        defer { Precision.override = nil; Precision.routeOverride = nil }
        // the oneDNN route (AMX CPUs' default), wherever oneDNN and bf16 products run
        if Precision.cpuHasBF16 && DenseBF16.loadError == nil {
            Precision.override = .kernels
            Precision.routeOverride = .onednn
            checkAgainstRoundedReference(.kernels)
        }
        Precision.routeOverride = .kernels
        for products in Precision.cpuHasBF16 ? [Precision.Products.plain, .kernels] : [.plain] {
            Precision.override = products
            checkAgainstRoundedReference(products)
        }
    }

    func checkAgainstRoundedReference(_ products: Precision.Products) {
        var rng = RandomStream(seed: 11)
        var roundingShows = false
        for s in Self.shapes {
            let label = "\(products.rawValue) batch \(s.batch) cOut \(s.cOut) cIn \(s.cIn) n \(s.n) f \(s.f)"
            let input = random(s.batch * s.cIn * s.n, &rng), weight = random(s.cOut * s.cIn * s.f, &rng)
            let dout = random(s.batch * s.cOut * s.n, &rng), addend = random(dout.count, &rng)
            let bias = random(s.cOut * s.n, &rng), h = random(dout.count, &rng)
            let rounded = { (x: [Float]) in x.map { Double(bf16Rounded($0)) } }
            let scratch = Buffer<Float>(
                zeros: circularConvBF16ScratchCount(
                    channelsOut: max(s.cIn, s.cOut), channelsIn: max(s.cIn, s.cOut), ringSize: s.n, kernel: s.f))
            let pairs = Buffer<Float>(zeros: bf16WeightPairsCount(rows: s.cOut, channels: s.cIn, kernel: s.f))
            packWeightPairsBF16(pairs.pointer, weight: weight, rows: s.cOut, channels: s.cIn, kernel: s.f)

            // forward: raw sums in Double on rounded operands, then the plain epilogue
            var raw = [Double](repeating: 0, count: dout.count)
            referenceCircularConvForward(
                out: &raw, input: rounded(input), weight: rounded(weight), batch: s.batch, channelsOut: s.cOut,
                channelsIn: s.cIn, ringSize: s.n, kernel: s.f, accumulate: false)
            var unrounded = [Double](repeating: 0, count: dout.count)
            referenceCircularConvForward(
                out: &unrounded, input: input.map(Double.init), weight: weight.map(Double.init), batch: s.batch,
                channelsOut: s.cOut, channelsIn: s.cIn, ringSize: s.n, kernel: s.f, accumulate: false)
            if zip(raw, unrounded).contains(where: { abs($0 - $1) > 1e-4 }) { roundingShows = true }
            var modes: [(String, ConvEpilogue<Float>.Mode)] = [("store", .store), ("accumulate", .accumulate)]
            for a in Activation.allCases { modes += [("activate \(a)", .activate(a)), ("gradient \(a)", .activationGradient(a))] }
            for (name, mode) in modes {
                var fast = random(dout.count, &rng), slow = fast
                var fastSums = random(s.cOut * s.n, &rng), slowSums = fastSums
                addend.withUnsafeBufferPointer { a in
                    bias.withUnsafeBufferPointer { bi in
                        h.withUnsafeBufferPointer { hp in
                            fastSums.withUnsafeMutableBufferPointer { fs in
                                slowSums.withUnsafeMutableBufferPointer { ss in
                                    var e = ConvEpilogue<Float>(
                                        mode, addend: a.baseAddress, bias: bi.baseAddress, activationOutput: hp.baseAddress,
                                        columnSums: fs.baseAddress)
                                    circularConvForwardBF16(
                                        out: &fast, input: input, weightPairs: pairs.pointer, scratch: scratch.pointer,
                                        batch: s.batch, channelsOut: s.cOut, channelsIn: s.cIn, ringSize: s.n, kernel: s.f, epilogue: e)
                                    e.columnSums = ss.baseAddress
                                    slow.withUnsafeMutableBufferPointer { out in
                                        for j in raw.indices {
                                            e.apply(Float(raw[j]), out: out.baseAddress!, index: j, biasIndex: j % (s.cOut * s.n))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                assertClose(fast, slow, 2e-5, "forward \(name) \(label)")
                assertClose(fastSums, slowSums, 2e-5 * Double(s.batch), "column sums \(name) \(label)")
            }

            // input gradient: the forward of the flipped, transposed kernel
            var kernelT = [Float](repeating: 0, count: weight.count)
            flipTransposeKernel(&kernelT, weight, channelsOut: s.cOut, channelsIn: s.cIn, kernel: s.f)
            let pairsT = Buffer<Float>(zeros: bf16WeightPairsCount(rows: s.cIn, channels: s.cOut, kernel: s.f))
            packWeightPairsBF16(pairsT.pointer, weight: kernelT, rows: s.cIn, channels: s.cOut, kernel: s.f)
            var fastInput = [Float](repeating: 0, count: input.count)
            var slowInput = [Double](repeating: 0, count: input.count)
            circularConvForwardBF16(
                out: &fastInput, input: dout, weightPairs: pairsT.pointer, scratch: scratch.pointer, batch: s.batch,
                channelsOut: s.cIn, channelsIn: s.cOut, ringSize: s.n, kernel: s.f, epilogue: .store)
            referenceCircularConvInputGrad(
                dinput: &slowInput, dout: rounded(dout), weight: rounded(weight), batch: s.batch, channelsOut: s.cOut,
                channelsIn: s.cIn, ringSize: s.n, kernel: s.f, accumulate: false)
            assertClose(fastInput, slowInput.map(Float.init), 2e-5, "input grad \(label)")

            // weight gradient, added to what is there
            let start = random(weight.count, &rng)
            var fastWeight = start
            var slowWeight = start.map(Double.init)
            circularConvWeightGradBF16(
                dweight: &fastWeight, dout: dout, input: input, scratch: scratch.pointer, batch: s.batch,
                channelsOut: s.cOut, channelsIn: s.cIn, ringSize: s.n, kernel: s.f)
            referenceCircularConvWeightGrad(
                dweight: &slowWeight, dout: rounded(dout), input: rounded(input), batch: s.batch, channelsOut: s.cOut,
                channelsIn: s.cIn, ringSize: s.n, kernel: s.f)
            assertClose(fastWeight, slowWeight.map(Float.init), 2e-5 * Double(s.n * s.batch).squareRoot(), "weight grad \(label)")
        }
        XCTAssertTrue(roundingShows, "the bf16 operands never changed a sum: the test would not see fp32 products")
    }
}
