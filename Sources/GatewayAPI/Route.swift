import KubeCore

// Gateway API HTTPRoute/GRPCRoute (gateway.networking.k8s.io v1, v1beta1) and Linkerd's own
// policy.linkerd.io HTTPRoute (v1beta2, v1beta3: the versions with weights) in one model
// (../shared/gateway-api/NOTES.md §1–§4).
//
// As for TrafficSplit, the object read is kept (`raw`) and a write changes weights only: a
// merge patch replaces `spec.rules` wholesale (every list in a route is atomic, §3), so it
// carries every rule, match, filter and unknown field exactly as read, with the weights the
// user chose. Nothing is ever added: Linkerd ignores a route with a field newer than Gateway
// API 1.2.1 (§1), so a field smitop invented could switch a route off.

/// The three route kinds that carry weighted backendRefs.
public enum RouteKind: String, Sendable, CaseIterable, Hashable, Codable {
    case httpRoute
    case grpcRoute
    /// policy.linkerd.io HTTPRoute: same shape as Gateway API's, parentRef group defaults to
    /// policy.linkerd.io; weights exist in v1beta2 and v1beta3 only.
    case linkerdHTTPRoute

    public var group: String {
        switch self {
        case .httpRoute, .grpcRoute: return RouteKind.gatewayGroup
        case .linkerdHTTPRoute: return RouteKind.linkerdGroup
        }
    }
    public static let gatewayGroup = "gateway.networking.k8s.io"
    public static let linkerdGroup = "policy.linkerd.io"

    public var kind: String { self == .grpcRoute ? "GRPCRoute" : "HTTPRoute" }
    public var resource: String { self == .grpcRoute ? "grpcroutes" : "httproutes" }

    /// Versions worth reading, preferred first. Gateway API serves v1 from 1.0 on (v1beta1 for
    /// the CRDs Linkerd 2.15–2.17 accept); Linkerd's policy route has weights from v1beta2.
    public var readableVersions: [String] {
        switch self {
        case .httpRoute: return ["v1", "v1beta1"]
        case .grpcRoute: return ["v1", "v1alpha2"]
        case .linkerdHTTPRoute: return ["v1beta3", "v1beta2"]
        }
    }

    /// How a person types the kind on the command line (kubectl's resource names).
    public var typeName: String {
        switch self {
        case .httpRoute: return "httproute"
        case .grpcRoute: return "grpcroute"
        case .linkerdHTTPRoute: return "httproutes.policy.linkerd.io"
        }
    }

    /// Short label for tables: the Linkerd kind is told apart from Gateway API's.
    public var label: String { self == .linkerdHTTPRoute ? "HTTPRoute (linkerd)" : kind }

    /// "HTTPRoute", "httproute", "httproutes", "httproutes.gateway.networking.k8s.io",
    /// "grpcroute"…, "httproutes.policy.linkerd.io" (kubectl's TYPE forms).
    public init?(typeName raw: String) {
        let t = raw.lowercased()
        let parts = t.split(separator: ".", maxSplits: 1).map(String.init)
        let base = parts[0]
        let group = parts.count > 1 ? parts[1] : nil
        switch base {
        case "httproute", "httproutes":
            switch group {
            case nil, RouteKind.gatewayGroup: self = .httpRoute
            case RouteKind.linkerdGroup: self = .linkerdHTTPRoute
            default: return nil
            }
        case "grpcroute", "grpcroutes":
            guard group == nil || group == RouteKind.gatewayGroup else { return nil }
            self = .grpcRoute
        default: return nil
        }
    }

    /// The kind an object's apiVersion and kind name.
    public init?(apiVersion: String, kind: String) {
        // The first non-empty "/"-separated part, as `split` would give it, read in place:
        // splitting allocated an array and a string per route of a 10,000-route list (perf).
        let group = apiVersion.drop { $0 == "/" }.prefix { $0 != "/" }
        switch kind {
        case "HTTPRoute" where group == RouteKind.gatewayGroup: self = .httpRoute
        case "GRPCRoute" where group == RouteKind.gatewayGroup: self = .grpcRoute
        case "HTTPRoute" where group == RouteKind.linkerdGroup: self = .linkerdHTTPRoute
        default: return nil
        }
    }
}

/// A route that could not be decoded, with the path of the offending value.
public typealias RouteDecodeError = ObjectDecodeError

