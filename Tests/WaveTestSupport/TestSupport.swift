import Foundation
import XCTest

/// What every test target shares: closeness of arrays, running a process, and missing prerequisites.

/// A prerequisite a test needs (a tool, root, a Slurm node) that is missing: the test fails with
/// `why`, which names how to provide it (`make test` runs the set-up that provides all of them). It
/// never skips, so a suite without its prerequisites cannot pass by checking less.
public struct PrerequisiteMissing: Error {}

public func require(_ condition: Bool, _ why: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard !condition else { return }
    XCTFail("missing prerequisite: " + why, file: file, line: line)
    throw PrerequisiteMissing()
}

/// Every element of `a` within `tolerance` of `b`'s, relative to max(1, |b|).
public func assertClose<T: BinaryFloatingPoint>(
    _ a: [T], _ b: [T], _ tolerance: Double, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "lengths differ; " + message, file: file, line: line)
    var worst = 0.0, at = -1
    for (k, (x, y)) in zip(a, b).enumerated() {
        let error = abs(Double(x) - Double(y)) / max(1, abs(Double(y)))
        if !(error <= worst) { worst = error; at = k }
    }
    if !(worst <= tolerance) {
        XCTFail("element \(at): \(a[at]) vs \(b[at]), relative error \(worst) > \(tolerance); " + message, file: file, line: line)
    }
}

/// A finished process: its exit status and both streams.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` with `arguments` to the end: in `directory` if given, with `environment`
/// merged over this process's (a nil value removes the variable) or, with `replacing`, instead of it.
public func runProcess(
    _ executable: URL, _ arguments: [String], in directory: String? = nil,
    environment: [String: String?] = [:], replacing: Bool = false
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if !environment.isEmpty || replacing {
        var merged = replacing ? [:] : ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
    }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // both pipes drained together, so a child that fills one while we wait on the other cannot stall
    final class Drained: @unchecked Sendable { var data = Data() }
    let stderr = Drained()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        stderr.data = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr.data, as: UTF8.self))
}

/// A bash command line, with its exit status and both streams.
public func shell(_ command: String, environment: [String: String?] = [:], replacing: Bool = false) throws -> ProcessResult {
    try runProcess(URL(fileURLWithPath: "/bin/bash"), ["-c", command], environment: environment, replacing: replacing)
}
