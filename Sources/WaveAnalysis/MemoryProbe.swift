import Foundation
import WaveCore
import WaveKernels

/// What a memory probe reads and from which rows: the lags k, the input x_t's size d, whether x_t is
/// a one-hot token, the hidden size N, and the steps t whose states are read.
///
/// Every lag is fitted and scored on the same steps t = K, K + s, K + 2s, ... < T (K the largest
/// lag, s the stride), so the scores of two lags differ only in what is asked of the same states.
public struct ProbeDesign: Sendable, Equatable {
    /// k, ascending, each >= 0.
    public let lags: [Int]
    /// d: input size per step.
    public let inputSize: Int
    /// One-hot inputs of this many tokens (scored by accuracy), or nil (real values, scored by R²).
    public let categories: Int?
    /// N: hidden units read.
    public let features: Int
    /// T: steps per sequence.
    public let length: Int
    /// s: every s-th step from the largest lag on is a row.
    public let stepStride: Int
    /// F: cross-validation folds over the fitting sequences (sequence i is in fold i mod F).
    public let folds: Int

    public init(lags: [Int], inputSize: Int, categories: Int?, features: Int, length: Int, stepStride: Int = 1, folds: Int = 5) {
        precondition(!lags.isEmpty && lags.allSatisfy { $0 >= 0 && $0 < length } && stepStride >= 1 && folds >= 2)
        self.lags = lags.sorted()
        self.inputSize = inputSize
        self.categories = categories
        self.features = features
        self.length = length
        self.stepStride = stepStride
        self.folds = folds
    }

    public var maxLag: Int { lags.last! }
    /// The steps t read from each sequence.
    public var rowSteps: [Int] { Array(stride(from: maxLag, to: length, by: stepStride)) }
    /// m = lags x d: the targets' columns, lag-major.
    public var targets: Int { lags.count * inputSize }
    /// Relative ridge penalties tried by cross-validation: λ = α · tr(G) / N, α = 10^-6 ... 10^2.
    public static let penalties: [Double] = (-6...2).map { pow(10, Double($0)) }
}

/// Sums over rows (h, y) of one fold: n, Σh [N], Σy [m], Σy² [m], Σhhᵀ [N, N] (upper triangle until
/// `symmetrise`), Σhyᵀ [N, m]. Ridge regression needs nothing else, so no row is kept.
final class RidgeMoments {
    let features: Int, targets: Int
    var rows = 0
    var sumH: [Double], sumY: [Double], sumYY: [Double]
    var hh: [Double], hy: [Double]

    init(features: Int, targets: Int) {
        self.features = features
        self.targets = targets
        sumH = [Double](repeating: 0, count: features)
        sumY = [Double](repeating: 0, count: targets)
        sumYY = sumY
        hh = [Double](repeating: 0, count: features * features)
        hy = [Double](repeating: 0, count: features * targets)
    }

    /// Adds `count` rows: x [count, N], y [count, m].
    func add(x: UnsafePointer<Double>, y: UnsafePointer<Double>, count: Int) {
        guard count > 0 else { return }
        let n = features, m = targets
        rows += count
        hh.withUnsafeMutableBufferPointer { gramAccumulate($0.baseAddress!, x, rows: count, columns: n) }
        hy.withUnsafeMutableBufferPointer {
            dgemm($0.baseAddress!, ldc: m, x, lda: n, .transposed, y, ldb: m, .none, m: n, n: m, k: count, beta: 1)
        }
        for r in 0..<count {
            for i in 0..<n { sumH[i] += x[r * n + i] }
            for j in 0..<m { let v = y[r * m + j]; sumY[j] += v; sumYY[j] += v * v }
        }
    }

    /// Copies the upper triangle of Σhhᵀ into the lower one.
    func symmetrise() {
        let n = features
        for i in 0..<n { for j in 0..<i { hh[i * n + j] = hh[j * n + i] } }
    }