/// A parentRef or a backendRef's group, as written. `""` and `core` both name the core group
/// (Gateway API writes `""`, Linkerd, Flagger and the Argo plugin write `core`, §4): they
/// compare equal and neither is ever rewritten into the other.
public func isCoreGroup(_ group: String?) -> Bool { group == "" || group == "core" }

public struct ParentRef: Sendable, Equatable, Hashable {
    /// As stored; nil when absent (the API server defaults it, so only hand-written files lack it).
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
    public var port: Int64?
    public var sectionName: String?

    public init(group: String?, kind: String?, name: String, namespace: String? = nil, port: Int64? = nil, sectionName: String? = nil) {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.port = port
        self.sectionName = sectionName
    }

    init(json: JSON) {
        group = json["group"]?.stringValue.map { clean($0) }
        kind = json["kind"]?.stringValue.map { clean($0) }
        name = clean(json["name"]?.stringValue ?? "")
        namespace = json["namespace"]?.stringValue.map { clean($0) }
        port = json["port"]?.intValue
        sectionName = json["sectionName"]?.stringValue.map { clean($0) }
    }

    /// A Service parent: the mesh (GAMMA) attachment. `kind` defaults to Gateway.
    public var isService: Bool { kind == "Service" && (isCoreGroup(group) || group == nil) }

    /// `kind: Service` stored with the Gateway API group: what the API server makes of a Service
    /// parent written without `group` (§4). Some meshes accepted it once; shown as a warning.
    public var isDefaultedServiceGroup: Bool { kind == "Service" && group == RouteKind.gatewayGroup }

    /// The Service this parent names, in the route's namespace unless it says otherwise.
    public func service(routeNamespace: String) -> ObjectRef {
        ObjectRef(namespace: namespace ?? routeNamespace, name: name)
    }

    /// Same parent after normalising the core group and the namespace (§6: status entries echo
    /// `core` or add a namespace the spec omitted).
    public func sameParent(as other: ParentRef, routeNamespace: String) -> Bool {
        let g1 = isCoreGroup(group) ? "" : (group ?? "")
        let g2 = isCoreGroup(other.group) ? "" : (other.group ?? "")
        return g1 == g2 && (kind ?? "") == (other.kind ?? "") && name == other.name
            && (namespace ?? routeNamespace) == (other.namespace ?? routeNamespace) && port == other.port
            && sectionName == other.sectionName
    }

    public var description: String {
        var s = "\(kind ?? "Gateway")/\(name)"
        if let port { s += ":\(port)" }
        return s
    }
}

public struct RouteBackend: Sendable, Equatable {
    public var name: String
    public var namespace: String?
    /// The weight's literal (a JSON number) where `weight` is what decoding makes of it:
    /// every weight read, and every one an edit writes. Empty where `unusual` holds the weight.
    private var weightLiteral: String
    /// `group`, `kind`, `port` and `weightDefaulted` in one word, where group and kind are the
    /// usual ones and the port fits 32 bits (see `Bits`).
    private var bits: UInt64
    /// Group, kind, port and weight where any of them has no place in the fields above.
    private var unusual: Unusual?

    // Why this layout: a mesh of 10,000 three-rule routes holds ~50,000 backends, and with
    // each field inline (two optional strings for group and kind, an optional Int64 port and
    // a `Weight`, whose Int128 aligned it to 16 bytes) a backend was 128 bytes; it is 64.

    final class Unusual: Sendable {
        let group: String?
        let kind: String?
        let port: Int64?
        let weight: Weight
        init(group: String?, kind: String?, port: Int64?, weight: Weight) {
            self.group = group
            self.kind = kind
            self.port = port
            self.weight = weight
        }
    }

    /// Bit layout of `bits`: 0–1 group (nil, "", "core"), 2 kind (nil, "Service"), 3 port
    /// present, 4 weight defaulted, 32–63 port.
    private enum Bits {
        static let groups: [String?] = [nil, "", "core"]
        static let kinds: [String?] = [nil, "Service"]
        static let portPresent: UInt64 = 1 << 3
        static let defaulted: UInt64 = 1 << 4
    }

