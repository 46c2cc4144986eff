import GatewayAPI
import KubeCore
import SMI

/// Split weights over time, so a sample can integrate traffic across weight changes inside
/// its window (see `TrafficModel`). The store records a change whenever a TrafficSplit is
/// created, updated or deleted; the metrics API reads it.
///
/// Times are seconds (any epoch, as long as it matches the `at:` of samples). Changes must
/// arrive in time order; an earlier time is clamped to the latest one so the log stays sorted.
public struct WeightHistory: Sendable {
    struct Change: Sendable {
        var time: Double
        var key: ObjectRef
        var backends: [(service: String, weight: Double)]?
    }

    /// The weights in force before the first retained change.
    private(set) var baseline: SplitWeights
    private(set) var log: [Change] = []
    /// Weights after the newest change, for diffing in `observe`.
    public private(set) var current: SplitWeights
    /// How much history is kept; longer `t=` windows see the oldest kept weights throughout.
    public var retention: Double

    public init(initial: SplitWeights = [:], retention: Double = 3600) {
        baseline = initial
        current = initial
        self.retention = retention
    }

    /// Records the weights of one split root from `time` on; nil removes the split.
    public mutating func set(_ key: ObjectRef, backends: [(service: String, weight: Double)]?, at time: Double) {
        guard !sameBackends(current[key], backends) else { return }
        let t = max(time, log.last?.time ?? -Double.infinity)
        log.append(Change(time: t, key: key, backends: backends))
        current[key] = backends
        prune(before: t - retention)
    }

    /// Records every difference between `weights` (all splits now) and the current state,
    /// e.g. after recomputing `TrafficModel.activeWeights(splits:)` from the store.
    public mutating func observe(_ weights: SplitWeights, at time: Double) {
        for key in current.keys.sorted() where weights[key] == nil { set(key, backends: nil, at: time) }
        for key in weights.keys.sorted() { set(key, backends: weights[key], at: time) }
    }

    /// Folds changes older than `time` into the baseline.
    public mutating func prune(before time: Double) {
        var n = 0
        while n < log.count, log[n].time < time {
            baseline[log[n].key] = log[n].backends
            n += 1
        }
        if n > 0 { log.removeFirst(n) }
    }

    /// The weights in force at `time` (changes at exactly `time` included).
    public func weights(at time: Double) -> SplitWeights {
        var w = baseline
        for c in log {
            if c.time > time { break }
            w[c.key] = c.backends
        }
        return w
    }

    /// [from, to] cut at every change, with the weights in force in each piece.
    func segments(from: Double, to: Double) -> [(duration: Double, weights: SplitWeights)] {
        guard to > from else { return [] }
        var cuts = [from]
        for c in log where c.time > from && c.time < to && c.time != cuts.last { cuts.append(c.time) }
        cuts.append(to)
        var out: [(duration: Double, weights: SplitWeights)] = []
        var w = weights(at: from)
        var next = log.firstIndex(where: { $0.time > from }) ?? log.count
        for i in 0..<(cuts.count - 1) {
            while next < log.count, log[next].time <= cuts[i] {
                w[log[next].key] = log[next].backends
                next += 1
            }
            out.append((cuts[i + 1] - cuts[i], w))
        }
        return out
    }
}

