/// The dimensions every name in WaveRNN follows, written once.
///
/// | symbol | name in code        | meaning                                                              |
/// |--------|---------------------|----------------------------------------------------------------------|
/// | B      | `batch`, `rows`     | sequences in a batch (`rows`: the rows one shard works on)           |
/// | L      | `length`            | time steps per sequence                                              |
/// | d      | `inputSize`         | input values per time step                                           |
/// | c      | `channels`          | rings of the wRNN; 1 for every other model                           |
/// | n      | `ringSize`          | neurons per ring (wRNN); for every other model c = 1, so n = N        |
/// | N      | `units`             | hidden units the readout sees: c * n                                 |
/// | f      | `kernelSize`        | odd width of the wRNN's circular kernel                              |
/// | G      | `gateCount`         | blocks in a gated cell's stacked weights (LSTM 4, GRU 3, LEM 4 / 3)  |
/// | out    | `outputSize`        | readout outputs: classes, or regression values                       |
/// | m      | `mlpHidden`         | width of the MLP readout's hidden layer                              |
///
/// Buffers carry a shape comment in these symbols, time-major: `[L, B, d]` is step, then row,
/// then value. Gradients are prefixed `d` (`dh` is dLoss/dh). A step t maps the state h_t to
/// h_{t+1}; h_0 = 0.
public enum Glossary {}