    init(group: String?, kind: String?, name: String, namespace: String?, port: Int64?, weight: Weight, weightDefaulted: Bool) {
        self.name = name
        self.namespace = namespace
        let g = Bits.groups.firstIndex(of: group)
        let k = Bits.kinds.firstIndex(of: kind)
        var literal: String?
        if case .number(let s) = weight.literal, let v = weight.literal.intValue, weight.value.nanos == Quantity(integer: v).nanos,
            weight.value.format == .decimalSI
        {
            literal = s
        }
        var bits: UInt64 = weightDefaulted ? Bits.defaulted : 0
        // The port's bits; nil where it does not fit them.
        var portBits: UInt64? = 0
        if let port { portBits = UInt32(exactly: port).map { Bits.portPresent | UInt64($0) << 32 } }
        if let g, let k, let portBits, let literal {
            bits |= UInt64(g) | UInt64(k) << 2 | portBits
            self.bits = bits
            weightLiteral = literal
            unusual = nil
        } else {
            self.bits = bits
            weightLiteral = ""
            unusual = Unusual(group: group, kind: kind, port: port, weight: weight)
        }
    }

    public var group: String? {
        get { unusual.map(\.group) ?? Bits.groups[Int(bits & 3)] }
        set { self = RouteBackend(group: newValue, kind: kind, name: name, namespace: namespace, port: port, weight: weight, weightDefaulted: weightDefaulted) }
    }
    public var kind: String? {
        get { unusual.map(\.kind) ?? Bits.kinds[Int(bits >> 2 & 1)] }
        set {
            self = RouteBackend(group: group, kind: newValue, name: name, namespace: namespace, port: port, weight: weight, weightDefaulted: weightDefaulted)
        }
    }
    public var port: Int64? {
        get {
            if let unusual { return unusual.port }
            return bits & Bits.portPresent != 0 ? Int64(bits >> 32) : nil
        }
        set {
            self = RouteBackend(group: group, kind: kind, name: name, namespace: namespace, port: newValue, weight: weight, weightDefaulted: weightDefaulted)
        }
    }
    public var weight: Weight {
        get {
            if let unusual { return unusual.weight }
            let literal = JSON.number(weightLiteral)
            return Weight(value: Quantity(integer: literal.intValue ?? 0), literal: literal)
        }
        set { self = RouteBackend(group: group, kind: kind, name: name, namespace: namespace, port: port, weight: newValue, weightDefaulted: weightDefaulted) }
    }
    /// The weight was absent (it defaults to 1). The API server writes the default into every
    /// stored object, so only files read by `lint` lack it.
    public var weightDefaulted: Bool {
        get { bits & Bits.defaulted != 0 }
        set { bits = newValue ? bits | Bits.defaulted : bits & ~Bits.defaulted }
    }

    public static func == (a: RouteBackend, b: RouteBackend) -> Bool {
        a.name == b.name && a.namespace == b.namespace && a.group == b.group && a.kind == b.kind && a.port == b.port
            && a.weight == b.weight && a.weightDefaulted == b.weightDefaulted
    }

    /// A Service backend: `kind` defaults to Service and `group` to the core group.
    public var isService: Bool { (kind ?? "Service") == "Service" && (group == nil || isCoreGroup(group)) }

    /// The Service this backend sends to; a backendRef without namespace is in the route's.
    public func service(routeNamespace: String) -> ObjectRef {
        ObjectRef(namespace: namespace ?? routeNamespace, name: name)
    }

    /// Name with its namespace where it differs from the route's.
    public func displayName(routeNamespace: String) -> String {
        guard let ns = namespace, ns != routeNamespace else { return name }
        return "\(ns)/\(name)"
    }
}

public struct RouteRule: Sendable, Equatable {
    /// `rules[].name` (standard from Gateway API 1.4; pruned by older CRDs).
    public var name: String?
    /// One line: "all requests", "path /v2 (prefix)", "header x-user=test", "grpc Svc/Method"…
    public var matchSummary: String
    /// No matches, or only the PathPrefix "/" the CRD defaults a rule to.
    public var matchesAll: Bool
    public var backends: [RouteBackend]
    public var filterCount: Int
}

/// One condition of `status.parents[].conditions`.
public struct RouteCondition: Sendable, Equatable {
    public var type: String
    public var status: String
    public var reason: String
    public var message: String
    public var observedGeneration: Int64?
    public var lastTransitionTime: String?

