import WaveKernels
import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished (or stopped) run reports.
public struct TrainSummary: Codable, Equatable, Sendable {
    public var task: String
    public var model: String
    public var parameters: Int
    public var steps: Int
    public var trainLoss: Double
    public var testLoss: Double
    public var testLossPerBatch: Double?
    public var recallAccuracy: Double?
    public var solvedAt: Int?
    /// Classification: test accuracy at the end, and at the evaluation with the best validation accuracy.
    public var testAccuracy: Double?
    public var bestValidationAccuracy: Double?
    public var testAccuracyAtBestValidation: Double?
    /// Regression with a validation split: the lowest validation loss, and the test loss at that evaluation.
    public var bestValidationLoss: Double?
    public var testLossAtBestValidation: Double?
    public var stepsPerSecond: Double
    public var seconds: Double
    public var diverged: Bool
    public var notes: [String]?
    /// "complete", or "diverged" (then `steps` is the last good step and the numbers are its last evaluation's).
    public var status: String?

    enum CodingKeys: String, CodingKey {
        case task, model, parameters, steps, seconds, diverged, notes, status
        case trainLoss = "train_loss", testLoss = "test_loss", testLossPerBatch = "test_loss_per_batch"
        case recallAccuracy = "recall_accuracy", solvedAt = "solved_at", stepsPerSecond = "steps_per_second"
        case testAccuracy = "test_accuracy", bestValidationAccuracy = "best_validation_accuracy"
        case testAccuracyAtBestValidation = "test_accuracy_at_best_validation"
        case bestValidationLoss = "best_validation_loss", testLossAtBestValidation = "test_loss_at_best_validation"
    }
}

/// Test-set evaluation of the current parameters.
public struct Evaluation: Codable, Equatable, Sendable {
    public var loss: Double
    public var recallAccuracy: Double?
    /// Last-step classification accuracy.
    public var accuracy: Double?
}

/// The training loop, read straight through: draw a batch, forward and backward on every
/// core, clip, Adam, and every `evalEvery` steps evaluate on the fixed test set, log and
/// checkpoint. A NaN or Inf loss or gradient stops the run before it touches the weights.
public final class Trainer: @unchecked Sendable {
    public let config: TrainConfig
    public let task: any SequenceTask
    public let model: SequenceModel<Float>
    public let params: Buffer<Float>
    let grads: Buffer<Float>
    /// The optimiser (Adam); its state is what the checkpoint stores beside the weights.
    public let optimizer: any Optimizer
    let runner: BatchRunner<Float>
    /// The test batches every evaluation runs (the live space-time image reads its first sequence).
    public let testSet: [SequenceBatch<Float>]
    let validationSet: [SequenceBatch<Float>]?
    var dataStream: RandomStream
    /// The state whose training loss was the last finite one, and the one the current step started
    /// from: on divergence the run keeps the former, never weights that already gave NaN.
    var lastGood: TrainerState?
    var stepStart: TrainerState?
    public private(set) var step = 0
    var solvedAt: Int?
    /// Draws the current hidden state of a test sequence as a PNG (RGBA) for TensorBoard; set at
    /// start-up by the tool (the drawing lives above this layer). Nil: scalars only.
    nonisolated(unsafe) public static var spaceTimeImage: ((Trainer) throws -> (png: [UInt8], width: Int, height: Int)?)?
    var loop = LoopState()

    /// Fails (exit 65/66) when `config.initFrom` names a file that does not fit the model.
    public convenience init(checkedConfig config: TrainConfig) throws {
        try config.checkRanges()
        let task = try config.task.loadTask(seed: config.seed)
        try config.checkFits(task: task)
        self.init(config: config, task: task)
        if let path = config.initFrom {
            let (_, tensors) = try Safetensors.read(from: path)
            let values = try Safetensors.parameters(for: model.layout, from: tensors, path: path)
            // weights that already hold NaN or Inf cannot start a run: the first step would diverge
            if let bad = values.withUnsafeBufferPointer({
                firstNonFiniteTensor($0.baseAddress!, count: $0.count, tensors: model.layout.tensors)
            }) {
                throw WrnnError.data("--init-from \(path) holds a non-finite value (NaN or Inf) in \(bad); start from a good export")
            }
            params.pointer.update(from: values, count: values.count)
        }
    }

