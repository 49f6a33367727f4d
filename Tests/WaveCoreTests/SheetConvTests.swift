import WaveCore
import WaveKernels
import WaveTestSupport
import XCTest

/// The sheet's fast kernels (16 batch rows per lane vector; portable tiles of 6 channels and of
/// 3 x 2, AVX-512's of 6 channels x 4 cells and 6 x 4) against the plain versions: batches around
/// the 16 lanes, channel counts around every tile, cell counts around the 4-cell tiles, sheets with h != w and sides of 1 and 2, kernels 1, 3, 5 and as wide as the sheet.
final class SheetConvTests: XCTestCase {
    static let shapes: [(batch: Int, cOut: Int, cIn: Int, h: Int, w: Int, f: Int)] = {
        var s: [(Int, Int, Int, Int, Int, Int)] = []
        for (h, w) in [(1, 1), (1, 5), (2, 3), (4, 4), (3, 7), (10, 10)] {
            for (cOut, cIn) in [(1, 1), (2, 3), (6, 6), (7, 5), (13, 2)] {
                for f in [1, 3, 5] { s.append((1 + (h * w + cOut) % 19, cOut, cIn, h, w, f)) }
            }
        }
        s += [(16, 6, 6, 10, 10, 3), (17, 6, 6, 10, 10, 3), (33, 4, 4, 16, 16, 3), (5, 3, 3, 5, 5, 5), (2, 2, 2, 7, 3, 7)]
        s += [(18, 16, 16, 16, 16, 3), (3, 5, 9, 3, 3, 3), (2, 11, 13, 1, 7, 1)]
        return s.map { (batch: $0.0, cOut: $0.1, cIn: $0.2, h: $0.3, w: $0.4, f: $0.5) }
    }()

    func random<T: Scalar>(_ count: Int, _ rng: inout RandomStream) -> [T] {
        (0..<count).map { _ in T(rng.uniform(-1, 1)) }
    }

    func checkAgainstReference<T: Scalar>(_: T.Type, tolerance: Double) {
        var rng = RandomStream(seed: 11)
        for s in Self.shapes {
            let cells = s.h * s.w
            let input: [T] = random(s.batch * s.cIn * cells, &rng)
            let weight: [T] = random(s.cOut * s.cIn * s.f * s.f, &rng)
            let dout: [T] = random(s.batch * s.cOut * cells, &rng)
            let scratch = Buffer<T>(
                zeros: sheetConvScratchCount(
                    channelsOut: max(s.cIn, s.cOut), channelsIn: max(s.cIn, s.cOut), height: s.h, width: s.w, kernel: s.f))
            let label = "\(T.self) \(KernelPath.current.rawValue) batch \(s.batch) cOut \(s.cOut) cIn \(s.cIn) sheet \(s.h)x\(s.w) f \(s.f)"
            // the forward step's epilogue (addend, bias, relu, column sums) and the plain store
            let addend: [T] = random(dout.count, &rng), bias: [T] = random(s.cOut * cells, &rng)
            for mode in [ConvEpilogue<T>.Mode.store, .activate(.relu), .activationGradient(.tanh)] {
                var fast = [T](repeating: 0, count: dout.count), slow = fast
                var fastSums = [T](repeating: 0, count: s.cOut * cells), slowSums = fastSums
                addend.withUnsafeBufferPointer { a in
                    bias.withUnsafeBufferPointer { bi in
                        fastSums.withUnsafeMutableBufferPointer { fs in
                            slowSums.withUnsafeMutableBufferPointer { ss in
                                var e = ConvEpilogue<T>(
                                    mode, addend: a.baseAddress, bias: bi.baseAddress, activationOutput: a.baseAddress,
                                    columnSums: fs.baseAddress)
                                T.sheetConvForward(
                                    out: &fast, input: input, weight: weight, scratch: scratch.pointer, batch: s.batch,
                                    channelsOut: s.cOut, channelsIn: s.cIn, height: s.h, width: s.w, kernel: s.f, epilogue: e)
                                var raw = [T](repeating: 0, count: dout.count)
                                referenceSheetConvForward(
                                    out: &raw, input: input, weight: weight, batch: s.batch, channelsOut: s.cOut,
                                    channelsIn: s.cIn, height: s.h, width: s.w, kernel: s.f, accumulate: false)
                                e.columnSums = ss.baseAddress
                                slow.withUnsafeMutableBufferPointer { out in
                                    for j in raw.indices {
                                        e.apply(raw[j], out: out.baseAddress!, index: j, biasIndex: j % (s.cOut * cells))
                                    }
                                }
                            }
                        }
                    }
                }
                assertClose(fast, slow, tolerance, "forward \(mode) \(label)")
                assertClose(fastSums, slowSums, tolerance * Double(s.batch), "column sums \(mode) \(label)")
            }
            // backward: the input gradient (the flipped, transposed kernel, the f x f taps as one
            // axis) and the weight gradient, alone and fused as training runs them
            var kernelT = [T](repeating: 0, count: weight.count)
            flipTransposeKernel(&kernelT, weight, channelsOut: s.cOut, channelsIn: s.cIn, kernel: s.f * s.f)
            var slowInput = [T](repeating: 0, count: input.count)
            referenceSheetConvInputGrad(
                dinput: &slowInput, dout: dout, weight: weight, batch: s.batch, channelsOut: s.cOut,
                channelsIn: s.cIn, height: s.h, width: s.w, kernel: s.f, accumulate: false)
            let start: [T] = random(weight.count, &rng)
            var slowWeight = start
            referenceSheetConvWeightGrad(
                dweight: &slowWeight, dout: dout, input: input, batch: s.batch, channelsOut: s.cOut,
                channelsIn: s.cIn, height: s.h, width: s.w, kernel: s.f)
            // the fused call's epilogue: the readout's gradient added, the activation's derivative, bias sums
            let readout: [T] = random(input.count, &rng)
            var gatedSlow = slowInput, slowSums = [T](repeating: 0, count: s.cIn * cells)
            for j in gatedSlow.indices {
                gatedSlow[j] = input[j] > 0 ? gatedSlow[j] + readout[j] : 0
                slowSums[j % (s.cIn * cells)] += gatedSlow[j]
            }
            for (wantInput, wantWeight) in [(true, false), (false, true), (true, true)] {
                var fastInput = [T](repeating: 0, count: input.count), fastWeight = start
                var fastSums = [T](repeating: 0, count: s.cIn * cells)
                fastSums.withUnsafeMutableBufferPointer { sums in
                    readout.withUnsafeBufferPointer { r in
                        input.withUnsafeBufferPointer { hp in
                            let gated = ConvEpilogue<T>(
                                .activationGradient(.relu), addend: r.baseAddress, activationOutput: hp.baseAddress,
                                columnSums: sums.baseAddress)
                            fastInput.withUnsafeMutableBufferPointer { di in
                                fastWeight.withUnsafeMutableBufferPointer { dw in
                                    T.sheetConvBackward(
                                        dinput: wantInput ? di.baseAddress : nil, dweight: wantWeight ? dw.baseAddress : nil,
                                        dout: dout, input: input, weightT: wantInput ? kernelT : nil, scratch: scratch.pointer,
                                        batch: s.batch, channelsOut: s.cOut, channelsIn: s.cIn, height: s.h, width: s.w,
                                        kernel: s.f, epilogue: wantWeight ? gated : .store)
                                }
                            }
                        }
                    }
                }
                let which = "input \(wantInput) weight \(wantWeight) \(label)"
                if wantInput { assertClose(fastInput, wantWeight ? gatedSlow : slowInput, tolerance, "input grad \(which)") }
                if wantInput && wantWeight { assertClose(fastSums, slowSums, tolerance * Double(s.batch), "bias sums \(which)") }
                assertClose(
                    fastWeight, wantWeight ? slowWeight : start, tolerance * Double(cells * s.batch).squareRoot(), "weight grad \(which)")
            }
        }
    }

