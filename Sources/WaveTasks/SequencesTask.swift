import Foundation
import WaveKernels
import WaveCore
import WaveData

/// What a researcher's targets are: a class or real values, per sequence or per step.
public enum SequenceTargets: String, Codable, Sendable {
    case classPerSequence = "class per sequence", classPerStep = "class per step"
    case valuePerSequence = "values per sequence", valuePerStep = "values per step"
    public var isClass: Bool { self == .classPerSequence || self == .classPerStep }
    public var isPerStep: Bool { self == .classPerStep || self == .valuePerStep }
}

/// What a data file holds, read when a run is configured and kept in config.json: the model's
/// shape follows it, and a resumed run checks the file against its digest.
public struct SequenceShape: Codable, Equatable, Sendable {
    /// L: steps per sequence (after padding); d: features per step.
    public var length: Int
    public var inputSize: Int
    /// Classes, or real values per readout.
    public var outputSize: Int
    public var targets: SequenceTargets
    /// Where the targets are read: the last step, or every step.
    public var readout: ReadoutTiming
    public var trainCount: Int
    public var validationCount: Int
    public var testCount: Int
    /// Whether the validation and test sequences were held out of the training arrays by the seed.
    public var validationHeldOut: Bool
    public var testHeldOut: Bool
    /// MD5 of the file (UCR: of the training then the test file).
    public var md5: String
    /// UCR: class k's label as the file writes it.
    public var labels: [String]?
    /// Sequences shorter than L, padded at their end with the mask value and moved to end at step L - 1.
    public var padded: Int
}

/// The mask value that marks padding: NaN (the UCR archive's) or a number.
public enum MaskValue {
    /// "nan" or a finite number; nil when the text is neither.
    public static func parse(_ text: String) -> Float? {
        if text.lowercased() == "nan" { return .nan }
        guard let value = Float(text), value.isFinite else { return nil }
        return value
    }
    /// The value `--mask-value` gives, or the one message that refuses it (64).
    public static func require(_ text: String) throws -> Float {
        guard let value = parse(text) else { throw WrnnError.usage("--mask-value must be nan or a finite number (got \(text))") }
        return value
    }
    static func matches(_ value: Float, _ mask: Float) -> Bool { mask.isNaN ? value.isNaN : value == mask }
}

/// A researcher's own sequences (`--task sequences --data FILE`), checked and split: inputs
/// [N, L, d] per split and targets per sequence ([N, k] values or [N] classes) or per step ([N, L, k]
/// or [N, L]; class -1 marks a step that is not scored).
///
/// Files: `.npz` (numpy.savez / savez_compressed) or `.safetensors` holding x_train and y_train,
/// optionally x_val / y_val and x_test / y_test; or the UCR archive's NAME_TRAIN.tsv beside
/// NAME_TEST.tsv. Integer targets are classes, floating ones real values.
public final class SequenceData: @unchecked Sendable {
    public struct Split: Sendable {
        /// [N, L, d]
        public var x: [Float]
        /// [N, k] or [N, L, k] values, or [N] or [N, L] classes
        public var y: [Float]
        public var count: Int
        /// Per sequence: the padded steps at its front (its real steps are padding[i] ..< L).
        public var padding: [Int]
    }
    public let shape: SequenceShape
    public let train: Split
    public let validation: Split
    public let test: Split
    /// Per feature, fitted on the training split; nil when not normalised.
    public let normalization: (mean: [Float], std: [Float])?

    init(shape: SequenceShape, train: Split, validation: Split, test: Split, normalization: (mean: [Float], std: [Float])?) {
        self.shape = shape; self.train = train; self.validation = validation; self.test = test; self.normalization = normalization
    }

    // MARK: loading

    nonisolated(unsafe) private static var cache: [String: SequenceData] = [:]
    private static let cacheLock = NSLock()