    /// For the copy and adding tasks, whose construction cannot fail.
    public convenience init(config: TrainConfig) {
        self.init(config: config, task: config.task.makeTask())
    }

    public init(config: TrainConfig, task: any SequenceTask) {
        self.config = config
        self.task = task
        // before the shard threads start: they take the mode of the thread that makes them
        FloatMode.flushSubnormals = config.keepDenormals != true
        FloatMode.apply()
        model = SequenceModel<Float>(config.model)
        var initStream = RandomStream(seed: config.seed, stream: 0)
        params = Buffer(config.model.initialParameters(&initStream, as: Float.self))
        grads = Buffer(zeros: params.count)
        optimizer = Adam(count: params.count, learningRate: config.learningRate, frozen: model.layout.frozenRanges(config.model))
        runner = BatchRunner(model: model, batch: config.batchSize, length: task.length, threads: config.threads, group: Processes.group)
        dataStream = RandomStream(seed: config.seed, stream: 1)
        testSet = task.evaluationBatches(count: config.testSize, batchSize: config.batchSize, seed: config.seed)
        validationSet = task.validationBatches(batchSize: config.batchSize, limit: config.validationSize)
        if drawsFreshTestSets { loop.testStream = RandomStream(seed: config.seed, stream: 2) }
    }

    /// The authors' copy and adding scripts test on new sequences at every evaluation.
    var drawsFreshTestSets: Bool { config.followsAuthors && testSet.count > 0 && task.testExamples == nil }

    /// Refills the test batches from the run's test stream (checkpointed, so a resume draws the same).
    public func drawTestSet() {
        guard drawsFreshTestSets, var stream = loop.testStream else { return }
        for batch in testSet { task.fill(batch, rng: &stream) }
        loop.testStream = stream
    }

    /// The batch an epoch's kept partial batch is drawn into (its size is the same every epoch).
    private var partialBatch: SequenceBatch<Float>?

    /// Bytes of the buffers training holds (parameters, gradients, Adam, workspaces).
    public var workspaceBytes: Int { params.bytes * 4 + runner.bytes }

    /// One optimisation step on a fresh batch; returns the loss and the gradient norm before clipping.
    public func trainStep(_ batch: SequenceBatch<Float>) -> (loss: Double, gradNorm: Double) {
        let rows = task.rows(step: step, batchSize: config.batchSize)
        var current = batch
        if rows != batch.batch {
            if partialBatch?.batch != rows { partialBatch = task.makeBatch(count: rows) }
            current = partialBatch!
        }
        task.fill(current, step: step, batchSize: config.batchSize, rng: &dataStream)
        return optimise(on: current)
    }

    /// Forward, backward, clip and Adam on a batch already filled; a non-finite loss or
    /// gradient leaves the weights untouched.
    /// Steps per epoch for schedules: a pass over the data, or `epochSteps` for synthetic tasks.
    var epochSteps: Int {
        task.stepsPerEpoch(batchSize: config.batchSize) ?? config.epochSteps ?? 1000
    }

    /// The rate for the next update.
    public var currentLearningRate: Double {
        let schedule = config.schedule ?? Schedule()
        if schedule.kind == .plateau { return loop.plateauRate ?? config.learningRate }
        return learningRate(afterSteps: step)
    }

    /// The scheduled rate for the update after `steps` updates (a plateau schedule's starting rate).
    public func learningRate(afterSteps steps: Int) -> Double {
        (config.schedule ?? Schedule()).rate(
            base: config.learningRate, step: scheduleStep(steps), steps: config.steps, epochSteps: epochSteps)
    }

