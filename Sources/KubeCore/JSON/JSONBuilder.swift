// One description of a document, two results: a tree (`JSONTreeBuilder`) or indented bytes
// written as the description runs (`PrettyJSONWriter`), the same bytes `prettyString()` of
// that tree gives.
//
// Why: `smitop splits -o json` of 10,000 splits spent a sixth of its time building a summary
// tree per split only to print it. Output formats described once against `JSONBuilder` can
// print straight away and still produce a tree for YAML.

public protocol JSONBuilder {
    /// Inside an object: names the member whose value comes next.
    mutating func key(_ name: String)
    /// A scalar, or a finished subtree.
    mutating func value(_ v: JSON)
    mutating func object(_ body: (inout Self) -> Void)
    mutating func array(_ body: (inout Self) -> Void)
}

extension JSONBuilder {
    public mutating func member(_ name: String, _ v: JSON) {
        key(name)
        value(v)
    }
}

extension JSON {
    /// Describes this value to a builder, container by container.
    public func replay<B: JSONBuilder>(into b: inout B) {
        switch self {
        case .object(let o):
            b.object { b in
                for e in o.entries {
                    b.key(e.key)
                    e.value.replay(into: &b)
                }
            }
        case .array(let a):
            b.array { b in
                for v in a { v.replay(into: &b) }
            }
        default:
            b.value(self)
        }
    }
}

public struct JSONTreeBuilder: JSONBuilder {
    enum Frame {
        case object(JSONObject, key: String?)
        case array([JSON])
    }
    var frames: [Frame] = []
    public private(set) var result: JSON = .null

    public init() {}

    public mutating func key(_ name: String) {
        guard case .object(let o, _) = frames.last else { preconditionFailure("key outside an object") }
        frames[frames.count - 1] = .object(o, key: name)
    }

    public mutating func value(_ v: JSON) {
        switch frames.popLast() {
        case nil:
            result = v
        case .object(var o, let k)?:
            precondition(k != nil, "a value in an object without a key")
            o[k!] = v
            frames.append(.object(o, key: nil))
        case .array(var a)?:
            a.append(v)
            frames.append(.array(a))
        }
    }

    public mutating func object(_ body: (inout JSONTreeBuilder) -> Void) {
        frames.append(.object(JSONObject(), key: nil))
        body(&self)
        guard case .object(let o, _)? = frames.popLast() else { preconditionFailure("unbalanced builder") }
        value(.object(o))
    }

    public mutating func array(_ body: (inout JSONTreeBuilder) -> Void) {
        frames.append(.array([]))
        body(&self)
        guard case .array(let a)? = frames.popLast() else { preconditionFailure("unbalanced builder") }
        value(.array(a))
    }
}

/// Writes what `JSON.writePretty` would write for the described tree, without the tree.
public struct PrettyJSONWriter: JSONBuilder {
    public private(set) var bytes: [UInt8] = []
    let base: Int
    let indent: Int
    /// Open containers: is it an array, and how many members it has so far.
    var frames: [(isArray: Bool, count: Int)] = []

    /// `level`: the nesting the first value is written at (2 for an element of the list in
    /// `JSON.prettyObject(_:arrayKey:elements:)`).
    public init(level: Int = 0, indent: Int = 4) {
        base = level
        self.indent = indent
    }

    var level: Int { base + frames.count }

    mutating func newline(_ l: Int) { JSON.newline(&bytes, l * indent) }

    /// An array's separator and indentation; in an object, `key` wrote them.
    mutating func beginValue() {
        guard let f = frames.last, f.isArray else { return }
        if f.count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[frames.count - 1].count += 1
        newline(level)
    }

    public mutating func key(_ name: String) {
        guard let f = frames.last, !f.isArray else { preconditionFailure("key outside an object") }
        if f.count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[frames.count - 1].count += 1
        newline(level)
        JSON.writeString(name, into: &bytes)
        bytes.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
    }

    public mutating func value(_ v: JSON) {
        beginValue()
        v.writePretty(into: &bytes, level: level, indent: indent)
    }

    public mutating func object(_ body: (inout PrettyJSONWriter) -> Void) {
        container(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), isArray: false, body)
    }

    public mutating func array(_ body: (inout PrettyJSONWriter) -> Void) {
        container(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), isArray: true, body)
    }

    mutating func container(open: UInt8, close: UInt8, isArray: Bool, _ body: (inout PrettyJSONWriter) -> Void) {
        beginValue()
        bytes.append(open)
        frames.append((isArray, 0))
        body(&self)
        let f = frames.removeLast()
        if f.count > 0 { newline(level) }
        bytes.append(close)
    }
}
