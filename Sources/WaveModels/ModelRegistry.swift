import Foundation
import WaveCore
import WaveKernels
import WaveTasks

/// The models wrnn knows, in the order tables list them. This is the one place outside each
/// model's own file that names the models: options, validation, presets, results, Slurm estimates
/// and benchmarks ask the registry, never a model by name.
public enum ModelRegistry {
    /// The shipped models: the wave model and its wave-free twin first, then the baselines.
    static let registry = Registry<any ModelDescription.Type>(
        "model",
        shipped: [
            WaveModel.self, IdentityModel.self, LSTMModel.self, GRUModel.self, CoRNNModel.self, LEMModel.self, FlattenedModel.self,
            SheetModel.self
        ],
        name: { $0.name })

    /// Every registered model, shipped ones first.
    public static var all: [any ModelDescription.Type] { registry.all }

    /// Adds a model defined elsewhere (a test target's cell, a user's own): from then on every
    /// option, check, preset, table and estimate knows it. A name already registered is refused.
    public static func register(_ model: any ModelDescription.Type) throws { try registry.register(model) }

    /// Removes a model `register` added (shipped models stay).
    public static func unregister(_ name: String) { registry.unregister(name) }

    /// The model named `name`, or nil.
    public static func model(named name: String) -> (any ModelDescription.Type)? { registry.named(name) }

    /// The model that plays `role` (the demo and Figure 2 compare the wave model with its twin).
    public static func model(role: ModelRole) -> any ModelDescription.Type {
        guard let found = all.first(where: { $0.role == role }) else { preconditionFailure("no model registered as \(role)") }
        return found
    }

    /// The names, for help texts and messages: "a, b and c".
    public static func list(_ names: [String], conjunction: String = "and") -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " \(conjunction) " + names.last!
    }

    /// The models an option applies to, by name.
    public static func models(accepting option: ModelOption) -> [String] {
        all.filter { $0.options.contains(option) }.map { $0.name }
    }

    /// Every kind's CPU rate for time estimates, as one line ("wRNN 50, iRNN 80, ... GFLOP/s").
    public static var rateText: String { all.map { "\($0.label) \(Int($0.cpuGFLOPS))" }.joined(separator: ", ") + " GFLOP/s" }
}

