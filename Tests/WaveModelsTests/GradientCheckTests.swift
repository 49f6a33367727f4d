import WaveKernels
import XCTest
import WaveCore
import WaveModels

/// The whole model through time against central finite differences, in Double.
final class GradientCheckTests: XCTestCase {
    func makeBatch(config: ModelConfig, length: Int, batch: Int, seed: UInt64) -> SequenceBatch<Double> {
        var rng = RandomStream(seed: seed)
        let classification = config.outputSize > 1
        let steps = config.readoutTiming == .every ? length : 1
        let data = SequenceBatch<Double>(
            length: length, batch: batch, inputSize: config.inputSize,
            classTargets: classification ? steps * batch : nil,
            valueTargets: classification ? nil : batch * config.outputSize)
        for j in 0..<data.inputs.count { data.inputs[j] = rng.uniform(-1, 1) }
        if let targets = data.classTargets {
            // one position without a target exercises the ignore path
            for j in 0..<targets.count { targets[j] = j == 1 ? -1 : Int32(rng.int(below: config.outputSize)) }
        }
        if let values = data.valueTargets { for j in 0..<values.count { values[j] = rng.uniform(0, 1) } }
        return data
    }

    func check(
        _ config: ModelConfig, length: Int = 5, batch: Int = 3, threads: Int = 1, jitter: Double = 0,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let model = SequenceModel<Double>(config)
        var rng = RandomStream(seed: 99)
        var initial = config.initialParameters(&rng, as: Double.self)
        // Sparse inits leave exact zeros where relu has a kink; a little jitter keeps
        // central differences away from it without changing what is being tested.
        for j in initial.indices { initial[j] += jitter * rng.uniform(-1, 1) }
        let params = Buffer(initial)
        let grads = Buffer<Double>(zeros: params.count)
        let data = makeBatch(config: config, length: length, batch: batch, seed: 5)
        let runner = BatchRunner(model: model, batch: batch, length: length, threads: threads)
        runner.run(params: params, grads: grads, batch: data)
        let frozen = model.layout.frozenRanges(config)
        var worst = 0.0, worstName = ""
        for tensor in model.layout.tensors {
            for j in tensor.range {
                let keep = params[j]
                let h = 1e-6
                params[j] = keep + h; let up = runner.run(params: params, grads: nil, batch: data)
                params[j] = keep - h; let down = runner.run(params: params, grads: nil, batch: data)
                params[j] = keep
                let numeric = (up - down) / (2 * h)
                if frozen.contains(where: { $0.contains(j) }) {
                    XCTAssertEqual(grads[j], 0, "frozen \(tensor.name) must get no gradient", file: file, line: line)
                    continue
                }
                let error = abs(grads[j] - numeric) / max(1e-3, abs(numeric) + abs(grads[j]))
                if error > worst {
                    worst = error; worstName = "\(tensor.name)[\(j - tensor.offset)] analytic \(grads[j]) numeric \(numeric)"
                }
            }
        }
        XCTAssertLessThan(
            worst, 1e-5,
            "\(config.kind) \(config.activation) \(config.recurrentInit) \(config.encoderInit) \(config.readout) \(config.readoutTiming): \(worstName)",
            file: file, line: line)
    }

    func testWaveRNNEveryInitActivationAndReadout() {
        for activation in Activation.allCases {
            for recurrentInit in RecurrentInit.allCases {
                for encoderInit in EncoderInit.allCases {
                    // c = 5 rings of n = 9: one full 4-channel tile plus a remainder, ring not a SIMD multiple
                    check(
                        ModelConfig(
                            kind: .wrnn, inputSize: 3, outputSize: 4, ringSize: 9, channels: 5, kernelSize: 3,
                            activation: activation, recurrentInit: recurrentInit, encoderInit: encoderInit,
                            readoutTiming: .every), jitter: 0.05)
                }
            }
        }
    }

    /// Rings of 2 x 1024 doubles make the cell walk its rows in blocks of 8 (`rowBlock`): 20 rows
    /// on 2 threads are two shards of 10, each a block of 8 and one of 2, with readouts at every
    /// step (each block's readout gradient rows) and at the last. (tanh: among this many relu
    /// pre-activations one sits within a finite-difference step of the kink.)
    func testWaveRNNInRowBlocks() {
        let config = ModelConfig(
            kind: .wrnn, inputSize: 1, outputSize: 2, ringSize: 1024, channels: 2, kernelSize: 3,
            activation: .tanh, readoutTiming: .every)
        XCTAssertEqual(WaveCell<Double>(config).rowBlock, 8)
        check(config, length: 3, batch: 20, threads: 2, jitter: 0.05)
        var last = config
        last.readoutTiming = .last
        check(last, length: 3, batch: 20, threads: 2, jitter: 0.05)
    }

