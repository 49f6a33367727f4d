import WaveCore
import Foundation

/// Round tick positions for an axis: 1, 2 or 5 times a power of ten, about `count` of them;
/// powers of ten on a log axis.
public func niceTicks(_ low: Double, _ high: Double, count: Int = 5, log: Bool = false) -> [(value: Double, label: String)] {
    guard low.isFinite, high.isFinite, high > low else { return [(low, tickLabel(low))] }
    if log {
        // every label in one form, 10^k, whatever the decade
        let a = Int(floor(low)), b = Int(ceil(high))
        let step = max(1, (b - a) / count)
        var ticks: [(value: Double, label: String)] = []
        for e in stride(from: a, through: b, by: step) {
            let v = Double(e)
            guard v >= low - 1e-9, v <= high + 1e-9 else { continue }
            ticks.append((v, powerOfTenLabel(e)))
        }
        return ticks
    }
    let raw = (high - low) / Double(count)
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [(Double, String)] = []
    var v = ceil(low / step - 1e-9) * step
    while v <= high + 1e-9 * step { ticks.append((abs(v) < 1e-12 * step ? 0 : v, tickLabel(abs(v) < 1e-12 * step ? 0 : v))); v += step }
    return ticks
}

/// "10⁻³", "10⁰", "10²": a log axis's labels.
public func powerOfTenLabel(_ exponent: Int) -> String {
    let superscripts: [Character: Character] = [
        "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹"
    ]
    return "10" + String(String(exponent).map { superscripts[$0] ?? $0 })
}

/// The minor ticks of a log axis: 2 ... 9 times each power of ten inside [low, high] (log10
/// values), when the axis spans few enough decades for them to be told apart.
public func minorLogTicks(_ low: Double, _ high: Double) -> [Double] {
    guard low.isFinite, high.isFinite, high > low, high - low <= 8 else { return [] }
    var ticks: [Double] = []
    for e in Int(floor(low))...Int(ceil(high)) {
        for m in 2...9 {
            let v = Double(e) + log10(Double(m))
            if v > low + 1e-9 && v < high - 1e-9 { ticks.append(v) }
        }
    }
    return ticks
}

func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e5 || a < 1e-3 { return String(format: "%.0e", v) }
    if a >= 1000 { return String(format: "%.0f", v) }
    var text = String(format: "%.3f", v)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

/// One axis of a panel: what it shows, its range and scale.
public struct Axis {
    public var label: String
    public var low: Double
    public var high: Double
    public var log = false
    /// Values grow downwards (a y axis drawn like an image's rows, neuron 0 at the top).
    public var downward = false
    public var ticks: [(value: Double, label: String)]? = nil
    public init(_ label: String, _ low: Double, _ high: Double, log: Bool = false, downward: Bool = false) {
        self.label = label; self.low = low; self.high = high; self.log = log; self.downward = downward
    }
    func t(_ v: Double) -> Double { log ? log10(v) : v }
    /// 0 ... 1 along the axis.
    func fraction(_ v: Double) -> Double { (t(v) - t(low)) / max(t(high) - t(low), 1e-300) }
}

/// A figure's size on paper: its width in inches and its text size in points (axis labels at the
/// size, tick labels a point smaller, titles a point larger). One column of a paper is 3.25 in,
/// two columns 6.75 in.
public struct FigureSize: Equatable, Sendable {
    public var widthInches: Double
    public var fontSize: Double
    public init(widthInches: Double, fontSize: Double = 8) { self.widthInches = widthInches; self.fontSize = fontSize }
    public var widthPoints: Double { widthInches * 72 }
    /// The screen layout's sizes (axis labels 10.5 pt) scaled to this text size.
    public var fontScale: Double { fontSize / 10.5 }
    /// The screen figures: 10 inches at 10.5 pt, for the report and notebooks.
    public static let screen = FigureSize(widthInches: 10, fontSize: 10.5)

    /// Checks a width and text size a user gave: 2.5 to 20 inches, 5 to 14 points.
    public static func checked(widthInches: Double, fontSize: Double) throws -> FigureSize {
        guard widthInches.isFinite, (2.5...20).contains(widthInches) else {
            throw WrnnError.usage("--width must be from 2.5 to 20 inches (got \(widthInches)); 3.25 is one column of a paper, 6.75 two")
        }
        guard fontSize.isFinite, (5...14).contains(fontSize) else {
            throw WrnnError.usage("--font-size must be from 5 to 14 points (got \(fontSize))")
        }
        return FigureSize(widthInches: widthInches, fontSize: fontSize)
    }
}

