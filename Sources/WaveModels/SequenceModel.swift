import WaveCore

/// A recurrent network with a readout, trained by backprop through the whole sequence.
///
/// wRNN:  h_{t+1} = act(conv(u, h_t) + b_u + V x_t + b_V), u: [c, c, f] circular over each ring
/// iRNN:  h_{t+1} = act(U h_t + b_U + V x_t + b_V),         U: [N, N]
/// readout: y = W h + b (linear) or W2 relu(W1 h + b1) + b2 (mlp), at every step or the last.
///
/// The cell (`recurrentForward`/`recurrentBackward`) is one time step; `run` owns the time
/// loop and walks the saved states in reverse for the backward pass.
public final class SequenceModel<T: Scalar>: @unchecked Sendable {
    public let config: ModelConfig
    public let layout: ParameterLayout
    let encoderWeight: Int, encoderBias: Int, recurrentWeight: Int, recurrentBias: Int
    let readoutWeight: Int, readoutBias: Int, mlpWeight: Int, mlpBias: Int

    /// Products with at most this many terms (input size d, readout width) skip BLAS, whose
    /// packing costs more than the arithmetic, and skip zero inputs (one-hot tokens, black pixels).
    static var smallProductLimit: Int { 16 }
    var smallEncoder: Bool { config.inputSize <= Self.smallProductLimit }

    public init(_ config: ModelConfig) {
        self.config = config
        layout = ParameterLayout(config)
        encoderWeight = layout.offset(.encoderWeight)
        encoderBias = layout.offset(.encoderBias)
        recurrentWeight = layout.offset(.recurrentWeight)
        recurrentBias = layout.offset(.recurrentBias)
        readoutWeight = layout.offset(.readoutWeight)
        readoutBias = layout.offset(.readoutBias)
        mlpWeight = layout.offset(.mlpWeight)
        mlpBias = layout.offset(.mlpBias)
    }

    public func makeWorkspace(capacity: Int, length: Int) -> Workspace<T> {
        Workspace(config: config, capacity: capacity, length: length)
    }

    /// Readout steps R: every step of the sequence, or only the last.
    public func readoutSteps(length: Int) -> Int { config.readoutTiming == .every ? length : 1 }

