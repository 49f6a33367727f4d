import Foundation
import XCTest
import WaveCore
import WaveData

final class FetchTests: XCTestCase {
    func testMD5KnownVectors() {
        XCTAssertEqual(md5Hex([]), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(md5Hex(Array("abc".utf8)), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertEqual(md5Hex(Array("The quick brown fox jumps over the lazy dog".utf8)), "9e107d9d372bb6826bd81d3542a419d6")
        XCTAssertEqual(md5Hex([UInt8](repeating: 97, count: 1000)), "cabe45dcc9ae5b66ba86600cca6b8ba8")
    }

    /// A ustar archive made here: header with name, octal size and type '0', data padded to 512.
    func tar(_ files: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, data) in files {
            var header = [UInt8](repeating: 0, count: 512)
            for (i, b) in name.utf8.enumerated() { header[i] = b }
            for (i, b) in String(format: "%011o", data.count).utf8.enumerated() { header[124 + i] = b }
            header[156] = 0x30
            for (i, b) in "ustar".utf8.enumerated() { header[257 + i] = b }
            out += header + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    func testUntarKeepsTheRequestedRegularFiles() throws {
        let archive = tar([
            ("cifar-10-batches-bin/data_batch_1.bin", [1, 2, 3]), ("cifar-10-batches-bin/readme.html", [9]),
            ("cifar-10-batches-bin/test_batch.bin", [UInt8](repeating: 7, count: 700))
        ])
        let files = try untar(archive, path: "a.tar") { $0.hasSuffix(".bin") }
        XCTAssertEqual(files.map(\.0), ["cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/test_batch.bin"])
        XCTAssertEqual(files[1].1.count, 700)
        XCTAssertThrowsError(try untar(Array(archive.prefix(600)), path: "a.tar") { _ in true }) {
            XCTAssertEqual(($0 as! WrnnError).message, "a.tar: truncated tar archive (no end-of-archive marker)")
        }
        XCTAssertThrowsError(try untar(Array(archive.prefix(2560 + 100)), path: "a.tar") { _ in true }) {
            XCTAssertEqual(
                ($0 as! WrnnError).message, "a.tar: tar member cifar-10-batches-bin/test_batch.bin runs past the end of the archive")
        }
    }

    /// Fetching from a local mirror checks each file: Debian's repackaged Fashion-MNIST passes on its
    /// content checksum; an archive that is not the published one is refused.
    func testFetchChecksChecksumsOnLocalMirrors() throws {
        let root = NSTemporaryDirectory() + "wrnn-fetch-\(UUID().uuidString)"
        let entry = DataCatalogEntry.named("fashion-mnist")!
        let log = try fetchDataSet(entry, root: root, mirrors: ["file://\(ImageCollection.debianFashionMNIST)/"])
        XCTAssertEqual(log.count, 4)
        XCTAssertTrue(log[0].hasSuffix("content MD5 f4a8712d7a061bf5bd6d2ca38dc4d50a matches (repackaged archive)"), log[0])
        let (train, _) = try ImageCollection.fashionMNIST.load(dataDirectory: root)
        XCTAssertEqual(train.count, 60_000)

        let mirror = root + "/mirror"
        try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: mirror + "/cifar-10-binary.tar.gz", contents: Data(tar([("x.bin", [1])])))
        XCTAssertThrowsError(try fetchDataSet(DataCatalogEntry.named("cifar10")!, root: root, mirrors: ["file://\(mirror)/"])) { error in
            let e = error as! WrnnError
            XCTAssertEqual(e.exitCode, 74)
            XCTAssertTrue(
                e.message.hasPrefix(
                    "cifar10: could not fetch cifar-10-binary.tar.gz from any mirror (file://\(mirror)/cifar-10-binary.tar.gz: MD5 "),
                e.message)
            XCTAssertTrue(
                e.message.hasSuffix(
                    "does not match the published c32a1d4ab5d03f1284b67883e8d87530; the file is damaged or not the published one)"),
                e.message)
        }
    }
}
