import WaveCore
import WaveModels
import WaveTasks

public enum TaskKind: String, Codable, CaseIterable, Sendable { case copy, adding }

/// A task and its one size parameter T: the copy task's delay, the adding task's length.
public struct TaskConfig: Codable, Equatable, Sendable {
    public var kind: TaskKind
    public var t: Int
    public var copyLayout: CopyLayout

    public init(kind: TaskKind, t: Int? = nil, copyLayout: CopyLayout = .paper) {
        self.kind = kind
        self.t = t ?? (kind == .copy ? 30 : 400)
        self.copyLayout = copyLayout
    }

    public func makeTask() -> any SequenceTask {
        switch kind {
        case .copy: return CopyTask(delay: t, layout: copyLayout)
        case .adding: return AddingTask(length: t)
        }
    }
}

/// Everything a training run needs; saved as config.json in the run directory.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var task: TaskConfig
    public var model: ModelConfig
    public var learningRate: Double
    /// Global L2 norm the gradient is clipped to; 0 turns clipping off.
    public var clip: Double
    public var batchSize: Int
    public var steps: Int
    public var seed: UInt64
    public var threads: Int
    public var evalEvery: Int
    public var checkpointEvery: Int
    public var testSize: Int
    /// Initial weights from a safetensors file instead of the init scheme.
    public var initFrom: String?

    public init(task: TaskConfig, model: ModelConfig, learningRate: Double, clip: Double, batchSize: Int, steps: Int,
                seed: UInt64, threads: Int, evalEvery: Int, checkpointEvery: Int, testSize: Int) {
        self.task = task
        self.model = model
        self.learningRate = learningRate
        self.clip = clip
        self.batchSize = batchSize
        self.steps = steps
        self.seed = seed
        self.threads = threads
        self.evalEvery = evalEvery
        self.checkpointEvery = checkpointEvery
        self.testSize = testSize
    }
}

/// The paper's settings per experiment, as plain values (spec 3.1, 3.2).
public enum Preset {
    /// Copy: wRNN n = 100, c = 6; iRNN n = 100. Adding: wRNN n = 100, c = 27; iRNN n = 100. Batch 128.
    public static func model(task: TaskConfig, kind: ModelKind) -> ModelConfig {
        let t = task.makeTask()
        return ModelConfig(kind: kind, inputSize: t.inputSize, outputSize: t.outputSize, hiddenSize: 100,
                           channels: kind == .wrnn ? (task.kind == .copy ? 6 : 27) : 1, kernelSize: 3,
                           activation: .relu, readoutTiming: t.readoutTiming)
    }

    public static func train(task: TaskConfig, kind: ModelKind) -> TrainConfig {
        TrainConfig(task: task, model: model(task: task, kind: kind), learningRate: 1e-3,
                    clip: task.kind == .copy ? 1 : 10, batchSize: 128, steps: 60_000, seed: 0, threads: defaultThreads,
                    evalEvery: 100, checkpointEvery: 1000, testSize: 1000)
    }

    public static var defaultThreads: Int { max(1, ProcessInfoCores.count) }
}

enum ProcessInfoCores {
    static var count: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return Int(sysconf(_SC_NPROCESSORS_ONLN))
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
