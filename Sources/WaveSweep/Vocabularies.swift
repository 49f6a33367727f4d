import WaveKernels
import Foundation
import WaveCore
import WaveModels
import WaveTasks
import WaveTraining

/// One grid point in `wrnn train`'s terms: the command-line arguments that make the run (without
/// seed, threads and run directory, which the sweep sets), and what a reader must know about the
/// translation.
public struct TrainArguments: Equatable, Sendable {
    public var arguments: [String]
    public var notes: [String]
    /// Why the authors' script would stop at start-up on this point (a value its model file raises
    /// on): the sweep records the point as invalid with this reason instead of training it.
    public var invalid: String? = nil
}

/// The authors' task scripts (akandykeller/Wave_RNNs) and their argparse defaults: an option the
/// sweep does not give takes the script's default, not ours, so a run is the run the script made.
public struct AuthorsProgram: Sendable {
    public var script: String
    public var task: String
    public var models: [String]
    public var defaults: [String: String]

    static let synthetic: [String: String] = [
        "model_type": "rnn", "n_hid": "100", "max_steps": "60000", "log_interval": "1000", "batch": "128",
        "n_ch": "1", "ksize": "3", "act": "relu", "init": "eye", "freeze_rnn": "no", "freeze_encoder": "no",
        "grad_clip": "0.0", "is_sweep": "no", "solo_init": "no", "patience_init": "-1", "patience": "5",
        "run_name": "", "dataset": ""
    ]
    static let images: [String: String] = [
        "model_type": "rnn", "n_hid": "256", "epochs": "120", "batch": "128", "lr": "0.0001", "lr_drop_rate": "10.0",
        "lr_drop_epoch": "100", "n_ch": "1", "ksize": "3", "act": "relu", "init": "eye", "freeze_rnn": "no",
        "grad_clip": "0.0", "solo_init": "no", "run_name": "", "dataset": ""
    ]

    public static let all: [AuthorsProgram] = [
        AuthorsProgram(
            script: "copy_task.py", task: "copy", models: ["rnn", "wrnn"],
            defaults: synthetic.merging([
                "T": "500", "lr": "1e-3", "mem_len": "10", "one_hot": "True",
                "only_last": "False", "batch_test": "50"
            ]) { $1 }),
        AuthorsProgram(
            script: "adding_task.py", task: "adding", models: ["rnn", "wrnn"],
            defaults: synthetic.merging(["T": "400", "lr": "1e-4", "batch_test": "1000"]) { $1 }),
        AuthorsProgram(
            script: "sMNIST_task.py", task: "smnist", models: ["rnn", "wrnn", "fc", "fc_plus", "loco"],
            defaults: images.merging(["act": "tanh", "freeze_encoder": "no", "mlp_decoder": "no"]) { $1 }),
        AuthorsProgram(
            script: "psMNIST_task.py", task: "psmnist", models: ["rnn", "wrnn"],
            defaults: images.merging(["lr_scheduler": "step", "mlp_decoder": "no"]) { $1 }),
        AuthorsProgram(
            script: "noisy_cifar10_task.py", task: "nscifar10", models: ["rnn", "wrnn"],
            defaults: images.merging(["batch": "256"]) { $1 })
    ]

    /// V's initialisation as the script's model file applies it. The wRNN files (and the synthetic
    /// tasks' iRNN) draw V from N(0, 0.001^2) unless `solo_init` is yes; the image tasks' iRNN files
    /// leave V at nn.Linear's default for `solo_init no`, and noisy CIFAR-10's never read `solo_init`.
    func encoderInit(modelType: String, solo: Bool, notes: inout [String]) -> String {
        guard modelType == "rnn", isImage else { return solo ? "sparse" : "normal" }
        if task == "nscifar10" {
            if solo { notes.append("solo_init yes ignored: \(script)'s iRNN model never applies it (V keeps PyTorch's default)") }
            return "pytorch"
        }
        return solo ? "sparse" : "pytorch"
    }

    public static func named(_ script: String) throws -> AuthorsProgram {
        let name = URL(fileURLWithPath: script).lastPathComponent
        guard let program = all.first(where: { $0.script == name }) else {
            throw SweepError(
                "program '\(script)' is not one of the authors' task scripts\(suggestion(name, all.map(\.script))); known: \(all.map(\.script).joined(separator: ", "))"
            )
        }
        return program
    }

    var isImage: Bool { defaults["epochs"] != nil }

    /// The options this script's parser accepts (W&B's own ones included).
    public var options: [String] { Array(defaults.keys) + ["is_sweep"] }

