import KubeCore

// TrafficTarget (NOTES.md §2) and the traffic specs HTTPRouteGroup, TCPRoute, UDPRoute (§3).
// Read-only for smitop (it shows them, never edits them), so encoding returns what was read,
// except HTTPRouteGroup headers, which are normalised to the list form the CRD validates.

/// A ServiceAccount (or other identity) reference: `destination` or a `sources[]` item.
public struct IdentityRef: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var namespace: String?
    /// v1alpha1/v1alpha2 only; removed in v1alpha3.
    public var port: Int64?
}

/// `rules[]` (v1alpha2+) or `specs[]` (v1alpha1): a route group and match names within it.
public struct RuleRef: Sendable, Equatable {
    public var kind: String
    public var name: String
    /// Empty means every match of the group.
    public var matches: [String]
}

public struct TrafficTarget: Sendable, Equatable {
    public var meta: ObjectMeta
    public var apiVersion: String
    public var version: SMIVersion
    /// v1alpha1 keeps its fields at the object root and calls the rules `specs`.
    public var rootLevel: Bool
    public var destination: IdentityRef
    public var rules: [RuleRef]
    public var sources: [IdentityRef]
    public var raw: JSON

    public init(json: JSON) throws(SMIDecodeError) {
        guard json.objectValue != nil else { throw SMIDecodeError("", "expected an object, found \(json.typeName)") }
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        version = try parseAPIVersion(apiVersion, kind: .trafficTarget)
        meta = ObjectMeta(json: json["metadata"])
        // Read whichever layout is present: the version says where fields belong, lint says
        // when they are in the wrong place.
        let body: JSON
        let base: String
        if let s = json["spec"], s.objectValue != nil {
            body = s
            base = "spec"
            rootLevel = false
        } else {
            body = json
            base = ""
            rootLevel = true
        }
        func p(_ k: String) -> String { base.isEmpty ? k : "\(base).\(k)" }
        guard let d = body["destination"], d.objectValue != nil else {
            throw SMIDecodeError(p("destination"), "destination is required")
        }
        destination = try TrafficTarget.identity(d, at: p("destination"))
        let ruleKey = body["rules"] != nil ? "rules" : "specs"
        var rules: [RuleRef] = []
        for (i, r) in try body.optionalArray(ruleKey, at: base).enumerated() {
            let rp = p("\(ruleKey)[\(i)]")
            var names: [String] = []
            for (j, m) in try r.optionalArray("matches", at: rp).enumerated() {
                guard let s = m.stringValue else { throw SMIDecodeError("\(rp).matches[\(j)]", "expected a string") }
                names.append(s)
            }
            rules.append(
                RuleRef(kind: try r.optionalString("kind", at: rp) ?? "", name: try r.requiredString("name", at: rp), matches: names))
        }
        self.rules = rules
        var sources: [IdentityRef] = []
        for (i, s) in try body.optionalArray("sources", at: base).enumerated() {
            sources.append(try TrafficTarget.identity(s, at: p("sources[\(i)]")))
        }
        self.sources = sources
        raw = json
    }

    static func identity(_ j: JSON, at path: String) throws(SMIDecodeError) -> IdentityRef {
        var port: Int64?
        if let v = j["port"], !v.isNull {
            guard let i = v.intValue else { throw SMIDecodeError("\(path).port", "expected an integer port") }
            port = i
        }
        return IdentityRef(
            kind: try j.optionalString("kind", at: path) ?? "", name: try j.requiredString("name", at: path),
            namespace: try j.optionalString("namespace", at: path), port: port)
    }
}

/// One header filter: name and value regex. A list, not a dictionary, because order is what
/// the author wrote and the list-of-one-key-maps wire form can repeat a name.
public struct HeaderFilter: Sendable, Equatable {
    public var name: String
    public var valueRegex: String
}

public struct HTTPMatch: Sendable, Equatable {
    public var name: String
    public var pathRegex: String?
    public var methods: [String]
    public var headers: [HeaderFilter]
    /// Headers were written as a plain map (spec prose), which the CRD rejects.
    public var headersAsMap: Bool
}

public struct HTTPRouteGroup: Sendable, Equatable {
    public var meta: ObjectMeta
    public var apiVersion: String
    public var version: SMIVersion
    /// v1alpha1/v1alpha2 put `matches` at the object root; v1alpha3+ under `spec`.
    public var rootLevel: Bool
    public var matches: [HTTPMatch]
    public var raw: JSON