/// A rectangle of the canvas with two axes: the frame, ticks with values, axis labels and a title.
public struct Panel {
    public var x: Double, y: Double, w: Double, h: Double
    public var xAxis: Axis
    public var yAxis: Axis
    /// Text sizes and their offsets relative to the screen defaults (ticks 9.5 pt, axis labels
    /// 10.5, title 12): a figure sized for print sets its own.
    public var fontScale = 1.0
    public init(x: Double, y: Double, w: Double, h: Double, xAxis: Axis, yAxis: Axis) {
        self.x = x; self.y = y; self.w = w; self.h = h; self.xAxis = xAxis; self.yAxis = yAxis
    }
    public func px(_ v: Double) -> Double { x + xAxis.fraction(v) * w }
    public func py(_ v: Double) -> Double { yAxis.downward ? y + yAxis.fraction(v) * h : y + h - yAxis.fraction(v) * h }

    public func drawFrame(_ c: Canvas, title: String?, grid: Bool = false) {
        let xTicks = xAxis.ticks ?? niceTicks(xAxis.t(xAxis.low), xAxis.t(xAxis.high), log: xAxis.log)
        let yTicks = yAxis.ticks ?? niceTicks(yAxis.t(yAxis.low), yAxis.t(yAxis.high), count: 5, log: yAxis.log)
        for (value, label) in xTicks {
            let vx = xAxis.log ? pow(10, value) : value
            let X = px(vx)
            guard X >= x - 0.5 && X <= x + w + 0.5 else { continue }
            if grid { c.line([(X, y), (X, y + h)], .lightGrey, width: 0.6) }
            c.line([(X, y + h), (X, y + h + 4)], .black, width: 0.8)
            c.text(label, x: X, y: y + h + 15 * fontScale, size: 9.5 * fontScale, anchor: .middle)
        }
        if xAxis.log && xAxis.ticks == nil {
            for value in minorLogTicks(xAxis.t(xAxis.low), xAxis.t(xAxis.high)) {
                let X = px(pow(10, value))
                c.line([(X, y + h), (X, y + h + 2.5)], .black, width: 0.6)
            }
        }
        if yAxis.log && yAxis.ticks == nil {
            for value in minorLogTicks(yAxis.t(yAxis.low), yAxis.t(yAxis.high)) {
                let Y = py(pow(10, value))
                c.line([(x - 2.5, Y), (x, Y)], .black, width: 0.6)
            }
        }
        for (value, label) in yTicks {
            let vy = yAxis.log ? pow(10, value) : value
            let Y = py(vy)
            guard Y >= y - 0.5 && Y <= y + h + 0.5 else { continue }
            if grid { c.line([(x, Y), (x + w, Y)], .lightGrey, width: 0.6) }
            c.line([(x - 4, Y), (x, Y)], .black, width: 0.8)
            c.text(label, x: x - 6 * fontScale, y: Y + 3.5 * fontScale, size: 9.5 * fontScale, anchor: .end)
        }
        c.stroke(x, y, w, h, .black, width: 0.8)
        c.text(xAxis.label, x: x + w / 2, y: y + h + 31 * fontScale, size: 10.5 * fontScale, anchor: .middle)
        let widest = yTicks.map { c.textWidth($0.label, size: 9.5 * fontScale) }.max() ?? 10
        c.text(yAxis.label, x: x - widest - 14 * fontScale, y: y + h / 2, size: 10.5 * fontScale, anchor: .middle, rotated: true)
        if let title { c.text(title, x: x + w / 2, y: y - 8 * fontScale, size: 11.8 * fontScale, anchor: .middle, bold: true) }
    }
}

