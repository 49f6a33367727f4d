import Foundation
import WaveTasks
import XCTest
import WaveSweep
import WaveTraining
import WaveTestSupport

final class SweepFileTests: XCTestCase {
    static let anchors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/anchors/authors-sweeps").path

    func load(_ name: String) throws -> SweepFile {
        let path = Self.anchors + "/" + name
        return try SweepFile.parse(try String(contentsOfFile: path, encoding: .utf8), source: path)
    }

    /// The eleven files read unchanged, with the grid sizes the anchors' README lists.
    func testAuthorsFilesExpandToTheirGridSizes() throws {
        let sizes = [
            "adding_sweep_rnn.yml": 75, "adding_sweep_wrnn.yml": 75, "copy_sweep_rnn.yml": 360, "copy_sweep_wrnn.yml": 45,
            "noisy_cifar10_sweep_rnn.yml": 12, "noisy_cifar10_sweep_wrnn.yml": 6, "psMNIST_sweep_convrnn.yml": 60,
            "psMNIST_sweep_rnn.yml": 60, "sMNIST_sweep_convrnn.yml": 2, "sMNIST_sweep_fc.yml": 16, "sMNIST_sweep_rnn.yml": 4
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.anchors).filter { $0.hasSuffix(".yml") }
        XCTAssertEqual(Set(files), Set(sizes.keys))
        for (name, size) in sizes {
            let file = try load(name)
            XCTAssertEqual(file.gridSize, size, name)
            XCTAssertEqual(try file.expand(seeds: [0, 1, 2]).count, 3 * size, name)
        }
    }

    /// `1e-3` (a string to a YAML 1.1 reader) keeps its text and means 0.001; the copy script's T is T'.
    func testCopyPointTranslatesToTheScriptLayout() throws {
        let points = try load("copy_sweep_wrnn.yml").expand(seeds: [0])
        let point = try XCTUnwrap(
            points.first { p in
                p.settings.contains(Setting(key: "lr", value: "1e-3")) && p.settings.contains(Setting(key: "T", value: "10"))
                    && p.settings.contains(Setting(key: "grad_clip", value: "1.0"))
            })
        XCTAssertEqual(
            point.train.arguments,
            [
                "--task", "copy", "--model", "wrnn", "--hidden-size", "100", "--channels", "6", "--kernel-size", "3",
                "--initialization", "shift", "--encoder-init", "sparse", "--activation", "relu", "--protocol", "authors",
                "--lr", "1e-3", "--clip", "1.0", "--batch-size", "128", "-T", "10", "--steps", "60000", "--eval-every", "100",
                "--test-size", "50", "--copy-layout", "script"
            ])
        XCTAssertEqual(point.name, "copy-wrnn_lr1e-3_T10_grad_clip1.0_s0")
    }

    /// Options a sweep leaves out take the script's defaults (sMNIST's act is tanh there), and the
    /// image scripts always drop the rate (step schedule).
    func testImageProgramsUseTheScriptsDefaults() throws {
        let fc = try load("sMNIST_sweep_fc.yml").expand(seeds: [0])[0]
        XCTAssertEqual(fc.train.value(of: "--model"), "fc")
        XCTAssertNil(fc.train.value(of: "--hidden-size"), "a linear fc readout has no width")
        XCTAssertEqual(fc.train.value(of: "--schedule"), "step")
        XCTAssertEqual(fc.train.notes.count, 1)
        let cifar = try load("noisy_cifar10_sweep_rnn.yml").expand(seeds: [0])[0]
        XCTAssertEqual(cifar.train.value(of: "--batch-size"), "256")
        XCTAssertEqual(
            cifar.train.value(of: "--encoder-init"), "pytorch", "the CIFAR iRNN file never applies solo_init: V keeps nn.Linear's default")
        XCTAssertEqual(cifar.train.value(of: "--protocol"), "authors")
        XCTAssertEqual(cifar.train.value(of: "--epochs"), "250")
        let rnn = try load("sMNIST_sweep_rnn.yml").expand(seeds: [0])[0]
        XCTAssertEqual(rnn.train.value(of: "--readout"), "mlp")
        XCTAssertEqual(rnn.train.value(of: "--activation"), "relu")
        XCTAssertEqual(
            rnn.train.value(of: "--encoder-init"), "pytorch", "the image iRNN files leave V at nn.Linear's default for solo_init no")
        let wave = try load("psMNIST_sweep_convrnn.yml").expand(seeds: [0])[0]
        XCTAssertEqual(wave.train.value(of: "--encoder-init"), "sparse")
        let copyIRNN = try load("copy_sweep_rnn.yml").expand(seeds: [0])[0]
        XCTAssertEqual(copyIRNN.train.value(of: "--encoder-init"), "normal", "the synthetic tasks' iRNN files draw V from N(0, 0.001^2)")
        let adding = try load("adding_sweep_rnn.yml").expand(seeds: [0])[0]
        XCTAssertEqual(adding.train.value(of: "--test-size"), "1000")
    }

