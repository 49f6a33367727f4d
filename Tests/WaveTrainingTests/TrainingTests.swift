import WaveKernels
import Foundation
import XCTest
import WaveCore
import WaveModels
import WaveTasks
import WaveTraining
import WaveData

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "wrnn-tests-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The adding task at T = 20 with a wRNN of 4 rings of 20 that solves it within a few hundred steps.
func smallAddingConfig(steps: Int) -> TrainConfig {
    var config = Preset.train(task: TaskConfig(kind: .adding, t: 20), kind: .wrnn)
    config.model.channels = 4
    config.model.ringSize = 20
    config.steps = steps
    config.batchSize = 64
    config.testSize = 256
    config.evalEvery = 50
    config.learningRate = 3e-3
    return config
}

func smallCopyConfig(kind: ModelKind = .wrnn, steps: Int = 300, seed: UInt64 = 1, threads: Int = 2) -> TrainConfig {
    let task = TaskConfig(kind: .copy, t: 5)
    var config = Preset.train(task: task, kind: kind)
    config.model.ringSize = kind == .wrnn ? 16 : 64
    if kind == .wrnn { config.model.channels = 4 }
    config.batchSize = 32
    config.steps = steps
    config.learningRate = 3e-3
    config.seed = seed
    config.threads = threads
    config.evalEvery = 100
    config.checkpointEvery = 100
    config.testSize = 200
    return config
}

final class TrainingTests: XCTestCase {
    /// A short seeded copy-task run must learn: from ln(10) = 2.30 at init to below 0.5
    /// (guessing the digits with perfect blanks scores about 0.83), recalling most digits.
    func testShortCopyRunFallsBelowTheFloor() throws {
        let trainer = Trainer(config: smallCopyConfig())
        let before = trainer.evaluate()
        XCTAssertEqual(before.loss, log(10.0), accuracy: 0.3)
        let summary = try trainer.run(directory: nil, progress: Progress(quiet: true))
        XCTAssertLessThan(summary.testLoss, 0.5)
        XCTAssertGreaterThan(summary.recallAccuracy ?? 0, 0.5)
        XCTAssertEqual(summary.steps, 300)
    }

    /// Same seed and thread count: bitwise-identical weights and metrics.
    func testSameSeedGivesIdenticalMetrics() throws {
        func run() throws -> ([Float], [String]) {
            let dir = temporaryDirectory() + "/run"
            let directory = try RunDirectory.create(dir)
            let trainer = Trainer(config: smallCopyConfig(steps: 60, seed: 7))
            _ = try trainer.run(directory: directory, progress: Progress(quiet: true))
            let lines = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8)
                .split(separator: "\n").map { line in
                    // everything but the wall-clock time
                    String(line).replacingOccurrences(of: #","wall_time":[0-9.e+-]+"#, with: "", options: .regularExpression)
                }
            return (trainer.params.array, lines)
        }
        let (a, metricsA) = try run()
        let (b, metricsB) = try run()
        XCTAssertEqual(a, b)
        XCTAssertEqual(metricsA, metricsB)
        XCTAssertEqual(metricsA.count, 1 + 1) // step 0 and step 60 (eval every 100, plus the last step)
        let other = Trainer(config: smallCopyConfig(steps: 60, seed: 8))
        _ = try other.run(directory: nil, progress: Progress(quiet: true))
        XCTAssertNotEqual(other.params.array, a, "another seed gives other weights")
    }

