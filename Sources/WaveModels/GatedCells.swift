import WaveCore

extension SequenceModel {
    /// LSTM (gates i, f, g, o) and GRU (gates r, z, n) in PyTorch's formulation:
    ///   LSTM: A = x W_ih^T + b_ih + h W_hh^T + b_hh;  c' = s(f) c + s(i) tanh(g);  h' = s(o) tanh(c')
    ///   GRU:  r = s(.), z = s(.), n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn));  h' = (1 - z) n + z h
    /// The cell kernels are one time step; this owns the time loop and walks it back for BPTT.
    func runGated(params: UnsafePointer<T>, grads: UnsafeMutablePointer<T>?, batch: SequenceBatch<T>,
                  rows: Range<Int>, lossScale: Double, workspace ws: Workspace<T>) -> Double {
        let b = rows.count, length = batch.length, n = config.units, d = config.inputSize
        let width = config.kind.gateCount * n
        let lstm = config.kind == .lstm
        let wIH = params + encoderWeight, wHH = params + recurrentWeight
        let bIH = params + encoderBias, bHH = params + recurrentBias
        let states = ws.states.pointer, cells = ws.cells.pointer
        states.update(repeating: 0, count: b * n)
        if lstm { cells.update(repeating: 0, count: b * n) }
        for t in 0..<length {
            let hPrev = UnsafePointer(states + t * b * n), hNext = states + (t + 1) * b * n
            let x = input(batch, rows, t)
            let gates = ws.gates.pointer + t * b * width
            if lstm {
                T.gemm(gates, ldc: width, x, lda: d, .none, wIH, ldb: d, .transposed, m: b, n: width, k: d, alpha: 1, beta: 0)
                if t > 0 {
                    T.gemm(gates, ldc: width, hPrev, lda: n, .none, wHH, ldb: n, .transposed, m: b, n: width, k: n, alpha: 1, beta: 1)
                }
                T.addBias(out: gates, bias: bIH, rows: b, cols: width)
                T.addBias(out: gates, bias: bHH, rows: b, cols: width)
                T.lstmForward(h: hNext, c: cells + (t + 1) * b * n, gates: gates, cPrev: cells + t * b * n, rows: b, n: n)
            } else {
                let ax = ws.ax.pointer, ah = ws.ah.pointer
                T.gemm(ax, ldc: width, x, lda: d, .none, wIH, ldb: d, .transposed, m: b, n: width, k: d, alpha: 1, beta: 0)
                T.addBias(out: ax, bias: bIH, rows: b, cols: width)
                if t > 0 {
                    T.gemm(ah, ldc: width, hPrev, lda: n, .none, wHH, ldb: n, .transposed, m: b, n: width, k: n, alpha: 1, beta: 0)
                } else {
                    ah.update(repeating: 0, count: b * width)
                }
                T.addBias(out: ah, bias: bHH, rows: b, cols: width)
                T.gruForward(h: hNext, gates: gates, hn: ws.hn.pointer + t * b * n, ax: ax, ah: ah, hPrev: hPrev, rows: b, n: n)
            }
        }

        let steps = readoutSteps(length: length)
        let every = config.readoutTiming == .every
        let features = UnsafePointer(every ? states + b * n : states + length * b * n)
        readoutForward(params: params, features: features, rows: steps * b, ws: ws)
        let loss = computeLoss(batch: batch, rows: rows, steps: steps, lossScale: lossScale, ws: ws)
        guard let grads else { return loss }

        let (dFeatures, featureWeight, featureWidth) = readoutBackward(params: params, grads: grads, features: features,
                                                                       rows: steps * b, ws: ws)
        /// dh (+)= dLoss/dh from readout step r
        func addReadoutGradient(_ dh: UnsafeMutablePointer<T>, readoutStep r: Int, accumulate: Bool) {
            T.gemm(dh, ldc: n, dFeatures + r * b * featureWidth, lda: featureWidth, .none, featureWeight, ldb: n, .none,
                   m: b, n: n, k: featureWidth, alpha: 1, beta: accumulate ? 1 : 0)
        }
        let dh = ws.dh.pointer, dAx = ws.ax.pointer, direct = ws.dpre.pointer
        addReadoutGradient(dh, readoutStep: every ? length - 1 : 0, accumulate: false)
        if lstm { ws.dc.zero() }
        ws.dGateBiasIH.zero()
        ws.dGateBiasHH.zero()
        for t in stride(from: length - 1, through: 0, by: -1) {
            // dh holds dLoss/dh_{t+1}; the step's saved gates are overwritten in place by the
            // gradient of the pre-activations W_hh produced, so dW_hh is one product at the end
            let hPrev = UnsafePointer(states + t * b * n)
            let gates = ws.gates.pointer + t * b * width
            let x = input(batch, rows, t)
            let dInput: UnsafeMutablePointer<T>   // gradient of x W_ih^T + b_ih
            if lstm {
                T.lstmBackward(dA: gates, dc: ws.dc.pointer, dh: dh, gates: gates, c: cells + (t + 1) * b * n,
                               cPrev: cells + t * b * n, rows: b, n: n)
                dInput = gates
            } else {
                T.gruBackward(dAx: dAx, dAh: gates, dhDirect: direct, dh: dh, gates: gates, hn: ws.hn.pointer + t * b * n,
                              hPrev: hPrev, rows: b, n: n)
                dInput = dAx
                T.addColumnSums(out: ws.dGateBiasHH.pointer, input: gates, rows: b, cols: width)
            }
            T.addColumnSums(out: ws.dGateBiasIH.pointer, input: dInput, rows: b, cols: width)
            if !config.freezeEncoder {
                T.gemm(grads + encoderWeight, ldc: d, dInput, lda: width, .transposed, x, ldb: d, .none,
                       m: width, n: d, k: b, alpha: 1, beta: 1)
            }
            if t == 0 { break }
            // dLoss/dh_t = dRecurrent W_hh (+ z dh for the GRU) (+ readout at step t - 1)
            if !lstm { dh.update(from: direct, count: b * n) }
            T.gemm(dh, ldc: n, gates, lda: width, .none, wHH, ldb: n, .none, m: b, n: n, k: width, alpha: 1,
                   beta: lstm ? 0 : 1)
            if every { addReadoutGradient(dh, readoutStep: t - 1, accumulate: true) }
        }
        if !config.freezeRecurrent && length > 1 {
            // dW_hh = sum_{t >= 1} dRecurrent_t^T h_t over every step at once
            T.gemm(grads + recurrentWeight, ldc: n, ws.gates.pointer + b * width, lda: width, .transposed,
                   states + b * n, ldb: n, .none, m: width, n: n, k: (length - 1) * b, alpha: 1, beta: 1)
        }
        if !config.freezeEncoder { T.add(out: grads + encoderBias, ws.dGateBiasIH.pointer, count: width) }
        if !config.freezeRecurrent {
            T.add(out: grads + recurrentBias, (lstm ? ws.dGateBiasIH : ws.dGateBiasHH).pointer, count: width)
        }
        return loss
    }
}
