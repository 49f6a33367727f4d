import Foundation
import XCTest
import WaveCore
import WaveData

final class CIFARTests: XCTestCase {
    /// Record k: label k mod 10; red pixel p = k mod 251, green = 1, blue = 2.
    func makeFile(_ path: String, badLabelAt: Int? = nil, truncate: Int = 0) {
        var bytes = [UInt8](repeating: 0, count: CIFAR10.recordsPerFile * CIFAR10.recordBytes)
        for k in 0..<CIFAR10.recordsPerFile {
            let base = k * CIFAR10.recordBytes
            bytes[base] = k == badLabelAt ? 10 : UInt8(k % 10)
            for p in 0..<1024 { bytes[base + 1 + p] = UInt8(k % 251); bytes[base + 1025 + p] = 1; bytes[base + 2049 + p] = 2 }
        }
        FileManager.default.createFile(atPath: path, contents: Data(bytes.dropLast(truncate)))
    }

    func testReaderChecksSizeAndLabelsAndFindsTheFiles() throws {
        let dir = NSTemporaryDirectory() + "wrnn-cifar-\(UUID().uuidString)/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        makeFile(dir + "/test_batch.bin")
        for name in CIFAR10.trainFiles {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: dir + "/test_batch.bin")
        }
        let root = (dir as NSString).deletingLastPathComponent
        let (train, test) = try CIFAR10.load(dataDirectory: root)
        XCTAssertEqual(train.count, 50_000)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(test.labels[13], 3)
        XCTAssertEqual(test.images[13 * 3072], 13)
        XCTAssertEqual(test.images[13 * 3072 + 1024], 1)

        let short = dir + "/short.bin"
        makeFile(short, truncate: 1)
        XCTAssertThrowsError(try CIFAR10.readFile(short)) {
            XCTAssertEqual(($0 as! WrnnError).message, "\(short): expected 30730000 bytes (10000 records of 3073), found 30729999")
            XCTAssertEqual(($0 as! WrnnError).exitCode, 65)
        }
        let label = dir + "/label.bin"
        makeFile(label, badLabelAt: 77)
        XCTAssertThrowsError(try CIFAR10.readFile(label)) {
            XCTAssertEqual(($0 as! WrnnError).message, "\(label): label 10 in record 77 is outside 0...9")
        }
        XCTAssertThrowsError(try CIFAR10.load(dataDirectory: root + "/nothing")) { XCTAssertEqual(($0 as! WrnnError).exitCode, 66) }
    }
}
