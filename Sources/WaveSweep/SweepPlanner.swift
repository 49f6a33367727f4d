import Foundation
import WaveCore
import WaveTasks
import WaveTraining

/// Turns a sweep file into the plan of runs: the grid expanded per seed, filtered and limited, each
/// point resolved into a configuration by `resolve` (wrnn train's own parser, so a point means
/// exactly what the same command line would), the budget applied, and two points that resolve to
/// one configuration refused.
public struct SweepPlanner {
    public var seeds: [UInt64]
    public var filters: [String] = []
    public var limit: Int?
    public var maxRuns = SweepFile.defaultMaximumRuns
    /// A budget replacing the grid's: steps, or epochs.
    public var steps: Int?
    public var epochs: Int?
    public var dataDirectory: String?
    public var keepDenormals = false
    public var threads: Int
    /// `wrnn train` arguments -> the configuration they make (throws what the command would).
    public var resolve: ([String]) throws -> TrainConfig
    /// An error from `resolve` as the one line recorded for an invalid point.
    public var describe: (any Error) -> String

    public init(
        seeds: [UInt64], threads: Int, resolve: @escaping ([String]) throws -> TrainConfig, describe: @escaping (any Error) -> String
    ) {
        self.seeds = seeds; self.threads = threads; self.resolve = resolve; self.describe = describe
    }

    public var budget: String? { steps.map { "--steps \($0)" } ?? epochs.map { "--epochs \($0)" } }