    /// Runs rows `rows` of `batch` forward, returns their summed loss and, when `grads` is
    /// given, adds dLoss/dparams (loss scaled by `lossScale`) into it.
    public func run(params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>?, batch: SequenceBatch<T>,
                    rows: Range<Int>, lossScale: Double, workspace ws: Workspace<T>) -> Double {
        let b = rows.count, length = batch.length
        precondition(b <= ws.capacity && length == ws.length, "workspace too small for this batch")
        precondition(batch.inputSize == config.inputSize)
        if config.kind.isGated {
            return runGated(params: params, grads: grads, batch: batch, rows: rows, lossScale: lossScale, workspace: ws)
        }
        if !config.kind.isRecurrent {
            return runFlattened(params: params, grads: grads, batch: batch, rows: rows, lossScale: lossScale, workspace: ws)
        }
        let n = config.units
        let states = ws.states.pointer
        prepareBias(params, ws)
        if smallEncoder {
            let d = config.inputSize
            for i in 0..<n { for j in 0..<d { ws.encoderT[j * n + i] = params[encoderWeight + i * d + j] } }
        }
        states.update(repeating: 0, count: b * n)
        for t in 0..<length {
            let hPrev = UnsafePointer(states + t * b * n)
            stepForward(hNext: states + (t + 1) * b * n, hPrev: hPrev, x: input(batch, rows, t), isFirst: t == 0,
                        params: params, rows: b, ws: ws)
        }

        let steps = readoutSteps(length: length)
        let features = UnsafePointer(config.readoutTiming == .every ? states + b * n : states + length * b * n)
        readoutForward(params: params, features: features, rows: steps * b, ws: ws)
        let loss = computeLoss(batch: batch, rows: rows, steps: steps, lossScale: lossScale, ws: ws)
        guard let grads else { return loss }

        let (dFeatures, featureWeight, width) = readoutBackward(params: params, grads: grads, features: features,
                                                                rows: steps * b, ws: ws)
        /// dh = dLoss/dh_s from the readout, for the readout step that reads h_s
        func readoutGradient(into dh: UnsafeMutablePointer<T>, readoutStep r: Int) {
            if width <= Self.smallProductLimit {
                T.smallProduct(out: dh, a: dFeatures + r * b * width, b: featureWeight, initial: nil,
                               rows: b, k: width, n: n, accumulate: false)
            } else {
                T.gemm(dh, ldc: n, dFeatures + r * b * width, lda: width, .none, featureWeight, ldb: n, .none,
                       m: b, n: n, k: width, alpha: 1, beta: 0)
            }
        }
        let every = config.readoutTiming == .every
        let dh = ws.dh.pointer
        var dpre = ws.dpre.pointer, dpreEarlier = ws.dpreEarlier.pointer
        ws.dbias.zero()
        if smallEncoder { ws.dEncoderT.zero() }
        readoutGradient(into: dh, readoutStep: every ? length - 1 : 0)
        T.activationBackward(dpre: dpre, dh: dh, h: states + length * b * n, count: b * n, activation: config.activation)
        T.addColumnSums(out: ws.dbias.pointer, input: dpre, rows: b, cols: n)
        if config.kind == .wrnn {
            flipTransposeKernel(ws.kernelT.pointer, params + recurrentWeight, channelsOut: config.channels,
                                channelsIn: config.channels, kernel: config.kernelSize)
        }
        // dpre holds dLoss/dpre_t, the pre-activation that produced h_{t+1}
        for t in stride(from: length - 1, through: 0, by: -1) {
            if !config.freezeEncoder {
                if smallEncoder {
                    T.smallTransposedProduct(out: ws.dEncoderT.pointer, a: input(batch, rows, t), d: dpre,
                                             rows: b, k: config.inputSize, n: n)
                } else {
                    T.gemm(grads + encoderWeight, ldc: config.inputSize, dpre, lda: n, .transposed,
                           input(batch, rows, t), ldb: config.inputSize, .none,
                           m: n, n: config.inputSize, k: b, alpha: 1, beta: 1)
                }
            }
            if t == 0 { break }
            let h = UnsafePointer(states + t * b * n)
            if every { readoutGradient(into: dh, readoutStep: t - 1) }
            stepBackward(dpreEarlier: dpreEarlier, dh: dh, addReadout: every, dpre: dpre, h: h,
                         params: params, grads: grads, rows: b, ws: ws)
            swap(&dpre, &dpreEarlier)
        }
        if !config.freezeEncoder {
            T.add(out: grads + encoderBias, ws.dbias.pointer, count: n)
            if smallEncoder {
                let d = config.inputSize
                for j in 0..<d { for i in 0..<n { grads[encoderWeight + i * d + j] += ws.dEncoderT[j * n + i] } }
            }
        }
        if !config.freezeRecurrent {
            if config.kind == .wrnn {
                let ring = config.hiddenSize
                for ch in 0..<config.channels {
                    var sum: T = 0
                    for i in 0..<ring { sum += ws.dbias[ch * ring + i] }
                    grads[recurrentBias + ch] += sum
                }
            } else {
                T.add(out: grads + recurrentBias, ws.dbias.pointer, count: n)
            }
        }
        return loss
    }

    /// The authors' fc baseline: y = readout(flatten(x)), with flatten(x)[row, t * d + j] = x_t[row, j]
    /// (their `x.permute(1, 0, 2).reshape(B, -1)`); no recurrence, so no time loop.
    func runFlattened(params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>?, batch: SequenceBatch<T>,
                      rows: Range<Int>, lossScale: Double, workspace ws: Workspace<T>) -> Double {
        let b = rows.count, d = config.inputSize, length = batch.length, n = config.units
        precondition(length * d == n, "fc: the flattened sequence (\(length) x \(d)) must match the readout's input (\(n))")
        let flat = ws.states.pointer   // [rows, L * d]
        for t in 0..<length {
            let x = input(batch, rows, t)
            for row in 0..<b { (flat + row * n + t * d).update(from: x + row * d, count: d) }
        }
        readoutForward(params: params, features: flat, rows: b, ws: ws)
        let loss = computeLoss(batch: batch, rows: rows, steps: 1, lossScale: lossScale, ws: ws)
        if let grads { _ = readoutBackward(params: params, grads: grads, features: flat, rows: b, ws: ws) }
        return loss
    }