    /// self = a - b (or a + b), entry by entry.
    static func combine(_ a: RidgeMoments, _ b: RidgeMoments, sign: Double) -> RidgeMoments {
        let out = RidgeMoments(features: a.features, targets: a.targets)
        out.rows = a.rows + Int(sign) * b.rows
        for i in 0..<a.sumH.count { out.sumH[i] = a.sumH[i] + sign * b.sumH[i] }
        for j in 0..<a.sumY.count { out.sumY[j] = a.sumY[j] + sign * b.sumY[j]; out.sumYY[j] = a.sumYY[j] + sign * b.sumYY[j] }
        for i in 0..<a.hh.count { out.hh[i] = a.hh[i] + sign * b.hh[i] }
        for i in 0..<a.hy.count { out.hy[i] = a.hy[i] + sign * b.hy[i] }
        return out
    }
}

/// The centred problem of a set of moments: G = Σ(h - μ)(h - μ)ᵀ [N, N], C = Σ(h - μ)(y - ν)ᵀ [N, m].
struct CentredRidge {
    let gram: [Double], cross: [Double], meanH: [Double], meanY: [Double], rows: Int

    init(_ s: RidgeMoments) {
        let n = s.features, m = s.targets, count = Double(max(s.rows, 1))
        meanH = s.sumH.map { $0 / count }
        meanY = s.sumY.map { $0 / count }
        rows = s.rows
        var g = s.hh, c = s.hy
        for i in 0..<n {
            for j in 0..<n { g[i * n + j] -= count * meanH[i] * meanH[j] }
            for j in 0..<m { c[i * m + j] -= count * meanH[i] * meanY[j] }
        }
        gram = g
        cross = c
    }
}

/// Ridge solutions W = Q diag(1 / (λ_i + λ)) Qᵀ C for any λ from one eigen-decomposition of G.
struct RidgePath {
    let eigen: SymmetricEigen
    /// P = Qᵀ D C [N, m], D = diag(1 / σ_i).
    let projected: [Double]
    /// 1 / σ_i of every unit when standardising (1 for a silent one, and every unit otherwise): on
    /// standardised units the penalty treats every unit alike, which helps where units of very
    /// different spreads carry the memory (an oscillator's) and hurts where many quiet units carry
    /// none (a ring's silent positions); the cross-validation chooses per lag.
    let unitScale: [Double]
    /// tr(D G D) / N: penalties are relative to it, so the grid does not depend on the states' scale.
    let scale: Double
    let features: Int, targets: Int

    init(_ problem: CentredRidge, features n: Int, targets m: Int, standardise: Bool) {
        let rows = Double(max(problem.rows, 1))
        let inverse = (0..<n).map { i -> Double in
            let spread = (max(problem.gram[i * n + i], 0) / rows).squareRoot()
            return standardise && spread > 1e-12 ? 1 / spread : 1
        }
        var gram = problem.gram, cross = problem.cross
        for i in 0..<n {
            for j in 0..<n { gram[i * n + j] *= inverse[i] * inverse[j] }
            for j in 0..<m { cross[i * m + j] *= inverse[i] }
        }
        unitScale = inverse
        eigen = SymmetricEigen(gram, size: n)
        var p = [Double](repeating: 0, count: n * m)
        eigen.vectors.withUnsafeBufferPointer { q in
            cross.withUnsafeBufferPointer { c in
                p.withUnsafeMutableBufferPointer {
                    dgemm($0.baseAddress!, ldc: m, q.baseAddress!, lda: n, .transposed, c.baseAddress!, ldb: m, .none, m: n, n: m, k: n)
                }
            }
        }
        projected = p
        var trace = 0.0
        for i in 0..<n { trace += gram[i * n + i] }
        scale = max(trace / Double(max(n, 1)), 1e-30)
        features = n
        targets = m
    }

    /// W [N, m] with penalty α · scale on every column.
    func weights(alpha: Double) -> [Double] { weights(alphas: [Double](repeating: alpha, count: targets)) }

