import Foundation
import KubeCore
import Prometheus
import Synchronization

/// The simulated pods' proxies as a Prometheus sees them: per pod, cumulative counters and
/// histograms in the metric names and labels of Linkerd's proxy (`request_total`,
/// `response_total`, `response_latency_ms`, `outbound_http_route_backend_*`) and of Istio's
/// Envoy (`istio_requests_total`, `istio_request_duration_milliseconds`).
///
/// Why counters are accumulated, not computed: Prometheus reads rates from increases of
/// monotonic counters. The traffic model's windows carry noise that depends on the window's
/// end, so "everything since start" evaluated afresh could go down between scrapes, which
/// Prometheus takes for a counter reset. Instead every scrape first adds the model's counts
/// for the time since the previous advance; increments are never negative.
///
/// Counts are kept fractional and exported as whole requests (the floor), as a proxy counts.
/// Counters are swift-prometheus'; the histograms are written here (`histogramText`), each
/// bucket receiving the expected share of the same counts from the model's latency CDF, so a
/// scrape costs the same at 1 rps and at 100,000, and `_count` equals the responses counted.
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
    /// Scrapes closer together than this share one advance.
    static let minStep = 0.25

    struct CounterAcc: Sendable {
        let counter: Counter
        var value = 0.0
    }

    /// A histogram series written by hand (see `observe`): swift-prometheus' histograms take
    /// one observation at a time, which costs as much as the traffic it simulates.
    struct HistogramAcc: Sendable {
        /// The family's name and HELP text.
        let name: String
        let help: String
        let style: PrometheusStyle
        let labels: [(String, String)]
        let bounds: [Double]
        var cumulative: [Double]
        var sum = 0.0
        var count = 0.0

        init(family: MetricNameDescriptor, style: PrometheusStyle, labels: [(String, String)], bounds: [Double]) {
            name = family.name
            help = family.helpText ?? ""
            self.style = style
            self.labels = labels
            self.bounds = bounds
            cumulative = [Double](repeating: 0, count: bounds.count)
        }
    }

    /// One pod's series, one registry per style (each is its own scrape endpoint).
    struct PodState: Sendable {
        let linkerd = PrometheusCollectorRegistry()
        let istio = PrometheusCollectorRegistry()
        var counters: [String: CounterAcc] = [:]
        var histograms: [String: HistogramAcc] = [:]
    }

    struct State {
        var last: Double
        /// How long the latest advance took (seconds).
        var advanceSeconds = 0.0
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
        let (pod, asOf): (PodState?, Double) = state.withLock { s in
            // On a large mesh an advance takes a while (every pod's series) and every scrape
            // waits for the lock meanwhile: advances are spaced at least five times their own
            // cost apart, so the lock is free most of the time whatever the number of targets.
            if now - s.last >= max(Self.minStep, 5 * s.advanceSeconds) {
                let started = ContinuousClock.now
                advance(&s, to: now, model: model, cluster: cluster())
                let took = ContinuousClock.now - started
                s.advanceSeconds = Double(took.components.seconds) + Double(took.components.attoseconds) * 1e-18
            } else if s.pods.isEmpty {
                // Nothing advanced yet: still learn which pods exist.
                advance(&s, to: s.last, model: model, cluster: cluster())
            }
            return (s.pods["\(namespace)/\(pod)"], s.last)
        }
        // Written outside the lock (a copy of the pod's state; the registries lock
        // themselves), so concurrent scrapes of other pods do not queue behind the text.
        guard let p = pod else { return nil }
        let text = (wanted == .istio ? p.istio.emitToString() : p.linkerd.emitToString()) + Self.histogramText(p, style: wanted)
        return Self.stamped(text, at: asOf)
    }

    /// Every sample stamped with the instant its counters were advanced to (the exposition
    /// format's optional timestamp, in milliseconds). A real proxy's counters are current when
    /// scraped; these are as of the last advance, which lags the scrape by up to five times the
    /// advance's cost — seconds on a loaded machine — and Prometheus, stamping them with the
    /// scrape's own time, then computed rates 30–50 % off in a loaded test run. With the
    /// stamp, `rate()` and `increase()` see the simulated traffic exactly.
    static func stamped(_ text: String, at seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return text }
        let ms = " " + String(Int64(saturating: (seconds * 1000).rounded()))
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.isEmpty || line.hasPrefix("#") ? String(line) : line + ms }
            .joined(separator: "\n")
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
        let sample = model.sample(window: window, at: now, history: snapshot.weights, degradations: snapshot.degradations)
        let backend =
            style.contains(.linkerd)
            ? model.backendSample(window: window, at: now, history: snapshot.weights, degradations: snapshot.degradations) : [:]

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
            for (b, stats) in backend
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
            _ = add(&p, p.linkerd, responseTotal, base + [("status_code", code), ("classification", cls)], count)
            observe(&p, style: .linkerd, responseLatency, base + [("status_code", code)], linkerdLatencyBucketsMs, count, stats.latency, scale: 1)
        }
    }

    static func routeRequests(_ p: inout PodState, base: [(String, String)], stats: TrafficStats) {
        _ = add(&p, p.linkerd, backendRequests, base, stats.total)
        for (code, count) in [("200", stats.success), ("500", stats.failure)] {
            _ = add(&p, p.linkerd, backendStatuses, base + [("http_status", code), ("error", "")], count)
        }
        observe(&p, style: .linkerd, backendDuration, base, routeBucketsSeconds, stats.total, stats.latency, scale: 0.001)
    }

    static func istioRequests(_ p: inout PodState, base: [(String, String)], stats: TrafficStats) {
        for (code, count) in [("200", stats.success), ("503", stats.failure)] {
            let labels = base + [("response_code", code), ("grpc_response_status", ""), ("response_flags", "-"), ("connection_security_policy", "mutual_tls")]
            _ = add(&p, p.istio, istioRequestsTotal, labels, count)
            observe(&p, style: .istio, istioDuration, labels, istioBucketsMs, count, stats.latency, scale: 1)
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

    /// Adds `amount` (fractional) requests with latencies distributed as `latency` (in ms, times
    /// `scale` for the family's unit) to a histogram series: each bucket receives the expected
    /// count below its bound (the distribution's CDF), so the cost does not grow with the
    /// request rate and `histogram_quantile` over the buckets gives the model's quantiles.
    static func observe(
        _ p: inout PodState, style: PrometheusStyle, _ d: MetricNameDescriptor, _ labels: [(String, String)], _ buckets: [Double],
        _ amount: Double, _ latency: LatencyDistribution, scale: Double
    ) {
        guard amount.isFinite, amount > 0, !latency.isEmpty else { return }
        let k = key(d.name, labels)
        var acc = p.histograms[k] ?? HistogramAcc(family: d, style: style, labels: labels, bounds: buckets)
        for (i, le) in buckets.enumerated() { acc.cumulative[i] += amount * latency.cdf(le / scale) }
        acc.count += amount
        let mean = latency.mean
        if mean.isFinite { acc.sum += amount * mean * scale }
        p.histograms[k] = acc
    }

    /// The histogram families of one style in the text format (0.0.4): HELP and TYPE once per
    /// family, its series contiguous, whole observations (floors, which keep buckets
    /// cumulative and counters monotonic).
    static func histogramText(_ p: PodState, style: PrometheusStyle) -> String {
        var families: [String: (help: String, series: [HistogramAcc])] = [:]
        for acc in p.histograms.values where acc.style == style {
            families[acc.name, default: (acc.help, [])].series.append(acc)
        }
        var out = ""
        for name in families.keys.sorted() {
            let (help, series) = families[name]!
            if !help.isEmpty { out += "# HELP \(name) \(help)\n" }
            out += "# TYPE \(name) histogram\n"
            for acc in series.sorted(by: { key("", $0.labels) < key("", $1.labels) }) {
                let labels = acc.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
                let count = Int64(saturating: acc.count.rounded(.down))
                for (i, le) in acc.bounds.enumerated() {
                    out += "\(name)_bucket{\(labels),le=\"\(bound(le))\"} \(min(count, Int64(saturating: acc.cumulative[i].rounded(.down))))\n"
                }
                out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(count)\n"
                out += "\(name)_sum{\(labels)} \(acc.sum)\n"
                out += "\(name)_count{\(labels)} \(count)\n"
            }
        }
        return out
    }

    /// A bucket bound as the proxies write it: "10", "0.025".
    static func bound(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// Label value escaping of the text format.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
