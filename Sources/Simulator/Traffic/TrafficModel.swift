import Foundation
import KubeCore

/// How one workload behaves when it receives requests.
public struct WorkloadTraffic: Sendable, Equatable {
    public var ref: WorkloadRef
    /// Fraction of inbound requests that succeed, 0...1.
    public var successRate: Double
    public var latencyMedianMs: Double
    /// Standard deviation of ln(latency); 0.3–0.7 looks like real services.
    public var latencySigma: Double
    /// Requests per second arriving from outside the mesh (an ingress); counted as inbound
    /// with no peer workload, exactly like unmeshed traffic in Linkerd.
    public var ingressRPS: Double
    /// Requests per second the workload originates itself (a load generator such as
    /// bookbuyer). It has no inbound traffic of its own, so the metrics API reports it idle.
    public var originRPS: Double
    /// Position in the call graph: calls only go to workloads of a higher layer, which is
    /// what lets one pass in layer order propagate every rate.
    public var layer: Int
    /// How it gets worse when it takes a larger share of its traffic (a scenario's canary).
    public var degradation: Degradation?

    public init(
        ref: WorkloadRef, successRate: Double, latencyMedianMs: Double, latencySigma: Double,
        ingressRPS: Double = 0, originRPS: Double = 0, layer: Int, degradation: Degradation? = nil
    ) {
        self.degradation = degradation
        self.ref = ref
        self.successRate = successRate
        self.latencyMedianMs = latencyMedianMs
        self.latencySigma = latencySigma
        self.ingressRPS = ingressRPS
        self.originRPS = originRPS
        self.layer = layer
    }
}

/// A Service and the workloads its selector picks (in its namespace).
public struct ServiceTraffic: Sendable, Equatable {
    public var key: ObjectRef
    public var workloads: [WorkloadRef]

    public init(key: ObjectRef, workloads: [WorkloadRef]) {
        self.key = key
        self.workloads = workloads
    }
}

/// A call-graph edge: every request `from` handles (or originates) causes `callsPerRequest`
/// requests to the Service `to`.
public struct CallTraffic: Sendable, Equatable {
    public var from: WorkloadRef
    public var to: ObjectRef
    public var callsPerRequest: Double

    public init(from: WorkloadRef, to: ObjectRef, callsPerRequest: Double) {
        self.from = from
        self.to = to
        self.callsPerRequest = callsPerRequest
    }
}

/// Request counts and latencies for one workload's inbound traffic or one edge over a window.
/// Counts are fractional, like Prometheus `increase()`.
public struct TrafficStats: Sendable, Equatable {
    public var success: Double
    public var failure: Double
    public var latency: LatencyDistribution

    public init(success: Double = 0, failure: Double = 0, latency: LatencyDistribution = LatencyDistribution()) {
        self.success = success
        self.failure = failure
        self.latency = latency
    }

    public var total: Double { success + failure }
    public var successRate: Double? { total > 0 ? success / total : nil }
    public var p50: Double? { latency.p50 }
    public var p90: Double? { latency.p90 }
    public var p99: Double? { latency.p99 }

    public mutating func add(_ other: TrafficStats) {
        success += other.success
        failure += other.failure
        latency.merge(other.latency)
    }

    /// A proportional share (pods of a workload).
    public func scaled(by f: Double) -> TrafficStats {
        TrafficStats(success: success * f, failure: failure * f, latency: latency.scaled(by: f))
    }
}

/// What the mesh did during one window ending at `time`. Idle workloads and edges without
/// traffic have no entry, the way Prometheus has no series for them.
public struct TrafficSample: Sendable {
    public var time: Double
    public var window: Double
    public var inbound: [WorkloadRef: TrafficStats]
    public var edges: [ObjectEdge<WorkloadRef>: TrafficStats]

    public init(time: Double, window: Double, inbound: [WorkloadRef: TrafficStats], edges: [ObjectEdge<WorkloadRef>: TrafficStats]) {
        self.time = time
        self.window = window
        self.inbound = inbound
        self.edges = edges
    }
}

