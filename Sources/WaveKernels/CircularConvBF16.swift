import CFloatMode
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WaveKernelsBF16
#if arch(x86_64)
import WaveKernelsAVX512
#endif

/// The number format of a model's heavy products (`--precision`).
///   fp32: everything in fp32.
///   bf16: the wRNN's circular convolution (forward, input gradient, weight gradient) takes its
///         operands rounded to bfloat16 and sums their exact products in fp32 (AVX512-BF16's
///         vdpbf16ps); outputs, master weights, Adam and the loss stay fp32.
public enum Precision: String, Codable, CaseIterable, Sendable {
    case fp32, bf16

    /// Whether this CPU multiplies bf16 pairs into fp32 (AVX512-BF16: Cooper Lake, Sapphire
    /// Rapids, Zen 4 and later), read once from CPUID.
    public static let cpuHasBF16: Bool = wrnn_cpu_has_avx512_bf16() != 0

    /// How bf16 products run: the AVX512-BF16 kernels, or their plain versions (the same products
    /// and order one value at a time, equal to fp32 rounding; on any CPU, many times slower).
    public enum Products: String, Sendable { case kernels, plain }

    /// The kernels where the CPU has them and `WRNN_KERNELS=portable` (the baseline kernels only)
    /// does not turn them off; else the plain versions when `WRNN_BF16=emulate` asks for them
    /// (to check a bf16 run's numbers on a machine without bf16 products); else none.
    public static let chosenProducts: Products? = {
        if cpuHasBF16 && KernelPath.chosen == .avx512 { return .kernels }
        return getenv("WRNN_BF16").map { String(cString: $0) } == "emulate" ? .plain : nil
    }()

    /// Tests set this to run the plain versions, and then the kernels where the CPU has them.
    nonisolated(unsafe) public static var override: Products?

    public static var products: Products? { override ?? chosenProducts }

    /// Whether bf16 products run here.
    public static var bf16Available: Bool { products != nil }

    /// The one line that refuses `--precision bf16` where it cannot run.
    public static var bf16Refusal: String {
        cpuHasBF16
            ? "--precision bf16 needs AVX512-BF16 products, which WRNN_KERNELS=portable turns off; unset it or use --precision fp32"
            : "--precision bf16 needs a CPU with AVX512-BF16 products (Cooper Lake, Sapphire Rapids, AMD Zen 4 or later), and this one has none; use --precision fp32"
    }
}

extension Precision {
    /// Where the CPU has bf16 products, what runs the convolution's: our AVX512-BF16 kernels, or
    /// oneDNN's matmul over the taps laid out as rows (AMX tiles on Sapphire and Emerald Rapids, whose
    /// `vdpbf16ps` ran no faster than fp32 FMAs: our kernels were 0.5-0.75x fp32 there).
    public enum ConvolutionRoute: String, Sendable { case kernels, onednn }

    /// oneDNN on a CPU with AMX (where it loads), the kernels elsewhere; `WRNN_BF16_CONV=kernels` or
    /// `onednn` chooses (to measure one against the other).
    public static let chosenRoute: ConvolutionRoute = {
        let oneDNN: ConvolutionRoute = DenseBF16.loadError == nil ? .onednn : .kernels
        switch getenv("WRNN_BF16_CONV").map({ String(cString: $0) }) {
        case "kernels": return .kernels
        case "onednn": return oneDNN
        default: return DenseBF16.cpuHasAMX ? oneDNN : .kernels
        }
    }()

    /// Tests set this to run one route and then the other.
    nonisolated(unsafe) public static var routeOverride: ConvolutionRoute?
    public static var route: ConvolutionRoute { routeOverride ?? chosenRoute }

    /// Whether the oneDNN route runs (the plain versions stand in for both routes under WRNN_BF16=emulate).
    static var throughOneDNN: Bool { products == .kernels && route == .onednn }
}

/// Batch rows the bf16 forward packs into one product, their rings end to end (8 rings of the copy
/// task's n = 100 fill 816 positions, 51 whole 16-lane vectors).
let bf16ForwardRows = 8
/// Batch rows one bf16 weight-gradient product sums over: more positions per horizontal sum.
let bf16WeightGradRows = 16

/// Where the bf16 convolution's scratch goes, in Float units, every part 64-byte aligned. Rings lie
/// end to end, each wrapped and padded to span = n + f - 1 (WaveKernelsBF16.h); then either raw
/// [cOut, positions] fp32 sums and packed [cIn pairs, packedStride] channel pairs (forward), or
/// gradients [cOut, ringStride] and rings [cIn, ringStride] as bf16 rows (weight gradient).
struct BF16ConvLayout {
    let span: Int
    let raw = 0, packed: Int // forward
    let gradients = 0, rings: Int // weight gradient
    let count: Int