    /// The data set a task configuration names, read once per process (a run reads it to configure
    /// the model and again to train).
    public static func load(_ config: TaskConfig, seed: UInt64) throws -> SequenceData {
        try SequencesDescription.check(config) // refuses a missing --data and a bad --mask-value
        let path = config.dataFile ?? ""
        let mask = try config.maskValue.map(MaskValue.require)
        let key = [path, String(seed), config.maskValue ?? "-", config.normalize == true ? "n" : "-", config.readoutAt?.rawValue ?? "-"]
            .joined(separator: "\u{1}")
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let cached = cache[key] { return cached }
        let data = try read(path: path, seed: seed, mask: mask, normalize: config.normalize == true, readoutAt: config.readoutAt)
        cache[key] = data
        return data
    }

    /// Reads, checks and splits a file.
    public static func read(path: String, seed: UInt64, mask: Float?, normalize: Bool, readoutAt: ReadoutTiming?) throws -> SequenceData {
        let (arrays, md5, labelNames) = try readArrays(path: path)
        return try assemble(
            arrays, md5: md5, labels: labelNames, path: path, seed: seed, mask: mask, normalize: normalize, readoutAt: readoutAt)
    }

    /// A file's bytes in whichever format they are (zip, .npy, safetensors, else UCR text used as both
    /// splits), assembled as `read` does: what the fuzzer drives.
    public static func parse(_ bytes: [UInt8], path: String, seed: UInt64, mask: Float?, readoutAt: ReadoutTiming?) throws -> SequenceData {
        var arrays: [String: DataArray]
        var labels: [String]? = nil
        if bytes.starts(with: [0x50, 0x4B]) {
            arrays = try DataArray.readNpz(bytes, path: path)
        } else if bytes.starts(with: [0x93]) {
            arrays = ["x_train": try NpyArray.parse(bytes, path: path)]
            let rows = arrays["x_train"]!.shape.first ?? 0
            arrays["y_train"] = DataArray(shape: [rows], values: (0..<rows).map { Float($0 % 2) }, isInteger: true, dtype: "label")
        } else if bytes.count >= 8, bytes[1...7].allSatisfy({ $0 == 0 }) || bytes[2...7].allSatisfy({ $0 == 0 }) {
            arrays = try DataArray.readSafetensors(bytes, path: path)
        } else {
            let table = try UCRFile.parse(bytes, path: path)
            let names = UCRFile.classNames(table.labels)
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            let y = DataArray(shape: [table.labels.count], values: table.labels.map { Float(index[$0]!) }, isInteger: true, dtype: "label")
            arrays = ["x_train": table.x, "y_train": y, "x_test": table.x, "y_test": y]
            labels = names
        }
        return try assemble(
            arrays, md5: md5Hex(bytes), labels: labels, path: path, seed: seed, mask: mask, normalize: true, readoutAt: readoutAt)
    }

