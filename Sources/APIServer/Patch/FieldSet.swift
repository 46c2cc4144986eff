// Sets of field paths as server-side apply tracks them in `metadata.managedFields`
// (sigs.k8s.io/structured-merge-diff): the FieldsV1 encoding with `f:<field>`,
// `k:{<key fields>}` for items of keyed lists, `v:<value>` for items of set lists and
// `i:<index>`, where `"."` marks a node that is itself a member and `{}` a leaf member.

import KubeCore

public enum FieldPathElement: Hashable, Sendable, Comparable {
    case field(String)
    /// Compact JSON of the key fields with keys sorted, as upstream writes them.
    case key(String)
    /// Compact JSON of a set-list value.
    case value(String)
    case index(Int)

    var encoded: String {
        switch self {
        case .field(let f): return "f:" + f
        case .key(let k): return "k:" + k
        case .value(let v): return "v:" + v
        case .index(let i): return "i:\(i)"
        }
    }

    init?(encoded s: String) {
        guard s.count >= 2, s.dropFirst().first == ":" else { return nil }
        let body = String(s.dropFirst(2))
        switch s.first {
        case "f": self = .field(body)
        case "k": self = .key(body)
        case "v": self = .value(body)
        case "i":
            guard let i = Int(body) else { return nil }
            self = .index(i)
        default: return nil
        }
    }

    /// The element as upstream prints it in conflict messages: `.spec`, `[port=80]`, `[="x"]`.
    var display: String {
        switch self {
        case .field(let f): return "." + f
        case .index(let i): return "[\(i)]"
        case .value(let v): return "[=\(v)]"
        case .key(let k):
            guard let o = (try? JSON.parse(k))?.objectValue else { return "[\(k)]" }
            return "[" + o.map { "\($0.key)=\($0.value.compactString)" }.joined(separator: ",") + "]"
        }
    }

    public static func < (a: FieldPathElement, b: FieldPathElement) -> Bool { a.encoded < b.encoded }
}

public typealias FieldPath = [FieldPathElement]

public func fieldPathString(_ path: FieldPath) -> String {
    path.map(\.display).joined()
}

/// Canonical key element for an item of a keyed list.
func keyElement(_ item: JSONObject, keys: [String]) -> FieldPathElement {
    var o = JSONObject()
    for k in keys.sorted() { if let v = item[k] { o[k] = v } }
    return .key(JSON.object(o).compactString)
}

public struct FieldSet: Equatable, Sendable {
    public var paths: Set<FieldPath>

    public init(_ paths: Set<FieldPath> = []) { self.paths = paths }

    public var isEmpty: Bool { paths.isEmpty }
    public func contains(_ p: FieldPath) -> Bool { paths.contains(p) }
    public mutating func insert(_ p: FieldPath) { paths.insert(p) }
    public func union(_ o: FieldSet) -> FieldSet { FieldSet(paths.union(o.paths)) }
    public func subtracting(_ o: FieldSet) -> FieldSet { FieldSet(paths.subtracting(o.paths)) }
    public func intersection(_ o: FieldSet) -> FieldSet { FieldSet(paths.intersection(o.paths)) }

    /// True when `p` or any path below it is in the set.
    public func containsPrefix(_ p: FieldPath) -> Bool {
        paths.contains { $0.count >= p.count && Array($0.prefix(p.count)) == p }
    }

    /// The FieldsV1 object, children sorted as upstream serialises them.
    public var fieldsV1: JSON {
        final class Node {
            var member = false
            var children: [FieldPathElement: Node] = [:]
        }
        let root = Node()
        for p in paths {
            var n = root
            for e in p {
                if let c = n.children[e] {
                    n = c
                } else {
                    let c = Node()
                    n.children[e] = c
                    n = c
                }
            }
            n.member = true
        }
        func encode(_ n: Node) -> JSON {
            var o = JSONObject()
            if n.member && !n.children.isEmpty { o["."] = .emptyObject }
            for (e, c) in n.children.sorted(by: { $0.key < $1.key }) { o[e.encoded] = encode(c) }
            return .object(o)
        }
        return encode(root)
    }

    public init(fieldsV1: JSON) {
        var out = Set<FieldPath>()
        func walk(_ j: JSON, _ path: FieldPath) {
            guard case .object(let o) = j else { return }
            if o.isEmpty {
                if !path.isEmpty { out.insert(path) }
                return
            }
            for (k, v) in o {
                if k == "." {
                    out.insert(path)
                } else if let e = FieldPathElement(encoded: k) {
                    walk(v, path + [e])
                }
            }
        }
        walk(fieldsV1, [])
        self.paths = out
    }
}

// MARK: - Navigating objects by field path

extension JSON {
    /// The value at `path`, following keyed and set list items.
    func fieldValue(at path: FieldPath) -> JSON? {
        var cur = self
        for e in path {
            switch (e, cur) {
            case (.field(let f), .object(let o)):
                guard let n = o[f] else { return nil }
                cur = n
            case (.key(let k), .array(let a)):
                guard let want = (try? JSON.parse(k))?.objectValue,
                    let item = a.first(where: { item in want.allSatisfy { item[$0.key] == $0.value } })
                else { return nil }
                cur = item
            case (.value(let v), .array(let a)):
                guard let want = try? JSON.parse(v), let item = a.first(where: { $0 == want }) else { return nil }
                cur = item
            case (.index(let i), .array(let a)):
                guard i >= 0, i < a.count else { return nil }
                cur = a[i]
            default:
                return nil
            }
        }
        return cur
    }

    /// Removes whatever `path` names; no-op if it names nothing.
    mutating func removeField(at path: FieldPath) {
        guard let head = path.first else { return }
        let rest = Array(path.dropFirst())
        switch (head, self) {
        case (.field(let f), .object(var o)):
            if rest.isEmpty {
                _ = o.removeValue(forKey: f)
            } else if var child = o[f] {
                child.removeField(at: rest)
                o[f] = child
            }
            self = .object(o)
        case (.key(let k), .array(var a)):
            guard let want = (try? JSON.parse(k))?.objectValue,
                let i = a.firstIndex(where: { item in want.allSatisfy { item[$0.key] == $0.value } })
            else { return }
            if rest.isEmpty { a.remove(at: i) } else { a[i].removeField(at: rest) }
            self = .array(a)
        case (.value(let v), .array(var a)):
            guard let want = try? JSON.parse(v), let i = a.firstIndex(of: want) else { return }
            if rest.isEmpty { a.remove(at: i) } else { a[i].removeField(at: rest) }
            self = .array(a)
        case (.index(let i), .array(var a)):
            guard i >= 0, i < a.count else { return }
            if rest.isEmpty { a.remove(at: i) } else { a[i].removeField(at: rest) }
            self = .array(a)
        default:
            return
        }
    }
}
