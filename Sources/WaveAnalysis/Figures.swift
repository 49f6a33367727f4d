import Foundation
import WaveCore
import WaveData
import WaveModels
import WaveTasks
import WavePlot
import WaveTraining

/// Spectral summary of one space-time map.
public struct ChannelAnalysis: Codable, Sendable {
    public var sample: Int
    public var channel: Int
    public var diagonalPower: Double
    public var speed: Double
    /// With wave tests: the map in the model's own order (the ring's, or the neurons' index) and in
    /// the response-lag order found on other sequences, each against random orders of its neurons.
    public var ownOrder: WaveNullTest?
    public var lagOrder: WaveNullTest?
    /// On a sheet: the best plane's velocity [vx, vy] in cells per step, its direction in degrees
    /// (0 = +x, 90 = +y), and the wave test against the cells in random places. `diagonalPower` is
    /// then the power on the shift init's plane and `speed` the velocity's length.
    public var velocity: [Double]?
    public var direction: Double?
    public var sheetTest: SheetWaveTest?
    enum CodingKeys: String, CodingKey {
        case sample, channel, speed, diagonalPower = "diagonal_power", ownOrder = "own_order_test", lagOrder = "lag_order_test"
        case velocity, direction, sheetTest = "sheet_wave_test"
    }
}

/// What the wave tests of `writeFigures` read: sequences other than the drawn ones (the neurons'
/// response-lag order is found on them) and the number of random orders in each null.
public struct WaveTestSettings: Sendable {
    public var ordering: Recording
    public var permutations: Int
    public init(ordering: Recording, permutations: Int = 200) { self.ordering = ordering; self.permutations = permutations }
}

/// What `wrnn analyze` writes into RUN_DIR/analysis/analysis.json.
public struct AnalysisSummary: Codable, Sendable {
    public var model: String
    public var task: String
    public var step: Int
    public var channels: [ChannelAnalysis]
    public var meanDiagonalPower: Double
    public var meanSpeed: Double
    public var files: [String]
    enum CodingKeys: String, CodingKey {
        case model, task, step, channels, files
        case meanDiagonalPower = "mean_diagonal_power", meanSpeed = "mean_speed"
    }
}

/// Neurons ordered by the time of their largest activation (silent neurons last), as the paper
/// sorts the iRNN's map to show that even then it has no bands.
public func onsetOrder(_ map: [Double], steps: Int, neurons: Int) -> [Int] {
    let onset: [(Int, Double)] = (0..<neurons).map { i in
        var bestT = 0, best = -Double.infinity
        for t in 0..<steps where map[t * neurons + i] > best { best = map[t * neurons + i]; bestT = t }
        return (best > 0 ? bestT : steps, best)
    }
    return (0..<neurons).sorted { onset[$0].0 != onset[$1].0 ? onset[$0].0 < onset[$1].0 : $0 < $1 }
}

/// The map's values [T, n] as display rows: neuron i (or the i-th in `order`) is row i, time runs along it.
func spaceTimeRows(_ map: [Double], steps: Int, neurons: Int, order: [Int]? = nil) -> [Double] {
    var values = [Double](repeating: 0, count: steps * neurons)
    for (row, i) in (order ?? Array(0..<neurons)).enumerated() {
        for t in 0..<steps { values[row * steps + t] = map[t * neurons + i] }
    }
    return values
}

/// The finite values' range (0 ... 1 when there are none), so a diverged run still draws.
func finiteRange<S: Sequence>(_ values: S) -> (Double, Double) where S.Element == Double {
    var low = Double.infinity, high = -Double.infinity
    for v in values where v.isFinite { low = min(low, v); high = max(high, v) }
    if low > high { return (0, 1) }
    return high > low ? (low, high) : (low - 0.5, high + 0.5)
}

/// low = the smallest finite value, high = the 99th percentile: a few large activations (the iRNN's)
/// do not wash out every wave on a shared scale.
func clippedRange<S: Sequence>(_ values: S) -> (Double, Double) where S.Element == Double {
    let finite = values.filter { $0.isFinite }.sorted()
    guard let low = finite.first else { return (0, 1) }
    let high = finite[Int(Double(finite.count - 1) * 0.99)]
    return high > low ? (low, high) : (low - 0.5, low + 0.5)
}

/// A space-time map in `rect`: neurons down the vertical axis (neuron 0 at the top), time steps
/// along the horizontal one, activation by colour.
func drawSpaceTime(
    _ c: Canvas, x: Double, y: Double, w: Double, h: Double, map: [Double], steps: Int, neurons: Int,
    order: [Int]? = nil, low: Double, high: Double, title: String, neuronLabel: String, fontScale: Double = 1, firstStep: Int = 1
) {
    var panel = Panel(
        x: x, y: y, w: w, h: h, xAxis: Axis("time step t", Double(firstStep) - 0.5, Double(firstStep + steps) - 0.5),
        yAxis: Axis(neuronLabel, -0.5, Double(neurons) - 0.5, downward: true))
    panel.fontScale = fontScale
    drawHeatmap(
        c, panel, values: spaceTimeRows(map, steps: steps, neurons: neurons, order: order), rows: neurons, cols: steps,
        low: low, high: high)
    panel.drawFrame(c, title: title)
}

/// The normalised spectrum in `rect`: spatial frequency up the vertical axis, temporal frequency
/// along the horizontal one, both in cycles per neuron / step with zero marked. The zero
/// temporal-frequency column is masked grey: shuffling time cannot change it, so its ratio is always 1.
func drawSpectrum(
    _ c: Canvas, x: Double, y: Double, w: Double, h: Double, spectrum: WaveSpectrum, low: Double, high: Double, title: String,
    fontScale: Double = 1, compact: Bool? = nil
) {
    let n = spectrum.neurons, t = spectrum.steps
    let display = spectrum.displayLogRatio
    var flipped = [Double](repeating: 0, count: n * t) // highest spatial frequency at the top
    for r in 0..<n { for col in 0..<t { flipped[r * t + col] = display[(n - 1 - r) * t + col] } }
    // a figure sized for print has short panels: the same units, written shorter
    let compact = compact ?? (fontScale < 1)
    var panel = Panel(
        x: x, y: y, w: w, h: h,
        xAxis: Axis(
            compact ? "temporal frequency (1/step)" : "temporal frequency (cycles / step)",
            (Double(-(t / 2)) - 0.5) / Double(t), (Double(t - 1 - t / 2) + 0.5) / Double(t)),
        yAxis: Axis(
            compact ? "spatial freq. (1/neuron)" : "spatial frequency (cycles / neuron)",
            (Double(-(n / 2)) - 0.5) / Double(n), (Double(n - 1 - n / 2) + 0.5) / Double(n)))
    panel.fontScale = fontScale
    drawHeatmap(
        c, panel, values: flipped, rows: n, cols: t, low: low, high: high, masked: { _, col in col == t / 2 },
        colormap: Colormap.diverging)
    c.line([(panel.px(0), panel.y), (panel.px(0), panel.y + panel.h)], .white, width: 0.6, dashed: true)
    c.line([(panel.x, panel.py(0)), (panel.x + panel.w, panel.py(0))], .white, width: 0.6, dashed: true)
    panel.drawFrame(c, title: title)
}

