import Foundation
import KubeCore
import SMI
import Synchronization

/// `--metrics`: where live edge metrics come from.
public enum MetricsSourceChoice: String, Sendable, CaseIterable {
    /// The SMI metrics API when served, else the mesh's Prometheus.
    case auto
    case smi
    case linkerd
    case istio
}

/// How to reach a Prometheus when one is used: a URL (`--prometheus-url`, e.g. after
/// `kubectl port-forward`), or a Service through the API server's proxy (given, or found).
public struct PrometheusSettings: Sendable, Equatable {
    /// `--prometheus-url`.
    public var url: String?
    /// `--prometheus-service NS/NAME:PORT`.
    public var service: (namespace: String, name: String, port: String)?
    /// `--prometheus-token-file`: a bearer token for a Prometheus behind an auth proxy.
    public var tokenFile: String?
    /// `--prometheus-ca-file` (PEM) and `--prometheus-insecure` for an https URL.
    public var caFile: String?
    public var insecure = false

    public init() {}

    public static func == (a: PrometheusSettings, b: PrometheusSettings) -> Bool {
        a.url == b.url && a.service?.namespace == b.service?.namespace && a.service?.name == b.service?.name
            && a.service?.port == b.service?.port && a.tokenFile == b.tokenFile && a.caFile == b.caFile && a.insecure == b.insecure
    }

    /// Parses `NS/NAME:PORT` (the port may be a name or a number).
    public static func parseService(_ s: String) -> (namespace: String, name: String, port: String)? {
        let parts = s.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        let np = parts[1].split(separator: ":", maxSplits: 1).map(String.init)
        guard np.count == 2, !np[0].isEmpty, !np[1].isEmpty else { return nil }
        return (parts[0], np[0], np[1])
    }
}

/// The Prometheus Services the meshes install (linkerd-viz; Istio's sample addon), probed in
/// this order by `auto`, then any Service labelled `app.kubernetes.io/name=prometheus`.
public let knownPrometheusServices: [(namespace: String, name: String, port: String, flavor: MeshMetricsFlavor)] = [
    ("linkerd-viz", "prometheus", "9090", .linkerd),
    ("istio-system", "prometheus", "9090", .istio),
]

/// The metrics source of one cluster connection: decides once (and again after a failure)
/// which source answers, then polls it. Everything it says about itself (`status`) is what
/// the header and `smitop metrics` show.
public final class MetricsSource: Sendable {
    public enum Resolved: Sendable {
        case smi
        case prometheus(PrometheusClient, MeshMetricsFlavor)
    }

    public let client: KubeClient
    public let choice: MetricsSourceChoice
    public let settings: PrometheusSettings
    /// Builds the client for a `--prometheus-url` (the caller owns transports and TLS).
    let directClient: (@Sendable (URL) throws(KubeError) -> KubeClient)?
    private let resolved = Mutex<Resolved?>(nil)

    public init(
        client: KubeClient, choice: MetricsSourceChoice, settings: PrometheusSettings = PrometheusSettings(),
        directClient: (@Sendable (URL) throws(KubeError) -> KubeClient)? = nil
    ) {
        self.client = client
        self.choice = choice
        self.settings = settings
        self.directClient = directClient
    }

    /// A short name of the source in use, for the header ("smi", "linkerd prometheus via …");
    /// nil until a poll has found it.
    public var status: String? {
        switch resolved.withLock({ $0 }) {
        case nil: return choice == .smi ? "smi" : nil
        case .smi: return "smi"
        case .prometheus(let p, let f): return "\(f.rawValue) prometheus via \(p.route)"
        }
    }

    public func poll(namespace: String?, window: String, edgeBudget: Int = .max, rotation: Int = 0) async throws(KubeError) -> TrafficMetricsPoll {
        let source = try await resolve()
        switch source {
        case .smi:
            return try await client.pollTrafficMetrics(namespace: namespace, window: window, edgeBudget: edgeBudget, rotation: rotation)
        case .prometheus(let p, let flavor):
            let seconds = Int(saturating: (GoDuration.parse(window) ?? 60).rounded())
            let queries = MeshQueries(flavor: flavor, namespace: namespace, windowSeconds: seconds)
            do {
                return try await p.poll(queries, window: window)
            } catch {
                throw Self.kubeError(error, route: p.route, flavor: flavor)
            }
        }
    }

