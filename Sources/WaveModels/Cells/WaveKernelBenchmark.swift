import Foundation
import WaveCore
import WaveKernels

/// Times the circular convolution's forward step (relu epilogue with the input projection and
/// bias added), its input gradient (relu gate, bias-gradient sums) and its weight gradient, each
/// alone over a wRNN configuration's batch, one shard per thread as training runs them: what the
/// kernels reach without the rest of the time loop around them. Each kernel is repeated for at
/// least a quarter second; FLOPs are 2 c^2 f n per batch row and call.
func timeConvolutionKernels(_ model: ModelConfig, configName: String, batch: Int, threads: Int, seed: UInt64) -> [KernelBenchResult] {
    let c = model.channels, n = model.ringSize, f = model.kernelSize, units = c * n
    let pool = ShardPool(threads: threads)
    let shards = shardRanges(total: batch, parts: threads)
    var rng = RandomStream(seed: seed)
    func randomBuffer(_ count: Int) -> Buffer<Float> { uniformBuffer(count, &rng) }
    let weight = randomBuffer(c * c * f), bias = randomBuffer(units)
    struct Shard { let input, addend, out, dweight, sums, scratch: Buffer<Float> }
    let work = shards.map { range in
        Shard(
            input: randomBuffer(range.count * units), addend: randomBuffer(range.count * units),
            out: Buffer<Float>(zeros: range.count * units), dweight: Buffer<Float>(zeros: c * c * f),
            sums: Buffer<Float>(zeros: units),
            scratch: Buffer<Float>(zeros: circularConvScratchCount(channels: c, ringSize: n, kernel: f)))
    }
    let kernels: [(String, (Shard, Int) -> Void)] = [
        (
            "forward",
            { s, rows in
                Kernel<Float>.circularConvForward(
                    out: s.out.pointer, input: s.input.pointer, weight: weight.pointer, scratch: s.scratch.pointer,
                    batch: rows, channelsOut: c, channelsIn: c, ringSize: n, kernel: f,
                    epilogue: ConvEpilogue(.activate(.relu), addend: s.addend.pointer, bias: bias.pointer))
            }
        ),
        (
            "input gradient",
            { s, rows in
                Kernel<Float>.circularConvForward(
                    out: s.out.pointer, input: s.addend.pointer, weight: weight.pointer, scratch: s.scratch.pointer,
                    batch: rows, channelsOut: c, channelsIn: c, ringSize: n, kernel: f,
                    epilogue: ConvEpilogue(
                        .activationGradient(.relu), activationOutput: s.input.pointer,
                        columnSums: s.sums.pointer))
            }
        ),
        (
            "weight gradient",
            { s, rows in
                Kernel<Float>.circularConvWeightGrad(
                    dweight: s.dweight.pointer, dout: s.addend.pointer, input: s.input.pointer,
                    scratch: s.scratch.pointer, batch: rows, channelsOut: c, channelsIn: c, ringSize: n, kernel: f)
            }
        )
    ]
    return timeKernels(
        kernels.map { name, kernel in (name, { s, rows in kernel(work[s], rows) }) }, shards: shards, pool: pool,
        flopsPerRow: Double(2 * c * c * f * n), configName: configName)
}

/// `count` values uniform in [-1, 1): a benchmark's operands.
func uniformBuffer(_ count: Int, _ rng: inout RandomStream) -> Buffer<Float> {
    let buffer = Buffer<Float>(zeros: count)
    for i in 0..<count { buffer[i] = Float(rng.uniform(-1, 1)) }
    return buffer
}

