import Foundation
import WaveCore

/// CIFAR-10, binary version: data_batch_1..5.bin and test_batch.bin, each 10,000 records of one
/// label byte and 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, rows top to bottom).
public enum CIFAR10 {
    public static let recordBytes = 3073
    public static let recordsPerFile = 10_000
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"

    /// --data-dir, then $WRNN_DATA, then ./data; each as given and with cifar10 or
    /// cifar-10-batches-bin appended.
    public static func searchPath(dataDirectory: String?) -> [String] {
        let root = dataDirectory ?? ProcessInfo.processInfo.environment["WRNN_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        return [root + "/cifar-10-batches-bin", root + "/cifar10", root + "/cifar10/cifar-10-batches-bin", root]
    }

    public static func locate(dataDirectory: String?) throws -> String {
        try requireDataDirectory(dataDirectory)
        let dirs = searchPath(dataDirectory: dataDirectory)
        let files = trainFiles + [testFile]
        for dir in dirs where files.allSatisfy({ FileManager.default.fileExists(atPath: dir + "/" + $0) }) {
            return dir
        }
        // a directory holding some of the files: name the ones it lacks
        if let partial = dirs.first(where: { dir in files.contains { FileManager.default.fileExists(atPath: dir + "/" + $0) } }) {
            let missing = files.filter { !FileManager.default.fileExists(atPath: partial + "/" + $0) }
            throw WrnnError.missing(
                "cifar10: \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") missing from \(partial); fetch them with `wrnn data fetch cifar10`"
            )
        }
        throw WrnnError.missing(
            "cifar10: data_batch_1.bin ... data_batch_5.bin and test_batch.bin are not in \(dirs.joined(separator: ", ")); fetch them with `wrnn data fetch cifar10`, or put them in one of those directories (or set --data-dir / WRNN_DATA)"
        )
    }

    /// One file's records, checked: exact size and labels 0...9.
    public static func readFile(_ path: String) throws -> (images: [UInt8], labels: [UInt8]) {
        // one byte more than a batch file holds is enough to say it is the wrong size
        try parse(try readFileBytes(path, maximumBytes: recordsPerFile * recordBytes).get(), path: path)
    }

    /// Checks and decodes one batch file's bytes (`path` names it in errors); a batch file holds
    /// 10,000 records (the fuzzer reads shorter ones).
    public static func parse(_ data: [UInt8], path: String, records recordsPerFile: Int = CIFAR10.recordsPerFile) throws -> (
        images: [UInt8], labels: [UInt8]
    ) {
        let expected = recordsPerFile * recordBytes
        guard data.count == expected else {
            throw WrnnError.data("\(path): expected \(expected) bytes (\(recordsPerFile) records of \(recordBytes)), found \(data.count)")
        }
        let bytes = [UInt8](data)
        var images = [UInt8](repeating: 0, count: recordsPerFile * 3072), labels = [UInt8](repeating: 0, count: recordsPerFile)
        for k in 0..<recordsPerFile {
            let label = bytes[k * recordBytes]
            guard label <= 9 else { throw WrnnError.data("\(path): label \(label) in record \(k) is outside 0...9") }
            labels[k] = label
            images.replaceSubrange((k * 3072)..<((k + 1) * 3072), with: bytes[(k * recordBytes + 1)..<((k + 1) * recordBytes)])
        }
        return (images, labels)
    }

    /// Training (50,000) and test (10,000) images as [count, 3 * 32 * 32] channel-planar bytes.
    public static func load(dataDirectory: String?) throws -> (train: ImageSet, test: ImageSet) {
        let dir = try locate(dataDirectory: dataDirectory)
        var images: [UInt8] = [], labels: [UInt8] = []
        for name in trainFiles {
            let (i, l) = try readFile(dir + "/" + name)
            images += i; labels += l
        }
        let test = try readFile(dir + "/" + testFile)
        return (
            ImageSet(count: labels.count, height: 32, width: 32 * 3, images: images, labels: labels),
            ImageSet(count: test.labels.count, height: 32, width: 32 * 3, images: test.images, labels: test.labels)
        )
    }
}
