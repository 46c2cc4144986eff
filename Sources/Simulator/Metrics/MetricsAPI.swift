import KubeCore
import SMI

/// The TrafficMetrics aggregated API (`metrics.smi-spec.io/v1alpha1`) as the reference server
/// smi-metrics serves it, including its quirks (NOTES.md §4): pure request handling, so the
/// HTTP server only routes GET requests under `prefix` here and writes the JSON back.
///
/// Bodies are JSON except unmatched routes, where the real (chi) router answers 404 with the
/// plain text "404 page not found"; that case returns `.string("404 page not found")` so the
/// server can write it as text/plain.
public enum MetricsAPI {
    public static let group = "metrics.smi-spec.io"
    public static let version = "v1alpha1"
    public static let groupVersion = "metrics.smi-spec.io/v1alpha1"
    public static let prefix = "/apis/metrics.smi-spec.io/v1alpha1"
    public static let defaultWindow = 30.0

    /// The five resources smi-metrics lists; kind strings inside responses differ (see
    /// `WorkloadKind.metricsKind`).
    static let resources: [(name: String, namespaced: Bool)] = [
        ("deployments", true), ("pods", true), ("daemonsets", true), ("statefulsets", true), ("namespaces", false),
    ]

    /// `GET /apis/metrics.smi-spec.io/v1alpha1`: a v1 APIResourceList.
    public static var apiResourceList: JSON {
        var list: [JSON] = []
        for r in resources {
            list.append(
                .object(
                    JSONObject([
                        ("name", .string(r.name)), ("singularName", ""), ("namespaced", .bool(r.namespaced)),
                        ("kind", "TrafficMetrics"), ("verbs", ["get", "list"]),
                    ])))
        }
        return .object(
            JSONObject([
                ("kind", "APIResourceList"), ("apiVersion", "v1"), ("groupVersion", .string(groupVersion)),
                ("resources", .array(list)),
            ]))
    }

    /// The APIGroup the aggregator advertises for the APIService, for `/apis` discovery.
    public static var apiGroup: JSON {
        let gv: JSON = .object(JSONObject([("groupVersion", .string(groupVersion)), ("version", .string(version))]))
        return .object(
            JSONObject([
                ("kind", "APIGroup"), ("apiVersion", "v1"), ("name", .string(group)),
                ("versions", .array([gv])), ("preferredVersion", gv),
            ]))
    }

    enum Target {
        case workload(WorkloadKind)
        case pod
        case namespace

        init?(resource: String) {
            switch resource {
            case "pods": self = .pod
            case "namespaces": self = .namespace
            default:
                guard let k = WorkloadKind(resource: resource) else { return nil }
                self = .workload(k)
            }
        }

        var metricsKind: String {
            switch self {
            case .workload(let k): return k.metricsKind
            case .pod: return "Pod"
            case .namespace: return "Namespace"
            }
        }
    }

