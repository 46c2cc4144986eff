// The ordered object inside JSON values: insertion order kept (output looks like the API
// server's), equality ignoring order (a merge patch that reorders keys is still a no-op).

/// scan beats hashing and keeps the wire order.
public struct JSONObject: Sendable, Equatable, Sequence {
    public private(set) var entries: [(key: String, value: JSON)]

    public init() { entries = [] }
    public init(_ entries: [(String, JSON)]) {
        self.entries = []
        self.entries.reserveCapacity(entries.count)
        for (k, v) in entries { self[k] = v }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> JSON? {
        get {
            for e in entries where e.key == key { return e.value }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append((key, v))
            }
        }
    }

    public mutating func removeValue(forKey key: String) -> JSON? {
        guard let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
        return entries.remove(at: i).value
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSON)]> {
        entries.makeIterator()
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool { equal(a, b, depth: 0) }

    /// Objects at `depth` (containers around them): recursion up to `JSON.recursionDepth`.
    static func equal(_ a: JSONObject, _ b: JSONObject, depth: Int) -> Bool {
        guard a.entries.count == b.entries.count else { return false }
        if depth >= JSON.recursionDepth { return JSON.equalIteratively(.object(a), .object(b)) }
        for e in a.entries {
            guard let other = b[e.key], JSON.equal(e.value, other, depth: depth + 1) else { return false }
        }
        return true
    }
}

extension JSONObject {
    package init(uniqueEntries: [(key: String, value: JSON)]) { entries = uniqueEntries }
}
