import WaveKernels
import XCTest
import WaveCore
import WaveModels

/// The wRNN with bf16 products against itself in fp32, through time: the same loss and gradient up
/// to bf16's rounding (8-bit mantissas), and not the fp32 numbers themselves (the bf16 kernels ran).
/// The kernels alone are held to the plain convolution in `CircularConvBF16Tests`; this checks the
/// cell's use of them (packed weights, the flipped transpose, scratch) over batches past the kernels'
/// groups and on rings that are and are not a multiple of 16.
final class BF16ModelTests: XCTestCase {
    /// With the plain versions on every CPU, and where the CPU has bf16 products both routes: the
    /// AVX512-BF16 kernels and oneDNN's matmul (AMX CPUs' route).
    func testGradientMatchesFP32UpToRounding() {
        defer { Precision.override = nil; Precision.routeOverride = nil }
        let products: [Precision.Products] = Precision.cpuHasBF16 ? [.plain, .kernels] : [.plain]
        for product in products {
            Precision.override = product
            for route in product == .kernels && DenseBF16.loadError == nil ? [Precision.ConvolutionRoute.kernels, .onednn] : [.kernels] {
                Precision.routeOverride = route
                check(product)
            }
        }
    }

    /// The loss and gradient of `config` in fp32 and then in bf16 (left set) on the same 19 random
    /// sequences of 12 steps and the same initial weights, over two shards.
    static func bothFormats(_ config: inout ModelConfig, seed: UInt64) -> ((Double, [Float]), (Double, [Float])) {
        let length = 12, batch = 19, d = config.inputSize
        var rng = RandomStream(seed: seed)
        let params = Buffer(config.initialParameters(&rng, as: Float.self))
        let data = SequenceBatch<Float>(length: length, batch: batch, inputSize: d, classTargets: length * batch, valueTargets: nil)
        for j in 0..<data.inputs.count { data.inputs[j] = Float(rng.uniform(-1, 1)) }
        for j in 0..<data.classTargets!.count { data.classTargets![j] = Int32(rng.int(below: 4)) }
        func lossAndGradient(_ config: ModelConfig) -> (Double, [Float]) {
            let grads = Buffer<Float>(zeros: params.count)
            let loss = BatchRunner(model: SequenceModel<Float>(config), batch: batch, length: length, threads: 2).run(
                params: params, grads: grads, batch: data)
            return (loss, grads.array)
        }
        config.precision = nil
        let fp32 = lossAndGradient(config)
        config.precision = .bf16
        return (fp32, lossAndGradient(config))
    }

    func check(_ products: Precision.Products) {
        for (ringSize, channels, activation) in [(100, 6, Activation.relu), (32, 5, .tanh)] {
            var config = ModelConfig(
                kind: ModelKind.standard, inputSize: 3, outputSize: 4, ringSize: ringSize, channels: channels,
                activation: activation, recurrentInit: .random, encoderInit: .normal, readoutTiming: .every)
            let ((fp32Loss, fp32Grad), (bf16Loss, bf16Grad)) = Self.bothFormats(&config, seed: 3)

            let label = "\(products.rawValue) n \(ringSize) c \(channels) \(activation)"
            XCTAssertEqual(bf16Loss, fp32Loss, accuracy: 1e-2 * fp32Loss, label)
            XCTAssertNotEqual(bf16Loss, fp32Loss, "the bf16 products did not run: \(label)")
            let difference = zip(bf16Grad, fp32Grad).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            let norm = fp32Grad.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertLessThan(difference / norm, 1e-2, "gradient differs by more than bf16 rounding: \(label)")
        }
    }

    /// The iRNN and the gated cells with bf16 recurrent products against themselves in fp32, through
    /// time: the plain version on every CPU, oneDNN where it runs. Hidden sizes that are not multiples
    /// of oneDNN's blocks, shards of 10 and 9 rows, 12 steps: the forward, backward and weight-gradient
    /// products of every step go through `DenseProducts`; each tensor's gradient is checked apart, so
    /// a wrong product (an offset, a transpose, a lost accumulation) shows in its own block.
    ///
    /// Inputs of 20 values per step (past `InputProjection.smallLimit`) take the input projection's
    /// products in bf16 too, the wRNN's among them (its convolution's plain versions beside).
    func testGatedModelsMatchFP32UpToRounding() {
        defer { DenseBF16.override = nil; Precision.override = nil }
        Precision.override = .plain
        let products: [DenseBF16.Products] = DenseBF16.chosenProducts == .onednn ? [.plain, .onednn] : [.plain]
        for product in products {
            DenseBF16.override = product
            for (kind, d) in [
                (ModelKind.irnn, 3), (.lstm, 3), (.gru, 3), (.cornn, 3), (.lem, 3), (.irnn, 20), (.lstm, 20), (.gru, 20), (.cornn, 20),
                (.lem, 20), (.wrnn, 20)
            ] {
                var config = ModelConfig(kind: kind, inputSize: d, outputSize: 4, ringSize: 21, readoutTiming: .every)
                if kind == .irnn { config.recurrentInit = .random }
                if kind == .wrnn { config.channels = 3; config.encoderInit = .normal; config.recurrentInit = .random }
                let ((fp32Loss, fp32Grad), (bf16Loss, bf16Grad)) = Self.bothFormats(&config, seed: 4)
                let label = "\(product.rawValue) \(kind.model.label) d \(d)"
                XCTAssertEqual(bf16Loss, fp32Loss, accuracy: 1e-2 * fp32Loss, label)
                XCTAssertNotEqual(bf16Loss, fp32Loss, "the bf16 products did not run: \(label)")
                func relative(_ range: Range<Int>) -> Double {
                    var difference = 0.0, norm = 0.0
                    for j in range {
                        difference += Double(bf16Grad[j] - fp32Grad[j]) * Double(bf16Grad[j] - fp32Grad[j])
                        norm += Double(fp32Grad[j]) * Double(fp32Grad[j])
                    }
                    return (difference / max(norm, 1e-300)).squareRoot()
                }
                XCTAssertLessThan(relative(0..<fp32Grad.count), 2e-2, "gradient differs by more than bf16 rounding: \(label)")
                // every tensor's gradient differs by rounding only: close to fp32's, and not equal to it
                for tensor in ParameterLayout(config).tensors {
                    let range = tensor.offset..<(tensor.offset + tensor.count)
                    XCTAssertGreaterThan(relative(range), 0, "\(label): \(tensor.name) is fp32's exactly")
                    XCTAssertLessThan(relative(range), 0.15, "\(label): \(tensor.name)")
                }
            }
        }
    }
}
