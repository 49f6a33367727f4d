import Foundation
import WaveCore
import WaveTasks
import WaveTraining
import XCTest

/// The event file is checked byte for byte against one TensorBoard's own protobufs and record
/// writer produced (scripts/tensorboard_fixture.py): the framing, both masked CRC-32Cs, the field
/// order and encodings of scalars, an image and a session start.
final class TensorBoardTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tensorboard/events.fixture").path

    /// The fixture's 2 x 1 PNG.
    static let png: [UInt8] = hexBytes(
        "89504e470d0a1a0a0000000d49484452000000020000000108020000007b40e8dd"
            + "0000000d49444154789c63f8cf0004ff01070001ffe2239e590000000049454e44ae426082")

    static let events: [TensorBoardEvent] = [
        TensorBoardEvent(wallTime: 1_700_000_000.25, step: 0, content: .fileVersion("brain.Event:2")),
        TensorBoardEvent(wallTime: 1_700_000_000.5, step: 0, content: .scalars([("loss/test", 0.6931), ("accuracy/test", 0)])),
        TensorBoardEvent(
            wallTime: 1_700_000_012.75, step: 300,
            content: .scalars([("loss/train", 0.125), ("loss/test", 1.5e-6), ("optimizer/learning_rate", 0.001)])),
        TensorBoardEvent(
            wallTime: 1_700_000_013.0, step: 300, content: .image(tag: "hidden/space_time", png: png, width: 2, height: 1, colorspace: 3)),
        TensorBoardEvent(wallTime: 1_700_000_020.0, step: 200, content: .sessionStart)
    ]

    func testEventsAreByteForByteWhatTensorBoardWrites() throws {
        let expected = try XCTUnwrap(FileManager.default.contents(atPath: Self.fixture))
        XCTAssertEqual(Self.events.flatMap(\.record), Array(expected))
    }

    func testEachRecordsFramingAndChecksumsStandAlone() throws {
        let expected = Array(try XCTUnwrap(FileManager.default.contents(atPath: Self.fixture)))
        var offset = 0
        for event in Self.events {
            let record = event.record
            XCTAssertEqual(Array(expected[offset..<(offset + record.count)]), record)
            // the length field is the payload's size; a changed payload changes its checksum
            let length = record[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            XCTAssertEqual(length, event.encoded.count)
            var corrupted = event.encoded
            corrupted[corrupted.count - 1] ^= 1
            XCTAssertNotEqual(maskedCRC32C(corrupted), maskedCRC32C(event.encoded))
            offset += record.count
        }
        XCTAssertEqual(offset, expected.count)
    }

    /// A run writes its log as it goes: the version record, then one scalar event per evaluation
    /// (plus its space-time image when the hook gives one), readable while the run is on.
    func testTrainingWritesAnEventFileWithEveryEvaluation() throws {
        let directory = NSTemporaryDirectory() + "wrnn-tb-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = TrainOptions()
        options.task = .copy
        options.t = 5; options.steps = 20; options.evalEvery = 10; options.testSize = 32; options.batchSize = 16
        options.modelOptions.hiddenSize = 8; options.modelOptions.channels = 2
        let config = try options.resolve()
        _ = try TrainSession.start(config, path: directory, quiet: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(files.count, 1)
        let bytes = Array(try XCTUnwrap(FileManager.default.contents(atPath: directory + "/" + files[0])))
        let records = try readRecords(bytes)
        // version, then evaluations at steps 0, 10 and 20
        XCTAssertEqual(records.count, 4)
        XCTAssertEqual(Array(records[0].suffix(13)), Array("brain.Event:2".utf8))
        for (record, step) in zip(records.dropFirst(), [0, 10, 20]) {
            XCTAssertTrue(String(decoding: record, as: UTF8.self).contains("loss/test"))
            XCTAssertEqual(step == 0 ? nil : step, stepField(record))
        }
        XCTAssertTrue(String(decoding: records[3], as: UTF8.self).contains("recall/test"))
        XCTAssertTrue(String(decoding: records[3], as: UTF8.self).contains("optimizer/learning_rate"))

        // a resume opens a second file whose first event after the version is a session start at its step
        _ = try TrainSession.resume(directory, changes: ResumeChanges(steps: 30), quiet: true)
        let both = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(both.count, 2)
        let second = try XCTUnwrap(both.first { $0 != files[0] })
        let resumed = try readRecords(Array(try XCTUnwrap(FileManager.default.contents(atPath: directory + "/" + second))))
        XCTAssertEqual(resumed.count, 3) // version, session start at 20, the evaluation at 30
        XCTAssertEqual(stepField(resumed[1]), 20)
        XCTAssertEqual(Array(resumed[1].suffix(4)), [0x3A, 2, 8, 1]) // session_log (7) { status: START }
        XCTAssertEqual(stepField(resumed[2]), 30)
    }

    /// The records' payloads, each checked against both checksums.
    func readRecords(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var records: [[UInt8]] = [], offset = 0
        while offset < bytes.count {
            let lengthBytes = Array(bytes[offset..<(offset + 8)])
            let length = lengthBytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            XCTAssertEqual(maskedCRC32C(lengthBytes), readUInt32(bytes, offset + 8))
            let payload = Array(bytes[(offset + 12)..<(offset + 12 + length)])
            XCTAssertEqual(maskedCRC32C(payload), readUInt32(bytes, offset + 12 + length))
            records.append(payload)
            offset += 16 + length
        }
        return records
    }

    func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    /// The Event's step (field 2, a varint right after the 9-byte wall time), nil when absent.
    func stepField(_ record: [UInt8]) -> Int? {
        guard record.count > 10, record[9] == 0x10 else { return nil }
        var value = 0, shift = 0, i = 10
        while true {
            value |= Int(record[i] & 0x7F) << shift
            if record[i] < 0x80 { break }
            shift += 7; i += 1
        }
        return value
    }
}

func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = [], chars = Array(text)
    while chars.count >= 2 {
        bytes.append(UInt8(String(chars[0..<2]), radix: 16)!)
        chars.removeFirst(2)
    }
    return bytes
}
