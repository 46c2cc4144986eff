import Foundation
import KubeCore
import SMI

/// Whose proxies wrote the metrics, and so which names and labels the queries use.
public enum MeshMetricsFlavor: String, Sendable, CaseIterable {
    case linkerd, istio
}

/// The queries one refresh sends: four per flavor (and Linkerd's route backends), whatever the size of the mesh (a count
/// and a latency-bucket query for workloads, the same two for edges), each aggregated over
/// the whole scope and grouped by the labels that name the workloads. Never one query per
/// workload or edge. They are what linkerd viz (`response_total`, `response_latency_ms`) and
/// Kiali (`istio_requests_total`, `istio_request_duration_milliseconds`) query, and can be
/// pasted into the Prometheus UI as they are (docs/metrics.md lists them).
///
/// Differences from those tools, on purpose: quantiles are computed here from one bucket
/// query (the tools send one query per quantile), over `rate(...[window])` rather than
/// linkerd viz's `irate`, so latency covers the same window as the counts; and the quantiles
/// are p50/p90/p99, the SMI metrics API's, so both sources fill the same columns.
public struct MeshQueries: Sendable, Equatable {
    public var flavor: MeshMetricsFlavor
    public var namespace: String?
    /// Whole seconds (Prometheus range selectors take `30s`; Go's `1m30s` is written `90s`).
    public var windowSeconds: Int

    public init(flavor: MeshMetricsFlavor, namespace: String?, windowSeconds: Int) {
        self.flavor = flavor
        self.namespace = namespace
        self.windowSeconds = max(1, windowSeconds)
    }

    /// Which labels name a subject (and a peer) in each query's answer.
    public struct Keys: Sendable, Equatable {
        public var namespace: String
        public var name: String
        public var peerNamespace: String?
        public var peerName: String?
    }

    public struct Query: Sendable, Equatable {
        public var promql: String
        public var keys: Keys
    }

    var range: String { "[\(windowSeconds)s]" }

