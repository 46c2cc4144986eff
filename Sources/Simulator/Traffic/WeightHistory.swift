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
    /// The weights the mesh applies, from TrafficSplit objects of any version. When several
    /// splits name the same root service the mesh's choice is unspecified; we take the one
    /// whose name sorts first (deterministic, and documented for users of the simulator).
    /// The weights in force per root Service: TrafficSplits first (on Linkerd, linkerd-smi
    /// turns a split into a ServiceProfile with dstOverrides, which takes precedence over any
    /// HTTPRoute, NOTES.md §7), then producer routes the mesh accepted, by their default rule
    /// (the one that takes all requests; header and path rules carry only the requests that
    /// match them, which the model does not generate). Consumer routes (another namespace's
    /// callers) are not modelled: every caller sees the producer's weights.
    public static func activeWeights(splits: some Sequence<JSON>, routes: some Sequence<JSON>) -> SplitWeights {
        var out = activeWeights(splits: splits)
        var chosen: [ObjectRef: (name: String, backends: [(service: String, weight: Double)])] = [:]
        for obj in routes {
            guard let route = try? Route(json: obj) else { continue }
            guard let rule = route.rules.first(where: \.matchesAll), !rule.backends.isEmpty else { continue }
            for parent in route.serviceParents where !route.isConsumerRoute(for: parent) && route.acceptance(for: parent).isAccepted {
                let key = parent.service(routeNamespace: route.namespace)
                if out[key] != nil && chosen[key] == nil { continue }
                if let existing = chosen[key], existing.name <= route.meta.name { continue }
                let backends = rule.backends.filter { $0.isService && ($0.namespace ?? route.namespace) == route.namespace }
                    .map { (service: $0.name, weight: $0.weight.value.doubleValue) }
                chosen[key] = (route.meta.name, backends)
                out[key] = backends
            }
        }
        return out
    }

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
