import Foundation
import WaveCore

/// Neurons ordered by their response phase: the phases of the leading eigenvector of the neurons'
/// cross-spectral matrix S(ω) = Σ_sequences X(ω) X(ω)ᴴ (X_i(ω) the DFT over time of neuron i's
/// activity, its mean removed), at the temporal frequency ω (1 ... min(T/2, 64) cycles per sequence)
/// where that eigenvector carries the most power. Neurons of a wave are time-shifted copies of one
/// another, so their phases at any frequency rise along the wave and this order recovers it from
/// the states alone, in any RNN; in a model without waves it is an order like any other.
/// Neurons that carry no power at ω (silent ones) come last, by index.
///
/// `maps`: sequences' space-time maps, each [T, n].
public func phaseOrder(_ maps: [[Double]], steps t: Int, neurons n: Int) -> (order: [Int], frequency: Int) {
    guard t >= 3, n >= 2, !maps.isEmpty else { return (Array(0..<n), 0) }
    let frequencies = Array(1...max(1, min(t / 2, 64)))
    // X[s][f][i] for every sequence s and frequency f
    var spectra: [[(re: Double, im: Double)]] = []
    for map in maps {
        var means = [Double](repeating: 0, count: n)
        for step in 0..<t { for i in 0..<n { means[i] += map[step * n + i] / Double(t) } }
        var x = [(re: Double, im: Double)](repeating: (0, 0), count: frequencies.count * n)
        for (f, k) in frequencies.enumerated() {
            for step in 0..<t {
                let angle = -2 * Double.pi * Double(k * step) / Double(t)
                let c = cos(angle), s = sin(angle)
                for i in 0..<n {
                    let v = map[step * n + i] - means[i]
                    x[f * n + i].re += v * c
                    x[f * n + i].im += v * s
                }
            }
        }
        spectra.append(x)
    }
    var best: (power: Double, vector: [(re: Double, im: Double)], frequency: Int) = (-1, [], 0)
    for (f, k) in frequencies.enumerated() {
        // S = Σ_s x xᴴ [n, n], Hermitian
        var sRe = [Double](repeating: 0, count: n * n), sIm = sRe
        for x in spectra {
            for i in 0..<n {
                let a = x[f * n + i]
                for j in 0..<n {
                    let b = x[f * n + j]
                    sRe[i * n + j] += a.re * b.re + a.im * b.im
                    sIm[i * n + j] += a.im * b.re - a.re * b.im
                }
            }
        }
        // the leading eigenvector by power iteration from a fixed start
        var v = (0..<n).map { i in (re: 1.0 / Double(n).squareRoot(), im: 0.01 * Double(i) / Double(n)) }
        var lambda = 0.0
        for _ in 0..<60 {
            var w = [(re: Double, im: Double)](repeating: (0, 0), count: n)
            for i in 0..<n {
                var re = 0.0, im = 0.0
                for j in 0..<n {
                    re += sRe[i * n + j] * v[j].re - sIm[i * n + j] * v[j].im
                    im += sRe[i * n + j] * v[j].im + sIm[i * n + j] * v[j].re
                }
                w[i] = (re, im)
            }
            let norm = w.reduce(0) { $0 + $1.re * $1.re + $1.im * $1.im }.squareRoot()
            guard norm > 0 else { break }
            lambda = norm
            v = w.map { ($0.re / norm, $0.im / norm) }
        }
        if lambda > best.power { best = (lambda, v, k) }
    }
    guard best.power > 0 else { return (Array(0..<n), 0) }
    let magnitude = best.vector.map { ($0.re * $0.re + $0.im * $0.im).squareRoot() }
    let floor = (magnitude.max() ?? 0) * 1e-3
    let phase = best.vector.map { atan2($0.im, $0.re) }
    let active = (0..<n).filter { magnitude[$0] > floor }.sorted { phase[$0] != phase[$1] ? phase[$0] < phase[$1] : $0 < $1 }
    let silent = (0..<n).filter { magnitude[$0] <= floor }
    return (active + silent, best.frequency)
}

/// A space-time map [T, n] with its neurons in `order` (column j is neuron order[j]).
public func reordered(_ map: [Double], steps t: Int, neurons n: Int, order: [Int]) -> [Double] {
    var out = [Double](repeating: 0, count: map.count)
    for step in 0..<t { for (j, i) in order.enumerated() { out[step * n + j] = map[step * n + i] } }
    return out
}

/// How much of a wave a map holds in a given neuron order, against the same map with its neurons in
/// random orders: the wave score (`WaveSpectrum.bestLine`'s, any speed and direction) of the map in
/// `order`, the mean and spread of the scores of `permutations` random orders, z and the one-sided
/// p-value (1 + #{null >= observed}) / (1 + permutations). For the p-value to mean what it says the
/// order must not be fitted on this map: `wrnn analyze` finds it on other sequences.
public struct WaveNullTest: Codable, Sendable, Equatable {
    public var order: String
    public var score: Double
    public var speed: Double
    public var diagonalPower: Double
    public var nullMean: Double
    public var nullSD: Double
    public var z: Double
    public var p: Double
    public var permutations: Int
    enum CodingKeys: String, CodingKey {
        case order, score, speed, z, p, permutations
        case diagonalPower = "diagonal_power", nullMean = "null_mean", nullSD = "null_sd"
    }

    /// `resolution`: the speed grid's step (neurons per step) for the observed and every null order alike.
    public init(
        map: [Double], steps t: Int, neurons n: Int, order: [Int], name: String, permutations: Int = 200, seed: UInt64,
        resolution: Double = 0.02
    ) {
        let spectrum = WaveSpectrum(map: reordered(map, steps: t, neurons: n, order: order), steps: t, neurons: n, seed: seed)
        let line = spectrum.bestLine(resolution: resolution)
        var rng = RandomStream(seed: seed, stream: 17)
        var null: [Double] = []
        for _ in 0..<permutations {
            let shuffled = rng.permutation(n)
            null.append(
                WaveSpectrum(map: reordered(map, steps: t, neurons: n, order: shuffled), steps: t, neurons: n, seed: seed)
                    .bestLine(resolution: resolution).score)
        }
        let mean = null.reduce(0, +) / Double(max(null.count, 1))
        let variance = null.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(null.count - 1, 1))
        self.order = name
        score = line.score
        speed = (line.speed * 100).rounded() / 100
        diagonalPower = spectrum.diagonalPower
        nullMean = mean
        nullSD = variance.squareRoot()
        z = nullSD > 0 ? (line.score - mean) / nullSD : 0
        p = Double(1 + null.filter { $0 >= line.score }.count) / Double(1 + permutations)
        self.permutations = permutations
    }
}
