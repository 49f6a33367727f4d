import CFFTW
import Foundation
import WaveCore
import WaveData
import WaveModels
import WavePlot
import WaveTraining

// Waves on a sheet (the 2-D wave RNN, `--model wrnn2d`): the ring's analyses with a second spatial
// axis. A channel's activity over time is m[t, y, x]; a wave moving (vx, vy) cells per step,
// m = g(x - vx t, y - vy t), puts its energy on the plane k / T = -(fx vx + fy vy) (mod 1) of the
// (k, ky, kx) spectrum, fx and fy the signed spatial frequencies in cycles per cell. The plane
// holding the most normalised power gives the wave's speed and direction.

/// |DFT3| of a real [steps, height, width] array through FFTW:
/// |X[k, ky, kx]| = |sum m[t, y, x] e^{-2 pi i (k t / steps + ky y / height + kx x / width)}|.
public func fft3Magnitude(_ m: [Double], steps: Int, height: Int, width: Int) -> [Double] {
    let count = steps * height * width
    let input = fftw_alloc_complex(count)!, output = fftw_alloc_complex(count)!
    defer { fftw_free(input); fftw_free(output) }
    for j in 0..<count { input[j] = (m[j], 0) }
    let plan = fftw_plan_dft_3d(Int32(steps), Int32(height), Int32(width), input, output, FFTW_FORWARD, FFTW_ESTIMATE)
    fftw_execute(plan)
    fftw_destroy_plan(plan)
    return (0..<count).map { (output[$0].0 * output[$0].0 + output[$0].1 * output[$0].1).squareRoot() }
}

/// The plain DFT the tests hold FFTW's 3-D transform to.
public func directDFT3Magnitude(_ m: [Double], steps: Int, height: Int, width: Int) -> [Double] {
    var out = [Double](repeating: 0, count: m.count)
    for k in 0..<steps {
        for ky in 0..<height {
            for kx in 0..<width {
                var re = 0.0, im = 0.0
                for t in 0..<steps {
                    for y in 0..<height {
                        for x in 0..<width {
                            let angle =
                                -2 * Double.pi
                                * (Double(k * t) / Double(steps) + Double(ky * y) / Double(height) + Double(kx * x) / Double(width))
                            re += m[(t * height + y) * width + x] * cos(angle)
                            im += m[(t * height + y) * width + x] * sin(angle)
                        }
                    }
                }
                out[(k * height + ky) * width + kx] = (re * re + im * im).squareRoot()
            }
        }
    }
    return out
}

/// The signed frequency of DFT index `k` of `n` points, in cycles per sample: (-1/2, 1/2].
@inline(__always) func signedFrequency(_ k: Int, _ n: Int) -> Double { Double(k <= n / 2 ? k : k - n) / Double(n) }

/// The sheet's normalised spectrum, the ring's `WaveSpectrum` in three dimensions:
/// R = |FFT3(m)| / |FFT3(m with its time steps shuffled)| over (temporal k, ky, kx).
public struct SheetSpectrum: Sendable {
    public let steps: Int, height: Int, width: Int
    /// [steps, height, width]
    public let ratio: [Double]

    public init(map: [Double], steps: Int, height: Int, width: Int, seed: UInt64 = 0) {
        self.steps = steps; self.height = height; self.width = width
        ratio = timeShuffledRatio(map, steps: steps, perStep: height * width, seed: seed) {
            fft3Magnitude($0, steps: steps, height: height, width: width)
        }
    }

    /// R at temporal frequency k (fractional, taken mod T, interpolated) and spatial frequencies (ky, kx).
    func value(k: Double, ky: Int, kx: Int) -> Double {
        let t = Double(steps)
        var kk = k.truncatingRemainder(dividingBy: t)
        if kk < 0 { kk += t }
        let k0 = Int(kk) % steps, k1 = (k0 + 1) % steps
        let f = kk - floor(kk)
        let cell = ky * width + kx, plane = height * width
        return ratio[k0 * plane + cell] * (1 - f) + ratio[k1 * plane + cell] * f
    }