    /// Translates one grid point (option -> value as the file writes it) into `wrnn train` arguments.
    /// An option or value the script does not know is an error for the whole sweep.
    public func trainArguments(_ given: [(key: String, value: String)]) throws -> TrainArguments {
        for (key, _) in given where !options.contains(key) {
            throw SweepError("\(script) has no option '\(key)'\(suggestion(key, options.sorted()))")
        }
        var v = defaults
        for (key, value) in given { v[key] = value }
        var args = ["--task", task]
        var notes: [String] = []
        func choice(_ key: String, _ table: [String: String]) throws -> String {
            let value = v[key]!
            guard let mapped = table[value] else {
                throw SweepError(
                    "\(script): \(key) '\(value)' is not a value the script accepts\(suggestion(value, table.keys.sorted())); choose from \(table.keys.sorted().joined(separator: ", "))"
                )
            }
            return mapped
        }
        func yesNo(_ key: String) throws -> Bool {
            try choice(key, ["yes": "1", "no": "0", "True": "1", "False": "0", "true": "1", "false": "0"]) == "1"
        }

        let model = v["model_type"]!
        guard models.contains(model) else {
            throw SweepError(
                "\(script): model_type '\(model)' is not one the script builds\(suggestion(model, models)); choose from \(models.joined(separator: ", "))"
            )
        }
        // the model registered under the authors' name, with the options that name implies ("loco")
        guard let ours = ModelRegistry.all.first(where: { $0.authorsModelTypes[model] != nil }) else {
            throw SweepError("\(script): no model of wrnn's is registered for the authors' model_type '\(model)'")
        }
        var invalid: String?
        // the dense model files (their "rnn") of adding, psMNIST and noisy CIFAR-10 know eye and rand only
        if model == "rnn", v["init"] == "fwd", !["copy", "smnist"].contains(task) {
            invalid =
                "\(script)'s rnn_model.py raises NotImplementedError for init fwd (only its copy and sMNIST model files build the shifted U)"
        }
        // psMNIST_task.py declares --mlp_decoder with action='store_true': W&B's --mlp_decoder=VALUE is an argparse error
        if task == "psmnist", given.contains(where: { $0.key == "mlp_decoder" }) {
            invalid =
                "psMNIST_task.py's --mlp_decoder is a flag without a value (store_true); W&B's --mlp_decoder=\(v["mlp_decoder"]!) stops its argparse"
        }
        args += ["--model", ours.name] + ours.authorsModelTypes[model]!
        if model == "fc_plus" {
            notes.append("model_type fc_plus read as fc: the authors' sMNIST script builds only fc, the flattened image into the readout")
        }

        let mlp = try v["mlp_decoder"].map { _ in try yesNo("mlp_decoder") } ?? false
        if mlp { args += ["--readout", "mlp"] }
        if !ours.kind.isRecurrent {
            // a model without recurrence: n_hid is its MLP's width
            if mlp { args += ["--hidden-size", v["n_hid"]!] }
        } else {
            args += ["--hidden-size", v["n_hid"]!]
            if ours.options.contains(.channels) { args += ["--channels", v["n_ch"]!] }
            if ours.options.contains(.kernelSize) { args += ["--kernel-size", v["ksize"]!] }
            args += ["--initialization", try choice("init", ["fwd": "shift", "eye": "identity", "rand": "random"])]
            args += ["--encoder-init", try encoderInit(modelType: model, solo: yesNo("solo_init"), notes: &notes)]
            args += ["--activation", try choice("act", ["relu": "relu", "tanh": "tanh", "ident": "identity"])]
            if try yesNo("freeze_rnn") { args.append("--freeze-u") }
            if v["freeze_encoder"] != nil, try yesNo("freeze_encoder") { args.append("--freeze-v") }
        }
        // their scripts' conventions where they differ from wrnn's (docs/fidelity.md)
        args += ["--protocol", "authors"]
        args += ["--lr", v["lr"]!, "--clip", v["grad_clip"]!, "--batch-size", v["batch"]!]

        if isImage {
            args += ["--epochs", v["epochs"]!]
            let scheduler =
                try v["lr_scheduler"].map { _ in
                    try choice(
                        "lr_scheduler",
                        ["step": "step", "onecycle": "onecycle", "plateau": "plateau", "cosine": "cosine", "exponential": "exponential"])
                } ?? "step"
            args += ["--schedule", scheduler]
            switch scheduler {
            case "step": args += ["--lr-factor", v["lr_drop_rate"]!, "--lr-every", v["lr_drop_epoch"]!]
            case "plateau": args += ["--lr-factor", v["lr_drop_rate"]!, "--patience", "5"]
            default: break
            }
        } else {
            args += ["-T", v["T"]!, "--steps", v["max_steps"]!, "--eval-every", v["log_interval"]!, "--test-size", v["batch_test"]!]
            if task == "copy" {
                args += ["--copy-layout", "script"]
                guard v["mem_len"] == "10", (try? yesNo("one_hot")) == true, (try? yesNo("only_last")) == false else {
                    throw SweepError("\(script): only the paper's copy task (mem_len 10, one_hot True, only_last False) is supported")
                }
            }
            guard v["patience_init"] == "-1" else {
                throw SweepError("\(script): patience_init \(v["patience_init"]!) (early stopping) is not supported; remove it")
            }
        }
        return TrainArguments(arguments: args, notes: notes, invalid: invalid)
    }
}

