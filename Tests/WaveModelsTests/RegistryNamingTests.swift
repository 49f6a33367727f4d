import Foundation
import WaveModels
import WaveTasks
import XCTest

/// Outside each model's own files (Sources/WaveModels/Cells), its kernels (Sources/WaveKernels*) and
/// the registry (ModelRegistry.swift), Sources/ names no model: no `.wrnn`-style member, no cell or
/// description type, no string literal that is a model's name. Comments and prose in help texts may
/// mention models; code may not branch on one.
final class RegistryNamingTests: XCTestCase {
    /// Lines allowed to hold a literal equal to a model's name, and why.
    let allowedLiterals: [(file: String, contains: String, why: String)] = [
        ("Sources/wrnn/Wrnn.swift", "commandName:", "the program's own name"),
        ("Sources/wrnn/Analyze.swift", "\"producer\":", "the program's own name in exported metadata"),
        ("Sources/WaveSweep/Vocabularies.swift", "models: [", "the authors' model_type names, resolved through the registry"),
        (
            "Sources/wrnn/EmbeddedPython.swift", "defaults = {",
            "the Python package (python/), embedded as text: its PyTorch models' defaults"
        ),
        ("Sources/wrnn/EmbeddedPython.swift", "for kind \"cornn\"", "the Python package (python/), embedded as text: a docstring")
    ]

