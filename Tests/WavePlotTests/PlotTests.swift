import CCairo
import CGIF
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import WaveCore
import XCTest
import WavePlot
import WaveTestSupport

final class CanvasTests: XCTestCase {
    func scratch(_ name: String) -> String { NSTemporaryDirectory() + "wrnn-plot-\(UUID().uuidString)-" + name }

    /// The PNG decodes (through cairo's reader) to the cells drawn: nearest-neighbour, row 0 at the top.
    func testHeatmapCellsArePixelExactInThePNG() throws {
        let path = scratch("map.png")
        let canvas = try Canvas(width: 40, height: 40, format: .png, path: path)
        let panel = Panel(x: 0, y: 0, w: 40, h: 40, xAxis: Axis("", 0, 2), yAxis: Axis("", 0, 2, downward: true))
        drawHeatmap(canvas, panel, values: [0, 1, 2, 3], rows: 2, cols: 2, low: 0, high: 3)
        try canvas.finish()
        let image = try XCTUnwrap(cairo_image_surface_create_from_png(path))
        defer { cairo_surface_destroy(image) }
        XCTAssertEqual(cairo_surface_status(image), CAIRO_STATUS_SUCCESS)
        XCTAssertEqual(cairo_image_surface_get_width(image), 80, "PNG at twice the points")
        let stride = Int(cairo_image_surface_get_stride(image)), data = cairo_image_surface_get_data(image)!
        func pixel(_ x: Int, _ y: Int) -> Color {
            let v = UnsafeRawPointer(data + y * stride + 4 * x).load(as: UInt32.self)
            return Color(Double((v >> 16) & 0xFF) / 255, Double((v >> 8) & 0xFF) / 255, Double(v & 0xFF) / 255)
        }
        func close(_ a: Color, _ b: Color) -> Bool { abs(a.r - b.r) + abs(a.g - b.g) + abs(a.b - b.b) < 0.02 }
        XCTAssertTrue(close(pixel(20, 20), Colormap.viridis(0)), "top-left cell holds the first value")
        XCTAssertTrue(close(pixel(60, 20), Colormap.viridis(1.0 / 3)), "top-right: the second")
        XCTAssertTrue(close(pixel(60, 60), Colormap.viridis(1)), "bottom-right: the last")
    }

    /// A figure's words are real text in the PDF: title, axis labels, tick values, colour-bar label.
    func testPDFCarriesTitleAxisLabelsTicksAndColourBar() throws {
        let base = scratch("figure")
        let files = try writeFigure(to: base, formats: [.pdf, .svg, .png], width: 500, height: 300) { c in
            let panel = Panel(
                x: 60, y: 30, w: 340, h: 220, xAxis: Axis("time step t", 0.5, 50.5), yAxis: Axis("neuron i", -0.5, 99.5, downward: true))
            drawHeatmap(c, panel, values: (0..<(100 * 50)).map { Double($0 % 7) }, rows: 100, cols: 50, low: 0, high: 6)
            panel.drawFrame(c, title: "wRNN, ring 0")
            drawColorbar(c, x: 420, y: 30, h: 220, low: 0, high: 6, label: "activation h")
        }
        XCTAssertEqual(files.map { URL(fileURLWithPath: $0).pathExtension }, ["pdf", "svg", "png"])
        XCTAssertEqual(FileManager.default.contents(atPath: base + ".pdf")?.prefix(5), Data("%PDF-".utf8))
        let svg = String(decoding: FileManager.default.contents(atPath: base + ".svg") ?? Data(), as: UTF8.self)
        XCTAssertTrue(svg.contains("<svg"), "an SVG document")
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "well-formed XML")
        // editable text, not glyph outlines; the map one embedded image scaled without smoothing
        for word in ["wRNN, ring 0", "time step t", "neuron i", "activation h"] {
            XCTAssertTrue(svg.contains(">\(word)</text>"), "\(word) as SVG text")
        }
        XCTAssertFalse(svg.contains("<symbol") || svg.contains("glyph"), "no glyph outlines")
        XCTAssertTrue(svg.contains("image-rendering=\"pixelated\"") && svg.contains("data:image/png;base64,"), "the map is a sharp image")
        // through env: a missing pdftotext is exit status 127, a failure (`make setup` installs it)
        let extracted = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["pdftotext", base + ".pdf", "-"])
        try require(extracted.status != 127, "pdftotext (poppler-utils) is not installed; `make setup` installs it")
        let text = extracted.stdout
        for word in ["wRNN, ring 0", "time step t", "neuron i", "activation h", "10", "40", "50"] {
            XCTAssertTrue(text.contains(word), "\(word) in \(text)")
        }
    }

    func testTicksAreRoundNumbers() {
        XCTAssertEqual(niceTicks(0, 100).map(\.label), ["0", "20", "40", "60", "80", "100"])
        XCTAssertEqual(niceTicks(-0.5, 0.5, count: 5).map(\.label), ["-0.4", "-0.2", "0", "0.2", "0.4"])
        // a log axis: one form for every decade, and minor ticks at 2 ... 9 times each power
        XCTAssertEqual(niceTicks(-6, 0, log: true).map(\.label), ["10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"])
        XCTAssertEqual(niceTicks(-1, 12, log: true).map(\.label), ["10⁻¹", "10¹", "10³", "10⁵", "10⁷", "10⁹", "10¹¹"])
        let minor = minorLogTicks(-2, 0)
        XCTAssertEqual(minor.count, 16)
        XCTAssertEqual(minor.first!, log10(0.02), accuracy: 1e-12)
        XCTAssertEqual(minor.last!, log10(0.9), accuracy: 1e-12)
        XCTAssertEqual(minorLogTicks(-20, 0), [], "too many decades to tell minor ticks apart")
    }

    func testViridisEndpoints() {
        XCTAssertEqual(Colormap.viridis(0), Color(hex: 0x440154))
        XCTAssertEqual(Colormap.viridis(1), Color(hex: 0xFDE725))
        XCTAssertEqual(Colormap.viridis(.nan), Colormap.viridis(0))
    }

    func testFormatsParseAndUnknownOnesAreNamed() throws {
        XCTAssertEqual(try FigureFormat.parse("png,PDF, svg"), [.png, .pdf, .svg])
        XCTAssertThrowsError(try FigureFormat.parse("png,eps")) {
            XCTAssertEqual(($0 as? WrnnError)?.message, "--format: 'eps' is not a figure format; choose png, pdf or svg (comma-separated)")
        }
    }
}

