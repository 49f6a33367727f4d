import WaveKernels
import WavePlot
import ArgumentParser
import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveTraining

extension TaskKind: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
extension ModelKind: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
extension RecurrentInit: ExpressibleByArgument {}
extension EncoderInit: ExpressibleByArgument {}
extension TrainingProtocol: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension ReadoutKind: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension ReadoutTiming: ExpressibleByArgument {}
extension WaveSource: ExpressibleByArgument {}
extension CopyLayout: ExpressibleByArgument {}
extension Schedule.Kind: ExpressibleByArgument {}

func requirePositive(_ value: Int?, _ name: String) throws {
    if let value, value <= 0 { throw ValidationError("\(name) must be a positive integer (got \(value))") }
}

/// "10x10" for --sheet, or the message that says what it takes.
func parseSheet(_ text: String) throws -> SheetShape {
    guard let sheet = SheetShape(text) else {
        throw ValidationError("give HxW with sides from 1 to 4096, e.g. 10x10")
    }
    return sheet
}

/// "+x", "-x-y" or "mixed" for --shift-direction, or the message that lists them.
func parseShiftDirection(_ text: String) throws -> ShiftDirection {
    guard let direction = ShiftDirection(text) else {
        throw ValidationError("give \(ShiftDirection.spellings)")
    }
    return direction
}

/// Which model, with its shape and initialisation (spec 2.1, 2.2); unset values take the task's
/// paper defaults. Checked, with every other option, by the library's `TrainOptions`.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(TrainOptionTable.help("model")))
    var model: ModelKind?
    @Option(
        name: [.customShort("n"), .customLong("hidden-size")], parsing: .unconditional,
        help:
            ArgumentHelp(TrainOptionTable.help("hidden-size")))
    var hiddenSize: Int?
    @Option(
        name: [.customShort("c"), .customLong("channels")], parsing: .unconditional,
        help: ArgumentHelp(TrainOptionTable.help("channels")))
    var channels: Int?
    @Option(
        name: [.customShort("f"), .customLong("kernel-size")], parsing: .unconditional,
        help: ArgumentHelp(TrainOptionTable.help("kernel-size")))
    var kernelSize: Int?
    @Option(help: ArgumentHelp(TrainOptionTable.help("initialization")))
    var initialization: RecurrentInit?
    @Option(
        help:
            ArgumentHelp(TrainOptionTable.help("encoder-init")))
    var encoderInit: EncoderInit?
    @Option(help: ArgumentHelp(TrainOptionTable.help("activation")))
    var activation: Activation?
    @Option(help: ArgumentHelp(TrainOptionTable.help("readout")))
    var readout: ReadoutKind?
    @Option(help: ArgumentHelp(TrainOptionTable.help("readout-at")))
    var readoutAt: ReadoutTiming?
    @Flag(help: ArgumentHelp(TrainOptionTable.help("freeze-u")))
    var freezeU = false
    @Flag(help: ArgumentHelp(TrainOptionTable.help("freeze-v")))
    var freezeV = false
    @Flag(help: ArgumentHelp(TrainOptionTable.help("locally-connected")))
    var locallyConnected = false
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("wave-speed")))
    var waveSpeed: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(TrainOptionTable.help("dt")))
    var dt: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("gamma")))
    var gamma: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("epsilon")))
    var epsilon: Double?
    @Option(
        help:
            ArgumentHelp(TrainOptionTable.help("precision")))
    var precision: Precision?
    @Option(help: ArgumentHelp(TrainOptionTable.help("sheet"), valueName: "HxW"), transform: parseSheet)
    var sheet: SheetShape?
    // unconditional: "-y" is a value here, not an option
    @Option(
        parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("shift-direction"), valueName: "direction"),
        transform: parseShiftDirection)
    var shiftDirection: ShiftDirection?
    @Option(help: ArgumentHelp(TrainOptionTable.help("wave-source")))
    var waveSource: WaveSource?

    var values: ModelOptionValues {
        var v = ModelOptionValues()
        v.hiddenSize = hiddenSize; v.channels = channels; v.kernelSize = kernelSize; v.initialization = initialization
        v.encoderInit = encoderInit; v.activation = activation; v.readout = readout; v.readoutAt = readoutAt
        v.freezeU = freezeU; v.freezeV = freezeV; v.locallyConnected = locallyConnected; v.waveSpeed = waveSpeed
        v.dt = dt; v.gamma = gamma; v.epsilon = epsilon; v.precision = precision
        v.sheet = sheet; v.shiftDirection = shiftDirection; v.waveSource = waveSource
        return v
    }
}