/// Times each kernel over the shards, one hand-off to the shard threads per measurement with each
/// shard repeating the kernel, so the time is the kernel's and not the threads' wake-ups; repeated
/// until 0.25 s. `flopsPerRow`: one call's multiply-adds (2 per pair) per batch row.
func timeKernels(
    _ kernels: [(String, (_ shard: Int, _ rows: Int) -> Void)], shards: [Range<Int>], pool: ShardPool, flopsPerRow: Double,
    configName: String
) -> [KernelBenchResult] {
    let batch = shards.reduce(0) { $0 + $1.count }
    return kernels.map { name, kernel in
        func timed(_ repeats: Int) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            pool.run(shards.count) { s in for _ in 0..<repeats { kernel(s, shards[s].count) } }
            return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
        var repeats = 1
        var elapsed = timed(1) // also the warm-up
        while elapsed < 0.25 {
            repeats = min(repeats * 4, 1 << 20)
            elapsed = timed(repeats)
        }
        let perCall = elapsed / Double(repeats)
        return KernelBenchResult(
            config: configName, kernel: name, path: KernelPath.current.rawValue,
            gflops: flopsPerRow * Double(batch) / perCall / 1e9, percentOfPeak: nil, secondsPerCall: perCall)
    }
}

/// The sheet convolution's forward step (relu epilogue with the input projection and bias), its
/// input gradient (flipped kernel, relu gate, bias-gradient sums) and its weight gradient, as
/// `timeConvolutionKernels` times the ring's: 2 c^2 f^2 h w FLOPs per batch row and call.
func timeSheetKernels(_ model: ModelConfig, configName: String, batch: Int, threads: Int, seed: UInt64) -> [KernelBenchResult] {
    let sheet = model.sheet ?? SheetShape(height: 1, width: model.ringSize)
    let c = model.channels, f = model.kernelSize, h = sheet.height, w = sheet.width, units = c * sheet.cells
    let pool = ShardPool(threads: threads)
    let shards = shardRanges(total: batch, parts: threads)
    var rng = RandomStream(seed: seed)
    func randomBuffer(_ count: Int) -> Buffer<Float> { uniformBuffer(count, &rng) }
    let weight = randomBuffer(c * c * f * f), bias = randomBuffer(units)
    struct Shard { let input, addend, out, dweight, sums, scratch: Buffer<Float> }
    let work = shards.map { range in
        Shard(
            input: randomBuffer(range.count * units), addend: randomBuffer(range.count * units),
            out: Buffer<Float>(zeros: range.count * units), dweight: Buffer<Float>(zeros: c * c * f * f),
            sums: Buffer<Float>(zeros: units),
            scratch: Buffer<Float>(zeros: sheetConvScratchCount(channelsOut: c, channelsIn: c, height: h, width: w, kernel: f)))
    }
    let kernels: [(String, (Int, Int) -> Void)] = [
        (
            "sheet forward",
            { s, rows in
                let s = work[s]
                Kernel<Float>.sheetConvForward(
                    out: s.out.pointer, input: s.input.pointer, weight: weight.pointer, scratch: s.scratch.pointer,
                    batch: rows, channelsOut: c, channelsIn: c, height: h, width: w, kernel: f,
                    epilogue: ConvEpilogue(.activate(.relu), addend: s.addend.pointer, bias: bias.pointer))
            }
        ),
        (
            "sheet input grad",
            { s, rows in
                let s = work[s]
                Kernel<Float>.sheetConvBackward(
                    dinput: s.out.pointer, dweight: nil, dout: s.addend.pointer, input: s.input.pointer,
                    weightT: weight.pointer, scratch: s.scratch.pointer,
                    batch: rows, channelsOut: c, channelsIn: c, height: h, width: w, kernel: f,
                    epilogue: ConvEpilogue(.activationGradient(.relu), activationOutput: s.input.pointer, columnSums: s.sums.pointer))
            }
        ),
        (
            "sheet weight grad",
            { s, rows in
                let s = work[s]
                Kernel<Float>.sheetConvBackward(
                    dinput: nil, dweight: s.dweight.pointer, dout: s.addend.pointer, input: s.input.pointer,
                    weightT: nil, scratch: s.scratch.pointer,
                    batch: rows, channelsOut: c, channelsIn: c, height: h, width: w, kernel: f, epilogue: .store)
            }
        ),
        (
            "sheet backward",
            { s, rows in
                let s = work[s]
                Kernel<Float>.sheetConvBackward(
                    dinput: s.out.pointer, dweight: s.dweight.pointer, dout: s.addend.pointer, input: s.input.pointer,
                    weightT: weight.pointer, scratch: s.scratch.pointer,
                    batch: rows, channelsOut: c, channelsIn: c, height: h, width: w, kernel: f,
                    epilogue: ConvEpilogue(.activationGradient(.relu), activationOutput: s.input.pointer, columnSums: s.sums.pointer))
            }
        )
    ]
    // one product per row each; the backward as training runs it (both gradients, one pass over
    // the output gradient's lanes) two
    let flops = Double(2 * c * c * f * f * sheet.cells)
    return zip(kernels, [1.0, 1.0, 1.0, 2.0]).flatMap { kernel, products in
        timeKernels([kernel], shards: shards, pool: pool, flopsPerRow: products * flops, configName: configName)
    }
}