/// A colour bar's ticks: both ends, labelled with two significant digits, and round steps between
/// that are not too close to an end to be read apart.
public func colorbarTicks(_ low: Double, _ high: Double) -> [(value: Double, label: String)] {
    guard low.isFinite, high.isFinite, high > low else { return [(low, tickLabel(low))] }
    // round values only (1, 2 or 5 times a power of ten), at least two of them inside the range:
    // the bar's ends are where its colours stop, not numbers to print
    for count in [5, 8, 12, 20] {
        let ticks = niceTicks(low, high, count: count)
        guard ticks.count >= (count == 20 ? 2 : 3) else { continue }
        let step = ticks[1].value - ticks[0].value
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        let huge = ticks.contains { abs($0.value) >= 1e5 } || (step < 1e-3)
        return ticks.map { tick in
            let text = tick.value == 0 ? "0" : huge ? String(format: "%.1e", tick.value) : String(format: "%.\(decimals)f", tick.value)
            return (tick.value, text)
        }
    }
    return [(low, tickLabel(low)), (high, tickLabel(high))]
}

/// A labelled vertical colour bar for values low ... high, with ticks at round values.
public func drawColorbar(
    _ c: Canvas, x: Double, y: Double, w: Double = 12, h: Double, low: Double, high: Double, label: String,
    colormap: (Double) -> Color = Colormap.viridis, fontScale: Double = 1
) {
    let steps = 128
    c.image((0..<steps).map { colormap(1 - Double($0) / Double(steps - 1)) }, rows: steps, cols: 1, x: x, y: y, w: w, h: h)
    c.stroke(x, y, w, h, .black, width: 0.8)
    let axis = Axis(label, low, high)
    let ticks = colorbarTicks(low, high)
    for (value, text) in ticks {
        let Y = y + h - axis.fraction(value) * h
        c.line([(x + w, Y), (x + w + 3, Y)], .black, width: 0.8)
        c.text(text, x: x + w + 5 * fontScale, y: Y + 3.5 * fontScale, size: 9.5 * fontScale)
    }
    let widest = ticks.map { c.textWidth($0.label, size: 9.5 * fontScale) }.max() ?? 10
    c.text(label, x: x + w + widest + 18 * fontScale, y: y + h / 2, size: 10 * fontScale, anchor: .middle, rotated: true)
}

/// A labelled horizontal colour bar under a panel: low at the left, ticks at round values below
/// it, the label under them.
public func drawHorizontalColorbar(
    _ c: Canvas, x: Double, y: Double, w: Double, h: Double = 8, low: Double, high: Double, label: String,
    colormap: (Double) -> Color = Colormap.viridis, fontScale: Double = 1
) {
    let steps = 128
    c.image((0..<steps).map { colormap(Double($0) / Double(steps - 1)) }, rows: 1, cols: steps, x: x, y: y, w: w, h: h)
    c.stroke(x, y, w, h, .black, width: 0.8)
    let axis = Axis(label, low, high)
    for (value, text) in colorbarTicks(low, high) {
        let X = x + axis.fraction(value) * w
        c.line([(X, y + h), (X, y + h + 3)], .black, width: 0.8)
        c.text(text, x: X, y: y + h + 12 * fontScale, size: 9.5 * fontScale, anchor: .middle)
    }
    c.text(label, x: x + w / 2, y: y + h + 24 * fontScale, size: 10 * fontScale, anchor: .middle)
}

/// values [rows * cols] (row r, column c) drawn into the panel, row 0 at the panel's top, with
/// cells where `masked` is true in grey.
public func drawHeatmap(
    _ c: Canvas, _ panel: Panel, values: [Double], rows: Int, cols: Int, low: Double, high: Double,
    masked: ((Int, Int) -> Bool)? = nil, colormap: (Double) -> Color = Colormap.viridis
) {
    let span = high > low ? high - low : 1
    var colors = [Color](repeating: .white, count: rows * cols)
    for r in 0..<rows {
        for col in 0..<cols {
            let v = values[r * cols + col]
            colors[r * cols + col] =
                masked?(r, col) == true
                ? Color(0.8, 0.8, 0.8)
                : v.isFinite ? colormap((v - low) / span) : Color(0.8, 0.1, 0.1)
        }
    }
    c.image(colors, rows: rows, cols: cols, x: panel.x, y: panel.y, w: panel.w, h: panel.h)
}