    /// A PromQL string literal (Go-style escapes, as PromQL reads them).
    static func literal(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    func selector(_ fixed: [String], namespaceLabel: String) -> String {
        var m = fixed
        if let ns = namespace { m.append("\(namespaceLabel)=\(Self.literal(ns))") }
        return "{" + m.joined(separator: ", ") + "}"
    }

    /// Success/failure counts per workload (inbound, server side).
    public var workloadCounts: Query {
        switch flavor {
        case .linkerd:
            let s = selector([#"direction="inbound""#, #"deployment!="""#], namespaceLabel: "namespace")
            return Query(
                promql: "sum(increase(response_total\(s)\(range))) by (namespace, deployment, classification)",
                keys: Keys(namespace: "namespace", name: "deployment"))
        case .istio:
            let s = selector([#"reporter=~"destination|waypoint""#, #"destination_workload!="unknown""#], namespaceLabel: "destination_workload_namespace")
            return Query(
                promql: "sum(increase(istio_requests_total\(s)\(range))) by (destination_workload_namespace, destination_workload, response_code)",
                keys: Keys(namespace: "destination_workload_namespace", name: "destination_workload"))
        }
    }

    /// Latency bucket rates per workload, for p50/p90/p99.
    public var workloadBuckets: Query {
        switch flavor {
        case .linkerd:
            let s = selector([#"direction="inbound""#, #"deployment!="""#], namespaceLabel: "namespace")
            return Query(
                promql: "sum(rate(response_latency_ms_bucket\(s)\(range))) by (le, namespace, deployment)",
                keys: Keys(namespace: "namespace", name: "deployment"))
        case .istio:
            let s = selector([#"reporter=~"destination|waypoint""#, #"destination_workload!="unknown""#], namespaceLabel: "destination_workload_namespace")
            return Query(
                promql:
                    "sum(rate(istio_request_duration_milliseconds_bucket\(s)\(range))) by (le, destination_workload_namespace, destination_workload)",
                keys: Keys(namespace: "destination_workload_namespace", name: "destination_workload"))
        }
    }

    /// An edge query for the scope: with a namespace, the edges leaving it `or` the edges
    /// entering it (one query still; `or` keeps one series per label set), so a caller in
    /// another namespace shows up as the SMI API's `/edges` would show it.
    func edgeQuery(_ fn: String, _ metric: String, _ fixed: [String], src: String, dst: String, by: String) -> String {
        func one(_ label: String?) -> String {
            var m = fixed
            if let label, let ns = namespace { m.append("\(label)=\(Self.literal(ns))") }
            return "sum(\(fn)(\(metric){\(m.joined(separator: ", "))}\(range))) by (\(by))"
        }
        guard namespace != nil else { return one(nil) }
        return one(src) + " or " + one(dst)
    }

    static let linkerdEdgeKeys = Keys(namespace: "namespace", name: "deployment", peerNamespace: "dst_namespace", peerName: "dst_deployment")
    static let istioEdgeKeys = Keys(
        namespace: "source_workload_namespace", name: "source_workload", peerNamespace: "destination_workload_namespace",
        peerName: "destination_workload")
    static let linkerdEdgeMatchers = [#"direction="outbound""#, #"deployment!="""#, #"dst_deployment!="""#]
    static let istioEdgeMatchers = [#"reporter=~"source|waypoint""#, #"source_workload!="unknown""#, #"destination_workload!="unknown""#]

    /// Success/failure counts per edge, as the client side saw them.
    public var edgeCounts: Query {
        switch flavor {
        case .linkerd:
            return Query(
                promql: edgeQuery(
                    "increase", "response_total", Self.linkerdEdgeMatchers, src: "namespace", dst: "dst_namespace",
                    by: "namespace, deployment, dst_namespace, dst_deployment, classification"),
                keys: Self.linkerdEdgeKeys)
        case .istio:
            return Query(
                promql: edgeQuery(
                    "increase", "istio_requests_total", Self.istioEdgeMatchers, src: "source_workload_namespace",
                    dst: "destination_workload_namespace",
                    by: "source_workload_namespace, source_workload, destination_workload_namespace, destination_workload, response_code"),
                keys: Self.istioEdgeKeys)
        }
    }

    public var edgeBuckets: Query {
        switch flavor {
        case .linkerd:
            return Query(
                promql: edgeQuery(
                    "rate", "response_latency_ms_bucket", Self.linkerdEdgeMatchers, src: "namespace", dst: "dst_namespace",
                    by: "le, namespace, deployment, dst_namespace, dst_deployment"),
                keys: Self.linkerdEdgeKeys)
        case .istio:
            return Query(
                promql: edgeQuery(
                    "rate", "istio_request_duration_milliseconds_bucket", Self.istioEdgeMatchers, src: "source_workload_namespace",
                    dst: "destination_workload_namespace",
                    by: "le, source_workload_namespace, source_workload, destination_workload_namespace, destination_workload"),
                keys: Self.istioEdgeKeys)
        }
    }

    /// Requests per route backend (Linkerd's `outbound_http_route_backend_requests_total`):
    /// what each backend of a Service's split or route really received, for the observed
    /// share beside the configured one. Istio reports the backend Service but not the parent
    /// the client asked for, so it has no such query (its observed shares come from workloads).
    public var backendCounts: Query? {
        guard flavor == .linkerd else { return nil }
        var m: [String] = []
        if let ns = namespace { m.append("parent_namespace=\(Self.literal(ns))") }
        return Query(
            promql:
                "sum(increase(outbound_http_route_backend_requests_total{\(m.joined(separator: ", "))}\(range))) by (parent_namespace, parent_name, backend_namespace, backend_name)",
            keys: Keys(namespace: "parent_namespace", name: "parent_name", peerNamespace: "backend_namespace", peerName: "backend_name"))
    }

    public var all: [Query] { [workloadCounts, workloadBuckets, edgeCounts, edgeBuckets] + (backendCounts.map { [$0] } ?? []) }

    // Istio's reporters: a sidecar mesh reports each request from the server's proxy
    // (`destination`) and the client's (`source`); in ambient mode the waypoint reports it once
    // (`waypoint`), naming both ends, so it stands in for both (Kiali's `waypoint|…` matcher).
    // A path through a sidecar and a waypoint would be counted by both: ambient and sidecar
    // workloads calling each other through waypoints are not told apart here.

    /// Whether a series of a count query counts successes: Linkerd's own classification;
    /// for Istio any response code that is not 5xx (what Kiali and Istio's dashboards use).
    func isSuccess(_ labels: [String: String]) -> Bool {
        switch flavor {
        case .linkerd: return labels["classification"] == "success"
        case .istio: return !(labels["response_code"] ?? "").hasPrefix("5")
        }
    }

    // MARK: answers → the SMI metrics model

    struct Subject: Hashable {
        var namespace: String
        var name: String
        var peerNamespace: String?
        var peerName: String?
    }

    static func subject(_ labels: [String: String], _ k: Keys) -> Subject? {
        guard let ns = labels[k.namespace], let name = labels[k.name], !name.isEmpty else { return nil }
        var s = Subject(namespace: ns, name: name)
        if let pn = k.peerName {
            guard let peer = labels[pn], !peer.isEmpty else { return nil }
            s.peerName = peer
            s.peerNamespace = k.peerNamespace.flatMap { labels[$0] } ?? ns
        }
        return s
    }

    /// Builds TrafficMetrics lists (workloads, then edges) from the four answers, so the
    /// store, the TUI and `smitop metrics` read Prometheus numbers exactly as SMI ones.
    /// A bucket answer that is missing (nil) leaves the latencies out: gaps, not zeros.
    public func lists(
        workloadCounts wc: PrometheusResult, workloadBuckets wb: PrometheusResult?, edgeCounts ec: PrometheusResult,
        edgeBuckets eb: PrometheusResult?, window: String, at time: Double
    ) -> [TrafficMetricsList] {
        [
            list(counts: wc, buckets: wb, keys: workloadCounts.keys, window: window, time: time),
            list(counts: ec, buckets: eb, keys: edgeCounts.keys, window: window, time: time),
        ]
    }

    /// The route-backend answer as SMI v1alpha2-draft backend items (`backend: {apex, name}`,
    /// the requests as `success_count`), one list.
    public func backendList(_ r: PrometheusResult, window: String, at time: Double) -> TrafficMetricsList {
        guard let keys = backendCounts?.keys else { return (try? TrafficMetricsList(json: ["items": []]))! }
        var totals: [Subject: Double] = [:]
        for s in r.series {
            guard let subject = Self.subject(s.labels, keys), let v = s.value, v >= 0 else { continue }
            totals[subject, default: 0] += v
        }
        let stamp = KubeTime.format(epochSeconds: time)
        var items: [JSON] = []
        for subject in totals.keys.sorted(by: { ($0.namespace, $0.name, $0.peerName ?? "") < ($1.namespace, $1.name, $1.peerName ?? "") }) {
            let backend = subject.peerName ?? ""
            items.append([
                "kind": "TrafficMetrics", "apiVersion": "metrics.smi-spec.io/v1alpha1",
                "metadata": ["name": .string(backend), "namespace": .string(subject.namespace)],
                "timestamp": .string(stamp), "window": .string(window),
                "resource": ["kind": "Service", "namespace": .string(subject.peerNamespace ?? subject.namespace), "name": .string(backend)],
                "backend": ["apex": .string(subject.name), "name": .string(backend)],
                "metrics": [
                    ["name": "success_count", "value": .string(Self.quantity(totals[subject]!))], ["name": "failure_count", "value": "0"],
                ],
            ])
        }
        let json: JSON = ["kind": "TrafficMetricsList", "apiVersion": "metrics.smi-spec.io/v1alpha1", "items": .array(items)]
        return (try? TrafficMetricsList(json: json)) ?? (try! TrafficMetricsList(json: ["items": []]))
    }

    func list(counts: PrometheusResult, buckets: PrometheusResult?, keys: Keys, window: String, time: Double) -> TrafficMetricsList {
        var totals: [Subject: (success: Double, failure: Double)] = [:]
        for s in counts.series {
            guard let subject = Self.subject(s.labels, keys) else { continue }
            var t = totals[subject] ?? (0, 0)
            // A NaN count (no data) adds nothing rather than poisoning the sum.
            if let v = s.value, v >= 0 {
                if isSuccess(s.labels) { t.success += v } else { t.failure += v }
            }
            totals[subject] = t
        }
        var hist: [Subject: [(le: Double, count: Double)]] = [:]
        for s in buckets?.series ?? [] {
            guard let subject = Self.subject(s.labels, keys), let leText = s.labels["le"], let v = s.value else { continue }
            let le = leText == "+Inf" ? Double.infinity : (Double(leText) ?? .nan)
            guard !le.isNaN else { continue }
            hist[subject, default: []].append((le, v))
        }
        let stamp = KubeTime.format(epochSeconds: time)
        var items: [JSON] = []
        for subject in totals.keys.sorted(by: {
            ($0.namespace, $0.name, $0.peerNamespace ?? "", $0.peerName ?? "") < ($1.namespace, $1.name, $1.peerNamespace ?? "", $1.peerName ?? "")
        }) {
            let t = totals[subject]!
            var metrics: [JSON] = []
            for (q, name) in [(0.5, "p50_response_latency"), (0.9, "p90_response_latency"), (0.99, "p99_response_latency")] {
                guard let b = hist[subject], let v = histogramQuantile(q, buckets: b) else { continue }
                metrics.append(["name": .string(name), "unit": "ms", "value": .string(Self.quantity(v))])
            }
            metrics.append(["name": "success_count", "value": .string(Self.quantity(t.success))])
            metrics.append(["name": "failure_count", "value": .string(Self.quantity(t.failure))])
            var item: JSON = [
                "kind": "TrafficMetrics", "apiVersion": "metrics.smi-spec.io/v1alpha1",
                "metadata": ["name": .string(subject.name), "namespace": .string(subject.namespace), "creationTimestamp": .string(stamp)],
                "timestamp": .string(stamp), "window": .string(window),
                "resource": ["kind": "Deployment", "namespace": .string(subject.namespace), "name": .string(subject.name)],
                "metrics": .array(metrics),
            ]
            if let peer = subject.peerName {
                item["edge"] = [
                    "direction": "to",
                    "resource": ["kind": "Deployment", "namespace": .string(subject.peerNamespace ?? subject.namespace), "name": .string(peer)],
                ]
            }
            items.append(item)
        }
        let json: JSON = ["kind": "TrafficMetricsList", "apiVersion": "metrics.smi-spec.io/v1alpha1", "items": .array(items)]
        // Built from our own values above: it always decodes.
        return (try? TrafficMetricsList(json: json)) ?? (try! TrafficMetricsList(json: ["items": []]))
    }

    /// A number as a Kubernetes quantity (milli precision, like smi-metrics writes).
    static func quantity(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let milli = Int64(saturating: (v * 1000).rounded())
        if milli % 1000 == 0 { return String(milli / 1000) }
        return "\(milli)m"
    }
}

extension PrometheusClient {
    /// One refresh: the queries at once. The count queries failing fails the poll; a
    /// bucket query failing only leaves latencies out.
    public func poll(_ queries: MeshQueries, window: String) async throws(PrometheusError) -> TrafficMetricsPoll {
        async let wc = attempt(queries.workloadCounts.promql)
        async let wb = attempt(queries.workloadBuckets.promql)
        async let ec = attempt(queries.edgeCounts.promql)
        async let eb = attempt(queries.edgeBuckets.promql)
        async let bc = attempt(queries.backendCounts?.promql)
        let (a, b, c, d, e) = await (wc, wb, ec, eb, bc)
        let now = Date().timeIntervalSince1970
        var lists = queries.lists(
            workloadCounts: try a.get(), workloadBuckets: try? b.get(), edgeCounts: try c.get(), edgeBuckets: try? d.get(),
            window: window, at: now)
        // Without route metrics (a proxy older than Linkerd 2.15, a failed query) the observed
        // shares fall back to the backends' workloads.
        if let r = try? e?.get() { lists.append(queries.backendList(r, window: window, at: now)) }
        return TrafficMetricsPoll(lists: lists, edgesFetched: [], complete: true)
    }

    func attempt(_ promql: String) async -> Result<PrometheusResult, PrometheusError> {
        do { return .success(try await query(promql)) } catch { return .failure(error) }
    }

    func attempt(_ promql: String?) async -> Result<PrometheusResult, PrometheusError>? {
        guard let promql else { return nil }
        return await attempt(promql) as Result<PrometheusResult, PrometheusError>
    }
}

extension PrometheusClient {
    /// How long the history's range queries may take: they no longer hold back the live
    /// numbers (the history is merged behind them whenever it answers), and over a large mesh
    /// they took 17 s on a loaded machine, beyond a live query's 10 s.
    public static let historyTimeout: Double = 60

    /// History for the sparklines: the four workload and edge queries as range queries over the last
    /// `points` refreshes, cut into one poll per step (oldest first), so the first frame
    /// already has a graph to draw. A failed count query means no history (never zeros).
    public func backfill(_ queries: MeshQueries, window: String, end: Double, step: Double, points: Int) async -> [(at: Double, lists: [TrafficMetricsList])] {
        guard points > 1, step > 0, step.isFinite, end.isFinite else { return [] }
        let start = end - step * Double(points - 1)
        func range(_ promql: String) async -> PrometheusResult? {
            try? await queryRange(promql, start: start, end: end, step: step, timeout: Self.historyTimeout)
        }
        async let wc = range(queries.workloadCounts.promql)
        async let wb = range(queries.workloadBuckets.promql)
        async let ec = range(queries.edgeCounts.promql)
        async let eb = range(queries.edgeBuckets.promql)
        let (a, b, c, d) = await (wc, wb, ec, eb)
        guard let a, let c else { return [] }
        // Each matrix cut into one vector per instant in a single pass over its samples (keyed
        // by the millisecond timestamp, as Prometheus writes them): a large mesh's bucket
        // series number in the tens of thousands, and a search per instant would be quadratic
        // in the history's length.
        func byInstant(_ r: PrometheusResult?) -> [Double: [PrometheusSeries]] {
            var out: [Double: [PrometheusSeries]] = [:]
            for s in r?.series ?? [] {
                for sample in s.samples where sample.time.isFinite {
                    out[(sample.time * 1000).rounded(), default: []].append(PrometheusSeries(labels: s.labels, samples: [sample]))
                }
            }
            return out
        }
        let (wcAt, wbAt, ecAt, ebAt) = (byInstant(a), b.map(byInstant), byInstant(c), d.map(byInstant))
        func vector(_ cut: [Double: [PrometheusSeries]]?, _ key: Double) -> PrometheusResult? {
            cut.map { PrometheusResult(kind: .vector, series: $0[key] ?? []) }
        }
        let times = Set(wcAt.keys).union(ecAt.keys).sorted()
        return times.map { key in
            let t = key / 1000
            return (
                t,
                queries.lists(
                    workloadCounts: vector(wcAt, key)!, workloadBuckets: vector(wbAt, key), edgeCounts: vector(ecAt, key)!,
                    edgeBuckets: vector(ebAt, key), window: window, at: t)
            )
        }
    }
}
