// JSON text to values: the byte-level parser used for API responses, request bodies and
// watch frames. Errors carry a byte offset; invalid UTF-8 is replaced, as Go does.

// MARK: - Errors

public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// Byte offset into the input where parsing failed.
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

// MARK: - Parsing

extension JSON {
    /// Objects and arrays nested deeper than this in a request body are refused by the API
    /// server: Go's encoding/json limit (`maxNestingDepth` in its scanner), which it decodes
    /// every body with. The simulator refuses what that refuses.
    public static let serverMaxDepth = 10_000
    /// What smitop reads: an object at the server's limit inside the envelope a response
    /// puts around it (a list adds two levels, a watch event one, a Table row three), so
    /// that whatever a real server holds, smitop can read.
    public static let maxDepth = serverMaxDepth + 8

    /// Parses one JSON document. Trailing whitespace is allowed; anything else after it is not.
    /// Members named in `skippingKeys` (at any depth) are checked for well-formedness but not
    /// built: a list of ten thousand objects is mostly `managedFields[].fieldsV1` and
    /// last-applied annotations that no reader of it needs.
    /// Nesting deeper than `maxDepth` is refused (by default what a real server's responses
    /// can hold).
    public static func parse(
        _ bytes: some Collection<UInt8>, skippingKeys: [String] = [], maxDepth: Int = JSON.maxDepth
    ) throws(JSONParseError) -> JSON {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSON in
            var p = JSONParser(buf)
            p.depthLimit = maxDepth
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

package struct JSONParser {
    package let buf: UnsafeBufferPointer<UInt8>
    package var pos = 0
    package var skipKeys: [[UInt8]] = []
    /// This parser's nesting limit (`JSON.maxDepth` unless told). `depth` counts the
    /// containers around a value (0 at the top); a container may open at depth
    /// `depthLimit - 1` at most.
    package var depthLimit = JSON.maxDepth
    /// Containers deeper than this are parsed and skipped with a stack on the heap, not with
    /// recursion. Why: 10,000 levels of recursion (two frames a level, larger in a debug
    /// build) do not fit the stacks of the cooperative pool's threads, where list pages and
    /// watch frames are decoded; under this depth, recursion is the fast path nearly every
    /// document takes.
    package static let recursionDepth = 64

    package init(_ buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    package func error(_ m: String) -> JSONParseError { JSONParseError(message: m, offset: pos) }

    package mutating func skipWhitespace() {
        while pos < buf.count {
            let c = buf[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
        }
    }

    package func tooDeep() -> JSONParseError { error("nesting deeper than \(depthLimit) levels") }

    package mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input") }
        switch buf[pos] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            if depth >= depthLimit { throw tooDeep() }
            if depth >= JSONParser.recursionDepth { return try parseIteratively(depth: depth) }
            return buf[pos] == UInt8(ascii: "{") ? try parseObject(depth: depth) : try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    package mutating func literal(_ s: StaticString) throws(JSONParseError) {
        let n = s.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw error("unexpected end of input") }
        let p = s.utf8Start
        for i in 0..<n where buf[pos + i] != p[i] { throw error("invalid literal") }
        pos += n
    }

    package mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
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
            if skips(key) {
                try skipValue(depth: depth + 1)
            } else {
                entries.append((key, try parseValue(depth: depth + 1)))
            }
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in object") }
            if buf[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if buf[pos] == UInt8(ascii: "}") {
                pos += 1
                break
            }
            throw error("expected ',' or '}'")
        }
        return .object(Self.object(entries))
    }

    /// An object of parsed members. Duplicate keys: the last one wins, as in Go's decoder.
    static func object(_ entries: [(key: String, value: JSON)]) -> JSONObject {
        // Most objects are small, where comparing pairs is cheaper than hashing every key
        // into a set.
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
        return o
    }

    /// True when members named `key` are skipped, not built.
    func skips(_ key: String) -> Bool {
        !skipKeys.isEmpty && skipKeys.contains(where: { key.utf8.count == $0.count && key.utf8.elementsEqual($0) })
    }

    /// `parseValue` of the container at `pos` with its own stack of open containers instead
    /// of recursion: the same grammar, errors, skipped keys and duplicate rule.
    mutating func parseIteratively(depth: Int) throws(JSONParseError) -> JSON {
        // The open containers, innermost last (true: an object), with the members of open
        // objects, the key each awaits a value for, and the elements of open arrays, each in
        // a stack of its own so that appending mutates in place (a value popped and pushed
        // back would share its buffer and copy it on every append: quadratic in a long list).
        var isObject: [Bool] = []
        var members: [[(key: String, value: JSON)]] = []
        var keys: [String] = []
        var elements: [[JSON]] = []
        while true {
            // A value starts here.
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input") }
            var value: JSON
            switch buf[pos] {
            case UInt8(ascii: "{"):
                if depth + isObject.count >= depthLimit { throw tooDeep() }
                pos += 1
                skipWhitespace()
                if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject())
                } else if let key = try nextKept(depth: depth + isObject.count) {
                    isObject.append(true)
                    members.append([])
                    keys.append(key)
                    continue
                } else {
                    value = .object(JSONObject())
                }
            case UInt8(ascii: "["):
                if depth + isObject.count >= depthLimit { throw tooDeep() }
                pos += 1
                skipWhitespace()
                if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    isObject.append(false)
                    elements.append([])
                    continue
                }
            case UInt8(ascii: "\""): value = .string(try parseString())
            case UInt8(ascii: "t"):
                try literal("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): value = try parseNumber()
            default: throw error("unexpected character")
            }
            // The value is complete: hand it to the container it is in, closing every
            // container that ends after it.
            closing: while let inObject = isObject.last {
                if inObject {
                    members[members.count - 1].append((keys[keys.count - 1], value))
                    skipWhitespace()
                    guard pos < buf.count else { throw error("unexpected end of input in object") }
                    if buf[pos] == UInt8(ascii: ",") {
                        pos += 1
                        if let next = try nextKept(depth: depth + isObject.count - 1) {
                            keys[keys.count - 1] = next
                            break closing
                        }
                    } else if buf[pos] == UInt8(ascii: "}") {
                        pos += 1
                    } else {
                        throw error("expected ',' or '}'")
                    }
                    isObject.removeLast()
                    keys.removeLast()
                    value = .object(Self.object(members.removeLast()))
                } else {
                    elements[elements.count - 1].append(value)
                    skipWhitespace()
                    guard pos < buf.count else { throw error("unexpected end of input in array") }
                    if buf[pos] == UInt8(ascii: ",") {
                        pos += 1
                        break closing
                    } else if buf[pos] == UInt8(ascii: "]") {
                        pos += 1
                    } else {
                        throw error("expected ',' or ']'")
                    }
                    isObject.removeLast()
                    value = .array(elements.removeLast())
                }
            }
            if isObject.isEmpty { return value }
        }
    }

