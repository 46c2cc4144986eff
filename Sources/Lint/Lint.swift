import GatewayAPI
import KubeCore
import SMI

// `smitop lint`: checks SMI and Gateway API manifests the way the API server (the real CRD
// schemas, per version, the same ones the simulator serves) and the meshes reading them
// would, before they are applied. SMILint.swift and RouteLint.swift hold the per-family
// checks; this file the report, the input handling and the checker's primitives.
//
// Severity policy, chosen as an operator would want CI to behave, the same for both families:
// * error = `kubectl apply` fails (schema violations; unknown fields, which kubectl's default
//   strict field validation refuses, and which the API server would otherwise drop), or the
//   mesh cannot act on it predictably: string or fractional weights in v1alpha2+ (Go clients
//   fail to decode them), negative weights, duplicate backends (meshes disagree on whether
//   they add up or the last one wins), unknown kind or version, wrong layout for the version.
// * warning = accepted and deterministic but probably not what was meant: all weights zero
//   (the spec uses 0 to pre-create a split, so it is legal, but nothing is split), the root
//   service listed as its own backend (spec advises against it), no backends.
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
    case .trafficMetrics, .trafficMetricsList: c.checkMetrics(json, kind)
    default: c.checkSMIManifest(json, kind, version)
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
    /// Paths a layout slip explains, with everything under them (see SMILint.swift).
    var slips: [String] = []

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

    mutating func enumValue(_ obj: JSON, _ key: String, at base: String, allowed: [String], required: Bool) {
        guard let s = string(obj, key, at: base, required: required) else { return }
        if !allowed.contains(s) {
            error(LintChecker.join(base, key), "\(key) must be one of \(allowed.joined(separator: ", ")), found \(s)")
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
