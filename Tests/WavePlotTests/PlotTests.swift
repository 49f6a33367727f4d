import CGIF
import CZlib
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import WavePlot

/// CRC-32 written independently of the encoder (bitwise, no table).
func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

func bigEndian(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3]) }

final class PNGTests: XCTestCase {
    /// Decode our PNG by hand: signature, chunk CRCs, IHDR, then inflate IDAT with zlib and
    /// compare every pixel.
    func testPNGDecodesToTheSamePixels() throws {
        var image = RGBImage(width: 13, height: 7)
        for y in 0..<7 { for x in 0..<13 { image[x, y] = (UInt8(x * 19), UInt8(y * 36), UInt8((x * y) % 256)) } }
        let bytes = PNG.encode(image)
        XCTAssertEqual(Array(bytes[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var offset = 8
        var chunks: [(String, [UInt8])] = []
        while offset < bytes.count {
            let length = bigEndian(bytes, offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            let crc = UInt32(bigEndian(bytes, offset + 8 + length))
            XCTAssertEqual(crc, referenceCRC(Array(bytes[(offset + 4)..<(offset + 8 + length)])), "CRC of \(type)")
            chunks.append((type, data))
            offset += 12 + length
        }
        XCTAssertEqual(chunks.map(\.0), ["IHDR", "IDAT", "IEND"])
        let header = chunks[0].1
        XCTAssertEqual(bigEndian(header, 0), 13)
        XCTAssertEqual(bigEndian(header, 4), 7)
        XCTAssertEqual(Array(header[8..<13]), [8, 2, 0, 0, 0])
        var inflated = [UInt8](repeating: 0, count: 7 * (1 + 13 * 3))
        var length = uLong(inflated.count)
        XCTAssertEqual(uncompress(&inflated, &length, chunks[1].1, uLong(chunks[1].1.count)), Z_OK)
        XCTAssertEqual(Int(length), inflated.count)
        for y in 0..<7 {
            XCTAssertEqual(inflated[y * 40], 0, "filter type 0")
            XCTAssertEqual(Array(inflated[(y * 40 + 1)..<((y + 1) * 40)]), Array(image.pixels[(y * 39)..<((y + 1) * 39)]))
        }
    }

    func testViridisEndpointsAndHeatmapColours() {
        XCTAssertTrue(Colormap.viridis(0) == (0x44, 0x01, 0x54))
        XCTAssertTrue(Colormap.viridis(1) == (0xFD, 0xE7, 0x25))
        XCTAssertTrue(Colormap.viridis(0.5) == (0x26, 0x82, 0x8E))
        let map = heatmap([0, 1, 2, 3], rows: 2, cols: 2, scaleX: 3, scaleY: 3, low: 0, high: 3)
        XCTAssertTrue(map[6, 6] == Colormap.viridis(0), "top-left cell holds the first value")
        XCTAssertTrue(map[9, 9] == Colormap.viridis(1), "bottom-right cell holds the last value")
    }
}

final class GIFTests: XCTestCase {
    /// Decode with giflib's reader: frame count, size, palette and every index.
    func testAnimatedGIFDecodes() throws {
        let width = 9, height = 5
        let frames: [[UInt8]] = (0..<4).map { f in (0..<(width * height)).map { UInt8(($0 * 7 + f * 50) % 256) } }
        let path = NSTemporaryDirectory() + "wrnn-test-\(UUID().uuidString).gif"
        try AnimatedGIF.write(frames: frames, width: width, height: height, palette: Colormap.viridisPalette,
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

final class SVGTests: XCTestCase {
    final class Delegate: NSObject, XMLParserDelegate {
        var elements: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) { elements.append(name) }
    }

    func testChartsAreValidXML() throws {
        let chart = Chart(title: "loss <&> \"curves\"", xLabel: "step", yLabel: "loss", logY: true, series: [
            ChartSeries(name: "a", points: [(0, 1), (100, 1e-3), (200, 1e-5)], color: chartColors[0]),
            ChartSeries(name: "b", points: [(0, 2), (200, 0.5)], color: chartColors[1], dashed: true),
        ])
        for svg in [chart.svg(), Chart(title: "scatter", xLabel: "parameters", yLabel: "%", logX: true, series: [
            ChartSeries(name: "x", points: [(12_000, 99)], color: "#000", markers: true)]).svg()] {
            let parser = XMLParser(data: Data(svg.utf8))
            let delegate = Delegate()
            parser.delegate = delegate
            XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
            XCTAssertEqual(delegate.elements.first, "svg")
        }
        XCTAssertTrue(chart.svg().contains("<polyline"))
        XCTAssertTrue(chart.svg().contains("loss &lt;&amp;&gt; &quot;curves&quot;"))
    }
}
