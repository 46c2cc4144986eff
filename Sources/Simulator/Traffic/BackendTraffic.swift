import KubeCore

/// One route backend as a Linkerd proxy counts it: requests a client workload sent to the
/// Service `parent` that the mesh dispatched to the Service `backend` (the parent itself when
/// no split applies). These are the `outbound_http_route_backend_*` series, which is what
/// gives the observed share of each backend next to its configured weight.
public struct BackendEdge: Hashable, Sendable {
    public var from: WorkloadRef
    public var parent: ObjectRef
    public var backend: ObjectRef

    public init(from: WorkloadRef, parent: ObjectRef, backend: ObjectRef) {
        self.from = from
        self.parent = parent
        self.backend = backend
    }
}

extension TrafficModel {
    /// Request counts per route backend over the window, integrated over weight changes
    /// like `sample(window:at:history:)`, with the same noise as the workload edge the
    /// requests end on, so the backend series and the workload edges agree.
    public func backendSample(
        window: Double, at time: Double, history: WeightHistory, degradations overrides: Degradations = [:]
    ) -> [BackendEdge: TrafficStats] {
        var counts: [BackendEdge: (count: Double, target: Int, from: Int)] = [:]
        let degradations = indexedDegradations(overrides)
        var degradedCount: [BackendEdge: Double] = [:]
        for (duration, weights) in history.segments(from: time - max(window, 0), to: time) where duration > 0 {
            let rates = propagate(weights)
            let degraded = degradedNow(degradations, weights: weights)
            for i in workloads.indices {
                let drive = rates.inbound[i] + workloads[i].originRPS
                guard drive > 0 else { continue }
                for call in outCalls[i] {
                    for (backend, share) in backendShares(service: call.service, caller: workloads[i].ref.namespace, weights: weights) {
                        let targets = serviceTargets[backend].filter { $0 != i }
                        guard let first = targets.first else { continue }
                        // Calls to itself are not edges in the workload graph either.
                        let kept = Double(targets.count) / Double(serviceTargets[backend].count)
                        let key = BackendEdge(from: workloads[i].ref, parent: services[call.service].key, backend: services[backend].key)
                        let x = drive * call.calls * share * kept * duration
                        counts[key, default: (0, first, i)].count += x
                        if degraded.contains(first) { degradedCount[key, default: 0] += x }
                    }
                }
            }
        }
        let degradationOf = Dictionary(degradations.map { ($0.index, $0.degradation) }, uniquingKeysWith: { a, _ in a })
        var out: [BackendEdge: TrafficStats] = [:]
        for (k, c) in counts where c.count > 0 {
            let key = SimHash.combine(workloadHash[c.from], workloadHash[c.target])
            out[k] = stats(
                count: c.count, target: c.target, key: key, time: time, hopMs: TrafficModel.hopMs,
                degraded: (degradedCount[k] ?? 0) / c.count, by: degradationOf[c.target])
        }
        return out
    }

    /// The Services a request to service `s` is dispatched to and their shares (summing to 1
    /// over the backends that have workloads), the same rule as `route(service:weights:)`.
    func backendShares(service s: Int, caller: String, weights: SplitWeights) -> [(Int, Double)] {
        let svc = services[s]
        if let backends = weights.forCaller(svc.key, callerNamespace: caller) {
            var live: [(Int, Double)] = []
            for b in backends where b.weight > 0 {
                guard let bi = serviceIndex[ObjectRef(namespace: svc.key.namespace, name: b.service)],
                    !serviceTargets[bi].isEmpty
                else { continue }
                live.append((bi, b.weight))
            }
            // The metrics model above divides by the sum of all positive weights, dropping the
            // share of backends without workloads; do the same so the two agree.
            let sum = backends.reduce(0) { $0 + max(0, $1.weight) }
            if sum > 0 { return live.map { ($0.0, $0.1 / sum) } }
        }
        return serviceTargets[s].isEmpty ? [] : [(s, 1)]
    }
}