    public func plan(_ sweepFile: SweepFile, source: String) throws -> SweepPlan {
        let where_ = source.hasPrefix("preset:") ? "preset " + source.dropFirst(7) : source
        let filters = try self.filters.map { try GridFilter(parsing: $0) }
        var points: [GridPoint]
        do {
            for f in filters { try f.check(against: sweepFile) }
        } catch let error as SweepError { throw WrnnError.usage(error.message) }
        do {
            points = try sweepFile.expand(seeds: seeds, maximumRuns: maxRuns)
        } catch let error as SweepError { throw WrnnError.usage("\(where_): \(error.message)") }
        points = points.filter { p in filters.allSatisfy { $0.matches(p) } }
        if let limit { points = Array(points.prefix(limit)) }
        guard !points.isEmpty else { throw WrnnError.usage("no grid point matches --filter \(self.filters.joined(separator: " "))") }
        let runs = points.enumerated().map { index, point in planRun(index: index, point: point) }
        // two grid points that resolve to one configuration (lr: [1e-3, 0.001]) would train it twice and
        // count as two seeds in `results`: the grid is refused, naming both
        var first: [String: PlannedRun] = [:]
        for run in runs {
            guard let config = run.config else { continue }
            let hash = configurationHash(config)
            if let earlier = first[hash] {
                func settings(_ run: PlannedRun) -> String { run.settings.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
                throw WrnnError.usage(
                    "\(where_): grid points \(earlier.name) and \(run.name) are the same run (\(settings(earlier)) against \(settings(run))); name each value once"
                )
            }
            first[hash] = run
        }
        return SweepPlan(name: sweepFile.name, source: source, program: sweepFile.program, seeds: seeds, budget: budget, runs: runs)
    }

    func planRun(index: Int, point: GridPoint) -> PlannedRun {
        var arguments = point.train.arguments + ["--seed", String(point.seed), "--threads", String(threads)]
        if keepDenormals { arguments.append("--keep-denormals") }
        if let dataDirectory, let task = point.train.value(of: "--task"),
            TaskKind(rawValue: task)?.task.options.contains(.dataDirectory) == true
        {
            arguments += ["--data-dir", dataDirectory]
        }
        var run = PlannedRun(
            index: index, id: "invalid-\(index)-\(point.name)", name: point.name, seed: point.seed,
            settings: point.settings, arguments: arguments, config: nil, invalid: nil, notes: point.train.notes)
        do {
            var config = try resolve(arguments)
            if steps != nil || epochs != nil {
                let original = config.steps
                let epochSteps = config.task.epochSteps(batchSize: config.batchSize) ?? config.epochSteps ?? 1000
                config.steps = steps ?? (epochs! * epochSteps)
                run.notes.append(
                    "budget \(budget!) (\(counted(config.steps, "step"))) replaces the grid's \(original) steps: a CPU-scale reproduction")
            }
            run.notes += config.notes ?? []
            config.notes = run.notes.isEmpty ? nil : run.notes
            run.config = config
            run.id = configurationHash(config) + "-" + point.name
        } catch {
            run.invalid = describe(error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
        if let reason = point.train.invalid { run.invalid = reason }
        return run
    }
}

extension SweepPlan {
    /// `--dry-run`: every run with its configuration and estimated cost, then the total.
    public func dryRunText(cores: Int, ranks: Int = 1) -> String {
        let valid = runs.filter { $0.invalid == nil }
        var seconds = 0.0
        var lines = [
            "sweep \(name) (\(source)): \(runs.count) runs, \(valid.count) valid, \(runs.count - valid.count) invalid\(budget.map { "; budget \($0)" } ?? "")"
        ]
        for run in runs {
            guard let config = run.config, run.invalid == nil else {
                lines.append("  [\(run.index)] \(run.name): INVALID: \(run.invalid ?? "")")
                continue
            }
            let estimate = CostEstimate(config: config)
            seconds += estimate.seconds
            lines.append("  [\(run.index)] \(run.id)")
            lines.append("      \(config.task.summaryLine)")
            lines.append("      \(config.model.summaryLine); \(grouped(config.model.parameterCount)) parameters")
            lines.append(
                "      \(config.optimisationLine), \(counted(config.threads, "thread")); ~\(formatDuration(estimate.seconds)) (\(String(format: "%.3g", estimate.flops / 1e12)) TFLOP)"
            )
            if ranks > 1 {
                let perRank = (config.threads + ranks - 1) / ranks
                lines.append(
                    "      over \(ranks) ranks x \(perRank) thread\(perRank == 1 ? "" : "s"): ~\(formatDuration(estimate.wallSeconds(ranks: ranks))) wall time (modelled: docs/cluster.md)"
                )
            }
            lines += run.notes.map { "      note: \($0)" }
        }
        lines.append(
            "estimated compute: \(formatDuration(seconds)) on one \(cores)-core machine at the benchmark's rates (\(CostEstimate.rateText))"
        )
        return lines.joined(separator: "\n")
    }
}

extension SweepDirectory {
    /// `--status`: one line per run, then the counts.
    public func statusText() throws -> String {
        let plan = try readPlan()
        var counts: [RunStatus: Int] = [:]
        var lines: [String] = []
        for run in plan.runs {
            let status = self.status(of: run)
            counts[status, default: 0] += 1
            var detail = ""
            if status == .failed, let failure = failure(run.id) { detail = ": \(failure.reason)" }
            if status == .invalid, let reason = run.invalid { detail = ": \(reason)" }
            lines.append("\(padded(status.rawValue, 8)) [\(run.index)] \(run.id)\(detail)")
        }
        let order: [RunStatus] = [.done, .running, .partial, .pending, .failed, .invalid]
        lines.append(
            "sweep \(plan.name): " + order.map { "\(counts[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
                + " of \(plan.runs.count) runs (\(path))")
        return lines.joined(separator: "\n")
    }

    /// The counts as one line, with an ETA from the finished runs' mean wall time over `jobs` at once.
    public func progressLine(_ plan: SweepPlan, jobs: Int) -> String {
        let counts = Dictionary(grouping: plan.runs, by: { status(of: $0) }).mapValues(\.count)
        let done = counts[.done, default: 0]
        let left = plan.runs.count - done - counts[.failed, default: 0] - counts[.invalid, default: 0]
        let times = plan.runs.compactMap { run -> Double? in
            guard isDone(run.id), let data = fileContents(atPath: runPath(run.id) + "/summary.json"),
                let summary = try? WrnnJSON.decoder().decode(TrainSummary.self, from: data)
            else { return nil }
            return summary.seconds
        }
        let eta =
            times.isEmpty || left <= 0
            ? "" : "  ETA \(formatDuration(times.reduce(0, +) / Double(times.count) * Double(left) / Double(max(1, jobs))))"
        return
            "done \(done) / running \(counts[.running, default: 0]) / failed \(counts[.failed, default: 0]) / pending \(counts[.pending, default: 0] + counts[.partial, default: 0]) / invalid \(counts[.invalid, default: 0])\(eta)"
    }
}
