// One model for weighted routing: a TrafficSplit is one list of weighted backends; each rule of
// an HTTPRoute/GRPCRoute (Gateway API or Linkerd policy) is another, split independently of
// the route's other rules. The graph, the tables, the editor and the writes work on this
// model; where the two kinds differ (how weights are bounded and grained, how a write is
// addressed and encoded), it asks the object it came from.

import GatewayAPI
import KubeCore
import SMI

/// What kind of object a split lives in.
public enum SplitKind: Sendable, Hashable, Comparable {
    case trafficSplit
    case route(RouteKind)

    var rank: Int {
        switch self {
        case .trafficSplit: return 0
        case .route(let k): return 1 + (RouteKind.allCases.firstIndex(of: k) ?? 0)
        }
    }
    public static func < (a: SplitKind, b: SplitKind) -> Bool { a.rank < b.rank }

    /// The watched kind the object arrives as.
    public var objectKind: ObjectKind {
        switch self {
        case .trafficSplit: return .trafficSplit
        case .route(let k): return ObjectKind(k)
        }
    }

    /// kubectl's TYPE for the kind.
    public var typeName: String {
        switch self {
        case .trafficSplit: return "trafficsplit"
        case .route(let k): return k.typeName
        }
    }

    /// "TrafficSplit", "HTTPRoute", "GRPCRoute", "HTTPRoute (linkerd)".
    public var label: String {
        switch self {
        case .trafficSplit: return "TrafficSplit"
        case .route(let k): return k.label
        }
    }
}

/// A split's identity: the object and, for a route, the rule.
public struct SplitID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: SplitKind
    public var ref: ObjectRef
    /// The rule's index in `spec.rules`; 0 for a TrafficSplit.
    public var rule: Int

    public init(kind: SplitKind, ref: ObjectRef, rule: Int = 0) {
        self.kind = kind
        self.ref = ref
        self.rule = rule
    }

    public static func trafficSplit(_ ref: ObjectRef) -> SplitID { SplitID(kind: .trafficSplit, ref: ref) }
    public static func trafficSplit(_ namespace: String, _ name: String) -> SplitID {
        SplitID(kind: .trafficSplit, ref: ObjectRef(namespace: namespace, name: name))
    }

    public var namespace: String { ref.namespace }
    public var name: String { ref.name }

    /// "ns/name" for a TrafficSplit (as smitop has always named them, in the session file too);
    /// "httproute/ns/name#1" for a route rule. Never ambiguous: names cannot hold "/" or "#".
    public var key: String {
        switch kind {
        case .trafficSplit: return ref.key
        case .route: return "\(kind.typeName)/\(ref.key)#\(rule)"
        }
    }

    /// The inverse of `key`; nil for text that is neither form.
    public init?(key: String) {
        if let hash = key.lastIndex(of: "#") {
            let head = key[..<hash]
            guard let rule = Int(key[key.index(after: hash)...]), rule >= 0 else { return nil }
            let parts = head.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let k = RouteKind(typeName: parts[0]), !parts[2].isEmpty else { return nil }
            self.init(kind: .route(k), ref: ObjectRef(namespace: parts[1], name: parts[2]), rule: rule)
        } else {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), !(parts.last ?? "").isEmpty else { return nil }
            self.init(kind: .trafficSplit, ref: parts.count == 2 ? ObjectRef(namespace: parts[0], name: parts[1]) : ObjectRef(namespace: "", name: parts[0]))
        }
    }

    public static func < (a: SplitID, b: SplitID) -> Bool {
        if a.ref != b.ref { return a.ref < b.ref }
        if a.kind != b.kind { return a.kind < b.kind }
        return a.rule < b.rule
    }
    public var description: String { key }
}

public struct WeightedSplit: Sendable, Equatable {
    /// The object a split comes from, held by reference: the three rules of a route share one
    /// `Route` instead of a copy each, and a split stays a few words wide in the store's
    /// dictionary of 30,000 rule splits (each held a whole `Route` inline: 23 MB of the
    /// start-up's heap peak on 10,000 three-rule routes, heaptrack).
    enum Source: Sendable, Equatable {
        case smi(Shared<TrafficSplit>)
        case route(Shared<Route>, rule: Int)
    }
    private(set) var source: Source
    /// The split's identity, read from its object rather than stored beside it: the store's
    /// dictionary of 30,000 rule splits holds the id as its key already, and a second copy
    /// in each value (48 bytes in 65,536 buckets) was 3 MB of the start-up's memory. The
    /// name, namespace and kind it is made of never change for a split (a write changes
    /// weights and the resourceVersion only).
    public var id: SplitID {
        switch source {
        case .smi(let s): return .trafficSplit(s.value.meta.namespace ?? "", s.value.meta.name)
        case .route(let r, let rule): return SplitID(kind: .route(r.value.kind), ref: r.value.ref, rule: rule)
        }
    }
    /// The root service's name (in the split's namespace for a TrafficSplit, the parent
    /// Service's for a route). Read from the object, not kept beside it: a copy in each value
    /// of the store's 65,536 split buckets (10,000 three-rule routes) was 1 MB of the
    /// start-up's memory.
    public var service: String {
        switch source {
        case .smi(let s): return s.value.service
        case .route(let r, _):
            // `init` made sure there is a Service parent.
            let route = r.value
            guard let parent = route.parentRefs.first(where: { $0.isService || $0.isDefaultedServiceGroup }) else { return "" }
            let svc = parent.service(routeNamespace: route.namespace)
            return svc.namespace == route.namespace ? svc.name : svc.key
        }
    }
    /// Backend names (a route backend in another namespace reads "ns/name") with weights.
    /// Read from the object, not kept beside it: a list of its own per rule was 3.5 MB of the
    /// start-up's memory on 10,000 three-rule routes (heaptrack), and the object already holds
    /// the same names and weights (`with(weights:)` writes them there).
    public var backends: [Backend] {
        switch source {
        case .smi(let s): return s.value.backends
        case .route(let r, let i):
            let namespace = r.value.namespace
            return r.value.rules[i].backends.map { Backend(service: $0.displayName(routeNamespace: namespace), weight: $0.weight) }
        }
    }

