import GatewayAPI
import KubeCore
import SMI

// `smitop lint`: checks SMI manifests the way the API server (CRD schemas in
// shared/smi/crds, per version) and the meshes reading them would, before they are applied.
//
// Severity policy, chosen as an operator would want CI to behave:
// * error = the API server rejects the object, prunes a field in a way that changes routing,
//   or the mesh cannot act on it predictably: schema violations, string or fractional
//   weights in v1alpha2+ (Go clients fail to decode them), negative weights, duplicate
//   backends (meshes disagree on whether they add up or the last one wins), unknown kind or
//   version, wrong layout for the version.
// * warning = accepted and deterministic but probably not what was meant: all weights zero
//   (the spec uses 0 to pre-create a split, so it is legal, but nothing is split), the root
//   service listed as its own backend (spec advises against it), unknown fields (pruned),
//   no backends.
// Objects outside the *.smi-spec.io groups (Services, Roles in the same file) are listed but
// not checked: they are someone else's schema.

public enum LintSeverity: String, Sendable, Equatable {
    case error, warning
}

public struct LintProblem: Sendable, Equatable {
    public var severity: LintSeverity
    public var message: String
    public var file: String
    /// 1-based; 0 when unknown.
    public var line: Int
    /// JSON path inside the object ("spec.backends[0].weight"), "" for the object itself.
    public var path: String
}

public struct LintBackend: Sendable, Equatable {
    public var service: String
    /// The weight as written.
    public var weight: String
    /// weight ÷ Σ weights; nil when it cannot be computed (all zero, unreadable weights).
    public var share: Fraction?
}

public struct LintObject: Sendable, Equatable {
    public var kind: String?
    public var apiVersion: String?
    public var namespace: String?
    public var name: String?
    public var line: Int
    /// TrafficSplits only.
    public var backends: [LintBackend]?
    public var problems: [LintProblem]
    /// Routes: each rule with its backends and shares (nil for other kinds).
    public var rules: [LintRule]? = nil
    /// False for non-SMI objects, which are listed but not checked.
    public var checked: Bool
    /// TrafficSplits: `spec.service`, for the check across objects.
    public var rootService: String? = nil
}

public struct LintReport: Sendable, Equatable {
    public var fileName: String
    public var objects: [LintObject]
    /// Set when the input could not be read at all.
    public var fatal: LintProblem?

    public var errorCount: Int { objects.reduce(0) { $0 + $1.problems.filter { $0.severity == .error }.count } }
    public var warningCount: Int { objects.reduce(0) { $0 + $1.problems.filter { $0.severity == .warning }.count } }

    /// 0: valid (warnings allowed), 1: at least one invalid object, 2: unreadable input.
    public var exitCode: Int32 {
        if fatal != nil { return 2 }
        return errorCount > 0 ? 1 : 0
    }

    /// The `-o json` shape: one array, one element per object; unreadable input is one element
    /// whose only content is the fatal problem, so consumers always get the same shape.
    public var json: JSON {
        func problem(_ p: LintProblem) -> JSON {
            [
                "severity": .string(p.severity.rawValue), "message": .string(p.message), "file": .string(p.file),
                "line": .int(p.line), "path": .string(p.path),
            ]
        }
        func opt(_ s: String?) -> JSON { s.map { .string($0) } ?? .null }
        if let fatal {
            return [
                [
                    "kind": nil, "apiVersion": nil, "namespace": nil, "name": nil, "backends": [],
                    "problems": .array([problem(fatal)]),
                ]
            ]
        }
        return .array(
            objects.map { o in
                let backends: JSON = .array(
                    (o.backends ?? []).map { b in
                        // share as a JSON number 0–1; exact fractions print with up to 6 places.
                        let share: JSON = b.share.map { .number(LintReport.decimal($0, places: 6)) } ?? .null
                        return ["service": .string(b.service), "weight": .string(b.weight), "share": share]
                    })
                var out: JSON = [
                    "kind": opt(o.kind), "apiVersion": opt(o.apiVersion), "namespace": opt(o.namespace),
                    "name": opt(o.name), "backends": backends, "problems": .array(o.problems.map(problem)),
                ]
                if let rules = o.rules {
                    out["rules"] = .array(
                        rules.map { r in
                            [
                                "index": .int(r.index), "name": opt(r.name), "matches": .string(r.matches),
                                "backends": .array(
                                    r.backends.map { b in
                                        let share: JSON = b.share.map { .number(LintReport.decimal($0, places: 6)) } ?? .null
                                        return ["service": .string(b.service), "weight": .string(b.weight), "share": share]
                                    }),
                            ]
                        })
                }
                return out
            })
    }