    /// x_t for the given rows: [rows, d], contiguous inside the time-major batch.
    @inline(__always)
    func input(_ batch: SequenceBatch<T>, _ rows: Range<Int>, _ t: Int) -> UnsafePointer<T> {
        UnsafePointer(batch.inputs.pointer + (t * batch.batch + rows.lowerBound) * batch.inputSize)
    }

    func prepareBias(_ params: UnsafePointer<T>, _ ws: Workspace<T>) {
        let n = config.units
        ws.bias.pointer.update(from: params + encoderBias, count: n)
        if config.kind == .wrnn {
            let ring = config.hiddenSize
            for ch in 0..<config.channels { for i in 0..<ring { ws.bias[ch * ring + i] += params[recurrentBias + ch] } }
        } else {
            T.add(out: ws.bias.pointer, params + recurrentBias, count: n)
        }
    }

    // MARK: cell: one time step

    /// h_{t+1} = act(conv(u, h_t) + V x_t + bias) (wRNN) or act(U h_t + V x_t + bias) (iRNN).
    /// The wRNN adds the projection, bias and activation inside the convolution's epilogue.
    @inline(__always)
    func stepForward(hNext: UnsafeMutablePointer<T>, hPrev: UnsafePointer<T>, x: UnsafePointer<T>, isFirst: Bool,
                     params: UnsafePointer<T>, rows b: Int, ws: Workspace<T>) {
        let n = config.units, d = config.inputSize
        let pre = ws.pre.pointer
        switch config.kind {
        case .wrnn:
            project(pre: pre, x: x, params: params, rows: b, accumulate: false, ws: ws)
            if config.locallyConnected {
                if !isFirst {
                    T.locallyConnectedForward(out: pre, input: hPrev, weight: params + recurrentWeight, batch: b,
                                              channelsOut: config.channels, channelsIn: config.channels,
                                              ringSize: config.hiddenSize, kernel: config.kernelSize)
                }
                T.biasActivation(out: hNext, pre: pre, bias: ws.bias.pointer, rows: b, cols: n, activation: config.activation)
            } else if isFirst {   // h_0 = 0
                T.biasActivation(out: hNext, pre: pre, bias: ws.bias.pointer, rows: b, cols: n, activation: config.activation)
            } else {
                T.circularConvForward(out: hNext, input: hPrev, weight: params + recurrentWeight, scratch: ws.convScratch.pointer,
                                      batch: b, channelsOut: config.channels, channelsIn: config.channels,
                                      ringSize: config.hiddenSize, kernel: config.kernelSize,
                                      epilogue: ConvEpilogue(.activate(config.activation), addend: pre, bias: ws.bias.pointer))
            }
        case .lstm, .gru, .fc:
            preconditionFailure("gated cells run in runGated, fc in runFlattened")
        case .irnn:
            if isFirst {
                pre.update(repeating: 0, count: b * n)
            } else {
                T.gemm(pre, ldc: n, hPrev, lda: n, .none, params + recurrentWeight, ldb: n, .transposed,
                       m: b, n: n, k: n, alpha: 1, beta: 0)
            }
            project(pre: pre, x: x, params: params, rows: b, accumulate: true, ws: ws)
            T.biasActivation(out: hNext, pre: pre, bias: ws.bias.pointer, rows: b, cols: n, activation: config.activation)
        }
    }

