import WaveKernels
import XCTest
import WaveCore
import WaveModels

/// A coRNN or LEM with larger steps than the published ones, so every term of the update matters.
func baselineConfig(_ kind: ModelKind, d: Int, out: Int, n: Int, timing: ReadoutTiming, readout: ReadoutKind = .linear) -> ModelConfig {
    var config = ModelConfig(
        kind: kind, inputSize: d, outputSize: out, ringSize: n, readout: readout, readoutTiming: timing,
        mlpHidden: 5)
    config.dt = kind == .lem ? 0.6 : 0.3
    config.gamma = 1.3
    config.epsilon = 0.7
    return config
}

/// coRNN and LEM against finite differences in Double, through time, with 1 and 2 shards.
extension GradientCheckTests {
    func testCoRNNGradientsThroughTime() {
        check(baselineConfig(.cornn, d: 3, out: 4, n: 5, timing: .every), length: 6)
        check(baselineConfig(.cornn, d: 2, out: 1, n: 9, timing: .last), length: 5, threads: 2)
        check(baselineConfig(.cornn, d: 20, out: 3, n: 4, timing: .last, readout: .mlp), length: 4) // d > 16: BLAS encoder
        check(baselineConfig(.cornn, d: 1, out: 3, n: 11, timing: .every), length: 1)
    }

    func testLEMGradientsThroughTime() {
        check(baselineConfig(.lem, d: 3, out: 4, n: 5, timing: .every), length: 6)
        check(baselineConfig(.lem, d: 2, out: 1, n: 9, timing: .last), length: 5, threads: 2)
        check(baselineConfig(.lem, d: 20, out: 3, n: 4, timing: .last, readout: .mlp), length: 4)
        check(baselineConfig(.lem, d: 1, out: 3, n: 11, timing: .every), length: 1)
    }
}

/// The fast cells against a plain transcription of their authors' equations, and the layout,
/// names and init their PyTorch code has.
final class BaselineCellTests: XCTestCase {

    /// Every fast gated or oscillator cell (SIMD lanes, BLAS, partial last lanes) against the plain
    /// Double version beside it in its cell file, at every step, over sizes that are and are not
    /// multiples of 8 and 16 and inputs on both sides of 16.
    func testFastCellsMatchTheirPlainVersions() {
        for kind in [ModelKind.lstm, .gru, .cornn, .lem] {
            for (d, n, rows, threads) in [
                (1, 8, 3, 1), (3, 13, 5, 2), (17, 24, 4, 2), (2, 1, 2, 1), (96, 7, 3, 1), (5, 17, 3, 2), (4, 32, 2, 1)
            ] {
                let length = 6
                var c =
                    kind == .lstm || kind == .gru
                    ? ModelConfig(kind: kind, inputSize: d, outputSize: 2, ringSize: n, readoutTiming: .last)
                    : baselineConfig(kind, d: d, out: 2, n: n, timing: .last)
                if kind == .cornn || kind == .lem { c.dt = kind == .lem ? 0.4 : 0.2 }
                var rng = RandomStream(seed: UInt64(d * 100 + n))
                var params = c.initialParameters(&rng, as: Double.self)
                // larger weights than the init, so that the gates leave their linear range
                params = params.map { 2.5 * $0 }
                let batch = SequenceBatch<Float>(length: length, batch: rows, inputSize: d, classTargets: rows, valueTargets: nil)
                for j in 0..<batch.inputs.count { batch.inputs[j] = Float(rng.uniform(-1, 1)) }
                let runner = BatchRunner(model: SequenceModel<Float>(c), batch: rows, length: length, threads: threads)
                runner.run(params: Buffer(params.map { Float($0) }), grads: nil, batch: batch)
                for row in 0..<rows {
                    let inputs = (0..<length).map { t in (0..<d).map { Double(batch.inputs[(t * rows + row) * d + $0]) } }
                    let plain: [[Double]]
                    switch kind {
                    case .lstm: plain = LSTMCell<Double>.plainForward(c, params: params, inputs: inputs)
                    case .gru: plain = GRUCell<Double>.plainForward(c, params: params, inputs: inputs)
                    case .cornn: plain = CoRNNCell<Double>.plainForward(c, params: params, inputs: inputs)
                    default: plain = LEMCell<Double>.plainForward(c, params: params, inputs: inputs)
                    }
                    XCTAssertEqual(plain.count, length)
                    for t in 1...length {
                        let fast = runner.state(step: t, row: row)
                        for k in 0..<n {
                            XCTAssertEqual(
                                Double(fast[k]), plain[t - 1][k], accuracy: 3e-5 * max(1, abs(plain[t - 1][k])),
                                "\(kind) d=\(d) n=\(n) row \(row) step \(t) unit \(k)")
                        }
                    }
                }
            }
        }
    }

