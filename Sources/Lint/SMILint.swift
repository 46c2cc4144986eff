import APIServer
import KubeCore
import SMI

// SMI manifests are checked in two layers, as route manifests are (RouteLint.swift):
// 1. the schema: the object is validated against the same CRD schema the simulator serves
//    (`EmbeddedCRDs`, the SMI SDK's CRDs with every version they describe, served or not: an
//    older installation serves the older ones), by the API server's validator, with kubectl's
//    default strict field validation. Two versions no SDK CRD describes get a schema written
//    from their Go types (`SMISchemas.fromGoTypes`).
// 2. what a schema cannot say: layout slips between versions named with their consequence,
//    weights Go clients cannot decode, Service names, ports in range, and the split semantics
//    (duplicates, all zero, the root as its own backend).
// A finding of layer 2 on a path replaces layer 1's on that path (and, for a layout slip, on
// everything under it): "matches exists only from v1alpha3" says more than "unknown field".

enum SMISchemas {
    /// "group/version/kind" → the version's `openAPIV3Schema`, parsed once.
    static let byKey: [String: JSON] = {
        var out: [String: JSON] = [:]
        for text in [EmbeddedCRDs.split, EmbeddedCRDs.access, EmbeddedCRDs.httproutegroup, EmbeddedCRDs.tcproute, EmbeddedCRDs.udproute] {
            guard let crd = try? YAMLDocuments.read(text).first?.json else { continue }
            let group = crd[path: "spec", "group"]?.stringValue ?? ""
            let kind = crd[path: "spec", "names", "kind"]?.stringValue ?? ""
            for v in crd[path: "spec", "versions"]?.arrayValue ?? [] {
                guard let name = v["name"]?.stringValue, let s = crdSchema(crd, version: name) else { continue }
                out["\(group)/\(name)/\(kind)"] = s
            }
        }
        for (key, s) in fromGoTypes where out[key] == nil { out[key] = s }
        return out
    }()

    /// Versions the SDK's CRDs no longer describe, written from smi-sdk-go's types of that
    /// version: TrafficSplit v1alpha1 (weights are `resource.Quantity`, int or string), and
    /// TCPRoute before v1alpha4 (an empty spec).
    static let fromGoTypes: [String: JSON] = {
        let quantitySplit: JSON = [
            "type": "object",
            "properties": [
                "spec": [
                    "type": "object",
                    "properties": [
                        "service": ["type": "string"],
                        "backends": [
                            "type": "array",
                            "items": [
                                "type": "object",
                                "properties": ["service": ["type": "string"], "weight": ["x-kubernetes-int-or-string": true]],
                            ],
                        ],
                    ],
                ]
            ],
        ]
        let emptySpec: JSON = ["type": "object", "properties": ["spec": ["type": "object", "properties": [:]]]]
        var out: [String: JSON] = ["\(SMIGroup.split)/v1alpha1/TrafficSplit": quantitySplit]
        for v in ["v1alpha1", "v1alpha2", "v1alpha3"] { out["\(SMIGroup.specs)/\(v)/TCPRoute"] = emptySpec }
        return out
    }()

    static func schema(_ kind: SMIKind, _ v: SMIVersion) -> JSON? { byKey["\(kind.group)/\(v.rawValue)/\(kind.rawValue)"] }
}

extension LintChecker {
    /// Both layers for a manifest kind (not the metrics API's responses, which have no CRD).
    mutating func checkSMIManifest(_ json: JSON, _ kind: SMIKind, _ v: SMIVersion) {
        guard let schema = SMISchemas.schema(kind, v) else {
            error("apiVersion", "no schema is known for \(kind.group)/\(v.rawValue) \(kind.rawValue)")
            return
        }
        let result = validate(json, schema: schema, fieldValidation: .strict)
        switch kind {
        case .trafficSplit: checkSplit(json, v)
        case .trafficTarget: checkTarget(json, v)
        case .httpRouteGroup: checkRouteGroup(json, v)
        case .tcpRoute, .udpRoute: checkPorts(json)
        case .trafficMetrics, .trafficMetricsList: break
        }
        let specific = Set(problems.filter { $0.severity == .error }.map(\.path))
        func covered(_ path: String) -> Bool {
            specific.contains(path) || slips.contains { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }
        }
        for e in result.errors where !covered(e.field) { error(e.field, e.message) }
        for path in result.unknownFields where !covered(path) {
            error(path, "unknown field: kubectl's default strict validation refuses it (with --validate=false the API server drops it)")
        }
    }