/// log10 ratio range over spectra, without the masked zero temporal-frequency column, symmetric
/// about 0 so that the diverging colour map's centre is a ratio of 1.
func spectrumRange(_ spectra: [WaveSpectrum]) -> (Double, Double) {
    let (low, high) = finiteRange(
        spectra.flatMap { s -> [Double] in
            let t = s.steps
            return s.displayLogRatio.enumerated().filter { $0.offset % t != t / 2 }.map(\.element)
        })
    let extent = max(abs(low), abs(high), 1e-6)
    return (-extent, extent)
}

/// How the colour ranges of a figure's panels are chosen: each panel its own (the default, so a
/// weak ring or the quieter of two models still uses every colour), one range over all panels of a
/// kind (maps compare with maps, spectra with spectra), or a fixed range for the maps.
public enum ColourScale: Equatable, Sendable {
    case panel, shared
    case fixed(Double, Double)

    /// "panel", "shared" or "LO,HI".
    public init(parsing text: String) throws {
        switch text {
        case "panel": self = .panel
        case "shared": self = .shared
        default:
            let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low < high else {
                throw WrnnError.usage("--scale takes panel, shared or LO,HI with LO < HI (got '\(text)')")
            }
            self = .fixed(low, high)
        }
    }

    /// The colour range of one map, given every map of the figure.
    func mapRange(_ map: [Double], all: [[Double]]) -> (Double, Double) {
        switch self {
        case .panel: return clippedRange(map)
        case .shared: return clippedRange(all.joined())
        case .fixed(let low, let high): return (low, high)
        }
    }

    /// The colour range of one spectrum, given every spectrum of the figure (symmetric about 0).
    func spectrumRange(_ spectrum: WaveSpectrum, all: [WaveSpectrum]) -> (Double, Double) {
        self == .shared ? WaveAnalysis.spectrumRange(all) : WaveAnalysis.spectrumRange([spectrum])
    }
}

/// One heat map with its colour bar on a canvas `size.widthInches` wide: room for the y tick labels
/// and axis label on the left, the title above, the x axis below, the bar and its labels on the
/// right; the panel's height is `aspect` times its width.
struct MapLayout {
    let width: Int, height: Int
    let x: Double, y: Double, w: Double, h: Double
    let barX: Double, barWidth: Double
    let fontScale: Double

    init(_ size: FigureSize, aspect: Double) {
        let f = size.fontSize, total = size.widthPoints
        fontScale = size.fontScale
        barWidth = max(6, 0.022 * total)
        x = 4.8 * f
        y = 2.8 * f
        w = total - x - (0.6 * f + barWidth + 5.6 * f)
        h = w * aspect
        barX = x + w + 0.6 * f
        width = Int(total.rounded())
        height = Int((y + h + 3.9 * f).rounded())
    }
}

func ringName(_ config: TrainConfig, _ ring: Int) -> String {
    config.model.kind.hasRings ? "ring \(ring)" : "all \(config.model.units) neurons"
}

