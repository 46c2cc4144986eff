// Indented JSON as `kubectl -o json` prints it, including the pieces a long listing is
// rendered from on several cores.

extension JSON {
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

    func writePretty(into out: inout [UInt8], level: Int, indent: Int, depth: Int = 0) {
        func newline(_ l: Int) { JSON.newline(&out, l * indent) }
        switch self {
        case .array(let a) where !a.isEmpty:
            if depth >= JSON.recursionDepth { return writeIteratively(into: &out, pretty: (level, indent)) }
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                v.writePretty(into: &out, level: level + 1, indent: indent, depth: depth + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "]"))
        case .object(let o) where !o.isEmpty:
            if depth >= JSON.recursionDepth { return writeIteratively(into: &out, pretty: (level, indent)) }
            out.append(UInt8(ascii: "{"))
            var first = true
            for e in o.entries {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(level + 1)
                JSON.writeString(e.key, into: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                e.value.writePretty(into: &out, level: level + 1, indent: indent, depth: depth + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(into: &out)
        }
    }
}