    func testGradientClippingByGlobalNorm() {
        let grads = Buffer<Float>([3, 4, 0])
        XCTAssertEqual(clipGradientNorm(grads, maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(grads.array[0], 3 / (5 + 1e-6), accuracy: 1e-6)
        XCTAssertEqual(grads.array[1], 4 / (5 + 1e-6), accuracy: 1e-6)
        let small = Buffer<Float>([0.3, 0.4])
        clipGradientNorm(small, maxNorm: 1)
        XCTAssertEqual(small.array, [0.3, 0.4], "below the limit: untouched")
        let off = Buffer<Float>([30, 40])
        XCTAssertEqual(clipGradientNorm(off, maxNorm: 0), 50, accuracy: 1e-4)
        XCTAssertEqual(off.array, [30, 40], "0 turns clipping off")
    }

    func testAdamLeavesFrozenTensorsAlone() {
        let params = Buffer<Float>([1, 1, 1, 1]), grads = Buffer<Float>([1, 1, 1, 1])
        let adam = Adam(count: 4, learningRate: 0.1, frozen: [1..<3])
        adam.update(params: params, grads: grads)
        XCTAssertEqual(params.array[1], 1)
        XCTAssertEqual(params.array[2], 1)
        XCTAssertEqual(params.array[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(params.array[3], 0.9, accuracy: 1e-6)
    }

    /// The checkpoint names the optimiser and its state arrays; one written before they were named
    /// (no names in its header: Adam's m and v) still resumes to the same state, and the state is
    /// found by name, whatever the order.
    func testCheckpointStoresTheOptimiserStateByNameAndOldOnesLoad() throws {
        let trainer = Trainer(config: smallCopyConfig(steps: 5))
        _ = try trainer.run(directory: nil, progress: Progress(quiet: true))
        let checkpoint = trainer.checkpoint()
        XCTAssertEqual(checkpoint.header.optimizer, "adam")
        XCTAssertEqual(checkpoint.header.optimizerState, ["m", "v"])
        let adam = try XCTUnwrap(trainer.optimizer as? Adam)
        XCTAssertEqual(checkpoint.state(named: "v"), adam.v.array)
        // the same file as an older version wrote it: no names
        var old = checkpoint
        old.header.optimizer = nil
        old.header.optimizerState = nil
        let bytes = try old.encoded()
        XCTAssertFalse(String(decoding: bytes.prefix(4096), as: UTF8.self).contains("optimizerState"))
        let loaded = try Checkpoint.decode(bytes, path: "old.bin")
        XCTAssertEqual(loaded.m, adam.m.array)
        XCTAssertEqual(loaded.v, adam.v.array)
        let resumed = Trainer(config: trainer.config)
        try resumed.restore(from: loaded)
        XCTAssertEqual(resumed.checkpoint().state, checkpoint.state)
        // names in another order are found by name
        var swapped = checkpoint
        swapped.header.optimizerState = ["v", "m"]
        swapped.state = [checkpoint.state[1], checkpoint.state[0]]
        let again = Trainer(config: trainer.config)
        try again.restore(from: try Checkpoint.decode(try swapped.encoded(), path: "swapped.bin"))
        XCTAssertEqual(again.checkpoint().state, checkpoint.state)
        // an optimiser this version does not know is refused with one line
        var unknown = checkpoint
        unknown.header.optimizer = "sgd"
        XCTAssertThrowsError(try Checkpoint.decode(try unknown.encoded(), path: "sgd.bin")) { error in
            XCTAssertEqual(
                (error as? WrnnError)?.message,
                "checkpoint sgd.bin is corrupt: it holds optimiser 'sgd' with state [\"m\", \"v\"]; this version knows adam with m and v")
        }
    }

    func testCheckpointRoundTripAndCorruption() throws {
        let dir = temporaryDirectory()
        let trainer = Trainer(config: smallCopyConfig(steps: 5))
        _ = try trainer.run(directory: nil, progress: Progress(quiet: true))
        let path = dir + "/checkpoint.bin"
        try trainer.checkpoint().write(to: path)
        let loaded = try Checkpoint.read(from: path)
        XCTAssertEqual(loaded.params, trainer.params.array)
        XCTAssertEqual(loaded.header.step, 5)
        XCTAssertEqual(loaded.header.adamStep, 5)
        XCTAssertEqual(loaded.header.config, trainer.config)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/.checkpoint.bin.tmp-\(getpid())"), "no temporary left")

        var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        bytes[bytes.count / 2] ^= 0xFF
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        XCTAssertThrowsError(try Checkpoint.read(from: path)) { error in
            let e = error as! WrnnError
            XCTAssertEqual(e.exitCode, 65)
            XCTAssertEqual(e.message, "checkpoint \(path) is corrupt: CRC mismatch (damaged file)")
        }
        FileManager.default.createFile(atPath: path, contents: Data(bytes[0..<100]))
        XCTAssertThrowsError(try Checkpoint.read(from: path)) { XCTAssertEqual(($0 as! WrnnError).exitCode, 65) }
        // cut after the header: the message gives both sizes
        FileManager.default.createFile(atPath: path, contents: Data(bytes[0..<(bytes.count - 10)]))
        XCTAssertThrowsError(try Checkpoint.read(from: path)) {
            XCTAssertEqual(
                ($0 as! WrnnError).message,
                "checkpoint \(path) is corrupt: truncated: expected \(bytes.count) bytes, found \(bytes.count - 10)")
        }
        FileManager.default.createFile(atPath: path, contents: Data("hello".utf8))
        XCTAssertThrowsError(try Checkpoint.read(from: path)) {
            XCTAssertEqual(($0 as! WrnnError).message, "checkpoint \(path) is corrupt: not a WaveRNN checkpoint (bad magic)")
        }
        XCTAssertThrowsError(try Checkpoint.read(from: dir + "/missing.bin")) { XCTAssertEqual(($0 as! WrnnError).exitCode, 66) }
    }

    func testCRC32KnownValue() {
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { crc32($0) }, 0xCBF4_3926)
    }

    /// A run whose loss turns NaN/Inf stops at that step with exit code 3 and keeps a checkpoint
    /// of the last good weights: those of the last finite loss, the step before the failing one's.
    func testDivergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
        var config = Preset.train(task: TaskConfig(kind: .adding, t: 50), kind: .irnn)
        config.learningRate = 1e6
        config.clip = 0
        config.steps = 100
        config.batchSize = 16
        config.testSize = 16
        config.evalEvery = 10
        let dir = temporaryDirectory() + "/run"
        let directory = try RunDirectory.create(dir)
        let trainer = Trainer(config: config)
        XCTAssertThrowsError(try trainer.run(directory: directory, progress: Progress(quiet: true))) { error in
            let e = error as! WrnnError
            XCTAssertEqual(e.exitCode, 3)
            XCTAssertTrue(e.message.hasPrefix("training diverged at step \(trainer.step + 2) (learning rate 1e+06): "), e.message)
            XCTAssertTrue(
                e.message.contains("kept the last good checkpoint (step \(trainer.step), the weights of the last finite loss)"), e.message)
        }
        XCTAssertLessThan(trainer.step, 100)
        let kept = try Checkpoint.read(from: dir + "/checkpoint.bin")
        XCTAssertEqual(kept.header.step, trainer.step)
        XCTAssertTrue(kept.params.allSatisfy(\.isFinite))
        // the kept weights are a good state: evaluated, they give a finite loss
        let again = Trainer(config: config)
        try again.restore(from: kept)
        XCTAssertTrue(again.evaluate().loss.isFinite)
    }

    func testAddingTaskRecordsWhenItIsSolved() throws {
        let config = smallAddingConfig(steps: 400)
        let summary = try Trainer(config: config).run(directory: nil, progress: Progress(quiet: true))
        XCTAssertLessThan(summary.testLoss, AddingTask.solvedThreshold)
        let solved = try XCTUnwrap(summary.solvedAt)
        XCTAssertEqual(solved % 50, 0)
    }

    /// The FLOP count bench reports: 3 x the forward pass's recurrence and readout, 2 x its
    /// encoder (no gradient for the data), for the wRNN and the LSTM; frozen weights lose their
    /// weight gradient.
    func testTrainingFlops() {
        let wave = Preset.model(task: TaskConfig(kind: .copy, t: 30), kind: .wrnn)
        let recurrence: Double = 2 * 6 * 6 * 3 * 100, encoder: Double = 2 * 10 * 600, readout: Double = 2 * 600 * 10
        XCTAssertEqual(
            trainingFlops(model: wave, length: 50, batch: 128),
            128 * (50 * (3 * recurrence + 2 * encoder) + 50 * 3 * readout))
        var lstm = Preset.model(task: TaskConfig(kind: .smnist), kind: .lstm)
        lstm.inputSize = 3
        let n = Double(lstm.units), gates = 4 * n, out = Double(lstm.outputSize)
        XCTAssertEqual(
            trainingFlops(model: lstm, length: 7, batch: 5),
            5 * (7 * (3 * 2 * gates * n + 2 * 2 * gates * 3) + 3 * 2 * n * out))
        var frozen = wave
        frozen.freezeRecurrent = true
        frozen.freezeEncoder = true
        XCTAssertEqual(
            trainingFlops(model: frozen, length: 50, batch: 128),
            128 * (50 * (2 * recurrence + encoder) + 50 * 3 * readout))
    }
}

final class ImageTrainingTests: XCTestCase {
    /// Real data: a small wRNN on sequential Fashion-MNIST (Debian's package) for 300 steps must
    /// clearly beat chance (10%); it reaches about 50%.
    func testSmallWaveRNNOnSequentialFashionMNISTBeatsChance() throws {
        var config = Preset.train(task: TaskConfig(kind: .sfmnist), kind: .wrnn)
        config.model.ringSize = 64
        config.model.channels = 4
        config.batchSize = 32
        config.steps = 300
        config.learningRate = 1e-3
        config.clip = 1
        config.evalEvery = 300
        config.testSize = 500
        config.seed = 1
        let trainer = try Trainer(checkedConfig: config)
        let summary = try trainer.run(directory: nil, progress: Progress(quiet: true))
        XCTAssertGreaterThan(summary.testAccuracy ?? 0, 0.3)
        XCTAssertGreaterThan(summary.bestValidationAccuracy ?? 0, 0.3)
        XCTAssertNotNil(summary.testAccuracyAtBestValidation)
    }
}

final class ScheduleTests: XCTestCase {
    func testScheduleFormulas() {
        let step = Schedule(kind: .step, factor: 10, every: 40)
        XCTAssertEqual(step.rate(base: 1e-3, step: 39 * 100, steps: 12_000, epochSteps: 100), 1e-3)
        XCTAssertEqual(step.rate(base: 1e-3, step: 40 * 100, steps: 12_000, epochSteps: 100), 1e-4, accuracy: 1e-15)
        XCTAssertEqual(step.rate(base: 1e-3, step: 80 * 100, steps: 12_000, epochSteps: 100), 1e-5, accuracy: 1e-15)
        let cosine = Schedule(kind: .cosine)
        XCTAssertEqual(cosine.rate(base: 2, step: 0, steps: 100, epochSteps: 10), 2)
        XCTAssertEqual(cosine.rate(base: 2, step: 50, steps: 100, epochSteps: 10), 1, accuracy: 1e-12)
        XCTAssertEqual(cosine.rate(base: 2, step: 100, steps: 100, epochSteps: 10), 0, accuracy: 1e-12)
        let exponential = Schedule(kind: .exponential, gamma: 0.97)
        XCTAssertEqual(exponential.rate(base: 1, step: 250, steps: 1000, epochSteps: 100), 0.97 * 0.97, accuracy: 1e-12)
        // one-cycle: torch.optim.lr_scheduler.OneCycleLR(max_lr=1, total_steps=1000) stepped after
        // every update, read off PyTorch 2.13: (rate, Adam's beta1) for the update after k steps
        let cycle = Schedule(kind: .onecycle)
        let pytorch: [(Int, Double, Double)] = [
            (0, 0.040000000000000036, 0.95), (1, 0.04002649504216782, 0.9499972400997742),
            (150, 0.5225216681225469, 0.8997373262372347), (299, 1.0, 0.85), (300, 0.9999949645161447, 0.8500005035503997),
            (650, 0.49775802175648615, 0.9002243987219463), (999, 4e-06, 0.95)
        ]
        for (k, rate, beta1) in pytorch {
            XCTAssertEqual(cycle.rate(base: 1, step: k, steps: 1000, epochSteps: 100), rate, accuracy: 1e-12 * max(rate, 1e-3), "step \(k)")
            XCTAssertEqual(cycle.momentum(step: k, steps: 1000)!, beta1, accuracy: 1e-12, "step \(k)")
        }
        XCTAssertNil(step.momentum(step: 5, steps: 10), "only one-cycle cycles beta1")
    }

    func testReduceOnPlateau() {
        var config = smallCopyConfig(steps: 1)
        config.learningRate = 1e-2
        config.schedule = Schedule(kind: .plateau, factor: 10, patience: 2)
        let trainer = Trainer(config: config)
        trainer.updatePlateau(validationAccuracy: 0.5, testLoss: 1)
        trainer.updatePlateau(validationAccuracy: 0.4, testLoss: 1)
        trainer.updatePlateau(validationAccuracy: 0.5, testLoss: 1)
        XCTAssertEqual(trainer.currentLearningRate, 1e-2, "two evaluations without improvement are within patience")
        trainer.updatePlateau(validationAccuracy: 0.45, testLoss: 1)
        XCTAssertEqual(trainer.currentLearningRate, 1e-3, accuracy: 1e-15)
        trainer.updatePlateau(validationAccuracy: 0.6, testLoss: 1)
        XCTAssertEqual(trainer.checkpoint().header.loop?.plateauRate ?? 0, 1e-3, accuracy: 1e-15, "saved for exact resume")
    }

    /// psMNIST_task.py's ReduceLROnPlateau(factor 1/10, patience 5, cooldown 5) in mode 'min', stepped
    /// with the validation accuracy: the rates PyTorch 2.13 set after each of these accuracies.
    func testAuthorsPlateauIsPyTorchsModeMinOnAccuracy() {
        var config = smallCopyConfig(steps: 1)
        config.learningRate = 1
        config.trainingProtocol = .authors
        config.schedule = Schedule(kind: .plateau, factor: 10, patience: 5)
        let trainer = Trainer(config: config)
        let accuracies: [Double] = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 100, 100, 90, 80, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95]
        let pytorch = [
            1.0, 1, 1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01
        ]
        for (accuracy, rate) in zip(accuracies, pytorch) {
            trainer.updatePlateau(validationAccuracy: accuracy / 100, testLoss: 1)
            XCTAssertEqual(trainer.currentLearningRate, rate, accuracy: 1e-12 * rate)
        }
    }
}

final class AuthorsProtocolTests: XCTestCase {
    /// The copy script backpropagates mean CE / batch: the same batch gives 1/B of the gradient, so a
    /// clip that cuts wrnn's gradient leaves theirs alone.
    func testCopyBackpropagatesTheMeanDividedByTheBatch() {
        var ours = smallCopyConfig(steps: 1, threads: 1)
        ours.clip = 0
        var theirs = ours
        theirs.trainingProtocol = .authors
        XCTAssertEqual(theirs.gradientScale, 1.0 / 32)
        let a = Trainer(config: ours), b = Trainer(config: theirs)
        let batch = a.task.makeBatch(count: 32)
        var rng = RandomStream(seed: 3)
        a.task.fill(batch, rng: &rng)
        let (lossA, normA) = a.optimise(on: batch)
        let (lossB, normB) = b.optimise(on: batch)
        XCTAssertEqual(lossA, lossB, "the reported loss is the plain mean under both")
        XCTAssertEqual(normB, normA / 32, accuracy: 1e-6 * normA)
    }

