import Foundation
import WaveCore
import WaveTraining
import Yams

/// `wrnn train --config FILE.yaml`: one run's options in the sweep files' vocabulary (wrnn train's
/// option names), one value each, as `wrnn train` arguments that go before the command line's own,
/// so a flag given on the command line overrides the file. Two shapes are read:
///
///     task: copy            parameters:
///     model: wrnn             task: {value: copy}
///     T: 30                   model: wrnn
///     tag: [baseline, t30]    lr: 0.001
///
/// the plain mapping, or a sweep file whose every parameter has one value. `tag` takes a list (it
/// is repeatable); any other list is a sweep, refused with the command that runs one.
public enum TrainConfigFile {
    /// Options a file may not give: they say which run, not how to train it.
    static let refused: [String: String] = [
        "config": "a configuration file cannot name another", "resume": "--resume continues a run from its own configuration"
    ]

    /// Reads `path` into `wrnn train` arguments; 66 when it cannot be read, 64 for anything in it.
    public static func arguments(path: String) throws -> [String] {
        let text: String
        switch readFileBytes(path, what: "--config", maximumBytes: 1 << 20) {
        case .success(let bytes):
            guard let decoded = String(bytes: bytes, encoding: .utf8) else {
                throw WrnnError.usage("--config \(path): not UTF-8 text; give a YAML file of wrnn train options")
            }
            text = decoded
        case .failure(let error): throw error
        }
        return try arguments(yaml: text, source: path)
    }

    public static func arguments(yaml text: String, source: String) throws -> [String] {
        let pairs: [(key: String, value: String, line: Int)]
        do { pairs = try entries(text, source: source) } catch let error as SweepError { throw WrnnError.usage(error.message) }
        var seen: Set<String> = []
        var args: [String] = []
        for (key, value, line) in pairs {
            let place = line > 0 ? "\(source):\(line)" : source
            if let reason = refused[key] { throw WrnnError.usage("\(place): '\(key)' cannot be given in a configuration file (\(reason))") }
            if key != "tag" {
                guard seen.insert(key).inserted else { throw WrnnError.usage("\(place): '\(key)' is given twice; give it once") }
            }
            if let problem = WrnnVocabulary.kinds[key]?.problem(value) { throw WrnnError.usage("\(place): \(key): \(problem)") }
            do {
                args += try WrnnVocabulary.trainArguments([(key, value)], allowingSweepOwned: true).arguments
            } catch let error as SweepError {
                throw WrnnError.usage("\(place): \(error.message.replacingOccurrences(of: " from the grid", with: ""))")
            }
        }
        return args
    }

    /// The file's options with their values and lines, lists of `tag` flattened.
    static func entries(_ text: String, source: String) throws -> [(key: String, value: String, line: Int)] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw SweepError("\(source): not valid YAML: \(yamlProblem(error, text: text)); fix the file")
        }
        guard let mapping = root?.mapping else {
            throw SweepError("\(source): a configuration file is a YAML mapping of wrnn train options (task: copy, model: wrnn, ...)")
        }
        if mapping.keys.contains(where: { $0.string == "parameters" }) {
            let sweep = try SweepFile.parse(text, source: source)
            guard sweep.program == nil else {
                throw SweepError(
                    "\(source): names program '\(sweep.program!)': the authors' vocabulary is for sweeps; run it with wrnn sweep \(source)")
            }
            var result: [(key: String, value: String, line: Int)] = []
            for parameter in sweep.grids.flatMap({ $0 }) {
                guard parameter.values.count == 1 || parameter.key == "tag" else {
                    throw SweepError(
                        "\(source): \(parameter.key) has \(parameter.values.count) values: a configuration file is one run; run a grid with wrnn sweep \(source)"
                    )
                }
                for (k, value) in parameter.values.enumerated() {
                    result.append((parameter.key, value, parameter.lines.indices.contains(k) ? parameter.lines[k] : 0))
                }
            }
            return result
        }
        var result: [(key: String, value: String, line: Int)] = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else { throw SweepError("\(source): a key is not text") }
            let line = keyNode.mark?.line ?? 0
            if let list = valueNode.sequence {
                guard key == "tag" else {
                    throw SweepError(
                        "\(source):\(line): \(key) has a list of values: a configuration file is one run; run a grid with wrnn sweep (a sweep file's parameters:)"
                    )
                }
                for item in list {
                    guard let text = item.scalar?.string else { throw SweepError("\(source):\(line): tag: tags are plain words") }
                    result.append((key, text, item.mark?.line ?? line))
                }
                continue
            }
            guard let text = valueNode.scalar?.string else {
                throw SweepError("\(source):\(line): \(key): give one plain value (a number or a word)")
            }
            result.append((key, text, line))
        }
        return result
    }

    /// The command line with `--config FILE` (or `--config=FILE`) expanded: the file's arguments go
    /// first, so the command line's own override them. Unchanged when there is no --config.
    public static func expand(_ arguments: [String]) throws -> [String] {
        guard arguments.first == "train" else { return arguments }
        var rest = Array(arguments.dropFirst()), path: String?
        if let i = rest.firstIndex(of: "--config") {
            guard i + 1 < rest.count else { throw WrnnError.usage("--config needs a file: wrnn train --config run.yaml") }
            path = rest[i + 1]
        } else if let i = rest.firstIndex(where: { $0.hasPrefix("--config=") }) {
            path = String(rest[i].dropFirst("--config=".count))
        }
        guard let path else { return arguments }
        if rest.contains("--resume") || rest.contains(where: { $0.hasPrefix("--resume=") }) {
            throw WrnnError.usage("--config starts a new run; --resume continues one from its own configuration: give one of them")
        }
        // the file's options, then the command line's (which keeps --config: the parsed command records it)
        rest = try Self.arguments(path: path) + rest
        return ["train"] + rest
    }
}
