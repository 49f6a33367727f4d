import Foundation
import XCTest

/// The built `wrnn` binary next to the test bundle.
var wrnnBinary: URL {
    #if os(macOS)
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("wrnn")
    }
    #endif
    return Bundle.main.bundleURL.appendingPathComponent("wrnn")
}

struct Result { var status: Int32; var stdout: String; var stderr: String }

extension XCTestCase {
    func wrnn(_ arguments: [String], in directory: String? = nil, environment: [String: String?] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = wrnnBinary
        process.arguments = arguments
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (key, value) in environment { merged[key] = value }
            process.environment = merged
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A bash command line, with its exit status and both streams.
    func shell(_ command: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

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