/// Writes every figure of `recording` into `directory` in `formats`, with the data beside each
/// (.npy), and returns the summary. `seed` drives the time shuffle of the normalised spectrum.
public func writeFigures(
    _ recording: Recording, channels requested: [Int]?, runDirectory: String,
    into directory: String, seed: UInt64? = nil, formats: [FigureFormat] = [.png],
    scale: ColourScale = .panel, size: FigureSize = .screen, waveTests: WaveTestSettings? = nil, frames: ClosedRange<Int>? = nil
) throws -> AnalysisSummary {
    try makeDirectories(directory)
    let config = recording.config
    let channels = requested ?? Array(0..<min(recording.channels, 4))
    for c in channels where c < 0 || c >= recording.channels {
        throw WrnnError.usage(
            "--channels: \(recording.sheet == nil ? "ring" : "channel") \(c) does not exist (the model has \(recording.channels))")
    }
    if recording.sheet != nil {
        let summary = try writeSheetFigures(
            recording, channels: channels, runDirectory: runDirectory, into: directory, seed: seed, formats: formats, size: size,
            permutations: waveTests?.permutations, frames: frames)
        try writeAtomically(Array(try WrnnJSON.encoder().encode(summary)) + [10], to: directory + "/analysis.json")
        return summary
    }
    let name = config.model.displayName
    var files: [String] = []
    var results: [ChannelAnalysis] = []
    let t = recording.length, n = recording.ringSize
    // the colour ranges: each map and spectrum its own by default, or shared over the run's panels
    let allMaps = recording.samples.indices.flatMap { row in channels.map { recording.map(sample: row, channel: $0) } }
    var spectra: [(row: Int, sample: Int, ring: Int, spectrum: WaveSpectrum)] = []
    for (row, sample) in recording.samples.enumerated() {
        for c in channels {
            spectra.append(
                (row, sample, c, WaveSpectrum(map: recording.map(sample: row, channel: c), steps: t, neurons: n, seed: seed ?? config.seed))
            )
        }
    }
    let neuronLabel = config.model.kind.hasRings ? "neuron i on the ring" : "neuron i"
    var foundOrders: [Int: [Int]] = [:]
    for (row, sample) in recording.samples.enumerated() {
        let hidden = "hidden_s\(sample).npy"
        try Npy.write(recording.states[row], shape: [t, recording.channels, n], to: directory + "/" + hidden)
        files.append(hidden)
        for c in channels {
            let map = recording.map(sample: row, channel: c)
            let mapRange = scale.mapRange(map, all: allMaps)
            let scaleNote = scale == .panel ? "this map" : scale == .shared ? "all maps" : "fixed"
            let mapLayout = MapLayout(size, aspect: 0.45)
            let narrow = size.widthPoints < 300
            /// The map with its neurons in `order` (nil: as stored; the onset order, the response-lag order).
            func orderedMap(_ order: [Int]?, file: String, title: String, neuronLabel: String) throws -> [String] {
                try writeFigure(to: directory + "/" + file, formats: formats, width: mapLayout.width, height: mapLayout.height) { canvas in
                    drawSpaceTime(
                        canvas, x: mapLayout.x, y: mapLayout.y, w: mapLayout.w, h: mapLayout.h, map: map, steps: t, neurons: n,
                        order: order, low: mapRange.0, high: mapRange.1, title: title, neuronLabel: neuronLabel,
                        fontScale: mapLayout.fontScale)
                    drawColorbar(
                        canvas, x: mapLayout.barX, y: mapLayout.y, w: mapLayout.barWidth, h: mapLayout.h, low: mapRange.0, high: mapRange.1,
                        label: narrow ? "activation h" : "activation h (\(scaleNote))", fontScale: mapLayout.fontScale)
                }
            }
            files += try orderedMap(
                nil, file: "spacetime_s\(sample)_c\(c)",
                title: narrow
                    ? "\(name), \(ringName(config, c)), sample \(sample)"
                    : "\(name), \(ringName(config, c)): hidden state, test sample \(sample)",
                neuronLabel: neuronLabel)
            // the twin has no ring order to show waves in: its neurons sorted by when they first fire
            if config.model.kind.model.role == .waveFreeTwin {
                files += try orderedMap(
                    onsetOrder(map, steps: t, neurons: n), file: "spacetime_sorted_s\(sample)_c\(c)",
                    title: narrow ? "\(name) by onset, sample \(sample)" : "\(name): neurons sorted by onset, test sample \(sample)",
                    neuronLabel: "neuron (sorted by onset)")
            }
            let spectrum = spectra.first { $0.row == row && $0.ring == c }!.spectrum
            let spectralRange = scale.spectrumRange(spectrum, all: spectra.map(\.spectrum))
            try Npy.write(spectrum.displayLogRatio.map(Float.init), shape: [n, t], to: directory + "/spectrum_s\(sample)_c\(c).npy")
            files.append("spectrum_s\(sample)_c\(c).npy")
            // the spectrum is drawn at most 6 inches wide: a square-ish panel, not a banner
            let spectrumLayout = MapLayout(FigureSize(widthInches: min(size.widthInches, 6.5), fontSize: size.fontSize), aspect: 0.85)
            files += try writeFigure(
                to: directory + "/spectrum_s\(sample)_c\(c)", formats: formats, width: spectrumLayout.width,
                height: spectrumLayout.height
            ) { canvas in
                drawSpectrum(
                    canvas, x: spectrumLayout.x, y: spectrumLayout.y, w: spectrumLayout.w, h: spectrumLayout.h, spectrum: spectrum,
                    low: spectralRange.0, high: spectralRange.1,
                    title: narrow
                        ? "\(name), \(ringName(config, c)): spectrum"
                        : "\(name), \(ringName(config, c)): normalised spectrum, sample \(sample)",
                    fontScale: spectrumLayout.fontScale, compact: size != .screen)
                drawColorbar(
                    canvas, x: spectrumLayout.barX, y: spectrumLayout.y, w: spectrumLayout.barWidth, h: spectrumLayout.h,
                    low: spectralRange.0, high: spectralRange.1, label: narrow ? "log10 ratio" : "log10 |F| / |F time-shuffled|",
                    colormap: Colormap.diverging, fontScale: spectrumLayout.fontScale)
            }
            var result = ChannelAnalysis(
                sample: sample, channel: c, diagonalPower: spectrum.diagonalPower, speed: spectrum.estimatedSpeed())
            if let waveTests {
                let found: [Int]
                if let known = foundOrders[c] {
                    found = known
                } else {
                    let fitMaps = waveTests.ordering.samples.indices.map { waveTests.ordering.map(sample: $0, channel: c) }
                    found = lagOrder(fitMaps, steps: t, neurons: n)
                    foundOrders[c] = found
                    try Npy.write(found.map(Float.init), shape: [n], to: directory + "/lag_order_c\(c).npy")
                    files.append("lag_order_c\(c).npy")
                }
                let shuffleSeed = seed ?? config.seed
                result.ownOrder = WaveNullTest(
                    map: map, steps: t, neurons: n, order: Array(0..<n), name: config.model.kind.hasRings ? "ring" : "index",
                    permutations: waveTests.permutations, seed: shuffleSeed)
                let lagged = WaveNullTest(
                    map: map, steps: t, neurons: n, order: found, name: "lag", permutations: waveTests.permutations,
                    seed: shuffleSeed)
                result.lagOrder = lagged
                files += try orderedMap(
                    found, file: "spacetime_lag_s\(sample)_c\(c)",
                    title: narrow
                        ? "\(name) by response lag, sample \(sample)"
                        : "\(name), \(ringName(config, c)) by response lag: z \(String(format: "%.1f", lagged.z)), p \(String(format: "%.3f", lagged.p))",
                    neuronLabel: "neuron (by response lag)")
                let laggedSpectrum = WaveSpectrum(
                    map: reordered(map, steps: t, neurons: n, order: found), steps: t, neurons: n, seed: shuffleSeed)
                let laggedRange = WaveAnalysis.spectrumRange([laggedSpectrum])
                files += try writeFigure(
                    to: directory + "/spectrum_lag_s\(sample)_c\(c)", formats: formats, width: spectrumLayout.width,
                    height: spectrumLayout.height
                ) { canvas in
                    drawSpectrum(
                        canvas, x: spectrumLayout.x, y: spectrumLayout.y, w: spectrumLayout.w, h: spectrumLayout.h,
                        spectrum: laggedSpectrum,
                        low: laggedRange.0, high: laggedRange.1,
                        title: narrow
                            ? "\(name) by lag: spectrum" : "\(name), \(ringName(config, c)) by response lag: normalised spectrum",
                        fontScale: spectrumLayout.fontScale, compact: size != .screen)
                    drawColorbar(
                        canvas, x: spectrumLayout.barX, y: spectrumLayout.y, w: spectrumLayout.barWidth, h: spectrumLayout.h,
                        low: laggedRange.0, high: laggedRange.1, label: narrow ? "log10 ratio" : "log10 |F| / |F time-shuffled|",
                        colormap: Colormap.diverging, fontScale: spectrumLayout.fontScale)
                }
            }
            results.append(result)
        }
        try writeHiddenGIF(recording, row: row, to: directory + "/hidden_s\(sample).gif")
        files.append("hidden_s\(sample).gif")
        if config.task.inputCategories != nil && config.model.readoutTiming == .every {
            files += try writeTokenPanel(
                recording, row: row, sample: sample, to: directory + "/copy_io_s\(sample)", formats: formats, size: size)
        }
    }
    files += (try? writeCurves(runs: [runDirectory], to: directory, formats: formats, size: size == .screen ? nil : size)) ?? []
    let summary = AnalysisSummary(
        model: config.model.kind.rawValue, task: config.task.kind.rawValue, step: recording.step, channels: results,
        meanDiagonalPower: results.map(\.diagonalPower).reduce(0, +) / Double(max(results.count, 1)),
        meanSpeed: results.map(\.speed).reduce(0, +) / Double(max(results.count, 1)), files: files)
    try writeAtomically(Array(try WrnnJSON.encoder().encode(summary)) + [10], to: directory + "/analysis.json")
    return summary
}

/// What Figure 2 shows and how it is sized: the wRNN's ring (nil: the one with the strongest diagonal
/// power), the test sample, the width in inches, the text size in points, panel letters, and the
/// colour ranges. The defaults make a two-column figure for print: 6.75 in wide, 7–9 pt text.
public struct Figure2Options: Sendable {
    public var ring: Int?
    public var sample = 0
    public var widthInches = 6.75
    public var fontSize = 8.0
    public var panelLetters = true
    public var scale: ColourScale = .panel
    /// The figure's title line and its caption line at the bottom (a journal sets its own).
    public var title = true
    public var caption = true
    /// Time steps A ... B (1-based, inclusive) of both maps, and the spectra of that window; nil: all.
    public var timeWindow: ClosedRange<Int>?
    public init() {}
}

/// What writeFigure2 drew: the ring, the diagonal powers shown, the iRNN's silent neurons, the files.
public struct Figure2Summary: Sendable {
    public var ring: Int
    /// A sheet run: the line of cells shown ("row y = 4").
    public var sheetLine: String?
    public var waveDiagonalPower: Double
    public var plainDiagonalPower: Double
    public var silentNeurons: Int
    public var files: [String]
}

