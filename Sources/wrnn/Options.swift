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
extension CopyLayout: ExpressibleByArgument {}
extension Schedule.Kind: ExpressibleByArgument {}

func requirePositive(_ value: Int?, _ name: String) throws {
    if let value, value <= 0 { throw ValidationError("\(name) must be a positive integer (got \(value))") }
}

func requireFinite(_ value: Double?, _ name: String, _ allowed: String, _ ok: (Double) -> Bool) throws {
    if let value, !(value.isFinite && ok(value)) { throw ValidationError("\(name) must be \(allowed) (got \(value))") }
}

/// Which model, with its shape and initialisation (spec 2.1, 2.2); unset values take the task's
/// paper defaults. Checked, with every other option, by the library's `TrainOptions`.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Model: " + ModelRegistry.all.map { "\($0.name) (\($0.help))" }.joined(separator: ", ") + "."))
    var model: ModelKind?
    @Option(
        name: [.customShort("n"), .customLong("hidden-size")], parsing: .unconditional,
        help:
            "Neurons per ring n (wRNN), hidden size N (every other recurrent model), or the MLP readout's width (fc). Default 100; 256 for images (coRNN on nscifar10 and LEM: 128)."
    )
    var hiddenSize: Int?
    @Option(
        name: [.customShort("c"), .customLong("channels")], parsing: .unconditional,
        help: "Rings c (wRNN only). Default 6 (copy), 27 (adding).")
    var channels: Int?
    @Option(
        name: [.customShort("f"), .customLong("kernel-size")], parsing: .unconditional,
        help: "Odd circular kernel width f (wRNN only). Default 3.")
    var kernelSize: Int?
    @Option(help: "Recurrent init: shift, identity or random. Default shift (wRNN), identity (iRNN).")
    var initialization: RecurrentInit?
    @Option(
        help:
            "Encoder V init: sparse (neuron 0 of each ring takes every input), normal (N(0, 0.001^2)) or pytorch (nn.Linear's default uniform(±1/sqrt(d)), what the authors' iRNN keeps on the image tasks). Default sparse (wRNN), normal (iRNN)."
    )
    var encoderInit: EncoderInit?
    @Option(help: "Activation: relu, tanh or identity. Default relu.")
    var activation: Activation?
    @Option(help: "Readout: linear or mlp (N -> 100 -> out). Default linear.")
    var readout: ReadoutKind?
    @Option(help: "Read out every step or the last. Default: every (copy), last (adding).")
    var readoutAt: ReadoutTiming?
    @Flag(help: "Do not train the recurrent weights (u, b_u or U, b_U).")
    var freezeU = false
    @Flag(help: "Do not train the encoder (V, b_V).")
    var freezeV = false
    @Flag(help: "wRNN ablation: untied recurrent weights per neuron (u of shape c x c x n x f).")
    var locallyConnected = false
    @Option(parsing: .unconditional, help: "Wave speed nu in [0, 1] for the shift init (taps 1 - nu, nu). Default 1.")
    var waveSpeed: Double?
    @Option(
        parsing: .unconditional,
        help: "coRNN and LEM: time step dt > 0. Default: the authors' value for the task (coRNN sMNIST 0.042, LEM sMNIST 0.21).")
    var dt: Double?
    @Option(parsing: .unconditional, help: "coRNN: stiffness gamma >= 0. Default: the authors' value for the task (sMNIST 2.7).")
    var gamma: Double?
    @Option(parsing: .unconditional, help: "coRNN: damping epsilon >= 0. Default: the authors' value for the task (sMNIST 4.7).")
    var epsilon: Double?
    @Option(
        help:
            "Products' number format: fp32, or bf16 (wRNN: its convolution's operands in bfloat16, sums and everything else fp32; needs a CPU with AVX512-BF16). Default fp32."
    )
    var precision: Precision?

    var values: ModelOptionValues {
        var v = ModelOptionValues()
        v.hiddenSize = hiddenSize; v.channels = channels; v.kernelSize = kernelSize; v.initialization = initialization
        v.encoderInit = encoderInit; v.activation = activation; v.readout = readout; v.readoutAt = readoutAt
        v.freezeU = freezeU; v.freezeV = freezeV; v.locallyConnected = locallyConnected; v.waveSpeed = waveSpeed
        v.dt = dt; v.gamma = gamma; v.epsilon = epsilon; v.precision = precision
        return v
    }
}