    /// W [N, m] with penalty alphas[j] · scale on column j.
    func weights(alphas: [Double]) -> [Double] {
        let n = features, m = targets
        var scaled = projected
        for i in 0..<n {
            let value = max(eigen.values[i], 0)
            for j in 0..<m { scaled[i * m + j] /= value + alphas[j] * scale }
        }
        var w = [Double](repeating: 0, count: n * m)
        eigen.vectors.withUnsafeBufferPointer { q in
            scaled.withUnsafeBufferPointer { s in
                w.withUnsafeMutableBufferPointer {
                    dgemm($0.baseAddress!, ldc: m, q.baseAddress!, lda: n, .none, s.baseAddress!, ldb: m, .none, m: n, n: m, k: n)
                }
            }
        }
        // back to the units' own scale: W = D W_standardised
        for i in 0..<n { for j in 0..<m { w[i * m + j] *= unitScale[i] } }
        return w
    }
}

/// One probed state's memory: per lag, how well a linear readout of h_t names x_(t-k).
public struct ProbeCurve: Codable, Sendable, Equatable {
    /// "r2" (real inputs: 1 - SSE / SST pooled over the d inputs) or "balanced_accuracy" (one-hot
    /// inputs: the mean over the tokens present of the fraction of their steps named right).
    public var metric: String
    public var lags: [Int]
    public var score: [Double]
    /// The score of a readout that knows nothing: 0 for R², 1 / (tokens present) for balanced accuracy.
    public var chance: [Double]
    /// One-hot inputs: the plain fraction of steps named right, and that of always naming the most
    /// common token.
    public var accuracy: [Double]?
    public var majority: [Double]?
    /// The ridge penalty chosen per lag by cross-validation, relative to tr(G) / N, and whether the
    /// readout chosen reads standardised units.
    public var penalty: [Double]
    public var standardised: [Bool]?
    /// Σ_k clamp((score_k - chance_k) / (1 - chance_k), 0, 1): a perfect memory of L lags scores L
    /// (Jaeger's memory capacity for R²).
    public var memoryCapacity: Double
    public var fitSequences: Int, scoredSequences: Int, fitRows: Int, scoredRows: Int, folds: Int, stepStride: Int

    enum CodingKeys: String, CodingKey {
        case metric, lags, score, chance, accuracy, majority, penalty, standardised, folds
        case memoryCapacity = "memory_capacity", fitSequences = "fit_sequences", scoredSequences = "scored_sequences"
        case fitRows = "fit_rows", scoredRows = "scored_rows", stepStride = "step_stride"
    }

    /// (score - chance) / (1 - chance) clamped to [0, 1]; 0 where chance is 1 (nothing to remember).
    public var normalisedScore: [Double] {
        zip(score, chance).map { s, c in c < 1 - 1e-12 ? min(max((s - c) / (1 - c), 0), 1) : 0 }
    }

    public static func capacity(score: [Double], chance: [Double]) -> Double {
        zip(score, chance).reduce(0) { sum, pair in
            let (s, c) = pair
            return sum + (c < 1 - 1e-12 ? min(max((s - c) / (1 - c), 0), 1) : 0)
        }
    }
}

/// A linear memory probe (ridge regression from the state h_t to the input x_(t-k), one readout per
/// lag k): fed fitting sequences, fitted with its penalty chosen per lag by F-fold cross-validation
/// over those sequences, then fed other sequences to score.
///
///   W_k = argmin Σ_t ‖x_(t-k) - ν - Wᵀ(h_t - μ)‖² + λ_k ‖W‖²
///
/// Memory is bounded by N² + N·m doubles per fold and a block of rows; no state is kept.
public final class MemoryProbe {
    public let design: ProbeDesign
    var moments: [RidgeMoments]
    /// Rows waiting per fold: x [blockRows, N] and y [blockRows, m].
    var pendingX: [[Double]], pendingY: [[Double]], pendingCount: [Int]
    let blockRows: Int
    /// The steps t read from each sequence, and one scored sequence's rows: x [rows, N], y and ŷ [rows, m].
    let steps: [Int]
    var scoredX: [Double], scoredY: [Double], predicted: [Double]
    var fitSequences = 0
    /// A point near the states' mean (that of the first fitting sequence's rows), taken from every
    /// state before its moments are summed: sums of squares about a far-away origin lose the digits
    /// an ill-conditioned readout needs (a quiet unit with a large mean, a large weight).
    var shift: [Double]?
    /// After `fit`: W [N, m], intercept a [m] (ŷ = Wᵀh + a), the penalty per lag, σ_h [N].
    public private(set) var weights: [Double] = []
    public private(set) var intercept: [Double] = []
    public private(set) var penalties: [Double] = []
    /// Per lag: whether the readout chosen reads standardised units (true) or the units as they are.
    public private(set) var standardised: [Bool] = []
    public private(set) var featureScale: [Double] = []
    // scoring accumulators
    var scoredSequences = 0, scoredRows = 0
    var sse: [Double], sumY: [Double], sumYY: [Double]
    /// One-hot: [lags, tokens] counts of steps per true token, and of those named right.
    var tokenCount: [Int], tokenRight: [Int]