/// The simulator's traffic: ingress load flows down a layered call graph; at a Service that is
/// the root of a TrafficSplit it is divided among the backends' workloads by the split's
/// weights in force at each moment.
///
/// Window integration: `sample(window:at:history:)` cuts [t − window, t] at every recorded
/// weight change and adds rate × duration per segment, which is what Prometheus'
/// `increase(counter[window])` sees after a change. So a sample taken a full window after a
/// change reflects only the new weights, and one taken sooner shows the honest blend.
/// `sample(window:at:weights:)` treats the given weights as constant over the whole window.
///
/// Noise: every count and latency is multiplied by a smooth, seeded factor within ±5 % that
/// depends on the entity and the window's end time only, so repeated polls at the same
/// instant agree, and live numbers drift over seconds.
///
/// Not modelled (by choice): backends that name a Service with no workloads lose their share
/// (real proxies fail those requests, but there is no destination workload to report);
/// deleting a workload does not reroute traffic.
///
/// Replicas: `capacity` (a workload's pods over the pods it started with; absent means 1)
/// scales how loaded it is. Latency follows a queue's growth (the workload runs at 40 %
/// utilisation as created: half the pods nearly triples the median, a third of them sheds load),
/// requests beyond what the pods can take fail, and a workload without pods fails everything.
public struct TrafficModel: Sendable {
    public let seed: UInt64
    public let workloads: [WorkloadTraffic]
    public let services: [ServiceTraffic]
    public let calls: [CallTraffic]
    /// The weights of the scenario's splits as created; seed a `WeightHistory` with these.
    public let defaultWeights: SplitWeights
    /// The scenario's load-dependent degradations (from its workloads); samples take
    /// overrides on top (the simulator's faults).
    public let degradations: Degradations

    /// Relative amplitude of the count and latency noise.
    public static let noise = 0.05
    /// Client-side latency adds the proxy and network hop to the server's latency.
    static let hopMs = 0.7

    // Dense indexes so a 10,000-workload sample is a few array passes.
    let workloadIndex: [WorkloadRef: Int]
    let serviceIndex: [ObjectRef: Int]
    let serviceTargets: [[Int]]
    let outCalls: [[(service: Int, calls: Double)]]
    let order: [Int]
    let workloadHash: [UInt64]

    public init(
        seed: UInt64, workloads: [WorkloadTraffic], services: [ServiceTraffic], calls: [CallTraffic],
        defaultWeights: SplitWeights = [:]
    ) {
        self.seed = seed
        self.workloads = workloads
        self.services = services
        self.calls = calls
        self.defaultWeights = defaultWeights
        var deg = Degradations()
        for w in workloads { if let d = w.degradation { deg[w.ref] = d } }
        degradations = deg
        var wi: [WorkloadRef: Int] = [:]
        wi.reserveCapacity(workloads.count)
        for (i, w) in workloads.enumerated() where wi[w.ref] == nil { wi[w.ref] = i }
        var si: [ObjectRef: Int] = [:]
        si.reserveCapacity(services.count)
        for (i, s) in services.enumerated() where si[s.key] == nil { si[s.key] = i }
        serviceTargets = services.map { s in s.workloads.compactMap { wi[$0] } }
        var out = [[(service: Int, calls: Double)]](repeating: [], count: workloads.count)
        for c in calls {
            guard let f = wi[c.from], let s = si[c.to], c.callsPerRequest > 0 else { continue }
            out[f].append((s, c.callsPerRequest))
        }
        outCalls = out
        order = workloads.indices.sorted { (workloads[$0].layer, $0) < (workloads[$1].layer, $1) }
        workloadHash = workloads.map { SimHash.of($0.ref.description, seed: seed) }
        workloadIndex = wi
        serviceIndex = si
    }

    public func traffic(of ref: WorkloadRef) -> WorkloadTraffic? {
        workloadIndex[ref].map { workloads[$0] }
    }

    /// Samples with `weights` constant over the whole window. `degradations` override the
    /// scenario's per workload (a fault; a no-op degradation switches the scenario's off).
    public func sample(
        window: Double, at time: Double, weights: SplitWeights, capacity: [WorkloadRef: Double] = [:], degradations: Degradations = [:]
    ) -> TrafficSample {
        sample(window: window, at: time, segments: [(max(window, 0), weights)], capacity: capacity, degradations: degradations)
    }

