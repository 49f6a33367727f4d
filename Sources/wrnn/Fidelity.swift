import ArgumentParser
import Foundation
import WaveCore
import WaveModels
import WaveSweep
import WaveTasks
import WaveTraining

/// `wrnn fidelity FIXTURE...`: proves that a grid point of the authors' sweep files trains what their
/// script trains. Each fixture (scripts/authors_steps.py) holds their initial weights, five batches,
/// and their weights after each of five steps. The grid point is resolved exactly as `wrnn sweep`
/// resolves it (their vocabulary, then `wrnn train`'s parser); wrnn's own initialisation of it must
/// draw every tensor as theirs does; from their weights and on their batches, wrnn's weights after
/// every step must equal theirs to float tolerance, and its schedule must give their rate every epoch.
struct Fidelity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check that wrnn trains what the authors' scripts train, step by step, against fixtures made by scripts/authors_steps.py.",
        discussion:
            "Exit 0 when every fixture agrees, 70 when one differs (each difference is printed), 64-66 when a fixture or sweep file cannot be read.",
        shouldDisplay: false)

    @Argument(help: "Fixtures (Tests/Fixtures/authors-steps/*_sweep_*.safetensors).")
    var fixtures: [String]
    @Option(help: "Directory of the authors' sweep files.")
    var sweeps: String = "../shared/anchors/authors-sweeps"
    @Option(help: "Also write wrnn's weights after every step, as FIXTURE-NAME.wrnn.safetensors in this directory (to study a difference).")
    var write: String?

    func run() throws {
        var differing: [String] = []
        let checker = AuthorsFidelity(sweeps: sweeps, write: write) { try Train.parse($0).config }
        for path in fixtures where try !checker.check(path) { differing.append(URL(fileURLWithPath: path).lastPathComponent) }
        if !differing.isEmpty {
            throw WrnnError(
                "\(differing.count) of \(fixtures.count) fixtures differ from the authors' scripts: \(differing.joined(separator: ", "))",
                exitCode: 70)
        }
    }
}
