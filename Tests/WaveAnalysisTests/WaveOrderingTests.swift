import Foundation
import XCTest
import WaveAnalysis
import WaveCore

/// Waves in any RNN: a wave whose neurons were shuffled is found again by the response-lag order
/// and scored far above random orders; noise scored in an order found on other noise gets p-values
/// that are uniform, so "waves" is a calibrated statement.
final class WaveOrderingTests: XCTestCase {
    /// m[t, i] = bump at position i - v t on a ring of n, plus noise; neuron i stored at column slot[i].
    func wave(steps t: Int, neurons n: Int, speed v: Double, offset: Double, slot: [Int], noise: Double, rng: inout RandomStream)
        -> [Double]
    {
        var m = [Double](repeating: 0, count: t * n)
        for step in 0..<t {
            for i in 0..<n {
                var d = (Double(i) - v * Double(step) - offset).truncatingRemainder(dividingBy: Double(n))
                if d < -Double(n) / 2 { d += Double(n) }
                if d > Double(n) / 2 { d -= Double(n) }
                m[step * n + slot[i]] = exp(-d * d / 4) + noise * rng.normal()
            }
        }
        return m
    }

    func testAShuffledWaveIsFoundByResponseLagAndBeatsEveryRandomOrder() {
        let t = 48, n = 24
        var rng = RandomStream(seed: 5, stream: 0)
        let slot = rng.permutation(n)
        let fit = (0..<6).map { _ in wave(steps: t, neurons: n, speed: 1, offset: rng.uniform(0, 24), slot: slot, noise: 0.05, rng: &rng) }
        let map = wave(steps: t, neurons: n, speed: 1, offset: 3, slot: slot, noise: 0.05, rng: &rng)
        let found = lagOrder(fit, steps: t, neurons: n)
        // the order found is the ring's, up to where it starts and its direction
        let positions = found.map { column in slot.firstIndex(of: column)! }
        let steps = zip(positions, positions.dropFirst()).map { (($1 - $0) % n + n) % n }
        XCTAssertTrue(steps.allSatisfy { $0 == 1 } || steps.allSatisfy { $0 == n - 1 }, "\(positions)")
        let lagged = WaveNullTest(map: map, steps: t, neurons: n, order: found, name: "lag", permutations: 99, seed: 1)
        XCTAssertEqual(lagged.p, 0.01)
        XCTAssertGreaterThan(lagged.z, 5)
        XCTAssertEqual(abs(lagged.speed), 1, accuracy: 0.05)
        // the stored (shuffled) order shows no wave
        let stored = WaveNullTest(map: map, steps: t, neurons: n, order: Array(0..<n), name: "index", permutations: 99, seed: 1)
        XCTAssertGreaterThan(stored.p, 0.05)
    }

    func testNoiseInAnOrderFoundOnOtherNoiseGivesUniformPValues() {
        let t = 24, n = 10, trials = 120
        var rng = RandomStream(seed: 6, stream: 0)
        var pValues: [Double] = []
        for trial in 0..<trials {
            let fit = (0..<3).map { _ in (0..<(t * n)).map { _ in rng.normal() } }
            let map = (0..<(t * n)).map { _ in rng.normal() }
            let order = lagOrder(fit, steps: t, neurons: n)
            pValues.append(
                WaveNullTest(map: map, steps: t, neurons: n, order: order, name: "lag", permutations: 39, seed: UInt64(trial)).p)
        }
        // uniform on {1/40, ..., 40/40}: mean 0.51, a tenth below 0.1, half below 0.5
        let mean = pValues.reduce(0, +) / Double(trials)
        XCTAssertEqual(mean, 0.5125, accuracy: 0.08)
        let low = Double(pValues.filter { $0 <= 0.1 }.count) / Double(trials)
        XCTAssertLessThan(low, 0.2)
        let half = Double(pValues.filter { $0 <= 0.5 }.count) / Double(trials)
        XCTAssertEqual(half, 0.5, accuracy: 0.15)
    }

    func testTheOwnOrderOfAPlainWaveIsAWaveAtItsSpeed() {
        var rng = RandomStream(seed: 7, stream: 0)
        let map = wave(steps: 40, neurons: 20, speed: -1, offset: 0, slot: Array(0..<20), noise: 0.01, rng: &rng)
        let own = WaveNullTest(map: map, steps: 40, neurons: 20, order: Array(0..<20), name: "ring", permutations: 49, seed: 2)
        XCTAssertEqual(own.p, 0.02)
        XCTAssertEqual(own.speed, -1, accuracy: 0.05)
    }
}