    /// Past polls from Prometheus' history (oldest first), for the sparklines at start; empty
    /// for the SMI metrics API, which has no history.
    public func backfill(namespace: String?, window: String, step: Double, points: Int) async -> [(at: Double, lists: [TrafficMetricsList])] {
        guard case .prometheus(let p, let flavor) = try? await resolve() else { return [] }
        let seconds = Int(saturating: (GoDuration.parse(window) ?? 60).rounded())
        let queries = MeshQueries(flavor: flavor, namespace: namespace, windowSeconds: seconds)
        return await p.backfill(queries, window: window, end: Date().timeIntervalSince1970, step: step, points: points)
    }

    /// Finds the source; cached once found.
    public func resolve() async throws(KubeError) -> Resolved {
        if let r = resolved.withLock({ $0 }) { return r }
        let r = try await find()
        resolved.withLock { $0 = r }
        return r
    }

    func find() async throws(KubeError) -> Resolved {
        if choice == .smi { return .smi }
        // Discovery failing (not a 404: an unreachable cluster) fails the poll with that
        // reason; only a cluster that answers "not served" sends us looking for Prometheus.
        if choice == .auto, settings.url == nil, settings.service == nil, try await client.apiGroup("metrics.smi-spec.io") != nil {
            return .smi
        }
        let wanted: MeshMetricsFlavor? = choice == .linkerd ? .linkerd : choice == .istio ? .istio : nil
        let prometheus: PrometheusClient
        var flavor = wanted
        if let url = settings.url {
            guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https", u.host != nil else {
                throw KubeError(source: .config, message: "--prometheus-url \(clean(url, limit: 200)) is not an http(s) URL")
            }
            guard let make = directClient else { throw KubeError(source: .config, message: "no transport for --prometheus-url") }
            prometheus = PrometheusClient(client: try make(u), route: .direct(url))
        } else if let s = settings.service {
            prometheus = PrometheusClient(client: client, route: .serviceProxy(namespace: s.namespace, service: s.name, port: s.port))
        } else {
            let found = try await prometheusService()
            prometheus = PrometheusClient(client: client, route: .serviceProxy(namespace: found.namespace, service: found.service, port: found.port))
            flavor = flavor ?? found.flavor
        }
        if case .serviceProxy(let ns, let svc, let port) = prometheus.route {
            try await checkProxyAccess(namespace: ns, service: svc, port: port)
        }
        if flavor == nil {
            // Which proxies' series this Prometheus holds: one cheap query.
            do {
                let r = try await prometheus.query(#"count by (__name__) ({__name__=~"response_total|istio_requests_total"})"#)
                let names = Set(r.series.compactMap { $0.labels["__name__"] })
                flavor = names.contains("response_total") ? .linkerd : names.contains("istio_requests_total") ? .istio : nil
            } catch {
                throw Self.kubeError(error, route: prometheus.route, flavor: nil)
            }
            guard flavor != nil else {
                throw KubeError(
                    source: .httpBody, message: "Prometheus at \(prometheus.route) holds neither Linkerd nor Istio proxy metrics",
                    hint: "pass --metrics linkerd or --metrics istio")
            }
        }
        return .prometheus(prometheus, flavor!)
    }

    /// The mesh's Prometheus Service: `--prometheus-service`, else the first of the known ones
    /// that exists (for `--metrics linkerd|istio`, that mesh's), else any Service labelled
    /// `app.kubernetes.io/name=prometheus`.
    public func prometheusService() async throws(KubeError) -> PortForwardSuggestion {
        let wanted: MeshMetricsFlavor? = choice == .linkerd ? .linkerd : choice == .istio ? .istio : nil
        if let s = settings.service { return PortForwardSuggestion(namespace: s.namespace, service: s.name, port: s.port, flavor: wanted) }
        for k in knownPrometheusServices where wanted == nil || wanted == k.flavor {
            do {
                _ = try await client.rawGet("/api/v1/namespaces/\(pathSegment(k.namespace))/services/\(pathSegment(k.name))")
                return PortForwardSuggestion(namespace: k.namespace, service: k.name, port: k.port, flavor: k.flavor)
            } catch  where error.code == 404 || error.code == 403 {
                continue  // not there, or not ours to see: look further
            }
        }
        if let list = try? await client.rawGet("/api/v1/services", query: [("labelSelector", "app.kubernetes.io/name=prometheus"), ("limit", "10")]),
            let svc = list["items"]?.arrayValue?.first,
            let ns = svc[path: "metadata", "namespace"]?.stringValue, let name = svc[path: "metadata", "name"]?.stringValue
        {
            let port = svc[path: "spec", "ports"]?.arrayValue?.first?["port"]?.intValue.map { String($0) } ?? "9090"
            return PortForwardSuggestion(namespace: ns, service: name, port: port, flavor: wanted)
        }
        throw KubeError(
            source: .config, code: 404, reason: "NotFound",
            message: choice == .auto
                ? "no metrics source: the SMI metrics API is not served and no Prometheus Service was found"
                : "no \(choice.rawValue) Prometheus Service found",
            hint: "pass --prometheus-service NS/NAME:PORT or --prometheus-url URL (see docs/metrics.md)")
    }

