import WaveKernels
import XCTest
import WaveCore
import WaveModels
import WaveTestSupport

final class ModelTests: XCTestCase {
    /// The counts spec 2.5 gives, from the formula the tool prints.
    func testParameterCountsMatchThePaper() {
        XCTAssertEqual(ModelConfig(kind: .irnn, inputSize: 1, outputSize: 10, ringSize: 256).parameterCount, 68_874)
        XCTAssertEqual(ModelConfig(kind: .wrnn, inputSize: 96, outputSize: 10, ringSize: 256, channels: 16).parameterCount, 439_066)
        XCTAssertEqual(ModelConfig(kind: .wrnn, inputSize: 10, outputSize: 10, ringSize: 100, channels: 6).parameterCount, 12_724)
        let mlp = ModelConfig(kind: .wrnn, inputSize: 1, outputSize: 10, ringSize: 256, channels: 16, readout: .mlp)
        XCTAssertEqual(mlp.parameterCount, 16 * 16 * 3 + 16 + 4096 + 4096 + 4096 * 100 + 100 + 100 * 10 + 10)
    }

    /// PyTorch's nn.LSTM / nn.GRU parameters: 4N(d + N + 2) and 3N(d + N + 2), plus the readout.
    func testGatedParameterCountsAndNames() {
        XCTAssertEqual(
            ModelConfig(kind: .lstm, inputSize: 1, outputSize: 10, ringSize: 256).parameterCount,
            4 * 256 * (1 + 256 + 2) + 256 * 10 + 10)
        XCTAssertEqual(
            ModelConfig(kind: .gru, inputSize: 1, outputSize: 10, ringSize: 256).parameterCount,
            3 * 256 * (1 + 256 + 2) + 256 * 10 + 10)
        let layout = ParameterLayout(ModelConfig(kind: .lstm, inputSize: 3, outputSize: 2, ringSize: 5))
        XCTAssertEqual(
            layout.tensors.map(\.name),
            [
                "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "readout.weight", "readout.bias"
            ])
        XCTAssertEqual(layout.tensors.map(\.shape), [[20, 3], [20, 5], [20], [20], [2, 5], [2]])
        var rng = RandomStream(seed: 2)
        let values = ModelConfig(kind: .gru, inputSize: 3, outputSize: 2, ringSize: 5).initialParameters(&rng, as: Double.self)
        XCTAssertTrue(values.allSatisfy { abs($0) <= 1 / 5.0.squareRoot() }, "uniform(-1/sqrt(N), 1/sqrt(N)) everywhere")
    }

    /// Untied weights: c*c*n*f recurrent parameters, the shift at every neuron, so it too starts waves.
    func testLocallyConnectedLayoutAndShiftInit() {
        var config = ModelConfig(
            kind: .wrnn, inputSize: 1, outputSize: 1, ringSize: 7, channels: 2,
            activation: .identity, readoutTiming: .last)
        config.locallyConnected = true
        XCTAssertEqual(ParameterLayout(config).tensor(.recurrentWeight)?.shape, [2, 2, 7, 3])
        XCTAssertEqual(config.parameterCount, 2 * 2 * 7 * 3 + 2 + 14 + 14 + 14 + 1)
        var rng = RandomStream(seed: 1)
        var values = config.initialParameters(&rng, as: Double.self)
        for j in ParameterLayout(config).tensor(.recurrentBias)!.range { values[j] = 0 }
        let runner = BatchRunner(model: SequenceModel<Double>(config), batch: 1, length: 4, threads: 1)
        let data = SequenceBatch<Double>(length: 4, batch: 1, inputSize: 1, classTargets: nil, valueTargets: 1)
        data.inputs[0] = 1
        runner.run(params: Buffer(values), grads: nil, batch: data)
        let h = runner.state(step: 3, row: 0)
        XCTAssertEqual((0..<7).map { h[$0] }, [0, 0, 0, 0, 0, 1, 0], "the pulse moved two neurons down the ring")
    }

    func testNamesAndShapesFollowTheAuthorsStateDict() {
        let layout = ParameterLayout(ModelConfig(kind: .wrnn, inputSize: 10, outputSize: 10, ringSize: 100, channels: 6))
        XCTAssertEqual(
            layout.tensors.map(\.name),
            [
                "cell.Wx.weight", "cell.Wx.bias", "cell.Wy.weight", "cell.Wy.bias",
                "readout.weight", "readout.bias"
            ])
        XCTAssertEqual(layout.tensors.map(\.shape), [[600, 10], [600], [6, 6, 3], [6], [10, 600], [10]])
    }

    /// With the shift init, identity activation and zero biases, a pulse on neuron 0 of each
    /// ring travels one neuron per step around the ring (the wave the paper is about).
    func testShiftInitStartsATravelingWave() {
        let config = ModelConfig(
            kind: .wrnn, inputSize: 1, outputSize: 1, ringSize: 7, channels: 2,
            activation: .identity, readoutTiming: .last)
        var rng = RandomStream(seed: 1)
        var values = config.initialParameters(&rng, as: Double.self)
        let layout = ParameterLayout(config)
        for j in layout.tensor(.recurrentBias)!.range { values[j] = 0 }
        let model = SequenceModel<Double>(config)
        let runner = BatchRunner(model: model, batch: 1, length: 5, threads: 1)
        let data = SequenceBatch<Double>(length: 5, batch: 1, inputSize: 1, classTargets: nil, valueTargets: 1)
        data.inputs[0] = 1 // pulse at t = 0 only
        runner.run(params: Buffer(values), grads: nil, batch: data)
        for t in 1...5 {
            let h = runner.state(step: t, row: 0)
            for ch in 0..<2 {
                let ring = (0..<7).map { h[ch * 7 + $0] }
                var expected = [Double](repeating: 0, count: 7)
                expected[(7 - (t - 1)) % 7] = 1 // conv(u, h)[i] = h[i + 1]: activity moves to lower indices
                XCTAssertEqual(ring, expected, "t=\(t) ch=\(ch)")
            }
        }
    }

