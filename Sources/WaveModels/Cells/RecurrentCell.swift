import WaveKernels
import WaveCore

/// One parameter tensor a cell or readout declares: its PyTorch state_dict name, shape and role.
public struct ParameterSpec: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var role: ParameterRole
    public init(_ name: String, _ shape: [Int], _ role: ParameterRole) { self.name = name; self.shape = shape; self.role = role }
    public var count: Int { shape.reduce(1, *) }
}

/// The states h_0 ... h_L the readout sees, for the rows of one shard: [L + 1, rows, N], h_0 = 0;
/// or for a block of those rows, whose steps then lie `stepStride` apart.
public struct StateHistory<T: Scalar> {
    public let base: UnsafeMutablePointer<T>
    /// L: steps; the last state is self[length].
    public let length: Int
    public let rows: Int
    public let units: Int
    /// Distance between steps: rows * units, or the whole shard's when these rows are a block of it.
    public let stepStride: Int
    public init(base: UnsafeMutablePointer<T>, length: Int, rows: Int, units: Int, stepStride: Int? = nil) {
        self.base = base; self.length = length; self.rows = rows; self.units = units
        self.stepStride = stepStride ?? rows * units
    }
    @inline(__always) public subscript(t: Int) -> UnsafeMutablePointer<T> { base + t * stepStride }
}

/// One time step of a recurrent network: h_{t+1} = cell(h_t, x_t), and its reverse.
///
/// The cell owns its parameters (a contiguous block at the start of the model's flat buffer, in
/// the order `parameters` lists them), its initialisation and a workspace holding whatever its
/// backward needs beyond the states h_t (cell states, gates, carried gradients). `RecurrentLayer`
/// owns time: it calls `forward` for t = 0 ..< L, then `beginBackward` with dLoss/dh_L and
/// `backward` for t = L-1 ... 0, then `endBackward`. Inside the reverse walk the cell carries
/// dLoss/d(its state after step t) in its workspace, so the layer never needs to know what
/// that state is (h alone, (h, c), (y, z)).
public protocol RecurrentCell<T>: Sendable {
    associatedtype T: Scalar
    associatedtype Workspace: AnyObject

    /// N: width of h, the state the readout sees.
    var units: Int { get }
    /// Parameter tensors in layout order, named as the PyTorch twin's state_dict.
    var parameters: [ParameterSpec] { get }
    /// Initial values of `parameters`, concatenated, drawn from `rng` in tensor order.
    func initialValues(_ rng: inout RandomStream) -> [Double]

    /// Rows to walk through every step at a time, or nil for all of a shard's rows in each step.
    /// A block is small enough that one step's state is still in cache when the next step reads
    /// it. Only a cell that keeps nothing per step outside `states` may ask for blocks: the layer
    /// runs each block forward through all steps (prepare, then forward), and later each block
    /// backward (beginBackward ... endBackward), so the cell's `endBackward` must add into `grads`.
    var rowBlock: Int? { get }

    /// Buffers for at most `capacity` rows of sequences of `length` steps.
    func makeWorkspace(capacity: Int, length: Int) -> Workspace
    func bytes(of workspace: Workspace) -> Int
    /// Elements `makeWorkspace` would allocate, computed without allocating (in Double, so no size
    /// overflows): the memory check before a run starts.
    func workspaceCount(capacity: Int, length: Int) -> Double

    /// Per-run preparation from the parameters (transposes, summed biases), before step 0.
    func prepare(params: UnsafePointer<T>, rows: Int, workspace: Workspace)
    /// h_{t+1} = states[t + 1] from h_t = states[t] and x_t, saving what backward needs.
    func forward(step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace: Workspace)
    /// Starts the reverse walk with dLoss/dh_L.
    func beginBackward(dh: UnsafePointer<T>, states: StateHistory<T>, params: UnsafePointer<T>, workspace: Workspace)
    /// Walks step t back: from the carried dLoss/d(state after step t), adds step t's parameter
    /// gradients into `grads` and (for t > 0) carries the gradient to the state after step t - 1,
    /// adding `dhReadout`, the readout's own dLoss/dh_t, when given.
    func backward(
        step t: Int, x: UnsafePointer<T>, states: StateHistory<T>, dhReadout: UnsafePointer<T>?,
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace: Workspace)
    /// Adds what the walk summed in the workspace (bias sums, weight products over all steps) into `grads`.
    /// The model's name in tables ("wRNN", "coRNN").
    var displayName: String { get }
    /// Shape, constants and init in one line, e.g. "n=100 c=6 f=3 relu, u shift, V sparse".
    var summary: String { get }
    /// The paper's symbol for one of this cell's tensors (spec 2.5: "u", "V", "W_hh").
    func symbol(_ spec: ParameterSpec) -> String
    /// Multiply-add FLOPs (2 per pair) of one forward step for one row, for benchmarks.
    var flopsPerStep: Double { get }
    /// The part of `flopsPerStep` that multiplies x_t: its backward is the weight gradient alone,
    /// because the inputs are data and need no gradient.
    var inputFlopsPerStep: Double { get }
    var readoutName: String { get }
    var readoutWeightInit: ReadoutWeightInit { get }
    func endBackward(states: StateHistory<T>, params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, workspace: Workspace)
}

extension RecurrentCell {
    /// The readout's module name in the PyTorch twin: `readout`, or the cell authors' own.
    public var readoutName: String { "readout" }
    /// The tensor's own name without the module prefix ("i2h.weight").
    public func symbol(_ spec: ParameterSpec) -> String { String(spec.name.split(separator: ".", maxSplits: 1).last ?? "") }
    /// All of a shard's rows in each step: the BLAS products of the dense cells want them.
    public var rowBlock: Int? { nil }
    /// The readout weight's init: PyTorch's default, or the cell authors' own.
    public var readoutWeightInit: ReadoutWeightInit { .pytorchDefault }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
    /// Offset of the tensor with this role inside the cell's block.
    public func offset(_ role: ParameterRole) -> Int {
        var offset = 0
        for spec in parameters {
            if spec.role == role { return offset }
            offset += spec.count
        }
        preconditionFailure("no \(role) tensor in this cell")
    }
}

/// uniform(-bound, bound) for `count` values, PyTorch's default for Linear and the RNN modules.
func uniformValues(_ count: Int, bound: Double, _ rng: inout RandomStream) -> [Double] {
    (0..<count).map { _ in rng.uniform(-bound, bound) }
}

extension RecurrentCell {
    /// Its dense products: bf16 when `--precision bf16` asks and bf16 products run here (elsewhere,
    /// e.g. evaluating a bf16 run on a CPU without them, fp32); `widestOperand`: the largest
    /// activation a product multiplies by a weight, in elements (negative: none in bf16).
    func makeProducts(_ config: ModelConfig, widestOperand: Int) -> DenseProducts<T> {
        DenseProducts(bf16: denseBF16(config, widestOperand), parameterCount: parameterCount, operandCount: max(widestOperand, 0))
    }

    /// What those products hold, in Float units (bf16 values are half a Float each): for the memory estimates.
    func productsCount(_ config: ModelConfig, widestOperand: Int) -> Double {
        guard denseBF16(config, widestOperand) else { return 0 }
        return Double(DenseProducts<T>.bf16Count(parameterCount: parameterCount, operandCount: widestOperand)) / 2
    }

    private func denseBF16(_ config: ModelConfig, _ widestOperand: Int) -> Bool {
        config.precision == .bf16 && widestOperand >= 0 && DenseBF16.products != nil
    }
}