    static func assemble(
        _ arrays: [String: DataArray], md5: String, labels labelNames: [String]?, path: String, seed: UInt64, mask: Float?, normalize: Bool,
        readoutAt: ReadoutTiming?
    ) throws -> SequenceData {
        var arrays = arrays
        func require(_ name: String) throws -> DataArray {
            guard let array = arrays.removeValue(forKey: name) else {
                throw WrnnError.data(
                    "\(path) has no array \(name) (it holds \(arrays.keys.sorted().joined(separator: ", "))); save x_train (N, T, d) and y_train, optionally x_val, y_val, x_test, y_test"
                )
            }
            return array
        }
        func optionalPair(_ split: String) throws -> (DataArray, DataArray)? {
            let x = arrays.removeValue(forKey: "x_\(split)"), y = arrays.removeValue(forKey: "y_\(split)")
            switch (x, y) {
            case (nil, nil): return nil
            case (let x?, let y?): return (x, y)
            default:
                throw WrnnError.data(
                    "\(path) has \(x == nil ? "y" : "x")_\(split) without \(x == nil ? "x" : "y")_\(split); give both or neither")
            }
        }
        let xTrain = try require("x_train"), yTrain = try require("y_train")
        let given = (validation: try optionalPair("val"), test: try optionalPair("test"))
        if let extra = arrays.keys.sorted().first {
            warnOnce("\(path): array \(extra) is not one this task reads (x_/y_ train, val, test); ignored")
        }
        // the inputs' shape: (N, L, d), or (N, L) for one feature
        func inputShape(_ x: DataArray, _ name: String) throws -> (n: Int, length: Int, features: Int) {
            guard x.shape.count == 2 || x.shape.count == 3, x.shape[0] >= 1, x.shape[1] >= 1, x.shape.count == 2 || x.shape[2] >= 1 else {
                throw WrnnError.data(
                    "\(path): \(name) has shape \(x.shape); inputs are (sequences, steps, features) or (sequences, steps), none of them 0")
            }
            return (x.shape[0], x.shape[1], x.shape.count == 3 ? x.shape[2] : 1)
        }
        let trainShape = try inputShape(xTrain, "x_train")
        let (length, features) = (trainShape.length, trainShape.features)
        for (name, pair) in [("val", given.validation), ("test", given.test)] {
            guard let (x, _) = pair else { continue }
            let s = try inputShape(x, "x_\(name)")
            guard s.length == length, s.features == features else {
                throw WrnnError.data(
                    "\(path): x_\(name) has \(s.length) steps of \(s.features) features, x_train \(length) of \(features); pad every split to one length"
                )
            }
        }
        // the targets: their kind from y_train, the other splits alike
        let targets: SequenceTargets, outputs: Int
        let yShape = yTrain.shape
        guard yShape.first == trainShape.n else {
            throw WrnnError.data(
                "\(path): y_train has shape \(yShape) but x_train holds \(trainShape.n) sequences; their first dimensions must agree")
        }
        if yTrain.isInteger {
            switch yShape.count {
            case 1: targets = .classPerSequence
            case 2 where yShape[1] == length: targets = .classPerStep
            default:
                throw WrnnError.data(
                    "\(path): y_train has shape \(yShape) of integers; class labels are (N,) for one per sequence or (N, \(length)) for one per step"
                )
            }
            if targets == .classPerStep && readoutAt == .last {
                throw WrnnError.usage(
                    "--readout-at last cannot read y_train's class per step; drop --readout-at or give one class per sequence")
            }
            outputs = 0
        } else {
            switch yShape.count {
            case 1: targets = .valuePerSequence; outputs = 1
            case 2 where yShape[1] == length && readoutAt != .last: targets = .valuePerStep; outputs = 1
            case 2: targets = .valuePerSequence; outputs = yShape[1]
            case 3 where yShape[1] == length: targets = .valuePerStep; outputs = yShape[2]
            default:
                throw WrnnError.data(
                    "\(path): y_train has shape \(yShape); real targets are (N,) or (N, k) per sequence, (N, \(length)) or (N, \(length), k) per step"
                )
            }
            guard outputs >= 1 else { throw WrnnError.data("\(path): y_train has shape \(yShape): no values to predict") }
            if targets == .valuePerStep && readoutAt == .last {
                throw WrnnError.usage("--readout-at last cannot read y_train's values per step; drop --readout-at")
            }
        }
        let readout: ReadoutTiming = targets.isPerStep ? .every : (readoutAt ?? .last)
        for (name, pair) in [("val", given.validation), ("test", given.test)] {
            guard let (x, y) = pair else { continue }
            guard y.shape.count == yShape.count, Array(y.shape.dropFirst()) == Array(yShape.dropFirst()), y.shape[0] == x.shape[0],
                y.isInteger == yTrain.isInteger
            else {
                throw WrnnError.data(
                    "\(path): y_\(name) has shape \(y.shape) (\(y.dtype)) for x_\(name)'s \(x.shape[0]) sequences; y_train's is \(yShape) (\(yTrain.dtype)): they must agree but for the count"
                )
            }
        }
        // every split: padding moved to the front, inputs finite, labels in range
        var splits: [String: Split] = [:]
        var padded = 0
        for (name, x, y) in [("train", xTrain, yTrain)]
            + [given.validation.map { ("val", $0.0, $0.1) }, given.test.map { ("test", $0.0, $0.1) }].compactMap({ $0 })
        {
            let (split, shortened) = try align(
                x: x, y: y, name: name, path: path, length: length, features: features, targets: targets, outputs: max(outputs, 1),
                mask: mask)
            splits[name] = split
            padded += shortened
        }
        var classes = outputs
        if targets.isClass {
            let train = splits["train"]!.y
            let top = Int(train.max() ?? -1)
            guard let low = train.min(), low >= (targets == .classPerStep ? -1 : 0) else {
                throw WrnnError.data(
                    "\(path): y_train holds label \(Int(train.min() ?? 0)); classes are 0, 1, ...\(targets == .classPerStep ? " (-1 marks a step that is not scored)" : "")"
                )
            }
            classes = top + 1
            guard classes >= 2 else { throw WrnnError.data("\(path): y_train holds \(classes) class only; a classifier needs two or more") }
            for name in ["val", "test"] {
                guard let split = splits[name], let high = split.y.max(), let low = split.y.min() else { continue }
                if Int(high) >= classes || low < (targets == .classPerStep ? -1 : 0) {
                    throw WrnnError.data(
                        "\(path): y_\(name) holds label \(Int(Int(high) >= classes ? high : low)) but y_train's labels are 0 ... \(classes - 1); every label must be one the training split has"
                    )
                }
            }
        } else if let bad = splits.values.lazy.compactMap({ $0.y.firstIndex { !$0.isFinite } }).first {
            throw WrnnError.data("\(path): a target holds a value that is not finite (element \(bad)); real targets must be finite")
        }
        // held-out splits, drawn by the seed
        var train = splits["train"]!
        var validation = splits["val"], test = splits["test"]
        let holdOut = (test == nil ? 1 : 0) + (validation == nil ? 1 : 0)
        if holdOut > 0 {
            let each = max(1, train.count / 10)
            guard train.count > holdOut * each else {
                throw WrnnError.data(
                    "\(path): x_train's \(train.count) sequences are too few to hold out a validation\(test == nil ? " and a test" : "") split; give x_val/x_test or more sequences"
                )
            }
            var stream = RandomStream(seed: seed, stream: 4)
            let order = stream.permutation(train.count)
            let perRow = train.y.count / train.count, rowInputs = length * features
            func take(_ rows: ArraySlice<Int>) -> Split {
                var x = [Float](), y = [Float]()
                x.reserveCapacity(rows.count * rowInputs)
                for r in rows {
                    x += train.x[(r * rowInputs)..<((r + 1) * rowInputs)]
                    y += train.y[(r * perRow)..<((r + 1) * perRow)]
                }
                return Split(x: x, y: y, count: rows.count, padding: rows.map { train.padding[$0] })
            }
            var next = 0
            if test == nil { test = take(order[next..<(next + each)]); next += each }
            if validation == nil { validation = take(order[next..<(next + each)]); next += each }
            train = take(order[next...])
        }
        // per-feature normalisation, fitted on the training split's real steps
        var normalization: (mean: [Float], std: [Float])? = nil
        if normalize {
            var sum = [Double](repeating: 0, count: features), squares = sum, counted = 0.0
            for row in 0..<train.count {
                for t in train.padding[row]..<length {
                    counted += 1
                    for j in 0..<features {
                        let v = Double(train.x[(row * length + t) * features + j])
                        sum[j] += v; squares[j] += v * v
                    }
                }
            }
            let mean = sum.map { $0 / max(counted, 1) }
            let std = zip(squares, mean).map { (sq, m) -> Double in
                let variance = max(sq / max(counted, 1) - m * m, 0)
                return variance > 1e-24 ? variance.squareRoot() : 1
            }
            normalization = (mean.map(Float.init), std.map(Float.init))
            // every split's real steps (padding stays zero)
            func scale(_ split: inout Split) {
                for row in 0..<split.count {
                    for t in split.padding[row]..<length {
                        for j in 0..<features {
                            let at = (row * length + t) * features + j
                            split.x[at] = Float((Double(split.x[at]) - mean[j]) / std[j])
                        }
                    }
                }
            }
            scale(&train)
            scale(&validation!)
            scale(&test!)
        }
        let shape = SequenceShape(
            length: length, inputSize: features, outputSize: targets.isClass ? classes : outputs, targets: targets, readout: readout,
            trainCount: train.count, validationCount: validation!.count, testCount: test!.count,
            validationHeldOut: given.validation == nil, testHeldOut: given.test == nil, md5: md5, labels: labelNames, padded: padded)
        return SequenceData(shape: shape, train: train, validation: validation!, test: test!, normalization: normalization)
    }