/// One line (or set of markers) of a chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var color: Color
    public var dashed: Bool
    /// Markers only, no line (points that are not a sequence).
    public var markers: Bool
    /// A line with a small marker at each point: where the values were measured (evaluations),
    /// so that a drop between two of them does not read as a straight measured line.
    public var pointMarkers = false
    /// The spread around the line (the lowest and highest over seeds), drawn as a light band.
    public var band: [(x: Double, low: Double, high: Double)] = []
    public init(name: String, points: [(x: Double, y: Double)], color: Color, dashed: Bool = false, markers: Bool = false) {
        self.name = name; self.points = points; self.color = color; self.dashed = dashed; self.markers = markers
    }
}

/// A line chart with a legend on the right, written in every requested format.
public struct LineChart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logX = false
    public var logY = false
    public var series: [ChartSeries]
    /// Horizontal reference lines with their labels (a chance level).
    public var references: [(y: Double, label: String)] = []
    public var yRange: (Double, Double)? = nil
    /// Text and marks relative to the screen layout (ticks 9.5 pt); set by `write(to:formats:size:)`.
    public var fontScale = 1.0
    /// The y-axis label used when `yLabel` is longer than the panel is high (a one-column figure).
    public var shortYLabel: String?
    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false, series: [ChartSeries]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logX = logX; self.logY = logY; self.series = series
    }

    /// A canvas narrower than this (points, at the chart's text size) puts the legend below the panel.
    static let legendBelowWidth = 420.0

    /// The height the legend below the panel takes (0 when it sits on the right).
    public func legendBelowHeight(width: Double) -> Double {
        width / fontScale < Self.legendBelowWidth ? Double(series.count) * 12.5 * fontScale + 4 * fontScale : 0
    }

    public func draw(on c: Canvas) {
        let s = fontScale
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0) }
        func range(_ values: [Double], log: Bool, pad: Bool) -> (Double, Double) {
            var lo = values.min() ?? (log ? 0.1 : 0), hi = values.max() ?? (log ? 1 : 1)
            if log {
                lo = pow(10, floor(log10(lo))); hi = pow(10, ceil(log10(hi)))
                if hi <= lo { hi = lo * 10 }
            } else {
                if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
                if pad { let p = 0.05 * (hi - lo); lo -= p; hi += p }
            }
            return (lo, hi)
        }
        let xs = range(all.map(\.x), log: logX, pad: false)
        let spread = series.flatMap { $0.band.flatMap { [$0.low, $0.high] } }.filter { $0.isFinite && (!logY || $0 > 0) }
        let ys = yRange ?? range(all.map(\.y) + spread + references.map(\.y), log: logY, pad: true)
        // the legend on the right, or below the panel on a narrow (one-column) canvas
        let below = legendBelowHeight(width: c.width)
        let legendWidth =
            below > 0 ? 0 : min(max(220 * s, 0.42 * c.width), (series.map { c.textWidth($0.name, size: 9.5 * s) }.max() ?? 0) + 40 * s)
        let left = 70 * s, top = 34 * s
        let panelHeight = c.height - top - 50 * s - below
        let fits = c.textWidth(yLabel, size: 10.5 * s) <= panelHeight + 20 * s
        var panel = Panel(
            x: left, y: top, w: c.width - left - 20 * s - legendWidth, h: panelHeight,
            xAxis: Axis(xLabel, xs.0, xs.1, log: logX), yAxis: Axis(fits ? yLabel : shortYLabel ?? yLabel, ys.0, ys.1, log: logY))
        panel.fontScale = s
        panel.drawFrame(c, title: title, grid: true)
        for reference in references {
            let Y = panel.py(reference.y)
            c.line([(panel.x, Y), (panel.x + panel.w, Y)], .grey, width: s, dashed: true)
        }
        func visible(_ x: Double, _ y: Double) -> Bool { x.isFinite && y.isFinite && (!logX || x > 0) && (!logY || y > 0) }
        // bands first, under every line
        for s in series where !s.band.isEmpty {
            let band = s.band.filter { visible($0.x, $0.low) && visible($0.x, $0.high) }
            let upper = band.map { (panel.px($0.x), panel.py(min(max($0.high, ys.0), ys.1))) }
            let lower = band.reversed().map { (panel.px($0.x), panel.py(min(max($0.low, ys.0), ys.1))) }
            c.polygon(upper + lower, s.color, opacity: 0.18)
        }
        for one in series {
            let points = one.points.filter { visible($0.x, $0.y) }.map { (panel.px($0.x), panel.py($0.y)) }
            if one.markers {
                for p in points { c.circle(p.0, p.1, radius: 3.5 * s, one.color) }
            } else {
                // a point that cannot be drawn (NaN: nothing was measured there) breaks the line
                var run: [(Double, Double)] = []
                for p in one.points {
                    if visible(p.x, p.y) {
                        run.append((panel.px(p.x), panel.py(p.y)))
                    } else {
                        if run.count > 1 { c.line(run, one.color, width: 1.5 * s, dashed: one.dashed) }
                        run = []
                    }
                }
                if run.count > 1 { c.line(run, one.color, width: 1.5 * s, dashed: one.dashed) }
            }
            if one.pointMarkers { for p in points { c.circle(p.0, p.1, radius: 2.2 * s, one.color) } }
        }
        // reference labels last, each where it covers no data: at the right, left or middle of its
        // line, above or below it, whichever box no line, marker or other label crosses
        var segments: [LabelPlacement.Segment] = []
        var markers: [(Double, Double)] = []
        for one in series {
            let points = one.points.filter { visible($0.x, $0.y) }.map { (panel.px($0.x), panel.py($0.y)) }
            if one.markers || one.pointMarkers { markers += points }
            if !one.markers { for k in points.indices.dropFirst() { segments.append((points[k - 1], points[k])) } }
        }
        var taken: [LabelPlacement.Box] = []
        for reference in references {
            let Y = panel.py(reference.y), w = c.textWidth(reference.label, size: 9.5 * s)
            let box = LabelPlacement.choose(
                LabelPlacement.candidates(
                    lineY: Y, width: w, height: 10.5 * s, left: panel.x + 4 * s, right: panel.x + panel.w - 4 * s, top: panel.y,
                    bottom: panel.y + panel.h, gap: 1.5 * s),
                segments: segments, markers: markers, markerRadius: 2.5 * s, taken: taken)
            taken.append(box)
            c.polygon(
                [
                    (box.x - 2 * s, box.y), (box.x + box.w + 2 * s, box.y), (box.x + box.w + 2 * s, box.y + box.h),
                    (box.x - 2 * s, box.y + box.h)
                ],
                .white, opacity: 0.8)
            c.text(reference.label, x: box.x, y: box.y + box.h - 2.5 * s, size: 9.5 * s, color: .grey)
        }
        var ly = below > 0 ? panel.y + panel.h + 50 * s : panel.y + 8 * s
        let lx = below > 0 ? 4 * s : panel.x + panel.w + 14 * s
        for one in series {
            if !one.band.isEmpty {
                c.polygon([(lx, ly - 7 * s), (lx + 20 * s, ly - 7 * s), (lx + 20 * s, ly), (lx, ly)], one.color, opacity: 0.18)
            }
            if one.markers {
                c.circle(lx + 10 * s, ly - 3.5 * s, radius: 3.5 * s, one.color)
            } else {
                c.line([(lx, ly - 3.5 * s), (lx + 20 * s, ly - 3.5 * s)], one.color, width: 1.5 * s, dashed: one.dashed)
            }
            if one.pointMarkers { c.circle(lx + 10 * s, ly - 3.5 * s, radius: 2.2 * s, one.color) }
            c.text(one.name, x: lx + 26 * s, y: ly, size: 9.5 * s)
            ly += (below > 0 ? 12.5 : 16) * s
        }
    }

    /// Writes the chart at a print size: `size.widthInches` wide, text at `size.fontSize`.
    public func write(to base: String, formats: [FigureFormat], size: FigureSize) throws -> [String] {
        var chart = self
        chart.fontScale = size.fontScale
        let width = size.widthPoints
        let height = width * (width < 300 ? 0.75 : 0.56) + chart.legendBelowHeight(width: width)
        return try chart.write(to: base, formats: formats, width: Int(width.rounded()), height: Int(height.rounded()))
    }

    /// Writes `base.png`, `base.pdf`, ... for the formats asked for; returns the file names.
    public func write(to base: String, formats: [FigureFormat], width: Int = 680, height: Int = 380) throws -> [String] {
        try formats.map { format in
            let canvas = try Canvas(width: width, height: height, format: format, path: base + "." + format.rawValue)
            draw(on: canvas)
            try canvas.finish()
            return URL(fileURLWithPath: base + "." + format.rawValue).lastPathComponent
        }
    }
}