    /// The temporal frequency (in DFT index units) of a wave moving (vx, vy) at spatial frequencies (ky, kx).
    @inline(__always) func planeK(vx: Double, vy: Double, ky: Int, kx: Int) -> Double {
        -Double(steps) * (signedFrequency(kx, width) * vx + signedFrequency(ky, height) * vy)
    }

    /// The ring's diagonal power on the sheet: the sum of R over the plane of waves moving (vx, vy)
    /// cells per step (the shift init's one cell per step in its direction), over every spatial frequency.
    public func planePower(vx: Double, vy: Double) -> Double {
        var sum = 0.0
        for ky in 0..<height { for kx in 0..<width { sum += value(k: planeK(vx: vx, vy: vy, ky: ky, kx: kx), ky: ky, kx: kx) } }
        return sum
    }

    /// Mean log10 R over the plane of velocity (vx, vy), over the nonzero spatial frequencies.
    public func planeScore(vx: Double, vy: Double) -> Double {
        var sum = 0.0, count = 0
        for ky in 0..<height {
            for kx in 0..<width where ky != 0 || kx != 0 {
                sum += log10(max(value(k: planeK(vx: vx, vy: vy, ky: ky, kx: kx), ky: ky, kx: kx), 1e-12))
                count += 1
            }
        }
        return count > 0 ? sum / Double(count) : 0
    }

    /// The velocity (cells per step; +x towards larger x, +y towards larger y) whose plane holds the
    /// most normalised power, searched on a grid of `resolution` up to `maxSpeed` on each axis, and its score.
    public func bestVelocity(maxSpeed: Double = 2, resolution: Double = 0.05) -> (vx: Double, vy: Double, score: Double) {
        let steps = Int((maxSpeed / resolution).rounded())
        var best = (vx: 0.0, vy: 0.0, score: -Double.infinity)
        // a sheet one cell wide (or high) has no spatial frequency on that axis: no velocity along it
        let ys = height > 1 ? -steps...steps : 0...0, xs = width > 1 ? -steps...steps : 0...0
        for iy in ys {
            for ix in xs {
                let vx = Double(ix) * resolution, vy = Double(iy) * resolution
                let score = planeScore(vx: vx, vy: vy)
                if score > best.score + 1e-12 { best = (vx, vy, score) }
            }
        }
        return best
    }

    /// For display: log10 R on the slices ky = 0 (against kx and temporal frequency: the spectrum
    /// of the sheet summed over y, where a wave's x velocity is the line's slope) and kx = 0,
    /// frequency 0 in the middle, [spatial (vertical), temporal (horizontal)] each.
    public var displaySlices: (x: [Double], y: [Double]) {
        func slice(_ size: Int, _ at: (Int, Int) -> Double) -> [Double] {
            var out = [Double](repeating: 0, count: size * steps)
            for s in 0..<size {
                for k in 0..<steps {
                    let row = (s + size - size / 2) % size, col = (k + steps - steps / 2) % steps
                    out[row * steps + col] = log10(max(at(k, s), 1e-12))
                }
            }
            return out
        }
        let plane = height * width
        return (slice(width) { k, kx in ratio[k * plane + kx] }, slice(height) { k, ky in ratio[k * plane + ky * width] })
    }
}

/// The sheet's wave test: the best plane's score for the sheet as it is, against the same for its
/// cells in random places (one permutation for all steps, so each cell keeps its own time course).
/// A wave across the sheet scores far above the null; activity without spatial order does not.
public struct SheetWaveTest: Codable, Sendable, Equatable {
    public var score: Double
    public var velocityX: Double
    public var velocityY: Double
    public var nullMean: Double
    public var nullSD: Double
    public var z: Double
    public var p: Double
    public var permutations: Int
    enum CodingKeys: String, CodingKey {
        case score, z, p, permutations
        case velocityX = "velocity_x", velocityY = "velocity_y", nullMean = "null_mean", nullSD = "null_sd"
    }