    /// Samples integrating over the weight changes recorded in `history` during the window.
    public func sample(
        window: Double, at time: Double, history: WeightHistory, capacity: [WorkloadRef: Double] = [:], degradations: Degradations = [:]
    ) -> TrafficSample {
        sample(
            window: window, at: time, segments: history.segments(from: time - max(window, 0), to: time), capacity: capacity,
            degradations: degradations)
    }

    /// Utilisation of every workload at the replica count it was created with.
    static let baseUtilisation = 0.4

    /// Latency factor and the fraction of requests shed for a workload at `capacity` times its
    /// original replicas (1 at 1; NaN and negatives count as no pods).
    static func load(capacity: Double) -> (latency: Double, shed: Double) {
        guard capacity.isFinite, capacity > 0 else { return (1, 1) }
        let rho = baseUtilisation / capacity
        let latency = (1 - baseUtilisation) / max(0.05, 1 - rho)
        return (latency, rho > 1 ? 1 - 1 / rho : 0)
    }

    func sample(
        window: Double, at time: Double, segments: [(duration: Double, weights: SplitWeights)], capacity: [WorkloadRef: Double] = [:],
        degradations overrides: Degradations = [:]
    ) -> TrafficSample {
        let n = workloads.count
        var inboundCount = [Double](repeating: 0, count: n)
        var edgeCount: [UInt64: Double] = [:]
        // The part of each count that arrived while its target was degraded (segments differ
        // in weights, so in shares).
        let degradations = indexedDegradations(overrides)
        var degradedInbound: [Int: Double] = [:]
        var degradedEdge: [UInt64: Double] = [:]
        for (duration, weights) in segments where duration > 0 {
            let rates = propagate(weights)
            for i in 0..<n where rates.inbound[i] > 0 { inboundCount[i] += rates.inbound[i] * duration }
            for (k, r) in rates.edges { edgeCount[k, default: 0] += r * duration }
            let degraded = degradedNow(degradations, weights: weights)
            guard !degraded.isEmpty else { continue }
            for i in degraded where rates.inbound[i] > 0 { degradedInbound[i, default: 0] += rates.inbound[i] * duration }
            for (k, r) in rates.edges where degraded.contains(Int(k & 0xFFFF_FFFF)) { degradedEdge[k, default: 0] += r * duration }
        }
        let degradationOf = Dictionary(degradations.map { ($0.index, $0.degradation) }, uniquingKeysWith: { a, _ in a })

        var inbound: [WorkloadRef: TrafficStats] = [:]
        for i in 0..<n where inboundCount[i] > 0 {
            let w = workloads[i]
            inbound[w.ref] = stats(
                count: inboundCount[i], target: i, key: workloadHash[i], time: time, hopMs: 0, capacity: capacity[w.ref] ?? 1,
                degraded: (degradedInbound[i] ?? 0) / inboundCount[i], by: degradationOf[i])
        }
        var edges: [ObjectEdge<WorkloadRef>: TrafficStats] = [:]
        edges.reserveCapacity(edgeCount.count)
        for (k, c) in edgeCount where c > 0 {
            let f = Int(k >> 32)
            let t = Int(k & 0xFFFF_FFFF)
            let key = SimHash.combine(workloadHash[f], workloadHash[t])
            edges[ObjectEdge(from: workloads[f].ref, to: workloads[t].ref)] =
                stats(
                    count: c, target: t, key: key, time: time, hopMs: TrafficModel.hopMs, capacity: capacity[workloads[t].ref] ?? 1,
                    degraded: (degradedEdge[k] ?? 0) / c, by: degradationOf[t])
        }
        return TrafficSample(time: time, window: window, inbound: inbound, edges: edges)
    }

