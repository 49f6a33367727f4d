import Foundation
import WaveCore

/// Greyscale images with class labels: images [count, height * width] bytes, labels [count].
public struct ImageSet: Sendable {
    public let count: Int
    public let height: Int
    public let width: Int
    public let images: [UInt8]
    public let labels: [UInt8]

    public init(count: Int, height: Int, width: Int, images: [UInt8], labels: [UInt8]) {
        self.count = count; self.height = height; self.width = width; self.images = images; self.labels = labels
    }
}

/// The MNIST-format data sets.
public enum ImageCollection: String, Codable, CaseIterable, Sendable {
    case mnist
    case fashionMNIST = "fashion-mnist"

    /// Where Debian's dataset-fashion-mnist package installs Fashion-MNIST.
    public static let debianFashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// Directories searched, in order: --data-dir, else $WRNN_DATA, else ./data (each as given and
    /// with the collection's name appended), and only when neither was given, Debian's location for
    /// Fashion-MNIST. A directory the user names is never silently replaced by another.
    public func searchPath(dataDirectory: String?) -> [String] {
        var roots: [String] = []
        var named = true
        if let dataDirectory {
            roots.append(dataDirectory)
        } else if let env = ProcessInfo.processInfo.environment["WRNN_DATA"], !env.isEmpty {
            roots.append(env)
        } else {
            roots.append("data"); named = false
        }
        var dirs = roots.flatMap { [$0 + "/" + rawValue, $0] }
        if self == .fashionMNIST && !named { dirs.append(Self.debianFashionMNIST) }
        return dirs
    }

    /// The first directory holding all four files (raw or .gz).
    public func locate(dataDirectory: String?) throws -> String {
        let names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        try requireDataDirectory(dataDirectory)
        let dirs = searchPath(dataDirectory: dataDirectory)
        for dir in dirs where names.allSatisfy({ file(dir, $0) != nil }) { return dir }
        throw WrnnError.missing(
            "\(rawValue): \(names[0])[.gz] and the other three files are not in \(dirs.joined(separator: ", ")); fetch them with `wrnn data fetch \(rawValue)`, or put them in one of those directories (or set --data-dir / WRNN_DATA)"
        )
    }

    func file(_ dir: String, _ name: String) -> String? {
        for candidate in [dir + "/" + name + ".gz", dir + "/" + name] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// Loads and checks the training and test sets.
    public func load(dataDirectory: String?) throws -> (train: ImageSet, test: ImageSet) {
        let dir = try locate(dataDirectory: dataDirectory)
        func set(_ prefix: String) throws -> ImageSet {
            guard let imagesPath = file(dir, "\(prefix)-images-idx3-ubyte"), let labelsPath = file(dir, "\(prefix)-labels-idx1-ubyte")
            else {
                throw WrnnError.missing("\(rawValue): \(prefix) files vanished from \(dir)")
            }
            let images = try IDX.read(imagesPath, dimensions: 3)
            let labels = try IDX.read(labelsPath, dimensions: 1)
            guard images.dimensions[0] == labels.dimensions[0] else {
                throw WrnnError.data(
                    "\(imagesPath) has \(images.dimensions[0]) images but \(labelsPath) has \(labels.dimensions[0]) labels")
            }
            if let bad = labels.bytes.firstIndex(where: { $0 > 9 }) {
                throw WrnnError.data("\(labelsPath): label \(labels.bytes[bad]) at index \(bad) is outside 0...9")
            }
            return ImageSet(
                count: images.dimensions[0], height: images.dimensions[1], width: images.dimensions[2],
                images: images.bytes, labels: labels.bytes)
        }
        let train = try set("train"), test = try set("t10k")
        guard train.height == test.height, train.width == test.width else {
            throw WrnnError.data(
                "\(dir): training images are \(train.height)x\(train.width) but test images are \(test.height)x\(test.width)")
        }
        return (train, test)
    }
}

/// --data-dir (or $WRNN_DATA) must name an existing directory: a typo is an error (66), never a
/// silent fall-back to another copy of the data.
public func requireDataDirectory(_ dataDirectory: String?) throws {
    let given = dataDirectory ?? ProcessInfo.processInfo.environment["WRNN_DATA"].flatMap { $0.isEmpty ? nil : $0 }
    guard let given else { return }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw WrnnError.missing(
            "data directory \(given)\(dataDirectory == nil ? " (from WRNN_DATA)" : "") does not exist; give an existing --data-dir")
    }
}
