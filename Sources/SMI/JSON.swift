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

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.entries.count == b.entries.count else { return false }
        for e in a.entries {
            guard let other = b[e.key], other == e.value else { return false }
        }
        return true
    }
}

extension JSON: Equatable {
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)):
            if x == y { return true }
            // 1 and 1.0 are the same JSON number.
            if let dx = Double(x), let dy = Double(y) { return dx == dy }
            return false
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
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
        if case .object = v {} else {
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

// MARK: - Errors

public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// Byte offset into the input where parsing failed.
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

// MARK: - Parsing

extension JSON {
    /// Parses one JSON document. Trailing whitespace is allowed; anything else after it is not.
    /// Members named in `skippingKeys` (at any depth) are checked for well-formedness but not
    /// built: a list of ten thousand objects is mostly `managedFields[].fieldsV1` and
    /// last-applied annotations that no reader of it needs.
    public static func parse(_ bytes: some Collection<UInt8>, skippingKeys: [String] = []) throws(JSONParseError) -> JSON {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSON in
            var p = JSONParser(buf)
            p.skipKeys = skippingKeys.map { Array($0.utf8) }
            let v = try p.parseValue(depth: 0)
            p.skipWhitespace()
            if p.pos != buf.count { throw p.error("unexpected data after the document") }
            return v
        }
    }

    /// The value of `name` when it is the last member of the top-level object, found from the
    /// end without reading the rest; nil when it is not there or the document does not end
    /// in the plain form `"name":{…}}`.
    ///
    /// Why: the API server writes a custom resource list with sorted keys, so `metadata` (the
    /// continue token the next page request needs) comes after every item. A member found
    /// this way is at the top level: its value is followed only by the object's closing brace,
    /// and inside a string the quotes around the name would be escaped. The caller must parse
    /// the whole document later, which rejects it if it is not JSON after all.
    public static func trailingMember(_ name: String, in bytes: [UInt8]) -> JSON? {
        let needle = Array("\"\(name)\":".utf8)
        return bytes.withUnsafeBufferPointer { buf -> JSON? in
            var end = buf.count
            while end > 0, [0x20, 0x0A, 0x0D, 0x09].contains(buf[end - 1]) { end -= 1 }
            guard end > 0, buf[end - 1] == UInt8(ascii: "}") else { return nil }
            // Members' values hold no raw quote-colon sequence outside strings, so the last
            // occurrence is the candidate; look back a bounded way (metadata is small).
            var i = end - needle.count
            let stop = max(0, end - 65_536)
            while i > stop {
                if buf[i] == needle[0], buf[i - 1] == UInt8(ascii: ",") || buf[i - 1] == UInt8(ascii: "{"),
                    buf[i..<(i + needle.count)].elementsEqual(needle)
                {
                    var p = JSONParser(UnsafeBufferPointer(rebasing: buf[0..<(end - 1)]))
                    p.pos = i + needle.count
                    guard let v = try? p.parseValue(depth: 1), v.objectValue != nil else { return nil }
                    p.skipWhitespace()
                    // Not a ternary: JSON is ExpressibleByNilLiteral, so `? v : nil` is `.null`.
                    guard p.pos == end - 1 else { return nil }
                    return v
                }
                i -= 1
            }
            return nil
        }
    }

    public static func parse(_ string: String) throws(JSONParseError) -> JSON {
        try parse(Array(string.utf8))
    }
}

struct JSONParser {
    let buf: UnsafeBufferPointer<UInt8>
    var pos = 0
    var skipKeys: [[UInt8]] = []
    // Deeply nested input must not overflow the stack; the real API server limits nesting too.
    static let maxDepth = 512

