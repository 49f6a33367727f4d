import Foundation
import XCTest

/// Every cell in Sources/WaveModels/Cells has its Float specialisation on both walks of the
/// recurrent layer: a forgotten `@_specialize` line would not be wrong, only slower (the generic
/// entry point checks the type per call), so nothing else would notice.
final class SpecializationTests: XCTestCase {
    func testEveryCellIsSpecialisedOnBothWalks() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/WaveModels")
            .standardizedFileURL
        let cellFiles = try FileManager.default.contentsOfDirectory(atPath: sources.path + "/Cells").filter { $0.hasSuffix(".swift") }
        var cells: [String] = []
        for file in cellFiles {
            let text = try String(contentsOfFile: sources.path + "/Cells/" + file, encoding: .utf8)
            for match in text.matches(of: #/public struct (\w+)<T: Scalar>: (?:RecurrentCell|GatedCell)/#) {
                cells.append(String(match.output.1))
            }
        }
        XCTAssertTrue(
            Set(cells).isSuperset(of: ["WaveCell", "IdentityCell", "LSTMCell", "GRUCell", "CoRNNCell", "LEMCell"]),
            "the cells found: \(cells)")
        let layer = try String(contentsOfFile: sources.path + "/RecurrentLayer.swift", encoding: .utf8)
        for walk in ["func forward(", "func backward("] {
            // the attribute lines directly above each declaration of the walk (the layer's is the one with them)
            var specialised: Set<String> = []
            for at in layer.ranges(of: walk) {
                let above = layer[..<at.lowerBound].split(separator: "\n").reversed()
                    .drop { $0.trimmingCharacters(in: .whitespaces).isEmpty }.prefix { $0.contains("@_specialize") }
                specialised.formUnion(above.compactMap { $0.firstMatch(of: #/Cell == (\w+)<Float>/#).map { String($0.output.1) } })
            }
            for cell in cells {
                XCTAssertTrue(
                    specialised.contains(cell),
                    "RecurrentLayer.\(walk)...) has no @_specialize(exported:false,where Cell == \(cell)<Float>)")
            }
        }
    }
}
