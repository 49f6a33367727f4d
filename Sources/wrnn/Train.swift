import ArgumentParser
import Foundation
import WaveCore
import WaveModels
import WaveTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Train \(ModelRegistry.list(ModelRegistry.all.map { $0.label }, conjunction: "or")) on the copy, adding or a sequential-image task.",
        discussion: """
            Writes config.json, metrics.jsonl, checkpoint.bin (and checkpoint.prev.bin, best.bin) and summary.json \
            into the run directory. --resume RUN_DIR continues a stopped run exactly.
            """)

    @OptionGroup(title: "Task") var taskOptions: TaskOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Optimisation") var optimizerOptions: OptimizerOptions
    @OptionGroup(title: "Run") var runOptions: RunOptions

    /// Every option as given; `TrainOptions` checks and resolves them (the one place that does).
    var options: TrainOptions {
        var o = TrainOptions()
        o.task = taskOptions.task; o.t = taskOptions.t; o.copyLayout = taskOptions.copyLayout
        o.dataDirectory = taskOptions.dataDir; o.permutation = taskOptions.permutation; o.freshNoise = taskOptions.freshNoise
        o.dataFile = taskOptions.dataFile; o.normalize = taskOptions.normalize; o.maskValue = taskOptions.maskValue
        o.model = modelOptions.model; o.modelOptions = modelOptions.values
        let p = optimizerOptions
        o.learningRate = p.lr; o.clip = p.clip; o.batchSize = p.batchSize; o.steps = p.steps; o.epochs = p.epochs
        o.schedule = p.schedule; o.lrFactor = p.lrFactor; o.lrEvery = p.lrEvery; o.lrGamma = p.lrGamma; o.patience = p.patience
        o.epochSteps = p.epochSteps; o.trainingProtocol = p.trainingProtocol
        let r = runOptions
        o.seed = r.seed; o.threads = r.threads; o.evalEvery = r.evalEvery; o.checkpointEvery = r.checkpointEvery
        o.testSize = r.testSize; o.initFrom = r.initFrom; o.keepDenormals = r.keepDenormals
        o.validationSize = r.validationSize
        o.label = RunLabel(name: r.name, tags: r.tag.isEmpty ? nil : r.tag, notes: r.notes)
        o.ranks = Processes.group.size
        return o
    }

    /// A new run's options are checked whole here, so a bad one stops before anything is made
    /// (exit 64); --resume's are compared with the saved run once it is read.
    func validate() throws {
        guard runOptions.resume == nil else { return }
        // a usage error is reported with the usage; a data file's (65, 66) by run(), with its own code
        do { _ = try options.resolve() } catch let error as WrnnError where error.exitCode == 64 {
            throw ValidationError(error.message)
        } catch {}
    }

    var config: TrainConfig {
        get throws { try options.resolve() }
    }

    func run() throws {
        StopRequest.install()
        // over MPI: every rank must be about to train the same run, on the same kernels and build
        let group = Processes.group
        if group.size > 1 {
            let resolved = runOptions.resume == nil ? try self.config : nil
            try RankAgreement.check(
                RankAgreement.fingerprint(config: resolved, arguments: Array(CommandLine.arguments.dropFirst())), group: group)
        }
        if let resume = runOptions.resume {
            _ = try TrainSession.resume(resume, options: options, quiet: runOptions.quiet)
            return
        }
        // after every option is checked, before anything is made: an existing directory is 73 (rank 0 makes it)
        if let out = runOptions.out, Processes.group.isLead { try RunDirectory.requireAbsent(out) }
        let config = try self.config
        let path = runOptions.out ?? defaultRunPath("\(config.task.kind.rawValue)-\(config.model.kind.rawValue)")
        _ = try TrainSession.start(config, path: path, quiet: runOptions.quiet)
    }
}
