import CGIF
import Foundation

/// Animated GIF through giflib: frames of palette indices, a 256-colour palette, a delay
/// per frame, looping forever.
public enum AnimatedGIF {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// frames: each [height, width] palette indices.
    public static func write(frames: [[UInt8]], width: Int, height: Int, palette: [(UInt8, UInt8, UInt8)],
                             delayCentiseconds: Int, to path: String) throws {
        var error: Int32 = 0
        guard let gif = EGifOpenFileName(path, false, &error) else {
            throw WriteError(description: "cannot write \(path): \(String(cString: GifErrorString(error)))")
        }
        var colors = palette.map { GifColorType(Red: $0.0, Green: $0.1, Blue: $0.2) }
        while colors.count < 256 { colors.append(GifColorType(Red: 0, Green: 0, Blue: 0)) }
        let map = GifMakeMapObject(256, colors)
        defer { GifFreeMapObject(map) }
        EGifSetGifVersion(gif, true)
        func check(_ status: Int32) throws {
            if status == GIF_ERROR {
                let message = String(cString: GifErrorString(gif.pointee.Error))
                throw WriteError(description: "cannot write \(path): \(message)")
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
                precondition(frame.count == width * height)
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
            throw failure
        }
        guard EGifCloseFile(gif, &error) == GIF_OK else {
            throw WriteError(description: "cannot finish \(path): \(String(cString: GifErrorString(error)))")
        }
    }
}
