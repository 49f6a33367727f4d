import WaveKernels
import XCTest
import WaveCore
import WaveTasks

final class TaskTests: XCTestCase {
    func tokens(_ batch: SequenceBatch<Float>, row: Int) -> [Int] {
        (0..<batch.length).map { t in (0..<batch.inputSize).first { batch.inputs[(t * batch.batch + row) * batch.inputSize + $0] == 1 }! }
    }

    /// Spec 3.1, the paper's text: length T + 20, digits at 0..9, delimiter at T + 10,
    /// recall targets at T + 10 ... T + 19, zero elsewhere.
    func testCopyTaskPaperLayout() {
        let task = CopyTask(delay: 3)
        let d = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2]
        let (x, y) = task.tokens(digits: d)
        XCTAssertEqual(x, d + [0, 0, 0] + [9] + [0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(y, [Int](repeating: 0, count: 13) + d)
        XCTAssertEqual(task.length, 23)
    }

    /// The authors' code: T' = T + 20 gives length T' + 10, delimiter at T' - 1, recall at T' ... T' + 9.
    func testCopyTaskCodeLayout() {
        let task = CopyTask(delay: 0, layout: .code)
        let d = [8, 7, 6, 5, 4, 3, 2, 1, 8, 7]
        let (x, y) = task.tokens(digits: d)
        XCTAssertEqual(task.length, 30)
        XCTAssertEqual(x, d + [Int](repeating: 0, count: 9) + [9] + [Int](repeating: 0, count: 10))
        XCTAssertEqual(y, [Int](repeating: 0, count: 20) + d)
    }

    func testCopyBatchesAreOneHotSeededAndScored() {
        let task = CopyTask(delay: 5)
        let batch = task.makeBatch(count: 4)
        var rng = RandomStream(seed: 1)
        task.fill(batch, rng: &rng)
        for row in 0..<4 {
            let x = tokens(batch, row: row)
            XCTAssertTrue(x[0..<10].allSatisfy { (1...8).contains($0) })
            XCTAssertEqual(x[15], 9)
            let targets = (0..<task.length).map { Int(batch.classTargets![$0 * 4 + row]) }
            XCTAssertEqual(Array(targets[15..<25]), Array(x[0..<10]))
            for t in 0..<task.length {
                XCTAssertEqual((0..<10).map { batch.inputs[(t * 4 + row) * 10 + $0] }.reduce(0, +), 1)
            }
        }
        var again = RandomStream(seed: 1)
        let other = task.makeBatch(count: 4)
        task.fill(other, rng: &again)
        XCTAssertEqual(batch.inputs.array, other.inputs.array)
        // Outputs that put all mass on the target score 100%, on token 0 score 0%.
        var logits = [Float](repeating: 0, count: 10)
        let perfect = task.recallAccuracy(
            outputs: { t, row in
                logits = [Float](repeating: 0, count: 10); logits[Int(batch.classTargets![t * 4 + row])] = 5
                return logits.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
            }, batch: batch)
        XCTAssertEqual(perfect, 1)
        let blank = [Float](repeating: 0, count: 10).enumerated().map { $0.offset == 0 ? Float(1) : 0 }
        XCTAssertEqual(task.recallAccuracy(outputs: { _, _ in blank.withUnsafeBufferPointer { $0.baseAddress! } }, batch: batch), 0)
    }

    func testAddingTaskMarksOnePerHalfAndSumsThem() {
        let task = AddingTask(length: 10)
        let batch = task.makeBatch(count: 50)
        var rng = RandomStream(seed: 3)
        task.fill(batch, rng: &rng)
        for row in 0..<50 {
            let marks = (0..<10).filter { batch.inputs[($0 * 50 + row) * 2 + 1] == 1 }
            XCTAssertEqual(marks.count, 2)
            XCTAssertLessThan(marks[0], 5)
            XCTAssertGreaterThanOrEqual(marks[1], 5)
            let sum = marks.map { batch.inputs[($0 * 50 + row) * 2] }.reduce(0, +)
            XCTAssertEqual(batch.valueTargets![row], sum)
            XCTAssertTrue((0..<10).allSatisfy { (0..<1).contains(batch.inputs[($0 * 50 + row) * 2]) })
        }
    }
}