    /// Every kernel path this CPU can run: the portable one always, AVX-512's larger tiles where the CPU has it.
    func testFastKernelsMatchPlainFloat() {
        defer { KernelPath.override = nil }
        for path in Set([KernelPath.portable, KernelPath.available]).sorted(by: { $0.rawValue < $1.rawValue }) {
            KernelPath.override = path
            checkAgainstReference(Float.self, tolerance: 2e-5)
        }
    }
    func testFastKernelsMatchPlainDouble() { checkAgainstReference(Double.self, tolerance: 1e-12) }

    /// A NaN in a sequence's state stays NaN through the relu epilogue on every path (divergence
    /// must reach the loss, not turn into zeros), and stays in its own sequence.
    func testNaNSurvivesTheReluEpilogue() {
        defer { KernelPath.override = nil }
        for path in Set([KernelPath.portable, KernelPath.available]).sorted(by: { $0.rawValue < $1.rawValue }) {
            KernelPath.override = path
            let c = 2, h = 3, w = 4, f = 3, batch = 3, units = c * h * w
            var input = [Float](repeating: 0.5, count: batch * units)
            input[units + 5] = .nan // sequence 1
            let weight = [Float](repeating: 0.1, count: c * c * f * f), bias = [Float](repeating: -1, count: units)
            var out = [Float](repeating: 0, count: batch * units)
            let scratch = Buffer<Float>(zeros: sheetConvScratchCount(channelsOut: c, channelsIn: c, height: h, width: w, kernel: f))
            bias.withUnsafeBufferPointer { b in
                Float.sheetConvForward(
                    out: &out, input: input, weight: weight, scratch: scratch.pointer, batch: batch, channelsOut: c, channelsIn: c,
                    height: h, width: w, kernel: f, epilogue: ConvEpilogue(.activate(.relu), bias: b.baseAddress))
            }
            XCTAssertTrue(out[units..<(2 * units)].contains { $0.isNaN }, "\(path)")
            XCTAssertFalse(out[0..<units].contains { $0.isNaN } || out[(2 * units)...].contains { $0.isNaN }, "\(path)")
            // the others: relu(0.1 * 0.5 * 18 - 1) = 0 (negative before the relu)
            XCTAssertEqual(Set(out[0..<units]), [0], "\(path)")
        }
    }

    /// The plain versions themselves: a one-hot kernel moves the sheet one cell in the direction
    /// its tap says, wrapping at both edges (what the shift initialisation relies on).
    func testPlainForwardShiftsAcrossTheTorus() {
        let h = 3, w = 4, f = 3
        let input = (0..<(h * w)).map(Double.init)
        var weight = [Double](repeating: 0, count: f * f)
        weight[1 * f + 2] = 1 // dy = 0, dx = +1: out[y, x] = in[y, x + 1]
        var out = [Double](repeating: 0, count: h * w)
        referenceSheetConvForward(
            out: &out, input: input, weight: weight, batch: 1, channelsOut: 1, channelsIn: 1, height: h, width: w, kernel: f,
            accumulate: false)
        XCTAssertEqual(out, [1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8])
        weight = [Double](repeating: 0, count: f * f)
        weight[0 * f + 1] = 1 // dy = -1: out[y, x] = in[y - 1, x]
        referenceSheetConvForward(
            out: &out, input: input, weight: weight, batch: 1, channelsOut: 1, channelsIn: 1, height: h, width: w, kernel: f,
            accumulate: false)
        XCTAssertEqual(out, [8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7])
    }
}