    init(_ buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    func error(_ m: String) -> JSONParseError { JSONParseError(message: m, offset: pos) }

    mutating func skipWhitespace() {
        while pos < buf.count {
            let c = buf[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        if depth > JSONParser.maxDepth { throw error("nesting too deep") }
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input") }
        switch buf[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    mutating func literal(_ s: StaticString) throws(JSONParseError) {
        let n = s.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw error("unexpected end of input") }
        let p = s.utf8Start
        for i in 0..<n where buf[pos + i] != p[i] { throw error("invalid literal") }
        pos += n
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        pos += 1
        var entries: [(key: String, value: JSON)] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(JSONObject())
        }
        while true {
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            if !skipKeys.isEmpty, skipKeys.contains(where: { key.utf8.count == $0.count && key.utf8.elementsEqual($0) }) {
                try skipValue(depth: depth + 1)
            } else {
                entries.append((key, try parseValue(depth: depth + 1)))
            }
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in object") }
            if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if buf[pos] == UInt8(ascii: "}") { pos += 1; break }
            throw error("expected ',' or '}'")
        }
        // Duplicate keys: last one wins, as in Go's decoder. Most objects are small, where
        // comparing pairs is cheaper than hashing every key into a set.
        var o = JSONObject()
        let unique: Bool
        if entries.count <= 12 {
            var dup = false
            outer: for i in entries.indices {
                for j in (i + 1)..<entries.count where entries[i].key == entries[j].key {
                    dup = true
                    break outer
                }
            }
            unique = !dup
        } else {
            unique = Set(entries.map(\.key)).count == entries.count
        }
        if unique {
            o = JSONObject(uniqueEntries: entries)
        } else {
            for e in entries { o[e.key] = e.value }
        }
        return .object(o)
    }

    /// Steps over one value, checking its structure as `parseValue` would, building nothing.
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        if depth > JSONParser.maxDepth { throw error("nesting too deep") }
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input") }
        switch buf[pos] {
        case UInt8(ascii: "{"):
            pos += 1
            skipWhitespace()
            if pos < buf.count, buf[pos] == UInt8(ascii: "}") { pos += 1; return }
            while true {
                skipWhitespace()
                guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                try skipString()
                skipWhitespace()
                guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
                pos += 1
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard pos < buf.count else { throw error("unexpected end of input in object") }
                if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if buf[pos] == UInt8(ascii: "}") { pos += 1; return }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            pos += 1
            skipWhitespace()
            if pos < buf.count, buf[pos] == UInt8(ascii: "]") { pos += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard pos < buf.count else { throw error("unexpected end of input in array") }
                if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if buf[pos] == UInt8(ascii: "]") { pos += 1; return }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: _ = try parseValue(depth: depth)  // true, false, null: nothing to build
        }
    }

    /// Steps over a string with exactly `parseString`'s checks (control characters, escapes;
    /// invalid UTF-8 is never an error, it is replaced) so skipping never accepts a document
    /// that parsing would refuse, without building the string: skipped values are most of a
    /// list's bytes (field sets, last-applied copies full of escaped quotes).
    mutating func skipString() throws(JSONParseError) {
        pos += 1
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return
            }
            if c < 0x20 { throw error("control character in string") }
            pos += 1
            guard c == UInt8(ascii: "\\") else { continue }
            guard pos < buf.count else { throw error("unexpected end of input in string") }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                continue
            case UInt8(ascii: "u"):
                // A bad low half of a surrogate pair is read as U+FFFD by parseString, but its
                // four digits must still be hex (checked when the loop reaches that escape).
                _ = try hex4()
            default:
                throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        pos += 1
        var items: [JSON] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(items)
        }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in array") }
            if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if buf[pos] == UInt8(ascii: "]") { pos += 1; break }
            throw error("expected ',' or ']'")
        }
        return .array(items)
    }

    mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = pos
        try scanNumber()
        return .number(String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self))
    }

    /// Steps over a number, checking its grammar.
    mutating func scanNumber() throws(JSONParseError) {
        if buf[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number") }
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
        } else {
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    mutating func parseString() throws(JSONParseError) -> String {
        pos += 1
        let start = pos
        // Fast path: no escapes.
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let s = UnsafeBufferPointer(rebasing: buf[start..<pos])
                pos += 1
                return try validUTF8(s, at: start)
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("control character in string") }
            pos += 1
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: buf[start..<pos]))
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                pos += 1
                return try bytes.withUnsafeBufferPointer { (b) throws(JSONParseError) -> String in
                    try validUTF8(b, at: start)
                }
            }
            if c < 0x20 { throw error("control character in string") }
            if c != UInt8(ascii: "\\") {
                bytes.append(c)
                pos += 1
                continue
            }
            pos += 1
            guard pos < buf.count else { throw error("unexpected end of input in string") }
            let e = buf[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must pair with a low one; a lone one becomes U+FFFD as in Go.
                    if pos + 6 <= buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") {
                        let save = pos
                        pos += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            pos = save
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                let us = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                bytes.append(contentsOf: Array(String(Character(us)).utf8))
            default:
                throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= buf.count else { throw error("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            v = v * 16 + d
            pos += 1
        }
        return v
    }

    func validUTF8(_ b: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONParseError) -> String {
        // Invalid UTF-8 is replaced, not rejected: Go's encoding/json does the same, and the
        // cluster may hold anything. Display code sanitises it further.
        String(decoding: b, as: UTF8.self)
    }
}

