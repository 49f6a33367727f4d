import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveData

/// Learning-rate schedule (spec 4). Epochs are passes over the training split for image tasks
/// and `epochSteps` steps for the synthetic tasks.
///   step:        lr = base / factor^floor(epoch / every)
///   cosine:      lr = base (1 + cos(pi step / steps)) / 2
///   onecycle:    PyTorch's OneCycleLR defaults: from base/25 up to base until step 0.3 steps - 1,
///                then down to base/25/1e4 at step steps - 1, both halves cosine-shaped; Adam's
///                beta1 cycles the other way, 0.95 down to 0.85 and back (`momentum`)
///   plateau:     lr *= 1/factor after `patience` evaluations without a better validation accuracy
///                (test loss when there is no validation set)
///   exponential: lr = base gamma^epoch
public struct Schedule: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable { case constant, step, cosine, onecycle, plateau, exponential }
    public var kind: Kind = .constant
    public var factor = 10.0
    public var every = 40
    public var gamma = 0.97
    public var patience = 10
    public init(kind: Kind = .constant, factor: Double = 10, every: Int = 40, gamma: Double = 0.97, patience: Int = 10) {
        self.kind = kind; self.factor = factor; self.every = every; self.gamma = gamma; self.patience = patience
    }

    /// The rate for the update after `step` completed steps (plateau handled by the trainer).
    public func rate(base: Double, step: Int, steps: Int, epochSteps: Int) -> Double {
        let epoch = Double(step / max(epochSteps, 1))
        switch kind {
        case .constant, .plateau: return base
        case .step: return base / pow(factor, floor(epoch / Double(max(every, 1))))
        case .cosine: return base * (1 + cos(Double.pi * Double(step) / Double(max(steps, 1)))) / 2
        case .exponential: return base * pow(gamma, epoch)
        case .onecycle:
            let initial = base / 25
            return Self.oneCycle(step: step, steps: steps, rising: (initial, base), falling: (base, initial / 1e4))
        }
    }

    /// Adam's beta1 for the update after `step` steps: PyTorch's OneCycleLR cycles it (0.95 to 0.85
    /// while the rate rises, back while it falls); nil for every other schedule.
    public func momentum(step: Int, steps: Int) -> Double? {
        guard kind == .onecycle else { return nil }
        return Self.oneCycle(step: step, steps: steps, rising: (0.95, 0.85), falling: (0.85, 0.95))
    }

    /// torch.optim.lr_scheduler.OneCycleLR's two cosine phases: the first ends at step
    /// 0.3 total - 1, the second at total - 1 (and goes on past it, as PyTorch's does).
    static func oneCycle(step: Int, steps: Int, rising: (Double, Double), falling: (Double, Double)) -> Double {
        func anneal(_ from: Double, _ to: Double, _ fraction: Double) -> Double { to + (from - to) / 2 * (cos(Double.pi * fraction) + 1) }
        let s = Double(step), firstEnd = 0.3 * Double(steps) - 1, secondEnd = Double(steps) - 1
        if s <= firstEnd { return anneal(rising.0, rising.1, s / max(firstEnd, 1)) }
        return anneal(falling.0, falling.1, (s - firstEnd) / max(secondEnd - firstEnd, 1))
    }
}

/// Whose conventions a run follows where the authors' scripts and wrnn differ (docs/fidelity.md).
public enum TrainingProtocol: String, Codable, CaseIterable, Sendable {
    /// wrnn's: the plain mean loss is backpropagated; the test set is drawn once and fixed; the adding
    /// task is solved when the test MSE is <= 0.05; evaluations every `evalEvery` updates and at the end.
    case wrnn
    /// The authors' scripts': the copy task backpropagates mean CE / batch size (so clipping and Adam's
    /// eps see gradients that much smaller); copy and adding evaluate on `testSize` fresh sequences after
    /// update i + 1 whenever i % log_interval == 0 (copy: i > 0) and never at the end otherwise; the
    /// adding task is solved at iteration i when that step's training loss is <= 0.05; sMNIST (and
    /// sFMNIST) keep each epoch's last partial batch; psMNIST's schedulers step once per epoch.
    case authors
}

