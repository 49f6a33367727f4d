import Foundation
import XCTest
import WaveTestSupport

/// The built `wrnn` binary next to the test bundle.
var wrnnBinary: URL {
    #if os(macOS)
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("wrnn")
    }
    #endif
    return Bundle.main.bundleURL.appendingPathComponent("wrnn")
}

typealias Result = ProcessResult

extension XCTestCase {
    func wrnn(_ arguments: [String], in directory: String? = nil, environment: [String: String?] = [:]) throws -> Result {
        try runProcess(wrnnBinary, arguments, in: directory, environment: environment)
    }

    func shell(_ command: String) throws -> Result { try WaveTestSupport.shell(command) }

    func scratchDirectory() -> String {
        let path = NSTemporaryDirectory() + "wrnn-cli-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Metrics lines without the wall-clock time.
    func metricsWithoutTime(_ run: String) throws -> [String] {
        try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
            String($0).replacingOccurrences(of: #","wall_time":[0-9.e+-]+"#, with: "", options: .regularExpression)
        }
    }

    func startTraining(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = wrnnBinary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

}