    /// Positions of a forward product over `rows` rings (a multiple of 16) and its packed rows' stride.
    func forward(rows: Int, kernel f: Int) -> (positions: Int, stride: Int) {
        Self.sizes(span: span, rows: rows, kernel: f, multiple: 16)
    }
    /// Positions of a weight-gradient product over `rows` rings (a multiple of 32) and its rows' stride.
    func weightGrad(rows: Int, kernel f: Int) -> (positions: Int, stride: Int) {
        Self.sizes(span: span, rows: rows, kernel: f, multiple: 32)
    }

    /// The last ring's last output is position (rows - 1) * span + n - 1; its window reaches f - 1 further.
    static func sizes(span: Int, rows: Int, kernel f: Int, multiple: Int) -> (positions: Int, stride: Int) {
        let positions = ((rows - 1) * span + span - f + 1 + multiple - 1) / multiple * multiple
        return (positions, (positions + f - 1 + multiple - 1) / multiple * multiple)
    }

    init(channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int) {
        @inline(__always) func aligned(_ x: Int) -> Int { (x + 15) / 16 * 16 }
        span = n + f - 1
        let forward = Self.sizes(span: span, rows: bf16ForwardRows, kernel: f, multiple: 16)
        let weightGrad = Self.sizes(span: span, rows: bf16WeightGradRows, kernel: f, multiple: 32)
        packed = aligned(cOut * forward.positions)
        rings = aligned((cOut * weightGrad.stride + 1) / 2)
        count = max(
            packed + aligned((cIn + 1) / 2 * forward.stride), rings + aligned((cIn * weightGrad.stride + 1) / 2),
            OneDNNConvLayout(span: span, channelsOut: cOut, channelsIn: cIn, kernel: f).count)
    }
}

/// The oneDNN route's scratch, in Float units, 64-byte aligned parts. The taps as rows: cols[k cInPad
/// + ch, q] = ring ch at position q + k (zero for the padding channel), so the product's depth is
/// (tap, channel) in the order of the packed weight pairs, whose bf16 halves are the weight as a
/// [cOut, f cInPad] matrix.
///   forward: raw [cOut, positions] fp32, rings [cIn, stride] bf16, cols [f cInPad, positions] bf16
///   weight gradient: gradients [cOut, stride] bf16, rings, cols as above, sums [cOut, f cInPad] fp32
struct OneDNNConvLayout {
    let raw = 0, gradients = 0
    let rings: Int, cols: Int, sums: Int, count: Int
    let paddedChannels: Int

    init(span: Int, channelsOut cOut: Int, channelsIn cIn: Int, kernel f: Int) {
        @inline(__always) func aligned(_ x: Int) -> Int { (x + 15) / 16 * 16 }
        paddedChannels = (cIn + 1) / 2 * 2
        let forward = BF16ConvLayout.sizes(span: span, rows: bf16ForwardRows, kernel: f, multiple: 16)
        let weightGrad = BF16ConvLayout.sizes(span: span, rows: bf16WeightGradRows, kernel: f, multiple: 32)
        let positions = max(forward.positions, weightGrad.positions), stride = max(forward.stride, weightGrad.stride)
        // the forward's fp32 sums or the weight gradient's bf16 rows come first, whichever is larger
        rings = aligned(max(cOut * forward.positions, (cOut * weightGrad.stride + 1) / 2))
        cols = rings + aligned((cIn * stride + 1) / 2)
        sums = cols + aligned((f * paddedChannels * positions + 1) / 2)
        count = sums + aligned(cOut * f * paddedChannels)
    }
}

/// Scratch, in elements of a Float buffer, that the bf16 convolution needs.
public func circularConvBF16ScratchCount(channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int) -> Int {
    BF16ConvLayout(channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f).count
}

/// 32-bit words the packed bf16 weight pairs of a [rows, channels, kernel] weight take.
public func bf16WeightPairsCount(rows: Int, channels: Int, kernel: Int) -> Int { rows * kernel * ((channels + 1) / 2) }

