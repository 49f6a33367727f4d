import Foundation
import Yams

/// A grid of training runs in W&B's sweep form:
///
///     program: copy_task.py        # the authors' script, or absent for wrnn's own vocabulary
///     method: grid
///     name: Copy_Sweep_wRNN
///     parameters:
///       lr: {values: [1e-2, 1e-3]} # or {value: 0.001}; `distribution: categorical` is accepted
///
/// Every value is kept as the text the file holds (W&B hands each to the script as a
/// command-line string), so `1e-3`, which a YAML 1.1 reader takes for a string, means 0.001.
public struct SweepFile: Equatable, Sendable {
    /// One swept option and its values, in the file's order.
    public struct Parameter: Equatable, Sendable {
        public var key: String
        public var values: [String]
        /// The line of each value in the file (1-based; 0 when not known), for messages.
        public var lines: [Int] = []
    }

    public var name: String
    /// The authors' task script (`copy_task.py`, ...); nil when the keys are `wrnn train` options.
    public var program: String?
    /// One grid per YAML document of the file (`---` between them); the sweep is their union, so
    /// rows that are not a product (Table 4's seven models) fit in one file.
    public var grids: [[Parameter]]

    /// The first grid's parameters.
    public var parameters: [Parameter] { grids[0] }

    public var vocabulary: Vocabulary { program.map { .authors(program: $0) } ?? .trainOptions }

    /// Number of grid points (one seed).
    /// The number of grid points, saturating at Int.max (six keys of 40 values already make 4·10⁹).
    public var gridSize: Int {
        grids.reduce(0) { total, grid in
            let points = grid.reduce(1) { product, parameter in
                let (next, overflow) = product.multipliedReportingOverflow(by: parameter.values.count)
                return overflow ? Int.max : next
            }
            let (sum, overflow) = total.addingReportingOverflow(points)
            return overflow ? Int.max : sum
        }
    }

    /// Every option any grid sweeps.
    public var keys: [String] {
        var seen: [String] = []
        for grid in grids { for p in grid where !seen.contains(p.key) { seen.append(p.key) } }
        return seen
    }

    /// Parses sweep YAML (one or more documents); `source` names the file in error messages.
    public static func parse(_ text: String, source: String) throws -> SweepFile {
        // document by document, so that a syntax error or a duplicate key is reported with its line
        // (iterating compose_all's sequence ends quietly at the first error)
        var documents: [Node] = []
        do {
            let parser = try Parser(yaml: text)
            while let document = try parser.nextRoot() { documents.append(document) }
        } catch {
            throw SweepError("\(source): not valid YAML: \(yamlProblem(error, text: text)); fix the file")
        }
        guard !documents.isEmpty else { throw SweepError("\(source): empty sweep file") }
        var parts = try documents.map { try parseDocument($0, source: source) }
        for part in parts.dropFirst() where part.program != parts[0].program {
            throw SweepError("\(source): every document of a sweep file must name the same program")
        }
        parts[0].grids = parts.flatMap(\.grids)
        // every value is checked before anything runs: a typo stops the sweep, naming its line
        for parameter in parts[0].grids.flatMap({ $0 }) {
            for (k, value) in parameter.values.enumerated() {
                if let problem = parts[0].vocabulary.problem(key: parameter.key, value: value) {
                    let line = k < parameter.lines.count && parameter.lines[k] > 0 ? ":\(parameter.lines[k])" : ""
                    throw SweepError("\(source)\(line): \(parameter.key): \(problem)")
                }
            }
        }
        return parts[0]
    }