    /// Their loops log after update i + 1 when i % log_interval == 0; the copy script skips i = 0,
    /// and neither evaluates after the last update unless it is such a step.
    func testEvaluationStepsAreTheScriptsLogSteps() {
        var copy = smallCopyConfig(steps: 10)
        copy.evalEvery = 3
        XCTAssertEqual((0...10).filter(copy.evaluates(after:)), [3, 6, 9, 10], "wrnn: multiples of --eval-every and the end")
        copy.trainingProtocol = .authors
        XCTAssertEqual((0...10).filter(copy.evaluates(after:)), [4, 7, 10])
        var adding = copy
        adding.task = TaskConfig(kind: .adding, t: 10)
        adding.steps = 9
        XCTAssertEqual((0...9).filter(adding.evaluates(after:)), [1, 4, 7])
    }

    /// Fresh test sequences at every evaluation, from a stream the checkpoint carries: a run stopped
    /// and resumed gives bitwise the metrics of one that was not.
    func testFreshTestSetsResumeExactly() throws {
        var config = smallCopyConfig(steps: 8, threads: 1)
        config.trainingProtocol = .authors
        config.testSize = 50
        config.evalEvery = 2
        let whole = Trainer(config: config)
        _ = try whole.run(directory: nil, progress: Progress(quiet: true))
        let stream = whole.checkpoint().header.loop?.testStream

        var half = config
        half.steps = 4
        let stopped = Trainer(config: half)
        _ = try stopped.run(directory: nil, progress: Progress(quiet: true))
        let resumed = Trainer(config: config)
        try resumed.restore(from: stopped.checkpoint())
        let summary = try resumed.run(directory: nil, progress: Progress(quiet: true))
        XCTAssertEqual(resumed.params.array, whole.params.array)
        XCTAssertEqual(resumed.checkpoint().header.loop?.testStream, stream)
        XCTAssertEqual(summary.testLossPerBatch, summary.testLoss / 50, "the copy figure is the mean CE / batch_test")
        let first = whole.evaluate().loss
        whole.drawTestSet()
        XCTAssertNotEqual(whole.evaluate().loss, first, "each evaluation draws new sequences")
    }