/// One line of a sheet's cells as a ring for Figure 2: the row (or column) of `channel` along its
/// shift direction's axis, ordered so the init's motion runs toward lower indices, as on the ring.
struct SheetLine {
    var channel: Int
    /// [steps, cells]
    var map: [Double]
    var cells: Int
    var name: String
    var axisLabel: String
}

/// The line of `recording`'s sheet (in `channel`, or in any channel) with the strongest diagonal power.
func strongestSheetLine(_ recording: Recording, row: Int, channel: Int? = nil) -> SheetLine {
    let sheet = recording.sheet!, t = recording.length
    let direction = recording.config.model.shiftDirection ?? .plusX
    var best: (power: Double, line: SheetLine)?
    for ch in channel.map({ [$0] }) ?? Array(0..<recording.channels) {
        let full = recording.map(sample: row, channel: ch)
        let step = direction.step(channel: ch)
        let alongX = step.x != 0, forward = alongX ? step.x > 0 : step.y > 0
        let length = alongX ? sheet.width : sheet.height, lines = alongX ? sheet.height : sheet.width
        for l in 0..<lines {
            var map = [Double](repeating: 0, count: t * length)
            for time in 0..<t {
                for i in 0..<length {
                    let along = forward ? length - 1 - i : i
                    let cell = alongX ? l * sheet.width + along : along * sheet.width + l
                    map[time * length + i] = full[time * sheet.cells + cell]
                }
            }
            let power = WaveSpectrum(map: map, steps: t, neurons: length, seed: recording.config.seed).diagonalPower
            if best == nil || power > best!.power {
                let name = alongX ? "row y = \(l)" : "column x = \(l)"
                let axis = (alongX ? "x" : "y") + (forward ? " (high to low)" : "")
                best = (power, SheetLine(channel: ch, map: map, cells: length, name: name, axisLabel: "cell \(axis)"))
            }
        }
    }
    return best!.line
}

/// The ring of `recording`'s sample row with the strongest diagonal power.
func strongestRing(_ recording: Recording, row: Int) -> Int {
    // one spectrum per ring, not one per comparison
    let powers = (0..<recording.channels).map { ring in
        WaveSpectrum(
            map: recording.map(sample: row, channel: ring), steps: recording.length, neurons: recording.ringSize,
            seed: recording.config.seed
        ).diagonalPower
    }
    return powers.indices.max { powers[$0] < powers[$1] } ?? 0
}