final class GIFTests: XCTestCase {
    /// Decode with giflib's reader: frame count, size, palette and every index.
    func testAnimatedGIFDecodes() throws {
        let width = 9, height = 5
        let frames: [[UInt8]] = (0..<4).map { f in (0..<(width * height)).map { UInt8(($0 * 7 + f * 50) % 256) } }
        let path = NSTemporaryDirectory() + "wrnn-test-\(UUID().uuidString).gif"
        try AnimatedGIF.write(
            frames: frames, width: width, height: height, palette: Colormap.viridisPalette,
            delayCentiseconds: 5, to: path)
        var error: Int32 = 0
        let gif = try XCTUnwrap(DGifOpenFileName(path, &error))
        XCTAssertEqual(DGifSlurp(gif), GIF_OK)
        XCTAssertEqual(Int(gif.pointee.SWidth), width)
        XCTAssertEqual(Int(gif.pointee.SHeight), height)
        XCTAssertEqual(Int(gif.pointee.ImageCount), 4)
        let palette = gif.pointee.SColorMap.pointee
        XCTAssertEqual(palette.ColorCount, 256)
        XCTAssertEqual(palette.Colors[255].Red, 0xFD)
        for f in 0..<4 {
            let image = gif.pointee.SavedImages[f]
            XCTAssertEqual(Int(image.ImageDesc.Width), width)
            let raster = (0..<(width * height)).map { image.RasterBits[$0] }
            XCTAssertEqual(raster, frames[f], "frame \(f)")
        }
        // the first frame carries the NETSCAPE2.0 loop block
        let blocks = gif.pointee.SavedImages[0]
        let names = (0..<Int(blocks.ExtensionBlockCount)).map { k -> String in
            let block = blocks.ExtensionBlocks[k]
            return String(decoding: UnsafeBufferPointer(start: block.Bytes, count: Int(block.ByteCount)), as: UTF8.self)
        }
        XCTAssertTrue(names.contains("NETSCAPE2.0"), "\(names)")
        DGifCloseFile(gif, &error)
    }
}

final class ColourBarTests: XCTestCase {
    /// A colour bar is labelled at round values inside its range (never its raw ends: 51.6, 2.55),
    /// at least two, with as many decimals as their step needs.
    func testColourBarTicksAreRoundValues() {
        XCTAssertEqual(colorbarTicks(-2.8, 1.9).map(\.label), ["-2", "-1", "0", "1"])
        XCTAssertEqual(colorbarTicks(0, 38.8).map(\.label), ["0", "10", "20", "30"])
        XCTAssertEqual(colorbarTicks(2.55, 51.6).map(\.label), ["10", "20", "30", "40", "50"])
        XCTAssertEqual(colorbarTicks(0, 1).map(\.label), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(colorbarTicks(-2.28, 2.28).map(\.label), ["-2", "-1", "0", "1", "2"])
        XCTAssertEqual(colorbarTicks(0.12, 0.31).map(\.label), ["0.15", "0.20", "0.25", "0.30"])
        XCTAssertEqual(colorbarTicks(0.0012, 0.0031).map(\.label), ["1.5e-03", "2.0e-03", "2.5e-03", "3.0e-03"])
        for (low, high) in [(0.3, 0.31), (-1e-6, 1e-6), (1, 1e6), (3.7, 3.71)] {
            let ticks = colorbarTicks(low, high)
            XCTAssertGreaterThanOrEqual(ticks.count, 2, "\(low) ... \(high)")
            XCTAssertTrue(ticks.allSatisfy { $0.value >= low - 1e-12 && $0.value <= high + 1e-12 }, "\(low) ... \(high): \(ticks)")
        }
    }

    /// Signed log ratios: white at 0, blue below, red above.
    func testDivergingMapIsCentredOnWhite() {
        XCTAssertEqual(Colormap.diverging(0.5), Color(hex: 0xF7F7F7))
        let low = Colormap.diverging(0), high = Colormap.diverging(1)
        XCTAssertGreaterThan(low.b, low.r)
        XCTAssertGreaterThan(high.r, high.b)
    }
}
