import Foundation
import WaveCore
import WaveModels
import WaveTasks

extension TrainConfig {
    /// Every number in the configuration within its range and consistent with the others: the
    /// command line's checks, and the same for configurations read from files (checkpoints,
    /// config.json), whose errors name the file. Messages use the options' names.
    public func checkRanges() throws {
        func bad(_ message: String) -> WrnnError { .usage(message) }
        func positive(_ value: Int, _ name: String, max: Int) throws {
            guard value >= 1 else { throw bad("\(name) must be a positive integer (got \(value))") }
            guard value <= max else { throw bad("\(name) must be at most \(grouped(max)) (got \(grouped(value)))") }
        }
        try positive(batchSize, "--batch-size", max: SizeLimits.batch)
        try positive(testSize, "--test-size", max: SizeLimits.batch)
        try positive(steps, "--steps", max: SizeLimits.steps)
        try positive(threads, "--threads", max: 4096)
        try positive(evalEvery, "--eval-every", max: SizeLimits.steps)
        try positive(checkpointEvery, "--checkpoint-every", max: SizeLimits.steps)
        // the options' own ranges and messages, as declared once (TrainOptionTable)
        try TrainOptionTable.named("lr").check(learningRate)
        try TrainOptionTable.named("clip").check(clip)
        try task.check()
        let m = model
        try positive(m.ringSize, m.kind.isRecurrent ? "--hidden-size" : "the flattened input", max: SizeLimits.units)
        try positive(m.mlpHidden, m.kind.isRecurrent ? "the MLP readout's width" : "--hidden-size", max: SizeLimits.units)
        try positive(m.channels, "--channels", max: SizeLimits.units)
        try positive(m.kernelSize, "--kernel-size", max: SizeLimits.units)
        if !m.kind.hasRings, m.channels != 1 {
            throw bad("--channels applies to --model \(ModelRegistry.list(ModelRegistry.models(accepting: .channels))) only")
        }
        for (given, option) in [
            (m.sheet != nil, ModelOption.sheet), (m.shiftDirection != nil, .shiftDirection), (m.waveSource != nil, .waveSource)
        ]
        where given && !m.kind.model.options.contains(option) {
            throw bad("\(option.rawValue) applies to --model \(ModelRegistry.list(ModelRegistry.models(accepting: option))) only")
        }
        if m.precision == .bf16, !m.kind.model.options.contains(.precision) {
            throw bad("--precision bf16 applies to --model \(ModelRegistry.list(ModelRegistry.models(accepting: .precision))) only")
        }
        try TrainOptionTable.named("wave-speed").check(m.waveSpeed)
        // the model's shape is the task's
        guard m.inputSize == task.inputSize, m.outputSize == task.outputSize else {
            throw bad(
                "the model reads \(m.inputSize) and answers \(m.outputSize) values per step, but the \(task.kind.rawValue) task has \(task.inputSize) and \(task.outputSize)"
            )
        }
        // the model's own ranges and fit to the task
        try m.kind.model.check(m, task: task)
        // the readout reads where the task's targets are: a batch holds targets for those steps only
        guard m.readoutTiming == task.readoutTiming else {
            let place = { (timing: ReadoutTiming) in timing == .every ? "at every step" : "at the last step" }
            throw bad(
                "--readout-at \(m.readoutTiming.rawValue) does not fit the \(task.kind.rawValue) task, whose targets are read \(place(task.readoutTiming)); drop --readout-at"
            )
        }
        // far beyond any machine, and below where sizes computed in Int could overflow
        guard m.estimatedParameterCount <= 0x1p40, estimatedBytes(length: task.length) <= 0x1p50 else {
            throw bad(
                "this configuration would need \(String(format: "%.3g", m.estimatedParameterCount)) parameters and \(String(format: "%.3g", estimatedBytes(length: task.length))) bytes; lower --batch-size, --hidden-size or --channels"
            )
        }
    }

    /// Bytes the run's buffers need: parameters, gradients and Adam's moments, one gradient and
    /// workspace per shard, the training batch and the fixed test (and validation) sets.
    public func estimatedBytes(length: Int) -> Double {
        let shards = max(1, min(threads, batchSize))
        let rows = (batchSize + shards - 1) / shards
        let parameters = model.estimatedParameterCount * 4 * Double(4 + shards)
        let workspaces = Double(shards) * model.workspaceBytes(capacity: rows, length: length)
        let perSequence = Double(length) * Double(task.inputSize) * 4 + Double(length) * 4
        let validation = Double(task.validationExamples)
        return parameters + workspaces + perSequence * (Double(batchSize) + Double(testSize) + validation)
    }

    /// Refuses (64) a batch larger than the data set's training split and a configuration whose
    /// buffers would not fit in this machine's memory, before anything is allocated or created.
    public func checkFits(task loaded: any SequenceTask) throws {
        if let examples = loaded.trainingExamples, batchSize > examples {
            throw WrnnError.usage(
                "--batch-size \(grouped(batchSize)) is more than the \(grouped(examples)) training sequences of \(task.kind.rawValue); use at most \(grouped(examples))"
            )
        }
        if let examples = loaded.testExamples, testSize > examples {
            throw WrnnError.usage(
                "--test-size \(grouped(testSize)) is more than the \(grouped(examples)) test sequences of \(task.kind.rawValue); use at most \(grouped(examples))"
            )
        }
        let need = estimatedBytes(length: loaded.length)
        guard let available = MachineMemory.availableBytes, need > 0.9 * available else { return }
        func gib(_ bytes: Double) -> String { String(format: "%.1f GiB", bytes / 1_073_741_824) }
        throw WrnnError.usage(
            "this run needs about \(gib(need)) for its buffers (batch \(grouped(batchSize)) x \(grouped(loaded.length)) steps x \(grouped(model.units)) units, \(grouped(Int(model.estimatedParameterCount.rounded()))) parameters) but the machine has \(gib(available)) available; lower --batch-size, --hidden-size\(model.kind.hasRings ? ", --channels" : "") or --threads"
        )
    }
}

/// What the kernel says is available now (MemAvailable), or the physical memory elsewhere.
public enum MachineMemory {
    public static var availableBytes: Double? {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kib = Double(fields[1]) { return kib * 1024 }
            }
        }
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? Double(pages) * Double(size) : nil
    }
}
