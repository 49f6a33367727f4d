import Foundation
import WaveCore
import WaveTraining

/// The CSV forms for pandas and R: one row per run with one column per hyper-parameter (every field
/// of config.json, flattened as `model.hidden_size`), and one row per evaluation across runs. Scores
/// (accuracy, recall) are fractions in both, as in metrics.jsonl and summary.json; an empty cell is
/// a value the run does not have (never "never": `solved` says whether `solved_at` happened).
public enum TidyCSV {
    /// One row per run: its directory, name, tags, notes and status, every configuration field, and
    /// its summary's numbers.
    public static func runs(_ records: [RunRecord]) -> String {
        let flattened = records.map { configColumns($0.config) }
        var configKeys: [String] = []
        for row in flattened { for key in row.keys.sorted() where !configKeys.contains(key) { configKeys.append(key) } }
        configKeys.sort()
        let summaryKeys = [
            "steps_done", "train_loss", "test_loss", "test_loss_per_batch", "recall_accuracy", "solved", "solved_at", "test_accuracy",
            "best_validation_accuracy", "test_accuracy_at_best_validation", "best_validation_loss", "test_loss_at_best_validation",
            "steps_per_second", "seconds"
        ]
        let headers = ["run", "name", "tags", "notes", "status", "parameters"] + configKeys + summaryKeys
        var lines = [headers.map(csvField).joined(separator: ",")]
        for (record, config) in zip(records, flattened) {
            let s = record.summary
            let solvable = record.config.task.solvedThreshold != nil
            var cells = [
                record.path, record.config.label?.name ?? "", (record.config.label?.tags ?? []).joined(separator: ";"),
                record.config.label?.notes ?? "", record.status.rawValue, String(record.config.model.parameterCount)
            ]
            cells += configKeys.map { config[$0] ?? "" }
            cells += [
                s.map { String($0.steps) } ?? "", number(s?.trainLoss), number(s?.testLoss), number(s?.testLossPerBatch),
                number(s?.recallAccuracy), s != nil && solvable ? (s?.solvedAt != nil ? "true" : "false") : "",
                s?.solvedAt.map(String.init) ?? "", number(s?.testAccuracy), number(s?.bestValidationAccuracy),
                number(s?.testAccuracyAtBestValidation), number(s?.bestValidationLoss), number(s?.testLossAtBestValidation),
                number(s?.stepsPerSecond), number(s?.seconds)
            ]
            lines.append(cells.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One row per evaluation of every run (long format): the run, its name, task, model and seed,
    /// then metrics.jsonl's fields.
    public static func evaluations(_ records: [RunRecord]) -> String {
        let headers = [
            "run", "name", "task", "model", "seed", "step", "train_loss", "test_loss", "test_loss_per_batch", "recall_accuracy",
            "accuracy", "validation_loss", "validation_accuracy", "grad_norm", "lr", "wall_time", "diverged"
        ]
        var lines = [headers.joined(separator: ",")]
        for record in records {
            let fixed = [
                record.path, record.config.label?.name ?? "", record.config.task.kind.rawValue, record.config.model.kind.rawValue,
                String(record.config.seed)
            ]
            for m in record.metrics {
                let cells =
                    fixed + [
                        String(m.step), number(m.trainLoss), number(m.testLoss), number(m.testLossPerBatch), number(m.recallAccuracy),
                        number(m.accuracy), number(m.validationLoss), number(m.validationAccuracy), number(m.gradNorm),
                        number(m.learningRate), number(m.wallTime), m.diverged == true ? "true" : "false"
                    ]
                lines.append(cells.map(csvField).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// config.json's fields, nested names joined by dots and in snake case; lists joined by ';'.
    /// The run's label has its own columns and the task's notes are prose: both are left out.
    static func configColumns(_ config: TrainConfig) -> [String: String] {
        guard let data = try? WrnnJSON.encoder(pretty: false).encode(config),
            let object = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return [:] }
        var columns: [String: String] = [:]
        func walk(_ value: JSONValue, _ name: String) {
            switch value {
            case .object(let dictionary):
                for (key, inner) in dictionary { walk(inner, name.isEmpty ? snakeCase(key) : name + "." + snakeCase(key)) }
            case .list(let list): columns[name] = list.map(\.text).joined(separator: ";")
            default: columns[name] = value.text
            }
        }
        walk(object, "")
        columns["label.name"] = nil; columns["label.tags"] = nil; columns["label.notes"] = nil; columns["notes"] = nil
        return columns
    }

    static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func number(_ x: Double?) -> String {
        guard let x else { return "" }
        return x.isFinite ? "\(x)" : x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf")
    }
}

/// Any JSON value, booleans kept apart from numbers (JSONDecoder reads `true` only as a Bool).
enum JSONValue: Decodable {
    case bool(Bool), whole(String), number(Double), text(String), list([JSONValue]), object([String: JSONValue]), null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .whole(String(value)) // a seed up to 2^64 - 1, exact
        } else if let value = try? container.decode(Int64.self) {
            self = .whole(String(value))
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .text(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .list(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// A cell: whole numbers without a decimal point.
    var text: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .whole(let digits): return digits
        case .number(let x): return "\(x)"
        case .text(let t): return t
        case .list(let l): return l.map(\.text).joined(separator: ";")
        case .object: return ""
        case .null: return ""
        }
    }
}
