import WaveTasks
import Foundation
import WaveCore
import WaveModels
import WaveTraining

/// One run read back from its directory.
public struct RunRecord: Sendable {
    public enum Status: String, Sendable { case done, diverged, failed, incomplete, corrupt }
    public var path: String
    public var config: TrainConfig
    public var summary: TrainSummary?
    public var status: Status
    public var metrics: [MetricsRecord]
    /// Why the run is not counted, when its files are damaged.
    public var problem: String? = nil
}

/// Reads runs from sweep directories (runs/*), run directories, or directories holding run directories.
public enum ResultsCollector {
    /// The runs read, and one line for every directory that looks like a run but could not be read
    /// (no config.json, an unparseable one, a corrupt summary.json): nothing is dropped silently.
    public struct Collection: Sendable {
        public var runs: [RunRecord] = []
        public var problems: [String] = []
        /// Folders that hold no run (a folder of figures, an empty one): skipped, and said so.
        public var skipped: [String] = []
    }

    /// A run directory holds at least one of these (config.json is written first, but a copy or a
    /// crash may have lost it).
    static let runFiles = [
        "config.json", "metrics.jsonl", "summary.json", "checkpoint.bin", "checkpoint.prev.bin", "best.bin", "command.json", "DONE"
    ]

    public static func collect(_ paths: [String]) throws -> Collection {
        var collection = Collection()
        for run in try runDirectories(paths, skipped: &collection.skipped) {
            do {
                let record = try read(run)
                if record.status == .corrupt, let reason = record.problem { collection.problems.append("\(run): \(reason)") }
                collection.runs.append(record)
            } catch let error as WrnnError {
                collection.problems.append(error.message)
            }
        }
        return collection
    }

