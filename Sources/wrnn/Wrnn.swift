import WaveKernels
import ArgumentParser
import Foundation
import WaveMPI
import WaveCore
import WaveTraining
import WaveSweep
import WaveAnalysis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Wrnn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrnn",
        abstract: "Wave-RNN (Keller et al., ICLR 2024): train wave RNNs and their baselines on CPU, compare them and show the waves.",
        discussion: """
            Exit codes: 0 success, 3 training diverged (NaN/Inf; last good checkpoint kept), \
            64 usage or configuration error (options, sweep files, YAML), 65 malformed data (a corrupt \
            checkpoint, data file or run file), 66 missing or unreadable input (also a directory, FIFO or \
            device given as a file), 69 Slurm refused a job (or, over MPI, a peer rank is gone), 70 internal error (please report it), \
            73 output cannot be created, 74 I/O error, 75 run directory in use, \
            129/130/143/152 stopped by SIGHUP/SIGINT/SIGTERM/SIGXCPU (checkpoint saved; --resume continues).
            """,
        version: WrnnVersion.text,
        subcommands: [
            Train.self, Demo.self, Eval.self, Analyze.self, Probe.self, Report.self, Curves.self, Figure2Command.self, Export.self,
            DataCommand.self,
            Bench.self, Sweep.self, Results.self, Fidelity.self, PythonCommand.self
        ],
        defaultSubcommand: nil)

    /// Parses, runs, and turns every failure into one line on stderr and its exit code.
    static func main() {
        // line-buffered even into a pipe, so header lines and progress lines keep their order
        setvbuf(stdout, nil, _IOLBF, 0)
        // a file-size limit (ulimit -f) makes write(2) fail with EFBIG, reported as an I/O error (74)
        // with nothing lost, instead of killing the process with SIGXFSZ
        signal(SIGXFSZ, SIG_IGN)
        // a reader that went away (`wrnn ... | head -1`) makes writes fail with EPIPE instead of ending
        // the process: training goes on and stops, when asked, with its checkpoint
        signal(SIGPIPE, SIG_IGN)
        BLASSetup.prepare()
        // every run (train, demo, sweep workers) shows its hidden state in TensorBoard at each evaluation
        Trainer.spaceTimeImage = liveSpaceTimeImage
        do {
            // under mpirun or srun with several tasks, train and bench join the job; other commands refuse
            try MPIGroup.join(command: CommandLine.arguments.dropFirst().first ?? "", allowed: ["train", "bench"])
            // `train --config FILE` reads the file's options in first; the command line's override them
            var command = try parseAsRoot(try TrainConfigFile.expand(Array(CommandLine.arguments.dropFirst())))
            try command.run()
            Processes.group.finish()
        } catch let error as WrnnError {
            fail(error.message, code: error.exitCode, everyRank: error.everyRank)
        } catch let error as SweepError {
            fail(error.message, code: 64) // a sweep file or grid option that cannot be used
        } catch let error as DecodingError {
            fail("malformed data: \(decodingReason(error))", code: 65)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            // never 1: an error no class above names is an I/O failure from Foundation (74) or a
            // fault of this program (70, EX_SOFTWARE), which a script can tell from bad input
            let nsError = error as NSError
            let foundation = nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain
            fail(message(for: error), code: code.rawValue == 1 ? (foundation ? 74 : 70) : code.rawValue)
        }
    }

    /// One line, always: a multi-line message (ArgumentParser lists long sets of choices one per
    /// line) is folded into "first line a, b, c".
    static func fail(_ message: String, code: Int32, everyRank: Bool = false) -> Never {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var line = lines.first ?? message
        let items = lines.dropFirst().map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : $0 }
        if !items.isEmpty { line += " " + items.joined(separator: ", ") }
        line += hint(for: line)
        let group = Processes.group
        guard group.size > 1 else {
            writeStandard("wrnn: error: \(line)\n", error: true)
            Foundation.exit(code)
        }
        // over MPI: divergence and a stop signal reach every rank at the same step, and each ends by
        // itself (rank 0 says why); any other error is this rank's alone and ends the whole job
        if group.isLead || !(everyRank || code == 3 || code == 64 || WrnnError.stopCodes.contains(code)) {
            writeStandard("wrnn: error: \(group.isLead ? "" : "rank \(group.rank): ")\(line)\n", error: true)
        }
        if everyRank || code == 3 || WrnnError.stopCodes.contains(code) {
            group.finish()
            Foundation.exit(code)
        }
        group.abort(code)
    }

}

/// What ArgumentParser's own messages leave out: the closest choice to an unknown value, and the
/// range of a number it could not read.
func hint(for line: String) -> String {
    guard let value = line.firstMatch(of: #/The value '([^']*)' is invalid for '(--[a-z-]+)/#) else { return "" }
    let given = String(value.output.1), option = String(value.output.2)
    if option == "--seed" { return "; a seed is an integer from 0 to \(UInt64.max)" }
    guard let list = line.range(of: "Please provide one of") else { return "" }
    let choices = line[list.upperBound...].split(whereSeparator: { ", '.:".contains($0) })
        .map(String.init).filter { !$0.isEmpty && !["the", "following", "or"].contains($0) }
    return closest(given, choices).map { "; did you mean '\($0)'?" } ?? ""
}
