import ArgumentParser
import Foundation
import WaveCore
import WaveSweep
import WaveTraining

/// Which grid, which of its points, with which budget: what every process of one sweep shares.
struct SweepGridOptions: ParsableArguments {
    @Argument(help: "Sweep file (YAML). Not needed with --preset or --status.")
    var file: String?
    @Option(help: "Run a grid shipped with wrnn instead of a file (see --list-presets).")
    var preset: String?
    @Option(parsing: .unconditional, help: "Comma-separated seeds; every grid point runs once per seed.")
    var seeds: String = "0"
    @Option(help: "Only the grid points with this setting (key=value, the file's option names, or seed=N); repeatable.")
    var filter: [String] = []
    @Option(parsing: .unconditional, help: "At most this many runs (after --filter).")
    var limit: Int?
    @Option(parsing: .unconditional, help: "Refuse a grid of more runs than this before expanding it (default 100,000).")
    var maxRuns: Int = SweepFile.defaultMaximumRuns
    @Option(
        parsing: .unconditional, help: "Train every run for this many steps instead of the grid's budget (recorded in each run's config).")
    var steps: Int?
    @Option(
        parsing: .unconditional, help: "Train every run for this many epochs instead of the grid's budget (recorded in each run's config).")
    var epochs: Int?
    @Option(help: "Image tasks: directory with the data files (passed to every run).")
    var dataDir: String?
    @Flag(help: "Run failed (diverged) runs again, from scratch.")
    var retryFailed = false
    @Flag(help: "Keep subnormal floats in every run (see wrnn train --help).")
    var keepDenormals = false
    @Option(
        parsing: .unconditional,
        help:
            "MPI ranks per run: each run is launched over this many processes (srun --mpi=pmix in a Slurm job, else mpirun), --threads per rank. Default 1."
    )
    var ranksPerRun: Int = 1

    func validate() throws {
        try requirePositive(maxRuns, "--max-runs")
        for f in filter {
            do { _ = try GridFilter(parsing: f) } catch let error as SweepError { throw ValidationError(error.message) }
        }
        try requirePositive(limit, "--limit")
        try requirePositive(steps, "--steps")
        try requirePositive(epochs, "--epochs")
        try requirePositive(ranksPerRun, "--ranks-per-run")
        if steps != nil, epochs != nil { throw ValidationError("--steps and --epochs both set the budget; give one") }
        _ = try seedList()
    }

    func seedList() throws -> [UInt64] {
        let parts = seeds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { UInt64($0) }
        guard !parts.isEmpty, values.count == parts.count, Set(values).count == values.count else {
            throw ValidationError("--seeds takes distinct non-negative integers separated by commas (got '\(seeds)')")
        }
        return values
    }
}

/// Submitting the grid to Slurm as one job array.
struct SlurmOptions: ParsableArguments {
    @Flag(help: "Submit the grid to Slurm as one job array (sbatch) instead of running it here.")
    var slurm = false
    @Option(help: "Slurm partition.")
    var partition: String?
    @Option(help: "Slurm time limit per run (e.g. 24:00:00).")
    var time: String?
    @Option(parsing: .unconditional, help: "Slurm CPUs per run (also the runs' thread count). Default 2.")
    var cpusPerTask: Int?
    @Option(parsing: .unconditional, help: "Slurm: at most this many array tasks at once.")
    var maxParallel: Int?
    @Option(help: "Slurm account to charge (sbatch --account).")
    var account: String?
    @Option(help: "Slurm quality of service (sbatch --qos).")
    var qos: String?
    @Option(help: "Slurm memory per run, e.g. 8G (sbatch --mem).")
    var mem: String?
    @Option(help: "Slurm generic resources per run, e.g. gpu:1 (sbatch --gres).")
    var gres: String?

    func validate() throws {
        try requirePositive(cpusPerTask, "--cpus-per-task")
        try requirePositive(maxParallel, "--max-parallel")
        let given = [partition, time, account, qos, mem, gres].contains { $0 != nil } || cpusPerTask != nil || maxParallel != nil
        if !slurm, given {
            throw ValidationError(
                "--partition, --time, --cpus-per-task, --max-parallel, --account, --qos, --mem and --gres apply to --slurm only")
        }
        // each goes into an #SBATCH line: one word of the characters Slurm's values use
        for (flag, value) in [
            ("--partition", partition), ("--time", time), ("--account", account), ("--qos", qos), ("--mem", mem), ("--gres", gres)
        ] {
            guard let value else { continue }
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_.:,=+-/%"))
            guard !value.isEmpty, value.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
                throw ValidationError("\(flag) '\(value)' is not a Slurm value (letters, digits and _.:,=+-/% only)")
            }
        }
    }
}
