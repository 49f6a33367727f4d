import Foundation

/// Things the tool knows by name (models, tasks): the shipped ones, fixed at build time, then any
/// added at run time (a test target's, a user's own) in the order added. A name registers once.
public final class Registry<Entry>: @unchecked Sendable {
    /// "model", "task": for messages.
    let what: String
    let shipped: [Entry]
    let name: @Sendable (Entry) -> String
    private var added: [Entry] = []
    private let lock = NSLock()

    public init(_ what: String, shipped: [Entry], name: @escaping @Sendable (Entry) -> String) {
        self.what = what; self.shipped = shipped; self.name = name
    }

    /// Every entry, shipped ones first.
    public var all: [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return shipped + added
    }

    /// Adds an entry; a name already registered is refused (64).
    public func register(_ entry: Entry) throws {
        lock.lock()
        defer { lock.unlock() }
        guard !(shipped + added).contains(where: { name($0) == name(entry) }) else {
            throw WrnnError.usage("a \(what) named '\(name(entry))' is already registered")
        }
        added.append(entry)
    }

    /// Removes an entry `register` added (shipped ones stay).
    public func unregister(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        added.removeAll { self.name($0) == name }
    }

    /// The entry named `name`; shipped entries are found without the lock.
    public func named(_ name: String) -> Entry? {
        if let found = shipped.first(where: { self.name($0) == name }) { return found }
        lock.lock()
        defer { lock.unlock() }
        return added.first { self.name($0) == name }
    }
}

/// A registered thing's name as options, config.json and sweep files spell it: only registered names
/// make one (`init?(rawValue:)`), and decoding an unknown name fails naming the known ones.
public protocol RegisteredName: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible where RawValue == String {
    /// "model", "task": for messages.
    static var registryNoun: String { get }
    static var allCases: [Self] { get }
}

extension RegisteredName {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = Self(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown \(Self.registryNoun) '\(name)' (known: \(Self.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }
}