    init(json: JSON) {
        type = clean(json["type"]?.stringValue ?? "", limit: 80)
        status = clean(json["status"]?.stringValue ?? "Unknown", limit: 16)
        reason = clean(json["reason"]?.stringValue ?? "", limit: 80)
        message = clean(json["message"]?.stringValue ?? "", limit: 500)
        observedGeneration = json["observedGeneration"]?.intValue
        lastTransitionTime = json["lastTransitionTime"]?.stringValue.map { clean($0, limit: 40) }
    }
}

public struct RouteParentStatus: Sendable, Equatable {
    public var parentRef: ParentRef
    public var controllerName: String
    public var conditions: [RouteCondition]

    public func condition(_ type: String) -> RouteCondition? { conditions.first { $0.type == type } }
}

/// Whether a mesh took the route, for one parent or summed over all Service parents.
public enum Acceptance: Sendable, Equatable {
    /// Accepted=True by this controller.
    case accepted(controller: String)
    /// Accepted=False: the reason (e.g. RouteReasonConflicted, NoMatchingParent) and message.
    case rejected(reason: String, message: String)
    /// Accepted=Unknown (Pending) or no Accepted condition yet.
    case pending
    /// No status entry for this parent: no implementation took it (§6: "Parent references
    /// that cannot be resolved … will not be added").
    case noController

    public var isAccepted: Bool { if case .accepted = self { return true } else { return false } }

    public var text: String {
        switch self {
        case .accepted: return "Accepted"
        case .rejected(let r, _): return r.isEmpty ? "NotAccepted" : r
        case .pending: return "Pending"
        case .noController: return "NoController"
        }
    }
}

/// After a write: has the mesh taken the new generation?
public enum WriteAcceptance: Sendable, Equatable {
    /// Accepted=True at an observedGeneration that reached the generation written.
    case accepted
    /// Accepted=True but the controller reports no observedGeneration (Linkerd, linkerd2#14964):
    /// "accepted" cannot be tied to this write. `since` is the condition's transition time.
    case acceptedGenerationUnknown(since: String?)
    /// The controller has not caught up to the generation written yet.
    case waiting(observed: Int64?)
    case rejected(reason: String, message: String)
    case noController
}

public struct Route: Sendable, Equatable {
    public var kind: RouteKind
    public var apiVersion: String
    public var meta: ObjectMeta
    public var parentRefs: [ParentRef]
    public var rules: [RouteRule]
    public var parents: [RouteParentStatus]
    /// The object as read; `encode()` starts from it. A slimmed route (what the UI keeps)
    /// holds it as compact JSON text and parses it again only when a write or a draft asks.
    public var raw: JSON {
        get { rawStorage.json }
        set { rawStorage = .tree(newValue) }
    }
    var rawStorage: RawStorage

    public var namespace: String { meta.namespace ?? "" }
    public var ref: ObjectRef { ObjectRef(namespace: namespace, name: meta.name) }
    public var generation: Int64? { meta.generation }

    /// Bounds of the v1.2.1 CRD (§2, §3): more is refused at decode, so that no list from a
    /// hostile object can make a view or a sum grow without bound.
    public static let maximumWeight: Int64 = 1_000_000
    public static let maximumRules = 16
    public static let maximumBackends = 16
    public static let maximumParents = 32

