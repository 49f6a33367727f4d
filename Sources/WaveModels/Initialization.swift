import WaveKernels
import WaveCore

extension ModelConfig {
    /// Initial parameters in the flat layout, drawn from `rng` in tensor order: the cell's
    /// (spec 2.1, 2.2, or the cell's authors'), then the readout's.
    public func initialParameters<T: Scalar>(_ rng: inout RandomStream, as: T.Type = T.self) -> [T] {
        let body = makeBody(Double.self)
        var values = body.initialValues(&rng)
        values += makeReadout(body: body).initialValues(&rng)
        return values.map { T($0) }
    }
}