    static func decimal(_ f: Fraction, places: Int) -> String {
        let scale = Quantity.pow10(places)
        let v = Fraction.roundDiv(f.numerator * scale, f.denominator)
        var s = Quantity.decimalString(nanos: v * Quantity.pow10(9 - places))
        if !s.contains(".") { s += ".0" }
        return s
    }

    /// Human output: one block per object, problems as `file:line: severity: message` so
    /// editors can jump to them. Every string from the linted text is sanitised (`clean`):
    /// lint reads what `kubectl get -o json` printed of a cluster, whose names and values may
    /// hold escape sequences (the hostile scenario printed `ESC[2J` here raw).
    public var text: String {
        if let f = fatal { return "\(clean(f.file, limit: 4096)):\(f.line): fatal: \(clean(f.message, limit: 4096))\n" }
        var out = ""
        for o in objects {
            let who = [o.namespace, o.name].compactMap { $0 }.map { clean($0) }.joined(separator: "/")
            let kind = o.kind.map { clean($0) } ?? "<no kind>"
            let status: String
            if !o.checked {
                status = "not SMI or a route, skipped"
            } else {
                let e = o.problems.filter { $0.severity == .error }.count
                let w = o.problems.count - e
                status = e == 0 && w == 0 ? "ok" : "\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")"
            }
            out += "\(kind) \(who.isEmpty ? "<unnamed>" : who) (\(o.apiVersion.map { clean($0) } ?? "no apiVersion")): \(status)\n"
            if let bs = o.backends {
                let services = bs.map { clean($0.service) }
                let width = services.map(\.count).max() ?? 0
                for (b, service) in zip(bs, services) {
                    let pad = String(repeating: " ", count: width - service.count)
                    out += "  \(service)\(pad)  \(clean(b.weight, limit: 64))  \(b.share.map { $0.percentText() } ?? "-")\n"
                }
            }
            for r in o.rules ?? [] {
                out += "  rule \(r.index)\(r.name.map { " " + clean($0) } ?? ""): \(clean(r.matches))\n"
                let services = r.backends.map { clean($0.service) }
                let width = services.map(\.count).max() ?? 0
                for (b, service) in zip(r.backends, services) {
                    let pad = String(repeating: " ", count: width - service.count)
                    out += "    \(service)\(pad)  \(clean(b.weight, limit: 64))  \(b.share.map { $0.percentText() } ?? "-")\n"
                }
            }
            for p in o.problems {
                let path = p.path.isEmpty ? "" : "\(clean(p.path, limit: 1024)): "
                out += "  \(clean(p.file, limit: 4096)):\(p.line): \(p.severity.rawValue): \(path)\(clean(p.message, limit: 4096))\n"
            }
        }
        out += "\(objects.count) object\(objects.count == 1 ? "" : "s"), \(errorCount) error\(errorCount == 1 ? "" : "s"), "
        out += "\(warningCount) warning\(warningCount == 1 ? "" : "s")\n"
        return out
    }
}

/// Lints every object of a multi-document YAML or JSON text (a JSON array or a `*List` with
/// `items`, as `kubectl get -o json` prints, counts as its objects).
public func lint(documents source: String, fileName: String) -> LintReport {
    let docs: [YAMLDocument]
    do {
        docs = try YAMLDocuments.read(source)
    } catch {
        return LintReport(
            fileName: fileName, objects: [],
            fatal: LintProblem(severity: .error, message: error.message, file: fileName, line: error.line, path: ""))
    }
    var objects: [LintObject] = []
    for doc in docs {
        switch doc.json {
        case .array(let items):
            for i in items.indices { objects.append(lintObject(doc, prefix: "[\(i)]", file: fileName)) }
        case .object(let o):
            if let kind = o["kind"]?.stringValue, kind.hasSuffix("List"), let items = o["items"]?.arrayValue,
                SMIKind(rawValue: kind) == nil
            {
                for i in items.indices { objects.append(lintObject(doc, prefix: "items[\(i)]", file: fileName)) }
            } else {
                objects.append(lintObject(doc, prefix: "", file: fileName))
            }
        default:
            objects.append(lintObject(doc, prefix: "", file: fileName))
        }
    }
    warnSharedRoots(&objects, file: fileName)
    return LintReport(fileName: fileName, objects: objects, fatal: nil)
}