    /// Handles one GET. `path` is the URL path (a query string, if still attached, is ignored;
    /// pass it in `query`); `now` is the evaluation time in Unix seconds. `sampler` gives the
    /// traffic sample for a window and a time (the simulator's shared one); by default the model
    /// is sampled for this request.
    public static func handle(
        path: String, query: [String: String], now: Double, model: TrafficModel, snapshot: MetricsSnapshot,
        sampler: ((_ window: Double, _ now: Double) -> TrafficSample)? = nil
    ) -> (status: Int, body: JSON) {
        var p = Substring(path)
        if let q = p.firstIndex(of: "?") { p = p[..<q] }
        guard p.hasPrefix(prefix) else { return notFound }
        let rest = p.dropFirst(prefix.count)
        guard rest.isEmpty || rest.first == "/" else { return notFound }
        // chi cleans repeated and trailing slashes before matching, so empty parts carry no meaning.
        let parts = rest.split(separator: "/").map(String.init)

        if parts.isEmpty { return (200, apiResourceList) }

        let resourceName: String
        var namespace: String?
        var name: String?
        var edges = false
        switch parts.count {
        case 1:
            resourceName = parts[0]
        case 2 where parts[0] == "namespaces":
            resourceName = "namespaces"
            name = parts[1]
        case 3 where parts[0] == "namespaces" && parts[2] == "edges":
            resourceName = "namespaces"
            name = parts[1]
            edges = true
        case 3 where parts[0] == "namespaces" && !parts[2].hasPrefix("e"):
            namespace = parts[1]
            resourceName = parts[2]
        case 4 where parts[0] == "namespaces":
            namespace = parts[1]
            resourceName = parts[2]
            name = parts[3]
        case 5 where parts[0] == "namespaces" && parts[4] == "edges":
            namespace = parts[1]
            resourceName = parts[2]
            name = parts[3]
            edges = true
        default:
            return notFound
        }

        guard let target = Target(resource: resourceName) else {
            return (404, ["error": .string("Unsupported resource: \(resourceName)")])
        }

        let window = query["t"].flatMap(GoDuration.parse) ?? defaultWindow
        // smi-metrics renders the PromQL range as whole seconds; below one second Prometheus
        // rejects the query and the error text comes back as a JSON string.
        let rangeSeconds = Int(window.rounded(.towardZero))
        guard rangeSeconds > 0 else {
            return (500, .string("bad_data: 1:1: parse error: range duration must be positive, got \(rangeSeconds)s"))
        }

        let ctx = Context(
            target: target, resourceName: resourceName, window: window, now: now, snapshot: snapshot,
            sample: sampler?(Double(rangeSeconds), now)
                ?? model.sample(
                    window: Double(rangeSeconds), at: now, history: snapshot.weights, capacity: snapshot.capacity,
                    degradations: snapshot.degradations))

        if edges, let name {
            return (200, ctx.edgeList(namespace: namespace, name: name))
        }
        if let name {
            guard let stats = ctx.stats(namespace: namespace, name: name), stats.total > 0 else {
                return (500, ["error": "unable to lookup metrics"])
            }
            return (200, ctx.item(namespace: namespace, name: name, stats: stats, edge: nil, edgesLink: false))
        }
        return (200, ctx.list(namespace: namespace))
    }

    static let notFound: (status: Int, body: JSON) = (404, .string("404 page not found"))

    /// A pod's share of its workload: roughly even with a stable per-pod skew of up to ±10 %,
    /// as load balancers never split exactly. Shared with the proxies' Prometheus exposition
    /// so both sources divide a workload's traffic among its pods alike.
    static func podShares(_ pods: [String]) -> [(pod: String, share: Double)] {
        guard !pods.isEmpty else { return [] }
        let raw = pods.map { 1 + 0.1 * SimHash.signedUnit(SimHash.of($0, seed: 7)) }
        let sum = raw.reduce(0, +)
        return zip(pods, raw).map { ($0, $1 / sum) }
    }

    struct Context {
        let target: Target
        let resourceName: String
        let window: Double
        let now: Double
        let snapshot: MetricsSnapshot
        let sample: TrafficSample
        let timestamp: String

        init(target: Target, resourceName: String, window: Double, now: Double, snapshot: MetricsSnapshot, sample: TrafficSample) {
            self.target = target
            self.resourceName = resourceName
            self.window = window
            self.now = now
            self.snapshot = snapshot
            self.sample = sample
            timestamp = KubeTime.format(epochSeconds: now)
        }

        // MARK: numbers

        /// A pod's share of its workload: roughly even with a stable per-pod skew of up to
        /// ±10 %, as load balancers never split exactly.
        func podShares(_ ref: WorkloadRef) -> [(pod: String, share: Double)] {
            MetricsAPI.podShares(snapshot.workloads[ref] ?? [])
        }

        func owner(ofPod pod: String, namespace: String) -> (WorkloadRef, Double)? {
            for (ref, pods) in snapshot.workloads where ref.namespace == namespace && pods.contains(pod) {
                if let s = podShares(ref).first(where: { $0.pod == pod }) { return (ref, s.share) }
            }
            return nil
        }

        func exists(_ ref: WorkloadRef) -> Bool { snapshot.workloads[ref] != nil }

