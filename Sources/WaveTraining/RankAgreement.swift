import Foundation
import WaveCore
import WaveKernels

/// Over MPI, the ranks of one run must mean one run: before the first step each rank sends what it
/// is about to train (its resolved configuration, or its --resume command line), its kernel path,
/// OpenBLAS's kernels and the build, and any difference from rank 0 stops every rank with one line
/// naming the option and both values (exit 64), before anything is written.
public enum RankAgreement {
    /// What this rank will do: key paths and values, in a fixed order.
    public static func fingerprint(config: TrainConfig?, arguments: [String]) -> [(key: String, value: String)] {
        var entries = config?.entries ?? [("the command line", arguments.joined(separator: " "))]
        entries.append(("kernel path", KernelPath.current.rawValue))
        entries.append(("OpenBLAS kernels", BLASThreads.coreName))
        entries.append(("wrnn build", WrnnVersion.text + " (" + buildIdentity + ")"))
        return entries
    }

    /// The binary's size and modification time: two builds of one version differ here.
    static var buildIdentity: String {
        var info = stat()
        guard stat("/proc/self/exe", &info) == 0 else { return "unknown" }
        return "\(info.st_size) bytes, modified \(info.st_mtim.tv_sec)"
    }

    /// The option a configuration key comes from, for the message. (Another copy of the option list,
    /// until every option is declared once.)
    static func option(_ key: String) -> String {
        let names: [String: String] = [
            "learningRate": "--lr", "clip": "--clip", "batchSize": "--batch-size", "steps": "--steps", "seed": "--seed",
            "threads": "--threads", "evalEvery": "--eval-every", "checkpointEvery": "--checkpoint-every", "testSize": "--test-size",
            "initFrom": "--init-from", "keepDenormals": "--keep-denormals", "epochSteps": "--epoch-steps",
            "trainingProtocol": "--protocol", "model.kind": "--model", "model.hiddenSize": "--hidden-size",
            "model.channels": "--channels", "model.kernelSize": "--kernel-size", "model.recurrentInit": "--initialization",
            "model.encoderInit": "--encoder-init", "model.activation": "--activation", "model.readout": "--readout",
            "model.readoutTiming": "--readout-at", "model.waveSpeed": "--wave-speed", "model.dt": "--dt", "model.gamma": "--gamma",
            "model.epsilon": "--epsilon", "model.precision": "--precision", "model.freezeRecurrent": "--freeze-u",
            "model.freezeEncoder": "--freeze-v", "model.sheet": "--sheet", "model.shiftDirection": "--shift-direction",
            "model.waveSource": "--wave-source", "model.locallyConnected": "--locally-connected", "task.kind": "--task",
            "task.t": "-T", "task.copyLayout": "--copy-layout", "task.dataDirectory": "--data-dir",
            "task.permutation": "--permutation", "task.freshNoise": "--fresh-noise"
        ]
        return names[key] ?? key
    }

    /// The first difference between rank 0's entries and another's, as the message says it.
    public static func firstDifference(_ lead: [(key: String, value: String)], _ other: [(key: String, value: String)], rank: Int)
        -> String?
    {
        guard let difference = firstDifferingEntry(lead, other) else { return nil }
        return "rank \(rank)'s \(option(difference.key)) is \(difference.theirs), rank 0's is \(difference.ours)"
    }

    /// Exchanges every rank's entries and throws on the first difference from rank 0 (on every rank alike).
    public static func check(_ entries: [(key: String, value: String)], group: any ProcessGroup) throws {
        guard group.size > 1 else { return }
        let mine = Array((try? JSONSerialization.data(withJSONObject: entries.map { [$0.key, $0.value] })) ?? Data())
        var length = Int32(mine.count)
        var lengths = [Int32](repeating: 0, count: group.size)
        lengths.withUnsafeMutableBytes { out in
            withUnsafeBytes(of: &length) { group.allGather($0.baseAddress!, bytes: 4, into: out.baseAddress!) }
        }
        let width = Int(lengths.max() ?? 0)
        var padded = mine + [UInt8](repeating: 0, count: width - mine.count)
        var all = [UInt8](repeating: 0, count: width * group.size)
        all.withUnsafeMutableBytes { out in
            padded.withUnsafeMutableBytes { group.allGather($0.baseAddress!, bytes: width, into: out.baseAddress!) }
        }
        func decode(_ rank: Int) -> [(key: String, value: String)] {
            let bytes = Data(all[(rank * width)..<(rank * width + Int(lengths[rank]))])
            let pairs = (try? JSONSerialization.jsonObject(with: bytes)) as? [[String]] ?? []
            return pairs.compactMap { $0.count == 2 ? (key: $0[0], value: $0[1]) : nil }
        }
        let lead = decode(0)
        for rank in 1..<group.size {
            if let difference = firstDifference(lead, decode(rank), rank: rank) {
                throw WrnnError(
                    "the MPI ranks were not started alike: \(difference); start every rank with the same command, binary and kernels (nothing was written)",
                    exitCode: 64, everyRank: true)
            }
        }
    }
}
