// A dynamic JSON value used wherever the shape of an object is not fixed: the simulator's
// object store, patches, Kubernetes objects with fields smitop does not model.
//
// Why not JSONSerialization: it is slow on Linux and uses ~30x the input size in memory
// (../shared/interop.md). Why numbers stay as their literal text: Kubernetes quantities and
// resourceVersions must round-trip exactly, and int64 vs double is the reader's decision.
// Object keys keep insertion order so that output looks like the real API server's, while
// equality ignores order (a merge patch that reorders keys is still a no-op).

public enum JSON: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

/// An insertion-ordered JSON object. Kubernetes objects have few keys per level, so a linear
extension JSON: Equatable {
    public static func == (a: JSON, b: JSON) -> Bool { equal(a, b, depth: 0) }

    /// Containers this deep or deeper are compared (and written) with a stack on the heap,
    /// not by recursion: a debug build spends about 1 KB of stack a level here, and a value
    /// may nest 10,000 levels (what a real API server holds); shallower, recursion is the
    /// fast path. The parser's `JSONParser.recursionDepth` is the same bound for the same reason.
    static let recursionDepth = 64

    static func equal(_ a: JSON, _ b: JSON, depth: Int) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            if depth >= recursionDepth { return equalIteratively(a, b) }
            for i in x.indices where !equal(x[i], y[i], depth: depth + 1) { return false }
            return true
        case (.object(let x), .object(let y)):
            return JSONObject.equal(x, y, depth: depth)
        default:
            return scalarsEqual(a, b)
        }
    }

    static func scalarsEqual(_ a: JSON, _ b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)):
            if x == y { return true }
            // 1 and 1.0 are the same JSON number.
            if let dx = Double(x), let dy = Double(y) { return dx == dy }
            return false
        case (.string(let x), .string(let y)): return x == y
        default: return false
        }
    }

    /// `==` with a list of pairs still to compare instead of recursion.
    static func equalIteratively(_ a: JSON, _ b: JSON) -> Bool {
        var pending: [(JSON, JSON)] = [(a, b)]
        while let (x, y) = pending.popLast() {
            switch (x, y) {
            case (.array(let p), .array(let q)):
                guard p.count == q.count else { return false }
                for i in p.indices { pending.append((p[i], q[i])) }
            case (.object(let p), .object(let q)):
                guard p.count == q.count else { return false }
                for e in p.entries {
                    guard let other = q[e.key] else { return false }
                    pending.append((e.value, other))
                }
            default:
                guard scalarsEqual(x, y) else { return false }
            }
        }
        return true
    }
}

// MARK: - Convenience accessors

extension JSON {
    public subscript(key: String) -> JSON? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        set {
            if case .object(var o) = self {
                o[key] = newValue
                self = .object(o)
            } else if let v = newValue {
                var o = JSONObject()
                o[key] = v
                self = .object(o)
            }
        }
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    /// Follows a path of keys, e.g. `obj[path: "metadata", "name"]`.
    public subscript(path path: String...) -> JSON? {
        get {
            var cur: JSON? = self
            for p in path { cur = cur?[p] }
            return cur
        }
        set { self = JSON.setting(self, path[...], newValue) }
    }

    /// Sets (or with nil removes) the value at a key path, creating objects on the way.
    static func setting(_ value: JSON, _ path: ArraySlice<String>, _ newValue: JSON?) -> JSON {
        guard let first = path.first else { return newValue ?? .null }
        var v = value
        if case .object = v {
        } else {
            if newValue == nil { return v }
            v = .emptyObject
        }
        if path.count == 1 {
            v[first] = newValue
        } else {
            let child = v[first] ?? .emptyObject
            if newValue == nil, v[first] == nil { return v }
            v[first] = setting(child, path.dropFirst(), newValue)
        }
        return v
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
    /// The number as an exact integer, if it is one (no fraction, no exponent overflow).
    public var intValue: Int64? {
        guard case .number(let s) = self else { return nil }
        if let i = Int64(s) { return i }
        if let d = Double(s), d.rounded() == d, abs(d) < 9.0e15 { return Int64(d) }
        return nil
    }
    public var doubleValue: Double? {
        if case .number(let s) = self { return Double(s) }
        return nil
    }
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public static func int<T: BinaryInteger>(_ v: T) -> JSON { .number(String(v)) }
    public static func double(_ v: Double) -> JSON {
        if v.rounded() == v, abs(v) < 1e15 { return .number(String(Int64(v))) }
        return .number(String(v))
    }
    public static let emptyObject = JSON.object(JSONObject())
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