    public init(json: JSON) throws(RouteDecodeError) {
        guard json.objectValue != nil else { throw RouteDecodeError("", "expected an object, found \(json.typeName)") }
        let apiVersion = json["apiVersion"]?.stringValue ?? ""
        let kindName = json["kind"]?.stringValue ?? ""
        guard let kind = RouteKind(apiVersion: apiVersion, kind: kindName) else {
            throw RouteDecodeError("kind", "\(clean(apiVersion)) \(clean(kindName)) is not an HTTPRoute or GRPCRoute")
        }
        if kind == .linkerdHTTPRoute, apiVersion.hasSuffix("/v1alpha1") || apiVersion.hasSuffix("/v1beta1") {
            // Still read (to be shown), but those versions have no weights (§1).
        }
        self.kind = kind
        self.apiVersion = clean(apiVersion)
        meta = ObjectMeta(json: json["metadata"])
        let spec = json["spec"] ?? .object(JSONObject())
        guard spec.objectValue != nil else { throw RouteDecodeError("spec", "expected an object, found \(spec.typeName)") }
        let parentList = spec["parentRefs"]?.arrayValue ?? []
        guard parentList.count <= Route.maximumParents else {
            throw RouteDecodeError("spec.parentRefs", "\(parentList.count) parents; the CRD allows \(Route.maximumParents)")
        }
        parentRefs = parentList.map(ParentRef.init(json:))
        // An HTTPRoute without rules gets one default rule from the CRD; GRPCRoute has none.
        let ruleList: [JSON]
        if let r = spec["rules"] {
            guard let a = r.arrayValue else { throw RouteDecodeError("spec.rules", "expected a list, found \(r.typeName)") }
            ruleList = a
        } else {
            ruleList = []
        }
        guard ruleList.count <= Route.maximumRules else {
            throw RouteDecodeError("spec.rules", "\(ruleList.count) rules; the CRD allows \(Route.maximumRules)")
        }
        // At their size: grown by appending, three rules took room for four (and backends
        // likewise), kept for the life of each of 10,000 routes.
        var rules: [RouteRule] = []
        rules.reserveCapacity(ruleList.count)
        for (i, r) in ruleList.enumerated() {
            rules.append(try Route.decodeRule(r, index: i, kind: kind))
        }
        self.rules = rules
        let statusParents = json[path: "status", "parents"]?.arrayValue ?? []
        parents = statusParents.prefix(Route.maximumParents).map { p in
            RouteParentStatus(
                parentRef: ParentRef(json: p["parentRef"] ?? .null),
                controllerName: clean(p["controllerName"]?.stringValue ?? "", limit: 120),
                conditions: (p["conditions"]?.arrayValue ?? []).prefix(8).map(RouteCondition.init(json:)))
        }
        rawStorage = .tree(json)
    }

    static func decodeRule(_ r: JSON, index i: Int, kind: RouteKind) throws(RouteDecodeError) -> RouteRule {
        guard r.objectValue != nil else { throw RouteDecodeError("spec.rules[\(i)]", "expected an object, found \(r.typeName)") }
        let refs = r["backendRefs"]?.arrayValue ?? []
        guard refs.count <= Route.maximumBackends else {
            throw RouteDecodeError("spec.rules[\(i)].backendRefs", "\(refs.count) backends; the CRD allows \(Route.maximumBackends)")
        }
        var backends: [RouteBackend] = []
        backends.reserveCapacity(refs.count)
        for (j, b) in refs.enumerated() {
            // Only an error needs the path: formatting it for each of 60,000 backends was
            // allocations for nothing (perf, 10,000 three-rule routes).
            var p: String { "spec.rules[\(i)].backendRefs[\(j)]" }
            guard b.objectValue != nil else { throw RouteDecodeError(p, "expected an object, found \(b.typeName)") }
            guard let name = b["name"]?.stringValue else { throw RouteDecodeError("\(p).name", "name is required") }
            var weight = Weight(integer: 1)
            var defaulted = true
            if let w = b["weight"], !w.isNull {
                // int32 in the CRD, 0…1,000,000: anything else is refused here (a problem shown
                // on this route alone), so every sum and share stays far inside Int64.
                guard case .number = w, let v = w.intValue else {
                    throw RouteDecodeError("\(p).weight", "expected an integer, found \(clean(w.compactString, limit: 40))")
                }
                guard v >= 0 && v <= Route.maximumWeight else {
                    throw RouteDecodeError("\(p).weight", "\(v) is outside 0…\(Route.maximumWeight)")
                }
                weight = Weight(value: Quantity(integer: v), literal: w)
                defaulted = false
            }
            backends.append(
                RouteBackend(
                    group: b["group"]?.stringValue.map { clean($0) }, kind: b["kind"]?.stringValue.map { clean($0) },
                    name: clean(name), namespace: b["namespace"]?.stringValue.map { clean($0) }, port: b["port"]?.intValue,
                    weight: weight, weightDefaulted: defaulted))
        }
        let matches = r["matches"]?.arrayValue ?? []
        let summary = MatchSummary.text(matches, kind: kind)
        return RouteRule(
            name: r["name"]?.stringValue.map { clean($0, limit: 63) }, matchSummary: summary.text, matchesAll: summary.matchesAll,
            backends: backends, filterCount: r["filters"]?.arrayValue?.count ?? 0)
    }

    // MARK: which parents and who decides

    /// Service parents: what makes a route a mesh (GAMMA) route.
    public var serviceParents: [ParentRef] { parentRefs.filter { $0.isService || $0.isDefaultedServiceGroup } }