/// A model's name as options, config.json and sweep files spell it ("wrnn", "lstm"); only registered
/// names make one, so a value of this type always has a model behind it.
public struct ModelKind: RegisteredName {
    public static let registryNoun = "model"
    public let rawValue: String
    public init?(rawValue: String) {
        guard ModelRegistry.model(named: rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }
    /// For a description's own `kind`: its name, registered or about to be.
    public init(registering name: String) { rawValue = name }

    public static var allCases: [ModelKind] { ModelRegistry.all.map { $0.kind } }
    /// The model `--model` defaults to: the first registered, the wave model.
    public static var standard: ModelKind { ModelRegistry.all[0].kind }
    /// The model behind the name.
    public var model: any ModelDescription.Type {
        guard let found = ModelRegistry.model(named: rawValue) else { preconditionFailure("model '\(rawValue)' is not registered") }
        return found
    }
    public var isRecurrent: Bool { model.role != .nonRecurrent }
    /// The hidden state is c rings of n neurons (maps and spectra per ring), not one ring of N.
    public var hasRings: Bool { model.options.contains(.channels) }
}

extension ModelKind {
    /// This model for `task` with the options given: an option it does not take is refused, naming
    /// the models that take it; the rest change its paper preset.
    public func configure(task: TaskConfig, options: ModelOptionValues) throws -> ModelPreset {
        let model = self.model
        for option in options.given where !model.options.contains(option) {
            let reason = model.refusalReason(option).map { " (\($0))" } ?? ""
            throw WrnnError.usage(
                "\(option.rawValue) applies to --model \(ModelRegistry.list(ModelRegistry.models(accepting: option))) only\(reason)")
        }
        var preset = model.preset(task: task)
        if let value = options.initialization { preset.model.recurrentInit = value }
        if let value = options.encoderInit { preset.model.encoderInit = value }
        if let value = options.activation { preset.model.activation = value }
        if let value = options.readoutAt { preset.model.readoutTiming = value }
        if let value = options.waveSpeed { preset.model.waveSpeed = value }
        if let value = options.readout { preset.model.readout = value }
        if options.freezeU { preset.model.freezeRecurrent = true }
        if options.freezeV { preset.model.freezeEncoder = true }
        if options.precision == .bf16 { preset.model.precision = .bf16 }
        try model.apply(options, to: &preset.model)
        return preset
    }
}

/// What a model is in the paper's comparisons.
public enum ModelRole: Sendable {
    /// The traveling-wave model (the demo's and Figure 2's first).
    case wave
    /// The same network without waves (the demo's and Figure 2's second).
    case waveFreeTwin
    case baseline
    /// No recurrence: the flattened sequence into the readout.
    case nonRecurrent
}

/// The model options that apply to some models only; `--hidden-size` and `--readout` apply to all.
/// Each model lists those it takes; every other one is refused for it, naming the models that take it.
public enum ModelOption: String, CaseIterable, Sendable {
    case channels = "--channels", kernelSize = "--kernel-size", locallyConnected = "--locally-connected"
    case initialization = "--initialization", encoderInit = "--encoder-init", activation = "--activation"
    case waveSpeed = "--wave-speed", readoutAt = "--readout-at", freezeU = "--freeze-u", freezeV = "--freeze-v"
    case dt = "--dt", gamma = "--gamma", epsilon = "--epsilon"
    case precision = "--precision"
    case sheet = "--sheet", shiftDirection = "--shift-direction", waveSource = "--wave-source"
}

/// The model options as given (nil or false: not given), before any model or task fills in its defaults.
public struct ModelOptionValues: Equatable, Sendable {
    public var hiddenSize: Int?
    public var channels: Int?
    public var kernelSize: Int?
    public var initialization: RecurrentInit?
    public var encoderInit: EncoderInit?
    public var activation: Activation?
    public var readout: ReadoutKind?
    public var readoutAt: ReadoutTiming?
    public var freezeU = false
    public var freezeV = false
    public var locallyConnected = false
    public var waveSpeed: Double?
    public var dt: Double?
    public var gamma: Double?
    public var epsilon: Double?
    /// Given when bf16: fp32 is every model's format.
    public var precision: Precision?
    public var sheet: SheetShape?
    public var shiftDirection: ShiftDirection?
    public var waveSource: WaveSource?
    public init() {}