    /// The file's arrays by name, its digest, and for UCR the class names.
    static func readArrays(path: String) throws -> (arrays: [String: DataArray], md5: String, labels: [String]?) {
        let lower = path.lowercased()
        if lower.hasSuffix(".tsv") {
            guard lower.hasSuffix("_train.tsv") else {
                throw WrnnError.usage("--data \(path): give the UCR archive's NAME_TRAIN.tsv (its NAME_TEST.tsv is read from beside it)")
            }
            let testPath = String(path.dropLast(10)) + (path.hasSuffix("_TRAIN.tsv") ? "_TEST.tsv" : "_test.tsv")
            let trainBytes = try readFileBytes(path, what: "data file").get()
            let testBytes = try readFileBytes(testPath, what: "UCR test file").get()
            let train = try UCRFile.parse(trainBytes, path: path), test = try UCRFile.parse(testBytes, path: testPath)
            let names = UCRFile.classNames(train.labels)
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            func classes(_ labels: [String], _ file: String) throws -> DataArray {
                let values = try labels.enumerated().map { (row, label) -> Float in
                    guard let k = index[label] else {
                        throw WrnnError.data(
                            "\(file): sequence \(row + 1) has label \(label), which \(path) never uses (its labels: \(names.joined(separator: ", ")))"
                        )
                    }
                    return Float(k)
                }
                return DataArray(shape: [labels.count], values: values, isInteger: true, dtype: "label")
            }
            // a test file of another length is padded with NaN to the longer of the two, like a ragged line
            let length = max(train.x.shape[1], test.x.shape[1])
            let xTrain = UCRFile.padded(train.x, to: length), xTest = UCRFile.padded(test.x, to: length)
            let arrays = [
                "x_train": xTrain, "y_train": try classes(train.labels, path), "x_test": xTest, "y_test": try classes(test.labels, testPath)
            ]
            return (arrays, md5Hex(trainBytes + testBytes), names)
        }
        let bytes = try readFileBytes(path, what: "data file").get()
        if lower.hasSuffix(".npz") { return (try DataArray.readNpz(bytes, path: path), md5Hex(bytes), nil) }
        if lower.hasSuffix(".safetensors") { return (try DataArray.readSafetensors(bytes, path: path), md5Hex(bytes), nil) }
        throw WrnnError.data("--data \(path): not a file this task reads; give .npz (numpy.savez), .safetensors or a UCR NAME_TRAIN.tsv")
    }