    public init(_ design: ProbeDesign) {
        self.design = design
        let n = design.features, m = design.targets
        moments = (0..<design.folds).map { _ in RidgeMoments(features: n, targets: m) }
        let block = max(16, min(4096, (1 << 21) / max(n, 1)))
        blockRows = block
        pendingX = (0..<design.folds).map { _ in [Double](repeating: 0, count: block * n) }
        pendingY = (0..<design.folds).map { _ in [Double](repeating: 0, count: block * m) }
        steps = design.rowSteps
        scoredX = [Double](repeating: 0, count: steps.count * n)
        scoredY = [Double](repeating: 0, count: steps.count * m)
        predicted = scoredY
        pendingCount = [Int](repeating: 0, count: design.folds)
        sse = [Double](repeating: 0, count: m)
        sumY = sse
        sumYY = sse
        let tokens = design.categories ?? 0
        tokenCount = [Int](repeating: 0, count: design.lags.count * tokens)
        tokenRight = tokenCount
    }

    /// Writes the rows of one sequence into x [rows, N] and y [rows, m] from `state(t)` (h after
    /// reading x_t: N values) and `input(t)` (x_t: d values).
    func rows(
        x: UnsafeMutablePointer<Double>, y: UnsafeMutablePointer<Double>, state: (Int) -> UnsafePointer<Float>,
        input: (Int) -> UnsafePointer<Float>, steps: ArraySlice<Int>
    ) {
        let n = design.features, d = design.inputSize, m = design.targets
        if shift == nil {
            var mean = [Double](repeating: 0, count: n)
            for t in steps { let h = state(t); for i in 0..<n { mean[i] += Double(h[i]) / Double(steps.count) } }
            shift = mean
        }
        let origin = shift!
        for (r, t) in steps.enumerated() {
            let h = state(t)
            for i in 0..<n { x[r * n + i] = Double(h[i]) - origin[i] }
            for (l, k) in design.lags.enumerated() {
                let v = input(t - k)
                for j in 0..<d { y[r * m + l * d + j] = Double(v[j]) }
            }
        }
    }

    /// Adds fitting sequence number `index` (it goes to fold index mod F).
    public func addFitting(index: Int, state: (Int) -> UnsafePointer<Float>, input: (Int) -> UnsafePointer<Float>) {
        let fold = index % design.folds, n = design.features, m = design.targets
        var start = 0
        while start < steps.count {
            let take = min(blockRows - pendingCount[fold], steps.count - start)
            let offset = pendingCount[fold]
            pendingX[fold].withUnsafeMutableBufferPointer { x in
                pendingY[fold].withUnsafeMutableBufferPointer { y in
                    rows(
                        x: x.baseAddress! + offset * n, y: y.baseAddress! + offset * m, state: state, input: input,
                        steps: steps[start..<(start + take)])
                }
            }
            pendingCount[fold] += take
            start += take
            if pendingCount[fold] == blockRows { flush(fold) }
        }
        fitSequences += 1
    }

    func flush(_ fold: Int) {
        guard pendingCount[fold] > 0 else { return }
        pendingX[fold].withUnsafeBufferPointer { x in
            pendingY[fold].withUnsafeBufferPointer { y in
                moments[fold].add(x: x.baseAddress!, y: y.baseAddress!, count: pendingCount[fold])
            }
        }
        pendingCount[fold] = 0
    }