    /// adding_task.py: solved at the first log step whose training-batch loss is <= 0.05, as iteration i.
    func testAddingIsSolvedByTheLoggedTrainingLoss() throws {
        var config = smallAddingConfig(steps: 401)
        config.trainingProtocol = .authors
        let scratch = NSTemporaryDirectory() + "wrnn-authors-adding-\(UUID().uuidString)"
        let run = try RunDirectory.create(scratch)
        let summary = try Trainer(config: config).run(directory: run, progress: Progress(quiet: true))
        let solved = try XCTUnwrap(summary.solvedAt)
        XCTAssertEqual(solved % 50, 0, "an iteration index i with i % log_interval == 0")
        let rows = try String(contentsOfFile: scratch + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0.utf8)) }
        XCTAssertEqual(rows.map(\.step), [0, 1, 51, 101, 151, 201, 251, 301, 351, 401])
        let first = try XCTUnwrap(rows.first { $0.solvedAt != nil })
        XCTAssertEqual(first.step, solved + 1, "logged after update i + 1")
    }
}

final class PartialBatchTests: XCTestCase {
    /// The authors' sMNIST loader keeps each epoch's last, partial batch; training takes it as a
    /// smaller step and a run resumed mid-epoch is still bitwise an uninterrupted one.
    func testKeptPartialBatchTrainsAndResumesExactly() throws {
        let set = ImageSet(
            count: 60, height: 2, width: 3, images: (0..<360).map { UInt8(($0 * 37) % 256) },
            labels: (0..<60).map { UInt8($0 % 10) })
        let task = ImageSequenceTask(name: "smnist", train: set, test: set, seed: 6, permutation: nil, keepPartialBatch: true)
        XCTAssertEqual(task.stepsPerEpoch(batchSize: 4), 14, "54 training images: 13 batches of 4 and one of 2")
        var config = Preset.train(task: TaskConfig(kind: .smnist), kind: .wrnn)
        config.task.keepPartialBatch = true
        config.trainingProtocol = .authors
        config.model = ModelConfig(kind: .wrnn, inputSize: 1, outputSize: 10, ringSize: 6, channels: 2, readoutTiming: .last)
        config.batchSize = 4
        config.learningRate = 1e-2
        config.evalEvery = 14
        config.testSize = 8
        config.seed = 6
        config.steps = 30
        try assertResumeIsExact(config, task: task, stoppingAfter: 13) // mid-epoch, before the partial batch
        var kept = TaskConfig(kind: .smnist)
        XCTAssertEqual(kept.epochSteps(batchSize: 128), 445)
        kept.keepPartialBatch = true
        XCTAssertEqual(kept.epochSteps(batchSize: 128), 446)
    }
}