/// The paper's Figure 2: (a) the wRNN's ring as a space-time map and (b) the iRNN's neurons sorted by
/// onset, their normalised spectra below (c, d), each with the diagonal power of what it shows. Each
/// panel has its own colour range and bar by default (the iRNN's saturated neurons would otherwise
/// squeeze the wRNN's waves into a third of the colours); `scale: .shared` puts the maps on one
/// range and the spectra on another. Both recordings hold the one sample shown (row 0). The layout
/// is computed from the width and text size, so a 6.75 in figure keeps its text at 7–9 pt.
public func writeFigure2(
    wave: Recording, plain: Recording, to base: String, formats: [FigureFormat],
    options: Figure2Options = Figure2Options()
) throws -> Figure2Summary {
    let ring = options.ring ?? (wave.sheet != nil ? strongestSheetLine(wave, row: 0).channel : strongestRing(wave, row: 0))
    guard ring >= 0 && ring < wave.channels else {
        throw WrnnError.usage(
            "--ring: the \(wave.config.model.displayName) has \(wave.sheet == nil ? "rings" : "channels") 0 ... \(wave.channels - 1) (got \(ring))"
        )
    }
    // a sheet shows one line of cells along its wave's axis, ordered so the shift init's motion runs
    // toward lower indices as on the ring: a ring of the sheet, with the ring's diagonal power
    let line = wave.sheet != nil ? strongestSheetLine(wave, row: 0, channel: ring) : nil
    let waveNeurons = line?.cells ?? wave.ringSize
    // a time window: both maps cut to steps A ... B, and their spectra computed on what is shown
    func window(_ map: [Double], _ recording: Recording) throws -> (map: [Double], steps: Int, first: Int) {
        guard let range = options.timeWindow else { return (map, recording.length, 1) }
        guard range.lowerBound >= 1, range.upperBound <= recording.length, range.count >= 2 else {
            throw WrnnError.usage(
                "--time \(range.lowerBound):\(range.upperBound) is outside the \(recording.config.model.displayName) run's \(recording.length) steps; give A:B with 1 <= A < B <= \(recording.length)"
            )
        }
        let n = map.count / recording.length
        return (Array(map[((range.lowerBound - 1) * n)..<(range.upperBound * n)]), range.count, range.lowerBound)
    }
    let waveWindow = try window(line?.map ?? wave.map(sample: 0, channel: ring), wave)
    let plainWindow = try window(plain.map(sample: 0, channel: 0), plain)
    let waveMap = waveWindow.map, plainMap = plainWindow.map
    let steps = [waveWindow.steps, plainWindow.steps], firstSteps = [waveWindow.first, plainWindow.first]
    let maps = [waveMap, plainMap]
    let spectra = [
        WaveSpectrum(map: waveMap, steps: steps[0], neurons: waveNeurons, seed: wave.config.seed),
        WaveSpectrum(map: plainMap, steps: steps[1], neurons: plain.ringSize, seed: plain.config.seed)
    ]
    // the iRNN's neurons sorted by onset, as the paper does; a neuron that never rises above 0 is silent
    let order = onsetOrder(plainMap, steps: steps[1], neurons: plain.ringSize)
    let silent = (0..<plain.ringSize).filter { i in !(0..<steps[1]).contains { plainMap[$0 * plain.ringSize + i] > 0 } }
    struct Data: Encodable {
        var wrnn_map: [Double]; var irnn_map: [Double]; var wrnn_spectrum: [Double]; var irnn_spectrum: [Double]
        var map_shapes: [[Int]]; var ring: Int; var sample: Int; var irnn_onset_order: [Int]; var irnn_silent: [Int]; var note: String
        var first_steps: [Int]
    }
    let data = Data(
        wrnn_map: waveMap, irnn_map: plainMap, wrnn_spectrum: spectra[0].displayLogRatio, irnn_spectrum: spectra[1].displayLogRatio,
        map_shapes: [[steps[0], waveNeurons], [steps[1], plain.ringSize]], ring: ring, sample: options.sample,
        irnn_onset_order: order, irnn_silent: silent,
        note:
            "maps [time, neurons] in neuron order, from time step first_steps (1-based); spectra log10 ratio [spatial frequency, temporal frequency] of the maps shown, zero frequency at index n/2 and T/2",
        first_steps: firstSteps
    )
    try writeAtomically(Array(try WrnnJSON.encoder(pretty: false).encode(data)) + [10], to: base + ".json")

    // the layout, from the width and the text size (points): two columns (maps above spectra) from
    // 4.5 in, one column (a, b, c, d stacked) below; a colour bar beside each panel when the panel
    // keeps 150 pt, else under it; the margins from the widest tick label, so no label is clipped
    let width = options.widthInches * 72, f = options.fontSize, s = f / 10.5
    let shared = options.scale == .shared
    let measure = try Canvas(width: 10, height: 10, format: .svg, path: NSTemporaryDirectory() + "wrnn-measure.svg")
    let tickWidth = ["-0.4", String(max(waveNeurons, plain.ringSize))].map { measure.textWidth($0, size: 9.5 * s) }.max()!
    let left = tickWidth + 24 * s // tick labels, the rotated axis label and its gap
    let oneColumn = options.widthInches < 4.5
    let columns = oneColumn ? 1 : 2
    let gutter = 0.8 * f
    let columnWidth = (width - Double(columns - 1) * gutter) / Double(columns)
    let barWidth = 0.9 * f
    let barTicks = measure.textWidth("-0.25", size: 9.5 * s)
    let besideBar = 0.6 * f + barWidth + 5 * s + barTicks + 18 * s // the bar, its tick labels and its rotated label
    let horizontalBars = columnWidth - left - besideBar < 150
    let panelWidth = horizontalBars ? columnWidth - left - 0.6 * f : columnWidth - left - besideBar
    let mapHeight = panelWidth * (oneColumn ? 0.45 : 0.62), spectrumHeight = panelWidth * (oneColumn ? 0.62 : 0.85)
    let titleBand = 2.4 * f, below = 3.6 * f
    let underBar = horizontalBars ? 0.1 * f + barWidth + 24 * s + 0.6 * f : 0 // a bar under the panel, its ticks and label
    // the title and the caption wrapped to the width (a one-column figure has room for less on a line)
    let title =
        "\(wave.config.model.displayName) against \(plain.config.model.displayName) on the \(wave.config.task.kind.rawValue) task, test sample \(options.sample)"
    let titleLines = options.title ? wrapText(title, width: 0.92 * (width - 0.8 * f), size: f + 1, bold: true, measure) : []
    let note =
        "Spectra: log10 |FFT2| / |FFT2, time shuffled|, in cycles per step and per neuron; grey column: zero frequency"
        + (silent.isEmpty ? "." : "; grey bar: silent neurons.")
    let noteSize = max(6, f - 1)
    let noteLines = options.caption ? wrapText(note, width: 0.92 * (width - 0.8 * f), size: noteSize, measure) : []
    let top = options.title ? Double(titleLines.count) * 1.3 * (f + 1) + 1.0 * f : 0.4 * f
    let captionBand = options.caption ? Double(noteLines.count) * 1.25 * noteSize + 0.6 * f : 0.4 * f
    // panels in reading order: a, b (maps), c, d (spectra), each with its column and row
    let rowHeights: [Double] = oneColumn ? [mapHeight, mapHeight, spectrumHeight, spectrumHeight] : [mapHeight, spectrumHeight]
    var rowTops: [Double] = []
    var yCursor = top
    for h in rowHeights {
        rowTops.append(yCursor + titleBand)
        yCursor += titleBand + h + below + underBar
    }
    let height = yCursor + captionBand
    // panel titles short enough to sit between the panel letters of a narrow figure
    let narrow = panelWidth < 200
    let files = try writeFigure(to: base, formats: formats, width: Int(width.rounded()), height: Int(height.rounded())) { c in
        for (k, line) in titleLines.enumerated() {
            c.text(line, x: width / 2, y: 1.3 * (f + 1) * Double(k + 1), size: f + 1, anchor: .middle, bold: true)
        }
        for (k, recording) in [wave, plain].enumerated() {
            let wave = k == 0
            let mapRange = options.scale.mapRange(maps[k], all: maps)
            let spectralRange = options.scale.spectrumRange(spectra[k], all: spectra)
            let mapSlot = oneColumn ? (column: 0, row: k) : (column: k, row: 0)
            let spectrumSlot = oneColumn ? (column: 0, row: 2 + k) : (column: k, row: 1)
            func origin(_ slot: (column: Int, row: Int)) -> (Double, Double) {
                (Double(slot.column) * (columnWidth + gutter) + left, rowTops[slot.row])
            }
            let (mapX, mapY) = origin(mapSlot), (spectrumX, spectrumY) = origin(spectrumSlot)
            let mapTitle =
                wave
                ? "\(recording.config.model.displayName), \(line.map { "channel \(ring), \($0.name)" } ?? ringName(recording.config, ring))"
                : "\(recording.config.model.displayName)\(narrow ? ", by onset" : " by onset")"
                    + (silent.isEmpty ? "" : " (\(silent.count) silent)")
            let waveLabel = line.map { narrow ? "cell" : $0.axisLabel } ?? (narrow ? "neuron" : "neuron on the ring")
            drawSpaceTime(
                c, x: mapX, y: mapY, w: panelWidth, h: mapHeight, map: maps[k], steps: steps[k],
                neurons: wave ? waveNeurons : recording.ringSize, order: wave ? nil : order, low: mapRange.0, high: mapRange.1,
                title: mapTitle, neuronLabel: wave ? waveLabel : (narrow ? "neuron" : "neuron (by onset)"),
                fontScale: s, firstStep: firstSteps[k])
            if !wave && !silent.isEmpty {
                // the silent neurons sort last: a grey bracket beside their rows
                let rowHeight = mapHeight / Double(recording.ringSize)
                let first = mapY + Double(recording.ringSize - silent.count) * rowHeight
                c.fill(mapX + panelWidth + 1.5, first, 2.5, Double(silent.count) * rowHeight, .grey)
            }
            let power = String(format: "%.0f", spectra[k].diagonalPower)
            drawSpectrum(
                c, x: spectrumX, y: spectrumY, w: panelWidth, h: spectrumHeight, spectrum: spectra[k], low: spectralRange.0,
                high: spectralRange.1, title: narrow ? "diagonal power \(power)" : "spectrum, diagonal power \(power)", fontScale: s)
            // a bar for each panel, or (shared) one for both maps and one for both spectra, after the last
            if !shared || k == 1 {
                let bars: [(x: Double, y: Double, h: Double, range: (Double, Double), label: String, map: (Double) -> Color)] = [
                    (mapX, mapY, mapHeight, mapRange, shared ? "h, both maps" : "activation h", Colormap.viridis),
                    (spectrumX, spectrumY, spectrumHeight, spectralRange, shared ? "log10 ratio, both" : "log10 ratio", Colormap.diverging)
                ]
                for bar in bars {
                    if horizontalBars {
                        drawHorizontalColorbar(
                            c, x: bar.x, y: bar.y + bar.h + below + 0.1 * f, w: panelWidth, h: barWidth, low: bar.range.0,
                            high: bar.range.1, label: bar.label, colormap: bar.map, fontScale: s)
                    } else {
                        drawColorbar(
                            c, x: bar.x + panelWidth + 0.6 * f, y: bar.y, w: barWidth, h: bar.h, low: bar.range.0, high: bar.range.1,
                            label: bar.label, colormap: bar.map, fontScale: s)
                    }
                }
            }
            if options.panelLetters {
                // at the column's left edge, on the panel title's line: clear of the centred title
                for (letter, x, y) in [(["a", "b"][k], mapX, mapY), (["c", "d"][k], spectrumX, spectrumY)] {
                    c.text(letter, x: x - left, y: y - 8 * s, size: f + 1, bold: true)
                }
            }
        }
        for (k, line) in noteLines.enumerated() {
            let y = height - 0.5 * f - Double(noteLines.count - 1 - k) * 1.25 * noteSize
            c.text(line, x: 0.4 * f, y: y, size: noteSize, color: .grey)
        }
    }
    return Figure2Summary(
        ring: ring, sheetLine: line?.name, waveDiagonalPower: spectra[0].diagonalPower, plainDiagonalPower: spectra[1].diagonalPower,
        silentNeurons: silent.count, files: [URL(fileURLWithPath: base + ".json").lastPathComponent] + files)
}