        func stats(namespace: String?, name: String) -> TrafficStats? {
            switch target {
            case .workload(let kind):
                let ref = WorkloadRef(kind, namespace: namespace ?? "", name: name)
                return exists(ref) ? sample.inbound[ref] : nil
            case .pod:
                guard let ns = namespace, let (ref, share) = owner(ofPod: name, namespace: ns) else { return nil }
                return sample.inbound[ref]?.scaled(by: share)
            case .namespace:
                var total = TrafficStats()
                for (ref, s) in sample.inbound where ref.namespace == name && exists(ref) { total.add(s) }
                return total
            }
        }

        /// Every resource of the target kind with traffic, by namespace and name.
        func all(namespace: String?) -> [(namespace: String?, name: String, stats: TrafficStats)] {
            var out: [(namespace: String?, name: String, stats: TrafficStats)] = []
            switch target {
            case .workload(let kind):
                for (ref, s) in sample.inbound where ref.kind == kind && exists(ref) && s.total > 0 {
                    if let namespace, ref.namespace != namespace { continue }
                    out.append((ref.namespace, ref.name, s))
                }
            case .pod:
                for (ref, s) in sample.inbound {
                    guard exists(ref), s.total > 0 else { continue }
                    if let namespace, ref.namespace != namespace { continue }
                    for (pod, share) in podShares(ref) { out.append((ref.namespace, pod, s.scaled(by: share))) }
                }
            case .namespace:
                var byNs: [String: TrafficStats] = [:]
                for (ref, s) in sample.inbound where exists(ref) { byNs[ref.namespace, default: TrafficStats()].add(s) }
                for (ns, s) in byNs where s.total > 0 {
                    if let namespace, ns != namespace { continue }
                    out.append((nil, ns, s))
                }
            }
            return out.sorted { ($0.namespace ?? "", $0.name) < ($1.namespace ?? "", $1.name) }
        }

        /// Peers of one resource, keyed by peer like smi-metrics: callers first ("from"), then
        /// callees ("to"); a peer in both keeps its first position with the "to" numbers,
        /// because the outbound queries run last and overwrite.
        func peers(namespace: String?, name: String) -> [(peer: (namespace: String?, name: String), direction: String, stats: TrafficStats)] {
            var from: [String: (ns: String?, name: String, stats: TrafficStats)] = [:]
            var to: [String: (ns: String?, name: String, stats: TrafficStats)] = [:]
            func add(_ dict: inout [String: (ns: String?, name: String, stats: TrafficStats)], _ ns: String?, _ n: String, _ s: TrafficStats) {
                let k = (ns ?? "") + "/" + n
                if dict[k] == nil { dict[k] = (ns, n, s) } else { dict[k]!.stats.add(s) }
            }
            switch target {
            case .workload(let kind):
                let me = WorkloadRef(kind, namespace: namespace ?? "", name: name)
                for (e, s) in sample.edges where exists(e.from) && exists(e.to) {
                    if e.to == me, e.from.kind == kind { add(&from, e.from.namespace, e.from.name, s) }
                    if e.from == me, e.to.kind == kind { add(&to, e.to.namespace, e.to.name, s) }
                }
            case .pod:
                guard let ns = namespace, let (me, myShare) = owner(ofPod: name, namespace: ns) else { break }
                for (e, s) in sample.edges where exists(e.from) && exists(e.to) {
                    if e.to == me {
                        for (pod, share) in podShares(e.from) { add(&from, e.from.namespace, pod, s.scaled(by: share * myShare)) }
                    }
                    if e.from == me {
                        for (pod, share) in podShares(e.to) { add(&to, e.to.namespace, pod, s.scaled(by: share * myShare)) }
                    }
                }
            case .namespace:
                for (e, s) in sample.edges where exists(e.from) && exists(e.to) && e.from.namespace != e.to.namespace {
                    if e.to.namespace == name { add(&from, nil, e.from.namespace, s) }
                    if e.from.namespace == name { add(&to, nil, e.to.namespace, s) }
                }
            }
            var order: [String] = from.keys.sorted()
            for k in to.keys.sorted() where from[k] == nil { order.append(k) }
            return order.map { k in
                if let t = to[k] { return ((t.ns, t.name), "to", t.stats) }
                let f = from[k]!
                return ((f.ns, f.name), "from", f.stats)
            }
        }