extension TrafficModel {
    /// The weights in force per root Service, in the mesh's order of precedence:
    /// 1. a Linkerd ServiceProfile for the Service (named `<svc>.<ns>.svc.<domain>`) with
    ///    `dstOverrides`: those weights; one with `routes` only sends to the Service itself.
    ///    Either way no route applies (NOTES.md §7). The one in the Service's namespace decides
    ///    for every caller that has none in its own namespace; one in a caller's namespace
    ///    decides for that namespace's callers (`ProfileIndex`), under `SplitWeights.callerKey`.
    ///    Only the Linkerd profiles serve ServiceProfiles.
    /// 2. a TrafficSplit (on Linkerd, linkerd-smi turns it into exactly such a profile);
    /// 3. routes the mesh accepted, by their default rule (the one that takes all requests;
    ///    header and path rules carry only the requests that match them, which the model does
    ///    not generate): producer routes for every caller, and a consumer route (in another
    ///    namespace than its Service) for the callers in its own namespace only (§5), under
    ///    `SplitWeights.callerKey`. Several routes of one kind: the name that sorts first.
    public static func activeWeights(
        splits: some Sequence<JSON>, routes: some Sequence<JSON>, profiles: some Sequence<JSON> = [JSON]()
    ) -> SplitWeights {
        let fromSplits = activeWeights(splits: splits)
        var chosen: [ObjectRef: (name: String, backends: [(service: String, weight: Double)])] = [:]
        for obj in routes {
            guard let route = try? Route(json: obj) else { continue }
            guard let rule = route.rules.first(where: \.matchesAll), !rule.backends.isEmpty else { continue }
            for parent in route.serviceParents where route.acceptance(for: parent).isAccepted {
                let service = parent.service(routeNamespace: route.namespace)
                if fromSplits[service] != nil { continue }
                let key = route.isConsumerRoute(for: parent) ? SplitWeights.callerKey(service, callerNamespace: route.namespace) : service
                if let existing = chosen[key], existing.name <= route.meta.name { continue }
                // Backends in the Service's namespace: the model routes within it.
                let backends = rule.backends.filter { $0.isService && ($0.namespace ?? route.namespace) == service.namespace }
                    .map { (service: $0.name, weight: $0.weight.value.doubleValue) }
                chosen[key] = (route.meta.name, backends)
            }
        }
        var out = fromSplits
        for (k, v) in chosen { out[k] = v.backends }
        let index = ProfileIndex(profiles.compactMap { try? ServiceProfile(json: $0) })
        /// A profile's dstOverrides as backends in the Service's namespace (the model routes
        /// within it); nil for one with routes only (requests go to the Service itself).
        func backends(_ p: ServiceProfile, _ service: ObjectRef) -> [(service: String, weight: Double)]? {
            guard !p.dstOverrides.isEmpty else { return nil }
            return p.dstOverrides.compactMap { d -> (service: String, weight: Double)? in
                guard let s = d.service, s.namespace == service.namespace else { return nil }
                return (service: s.name, weight: d.weight ?? 0)
            }
        }
        if !index.server.isEmpty {
            for key in Array(out.keys) {
                let (service, caller) = SplitWeights.parseKey(key)
                guard let p = index.server[service] else { continue }
                // Routes give way to the profile; a TrafficSplit does too where the profile
                // has its own dstOverrides (the split is kept under a profile with routes only).
                if caller != nil || chosen[key] != nil || backends(p, service) != nil { out[key] = nil }
            }
            for (service, p) in index.server { if let b = backends(p, service) { out[service] = b } }
        }
        // A profile in a caller's namespace takes the Service's place for those callers: its own
        // dstOverrides (or the Service itself, for one with routes only), over a TrafficSplit
        // too (linkerd-smi carries that in the Service's profile, which this one hides). An
        // empty one only hides the Service's profile: the routes decide for them, or a
        // TrafficSplit (which the model applies directly, as if linkerd-smi ran).
        for (service, byNamespace) in index.callers {
            for (ns, p) in byNamespace {
                let key = SplitWeights.callerKey(service, callerNamespace: ns)
                if p.overridesRoutes {
                    out[key] = backends(p, service) ?? []
                } else if index.server[service] != nil {
                    out[key] = chosen[key]?.backends ?? chosen[service]?.backends ?? fromSplits[service] ?? []
                }
            }
        }
        return out
    }

    /// The weights of TrafficSplit objects of any version. When several splits name the same
    /// root service the mesh's choice is unspecified; we take the one whose name sorts first
    /// (deterministic, and documented for users of the simulator).
    public static func activeWeights(splits: some Sequence<JSON>) -> SplitWeights {
        var chosen: [ObjectRef: (name: String, backends: [(service: String, weight: Double)])] = [:]
        for obj in splits {
            guard obj["kind"]?.stringValue == "TrafficSplit",
                let ns = obj[path: "metadata", "namespace"]?.stringValue,
                let name = obj[path: "metadata", "name"]?.stringValue,
                let root = obj[path: "spec", "service"]?.stringValue
            else { continue }
            let key = ObjectRef(namespace: ns, name: root)
            if let existing = chosen[key], existing.name <= name { continue }
            var backends: [(service: String, weight: Double)] = []
            for b in obj[path: "spec", "backends"]?.arrayValue ?? [] {
                guard let svc = b["service"]?.stringValue else { continue }
                backends.append((svc, b["weight"].flatMap(splitWeightValue) ?? 0))
            }
            chosen[key] = (name, backends)
        }
        return chosen.mapValues(\.backends)
    }

    /// A weight as a number through the exact Kubernetes quantity parser (the one in
    /// KubeCore), so v1alpha1 strings ("900m" = 0.9, "1k" = 1000) and v1alpha2+ numbers read
    /// alike and a hostile "1e-9223372036854775808" is refused instead of looping or trapping.
    static func splitWeightValue(_ v: JSON) -> Double? {
        guard let q = try? Quantity(json: v) else { return nil }
        let d = q.doubleValue
        return d.isFinite ? d : nil
    }

    /// Quantity text as a number (metric values in tests and the traffic model).
    static func quantityValue(_ text: String) -> Double? { splitWeightValue(.string(text)) }
}