    /// Chooses each lag's penalty by cross-validated squared error and fits on every fitting row.
    public func fit() {
        for f in 0..<design.folds { flush(f); moments[f].symmetrise() }
        let n = design.features, m = design.targets, d = design.inputSize, grid = ProbeDesign.penalties
        var total = moments[0]
        for f in 1..<design.folds { total = RidgeMoments.combine(total, moments[f], sign: 1) }
        // validation error per scaling (the units as they are, or standardised), penalty and lag, summed over folds
        let scalings = [false, true]
        var error = [[[Double]]](
            repeating: [[Double]](repeating: [Double](repeating: 0, count: design.lags.count), count: grid.count), count: scalings.count)
        for f in 0..<design.folds where moments[f].rows > 0 && moments[f].rows < total.rows {
            let held = moments[f]
            let train = CentredRidge(RidgeMoments.combine(total, held, sign: -1))
            for (k, standardise) in scalings.enumerated() {
                let path = RidgePath(train, features: n, targets: m, standardise: standardise)
                for (a, alpha) in grid.enumerated() {
                    let columnError = heldOutError(w: path.weights(alpha: alpha), train: train, held: held)
                    for j in 0..<m { error[k][a][j / d] += columnError[j] }
                }
            }
        }
        // per lag the best (scaling, penalty); among equals the unscaled units and the largest penalty
        // (within 1e-12 relative): a flat curve prefers the smoother readout
        var chosen = [Double](repeating: grid.last!, count: design.lags.count)
        var scaled = [Bool](repeating: false, count: design.lags.count)
        for l in 0..<design.lags.count {
            let best = scalings.indices.flatMap { k in grid.indices.map { error[k][$0][l] } }.min() ?? 0
            for k in scalings.indices.reversed() {
                if let pick = grid.indices.last(where: { error[k][$0][l] <= best * (1 + 1e-12) + 1e-300 }) {
                    chosen[l] = grid[pick]
                    scaled[l] = scalings[k]
                }
            }
        }
        penalties = chosen
        standardised = scaled
        let problem = CentredRidge(total)
        var w = [Double](repeating: 0, count: n * m)
        for (k, standardise) in scalings.enumerated() where scaled.contains(standardise) {
            let path = RidgePath(problem, features: n, targets: m, standardise: standardise)
            let part = path.weights(alphas: (0..<m).map { chosen[$0 / d] })
            for j in 0..<m where scaled[j / d] == scalings[k] { for i in 0..<n { w[i * m + j] = part[i * m + j] } }
        }
        weights = w
        intercept = (0..<m).map { j in problem.meanY[j] - (0..<n).reduce(0) { $0 + weights[$1 * m + j] * problem.meanH[$1] } }
        featureScale = (0..<n).map { (max(problem.gram[$0 * n + $0], 0) / Double(max(problem.rows, 1))).squareRoot() }
    }

    /// Σ over the held-out rows of (y_j - a_j - w_jᵀh)² per column j, from their moments alone.
    func heldOutError(w: [Double], train: CentredRidge, held: RidgeMoments) -> [Double] {
        let n = design.features, m = design.targets
        var hw = [Double](repeating: 0, count: n * m) // Σhhᵀ W
        held.hh.withUnsafeBufferPointer { g in
            w.withUnsafeBufferPointer { wp in
                hw.withUnsafeMutableBufferPointer {
                    dgemm($0.baseAddress!, ldc: m, g.baseAddress!, lda: n, .none, wp.baseAddress!, ldb: m, .none, m: n, n: m, k: n)
                }
            }
        }
        var out = [Double](repeating: 0, count: m)
        let rows = Double(held.rows)
        for j in 0..<m {
            var wMu = 0.0, wHy = 0.0, wH = 0.0, wGw = 0.0
            for i in 0..<n {
                let wij = w[i * m + j]
                wMu += wij * train.meanH[i]
                wHy += wij * held.hy[i * m + j]
                wH += wij * held.sumH[i]
                wGw += wij * hw[i * m + j]
            }
            let a = train.meanY[j] - wMu
            out[j] = max(held.sumYY[j] - 2 * (a * held.sumY[j] + wHy) + rows * a * a + 2 * a * wH + wGw, 0)
        }
        return out
    }

