import Foundation
import KubeCore
import Prometheus
import Synchronization

/// The simulated pods' proxies as a Prometheus sees them: per pod, cumulative counters and
/// histograms in the metric names and labels of Linkerd's proxy (`request_total`,
/// `response_total`, `response_latency_ms`, `outbound_http_route_backend_*`) and of Istio's
/// Envoy (`istio_requests_total`, `istio_request_duration_milliseconds`), written by
/// swift-prometheus.
///
/// Why counters are accumulated, not computed: Prometheus reads rates from increases of
/// monotonic counters. The traffic model's windows carry noise that depends on the window's
/// end, so "everything since start" evaluated afresh could go down between scrapes, which
/// Prometheus takes for a counter reset. Instead every scrape first adds the model's counts
/// for the time since the previous advance; increments are never negative.
///
/// Counts are kept fractional and exported as whole requests (the floor), as a proxy counts.
/// Each whole request is also one histogram observation, drawn from the model's latency
/// distribution along a low-discrepancy sequence, so `histogram_quantile` over the buckets
/// gives the model's quantiles and `_count` equals the responses counted.
final class ProxyMetrics: Sendable {
    /// Linkerd proxy `response_latency_ms` bounds (as its /metrics lists them).
    static let linkerdLatencyBucketsMs: [Double] = [
        1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000,
    ]
    /// Linkerd's route families (`outbound_http_route_*_duration_seconds`).
    static let routeBucketsSeconds: [Double] = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 10]
    /// Envoy's default histogram bounds, which Istio's `istio_request_duration_milliseconds` uses.
    static let istioBucketsMs: [Double] = [
        0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
    ]
    /// Whole-request observations recorded per series per advance at most: a bound on the work
    /// a scrape can cause on a huge generated mesh (counters stay exact beyond it; only the
    /// histogram takes fewer samples of the same distribution).
    static let maxObservationsPerAdvance = 5_000
    /// Scrapes closer together than this share one advance.
    static let minStep = 0.25

    struct CounterAcc {
        let counter: Counter
        var value = 0.0
    }

    struct HistogramAcc {
        let histogram: ValueHistogram
        var u = 0.5
        var v = 0.5
    }

    /// One pod's series, one registry per style (each is its own scrape endpoint).
    struct PodState {
        let linkerd = PrometheusCollectorRegistry()
        let istio = PrometheusCollectorRegistry()
        var counters: [String: CounterAcc] = [:]
        var histograms: [String: HistogramAcc] = [:]
    }

    struct State {
        var last: Double
        var pods: [String: PodState] = [:]
    }

    let style: PrometheusStyle
    let state: Mutex<State>

    init(style: PrometheusStyle, start: Double) {
        self.style = style
        state = Mutex(State(last: start))
    }

    /// What the advance needs to know about the cluster besides the model.
    struct Cluster {
        var snapshot: MetricsSnapshot
        /// The first port of each Service (for `authority`, `parent_port`, `backend_port`).
        var ports: [ObjectRef: Int]
        /// A Service that selects each workload (Istio's `destination_service`).
        var serviceOf: [WorkloadRef: ObjectRef]
    }

    /// Brings every pod's counters to `now`, then returns the pod's exposition in `style`
    /// (nil for a pod the cluster does not hold).
    func scrape(
        namespace: String, pod: String, style wanted: PrometheusStyle, now: Double, model: TrafficModel, cluster: () -> Cluster
    )
        -> String?
    {
        state.withLock { s in
            if now - s.last >= Self.minStep {
                advance(&s, to: now, model: model, cluster: cluster())
            } else if s.pods.isEmpty {
                // Nothing advanced yet: still learn which pods exist.
                advance(&s, to: s.last, model: model, cluster: cluster())
            }
            guard let p = s.pods["\(namespace)/\(pod)"] else { return nil }
            return wanted == .istio ? p.istio.emitToString() : p.linkerd.emitToString()
        }
    }

    func advance(_ s: inout State, to now: Double, model: TrafficModel, cluster: Cluster) {
        let snapshot = cluster.snapshot
        // Pods that went away lose their series (a new pod of the same name starts at zero,
        // which Prometheus reads as a counter reset, as it would for a restarted proxy).
        var live = Set<String>()
        for (ref, pods) in snapshot.workloads { for p in pods { live.insert("\(ref.namespace)/\(p)") } }
        for k in s.pods.keys where !live.contains(k) { s.pods[k] = nil }
        for k in live where s.pods[k] == nil { s.pods[k] = PodState() }

        let window = min(now - s.last, snapshot.weights.retention)
        s.last = now
        guard window > 0 else { return }
        let sample = model.sample(window: window, at: now, history: snapshot.weights)

        func eachPod(of ref: WorkloadRef, _ stats: TrafficStats, _ body: (inout PodState, TrafficStats) -> Void) {
            for (pod, share) in MetricsAPI.podShares(snapshot.workloads[ref] ?? []) {
                let key = "\(ref.namespace)/\(pod)"
                guard s.pods[key] != nil else { continue }
                body(&s.pods[key]!, stats.scaled(by: share))
            }
        }

        if style.contains(.linkerd) {
            for (ref, stats) in sample.inbound where snapshot.workloads[ref] != nil {
                eachPod(of: ref, stats) { p, st in Self.linkerdRequests(&p, base: Self.linkerdInbound, stats: st) }
            }
            for (edge, stats) in sample.edges where snapshot.workloads[edge.from] != nil {
                let base = Self.linkerdOutbound(to: edge.to)
                eachPod(of: edge.from, stats) { p, st in Self.linkerdRequests(&p, base: base, stats: st) }
            }
            for (b, stats) in model.backendSample(window: window, at: now, history: snapshot.weights)
            where snapshot.workloads[b.from] != nil {
                let base = Self.routeLabels(b, ports: cluster.ports)
                eachPod(of: b.from, stats) { p, st in Self.routeRequests(&p, base: base, stats: st) }
            }
        }
        if style.contains(.istio) {
            var meshedInbound: [WorkloadRef: TrafficStats] = [:]
            for (edge, stats) in sample.edges {
                meshedInbound[edge.to, default: TrafficStats()].add(stats)
                let labels = { (reporter: String) in
                    Self.istioLabels(reporter: reporter, source: edge.from, destination: edge.to, service: cluster.serviceOf[edge.to])
                }
                if snapshot.workloads[edge.from] != nil {
                    let base = labels("source")
                    eachPod(of: edge.from, stats) { p, st in Self.istioRequests(&p, base: base, stats: st) }
                }
                if snapshot.workloads[edge.to] != nil {
                    let base = labels("destination")
                    eachPod(of: edge.to, stats) { p, st in Self.istioRequests(&p, base: base, stats: st) }
                }
            }
            // What arrived from outside the mesh (an ingress): no source workload to name.
            for (ref, stats) in sample.inbound where snapshot.workloads[ref] != nil {
                let meshed = meshedInbound[ref] ?? TrafficStats()
                let success = max(0, stats.success - meshed.success)
                let failure = max(0, stats.failure - meshed.failure)
                guard success + failure > 0 else { continue }
                let outside = TrafficStats(success: success, failure: failure, latency: stats.latency)
                let base = Self.istioLabels(reporter: "destination", source: nil, destination: ref, service: cluster.serviceOf[ref])
                eachPod(of: ref, outside) { p, st in Self.istioRequests(&p, base: base, stats: st) }
            }
        }
    }

    // MARK: label sets (the label names real proxies write; values from the simulated cluster)

    static let linkerdInbound: [(String, String)] = [
        ("direction", "inbound"), ("tls", "true"), ("srv_kind", "default"), ("srv_name", "all-unauthenticated"),
    ]

    static func linkerdOutbound(to t: WorkloadRef) -> [(String, String)] {
        [
            ("direction", "outbound"), ("tls", "true"),
            ("server_id", "\(t.name).\(t.namespace).serviceaccount.identity.linkerd.cluster.local"),
            ("dst_control_plane_ns", "linkerd"), ("dst_\(t.kind.rawValue)", t.name), ("dst_namespace", t.namespace),
            ("dst_serviceaccount", t.name),
        ]
    }

    static func routeLabels(_ b: BackendEdge, ports: [ObjectRef: Int]) -> [(String, String)] {
        [
            ("parent_group", "core"), ("parent_kind", "Service"), ("parent_namespace", b.parent.namespace),
            ("parent_name", b.parent.name), ("parent_port", String(ports[b.parent] ?? 80)), ("parent_section_name", ""),
            ("route_group", ""), ("route_kind", "default"), ("route_namespace", ""), ("route_name", "http"),
            ("backend_group", "core"), ("backend_kind", "Service"), ("backend_namespace", b.backend.namespace),
            ("backend_name", b.backend.name), ("backend_port", String(ports[b.backend] ?? 80)), ("backend_section_name", ""),
        ]
    }

    static func istioLabels(reporter: String, source: WorkloadRef?, destination d: WorkloadRef, service: ObjectRef?) -> [(String, String)] {
        let src = source?.name ?? "unknown"
        let srcNS = source?.namespace ?? "unknown"
        let svc = service ?? ObjectRef(namespace: d.namespace, name: d.name)
        return [
            ("reporter", reporter), ("source_workload", src), ("source_canonical_service", src),
            ("source_canonical_revision", "latest"), ("source_workload_namespace", srcNS),
            ("source_principal", source.map { "spiffe://cluster.local/ns/\($0.namespace)/sa/\($0.name)" } ?? "unknown"),
            ("source_app", src), ("source_version", "unknown"), ("source_cluster", source == nil ? "unknown" : "Kubernetes"),
            ("destination_workload", d.name), ("destination_workload_namespace", d.namespace),
            ("destination_principal", "spiffe://cluster.local/ns/\(d.namespace)/sa/\(d.name)"), ("destination_app", d.name),
            ("destination_version", ""), ("destination_service", "\(svc.name).\(svc.namespace).svc.cluster.local"),
            ("destination_canonical_service", d.name), ("destination_canonical_revision", "latest"),
            ("destination_service_name", svc.name), ("destination_service_namespace", svc.namespace),
            ("destination_cluster", "Kubernetes"), ("request_protocol", "http"),
        ]
    }

    // MARK: families

    static var requestTotal: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "request_total", unitName: "", helpText: "Total count of HTTP requests.")
    }
    static var responseTotal: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "response_total", unitName: "", helpText: "Total count of HTTP responses.")
    }
    static var responseLatency: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "response_latency_ms", unitName: "",
            helpText: "Elapsed times between a request's headers being received and its response stream completing")
    }
    static var backendRequests: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "outbound_http_route_backend_requests_total", unitName: "", helpText: "The total number of requests dispatched.")
    }
    static var backendStatuses: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "outbound_http_route_backend_response_statuses_total", unitName: "", helpText: "Completed responses.")
    }
    static var backendDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "outbound_http_route_backend_response_duration_seconds", unitName: "",
            helpText: "The time between request completion and response completion.")
    }
    static var istioRequestsTotal: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "istio_requests_total", unitName: "", helpText: "")
    }
    static var istioDuration: MetricNameDescriptor {
        MetricNameDescriptor(metricName: "istio_request_duration_milliseconds", unitName: "", helpText: "")
    }

    static func linkerdRequests(_ p: inout PodState, base: [(String, String)], stats: TrafficStats) {
        _ = add(&p, p.linkerd, requestTotal, base, stats.total)
        for (code, cls, count) in [("200", "success", stats.success), ("500", "failure", stats.failure)] {
            let n = add(&p, p.linkerd, responseTotal, base + [("status_code", code), ("classification", cls)], count)
            observe(&p, p.linkerd, responseLatency, base + [("status_code", code)], linkerdLatencyBucketsMs, n, stats.latency, scale: 1)
        }
    }

    static func routeRequests(_ p: inout PodState, base: [(String, String)], stats: TrafficStats) {
        _ = add(&p, p.linkerd, backendRequests, base, stats.total)
        var n = 0
        for (code, count) in [("200", stats.success), ("500", stats.failure)] {
            n += add(&p, p.linkerd, backendStatuses, base + [("http_status", code), ("error", "")], count)
        }
        observe(&p, p.linkerd, backendDuration, base, routeBucketsSeconds, n, stats.latency, scale: 0.001)
    }

    static func istioRequests(_ p: inout PodState, base: [(String, String)], stats: TrafficStats) {
        for (code, count) in [("200", stats.success), ("503", stats.failure)] {
            let labels = base + [("response_code", code), ("grpc_response_status", ""), ("response_flags", "-"), ("connection_security_policy", "mutual_tls")]
            let n = add(&p, p.istio, istioRequestsTotal, labels, count)
            observe(&p, p.istio, istioDuration, labels, istioBucketsMs, n, stats.latency, scale: 1)
        }
    }

    static func key(_ name: String, _ labels: [(String, String)]) -> String {
        var k = name
        for (n, v) in labels { k += "\u{1}\(n)\u{2}\(v)" }
        return k
    }

    /// Adds a fractional count; returns how many whole requests that completed.
    static func add(
        _ p: inout PodState, _ registry: PrometheusCollectorRegistry, _ d: MetricNameDescriptor, _ labels: [(String, String)],
        _ amount: Double
    ) -> Int {
        guard amount.isFinite, amount > 0 else { return 0 }
        let k = key(d.name, labels)
        var acc = p.counters[k] ?? CounterAcc(counter: registry.makeCounter(descriptor: d, labels: labels))
        let before = acc.value.rounded(.down)
        acc.value += amount
        let n = Int(saturating: acc.value.rounded(.down) - before)
        if n > 0 { acc.counter.increment(by: Int64(n)) }
        p.counters[k] = acc
        return n
    }

    /// Records `n` observations of `latency` (in ms, times `scale` for the family's unit).
    static func observe(
        _ p: inout PodState, _ registry: PrometheusCollectorRegistry, _ d: MetricNameDescriptor, _ labels: [(String, String)],
        _ buckets: [Double], _ n: Int, _ latency: LatencyDistribution, scale: Double
    ) {
        let k = key(d.name, labels)
        var acc = p.histograms[k] ?? HistogramAcc(histogram: registry.makeValueHistogram(descriptor: d, labels: labels, buckets: buckets))
        let components = latency.components.filter { $0.weight > 0 && $0.medianMs > 0 }
        let total = components.reduce(0) { $0 + $1.weight }
        if total > 0 {
            for _ in 0..<min(n, maxObservationsPerAdvance) {
                // Two irrational strides (golden ratio, plastic number) walk the quantile and
                // the mixture component evenly, so a few hundred draws already match the model.
                acc.u = (acc.u + 0.618_033_988_749_895).truncatingRemainder(dividingBy: 1)
                acc.v = (acc.v + 0.754_877_666_246_693).truncatingRemainder(dividingBy: 1)
                var pick = acc.v * total
                var c = components[components.count - 1]
                for comp in components {
                    if pick < comp.weight {
                        c = comp
                        break
                    }
                    pick -= comp.weight
                }
                let q = min(max(acc.u, 1e-6), 1 - 1e-6)
                let ms = c.medianMs * exp(c.sigma * LatencyDistribution.normalQuantile(q))
                if ms.isFinite { acc.histogram.record(ms * scale) }
            }
        }
        p.histograms[k] = acc
    }
}