    func testUnknownOptionsAndValuesNameTheClosestKnownOne() throws {
        let cases: [(String, String)] = [
            (
                "program: copy_task.py\nmethod: grid\nparameters:\n  n_hidd: {values: [100]}\n",
                "copy_task.py has no option 'n_hidd'; did you mean 'n_hid'?"
            ),
            (
                "program: copy_task.py\nmethod: grid\nparameters:\n  init: {values: [fwdd]}\n",
                "t.yml:4: init: 'fwdd' is not one of its values; did you mean 'fwd'?; choose from fwd, eye, rand"
            ),
            ("program: copy_task.py\nparameters:\n  lr: {values: [1e-3, 1e-3x]}\n", "t.yml:3: lr: '1e-3x' is not a number"),
            (
                "parameters:\n  task: {value: copy}\n  model: [wrnn,\n    irn]\n",
                "t.yml:4: model: 'irn' is not one of its values; did you mean 'irnn'?; choose from wrnn, irnn, lstm, gru, cornn, lem, fc, wrnn2d"
            ),
            ("parameters:\n  freeze-u: {value: maybe}\n", "t.yml:2: freeze-u: 'maybe' is not yes or no"),
            (
                "program: copy_tusk.py\nparameters:\n  lr: {value: 0.1}\n",
                "program 'copy_tusk.py' is not one of the authors' task scripts; did you mean 'copy_task.py'?; known: copy_task.py, adding_task.py, sMNIST_task.py, psMNIST_task.py, noisy_cifar10_task.py"
            ),
            (
                "parameters:\n  hiden-size: {value: 10}\n",
                "unknown option 'hiden-size'; did you mean 'hidden-size'? (a file without `program:` uses wrnn train's option names)"
            ),
            (
                "parameters:\n  seed: {values: [1, 2]}\n",
                "'seed' is set by wrnn sweep itself (use --seeds, --threads, --out, --keep-denormals); remove it from the grid"
            ),
            (
                "method: random\nparameters:\n  lr: {value: 0.1}\n",
                "t.yml: method 'random' is not supported; wrnn sweep expands grids (method: grid)"
            )
        ]
        for (yaml, message) in cases {
            XCTAssertThrowsError(try SweepFile.parse(yaml, source: "t.yml").expand(seeds: [0]), yaml) { error in
                XCTAssertEqual((error as? SweepError)?.message, message)
            }
        }
    }

    /// Several documents are one sweep: their union.
    func testDocumentsAreUnitedAndPresetsParse() throws {
        for preset in SweepPresets.all {
            let file = try SweepFile.parse(preset.yaml, source: preset.name)
            XCTAssertGreaterThan(file.gridSize, 0, preset.name)
            XCTAssertNoThrow(try file.expand(seeds: [0]), preset.name)
        }
        let table4 = try SweepFile.parse(SweepPresets.all.first { $0.name == "table4-cpu" }!.yaml, source: "table4-cpu")
        XCTAssertEqual(table4.gridSize, 14, "seven rows at two delays")
    }

    func testFiltersCompareNumbersAsNumbers() throws {
        let file = try load("adding_sweep_rnn.yml")
        let points = try file.expand(seeds: [0, 1])
        let filter = try GridFilter(parsing: "lr=0.001")
        XCTAssertEqual(points.filter(filter.matches).count, 50)
        XCTAssertEqual(points.filter(try GridFilter(parsing: "seed=1").matches).count, 75)
        XCTAssertThrowsError(try GridFilter(parsing: "lrr=1").check(against: file)) { error in
            XCTAssertEqual(
                (error as? SweepError)?.message,
                "--filter: the grid has no parameter 'lrr'; did you mean 'lr'?; its parameters: model_type, init, n_hid, lr, n_ch, ksize, act, max_steps, T, grad_clip, batch, is_sweep, log_interval, seed"
            )
        }
    }