/// The task and its size T.
struct TaskOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Task: " + TaskRegistry.all.map { "\($0.name) (\($0.help))" }.joined(separator: ", ") + ". Default \(TaskKind.standard)."))
    var task: TaskKind?
    @Option(
        name: [.customShort("T"), .customLong("delay"), .customLong("length")], parsing: .unconditional,
        help: "Copy: delay T (length T + 20). Adding: sequence length T. Default 30 (copy), 400 (adding).")
    var t: Int?
    @Option(
        help:
            "Copy-task layout: paper (the text), code (the authors' layout for paper T: T' = T + 20) or script (T is the authors' script argument T' itself: length T' + 10, delimiter at T' - 1)."
    )
    var copyLayout: CopyLayout?
    @Option(
        help:
            "Image tasks: directory with the IDX files (default: $WRNN_DATA, then ./data; Fashion-MNIST also from Debian's dataset-fashion-mnist)."
    )
    var dataDir: String?
    @Option(help: "psmnist / psfmnist: a .npy permutation of the 784 positions (default: drawn from --seed, saved as permutation.npy).")
    var permutation: String?
    @Flag(help: "nscifar10: draw new noise for every training sequence instead of one fixed block.")
    var freshNoise = false
    @Option(
        name: .customLong("data"),
        help:
            "sequences: your data: .npz (numpy.savez) or .safetensors with x_train (N, T, d) and y_train (integer classes (N,) or (N, T); real values (N,), (N, k), (N, T) or (N, T, k)), optionally x_val/y_val and x_test/y_test (each missing split: a tenth of x_train, drawn by --seed); or a UCR archive NAME_TRAIN.tsv beside NAME_TEST.tsv."
    )
    var dataFile: String?
    @Flag(help: "sequences: scale each input feature to mean 0, standard deviation 1 (fitted on the training split).")
    var normalize = false
    @Option(
        help:
            "sequences: the value (nan or a number) that pads shorter sequences at their end; padding is moved to the front as zeros so the last step is each sequence's own."
    )
    var maskValue: String?
}

/// Optimisation (spec 4).
struct OptimizerOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Adam learning rate. Default 1e-3 (copy, adding), 1e-4 (images).")
    var lr: Double?
    @Option(parsing: .unconditional, help: "Clip the gradient's global L2 norm to this value; 0 = off. Default 1 (copy), 10 (adding).")
    var clip: Double?
    @Option(
        name: [.customLong("batch-size"), .customLong("batch")], parsing: .unconditional,
        help: "Sequences per step. Default 128; 256 for nscifar10 (coRNN: 120, or 100 on nscifar10; LEM: 100 on nscifar10).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Training steps. Default 60,000 (copy, adding); 120 epochs of 445 steps (images).")
    var steps: Int?
    @Option(
        parsing: .unconditional,
        help: "Training epochs instead of --steps: passes over the training split (images), or --epoch-steps steps (copy, adding).")
    var epochs: Int?
    @Option(
        help:
            "Learning-rate schedule: constant, step, cosine, onecycle, plateau or exponential. Default constant (coRNN and LEM on images: step, lr / 10 after epoch 100)."
    )
    var schedule: Schedule.Kind?
    @Option(
        parsing: .unconditional,
        help:
            "step: divide the rate by this every --lr-every epochs; plateau: divide by this after --patience evaluations without improvement."
    )
    var lrFactor: Double?
    @Option(parsing: .unconditional, help: "step: epochs between rate drops.")
    var lrEvery: Int?
    @Option(parsing: .unconditional, help: "exponential: rate multiplier per epoch.")
    var lrGamma: Double?
    @Option(parsing: .unconditional, help: "plateau: evaluations without improvement before the rate drops.")
    var patience: Int?
    @Option(
        parsing: .unconditional, help: "Steps per epoch for the copy and adding tasks' schedules (image tasks: one pass over the data).")
    var epochSteps: Int?
    @Option(
        name: .customLong("protocol"),
        help:
            "Whose conventions to train and report by where they differ: wrnn (the plain mean loss, a fixed test set, adding solved by test MSE) or authors (their scripts': copy backpropagates CE / batch, fresh test sequences at their log steps, adding solved by the logged training loss, sMNIST keeps the last partial batch; docs/fidelity.md). Default wrnn; authors for the authors' sweep files."
    )
    var trainingProtocol: TrainingProtocol?
}

/// Seed, threads and where the run goes.
struct RunOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seed for initialisation, training batches and the test set: 0 ... 2^64 - 1. Default 0.")
    var seed: UInt64?
    @Option(
        parsing: .unconditional, help: "Threads (batch shards); the same seed and thread count give the same numbers. Default: all cores.")
    var threads: Int?
    @Option(help: "Run directory to create (must not exist). Default: runs/<task>-<model>-<time>.")
    var out: String?
    @Option(
        parsing: .unconditional, help: "Evaluate on the test (and validation) set every this many steps. Default 100; one epoch for images."
    )
    var evalEvery: Int?
    @Option(parsing: .unconditional, help: "Write checkpoint.bin every this many steps. Default 1000; one epoch for images.")
    var checkpointEvery: Int?
    @Option(parsing: .unconditional, help: "Sequences in the fixed test set.")
    var testSize: Int?
    @Option(
        help:
            "Continue the run in this directory exactly where its last checkpoint left it (same seed and threads: bitwise the same numbers). Everything comes from the run's saved configuration; only --steps (to train longer; cosine and one-cycle schedules then follow the new total), --eval-every, --checkpoint-every and --threads may be given."
    )
    var resume: String?
    @Option(help: "Start from these weights (safetensors, as `wrnn export` writes) instead of the init scheme.")
    var initFrom: String?
    @Flag(help: "Print only the summary.")
    var quiet = false
    @Flag(
        help:
            "Keep subnormal floats (by default every computing thread flushes them to zero, like PyTorch's torch.set_flush_denormal(True))."
    )
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

    func validate() throws {
        do { _ = try size() } catch let error as WrnnError { throw ValidationError(error.message) }
    }

    /// nil: the screen layout.
    func size() throws -> FigureSize? {
        guard let width else {
            if fontSize != 8 { throw WrnnError.usage("--font-size applies with --width; give a width in inches too") }
            return nil
        }
        return try FigureSize.checked(widthInches: width, fontSize: fontSize)
    }
}