/// Several TrafficSplits for one root service: the SMI spec does not say what that means and
/// meshes disagree (one of them wins, their backends are merged, or all but one are ignored),
/// so each of them gets a warning naming the others. Objects without a namespace count as one
/// namespace, as `kubectl apply -n` would put them together.
func warnSharedRoots(_ objects: inout [LintObject], file: String) {
    var byRoot: [[String]: [Int]] = [:]
    for (i, o) in objects.enumerated() where o.kind == "TrafficSplit" {
        guard let root = o.rootService, !root.isEmpty else { continue }
        byRoot[[o.namespace ?? "", root], default: []].append(i)
    }
    for (key, indices) in byRoot where indices.count > 1 {
        let names = indices.map { clean(objects[$0].name ?? "<unnamed>") }
        for i in indices {
            let others = names.filter { $0 != clean(objects[i].name ?? "<unnamed>") }
            objects[i].problems.append(
                LintProblem(
                    severity: .warning,
                    message:
                        "\(indices.count) TrafficSplits have root service \(clean(key[1])) (also \(others.joined(separator: ", "))): meshes disagree on what that means (one wins, they are merged, or all but one are ignored); keep one",
                    file: file, line: objects[i].line, path: "spec.service"))
        }
    }
}

func lintObject(_ doc: YAMLDocument, prefix: String, file: String) -> LintObject {
    var c = LintChecker(doc: doc, prefix: prefix, file: file)
    let json: JSON
    if prefix.isEmpty {
        json = doc.json
    } else if prefix.hasPrefix("items[") {
        json = doc.json["items"]?[Int(prefix.dropFirst(6).dropLast())!] ?? .null
    } else {
        json = doc.json[Int(prefix.dropFirst().dropLast())!] ?? .null
    }
    var obj = LintObject(
        kind: json["kind"]?.stringValue, apiVersion: json["apiVersion"]?.stringValue,
        namespace: json["metadata"]?["namespace"]?.stringValue, name: json["metadata"]?["name"]?.stringValue,
        line: doc.line(of: prefix), backends: nil, problems: [], checked: true)
    guard json.objectValue != nil else {
        c.error("", "expected a Kubernetes object, found \(json.typeName)")
        obj.problems = c.problems
        return obj
    }
    if let k = obj.kind, let av = obj.apiVersion, let routeKind = RouteKind(apiVersion: av, kind: k) {
        obj.rules = lintRoute(json, kind: routeKind, checker: &c)
        obj.problems = c.problems
        return obj
    }
    let group = obj.apiVersion.flatMap { av in av.contains("/") ? String(av.split(separator: "/")[0]) : nil }
    let smiKind = obj.kind.flatMap(SMIKind.init(rawValue:))
    let isSMIGroup = group?.hasSuffix("smi-spec.io") ?? false
    if smiKind == nil && !isSMIGroup {
        if obj.kind == nil || obj.apiVersion == nil {
            if obj.kind == nil { c.error("kind", "kind is missing") }
            if obj.apiVersion == nil { c.error("apiVersion", "apiVersion is missing") }
        } else {
            obj.checked = false
        }
        obj.problems = c.problems
        return obj
    }
    guard let kind = smiKind else {
        c.error("kind", obj.kind.map { "unknown kind \($0) in \(group ?? "")" } ?? "kind is missing")
        obj.problems = c.problems
        return obj
    }
    let version: SMIVersion
    do {
        version = try parseAPIVersion(obj.apiVersion, kind: kind)
    } catch {
        var msg = error.message
        if kind == .trafficTarget, obj.apiVersion == "\(SMIGroup.access)/v1alpha4" {
            msg = "access.smi-spec.io/v1alpha4 is a draft with no CRD; no cluster serves it"
        }
        c.error("apiVersion", msg)
        // Without a version the schema is unknown; structure checks would only add noise.
        obj.problems = c.problems
        if kind == .trafficSplit { obj.backends = lintBackends(json, split: nil) }
        return obj
    }
    if kind != .trafficMetrics && kind != .trafficMetricsList { c.checkMetadata(json) }
    switch kind {
    case .trafficSplit: c.checkSplit(json, version)
    case .trafficTarget: c.checkTarget(json, version)
    case .httpRouteGroup: c.checkRouteGroup(json, version)
    case .tcpRoute, .udpRoute: c.checkRoute(json, version)
    case .trafficMetrics, .trafficMetricsList: c.checkMetrics(json, kind)
    }
    // The model decoders are lenient; if even they fail, say so (unless the schema checks
    // already explained it).
    let hadErrors = c.problems.contains { $0.severity == .error }
    var split: TrafficSplit?
    do {
        let r = try SMIResource.decode(json)
        if case .trafficSplit(let s) = r { split = s }
    } catch {
        if !hadErrors { c.error(error.path, error.message) }
    }
    if kind == .trafficSplit {
        if let split { c.checkSplitSemantics(split) }
        obj.backends = lintBackends(json, split: split)
        obj.rootService = json["spec"]?["service"]?.stringValue
    }
    obj.problems = c.problems
    return obj
}

