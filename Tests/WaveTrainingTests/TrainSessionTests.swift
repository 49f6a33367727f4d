import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveTraining
import XCTest

/// Starting and resuming a run through the library, without the binary: the fallback to the previous
/// checkpoint when the newer one is damaged (set aside, never deleted), the refusal of a checkpoint
/// from another run, and a resume that continues exactly.
final class TrainSessionTests: XCTestCase {
    /// The project's small adding run, checkpointed and evaluated every 4 steps on one thread.
    func config(steps: Int) -> TrainConfig {
        var config = smallAddingConfig(steps: steps)
        config.evalEvery = 4
        config.checkpointEvery = 4
        config.threads = 1
        return config
    }

    func scratch() -> String { NSTemporaryDirectory() + "wrnn-session-\(UUID().uuidString)" }

    func testADamagedCheckpointFallsBackToThePreviousOneAndIsSetAside() throws {
        let path = scratch()
        _ = try TrainSession.start(config(steps: 8), path: path, quiet: true)
        // flip a byte in the middle of the newest checkpoint: its CRC no longer matches
        let newest = path + "/checkpoint.bin"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: newest))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: newest))
        let summary = try TrainSession.resume(path, changes: ResumeChanges(steps: 12), quiet: true)
        XCTAssertEqual(summary.steps, 12)
        XCTAssertEqual(FileManager.default.contents(atPath: path + "/checkpoint.bin.damaged"), bytes, "kept for inspection, byte for byte")

        // the same 12 steps without the interruption: the resumed run continued exactly (from step 4)
        let whole = scratch()
        let uninterrupted = try TrainSession.start(config(steps: 12), path: whole, quiet: true)
        XCTAssertEqual(summary.testLoss, uninterrupted.testLoss)
        XCTAssertEqual(summary.trainLoss, uninterrupted.trainLoss)
    }

    func testACheckpointFromAnotherRunIsRefused() throws {
        let one = scratch(), other = scratch()
        _ = try TrainSession.start(config(steps: 4), path: one, quiet: true)
        var changed = config(steps: 4)
        changed.learningRate *= 2
        _ = try TrainSession.start(changed, path: other, quiet: true)
        try FileManager.default.removeItem(atPath: one + "/checkpoint.bin")
        try FileManager.default.copyItem(atPath: other + "/checkpoint.bin", toPath: one + "/checkpoint.bin")
        XCTAssertThrowsError(try TrainSession.resume(one, changes: ResumeChanges(steps: 8), quiet: true)) { error in
            let e = error as? WrnnError
            XCTAssertEqual(e?.exitCode, 65)
            XCTAssertEqual(
                e?.message,
                "\(one)/checkpoint.bin was not written by the run in \(one) (its configuration differs from config.json); it cannot be resumed here"
            )
        }
    }

    func testOnlyTheAllowedFieldsAreIgnoredWhenComparingRuns() {
        var a = config(steps: 4), b = a
        b.steps = 100; b.evalEvery = 7; b.checkpointEvery = 9; b.threads = 2
        XCTAssertEqual(ResumeChanges.fixed(a), ResumeChanges.fixed(b))
        a.clip = 3
        XCTAssertNotEqual(ResumeChanges.fixed(a), ResumeChanges.fixed(b))
    }
}
