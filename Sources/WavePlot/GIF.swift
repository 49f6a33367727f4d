import CGIF
import WaveCore
import Foundation

/// Animated GIF through giflib: frames of palette indices, a 256-colour palette, a delay
/// per frame, looping forever.
public enum AnimatedGIF {

    /// frames: each [height, width] palette indices.
    public static func write(
        frames: [[UInt8]], width: Int, height: Int, palette: [(UInt8, UInt8, UInt8)],
        delayCentiseconds: Int, to path: String
    ) throws {
        try refuseNonRegularOutput(path)
        let final = path, path = temporaryPath(for: final)
        var error: Int32 = 0
        guard let gif = EGifOpenFileName(path, false, &error) else {
            throw WrnnError.io("cannot write \(path): \(String(cString: GifErrorString(error)))")
        }
        var colors = palette.map { GifColorType(Red: $0.0, Green: $0.1, Blue: $0.2) }
        while colors.count < 256 { colors.append(GifColorType(Red: 0, Green: 0, Blue: 0)) }
        let map = GifMakeMapObject(256, colors)
        defer { GifFreeMapObject(map) }
        EGifSetGifVersion(gif, true)
        func check(_ status: Int32) throws {
            if status == GIF_ERROR {
                let message = String(cString: GifErrorString(gif.pointee.Error))
                throw WrnnError.io("cannot write \(path): \(message)")
            }
        }
        do {
            try check(EGifPutScreenDesc(gif, Int32(width), Int32(height), 8, 0, map))
            // NETSCAPE2.0 application extension: loop forever
            try check(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE))
            try check(EGifPutExtensionBlock(gif, 11, Array("NETSCAPE2.0".utf8)))
            try check(EGifPutExtensionBlock(gif, 3, [UInt8(1), 0, 0]))
            try check(EGifPutExtensionTrailer(gif))
            let delay = UInt16(clamping: delayCentiseconds)
            for frame in frames {
                guard frame.count == width * height else {
                    throw WrnnError.io("cannot write \(final): a frame holds \(frame.count) pixels, not \(width * height)")
                }
                try check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, [UInt8(0), UInt8(delay & 0xFF), UInt8(delay >> 8), 0]))
                try check(EGifPutImageDesc(gif, 0, 0, Int32(width), Int32(height), false, nil))
                var rowBuffer = [GifPixelType](repeating: 0, count: width)
                for y in 0..<height {
                    for x in 0..<width { rowBuffer[x] = frame[y * width + x] }
                    try check(EGifPutLine(gif, &rowBuffer, Int32(width)))
                }
            }
        } catch let failure {
            EGifCloseFile(gif, &error)
            unlink(path)
            throw failure
        }
        guard EGifCloseFile(gif, &error) == GIF_OK else {
            unlink(path)
            throw WrnnError.io("cannot finish \(final): \(String(cString: GifErrorString(error)))")
        }
        chmod(path, 0o644) // giflib creates 0600; the GIF sits beside 0644 figures
        try commitTemporary(path, to: final)
    }
}