func lintBackends(_ json: JSON, split: TrafficSplit?) -> [LintBackend] {
    if let split {
        let a = split.analysis
        return split.backends.enumerated().map { i, b in
            LintBackend(service: b.service, weight: b.weight.description, share: a.negativeIndices.isEmpty ? a.shares[i] : nil)
        }
    }
    return (json["spec"]?["backends"]?.arrayValue ?? []).map { b in
        let w = b["weight"]
        return LintBackend(
            service: b["service"]?.stringValue ?? "", weight: w?.stringValue ?? (w.map { $0.compactString } ?? ""),
            share: nil)
    }
}

struct LintChecker {
    let doc: YAMLDocument
    let prefix: String
    let file: String
    var problems: [LintProblem] = []

    init(doc: YAMLDocument, prefix: String, file: String) {
        self.doc = doc
        self.prefix = prefix
        self.file = file
    }

    mutating func add(_ s: LintSeverity, _ path: String, _ msg: String) {
        let full = prefix.isEmpty ? path : (path.isEmpty ? prefix : "\(prefix).\(path)")
        problems.append(LintProblem(severity: s, message: msg, file: file, line: doc.line(of: full), path: path))
    }
    mutating func error(_ path: String, _ msg: String) { add(.error, path, msg) }
    mutating func warn(_ path: String, _ msg: String) { add(.warning, path, msg) }

    static func join(_ base: String, _ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }

    // MARK: primitive checks; each returns the value when it has the right type

    @discardableResult
    mutating func string(_ obj: JSON, _ key: String, at base: String, required: Bool) -> String? {
        let p = LintChecker.join(base, key)
        guard let v = obj[key], !v.isNull else {
            if required { error(p, "\(key) is required") }
            return nil
        }
        guard let s = v.stringValue else {
            error(p, "\(key) must be a string, found \(v.typeName)")
            return nil
        }
        return s
    }

    mutating func object(_ obj: JSON, _ key: String, at base: String, required: Bool) -> JSON? {
        let p = LintChecker.join(base, key)
        guard let v = obj[key], !v.isNull else {
            if required { error(p, "\(key) is required") }
            return nil
        }
        guard v.objectValue != nil else {
            error(p, "\(key) must be an object, found \(v.typeName)")
            return nil
        }
        return v
    }

    mutating func array(_ obj: JSON, _ key: String, at base: String, required: Bool) -> [JSON]? {
        let p = LintChecker.join(base, key)
        guard let v = obj[key], !v.isNull else {
            if required { error(p, "\(key) is required") }
            return nil
        }
        guard let a = v.arrayValue else {
            error(p, "\(key) must be a list, found \(v.typeName)")
            return nil
        }
        return a
    }

    /// Fields the schema does not know are pruned by the API server: legal, but lost.
    mutating func unknownFields(_ obj: JSON, allowed: Set<String>, at base: String) {
        for k in obj.objectValue?.keys ?? [] where !allowed.contains(k) {
            warn(LintChecker.join(base, k), "unknown field \(k) (the API server drops it)")
        }
    }

