/// Which hidden states are read out: every step (copy task) or only the last. A task decides it
/// (WaveTasks) and a model obeys it (WaveModels), so it lives below both.
public enum ReadoutTiming: String, Codable, CaseIterable, Sendable { case every, last }