    /// `degraded` is the fraction of `count` that arrived while `degradation` was in force
    /// (0 leaves the numbers exactly as without one).
    func stats(
        count: Double, target: Int, key: UInt64, time: Double, hopMs: Double, capacity: Double = 1, degraded: Double = 0,
        by degradation: Degradation? = nil
    ) -> TrafficStats {
        let w = workloads[target]
        let amp = TrafficModel.noise
        let total = count * (1 + amp * SimHash.smooth(key ^ 0x11, time: time))
        // Failures wobble more than volume (±15 % of the failure rate) so success rates move too.
        var failRate = min(1, max(0, (1 - w.successRate) * (1 + 0.15 * SimHash.smooth(key ^ 0x22, time: time, period: 17))))
        let load = capacity == 1 ? (latency: 1.0, shed: 0.0) : TrafficModel.load(capacity: capacity)
        failRate = min(1, failRate + load.shed * (1 - failRate))
        let jitter = 1 + amp * SimHash.smooth(key ^ 0x33, time: time, period: 13)
        let median = (w.latencyMedianMs * load.latency + hopMs) * jitter
        guard let d = degradation, degraded.isFinite, degraded > 0 else {
            return TrafficStats(
                success: total * (1 - failRate), failure: total * failRate,
                latency: LatencyDistribution(medianMs: median, sigma: w.latencySigma, weight: total))
        }
        let part = min(1, degraded)
        failRate = min(1, failRate + part * d.errors * (1 - failRate))
        // The degraded requests are slower; a window that straddles the step is a mixture.
        var latency = LatencyDistribution(medianMs: median, sigma: w.latencySigma, weight: total * (1 - part))
        latency.add(.init(weight: total * part, medianMs: (w.latencyMedianMs * load.latency * d.latencyFactor + hopMs) * jitter, sigma: w.latencySigma))
        return TrafficStats(success: total * (1 - failRate), failure: total * failRate, latency: latency)
    }

    /// Steady-state request rates for fixed weights: inbound per workload and per edge
    /// (edge key = from << 32 | to).
    func propagate(_ weights: SplitWeights) -> (inbound: [Double], edges: [UInt64: Double]) {
        let n = workloads.count
        var rate = [Double](repeating: 0, count: n)
        for i in 0..<n { rate[i] = workloads[i].ingressRPS }
        var edges: [UInt64: Double] = [:]
        var routes = [[(Int, Double)]?](repeating: nil, count: services.count)
        // Services with consumer routes: where a request goes depends on the caller's namespace,
        // so those are worked out per call, not cached per Service.
        let perCaller = Set(weights.keys.compactMap { SplitWeights.parseKey($0).callerNamespace == nil ? nil : SplitWeights.parseKey($0).service })
        for i in order {
            let drive = rate[i] + workloads[i].originRPS
            guard drive > 0 else { continue }
            for call in outCalls[i] {
                let route: [(Int, Double)]
                if !perCaller.isEmpty, perCaller.contains(services[call.service].key) {
                    route = self.route(service: call.service, caller: workloads[i].ref.namespace, weights: weights)
                } else if let r = routes[call.service] {
                    route = r
                } else {
                    route = self.route(service: call.service, weights: weights)
                    routes[call.service] = route
                }
                let r = drive * call.calls
                for (t, share) in route where t != i {
                    let x = r * share
                    rate[t] += x
                    edges[UInt64(i) << 32 | UInt64(t), default: 0] += x
                }
            }
        }
        return (rate, edges)
    }

    /// Where requests to a Service end up: its own selector's workloads evenly, or, when it is
    /// the root of a split with a positive weight sum, each backend's workloads in proportion
    /// to the backend's weight.
    func route(service s: Int, caller: String? = nil, weights: SplitWeights) -> [(Int, Double)] {
        let svc = services[s]
        if let backends = caller.map({ weights.forCaller(svc.key, callerNamespace: $0) }) ?? weights[svc.key] {
            let sum = backends.reduce(0) { $0 + max(0, $1.weight) }
            if sum > 0 {
                var out: [(Int, Double)] = []
                for b in backends where b.weight > 0 {
                    guard let bi = serviceIndex[ObjectRef(namespace: svc.key.namespace, name: b.service)] else { continue }
                    let targets = serviceTargets[bi]
                    guard !targets.isEmpty else { continue }
                    let share = b.weight / sum / Double(targets.count)
                    for t in targets { out.append((t, share)) }
                }
                return out
            }
        }
        let targets = serviceTargets[s]
        guard !targets.isEmpty else { return [] }
        return targets.map { ($0, 1 / Double(targets.count)) }
    }
}
