import Foundation
import Yams

// YAML → JSON with source lines. Why not Yams.load: it turns `2019-04-08T22:25:55Z` into a
// Date and loses the line of every value; lint needs lines, and the API server (through
// sigs.k8s.io/yaml) sees timestamps as strings. Scalar typing follows Kubernetes' YAML
// reader: plain ints and floats become JSON numbers, true/false/null as in YAML, everything
// quoted stays a string.

/// One YAML document converted to JSON, with the line of every value addressed by its path.
public struct YAMLDocument: Sendable {
    public var json: JSON
    /// 1-based line where the document's root node starts.
    public var line: Int
    /// Path ("spec.backends[1].weight") → 1-based line of that value (of the key for mappings).
    public var lines: [String: Int]

    /// The line of `path` or of its nearest ancestor that has one.
    public func line(of path: String) -> Int {
        var p = path
        while true {
            if let l = lines[p] { return l }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { return line }
            p = String(p[..<cut])
        }
    }
}

public struct YAMLReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// 1-based; 0 when the reader could not tell.
    public var line: Int
    public var description: String { line > 0 ? "line \(line): \(message)" : message }

    /// Nesting past the reader's limit (libyaml's or the converter's).
    var isNesting: Bool { message.contains("nesting") }
}

/// The one YAML→JSON converter: request bodies in the simulator, manifests for lint,
/// kubeconfigs, the config file. One policy for all of them, because every one of these
/// inputs may be hostile: a node budget across all documents (alias expansion bombs), a depth
/// limit (stack exhaustion; aliases can nest past libyaml's own limit), and one scalar typing
/// (YAML 1.2 core schema; numbers keep their exact digits).
public enum YAMLDocuments {
    /// Guards against alias expansion bombs: a hostile file must not exhaust memory.
    public static let maxNodes = 2_000_000
    /// Deeper nesting is refused: libyaml's own limit (`MAX_NESTING_LEVEL`, 1,000), which
    /// Yams composes recursively at about 1.4 KB of stack a level in a debug build (measured:
    /// `DeepJSONTests`); the converter below recurses once more. Go's YAML reader takes 10,000;
    /// a JSON document (what `kubectl -o json` prints) is read by the JSON parser, which goes
    /// that deep, also inside a YAML stream.
    public static let maxDepth = 1_000

    /// Reads every document of a multi-document YAML (or JSON) text. Empty documents are skipped.
    public static func read(_ source: String, maxNodes: Int = YAMLDocuments.maxNodes) throws(YAMLReadError) -> [YAMLDocument] {
        var budget = maxNodes
        do {
            return try compose(source, budget: &budget)
        } catch  where error.isNesting {
            // Too deep for the YAML reader. If the deep document is JSON (a stream of
            // `kubectl -o json` objects between `---` lines), the JSON parser reads it: the
            // stream is read again document by document.
            var again = maxNodes
            if let docs = try? documents(of: source, budget: &again) { return docs }
            throw error
        }
    }

    /// The documents of a stream split at its `---` lines, each JSON-looking one read by the
    /// JSON parser (its values without lines), the others by `compose`.
    static func documents(of source: String, budget: inout Int) throws(YAMLReadError) -> [YAMLDocument] {
        var docs: [YAMLDocument] = []
        var chunk: [Substring] = []
        var chunkLine = 1
        func flush() throws(YAMLReadError) {
            defer { chunk = [] }
            let text = chunk.joined(separator: "\n")
            guard let first = text.firstIndex(where: { !$0.isWhitespace }) else { return }
            if text[first] == "{" || text[first] == "[" {
                let json: JSON
                do { json = try JSON.parse(Array(text.utf8)) } catch {
                    throw YAMLReadError(message: error.description, line: chunkLine)
                }
                if json.isNull { return }
                let line = chunkLine + text[..<first].filter { $0 == "\n" }.count
                docs.append(YAMLDocument(json: json, line: line, lines: [:]))
                return
            }
            for var d in try compose(text, budget: &budget) {
                d.line += chunkLine - 1
                d.lines = d.lines.mapValues { $0 + chunkLine - 1 }
                docs.append(d)
            }
        }
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() {
            let l = line.hasSuffix("\r") ? line.dropLast() : line
            if l == "---" || l.hasPrefix("--- ") {
                try flush()
                // Content after the marker on its line starts the next document.
                chunkLine = i + 1
                chunk = l.count > 4 ? [l.dropFirst(4)] : []
                if chunk.isEmpty { chunkLine = i + 2 }
                continue
            }
            chunk.append(line)
        }
        try flush()
        return docs
    }

    /// `read` of the whole text at once.
    static func compose(_ source: String, budget: inout Int) throws(YAMLReadError) -> [YAMLDocument] {
        var docs: [YAMLDocument] = []
        do {
            // The basic resolver leaves plain scalars untyped, so typing below is ours.
            // YamlSequence is its own iterator and records the error that ended it; a
            // `for` loop would iterate a copy and lose that error.
            var seq = try Yams.compose_all(yaml: source, Resolver.basic)
            while let node = seq.next() {
                var lines: [String: Int] = [:]
                let json = try convert(node, path: "", lines: &lines, budget: &budget, depth: 0)
                if json.isNull { continue }
                docs.append(YAMLDocument(json: json, line: node.mark?.line ?? 1, lines: lines))
            }
            if let e = seq.error { throw e }
        } catch let e as YAMLReadError {
            throw e
        } catch let e as YamlError {
            // JSON indented with tabs is valid JSON but not always valid YAML; accept it
            // (without per-value lines) rather than call a kubectl -o json file unreadable.
            let trimmed = source.drop { $0.isWhitespace }
            if trimmed.first == "{" || trimmed.first == "[", let j = try? JSON.parse(source) {
                return [YAMLDocument(json: j, line: 1, lines: [:])]
            }
            throw readError(e)
        } catch {
            throw YAMLReadError(message: "\(error)", line: 0)
        }
        return docs
    }