    /// The options given that only some models take.
    public var given: [ModelOption] {
        ModelOption.allCases.filter { option in
            switch option {
            case .channels: return channels != nil
            case .kernelSize: return kernelSize != nil
            case .locallyConnected: return locallyConnected
            case .initialization: return initialization != nil
            case .encoderInit: return encoderInit != nil
            case .activation: return activation != nil
            case .waveSpeed: return waveSpeed != nil
            case .readoutAt: return readoutAt != nil
            case .freezeU: return freezeU
            case .freezeV: return freezeV
            case .dt: return dt != nil
            case .gamma: return gamma != nil
            case .epsilon: return epsilon != nil
            case .precision: return precision == .bf16
            case .sheet: return sheet != nil
            case .shiftDirection: return shiftDirection != nil
            case .waveSource: return waveSource != nil
            }
        }
    }
}

/// A model's paper settings for one task: its shape and constants, and the training values where
/// they differ from the task's (the cited baselines' published learning rates, batches and schedules).
public struct ModelPreset: Sendable {
    public var model: ModelConfig
    public var learningRate: Double?
    public var batchSize: Int?
    public var clip: Double?
    /// Epochs on an image task (the paper's 120 unless set).
    public var epochs: Int?
    /// lr / 10 after epoch 100 on images, the cited baselines' schedule.
    public var dropsRateAt100: Bool
    public init(
        model: ModelConfig, learningRate: Double? = nil, batchSize: Int? = nil, clip: Double? = nil, epochs: Int? = nil,
        dropsRateAt100: Bool = false
    ) {
        self.model = model; self.learningRate = learningRate; self.batchSize = batchSize; self.clip = clip
        self.epochs = epochs; self.dropsRateAt100 = dropsRateAt100
    }
}

/// The paper's numbers for one of its rows (spec section 6).
public struct PublishedRow: Sendable {
    public var label: String
    /// Table 4: copy-task loss as the authors' script reports it (mean CE over 50 test sequences / 50), by T.
    public var copyLoss: [Int: Double] = [:]
    /// Table 1: adding-task test MSE and the iteration it was solved at (nil: never in 60k), by T.
    public var adding: [Int: (mse: Double, solved: Int?)] = [:]
    /// Tables 2 and 3: test accuracy in %.
    public var accuracy: [TaskKind: Double] = [:]
    public init(
        _ label: String, copyLoss: [Int: Double] = [:], adding: [Int: (mse: Double, solved: Int?)] = [:],
        accuracy: [TaskKind: Double] = [:]
    ) {
        self.label = label; self.copyLoss = copyLoss; self.adding = adding; self.accuracy = accuracy
    }
}

/// One `wrnn bench` configuration of a model: a paper experiment's shapes at its batch size.
public struct ModelBenchmark: Sendable {
    /// "smnist-lstm"
    public var name: String
    public var task: TaskConfig
    public var batch: Int
    /// Image tasks run on random data of their shape: [length, inputSize].
    public var randomShape: [Int]?
    /// Among the configurations `wrnn bench` runs when none are named.
    public var isDefault: Bool
    public init(name: String, task: TaskConfig, batch: Int, randomShape: [Int]? = nil, isDefault: Bool = false) {
        self.name = name; self.task = task; self.batch = batch; self.randomShape = randomShape; self.isDefault = isDefault
    }
}

/// Times a model's kernels alone: (configuration name, batch, threads, seed) -> one row per kernel.
public typealias KernelBenchmark = (_ name: String, _ batch: Int, _ threads: Int, _ seed: UInt64) -> [KernelBenchResult]

/// A kernel timed alone by `wrnn bench --kernels`.
public struct KernelBenchResult: Codable, Sendable {
    public var config: String
    public var kernel: String
    public var path: String
    public var gflops: Double
    public var percentOfPeak: Double?
    public var secondsPerCall: Double
    enum CodingKeys: String, CodingKey {
        case config, kernel, path, gflops, percentOfPeak = "percent_of_peak", secondsPerCall = "seconds_per_call"
    }
    /// One line of `wrnn bench --kernels`.
    public var tableRow: String {
        config.padding(toLength: Swift.max(16, config.count + 1), withPad: " ", startingAt: 0)
            + kernel.padding(toLength: Swift.max(17, kernel.count + 1), withPad: " ", startingAt: 0)
            + String(format: "%9.3f ms/call  %7.1f GFLOP/s  %3.0f%% of peak", secondsPerCall * 1e3, gflops, percentOfPeak ?? 0)
    }

