import Foundation
import WaveCore
import WaveModels

/// What a checkpoint holds besides its float arrays.
public struct CheckpointHeader: Codable, Equatable, Sendable {
    public var config: TrainConfig
    /// Training steps completed.
    public var step: Int
    /// The optimiser's update count (its JSON key from when Adam was the only optimiser).
    public var adamStep: Int
    /// The training-data stream, so a resumed run draws the same batches.
    public var dataStream: RandomStream
    public var tensors: [ParameterTensor]
    public var solvedAt: Int?
    /// The training loop's own bookkeeping, so a resumed run logs exactly what an uninterrupted one would.
    public var loop: LoopState?
    /// The optimiser and the names of its state arrays, in file order; nil in checkpoints written
    /// before optimisers were named, which hold Adam's m and v.
    public var optimizer: String?
    public var optimizerState: [String]?

    public init(
        config: TrainConfig, step: Int, adamStep: Int, dataStream: RandomStream, tensors: [ParameterTensor], solvedAt: Int?,
        loop: LoopState?, optimizer: String? = nil, optimizerState: [String]? = nil
    ) {
        self.config = config; self.step = step; self.adamStep = adamStep; self.dataStream = dataStream; self.tensors = tensors
        self.solvedAt = solvedAt; self.loop = loop; self.optimizer = optimizer; self.optimizerState = optimizerState
    }

    public var optimizerName: String { optimizer ?? Optimizers.adam }
    public var stateNames: [String] { optimizerState ?? Optimizers.legacyState }
}

/// A checkpoint file: "WRNNCKPT", UInt32 version, UInt32 header length, header JSON, then the
/// parameters and the optimiser's state arrays (Adam's m and v, in the order the header names them)
/// as little-endian Float32, then a CRC-32 of everything before it.
public struct Checkpoint: Sendable {
    public static let magic = Array("WRNNCKPT".utf8)
    public static let version: UInt32 = 1
    public var header: CheckpointHeader
    public var params: [Float]
    /// The optimiser's state arrays, in `header.stateNames` order.
    public var state: [[Float]]

    public init(header: CheckpointHeader, params: [Float], state: [[Float]]) {
        self.header = header; self.params = params; self.state = state
    }

    /// The optimiser's state array `name`, or nil.
    public func state(named name: String) -> [Float]? { header.stateNames.firstIndex(of: name).map { state[$0] } }
    /// Adam's moments, as tests and tools name them.
    public var m: [Float] {
        get { state(named: "m") ?? [] }
        set { if let k = header.stateNames.firstIndex(of: "m") { state[k] = newValue } }
    }
    public var v: [Float] {
        get { state(named: "v") ?? [] }
        set { if let k = header.stateNames.firstIndex(of: "v") { state[k] = newValue } }
    }

    /// "Adam's first moment" for "m": how a message names a state array.
    static func stateDescription(_ name: String) -> String {
        ["m": "Adam's first moment", "v": "Adam's second moment"][name] ?? "optimiser state \(name)"
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = Array(try encoder.encode(header))
        var bytes = Self.magic
        appendLittleEndian(&bytes, Self.version)
        appendLittleEndian(&bytes, UInt32(json.count))
        bytes += json
        for array in [params] + state {
            array.withUnsafeBytes { bytes.append(contentsOf: $0) } // x86-64 and arm64 are little-endian
        }
        let crc = bytes.withUnsafeBytes { crc32($0) }
        appendLittleEndian(&bytes, crc)
        return bytes
    }

    public func write(to path: String) throws { try writeAtomically(try encoded(), to: path) }

    /// Writes `path` atomically and keeps the checkpoint it replaces as `previous`, so a file
    /// damaged later still leaves a good one to resume from.
    public func writeRotating(to path: String, previous: String) throws {
        try writeAtomically(try encoded(), to: path, keepingPreviousAs: previous)
    }

    /// Reads `path`, or when it is missing or corrupt `previous`, saying so in `warning`.
    public static func readWithFallback(_ path: String, previous: String) throws -> (Checkpoint, warning: String?) {
        do {
            return (try read(from: path), nil)
        } catch let first as WrnnError {
            guard FileManager.default.fileExists(atPath: previous) else { throw first }
            let fallback = try read(from: previous)
            return (fallback, "\(first.message); resuming from \(previous) (step \(fallback.header.step)) instead")
        }
    }

    /// The checkpoint a command reads for the run in `run`: `path`, or the run's checkpoint.bin. A file
    /// given with --checkpoint must have been written by this run (same model, task and shapes as its
    /// config.json; a run without a readable config.json cannot say, and is not checked): another
    /// run's file is refused (65), naming the first setting that differs.
    public static func read(run: String, path: String?) throws -> Checkpoint {
        let file = path ?? run + "/checkpoint.bin"
        let checkpoint = try read(from: file)
        guard path != nil, let bytes = try? readFileBytes(run + "/config.json").get(),
            let saved = try? TrainConfig.decoded(from: bytes)
        else { return checkpoint }
        if let difference = firstDifferingEntry(ResumeChanges.fixed(saved).entries, ResumeChanges.fixed(checkpoint.header.config).entries) {
            throw WrnnError.data(
                "\(file) was not written by the run in \(run): its \(difference.key) is \(difference.theirs), the run's is \(difference.ours); give that run's directory, or a checkpoint of this one"
            )
        }
        return checkpoint
    }

    /// Reads and verifies a checkpoint; every way a file can be wrong is one clear error (65),
    /// found before anything is allocated from the file's numbers.
    public static func read(from path: String) throws -> Checkpoint {
        try decode(try readFileBytes(path, what: "checkpoint").get(), path: path)
    }