    static func readError(_ e: YamlError) -> YAMLReadError {
        switch e {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _),
            .composer(let ctx, let problem, let mark, _):
            let msg = ctx.map { "\(problem) (\($0.text))" } ?? problem
            return YAMLReadError(message: msg, line: mark.line)
        case .reader(let problem, _, _, _):
            return YAMLReadError(message: problem, line: 0)
        default:
            return YAMLReadError(message: "\(e)", line: 0)
        }
    }

    static func convert(
        _ node: Node, path: String, lines: inout [String: Int], budget: inout Int, depth: Int
    )
        throws(YAMLReadError) -> JSON
    {
        budget -= 1
        if budget < 0 {
            throw YAMLReadError(message: "document too large (alias expansion?)", line: node.mark?.line ?? 0)
        }
        if depth > maxDepth {
            throw YAMLReadError(message: "nesting deeper than \(maxDepth) levels", line: node.mark?.line ?? 0)
        }
        if let m = node.mark, lines[path] == nil { lines[path] = m.line }
        switch node {
        case .scalar(let s):
            return scalar(s)
        case .alias:
            // compose() resolves aliases to their anchored node; an unresolved one is an error there.
            return .null
        case .sequence(let seq):
            var out: [JSON] = []
            out.reserveCapacity(seq.count)
            for (i, n) in seq.enumerated() {
                out.append(try convert(n, path: "\(path)[\(i)]", lines: &lines, budget: &budget, depth: depth + 1))
            }
            return .array(out)
        case .mapping(let map):
            var o = JSONObject()
            for (k, v) in map {
                // Keys are strings in Kubernetes objects; a non-scalar key is stringified like Go's
                // YAML-to-JSON conversion would reject; we keep its text so lint can report it.
                let key = k.scalar?.string ?? "\(k)"
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let km = k.mark { lines[childPath] = km.line }
                o[key] = try convert(v, path: childPath, lines: &lines, budget: &budget, depth: depth + 1)
            }
            return .object(o)
        }
    }

    static func scalar(_ s: Node.Scalar) -> JSON {
        let text = s.string
        let tag = s.tag.description
        if s.style != .plain {
            if tag.hasSuffix(":int") || tag.hasSuffix(":float") { return number(text) ?? .string(text) }
            return .string(text)
        }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        // YAML 1.2 core booleans only: `yes`, `no`, `on`, `off`, `y`, `n` stay strings. Every
        // field smitop and the simulator read where such a word appears is a string (a context
        // named `y`, a label value `on`), and sigs.k8s.io/yaml keeps the text for string-typed
        // targets too; a boolean field given `yes` is reported as the wrong type, not guessed.
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        return number(text) ?? .string(text)
    }

    /// YAML int/float text → a valid JSON number literal, or nil when it is not a number.
    static func number(_ text: String) -> JSON? {
        let u = Array(text.utf8)
        guard let first = u.first else { return nil }
        guard
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (first >= 0x30 && first <= 0x39)
        else { return nil }
        var t = text.replacingOccurrences(of: "_", with: "")
        var sign = ""
        if t.hasPrefix("+") {
            t.removeFirst()
        } else if t.hasPrefix("-") {
            t.removeFirst()
            sign = "-"
        }
        if t.hasPrefix("0x"), let v = Int64(t.dropFirst(2), radix: 16) { return .number(sign + String(v)) }
        if t.hasPrefix("0o"), let v = Int64(t.dropFirst(2), radix: 8) { return .number(sign + String(v)) }
        if t.hasPrefix("0b"), let v = Int64(t.dropFirst(2), radix: 2) { return .number(sign + String(v)) }
        // Decimal: [digits][.digits][e[+-]digits] with at least one digit in the mantissa.
        let b = Array(t.utf8)
        var i = 0
        let isDigit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
        let intStart = i
        while i < b.count, isDigit(b[i]) { i += 1 }
        var intPart = String(decoding: b[intStart..<i], as: UTF8.self)
        var frac = ""
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let fs = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            frac = String(decoding: b[fs..<i], as: UTF8.self)
        }
        if intPart.isEmpty && frac.isEmpty { return nil }
        var exp = ""
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            let es = i
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let ds = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            if ds == i { return nil }
            exp = String(decoding: b[es..<i], as: UTF8.self)
        }
        if i != b.count { return nil }
        // Leading zeros are not JSON; YAML 1.1 would call 012 octal, Kubernetes YAML too.
        if intPart.count > 1, intPart.hasPrefix("0"), frac.isEmpty, exp.isEmpty {
            if let v = Int64(intPart, radix: 8) { return .number(sign + String(v)) }
            return nil
        }
        while intPart.count > 1, intPart.hasPrefix("0") { intPart.removeFirst() }
        if intPart.isEmpty { intPart = "0" }
        var lit = sign + intPart
        if !frac.isEmpty { lit += "." + frac }
        lit += exp
        return .number(lit)
    }
}

extension JSON {
    /// The first document of a YAML (or JSON) text, as sigs.k8s.io/yaml's Unmarshal reads it;
    /// `null` when there is none. The same converter and limits as `YAMLDocuments.read`.
    public static func parseYAML(_ text: String, maxNodes: Int = YAMLDocuments.maxNodes) throws(YAMLReadError) -> JSON {
        try YAMLDocuments.read(text, maxNodes: maxNodes).first?.json ?? .null
    }
}