    /// This source reading Prometheus at `url` instead (a `kubectl port-forward` to it), with
    /// the same TLS and token settings for that URL.
    public func redirected(to url: String, flavor: MeshMetricsFlavor?) -> MetricsSource {
        var s = settings
        s.url = url
        s.service = nil
        let c: MetricsSourceChoice = flavor == .linkerd ? .linkerd : flavor == .istio ? .istio : choice == .smi ? .auto : choice
        return MetricsSource(client: client, choice: c, settings: s, directClient: directClient)
    }

    /// Asks up front (SelfSubjectAccessReview) whether the user may `get services/proxy` on
    /// that Service, so a missing permission is named as such rather than as a failed query.
    /// A review that cannot be made says nothing: the query itself will tell.
    func checkProxyAccess(namespace: String, service: String, port: String) async throws(KubeError) {
        let review: JSON = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": [
                "resourceAttributes": [
                    "namespace": .string(namespace), "verb": "get", "resource": "services", "subresource": "proxy",
                    "name": .string(service),
                ]
            ],
        ]
        guard let r = try? await client.requestJSON(method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: review),
            r[path: "status", "allowed"]?.boolValue == false
        else { return }
        var e = KubeError(
            source: .httpBody, code: 403, reason: "Forbidden",
            message: "you may not get services/proxy for \(namespace)/\(service), which reaching Prometheus through the API server needs",
            hint:
                "ask for get (and create) on services/proxy in \(namespace), or run `kubectl -n \(namespace) port-forward svc/\(service) 9090:9090` and pass --prometheus-url http://127.0.0.1:9090"
        )
        // A port-forward needs `create pods/portforward` instead, which some users have.
        e.portForward = PortForwardSuggestion(namespace: namespace, service: service, port: port, flavor: nil)
        throw e
    }

    /// Prometheus failures in the words the rest of smitop shows, with what to do about a 403.
    public static func kubeError(_ e: PrometheusError, route: PrometheusRoute, flavor: MeshMetricsFlavor?) -> KubeError {
        switch e {
        case .forbidden(let body):
            var e = KubeError(
                source: .httpBody, code: 403, reason: "Forbidden",
                message: "Prometheus at \(route) refused smitop (403\(body.isEmpty ? "" : ": " + body))",
                hint: forbiddenHint(route: route, flavor: flavor))
            if case .serviceProxy(let ns, let svc, let port) = route {
                e.portForward = PortForwardSuggestion(namespace: ns, service: svc, port: port, flavor: flavor)
            }
            return e
        case .http(let status, let message):
            return KubeError(source: .httpBody, code: status == 0 ? nil : status, message: "Prometheus at \(route): \(message)")
        default:
            return KubeError(source: .httpBody, message: "Prometheus at \(route): \(e.message)")
        }
    }

    /// Why a 403 happens and the exact commands that get around it.
    public static func forbiddenHint(route: PrometheusRoute, flavor: MeshMetricsFlavor?) -> String {
        guard case .serviceProxy(let ns, let svc, let port) = route else {
            return "the Prometheus URL refused the request; check --prometheus-token-file"
        }
        let forward = "kubectl -n \(ns) port-forward svc/\(svc) 9090:\(port)"
        var why =
            "since Linkerd 2.13, linkerd-viz's Prometheus admits only the metrics-api ServiceAccount (AuthorizationPolicy prometheus-admin), so requests through the API server's service proxy are refused"
        if flavor == .istio { why = "something in front of Prometheus (RBAC on services/proxy, or a mesh AuthorizationPolicy) refused the request" }
        return "\(why). Run `\(forward)` and pass --prometheus-url http://127.0.0.1:9090, or add an AuthorizationPolicy admitting your client (docs/metrics.md)"
    }
}
