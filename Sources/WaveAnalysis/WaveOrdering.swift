import Foundation
import WaveCore

/// Neurons ordered by their response lags: each neuron is followed by the one whose activity one
/// step later best matches its own (the largest lag-one correlation Σ z_i(t) z_j(t + 1) over the
/// sequences, z each neuron's activity standardised), from the neuron with the strongest such
/// successor on. Along a wave every neuron's activity reappears one step later in its neighbour, so
/// this order walks the wave's path from the states alone, in any RNN and from any number of
/// sources; in a model without waves it is an order like any other. Silent neurons come last, by
/// index.
///
/// `maps`: sequences' space-time maps, each [T, n].
public func lagOrder(_ maps: [[Double]], steps t: Int, neurons n: Int) -> [Int] {
    guard t >= 2, n >= 2, !maps.isEmpty else { return Array(0..<n) }
    // each neuron's mean and spread over every sequence and step
    var mean = [Double](repeating: 0, count: n), spread = mean
    for map in maps { for step in 0..<t { for i in 0..<n { mean[i] += map[step * n + i] } } }
    let count = Double(maps.count * t)
    for i in 0..<n { mean[i] /= count }
    for map in maps { for step in 0..<t { for i in 0..<n { let d = map[step * n + i] - mean[i]; spread[i] += d * d } } }
    let active = (0..<n).filter { spread[$0] > 1e-12 * count }
    let scale = spread.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
    // C[i, j] = Σ z_i(t) z_j(t + 1)
    var c = [Double](repeating: 0, count: n * n)
    for map in maps {
        for step in 0..<(t - 1) {
            for i in active {
                let zi = (map[step * n + i] - mean[i]) * scale[i]
                for j in active { c[i * n + j] += zi * (map[(step + 1) * n + j] - mean[j]) * scale[j] }
            }
        }
    }
    func successor(_ i: Int, among left: Set<Int>) -> (Int, Double)? {
        var best: (Int, Double)? = nil
        for j in left.sorted() where j != i && (best == nil || c[i * n + j] > best!.1) { best = (j, c[i * n + j]) }
        return best
    }
    guard
        var current = active.max(by: { a, b in
            let sa = successor(a, among: Set(active))?.1 ?? -.infinity, sb = successor(b, among: Set(active))?.1 ?? -.infinity
            return sa != sb ? sa < sb : a > b
        })
    else { return Array(0..<n) }
    var order = [current]
    var left = Set(active)
    left.remove(current)
    while let (next, _) = successor(current, among: left) {
        order.append(next)
        left.remove(next)
        current = next
    }
    return order + (0..<n).filter { !active.contains($0) }
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
