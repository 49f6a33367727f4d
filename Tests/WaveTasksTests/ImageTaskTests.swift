import Foundation
import XCTest
import WaveCore
import WaveData
import WaveTasks

final class ImageTaskTests: XCTestCase {
    /// 40 images of 2 x 3 pixels whose pixel p of image k is k * 6 + p (mod 256); label k mod 10.
    func tinySet(_ count: Int) -> ImageSet {
        ImageSet(
            count: count, height: 2, width: 3, images: (0..<(count * 6)).map { UInt8($0 % 256) },
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
                task.fill(batch, step: epoch * 11 + k, batchSize: batch.batch, rng: &rng)
                return (0..<4).map { Int((batch.inputs[$0] * 255).rounded()) / 2 } // first pixel = 2 * image index
            }
        }
        let first = epochImages(0), second = epochImages(1)
        XCTAssertEqual(Set(first).count, 44)
        XCTAssertTrue(Set(first).isSubset(of: Set(task.trainIndices)))
        XCTAssertNotEqual(first, second, "each epoch is shuffled anew")
        XCTAssertEqual(epochImages(0), first, "and the same epoch always in the same order")
    }

    /// The authors' sMNIST loader keeps the last, partial batch: 45 images at batch 4 are 11 full
    /// batches and one of 1, and every image is visited exactly once per epoch.
    func testKeptPartialBatchVisitsEveryImage() {
        let set = ImageSet(count: 50, height: 1, width: 2, images: (0..<100).map { UInt8($0) }, labels: (0..<50).map { UInt8($0 % 10) })
        let task = ImageSequenceTask(name: "smnist", train: set, test: set, seed: 8, permutation: nil, keepPartialBatch: true)
        XCTAssertEqual(task.stepsPerEpoch(batchSize: 4), 12)
        XCTAssertEqual((0..<13).map { task.rows(step: $0, batchSize: 4) }, [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 4])
        var rng = RandomStream(seed: 0)
        var seen: [Int] = []
        for step in 0..<12 {
            let batch = task.makeBatch(count: task.rows(step: step, batchSize: 4))
            task.fill(batch, step: step, batchSize: 4, rng: &rng)
            seen += (0..<batch.batch).map { Int((batch.inputs[$0] * 255).rounded()) / 2 }
        }
        XCTAssertEqual(seen.sorted(), task.trainIndices.sorted())
        let dropping = ImageSequenceTask(name: "psmnist", train: set, test: set, seed: 8, permutation: nil)
        XCTAssertEqual(dropping.rows(step: 10, batchSize: 4), 4)
    }
}

final class NoisyCIFARTests: XCTestCase {
    func testRowsThenOneFixedNoiseBlock() {
        // 20 images: red plane = image index, green = 100, blue = 200
        var images = [UInt8](repeating: 0, count: 20 * 3072)
        for k in 0..<20 {
            for p in 0..<1024 { images[k * 3072 + p] = UInt8(k); images[k * 3072 + 1024 + p] = 100; images[k * 3072 + 2048 + p] = 200 }
        }
        let set = ImageSet(count: 20, height: 32, width: 96, images: images, labels: (0..<20).map { UInt8($0 % 10) })
        let task = NoisyCIFARTask(train: set, test: set, seed: 2, freshNoise: false)
        XCTAssertEqual(task.length, 1000)
        XCTAssertEqual(task.inputSize, 96)
        let batches = task.evaluationBatches(count: 3, batchSize: 3, seed: 0)
        let b = batches[0]
        // step 5 of sequence 2: [32 red, 32 green, 32 blue] of row 5
        let step5 = (0..<96).map { b.inputs[(5 * 3 + 2) * 96 + $0] }
        XCTAssertEqual(Array(step5[0..<32]), [Float](repeating: 2 / 255, count: 32))
        XCTAssertEqual(Array(step5[32..<64]), [Float](repeating: 100 / 255, count: 32))
        XCTAssertEqual(Array(step5[64..<96]), [Float](repeating: 200 / 255, count: 32))
        // noise from step 32 on, the same block for every sequence, N(0, 1)
        let noiseA = (32..<1000).flatMap { t in (0..<96).map { b.inputs[(t * 3 + 0) * 96 + $0] } }
        let noiseB = (32..<1000).flatMap { t in (0..<96).map { b.inputs[(t * 3 + 1) * 96 + $0] } }
        XCTAssertEqual(noiseA, noiseB)
        XCTAssertEqual(noiseA, task.noise)
        let mean = noiseA.reduce(0, +) / Float(noiseA.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(noiseA.map { $0 * $0 }.reduce(0, +) / Float(noiseA.count), 1, accuracy: 0.05)

        let fresh = NoisyCIFARTask(train: set, test: set, seed: 2, freshNoise: true)
        let batch = fresh.makeBatch(count: 2)
        var rng = RandomStream(seed: 1)
        fresh.fill(batch, step: 0, batchSize: batch.batch, rng: &rng)
        XCTAssertNotEqual(batch.inputs[(40 * 2 + 0) * 96], batch.inputs[(40 * 2 + 1) * 96], "fresh noise differs per sequence")
    }
}