    /// Checks and decodes a checkpoint's bytes (`path` names it in errors). The fuzzer turns
    /// `verifyingCRC` off, so that its inputs reach every check after the CRC's.
    public static func decode(_ bytes: [UInt8], path: String, verifyingCRC: Bool = true) throws -> Checkpoint {
        func corrupt(_ what: String) -> WrnnError { .data("checkpoint \(path) is corrupt: \(what)") }
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw corrupt("not a WaveRNN checkpoint (bad magic)") }
        guard bytes.count >= 20 else { throw corrupt("truncated: \(bytes.count) bytes, not even a header") }
        guard readLittleEndian(bytes, at: 8) == version else { throw corrupt("unsupported version \(readLittleEndian(bytes, at: 8))") }
        let headerLength = Int(readLittleEndian(bytes, at: 12))
        guard 16 + headerLength <= bytes.count - 4 else {
            throw corrupt("truncated or damaged: the header alone needs \(16 + headerLength + 4) bytes, the file has \(bytes.count)")
        }
        let header: CheckpointHeader
        do { header = try WrnnJSON.decoder().decode(CheckpointHeader.self, from: Data(bytes[16..<(16 + headerLength)])) } catch {
            let stored = readLittleEndian(bytes, at: bytes.count - 4)
            let actual = bytes.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
            throw corrupt(
                stored == actual ? "unreadable header (\(decodingReason(error)))" : "unreadable header (CRC mismatch: damaged file)")
        }
        // the header's numbers, before any is used to size anything
        var count = 0
        for tensor in header.tensors {
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.offset == count else {
                throw corrupt("tensor \(tensor.name) has shape \(tensor.shape) at offset \(tensor.offset)")
            }
            var size = 1
            for d in tensor.shape {
                let (product, overflow) = size.multipliedReportingOverflow(by: d)
                guard !overflow, product <= (1 << 40) else {
                    throw corrupt("tensor \(tensor.name) has an impossible shape \(tensor.shape)")
                }
                size = product
            }
            count += size
            guard count <= (1 << 40) else { throw corrupt("its tensors hold more than 2^40 values") }
        }
        // the optimiser's state: names it knows, each once
        let names = header.stateNames
        guard Set(names).count == names.count, names.count <= 8 else {
            throw corrupt("its optimiser state names \(names) are not distinct names")
        }
        guard header.optimizerName == Optimizers.adam, Set(names) == Set(Optimizers.legacyState) else {
            throw corrupt("it holds optimiser '\(header.optimizerName)' with state \(names); this version knows adam with m and v")
        }
        let arrays = 1 + names.count
        let expected = 16 + headerLength + 4 * arrays * count + 4
        guard bytes.count == expected else {
            throw corrupt("\(bytes.count < expected ? "truncated" : "trailing data"): expected \(expected) bytes, found \(bytes.count)")
        }
        let stored = readLittleEndian(bytes, at: bytes.count - 4)
        let actual = bytes.withUnsafeBytes { crc32(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        guard stored == actual || !verifyingCRC else { throw corrupt("CRC mismatch (damaged file)") }
        do { try header.config.checkRanges() } catch let error as WrnnError {
            throw corrupt("its configuration is invalid: \(error.message)")
        }
        guard header.step >= 0, header.step <= header.config.steps, (0...(1 << 40)).contains(header.adamStep), (header.solvedAt ?? 0) >= 0
        else {
            throw corrupt("step \(header.step) (Adam step \(header.adamStep)) is outside 0 ... \(header.config.steps)")
        }
        guard header.tensors == ParameterLayout(header.config.model).tensors else {
            throw corrupt("its tensors do not match its own model configuration")
        }
        var values: [[Float]] = []
        bytes.withUnsafeBytes { raw in
            for k in 0..<arrays {
                let start = 16 + headerLength + k * count * 4
                values.append((0..<count).map { raw.loadUnaligned(fromByteOffset: start + $0 * 4, as: Float.self) })
            }
        }
        // a checkpoint is a good state: NaN or Inf in it never came from a finished step
        for (k, what) in (["weights"] + names.map(stateDescription)).enumerated() {
            if let tensor = values[k].withUnsafeBufferPointer({
                firstNonFiniteTensor($0.baseAddress!, count: count, tensors: header.tensors)
            }) {
                throw WrnnError.data(
                    "checkpoint \(path) holds a non-finite value (NaN or Inf) in \(tensor) (\(what)); it is not a good state: use checkpoint.prev.bin or best.bin (--checkpoint), or train again"
                )
            }
        }
        return Checkpoint(header: header, params: values[0], state: Array(values.dropFirst()))
    }
}

/// The name of the first of `tensors` whose values hold a NaN or an infinity, or nil. One pass sums
/// the values in Double (a NaN or an infinity survives the sum; finite Float values cannot overflow
/// it), and only a sum that is not finite is searched, so the check costs one read of the values.
public func firstNonFiniteTensor(_ values: UnsafePointer<Float>, count: Int, tensors: [ParameterTensor]) -> String? {
    var sum = 0.0
    for i in 0..<count { sum += Double(values[i]) }
    guard !sum.isFinite, let index = (0..<count).first(where: { !values[$0].isFinite }) else { return nil }
    return tensors.first { $0.range.contains(index) }?.name ?? "parameter \(index)"
}

func appendLittleEndian(_ bytes: inout [UInt8], _ value: UInt32) {
    for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
}

func readLittleEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32(8 * $1) }
}