    func testInitialisationFollowsTheSpec() {
        var rng = RandomStream(seed: 4)
        let config = ModelConfig(kind: .wrnn, inputSize: 2, outputSize: 3, ringSize: 4, channels: 2, kernelSize: 3)
        let v = config.initialParameters(&rng, as: Double.self)
        let layout = ParameterLayout(config)
        let encoder = layout.tensor(.encoderWeight)!
        // sparse: V[ch*n + 0, j] = 1
        let ones = encoder.range.filter { v[$0] == 1 }.map { $0 - encoder.offset }
        XCTAssertEqual(ones, [0, 1, 8, 9])
        XCTAssertTrue(layout.tensor(.encoderBias)!.range.allSatisfy { v[$0] == 0 })
        let u = layout.tensor(.recurrentWeight)!
        XCTAssertEqual(u.range.map { v[$0] }, [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        let bound = 1 / 6.0.squareRoot()
        XCTAssertTrue(layout.tensor(.recurrentBias)!.range.allSatisfy { abs(v[$0]) <= bound && v[$0] != 0 })

        let irnn = ModelConfig(kind: .irnn, inputSize: 2, outputSize: 3, ringSize: 4, recurrentInit: .shift)
        var rng2 = RandomStream(seed: 4)
        let w = irnn.initialParameters(&rng2, as: Double.self)
        let uI = ParameterLayout(irnn).tensor(.recurrentWeight)!
        for i in 0..<4 { for j in 0..<4 { XCTAssertEqual(w[uI.offset + i * 4 + j], j == (i + 1) % 4 ? 1 : 0) } }
        let vI = ParameterLayout(irnn).tensor(.encoderWeight)!
        XCTAssertTrue(vI.range.allSatisfy { abs(w[$0]) < 0.01 && w[$0] != 0 }, "normal(0, 0.001)")
    }

    /// Splitting the batch across threads changes only the summation order.
    func testShardedRunMatchesSingleShard() {
        let config = ModelConfig(kind: .wrnn, inputSize: 3, outputSize: 4, ringSize: 9, channels: 3, readoutTiming: .every)
        var rng = RandomStream(seed: 8)
        let params = Buffer(config.initialParameters(&rng, as: Float.self))
        let data = SequenceBatch<Float>(length: 6, batch: 7, inputSize: 3, classTargets: 6 * 7, valueTargets: nil)
        for j in 0..<data.inputs.count { data.inputs[j] = Float(rng.uniform(0, 1)) }
        for j in 0..<data.classTargets!.count { data.classTargets![j] = Int32(rng.int(below: 4)) }
        let model = SequenceModel<Float>(config)
        let one = Buffer<Float>(zeros: params.count), two = Buffer<Float>(zeros: params.count)
        let lossOne = BatchRunner(model: model, batch: 7, length: 6, threads: 1).run(params: params, grads: one, batch: data)
        let lossTwo = BatchRunner(model: model, batch: 7, length: 6, threads: 2).run(params: params, grads: two, batch: data)
        XCTAssertEqual(lossOne, lossTwo, accuracy: 1e-6)
        assertClose(one.array, two.array, 1e-5)
    }
}

/// The memory check before a run counts what the workspaces will allocate, for every model.
final class WorkspaceEstimateTests: XCTestCase {
    func testEstimateEqualsWhatIsAllocated() {
        // bf16 products' buffers too (their plain versions, so they exist on every CPU)
        Precision.override = .plain
        DenseBF16.override = .plain
        defer { Precision.override = nil; DenseBF16.override = nil }
        for kind in ModelKind.allCases {
            for precision in kind.model.options.contains(.precision) ? [nil, Precision.bf16] : [nil] {
                for (d, n, c, timing, readout) in [
                    (1, 9, 3, ReadoutTiming.last, ReadoutKind.linear), (20, 5, 2, .every, .mlp), (3, 16, 1, .every, .linear)
                ] {
                    let length = 7, capacity = 5
                    var config = ModelConfig(
                        kind: kind, inputSize: d, outputSize: 4, ringSize: kind == .fc ? length * d : n,
                        channels: c, readout: readout, readoutTiming: kind == .fc ? .last : timing, mlpHidden: 6)
                    if kind == .wrnn { config.locallyConnected = n == 5 && precision == nil }
                    config.precision = precision
                    let workspace = SequenceModel<Float>(config).makeWorkspace(capacity: capacity, length: length)
                    XCTAssertEqual(
                        Double(workspace.bytes), config.workspaceBytes(capacity: capacity, length: length),
                        "\(kind) d=\(d) n=\(n) \(precision?.rawValue ?? "fp32")")
                    XCTAssertEqual(config.estimatedParameterCount, Double(config.parameterCount), "\(kind)")
                }
            }
        }
    }
}
