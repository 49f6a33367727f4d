import WaveKernels
import WaveCore

/// What turns a shard's sequences into the readout's features: a recurrent layer over a cell,
/// or the fc baseline's flatten.
protocol SequenceBody<T>: Sendable {
    associatedtype T: Scalar
    var parameters: [ParameterSpec] { get }
    var readoutName: String { get }
    var displayName: String { get }
    var summary: String { get }
    func symbol(_ spec: ParameterSpec) -> String
    var flopsPerStep: Double { get }
    /// The part of it that multiplies x_t (no input gradient in the backward).
    var inputFlopsPerStep: Double { get }
    var readoutWeightInit: ReadoutWeightInit { get }
    func initialValues(_ rng: inout RandomStream) -> [Double]
    func makeWorkspace(capacity: Int, length: Int) -> AnyObject
    func bytes(of workspace: AnyObject) -> Int
    func workspaceCount(capacity: Int, length: Int) -> Double
    /// Runs the rows forward into `ws.states`; returns the features the readout reads, [R, rows, N].
    func forward(params: UnsafePointer<T>, inputs: StepInputs<T>, ws: Workspace<T>) -> UnsafePointer<T>
    func backward(
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, inputs: StepInputs<T>, readout: FeatureGradient<T>,
        ws: Workspace<T>)
}

/// x_0 ... x_{L-1} for the rows of one shard, inside a time-major batch [L, B, d].
struct StepInputs<T: Scalar> {
    let base: UnsafePointer<T>
    let stepStride: Int // B * d
    let inputSize: Int // d
    let rows: Int
    let length: Int
    @inline(__always) subscript(t: Int) -> UnsafePointer<T> { base + t * stepStride }
    /// `rows` of these.
    func block(_ rows: Range<Int>) -> StepInputs {
        StepInputs(
            base: base + rows.lowerBound * inputSize, stepStride: stepStride, inputSize: inputSize, rows: rows.count,
            length: length)
    }
}

/// One generic recurrent layer owns time for every cell: the forward walk over the steps, then
/// the reverse walk that hands each step the readout's gradient of the state it produced.
struct RecurrentLayer<Cell: RecurrentCell>: SequenceBody {
    typealias T = Cell.T
    let cell: Cell
    let timing: ReadoutTiming

    var parameters: [ParameterSpec] { cell.parameters }
    var readoutName: String { cell.readoutName }
    var displayName: String { cell.displayName }
    var summary: String { cell.summary }
    func symbol(_ spec: ParameterSpec) -> String { cell.symbol(spec) }
    var flopsPerStep: Double { cell.flopsPerStep }
    var inputFlopsPerStep: Double { cell.inputFlopsPerStep }
    var readoutWeightInit: ReadoutWeightInit { cell.readoutWeightInit }
    func initialValues(_ rng: inout RandomStream) -> [Double] { cell.initialValues(&rng) }
    func makeWorkspace(capacity: Int, length: Int) -> AnyObject { cell.makeWorkspace(capacity: capacity, length: length) }
    func bytes(of workspace: AnyObject) -> Int { cell.bytes(of: unsafeDowncast(workspace, to: Cell.Workspace.self)) }
    func workspaceCount(capacity: Int, length: Int) -> Double { cell.workspaceCount(capacity: capacity, length: length) }

    /// The states of `rows` of the shard `inputs` covers.
    func history(_ ws: Workspace<T>, _ inputs: StepInputs<T>, _ rows: Range<Int>) -> StateHistory<T> {
        StateHistory(
            base: ws.states.pointer + rows.lowerBound * cell.units, length: inputs.length, rows: rows.count,
            units: cell.units, stepStride: inputs.rows * cell.units)
    }

    /// The row blocks the cell walks through time one at a time: all rows at once unless it asks.
    func rowBlocks(_ rows: Int) -> [Range<Int>] {
        let size = max(1, min(cell.rowBlock ?? rows, rows))
        return stride(from: 0, to: rows, by: size).map { $0..<min($0 + size, rows) }
    }

    // Training runs Float: these attributes give each cell's walk a version specialised for it, so the
    // steps' kernel calls are direct (the generic entry point checks the type and jumps to it).
    @_specialize(exported:false,where Cell == WaveCell<Float>)
    @_specialize(exported:false,where Cell == IdentityCell<Float>)
    @_specialize(exported:false,where Cell == LSTMCell<Float>)
    @_specialize(exported:false,where Cell == GRUCell<Float>)
    @_specialize(exported:false,where Cell == CoRNNCell<Float>)
    @_specialize(exported:false,where Cell == LEMCell<Float>)
    @_specialize(exported:false,where Cell == SheetCell<Float>)
    func forward(params: UnsafePointer<T>, inputs: StepInputs<T>, ws: Workspace<T>) -> UnsafePointer<T> {
        let cellWorkspace = unsafeDowncast(ws.body, to: Cell.Workspace.self)
        ws.states.pointer.update(repeating: 0, count: inputs.rows * cell.units) // h_0 = 0
        for rows in rowBlocks(inputs.rows) {
            let states = history(ws, inputs, rows), block = inputs.block(rows)
            cell.prepare(params: params, rows: rows.count, workspace: cellWorkspace)
            for t in 0..<inputs.length {
                cell.forward(step: t, x: block[t], states: states, params: params, workspace: cellWorkspace)
            }
        }
        let all = history(ws, inputs, 0..<inputs.rows)
        return UnsafePointer(timing == .every ? all[1] : all[inputs.length])
    }

    @_specialize(exported:false,where Cell == WaveCell<Float>)
    @_specialize(exported:false,where Cell == IdentityCell<Float>)
    @_specialize(exported:false,where Cell == LSTMCell<Float>)
    @_specialize(exported:false,where Cell == GRUCell<Float>)
    @_specialize(exported:false,where Cell == CoRNNCell<Float>)
    @_specialize(exported:false,where Cell == LEMCell<Float>)
    @_specialize(exported:false,where Cell == SheetCell<Float>)
    func backward(
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, inputs: StepInputs<T>, readout: FeatureGradient<T>,
        ws: Workspace<T>
    ) {
        let cellWorkspace = unsafeDowncast(ws.body, to: Cell.Workspace.self)
        let length = inputs.length, every = timing == .every
        let dh = ws.dhReadout.pointer
        for rows in rowBlocks(inputs.rows) {
            let states = history(ws, inputs, rows), block = inputs.block(rows)
            readout.write(into: dh, readoutStep: every ? length - 1 : 0, rows: rows, of: inputs.rows)
            cell.beginBackward(dh: dh, states: states, params: params, workspace: cellWorkspace)
            for t in stride(from: length - 1, through: 0, by: -1) {
                // readout step t - 1 reads h_t, the state step t starts from
                var dhReadout: UnsafePointer<T>? = nil
                if every && t > 0 {
                    readout.write(into: dh, readoutStep: t - 1, rows: rows, of: inputs.rows)
                    dhReadout = UnsafePointer(dh)
                }
                cell.backward(
                    step: t, x: block[t], states: states, dhReadout: dhReadout, params: params, grads: grads,
                    workspace: cellWorkspace)
            }
            cell.endBackward(states: states, params: params, grads: grads, workspace: cellWorkspace)
        }
    }
}
