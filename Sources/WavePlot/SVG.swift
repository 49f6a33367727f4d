import Foundation

/// One line (or set of markers) in a chart.
public struct ChartSeries: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var color: String
    public var dashed: Bool
    public var markers: Bool
    public init(name: String, points: [(x: Double, y: Double)], color: String, dashed: Bool = false, markers: Bool = false) {
        self.name = name; self.points = points; self.color = color; self.dashed = dashed; self.markers = markers
    }
}

public let chartColors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

/// A line or scatter chart as standalone SVG: axes with ticks, optional log scales, a legend.
public struct Chart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logX = false
    public var logY = false
    public var series: [ChartSeries]
    public var width = 640
    public var height = 380

    public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false, series: [ChartSeries]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logX = logX; self.logY = logY; self.series = series
    }

    public func svg() -> String {
        let left = 72.0, right = 170.0, top = 36.0, bottom = 52.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0) }
        func tx(_ v: Double) -> Double { logX ? log10(v) : v }
        func ty(_ v: Double) -> Double { logY ? log10(v) : v }
        var xs = (all.map { tx($0.x) }.min() ?? 0, all.map { tx($0.x) }.max() ?? 1)
        var ys = (all.map { ty($0.y) }.min() ?? 0, all.map { ty($0.y) }.max() ?? 1)
        if xs.1 - xs.0 < 1e-12 { xs = (xs.0 - 0.5, xs.1 + 0.5) }
        if ys.1 - ys.0 < 1e-12 { ys = (ys.0 - 0.5, ys.1 + 0.5) }
        if logY { ys = (floor(ys.0), ceil(ys.1)) } else { let pad = 0.05 * (ys.1 - ys.0); ys = (ys.0 - pad, ys.1 + pad) }
        if logX { xs = (floor(xs.0), ceil(xs.1)) }
        func px(_ v: Double) -> Double { left + (tx(v) - xs.0) / (xs.1 - xs.0) * plotW }
        func py(_ v: Double) -> Double { top + plotH - (ty(v) - ys.0) / (ys.1 - ys.0) * plotH }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="\(width)" height="\(height)" fill="white"/>
        <text x="\(left + plotW / 2)" y="20" text-anchor="middle" font-size="14" font-weight="bold">\(escapeXML(title))</text>

        """
        // ticks and grid
        for (value, label) in ticks(xs, log: logX) {
            let x = left + (value - xs.0) / (xs.1 - xs.0) * plotW
            out += "<line x1=\"\(r(x))\" y1=\"\(r(top))\" x2=\"\(r(x))\" y2=\"\(r(top + plotH))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(r(x))\" y=\"\(r(top + plotH + 16))\" text-anchor=\"middle\">\(escapeXML(label))</text>\n"
        }
        for (value, label) in ticks(ys, log: logY) {
            let y = top + plotH - (value - ys.0) / (ys.1 - ys.0) * plotH
            out += "<line x1=\"\(r(left))\" y1=\"\(r(y))\" x2=\"\(r(left + plotW))\" y2=\"\(r(y))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(r(left - 6))\" y=\"\(r(y + 4))\" text-anchor=\"end\">\(escapeXML(label))</text>\n"
        }
        out += "<rect x=\"\(r(left))\" y=\"\(r(top))\" width=\"\(r(plotW))\" height=\"\(r(plotH))\" fill=\"none\" stroke=\"black\"/>\n"
        out += "<text x=\"\(r(left + plotW / 2))\" y=\"\(height - 12)\" text-anchor=\"middle\">\(escapeXML(xLabel))</text>\n"
        out += "<text transform=\"translate(16,\(r(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escapeXML(yLabel))</text>\n"
        for (k, s) in series.enumerated() {
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0) }
            if !s.markers && points.count > 1 {
                let path = points.map { "\(r(px($0.x))),\(r(py($0.y)))" }.joined(separator: " ")
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"5,3\"" : "")/>\n"
            }
            if s.markers || points.count == 1 {
                for p in points { out += "<circle cx=\"\(r(px(p.x)))\" cy=\"\(r(py(p.y)))\" r=\"4\" fill=\"\(s.color)\"/>\n" }
            }
            let ly = top + 10 + Double(k) * 18
            out += "<line x1=\"\(r(left + plotW + 12))\" y1=\"\(r(ly))\" x2=\"\(r(left + plotW + 36))\" y2=\"\(r(ly))\" stroke=\"\(s.color)\" stroke-width=\"2.5\"\(s.dashed ? " stroke-dasharray=\"5,3\"" : "")/>\n"
            out += "<text x=\"\(r(left + plotW + 42))\" y=\"\(r(ly + 4))\">\(escapeXML(s.name))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    func ticks(_ range: (Double, Double), log: Bool) -> [(Double, String)] {
        if log {
            let lo = Int(range.0.rounded(.down)), hi = Int(range.1.rounded(.up))
            let step = max(1, (hi - lo) / 8)
            return stride(from: lo, through: hi, by: step).map { (Double($0), "1e\($0)") }
        }
        let span = range.1 - range.0
        let rough = span / 6
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        var v = ceil(range.0 / step) * step
        var out: [(Double, String)] = []
        while v <= range.1 + step * 1e-9 {
            out.append((v, abs(v) >= 1e5 ? String(format: "%.0e", v) : String(format: step >= 1 ? "%.0f" : "%g", v)))
            v += step
        }
        return out
    }

    private func r(_ v: Double) -> String { String(format: "%.1f", v) }
}

public func escapeXML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
