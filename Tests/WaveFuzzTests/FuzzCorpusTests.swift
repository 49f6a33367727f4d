import XCTest
import WaveFuzz

/// The fuzzers' kept inputs, replayed through the same readers in every test run: seeds are real
/// files and must be accepted; every crash a fuzzer found is kept as crash-* and must now be
/// refused with an error (a trap would end this test process).
final class FuzzCorpusTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz").path

    func files(_ target: FuzzTarget) throws -> [String] {
        let directory = Self.corpus + "/" + target.corpusName
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { directory + "/" + $0 }
    }

    func testEveryTargetHasRealSeedsThatAreAccepted() throws {
        for target in FuzzTarget.allCases {
            let seeds = try files(target).filter { ($0 as NSString).lastPathComponent.hasPrefix("seed-") }
            XCTAssertFalse(seeds.isEmpty, "\(target): no seed files")
            for seed in seeds {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: seed)))
                XCTAssertTrue(target.run(bytes), "\(seed)")
            }
        }
    }

    func testCrashesFoundByTheFuzzersAreRefused() throws {
        var count = 0
        for target in FuzzTarget.allCases {
            for crash in try files(target) where (crash as NSString).lastPathComponent.hasPrefix("crash-") {
                XCTAssertFalse(target.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: crash)))), crash)
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0, "the kept crashes are missing")
    }
}