final class ImageResumeTests: XCTestCase {
    /// An image task stopped mid-epoch and resumed from its checkpoint gives bitwise the weights
    /// of an uninterrupted run, across several epochs (each epoch's order depends on seed and epoch).
    func testResumeMidEpochIsExact() throws {
        let set = ImageSet(
            count: 60, height: 2, width: 3, images: (0..<360).map { UInt8(($0 * 37) % 256) },
            labels: (0..<60).map { UInt8($0 % 10) })
        let task = ImageSequenceTask(name: "smnist", train: set, test: set, seed: 6, permutation: nil)
        var config = Preset.train(task: TaskConfig(kind: .smnist), kind: .wrnn)
        config.model = ModelConfig(kind: .wrnn, inputSize: 1, outputSize: 10, ringSize: 6, channels: 2, readoutTiming: .last)
        config.batchSize = 4 // 54 training images: 13 steps per epoch
        config.learningRate = 1e-2
        config.schedule = Schedule(kind: .step, factor: 2, every: 1) // epoch-based: independent of the total
        config.evalEvery = 5
        config.testSize = 8
        config.seed = 6
        config.steps = 40
        try assertResumeIsExact(config, task: task, stoppingAfter: 17) // mid-epoch (epoch 1, step 4)
    }
}

/// A run stopped after `stop` steps, written to a checkpoint file and resumed, ends with bitwise the
/// weights of the same run made in one go.
func assertResumeIsExact(
    _ config: TrainConfig, task: any SequenceTask, stoppingAfter stop: Int,
    file: StaticString = #filePath, line: UInt = #line
) throws {
    let whole = Trainer(config: config, task: task)
    _ = try whole.run(directory: nil, progress: Progress(quiet: true))
    var first = config
    first.steps = stop
    let part = Trainer(config: first, task: task)
    _ = try part.run(directory: nil, progress: Progress(quiet: true))
    let saved = try Checkpoint.read(
        from: {
            let p = temporaryDirectory() + "/c.bin"; try part.checkpoint().write(to: p); return p
        }())
    let resumed = Trainer(config: config, task: task)
    try resumed.restore(from: saved)
    _ = try resumed.run(directory: nil, progress: Progress(quiet: true))
    XCTAssertEqual(resumed.params.array, whole.params.array, file: file, line: line)
    XCTAssertEqual(resumed.step, config.steps, file: file, line: line)
}
