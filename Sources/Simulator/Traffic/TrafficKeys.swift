import KubeCore

// Identities used by the traffic model and the metrics API. They are plain values so the lead's
// object store can build them from Kubernetes objects without the model knowing about JSON.

/// The workload kinds TrafficMetrics reports on (NOTES.md §4.1).
public enum WorkloadKind: String, Sendable, CaseIterable, Comparable {
    case deployment, daemonset, statefulset

    /// The `kind` of the Kubernetes object (apps/v1).
    public var objectKind: String {
        switch self {
        case .deployment: return "Deployment"
        case .daemonset: return "DaemonSet"
        case .statefulset: return "StatefulSet"
        }
    }

    /// The kind string smi-metrics writes inside TrafficMetrics (note the odd capitalisation).
    public var metricsKind: String {
        switch self {
        case .deployment: return "Deployment"
        case .daemonset: return "Daemonset"
        case .statefulset: return "Statefulset"
        }
    }

    /// The metrics API resource name (`/namespaces/{ns}/deployments`).
    public var resource: String { rawValue + "s" }

    public init?(objectKind: String) {
        guard let k = WorkloadKind.allCases.first(where: { $0.objectKind == objectKind }) else { return nil }
        self = k
    }

    public init?(resource: String) {
        guard let k = WorkloadKind.allCases.first(where: { $0.resource == resource }) else { return nil }
        self = k
    }

    public static func < (a: WorkloadKind, b: WorkloadKind) -> Bool { a.rawValue < b.rawValue }
}

public struct WorkloadRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var kind: WorkloadKind
    public var namespace: String
    public var name: String

    public init(_ kind: WorkloadKind = .deployment, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public static func deployment(_ namespace: String, _ name: String) -> WorkloadRef {
        WorkloadRef(.deployment, namespace: namespace, name: name)
    }

    public static func < (a: WorkloadRef, b: WorkloadRef) -> Bool {
        (a.namespace, a.kind, a.name) < (b.namespace, b.kind, b.name)
    }

    public var description: String { "\(kind.rawValue)/\(namespace)/\(name)" }
}

/// Relative backend weights per split root (the root Service's ObjectRef: every TrafficSplit
/// backend lives in the split's namespace, so the root service is what identifies which traffic
/// a split redirects), in the split's backend order. Weights are plain
/// numbers: a v1alpha1 quantity "900m" is 0.9, a v1alpha2+ integer 90 is 90.
///
/// Weights that apply only to callers in one namespace (a consumer route, NOTES.md §5) sit
/// under `SplitWeights.callerKey(service, callerNamespace:)`: the Service's ref with
/// `@<namespace>` after its name, which no Service can be called ('@' is not allowed in
/// names), so one flat map keeps what the weight history and the samples already use.
public typealias SplitWeights = [ObjectRef: [(service: String, weight: Double)]]

extension Dictionary where Key == ObjectRef, Value == [(service: String, weight: Double)] {
    /// The key of weights for `service` that apply to callers in `callerNamespace` only.
    public static func callerKey(_ service: ObjectRef, callerNamespace: String) -> ObjectRef {
        ObjectRef(namespace: service.namespace, name: service.name + "@" + callerNamespace)
    }

    /// The Service and caller namespace a key names (nil namespace: every caller).
    public static func parseKey(_ key: ObjectRef) -> (service: ObjectRef, callerNamespace: String?) {
        guard let at = key.name.firstIndex(of: "@") else { return (key, nil) }
        return (ObjectRef(namespace: key.namespace, name: String(key.name[..<at])), String(key.name[key.name.index(after: at)...]))
    }

    /// The weights a caller in `callerNamespace` meets at `service`: its namespace's consumer
    /// route where there is one, else the producer's (or split's) for every caller.
    public func forCaller(_ service: ObjectRef, callerNamespace: String) -> Value? {
        if let scoped = self[Self.callerKey(service, callerNamespace: callerNamespace)] { return scoped }
        return self[service]
    }
}

func sameBackends(_ a: [(service: String, weight: Double)]?, _ b: [(service: String, weight: Double)]?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?):
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p.service != q.service || p.weight != q.weight { return false }
        return true
    default: return false
    }
}
