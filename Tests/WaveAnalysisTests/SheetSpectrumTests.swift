import Foundation
import XCTest
import WaveAnalysis
import WaveCore

/// m[t, y, x] = a Gaussian bump of width 1.5 on an h x w torus, centred at (x0 + vx t, y0 + vy t).
func sheetWave(steps: Int, height: Int, width: Int, vx: Double, vy: Double) -> [Double] {
    var m = [Double](repeating: 0, count: steps * height * width)
    func distance(_ a: Double, _ b: Double, _ n: Int) -> Double {
        var d = abs(a - b).truncatingRemainder(dividingBy: Double(n))
        d = min(d, Double(n) - d)
        return d
    }
    for t in 0..<steps {
        for y in 0..<height {
            for x in 0..<width {
                let dx = distance(Double(x), 2 + vx * Double(t), width), dy = distance(Double(y), 3 + vy * Double(t), height)
                m[(t * height + y) * width + x] = exp(-(dx * dx + dy * dy) / 4.5)
            }
        }
    }
    return m
}

final class SheetSpectrumTests: XCTestCase {
    func testFFTWMatchesDirectDFTIn3D() {
        var rng = RandomStream(seed: 9)
        for (t, h, w) in [(1, 1, 5), (3, 4, 5), (5, 3, 2), (7, 6, 3)] {
            let m = (0..<(t * h * w)).map { _ in rng.uniform(-1, 1) }
            let fast = fft3Magnitude(m, steps: t, height: h, width: w)
            let slow = directDFT3Magnitude(m, steps: t, height: h, width: w)
            for (a, b) in zip(fast, slow) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(t)x\(h)x\(w)") }
        }
    }

    /// Waves of known velocity in every direction, at whole and fractional speeds, on sheets that
    /// are not square, come back as that velocity, its speed and its direction.
    func testVelocityAndDirectionAreRecovered() {
        let cases: [(vx: Double, vy: Double, degrees: Double)] = [
            (1, 0, 0), (-1, 0, 180), (0, 1, 90), (0, -1, 270), (1, 1, 45), (-0.5, 0.5, 135), (0.6, 0, 0)
        ]
        for c in cases {
            let map = sheetWave(steps: 60, height: 11, width: 13, vx: c.vx, vy: c.vy)
            let spectrum = SheetSpectrum(map: map, steps: 60, height: 11, width: 13, seed: 1)
            let best = spectrum.bestVelocity()
            XCTAssertEqual(best.vx, c.vx, accuracy: 0.051, "\(c)")
            XCTAssertEqual(best.vy, c.vy, accuracy: 0.051, "\(c)")
            XCTAssertEqual(directionDegrees(vx: best.vx, vy: best.vy), c.degrees, accuracy: 5, "\(c)")
            // the plane of the wave's own velocity holds more power than that of a wave along another axis
            XCTAssertGreaterThan(spectrum.planePower(vx: c.vx, vy: c.vy), spectrum.planePower(vx: -c.vy, vy: c.vx), "\(c)")
        }
    }

    /// The wave test: a traveling bump scores far above its cells in random places; noise does not.
    func testWaveTestSeparatesWavesFromNoise() {
        let wave = SheetWaveTest(
            map: sheetWave(steps: 40, height: 8, width: 8, vx: 1, vy: 0), steps: 40, height: 8, width: 8, permutations: 39, seed: 2)
        XCTAssertGreaterThan(wave.z, 5)
        XCTAssertEqual(wave.p, 1.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(wave.velocityX, 1)
        var rng = RandomStream(seed: 3)
        let noise = (0..<(40 * 64)).map { _ in rng.uniform(0, 1) }
        let null = SheetWaveTest(map: noise, steps: 40, height: 8, width: 8, permutations: 39, seed: 2)
        XCTAssertLessThan(null.z, 3)
        XCTAssertGreaterThan(null.p, 0.05)
    }
}