/// The animated GIFs' frames: palette indices 0 ... 253 of viridis, white text (254) on a dark
/// background (255), text stamped from `textMask`s.
struct GIFFrames {
    static let white: UInt8 = 254, background: UInt8 = 255
    static var palette: [(UInt8, UInt8, UInt8)] {
        var palette = Colormap.viridisPalette
        palette[Int(white)] = (255, 255, 255)
        palette[Int(background)] = (24, 24, 24)
        return palette
    }
    let width: Int, height: Int
    func stamp(_ mask: (width: Int, height: Int, alpha: [UInt8]), x: Int, y: Int, into frame: inout [UInt8]) {
        for yy in 0..<mask.height where y + yy < height {
            for xx in 0..<mask.width where x + xx < width && mask.alpha[yy * mask.width + xx] > 110 {
                frame[(y + yy) * width + x + xx] = Self.white
            }
        }
    }
}

/// The hidden state over time: rings as rows (labelled), neurons along them, a time counter on top.
/// Each frame has its own colour scale, from its smallest value to its 99th percentile, so weak
/// rings and early frames still show their waves; frames start at the first non-zero state.
func writeHiddenGIF(_ recording: Recording, row: Int, to path: String) throws {
    let c = recording.channels, n = recording.ringSize, t = recording.length
    let values = recording.states[row]
    let scale = max(1, 400 / n), rowScale = max(8, min(40, 160 / max(c, 1)))
    let left = 58, top = 22, gap = c > 1 ? 2 : 0
    let width = left + n * scale + 6, height = top + c * rowScale + (c - 1) * gap + 6
    let gif = GIFFrames(width: width, height: height), palette = GIFFrames.palette
    func stamp(_ mask: (width: Int, height: Int, alpha: [UInt8]), x: Int, y: Int, into frame: inout [UInt8]) {
        gif.stamp(mask, x: x, y: y, into: &frame)
    }
    var base = [UInt8](repeating: GIFFrames.background, count: width * height)
    for ch in 0..<c {
        let label = textMask(recording.config.model.kind.hasRings ? "ring \(ch)" : "neurons", size: 10)
        stamp(label, x: 4, y: top + ch * (rowScale + gap) + max(0, (rowScale - label.height) / 2), into: &base)
    }
    let first = (0..<t).first { step in (0..<(c * n)).contains { values[step * c * n + $0] != 0 } } ?? 0
    let stride = max(1, (t - first) / 200) // at most about 200 frames
    var frames: [[UInt8]] = []
    for step in Swift.stride(from: first, to: t, by: stride) {
        var frame = base
        stamp(textMask("t = \(step + 1) of \(t)", size: 11), x: left, y: 3, into: &frame)
        let (low, high) = clippedRange(values[(step * c * n)..<((step + 1) * c * n)].map(Double.init))
        for ch in 0..<c {
            let y0 = top + ch * (rowScale + gap)
            for i in 0..<n {
                let v = Double(values[(step * c + ch) * n + i])
                let index = v.isFinite ? UInt8(min(max((v - low) / (high - low), 0), 1) * 253) : 0
                for y in y0..<(y0 + rowScale) { for x in (left + i * scale)..<(left + (i + 1) * scale) { frame[y * width + x] = index } }
            }
        }
        frames.append(frame)
    }
    try AnimatedGIF.write(frames: frames, width: width, height: height, palette: palette, delayCentiseconds: 6, to: path)
}

/// Copy task: the input tokens, the model's softmax output and the target, each token against
/// time, labelled, on one probability scale.
func writeTokenPanel(
    _ recording: Recording, row: Int, sample: Int, to base: String, formats: [FigureFormat],
    size: FigureSize = .screen
) throws -> [String] {
    let t = recording.length, classes = recording.config.model.outputSize
    let inputs = recording.inputs[row], outputs = recording.outputs[row], targets = recording.targets[row]
    func grid(_ value: (Int, Int) -> Double) -> [Double] {
        var values = [Double](repeating: 0, count: classes * t)
        for k in 0..<classes { for s in 0..<t { values[k * t + s] = value(k, s) } }
        return values
    }
    let panels: [(String, [Double])] = [
        ("input x_t (one-hot token)", grid { k, s in Double(inputs[s * classes + k]) }),
        ("model output (softmax)", grid { k, s in Double(outputs[s * classes + k]) }),
        ("target", grid { k, s in targets[s] == Int32(k) ? 1 : 0 })
    ]
    try Npy.write(panels.flatMap { $0.1 }.map(Float.init), shape: [3, classes, t], to: base + ".npy")
    // three stacked panels sharing one colour bar; their height from the layout of one
    let narrow = size.widthPoints < 450
    let layout = MapLayout(size, aspect: narrow ? 0.34 : 0.17), f = size.fontSize
    let step = layout.h + 4.4 * f, top = 2.4 * f + layout.y
    let height = Int((top + 2 * step + layout.h + 3.9 * f).rounded())
    return [URL(fileURLWithPath: base + ".npy").lastPathComponent]
        + (try writeFigure(to: base, formats: formats, width: layout.width, height: height) { c in
            c.text(
                narrow
                    ? "\(recording.config.model.displayName), copy task, sample \(sample)"
                    : "\(recording.config.model.displayName) on the copy task, test sample \(sample): recall of the ten digits after the delimiter",
                x: Double(layout.width) / 2, y: 1.9 * f, size: f + 1, anchor: .middle, bold: true)
            for (k, (title, values)) in panels.enumerated() {
                var panel = Panel(
                    x: layout.x, y: top + Double(k) * step, w: layout.w, h: layout.h,
                    xAxis: Axis(k == 2 ? "time step t" : "", 0.5, Double(t) + 0.5),
                    yAxis: Axis("token", -0.5, Double(classes) - 0.5, downward: true))
                panel.fontScale = layout.fontScale
                drawHeatmap(c, panel, values: values, rows: classes, cols: t, low: 0, high: 1)
                panel.drawFrame(c, title: title)
                // where the answers start: the first step with a target other than token 0 (the copy task's recall)
                if let first = (0..<t).first(where: { targets[$0] > 0 }) {
                    c.line(
                        [(panel.px(Double(first) + 0.5), panel.y), (panel.px(Double(first) + 0.5), panel.y + panel.h)], .white, width: 0.8,
                        dashed: true)
                }
            }
            drawColorbar(
                c, x: layout.barX, y: top, w: layout.barWidth, h: 2 * step + layout.h, low: 0, high: 1,
                label: narrow ? "probability" : "probability / one-hot", fontScale: layout.fontScale)
        })
}