/// Draws `draw` into a canvas of the given size for every format; returns the files written.
public func writeFigure(to base: String, formats: [FigureFormat], width: Int, height: Int, _ draw: (Canvas) -> Void) throws -> [String] {
    try formats.map { format in
        let path = base + "." + format.rawValue
        let canvas = try Canvas(width: width, height: height, format: format, path: path)
        draw(canvas)
        try canvas.finish()
        return URL(fileURLWithPath: path).lastPathComponent
    }
}

/// `<`, `>`, `&` and quotes escaped for HTML and SVG text.
public func escapeXML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

/// Where a reference line's label goes: the first of its candidate boxes (right, left and middle of
/// the line, above then below it) that no data line, marker or earlier label crosses; when every
/// box is crossed, the one crossed least.
public enum LabelPlacement {
    public typealias Segment = (a: (Double, Double), b: (Double, Double))
    public struct Box: Equatable {
        public var x: Double, y: Double, w: Double, h: Double
        public init(x: Double, y: Double, w: Double, h: Double) { self.x = x; self.y = y; self.w = w; self.h = h }
        func intersects(_ o: Box) -> Bool { x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h }
        func contains(_ p: (Double, Double)) -> Bool { p.0 >= x && p.0 <= x + w && p.1 >= y && p.1 <= y + h }
    }

