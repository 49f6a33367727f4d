import Foundation
import XCTest
import WaveAnalysis
import WaveCore

/// The memory probe on states whose memory is known: a delay line holds lag k exactly while k is
/// shorter than the line and nothing after; random states hold nothing; a token line is named
/// right while it holds the token and at chance after.
final class MemoryProbeTests: XCTestCase {
    /// Feeds `sequences` fitting and as many scored sequences of `length` steps: inputs [T, d] from
    /// `input`, states [T, N] from `states(inputs, sequence)`.
    func runProbe(
        _ design: ProbeDesign, sequences: Int, seed: UInt64, input: (inout RandomStream) -> [Float],
        states: ([[Float]], inout RandomStream) -> [[Float]]
    ) -> MemoryProbe {
        let probe = MemoryProbe(design)
        var rng = RandomStream(seed: seed, stream: 0)
        func sequence() -> (x: [[Float]], h: [[Float]]) {
            let x = (0..<design.length).map { _ in input(&rng) }
            return (x, states(x, &rng))
        }
        for s in 0..<sequences {
            let (x, h) = sequence()
            withPointers(x, h) { xs, hs in probe.addFitting(index: s, state: { hs[$0] }, input: { xs[$0] }) }
        }
        probe.fit()
        for _ in 0..<sequences {
            let (x, h) = sequence()
            withPointers(x, h) { xs, hs in probe.addScored(state: { hs[$0] }, input: { xs[$0] }) }
        }
        return probe
    }

    /// Rows as stable pointers for the probe's closures.
    func withPointers(_ x: [[Float]], _ h: [[Float]], _ body: ([UnsafePointer<Float>], [UnsafePointer<Float>]) -> Void) {
        let xs = x.map { row -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: row.count)
            p.initialize(from: row, count: row.count)
            return p
        }
        let hs = h.map { row -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: row.count)
            p.initialize(from: row, count: row.count)
            return p
        }
        body(xs.map { UnsafePointer($0) }, hs.map { UnsafePointer($0) })
        (xs + hs).forEach { $0.deallocate() }
    }

    /// h_t = (x_t, x_(t-1), ..., x_(t-n+1)): position p of the line holds the input p steps back.
    func delayLine(_ x: [[Float]], length n: Int) -> [[Float]] {
        (0..<x.count).map { t in (0..<n).flatMap { p in t - p >= 0 ? x[t - p] : [Float](repeating: 0, count: x[0].count) } }
    }

    func testADelayLineHoldsEachLagUpToItsLengthAndNothingAfter() {
        let n = 8
        let design = ProbeDesign(lags: Array(0...14), inputSize: 1, categories: nil, features: n, length: 40)
        let probe = runProbe(
            design, sequences: 60, seed: 1, input: { [Float($0.uniform())] }, states: { x, _ in self.delayLine(x, length: n) })
        let curve = probe.curve()
        XCTAssertEqual(curve.metric, "r2")
        for (l, k) in curve.lags.enumerated() {
            if k < n {
                XCTAssertGreaterThan(curve.score[l], 0.999, "lag \(k) is on the line")
            } else {
                XCTAssertLessThan(abs(curve.score[l]), 0.02, "lag \(k) is past the line")
            }
        }
        XCTAssertEqual(curve.memoryCapacity, Double(n), accuracy: 0.1)
        XCTAssertEqual(curve.chance, [Double](repeating: 0, count: 15))
        // lag k is read at position k of the line, and the memory drifts one position per lag
        let map = ringMemoryMap(probe.contributions, lags: curve.lags.count, rings: 1, ringSize: n)
        for k in 0..<n {
            let row = (0..<n).map { map[k * n + $0] }
            XCTAssertEqual(row.firstIndex(of: row.max()!), k)
            XCTAssertEqual(row[k], 1)
            XCTAssertLessThan(row.enumerated().filter { $0.offset != k }.map(\.element).max()!, 0.05)
        }
        XCTAssertEqual(memoryDrift(map: map, lags: curve.lags, ringSize: n, normalisedScore: curve.normalisedScore), 1)
    }

    func testRandomStatesHoldNothingAboveChance() {
        let design = ProbeDesign(lags: Array(0...5), inputSize: 2, categories: nil, features: 30, length: 30)
        let probe = runProbe(
            design, sequences: 50, seed: 2, input: { [Float($0.uniform()), Float($0.normal())] },
            states: { x, rng in x.map { _ in (0..<30).map { _ in Float(rng.normal()) } } })
        let curve = probe.curve()
        for score in curve.score { XCTAssertLessThan(score, 0.02) }
        XCTAssertLessThan(curve.memoryCapacity, 0.1)
        // the penalty chosen for noise is the largest the grid has: nothing is worth fitting
        XCTAssertEqual(curve.penalty.max(), ProbeDesign.penalties.last)
    }

    func testATokenLineIsNamedWhileItHoldsTheTokenAndAtChanceAfter() {
        let tokens = 4, n = 3
        let design = ProbeDesign(lags: Array(0...6), inputSize: tokens, categories: tokens, features: n * tokens, length: 25)
        let probe = runProbe(
            design, sequences: 40, seed: 3,
            input: { rng in
                var x = [Float](repeating: 0, count: tokens)
                x[rng.int(below: tokens)] = 1
                return x
            }, states: { x, _ in self.delayLine(x, length: n) })
        let curve = probe.curve()
        XCTAssertEqual(curve.metric, "balanced_accuracy")
        XCTAssertEqual(curve.chance, [Double](repeating: 0.25, count: 7))
        for (l, k) in curve.lags.enumerated() {
            if k < n { XCTAssertEqual(curve.score[l], 1) } else { XCTAssertEqual(curve.score[l], 0.25, accuracy: 0.06) }
        }
        XCTAssertEqual(curve.memoryCapacity, Double(n), accuracy: 0.25)
    }

    func testCapacityNormalisesByChanceAndIgnoresLagsWithNothingToRemember() {
        XCTAssertEqual(ProbeCurve.capacity(score: [1, 0.625, 0.25, 1], chance: [0.25, 0.25, 0.25, 1]), 1.5, accuracy: 1e-12)
        XCTAssertEqual(ProbeCurve.capacity(score: [0.9, -0.3, 1.2], chance: [0, 0, 0]), 1.9, accuracy: 1e-12)
    }

    func testTheSameSequencesGiveTheSameCurve() {
        let design = ProbeDesign(lags: [0, 2, 4], inputSize: 1, categories: nil, features: 5, length: 20, stepStride: 2)
        func once() -> ProbeCurve {
            runProbe(design, sequences: 20, seed: 4, input: { [Float($0.uniform())] }, states: { x, _ in self.delayLine(x, length: 5) })
                .curve()
        }
        XCTAssertEqual(once(), once())
        XCTAssertEqual(design.rowSteps, [4, 6, 8, 10, 12, 14, 16, 18])
    }
}