    /// One split as the task stores it: each sequence's trailing padding (steps whose every feature is
    /// the mask value) moved to its front as zeros, so that its last real step is step L - 1 where a
    /// last-step readout reads it; per-step targets move with their steps (padding's class -1).
    static func align(
        x: DataArray, y: DataArray, name: String, path: String, length: Int, features: Int, targets: SequenceTargets, outputs: Int,
        mask: Float?
    ) throws -> (Split, Int) {
        let n = x.shape[0], perRowY = (targets.isPerStep ? length : 1) * (targets.isClass ? 1 : outputs)
        var xs = x.values, ys = y.values
        guard ys.count == n * perRowY else {
            throw WrnnError.data("\(path): y_\(name) has \(ys.count) values for \(n) sequences; expected \(n * perRowY)")
        }
        var shortened = 0
        var padding = [Int](repeating: 0, count: n)
        for row in 0..<n {
            let base = row * length * features
            var real = length
            if let mask {
                while real > 0 && (0..<features).allSatisfy({ MaskValue.matches(xs[base + (real - 1) * features + $0], mask) }) {
                    real -= 1
                }
                guard real > 0 else {
                    throw WrnnError.data("\(path): x_\(name) sequence \(row) is all padding (--mask-value \(mask)); drop it")
                }
            }
            if let bad = (0..<(real * features)).first(where: { !xs[base + $0].isFinite }) {
                let step = bad / features, feature = bad % features
                let trailingNaN = xs[base + step * features..<base + length * features].allSatisfy { $0.isNaN }
                throw WrnnError.data(
                    "\(path): x_\(name) holds \(xs[base + bad]) at sequence \(row), step \(step), feature \(feature)"
                        + (trailingNaN && mask == nil
                            ? "; sequences of different lengths? pad each at its end with NaN and give --mask-value nan"
                            : "; inputs must be finite (mark padding with --mask-value)"))
            }
            guard real < length else { continue }
            shortened += 1
            let shift = length - real
            padding[row] = shift
            // move steps 0 ..< real to shift ..< length; zeros before
            for k in stride(from: real * features - 1, through: 0, by: -1) { xs[base + shift * features + k] = xs[base + k] }
            for k in 0..<(shift * features) { xs[base + k] = 0 }
            if targets.isPerStep {
                guard targets.isClass else {
                    throw WrnnError.data(
                        "\(path): x_\(name) sequence \(row) is padded, but real targets per step cannot skip padded steps; give equal lengths or per-sequence targets"
                    )
                }
                let yBase = row * length
                for t in stride(from: real - 1, through: 0, by: -1) { ys[yBase + shift + t] = ys[yBase + t] }
                for t in 0..<shift { ys[yBase + t] = -1 }
            }
        }
        if targets.isClass, let bad = ys.firstIndex(where: { $0 != $0.rounded() || !$0.isFinite }) {
            throw WrnnError.data("\(path): y_\(name) holds \(ys[bad]), not a class index")
        }
        return (Split(x: xs, y: ys, count: n, padding: padding), shortened)
    }
}