    /// Only Gateway parents: an ingress route, not a mesh route (lint flags it).
    public var isMeshRoute: Bool { !serviceParents.isEmpty }

    /// A consumer route: its parent Service lives in another namespace, so it applies only to
    /// callers in the route's own namespace (§5).
    public func isConsumerRoute(for parent: ParentRef) -> Bool {
        parent.service(routeNamespace: namespace).namespace != namespace
    }

    /// The status entry for a spec parent (group `""` ≡ `core`, namespace unset ≡ route's).
    public func status(for parent: ParentRef) -> RouteParentStatus? {
        parents.first { $0.parentRef.sameParent(as: parent, routeNamespace: namespace) }
    }

    public func acceptance(for parent: ParentRef) -> Acceptance {
        guard let s = status(for: parent) else { return .noController }
        guard let c = s.condition("Accepted") else { return .pending }
        switch c.status {
        case "True": return .accepted(controller: s.controllerName)
        case "False": return .rejected(reason: c.reason, message: c.message)
        default: return .pending
        }
    }

    /// One verdict for the route: rejected or missing anywhere beats accepted everywhere.
    public var acceptance: Acceptance {
        let ps = serviceParents.isEmpty ? parentRefs : serviceParents
        guard !ps.isEmpty else { return .noController }
        let all = ps.map { acceptance(for: $0) }
        if let r = all.first(where: { if case .rejected = $0 { return true } else { return false } }) { return r }
        if all.contains(.noController) { return .noController }
        if all.contains(.pending) { return .pending }
        return all[0]
    }

    /// Has every Service parent's controller taken generation `generation`? Linkerd writes no
    /// observedGeneration (§6), so there the answer is "accepted, generation unknown" — never
    /// a false "applied".
    public func writeAcceptance(generation: Int64) -> WriteAcceptance {
        let ps = serviceParents.isEmpty ? parentRefs : serviceParents
        guard !ps.isEmpty else { return .noController }
        var unknownSince: String?? = nil
        for p in ps {
            guard let s = status(for: p) else { return .noController }
            guard let c = s.condition("Accepted") else { return .waiting(observed: nil) }
            if c.status == "False" { return .rejected(reason: c.reason, message: c.message) }
            guard c.status == "True" else { return .waiting(observed: c.observedGeneration) }
            if let og = c.observedGeneration {
                if og < generation { return .waiting(observed: og) }
            } else {
                unknownSince = .some(c.lastTransitionTime)
            }
        }
        if let since = unknownSince { return .acceptedGenerationUnknown(since: since) }
        return .accepted
    }

    /// Who else writes this route (§8): Flagger owns it by ownerReference; the Argo Rollouts
    /// Gateway API plugin labels it while a canary runs (no ownerReference); Kiali's wizard
    /// labels what it creates; then field managers and GitOps labels as for any object.
    public var controller: ControllerInfo? {
        if let o = meta.ownerReferences.first(where: \.controller) {
            if o.kind == "Canary" && o.apiVersion.hasPrefix("flagger.app") {
                return ControllerInfo(
                    source: .ownerReference, tool: "flagger",
                    detail:
                        "owned by Canary/\(clean(o.name)); it adopts hand-set weights but promotes at once when they are off its step list; suspend the Canary (spec.suspend) to hold it"
                )
            }
        }
        if let v = meta.labels[Route.argoCanaryLabel] {
            return ControllerInfo(
                source: .fieldManager, tool: "argo-rollouts",
                detail: "\(Route.argoCanaryLabel)=\(clean(v)): the Gateway API plugin overwrites hand-set weights at its next reconcile (15 minutes at most)")
        }
        if let v = meta.labels["kiali_wizard"] {
            return ControllerInfo(source: .fieldManager, tool: "kiali", detail: "kiali_wizard=\(clean(v)): created by Kiali's wizard")
        }
        return meta.controller
    }
    public static let argoCanaryLabel = "rollouts.argoproj.io/gatewayapi-canary"

    /// The name of the Flagger Canary that owns the route, if any (its `spec.suspend` is the
    /// safe lever).
    public var flaggerCanary: String? {
        meta.ownerReferences.first { $0.controller && $0.kind == "Canary" && $0.apiVersion.hasPrefix("flagger.app") }?.name
    }

