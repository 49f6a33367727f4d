import WaveCore

extension ModelConfig {
    /// Initial parameters in the flat layout, drawn from `rng` in tensor order (spec 2.1, 2.2).
    public func initialParameters<T: Scalar>(_ rng: inout RandomStream, as: T.Type = T.self) -> [T] {
        let layout = ParameterLayout(self)
        var values = [T](repeating: 0, count: layout.count)
        func uniform(_ tensor: ParameterTensor, bound: Double) {
            for j in tensor.range { values[j] = T(rng.uniform(-bound, bound)) }
        }
        let n = units, d = inputSize
        for tensor in layout.tensors {
            if kind.isGated, [.encoderWeight, .encoderBias, .recurrentWeight, .recurrentBias].contains(tensor.role) {
                uniform(tensor, bound: 1 / Double(n).squareRoot())   // PyTorch's LSTM/GRU init, every weight and bias
                continue
            }
            switch tensor.role {
            case .encoderWeight:
                switch encoderInit {
                case .sparse:
                    // neuron 0 of every ring (the only neuron for the iRNN's single ring) takes every input
                    let ringLength = kind == .wrnn ? hiddenSize : n
                    for ring in 0..<(n / ringLength) { for j in 0..<d { values[tensor.offset + ring * ringLength * d + j] = 1 } }
                case .normal:
                    for j in tensor.range { values[j] = T(0.001 * rng.normal()) }
                }
            case .encoderBias:
                if encoderInit == .normal { uniform(tensor, bound: 1 / Double(d).squareRoot()) }
            case .recurrentWeight:
                switch (kind, recurrentInit) {
                case (.wrnn, .random):
                    uniform(tensor, bound: 1 / Double(channels * kernelSize).squareRoot())
                case (.wrnn, .identity), (.wrnn, .shift):
                    let f = kernelSize, half = f / 2
                    let speed = recurrentInit == .shift ? waveSpeed : 0
                    let positions = locallyConnected ? hiddenSize : 1   // untied: the same taps at every neuron
                    for o in 0..<channels {
                        for i in 0..<positions {
                            let base = tensor.offset + ((o * channels + o) * positions + i) * f
                            values[base + half] += T(1 - speed)
                            values[base + (half + 1) % f] += T(speed)
                        }
                    }
                case (.irnn, .random):
                    uniform(tensor, bound: 1 / Double(n).squareRoot())
                case (.irnn, .identity):
                    for i in 0..<n { values[tensor.offset + i * n + i] = 1 }
                case (.irnn, .shift):
                    for i in 0..<n { values[tensor.offset + i * n + (i + 1) % n] = 1 }
                case (.lstm, _), (.gru, _), (.fc, _):
                    break
                }
            case .recurrentBias:
                // The authors keep PyTorch's default conv bias even for the shift init; the
                // iRNN's identity and shift inits start from zero bias (Le et al.).
                if kind == .wrnn {
                    uniform(tensor, bound: 1 / Double(channels * kernelSize).squareRoot())
                } else if recurrentInit == .random {
                    uniform(tensor, bound: 1 / Double(n).squareRoot())
                }
            case .mlpWeight, .mlpBias:
                uniform(tensor, bound: 1 / Double(n).squareRoot())
            case .readoutWeight, .readoutBias:
                uniform(tensor, bound: 1 / Double(readout == .mlp ? mlpHidden : n).squareRoot())
            }
        }
        return values
    }
}
