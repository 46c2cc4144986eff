import KubeCore
import SMI

/// What the metrics API needs to know about the cluster at request time, filled by the server
/// from its object store: which namespaces, workloads and pods exist (metrics are only
/// reported for objects that exist, like smi-metrics joining Prometheus series with the
/// cluster) and the split weight history that drives the traffic model.
public struct MetricsSnapshot: Sendable {
    public var namespaces: [String]
    /// Pods per workload, in the order they should be listed.
    public var workloads: [WorkloadRef: [String]]
    public var weights: WeightHistory
    /// Per workload whose pod count changed since start: pods now over pods then (the traffic
    /// model's load factor). Absent means unchanged.
    public var capacity: [WorkloadRef: Double] = [:]
    /// Degradations switched on as faults, over the scenario's own (the traffic model's).
    public var degradations: Degradations = [:]
    /// The store's resourceVersion the snapshot was built at (-1: not built from the store);
    /// the simulator's traffic sample cache is keyed on it.
    public var resourceVersion = -1

    public init(namespaces: [String], workloads: [WorkloadRef: [String]], weights: WeightHistory) {
        self.namespaces = namespaces
        self.workloads = workloads
        self.weights = weights
    }

    /// Builds the snapshot from stored objects (Namespaces, Deployments, DaemonSets,
    /// StatefulSets, Pods; anything else is ignored). A pod belongs to the workload in its
    /// namespace whose `spec.selector.matchLabels` its labels satisfy.
    public init(objects: some Sequence<JSON>, weights: WeightHistory) {
        var namespaces: [String] = []
        var workloads: [WorkloadRef: [String]] = [:]
        var selectors: [String: [(WorkloadRef, [(String, String)])]] = [:]
        var pods: [(ns: String, name: String, labels: JSONObject)] = []
        for obj in objects {
            guard let kind = obj["kind"]?.stringValue, let name = obj[path: "metadata", "name"]?.stringValue else { continue }
            let ns = obj[path: "metadata", "namespace"]?.stringValue ?? ""
            if kind == "Namespace" {
                namespaces.append(name)
            } else if kind == "Pod" {
                pods.append((ns, name, obj[path: "metadata", "labels"]?.objectValue ?? JSONObject()))
            } else if let wk = WorkloadKind(objectKind: kind) {
                let ref = WorkloadRef(wk, namespace: ns, name: name)
                workloads[ref] = []
                var sel: [(String, String)] = []
                for (k, v) in obj[path: "spec", "selector", "matchLabels"]?.objectValue ?? JSONObject() {
                    if let s = v.stringValue { sel.append((k, s)) }
                }
                // An empty selector matches nothing here: apps/v1 requires one, and matching
                // every pod would double-count.
                if !sel.isEmpty { selectors[ns, default: []].append((ref, sel)) }
            }
        }
        for pod in pods {
            for (ref, sel) in selectors[pod.ns] ?? [] where sel.allSatisfy({ pod.labels[$0.0]?.stringValue == $0.1 }) {
                workloads[ref, default: []].append(pod.name)
                break
            }
        }
        self.init(namespaces: namespaces, workloads: workloads, weights: weights)
    }
}
