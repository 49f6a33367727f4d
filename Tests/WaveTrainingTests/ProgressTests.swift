import Foundation
import WaveTasks
import WaveTraining
import XCTest

/// The ETA counts training time only in its step rate and adds the evaluations still to come.
final class ProgressTests: XCTestCase {
    func testETAExcludesEvaluationsFromTheRateAndAddsTheRemainingOnes() {
        let progress = Progress(quiet: true, interactive: false)
        progress.evaluationsRemaining = { step in (100 - step) / 50 }
        progress.evaluated(step: 0, seconds: 5) // the step-0 evaluation: 5 s, no steps trained
        progress.update(step: 1, of: 100, loss: 1)
        // 6 s after the start: 5 s evaluating, 1 s for 1 step -> 99 steps at 1 step/s, + 1 evaluation of 5 s
        XCTAssertEqual(progress.estimate(step: 1, of: 100, now: progress.start + 6), 99 + 5, accuracy: 1e-9)
        // a resumed run counts only the steps it trained itself
        let resumed = Progress(quiet: true, interactive: false)
        resumed.update(step: 5001, of: 6000, loss: 1)
        XCTAssertEqual(resumed.estimate(step: 5001, of: 6000, now: resumed.start + 2), 999 * 2, accuracy: 1e-9)
    }

    /// The closed form against counting `evaluates(after:)` step by step, for both protocols.
    func testEvaluationsRemainingCountsWhatTheLoopWillDo() throws {
        for authors in [false, true] {
            var options = TrainOptions()
            options.task = .copy
            options.t = 5
            if authors { options.trainingProtocol = .authors }
            for (steps, every) in [(100, 10), (95, 10), (7, 3), (1, 5), (30, 1)] {
                options.steps = steps; options.evalEvery = every
                let config = try options.resolve()
                for step in [0, 1, 2, 9, 10, 11, steps - 1, steps] where step >= 0 && step <= steps {
                    let counted = ((step + 1)...max(steps, step + 1)).filter { $0 <= steps && config.evaluates(after: $0) }.count
                    XCTAssertEqual(
                        config.evaluationsRemaining(after: step), counted, "authors \(authors) steps \(steps) every \(every) at \(step)")
                }
            }
        }
    }
}

/// `wrnn bench --python`'s best Python column includes the eager models under bf16 autocast.
final class PythonColumnsTests: XCTestCase {
    func testTheBestColumnIncludesBF16Autocast() throws {
        let json = """
            [{"name": "smnist-lstm", "module": "LSTM", "seconds_per_iteration": 1.66, "peak_memory_bytes": 1000,
              "seconds_per_iteration_flush_denormal": 1.63, "torch_version": "2", "seconds_per_iteration_compiled": 1.48,
              "peak_memory_bytes_compiled": 2000, "seconds_per_iteration_autocast": 0.83, "peak_memory_bytes_autocast": 3000}]
            """
        let results = try JSONDecoder().decode([TorchResult].self, from: Data(json.utf8))
        let best = results[0].best
        XCTAssertEqual(best.name, "bf16 autocast")
        XCTAssertEqual(best.seconds, 0.83)
        XCTAssertEqual(best.bytes, 3000)
        var slower = results[0]
        slower.secondsPerIterationAutocast = 2
        XCTAssertEqual(slower.best.name, "compiled")
    }
}

/// The bf16 line at a run's start: slower products are announced, never run silently.
final class BF16CheckTests: XCTestCase {
    func testTheLineSaysWhenBF16IsSlower() {
        let faster = BF16Check.Result(products: "AVX512-BF16 kernels", speedup: 1.4).line
        XCTAssertEqual(faster, "bf16 products: AVX512-BF16 kernels, 1.40x the fp32 convolution's speed for this model's shapes")
        let slower = BF16Check.Result(products: "AVX512-BF16 kernels", speedup: 0.62).line
        XCTAssertEqual(
            slower,
            "note: on this CPU the bf16 products (AVX512-BF16 kernels) run at 0.62x the fp32 convolution's speed for this model's shapes: --precision bf16 makes this run slower, not faster; --precision fp32 is faster here"
        )
        let plain = BF16Check.Result(products: "plain versions (WRNN_BF16=emulate)", speedup: 0.05, emulated: true).line
        XCTAssertTrue(plain.hasSuffix("for checking numbers, not for speed"), plain)
        // the recurrent models' products, through oneDNN
        let dense = BF16Check.Result(
            products: "oneDNN brg:avx512_core_amx_bf16 (AMX)", speedup: 2.5, fp32Products: "the fp32 recurrent products'"
        ).line
        XCTAssertEqual(
            dense, "bf16 products: oneDNN brg:avx512_core_amx_bf16 (AMX), 2.50x the fp32 recurrent products' speed for this model's shapes")
        let denseSlower = BF16Check.Result(
            products: "oneDNN brg:avx512_core_bf16 (AVX512-BF16)", speedup: 0.8, fp32Products: "the fp32 recurrent products'"
        ).line
        XCTAssertTrue(
            denseSlower.hasPrefix(
                "note: on this CPU the bf16 products (oneDNN brg:avx512_core_bf16 (AVX512-BF16)) run at 0.80x the fp32 recurrent products' speed"
            ), denseSlower)
    }
}