    public init(_ split: TrafficSplit) {
        source = .smi(Shared(split))
    }

    /// A route rule, if the route has a Service parent (a mesh route) and the rule exists.
    public init?(_ route: Route, rule: Int) {
        self.init(Shared(route), rule: rule)
    }

    init?(_ shared: Shared<Route>, rule: Int) {
        let route = shared.value
        guard route.rules.indices.contains(rule), route.isMeshRoute else { return nil }
        source = .route(shared, rule: rule)
    }

    /// Every rule of a route that has backends, as splits.
    public static func rules(of route: Route) -> [WeightedSplit] { rules(of: Shared(route)) }

    /// The same, sharing the store's box of the route.
    static func rules(of shared: Shared<Route>) -> [WeightedSplit] {
        let route = shared.value
        return route.rules.indices.compactMap { i in route.rules[i].backends.isEmpty ? nil : WeightedSplit(shared, rule: i) }
    }

    /// The root Service as an object (a consumer route's parent is in another namespace).
    public var rootRef: ObjectRef {
        switch source {
        case .smi(let s): return ObjectRef(namespace: s.value.meta.namespace ?? "", name: s.value.service)
        case .route(let r, _): return r.value.serviceParents.first.map { $0.service(routeNamespace: r.value.namespace) } ?? r.value.ref
        }
    }

    /// Each backend's Service as an object.
    public var backendRefs: [ObjectRef] {
        switch source {
        case .smi(let s): return s.value.backends.map { ObjectRef(namespace: s.value.meta.namespace ?? "", name: $0.service) }
        case .route(let r, let i): return r.value.rules[i].backends.map { $0.service(routeNamespace: r.value.namespace) }
        }
    }

    /// How many backends the split has (`backends.count`, without making them).
    public var backendCount: Int {
        switch source {
        case .smi(let s): return s.value.backends.count
        case .route(let r, let i): return r.value.rules[i].backends.count
        }
    }

    /// The backends' weights in order: `backends` without the names it formats.
    public var weights: [Weight] {
        switch source {
        case .smi(let s): return s.value.backends.map(\.weight)
        case .route(let r, let i): return r.value.rules[i].backends.map(\.weight)
        }
    }

    /// `analysis.shares`, without the rest of the analysis (what the graph reads of it).
    public var shares: [Fraction?] { SplitAnalysis.shares(ofNanos: weights.map(\.value.nanos)) }

    /// The box of the route the split is a rule of: reading it through `route` copies the
    /// whole route out, which the graph's build did three times per route (perf).
    var routeBox: Shared<Route>? { if case .route(let r, _) = source { return r } else { return nil } }

    public var trafficSplit: TrafficSplit? { if case .smi(let s) = source { return s.value } else { return nil } }
    public var route: Route? { if case .route(let r, _) = source { return r.value } else { return nil } }
    public var isRoute: Bool { route != nil }

    public var meta: ObjectMeta {
        get {
            switch source {
            case .smi(let s): return s.value.meta
            case .route(let r, _): return r.value.meta
            }
        }
        set {
            switch source {
            case .smi(let s):
                var split = s.value
                split.meta = newValue
                source = .smi(Shared(split))
            case .route(let r, let i):
                var route = r.value
                route.meta = newValue
                source = .route(Shared(route), rule: i)
            }
        }
    }

    public var apiVersion: String {
        switch source {
        case .smi(let s): return s.value.apiVersion
        case .route(let r, _): return r.value.apiVersion
        }
    }

    public var controller: ControllerInfo? {
        switch source {
        case .smi(let s): return s.value.controller
        case .route(let r, _): return r.value.controller
        }
    }

