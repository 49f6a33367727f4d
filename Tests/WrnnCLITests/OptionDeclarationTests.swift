import Foundation
import WaveTraining
import XCTest

/// Every `wrnn train` option is declared once (`TrainOptionTable`): its help, its range and message,
/// its sweep key. `demo` is two train runs resolved by the same checks.
final class OptionDeclarationTests: XCTestCase {
    /// The help `wrnn train --help` prints for an option is its declaration's.
    func testHelpComesFromTheDeclaration() throws {
        let dump = try wrnn(["train", "--experimental-dump-help"])
        let root = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as! [String: Any]
        let arguments = (root["command"] as! [String: Any])["arguments"] as! [[String: Any]]
        var checked = 0
        for argument in arguments {
            guard let names = argument["names"] as? [[String: String]], let abstract = argument["abstract"] as? String else { continue }
            let name = names.first { $0["kind"] == "long" || $0["name"] == "T" }?["name"]
            guard let name, !["help", "version"].contains(name) else { continue }
            XCTAssertEqual(abstract, TrainOptionTable.help(name), name)
            checked += 1
        }
        XCTAssertEqual(checked, TrainOptionTable.all.count)
    }

    /// A bad value gets one message, the same from `train`, `demo` and a sweep file.
    func testDemoAndTrainRefuseWithTheSameMessage() throws {
        let cwd = scratchDirectory()
        for (option, value, message) in [
            ("--lr", "nan", "--lr must be a finite number > 0 (got nan)"),
            ("--clip", "-1", "--clip must be a finite number >= 0 (0 turns clipping off) (got -1.0)"),
            ("--steps", "0", "--steps must be a positive integer (got 0)"),
            ("--threads", "0", "--threads must be a positive integer (got 0)"),
            ("--delay", "-3", "--delay must be a non-negative integer (got -3)")
        ] {
            for command in ["train", "demo"] {
                let r = try wrnn([command, option, value], in: cwd)
                XCTAssertEqual(r.status, 64, "\(command) \(option)")
                XCTAssertEqual(r.stderr, "wrnn: error: \(message)\n", "\(command) \(option)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cwd), [])
        // a sweep point with such a value is recorded as invalid with the same line
        let sweep = "name: bad\nparameters:\n  task: {value: copy}\n  lr: {value: -1}\n  steps: {value: 5}\n"
        FileManager.default.createFile(atPath: cwd + "/bad.yml", contents: Data(sweep.utf8))
        let plan = try wrnn(["sweep", "bad.yml", "--dry-run"], in: cwd)
        XCTAssertTrue(plan.stdout.contains("--lr must be a finite number > 0 (got -1.0)"), plan.stdout + plan.stderr)
    }
}