    /// A layout slip: its own finding explains the path and everything under it.
    mutating func slip(_ path: String, _ message: String) {
        error(path, message)
        slips.append(path)
    }

    // MARK: TrafficSplit

    mutating func checkSplit(_ json: JSON, _ v: SMIVersion) {
        if json["spec"] == nil, json["backends"] != nil {
            slip("backends", "service and backends belong under spec (the SDK v0.3.0 CRD put them at the root by mistake)")
            slips.append("service")
            return
        }
        guard let spec = object(json, "spec", at: "", required: true) else { return }
        if v < .v1alpha3, spec["matches"] != nil {
            slip("spec.matches", "matches exists only from v1alpha3; the API server drops it and the split would apply to all traffic")
        }
        if let s = spec["service"]?.stringValue, !KubeNames.isDNS1035Label(s) {
            error("spec.service", "\"\(s)\" is not a valid Service name")
        }
        guard let bs = spec["backends"]?.arrayValue else { return }
        if bs.isEmpty { warn("spec.backends", "no backends: the split routes nothing") }
        for (i, b) in bs.enumerated() where b.objectValue != nil {
            let p = "spec.backends[\(i)]"
            if let s = b["service"]?.stringValue, !KubeNames.isDNS1035Label(s) {
                error("\(p).service", "\"\(s)\" is not a valid Service name")
            }
            guard let w = b["weight"], !w.isNull else {
                // The v1alpha1 Go type has an optional pointer, but no mesh gives a missing weight a meaning.
                error("\(p).weight", "weight is required")
                continue
            }
            checkWeight(w, at: "\(p).weight", v)
        }
    }

    /// What a weight must be beyond the schema's type: v1alpha1 reads a quantity; later
    /// versions a whole number, because Go clients decode `weight` into an int (the CRD's
    /// `number` admits 1.5, which smi-sdk-go then fails to read).
    mutating func checkWeight(_ w: JSON, at p: String, _ v: SMIVersion) {
        if v == .v1alpha1 {
            guard w.stringValue != nil || w.doubleValue != nil else {
                error(p, "weight must be a quantity (e.g. 500m, 1) or a number, found \(w.typeName)")
                return
            }
            do {
                let q = try Quantity(json: w)
                if q.isNegative { error(p, "weight must not be negative") }
            } catch {
                self.error(p, "weight: \(error.description)")
            }
            return
        }
        switch w {
        case .number:
            guard let q = try? Quantity(json: w) else {
                error(p, "weight \(w.compactString) is out of range")
                return
            }
            if q.isNegative { error(p, "weight must not be negative") }
            if !q.isInteger { error(p, "weight must be a whole number in \(v.rawValue) (Go clients cannot decode \(w.compactString))") }
        case .string(let s):
            error(p, "weight must be a number in \(v.rawValue), found the string \"\(s)\" (quantity strings are v1alpha1 only)")
        default:
            error(p, "weight must be a number, found \(w.typeName)")
        }
    }

    mutating func checkSplitSemantics(_ split: TrafficSplit) {
        let a = split.analysis
        let base = split.raw["spec"] != nil ? "spec." : ""
        for name in a.duplicateServices {
            let idx = split.backends.indices.filter { split.backends[$0].service == name }
            error("\(base)backends[\(idx[1])].service", "backend \(name) is listed \(idx.count) times; meshes disagree on what that means")
        }
        if a.rootIsBackend, let i = split.backends.firstIndex(where: { $0.service == split.service }) {
            warn("\(base)backends[\(i)].service", "the root service \(split.service) is listed as its own backend")
        }
        if a.allZero && !split.backends.isEmpty {
            warn("\(base)backends", "every weight is 0: no backend receives traffic through this split")
        }
    }