    public init(json: JSON) throws(SMIDecodeError) {
        guard json.objectValue != nil else { throw SMIDecodeError("", "expected an object, found \(json.typeName)") }
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        version = try parseAPIVersion(apiVersion, kind: .httpRouteGroup)
        meta = ObjectMeta(json: json["metadata"])
        let base: String
        let list: [JSON]
        if let s = json["spec"], s["matches"] != nil {
            base = "spec"
            list = try s.optionalArray("matches", at: "spec")
            rootLevel = false
        } else {
            base = ""
            list = try json.optionalArray("matches", at: "")
            rootLevel = true
        }
        var matches: [HTTPMatch] = []
        for (i, m) in list.enumerated() {
            let mp = base.isEmpty ? "matches[\(i)]" : "\(base).matches[\(i)]"
            var methods: [String] = []
            for (j, x) in try m.optionalArray("methods", at: mp).enumerated() {
                guard let s = x.stringValue else { throw SMIDecodeError("\(mp).methods[\(j)]", "expected a string") }
                methods.append(s)
            }
            var headers: [HeaderFilter] = []
            var asMap = false
            switch m["headers"] {
            case .none, .some(.null): break
            case .some(.object(let o)):
                asMap = true
                for (k, v) in o {
                    guard let s = v.stringValue else { throw SMIDecodeError("\(mp).headers.\(k)", "expected a string") }
                    headers.append(HeaderFilter(name: k, valueRegex: s))
                }
            case .some(.array(let a)):
                // The SDK rejects a list element with several keys; we read them all in order.
                for (j, e) in a.enumerated() {
                    guard let o = e.objectValue else { throw SMIDecodeError("\(mp).headers[\(j)]", "expected a map") }
                    for (k, v) in o {
                        guard let s = v.stringValue else {
                            throw SMIDecodeError("\(mp).headers[\(j)].\(k)", "expected a string")
                        }
                        headers.append(HeaderFilter(name: k, valueRegex: s))
                    }
                }
            case .some(let other):
                throw SMIDecodeError("\(mp).headers", "expected a list or map, found \(other.typeName)")
            }
            matches.append(
                HTTPMatch(
                    name: try m.optionalString("name", at: mp) ?? "", pathRegex: try m.optionalString("pathRegex", at: mp),
                    methods: methods, headers: headers, headersAsMap: asMap))
        }
        self.matches = matches
        raw = json
    }

    /// `raw` with headers rewritten in the list-of-one-key-maps form the CRD and SDK expect.
    /// Identity for objects already in list form.
    public func encode() -> JSON {
        guard matches.contains(where: \.headersAsMap) else { return raw }
        var out = raw
        let inSpec = !rootLevel
        var list = (inSpec ? raw["spec"]?["matches"] : raw["matches"])?.arrayValue ?? []
        for i in list.indices where i < matches.count && matches[i].headersAsMap {
            list[i]["headers"] = .array(matches[i].headers.map { h in .object(JSONObject([(h.name, .string(h.valueRegex))])) })
        }
        if inSpec { out["spec"]?["matches"] = .array(list) } else { out["matches"] = .array(list) }
        return out
    }
}

/// TCPRoute or UDPRoute: v1alpha4 has `spec.matches.ports`; earlier TCPRoutes carry nothing.
public struct TrafficRoute: Sendable, Equatable {
    public var kind: SMIKind
    public var meta: ObjectMeta
    public var apiVersion: String
    public var version: SMIVersion
    /// Empty = every port of the Service.
    public var ports: [Int64]
    public var raw: JSON

    public init(json: JSON) throws(SMIDecodeError) {
        guard json.objectValue != nil else { throw SMIDecodeError("", "expected an object, found \(json.typeName)") }
        guard let k = json["kind"]?.stringValue, let kind = SMIKind(rawValue: k), kind == .tcpRoute || kind == .udpRoute
        else { throw SMIDecodeError("kind", "expected TCPRoute or UDPRoute") }
        self.kind = kind
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        version = try parseAPIVersion(apiVersion, kind: kind)
        meta = ObjectMeta(json: json["metadata"])
        var ports: [Int64] = []
        if let m = json["spec"]?["matches"], !m.isNull {
            for (i, p) in try m.optionalArray("ports", at: "spec.matches").enumerated() {
                guard let v = p.intValue else { throw SMIDecodeError("spec.matches.ports[\(i)]", "expected an integer port") }
                ports.append(v)
            }
        }
        self.ports = ports
        raw = json
    }
}
