import Foundation
import XCTest
import WaveCore
import WaveData
import WaveTasks

final class ImageTaskTests: XCTestCase {
    /// 40 images of 2 x 3 pixels whose pixel p of image k is k * 6 + p (mod 256); label k mod 10.
    func tinySet(_ count: Int) -> ImageSet {
        ImageSet(count: count, height: 2, width: 3, images: (0..<(count * 6)).map { UInt8($0 % 256) },
                 labels: (0..<count).map { UInt8($0 % 10) })
    }

    func testRasterAndPermutedOrderSplitAndTestSet() {
        let train = tinySet(40), test = tinySet(12)
        let plain = ImageSequenceTask(name: "smnist", train: train, test: test, seed: 3, permutation: nil)
        XCTAssertEqual(plain.length, 6)
        XCTAssertEqual(plain.validationIndices.count, 4, "a tenth when the set is small, 3,000 for MNIST")
        XCTAssertEqual(Set(plain.trainIndices).intersection(plain.validationIndices).count, 0)
        XCTAssertEqual(Set(plain.trainIndices + plain.validationIndices), Set(0..<40))
        let batches = plain.evaluationBatches(count: 10, batchSize: 4, seed: 0)
        XCTAssertEqual(batches.map(\.batch), [3, 3, 4])
        // test image 4 is row 1 of the second batch: pixels 24..29 over the 6 steps, scaled to [0, 1]
        let second = batches[1]
        XCTAssertEqual((0..<6).map { second.inputs[$0 * 3 + 1] }, (24..<30).map { Float($0) / 255 })
        XCTAssertEqual(second.classTargets![1], 4)

        let order = [5, 4, 3, 2, 1, 0]
        let permuted = ImageSequenceTask(name: "psmnist", train: train, test: test, seed: 3, permutation: order)
        let p = permuted.evaluationBatches(count: 1, batchSize: 4, seed: 0)[0]
        XCTAssertEqual((0..<6).map { p.inputs[$0] }, order.map { Float($0) / 255 })
        // training draws only from the training split
        let batch = plain.makeBatch(count: 64)
        var rng = RandomStream(seed: 1)
        plain.fill(batch, rng: &rng)
        let validationFirstPixels = Set(plain.validationIndices.map { Float(($0 * 6) % 256) / 255 })
        for row in 0..<64 { XCTAssertFalse(validationFirstPixels.contains(batch.inputs[row])) }
    }

    func testPermutationFilesRoundTripAndAreChecked() throws {
        let dir = NSTemporaryDirectory() + "wrnn-perm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var rng = RandomStream(seed: 9)
        let permutation = rng.permutation(784)
        try NpyIndices.write(permutation, to: dir + "/p.npy")
        XCTAssertEqual(try NpyIndices.readPermutation(dir + "/p.npy", count: 784), permutation)
        try NpyIndices.write([0, 0, 1], to: dir + "/bad.npy")
        XCTAssertThrowsError(try NpyIndices.readPermutation(dir + "/bad.npy", count: 3)) {
            XCTAssertEqual(($0 as! WrnnError).message, "\(dir)/bad.npy: not a permutation of 0..<3")
        }
        XCTAssertThrowsError(try NpyIndices.readPermutation(dir + "/p.npy", count: 10)) {
            XCTAssertEqual(($0 as! WrnnError).message, "\(dir)/p.npy: expected shape (10,)")
        }
    }
}

final class EpochTests: XCTestCase {
    /// Every epoch visits each training image once (the partial last batch dropped), in an order
    /// that depends only on the seed and the epoch.
    func testEpochsVisitEachTrainingImageOnce() {
        let set = ImageSet(count: 50, height: 1, width: 2, images: (0..<100).map { UInt8($0) }, labels: (0..<50).map { UInt8($0 % 10) })
        let task = ImageSequenceTask(name: "smnist", train: set, test: set, seed: 8, permutation: nil)
        XCTAssertEqual(task.trainIndices.count, 45)
        XCTAssertEqual(task.stepsPerEpoch(batchSize: 4), 11)
        let batch = task.makeBatch(count: 4)
        var rng = RandomStream(seed: 0)
        func epochImages(_ epoch: Int) -> [Int] {
            (0..<11).flatMap { k -> [Int] in
                task.fill(batch, step: epoch * 11 + k, rng: &rng)
                return (0..<4).map { Int((batch.inputs[$0] * 255).rounded()) / 2 }   // first pixel = 2 * image index
            }
        }
        let first = epochImages(0), second = epochImages(1)
        XCTAssertEqual(Set(first).count, 44)
        XCTAssertTrue(Set(first).isSubset(of: Set(task.trainIndices)))
        XCTAssertNotEqual(first, second, "each epoch is shuffled anew")
        XCTAssertEqual(epochImages(0), first, "and the same epoch always in the same order")
    }
}