/// A chart's series as JSON beside its figure: name, colour and (x, y) points.
func writeChartData(_ chart: LineChart, to path: String) throws {
    struct Series: Encodable { var name: String; var color: String; var dashed: Bool; var x: [Double]; var y: [Double] }
    struct Data: Encodable { var title: String; var x_label: String; var y_label: String; var series: [Series] }
    let data = Data(
        title: chart.title, x_label: chart.xLabel, y_label: chart.yLabel,
        series: chart.series.map {
            Series(name: $0.name, color: $0.color.hexText, dashed: $0.dashed, x: $0.points.map(\.x), y: $0.points.map(\.y))
        })
    try writeAtomically(Array(try WrnnJSON.encoder().encode(data)) + [10], to: path)
}

public struct MetricsPoint: Decodable {
    var step: Int
    var trainLoss: Double?
    var testLoss: Double
    var recallAccuracy: Double?
    var accuracy: Double?
    var diverged: Bool?
    enum CodingKeys: String, CodingKey {
        case step, accuracy, diverged, trainLoss = "train_loss", testLoss = "test_loss", recallAccuracy = "recall_accuracy"
    }
}

func readMetrics(_ run: String) throws -> [MetricsPoint] {
    let path = run + "/metrics.jsonl"
    let points = try parseMetrics(try readFileBytes(path).get(), path: path)
    if points.isEmpty { warnOnce("\(path) holds no evaluation yet (the run stopped before its first); \(run) has no curve") }
    return points
}

/// The records of a metrics.jsonl's bytes for curves (`path` names it in errors): every line must
/// parse except a torn last one.
public func parseMetrics(_ bytes: [UInt8], path: String) throws -> [MetricsPoint] {
    let text = String(decoding: bytes, as: UTF8.self)
    let lines = text.split(separator: "\n")
    var points: [MetricsPoint] = []
    for (k, line) in lines.enumerated() {
        guard let point = try? WrnnJSON.decoder().decode(MetricsPoint.self, from: Data(line.utf8)) else {
            // a crash can leave the last line half written: the curves end at the line before
            if k == lines.count - 1 && !text.hasSuffix("\n") { break }
            throw WrnnError.data("\(path) line \(k + 1) is not a metrics record; the run's log is damaged")
        }
        points.append(point)
    }
    // the diverged row repeats the last evaluation: the curves end at the last good step
    return points.filter { $0.diverged != true }
}

func runLabel(_ run: String) -> String {
    let name = URL(fileURLWithPath: run).lastPathComponent
    if let data = fileContents(atPath: run + "/config.json"),
        let config = try? WrnnJSON.decoder().decode(TrainConfig.self, from: data)
    {
        // the name the researcher gave the run (--name) is its label
        if let given = config.label?.name { return given }
        return "\(name) (\(config.model.displayName))"
    }
    return name
}

func runConfig(_ run: String) -> TrainConfig? {
    guard let data = fileContents(atPath: run + "/config.json") else { return nil }
    return try? WrnnJSON.decoder().decode(TrainConfig.self, from: data)
}

/// The x axis for a run's curves: epochs for an image task (runs with other batch sizes line up),
/// training steps otherwise.
func progressAxis(_ run: String) -> (scale: Double, label: String) {
    guard let config = runConfig(run), let epoch = config.task.epochSteps(batchSize: config.batchSize) else { return (1, "training step") }
    return (1 / Double(epoch), "epoch")
}

/// The paper's loss for a run: for the copy task the mean cross-entropy divided by 50, the authors'
/// test figure (their script's mean over 50 test sequences / 50), the mean loss otherwise; and its label.
func paperLoss(_ run: String) -> (scale: Double, label: String) {
    guard let config = runConfig(run) else { return (1, "loss") }
    let loss = config.task.loss(perBatchDivisor: config.copyFigureDivisor)
    return (loss.scale, loss.label)
}

/// The same unit in few words, for a one-column figure.
func shortPaperLossLabel(_ run: String) -> String? {
    runConfig(run).map { $0.task.loss(perBatchDivisor: $0.copyFigureDivisor).shortLabel }
}

/// Runs that differ only in their seed (and thread count) form one group, in the order first seen:
/// their curves are drawn as the mean with the spread over seeds.
func seedGroups(_ runs: [String], labels: [String]?) -> [(label: String, runs: [String])] {
    var groups: [(key: String, label: String, runs: [String])] = []
    for (k, run) in runs.enumerated() {
        var key = run
        if var config = runConfig(run) {
            config.seed = 0
            config.threads = 0
            config.notes = nil
            // seeds of one named run stay one group; tags and notes do not split it
            config.label = config.label.map { RunLabel(name: $0.name) }
            if let data = try? WrnnJSON.encoder(pretty: false).encode(config) { key = String(decoding: data, as: UTF8.self) }
        }
        let label = labels?[k] ?? runLabel(run)
        // a label the user gave keeps runs apart even when their configurations agree
        if let g = groups.firstIndex(where: { $0.key == key && (labels == nil || $0.label == label) }) {
            groups[g].runs.append(run)
        } else {
            groups.append((key, label, [run]))
        }
    }
    // without labels, a group of seeds is named by its model (its first run's directory when two
    // groups share a model)
    let models = groups.map { runConfig($0.runs[0])?.model.displayName }
    return groups.enumerated().map { k, group in
        guard labels == nil, group.runs.count > 1, let model = models[k], runConfig(group.runs[0])?.label?.name == nil else {
            return (group.label, group.runs)
        }
        return (models.filter { $0 == model }.count == 1 ? model : group.label, group.runs)
    }
}

/// The mean over runs at the x values every run has, and the lowest and highest there.
func meanAndSpread(_ curves: [[(x: Double, y: Double)]]) -> (mean: [(x: Double, y: Double)], band: [(x: Double, low: Double, high: Double)])
{
    guard let first = curves.first else { return ([], []) }
    let shared = curves.dropFirst().reduce(Set(first.map(\.x))) { $0.intersection($1.map(\.x)) }
    var mean: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
    for x in shared.sorted() {
        let ys = curves.compactMap { curve in curve.last { $0.x == x }?.y }
        mean.append((x, ys.reduce(0, +) / Double(ys.count)))
        band.append((x, ys.min()!, ys.max()!))
    }
    return (mean, band)
}

/// The levels a reader measures a run's loss against (chance, predicting the mean, the solved line,
/// no memory), on the figure's scale, as the task's description gives them.
func lossReferences(_ run: String) -> [(y: Double, label: String)] {
    guard let config = runConfig(run) else { return [] }
    return config.task.loss(perBatchDivisor: config.copyFigureDivisor).references
}