    // MARK: TrafficTarget

    mutating func checkTarget(_ json: JSON, _ v: SMIVersion) {
        let destination: String
        if v == .v1alpha1 {
            if json["spec"] != nil { slip("spec", "TrafficTarget v1alpha1 keeps destination, specs and sources at the object root") }
            if json["rules"] != nil { slip("rules", "v1alpha1 calls the rule list specs (rules is v1alpha2+)") }
            if let d = json["destination"], d.objectValue != nil, d["port"] == nil {
                error("destination.port", "port is required by the SDK CRD schema for v1alpha1 (the spec text calls it optional)")
            }
            destination = "destination"
        } else {
            for k in ["destination", "sources", "specs", "rules"] where json[k] != nil {
                slip(k, "\(k) belongs under spec since v1alpha2")
            }
            if json["spec"]?["specs"] != nil { slip("spec.specs", "specs was renamed to rules in v1alpha2") }
            if v >= .v1alpha3, json[path: "spec", "destination", "port"] != nil {
                slip("spec.destination.port", "port was removed in v1alpha3 (the API server drops it); use TCPRoute/UDPRoute ports")
            }
            destination = "spec.destination"
        }
        let d = destination.split(separator: ".").reduce(json) { $0?[String($1)] }
        if let port = d?["port"], port.doubleValue != nil, !covered(slipped: "\(destination).port"),
            !(port.intValue.map { (1...65535).contains($0) } ?? false)
        {
            error("\(destination).port", "port \(port.compactString) is not a whole number in 1–65535")
        }
        let rulesKey = v == .v1alpha1 ? "specs" : "spec.rules"
        let rules = rulesKey.split(separator: ".").reduce(json) { $0?[String($1)] }?.arrayValue
        if v >= .v1alpha3, let rules, rules.isEmpty { warn(rulesKey, "no rules: the target allows nothing") }
        let sources = (v == .v1alpha1 ? json["sources"] : json[path: "spec", "sources"])?.arrayValue
        if v >= .v1alpha3, let sources, sources.isEmpty { warn(v == .v1alpha1 ? "sources" : "spec.sources", "no sources: the target allows nothing") }
    }

    func covered(slipped path: String) -> Bool { slips.contains { path == $0 || path.hasPrefix($0 + ".") } }

    // MARK: HTTPRouteGroup, TCPRoute, UDPRoute

    mutating func checkRouteGroup(_ json: JSON, _ v: SMIVersion) {
        let base: String
        if v <= .v1alpha2 {
            if json["spec"]?["matches"] != nil {
                slip("spec", "HTTPRouteGroup \(v.rawValue) keeps matches at the object root (spec.matches is v1alpha3+)")
                slips.append("matches")
            }
            base = "matches"
        } else {
            if json["matches"] != nil {
                slip("matches", "matches belongs under spec since v1alpha3 (this is the v1alpha2 layout)")
                slips.append("spec")
            }
            base = "spec.matches"
        }
        let list = base.split(separator: ".").reduce(json) { $0?[String($1)] }?.arrayValue ?? []
        for (i, m) in list.enumerated() {
            let p = "\(base)[\(i)]"
            switch m["headers"] {
            case .some(.object):
                slip("\(p).headers", "headers must be a list of one-entry maps (- user-agent: \".*\"); the CRD rejects a plain map")
            case .some(.array(let hs)):
                for (j, h) in hs.enumerated() where (h.objectValue?.count ?? 0) > 1 {
                    warn("\(p).headers[\(j)]", "the SMI SDK rejects more than one header per list entry; use one entry per header")
                }
            default: break
            }
        }
    }

    /// TCPRoute and UDPRoute v1alpha4: the schema says integer; a port is also in range.
    mutating func checkPorts(_ json: JSON) {
        for (i, port) in (json[path: "spec", "matches", "ports"]?.arrayValue ?? []).enumerated() {
            guard let n = port.intValue else { continue }
            if n < 1 || n > 65535 { error("spec.matches.ports[\(i)]", "port \(n) is outside 1–65535") }
        }
    }
}
