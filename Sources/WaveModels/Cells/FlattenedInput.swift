import WaveCore
import WaveKernels
import WaveTasks

/// The authors' fc baseline: no recurrence, the readout reads flatten(x)[row, t * d + j] = x_t[row, j]
/// (their `x.permute(1, 0, 2).reshape(B, -1)`).
struct FlattenedInput<T: Scalar>: SequenceBody {
    let inputSize: Int // d
    let features: Int // L * d
    var parameters: [ParameterSpec] { [] }
    var readoutName: String { "readout" }
    var displayName: String { FlattenedModel.label }
    var summary: String { "(no recurrence): the flattened sequence, \(features) values" }
    func symbol(_ spec: ParameterSpec) -> String { spec.name }
    var flopsPerStep: Double { 0 }
    var inputFlopsPerStep: Double { 0 }
    var readoutWeightInit: ReadoutWeightInit { .pytorchDefault }
    func initialValues(_ rng: inout RandomStream) -> [Double] { [] }
    final class Empty {}
    func makeWorkspace(capacity: Int, length: Int) -> AnyObject { Empty() }
    func bytes(of workspace: AnyObject) -> Int { 0 }
    func workspaceCount(capacity: Int, length: Int) -> Double { 0 }

    func forward(params: UnsafePointer<T>, inputs: StepInputs<T>, ws: Workspace<T>) -> UnsafePointer<T> {
        let d = inputSize, n = features, flat = ws.states.pointer // [rows, L * d]
        precondition(inputs.length * d == n, "fc: the flattened sequence (\(inputs.length) x \(d)) must match the readout's input (\(n))")
        for t in 0..<inputs.length {
            for row in 0..<inputs.rows { (flat + row * n + t * d).update(from: inputs[t] + row * d, count: d) }
        }
        return UnsafePointer(flat)
    }

    func backward(
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, inputs: StepInputs<T>, readout: FeatureGradient<T>,
        ws: Workspace<T>
    ) {}
}

extension ModelConfig {
    /// The body of a model without a cell: the flattened sequence, as the readout's input.
    func nonRecurrentBody<T: Scalar>(_: T.Type) -> any SequenceBody<T> { FlattenedInput(inputSize: inputSize, features: units) }
}

/// The authors' fc baseline as the tool sees it: no recurrence, so only --hidden-size (its MLP
/// readout's width, with --readout mlp) and --readout apply.
public enum FlattenedModel: ModelDescription {
    public static let name = "fc"
    public static let label = "FC"
    public static let help = "the authors' non-recurrent baseline: the flattened sequence into the readout"
    public static let role = ModelRole.nonRecurrent
    public static func refusalReason(_ option: ModelOption) -> String? { "fc has no recurrence: it reads the flattened sequence" }

    /// The flattened L x d inputs into the readout; its MLP is 100 wide like every model's unless set.
    public static func preset(task: TaskConfig) -> ModelPreset {
        ModelPreset(
            model: ModelConfig(
                kind: kind, inputSize: task.inputSize, outputSize: task.outputSize, ringSize: task.length * task.inputSize,
                readoutTiming: .last))
    }

    /// --hidden-size is the MLP readout's width here, so it needs --readout mlp.
    public static func apply(_ options: ModelOptionValues, to config: inout ModelConfig) throws {
        guard let hiddenSize = options.hiddenSize else { return }
        guard config.readout == .mlp else {
            throw WrnnError.usage("--hidden-size with --model fc sets the MLP readout's width; add --readout mlp")
        }
        config.mlpHidden = hiddenSize
    }

    public static func check(_ config: ModelConfig, task: TaskConfig) throws {
        guard task.readoutTiming == .last else {
            throw WrnnError.usage(
                "--model fc reads the whole sequence once and answers once; the \(task.kind.rawValue) task needs an answer at every step (use adding or an image task)"
            )
        }
        guard config.ringSize == task.length * task.inputSize else {
            throw WrnnError.usage(
                "--model fc reads the flattened sequence of \(task.length * task.inputSize) values, not \(config.ringSize)")
        }
    }

    public static func makeCell<T: Scalar>(_ config: ModelConfig, _: T.Type) -> (any RecurrentCell<T>)? { nil }
    public static func paperRow(_ config: ModelConfig, task: TaskConfig) -> String? { nil }
    public static func tableLabel(_ m: ModelConfig) -> String { "FC" + (m.readout == .mlp ? " (MLP \(m.mlpHidden))" : "") }
    public static let cpuGFLOPS = 20.0
    public static let authorsModelTypes = ["fc": [String](), "fc_plus": [String]()]
}

extension ModelKind {
    public static let fc = FlattenedModel.kind
}