    public init(
        map: [Double], steps t: Int, height: Int, width: Int, permutations: Int = 200, seed: UInt64, resolution: Double = 0.1
    ) {
        let cells = height * width
        let best = SheetSpectrum(map: map, steps: t, height: height, width: width, seed: seed).bestVelocity(resolution: resolution)
        var rng = RandomStream(seed: seed, stream: 17)
        var null: [Double] = []
        var shuffled = [Double](repeating: 0, count: map.count)
        for _ in 0..<permutations {
            let order = rng.permutation(cells)
            for step in 0..<t { for i in 0..<cells { shuffled[step * cells + i] = map[step * cells + order[i]] } }
            null.append(
                SheetSpectrum(map: shuffled, steps: t, height: height, width: width, seed: seed).bestVelocity(resolution: resolution).score)
        }
        let mean = null.reduce(0, +) / Double(max(null.count, 1))
        let variance = null.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(null.count - 1, 1))
        score = best.score
        velocityX = (best.vx * 100).rounded() / 100
        velocityY = (best.vy * 100).rounded() / 100
        nullMean = mean
        nullSD = variance.squareRoot()
        z = nullSD > 0 ? (best.score - mean) / nullSD : 0
        p = Double(1 + null.filter { $0 >= best.score }.count) / Double(1 + permutations)
        self.permutations = permutations
    }
}

/// The direction of a velocity in degrees: 0 is +x, 90 is +y (counter-clockwise with y drawn upwards).
public func directionDegrees(vx: Double, vy: Double) -> Double {
    guard vx != 0 || vy != 0 else { return 0 }
    var degrees = atan2(vy, vx) * 180 / .pi
    if degrees < 0 { degrees += 360 }
    return (degrees * 10).rounded() / 10
}

extension Recording {
    /// The sheet of a 2-D wave model (nil for rings).
    var sheet: SheetShape? { config.model.sheet }
}

/// The steps a frame strip shows: `window` (1-based, inclusive) when given, else `count`
/// consecutive steps from the first step with a nonzero input (a copy task's first token, an
/// image's first stroke pixel), where waves start from the source cells.
func frameSteps(_ recording: Recording, row: Int, count: Int, window: ClosedRange<Int>? = nil) throws -> [Int] {
    let t = recording.length
    if let window {
        guard window.lowerBound >= 1, window.upperBound <= t else {
            throw WrnnError.usage(
                "--frames \(window.lowerBound):\(window.upperBound) is outside the run's \(t) steps; give A:B with 1 <= A < B <= \(t)")
        }
        return Array((window.lowerBound - 1)..<window.upperBound)
    }
    let inputs = recording.inputs[row], d = max(1, inputs.count / max(t, 1))
    let first = (0..<t).first { step in (0..<d).contains { inputs[step * d + $0] != 0 } } ?? 0
    let start = max(0, min(first, t - count))
    return Array(start..<min(t, start + count))
}