        // MARK: JSON

        func selfLink(namespace: String?, name: String?, edges: Bool) -> String {
            var s = MetricsAPI.prefix
            switch target {
            case .namespace:
                s += "/namespaces"
                if let name { s += "/\(name)" }
            default:
                if let namespace, name != nil { s += "/namespaces/\(namespace)" }
                s += "/\(resourceName)"
                if let name { s += "/\(name)" }
            }
            if edges { s += "/edges" }
            return s
        }

        func reference(namespace: String?, name: String?) -> JSON {
            var o = JSONObject()
            o["kind"] = .string(target.metricsKind)
            if let namespace { o["namespace"] = .string(namespace) }
            if let name { o["name"] = .string(name) }
            return .object(o)
        }

        func item(
            namespace: String?, name: String, stats: TrafficStats, edge: (peer: (namespace: String?, name: String), direction: String)?, edgesLink: Bool
        ) -> JSON {
            var meta = JSONObject()
            meta["name"] = .string(name)
            if let namespace { meta["namespace"] = .string(namespace) }
            meta["selfLink"] = .string(selfLink(namespace: namespace, name: name, edges: edgesLink))
            meta["creationTimestamp"] = .string(timestamp)
            let edgeJSON: JSON
            if let edge {
                edgeJSON = .object(
                    JSONObject([
                        ("direction", .string(edge.direction)),
                        ("resource", reference(namespace: edge.peer.namespace, name: edge.peer.name)),
                    ]))
            } else {
                edgeJSON = .object(JSONObject([("direction", "from"), ("resource", .null)]))
            }
            func latency(_ name: String, _ v: Double?) -> JSON {
                .object(JSONObject([("name", .string(name)), ("unit", "ms"), ("value", .string(MetricQuantity.format(v ?? .nan)))]))
            }
            func count(_ name: String, _ v: Double) -> JSON {
                .object(JSONObject([("name", .string(name)), ("value", .string(MetricQuantity.format(v)))]))
            }
            let metrics: [JSON] = [
                latency("p99_response_latency", stats.p99),
                latency("p90_response_latency", stats.p90),
                latency("p50_response_latency", stats.p50),
                count("success_count", stats.success),
                count("failure_count", stats.failure),
            ]
            return .object(
                JSONObject([
                    ("kind", "TrafficMetrics"),
                    ("apiVersion", .string(MetricsAPI.groupVersion)),
                    ("metadata", .object(meta)),
                    ("timestamp", .string(timestamp)),
                    ("window", .string(GoDuration.format(window))),
                    ("resource", reference(namespace: namespace, name: name)),
                    ("edge", edgeJSON),
                    ("metrics", .array(metrics)),
                ]))
        }

        func listJSON(selfLink: String, resource: JSON, items: [JSON]) -> JSON {
            .object(
                JSONObject([
                    ("kind", "TrafficMetricsList"),
                    ("apiVersion", .string(MetricsAPI.groupVersion)),
                    ("metadata", .object(JSONObject([("selfLink", .string(selfLink))]))),
                    ("resource", resource),
                    ("items", items.isEmpty ? .null : .array(items)),
                ]))
        }

        func list(namespace: String?) -> JSON {
            let items = all(namespace: namespace).map {
                item(namespace: $0.namespace, name: $0.name, stats: $0.stats, edge: nil, edgesLink: false)
            }
            return listJSON(
                selfLink: selfLink(namespace: nil, name: nil, edges: false),
                resource: reference(namespace: namespace, name: nil), items: items)
        }

        func edgeList(namespace: String?, name: String) -> JSON {
            let items = peers(namespace: namespace, name: name).map {
                item(namespace: namespace, name: name, stats: $0.stats, edge: ($0.peer, $0.direction), edgesLink: true)
            }
            return listJSON(
                selfLink: selfLink(namespace: namespace, name: name, edges: true),
                resource: reference(namespace: namespace, name: name), items: items)
        }
    }
}