    /// Where the schedule stands. The authors' psMNIST script steps its scheduler once per epoch: a
    /// cosine then changes at epoch starts only, and a one-cycle schedule built for epochs x
    /// steps-per-epoch steps advances one step per epoch.
    func scheduleStep(_ step: Int) -> Int {
        guard config.followsAuthors, config.task.kind.isDataSet, let kind = config.schedule?.kind else { return step }
        let epoch = step / max(epochSteps, 1)
        return kind == .onecycle ? epoch : epoch * epochSteps
    }

    /// Reduce-on-plateau bookkeeping after an evaluation (higher validation accuracy is better;
    /// lower test loss when there is no validation set).
    public func updatePlateau(validationAccuracy: Double?, testLoss: Double) {
        guard let schedule = config.schedule, schedule.kind == .plateau else { return }
        if config.followsAuthors {
            authorsPlateau(schedule, value: validationAccuracy ?? testLoss)
            return
        }
        let value = validationAccuracy ?? -testLoss
        if value > (loop.plateauBest ?? -.infinity) {
            loop.plateauBest = value
            loop.plateauWaiting = 0
        } else {
            loop.plateauWaiting += 1
            if loop.plateauWaiting > schedule.patience {
                loop.plateauRate = (loop.plateauRate ?? config.learningRate) / schedule.factor
                loop.plateauWaiting = 0
            }
        }
    }

    /// psMNIST_task.py's ReduceLROnPlateau(factor 1 / lr_drop_rate, patience 5, cooldown 5), left
    /// in PyTorch's default mode 'min' and stepped with the validation accuracy: an epoch counts as
    /// better only when the accuracy falls by more than 1e-4 of the best (relative), so while accuracy
    /// rises the rate drops every patience + 1 epochs, then rests for the cool-down.
    func authorsPlateau(_ schedule: Schedule, value: Double) {
        if value < (loop.plateauBest ?? .infinity) * (1 - 1e-4) {
            loop.plateauBest = value
            loop.plateauWaiting = 0
        } else {
            loop.plateauWaiting += 1
        }
        if loop.plateauCooldown > 0 {
            loop.plateauCooldown -= 1
            loop.plateauWaiting = 0
        }
        if loop.plateauWaiting > schedule.patience {
            let old = loop.plateauRate ?? config.learningRate, new = old / schedule.factor
            if old - new > 1e-8 { loop.plateauRate = new } // PyTorch's eps: rates closer than 1e-8 stay
            loop.plateauCooldown = 5
            loop.plateauWaiting = 0
        }
    }

    public func optimise(on batch: SequenceBatch<Float>) -> (loss: Double, gradNorm: Double) {
        let loss = runner.run(params: params, grads: grads, batch: batch, gradientScale: config.gradientScale)
        let norm = clipGradientNorm(grads, maxNorm: config.clip)
        if loss.isFinite && norm.isFinite {
            optimizer.learningRate = currentLearningRate
            if let momentum = config.schedule?.momentum(step: scheduleStep(step), steps: config.steps) { optimizer.setMomentum(momentum) }
            optimizer.update(params: params, grads: grads)
            step += 1
        }
        return (loss, norm)
    }

    public func evaluate() -> Evaluation { evaluate(testSet) }
    public func evaluateValidation() -> Evaluation? { validationSet.map { evaluate($0) } }

