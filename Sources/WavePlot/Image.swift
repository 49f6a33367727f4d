/// An 8-bit RGB raster, row-major from the top-left.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]   // [height, width, 3]

    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) { pixels[3 * p] = fill.0; pixels[3 * p + 1] = fill.1; pixels[3 * p + 2] = fill.2 }
    }

    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get { let i = 3 * (y * width + x); return (pixels[i], pixels[i + 1], pixels[i + 2]) }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = 3 * (y * width + x)
            pixels[i] = newValue.0; pixels[i + 1] = newValue.1; pixels[i + 2] = newValue.2
        }
    }

    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, _ color: (UInt8, UInt8, UInt8)) {
        for yy in y..<(y + h) { for xx in x..<(x + w) { self[xx, yy] = color } }
    }

    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, _ color: (UInt8, UInt8, UInt8)) {
        for xx in x..<(x + w) { self[xx, y] = color; self[xx, y + h - 1] = color }
        for yy in y..<(y + h) { self[x, yy] = color; self[x + w - 1, yy] = color }
    }
}

/// A perceptually uniform colour map: viridis (van der Walt & Smith, CC0), interpolated
/// linearly between its colours at t = 0, 1/8, ..., 1.
public enum Colormap {
    static let anchors: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3E, 0x49, 0x89), (0x31, 0x68, 0x8E), (0x26, 0x82, 0x8E),
        (0x1F, 0x9E, 0x89), (0x35, 0xB7, 0x79), (0x6E, 0xCE, 0x58), (0xFD, 0xE7, 0x25),
    ]

    /// Colour for t in [0, 1] (clamped; NaN maps to the low end).
    public static func viridis(_ t: Double) -> (UInt8, UInt8, UInt8) {
        let x = t.isNaN ? 0 : min(max(t, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(x), anchors.count - 2)
        let f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        func mix(_ p: Double, _ q: Double) -> UInt8 { UInt8((p + (q - p) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// The 256-entry palette (index k -> viridis(k / 255)) used for GIF frames.
    public static var viridisPalette: [(UInt8, UInt8, UInt8)] { (0..<256).map { viridis(Double($0) / 255) } }
}

/// A 5x7 bitmap font for the numbers on colour bars.
public enum BitmapFont {
    static let glyphs: [Character: [UInt8]] = [
        "0": [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
        "1": [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        "2": [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
        "3": [0b11110, 0b00001, 0b00001, 0b01110, 0b00001, 0b00001, 0b11110],
        "4": [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
        "5": [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
        "6": [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
        "7": [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
        "8": [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
        "9": [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
        ".": [0, 0, 0, 0, 0, 0b01100, 0b01100],
        "-": [0, 0, 0, 0b11111, 0, 0, 0],
        "+": [0, 0b00100, 0b00100, 0b11111, 0b00100, 0b00100, 0],
        "e": [0, 0, 0b01110, 0b10001, 0b11111, 0b10000, 0b01110],
        " ": [0, 0, 0, 0, 0, 0, 0],
    ]

    public static func width(of text: String) -> Int { text.count * 6 }

    /// Draws `text` with its top-left corner at (x, y); characters without a glyph are skipped.
    public static func draw(_ text: String, into image: inout RGBImage, x: Int, y: Int,
                            color: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        for (k, ch) in text.enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for c in 0..<5 where bits & (1 << (4 - c)) != 0 { image[x + 6 * k + c, y + r] = color }
            }
        }
    }
}

/// Short number for a colour-bar tick.
public func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    if abs(v) >= 0.01 && abs(v) < 1000 { return String(format: abs(v) >= 10 ? "%.1f" : "%.2f", v) }
    return String(format: "%.1e", v)
}

/// A heat map of `values` ([rows, cols], row 0 drawn at the top) with a colour bar on the right:
/// each value is a `scale` x `scale` block; colours span [low, high].
public func heatmap(_ values: [Double], rows: Int, cols: Int, scaleX: Int, scaleY: Int,
                    low: Double, high: Double) -> RGBImage {
    let margin = 6, barWidth = 14, labelWidth = 60
    let mapWidth = cols * scaleX, mapHeight = rows * scaleY
    var image = RGBImage(width: margin + mapWidth + margin + barWidth + 4 + labelWidth, height: mapHeight + 2 * margin + 8)
    let span = high > low ? high - low : 1
    for r in 0..<rows {
        for c in 0..<cols {
            let color = Colormap.viridis((values[r * cols + c] - low) / span)
            image.fillRect(x: margin + c * scaleX, y: margin + r * scaleY, width: scaleX, height: scaleY, color)
        }
    }
    let barX = margin + mapWidth + margin
    for y in 0..<mapHeight {
        let color = Colormap.viridis(1 - Double(y) / Double(max(mapHeight - 1, 1)))
        image.fillRect(x: barX, y: margin + y, width: barWidth, height: 1, color)
    }
    image.strokeRect(x: barX - 1, y: margin - 1, width: barWidth + 2, height: mapHeight + 2, (0, 0, 0))
    image.strokeRect(x: margin - 1, y: margin - 1, width: mapWidth + 2, height: mapHeight + 2, (0, 0, 0))
    for (fraction, value) in [(0.0, high), (0.5, (low + high) / 2), (1.0, low)] {
        let y = margin + Int(fraction * Double(mapHeight - 1)) - 3
        BitmapFont.draw(tickLabel(value), into: &image, x: barX + barWidth + 4, y: min(max(y, 0), image.height - 7))
    }
    return image
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