/// The strip of frames for print: one row per channel, `steps` across, each frame the sheet with
/// y drawn upwards and x to the right, one colour range per channel row (its 1st to 99th percentile).
func writeSheetFrames(
    _ recording: Recording, row: Int, channels: [Int], steps: [Int], title: String, to base: String, formats: [FigureFormat],
    size: FigureSize
) throws -> [String] {
    guard let sheet = recording.sheet else { return [] }
    let f = size.fontSize, scale = size.fontScale
    let left = 4.2 * f, top = 3.2 * f, gap = 0.5 * f, barSpace = 7.5 * f
    let columns = steps.count
    let frame = max(18, (size.widthPoints - left - barSpace - Double(columns - 1) * gap) / Double(columns))
    let frameW = frame, frameH = frame * Double(sheet.height) / Double(sheet.width)
    let width = Int(size.widthPoints.rounded())
    let height = Int((top + Double(channels.count) * (frameH + gap + 1.2 * f) + 2.2 * f).rounded())
    let units = recording.channels * recording.ringSize
    return try writeFigure(to: base, formats: formats, width: width, height: height) { canvas in
        canvas.text(title, x: left, y: 1.3 * f, size: 11 * scale, bold: true)
        for (r, ch) in channels.enumerated() {
            let y0 = top + Double(r) * (frameH + gap + 1.2 * f)
            let values = steps.flatMap { step in
                (0..<recording.ringSize).map { Double(recording.states[row][step * units + ch * recording.ringSize + $0]) }
            }
            let (low, high) = clippedRange(values)
            canvas.text("ch \(ch)", x: 0.3 * f, y: y0 + frameH / 2 + 0.35 * f, size: 9 * scale)
            for (col, step) in steps.enumerated() {
                let x0 = left + Double(col) * (frameW + gap)
                // rows of the image top to bottom are y = h - 1 ... 0, so y points up
                var image = [Double](repeating: 0, count: sheet.cells)
                for y in 0..<sheet.height {
                    for x in 0..<sheet.width {
                        image[(sheet.height - 1 - y) * sheet.width + x] = values[col * sheet.cells + y * sheet.width + x]
                    }
                }
                let panel = Panel(
                    x: x0, y: y0, w: frameW, h: frameH, xAxis: Axis("", -0.5, Double(sheet.width) - 0.5),
                    yAxis: Axis("", -0.5, Double(sheet.height) - 0.5))
                drawHeatmap(canvas, panel, values: image, rows: sheet.height, cols: sheet.width, low: low, high: high)
                canvas.stroke(x0, y0, frameW, frameH, Color(0.3, 0.3, 0.3), width: 0.5)
                if r == 0 { canvas.text("t=\(step + 1)", x: x0, y: y0 - 0.4 * f, size: 8.5 * scale) }
            }
            drawColorbar(
                canvas, x: left + Double(columns) * (frameW + gap) + 0.2 * f, y: y0, w: max(5, 0.02 * size.widthPoints), h: frameH,
                low: low, high: high, label: "h", fontScale: scale * 0.85)
        }
        canvas.text(
            "x to the right, y upwards; \(sheet) cells, wrapping at every edge", x: left,
            y: top + Double(channels.count) * (frameH + gap + 1.2 * f) + 0.6 * f, size: 8.5 * scale)
    }
}

/// The sheet's normalised spectrum as two panels, the slices ky = 0 and kx = 0 against temporal
/// frequency, with the best plane's line in each.
func writeSheetSpectrum(
    _ spectrum: SheetSpectrum, velocity: (vx: Double, vy: Double), title: String, to base: String, formats: [FigureFormat],
    size: FigureSize
) throws -> [String] {
    let projections = spectrum.displaySlices
    let f = size.fontSize, scale = size.fontScale
    let left = 5 * f, top = 4.4 * f, gap = 5.2 * f, barSpace = 7 * f
    let panelW = (min(size.widthPoints, 6.5 * 72) - left - gap - barSpace) / 2, panelH = panelW * 0.85
    let width = Int(min(size.widthPoints, 6.5 * 72).rounded()), height = Int((top + panelH + 3.9 * f).rounded())
    let values = projections.x + projections.y
    let high = max(values.max() ?? 1, 0.1), low = -high
    let t = spectrum.steps
    return try writeFigure(to: base, formats: formats, width: width, height: height) { canvas in
        canvas.text(title, x: left, y: 1.3 * f, size: 11 * scale, bold: true)
        for (index, (data, size, name, v)) in [
            (projections.x, spectrum.width, "x", velocity.vx), (projections.y, spectrum.height, "y", velocity.vy)
        ].enumerated() {
            var flipped = [Double](repeating: 0, count: size * t) // highest spatial frequency at the top
            for r in 0..<size { for col in 0..<t { flipped[r * t + col] = data[(size - 1 - r) * t + col] } }
            var panel = Panel(
                x: left + Double(index) * (panelW + gap), y: top, w: panelW, h: panelH,
                xAxis: Axis("temporal freq. (1/step)", (Double(-(t / 2)) - 0.5) / Double(t), (Double(t - 1 - t / 2) + 0.5) / Double(t)),
                yAxis: Axis(
                    "k\(name) (cycles / cell)", (Double(-(size / 2)) - 0.5) / Double(size),
                    (Double(size - 1 - size / 2) + 0.5) / Double(size)))
            panel.fontScale = scale
            drawHeatmap(
                canvas, panel, values: flipped, rows: size, cols: t, low: low, high: high, masked: { _, col in col == t / 2 },
                colormap: Colormap.diverging)
            // the best plane's trace: temporal frequency = -v * spatial frequency (drawn within the panel)
            let limit = 0.5
            let points = stride(from: -limit, through: limit, by: 0.01).compactMap { s -> (Double, Double)? in
                let k = -v * s
                return abs(k) <= 0.5 ? (panel.px(k), panel.py(s)) : nil
            }
            if points.count > 1 { canvas.line(points, .white, width: 0.8, dashed: true) }
            panel.drawFrame(canvas, title: "k\(index == 0 ? "y" : "x") = 0: v\(name) = \(String(format: "%.2f", v)) cells/step")
        }
        drawColorbar(
            canvas, x: left + 2 * panelW + gap + 0.6 * f, y: top, w: max(6, 0.022 * Double(width)), h: panelH, low: low, high: high,
            label: "log10 |F| / |F time-shuffled|", colormap: Colormap.diverging, fontScale: scale)
    }
}

