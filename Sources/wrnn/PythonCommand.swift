import ArgumentParser
import Foundation
import WaveCore

/// `wrnn python --out DIR`: the Python package (python/ in the sources) written out from the
/// binary, so a user without the source tree can `pip install DIR`.
struct PythonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "python",
        abstract: "Write the wrnn Python package (load runs, metrics and weights; PyTorch models of runs) into a directory to pip install.",
        discussion: """
            The package needs numpy; pandas and torch are used when installed. In Python: \
            wrnn.load_run(DIR), wrnn.load_weights(DIR), wrnn.torch_module(DIR), wrnn.run("train", ...); \
            python3 -m wrnn.check RUN_DIR compares the PyTorch module with wrnn eval's outputs.
            """)

    @Option(help: "Directory to write the package into (must not exist, or be empty).")
    var out: String = "wrnn-python"

    func run() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty == true else {
                throw WrnnError("--out: \(out) already exists and is not an empty directory; choose a new --out", exitCode: 73)
            }
        }
        for (path, text) in embeddedPythonPackage {
            let file = out + "/" + path
            try makeDirectories((file as NSString).deletingLastPathComponent)
            try writeAtomically(Array(text.utf8), to: file)
        }
        // a bare name would be looked up on PyPI: pip needs a path
        let installable = out.contains("/") ? out : "./" + out
        print("wrote \(out): the wrnn Python package (\(embeddedPythonPackage.count) files); install it with: pip install \(installable)")
    }
}
