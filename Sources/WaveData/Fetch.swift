import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import WaveCore

/// One downloadable file: its name, the published MD5 of the file as distributed, and for
/// repackaged copies (Debian recompresses Fashion-MNIST) the MD5 of its decompressed content.
public struct DataFile: Sendable {
    public let name: String
    public let md5: String
    public let contentMD5: String?
}

/// The data sets `wrnn data` knows: where they are published and how to check them.
public struct DataCatalogEntry: Sendable {
    public let name: String
    public let mirrors: [String]
    public let files: [DataFile]
    /// Subdirectory of the data directory the files go to.
    public let directory: String

    public static let all: [DataCatalogEntry] = [
        DataCatalogEntry(
            name: "mnist",
            mirrors: [
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
                "http://yann.lecun.com/exdb/mnist/"
            ],
            files: [
                DataFile(name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873", contentMD5: nil),
                DataFile(name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432", contentMD5: nil),
                DataFile(name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3", contentMD5: nil),
                DataFile(name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c", contentMD5: nil)
            ], directory: "mnist"),
        DataCatalogEntry(
            name: "fashion-mnist",
            mirrors: [
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"
            ],
            files: [
                DataFile(
                    name: "train-images-idx3-ubyte.gz", md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                    contentMD5: "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
                DataFile(
                    name: "train-labels-idx1-ubyte.gz", md5: "25c81989df183df01b3e8a0aad5dffbe",
                    contentMD5: "9018921c3c673c538a1fc5bad174d6f9"),
                DataFile(
                    name: "t10k-images-idx3-ubyte.gz", md5: "bef4ecab320f06d8554ea6380940ec79",
                    contentMD5: "8181f5470baa50b63fa0f6fddb340f0a"),
                DataFile(
                    name: "t10k-labels-idx1-ubyte.gz", md5: "bb300cfdad3c16e7a12a480ee83cd310",
                    contentMD5: "15d484375f8d13e6eb1aabb0c3f46965")
            ], directory: "fashion-mnist"),
        DataCatalogEntry(
            name: "cifar10",
            mirrors: [
                "https://www.cs.toronto.edu/~kriz/"
            ],
            files: [
                DataFile(name: "cifar-10-binary.tar.gz", md5: "c32a1d4ab5d03f1284b67883e8d87530", contentMD5: nil)
            ], directory: "cifar10")
    ]

    public static func named(_ name: String) -> DataCatalogEntry? { all.first { $0.name == name } }
}

/// Checks bytes against a file's published checksum (or, for a repackaged copy, its content's).
public func checkDownload(_ bytes: [UInt8], file: DataFile, path: String) throws -> String {
    let digest = md5Hex(bytes)
    if digest == file.md5 { return "published MD5 \(digest) matches" }
    if let content = file.contentMD5, isGzip(bytes) {
        let inner = md5Hex(try gunzip(bytes, path: path) { try IDX.promisedBytes($0, path: path) })
        if inner == content { return "content MD5 \(inner) matches (repackaged archive)" }
    }
    throw WrnnError.data("\(path): MD5 \(digest) does not match the published \(file.md5); the file is damaged or not the published one")
}

/// Downloads `url` (http, https or file); nil with the reason on failure.
public func download(_ url: URL) -> Result<[UInt8], WrnnError> {
    if url.isFileURL {
        return readFileBytes(url.path, what: "mirror file")
    }
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var outcome: Result<[UInt8], WrnnError> = .failure(.io("\(url): no answer"))
    let task = URLSession.shared.dataTask(with: url) { data, response, error in
        if let error {
            outcome = .failure(.io("\(url): \(error.localizedDescription)"))
        } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
            outcome = .failure(.io("\(url): HTTP \(http.statusCode)"))
        } else if let data {
            outcome = .success([UInt8](data))
        }
        done.signal()
    }
    task.resume()
    done.wait()
    return outcome
}

/// The regular files of a (ustar) tar archive whose names pass `keep`: name -> bytes.
public func untar(_ bytes: [UInt8], path: String, keep: (String) -> Bool) throws -> [(String, [UInt8])] {
    var files: [(String, [UInt8])] = []
    var offset = 0
    func field(_ at: Int, _ length: Int) -> String {
        String(decoding: bytes[at..<(at + length)].prefix { $0 != 0 }, as: UTF8.self)
    }
    var ended = false
    while offset + 512 <= bytes.count {
        if bytes[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) { ended = true; break }
        let prefix = field(offset + 345, 155)
        let name = (prefix.isEmpty ? "" : prefix + "/") + field(offset, 100)
        let sizeText = field(offset + 124, 12).trimmingCharacters(in: .whitespaces)
        guard let size = Int(sizeText, radix: 8) else { throw WrnnError.data("\(path): corrupt tar header at byte \(offset)") }
        let type = bytes[offset + 156]
        let start = offset + 512
        guard start + size <= bytes.count else { throw WrnnError.data("\(path): tar member \(name) runs past the end of the archive") }
        if (type == 0x30 || type == 0) && keep(name) { files.append((name, Array(bytes[start..<(start + size)]))) }
        offset = start + (size + 511) / 512 * 512
    }
    guard ended else { throw WrnnError.data("\(path): truncated tar archive (no end-of-archive marker)") }
    return files
}

/// Fetches a data set into `root`/<directory>, trying each mirror in turn and checking every
/// file's checksum; CIFAR-10's archive is unpacked into cifar-10-batches-bin/. Returns log lines.
public func fetchDataSet(_ entry: DataCatalogEntry, root: String, mirrors: [String]? = nil) throws -> [String] {
    let target = root + "/" + entry.directory
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    var log: [String] = []
    for file in entry.files {
        var bytes: [UInt8]? = nil
        var failures: [String] = []
        for mirror in mirrors ?? entry.mirrors {
            guard let url = URL(string: mirror + file.name) else { continue }
            switch download(url) {
            case .success(let data):
                do {
                    let verdict = try checkDownload(data, file: file, path: url.absoluteString)
                    bytes = data
                    log.append("\(file.name): \(data.count) bytes from \(mirror), \(verdict)")
                } catch let error as WrnnError { failures.append(error.message) }
            case .failure(let error): failures.append(error.message)
            }
            if bytes != nil { break }
        }
        guard let bytes else {
            throw WrnnError.io("\(entry.name): could not fetch \(file.name) from any mirror (\(failures.joined(separator: "; ")))")
        }
        if file.name.hasSuffix(".tar.gz") {
            // its MD5 was checked: the published archive inflates to 185 MB
            let members = try untar(try gunzip(bytes, path: file.name, maximumBytes: 1 << 30), path: file.name) { $0.hasSuffix(".bin") }
            let dir = target + "/cifar-10-batches-bin"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (name, data) in members {
                try writeAtomically(data, to: dir + "/" + (name as NSString).lastPathComponent)
            }
            log.append("unpacked \(members.count) files into \(dir)")
        } else {
            try writeAtomically(bytes, to: target + "/" + file.name)
        }
    }
    return log
}

/// `wrnn data verify`: checks one data set on disk (checksums where published, then every record's
/// structure by loading it) and returns what it found, one line each.
public func verifyDataSet(_ entry: DataCatalogEntry, dataDirectory: String?, root: String) throws -> [String] {
    var lines: [String] = []
    if entry.name == "cifar10" {
        let dir = try CIFAR10.locate(dataDirectory: dataDirectory)
        let archive = root + "/cifar10/cifar-10-binary.tar.gz"
        if let bytes = fileContents(atPath: archive) {
            lines.append("\(archive): \(try checkDownload([UInt8](bytes), file: entry.files[0], path: archive))")
        }
        let (train, test) = try CIFAR10.load(dataDirectory: dataDirectory)
        lines.append("cifar10: \(dir): \(train.count) training and \(test.count) test images, sizes and labels check out")
        return lines
    }
    let collection = ImageCollection(rawValue: entry.name)!
    let dir = try collection.locate(dataDirectory: dataDirectory)
    for file in entry.files {
        let gz = dir + "/" + file.name, raw = String(gz.dropLast(3))
        if let bytes = fileContents(atPath: gz) {
            lines.append("\(gz): \(try checkDownload([UInt8](bytes), file: file, path: gz))")
        } else if let bytes = fileContents(atPath: raw) {
            let digest = md5Hex([UInt8](bytes))
            if let content = file.contentMD5, digest != content {
                throw WrnnError.data("\(raw): MD5 \(digest) does not match the published content's \(content)")
            }
            lines.append(
                "\(raw): \(file.contentMD5 == nil ? "no published checksum for the uncompressed file" : "content MD5 \(digest) matches")"
            )
        }
    }
    let (train, test) = try collection.load(dataDirectory: dataDirectory)
    lines.append(
        "\(entry.name): \(dir): \(train.count) training and \(test.count) test images of \(train.height)x\(train.width), labels in 0...9")
    return lines
}