    static func parseDocument(_ root: Node, source: String) throws -> SweepFile {
        guard let mapping = root.mapping else {
            throw SweepError("\(source): a sweep file is a YAML mapping with `parameters:`; fix the file")
        }
        var name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        var program: String?
        var parameters: [Parameter] = []
        let topLevel = ["program", "method", "name", "project", "entity", "parameters", "description", "metric"]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw SweepError("\(source): a top-level key is not text") }
            switch key {
            case "program": program = value.string
            case "name": if let text = value.string { name = text }
            case "method":
                guard value.string == "grid" else {
                    throw SweepError("\(source): method '\(value.string ?? "?")' is not supported; wrnn sweep expands grids (method: grid)")
                }
            case "project", "entity", "description", "metric": break // W&B bookkeeping
            case "parameters":
                guard let entries = value.mapping else { throw SweepError("\(source): `parameters` must be a mapping of option to values") }
                for (optionNode, spec) in entries {
                    guard let option = optionNode.string else { throw SweepError("\(source): a parameter name is not text") }
                    let found = try values(of: spec, option: option, source: source)
                    parameters.append(Parameter(key: option, values: found.map(\.text), lines: found.map(\.line)))
                }
            default:
                throw SweepError(
                    "\(source): unknown top-level key '\(key)'\(suggestion(key, topLevel)); expected \(topLevel.joined(separator: ", "))")
            }
        }
        guard !parameters.isEmpty else { throw SweepError("\(source): no `parameters:`; nothing to sweep") }
        if let duplicate = Dictionary(grouping: parameters, by: \.key).first(where: { $0.value.count > 1 })?.key {
            throw SweepError("\(source): parameter '\(duplicate)' is given twice")
        }
        return SweepFile(name: name, program: program, grids: [parameters])
    }

    /// `{value: x}`, `{values: [x, y]}` (optionally with `distribution: categorical`), or a bare scalar or
    /// list; each value with its line.
    static func values(of spec: Node, option: String, source: String) throws -> [(text: String, line: Int)] {
        func scalars(_ node: Node) throws -> [(text: String, line: Int)] {
            if let list = node.sequence {
                let texts = try list.map { item -> (text: String, line: Int) in
                    guard let text = item.scalar?.string else {
                        throw SweepError("\(source): \(option): values must be plain numbers or words")
                    }
                    return (text, item.mark?.line ?? 0)
                }
                guard !texts.isEmpty else { throw SweepError("\(source): \(option): empty list of values") }
                return texts
            }
            guard let text = node.scalar?.string else { throw SweepError("\(source): \(option): values must be plain numbers or words") }
            return [(text, node.mark?.line ?? 0)]
        }
        guard let fields = spec.mapping else { return try scalars(spec) }
        var result: [(text: String, line: Int)]?
        for (fieldNode, value) in fields {
            switch fieldNode.string ?? "" {
            case "value", "values": result = try scalars(value)
            case "distribution":
                guard value.string == "categorical" else {
                    throw SweepError(
                        "\(source): \(option): distribution '\(value.string ?? "?")' cannot be expanded as a grid (only categorical)")
                }
            case let other:
                throw SweepError("\(source): \(option): unknown field '\(other)'\(suggestion(other, ["value", "values", "distribution"]))")
            }
        }
        guard let result else { throw SweepError("\(source): \(option): give `value:` or `values:`") }
        return result
    }
}

/// Whose option names a sweep file uses.
public enum Vocabulary: Equatable, Sendable {
    case authors(program: String)
    /// `wrnn train`'s own option names.
    case trainOptions
}

/// A sweep file or grid that cannot be used: one line naming the problem and the fix (exit 64/65).
public struct SweepError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

func oneLine(_ error: Error) -> String {
    "\(error)".split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
}

/// ", did you mean 'x'?" for the closest of `known` (edit distance at most a third of the word), or "".
public func suggestion(_ word: String, _ known: [String]) -> String {
    closest(word, known).map { "; did you mean '\($0)'?" } ?? ""
}

/// The known word nearest to `word` by edit distance, if it is near enough to be a likely typo.
public func closest(_ word: String, _ known: [String]) -> String? {
    let scored = known.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// A YAML error as "LINE:COLUMN: problem" (a duplicate key: the line of its second occurrence).
func yamlProblem(_ error: Error, text: String) -> String {
    guard let error = error as? YamlError else { return oneLine(error) }
    switch error {
    case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
        return "\(mark.line):\(mark.column): \(problem)"
    case let .duplicatedKeysInMapping(duplicates, context):
        let key = duplicates.first ?? "?"
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let seen = lines.indices.filter {
            $0 + 1 >= context.mark.line && lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix(key + ":")
        }
        let line = seen.count > 1 ? seen[1] + 1 : context.mark.line
        let column = seen.count > 1 ? lines[seen[1]].prefix { $0 == " " }.count + 1 : context.mark.column
        return "\(line):\(column): duplicate key '\(key)'"
    default:
        return oneLine(error)
    }
}