    /// Boxes of `width` x `height` beside the line at `lineY`, inside left ... right and top ... bottom.
    public static func candidates(
        lineY: Double, width: Double, height: Double, left: Double, right: Double, top: Double, bottom: Double, gap: Double
    ) -> [Box] {
        var boxes: [Box] = []
        // nearest the line first (above, below), then a little farther; along it from the right end
        let offsets = [gap, 3 * gap]
        let ys = offsets.flatMap { [lineY - $0 - height, lineY + $0] }
        let fractions = [1.0, 0.0, 0.5, 0.75, 0.25, 0.875, 0.125, 0.625, 0.375]
        for y in ys where y >= top && y + height <= bottom {
            for f in fractions where right - left >= width {
                boxes.append(Box(x: left + f * (right - left - width), y: y, w: width, h: height))
            }
        }
        return boxes.isEmpty ? [Box(x: right - width, y: lineY - gap - height, w: width, h: height)] : boxes
    }

    public static func choose(_ candidates: [Box], segments: [Segment], markers: [(Double, Double)], markerRadius: Double, taken: [Box])
        -> Box
    {
        func hits(_ box: Box) -> Int {
            let grown = Box(x: box.x - markerRadius, y: box.y - markerRadius, w: box.w + 2 * markerRadius, h: box.h + 2 * markerRadius)
            return segments.filter { crosses($0, box) }.count + markers.filter { grown.contains($0) }.count
                + 1000 * taken.filter { $0.intersects(box) }.count
        }
        var best = candidates[0], fewest = Int.max
        for box in candidates {
            let count = hits(box)
            if count == 0 { return box }
            if count < fewest { best = box; fewest = count }
        }
        return best
    }

    /// Whether the segment passes through the box (an end inside, or crossing one of its sides).
    public static func crosses(_ segment: Segment, _ box: Box) -> Bool {
        if box.contains(segment.a) || box.contains(segment.b) { return true }
        let corners = [(box.x, box.y), (box.x + box.w, box.y), (box.x + box.w, box.y + box.h), (box.x, box.y + box.h)]
        for k in 0..<4 where segmentsIntersect(segment.a, segment.b, corners[k], corners[(k + 1) % 4]) { return true }
        return false
    }

    static func segmentsIntersect(_ p: (Double, Double), _ q: (Double, Double), _ r: (Double, Double), _ t: (Double, Double)) -> Bool {
        func orientation(_ a: (Double, Double), _ b: (Double, Double), _ c: (Double, Double)) -> Double {
            (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
        }
        let d1 = orientation(r, t, p), d2 = orientation(r, t, q), d3 = orientation(p, q, r), d4 = orientation(p, q, t)
        return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
    }
}
