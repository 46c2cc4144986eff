// Streaming reads over the JSON parser: walk members and elements without building trees,
// skip what is not needed. The list decoders (TrafficSplit lists and, later, other kinds)
// read only the fields they use this way, which is what makes listing 10,000 objects cheap.

extension JSONParser {
    package var peek: UInt8? { pos < buf.count ? buf[pos] : nil }

    package mutating func expectEnd() throws(JSONParseError) {
        skipWhitespace()
        if pos != buf.count { throw error("unexpected data after the document") }
    }

    /// An object member's name: compared in place when it has no escapes (nearly always).
    package struct Key {
        package let bytes: UnsafeBufferPointer<UInt8>?
        package let decoded: String?

        package func `is`(_ name: StaticString) -> Bool {
            if let bytes {
                guard bytes.count == name.utf8CodeUnitCount else { return false }
                let n = name.utf8Start
                for i in 0..<bytes.count where bytes[i] != n[i] { return false }
                return true
            }
            return decoded! == name.description
        }

        package func `is`(_ name: String) -> Bool {
            if let bytes { return name.utf8.count == bytes.count && name.utf8.elementsEqual(bytes) }
            return decoded! == name
        }

        package var string: String { decoded ?? String(decoding: bytes!, as: UTF8.self) }
    }

    package mutating func parseKey() throws(JSONParseError) -> Key {
        let start = pos + 1
        var i = start
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                pos = i + 1
                return Key(bytes: UnsafeBufferPointer(rebasing: buf[start..<i]), decoded: nil)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            i += 1
        }
        return Key(bytes: nil, decoded: try parseString())
    }

    /// Calls `body` for each member of the object at `pos`; `body` must consume the value.
    /// Later duplicates reach `body` after earlier ones, so "last one wins" as in `parseObject`.
    package mutating func forEachMember(depth: Int, _ body: (inout JSONParser, Key) throws(JSONParseError) -> Void) throws(JSONParseError) {
        if try opensEmpty(UInt8(ascii: "}"), depth: depth) { return }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseKey()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            try body(&self, key)
            if try closes(UInt8(ascii: "}"), in: "object") { return }
        }
    }

    /// Steps into the container at `pos`; true when it is empty (and consumed whole).
    package mutating func opensEmpty(_ bracket: UInt8, depth: Int) throws(JSONParseError) -> Bool {
        if depth >= depthLimit { throw tooDeep() }
        pos += 1
        skipWhitespace()
        guard peek == bracket else { return false }
        pos += 1
        return true
    }

    /// After a member or an element: true at the closing bracket, false after a comma.
    package mutating func closes(_ bracket: UInt8, in what: StaticString) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard pos < buf.count else { throw error("unexpected end of input in \(what)") }
        if buf[pos] == UInt8(ascii: ",") {
            pos += 1
            return false
        }
        if buf[pos] == bracket {
            pos += 1
            return true
        }
        throw error("expected ',' or '\(Character(Unicode.Scalar(bracket)))'")
    }

    /// Calls `body` for each element of the array at `pos`; `body` must consume it.
    package mutating func forEachElement(depth: Int, _ body: (inout JSONParser) throws(JSONParseError) -> Void) throws(JSONParseError) {
        if try opensEmpty(UInt8(ascii: "]"), depth: depth) { return }
        while true {
            try body(&self)
            if try closes(UInt8(ascii: "]"), in: "array") { return }
        }
    }

    /// A string value, or nil (consumed) for any other type: metadata is read leniently.
    package mutating func stringOrSkip(depth: Int) throws(JSONParseError) -> String? {
        skipWhitespace()
        if peek == UInt8(ascii: "\"") { return try parseString() }
        try skipValue(depth: depth)
        return nil
    }

    /// `labels`/`annotations` as `ObjectMeta(json:)` reads them (string values only, the
    /// last duplicate wins), but only the keys in `keeping`: the rest are skipped unread (a
    /// list's labels are most of its strings, and the controller verdict reads three keys).
    package mutating func stringMap(depth: Int, keeping: [String]) throws(JSONParseError) -> [String: String] {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else {
            try skipValue(depth: depth)
            return [:]
        }
        var out: [String: String] = [:]
        try forEachMember(depth: depth) { (p, key) throws(JSONParseError) in
            guard let k = keeping.first(where: { key.is($0) }) else { return try p.skipValue(depth: depth + 1) }
            if let v = try p.stringOrSkip(depth: depth + 1) { out[k] = v } else { out[k] = nil }
        }
        return out
    }

    /// `managedFields[]` as `ObjectMeta.keepingControllerEvidence()` keeps them: manager, time
    /// and subresource of each entry (the field sets, the bulk, are skipped), in order.
    package mutating func managedFieldsEntries(depth: Int) throws(JSONParseError) -> [ManagedFieldsEntry] {
        skipWhitespace()
        guard peek == UInt8(ascii: "[") else {
            try skipValue(depth: depth)
            return []
        }
        var out: [ManagedFieldsEntry] = []
        try forEachElement(depth: depth) { (p) throws(JSONParseError) in
            p.skipWhitespace()
            guard p.peek == UInt8(ascii: "{") else { return try p.skipValue(depth: depth + 1) }
            var manager: String?
            var time: String?
            var subresource: String?
            try p.forEachMember(depth: depth + 1) { (p, key) throws(JSONParseError) in
                if key.is("manager") {
                    manager = try p.stringOrSkip(depth: depth + 2)
                } else if key.is("time") {
                    time = try p.stringOrSkip(depth: depth + 2)
                } else if key.is("subresource") {
                    subresource = try p.stringOrSkip(depth: depth + 2)
                } else {
                    try p.skipValue(depth: depth + 2)
                }
            }
            if let m = manager {
                out.append(ManagedFieldsEntry(manager: m, operation: "", time: time, subresource: subresource.flatMap { $0.isEmpty ? nil : $0 }))
            }
        }
        return out
    }

}
