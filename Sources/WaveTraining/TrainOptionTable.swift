import Foundation
import WaveCore
import WaveKernels
import WaveModels
import WaveTasks

/// One `wrnn train` option, declared once: its names, its help, the kind of value it takes (which
/// a sweep file's value is checked against), whether a sweep file may give it, and its range, which
/// `TrainOptions` checks for the command line, sweeps and `demo` alike. The command line's
/// ArgumentParser properties take their help from here; a test holds their names to this table.
public struct TrainOptionDeclaration: Sendable {
    public enum Kind: Sendable {
        case integer, number, text, flag
        /// One of these words.
        case choice(@Sendable () -> [String])
    }
    /// The values an option may take, and how its message says so.
    public enum Range: Sendable {
        case positiveInteger
        case integer(String, @Sendable (Double) -> Bool)
        case number(String, @Sendable (Double) -> Bool)
    }
    /// The long name without dashes ("lr"), or "T" for -T.
    public let name: String
    /// Other long names for the same option.
    public let aliases: [String]
    public let kind: Kind
    /// Whether a sweep file may give it (the sweep sets seed, threads, out, ... itself).
    public let sweep: Bool
    public let range: Range?
    let value: (@Sendable (TrainOptions) -> Double?)?
    /// Read at each use: the lists of models and tasks in it follow the registries.
    public var help: String { helpText() }
    let helpText: @Sendable () -> String

    init(
        _ name: String, aliases: [String] = [], kind: Kind, sweep: Bool = true, range: Range? = nil,
        value: (@Sendable (TrainOptions) -> Double?)? = nil, help: @escaping @autoclosure @Sendable () -> String
    ) {
        self.name = name; self.aliases = aliases; self.kind = kind; self.sweep = sweep; self.range = range; self.value = value
        helpText = help
    }

    public var isFlag: Bool {
        if case .flag = kind { return true }
        return false
    }

    /// "--lr" or "-T".
    public var flag: String { name == "T" ? "-T" : "--" + name }

    /// Refuses (64) a value outside the option's range, in the one message every command uses.
    public func check(_ value: Double?) throws {
        guard let value, let range else { return }
        switch range {
        case .positiveInteger:
            if value <= 0 { throw WrnnError.usage("\(flag) must be a positive integer (got \(Int(value)))") }
        case .integer(let allowed, let ok):
            if !ok(value) { throw WrnnError.usage("\(flag) must be \(allowed) (got \(Int(value)))") }
        case .number(let allowed, let ok):
            if !(value.isFinite && ok(value)) { throw WrnnError.usage("\(flag) must be \(allowed) (got \(value))") }
        }
    }

    /// Checks this option's value in `options`.
    func check(_ options: TrainOptions) throws { try check(value?(options)) }
}

