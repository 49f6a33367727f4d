import CCairo
import Foundation
import WaveCore

/// What a figure is written as: PNG (raster, for the report and notebooks), PDF and SVG (vector,
/// for papers).
public enum FigureFormat: String, CaseIterable, Sendable {
    case png, pdf, svg

    /// "png,pdf" -> [.png, .pdf]; an unknown name is an error naming the choices.
    public static func parse(_ text: String) throws -> [FigureFormat] {
        try text.split(separator: ",").map { name in
            guard let format = FigureFormat(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw WrnnError.usage("--format: '\(name)' is not a figure format; choose png, pdf or svg (comma-separated)")
            }
            return format
        }
    }
}

/// An RGB colour, components in [0, 1].
public struct Color: Sendable, Equatable {
    public var r: Double, g: Double, b: Double
    public init(_ r: Double, _ g: Double, _ b: Double) { self.r = r; self.g = g; self.b = b }
    public init(hex: UInt32) {
        self.init(Double((hex >> 16) & 0xFF) / 255, Double((hex >> 8) & 0xFF) / 255, Double(hex & 0xFF) / 255)
    }
    public static let black = Color(0, 0, 0), white = Color(1, 1, 1), grey = Color(0.55, 0.55, 0.55)
    public static let lightGrey = Color(0.9, 0.9, 0.9)
    public var hexText: String { String(format: "#%02x%02x%02x", Int(r * 255), Int(g * 255), Int(b * 255)) }
}

/// One colour per run across every chart of a report (matplotlib's tab10 order).
public let runColors: [Color] = [0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0xff7f0e, 0x8c564b, 0xe377c2, 0x17becf].map { Color(hex: $0) }

/// A drawing surface: cairo for PNG and PDF (text through fontconfig and FreeType, antialiased
/// lines), and wrnn's own SVG writer for SVG, so that text stays `<text>` an editor can change
/// (cairo 1.16 writes glyph outlines). Images are drawn pixel for pixel (nearest neighbour) in
/// every format, so a map's cells stay cells.
public final class Canvas {
    public let width: Double
    public let height: Double
    /// The resolution PNGs are drawn at and tagged with (their pHYs chunk): a command's --dpi sets it
    /// once, before drawing. 144 by default.
    nonisolated(unsafe) public static var pngDPI = 144.0
    /// For PNG and PDF the surface drawn on; for SVG a 1 x 1 surface that only measures text.
    let surface: OpaquePointer
    let cr: OpaquePointer
    let format: FigureFormat
    let path: String
    /// The SVG document's body, element by element (SVG only).
    var svg: [String] = []
    /// PNG and PDF bytes as cairo writes them: the file is written from here by `writeAtomically`,
    /// so a failed write names the system's reason (a full disk, a quota) like every other file.
    let sink = ByteSink()

    /// A canvas of `width` x `height` points that `finish()` writes to `path` (atomically).
    public init(width: Int, height: Int, format: FigureFormat, path: String) throws {
        try refuseNonRegularOutput(path)
        self.width = Double(width); self.height = Double(height); self.format = format; self.path = path
        switch format {
        case .png:
            // pixels per point from the resolution asked for (144 dpi by default: sharp text on high-density screens)
            let scale = Canvas.pngDPI / 72
            surface = cairo_image_surface_create(
                CAIRO_FORMAT_ARGB32, Int32((Double(width) * scale).rounded()), Int32((Double(height) * scale).rounded()))
        case .pdf:
            surface = cairo_pdf_surface_create_for_stream(
                ByteSink.write, Unmanaged.passUnretained(sink).toOpaque(), Double(width), Double(height))
        case .svg: surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1)
        }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else {
            throw WrnnError.io("cannot create \(path): \(String(cString: cairo_status_to_string(cairo_surface_status(surface))))")
        }
        cr = cairo_create(surface)
        if format == .png { cairo_scale(cr, Canvas.pngDPI / 72, Canvas.pngDPI / 72) }
        fill(0, 0, Double(width), Double(height), .white)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// Writes the figure: `path` is replaced atomically by the finished file.
    public func finish() throws {
        cairo_surface_flush(surface)
        if format == .svg {
            let document = """
                <?xml version="1.0" encoding="UTF-8"?>
                <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" \
                width="\(number(width))pt" height="\(number(height))pt" viewBox="0 0 \(number(width)) \(number(height))">

                """ + svg.joined(separator: "\n") + "\n</svg>\n"
            try writeAtomically(document, to: path)
            return
        }
        if format == .png {
            let status = cairo_surface_write_to_png_stream(surface, ByteSink.write, Unmanaged.passUnretained(sink).toOpaque())
            guard status == CAIRO_STATUS_SUCCESS else {
                throw WrnnError.io("cannot encode \(path): \(String(cString: cairo_status_to_string(status)))")
            }
        } else {
            cairo_surface_finish(surface)
            let status = cairo_surface_status(surface)
            guard status == CAIRO_STATUS_SUCCESS else {
                throw WrnnError.io("cannot encode \(path): \(String(cString: cairo_status_to_string(status)))")
            }
        }
        try writeAtomically(format == .png ? Canvas.taggingResolution(sink.bytes) : sink.bytes, to: path)
    }