extension JSONObject {
    init(uniqueEntries: [(key: String, value: JSON)]) { entries = uniqueEntries }
}

// MARK: - Serialisation

extension JSON {
    /// Compact JSON bytes, as the API server writes them.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public var compactString: String { String(decoding: serialized(), as: UTF8.self) }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): JSON.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for e in o.entries {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSON.writeString(e.key, into: &out)
                out.append(UInt8(ascii: ":"))
                e.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// JSON string escaping as Go's encoding/json does it (which the API server uses), plus
    /// escapes for DEL, C1 controls and bidirectional overrides: still the same JSON value,
    /// but `-o json` printed to a terminal cannot carry a control sequence or reorder text.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in
            var runStart = 0
            var i = 0
            let n = u.count
            func flush(_ upTo: Int) {
                if runStart < upTo { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<upTo])) }
            }
            func unicodeEscape(_ scalar: UInt32) {
                out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
                for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int((scalar >> UInt32(shift)) & 0xF)]) }
            }
            while i < n {
                let c = u[i]
                if c >= 0x80 {
                    // C1 controls U+0080–U+009F are C2 80–C2 9F in UTF-8.
                    if c == 0xC2, i + 1 < n, (0x80...0x9F).contains(u[i + 1]) {
                        flush(i)
                        unicodeEscape(UInt32(u[i + 1]))
                        i += 2
                        runStart = i
                        continue
                    }
                    // U+2028/2029 (Go escapes them), U+202A–202E and U+2066–2069 (bidi controls).
                    if c == 0xE2, i + 2 < n {
                        let b1 = u[i + 1]
                        let b2 = u[i + 2]
                        if (b1 == 0x80 && (0xA8...0xAE).contains(b2)) || (b1 == 0x81 && (0xA6...0xA9).contains(b2)) {
                            flush(i)
                            unicodeEscape(0x2000 | (UInt32(b1 & 0x3) << 6) | UInt32(b2 & 0x3F))
                            i += 3
                            runStart = i
                            continue
                        }
                    }
                    i += 1
                    continue
                }
                let esc: UInt8?
                switch c {
                case 0x22: esc = UInt8(ascii: "\"")
                case 0x5C: esc = UInt8(ascii: "\\")
                case 0x0A: esc = UInt8(ascii: "n")
                case 0x0D: esc = UInt8(ascii: "r")
                case 0x09: esc = UInt8(ascii: "t")
                case 0..<0x20, 0x7F: esc = 0
                // Go escapes <, >, & for HTML safety; the API server output does too.
                case 0x3C, 0x3E, 0x26: esc = 0
                default: esc = nil
                }
                guard let e = esc else {
                    i += 1
                    continue
                }
                flush(i)
                if e == 0 {
                    unicodeEscape(UInt32(c))
                } else {
                    out.append(0x5C)
                    out.append(e)
                }
                i += 1
                runStart = i
            }
            flush(n)
        }
        out.append(UInt8(ascii: "\""))
    }

    static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 256)

    /// A line break and `width` spaces of indentation (a copy of a slice, not the slow generic
    /// append of a repeated element: indentation is a third of `-o json` output).
    static func newline(_ out: inout [UInt8], _ width: Int) {
        out.append(0x0A)
        var n = width
        while n > 0 {
            let k = min(n, spaces.count)
            out.append(contentsOf: spaces[0..<k])
            n -= k
        }
    }

    /// Indented JSON, as `kubectl -o json` prints it.
    public func prettyString(indent: Int = 4) -> String {
        var out: [UInt8] = []
        writePretty(into: &out, level: 0, indent: indent)
        return String(decoding: out, as: UTF8.self)
    }

    /// An element of the array in `prettyObject(_:arrayKey:elements:)`, rendered on its own
    /// so that a long list can be rendered on several cores.
    public func prettyElement(indent: Int = 4) -> [UInt8] {
        var out: [UInt8] = []
        writePretty(into: &out, level: 2, indent: indent)
        return out
    }

    /// Exactly `prettyString()` of an object made of `fields` followed by `arrayKey` holding
    /// the elements, each rendered already by `prettyElement`.
    public static func prettyObject(_ fields: [(String, JSON)], arrayKey: String, elements: [[UInt8]], indent: Int = 4) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(elements.reduce(256) { $0 + $1.count + 2 + 2 * indent })
        writePrettyObject(fields, arrayKey: arrayKey, elements: elements, indent: indent) { out.append(contentsOf: $0) }
        return out
    }

    /// `prettyObject` handed out in pieces (each element as it is), so a long listing goes to
    /// its destination without being copied into one buffer first.
    public static func writePrettyObject(
        _ fields: [(String, JSON)], arrayKey: String, elements: [[UInt8]], indent: Int = 4, to sink: ([UInt8]) -> Void
    ) {
        var out: [UInt8] = [UInt8(ascii: "{")]
        func newline(_ l: Int) { JSON.newline(&out, l * indent) }
        for (k, v) in fields {
            newline(1)
            writeString(k, into: &out)
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            v.writePretty(into: &out, level: 1, indent: indent)
            out.append(UInt8(ascii: ","))
        }
        newline(1)
        writeString(arrayKey, into: &out)
        out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " "), UInt8(ascii: "[")])
        if elements.isEmpty {
            out.append(UInt8(ascii: "]"))
        } else {
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(2)
                sink(out)
                out.removeAll(keepingCapacity: true)
                sink(e)
            }
            newline(1)
            out.append(UInt8(ascii: "]"))
        }
        newline(0)
        out.append(UInt8(ascii: "}"))
        sink(out)
    }

    func writePretty(into out: inout [UInt8], level: Int, indent: Int) {
        func newline(_ l: Int) { JSON.newline(&out, l * indent) }
        switch self {
        case .array(let a) where !a.isEmpty:
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                v.writePretty(into: &out, level: level + 1, indent: indent)
            }
            newline(level)
            out.append(UInt8(ascii: "]"))
        case .object(let o) where !o.isEmpty:
            out.append(UInt8(ascii: "{"))
            var first = true
            for e in o.entries {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(level + 1)
                JSON.writeString(e.key, into: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                e.value.writePretty(into: &out, level: level + 1, indent: indent)
            }
            newline(level)
            out.append(UInt8(ascii: "}"))
        default:
            write(into: &out)
        }
    }
}

// MARK: - Bridging from YAML/Foundation values

extension JSON {
    /// Converts the `Any` trees produced by Yams or JSONSerialization.
    public static func from(any value: Any?) -> JSON {
        guard let value else { return .null }
        switch value {
        case let v as JSON: return v
        case is NSNullLike: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .number(String(i))
        case let i as Int64: return .number(String(i))
        case let u as UInt64: return .number(String(u))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case let a as [Any?]: return .array(a.map { from(any: $0) })
        case let a as [Any]: return .array(a.map { from(any: $0) })
        case let d as [String: Any?]:
            return .object(JSONObject(d.sorted { $0.key < $1.key }.map { ($0.key, from(any: $0.value)) }))
        case let d as [String: Any]:
            return .object(JSONObject(d.sorted { $0.key < $1.key }.map { ($0.key, from(any: $0.value)) }))
        default: return .string(String(describing: value))
        }
    }
}

/// Marker so callers can map their own null sentinel without importing Foundation here.
public protocol NSNullLike {}
