import Foundation
import WaveCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One TensorBoard event, as `tensorboard` reads it: the `Event` protocol buffer (wall_time = 1,
/// step = 2, file_version = 3, summary = 5, session_log = 7) holding scalars (`Summary.Value`:
/// tag = 1, simple_value = 2) and PNG images (`Summary.Image`: height = 1, width = 2,
/// colorspace = 3, encoded_image_string = 4). Fields are written in field-number order, as
/// protobuf's own serialisers do, so a file compares byte for byte with one TensorBoard wrote.
public struct TensorBoardEvent: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        case fileVersion(String)
        case scalars([(tag: String, value: Float)])
        /// colorspace: 3 RGB, 4 RGBA (cairo's PNGs).
        case image(tag: String, png: [UInt8], width: Int, height: Int, colorspace: Int)
        /// A `SessionLog` START: TensorBoard drops the events at and after this step that an
        /// earlier file holds (a resumed run's steps after its checkpoint).
        case sessionStart

        public static func == (a: Content, b: Content) -> Bool {
            switch (a, b) {
            case (.fileVersion(let x), .fileVersion(let y)): return x == y
            case (.scalars(let x), .scalars(let y)): return x.map(\.tag) == y.map(\.tag) && x.map(\.value) == y.map(\.value)
            case (.image(let t, let p, let w, let h, let s), .image(let t2, let p2, let w2, let h2, let s2)):
                return t == t2 && p == p2 && w == w2 && h == h2 && s == s2
            case (.sessionStart, .sessionStart): return true
            default: return false
            }
        }
    }
    public var wallTime: Double
    public var step: Int
    public var content: Content

    public init(wallTime: Double, step: Int, content: Content) {
        self.wallTime = wallTime; self.step = step; self.content = content
    }

    /// The serialised `Event` message.
    public var encoded: [UInt8] {
        var event = Protobuf()
        event.fixed64(1, wallTime.bitPattern)
        if step != 0 { event.varint(2, UInt64(bitPattern: Int64(step))) }
        switch content {
        case .fileVersion(let version): event.bytes(3, Array(version.utf8))
        case .scalars(let values):
            var summary = Protobuf()
            for (tag, value) in values {
                var entry = Protobuf()
                entry.bytes(1, Array(tag.utf8))
                entry.fixed32(2, value.bitPattern)
                summary.bytes(1, entry.data)
            }
            event.bytes(5, summary.data)
        case .image(let tag, let png, let width, let height, let colorspace):
            var image = Protobuf()
            image.varint(1, UInt64(height))
            image.varint(2, UInt64(width))
            image.varint(3, UInt64(colorspace))
            image.bytes(4, png)
            var entry = Protobuf()
            entry.bytes(1, Array(tag.utf8))
            entry.bytes(4, image.data)
            var summary = Protobuf()
            summary.bytes(1, entry.data)
            event.bytes(5, summary.data)
        case .sessionStart:
            var log = Protobuf()
            log.varint(1, 1) // SessionLog.START
            event.bytes(7, log.data)
        }
        return event.data
    }

    /// One TFRecord: length (u64 LE), its masked CRC-32C, the event, the event's masked CRC-32C.
    public var record: [UInt8] {
        let payload = encoded
        var length: [UInt8] = []
        appendLittleEndian64(&length, UInt64(payload.count))
        var out = length
        appendLittleEndian32(&out, maskedCRC32C(length))
        out += payload
        appendLittleEndian32(&out, maskedCRC32C(payload))
        return out
    }
}

/// The fields of one protocol-buffer message, appended in the order given.
struct Protobuf {
    var data: [UInt8] = []
    mutating func key(_ field: Int, _ wireType: UInt64) { appendVarint(UInt64(field) << 3 | wireType) }
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            data.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        data.append(UInt8(v))
    }
    mutating func varint(_ field: Int, _ value: UInt64) { key(field, 0); appendVarint(value) }
    mutating func fixed64(_ field: Int, _ value: UInt64) { key(field, 1); appendLittleEndian64(&data, value) }
    mutating func fixed32(_ field: Int, _ value: UInt32) { key(field, 5); appendLittleEndian32(&data, value) }
    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        appendVarint(UInt64(value.count))
        data += value
    }
}

func appendLittleEndian64(_ bytes: inout [UInt8], _ value: UInt64) {
    for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
}

func appendLittleEndian32(_ bytes: inout [UInt8], _ value: UInt32) {
    for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
}

/// CRC-32C (Castagnoli), masked as TFRecord files store it: rotated right by 15 plus a constant.
public func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    crc = ~crc
    return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
}

private let crc32cTable: [UInt32] = (0..<256).map { i -> UInt32 in
    var c = UInt32(i)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
    return c
}

/// A run's TensorBoard log: `events.out.tfevents.TIME.HOST.PID.N` in the run directory, appended at
/// every evaluation and flushed, so `tensorboard --logdir RUN_DIR` (or a sweep's directory, one run
/// per folder) shows the run live and `wandb sync RUN_DIR` imports it. A resumed run opens a new
/// file that starts with a session-start event at its step, so the steps after the checkpoint that
/// the old file holds are dropped by TensorBoard as metrics.jsonl's are truncated.
public final class TensorBoardLog: @unchecked Sendable {
    public let path: String
    let descriptor: Int32

    nonisolated(unsafe) static var opened = 0

    public init(directory: String, resumedAt step: Int? = nil, wallTime: Double = Date().timeIntervalSince1970) throws {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        let hostName = String(cString: host).isEmpty ? "localhost" : String(cString: host)
        TensorBoardLog.opened += 1
        path = directory + "/events.out.tfevents.\(Int(wallTime)).\(hostName).\(getpid()).\(TensorBoardLog.opened)"
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WrnnError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        try append([TensorBoardEvent(wallTime: wallTime, step: 0, content: .fileVersion("brain.Event:2"))])
        if let step { try append([TensorBoardEvent(wallTime: wallTime, step: step, content: .sessionStart)]) }
    }

    deinit { close(descriptor) }

    /// Appends the events in one write (a reader never sees half a record for long).
    public func append(_ events: [TensorBoardEvent]) throws {
        let bytes = events.flatMap(\.record)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw WrnnError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += n
        }
    }

    /// The scalars of one evaluation, under the tags TensorBoard groups by their prefix: losses,
    /// scores as fractions (like metrics.jsonl), the learning rate, the gradient norm and the speed.
    public static func scalars(_ m: MetricsRecord, stepsPerSecond: Double?) -> [(tag: String, value: Float)] {
        var values: [(tag: String, value: Float)] = []
        func add(_ tag: String, _ value: Double?) { if let value { values.append((tag, Float(value))) } }
        add("loss/train", m.trainLoss)
        add("loss/test", m.testLoss)
        add("loss/validation", m.validationLoss)
        add("loss/test_per_batch", m.testLossPerBatch)
        add("accuracy/test", m.accuracy)
        add("accuracy/validation", m.validationAccuracy)
        add("recall/test", m.recallAccuracy)
        add("optimizer/learning_rate", m.learningRate)
        add("optimizer/grad_norm", m.gradNorm)
        add("speed/steps_per_second", stepsPerSecond)
        return values
    }
}