    /// The PNG with a pHYs chunk after its header: its resolution in pixels per metre, so a journal's
    /// or an editor's tools read the size the figure was drawn for.
    static func taggingResolution(_ png: [UInt8]) -> [UInt8] {
        // signature (8) and IHDR (4 length + 4 type + 13 data + 4 CRC)
        guard png.count > 33, Array(png[12..<16]) == Array("IHDR".utf8) else { return png }
        let perMetre = UInt32((pngDPI / 0.0254).rounded())
        var chunk: [UInt8] = Array("pHYs".utf8)
        for value in [perMetre, perMetre] { chunk += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) } }
        chunk.append(1) // the unit: metre
        let crc = chunk.withUnsafeBytes { crc32($0) }
        let length: [UInt8] = [0, 0, 0, 9]
        let checksum = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) }
        return Array(png[0..<33]) + length + chunk + checksum + Array(png[33...])
    }

    /// A PNG canvas's image as PNG bytes (RGBA), without writing a file: for TensorBoard's images.
    public func pngBytes() throws -> [UInt8] {
        precondition(format == .png, "pngBytes() is for PNG canvases")
        cairo_surface_flush(surface)
        let sink = ByteSink()
        let status = cairo_surface_write_to_png_stream(surface, ByteSink.write, Unmanaged.passUnretained(sink).toOpaque())
        guard status == CAIRO_STATUS_SUCCESS else {
            throw WrnnError.io("cannot encode a PNG: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.bytes
    }

    /// The pixel size of a PNG canvas.
    public var pixelSize: (width: Int, height: Int) {
        (Int(cairo_image_surface_get_width(surface)), Int(cairo_image_surface_get_height(surface)))
    }

    func set(_ color: Color) { cairo_set_source_rgb(cr, color.r, color.g, color.b) }

    /// Collects what cairo writes.
    final class ByteSink {
        var bytes: [UInt8] = []
        static let write: cairo_write_func_t = { closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            return CAIRO_STATUS_SUCCESS
        }
    }

    public func fill(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ color: Color) {
        if format == .svg {
            svg.append(
                "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(w))\" height=\"\(number(h))\" fill=\"\(color.hexText)\"/>")
            return
        }
        set(color); cairo_rectangle(cr, x, y, w, h); cairo_fill(cr)
    }

    public func stroke(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ color: Color, width: Double = 1) {
        if format == .svg {
            svg.append(
                "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(w))\" height=\"\(number(h))\" fill=\"none\" "
                    + "stroke=\"\(color.hexText)\" stroke-width=\"\(number(width))\"/>")
            return
        }
        set(color); cairo_set_line_width(cr, width); cairo_rectangle(cr, x, y, w, h); cairo_stroke(cr)
    }

    public func line(_ points: [(Double, Double)], _ color: Color, width: Double = 1.5, dashed: Bool = false) {
        guard let first = points.first else { return }
        if format == .svg {
            svg.append(
                "<polyline points=\"\(svgPoints(points))\" fill=\"none\" stroke=\"\(color.hexText)\" stroke-width=\"\(number(width))\" "
                    + "stroke-linejoin=\"round\"" + (dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>")
            return
        }
        set(color)
        cairo_set_line_width(cr, width)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        if dashed { var pattern: [Double] = [5, 3]; cairo_set_dash(cr, &pattern, 2, 0) }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    /// A filled polygon, `opacity` 0 ... 1 (a spread band under its line).
    public func polygon(_ points: [(Double, Double)], _ color: Color, opacity: Double = 1) {
        guard let first = points.first else { return }
        if format == .svg {
            svg.append(
                "<polygon points=\"\(svgPoints(points))\" fill=\"\(color.hexText)\""
                    + (opacity < 1 ? " fill-opacity=\"\(number(opacity))\"" : "") + "/>")
            return
        }
        cairo_set_source_rgba(cr, color.r, color.g, color.b, opacity)
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_close_path(cr)
        cairo_fill(cr)
    }

    public func circle(_ x: Double, _ y: Double, radius: Double, _ color: Color) {
        if format == .svg {
            svg.append("<circle cx=\"\(number(x))\" cy=\"\(number(y))\" r=\"\(number(radius))\" fill=\"\(color.hexText)\"/>")
            return
        }
        set(color); cairo_arc(cr, x, y, radius, 0, 2 * Double.pi); cairo_fill(cr)
    }

    public enum Anchor { case start, middle, end }

    /// Text at (x, y) on its baseline; `rotated` turns it 90 degrees counter-clockwise (a y-axis label).
    public func text(
        _ string: String, x: Double, y: Double, size: Double = 11, anchor: Anchor = .start, bold: Bool = false,
        rotated: Bool = false, color: Color = .black
    ) {
        cairo_save(cr)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, string, &extents)
        let shift = anchor == .start ? 0 : anchor == .middle ? extents.x_advance / 2 : extents.x_advance
        if format == .svg {
            // real text: the anchor is the measured shift, so the layout equals the PDF's
            let place =
                rotated
                ? "transform=\"translate(\(number(x)) \(number(y))) rotate(-90)\" x=\"\(number(-shift))\" y=\"0\""
                : "x=\"\(number(x - shift))\" y=\"\(number(y))\""
            svg.append(
                "<text \(place) font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"\(number(size))\""
                    + (bold ? " font-weight=\"bold\"" : "") + (color == .black ? "" : " fill=\"\(color.hexText)\"")
                    + " xml:space=\"preserve\">\(escapeXML(string))</text>")
            cairo_restore(cr)
            return
        }
        cairo_translate(cr, x, y)
        if rotated { cairo_rotate(cr, -Double.pi / 2) }
        set(color)
        cairo_move_to(cr, -shift, 0)
        cairo_show_text(cr, string)
        cairo_restore(cr)
    }

    /// Width of `string` at `size` points.
    public func textWidth(_ string: String, size: Double = 11, bold: Bool = false) -> Double {
        cairo_save(cr)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, string, &extents)
        cairo_restore(cr)
        return extents.x_advance
    }

    /// A grid of colours [rows][cols] (row 0 at the top) scaled into the rectangle, cells kept sharp.
    public func image(_ colors: [Color], rows: Int, cols: Int, x: Double, y: Double, w: Double, h: Double) {
        guard rows > 0, cols > 0 else { return }
        let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(cols), Int32(rows))!
        let stride = Int(cairo_image_surface_get_stride(image))
        cairo_surface_flush(image)
        let data = cairo_image_surface_get_data(image)!
        for r in 0..<rows {
            let row = UnsafeMutableRawPointer(data + r * stride).assumingMemoryBound(to: UInt32.self)
            for c in 0..<cols {
                let color = colors[r * cols + c]
                row[c] = UInt32(color.r * 255) << 16 | UInt32(color.g * 255) << 8 | UInt32(color.b * 255)
            }
        }
        cairo_surface_mark_dirty(image)
        if format == .svg {
            // the cells as an embedded PNG, scaled without smoothing
            var png: [UInt8] = []
            let status = withUnsafeMutablePointer(to: &png) { sink in
                cairo_surface_write_to_png_stream(
                    image,
                    { closure, data, length in
                        guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
                        closure.assumingMemoryBound(to: [UInt8].self).pointee.append(
                            contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                        return CAIRO_STATUS_SUCCESS
                    }, sink)
            }
            cairo_surface_destroy(image)
            guard status == CAIRO_STATUS_SUCCESS else { return }
            svg.append(
                "<image x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(w))\" height=\"\(number(h))\" preserveAspectRatio=\"none\" "
                    + "image-rendering=\"pixelated\" style=\"image-rendering:pixelated;image-rendering:crisp-edges\" "
                    + "xlink:href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>")
            return
        }
        cairo_save(cr)
        cairo_rectangle(cr, x, y, w, h)
        cairo_clip(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, w / Double(cols), h / Double(rows))
        cairo_set_source_surface(cr, image, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_paint(cr)
        cairo_restore(cr)
        cairo_surface_destroy(image)
    }
}

/// A coordinate in SVG: at most two decimals, no trailing zeros.
func number(_ value: Double) -> String {
    guard value.isFinite, abs(value) < 1e12 else { return "0" }
    let rounded = (value * 100).rounded() / 100
    return rounded == rounded.rounded()
        ? String(Int(rounded)) : String(format: "%.2f", rounded).replacingOccurrences(of: #"0$"#, with: "", options: .regularExpression)
}

func svgPoints(_ points: [(Double, Double)]) -> String {
    points.map { number($0.0) + "," + number($0.1) }.joined(separator: " ")
}

/// The viridis colour map (perceptually uniform, readable in grey).
public enum Colormap {
    static let anchors: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3E, 0x49, 0x89), (0x31, 0x68, 0x8E), (0x26, 0x82, 0x8E),
        (0x1F, 0x9E, 0x89), (0x35, 0xB7, 0x79), (0x6E, 0xCE, 0x58), (0xFD, 0xE7, 0x25)
    ]

    /// Colour for t in [0, 1] (clamped; NaN maps to the low end).
    public static func viridis(_ t: Double) -> Color {
        let x = t.isNaN ? 0 : min(max(t, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(x), anchors.count - 2)
        let f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return Color((a.0 + (b.0 - a.0) * f) / 255, (a.1 + (b.1 - a.1) * f) / 255, (a.2 + (b.2 - a.2) * f) / 255)
    }

    /// A diverging map for signed values centred on 0 (t = 0.5): blue below, white at the centre,
    /// red above (ColorBrewer's RdBu, reversed), so a log ratio's sign reads at a glance.
    public static func diverging(_ t: Double) -> Color {
        let anchors: [(Double, Double, Double)] = [
            (0x05, 0x30, 0x61), (0x21, 0x66, 0xAC), (0x43, 0x93, 0xC3), (0x92, 0xC5, 0xDE), (0xD1, 0xE5, 0xF0), (0xF7, 0xF7, 0xF7),
            (0xFD, 0xDB, 0xC7), (0xF4, 0xA5, 0x82), (0xD6, 0x60, 0x4D), (0xB2, 0x18, 0x2B), (0x67, 0x00, 0x1F)
        ]
        let x = t.isNaN ? 0.5 * Double(anchors.count - 1) : min(max(t, 0), 1) * Double(anchors.count - 1)
        let i = min(Int(x), anchors.count - 2)
        let f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return Color((a.0 + (b.0 - a.0) * f) / 255, (a.1 + (b.1 - a.1) * f) / 255, (a.2 + (b.2 - a.2) * f) / 255)
    }

    /// The 256-entry palette (index k -> viridis(k / 255)) for GIF frames.
    public static var viridisPalette: [(UInt8, UInt8, UInt8)] {
        (0..<256).map { k in
            let c = viridis(Double(k) / 255); return (UInt8(c.r * 255), UInt8(c.g * 255), UInt8(c.b * 255))
        }
    }
}

/// `string` rendered by cairo as an 8-bit coverage mask (for text on GIF frames, which are
/// palette images): width, height and one alpha byte per pixel, row by row.
public func textMask(_ string: String, size: Double, bold: Bool = false) -> (width: Int, height: Int, alpha: [UInt8]) {
    let probe = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1)!
    let pc = cairo_create(probe)!
    cairo_select_font_face(pc, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
    cairo_set_font_size(pc, size)
    var extents = cairo_text_extents_t()
    cairo_text_extents(pc, string, &extents)
    cairo_destroy(pc); cairo_surface_destroy(probe)
    let width = max(1, Int(ceil(extents.x_advance)) + 2), height = max(1, Int(ceil(size * 1.3)))
    let surface = cairo_image_surface_create(CAIRO_FORMAT_A8, Int32(width), Int32(height))!
    let cr = cairo_create(surface)!
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
    cairo_set_font_size(cr, size)
    cairo_move_to(cr, 1, size)
    cairo_show_text(cr, string)
    cairo_surface_flush(surface)
    let stride = Int(cairo_image_surface_get_stride(surface)), data = cairo_image_surface_get_data(surface)!
    var alpha = [UInt8](repeating: 0, count: width * height)
    for y in 0..<height { for x in 0..<width { alpha[y * width + x] = data[y * stride + x] } }
    cairo_destroy(cr); cairo_surface_destroy(surface)
    return (width, height, alpha)
}