    /// Inside an object at `depth`, after its `{` or a comma: reads members up to the next one
    /// that is built and returns its key, `pos` at its value; members in `skipKeys` are
    /// stepped over. nil when the object closed (its `}` consumed) before such a member.
    private mutating func nextKept(depth: Int) throws(JSONParseError) -> String? {
        while true {
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            guard skips(key) else { return key }
            try skipValue(depth: depth + 1)
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input in object") }
            if buf[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if buf[pos] == UInt8(ascii: "}") {
                pos += 1
                return nil
            }
            throw error("expected ',' or '}'")
        }
    }

    /// Steps over one value, checking its structure as `parseValue` would, building nothing.
    /// With its own stack of open containers, never recursion: skipped values (field sets,
    /// fields nobody reads) are where a hostile object's deep nesting is.
    package mutating func skipValue(depth: Int) throws(JSONParseError) {
        // Open containers, innermost last: true for an object.
        var open: [Bool] = []
        while true {
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input") }
            switch buf[pos] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if depth + open.count >= depthLimit { throw tooDeep() }
                let isObject = buf[pos] == UInt8(ascii: "{")
                pos += 1
                skipWhitespace()
                if pos < buf.count, buf[pos] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    pos += 1
                    break
                }
                open.append(isObject)
                if isObject { try skipKey() }
                continue
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw error("unexpected character")
            }
            // A value ended: close what ends after it, or go on to the next member/element.
            while let isObject = open.last {
                skipWhitespace()
                guard pos < buf.count else { throw error(isObject ? "unexpected end of input in object" : "unexpected end of input in array") }
                if buf[pos] == UInt8(ascii: ",") {
                    pos += 1
                    if isObject { try skipKey() }
                    break
                }
                if buf[pos] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    pos += 1
                    open.removeLast()
                    continue
                }
                throw error(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
            if open.isEmpty { return }
        }
    }

    /// A member's key and colon, stepped over.
    private mutating func skipKey() throws(JSONParseError) {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
        try skipString()
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
        pos += 1
    }

    /// Steps over a string with exactly `parseString`'s checks (control characters, escapes;
    /// invalid UTF-8 is never an error, it is replaced) so skipping never accepts a document
    /// that parsing would refuse, without building the string: skipped values are most of a
    /// list's bytes (field sets, last-applied copies full of escaped quotes).
    package mutating func skipString() throws(JSONParseError) {
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

    package mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
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
            if buf[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if buf[pos] == UInt8(ascii: "]") {
                pos += 1
                break
            }
            throw error("expected ',' or ']'")
        }
        return .array(items)
    }

    package mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = pos
        try scanNumber()
        return .number(String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self))
    }

    /// Steps over a number, checking its grammar.
    package mutating func scanNumber() throws(JSONParseError) {
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

    package mutating func parseString() throws(JSONParseError) -> String {
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

    package mutating func hex4() throws(JSONParseError) -> UInt32 {
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

    package func validUTF8(_ b: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONParseError) -> String {
        // Invalid UTF-8 is replaced, not rejected: Go's encoding/json does the same, and the
        // cluster may hold anything. Display code sanitises it further.
        String(decoding: b, as: UTF8.self)
    }
}
