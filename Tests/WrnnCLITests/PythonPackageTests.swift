import Foundation
import WaveTestSupport
import XCTest

/// The Python package as the binary hands it out (`wrnn python`): the same files as python/, it
/// pip-installs into a fresh virtual environment, and its tests (numpy parts, against runs this
/// binary trains) pass from that copy.
final class PythonPackageTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func testThePackageTheBinaryWritesInstallsAndPasses() throws {
        let cwd = scratchDirectory()
        let written = try wrnn(["python", "--out", "pkg"], in: cwd)
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertEqual(written.stdout, "wrote pkg: the wrnn Python package (9 files); install it with: pip install ./pkg\n")
        for file in ["pyproject.toml", "README.md", "wrnn/__init__.py", "wrnn/runs.py", "wrnn/torch_models.py", "wrnn/check.py"] {
            XCTAssertEqual(
                FileManager.default.contents(atPath: cwd + "/pkg/" + file),
                FileManager.default.contents(atPath: Self.repository + "/python/" + file),
                "\(file) as in python/ (scripts/embed_python.py)")
        }
        let again = try wrnn(["python", "--out", "pkg"], in: cwd)
        XCTAssertEqual(again.status, 73)
        XCTAssertEqual(again.stderr, "wrnn: error: --out: pkg already exists and is not an empty directory; choose a new --out\n")

        // pip install into a fresh environment, offline: numpy and setuptools (which scripts/setup.sh
        // makes sure of) come from the system's site-packages
        let venv = try shell(
            "cd \(cwd) && python3 -m venv --system-site-packages --without-pip env && python3 -m pip --python env/bin/python install --quiet --no-build-isolation --no-deps ./pkg"
        )
        XCTAssertEqual(venv.status, 0, venv.stdout + venv.stderr)
        let imported = try shell("cd / && \(cwd)/env/bin/python -c 'import wrnn, os; print(os.path.dirname(wrnn.__file__))'")
        XCTAssertEqual(imported.stdout, "\(cwd)/env/lib/python3.\(try pythonMinor())/site-packages/wrnn\n", imported.stderr)

        let tests = try shell(
            "cd \(cwd) && WRNN_BIN='\(wrnnBinary.path)' env/bin/python -m unittest discover -s '\(Self.repository)/python/tests' 2>&1")
        XCTAssertEqual(tests.status, 0, tests.stdout)
        XCTAssertTrue(tests.stdout.contains("\nOK"), tests.stdout)
    }

    func pythonMinor() throws -> String {
        try shell("python3 -c 'import sys; print(sys.version_info.minor)'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
