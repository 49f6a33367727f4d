import Foundation
import WaveCore
import WaveModels
import WavePlot
import WaveTraining

/// The space-time map TensorBoard shows at each evaluation: test sequence 0 through the current
/// weights, the first ring (or every unit of a ring-less model) down, time along, on its own
/// clipped colour range. Nil for a model without a hidden state through time (fc).
public func liveSpaceTimeImage(_ trainer: Trainer) throws -> (png: [UInt8], width: Int, height: Int)? {
    guard trainer.config.model.kind.isRecurrent, trainer.config.testSize > 0 else { return nil }
    let recording = try Recording.record(
        config: trainer.config, task: trainer.task, step: trainer.step, params: trainer.params.array, samples: [0],
        testSet: trainer.testSet)
    let map = recording.map(sample: 0, channel: 0)
    let (low, high) = clippedRange(map)
    // the canvas is discarded: it is drawn in memory and never written
    let canvas = try Canvas(width: 420, height: 236, format: .png, path: NSTemporaryDirectory() + "wrnn-live-map.png")
    drawSpaceTime(
        canvas, x: 48, y: 22, w: 360, h: 168, map: map, steps: recording.length, neurons: recording.ringSize, low: low, high: high,
        title: "\(trainer.config.model.displayName), step \(trainer.step)\(recording.channels > 1 ? ", ring 1" : "")",
        neuronLabel: recording.channels > 1 ? "neuron on ring" : "unit")
    let size = canvas.pixelSize
    return (try canvas.pngBytes(), size.width, size.height)
}