    func testSourcesNameNoModelOutsideItsFilesAndTheRegistry() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL.path
        let config = ModelConfig(kind: .standard, inputSize: 2, outputSize: 1, ringSize: 8)
        var names = Set(ModelRegistry.all.map { $0.name })
        var types: Set<String> = ["FlattenedInput"]
        for model in ModelRegistry.all {
            types.insert(String(describing: model))
            var c = config
            c.kind = model.kind
            if let cell = model.makeCell(c, Float.self) {
                types.insert(String(String(describing: type(of: cell)).prefix { $0 != "<" }))
            }
        }
        XCTAssertTrue(names.isSuperset(of: ["wrnn", "irnn", "lstm", "gru", "cornn", "lem", "fc"]), "\(names)")
        XCTAssertTrue(types.isSuperset(of: ["WaveCell", "IdentityCell", "LSTMCell", "GRUCell", "CoRNNCell", "LEMCell"]), "\(types)")
        names.remove("") // never a name, but keeps the literal check honest
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root + "/Sources")!
        for case let relative as String in enumerator where relative.hasSuffix(".swift") {
            let path = "Sources/" + relative
            if path.hasPrefix("Sources/WaveModels/Cells/") || path.hasPrefix("Sources/WaveKernels")
                || path == "Sources/WaveModels/ModelRegistry.swift"
            {
                continue
            }
            let text = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
            let raw = text.components(separatedBy: "\n")
            for (number, line) in codeLines(text).enumerated() {
                // the layer's per-cell specialisations are compiler hints, checked by SpecializationTests
                if line.code.contains("@_specialize") { continue }
                for name in names where line.code.range(of: "\\.\(name)\\b", options: .regularExpression) != nil {
                    found.append("\(path):\(number + 1): .\(name)")
                }
                for type in types where line.code.range(of: "\\b\(type)\\b", options: .regularExpression) != nil {
                    found.append("\(path):\(number + 1): \(type)")
                }
                for literal in line.literals where names.contains(literal) {
                    if allowedLiterals.contains(where: { $0.file == path && raw[number].contains($0.contains) }) { continue }
                    found.append("\(path):\(number + 1): \"\(literal)\"")
                }
            }
        }
        XCTAssertEqual(found, [], "models named outside their own files and the registry")
    }

    /// Lines outside the task files allowed to name a task, and why ("" allows the whole file).
    let allowedTaskMentions: [(file: String, contains: String, why: String)] = [
        ("Sources/WaveSweep/Presets.swift", "", "the paper's named sweeps, written as sweep files are"),
        ("Sources/WaveSweep/Vocabularies.swift", "", "the authors' scripts and their per-script conventions, by their task names"),
        ("Sources/WaveSweep/AuthorsFidelity.swift", "case .", "the authors' recorded batches, one layout per script"),
        ("Sources/WaveModels/Cells/", "PublishedRow(", "the paper's numbers per model and task"),
        ("Sources/WaveModels/Cells/", "accuracy: [", "the paper's numbers per model and task"),
        ("Sources/WaveModels/Cells/", "ModelBenchmark(", "the benchmark shapes each model is timed on"),
        ("Sources/WaveModels/ModelRegistry.swift", "self.adding = adding", "the paper's adding-task table, a field of a published row"),
        ("Sources/WaveSweep/Results.swift", "?.adding[t]", "the paper's adding-task table, a field of a published row"),
        ("Sources/WaveFuzz/", "", "the fuzzer drives each reader of a user's file by name"),
        ("Sources/wrnn/EmbeddedPython.swift", "", "the Python package (python/), embedded as text: its examples name tasks")
    ]

    /// Outside the task files (Sources/WaveTasks) nothing switches on, or names, a task: no
    /// `.copy`-style member, no task or description type, no literal that is a task's name, but
    /// for the lines listed above. Adding a task is its file plus its registry line.
    func testSourcesNameNoTaskOutsideItsFilesAndTheRegistry() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL.path
        let names = Set(TaskRegistry.all.map { $0.name })
        XCTAssertTrue(names.isSuperset(of: ["copy", "adding", "smnist", "psmnist", "sfmnist", "psfmnist", "nscifar10", "sequences"]))
        var types = Set(TaskRegistry.all.map { String(describing: $0) })
        types.formUnion(["CopyTask", "AddingTask", "ImageSequenceTask", "NoisyCIFARTask", "SequencesTask", "SequenceData"])
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root + "/Sources")!
        for case let relative as String in enumerator where relative.hasSuffix(".swift") {
            let path = "Sources/" + relative
            if path.hasPrefix("Sources/WaveTasks/") { continue }
            let text = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
            let raw = text.components(separatedBy: "\n")
            for (number, line) in codeLines(text).enumerated() {
                if allowedTaskMentions.contains(where: {
                    path.hasPrefix($0.file) && ($0.contains.isEmpty || raw[number].contains($0.contains))
                }) {
                    continue
                }
                for name in names where line.code.range(of: "\\.\(name)\\b", options: .regularExpression) != nil {
                    found.append("\(path):\(number + 1): .\(name)")
                }
                for type in types where line.code.range(of: "\\b\(type)\\b", options: .regularExpression) != nil {
                    found.append("\(path):\(number + 1): \(type)")
                }
                for literal in line.literals where names.contains(literal) { found.append("\(path):\(number + 1): \"\(literal)\"") }
            }
        }
        XCTAssertEqual(found, [], "tasks named outside their own files and the registry")
    }

    /// Each line's code with comments removed and string literals emptied, and the literals' texts.
    func codeLines(_ text: String) -> [(code: String, literals: [String])] {
        var lines: [(code: String, literals: [String])] = [("", [])]
        let chars = Array(text)
        var i = 0
        func emit(_ c: Character) {
            if c == "\n" { lines.append(("", [])) } else { lines[lines.count - 1].code.append(c) }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                i += 2
                while i + 1 < chars.count, !(chars[i] == "*" && chars[i + 1] == "/") { if chars[i] == "\n" { emit("\n") }; i += 1 }
                i += 2
                continue
            }
            if c == "\"" {
                let triple = i + 2 < chars.count && chars[i + 1] == "\"" && chars[i + 2] == "\""
                i += triple ? 3 : 1
                var literal = ""
                while i < chars.count {
                    if chars[i] == "\\" {
                        if i + 1 < chars.count { literal.append(chars[i + 1]); if chars[i + 1] == "\n" { emit("\n") } }
                        i += 2
                        continue
                    }
                    if triple, i + 2 < chars.count, chars[i] == "\"", chars[i + 1] == "\"", chars[i + 2] == "\"" { i += 3; break }
                    if !triple, chars[i] == "\"" { i += 1; break }
                    if chars[i] == "\n" { emit("\n") }
                    literal.append(chars[i])
                    i += 1
                }
                lines[lines.count - 1].code.append("\"\"")
                lines[lines.count - 1].literals.append(literal)
                continue
            }
            emit(c)
            i += 1
        }
        return lines
    }
}