/// Everything a training run needs; saved as config.json in the run directory.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var task: TaskConfig
    public var model: ModelConfig
    public var learningRate: Double
    /// Global L2 norm the gradient is clipped to; 0 turns clipping off.
    public var clip: Double
    public var batchSize: Int
    public var steps: Int
    public var seed: UInt64
    public var threads: Int
    public var evalEvery: Int
    public var checkpointEvery: Int
    public var testSize: Int
    /// Initial weights from a safetensors file instead of the init scheme.
    public var initFrom: String?
    public var schedule: Schedule?
    /// Steps per epoch for the synthetic tasks' schedules (image tasks use their data's epoch).
    public var epochSteps: Int?
    /// Facts about this run that its numbers depend on and a reader must know (a sweep's budget
    /// override, an authors' copy layout without a paper T); printed and kept in summary.json.
    public var notes: [String]?
    /// Keep subnormal floats instead of flushing them to zero (`--keep-denormals`; nil: flush).
    public var keepDenormals: Bool?
    /// nil: wrnn's conventions.
    public var trainingProtocol: TrainingProtocol?
    /// Validation sequences evaluated (the first ones of the held-out split); nil: all.
    public var validationSize: Int?
    /// The researcher's name, tags and notes for the run (nil: none given).
    public var label: RunLabel?

    public var followsAuthors: Bool { trainingProtocol == .authors }

    /// "Adam lr 0.001, step schedule, clip off, batch 128, 53520 steps, seed 0" and, under the
    /// authors' protocol, ", authors' protocol": the optimisation a run header and a plan print.
    public var optimisationLine: String {
        "Adam lr \(learningRate)\(schedule.map { ", \($0.kind.rawValue) schedule" } ?? ""), clip \(clip == 0 ? "off" : String(clip)), "
            + "batch \(batchSize), \(counted(steps, "step")), seed \(seed)\(followsAuthors ? ", authors' protocol" : "")"
    }

    /// The factor on the mean loss that is backpropagated: the authors' copy script divides the mean
    /// cross-entropy by the batch size before `backward()`.
    public var gradientScale: Double { followsAuthors && task.authors.gradientPerBatch ? 1 / Double(batchSize) : 1 }

    /// Whether the run evaluates after `step` updates. The authors' synthetic-task scripts log inside
    /// the loop after update i + 1 when i % log_interval == 0 (the copy script skips i = 0), so their
    /// last evaluation is at i = 59,900 or 59,000, not after the last update.
    public func evaluates(after step: Int) -> Bool {
        guard step > 0 else { return false }
        if followsAuthors && !task.kind.isDataSet {
            let i = step - 1
            return i % evalEvery == 0 && !(task.authors.skipsFirstLog && i == 0)
        }
        return step % evalEvery == 0 || step == steps
    }

    /// How many evaluations the steps after `step` up to `steps` will make (for the ETA).
    public func evaluationsRemaining(after step: Int) -> Int {
        guard steps > step, evalEvery > 0 else { return 0 }
        if followsAuthors && !task.kind.isDataSet {
            // i = s - 1 for s in step+1 ... steps: multiples of evalEvery in [step, steps - 1]
            func multiples(upTo i: Int) -> Int { i < 0 ? 0 : i / evalEvery + 1 }
            var count = multiples(upTo: steps - 1) - multiples(upTo: step - 1)
            if task.authors.skipsFirstLog && step == 0 { count -= 1 }
            return max(count, 0)
        }
        let multiples = steps / evalEvery - step / evalEvery
        return multiples + (steps % evalEvery == 0 ? 0 : 1)
    }

    /// The copy task's figure as the authors' script reports it (and the paper prints it): the mean
    /// cross-entropy over the test sequences divided by the test batch's size, `batch_test` = 50. Under
    /// wrnn's conventions the mean comes from the fixed test set and is divided by the same 50, so the
    /// two protocols' figures are on one scale.
    public var copyFigureDivisor: Double { followsAuthors ? Double(testSize) : Double(task.authors.testSize ?? 1) }

    public init(
        task: TaskConfig, model: ModelConfig, learningRate: Double, clip: Double, batchSize: Int, steps: Int,
        seed: UInt64, threads: Int, evalEvery: Int, checkpointEvery: Int, testSize: Int
    ) {
        self.task = task
        self.model = model
        self.learningRate = learningRate
        self.clip = clip
        self.batchSize = batchSize
        self.steps = steps
        self.seed = seed
        self.threads = threads
        self.evalEvery = evalEvery
        self.checkpointEvery = checkpointEvery
        self.testSize = testSize
    }
}

/// The paper's settings per experiment, as plain values (spec 3.1, 3.2): the task's recipe, with
/// what each model's own preset changes (its description in Sources/WaveModels/Cells).
public enum Preset {
    /// The model's paper configuration for `task`.
    public static func model(task: TaskConfig, kind: ModelKind) -> ModelConfig { kind.model.preset(task: task).model }