/// pairs = the [rows, channels, kernel] weight rounded to bf16, two neighbouring channels per word,
/// tap by tap (the broadcast operand of the bf16 products); pairs must hold `bf16WeightPairsCount` words.
public func packWeightPairsBF16<T: Scalar>(
    _ pairs: UnsafeMutablePointer<T>, weight: UnsafePointer<T>, rows: Int, channels: Int, kernel: Int
) {
    precondition(T.self == Float.self && MemoryLayout<T>.stride == 4, "bf16 products are for Float models")
    wrnn_bf16_pack_weight_pairs(
        UnsafeMutableRawPointer(pairs).assumingMemoryBound(to: UInt32.self), asFloat(weight), rows, channels, kernel)
}

/// The circular convolution's forward with bf16 products: as `Kernel.circularConvForward` (same
/// layouts and epilogue), with input and weight rounded to bf16 and each output an fp32 sum of
/// their exact products. `bf16ForwardRows` batch rows at a time: their wrapped, padded rings end to
/// end as channel pairs, one product whose f taps read them one position apart, then the epilogue
/// per row.
/// - out: [batch, cOut, n]; input: [batch, cIn, n]; weightPairs: from `packWeightPairsBF16` of
///   the [cOut, cIn, f] weight; scratch: `circularConvBF16ScratchCount` elements
/// (Generic for the cells, whose T is Float whenever this runs; the work is in the Float body.)
public func circularConvForwardBF16<T: Scalar>(
    out: UnsafeMutablePointer<T>, input: UnsafePointer<T>, weightPairs: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int, epilogue e: ConvEpilogue<T>
) {
    precondition(T.self == Float.self && Precision.bf16Available, "bf16 products need Float and AVX512-BF16")
    wrnn_bf16_use_plain(Precision.products == .plain ? 1 : 0)
    circularConvForwardBF16(
        out: asFloat(out), input: asFloat(input), weightPairs: asFloat(weightPairs), scratch: asFloat(scratch), batch: batch,
        channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f, epilogue: unsafeBitCast(e, to: ConvEpilogue<Float>.self))
}

func circularConvForwardBF16(
    out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weightPairs: UnsafePointer<Float>,
    scratch: UnsafeMutablePointer<Float>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int, epilogue e: ConvEpilogue<Float>
) {
    let layout = BF16ConvLayout(channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f)
    let raw = scratch + layout.raw
    let packed = UnsafeMutableRawPointer(scratch + layout.packed).assumingMemoryBound(to: UInt32.self)
    let pairs = UnsafeRawPointer(weightPairs).assumingMemoryBound(to: UInt32.self)
    let oneDNN = Precision.throughOneDNN ? OneDNNConvLayout(span: layout.span, channelsOut: cOut, channelsIn: cIn, kernel: f) : nil
    var b0 = 0
    while b0 < batch {
        let rows = min(bf16ForwardRows, batch - b0)
        let (positions, stride) = layout.forward(rows: rows, kernel: f)
        if let oneDNN {
            // raw [cOut, positions] = weight [cOut, f cInPad] x cols [f cInPad, positions]
            let rings = bf16Part(scratch, oneDNN.rings), cols = bf16Part(scratch, oneDNN.cols), k = f * oneDNN.paddedChannels
            wrnn_bf16_pack_rings(rings, stride, input + b0 * cIn * n, rows, cIn, f, n)
            tapsAsRows(
                cols, rings: rings, stride: stride, channels: cIn, paddedChannels: oneDNN.paddedChannels, kernel: f, positions: positions)
            DenseBF16.gemm(
                raw, ldc: positions, UnsafeRawPointer(weightPairs).assumingMemoryBound(to: UInt16.self), lda: k, .none, cols,
                ldb: positions, .none, m: cOut, n: positions, k: k, beta: 0)
        } else {
            wrnn_bf16_pack_channel_pairs(packed, stride, input + b0 * cIn * n, rows, cIn, f, n)
            wrnn_bf16_product(raw, positions, packed, stride, pairs, cOut, (cIn + 1) / 2, f, positions)
        }
        for r in 0..<rows {
            let rowRaw = UnsafePointer(raw + r * layout.span)
            #if arch(x86_64)
            if n >= 16, KernelPath.current == .avx512,
                let fused = fusedEpilogue(e, out: out, batchRow: b0 + r, channelsOut: cOut, ringSize: n)
            {
                finishRowsAVX512(raw: rowRaw, rawStride: positions, rows: cOut, epilogue: fused)
                continue
            }
            #endif
            finishRows(
                out, raw: raw + r * layout.span, rawStride: positions, rows: cOut, firstRow: 0, batchRow: b0 + r,
                channelsOut: cOut, ringSize: n, e)
        }
        b0 += rows
    }
}