    /// The run directory's hash ignores the thread count and nothing else.
    func testConfigurationHashIgnoresThreadsOnly() {
        var config = Preset.train(task: TaskConfig(kind: .copy, t: 10), kind: .wrnn)
        let hash = configurationHash(config)
        XCTAssertEqual(hash.count, 8)
        config.threads += 3
        XCTAssertEqual(configurationHash(config), hash)
        config.learningRate *= 2
        XCTAssertNotEqual(configurationHash(config), hash)
    }

    func testSlurmScriptRunsOneGridPointPerArrayTaskAndRequeuesAfterSIGTERM() {
        let script = SlurmScript(
            name: "g", runs: 12, executable: "/opt/wrnn", arguments: ["sweep", "/a b/g.yml", "--out", "/s"],
            workingDirectory: "/w", logDirectory: "/s/logs", cpusPerTask: 2, partition: "p", timeLimit: "1:00:00",
            maxParallel: 3
        ).text
        XCTAssertTrue(script.contains("#SBATCH --array=0-11%3\n"))
        XCTAssertTrue(script.contains("#SBATCH --requeue\n"))
        XCTAssertTrue(script.contains("#SBATCH --partition=p\n#SBATCH --time=1:00:00\n"))
        XCTAssertTrue(
            script.contains(
                "srun --ntasks=1 --cpus-per-task=2 \"$WRNN\" sweep '/a b/g.yml' --out /s --run-index \"$SLURM_ARRAY_TASK_ID\"\n"))
        // the binary is found on the node: $WRNN_BIN, else the path that wrote the script, else PATH, else exit 66
        XCTAssertTrue(script.contains("if [ -n \"${WRNN_BIN:-}\" ]; then WRNN=\"$WRNN_BIN\"; else\n    WRNN=/opt/wrnn\n"), script)
        XCTAssertTrue(script.contains("    exit 66\n"), script)
        XCTAssertTrue(script.contains("scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\""))
    }

    /// The script's search for the binary, run by bash up to the job step: WRNN_BIN first, then the
    /// path that wrote the script, then PATH; none of them ends the task with 66 and the node's name.
    func testSlurmTaskFindsItsBinaryOnTheNodeOrSaysWhy() throws {
        func search(executable: String, environment: [String: String]) throws -> (status: Int32, out: String, err: String) {
            let text = SlurmScript(
                name: "g", runs: 1, executable: executable, arguments: ["sweep"], workingDirectory: "/w", logDirectory: "/l",
                cpusPerTask: 1, partition: nil, timeLimit: nil, maxParallel: nil
            ).text
            let prefix = text.components(separatedBy: "srun ")[0] + "echo \"$WRNN\"\n"
            let result = try shell(prefix, environment: environment, replacing: true)
            return (result.status, result.stdout, result.stderr)
        }
        let noWrnn = ["PATH": "/usr/bin:/bin"]
        XCTAssertEqual(try search(executable: "/bin/true", environment: noWrnn).out, "/bin/true\n")
        XCTAssertEqual(
            try search(executable: "/nowhere/wrnn", environment: noWrnn.merging(["WRNN_BIN": "/bin/echo"]) { $1 }).out, "/bin/echo\n")
        let bin = NSTemporaryDirectory() + "wrnn-path-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/wrnn", withDestinationPath: "/bin/true")
        XCTAssertEqual(try search(executable: "/nowhere/wrnn", environment: ["PATH": bin + ":/usr/bin:/bin"]).out, bin + "/wrnn\n")
        let missing = try search(executable: "/nowhere/wrnn", environment: noWrnn)
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.err.hasPrefix("wrnn sweep: no wrnn binary on "), missing.err)
        XCTAssertTrue(
            missing.err.hasSuffix("(none found): build it on a filesystem every node mounts, set WRNN_BIN, or put wrnn on PATH\n"),
            missing.err)
    }
}
