// Values to compact JSON bytes, escaping as Go's encoding/json does.

extension JSON {
    /// Compact JSON bytes, as the API server writes them.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public var compactString: String { String(decoding: serialized(), as: UTF8.self) }

    public func write(into out: inout [UInt8]) { write(into: &out, depth: 0) }

    /// Recursion up to `JSON.recursionDepth` containers deep, then `writeIteratively`.
    func write(into out: inout [UInt8], depth: Int) {
        switch self {
        case .array(let a):
            if depth >= JSON.recursionDepth { return writeIteratively(into: &out) }
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if depth >= JSON.recursionDepth { return writeIteratively(into: &out) }
            out.append(UInt8(ascii: "{"))
            var first = true
            for e in o.entries {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSON.writeString(e.key, into: &out)
                out.append(UInt8(ascii: ":"))
                e.value.write(into: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(into: &out)
        }
    }

    func writeScalar(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): JSON.writeString(s, into: &out)
        case .array(let a) where a.isEmpty: out.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
        case .object(let o) where o.isEmpty: out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
        case .array, .object: write(into: &out)
        }
    }

    /// An open container being written: its members and how many are written.
    enum WriteFrame {
        case array([JSON], next: Int)
        case object([(key: String, value: JSON)], next: Int)
    }

    /// `write(into:)`, or with `pretty` `writePretty`, with a stack of open containers
    /// instead of recursion: the same bytes. One loop for both layouts, so they cannot drift.
    func writeIteratively(into out: inout [UInt8], pretty: (level: Int, indent: Int)? = nil) {
        var open: [WriteFrame] = []
        var value: JSON? = self
        /// A line break indented for a container `below` levels under the start (pretty only).
        func newline(_ below: Int) {
            if let p = pretty { JSON.newline(&out, (p.level + below) * p.indent) }
        }
        while true {
            if let v = value {
                value = nil
                switch v {
                case .array(let a) where !a.isEmpty:
                    out.append(UInt8(ascii: "["))
                    open.append(.array(a, next: 0))
                case .object(let o) where !o.isEmpty:
                    out.append(UInt8(ascii: "{"))
                    open.append(.object(o.entries, next: 0))
                default:
                    v.writeScalar(into: &out)
                }
            }
            guard let top = open.popLast() else { return }
            // How deep the container on top is, now that it is popped.
            let l = open.count
            switch top {
            case .array(let a, let i):
                if i == a.count {
                    newline(l)
                    out.append(UInt8(ascii: "]"))
                    continue
                }
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(l + 1)
                open.append(.array(a, next: i + 1))
                value = a[i]
            case .object(let e, let i):
                if i == e.count {
                    newline(l)
                    out.append(UInt8(ascii: "}"))
                    continue
                }
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(l + 1)
                JSON.writeString(e[i].key, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty != nil { out.append(UInt8(ascii: " ")) }
                open.append(.object(e, next: i + 1))
                value = e[i].value
            }
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// JSON string escaping as Go's encoding/json does it (which the API server uses), plus
    /// escapes for DEL, C1 controls, bidirectional overrides and zero-width characters: still the same JSON value,
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
                    // U+2028/2029 (Go escapes them), U+202A–202E and U+2066–2069 (bidi controls),
                    // U+200B–200F (zero-width characters and direction marks, which hide or
                    // join text: the sanitiser drops them too).
                    if c == 0xE2, i + 2 < n {
                        let b1 = u[i + 1]
                        let b2 = u[i + 2]
                        if (b1 == 0x80 && ((0xA8...0xAE).contains(b2) || (0x8B...0x8F).contains(b2))) || (b1 == 0x81 && (0xA6...0xA9).contains(b2)) {
                            flush(i)
                            unicodeEscape(0x2000 | (UInt32(b1 & 0x3) << 6) | UInt32(b2 & 0x3F))
                            i += 3
                            runStart = i
                            continue
                        }
                    }
                    // U+FEFF, the zero-width no-break space (EF BB BF).
                    if c == 0xEF, i + 2 < n, u[i + 1] == 0xBB, u[i + 2] == 0xBF {
                        flush(i)
                        unicodeEscape(0xFEFF)
                        i += 3
                        runStart = i
                        continue
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
}