/// Every `wrnn train` option, in help order.
public enum TrainOptionTable {
    public static let all: [TrainOptionDeclaration] = [
        TrainOptionDeclaration(
            "model", kind: .choice { ModelKind.allCases.map(\.rawValue) },
            help: "Model: " + ModelRegistry.all.map { "\($0.name) (\($0.help))" }.joined(separator: ", ") + "."),
        TrainOptionDeclaration(
            "hidden-size", kind: .integer, range: .positiveInteger, value: { $0.modelOptions.hiddenSize.map(Double.init) },
            help:
                "Neurons per ring n (wRNN), hidden size N (every other recurrent model), or the MLP readout's width (fc). Default 100; 256 for images (coRNN on nscifar10 and LEM: 128)."
        ),
        TrainOptionDeclaration(
            "channels", kind: .integer, range: .positiveInteger, value: { $0.modelOptions.channels.map(Double.init) },
            help: "Rings c (wRNN only). Default 6 (copy), 27 (adding)."),
        TrainOptionDeclaration(
            "kernel-size", kind: .integer, range: .positiveInteger, value: { $0.modelOptions.kernelSize.map(Double.init) },
            help: "Odd circular kernel width f (wRNN only). Default 3."),
        TrainOptionDeclaration(
            "initialization", kind: .choice { RecurrentInit.allCases.map(\.rawValue) },
            help: "Recurrent init: shift, identity or random. Default shift (wRNN), identity (iRNN)."),
        TrainOptionDeclaration(
            "encoder-init", kind: .choice { EncoderInit.allCases.map(\.rawValue) },
            help:
                "Encoder V init: sparse (neuron 0 of each ring takes every input), normal (N(0, 0.001^2)) or pytorch (nn.Linear's default uniform(±1/sqrt(d)), what the authors' iRNN keeps on the image tasks). Default sparse (wRNN), normal (iRNN)."
        ),
        TrainOptionDeclaration(
            "activation", kind: .choice { Activation.allCases.map(\.rawValue) },
            help: "Activation: relu, tanh or identity. Default relu."),
        TrainOptionDeclaration(
            "readout", kind: .choice { ReadoutKind.allCases.map(\.rawValue) },
            help: "Readout: linear or mlp (N -> 100 -> out). Default linear."),
        TrainOptionDeclaration(
            "readout-at", kind: .choice { ReadoutTiming.allCases.map(\.rawValue) },
            help:
                "Read out every step or the last, where the task's targets are (copy: every; adding and images: last). Own sequences (--task sequences): every reads a class or values per sequence at each step; last reads an (N, T) float y as T values per sequence."
        ),
        TrainOptionDeclaration(
            "freeze-u", kind: .flag,
            help: "Do not train the recurrent weights (u, b_u or U, b_U)."),
        TrainOptionDeclaration(
            "freeze-v", kind: .flag,
            help: "Do not train the encoder (V, b_V)."),
        TrainOptionDeclaration(
            "locally-connected", kind: .flag,
            help: "wRNN ablation: untied recurrent weights per neuron (u of shape c x c x n x f)."),
        TrainOptionDeclaration(
            "wave-speed", kind: .number, range: .number("a number in [0, 1]") { (0...1).contains($0) },
            value: { $0.modelOptions.waveSpeed },
            help: "Wave speed nu in [0, 1] for the shift init (taps 1 - nu, nu). Default 1."),
        TrainOptionDeclaration(
            "dt", kind: .number, range: .number("a finite number > 0") { $0 > 0 }, value: { $0.modelOptions.dt },
            help: "coRNN and LEM: time step dt > 0. Default: the authors' value for the task (coRNN sMNIST 0.042, LEM sMNIST 0.21)."),
        TrainOptionDeclaration(
            "gamma", kind: .number, range: .number("a finite number >= 0") { $0 >= 0 }, value: { $0.modelOptions.gamma },
            help: "coRNN: stiffness gamma >= 0. Default: the authors' value for the task (sMNIST 2.7)."),
        TrainOptionDeclaration(
            "epsilon", kind: .number, range: .number("a finite number >= 0") { $0 >= 0 }, value: { $0.modelOptions.epsilon },
            help: "coRNN: damping epsilon >= 0. Default: the authors' value for the task (sMNIST 4.7)."),
        TrainOptionDeclaration(
            "precision", kind: .choice { Precision.allCases.map(\.rawValue) },
            help:
                "Products' number format: fp32, or bf16 (operands in bfloat16, sums and everything else fp32: the wRNN's convolution; the iRNN's, LSTM's, GRU's, coRNN's and LEM's recurrent products through oneDNN; inputs wider than 16 values; needs a CPU with AVX512-BF16 or AMX). Default fp32."
        ),
        TrainOptionDeclaration(
            "sheet", kind: .text,
            help: "wrnn2d: each channel's sheet, h x w cells on a torus, as HxW (e.g. 10x10). Default 10x10 (copy, adding), 16x16 (images)."
        ),
        TrainOptionDeclaration(
            "shift-direction", kind: .text,
            help:
                "wrnn2d: where the shift init moves activity, one cell per step: \(ShiftDirection.spellings) (channels take +x, +y, -x, -y in turn). Default +x."
        ),
        TrainOptionDeclaration(
            "wave-source", kind: .choice { WaveSource.allCases.map(\.rawValue) },
            help:
                "wrnn2d: the cells the sparse encoder feeds in each channel: cell (one corner cell) or edge (a column or row across the sheet). Default cell."
        ),
        TrainOptionDeclaration(
            "task", kind: .choice { TaskKind.allCases.map(\.rawValue) },
            help: "Task: " + TaskRegistry.all.map { "\($0.name) (\($0.help))" }.joined(separator: ", ") + ". Default \(TaskKind.standard)."),
        TrainOptionDeclaration(
            "T", aliases: ["delay", "length"], kind: .integer,
            help: "Copy: delay T (length T + 20). Adding: sequence length T. Default 30 (copy), 400 (adding)."),
        TrainOptionDeclaration(
            "copy-layout", kind: .choice { CopyLayout.allCases.map(\.rawValue) },
            help:
                "Copy-task layout: paper (the text), code (the authors' layout for paper T: T' = T + 20) or script (T is the authors' script argument T' itself: length T' + 10, delimiter at T' - 1)."
        ),
        TrainOptionDeclaration(
            "data-dir", kind: .text,
            help:
                "Image tasks: directory with the IDX files (default: $WRNN_DATA, then ./data; Fashion-MNIST also from Debian's dataset-fashion-mnist)."
        ),
        TrainOptionDeclaration(
            "permutation", kind: .text,
            help: "psmnist / psfmnist: a .npy permutation of the 784 positions (default: drawn from --seed, saved as permutation.npy)."),
        TrainOptionDeclaration(
            "fresh-noise", kind: .flag,
            help: "nscifar10: draw new noise for every training sequence instead of one fixed block."),
        TrainOptionDeclaration(
            "data", kind: .text,
            help:
                "sequences: your data: .npz (numpy.savez) or .safetensors with x_train (N, T, d) and y_train (integer classes (N,) or (N, T); real values (N,), (N, k), (N, T) or (N, T, k)), optionally x_val/y_val and x_test/y_test (each missing split: a tenth of x_train, drawn by --seed); or a UCR archive NAME_TRAIN.tsv beside NAME_TEST.tsv."
        ),
        TrainOptionDeclaration(
            "normalize", kind: .flag,
            help: "sequences: scale each input feature to mean 0, standard deviation 1 (fitted on the training split)."),
        TrainOptionDeclaration(
            "mask-value", kind: .text,
            help:
                "sequences: the value (nan or a number) that pads shorter sequences at their end; padding is moved to the front as zeros so the last step is each sequence's own."
        ),
        TrainOptionDeclaration(
            "lr", kind: .number, range: .number("a finite number > 0") { $0 > 0 }, value: { $0.learningRate },
            help: "Adam learning rate. Default 1e-3 (copy, adding), 1e-4 (images)."),
        TrainOptionDeclaration(
            "clip", kind: .number, range: .number("a finite number >= 0 (0 turns clipping off)") { $0 >= 0 }, value: { $0.clip },
            help: "Clip the gradient's global L2 norm to this value; 0 = off. Default 1 (copy), 10 (adding)."),
        TrainOptionDeclaration(
            "batch-size", aliases: ["batch"], kind: .integer, range: .positiveInteger, value: { $0.batchSize.map(Double.init) },
            help: "Sequences per step. Default 128; 256 for nscifar10 (coRNN: 120, or 100 on nscifar10; LEM: 100 on nscifar10)."),
        TrainOptionDeclaration(
            "steps", kind: .integer, range: .positiveInteger, value: { $0.steps.map(Double.init) },
            help: "Training steps. Default 60,000 (copy, adding); 120 epochs of 445 steps (images)."),
        TrainOptionDeclaration(
            "epochs", kind: .integer, range: .positiveInteger, value: { $0.epochs.map(Double.init) },
            help: "Training epochs instead of --steps: passes over the training split (images), or --epoch-steps steps (copy, adding)."),
        TrainOptionDeclaration(
            "schedule", kind: .choice { Schedule.Kind.allCases.map(\.rawValue) },
            help:
                "Learning-rate schedule: constant, step, cosine, onecycle, plateau or exponential. Default constant (coRNN and LEM on images: step, lr / 10 after epoch 100)."
        ),
        TrainOptionDeclaration(
            "lr-factor", kind: .number, range: .number("a finite number > 1") { $0 > 1 }, value: { $0.lrFactor },
            help:
                "step: divide the rate by this every --lr-every epochs; plateau: divide by this after --patience evaluations without improvement."
        ),
        TrainOptionDeclaration(
            "lr-every", kind: .integer, range: .positiveInteger, value: { $0.lrEvery.map(Double.init) },
            help: "step: epochs between rate drops."),
        TrainOptionDeclaration(
            "lr-gamma", kind: .number, range: .number("a number in (0, 1]") { $0 > 0 && $0 <= 1 }, value: { $0.lrGamma },
            help: "exponential: rate multiplier per epoch."),
        TrainOptionDeclaration(
            "patience", kind: .integer, range: .integer("a non-negative integer") { $0 >= 0 }, value: { $0.patience.map(Double.init) },
            help: "plateau: evaluations without improvement before the rate drops."),
        TrainOptionDeclaration(
            "epoch-steps", kind: .integer, range: .positiveInteger, value: { $0.epochSteps.map(Double.init) },
            help: "Steps per epoch for the copy and adding tasks' schedules (image tasks: one pass over the data)."),
        TrainOptionDeclaration(
            "protocol", kind: .choice { TrainingProtocol.allCases.map(\.rawValue) },
            help:
                "Whose conventions to train and report by where they differ: wrnn (the plain mean loss, a fixed test set, adding solved by test MSE) or authors (their scripts': copy backpropagates CE / batch, fresh test sequences at their log steps, adding solved by the logged training loss, sMNIST keeps the last partial batch; docs/fidelity.md). Default wrnn; authors for the authors' sweep files."
        ),
        TrainOptionDeclaration(
            "seed", kind: .integer, sweep: false,
            help: "Seed for initialisation, training batches and the test set: 0 ... 2^64 - 1. Default 0."),
        TrainOptionDeclaration(
            "threads", kind: .integer, sweep: false, range: .positiveInteger, value: { $0.threads.map(Double.init) },
            help: "Threads (batch shards); the same seed and thread count give the same numbers. Default: all cores."),
        TrainOptionDeclaration(
            "out", kind: .text, sweep: false,
            help: "Run directory to create (must not exist). Default: runs/<task>-<model>-<time>."),
        TrainOptionDeclaration(
            "eval-every", kind: .integer, range: .positiveInteger, value: { $0.evalEvery.map(Double.init) },
            help: "Evaluate on the test (and validation) set every this many steps. Default 100; one epoch for images."),
        TrainOptionDeclaration(
            "checkpoint-every", kind: .integer, range: .positiveInteger, value: { $0.checkpointEvery.map(Double.init) },
            help: "Write checkpoint.bin every this many steps. Default 1000; one epoch for images."),
        TrainOptionDeclaration(
            "test-size", kind: .integer, range: .positiveInteger, value: { $0.testSize.map(Double.init) },
            help: "Sequences in the fixed test set."),
        TrainOptionDeclaration(
            "val-size", kind: .integer, range: .positiveInteger, value: { $0.validationSize.map(Double.init) },
            help:
                "Image tasks and own sequences: evaluate the first this many held-out validation sequences (default all: 3,000 images). The split, and so the training data, stays the same."
        ),
        TrainOptionDeclaration(
            "config", kind: .text, sweep: false,
            help:
                "A YAML file of options (wrnn train's names, one value each: `task: copy`, `lr: 0.001`, `tag: [a, b]`), read first: options on the command line override it."
        ),
        TrainOptionDeclaration(
            "name", kind: .text,
            help: "A name for the run, kept in config.json and shown by results, report and the curves' legends."),
        TrainOptionDeclaration(
            "tag", kind: .text,
            help: "A tag for the run (repeat for several), kept in config.json and shown by results and report."),
        TrainOptionDeclaration(
            "notes", kind: .text,
            help: "Free text about the run, kept in config.json and shown by results and report."),
        TrainOptionDeclaration(
            "resume", kind: .text, sweep: false,
            help:
                "Continue the run in this directory exactly where its last checkpoint left it (same seed and threads: bitwise the same numbers). Everything comes from the run's saved configuration; only --steps (to train longer; cosine and one-cycle schedules then follow the new total), --eval-every, --checkpoint-every and --threads may be given."
        ),
        TrainOptionDeclaration(
            "init-from", kind: .text,
            help: "Start from these weights (safetensors, as `wrnn export` writes) instead of the init scheme."),
        TrainOptionDeclaration(
            "quiet", kind: .flag, sweep: false,
            help: "Print no evaluation or progress lines: only the run's header and its closing line."),
        TrainOptionDeclaration(
            "keep-denormals", kind: .flag, sweep: false,
            help:
                "Keep subnormal floats (by default every computing thread flushes them to zero, like PyTorch's torch.set_flush_denormal(True))."
        )
    ]

    /// The declaration named `name` (a long name, an alias or "T").
    public static func named(_ name: String) -> TrainOptionDeclaration {
        guard let found = all.first(where: { $0.name == name || $0.aliases.contains(name) }) else {
            preconditionFailure("no train option named \(name)")
        }
        return found
    }

    /// The help text of the option named `name`.
    public static func help(_ name: String) -> String { named(name).help }
}