    public func evaluate(_ batches: [SequenceBatch<Float>]) -> Evaluation {
        var lossSum = 0.0, weight = 0.0, correct = 0.0, recallCount = 0.0, classified = 0, right = 0
        let readoutSteps = config.model.readoutTiming == .every ? config.task.length : 1
        let lastStepClasses = task.classAccuracy == .lastStep
        let everyStepClasses = task.classAccuracy == .everyStep && readoutSteps > 1
        // a stop request ends a long evaluation between batches (one process: ranks evaluate together)
        let interruptible = Processes.group.size == 1
        for batch in batches {
            if interruptible && StopRequest.signal != 0 { break }
            let normaliser = model.lossNormaliser(batch)
            lossSum += runner.run(params: params, grads: nil, batch: batch) * normaliser
            weight += normaliser
            if let recall = task.recallAccuracy(outputs: { self.runner.output(step: $0, row: $1) }, batch: batch) {
                correct += recall * Double(batch.batch)
                recallCount += Double(batch.batch)
            }
            if everyStepClasses, let targets = batch.classTargets {
                for step in 0..<batch.length {
                    for row in 0..<batch.batch where targets[step * batch.batch + row] >= 0 {
                        let z = runner.output(step: step, row: row)
                        var best = 0
                        for j in 1..<config.model.outputSize where z[j] > z[best] { best = j }
                        if Int32(best) == targets[step * batch.batch + row] { right += 1 }
                        classified += 1
                    }
                }
            }
            if lastStepClasses, let targets = batch.classTargets {
                // the last readout step's output against the last step's class (one per sequence, or repeated per step)
                let lastTargets = (targets.count / batch.batch - 1) * batch.batch
                for row in 0..<batch.batch {
                    let z = runner.output(step: readoutSteps - 1, row: row)
                    var best = 0
                    for j in 1..<config.model.outputSize where z[j] > z[best] { best = j }
                    if Int32(best) == targets[lastTargets + row] { right += 1 }
                    classified += 1
                }
            }
        }
        return Evaluation(
            loss: lossSum / weight, recallAccuracy: recallCount > 0 ? correct / recallCount : nil,
            accuracy: classified > 0 ? Double(right) / Double(classified) : nil)
    }

    public func checkpoint(elapsed: Double? = nil) -> Checkpoint {
        var state = loop
        if let elapsed { state.elapsed = elapsed }
        return Checkpoint(
            header: CheckpointHeader(
                config: config, step: step, adamStep: optimizer.step, dataStream: dataStream,
                tensors: model.layout.tensors, solvedAt: solvedAt, loop: state,
                optimizer: type(of: optimizer).name, optimizerState: optimizer.state.map(\.name)),
            params: params.array, state: optimizer.state.map(\.buffer.array))
    }

    /// The tensor holding the first NaN or infinity among the weights and the optimiser's state, or nil.
    public func nonFiniteTensor() -> String? {
        for (what, buffer) in [("weights", params)] + optimizer.state.map({ (Checkpoint.stateDescription($0.name), $0.buffer) }) {
            if let name = firstNonFiniteTensor(buffer.pointer, count: buffer.count, tensors: model.layout.tensors) {
                return "\(name) (\(what))"
            }
        }
        return nil
    }

    /// Copies the trainer's state into `into` (allocated once, then reused).
    func capture(into saved: inout TrainerState?) {
        if saved == nil { saved = TrainerState(count: params.count, stateBuffers: optimizer.state.count) }
        saved!.params.pointer.update(from: params.pointer, count: params.count)
        for (to, from) in zip(saved!.state, optimizer.state) { to.pointer.update(from: from.buffer.pointer, count: params.count) }
        saved!.optimizerStep = optimizer.step
        saved!.step = step
        saved!.dataStream = dataStream
        saved!.solvedAt = solvedAt
        saved!.loop = loop
    }

    func restore(_ saved: TrainerState) {
        params.pointer.update(from: saved.params.pointer, count: params.count)
        for (from, to) in zip(saved.state, optimizer.state) { to.buffer.pointer.update(from: from.pointer, count: params.count) }
        optimizer.step = saved.optimizerStep
        step = saved.step
        dataStream = saved.dataStream
        solvedAt = saved.solvedAt
        loop = saved.loop
    }