/// The task over a checked data set: epochs of shuffled training sequences (a function of seed
/// and epoch, so a resumed run sees the batches it would have seen), the validation split, and
/// the test split as the fixed test set.
public struct SequencesTask: SequenceTask {
    public let data: SequenceData
    let sampler: SplitSampler

    public init(data: SequenceData, seed: UInt64) {
        self.data = data
        sampler = SplitSampler(count: data.train.count, validationSize: 0, seed: seed, keepPartialBatch: true)
    }

    public var name: String { "sequences" }
    public var length: Int { data.shape.length }
    public var inputSize: Int { data.shape.inputSize }
    public var outputSize: Int { data.shape.outputSize }
    public var readoutTiming: ReadoutTiming { data.shape.readout }
    public var lossLabel: String { data.shape.targets.isClass ? "test" : "test MSE" }
    public var classAccuracy: ClassAccuracy {
        switch data.shape.targets {
        case .classPerStep: return .everyStep
        case .classPerSequence: return .lastStep
        default: return .none
        }
    }
    public func stepsPerEpoch(batchSize: Int) -> Int? { sampler.stepsPerEpoch(batchSize: batchSize) }
    public func rows(step: Int, batchSize: Int) -> Int { sampler.rows(step: step, batchSize: batchSize) }
    public var trainingExamples: Int? { data.train.count }
    public var testExamples: Int? { data.test.count }

