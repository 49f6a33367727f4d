import CZlib
import Foundation
import WaveCore
import WaveData
import XCTest

/// The readers of a researcher's arrays: files numpy wrote (stored and deflated .npz), safetensors,
/// UCR text, every .npy dtype and byte order, and damaged files refused with one line.
final class ArrayFileTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sequences").path

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + name))) }

    /// The same float32 arrays written by numpy.savez (stored), numpy.savez_compressed (deflate) and as
    /// float64 safetensors read back identical.
    func testNumpyAndSafetensorsFilesAgree() throws {
        let stored = try DataArray.readNpz(try bytes("classes.npz"), path: "classes.npz")
        let deflated = try DataArray.readNpz(try bytes("classes-compressed.npz"), path: "classes-compressed.npz")
        let tensors = try DataArray.readSafetensors(try bytes("values.safetensors"), path: "values.safetensors")
        XCTAssertEqual(Set(stored.keys), ["x_train", "y_train", "x_test", "y_test"])
        XCTAssertEqual(Set(deflated.keys), ["x_train", "y_train", "x_val", "y_val", "x_test", "y_test"])
        XCTAssertEqual(stored["x_train"]!.shape, [320, 12, 2])
        XCTAssertEqual(stored["x_train"]!.dtype, "<f4")
        XCTAssertFalse(stored["x_train"]!.isInteger)
        XCTAssertEqual(stored["y_train"]!.dtype, "<i8")
        XCTAssertTrue(stored["y_train"]!.isInteger)
        XCTAssertEqual(stored["x_train"], deflated["x_train"])
        XCTAssertEqual(stored["y_train"], deflated["y_train"])
        XCTAssertEqual(Array(stored["x_test"]!.values[0..<(40 * 24)]), deflated["x_val"]!.values)
        let first = tensors["x_train"]!
        XCTAssertEqual(first.shape, [64, 12, 2])
        XCTAssertEqual(first.dtype, "F64")
        XCTAssertEqual(first.values, Array(stored["x_train"]!.values[0..<(64 * 24)]))
        // the labels are the sign of feature 0 three steps before the end, as the fixture's script made them
        let x = stored["x_train"]!.values, y = stored["y_train"]!.values
        for row in 0..<320 { XCTAssertEqual(y[row], x[(row * 12 + 9) * 2] > 0 ? 1 : 0) }
    }

    /// Every numpy dtype, either byte order; a header written by hand as numpy writes it.
    func testNpyDtypesAndByteOrders() throws {
        func npy(_ descr: String, shape: String, _ data: [UInt8], fortran: Bool = false) -> [UInt8] {
            var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
            header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
                + Array(header.utf8) + data
        }
        let cases: [(String, [UInt8], [Float], Bool)] = [
            ("<f4", [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0], [1, -2], false),
            (">f4", [0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0], [1, -2], false),
            ("<f8", [0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0x04, 0xC0], [1, -2.5], false),
            ("<f2", [0x00, 0x3C, 0x00, 0xC1], [1, -2.5], false),
            ("|i1", [0xFF, 0x05], [-1, 5], true), ("|u1", [0xFF, 0x05], [255, 5], true), ("|b1", [0, 1], [0, 1], true),
            ("<i2", [0xFE, 0xFF, 3, 0], [-2, 3], true), (">i2", [0xFF, 0xFE, 0, 3], [-2, 3], true),
            ("<u2", [0xFE, 0xFF, 3, 0], [65534, 3], true), ("<i4", [0xFD, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0], [-3, 7], true),
            ("<u4", [7, 0, 0, 0, 1, 0, 0, 0], [7, 1], true),
            ("<i8", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 9, 0, 0, 0, 0, 0, 0, 0], [-1, 9], true),
            ("<u8", [9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], [9, 1], true)
        ]
        for (descr, data, values, integer) in cases {
            let array = try NpyArray.parse(npy(descr, shape: "(2,)", data), path: "a.npy")
            XCTAssertEqual(array.values, values, descr)
            XCTAssertEqual(array.isInteger, integer, descr)
            XCTAssertEqual(array.shape, [2], descr)
        }
        XCTAssertEqual(try NpyArray.parse(npy("<f4", shape: "(1, 2, 1)", [0, 0, 0x80, 0x3F, 0, 0, 0, 0]), path: "a.npy").shape, [1, 2, 1])
        func refusal(_ bytes: [UInt8]) -> String {
            do { _ = try NpyArray.parse(bytes, path: "a.npy"); return "accepted" } catch let e as WrnnError {
                return "\(e.exitCode) \(e.message)"
            } catch { return "\(error)" }
        }
        XCTAssertEqual(
            refusal(npy("<c8", shape: "(1,)", [UInt8](repeating: 0, count: 8))),
            "65 a.npy: dtype '<c8' is not a number type this tool reads (float16/32/64, int8 ... int64, uint8 ... uint64, bool)")
        XCTAssertEqual(
            refusal(npy("<f4", shape: "(3,)", [0, 0, 0, 0])),
            "65 a.npy: shape [3] of <f4 needs a different number of bytes than the 4 that follow: truncated or not this array")
        XCTAssertEqual(
            refusal(npy("<f4", shape: "(2, 2)", [UInt8](repeating: 0, count: 16), fortran: true)),
            "65 a.npy: the array is in Fortran order; save numpy.ascontiguousarray(a) instead")
        XCTAssertEqual(refusal([0x93, 0x4E]), "65 a.npy: not a .npy array (no \\x93NUMPY magic); save it with numpy.save or numpy.savez")
    }

    /// Any cut of a numpy-written archive, stored or deflated, and any changed byte of its data, is
    /// refused with an error (a CRC, a size, a missing record), never read as something else.
    func testDamagedArchivesAreRefused() throws {
        for name in ["classes.npz", "classes-compressed.npz"] {
            let whole = try bytes(name)
            for cut in stride(from: 0, to: whole.count, by: 37) {
                XCTAssertThrowsError(try DataArray.readNpz(Array(whole[..<cut]), path: name), "\(name) cut at \(cut)")
            }
            var flipped = whole
            flipped[400] ^= 0x10
            XCTAssertThrowsError(try DataArray.readNpz(flipped, path: name)) { error in
                XCTAssertEqual((error as? WrnnError)?.exitCode, 65)
            }
        }
        var stored = try bytes("classes.npz")
        stored[400] ^= 0x10
        XCTAssertThrowsError(try DataArray.readNpz(stored, path: "classes.npz")) { error in
            XCTAssertEqual((error as? WrnnError)?.message, "classes.npz: member x_train.npy fails its CRC-32 check: the file is damaged")
        }
    }

    /// UCR lines: label first, tabs; ragged lines padded with NaN to the longest.
    func testUCRText() throws {
        let table = try UCRFile.parse(Array("1\t0.5\t1.5\n-1\t2\n\n2.0\t3\t4\n".utf8), path: "T_TRAIN.tsv")
        XCTAssertEqual(table.labels, ["1", "-1", "2"])
        XCTAssertEqual(table.x.shape, [3, 2, 1])
        XCTAssertEqual(table.x.values[0..<3], [0.5, 1.5, 2])
        XCTAssertTrue(table.x.values[3].isNaN)
        XCTAssertThrowsError(try UCRFile.parse(Array("a\t1\n".utf8), path: "T_TRAIN.tsv")) { error in
            XCTAssertEqual(
                (error as? WrnnError)?.message, "T_TRAIN.tsv line 1: the label 'a' is not a number (UCR lines start with the class label)")
        }
        XCTAssertThrowsError(try UCRFile.parse(Array("1\t0.5\tx\n".utf8), path: "T_TRAIN.tsv")) { error in
            XCTAssertEqual((error as? WrnnError)?.message, "T_TRAIN.tsv line 1: value 2 'x' is not a number")
        }
    }
}