    public init(config: String, kernel: String, path: String, gflops: Double, percentOfPeak: Double?, secondsPerCall: Double) {
        self.config = config; self.kernel = kernel; self.path = path; self.gflops = gflops
        self.percentOfPeak = percentOfPeak; self.secondsPerCall = secondsPerCall
    }
}

/// Everything a model says about itself beyond its cell's equations: its name and label, the
/// options it takes and their checks, its paper settings per task, its rows in the paper's tables,
/// its cost rate and benchmarks, and the authors' names for it. One line in `ModelRegistry.registry`'s shipped list
/// (or `ModelRegistry.register`) adds a model; nothing else names it.
public protocol ModelDescription: Sendable {
    /// The name options and files use: "wrnn".
    static var name: String { get }
    /// The name in tables and figures: "wRNN".
    static var label: String { get }
    /// One line for `--model`'s help.
    static var help: String { get }
    static var role: ModelRole { get }
    /// The options of `ModelOption` this model takes.
    static var options: Set<ModelOption> { get }
    /// U's and V's initialisation when no option sets them.
    static var defaultRecurrentInit: RecurrentInit { get }
    static var defaultEncoderInit: EncoderInit { get }
    /// Why the options it does not take do not apply, for the refusal ("lstm uses its authors' init").
    static func refusalReason(_ option: ModelOption) -> String?
    /// The paper's settings for this model on `task`.
    static func preset(task: TaskConfig) -> ModelPreset
    /// Applies the options given onto the preset (after the generic ones; fc reads --hidden-size as its MLP's width).
    static func apply(_ options: ModelOptionValues, to config: inout ModelConfig) throws
    /// The model's own ranges and its fit to the task, with the options' names in messages.
    static func check(_ config: ModelConfig, task: TaskConfig) throws
    /// Its cell for `config`; nil for a model without recurrence.
    static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)?
    /// Its row in results tables: kind, size and ablations ("wRNN n=100 c=6").
    static func tableLabel(_ config: ModelConfig) -> String
    /// The paper's name for this configuration's row on `task`, where the paper reports one.
    static func paperRow(_ config: ModelConfig, task: TaskConfig) -> String?
    static var published: [PublishedRow] { get }
    /// Training GFLOP/s `wrnn bench` measured for it (2 threads, AMD EPYC): the Slurm and dry-run estimates.
    static var cpuGFLOPS: Double { get }
    static var benchmarks: [ModelBenchmark] { get }
    /// Its kernels timed alone (`wrnn bench --kernels`) for `config`, when it has any worth timing apart.
    static func kernelBenchmark(_ config: ModelConfig) -> KernelBenchmark?
    /// How much faster its bf16 products run than fp32 on this CPU for `config`'s shapes (`rows`
    /// sequences per shard): fp32 seconds / bf16 seconds of the products `--precision bf16` changes,
    /// timed for about `seconds`. Nil for a model without bf16 products.
    static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double?
    /// Which bf16 products its `--precision bf16` runs (for a model that takes it).
    static var bf16Engine: BF16Engine { get }
    /// The authors' `model_type` values that build this model, each with the extra `wrnn train` options it implies.
    static var authorsModelTypes: [String: [String]] { get }
    /// The activation the hyper-parameter columns show, when the model has a choice of one.
    static var choosesActivation: Bool { get }
}

extension ModelDescription {
    public static var kind: ModelKind { ModelKind(registering: name) }
    public static var role: ModelRole { .baseline }
    public static var options: Set<ModelOption> { [] }
    public static var defaultRecurrentInit: RecurrentInit { .identity }
    public static var defaultEncoderInit: EncoderInit { .normal }
    public static func refusalReason(_ option: ModelOption) -> String? { nil }
    public static func apply(_ options: ModelOptionValues, to config: inout ModelConfig) throws {
        if let hiddenSize = options.hiddenSize { config.ringSize = hiddenSize }
    }
    public static func check(_ config: ModelConfig, task: TaskConfig) throws {}
    public static func tableLabel(_ config: ModelConfig) -> String {
        "\(label) N=\(config.units)" + (config.precision == .bf16 ? " bf16" : "")
    }
    public static func paperRow(_ config: ModelConfig, task: TaskConfig) -> String? { label }
    public static var published: [PublishedRow] { [] }
    public static var cpuGFLOPS: Double { 50 }
    public static var benchmarks: [ModelBenchmark] { [] }
    public static func kernelBenchmark(_ config: ModelConfig) -> KernelBenchmark? { nil }
    public static func bf16Speedup(_ config: ModelConfig, rows: Int, seconds: Double) -> Double? { nil }
    public static var bf16Engine: BF16Engine { .dense }
    public static var authorsModelTypes: [String: [String]] { [:] }
    public static var choosesActivation: Bool { options.contains(.activation) }

    /// The generic part of every preset: the task's shape, n = 100 (256 on images), one ring.
    public static func basePreset(task: TaskConfig) -> ModelConfig {
        ModelConfig(
            kind: kind, inputSize: task.inputSize, outputSize: task.outputSize, ringSize: task.modelRecipe.isClassification ? 256 : 100,
            readoutTiming: task.readoutTiming)
    }
}