    mutating func enumValue(_ obj: JSON, _ key: String, at base: String, allowed: [String], required: Bool) {
        guard let s = string(obj, key, at: base, required: required) else { return }
        if !allowed.contains(s) {
            error(LintChecker.join(base, key), "\(key) must be one of \(allowed.joined(separator: ", ")), found \(s)")
        }
    }

    mutating func stringList(_ obj: JSON, _ key: String, at base: String, allowed: [String]? = nil) {
        guard let a = array(obj, key, at: base, required: false) else { return }
        for (i, v) in a.enumerated() {
            let p = "\(LintChecker.join(base, key))[\(i)]"
            guard let s = v.stringValue else {
                error(p, "must be a string, found \(v.typeName)")
                continue
            }
            if let allowed, !allowed.contains(s) {
                error(p, "must be one of \(allowed.joined(separator: ", ")), found \(s)")
            }
        }
    }

    // MARK: metadata

    mutating func checkMetadata(_ json: JSON) {
        guard let m = object(json, "metadata", at: "", required: true) else { return }
        if let name = string(m, "name", at: "metadata", required: m["generateName"] == nil), !KubeNames.isDNS1123Subdomain(name) {
            error("metadata.name", "\"\(name)\" is not a valid name (lowercase RFC 1123 subdomain)")
        }
        if let ns = string(m, "namespace", at: "metadata", required: false), !KubeNames.isDNS1123Label(ns) {
            error("metadata.namespace", "\"\(ns)\" is not a valid namespace (lowercase RFC 1123 label)")
        }
    }

    // MARK: TrafficSplit

