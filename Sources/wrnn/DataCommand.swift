import ArgumentParser
import Foundation
import WaveCore
import WaveData

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Download and check the data sets (MNIST, Fashion-MNIST, CIFAR-10).",
        subcommands: [Fetch.self, Verify.self])

    static var names: String { DataCatalogEntry.all.map(\.name).joined(separator: ", ") }

    static func entry(_ name: String) throws -> DataCatalogEntry {
        guard let entry = DataCatalogEntry.named(name) else {
            throw ValidationError("unknown data set '\(name)'; choose from \(names)")
        }
        return entry
    }

    /// The data directory: --data-dir, then $WRNN_DATA, then ./data.
    static func root(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["WRNN_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a data set from its public mirrors (with fallbacks) and check the published checksums.")
        @Argument(help: "mnist, fashion-mnist or cifar10.")
        var name: String
        @Option(help: "Where to put it (default: $WRNN_DATA, then ./data).")
        var dataDir: String?
        @Option(help: "Use this base URL (http, https or file) instead of the built-in mirrors.")
        var mirror: String?

        func validate() throws { _ = try DataCommand.entry(name) }

        func run() throws {
            let entry = try DataCommand.entry(name)
            let mirrors = mirror.map { [$0.hasSuffix("/") ? $0 : $0 + "/"] } ?? entry.mirrors
            for line in try fetchDataSet(entry, root: DataCommand.root(dataDir), mirrors: mirrors) { print(line) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check data sets already on disk: checksums where published, and every record's structure.")
        @Argument(help: "Data sets to check (default: every one that is found).")
        var names: [String] = []
        @Option(help: "Data directory (default: $WRNN_DATA, then ./data).")
        var dataDir: String?

        func validate() throws { for name in names { _ = try DataCommand.entry(name) } }

        func run() throws {
            let chosen = names.isEmpty ? DataCatalogEntry.all.map(\.name) : names
            var checked = 0
            for name in chosen {
                do {
                    try verify(name)
                    checked += 1
                } catch let error as WrnnError where error.exitCode == 66 && names.isEmpty {
                    print("\(name): not found (\(error.message))")
                }
            }
            if checked == 0 && names.isEmpty { throw WrnnError.missing("no data set found; fetch one with `wrnn data fetch NAME`") }
        }

        func verify(_ name: String) throws {
            let entry = try DataCommand.entry(name)
            for line in try verifyDataSet(entry, dataDirectory: dataDir, root: DataCommand.root(dataDir)) { print(line) }
        }
    }
}