    /// Scores one held-out sequence.
    public func addScored(state: (Int) -> UnsafePointer<Float>, input: (Int) -> UnsafePointer<Float>) {
        precondition(!weights.isEmpty, "fit before scoring")
        let n = design.features, m = design.targets, d = design.inputSize
        scoredX.withUnsafeMutableBufferPointer { xp in
            scoredY.withUnsafeMutableBufferPointer { yp in
                rows(x: xp.baseAddress!, y: yp.baseAddress!, state: state, input: input, steps: steps[...])
            }
        }
        scoredX.withUnsafeBufferPointer { xp in
            weights.withUnsafeBufferPointer { wp in
                predicted.withUnsafeMutableBufferPointer {
                    dgemm(
                        $0.baseAddress!, ldc: m, xp.baseAddress!, lda: n, .none, wp.baseAddress!, ldb: m, .none, m: steps.count, n: m, k: n)
                }
            }
        }
        let y = scoredY
        for r in 0..<steps.count {
            for j in 0..<m {
                let target = y[r * m + j], guess = predicted[r * m + j] + intercept[j]
                sse[j] += (target - guess) * (target - guess)
                sumY[j] += target
                sumYY[j] += target * target
            }
            if let tokens = design.categories {
                for l in 0..<design.lags.count {
                    var truth = 0, named = 0
                    for j in 1..<d {
                        if y[r * m + l * d + j] > y[r * m + l * d + truth] { truth = j }
                        if predicted[r * m + l * d + j] + intercept[l * d + j]
                            > predicted[r * m + l * d + named] + intercept[l * d + named]
                        {
                            named = j
                        }
                    }
                    tokenCount[l * tokens + truth] += 1
                    if named == truth { tokenRight[l * tokens + truth] += 1 }
                }
            }
        }
        scoredRows += steps.count
        scoredSequences += 1
    }

    /// The scores of the sequences added with `addScored`.
    public func curve() -> ProbeCurve {
        let d = design.inputSize, lags = design.lags
        var score: [Double] = [], chance: [Double] = []
        var accuracy: [Double]? = nil, majority: [Double]? = nil
        if let tokens = design.categories {
            accuracy = []
            majority = []
            for l in 0..<lags.count {
                let counts = (0..<tokens).map { tokenCount[l * tokens + $0] }, right = (0..<tokens).map { tokenRight[l * tokens + $0] }
                let present = (0..<tokens).filter { counts[$0] > 0 }
                let all = max(counts.reduce(0, +), 1)
                score.append(
                    present.isEmpty ? 0 : present.reduce(0.0) { $0 + Double(right[$1]) / Double(counts[$1]) } / Double(present.count))
                chance.append(present.isEmpty ? 1 : 1 / Double(present.count))
                accuracy!.append(Double(right.reduce(0, +)) / Double(all))
                majority!.append(Double(counts.max() ?? 0) / Double(all))
            }
        } else {
            let rows = Double(max(scoredRows, 1))
            for l in 0..<lags.count {
                var residual = 0.0, spread = 0.0
                for j in (l * d)..<(l * d + d) {
                    residual += sse[j]
                    spread += max(sumYY[j] - sumY[j] * sumY[j] / rows, 0)
                }
                // a constant input holds nothing to remember: R² 0
                score.append(spread > 1e-12 * max(rows, 1) ? 1 - residual / spread : 0)
                chance.append(0)
            }
        }
        return ProbeCurve(
            metric: design.categories == nil ? "r2" : "balanced_accuracy", lags: lags, score: score, chance: chance,
            accuracy: accuracy, majority: majority, penalty: penalties, standardised: standardised,
            memoryCapacity: ProbeCurve.capacity(score: score, chance: chance), fitSequences: fitSequences,
            scoredSequences: scoredSequences, fitRows: moments.reduce(0) { $0 + $1.rows }, scoredRows: scoredRows,
            folds: design.folds, stepStride: design.stepStride)
    }