    /// pre (+)= x V^T: rows x N.
    @inline(__always)
    func project(pre: UnsafeMutablePointer<T>, x: UnsafePointer<T>, params: UnsafePointer<T>, rows b: Int,
                 accumulate: Bool, ws: Workspace<T>) {
        let n = config.units, d = config.inputSize
        if smallEncoder {
            T.smallProduct(out: pre, a: x, b: ws.encoderT.pointer, initial: nil, rows: b, k: d, n: n, accumulate: accumulate)
        } else {
            T.gemm(pre, ldc: n, x, lda: d, .none, params + encoderWeight, ldb: d, .transposed,
                   m: b, n: n, k: d, alpha: 1, beta: accumulate ? 1 : 0)
        }
    }

    /// From dpre = dLoss/dpre_t: adds dLoss/du (or dU), and writes dpreEarlier = dLoss/dpre_{t-1}
    /// = (recurrence^T dpre + readout term in dh) * act'(h_t), adding it into the bias sums.
    @inline(__always)
    func stepBackward(dpreEarlier: UnsafeMutablePointer<T>, dh: UnsafeMutablePointer<T>, addReadout: Bool,
                      dpre: UnsafePointer<T>, h: UnsafePointer<T>,
                      params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, rows b: Int, ws: Workspace<T>) {
        let n = config.units
        switch config.kind {
        case .wrnn where config.locallyConnected:
            let c = config.channels, ring = config.hiddenSize, f = config.kernelSize
            if !config.freezeRecurrent {
                T.locallyConnectedWeightGrad(dweight: grads + recurrentWeight, dout: dpre, input: h, batch: b,
                                             channelsOut: c, channelsIn: c, ringSize: ring, kernel: f)
            }
            let recurrent = ws.pre.pointer   // free during the backward pass
            T.locallyConnectedInputGrad(dinput: recurrent, dout: dpre, weight: params + recurrentWeight, batch: b,
                                        channelsOut: c, channelsIn: c, ringSize: ring, kernel: f)
            if addReadout { T.add(out: recurrent, dh, count: b * n) }
            T.activationBackward(dpre: dpreEarlier, dh: recurrent, h: h, count: b * n, activation: config.activation)
            T.addColumnSums(out: ws.dbias.pointer, input: dpreEarlier, rows: b, cols: n)
        case .wrnn:
            let c = config.channels, ring = config.hiddenSize, f = config.kernelSize
            if !config.freezeRecurrent {
                T.circularConvWeightGrad(dweight: grads + recurrentWeight, dout: dpre, input: h,
                                         scratch: ws.convScratch.pointer, batch: b, channelsOut: c, channelsIn: c,
                                         ringSize: ring, kernel: f)
            }
            T.circularConvForward(out: dpreEarlier, input: dpre, weight: ws.kernelT.pointer, scratch: ws.convScratch.pointer,
                                  batch: b, channelsOut: c, channelsIn: c, ringSize: ring, kernel: f,
                                  epilogue: ConvEpilogue(.activationGradient(config.activation),
                                                         addend: addReadout ? UnsafePointer(dh) : nil,
                                                         activationOutput: h, columnSums: ws.dbias.pointer))
        case .lstm, .gru, .fc:
            preconditionFailure("gated cells run in runGated, fc in runFlattened")
        case .irnn:
            if !config.freezeRecurrent {
                T.gemm(grads + recurrentWeight, ldc: n, dpre, lda: n, .transposed, h, ldb: n, .none,
                       m: n, n: n, k: b, alpha: 1, beta: 1)
            }
            T.gemm(dh, ldc: n, dpre, lda: n, .none, params + recurrentWeight, ldb: n, .none,
                   m: b, n: n, k: n, alpha: 1, beta: addReadout ? 1 : 0)
            T.activationBackward(dpre: dpreEarlier, dh: dh, h: h, count: b * n, activation: config.activation)
            T.addColumnSums(out: ws.dbias.pointer, input: dpreEarlier, rows: b, cols: n)
        }
    }

    // MARK: readout