/// The hidden state over time as an animated GIF: the channels' sheets side by side (y upwards),
/// each frame on its own colour range (smallest value to the 99th percentile), from the first active step.
func writeSheetGIF(_ recording: Recording, row: Int, channels: [Int], to path: String) throws {
    guard let sheet = recording.sheet else { return }
    let n = recording.ringSize, units = recording.channels * n, t = recording.length
    let values = recording.states[row]
    let scale = max(2, 120 / max(sheet.width, sheet.height)), gap = 10, top = 22, label = 14
    let width = channels.count * (sheet.width * scale + gap) + gap, height = top + label + sheet.height * scale + gap
    let gif = GIFFrames(width: width, height: height), palette = GIFFrames.palette
    func stamp(_ mask: (width: Int, height: Int, alpha: [UInt8]), x: Int, y: Int, into frame: inout [UInt8]) {
        gif.stamp(mask, x: x, y: y, into: &frame)
    }
    var base = [UInt8](repeating: GIFFrames.background, count: width * height)
    for (i, ch) in channels.enumerated() {
        stamp(textMask("channel \(ch)", size: 10), x: gap + i * (sheet.width * scale + gap), y: top, into: &base)
    }
    let units0 = recording.channels * n
    let first = (0..<t).first { step in (0..<units0).contains { values[step * units0 + $0] != 0 } } ?? 0
    let stride = max(1, (t - first) / 200)
    var frames: [[UInt8]] = []
    for step in Swift.stride(from: first, to: t, by: stride) {
        var frame = base
        stamp(textMask("t = \(step + 1) of \(t)", size: 11), x: gap, y: 3, into: &frame)
        let shown = channels.flatMap { ch in (0..<n).map { Double(values[step * units + ch * n + $0]) } }
        let (low, high) = clippedRange(shown)
        for (i, ch) in channels.enumerated() {
            let x0 = gap + i * (sheet.width * scale + gap), y0 = top + label
            for y in 0..<sheet.height {
                for x in 0..<sheet.width {
                    let v = Double(values[step * units + ch * n + y * sheet.width + x])
                    let index = v.isFinite && high > low ? UInt8(min(max((v - low) / (high - low), 0), 1) * 253) : 0
                    let py = y0 + (sheet.height - 1 - y) * scale, px = x0 + x * scale
                    for yy in py..<(py + scale) { for xx in px..<(px + scale) { frame[yy * width + xx] = index } }
                }
            }
        }
        frames.append(frame)
    }
    try AnimatedGIF.write(frames: frames, width: width, height: height, palette: palette, delayCentiseconds: 12, to: path)
}