    // MARK: shares and writes

    /// weight ÷ rule total per backend; nil where the rule's total is 0 (it routes nothing).
    public func shares(rule i: Int) -> [Fraction?] {
        guard rules.indices.contains(i) else { return [] }
        let ws = rules[i].backends.map { Int128(max(0, $0.weight.value.nanos)) }
        let total = ws.reduce(0, +)
        return ws.map { total > 0 ? Fraction($0, total) : nil }
    }

    /// Finds a rule by index ("0") or name; an ambiguous or unknown name lists the candidates.
    public func ruleIndex(_ selector: String?) -> Result<Int, RouteDecodeError> {
        guard let selector else {
            if rules.count == 1 { return .success(0) }
            let weighted = rules.indices.filter { rules[$0].backends.count > 1 }
            if weighted.count == 1 { return .success(weighted[0]) }
            return .failure(RouteDecodeError("", "the route has \(rules.count) rules; choose one with --rule (\(ruleCandidates))"))
        }
        if let i = Int(selector) {
            guard rules.indices.contains(i) else { return .failure(RouteDecodeError("", "no rule \(i); the route has \(ruleCandidates)")) }
            return .success(i)
        }
        let named = rules.indices.filter { rules[$0].name == selector }
        if named.count == 1 { return .success(named[0]) }
        if named.isEmpty { return .failure(RouteDecodeError("", "no rule named \(clean(selector)); the route has \(ruleCandidates)")) }
        return .failure(
            RouteDecodeError("", "\(named.count) rules are named \(clean(selector)) (\(named.map(String.init).joined(separator: ", "))); choose one by index"))
    }

    var ruleCandidates: String {
        rules.indices.map { i in
            let r = rules[i]
            return "\(i)" + (r.name.map { " \"\($0)\"" } ?? "") + ": " + r.matchSummary
        }.joined(separator: "; ")
    }

    /// The same route with new weights for rule `i` (one per backend, in order).
    public func with(rule i: Int, weights: [Weight]) -> Route {
        precondition(rules.indices.contains(i) && weights.count == rules[i].backends.count, "one weight per backend")
        var copy = self
        for j in weights.indices where weights[j] != copy.rules[i].backends[j].weight {
            copy.rules[i].backends[j].weight = weights[j]
            copy.rules[i].backends[j].weightDefaulted = false
        }
        return copy
    }

    /// `raw` with the current weights written in: only `weight` values change, and a weight is
    /// added only where the user changed a backend whose weight was absent.
    public func encode() -> JSON {
        let raw = self.raw  // parsed once when kept as text
        guard var rulesJSON = raw[path: "spec", "rules"]?.arrayValue, rulesJSON.count == rules.count else { return raw }
        for i in rules.indices {
            guard var refs = rulesJSON[i]["backendRefs"]?.arrayValue, refs.count == rules[i].backends.count else { continue }
            var changed = false
            for j in refs.indices {
                let b = rules[i].backends[j]
                if b.weightDefaulted { continue }
                if refs[j]["weight"] != b.weight.literal {
                    refs[j]["weight"] = b.weight.literal
                    changed = true
                }
            }
            if changed { rulesJSON[i]["backendRefs"] = .array(refs) }
        }
        var out = raw
        var spec = raw["spec"] ?? .object(JSONObject())
        spec["rules"] = .array(rulesJSON)
        out["spec"] = spec
        return out
    }

    /// A JSON merge patch writing the current weights: the whole `spec.rules` (lists are atomic
    /// and a merge patch replaces arrays, §3) exactly as read except for weights, plus the
    /// resourceVersion read, so a concurrent writer makes the server answer 409.
    public func weightsMergePatch() -> JSON {
        var patch = JSONObject()
        if let rv = meta.resourceVersion { patch["metadata"] = ["resourceVersion": .string(rv)] }
        patch["spec"] = ["rules": encode()[path: "spec", "rules"] ?? .array([])]
        return .object(patch)
    }
}

/// A route's identity: the same name may be an HTTPRoute, a GRPCRoute and a Linkerd HTTPRoute.
public struct RouteID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: RouteKind
    public var ref: ObjectRef
    public init(kind: RouteKind, ref: ObjectRef) {
        self.kind = kind
        self.ref = ref
    }
    public static func < (a: RouteID, b: RouteID) -> Bool {
        a.ref != b.ref ? a.ref < b.ref : a.kind.rawValue < b.kind.rawValue
    }
    /// kubectl's `TYPE/NAMESPACE/NAME` spelling.
    public var description: String { "\(kind.typeName)/\(ref.key)" }
}

