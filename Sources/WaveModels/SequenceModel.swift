import WaveKernels
import WaveCore

/// A sequence model: a body (a recurrent layer over one cell, or fc's flatten), a readout and
/// the loss, trained by backprop through the whole sequence.
///
///   features = body(x_0 ... x_{L-1});  y = readout(features) at every step or the last;
///   loss = cross-entropy (classes) or squared error (values), summed, scaled by `lossScale`.
///
/// The model kind is looked at once, in `ModelConfig.makeBody`; nothing below switches on it.
public final class SequenceModel<T: Scalar>: @unchecked Sendable {
    public let config: ModelConfig
    public let layout: ParameterLayout
    let body: any SequenceBody<T>
    let readout: Readout<T>
    /// Looked up once: `run` is called for every shard of every step.
    let isRecurrent: Bool

    public init(_ config: ModelConfig) {
        self.config = config
        isRecurrent = config.kind.isRecurrent
        body = config.makeBody(T.self)
        readout = config.makeReadout(body: body)
        layout = ParameterLayout(config)
    }

    public func makeWorkspace(capacity: Int, length: Int) -> Workspace<T> {
        Workspace(config: config, body: body, capacity: capacity, length: length)
    }

    /// Readout steps R: every step of the sequence, or only the last.
    public func readoutSteps(length: Int) -> Int { config.readoutTiming == .every ? length : 1 }

    /// Runs rows `rows` of `batch` forward, returns their summed loss and, when `grads` is
    /// given, adds dLoss/dparams (loss scaled by `lossScale`) into it.
    public func run(
        params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>?, batch: SequenceBatch<T>,
        rows: Range<Int>, lossScale: Double, workspace ws: Workspace<T>
    ) -> Double {
        let b = rows.count, length = batch.length
        precondition(b <= ws.capacity && length == ws.length, "workspace too small for this batch")
        precondition(batch.inputSize == config.inputSize)
        let inputs = StepInputs(
            base: UnsafePointer(batch.inputs.pointer + rows.lowerBound * batch.inputSize),
            stepStride: batch.batch * batch.inputSize, inputSize: batch.inputSize, rows: b, length: length)
        let steps = isRecurrent ? readoutSteps(length: length) : 1
        let features = body.forward(params: params, inputs: inputs, ws: ws)
        readout.forward(params: params, features: features, rows: steps * b, ws: ws)
        let loss = computeLoss(batch: batch, rows: rows, steps: steps, lossScale: lossScale, ws: ws)
        guard let grads else { return loss }
        let dFeatures = readout.backward(params: params, grads: grads, features: features, rows: steps * b, ws: ws)
        body.backward(params: params, grads: grads, inputs: inputs, readout: dFeatures, ws: ws)
        return loss
    }

    func computeLoss(batch: SequenceBatch<T>, rows: Range<Int>, steps: Int, lossScale: Double, ws: Workspace<T>) -> Double {
        let b = rows.count, out = config.outputSize, scale = T(lossScale)
        var loss = 0.0
        for r in 0..<steps {
            let first = (steps == 1 ? 0 : r * batch.batch) + rows.lowerBound
            let logits = ws.logits.pointer + r * b * out, dlogits = ws.dlogits.pointer + r * b * out
            if let classes = batch.classTargets {
                loss += T.softmaxCrossEntropy(
                    dlogits: dlogits, logits: logits, targets: classes.pointer + first,
                    rows: b, classes: out, gradScale: scale)
            } else if let values = batch.valueTargets {
                loss += T.squaredError(
                    dpred: dlogits, pred: logits, target: values.pointer + first * out,
                    count: b * out, gradScale: scale)
            }
        }
        return loss
    }

    /// The mean's denominator: class targets present, or every regression value.
    public func lossNormaliser(_ batch: SequenceBatch<T>) -> Double {
        if let classes = batch.classTargets {
            var count = 0
            for j in 0..<classes.count where classes[j] >= 0 { count += 1 }
            return Double(max(count, 1))
        }
        return Double(readoutSteps(length: batch.length) * batch.batch * config.outputSize)
    }
}

extension ModelConfig {
    /// The model's body: a recurrent layer over the cell its description makes, or the flattened
    /// input for a model without recurrence. Nothing here knows which model it is.
    func makeBody<T: Scalar>(_: T.Type) -> any SequenceBody<T> {
        guard let cell = kind.model.makeCell(self, T.self) else { return nonRecurrentBody(T.self) }
        return layer(cell)
    }

    private func layer<Cell: RecurrentCell>(_ cell: Cell) -> any SequenceBody<Cell.T> {
        RecurrentLayer(cell: cell, timing: readoutTiming)
    }

    /// Bytes of one shard's workspace (`SequenceModel.makeWorkspace`) for Float, computed without
    /// allocating and in Double, so that any configuration can be checked before it is built.
    public func workspaceBytes(capacity: Int, length: Int) -> Double {
        let rows = Double(capacity), n = Double(units), l = Double(length)
        let readoutSteps = readoutTiming == .every ? l : 1
        let mlp = readout == .mlp ? Double(mlpHidden) : 0
        let own =
            (kind.isRecurrent ? (l + 1) * rows * n + rows * n : rows * n)
            + 2 * readoutSteps * rows * Double(outputSize) + 2 * readoutSteps * rows * mlp
        return 4 * (own + makeBody(Double.self).workspaceCount(capacity: capacity, length: length))
    }

    /// Parameters, as a Double sum of the tensors' shapes (no overflow for any size).
    public var estimatedParameterCount: Double {
        let body = makeBody(Double.self)
        return (body.parameters + makeReadout(body: body).parameters).reduce(0) { $0 + $1.shape.reduce(1.0) { $0 * Double($1) } }
    }

    /// Multiply-add FLOPs of one forward step of the cell for one sequence (0 for fc).
    public var cellFlopsPerStep: Double { makeBody(Double.self).flopsPerStep }
    /// The part of `cellFlopsPerStep` that multiplies x_t.
    public var cellInputFlopsPerStep: Double { makeBody(Double.self).inputFlopsPerStep }

    /// The cell's tensors in layout order, each with its share of the parameter count.
    public var cellParameters: [ParameterSpec] { makeBody(Double.self).parameters }
    /// The model's name in tables, its one-line description and the paper's symbol for a tensor: the cell's own.
    public var displayName: String { makeBody(Double.self).displayName }
    public var cellSummary: String { makeBody(Double.self).summary }
    public func symbol(_ spec: ParameterSpec) -> String { makeBody(Double.self).symbol(spec) }

    func makeReadout<T: Scalar>(body: any SequenceBody<T>) -> Readout<T> {
        let bodyCount = body.parameters.reduce(0) { $0 + $1.count }
        return Readout(
            kind: readout, features: units, outputs: outputSize, mlpHidden: mlpHidden, name: body.readoutName,
            weightInit: body.readoutWeightInit, base: bodyCount)
    }
}