    /// The rule's match summary ("all requests", "header x-user=test"), for routes.
    public var ruleSummary: String? {
        guard case .route(let shared, let i) = source else { return nil }
        let r = shared.value
        return (r.rules[i].name.map { "\($0): " } ?? "") + r.rules[i].matchSummary
    }

    /// Whether the mesh took the route (nil for TrafficSplits, which have no status).
    public var acceptance: Acceptance? { route?.acceptance }

    public var weightFormat: WeightFormat {
        switch source {
        case .smi(let s): return s.value.weightFormat
        case .route: return .integer
        }
    }

    public var weightPolicy: WeightPolicy {
        switch source {
        case .smi(let s): return s.value.weightPolicy
        case .route: return .gatewayAPI
        }
    }

    public var analysis: SplitAnalysis {
        switch source {
        case .smi(let s): return s.value.analysis
        case .route:
            let backends = self.backends
            return SplitAnalysis.of(weights: backends.map(\.weight), services: backends.map(\.service), root: service, integerOnly: true)
        }
    }

    /// The same split with new weights (same count and order as `backends`).
    /// Equal in everything a write of this split carries or was warned about: the object's
    /// spec (a route's write carries all of `spec.rules`) and who manages it. A newer version
    /// that differs only in status or bookkeeping (a mesh reporting on a route after every
    /// change) is no one's edit to a draft of it.
    public func sameWrittenContent(as other: WeightedSplit) -> Bool {
        switch (source, other.source) {
        case (.smi(let a), .smi(let b)): return a.value.raw["spec"] == b.value.raw["spec"] && a.value.controller == b.value.controller
        case (.route(let a, let i), .route(let b, let j)):
            return i == j && a.value.raw["spec"] == b.value.raw["spec"] && a.value.controller == b.value.controller
        default: return false
        }
    }

    public func with(weights: [Weight]) -> WeightedSplit {
        precondition(weights.count == backends.count, "one weight per backend")
        var copy = self
        switch source {
        case .smi(let s): copy.source = .smi(Shared(s.value.with(weights: weights)))
        case .route(let r, let i): copy.source = .route(Shared(r.value.with(rule: i, weights: weights)), rule: i)
        }
        return copy
    }

    public func shifting(points: Fraction, to index: Int) throws(WeightEditError) -> WeightedSplit {
        with(weights: try WeightEdits.shifting(backends.map(\.weight), policy: weightPolicy, points: points, to: index))
    }
    public func settingShare(_ percent: Fraction, of index: Int) throws(WeightEditError) -> WeightedSplit {
        with(weights: try WeightEdits.settingShare(backends.map(\.weight), policy: weightPolicy, percent: percent, of: index))
    }
    public func evenSplit() throws(WeightEditError) -> WeightedSplit {
        with(weights: try WeightEdits.evenSplit(backends.map(\.weight), policy: weightPolicy))
    }
    public func promoting(_ index: Int) throws(WeightEditError) -> WeightedSplit {
        with(weights: try WeightEdits.promoting(backends.map(\.weight), policy: weightPolicy, index))
    }

    /// The merge patch a write sends: the whole backend list (TrafficSplit) or the whole
    /// `spec.rules` as read with this rule's weights (route), and the resourceVersion.
    public func weightsMergePatch() -> JSON {
        switch source {
        case .smi(let s): return s.value.weightsMergePatch()
        case .route(let r, _): return r.value.weightsMergePatch()
        }
    }

    public func encode() -> JSON {
        switch source {
        case .smi(let s): return s.value.encode()
        case .route(let r, _): return r.value.encode()
        }
    }

    /// `encode()` with the modelled metadata in full: what a saved draft needs to decode to
    /// the same `controller`.
    public func encodeWithMetadata() -> JSON {
        switch source {
        case .smi(let s): return s.value.encodeWithMetadata()
        case .route(let r, _):
            var out = r.value.encode()
            out["metadata"] = r.value.meta.json
            return out
        }
    }

    /// Decodes what `encodeWithMetadata()` wrote (or a server object) back into the split
    /// `id` names; nil when it is not that kind or the rule is gone.
    public static func decode(_ json: JSON, as id: SplitID) -> WeightedSplit? {
        switch id.kind {
        case .trafficSplit: return (try? TrafficSplit(json: json)).map { WeightedSplit($0) }
        case .route(let k):
            guard let r = try? Route(json: json), r.kind == k else { return nil }
            return WeightedSplit(r, rule: id.rule)
        }
    }

    /// The REST resource a write addresses.
    public var resource: String {
        switch source {
        case .smi: return "trafficsplits"
        case .route(let r, _): return r.value.kind.resource
        }
    }
}

/// An immutable value held by reference: copies of a `WeightedSplit` (and the rules of one
/// route) share it instead of copying it inline. Equal when the values are; the same box is
/// equal without looking.
final class Shared<Value: Sendable & Equatable>: Sendable, Equatable {
    let value: Value
    init(_ value: Value) { self.value = value }
    static func == (a: Shared, b: Shared) -> Bool { a === b || a.value == b.value }
}