    mutating func checkSplit(_ json: JSON, _ v: SMIVersion) {
        unknownFields(json, allowed: ["apiVersion", "kind", "metadata", "spec"], at: "")
        if json["spec"] == nil, json["backends"] != nil {
            error("backends", "service and backends belong under spec (the SDK v0.3.0 CRD put them at the root by mistake)")
            return
        }
        guard let spec = object(json, "spec", at: "", required: true) else { return }
        if v < .v1alpha3, spec["matches"] != nil {
            error("spec.matches", "matches exists only from v1alpha3; the API server drops it and the split would apply to all traffic")
        }
        // matches before v1alpha3 is reported above, with its consequence.
        unknownFields(spec, allowed: ["service", "backends", "matches"], at: "spec")
        if let s = string(spec, "service", at: "spec", required: true), !KubeNames.isDNS1035Label(s) {
            error("spec.service", "\"\(s)\" is not a valid Service name")
        }
        if v >= .v1alpha3, let ms = array(spec, "matches", at: "spec", required: false) {
            for (i, m) in ms.enumerated() {
                let p = "spec.matches[\(i)]"
                guard m.objectValue != nil else {
                    error(p, "must be an object, found \(m.typeName)")
                    continue
                }
                unknownFields(m, allowed: ["kind", "name", "apiGroup"], at: p)
                if m["apiGroup"] != nil { warn("\(p).apiGroup", "apiGroup is not in the CRD schema; the API server drops it") }
                enumValue(m, "kind", at: p, allowed: ["HTTPRouteGroup"], required: true)
                string(m, "name", at: p, required: true)
            }
        }
        guard let bs = array(spec, "backends", at: "spec", required: true) else { return }
        if bs.isEmpty { warn("spec.backends", "no backends: the split routes nothing") }
        for (i, b) in bs.enumerated() {
            let p = "spec.backends[\(i)]"
            guard b.objectValue != nil else {
                error(p, "must be an object, found \(b.typeName)")
                continue
            }
            unknownFields(b, allowed: ["service", "weight"], at: p)
            if let s = string(b, "service", at: p, required: true), !KubeNames.isDNS1035Label(s) {
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
        if v == .v1alpha1 {
            unknownFields(json, allowed: ["apiVersion", "kind", "metadata", "destination", "specs", "sources", "spec", "rules"], at: "")
            if json["spec"] != nil { error("spec", "TrafficTarget v1alpha1 keeps destination, specs and sources at the object root") }
            if json["rules"] != nil { error("rules", "v1alpha1 calls the rule list specs (rules is v1alpha2+)") }
            if let d = object(json, "destination", at: "", required: true) {
                checkIdentity(d, at: "destination", portAllowed: true)
                if d["port"] == nil {
                    warn("destination.port", "port is required by the SDK CRD schema for v1alpha1 (the spec text calls it optional)")
                }
            }
            checkRules(json, "specs", at: "", kinds: ["HTTPRouteGroup", "TCPRoute"], required: false)
            checkSources(json, at: "", required: false)
            return
        }
        unknownFields(json, allowed: ["apiVersion", "kind", "metadata", "spec"], at: "")
        for k in ["destination", "sources", "specs", "rules"] where json[k] != nil {
            error(k, "\(k) belongs under spec since v1alpha2")
        }
        guard let spec = object(json, "spec", at: "", required: true) else { return }
        unknownFields(spec, allowed: ["destination", "rules", "sources"], at: "spec")
        if spec["specs"] != nil { error("spec.specs", "specs was renamed to rules in v1alpha2") }
        if let d = object(spec, "destination", at: "spec", required: true) {
            checkIdentity(d, at: "spec.destination", portAllowed: true)
            if v >= .v1alpha3, d["port"] != nil {
                warn("spec.destination.port", "port was removed in v1alpha3 (the API server drops it); use TCPRoute/UDPRoute ports")
            }
        }
        let kinds = v >= .v1alpha3 ? ["HTTPRouteGroup", "TCPRoute", "UDPRoute"] : ["HTTPRouteGroup", "TCPRoute"]
        checkRules(spec, "rules", at: "spec", kinds: kinds, required: v >= .v1alpha3)
        checkSources(spec, at: "spec", required: v >= .v1alpha3)
    }

    mutating func checkIdentity(_ d: JSON, at p: String, portAllowed: Bool) {
        unknownFields(d, allowed: portAllowed ? ["kind", "name", "namespace", "port"] : ["kind", "name", "namespace"], at: p)
        string(d, "kind", at: p, required: true)
        string(d, "name", at: p, required: true)
        string(d, "namespace", at: p, required: false)
        if let port = d["port"], !port.isNull {
            if let n = port.intValue {
                if n < 1 || n > 65535 { error("\(p).port", "port \(n) is outside 1–65535") }
            } else {
                error("\(p).port", "port must be an integer, found \(port.typeName)")
            }
        }
    }

    mutating func checkRules(_ body: JSON, _ key: String, at base: String, kinds: [String], required: Bool) {
        guard let rules = array(body, key, at: base, required: required) else { return }
        let lp = LintChecker.join(base, key)
        if rules.isEmpty && required { warn(lp, "no rules: the target allows nothing") }
        for (i, r) in rules.enumerated() {
            let p = "\(lp)[\(i)]"
            guard r.objectValue != nil else {
                error(p, "must be an object, found \(r.typeName)")
                continue
            }
            unknownFields(r, allowed: ["kind", "name", "matches"], at: p)
            enumValue(r, "kind", at: p, allowed: kinds, required: true)
            string(r, "name", at: p, required: true)
            stringList(r, "matches", at: p)
        }
    }

    mutating func checkSources(_ body: JSON, at base: String, required: Bool) {
        guard let sources = array(body, "sources", at: base, required: required) else { return }
        let lp = LintChecker.join(base, "sources")
        if sources.isEmpty && required { warn(lp, "no sources: the target allows nothing") }
        for (i, s) in sources.enumerated() {
            guard s.objectValue != nil else {
                error("\(lp)[\(i)]", "must be an object, found \(s.typeName)")
                continue
            }
            checkIdentity(s, at: "\(lp)[\(i)]", portAllowed: false)
        }
    }

    // MARK: HTTPRouteGroup, TCPRoute, UDPRoute

    static let methods = ["*", "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    mutating func checkRouteGroup(_ json: JSON, _ v: SMIVersion) {
        let list: [JSON]?
        let base: String
        if v <= .v1alpha2 {
            unknownFields(json, allowed: ["apiVersion", "kind", "metadata", "matches"], at: "")
            if json["spec"]?["matches"] != nil {
                error("spec.matches", "HTTPRouteGroup \(v.rawValue) keeps matches at the object root (spec.matches is v1alpha3+)")
            }
            base = ""
            list = array(json, "matches", at: "", required: json["spec"]?["matches"] == nil)
        } else {
            unknownFields(json, allowed: ["apiVersion", "kind", "metadata", "spec"], at: "")
            if json["matches"] != nil {
                error("matches", "matches belongs under spec since v1alpha3 (this is the v1alpha2 layout)")
                return
            }
            guard let spec = object(json, "spec", at: "", required: true) else { return }
            unknownFields(spec, allowed: ["matches"], at: "spec")
            base = "spec"
            list = array(spec, "matches", at: "spec", required: true)
        }
        guard let list else { return }
        for (i, m) in list.enumerated() {
            let p = "\(LintChecker.join(base, "matches"))[\(i)]"
            guard m.objectValue != nil else {
                error(p, "must be an object, found \(m.typeName)")
                continue
            }
            unknownFields(m, allowed: ["name", "pathRegex", "methods", "headers"], at: p)
            string(m, "name", at: p, required: true)
            string(m, "pathRegex", at: p, required: false)
            stringList(m, "methods", at: p, allowed: LintChecker.methods)
            switch m["headers"] {
            case .none, .some(.null): break
            case .some(.object):
                error("\(p).headers", "headers must be a list of one-entry maps (- user-agent: \".*\"); the CRD rejects a plain map")
            case .some(.array(let hs)):
                for (j, h) in hs.enumerated() {
                    let hp = "\(p).headers[\(j)]"
                    guard let o = h.objectValue else {
                        error(hp, "must be a map of header name to regex, found \(h.typeName)")
                        continue
                    }
                    if o.count > 1 { warn(hp, "the SMI SDK rejects more than one header per list entry; use one entry per header") }
                    for (k, val) in o where val.stringValue == nil {
                        error("\(hp).\(k)", "header regex must be a string, found \(val.typeName)")
                    }
                }
            case .some(let other):
                error("\(p).headers", "headers must be a list, found \(other.typeName)")
            }
        }
    }

    mutating func checkRoute(_ json: JSON, _ v: SMIVersion) {
        guard v == .v1alpha4 else {
            unknownFields(json, allowed: ["apiVersion", "kind", "metadata", "spec"], at: "")
            if let spec = json["spec"] { unknownFields(spec, allowed: [], at: "spec") }
            return
        }
        unknownFields(json, allowed: ["apiVersion", "kind", "metadata", "spec"], at: "")
        guard let spec = object(json, "spec", at: "", required: true) else { return }
        unknownFields(spec, allowed: ["matches"], at: "spec")
        guard let m = object(spec, "matches", at: "spec", required: true) else { return }
        unknownFields(m, allowed: ["ports", "name"], at: "spec.matches")
        guard let ports = array(m, "ports", at: "spec.matches", required: true) else { return }
        for (i, port) in ports.enumerated() {
            let p = "spec.matches.ports[\(i)]"
            guard let n = port.intValue else {
                error(p, "port must be an integer, found \(port.typeName)")
                continue
            }
            if n < 1 || n > 65535 { error(p, "port \(n) is outside 1–65535") }
        }
    }

    // MARK: metrics (responses, not manifests, but lintable as fixtures)

    mutating func checkMetrics(_ json: JSON, _ kind: SMIKind) {
        if kind == .trafficMetricsList {
            for (i, item) in (array(json, "items", at: "", required: false) ?? []).enumerated() {
                checkMetricsItem(item, at: "items[\(i)]")
            }
        } else {
            checkMetricsItem(json, at: "")
        }
    }

    mutating func checkMetricsItem(_ item: JSON, at base: String) {
        if let e = object(item, "edge", at: base, required: false) {
            enumValue(e, "direction", at: LintChecker.join(base, "edge"), allowed: ["from", "to"], required: true)
        }
        for (i, m) in (array(item, "metrics", at: base, required: false) ?? []).enumerated() {
            let p = "\(LintChecker.join(base, "metrics"))[\(i)]"
            string(m, "name", at: p, required: true)
            guard let val = m["value"] else {
                error("\(p).value", "value is required")
                continue
            }
            do { _ = try Quantity(json: val) } catch { self.error("\(p).value", error.description) }
        }
    }
}
