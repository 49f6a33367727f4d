import Foundation
import XCTest
import WaveAnalysis
import WaveData
import WaveCore

/// A Gaussian bump of width 2 on a ring of n neurons centred at `centre`.
func bump(_ i: Int, centre: Double, n: Int) -> Double {
    var d = abs(Double(i) - centre).truncatingRemainder(dividingBy: Double(n))
    d = min(d, Double(n) - d)
    return exp(-d * d / 8)
}

/// m[t, i] = bump at position 5 + v t: a wave moving v neurons per step.
func travelingWave(steps: Int, neurons: Int, speed: Double) -> [Double] {
    var m = [Double](repeating: 0, count: steps * neurons)
    for t in 0..<steps { for i in 0..<neurons { m[t * neurons + i] = bump(i, centre: 5 + speed * Double(t), n: neurons) } }
    return m
}

/// A bump that stays put and fades: the iRNN's picture.
func staticDecayingBump(steps: Int, neurons: Int) -> [Double] {
    var m = [Double](repeating: 0, count: steps * neurons)
    for t in 0..<steps { for i in 0..<neurons { m[t * neurons + i] = exp(-Double(t) / 10) * bump(i, centre: 12, n: neurons) } }
    return m
}

final class SpectrumTests: XCTestCase {
    func testFFTWMatchesDirectDFTOnOddSizes() {
        var rng = RandomStream(seed: 4)
        for (rows, cols) in [(1, 5), (3, 7), (5, 9), (7, 4), (9, 11), (13, 6)] {
            let m = (0..<(rows * cols)).map { _ in rng.uniform(-1, 1) }
            let fast = fft2Magnitude(m, rows: rows, cols: cols)
            let slow = directDFT2Magnitude(m, rows: rows, cols: cols)
            for (a, b) in zip(fast, slow) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(rows)x\(cols)") }
        }
    }

    /// A wave of known speed gives that speed back, on maps whose sizes are not powers of two.
    func testTravelingWaveSpeedIsRecovered() {
        for (steps, neurons, speed) in [(50, 40, 2.0), (60, 45, -1.0), (49, 100, 0.5), (784, 64, -1.5)] {
            let spectrum = WaveSpectrum(map: travelingWave(steps: steps, neurons: neurons, speed: speed), steps: steps, neurons: neurons)
            XCTAssertEqual(spectrum.estimatedSpeed(), speed, accuracy: 0.06, "\(steps)x\(neurons) speed \(speed)")
        }
    }

    /// Waves moving one neuron per step toward lower indices (the shift init's direction) put
    /// their energy on the diagonal; a static decaying bump does not.
    func testDiagonalPowerSeparatesWavesFromStaticBumps() {
        for (steps, neurons) in [(40, 40), (50, 100), (100, 64)] {
            let wave = WaveSpectrum(map: travelingWave(steps: steps, neurons: neurons, speed: -1), steps: steps, neurons: neurons)
            let still = WaveSpectrum(map: staticDecayingBump(steps: steps, neurons: neurons), steps: steps, neurons: neurons)
            XCTAssertGreaterThan(
                wave.diagonalPower, 5 * still.diagonalPower,
                "\(steps)x\(neurons): wave \(wave.diagonalPower) vs static \(still.diagonalPower)")
            XCTAssertEqual(still.estimatedSpeed(), 0, accuracy: 0.5)
        }
    }

    func testOnsetOrderSortsNeuronsByTheirPeakTime() {
        // neuron 0 peaks at t=2, neuron 1 at t=0, neuron 2 never fires, neuron 3 at t=1
        let m: [Double] = [
            0, 5, 0, 0,
            0, 1, 0, 3,
            4, 0, 0, 1
        ]
        XCTAssertEqual(onsetOrder(m, steps: 3, neurons: 4), [1, 3, 0, 2])
    }
}

final class NpyTests: XCTestCase {
    /// numpy's format 1.0 rules: magic, version, little-endian header length, a dict padded with
    /// spaces to a multiple of 64 bytes ending in a newline, then C-order float32 data.
    func testNpyHeaderFollowsNumpysFormatRules() throws {
        let values: [Float] = (0..<24).map { Float($0) * 0.5 }
        let bytes = Npy.encode(values, shape: [2, 3, 4])
        XCTAssertEqual(Array(bytes[0..<6]), [0x93] + Array("NUMPY".utf8))
        XCTAssertEqual(bytes[6], 1)
        XCTAssertEqual(bytes[7], 0)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }"), header)
        XCTAssertTrue(header.hasSuffix("\n"))
        XCTAssertEqual(bytes.count, 10 + headerLength + 24 * 4)
        let data = Array(bytes[(10 + headerLength)...])
        let decoded = data.withUnsafeBytes { raw in (0..<24).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
        XCTAssertEqual(decoded, values)
        XCTAssertTrue(String(decoding: Npy.encode([1], shape: [1])[10...], as: UTF8.self).contains("'shape': (1,)"))
    }
}