extension Route {
    public var id: RouteID { RouteID(kind: kind, ref: ref) }

    /// The route as a UI holding ten thousand of them keeps it (as `TrafficSplit.slimmed()`):
    /// `raw` reduced to apiVersion, kind, the identifying metadata and the spec (what
    /// `encode()` and `weightsMergePatch()` read; status is already decoded into `parents`),
    /// metadata reduced to the evidence `controller` is decided by.
    public func slimmed() -> Route {
        var copy = self
        var meta = self.meta.keepingControllerEvidence()
        for key in [Route.argoCanaryLabel, "kiali_wizard"] { if let v = self.meta.labels[key] { meta.labels[key] = v } }
        meta.generation = self.meta.generation
        copy.meta = meta
        var m = JSONObject()
        m["name"] = .string(self.meta.name)
        if let ns = self.meta.namespace { m["namespace"] = .string(ns) }
        if let rv = self.meta.resourceVersion { m["resourceVersion"] = .string(rv) }
        if let g = self.meta.generation { m["generation"] = .int(g) }
        var o = JSONObject()
        if let v = raw["apiVersion"] { o["apiVersion"] = v }
        if let v = raw["kind"] { o["kind"] = v }
        o["metadata"] = .object(m)
        if let spec = raw["spec"] { o["spec"] = spec }
        // Packed into an array of its own size (the writer's buffer grows by doubling).
        copy.rawStorage = .text(RouteText.pack(JSON.object(o).serialized()))
        return copy
    }
}

/// How a route keeps the object it was read from.
///
/// Why text: a UI holding ten thousand routes reads their specs only to write one of them
/// back, yet as trees (an ordered object per match, header and backendRef) those specs were
/// ~45 MB of a start-up's heap on 10,000 three-rule routes (heaptrack); as compact text they
/// are ~9 MB. The text is the tree's own serialization, so parsing it gives back the same
/// tree, every unknown field and number literal included: a write still carries `spec.rules`
/// exactly as read. The text is kept packed (`RouteText`): the fragments every route repeats
/// as a byte each, about a third of the text's bytes on such routes.
enum RawStorage: Sendable, Equatable {
    case tree(JSON)
    case text([UInt8])

    var json: JSON {
        switch self {
        case .tree(let j): return j
        case .text(let packed):
            // Written by `serialized()` in this process from a parsed tree: it parses back.
            return (try? JSON.parse(RouteText.unpack(packed))) ?? .null
        }
    }

    static func == (a: RawStorage, b: RawStorage) -> Bool {
        switch (a, b) {
        // Same text, same tree; different text may still be the same tree (key order), which
        // only costs a change notice.
        case (.text(let x), .text(let y)): return x == y || a.json == b.json
        default: return a.json == b.json
        }
    }
}

extension Route {
    /// What the spec says that an operator should know before trusting the route's weights,
    /// each at the path it concerns: the warnings `lint` prints and `routes` lists (one
    /// definition, so the two never disagree).
    public var specProblems: [(path: String, message: String)] {
        var out: [(path: String, message: String)] = []
        if !isMeshRoute {
            out.append(("spec.parentRefs", "no Service parent: a Gateway route, not a mesh (GAMMA) route; mesh tools ignore it"))
        }
        for (i, p) in parentRefs.enumerated() where p.isDefaultedServiceGroup {
            out.append(
                (
                    "spec.parentRefs[\(i)].group",
                    "a Service parent with group \(RouteKind.gatewayGroup) (what a parent written without group becomes): meshes expect \"\" or core"
                ))
        }
        for (i, rule) in rules.enumerated() {
            if rule.backends.count == 1 && rule.backends[0].weight.value.nanos == 0 {
                out.append(("spec.rules[\(i)].backendRefs[0].weight", "the only backend has weight 0"))
            } else if !rule.backends.isEmpty && shares(rule: i).allSatisfy({ $0 == nil }) {
                out.append(("spec.rules[\(i)].backendRefs", "every weight is 0: the rule routes nothing (implementations differ on what that means)"))
            }
        }
        return out
    }
}
