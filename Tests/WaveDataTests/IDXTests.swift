import CZlib
import Foundation
import XCTest
import WaveCore
import WaveData

func gzip(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(&stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    var out = [UInt8](repeating: 0, count: bytes.count + 1024)
    var input = bytes
    input.withUnsafeMutableBufferPointer { i in
        out.withUnsafeMutableBufferPointer { o in
            stream.next_in = i.baseAddress; stream.avail_in = uInt(i.count)
            stream.next_out = o.baseAddress; stream.avail_out = uInt(o.count)
            deflate(&stream, Z_FINISH)
        }
    }
    let produced = out.count - Int(stream.avail_out)
    deflateEnd(&stream)
    return Array(out[0..<produced])
}

func idx(dimensions: [Int], data: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
    for d in dimensions { bytes += [UInt8(d >> 24), UInt8((d >> 16) & 255), UInt8((d >> 8) & 255), UInt8(d & 255)] }
    return bytes + data
}

final class IDXTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "wrnn-data-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func assertFails(
        _ path: String, dimensions: Int = 3, code: Int32 = 65, _ message: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try IDX.read(path, dimensions: dimensions), file: file, line: line) { error in
            let e = error as! WrnnError
            XCTAssertEqual(e.exitCode, code, file: file, line: line)
            XCTAssertEqual(e.message, message, file: file, line: line)
        }
    }

    func testRawAndGzipFilesReadTheSame() throws {
        let pixels = (0..<(2 * 3 * 4)).map { UInt8($0 * 10) }
        let raw = write("raw-idx3-ubyte", idx(dimensions: [2, 3, 4], data: pixels))
        let packed = write("packed-idx3-ubyte.gz", gzip(idx(dimensions: [2, 3, 4], data: pixels)))
        for path in [raw, packed] {
            let array = try IDX.read(path, dimensions: 3)
            XCTAssertEqual(array.dimensions, [2, 3, 4])
            XCTAssertEqual(array.bytes, pixels)
        }
    }

    func testEveryCorruptionHasItsOwnMessage() {
        let good = idx(dimensions: [2, 3, 4], data: [UInt8](repeating: 7, count: 24))
        assertFails(dir + "/missing", code: 66, "\(dir)/missing does not exist")
        var packed = gzip(good)
        packed[packed.count - 8] ^= 0xFF // CRC-32 in the gzip trailer
        let crc = write("crc.gz", packed)
        assertFails(crc, "\(crc): gzip CRC mismatch: the file is corrupt; download it again")
        packed = gzip(good)
        packed[packed.count - 1] ^= 0x01 // ISIZE in the trailer
        let length = write("length.gz", packed)
        assertFails(length, "\(length): gzip length mismatch: the file is corrupt; download it again")
        let truncated = write("truncated.gz", Array(gzip(good).dropLast(12)))
        assertFails(truncated, "\(truncated): truncated gzip stream: the file is incomplete; download it again")
        let labels = write("labels", idx(dimensions: [5], data: [1, 2, 3, 4, 5]))
        assertFails(labels, "\(labels): not an IDX file of 3-dimensional unsigned bytes: expected magic 0x00000803, found 0x00000801")
        let short = write("short", idx(dimensions: [2, 3, 4], data: [UInt8](repeating: 0, count: 23)))
        assertFails(short, "\(short): header says 2 x 3 x 4 = 24 bytes of data, found 23")
        let long = write("long", idx(dimensions: [2, 3, 4], data: [UInt8](repeating: 0, count: 25)))
        assertFails(long, "\(long): header says 2 x 3 x 4 = 24 bytes of data, found 25")
        let header = write("header", [0, 0, 8, 3, 0, 0])
        assertFails(header, "\(header): truncated IDX header: expected 16 bytes, found 6")
    }

    func testDatasetChecksLabelsAndCounts() throws {
        let images = idx(dimensions: [3, 2, 2], data: [UInt8](repeating: 1, count: 12))
        _ = write("train-images-idx3-ubyte", images)
        _ = write("t10k-images-idx3-ubyte", images)
        _ = write("t10k-labels-idx1-ubyte", idx(dimensions: [3], data: [0, 9, 4]))
        let labels = write("train-labels-idx1-ubyte", idx(dimensions: [3], data: [0, 12, 4]))
        XCTAssertThrowsError(try ImageCollection.mnist.load(dataDirectory: dir)) {
            XCTAssertEqual(($0 as! WrnnError).message, "\(labels): label 12 at index 1 is outside 0...9")
        }
        _ = write("train-labels-idx1-ubyte", idx(dimensions: [2], data: [0, 1]))
        XCTAssertThrowsError(try ImageCollection.mnist.load(dataDirectory: dir)) {
            XCTAssertEqual(($0 as! WrnnError).message, "\(dir)/train-images-idx3-ubyte has 3 images but \(labels) has 2 labels")
        }
        _ = write("train-labels-idx1-ubyte", idx(dimensions: [3], data: [0, 1, 2]))
        let (train, test) = try ImageCollection.mnist.load(dataDirectory: dir)
        XCTAssertEqual(train.count, 3)
        XCTAssertEqual(test.labels, [0, 9, 4])
        XCTAssertThrowsError(try ImageCollection.mnist.load(dataDirectory: dir + "/none")) {
            XCTAssertEqual(($0 as! WrnnError).exitCode, 66)
        }
    }

    /// Debian's dataset-fashion-mnist (installed by the set-up) is found without any option.
    func testRealFashionMNISTFromDebian() throws {
        let (train, test) = try ImageCollection.fashionMNIST.load(dataDirectory: nil)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(train.height, 28)
        XCTAssertEqual(train.width, 28)
        XCTAssertEqual(Set(train.labels).count, 10)
    }
}

final class GzipBoundTests: XCTestCase {
    /// A small gzip whose IDX header promises 4 images but which inflates to 64 MB more: inflation
    /// stops one byte past the promise, and the message names the bound.
    func testInflationStopsAtWhatTheHeaderPromises() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/idx/crash-gzip-bomb.idx.gz").path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertLessThan(bytes.count, 100_000)
        XCTAssertThrowsError(try IDX.parse(bytes, path: "bomb.gz", dimensions: 3)) { error in
            XCTAssertEqual(
                (error as? WrnnError)?.message,
                "bomb.gz: inflates to more than the 3152 bytes its IDX header promises; the file is not what it claims to be")
            XCTAssertEqual((error as? WrnnError)?.exitCode, 65)
        }
        var inflated = 0
        _ = try? gunzip(bytes, path: "bomb.gz") { prefix in
            inflated = prefix.count; return (3152, "3152 bytes")
        }
        XCTAssertEqual(inflated, 3153, "one byte past the bound, never more")
    }
}
