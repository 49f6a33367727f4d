import Foundation
import WaveCore
import WaveData
import WaveTasks
import WaveModels
import WaveTraining
import WaveSweep
import WaveAnalysis

/// Every reader of a file a user hands the tool, as a function of the file's bytes: what the
/// libFuzzer build of `wrnn-fuzz` calls with each generated input, and what the regression tests
/// replay over the kept corpus. A reader may refuse an input with any error; it may not trap,
/// touch memory it does not own, or allocate past the fuzzer's RSS limit.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case checkpoint, checkpointHeader = "checkpoint-header", safetensors, safetensorsHeader = "safetensors-header", idx, cifar, sweep,
        config, metrics, summary, npy, plan, sequenceData = "sequence-data", trainConfig = "train-config"

    /// The seed corpus and the crashes found, one directory per target, under Tests/Fuzz.
    public var corpusName: String { rawValue }

    /// Runs one input through the reader; returns whether it was accepted (for the replay's log).
    @discardableResult
    public func run(_ bytes: [UInt8]) -> Bool {
        do {
            switch self {
            case .checkpoint:
                // past the CRC, which a mutated input would almost never match
                let checkpoint = try Checkpoint.decode(bytes, path: "fuzz.bin", verifyingCRC: false)
                // an accepted checkpoint is what a resumed trainer reads: its numbers are used
                _ = ParameterLayout(checkpoint.header.config.model).count
                var stream = checkpoint.header.dataStream
                _ = stream.next()
                if var test = checkpoint.header.loop?.testStream { _ = test.next() }
            case .checkpointHeader:
                // the input is the header's JSON, framed here as a checkpoint with a body of the size
                // it names and a valid CRC: a mutation that changes the header's length (a shorter
                // stream state) reaches every check, which raw bytes with a fixed length field cannot
                var values = 0
                if let header = try? WrnnJSON.decoder().decode(CheckpointHeader.self, from: Data(bytes)) {
                    for tensor in header.tensors {
                        let size = tensor.shape.reduce(1) {
                            $0.multipliedReportingOverflow(by: max($1, 0)).overflow ? 1 << 30 : $0 * max($1, 0)
                        }
                        values = min(values + size, 1 << 20) // a body past 12 MB is not worth the fuzzer's time
                    }
                }
                var framed = Checkpoint.magic
                for word in [Checkpoint.version, UInt32(bytes.count)] {
                    for k in 0..<4 { framed.append(UInt8((word >> (8 * UInt32(k))) & 0xFF)) }
                }
                framed += bytes
                framed += [UInt8](repeating: 0, count: 12 * values)
                let crc = framed.withUnsafeBytes { crc32($0) }
                for k in 0..<4 { framed.append(UInt8((crc >> (8 * UInt32(k))) & 0xFF)) }
                let checkpoint = try Checkpoint.decode(framed, path: "fuzz.bin")
                _ = ParameterLayout(checkpoint.header.config.model).count
                var stream = checkpoint.header.dataStream
                _ = stream.next()
                if var test = checkpoint.header.loop?.testStream { _ = test.next() }
            case .safetensors:
                _ = try Safetensors.parse(bytes, path: "fuzz.safetensors")
            case .safetensorsHeader:
                // the input is the JSON header, framed with its length and a data block as long as
                // the largest end offset it names (capped), for the same reason as checkpoint-header
                var end = 0
                if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
                    for case let entry as [String: Any] in object.values {
                        if let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 { end = max(end, min(offsets[1], 1 << 20)) }
                    }
                }
                var framed: [UInt8] = []
                for k in 0..<8 { framed.append(UInt8((UInt64(bytes.count) >> (8 * UInt64(k))) & 0xFF)) }
                framed += bytes + [UInt8](repeating: 0, count: end)
                _ = try Safetensors.parse(framed, path: "fuzz.safetensors")
            case .idx:
                // the label (1-D) and image (3-D) forms, raw or gzip'd (the bytes decide)
                let labels = try? IDX.parse(bytes, path: "fuzz-idx", dimensions: 1)
                let images = try? IDX.parse(bytes, path: "fuzz-idx", dimensions: 3)
                if labels == nil && images == nil { return false }
            case .cifar:
                // as many records as the input holds, so the fuzzer reaches past the size check
                _ = try CIFAR10.parse(bytes, path: "fuzz.bin", records: max(1, bytes.count / CIFAR10.recordBytes))
            case .sweep:
                let file = try SweepFile.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz.yml")
                // a small limit: the fuzzer should explore the parser, not wait on big grids
                _ = try file.expand(seeds: [0, 1], maximumRuns: 2_000)
            case .trainConfig:
                // `wrnn train --config FILE.yaml`: the YAML, its shapes (a mapping, a one-value sweep file),
                // every key and value checked and turned into wrnn train's arguments
                let arguments = try TrainConfigFile.arguments(yaml: String(decoding: bytes, as: UTF8.self), source: "fuzz.yaml")
                _ = arguments.count
            case .config:
                let config = try TrainConfig.decoded(from: bytes)
                _ = config.model.parameterCount
                _ = config.task.epochSteps(batchSize: config.batchSize)
            case .metrics:
                _ = ResultsCollector.decodeMetrics(bytes)
                _ = try parseMetrics(bytes, path: "fuzz.jsonl")
            case .summary:
                _ = try ResultsCollector.decodeSummary(bytes)
            case .npy:
                // a run's permutation.npy (psMNIST, psFMNIST: 784 pixels)
                _ = try NpyIndices.parsePermutation(bytes, path: "fuzz.npy", count: 784)
            case .sequenceData:
                // a researcher's data file (.npz, .npy, .safetensors or UCR text), checked and split as
                // `--task sequences` does, padding marked by NaN
                let data = try SequenceData.parse(bytes, path: "fuzz-data", seed: 0, mask: .nan, readoutAt: nil)
                _ = SequencesTask(data: data, seed: 0).validationBatches(batchSize: 4, limit: nil)
            case .plan:
                // a sweep directory's sweep.json, as `wrnn sweep --status` reads it
                _ = try SweepDirectory.decodePlan(bytes, path: "fuzz/sweep.json")
            }
            return true
        } catch {
            return false
        }
    }
}