    /// Continues from `checkpoint` exactly: weights, the optimiser's state (by name), step, data stream
    /// and the loop's bookkeeping.
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.params.count == params.count, checkpoint.header.tensors == model.layout.tensors else {
            throw WrnnError.data("the checkpoint's tensors do not match this run's model")
        }
        guard checkpoint.header.optimizerName == type(of: optimizer).name else {
            throw WrnnError.data(
                "the checkpoint holds the state of optimiser '\(checkpoint.header.optimizerName)'; this run uses '\(type(of: optimizer).name)'"
            )
        }
        params.pointer.update(from: checkpoint.params, count: params.count)
        for (name, buffer) in optimizer.state {
            guard let values = checkpoint.state(named: name) else {
                throw WrnnError.data(
                    "the checkpoint has no optimiser state '\(name)' (it holds \(checkpoint.header.stateNames.joined(separator: ", ")))")
            }
            buffer.pointer.update(from: values, count: params.count)
        }
        optimizer.step = checkpoint.header.adamStep
        step = checkpoint.header.step
        dataStream = checkpoint.header.dataStream
        solvedAt = checkpoint.header.solvedAt
        loop = checkpoint.header.loop ?? LoopState()
    }

    /// Runs to `config.steps`, writing into `run` when given (a resumed trainer continues from its
    /// restored step). Throws `WrnnError` with exit code 3 when the loss or gradient turns NaN or
    /// Inf, and 130/143 after SIGINT/SIGTERM, in both cases with a checkpoint written.
    public func run(directory run: RunDirectory?, progress: Progress) throws -> TrainSummary {
        let start = Date()
        let elapsedBefore = loop.elapsed
        func elapsed() -> Double { elapsedBefore + Date().timeIntervalSince(start) }
        let batch = task.makeBatch(count: config.batchSize)
        var last = Evaluation(loss: .nan)
        let resumed = step > 0
        if let run { for artefact in task.artefacts { try artefact.write(run.file(artefact.name)) } }
        // TensorBoard's view of the run, appended at every evaluation (a resume starts a new file at its step)
        // it is a view, not the record: a log that cannot be written is said once and dropped, and the
        // run goes on (metrics.jsonl, written durably, holds every evaluation)
        var events: TensorBoardLog?
        func dropEvents(_ error: Error) {
            events = nil
            let reason = (error as? WrnnError)?.message ?? "\(error)"
            writeStandard(
                "wrnn: warning: \(reason); the run goes on without its TensorBoard log (metrics.jsonl has every evaluation)\n", error: true)
        }
        if let run {
            do { events = try TensorBoardLog(directory: run.path, resumedAt: resumed ? step : nil) } catch { dropEvents(error) }
        }
        var previousEvaluation: (step: Int, seconds: Double)?
        progress.evaluationsRemaining = { [config] in config.evaluationsRemaining(after: $0) }
        func saveCheckpoint() throws {
            try run.map {
                try checkpoint(elapsed: elapsed()).writeRotating(to: $0.file("checkpoint.bin"), previous: $0.file("checkpoint.prev.bin"))
            }
        }

        /// Evaluates and logs; false when a stop request cut the evaluation short (nothing is logged,
        /// the test stream is as before, and the checkpoint marks the evaluation as still due).
        @discardableResult
        func record(trainLoss: Double?) throws -> Bool {
            let evaluationStart = Date(), evaluationStarted = elapsed()
            let streamBefore = loop.testStream
            drawTestSet()
            let evaluation = evaluate()
            let validation = validationSet.map { evaluate($0) }
            if StopRequest.signal != 0 && Processes.group.size == 1 {
                loop.testStream = streamBefore
                loop.evaluationDue = true
                return false
            }
            loop.evaluationDue = nil
            last = evaluation
            loop.lastEvaluation = last
            if let accuracy = validation?.accuracy, accuracy > (loop.bestValidation ?? -1) {
                loop.bestValidation = accuracy
                loop.testAtBest = last.accuracy
                try run.map { try checkpoint(elapsed: elapsed()).write(to: $0.file("best.bin")) }
            } else if let validation, validation.accuracy == nil, validation.loss < (loop.bestValidationLoss ?? .infinity) {
                // regression: the lowest validation loss chooses
                loop.bestValidationLoss = validation.loss
                loop.testLossAtBest = last.loss
                try run.map { try checkpoint(elapsed: elapsed()).write(to: $0.file("best.bin")) }
            }
            if let threshold = task.solvedThreshold, solvedAt == nil {
                if config.followsAuthors {
                    // adding_task.py: `loss <= thresh` on the step's training batch, logged as iteration i = step - 1
                    if step > 0, loop.lastFiniteLoss <= threshold { solvedAt = step - 1 }
                } else if last.loss <= threshold {
                    solvedAt = step
                }
            }
            if step > 0 { updatePlateau(validationAccuracy: validation?.accuracy, testLoss: last.loss) }
            let metrics = MetricsRecord(
                step: step, trainLoss: trainLoss, testLoss: last.loss,
                testLossPerBatch: task.reportsLossPerBatch ? last.loss / config.copyFigureDivisor : nil,
                recallAccuracy: last.recallAccuracy, solvedAt: solvedAt, accuracy: last.accuracy,
                validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
                gradNorm: step > 0 ? loop.lastNorm : nil, learningRate: step > 0 ? optimizer.learningRate : nil, wallTime: elapsed())
            try run?.appendMetrics(metrics)
            if let log = events {
                // the training rate between evaluations, without the time the evaluations took
                let rate = previousEvaluation.map { Double(step - $0.step) / max(evaluationStarted - $0.seconds, 1e-9) }
                let wall = Date().timeIntervalSince1970
                var written = [
                    TensorBoardEvent(
                        wallTime: wall, step: step,
                        content: .scalars(TensorBoardLog.scalars(metrics, stepsPerSecond: step > 0 ? rate : nil)))
                ]
                if let image = try? Trainer.spaceTimeImage?(self) {
                    written.append(
                        TensorBoardEvent(
                            wallTime: wall, step: step,
                            content: .image(
                                tag: "hidden/space_time", png: image.png, width: image.width, height: image.height, colorspace: 4)))
                }
                do { try log.append(written) } catch { dropEvents(error) }
            }
            progress.logEvaluation(metrics, task: task, totalSteps: config.steps)
            progress.evaluated(step: step, seconds: Date().timeIntervalSince(evaluationStart))
            previousEvaluation = (step, elapsed())
            return true
        }
        func logged() throws -> Bool {
            let logged = try record(trainLoss: loop.stepsSinceLog > 0 ? loop.lossSinceLog / Double(loop.stepsSinceLog) : nil)
            if logged {
                loop.lossSinceLog = 0
                loop.stepsSinceLog = 0
            }
            return logged
        }
        /// Checkpoints and ends the run with 128 + the signal when one was received (on any rank).
        func stopIfRequested() throws {
            // every rank stops at the same step: the signal one of them (or all, from Slurm) received
            let group = Processes.group
            let signal = group.size > 1 ? group.maximum(StopRequest.signal) : StopRequest.signal
            guard signal != 0 else { return }
            try saveCheckpoint()
            progress.finish()
            let name = signal == SIGINT ? "SIGINT" : signal == SIGHUP ? "SIGHUP" : signal == SIGXCPU ? "SIGXCPU" : "SIGTERM"
            throw WrnnError(
                "stopped by \(name) after step \(step)\(run.map { "; checkpoint saved, continue with: wrnn train --resume \($0.path)" } ?? "")",
                exitCode: 128 + signal)
        }

        // an evaluation a stop request cut short is done first; a new run starts with one
        if loop.evaluationDue == true || !resumed { try logged() }
        try stopIfRequested()
        while step < config.steps {
            capture(into: &stepStart)
            let (loss, norm) = trainStep(batch)
            // the step started from weights that gave a finite loss: they are the last good ones
            if loss.isFinite && norm.isFinite { swap(&lastGood, &stepStart) }
            let broken = loss.isFinite && norm.isFinite ? nonFiniteTensor() : nil
            guard loss.isFinite && norm.isFinite && broken == nil else {
                // what failed, said before the state goes back to the last good one
                func text(_ x: Double) -> String { x.isNaN ? "NaN" : x > 0 ? "+Inf" : "-Inf" }
                let what =
                    !loss.isFinite
                    ? "loss \(text(loss))" : !norm.isFinite ? "gradient norm \(text(norm))" : "a non-finite value in \(broken!)"
                let failing = broken == nil ? step + 1 : step
                let lastFinite = broken == nil ? loop.lastFiniteLoss : loss
                let lastText = lastFinite.isNaN ? "none" : String(format: "%.6g", lastFinite)
                let rate = currentLearningRate
                // the weights that gave the last finite loss, not the ones the failing step started from
                var kept = "no good checkpoint exists: the weights it started from already fail"
                if let good = lastGood { restore(good) }
                if let run {
                    if lastGood != nil, nonFiniteTensor() == nil {
                        try saveCheckpoint()
                        kept =
                            "kept the last good checkpoint (step \(step), the weights of the last finite loss) at \(run.file("checkpoint.bin"))"
                    } else if let kept0 = try? Checkpoint.read(from: run.file("checkpoint.bin")) {
                        kept = "kept the last good checkpoint (step \(kept0.header.step)) at \(run.file("checkpoint.bin"))"
                    } else {
                        kept += "; train again with a lower --lr or a --clip (a new --out)"
                    }
                } else {
                    kept = "no checkpoint was written"
                }
                progress.finish()
                if let run {
                    // the record says so too: a diverged row in metrics.jsonl and a summary with its status
                    var row = MetricsRecord(
                        step: failing, trainLoss: nil, testLoss: last.loss, testLossPerBatch: nil, recallAccuracy: nil,
                        solvedAt: solvedAt, accuracy: nil, validationLoss: nil, validationAccuracy: nil,
                        gradNorm: nil, learningRate: rate, wallTime: elapsed())
                    row.diverged = true
                    row.divergence = what
                    try run.appendMetrics(row)
                    var summary = makeSummary(last: last, seconds: elapsed())
                    summary.diverged = true
                    summary.status = "diverged"
                    try run.writeJSON(summary, to: "summary.json")
                }
                throw WrnnError(
                    "training diverged at step \(failing) (learning rate \(String(format: "%g", rate))): \(what) (last finite loss \(lastText)); \(kept)",
                    exitCode: 3)
            }
            loop.lastFiniteLoss = loss
            loop.lastNorm = norm
            loop.lossSinceLog += loss
            loop.stepsSinceLog += 1
            progress.update(step: step, of: config.steps, loss: loss)
            if config.evaluates(after: step) { try logged() }
            if step % config.checkpointEvery == 0 || step == config.steps { try saveCheckpoint() }
            try stopIfRequested()
        }
        progress.finish()
        if resumed && last.loss.isNaN { last = loop.lastEvaluation ?? evaluate() }
        var summary = makeSummary(last: last, seconds: elapsed())
        summary.status = "complete"
        try run?.writeJSON(summary, to: "summary.json")
        return summary
    }

    func makeSummary(last: Evaluation, seconds: Double) -> TrainSummary {
        TrainSummary(
            task: task.name, model: config.model.kind.rawValue, parameters: params.count, steps: step,
            trainLoss: loop.lastFiniteLoss, testLoss: last.loss,
            testLossPerBatch: task.reportsLossPerBatch ? last.loss / config.copyFigureDivisor : nil,
            recallAccuracy: last.recallAccuracy, solvedAt: solvedAt, testAccuracy: last.accuracy,
            bestValidationAccuracy: loop.bestValidation, testAccuracyAtBestValidation: loop.testAtBest,
            bestValidationLoss: loop.bestValidationLoss, testLossAtBestValidation: loop.testLossAtBest,
            stepsPerSecond: Double(step) / max(seconds, 1e-9), seconds: seconds, diverged: false, notes: config.notes)
    }
}

/// A copy of everything a step changes, taken before it: what a diverged run goes back to.
struct TrainerState {
    let params: Buffer<Float>
    /// The optimiser's state buffers, in its order.
    let state: [Buffer<Float>]
    var optimizerStep = 0, step = 0
    var dataStream = RandomStream(seed: 0)
    var solvedAt: Int?
    var loop = LoopState()
    init(count: Int, stateBuffers: Int) {
        params = Buffer(zeros: count)
        state = (0..<stateBuffers).map { _ in Buffer(zeros: count) }
    }
}