/// Learning curves of one or several runs in the paper's loss (test solid with a marker at each
/// evaluation, train dashed), one colour per run in the order given. Runs that differ only in
/// their seed are one line, the mean, with a band from the lowest to the highest seed.
public func learningCurveChart(runs: [String], labels: [String]? = nil) throws -> LineChart {
    var series: [ChartSeries] = []
    var yLabel = "loss (log scale)", xLabel = "training step"
    for (k, group) in seedGroups(runs, labels: labels).enumerated() {
        var tests: [[(x: Double, y: Double)]] = [], trains: [[(x: Double, y: Double)]] = []
        for run in group.runs {
            let points = try readMetrics(run)
            let (scale, label) = paperLoss(run)
            let x = progressAxis(run)
            yLabel = label
            xLabel = x.label
            tests.append(points.map { (Double($0.step) * x.scale, $0.testLoss * scale) })
            trains.append(points.compactMap { p in p.trainLoss.map { (x: Double(p.step) * x.scale, y: $0 * scale) } })
        }
        // a run that has not evaluated yet (warned) draws nothing
        if tests.allSatisfy(\.isEmpty) { continue }
        let color = runColors[k % runColors.count]
        let seeds = group.runs.count
        let test = meanAndSpread(tests.filter { !$0.isEmpty })
        var line = ChartSeries(
            name: "\(group.label) test\(seeds > 1 ? ", \(seeds) seeds" : "")", points: seeds > 1 ? test.mean : tests[0], color: color)
        line.pointMarkers = true
        if seeds > 1 { line.band = test.band }
        series.append(line)
        let train = seeds > 1 ? meanAndSpread(trains).mean : trains[0]
        if !train.isEmpty {
            series.append(
                ChartSeries(name: "\(group.label) train\(seeds > 1 ? ", \(seeds) seeds" : "")", points: train, color: color, dashed: true))
        }
    }
    var chart = LineChart(title: "Learning curves", xLabel: xLabel, yLabel: yLabel, logY: true, series: series)
    if let first = runs.first { chart.references = lossReferences(first); chart.shortYLabel = shortPaperLossLabel(first) }
    return chart
}

/// Recall accuracy (copy) or test accuracy (classification) against step, with the chance level.
public func accuracyChart(runs: [String], labels: [String]? = nil) throws -> LineChart? {
    var series: [ChartSeries] = []
    var chance: Double?
    var xLabel = "training step"
    for (k, group) in seedGroups(runs, labels: labels).enumerated() {
        var curves: [[(x: Double, y: Double)]] = []
        for run in group.runs {
            let metrics = try readMetrics(run)
            let x = progressAxis(run)
            xLabel = x.label
            let points = metrics.compactMap { p in (p.recallAccuracy ?? p.accuracy).map { (x: Double(p.step) * x.scale, y: 100 * $0) } }
            if !points.isEmpty {
                curves.append(points)
                chance = metrics.contains { $0.recallAccuracy != nil } ? 100.0 / 8 : 10
            }
        }
        guard !curves.isEmpty else { continue }
        let spread = meanAndSpread(curves)
        var line = ChartSeries(
            name: curves.count > 1 ? "\(group.label), \(curves.count) seeds" : group.label,
            points: curves.count > 1 ? spread.mean : curves[0], color: runColors[k % runColors.count])
        line.pointMarkers = true
        if curves.count > 1 { line.band = spread.band }
        series.append(line)
    }
    guard !series.isEmpty else { return nil }
    var chart = LineChart(title: "Accuracy", xLabel: xLabel, yLabel: "accuracy (%)", series: series)
    chart.yRange = (0, 100)
    if let chance { chart.references = [(chance, chance == 10 ? "chance (10 classes)" : "chance (1 of 8 digits)")] }
    return chart
}

/// curves.{formats} and accuracy.{formats} for the runs, into `directory`.
/// `size` nil: the screen layout.
public func writeCurves(
    runs: [String], labels: [String]? = nil, to directory: String, formats: [FigureFormat],
    size: FigureSize? = nil
) throws -> [String] {
    func write(_ chart: LineChart, _ base: String) throws -> [String] {
        if let size { return try chart.write(to: base, formats: formats, size: size) }
        return try chart.write(to: base, formats: formats)
    }
    // runs of several tasks: a pair of figures per task (curves-TASK.*, accuracy-TASK.*), so that no
    // axis mixes units and no line joins one task to another
    var order: [String] = []
    var byTask: [String: [Int]] = [:]
    for (k, run) in runs.enumerated() {
        let task = runConfig(run).map { $0.task.tableLabel } ?? ""
        if byTask[task] == nil { order.append(task) }
        byTask[task, default: []].append(k)
    }
    var files: [String] = []
    for task in order {
        let members = byTask[task]!
        let suffix = order.count > 1 ? "-" + fileSafe(task) : ""
        let taskRuns = members.map { runs[$0] }, taskLabels = labels.map { all in members.map { all[$0] } }
        var curves = try learningCurveChart(runs: taskRuns, labels: taskLabels)
        if order.count > 1 { curves.title = "Learning curves, \(task)" }
        try writeChartData(curves, to: directory + "/curves\(suffix).json")
        files += ["curves\(suffix).json"] + (try write(curves, directory + "/curves\(suffix)"))
        if var accuracy = try accuracyChart(runs: taskRuns, labels: taskLabels) {
            if order.count > 1 { accuracy.title = "Accuracy, \(task)" }
            try writeChartData(accuracy, to: directory + "/accuracy\(suffix).json")
            files += ["accuracy\(suffix).json"] + (try write(accuracy, directory + "/accuracy\(suffix)"))
        }
    }
    return files
}

/// "copy T=30" -> "copy-T30": a task's label as part of a file name.
func fileSafe(_ text: String) -> String {
    var out = ""
    for character in text {
        if character.isLetter || character.isNumber {
            out.append(character)
        } else if character == " " || character == "-" || character == "_" {
            if !out.hasSuffix("-") { out.append("-") }
        }
    }
    return out
}

/// Figure 2 compares the wave model's run (first) with its wave-free twin's (second), as the
/// registry names them; `ring`, when given, must be one of the wave model's rings.
public func checkFigure2Pair(wave: Recording, plain: Recording, waveRun: String, plainRun: String, ring: Int?) throws {
    let waveModel = ModelRegistry.model(role: .wave).label, twin = ModelRegistry.model(role: .waveFreeTwin).label
    guard wave.config.model.kind.model.role == .wave || wave.config.model.kind.hasSheet else {
        throw WrnnError.usage(
            "\(waveRun): its model is the \(wave.config.model.displayName), not the \(waveModel); give the \(waveModel)'s run first")
    }
    guard plain.config.model.kind.model.role == .waveFreeTwin else {
        throw WrnnError.usage(
            "\(plainRun): its model is the \(plain.config.model.displayName), not the \(twin); give the \(twin)'s run second")
    }
    if let ring, ring >= wave.channels {
        throw WrnnError.usage("--ring: the \(waveModel) has rings 0 ... \(wave.channels - 1) (got \(ring))")
    }
}

/// `text` in lines no wider than `width` points at `size` (words kept whole).
func wrapText(_ text: String, width: Double, size: Double, bold: Bool = false, _ measure: Canvas) -> [String] {
    var lines: [String] = [], current = ""
    for word in text.split(separator: " ") {
        let candidate = current.isEmpty ? String(word) : current + " " + word
        if measure.textWidth(candidate, size: size, bold: bold) <= width || current.isEmpty {
            current = candidate
        } else {
            lines.append(current)
            current = String(word)
        }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}