/// The task and its size T.
struct TaskOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(TrainOptionTable.help("task")))
    var task: TaskKind?
    @Option(
        name: [.customShort("T"), .customLong("delay"), .customLong("length")], parsing: .unconditional,
        help: ArgumentHelp(TrainOptionTable.help("T")))
    var t: Int?
    @Option(
        help:
            ArgumentHelp(TrainOptionTable.help("copy-layout")))
    var copyLayout: CopyLayout?
    @Option(
        help:
            ArgumentHelp(TrainOptionTable.help("data-dir")))
    var dataDir: String?
    @Option(help: ArgumentHelp(TrainOptionTable.help("permutation")))
    var permutation: String?
    @Flag(help: ArgumentHelp(TrainOptionTable.help("fresh-noise")))
    var freshNoise = false
    @Option(
        name: .customLong("data"),
        help:
            ArgumentHelp(TrainOptionTable.help("data")))
    var dataFile: String?
    @Flag(help: ArgumentHelp(TrainOptionTable.help("normalize")))
    var normalize = false
    @Option(
        help:
            ArgumentHelp(TrainOptionTable.help("mask-value")))
    var maskValue: String?
}

/// Optimisation (spec 4).
struct OptimizerOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("lr")))
    var lr: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("clip")))
    var clip: Double?
    @Option(
        name: [.customLong("batch-size"), .customLong("batch")], parsing: .unconditional,
        help: ArgumentHelp(TrainOptionTable.help("batch-size")))
    var batchSize: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("steps")))
    var steps: Int?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(TrainOptionTable.help("epochs")))
    var epochs: Int?
    @Option(
        help:
            ArgumentHelp(TrainOptionTable.help("schedule")))
    var schedule: Schedule.Kind?
    @Option(
        parsing: .unconditional,
        help:
            ArgumentHelp(TrainOptionTable.help("lr-factor")))
    var lrFactor: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("lr-every")))
    var lrEvery: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("lr-gamma")))
    var lrGamma: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("patience")))
    var patience: Int?
    @Option(
        parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("epoch-steps")))
    var epochSteps: Int?
    @Option(
        name: .customLong("protocol"),
        help:
            ArgumentHelp(TrainOptionTable.help("protocol")))
    var trainingProtocol: TrainingProtocol?
}

/// Seed, threads and where the run goes.
struct RunOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("seed")))
    var seed: UInt64?
    @Option(
        parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("threads")))
    var threads: Int?
    @Option(help: ArgumentHelp(TrainOptionTable.help("out")))
    var out: String?
    @Option(
        parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("eval-every")))
    var evalEvery: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("checkpoint-every")))
    var checkpointEvery: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("test-size")))
    var testSize: Int?
    @Option(name: .customLong("val-size"), parsing: .unconditional, help: ArgumentHelp(TrainOptionTable.help("val-size")))
    var validationSize: Int?
    /// Expanded before parsing (`TrainConfigFile.expand`); kept here for the help and the record.
    @Option(help: ArgumentHelp(TrainOptionTable.help("config"), valueName: "file.yaml"))
    var config: String?
    @Option(help: ArgumentHelp(TrainOptionTable.help("name")))
    var name: String?
    @Option(help: ArgumentHelp(TrainOptionTable.help("tag")))
    var tag: [String] = []
    @Option(help: ArgumentHelp(TrainOptionTable.help("notes")))
    var notes: String?
    @Option(
        help:
            ArgumentHelp(TrainOptionTable.help("resume")))
    var resume: String?
    @Option(help: ArgumentHelp(TrainOptionTable.help("init-from")))
    var initFrom: String?
    @Flag(help: ArgumentHelp(TrainOptionTable.help("quiet")))
    var quiet = false
    @Flag(
        help:
            ArgumentHelp(TrainOptionTable.help("keep-denormals")))
    var keepDenormals = false

    func validate() throws {
        if resume != nil, out != nil { throw ValidationError("--resume continues an existing run directory; drop --out") }
    }
}

func defaultRunPath(_ name: String) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    let base = "runs/\(name)-\(formatter.string(from: Date()))"
    var path = base, k = 2
    while FileManager.default.fileExists(atPath: path) { path = "\(base)-\(k)"; k += 1 }
    return path
}

/// A figure's print size: `--width` in inches (3.25 one column, 6.75 two) and `--font-size`.
struct FigureSizeOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: "Width in inches for print, 2.5 to 20 (3.25: one column of a paper, 6.75: two). Default: the screen layout.")
    var width: Double?
    @Option(parsing: .unconditional, help: "Text size in points with --width (tick labels a point smaller, titles a point larger).")
    var fontSize: Double = 8
    @Option(parsing: .unconditional, help: "PNG resolution in dots per inch, 72 to 1200, written into the file. Default 144.")
    var dpi: Double?

    func validate() throws {
        do { _ = try size() } catch let error as WrnnError { throw ValidationError(error.message) }
        try checkDPI(dpi)
    }

    /// Sets the PNG resolution for what the command draws.
    func apply() { if let dpi { Canvas.pngDPI = dpi } }

    /// nil: the screen layout.
    func size() throws -> FigureSize? {
        guard let width else {
            if fontSize != 8 { throw WrnnError.usage("--font-size applies with --width; give a width in inches too") }
            return nil
        }
        return try FigureSize.checked(widthInches: width, fontSize: fontSize)
    }
}

/// --dpi's range, said once for every command that takes it.
func checkDPI(_ dpi: Double?) throws {
    if let dpi, !(dpi.isFinite && (72...1200).contains(dpi)) {
        throw ValidationError("--dpi must be from 72 to 1200 (got \(dpi)); 300 is a journal's usual")
    }
}