/// Calls the kernels through Scalar's witness table, as the models do. (Named on the concrete type
/// from here, `Float.circularConvForward` binds to the protocol extension's generic body, which
/// runs unspecialised, hundreds of times slower.)
enum Kernel<T: Scalar> {
    @_semantics("optimize.sil.specialize.generic.never") @inline(never)
    static func sheetConvForward(
        out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
        batch: Int, channelsOut: Int, channelsIn: Int, height: Int, width: Int, kernel: Int, epilogue: ConvEpilogue<T>
    ) {
        T.sheetConvForward(
            out: out, input: input, weight: weight, scratch: scratch, batch: batch, channelsOut: channelsOut,
            channelsIn: channelsIn, height: height, width: width, kernel: kernel, epilogue: epilogue)
    }
    @_semantics("optimize.sil.specialize.generic.never") @inline(never)
    static func sheetConvBackward(
        dinput: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>?, dout: UnsafePointer<T>, input: UnsafePointer<T>,
        weightT: UnsafePointer<T>?, scratch: UnsafeMutablePointer<T>,
        batch: Int, channelsOut: Int, channelsIn: Int, height: Int, width: Int, kernel: Int, epilogue: ConvEpilogue<T>
    ) {
        T.sheetConvBackward(
            dinput: dinput, dweight: dweight, dout: dout, input: input, weightT: weightT, scratch: scratch, batch: batch,
            channelsOut: channelsOut, channelsIn: channelsIn, height: height, width: width, kernel: kernel, epilogue: epilogue)
    }
    @_semantics("optimize.sil.specialize.generic.never") @inline(never)
    static func circularConvForward(
        out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        scratch: UnsafeMutablePointer<T>, batch: Int, channelsOut: Int, channelsIn: Int,
        ringSize: Int, kernel: Int, epilogue: ConvEpilogue<T>
    ) {
        T.circularConvForward(
            out: out, input: input, weight: weight, scratch: scratch, batch: batch, channelsOut: channelsOut,
            channelsIn: channelsIn, ringSize: ringSize, kernel: kernel, epilogue: epilogue)
    }
    @_semantics("optimize.sil.specialize.generic.never") @inline(never)
    static func circularConvWeightGrad(
        dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>,
        scratch: UnsafeMutablePointer<T>, batch: Int, channelsOut: Int, channelsIn: Int,
        ringSize: Int, kernel: Int
    ) {
        T.circularConvWeightGrad(
            dweight: dweight, dout: dout, input: input, scratch: scratch, batch: batch,
            channelsOut: channelsOut, channelsIn: channelsIn, ringSize: ringSize, kernel: kernel)
    }
}