    /// Class targets are [R, B] (R readout steps), values [R, B, k].
    public func makeBatch(count: Int) -> SequenceBatch<Float> {
        let steps = readoutTiming == .every ? length : 1
        let classes = data.shape.targets.isClass
        return SequenceBatch(
            length: length, batch: count, inputSize: inputSize, classTargets: classes ? steps * count : nil,
            valueTargets: classes ? nil : steps * count * outputSize)
    }

    /// The normalisation applied, so that new data can be scaled alike.
    public var artefacts: [TaskArtefact] {
        guard let normalization = data.normalization else { return [] }
        return [
            TaskArtefact(name: "normalization.npy") {
                try Npy.write(normalization.mean + normalization.std, shape: [2, normalization.mean.count], to: $0)
            }
        ]
    }

    /// Writes sequence `index` of `split` as row `row` of `batch`.
    func write(_ split: SequenceData.Split, index: Int, into batch: SequenceBatch<Float>, row: Int) {
        let l = length, d = inputSize, b = batch.batch, k = outputSize
        let x = batch.inputs.pointer, source = index * l * d
        for t in 0..<l {
            for j in 0..<d { x[(t * b + row) * d + j] = split.x[source + t * d + j] }
        }
        let perStep = data.shape.targets.isPerStep, every = readoutTiming == .every
        if let classes = batch.classTargets {
            for r in 0..<(every ? l : 1) {
                classes[r * b + row] = Int32(split.y[perStep ? index * l + r : index])
            }
        } else if let values = batch.valueTargets {
            for r in 0..<(every ? l : 1) {
                let from = perStep ? (index * l + r) * k : index * k
                for j in 0..<k { values[(r * b + row) * k + j] = split.y[from + j] }
            }
        }
    }

    public func fill(_ batch: SequenceBatch<Float>, step: Int, batchSize: Int, rng: inout RandomStream) {
        for row in 0..<batch.batch {
            write(data.train, index: sampler.trainingIndex(step: step, row: row, batchSize: batchSize), into: batch, row: row)
        }
    }

    public func fill(_ batch: SequenceBatch<Float>, rng: inout RandomStream) {
        for row in 0..<batch.batch { write(data.train, index: sampler.randomTrainingIndex(&rng), into: batch, row: row) }
    }

    func batches(_ split: SequenceData.Split, count: Int, batchSize: Int) -> [SequenceBatch<Float>] {
        SplitSampler.batches(
            Array(0..<min(count, split.count)), batchSize: batchSize, make: { makeBatch(count: $0) },
            write: { write(split, index: $2, into: $0, row: $1) })
    }

    public func evaluationBatches(count: Int, batchSize: Int, seed: UInt64) -> [SequenceBatch<Float>] {
        batches(data.test, count: count, batchSize: batchSize)
    }

    public func validationBatches(batchSize: Int, limit: Int?) -> [SequenceBatch<Float>]? {
        batches(data.validation, count: min(limit ?? Int.max, data.validation.count), batchSize: batchSize)
    }
}

/// A researcher's own sequences as the tool knows them: everything comes from the file, read when
/// the run is configured (`inspect`) and kept in config.json.
public enum SequencesDescription: TaskDescription {
    public static let name = "sequences"
    public static let help = "your own, from --data"
    public static let options: Set<TaskOption> = [.data, .normalize, .maskValue]
    public static let isDataSet = true
    public static let modelRecipe = ModelRecipe.classification

    public static func check(_ config: TaskConfig) throws {
        guard config.dataFile != nil else {
            throw WrnnError.usage(
                "--task sequences needs --data FILE (.npz or .safetensors with x_train and y_train, or a UCR NAME_TRAIN.tsv)")
        }
        if let mask = config.maskValue { _ = try MaskValue.require(mask) }
    }

    public static func inspect(_ config: inout TaskConfig, seed: UInt64) throws {
        config.keepPartialBatch = true
        config.data = try SequenceData.load(config, seed: seed).shape
    }