/// `wrnn train`'s own option names, for sweep files written in our vocabulary (no `program:`).
/// Boolean flags take yes/no (true/false); everything else is passed as `--key value`.
public enum WrnnVocabulary {
    /// Every option a sweep file may give, with its aliases, from `wrnn train`'s one declaration of each.
    public static let valueOptions: [String] = TrainOptionTable.all.filter { $0.sweep && !$0.isFlag }.flatMap { [$0.name] + $0.aliases }
    public static let flags: [String] = TrainOptionTable.all.filter { $0.sweep && $0.isFlag }.flatMap { [$0.name] + $0.aliases }
    public static let sweepOwned: [String] = TrainOptionTable.all.filter { !$0.sweep }.map(\.name)

    /// `allowingSweepOwned`: a single run's configuration file may also give the options a sweep sets itself (seed, threads, out, ...).
    public static func trainArguments(_ given: [(key: String, value: String)], allowingSweepOwned: Bool = false) throws -> TrainArguments {
        var args: [String] = []
        let owned = TrainOptionTable.all.filter { !$0.sweep }
        let ownedValues = owned.filter { !$0.isFlag }.flatMap { [$0.name] + $0.aliases }
        let ownedFlags = owned.filter(\.isFlag).flatMap { [$0.name] + $0.aliases }
        for (key, value) in given {
            if valueOptions.contains(key) || (allowingSweepOwned && ownedValues.contains(key)) {
                args += [key == "T" ? "-T" : "--\(key)", value]
            } else if flags.contains(key) || (allowingSweepOwned && ownedFlags.contains(key)) {
                switch value.lowercased() {
                case "yes", "true": args.append("--\(key)")
                case "no", "false": break
                default: throw SweepError("\(key) is a flag: give yes or no (got '\(value)')")
                }
            } else if key == "config" {
                throw SweepError("'config' names a configuration file for wrnn train; put its options in the grid instead")
            } else if sweepOwned.contains(key) {
                throw SweepError(
                    "'\(key)' is set by wrnn sweep itself (use --seeds, --threads, --out, --keep-denormals); remove it from the grid")
            } else {
                throw SweepError(
                    "unknown option '\(key)'\(suggestion(key, valueOptions + flags)) (a file without `program:` uses wrnn train's option names)"
                )
            }
        }
        return TrainArguments(arguments: args, notes: [])
    }
}

/// Value checks made when a sweep file is read, before anything runs: a word that is not one of an
/// option's values (with the closest one) or a number that does not read as one. A value of the right
/// kind that a run refuses (a negative rate) is left to the run, which records it as invalid.
enum ValueKind {
    case choice([String]), integer, number, yesNo

    func problem(_ value: String) -> String? {
        switch self {
        case .choice(let known):
            return known.contains(value)
                ? nil : "'\(value)' is not one of its values\(suggestion(value, known)); choose from \(known.joined(separator: ", "))"
        case .integer: return Int(value) == nil ? "'\(value)' is not a whole number" : nil
        case .number: return Double(value).map { $0.isFinite } == true ? nil : "'\(value)' is not a number"
        case .yesNo: return ["yes", "no", "true", "false"].contains(value.lowercased()) ? nil : "'\(value)' is not yes or no"
        }
    }
}

extension Vocabulary {
    /// Why `value` cannot be given to option `key` (nil when it can, or when the key is not one
    /// this check knows: unknown keys are reported by the translation).
    public func problem(key: String, value: String) -> String? {
        switch self {
        case .trainOptions: return WrnnVocabulary.kinds[key]?.problem(value)
        case .authors(let program): return (try? AuthorsProgram.named(program))?.kinds[key]?.problem(value)
        }
    }
}

extension WrnnVocabulary {
    /// Read at each use: a model or task registered since start-up is a valid choice.
    static var kinds: [String: ValueKind] {
        var kinds: [String: ValueKind] = [:]
        for option in TrainOptionTable.all {
            let kind: ValueKind?
            switch option.kind {
            case .integer: kind = .integer
            case .number: kind = .number
            case .flag: kind = .yesNo
            case .choice(let values): kind = .choice(values())
            case .text: kind = nil
            }
            for name in [option.name] + option.aliases { kinds[name] = kind }
        }
        return kinds
    }
}

extension AuthorsProgram {
    /// Their argparse types and the values their code branches on.
    var kinds: [String: ValueKind] {
        var kinds: [String: ValueKind] = [
            "model_type": .choice(models), "init": .choice(["fwd", "eye", "rand"]), "act": .choice(["relu", "tanh", "ident"]),
            "lr_scheduler": .choice(["step", "onecycle", "plateau", "cosine", "exponential"])
        ]
        for key in ["solo_init", "freeze_rnn", "freeze_encoder", "mlp_decoder", "is_sweep", "one_hot", "only_last"] { kinds[key] = .yesNo }
        for key in [
            "n_hid", "n_ch", "ksize", "T", "batch", "epochs", "lr_drop_epoch", "max_steps", "log_interval", "batch_test",
            "mem_len", "patience_init", "patience"
        ] { kinds[key] = .integer }
        for key in ["lr", "grad_clip", "lr_drop_rate"] { kinds[key] = .number }
        return kinds.filter { options.contains($0.key) }
    }
}