    /// How much each unit carries of each lag's readout: σ_i ‖W_i,k‖ (the readout's weight on unit i
    /// for lag k's d outputs, times the unit's spread, so a quiet unit's large weight counts little).
    /// [lags, N].
    public var contributions: [Double] {
        let n = design.features, m = design.targets, d = design.inputSize
        var out = [Double](repeating: 0, count: design.lags.count * n)
        for l in 0..<design.lags.count {
            for i in 0..<n {
                var sum = 0.0
                for j in (l * d)..<(l * d + d) { sum += weights[i * m + j] * weights[i * m + j] }
                out[l * n + i] = featureScale[i] * sum.squareRoot()
            }
        }
        return out
    }
}

/// Where on the ring each lag's memory sits: contributions [lags, c·n] folded over the c rings
/// (root of the sum of squares per ring position), each lag's row divided by its largest value.
/// [lags, n].
public func ringMemoryMap(_ contributions: [Double], lags: Int, rings: Int, ringSize n: Int) -> [Double] {
    var map = [Double](repeating: 0, count: lags * n)
    for l in 0..<lags {
        for p in 0..<n {
            var sum = 0.0
            for c in 0..<rings { let v = contributions[l * rings * n + c * n + p]; sum += v * v }
            map[l * n + p] = sum.squareRoot()
        }
        let top = (0..<n).map { map[l * n + $0] }.max() ?? 0
        if top > 0 { for p in 0..<n { map[l * n + p] /= top } }
    }
    return map
}

/// The memory's drift along the ring, in positions per lag: for each pair of successive lags whose
/// normalised score is at least `minimum`, the circular shift that best aligns the second row of the
/// map with the first (positive = toward higher positions); the median of those shifts, divided by
/// the lags' distance. nil when fewer than two pairs qualify.
public func memoryDrift(map: [Double], lags: [Int], ringSize n: Int, normalisedScore: [Double], minimum: Double = 0.25) -> Double? {
    var shifts: [Double] = []
    for l in 0..<(lags.count - 1) where normalisedScore[l] >= minimum && normalisedScore[l + 1] >= minimum {
        var best = 0, bestValue = -Double.infinity
        for s in -(n / 2)...((n - 1) / 2) {
            var value = 0.0
            for p in 0..<n { value += map[l * n + p] * map[(l + 1) * n + ((p + s) % n + n) % n] }
            if value > bestValue + 1e-12 { bestValue = value; best = s }
        }
        shifts.append(Double(best) / Double(lags[l + 1] - lags[l]))
    }
    guard shifts.count >= 2 else { return nil }
    let sorted = shifts.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// The memory's drift on a sheet, in cells per lag along x and y: `memoryDrift` with 2-D circular
/// shifts, each lag's row of the map read as an h x w image (cells y * w + x); the medians of the
/// shifts along each axis, divided by the lags' distance. nil when fewer than two pairs qualify.
public func sheetMemoryDrift(
    map: [Double], lags: [Int], height h: Int, width w: Int, normalisedScore: [Double], minimum: Double = 0.25
) -> (x: Double, y: Double)? {
    let n = h * w
    var shifts: [(x: Double, y: Double)] = []
    for l in 0..<(lags.count - 1) where normalisedScore[l] >= minimum && normalisedScore[l + 1] >= minimum {
        var best = (x: 0, y: 0), bestValue = -Double.infinity
        for sy in -(h / 2)...((h - 1) / 2) {
            for sx in -(w / 2)...((w - 1) / 2) {
                var value = 0.0
                for y in 0..<h {
                    let yy = ((y + sy) % h + h) % h
                    for x in 0..<w { value += map[l * n + y * w + x] * map[(l + 1) * n + yy * w + ((x + sx) % w + w) % w] }
                }
                if value > bestValue + 1e-12 { bestValue = value; best = (sx, sy) }
            }
        }
        let distance = Double(lags[l + 1] - lags[l])
        shifts.append((Double(best.x) / distance, Double(best.y) / distance))
    }
    guard shifts.count >= 2 else { return nil }
    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
    return (median(shifts.map(\.x)), median(shifts.map(\.y)))
}