    public static func load(_ config: TaskConfig, seed: UInt64) throws -> any SequenceTask {
        let loaded = try SequenceData.load(config, seed: seed)
        if let data = config.data, data.md5 != loaded.shape.md5 {
            throw WrnnError.data(
                "\(config.dataFile ?? "the data file") changed since this run was configured (MD5 \(loaded.shape.md5), the run's \(data.md5)); restore it or start a new run"
            )
        }
        return SequencesTask(data: loaded, seed: seed)
    }

    public static func length(_ config: TaskConfig) -> Int { config.data?.length ?? 1 }
    public static func inputSize(_ config: TaskConfig) -> Int { config.data?.inputSize ?? 1 }
    public static func outputSize(_ config: TaskConfig) -> Int { config.data?.outputSize ?? 1 }
    public static func readoutTiming(_ config: TaskConfig) -> ReadoutTiming { config.data?.readout ?? .last }
    public static func trainingExamples(_ config: TaskConfig) -> Int? { config.data?.trainCount }
    public static func validationExamples(_ config: TaskConfig) -> Int { config.data?.validationCount ?? 0 }
    /// Adam lr 1e-3, clip 10, batch 128 (or the whole training split when smaller), 120 epochs, the whole test split.
    public static func recipe(_ config: TaskConfig) -> TaskRecipe {
        TaskRecipe(
            learningRate: 1e-3, clip: 10, batchSize: min(128, max(config.data?.trainCount ?? 128, 1)), epochs: 120,
            testSize: max(config.data?.testCount ?? 1, 1))
    }

    public static func summaryLine(_ config: TaskConfig) -> String {
        guard let data = config.data else { return "sequences from \(config.dataFile ?? "?")" }
        let features = "\(data.inputSize) feature\(data.inputSize == 1 ? "" : "s")"
        let targets =
            data.targets.isClass
            ? "\(data.outputSize) classes, one \(data.targets.isPerStep ? "per step" : "per sequence")"
            : "\(data.outputSize) value\(data.outputSize == 1 ? "" : "s") \(data.targets.isPerStep ? "per step" : "per sequence")"
        let read = data.targets.isPerStep ? "" : data.readout == .every ? ", read at every step" : ", read at the last step"
        return
            "sequences from \(config.dataFile ?? "?"): \(data.length) steps of \(features), \(targets)\(read)\(config.normalize == true ? ", normalised" : "")"
    }

    /// The file's name: runs on one file are compared.
    public static func tableLabel(_ config: TaskConfig) -> String {
        let file = (config.dataFile ?? "?").split(separator: "/").last.map(String.init) ?? "?"
        return "sequences \(file)" + (config.normalize == true ? " (normalised)" : "")
    }

    public static func notes(_ config: TaskConfig) -> [String] {
        guard let data = config.data else { return [] }
        var notes: [String] = []
        let held = [data.validationHeldOut ? "validation" : nil, data.testHeldOut ? "test" : nil].compactMap { $0 }
        if !held.isEmpty {
            notes.append(
                "\(held.joined(separator: " and ")) split\(held.count > 1 ? "s: a tenth of x_train each" : ": a tenth of x_train"), drawn by the seed (\(data.trainCount) train, \(data.validationCount) validation, \(data.testCount) test)"
            )
        }
        if data.padded > 0 {
            notes.append(
                "\(data.padded) sequences padded (--mask-value \(config.maskValue ?? "")): their padding moved to the front as zeros")
        }
        if let labels = data.labels { notes.append("classes 0 ... \(labels.count - 1) are the labels \(labels.joined(separator: ", "))") }
        return notes
    }

    public static func loss(_ config: TaskConfig, perBatchDivisor: Double) -> LossMeasure {
        guard let data = config.data, !data.targets.isClass else { return .classes(config.data?.outputSize ?? 2) }
        return LossMeasure(
            label: "mean squared error (log scale)", shortLabel: "MSE (log)",
            unit: "Loss: mean squared error on the test split, in the table and in the charts.")
    }

    public static func resultStyle(_ config: TaskConfig) -> ResultStyle {
        config.data?.targets.isClass == false ? .validationLoss : .validationAccuracy
    }
}