    func testWaveRNNReadoutsKernelsAndRegression() {
        check(
            ModelConfig(
                kind: .wrnn, inputSize: 2, outputSize: 3, ringSize: 6, channels: 2, kernelSize: 3,
                readout: .mlp, readoutTiming: .every, mlpHidden: 7), jitter: 0.05)
        check(
            ModelConfig(
                kind: .wrnn, inputSize: 2, outputSize: 1, ringSize: 7, channels: 3, kernelSize: 5,
                readoutTiming: .last), jitter: 0.05)
        check(
            ModelConfig(
                kind: .wrnn, inputSize: 1, outputSize: 10, ringSize: 17, channels: 4, kernelSize: 1,
                activation: .tanh, readout: .mlp, readoutTiming: .last, mlpHidden: 5), length: 4)
        check(
            ModelConfig(
                kind: .wrnn, inputSize: 3, outputSize: 4, ringSize: 5, channels: 2,
                readoutTiming: .every, freezeRecurrent: true, freezeEncoder: true), jitter: 0.05)
        check(
            ModelConfig(
                kind: .wrnn, inputSize: 3, outputSize: 4, ringSize: 5, channels: 2, activation: .tanh,
                readoutTiming: .every, waveSpeed: 0.4), threads: 2)
    }

    func sheetConfig(
        _ h: Int, _ w: Int, channels: Int, kernel: Int = 3, inputSize: Int = 2, outputSize: Int = 3,
        activation: Activation = .relu, recurrentInit: RecurrentInit = .shift, encoderInit: EncoderInit = .sparse,
        readoutTiming: ReadoutTiming = .every
    ) -> ModelConfig {
        var config = ModelConfig(
            kind: .wrnn2d, inputSize: inputSize, outputSize: outputSize, ringSize: h * w, channels: channels, kernelSize: kernel,
            activation: activation, recurrentInit: recurrentInit, encoderInit: encoderInit, readoutTiming: readoutTiming)
        config.sheet = SheetShape(height: h, width: w)
        return config
    }

    /// The sheet through time: every init and activation on a 3 x 4 torus of 7 channels (one full
    /// 6-channel tile and a remainder), 17 rows (a lane group of 16 and one more).
    func testSheetEveryInitActivationAndReadout() {
        for activation in Activation.allCases {
            for recurrentInit in RecurrentInit.allCases {
                for encoderInit in EncoderInit.allCases {
                    var config = sheetConfig(
                        3, 4, channels: 7, activation: activation, recurrentInit: recurrentInit, encoderInit: encoderInit)
                    if recurrentInit == .shift { config.shiftDirection = ShiftDirection("mixed") }
                    if encoderInit == .sparse { config.waveSource = .edge }
                    check(config, length: 4, batch: 17, jitter: 0.05)
                }
            }
        }
    }

    func testSheetKernelsReadoutsAndFreezing() {
        check(sheetConfig(5, 5, channels: 2, kernel: 5, outputSize: 1, readoutTiming: .last), length: 4, threads: 2, jitter: 0.05)
        var mlp = sheetConfig(2, 3, channels: 3, kernel: 1, activation: .tanh)
        mlp.readout = .mlp; mlp.mlpHidden = 5
        check(mlp, length: 4)
        var frozen = sheetConfig(3, 3, channels: 2, inputSize: 3)
        frozen.freezeRecurrent = true; frozen.freezeEncoder = true
        check(frozen, length: 4, jitter: 0.05)
        var slow = sheetConfig(4, 3, channels: 2, activation: .tanh)
        slow.waveSpeed = 0.4; slow.shiftDirection = ShiftDirection("-x+y")
        check(slow, length: 5, threads: 2)
        // a dense V (d > 16: BLAS, no row blocks), as nsCIFAR-10's 96 values per step
        let dense = sheetConfig(3, 3, channels: 2, inputSize: 20, outputSize: 2, readoutTiming: .last)
        XCTAssertNil(SheetCell<Double>(dense).rowBlock)
        check(dense, length: 3, batch: 5, threads: 2, jitter: 0.05)
        // rows in blocks of 16 (16 rows of 2 x 16 x 32 cells in Double fill the 128 KB a block may): 16 and 2
        let blocks = sheetConfig(16, 32, channels: 2, inputSize: 1, outputSize: 1, activation: .tanh, readoutTiming: .last)
        XCTAssertEqual(SheetCell<Double>(blocks).rowBlock, 16)
        check(blocks, length: 3, batch: 18, jitter: 0.05)
    }

