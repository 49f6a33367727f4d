import CFFTW
import Foundation
import WaveCore

/// |DFT2| of a real [rows, cols] map through FFTW (any size, not only powers of two):
/// |X[k, l]| = |sum_{t, i} m[t, i] e^{-2 pi i (k t / rows + l i / cols)}|.
public func fft2Magnitude(_ m: [Double], rows: Int, cols: Int) -> [Double] {
    let count = rows * cols
    let input = fftw_alloc_complex(count)!, output = fftw_alloc_complex(count)!
    defer { fftw_free(input); fftw_free(output) }
    for j in 0..<count { input[j] = (m[j], 0) }
    let plan = fftw_plan_dft_2d(Int32(rows), Int32(cols), input, output, FFTW_FORWARD, FFTW_ESTIMATE)
    fftw_execute(plan)
    fftw_destroy_plan(plan)
    return (0..<count).map { (output[$0].0 * output[$0].0 + output[$0].1 * output[$0].1).squareRoot() }
}

/// The plain O(rows^2 cols^2) DFT the tests hold FFTW to.
public func directDFT2Magnitude(_ m: [Double], rows: Int, cols: Int) -> [Double] {
    var out = [Double](repeating: 0, count: rows * cols)
    for k in 0..<rows {
        for l in 0..<cols {
            var re = 0.0, im = 0.0
            for t in 0..<rows {
                for i in 0..<cols {
                    let angle = -2 * Double.pi * (Double(k * t) / Double(rows) + Double(l * i) / Double(cols))
                    re += m[t * cols + i] * cos(angle)
                    im += m[t * cols + i] * sin(angle)
                }
            }
            out[k * cols + l] = (re * re + im * im).squareRoot()
        }
    }
    return out
}

/// |F(m)| / |F(m with its time steps shuffled)| for a map of `steps` rows of `perStep` values and a
/// magnitude transform F (2-D for a ring, 3-D for a sheet): the normalisation behind every spectrum,
/// with the shuffle drawn from `seed` (stream 7) and a floor 1e-9 below the reference's largest value.
func timeShuffledRatio(_ map: [Double], steps: Int, perStep: Int, seed: UInt64, _ magnitude: ([Double]) -> [Double]) -> [Double] {
    var rng = RandomStream(seed: seed, stream: 7)
    let order = rng.permutation(steps)
    var shuffled = [Double](repeating: 0, count: map.count)
    for t in 0..<steps { for i in 0..<perStep { shuffled[t * perStep + i] = map[order[t] * perStep + i] } }
    let plain = magnitude(map), reference = magnitude(shuffled)
    let floor = max(reference.max() ?? 0, 1e-300) * 1e-9
    return zip(plain, reference).map { $0 / ($1 + floor) }
}

/// The paper's 2-D Fourier analysis of one space-time map m[t, i] (time x neurons):
/// R = |FFT2(m)| / |FFT2(m with its time steps shuffled)|. A wave of speed v neurons per step,
/// m[t, i] = g(i - v t), puts its energy where k/T = -v l/n (mod 1) for temporal frequency k
/// and spatial frequency l, so the line's slope is the speed.
public struct WaveSpectrum: Sendable {
    public let steps: Int
    public let neurons: Int
    /// [steps, neurons]: normalised spectrum, temporal frequency k by spatial frequency l.
    public let ratio: [Double]

    public init(map: [Double], steps: Int, neurons: Int, seed: UInt64 = 0) {
        self.steps = steps
        self.neurons = neurons
        ratio = timeShuffledRatio(map, steps: steps, perStep: neurons, seed: seed) { fft2Magnitude($0, rows: steps, cols: neurons) }
    }

    /// R at temporal frequency k (fractional, taken mod T, interpolated) and spatial frequency l.
    func value(k: Double, l: Int) -> Double {
        let t = Double(steps)
        var kk = k.truncatingRemainder(dividingBy: t)
        if kk < 0 { kk += t }
        let k0 = Int(kk) % steps, k1 = (k0 + 1) % steps
        let f = kk - floor(kk)
        return ratio[k0 * neurons + l] * (1 - f) + ratio[k1 * neurons + l] * f
    }

    /// The authors' "diagonal power": the trace of R, i.e. the sum along k = l T / n, the line of
    /// waves moving one neuron per step toward lower indices (the shift init's direction); for a
    /// square map exactly the main diagonal.
    public var diagonalPower: Double {
        (0..<neurons).reduce(0) { $0 + value(k: Double($1) * Double(steps) / Double(neurons), l: $1) }
    }

    /// Speed v (neurons per step; positive = toward higher indices) whose line k = -v l T / n holds
    /// the most normalised power, averaged in log scale over the positive spatial frequencies.
    public func estimatedSpeed(maxSpeed: Double = 4, resolution: Double = 0.01) -> Double {
        (bestLine(maxSpeed: maxSpeed, resolution: resolution).speed * 100).rounded() / 100
    }

    /// The speed of `estimatedSpeed` and its line's score: the mean over spatial frequencies
    /// l = 1 ... n/2 of log10 R on the line k = -v l T / n. A wave at any speed and in either
    /// direction scores high; a map without one scores near 0.
    public func bestLine(maxSpeed: Double = 4, resolution: Double = 0.01) -> (speed: Double, score: Double) {
        let half = max(1, neurons / 2)
        var best = 0.0, bestScore = -Double.infinity
        var v = -maxSpeed
        while v <= maxSpeed + 1e-9 {
            var score = 0.0
            for l in 1...half { score += log10(max(value(k: -v * Double(l) * Double(steps) / Double(neurons), l: l), 1e-12)) }
            if score > bestScore + 1e-9 { bestScore = score; best = v }
            v += resolution
        }
        return (best, bestScore / Double(half))
    }

    /// log10 R with both axes shifted so frequency 0 is in the middle, transposed for display:
    /// [neurons (spatial frequency, vertical), steps (temporal frequency, horizontal)].
    public var displayLogRatio: [Double] {
        var out = [Double](repeating: 0, count: steps * neurons)
        for k in 0..<steps {
            for l in 0..<neurons {
                let row = (l + neurons / 2) % neurons, col = (k + steps / 2) % steps
                out[row * steps + col] = log10(max(ratio[k * neurons + l], 1e-12))
            }
        }
        return out
    }
}