    func readoutForward(params: UnsafePointer<T>, features: UnsafePointer<T>, rows: Int, ws: Workspace<T>) {
        let n = config.units, out = config.outputSize
        switch config.readout {
        case .linear where out <= Self.smallProductLimit:
            T.narrowProduct(out: ws.logits.pointer, a: features, b: params + readoutWeight, rows: rows, width: out, n: n)
        case .linear:
            T.gemm(ws.logits.pointer, ldc: out, features, lda: n, .none, params + readoutWeight, ldb: n, .transposed,
                   m: rows, n: out, k: n, alpha: 1, beta: 0)
        case .mlp:
            let h = config.mlpHidden
            T.gemm(ws.hidden.pointer, ldc: h, features, lda: n, .none, params + mlpWeight, ldb: n, .transposed,
                   m: rows, n: h, k: n, alpha: 1, beta: 0)
            T.biasActivation(out: ws.hidden.pointer, pre: ws.hidden.pointer, bias: params + mlpBias,
                             rows: rows, cols: h, activation: .relu)
            T.gemm(ws.logits.pointer, ldc: out, ws.hidden.pointer, lda: h, .none, params + readoutWeight, ldb: h,
                   .transposed, m: rows, n: out, k: h, alpha: 1, beta: 0)
        }
        T.addBias(out: ws.logits.pointer, bias: params + readoutBias, rows: rows, cols: out)
    }

    /// Adds the readout's parameter gradients; returns dLoss/d(first readout layer's output),
    /// that layer's weight [width, N] and width, from which dLoss/dh follows per step.
    func readoutBackward(params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>, features: UnsafePointer<T>,
                         rows: Int, ws: Workspace<T>) -> (UnsafePointer<T>, UnsafePointer<T>, Int) {
        let n = config.units, out = config.outputSize
        let dlogits = UnsafePointer(ws.dlogits.pointer)
        T.addColumnSums(out: grads + readoutBias, input: dlogits, rows: rows, cols: out)
        switch config.readout {
        case .linear:
            if out <= Self.smallProductLimit {
                T.smallTransposedProduct(out: grads + readoutWeight, a: dlogits, d: features, rows: rows, k: out, n: n)
            } else {
                T.gemm(grads + readoutWeight, ldc: n, dlogits, lda: out, .transposed, features, ldb: n, .none,
                       m: out, n: n, k: rows, alpha: 1, beta: 1)
            }
            return (dlogits, params + readoutWeight, out)
        case .mlp:
            let h = config.mlpHidden
            let hidden = ws.hidden.pointer, dhidden = ws.dhidden.pointer
            T.gemm(grads + readoutWeight, ldc: h, dlogits, lda: out, .transposed, hidden, ldb: h, .none,
                   m: out, n: h, k: rows, alpha: 1, beta: 1)
            T.gemm(dhidden, ldc: h, dlogits, lda: out, .none, params + readoutWeight, ldb: h, .none,
                   m: rows, n: h, k: out, alpha: 1, beta: 0)
            T.activationBackward(dpre: dhidden, dh: dhidden, h: hidden, count: rows * h, activation: .relu)
            T.gemm(grads + mlpWeight, ldc: n, dhidden, lda: h, .transposed, features, ldb: n, .none,
                   m: h, n: n, k: rows, alpha: 1, beta: 1)
            T.addColumnSums(out: grads + mlpBias, input: dhidden, rows: rows, cols: h)
            return (UnsafePointer(dhidden), params + mlpWeight, h)
        }
    }

    // MARK: loss

    func computeLoss(batch: SequenceBatch<T>, rows: Range<Int>, steps: Int, lossScale: Double, ws: Workspace<T>) -> Double {
        let b = rows.count, out = config.outputSize, scale = T(lossScale)
        var loss = 0.0
        for r in 0..<steps {
            let first = (steps == 1 ? 0 : r * batch.batch) + rows.lowerBound
            let logits = ws.logits.pointer + r * b * out, dlogits = ws.dlogits.pointer + r * b * out
            if let classes = batch.classTargets {
                loss += T.softmaxCrossEntropy(dlogits: dlogits, logits: logits, targets: classes.pointer + first,
                                              rows: b, classes: out, gradScale: scale)
            } else if let values = batch.valueTargets {
                loss += T.squaredError(dpred: dlogits, pred: logits, target: values.pointer + first * out,
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