/// fp32 seconds / bf16 seconds of the convolution's forward and weight gradient on `rows` sequences
/// of `model`'s rings, one thread, each side timed for about `seconds` / 2 (after one warm-up call):
/// what `--precision bf16` changes in a training step, measured where the run will train.
func timeConvolutionBF16Speedup(_ model: ModelConfig, rows: Int, seconds: Double) -> Double {
    let c = model.channels, n = model.ringSize, f = model.kernelSize, units = c * n
    var rng = RandomStream(seed: 1)
    func randomBuffer(_ count: Int) -> Buffer<Float> { uniformBuffer(count, &rng) }
    let weight = randomBuffer(c * c * f), input = randomBuffer(rows * units), dout = randomBuffer(rows * units)
    let out = Buffer<Float>(zeros: rows * units), dweight = Buffer<Float>(zeros: c * c * f)
    let scratch = Buffer<Float>(zeros: circularConvScratchCount(channels: c, ringSize: n, kernel: f))
    let scratchBF16 = Buffer<Float>(zeros: circularConvBF16ScratchCount(channelsOut: c, channelsIn: c, ringSize: n, kernel: f))
    let pairs = Buffer<Float>(zeros: bf16WeightPairsCount(rows: c, channels: c, kernel: f))
    packWeightPairsBF16(pairs.pointer, weight: weight.pointer, rows: c, channels: c, kernel: f)
    let epilogue = ConvEpilogue<Float>(.activate(.relu))
    func fp32() {
        Kernel<Float>.circularConvForward(
            out: out.pointer, input: input.pointer, weight: weight.pointer, scratch: scratch.pointer, batch: rows, channelsOut: c,
            channelsIn: c, ringSize: n, kernel: f, epilogue: epilogue)
        Kernel<Float>.circularConvWeightGrad(
            dweight: dweight.pointer, dout: dout.pointer, input: input.pointer, scratch: scratch.pointer, batch: rows, channelsOut: c,
            channelsIn: c, ringSize: n, kernel: f)
    }
    func bf16() {
        circularConvForwardBF16(
            out: out.pointer, input: input.pointer, weightPairs: pairs.pointer, scratch: scratchBF16.pointer, batch: rows,
            channelsOut: c, channelsIn: c, ringSize: n, kernel: f, epilogue: epilogue)
        circularConvWeightGradBF16(
            dweight: dweight.pointer, dout: dout.pointer, input: input.pointer, scratch: scratchBF16.pointer, batch: rows,
            channelsOut: c, channelsIn: c, ringSize: n, kernel: f)
    }
    return perCall(fp32, budget: seconds / 4) / perCall(bf16, budget: seconds / 4)
}

/// fp32 seconds / bf16 seconds of a dense cell's recurrent products for one step of `rows`
/// sequences, one thread, each side timed for about `seconds` / 2: for each weight W [out, in] the
/// forward a W^T, the backward g W and the weight gradient g^T a, through `DenseProducts` as the
/// cells call them (the bf16 side rounds its operands as they do).
func timeDenseBF16Speedup(weights: [(out: Int, in: Int)], rows: Int, seconds: Double) -> Double? {
    guard DenseBF16.products != nil else { return nil }
    let count = weights.reduce(0) { $0 + $1.out * $1.in }, widest = weights.map { max($0.out, $0.in) }.max() ?? 1
    var rng = RandomStream(seed: 1)
    let params = uniformBuffer(count, &rng), grads = Buffer<Float>(zeros: count)
    let a = uniformBuffer(rows * widest, &rng), g = uniformBuffer(rows * widest, &rng), c = Buffer<Float>(zeros: rows * widest)
    func step(_ products: DenseProducts<Float>) {
        products.roundWeights(params.pointer, offset: 0, count: count)
        var offset = 0
        for (out, k) in weights {
            products.timesWeight(
                c.pointer, ldc: out, a.pointer, lda: k, .none, params: params.pointer, offset: offset, ldb: k, .transposed, m: rows,
                n: out, k: k, beta: 0)
            products.timesWeight(
                c.pointer, ldc: k, g.pointer, lda: out, .none, params: params.pointer, offset: offset, ldb: k, .none, m: rows, n: k,
                k: out, beta: 1)
            products.product(
                grads.pointer + offset, ldc: k, g.pointer, lda: out, .transposed, a.pointer, ldb: k, .none, m: out, n: k, k: rows, beta: 1)
            offset += out * k
        }
    }
    let fp32 = DenseProducts<Float>(bf16: false, parameterCount: count, operandCount: rows * widest)
    let bf16 = DenseProducts<Float>(bf16: true, parameterCount: count, operandCount: rows * widest)
    return perCall({ step(fp32) }, budget: seconds / 4) / perCall({ step(bf16) }, budget: seconds / 4)
}

/// Seconds per call: the faster of two measurements of about `budget` seconds each, after one warm-up call.
func perCall(_ work: () -> Void, budget: Double) -> Double {
    work()
    var best = Double.infinity
    for _ in 0..<2 {
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            work()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        } while elapsed < budget
        best = min(best, elapsed / Double(calls))
    }
    return best
}