    /// Steps in one pass over the 57,000 training images at batch 128 (the last partial batch dropped).
    public static let imageEpochSteps = 57_000 / 128

    /// The whole training recipe for a task and model; an image task's epoch (evaluation,
    /// checkpoint and schedule unit) follows `batchSize` when given.
    public static func train(task: TaskConfig, kind: ModelKind, batchSize: Int? = nil) -> TrainConfig {
        train(task: task, preset: kind.model.preset(task: task), batchSize: batchSize)
    }

    /// Copy and adding: Adam lr 1e-3, batch 128, 60,000 steps, clip 1 (copy) or 10 (adding). Images:
    /// lr 1e-4, batch 128 (256 for nscifar10), 120 epochs, evaluated every epoch. The model's preset
    /// replaces any of these it sets.
    public static func train(task: TaskConfig, preset: ModelPreset, batchSize: Int? = nil) -> TrainConfig {
        let recipe = task.recipe
        guard task.kind.isDataSet else {
            return TrainConfig(
                task: task, model: preset.model, learningRate: preset.learningRate ?? recipe.learningRate, clip: recipe.clip,
                batchSize: batchSize ?? recipe.batchSize, steps: 60_000, seed: 0, threads: defaultThreads,
                evalEvery: 100, checkpointEvery: 1000, testSize: recipe.testSize)
        }
        // a model's paper batch (coRNN: 120) is cut to a small data set's training split
        let batch = batchSize ?? min(preset.batchSize ?? recipe.batchSize, task.trainingExamples ?? Int.max)
        let epoch = task.epochSteps(batchSize: batch) ?? imageEpochSteps
        var config = TrainConfig(
            task: task, model: preset.model, learningRate: preset.learningRate ?? recipe.learningRate, clip: preset.clip ?? recipe.clip,
            batchSize: batch, steps: (preset.epochs ?? recipe.epochs) * epoch, seed: 0, threads: defaultThreads, evalEvery: epoch,
            checkpointEvery: epoch, testSize: recipe.testSize)
        if preset.dropsRateAt100 { config.schedule = Schedule(kind: .step, factor: 10, every: 100) }
        return config
    }

    public static var defaultThreads: Int { max(1, ProcessInfoCores.count) }
}

enum ProcessInfoCores {
    static var count: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return Int(sysconf(_SC_NPROCESSORS_ONLN))
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TrainConfig {
    /// A run's config.json: decoded, then range-checked like a command line.
    public static func decoded(from bytes: [UInt8]) throws -> TrainConfig {
        let config = try WrnnJSON.decoder().decode(TrainConfig.self, from: Data(bytes))
        try config.checkRanges()
        return config
    }
}

extension TrainConfig {
    /// Every setting as its dotted key path ("model.hiddenSize") and its value as JSON text, in key
    /// order: what two configurations are compared by (a checkpoint against its run, rank against rank).
    public var entries: [(key: String, value: String)] {
        guard let data = try? WrnnJSON.encoder().encode(self), let object = try? JSONSerialization.jsonObject(with: data) else { return [] }
        var entries: [(key: String, value: String)] = []
        func flatten(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for key in object.keys.sorted() { flatten(object[key]!, path.isEmpty ? key : path + "." + key) }
                return
            }
            let text = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
            entries.append((path, text.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"))
        }
        flatten(object, "")
        return entries
    }
}

/// The first key whose value differs between two lists of entries ("not set" where one lacks it):
/// the model and the task first, as they say the most about whose file or run it is, then `ours`' order,
/// then the keys only `theirs` has.
public func firstDifferingEntry(_ ours: [(key: String, value: String)], _ theirs: [(key: String, value: String)])
    -> (key: String, ours: String, theirs: String)?
{
    let a = Dictionary(ours.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
    let b = Dictionary(theirs.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
    let keys = ["model.kind", "task.kind"] + ours.map(\.key) + theirs.map(\.key).filter { a[$0] == nil }
    guard let key = keys.first(where: { a[$0] != b[$0] }) else { return nil }
    return (key, a[key] ?? "not set", b[key] ?? "not set")
}

/// What a researcher calls a run: `--name`, `--tag` (repeatable) and `--notes`. Kept in config.json
/// and shown by `results`, `report` and the curves' legends; never part of what is trained.
public struct RunLabel: Codable, Equatable, Sendable {
    public var name: String?
    public var tags: [String]?
    public var notes: String?
    public init(name: String? = nil, tags: [String]? = nil, notes: String? = nil) {
        self.name = name; self.tags = tags; self.notes = notes
    }
    public var isEmpty: Bool { name == nil && (tags ?? []).isEmpty && notes == nil }
}
