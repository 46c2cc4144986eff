import KubeCore
import SMI

/// A label selector in the API's query syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
/// `a notin (x)`, `a`, `!a`, joined by commas.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, [String])
        case notIn(String, [String])
        case exists(String)
        case notExists(String)
    }
    var requirements: [Requirement]

    init(parsing text: String) throws(APIError) {
        requirements = []
        var parts: [String] = []
        var depth = 0
        var cur = ""
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 {
                parts.append(cur)
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        parts.append(cur)
        for raw in parts {
            let p = raw.trimmingCharacters(in: " ")
            if p.isEmpty { continue }
            if let r = p.range(of: " notin ") {
                requirements.append(.notIn(String(p[..<r.lowerBound]).trimmingCharacters(in: " "), try Self.set(String(p[r.upperBound...]))))
            } else if let r = p.range(of: " in ") {
                requirements.append(.isIn(String(p[..<r.lowerBound]).trimmingCharacters(in: " "), try Self.set(String(p[r.upperBound...]))))
            } else if let r = p.range(of: "!=") {
                requirements.append(.notEquals(String(p[..<r.lowerBound]), String(p[r.upperBound...])))
            } else if let r = p.range(of: "==") {
                requirements.append(.equals(String(p[..<r.lowerBound]), String(p[r.upperBound...])))
            } else if let r = p.range(of: "=") {
                requirements.append(.equals(String(p[..<r.lowerBound]), String(p[r.upperBound...])))
            } else if p.hasPrefix("!") {
                requirements.append(.notExists(String(p.dropFirst())))
            } else if p.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) {
                requirements.append(.exists(p))
            } else {
                throw APIError.badRequest("unable to parse requirement: found '\(p)', expected: identifier")
            }
        }
    }

    static func set(_ s: String) throws(APIError) -> [String] {
        let t = s.trimmingCharacters(in: " ")
        guard t.hasPrefix("("), t.hasSuffix(")") else {
            throw APIError.badRequest("unable to parse requirement: found '\(t)', expected: '('")
        }
        return t.dropFirst().dropLast().split(separator: ",").map { String($0).trimmingCharacters(in: " ") }
    }

    func matches(_ labels: JSONObject?) -> Bool {
        func value(_ k: String) -> String? { labels?[k]?.stringValue }
        for r in requirements {
            switch r {
            case .equals(let k, let v): if value(k) != v { return false }
            case .notEquals(let k, let v): if value(k) == v { return false }
            case .isIn(let k, let vs): guard let v = value(k), vs.contains(v) else { return false }
            case .notIn(let k, let vs): if let v = value(k), vs.contains(v) { return false }
            case .exists(let k): if value(k) == nil { return false }
            case .notExists(let k): if value(k) != nil { return false }
            }
        }
        return true
    }
}

/// Field selectors the simulator supports on every type, like the real server's common set.
struct FieldSelector: Sendable, Equatable {
    var requirements: [(field: String, value: String, equal: Bool)]

    static func == (a: FieldSelector, b: FieldSelector) -> Bool {
        a.requirements.map { "\($0.field)\($0.equal)\($0.value)" } == b.requirements.map { "\($0.field)\($0.equal)\($0.value)" }
    }

    init(parsing text: String, kind: String) throws(APIError) {
        requirements = []
        for raw in text.split(separator: ",") {
            let p = String(raw)
            let equal: Bool
            let r: Range<String.Index>
            if let x = p.range(of: "!=") {
                equal = false
                r = x
            } else if let x = p.range(of: "==") ?? p.range(of: "=") {
                equal = true
                r = x
            } else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(p)'")
            }
            let field = String(p[..<r.lowerBound])
            guard field == "metadata.name" || field == "metadata.namespace" || Self.kindFields[kind]?.contains(field) == true else {
                throw APIError.badRequest("field label not supported: \(field)")
            }
            requirements.append((field, String(p[r.upperBound...]), equal))
        }
    }

    /// The extra fields the real server indexes per kind (what kubectl describe and
    /// `get events --field-selector` use).
    static let kindFields: [String: Set<String>] = [
        "Event": [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
            "reportingComponent", "source", "type",
        ],
        "Pod": ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP"],
        "Namespace": ["status.phase"],
        "Node": ["spec.unschedulable"],
    ]

    func matches(namespace: String, name: String, object: JSON? = nil) -> Bool {
        for r in requirements {
            let v: String
            switch r.field {
            case "metadata.name": v = name
            case "metadata.namespace": v = namespace
            case "source": v = object?[path: "source", "component"]?.stringValue ?? ""
            default:
                var cur = object
                for part in r.field.split(separator: ".") { cur = cur?[String(part)] }
                v = cur?.stringValue ?? ""
            }
            if (v == r.value) != r.equal { return false }
        }
        return true
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
