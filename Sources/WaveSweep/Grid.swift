import Foundation
import WaveTasks
import WaveCore
import WaveModels
import WaveTraining

/// One option's value at a grid point, as the sweep file writes it.
public struct Setting: Codable, Equatable, Sendable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// One run of an expanded grid: the file's settings at this point, the seed, and the `wrnn train`
/// arguments they translate to.
public struct GridPoint: Equatable, Sendable {
    /// Position in the expanded grid (0-based; the Slurm array index).
    public var index: Int
    public var settings: [Setting]
    public var seed: UInt64
    public var train: TrainArguments
    /// Readable part of the run directory's name: task, model, the swept settings and the seed.
    public var name: String
}

extension SweepFile {
    /// Every combination of the parameters' values (the first parameter varies slowest) times the
    /// seeds (fastest), translated into `wrnn train` arguments.
    /// The grid is counted before it is expanded, and refused past `maximumRuns` runs.
    public func expand(seeds: [UInt64], maximumRuns: Int = SweepFile.defaultMaximumRuns) throws -> [GridPoint] {
        let (runs, overflow) = gridSize.multipliedReportingOverflow(by: seeds.count)
        guard !overflow, runs <= maximumRuns else {
            let count = overflow || gridSize == Int.max ? "more than 2^63" : groupedCount(runs)
            throw SweepError(
                "the grid is \(gridSize == Int.max ? "more than 2^63" : groupedCount(gridSize)) points x \(seeds.count) seed\(seeds.count == 1 ? "" : "s") = \(count) runs, past the limit of \(groupedCount(maximumRuns)); narrow it with --filter, or raise the limit with --max-runs"
            )
        }
        let combinations = grids.flatMap { grid in
            var combinations: [[Setting]] = [[]]
            for parameter in grid {
                combinations = combinations.flatMap { prefix in parameter.values.map { prefix + [Setting(key: parameter.key, value: $0)] } }
            }
            return combinations
        }
        // the readable name shows the settings that differ between points
        let swept = Set(keys.filter { key in Set(combinations.map { c in c.first { $0.key == key }?.value ?? "" }).count > 1 })
        var points: [GridPoint] = []
        for settings in combinations {
            let pairs = settings.map { (key: $0.key, value: $0.value) }
            let train: TrainArguments
            switch vocabulary {
            case .authors(let program): train = try AuthorsProgram.named(program).trainArguments(pairs)
            case .trainOptions: train = try WrnnVocabulary.trainArguments(pairs)
            }
            let task = train.value(of: "--task") ?? TaskKind.standard.rawValue,
                model = train.value(of: "--model") ?? ModelKind.standard.rawValue
            let parts = settings.filter { swept.contains($0.key) && !["task", "model", "model_type"].contains($0.key) }
                .map { "\($0.key)\($0.value)" }
            for seed in seeds {
                let name = ([task + "-" + model] + parts + ["s\(seed)"]).joined(separator: "_")
                points.append(
                    GridPoint(
                        index: points.count, settings: settings, seed: seed, train: train,
                        name: directorySafe(name)))
            }
        }
        return points
    }
}

extension SweepFile {
    /// More runs than any cluster queue would take; `wrnn sweep --max-runs` raises it.
    public static let defaultMaximumRuns = 100_000
}

/// 1234567 as "1,234,567".
public func groupedCount(_ n: Int) -> String {
    let digits = Array(String(n))
    return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
}

extension TrainArguments {
    /// The value following `option` (the last one when given twice).
    public func value(of option: String) -> String? {
        guard let i = arguments.lastIndex(of: option), i + 1 < arguments.count else { return nil }
        return arguments[i + 1]
    }
}

/// Letters, digits, '.', '-' and '_' only; at most 80 characters.
public func directorySafe(_ text: String) -> String {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
    return String(String(text.map { allowed.contains($0) ? $0 : "-" }).prefix(80))
}

/// `key=value` selections of grid points (all must hold). Values compare as numbers when both
/// parse as numbers (so lr=0.001 matches 1e-3), otherwise as text.
public struct GridFilter: Sendable {
    public var key: String
    public var value: String

    public init(parsing text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw SweepError("--filter takes key=value (got '\(text)')")
        }
        key = String(text[..<eq])
        value = String(text[text.index(after: eq)...])
    }

    public func check(against file: SweepFile) throws {
        let keys = file.keys + ["seed"]
        guard keys.contains(key) else {
            throw SweepError(
                "--filter: the grid has no parameter '\(key)'\(suggestion(key, keys)); its parameters: \(keys.joined(separator: ", "))")
        }
    }

    public func matches(_ point: GridPoint) -> Bool {
        let actual = key == "seed" ? String(point.seed) : point.settings.first { $0.key == key }?.value
        guard let actual else { return false }
        if let a = Double(actual), let b = Double(value) { return a == b }
        return actual == value
    }
}

/// A short, stable name for a resolved configuration: FNV-1a 64 of its canonical JSON with the
/// thread count left out (threads change how a run is computed, not what it is), 8 hex digits.
public func configurationHash(_ config: TrainConfig) -> String {
    var canonical = config
    canonical.threads = 0
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let bytes = (try? encoder.encode(canonical)) ?? Data()
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return String(String(hash, radix: 16).leftPadded(16).prefix(8))
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