/// `wrnn analyze` on a sheet run: per sample, the frames (strip and GIF), the hidden states as
/// [t, c, h, w] .npy, and per channel the (k, ky, kx) spectrum, the best plane's velocity, the
/// shift plane's power and the wave test against cells in random places.
func writeSheetFigures(
    _ recording: Recording, channels: [Int], runDirectory: String, into directory: String, seed: UInt64?,
    formats: [FigureFormat], size: FigureSize, permutations: Int?, frames: ClosedRange<Int>? = nil
) throws -> AnalysisSummary {
    let config = recording.config
    let sheet = recording.sheet!
    let name = config.model.displayName, t = recording.length
    var files: [String] = []
    var results: [ChannelAnalysis] = []
    let shiftDirection = config.model.shiftDirection ?? .plusX
    for (row, sample) in recording.samples.enumerated() {
        let hidden = "hidden_s\(sample).npy"
        try Npy.write(
            recording.states[row], shape: [t, recording.channels, sheet.height, sheet.width], to: directory + "/" + hidden)
        files.append(hidden)
        let steps = try frameSteps(recording, row: row, count: 12, window: frames)
        files += try writeSheetFrames(
            recording, row: row, channels: channels, steps: steps,
            title: "\(name): the sheet over time, test sample \(sample)", to: directory + "/frames_s\(sample)", formats: formats,
            size: size)
        try writeSheetGIF(recording, row: row, channels: channels, to: directory + "/hidden_s\(sample).gif")
        files.append("hidden_s\(sample).gif")
        for c in channels {
            let map = recording.map(sample: row, channel: c)
            let spectrum = SheetSpectrum(map: map, steps: t, height: sheet.height, width: sheet.width, seed: seed ?? config.seed)
            let best = spectrum.bestVelocity()
            // the shift init's plane for the channel (one cell per step in its direction)
            let step = shiftDirection.step(channel: c)
            var result = ChannelAnalysis(
                sample: sample, channel: c, diagonalPower: spectrum.planePower(vx: Double(step.x), vy: Double(step.y)),
                speed: (best.vx * best.vx + best.vy * best.vy).squareRoot())
            result.velocity = [best.vx, best.vy]
            result.direction = directionDegrees(vx: best.vx, vy: best.vy)
            if let permutations {
                result.sheetTest = SheetWaveTest(
                    map: map, steps: t, height: sheet.height, width: sheet.width, permutations: permutations, seed: seed ?? config.seed)
            }
            try Npy.write(
                spectrum.ratio.map(Float.init), shape: [t, sheet.height, sheet.width], to: directory + "/spectrum_s\(sample)_c\(c).npy")
            files.append("spectrum_s\(sample)_c\(c).npy")
            files += try writeSheetSpectrum(
                spectrum, velocity: (best.vx, best.vy),
                title: "\(name), channel \(c): spectrum, sample \(sample)", to: directory + "/spectrum_s\(sample)_c\(c)",
                formats: formats, size: size)
            results.append(result)
        }
        if config.task.inputCategories != nil && config.model.readoutTiming == .every {
            files += try writeTokenPanel(
                recording, row: row, sample: sample, to: directory + "/copy_io_s\(sample)", formats: formats, size: size)
        }
    }
    files += (try? writeCurves(runs: [runDirectory], to: directory, formats: formats, size: size == .screen ? nil : size)) ?? []
    return AnalysisSummary(
        model: config.model.kind.rawValue, task: config.task.kind.rawValue, step: recording.step, channels: results,
        meanDiagonalPower: results.map(\.diagonalPower).reduce(0, +) / Double(max(results.count, 1)),
        meanSpeed: results.map(\.speed).reduce(0, +) / Double(max(results.count, 1)), files: files)
}