    /// The run directories that `paths` name: each a run directory, a sweep directory (its runs), or a
    /// folder holding runs or sweeps (searched three levels down). Folders below that hold no run are
    /// listed in `skipped`; a path that holds no run at all is an error (66).
    public static func runDirectories(_ paths: [String], skipped: inout [String]) throws -> [String] {
        var found: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw WrnnError.missing(
                    "\(path) does not exist or is not a directory; give run directories, sweep directories or folders of runs")
            }
            let runs = runDirectories(under: path, skipped: &skipped)
            guard !runs.isEmpty else {
                throw WrnnError.missing("\(path) holds no runs (no run directory in it or below it)")
            }
            found += runs
        }
        return found
    }

    public static func isRunDirectory(_ path: String) -> Bool {
        var info = stat()
        return runFiles.contains { stat(path + "/" + $0, &info) == 0 }
    }

    static func isSweepDirectory(_ path: String) -> Bool { access(path + "/sweep.json", F_OK) == 0 }

    /// `path` itself when it is a run directory; a sweep directory's runs/* (runs even when they hold
    /// nothing readable yet: the sweep planned them); else the runs and sweeps below it.
    static func runDirectories(under path: String, skipped: inout [String], depth: Int = 0) -> [String] {
        let fm = FileManager.default
        if isRunDirectory(path) { return [path] }
        func children(_ directory: String) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).sorted().filter { !$0.hasPrefix(".") }.map { directory + "/" + $0 }
                .filter {
                    var d: ObjCBool = false; return fm.fileExists(atPath: $0, isDirectory: &d) && d.boolValue
                }
        }
        if isSweepDirectory(path) { return children(path + "/runs") }
        guard depth < 3 else { return [] }
        var found: [String] = []
        for sub in children(path) {
            var notes: [String] = []
            let below = runDirectories(under: sub, skipped: &notes, depth: depth + 1)
            if below.isEmpty {
                skipped.append("\(sub): holds no run; skipped")
            } else {
                found += below
                skipped += notes
            }
        }
        return found
    }

    static func read(_ run: String) throws -> RunRecord {
        let config: TrainConfig
        switch readFileBytes(run + "/config.json", what: "config.json of run") {
        case .failure(let error) where error.exitCode == 66 && access(run + "/config.json", F_OK) != 0:
            throw WrnnError.data("\(run): skipped, it has no config.json (not a complete run directory)")
        case .failure(let error): throw WrnnError.data("\(run): skipped, \(error.message)")
        case .success(let bytes):
            do { config = try decodeConfig(bytes) } catch {
                throw WrnnError.data("\(run): skipped, its config.json is not a wrnn run configuration (\(decodingReason(error)))")
            }
        }
        var summary: TrainSummary?
        var problem: String?
        if access(run + "/summary.json", F_OK) == 0 {
            do { summary = try decodeSummary(try readFileBytes(run + "/summary.json").get()) } catch {
                problem = "summary.json is corrupt (\((error as? WrnnError)?.message ?? decodingReason(error))); the run is not counted"
            }
        }
        let metrics = decodeMetrics((try? readFileBytes(run + "/metrics.jsonl").get()) ?? [])
        if metrics.isEmpty { warnOnce("\(run)/metrics.jsonl holds no evaluation yet; \(run) has no curve and no numbers") }
        var status: RunRecord.Status =
            problem != nil ? .corrupt : summary == nil ? .incomplete : summary?.diverged == true ? .diverged : .done
        if let failure = fileContents(atPath: run + "/FAILED").flatMap({ try? WrnnJSON.decoder().decode(RunFailure.self, from: $0) }) {
            status = failure.code == 3 ? .diverged : .failed
        }
        return RunRecord(path: run, config: config, summary: summary, status: status, metrics: metrics, problem: problem)
    }

    /// A run's config.json, decoded and range-checked.
    public static func decodeConfig(_ bytes: [UInt8]) throws -> TrainConfig { try TrainConfig.decoded(from: bytes) }

    /// A run's summary.json.
    public static func decodeSummary(_ bytes: [UInt8]) throws -> TrainSummary {
        try WrnnJSON.decoder().decode(TrainSummary.self, from: Data(bytes))
    }

    /// The lines of metrics.jsonl that parse (a crash can leave the last one torn).
    public static func decodeMetrics(_ bytes: [UInt8]) -> [MetricsRecord] {
        bytes.split(separator: 10).compactMap { try? WrnnJSON.decoder().decode(MetricsRecord.self, from: Data($0)) }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
public func csvField(_ text: String) -> String {
    text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
}

/// mean ± sample standard deviation over seeds.
public struct Statistic: Sendable {
    public var values: [Double]
    public var mean: Double { values.reduce(0, +) / Double(max(values.count, 1)) }
    public var std: Double? {
        guard values.count > 1 else { return nil }
        let m = mean
        return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
    func text(_ format: (Double) -> String) -> String {
        guard !values.isEmpty else { return "–" }
        return format(mean) + (std.map { " ± " + format($0) } ?? "")
    }
}

/// Runs that differ only in their seed, with their numbers over seeds.
public struct ResultGroup: Sendable {
    public var runs: [RunRecord]
    public var config: TrainConfig { runs[0].config }
    public var finished: [RunRecord] { runs.filter { $0.status == .done } }
    public var diverged: Int { runs.filter { $0.status == .diverged }.count }

    func stat(_ value: (TrainSummary) -> Double?) -> Statistic { Statistic(values: finished.compactMap { $0.summary.flatMap(value) }) }
    public var testAccuracyAtBestValidation: Statistic { stat { $0.testAccuracyAtBestValidation.map { $0 * 100 } } }
    public var bestValidationAccuracy: Statistic { stat { $0.bestValidationAccuracy.map { $0 * 100 } } }
    public var bestValidationLoss: Statistic { stat { $0.bestValidationLoss } }
    public var testLossAtBestValidation: Statistic { stat { $0.testLossAtBestValidation } }
    public var lastTestAccuracy: Statistic { stat { $0.testAccuracy.map { $0 * 100 } } }
    public var copyLossPerBatch: Statistic { stat { $0.testLossPerBatch } }
    public var recall: Statistic { stat { $0.recallAccuracy.map { $0 * 100 } } }
    public var finalLoss: Statistic { stat { $0.testLoss } }
    public var seconds: Statistic { stat { $0.seconds } }
    /// Solved-at steps of the finished seeds; nil entries never solved.
    public var solvedAt: [Int?] { finished.map { $0.summary?.solvedAt } }

    /// The paper's rule for choosing among hyper-parameters, as a score (lower is better).
    var selectionScore: Double {
        guard !finished.isEmpty else { return .infinity }
        switch config.task.resultStyle {
        case .copyLoss: return copyLossPerBatch.mean
        case .solvedEarliest:
            let steps = solvedAt.map { $0.map(Double.init) ?? Double(config.steps) * 10 }
            return steps.reduce(0, +) / Double(steps.count) + finalLoss.mean * 1e-6
        case .validationLoss: return bestValidationLoss.mean
        case .validationAccuracy: return -bestValidationAccuracy.mean
        }
    }
}

/// The paper's numbers (spec section 6) for a run's task and model, where the paper has one.
public enum PaperNumbers {
    /// Every registered model's published rows, by the paper's row name.
    static var rows: [String: PublishedRow] {
        Dictionary(ModelRegistry.all.flatMap { $0.published }.map { ($0.label, $0) }, uniquingKeysWith: { first, _ in first })
    }
    /// Table 4, copy-task loss as the authors' script reports it (mean CE over 50 test sequences / 50), by T.
    static func table4(_ row: String, _ t: Int) -> Double? { rows[row]?.copyLoss[t] }
    /// Table 1, adding task: test MSE and solved iteration (nil: never in 60k).
    static func table1(_ row: String, _ t: Int) -> (mse: Double, solved: Int?)? { rows[row]?.adding[t] }
    /// Tables 2 and 3, test accuracy %.
    static func images(_ row: String, _ task: TaskKind) -> Double? { rows[row]?.accuracy[task] }

    /// The paper's name for a configuration's model row, when it is one the paper reports.
    static func paperRow(_ config: TrainConfig) -> String? { config.model.kind.model.paperRow(config.model, task: config.task) }

    /// The paper's T for a copy-task configuration (the authors' script T' is T + 20).
    static func paperDelay(_ task: TaskConfig) -> Int? {
        task.copyLayout == .script ? (task.t >= 20 ? task.t - 20 : nil) : task.t
    }
}

/// The tables `wrnn results` prints.
public struct ResultsTables: Sendable {
    public var groups: [ResultGroup]
    public var budgets: [String]

    public init(_ records: [RunRecord]) {
        var byKey: [String: [RunRecord]] = [:]
        var order: [String] = []
        for record in records {
            let key = Self.groupKey(record.config)
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(record)
        }
        groups = order.map { ResultGroup(runs: byKey[$0]!.sorted { $0.config.seed < $1.config.seed }) }.sorted {
            ($0.config.task.kind.rawValue, $0.config.task.t, Self.kindOrder($0.config), Self.modelLabel($0.config), $0.config.learningRate)
                < (
                    $1.config.task.kind.rawValue, $1.config.task.t, Self.kindOrder($1.config), Self.modelLabel($1.config),
                    $1.config.learningRate
                )
        }
        budgets = Array(Set(records.flatMap { ($0.config.notes ?? []).filter { $0.hasPrefix("budget") } })).sorted()
    }

    /// Rows in the paper's order: wave models first, then the baselines.
    static func kindOrder(_ config: TrainConfig) -> Int { ModelKind.allCases.firstIndex(of: config.model.kind) ?? 0 }

    /// The configuration without what varies between seeds of one experiment.
    static func groupKey(_ config: TrainConfig) -> String {
        var c = config
        c.seed = 0; c.threads = 0; c.notes = nil; c.checkpointEvery = 0; c.task.dataDirectory = nil
        c.label = nil // names, tags and notes say nothing about what was trained
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(c)) ?? Data(), as: UTF8.self)
    }

    /// Task and size: rows compared in one table.
    public static func taskLabel(_ task: TaskConfig) -> String { task.tableLabel }

    /// The model as a table row: kind, size and the ablations Table 4 names.
    public static func modelLabel(_ config: TrainConfig) -> String {
        let m = config.model
        var text = m.kind.model.tableLabel(m)
        if m.readout == .mlp && m.kind.isRecurrent { text += " + MLP" }
        if m.freezeRecurrent { text += ", u frozen" }
        if m.freezeEncoder { text += ", V frozen" }
        return text
    }

    /// What a sweep chooses among: learning rate, clipping, batch, schedule, activation, budget.
    static func hyperParameters(_ config: TrainConfig) -> String {
        var parts = [
            "lr \(shortNumber(config.learningRate))", "clip \(config.clip == 0 ? "off" : shortNumber(config.clip))",
            "batch \(config.batchSize)", counted(config.steps, "step")
        ]
        if config.model.kind.model.choosesActivation { parts.append(config.model.activation.rawValue) }
        if let s = config.schedule {
            switch s.kind {
            case .step: parts.append("lr /\(shortNumber(s.factor)) every \(s.every) epochs")
            case .plateau: parts.append("plateau /\(shortNumber(s.factor))")
            default: parts.append(s.kind.rawValue)
            }
        }
        return parts.joined(separator: ", ")
    }

    /// Per task: the best group of each model row by the paper's rule.
    public var best: [(task: String, rows: [ResultGroup])] {
        var tasks: [String] = []
        var rows: [String: [String: ResultGroup]] = [:]
        var rowOrder: [String: [String]] = [:]
        for group in groups {
            let task = Self.taskLabel(group.config.task), row = Self.modelLabel(group.config)
            if rows[task] == nil { tasks.append(task); rows[task] = [:]; rowOrder[task] = [] }
            if let current = rows[task]![row] {
                if group.selectionScore < current.selectionScore { rows[task]![row] = group }
            } else {
                rows[task]![row] = group
                rowOrder[task]!.append(row)
            }
        }
        return tasks.map { task in (task, rowOrder[task]!.map { rows[task]![$0]! }) }
    }

    static func rule(_ task: TaskConfig) -> String {
        switch task.resultStyle {
        case .copyLoss:
            return
                "per model, the hyper-parameters with the lowest mean final test loss, mean cross-entropy / 50 as the authors' script reports it (the synthetic tasks have no validation set; their test sequences are drawn apart from training)"
        case .solvedEarliest:
            return
                "per model, the hyper-parameters that solve the task earliest on average (under the authors' protocol: the first log step whose training-batch MSE is <= 0.05, as their iteration i; under wrnn's: the first evaluation with test MSE <= 0.05), then the lowest final test MSE"
        case .validationLoss:
            return
                "per model, the hyper-parameters with the lowest mean validation MSE (best over each run's evaluations); the test MSE reported is each run's at that evaluation"
        case .validationAccuracy:
            return
                "per model, the hyper-parameters with the best mean validation accuracy (the paper's rule: chosen on the validation split); the test accuracy reported is each run's at its best validation epoch"
        }
    }

    // MARK: cells

    struct Cells {
        var headers: [String]
        var rows: [[String]]
    }

    /// The comparison table of one task's best rows.
    func comparison(_ task: String, _ rows: [ResultGroup]) -> Cells {
        let kind = rows[0].config.task.kind
        switch rows[0].config.task.resultStyle {
        case .copyLoss:
            return Cells(
                headers: [
                    "model", "best hyper-parameters", "parameters", "seeds", "test CE / 50, the authors' figure (ours)", "paper (Table 4)",
                    "ours / paper", "recall %", "wall time"
                ],
                rows: rows.map { g in
                    let paper = PaperNumbers.paperRow(g.config).flatMap { row in
                        PaperNumbers.paperDelay(g.config.task).flatMap { PaperNumbers.table4(row, $0) }
                    }
                    let ours = g.copyLossPerBatch
                    return [
                        Self.modelLabel(g.config), Self.hyperParameters(g.config), grouped(g.config.model.parameterCount), seedsText(g),
                        ours.text(sci), paper.map(sci) ?? "–",
                        paper.flatMap { p in ours.values.isEmpty ? nil : String(format: "%.2gx", ours.mean / p) } ?? "–",
                        g.recall.text { String(format: "%.1f", $0) }, g.seconds.text(duration)
                    ]
                })
        case .solvedEarliest:
            return Cells(
                headers: [
                    "model", "best hyper-parameters", "parameters", "seeds", "solved at (ours)", "paper (Table 1)", "final test MSE (ours)",
                    "paper MSE", "wall time"
                ],
                rows: rows.map { g in
                    let paper = PaperNumbers.paperRow(g.config).flatMap { PaperNumbers.table1($0, g.config.task.t) }
                    let solved = g.solvedAt.map { $0.map(String.init) ?? "never" }.joined(separator: ", ")
                    return [
                        Self.modelLabel(g.config), Self.hyperParameters(g.config), grouped(g.config.model.parameterCount), seedsText(g),
                        solved.isEmpty ? "–" : solved, paper.map { $0.solved.map { "\($0)" } ?? "never (60k)" } ?? "–",
                        g.finalLoss.text(sci), paper.map { sci($0.mse) } ?? "–", g.seconds.text(duration)
                    ]
                })
        case .validationLoss:
            return Cells(
                headers: [
                    "model", "best hyper-parameters", "parameters", "seeds", "test MSE at best val", "best val MSE", "last test MSE",
                    "wall time"
                ],
                rows: rows.map { g in
                    [
                        Self.modelLabel(g.config), Self.hyperParameters(g.config), grouped(g.config.model.parameterCount), seedsText(g),
                        g.testLossAtBestValidation.text(sci), g.bestValidationLoss.text(sci), g.finalLoss.text(sci),
                        g.seconds.text(duration)
                    ]
                })
        case .validationAccuracy:
            return Cells(
                headers: [
                    "model", "best hyper-parameters", "parameters", "seeds", "test acc % at best val (ours)", "paper",
                    "difference (points)", "last test acc %", "wall time"
                ],
                rows: rows.map { g in
                    let paper = PaperNumbers.paperRow(g.config).flatMap { PaperNumbers.images($0, kind) }
                    let ours = g.testAccuracyAtBestValidation
                    return [
                        Self.modelLabel(g.config), Self.hyperParameters(g.config), grouped(g.config.model.parameterCount), seedsText(g),
                        ours.text { String(format: "%.2f", $0) }, paper.map { String(format: "%.1f", $0) } ?? "–",
                        paper.flatMap { p in ours.values.isEmpty ? nil : String(format: "%+.2f", ours.mean - p) } ?? "–",
                        g.lastTestAccuracy.text { String(format: "%.2f", $0) }, g.seconds.text(duration)
                    ]
                })
        }
    }

    /// Every configuration, one line each (the CSV form).
    func allConfigurations() -> Cells {
        Cells(
            headers: [
                "task", "model", "hyper-parameters", "parameters", "runs", "finished", "diverged",
                "test_acc_at_best_val_mean", "test_acc_at_best_val_std", "last_test_acc_mean", "copy_loss_per_batch_mean",
                "copy_loss_per_batch_std", "recall_mean", "solved_at", "final_test_loss_mean", "final_test_loss_std",
                "wall_seconds_mean", "paper_row"
            ],
            rows: groups.map { g in
                func num(_ s: Statistic, _ f: String) -> String { s.values.isEmpty ? "" : String(format: f, s.mean) }
                func sd(_ s: Statistic, _ f: String) -> String { s.std.map { String(format: f, $0) } ?? "" }
                return [
                    Self.taskLabel(g.config.task), Self.modelLabel(g.config), Self.hyperParameters(g.config),
                    String(g.config.model.parameterCount), String(g.runs.count), String(g.finished.count), String(g.diverged),
                    num(g.testAccuracyAtBestValidation, "%.4f"), sd(g.testAccuracyAtBestValidation, "%.4f"),
                    num(g.lastTestAccuracy, "%.4f"), num(g.copyLossPerBatch, "%.6e"), sd(g.copyLossPerBatch, "%.6e"),
                    num(g.recall, "%.3f"), g.solvedAt.map { $0.map(String.init) ?? "never" }.joined(separator: " "),
                    num(g.finalLoss, "%.6e"), sd(g.finalLoss, "%.6e"), num(g.seconds, "%.1f"),
                    PaperNumbers.paperRow(g.config) ?? ""
                ]
            })
    }

    func seedsText(_ g: ResultGroup) -> String {
        var text = "\(g.finished.count)"
        if g.diverged > 0 { text += " (+\(g.diverged) diverged)" }
        let unfinished = g.runs.count - g.finished.count - g.diverged
        if unfinished > 0 { text += " (+\(unfinished) unfinished)" }
        return text
    }

    // MARK: formats

    public func markdown() -> String {
        var out = ["# Results beside the paper", ""]
        out.append(
            "\(groups.reduce(0) { $0 + $1.runs.count }) runs in \(groups.count) configurations; mean ± standard deviation over seeds.")
        if !budgets.isEmpty { out.append("Budget: " + budgets.joined(separator: "; ") + ".") }
        out.append("")
        for (task, rows) in best {
            let kind = rows[0].config.task.kind
            out.append("## \(task)")
            out.append("")
            out.append("Best configuration by the paper's rule: \(Self.rule(rows[0].config.task)).")
            out.append("")
            out += markdownTable(comparison(task, rows))
            out.append("")
        }
        out.append("## Every configuration")
        out.append("")
        out += markdownTable(readableConfigurations())
        out.append("")
        return out.joined(separator: "\n")
    }

    /// Every configuration for a reader: headers in words and one result column in the task's unit
    /// (the CSV keeps every number in its own column).
    func readableConfigurations() -> Cells {
        let all = allConfigurations()
        let keep = [0, 1, 2, 3, 4, 5, 6]
        // the runs' names and tags (--name, --tag), when any run has them
        func labels(_ g: ResultGroup) -> String {
            var names: [String] = []
            for run in g.runs {
                var text = run.config.label?.name ?? ""
                if let tags = run.config.label?.tags, !tags.isEmpty {
                    text += (text.isEmpty ? "" : " ") + "[" + tags.joined(separator: ", ") + "]"
                }
                if !text.isEmpty && !names.contains(text) { names.append(text) }
            }
            return names.joined(separator: "; ")
        }
        let labelled = groups.contains { !labels($0).isEmpty }
        return Cells(
            headers: ["task", "model", "hyper-parameters", "parameters", "runs", "finished", "diverged", "result (mean ± std over seeds)"]
                + (labelled ? ["names [tags]"] : []),
            rows: zip(all.rows, groups).map { row, g in keep.map { row[$0] } + [headline(g)] + (labelled ? [labels(g)] : []) })
    }

    /// The loss the table and the charts of a task both use, said once.
    static func lossUnit(_ task: TaskConfig) -> String { task.loss(perBatchDivisor: 1).unit }

    func headline(_ g: ResultGroup) -> String {
        switch g.config.task.resultStyle {
        case .copyLoss: return "CE/50 " + g.copyLossPerBatch.text(sci)
        case .solvedEarliest:
            let solved = g.solvedAt.map { $0.map(String.init) ?? "never" }.joined(separator: ", ")
            return "solved at " + (solved.isEmpty ? "–" : solved) + "; MSE " + g.finalLoss.text(sci)
        case .validationLoss: return "test MSE at best val " + g.testLossAtBestValidation.text(sci)
        case .validationAccuracy: return "test acc " + g.testAccuracyAtBestValidation.text { String(format: "%.2f", $0) }
        }
    }

    public func csv() -> String {
        let all = allConfigurations()
        return ([all.headers] + all.rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// The HTML tables; `curves(task, runs, labels)` adds the learning curves of the best run per
    /// model, labelled as the table's model column labels them.
    public func html(curves: (String, [String], [String]) -> String) -> String {
        var body = [
            "<h1>Results beside the paper (Wave-RNN, Keller et al., ICLR 2024)</h1>",
            "<p>\(groups.reduce(0) { $0 + $1.runs.count }) runs in \(groups.count) configurations; mean ± standard deviation over seeds.\(budgets.isEmpty ? "" : " Budget: " + escapeHTML(budgets.joined(separator: "; ")) + ".")</p>"
        ]
        for (task, rows) in best {
            body.append("<h2>\(escapeHTML(task))</h2>")
            body.append("<p>Best configuration by the paper's rule: \(escapeHTML(Self.rule(rows[0].config.task))).</p>")
            let table = comparison(task, rows)
            body.append(htmlTable(table))
            body.append("<p>\(escapeHTML(Self.lossUnit(rows[0].config.task)))</p>")
            var bestRuns: [String] = [], labels: [String] = [], configs: [TrainConfig] = []
            for (g, row) in zip(rows, table.rows) {
                guard let best = g.finished.min(by: { $0.summary!.testLoss < $1.summary!.testLoss }) else { continue }
                bestRuns.append(best.path)
                labels.append(row[0])
                configs.append(g.config)
            }
            // two rows with one model label (the same model at other hyper-parameters) add theirs
            let shared = Set(labels.filter { label in labels.filter { $0 == label }.count > 1 })
            for k in labels.indices where shared.contains(labels[k]) { labels[k] += ", " + Self.hyperParameters(configs[k]) }
            if !bestRuns.isEmpty { body.append(curves(task, bestRuns, labels)) }
        }
        body.append("<h2>Every configuration</h2>")
        body.append(htmlTable(readableConfigurations()))
        body.append("<p>Every number of every configuration: <code>wrnn results DIR --format csv</code>.</p>")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Wave-RNN results beside the paper</title>
            <style>body{font-family:sans-serif;margin:0 auto;max-width:1400px;padding:0 16px}
            .scroll{overflow-x:auto}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
            th{background:#f3f3f3}figure{margin:12px 0}img,svg{max-width:100%;height:auto;display:block}
            figcaption{font-size:90%;color:#444}</style></head><body>
            \(body.joined(separator: "\n"))
            </body></html>
            """
    }

    func htmlTable(_ cells: Cells) -> String {
        "<div class=\"scroll\"><table><tr>" + cells.headers.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr>\n"
            + cells.rows.map { "<tr>" + $0.map { "<td>\(escapeHTML($0))</td>" }.joined() + "</tr>" }.joined(separator: "\n")
            + "</table></div>"
    }

    func markdownTable(_ cells: Cells) -> [String] {
        ["| " + cells.headers.joined(separator: " | ") + " |", "|" + cells.headers.map { _ in " --- |" }.joined()]
            + cells.rows.map { "| " + $0.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
    }
}

func sci(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.1e", x) }
func duration(_ seconds: Double) -> String { formatDuration(seconds) }
func shortNumber(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : String(format: "%g", x)
}
func escapeHTML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