    func testIRNNEveryInitActivationAndReadout() {
        for activation in Activation.allCases {
            for recurrentInit in RecurrentInit.allCases {
                for encoderInit in EncoderInit.allCases {
                    check(
                        ModelConfig(
                            kind: .irnn, inputSize: 3, outputSize: 4, ringSize: 11, activation: activation,
                            recurrentInit: recurrentInit, encoderInit: encoderInit, readoutTiming: .every), jitter: 0.05)
                }
            }
        }
        check(
            ModelConfig(
                kind: .irnn, inputSize: 2, outputSize: 1, ringSize: 6, readout: .mlp, readoutTiming: .last,
                mlpHidden: 4), jitter: 0.05)
        check(
            ModelConfig(
                kind: .irnn, inputSize: 2, outputSize: 3, ringSize: 6, readoutTiming: .last,
                freezeRecurrent: true), threads: 2, jitter: 0.05)
    }

    /// The locally connected ablation: untied weights per neuron, every init and activation.
    func testLocallyConnectedWaveRNN() {
        for activation in Activation.allCases {
            for recurrentInit in RecurrentInit.allCases {
                var config = ModelConfig(
                    kind: .wrnn, inputSize: 2, outputSize: 3, ringSize: 6, channels: 2, kernelSize: 3,
                    activation: activation, recurrentInit: recurrentInit, readoutTiming: .every)
                config.locallyConnected = true
                check(config, length: 4, jitter: 0.05)
            }
        }
        var last = ModelConfig(kind: .wrnn, inputSize: 2, outputSize: 1, ringSize: 5, channels: 3, kernelSize: 5, readoutTiming: .last)
        last.locallyConnected = true
        check(last, length: 4, threads: 2, jitter: 0.05)
    }

    func testGatedCellsThroughTime() {
        for kind in [ModelKind.lstm, .gru] {
            check(ModelConfig(kind: kind, inputSize: 3, outputSize: 4, ringSize: 5, readoutTiming: .every), length: 6)
            check(ModelConfig(kind: kind, inputSize: 2, outputSize: 1, ringSize: 7, readoutTiming: .last), length: 5)
            check(
                ModelConfig(
                    kind: kind, inputSize: 1, outputSize: 3, ringSize: 4, readout: .mlp, readoutTiming: .last,
                    mlpHidden: 6), length: 4, threads: 2)
            check(
                ModelConfig(
                    kind: kind, inputSize: 2, outputSize: 3, ringSize: 4, readoutTiming: .every,
                    freezeRecurrent: true), length: 4)
            check(
                ModelConfig(
                    kind: kind, inputSize: 2, outputSize: 3, ringSize: 4, readoutTiming: .every,
                    freezeEncoder: true), length: 4)
        }
    }
}

/// The authors' fc baseline: the flattened sequence into a linear or MLP readout, with 1 and 2 shards.
extension GradientCheckTests {
    func testFlattenedSequenceIntoEitherReadout() {
        for readout in ReadoutKind.allCases {
            for threads in [1, 2] {
                var config = ModelConfig(kind: .fc, inputSize: 2, outputSize: 3, ringSize: 5 * 2, readoutTiming: .last)
                config.readout = readout
                config.mlpHidden = 7
                check(config, length: 5, batch: 4, threads: threads, jitter: 0.01)
            }
        }
    }

    /// flatten(x)[row, t * d + j] = x_t[row, j]: the readout sees the authors' permute-and-reshape.
    func testFlattenOrderIsTimeMajorPerRow() {
        var config = ModelConfig(kind: .fc, inputSize: 2, outputSize: 1, ringSize: 3 * 2, readoutTiming: .last)
        config.readout = .linear
        let model = SequenceModel<Double>(config)
        // readout weight picks feature 3 only (t = 1, j = 1); bias 0
        var params = [Double](repeating: 0, count: model.layout.count)
        params[model.layout.tensor(.readoutWeight)!.offset + 3] = 1
        let batch = SequenceBatch<Double>(length: 3, batch: 2, inputSize: 2, classTargets: nil, valueTargets: 2)
        for t in 0..<3 { for row in 0..<2 { for j in 0..<2 { batch.inputs[(t * 2 + row) * 2 + j] = Double(100 * row + 10 * t + j) } } }
        let runner = BatchRunner(model: model, batch: 2, length: 3, threads: 1)
        runner.run(params: Buffer(params), grads: nil, batch: batch)
        XCTAssertEqual(runner.output(step: 0, row: 0)[0], 11)
        XCTAssertEqual(runner.output(step: 0, row: 1)[0], 111)
    }
}