/// The weight gradient with bf16 products: dweight[o, ch, k] += sum_{b, i} dout[b, o, i] *
/// input[b, ch, (i + k - f/2) mod n], both operands rounded to bf16 and the sums in fp32;
/// `bf16WeightGradRows` batch rows per product, on the same end-to-end rings (tap k reads the
/// rings k positions further on; the output gradients are zero between them).
/// - dweight: [cOut, cIn, f]; dout: [batch, cOut, n]; input: [batch, cIn, n]
public func circularConvWeightGradBF16<T: Scalar>(
    dweight: UnsafeMutablePointer<T>, dout: UnsafePointer<T>, input: UnsafePointer<T>, scratch: UnsafeMutablePointer<T>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    precondition(T.self == Float.self && Precision.bf16Available, "bf16 products need Float and AVX512-BF16")
    wrnn_bf16_use_plain(Precision.products == .plain ? 1 : 0)
    circularConvWeightGradBF16(
        dweight: asFloat(dweight), dout: asFloat(dout), input: asFloat(input), scratch: asFloat(scratch), batch: batch,
        channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f)
}

func circularConvWeightGradBF16(
    dweight: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, input: UnsafePointer<Float>,
    scratch: UnsafeMutablePointer<Float>,
    batch: Int, channelsOut cOut: Int, channelsIn cIn: Int, ringSize n: Int, kernel f: Int
) {
    let layout = BF16ConvLayout(channelsOut: cOut, channelsIn: cIn, ringSize: n, kernel: f)
    let oneDNN = Precision.throughOneDNN ? OneDNNConvLayout(span: layout.span, channelsOut: cOut, channelsIn: cIn, kernel: f) : nil
    let gradients = bf16Part(scratch, oneDNN?.gradients ?? layout.gradients), rings = bf16Part(scratch, oneDNN?.rings ?? layout.rings)
    var b0 = 0
    while b0 < batch {
        let rows = min(bf16WeightGradRows, batch - b0)
        let (positions, stride) = layout.weightGrad(rows: rows, kernel: f)
        wrnn_bf16_pack_rings(rings, stride, input + b0 * cIn * n, rows, cIn, f, n)
        wrnn_bf16_pack_gradients(gradients, stride, dout + b0 * cOut * n, rows, cOut, f, n)
        if let oneDNN {
            // sums [cOut, f cInPad] = gradients [cOut, positions] x cols^T, then added into [cOut, cIn, f]
            let cols = bf16Part(scratch, oneDNN.cols), sums = scratch + oneDNN.sums, k = f * oneDNN.paddedChannels
            tapsAsRows(
                cols, rings: rings, stride: stride, channels: cIn, paddedChannels: oneDNN.paddedChannels, kernel: f, positions: positions)
            DenseBF16.gemm(
                sums, ldc: k, gradients, lda: stride, .none, cols, ldb: positions, .transposed, m: cOut, n: k, k: positions, beta: 0)
            for o in 0..<cOut {
                for ch in 0..<cIn {
                    for tap in 0..<f { dweight[(o * cIn + ch) * f + tap] += sums[o * k + tap * oneDNN.paddedChannels + ch] }
                }
            }
        } else {
            wrnn_bf16_weight_grad(dweight, gradients, stride, rings, stride, cOut, cIn, f, positions)
        }
        b0 += rows
    }
}

@inline(__always)
private func bf16Part(_ scratch: UnsafeMutablePointer<Float>, _ offset: Int) -> UnsafeMutablePointer<UInt16> {
    UnsafeMutableRawPointer(scratch + offset).assumingMemoryBound(to: UInt16.self)
}

/// cols[k paddedChannels + ch, q] = rings[ch, q + k] for q < positions (zero for ch >= channels): the
/// convolution's taps as the rows of one product's depth.
/// - cols: [f paddedChannels, positions]; rings: [channels, stride], stride >= positions + f - 1
private func tapsAsRows(
    _ cols: UnsafeMutablePointer<UInt16>, rings: UnsafePointer<UInt16>, stride: Int, channels: Int, paddedChannels: Int, kernel f: Int,
    positions: Int
) {
    for k in 0..<f {
        for ch in 0..<paddedChannels {
            let row = cols + (k * paddedChannels + ch) * positions
            if ch < channels {
                row.update(from: rings + ch * stride + k, count: positions)
            } else {
                row.update(repeating: 0, count: positions)
            }
        }
    }
}

/// x rounded to the nearest bf16 (ties to even), as a Float: the plain operand rounding the tests
/// hold the bf16 kernels to.
public func bf16Rounded(_ x: Float) -> Float {
    let bits = x.bitPattern
    return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
}