    // MARK: layout, names, init

    func testNamesShapesAndCountsFollowTheAuthorsCode() {
        let cornn = ModelConfig(kind: .cornn, inputSize: 1, outputSize: 10, ringSize: 256)
        XCTAssertEqual(ParameterLayout(cornn).tensors.map(\.name), ["cell.i2h.weight", "cell.i2h.bias", "readout.weight", "readout.bias"])
        XCTAssertEqual(ParameterLayout(cornn).tensors.map(\.shape), [[256, 513], [256], [10, 256], [10]])
        XCTAssertEqual(cornn.parameterCount, 256 * 513 + 256 + 2570)
        let lem = ModelConfig(kind: .lem, inputSize: 1, outputSize: 10, ringSize: 128)
        XCTAssertEqual(
            ParameterLayout(lem).tensors.map(\.name),
            [
                "cell.inp2hid.weight", "cell.inp2hid.bias", "cell.hid2hid.weight", "cell.hid2hid.bias",
                "cell.transform_z.weight", "cell.transform_z.bias", "classifier.weight", "classifier.bias"
            ])
        XCTAssertEqual(ParameterLayout(lem).tensors.map(\.shape), [[512, 1], [512], [384, 128], [384], [128, 128], [128], [10, 128], [10]])
        XCTAssertEqual(lem.parameterCount, 512 * 2 + 384 * 129 + 128 * 129 + 1290)
    }

    func testInitsAreTheAuthors() {
        let n = 64
        let lem = ModelConfig(kind: .lem, inputSize: 3, outputSize: 10, ringSize: n)
        var rng = RandomStream(seed: 4)
        let values = lem.initialParameters(&rng, as: Double.self)
        let layout = ParameterLayout(lem)
        let classifier = layout.tensor(.readoutWeight)!
        let cell = values[0..<classifier.offset]
        XCTAssertTrue(cell.allSatisfy { abs($0) <= 1 / Double(n).squareRoot() }, "every cell weight and bias uniform(±1/sqrt(N))")
        XCTAssertGreaterThan(cell.map(abs).max()!, 0.9 / Double(n).squareRoot())
        let weights = Array(values[classifier.range])
        let std = (weights.reduce(0) { $0 + $1 * $1 } / Double(weights.count)).squareRoot()
        XCTAssertEqual(std, (2 / Double(n)).squareRoot(), accuracy: 0.1 * (2 / Double(n)).squareRoot(), "Kaiming-normal classifier")

        let cornn = ModelConfig(kind: .cornn, inputSize: 3, outputSize: 10, ringSize: n)
        let cv = cornn.initialParameters(&rng, as: Double.self)
        let bound = 1 / Double(3 + 2 * n).squareRoot()
        let i2h = cv[0..<(n * (3 + 2 * n) + n)]
        XCTAssertTrue(i2h.allSatisfy { abs($0) <= bound } && i2h.map(abs).max()! > 0.9 * bound, "PyTorch's Linear default over [x, z, y]")
    }
}
