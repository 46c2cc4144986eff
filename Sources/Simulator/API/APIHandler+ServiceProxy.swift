import Foundation
import Hummingbird
import KubeCore
import NIOCore
import NIOHTTP1
import NIOPosix

// The API server's service proxy (`/api/v1/namespaces/NS/services/NAME[:PORT]/proxy/PATH`) for
// the one Service the simulator can forward to: the mesh's Prometheus, backed by a real
// Prometheus at `--prometheus-upstream`. Other Services answer 503 as a real API server does
// for a Service without endpoints.

extension APIHandler {
    /// The service-proxy path's parts, or nil when `segments` is not one.
    static func serviceProxyTarget(_ s: [String]) -> (namespace: String, service: String, port: String?, rest: [String])? {
        // /api/v1/namespaces/NS/services/NAME[:PORT]/proxy[/…]
        guard s.count >= 7, s[0] == "api", s[1] == "v1", s[2] == "namespaces", s[4] == "services", s[6] == "proxy" else { return nil }
        var name = s[5]
        var port: String?
        if let colon = name.firstIndex(of: ":") {
            port = String(name[name.index(after: colon)...])
            name = String(name[..<colon])
        }
        // `https:NAME:` selects the scheme; only plain http is served here (name "https" → 503).
        return (s[3], name, port, Array(s.dropFirst(7)))
    }

    func serviceProxy(_ r: APIRequest, user: User, request: Request) async -> Response {
        guard let t = Self.serviceProxyTarget(r.segments) else { return Self.status(notFoundPath(r.path)) }
        guard user.canWrite else {
            // RBAC, as for the `view` role: no `services/proxy` (GET is `get`, POST `create`).
            let verb = r.method == "GET" ? "get" : "create"
            return Self.status(
                APIError(
                    code: 403, reason: "Forbidden",
                    message:
                        "services \"\(t.service)\" is forbidden: User \"\(user.name)\" cannot \(verb) resource \"services/proxy\" in API group \"\" in the namespace \"\(t.namespace)\""
                ))
        }
        let served = sim.prometheusService
        guard let served, t.namespace == served.namespace, t.service == served.name, t.port == nil || t.port == "9090" || t.port == "admin" || t.port == "http"
        else {
            return Self.status(
                APIError(code: 503, reason: "ServiceUnavailable", message: "no endpoints available for service \"\(t.service)\""))
        }
        if sim.options.prometheusPolicyDenies {
            // What Linkerd's proxy on the viz Prometheus pod answers to a client its
            // `prometheus-admin` AuthorizationPolicy does not admit: a plain-text 403, not a
            // Kubernetes Status.
            return Self.raw(Array("unauthorized request on route\n".utf8), status: 403, contentType: "text/plain")
        }
        guard let upstream = sim.options.prometheusUpstream, let url = URL(string: upstream), let host = url.host else {
            return Self.status(
                APIError(
                    code: 503, reason: "ServiceUnavailable",
                    message: "error trying to reach service: dial tcp: connect: connection refused (the simulator has no --prometheus-upstream)"))
        }
        var path = "/" + t.rest.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }.joined(separator: "/")
        if let q = request.uri.query, !q.isEmpty { path += "?" + q }
        do {
            let (status, contentType, body) = try await Self.forward(
                method: r.method, host: host, port: url.port ?? 80, path: path, contentType: r.contentType, body: r.body)
            return Self.raw(body, status: status, contentType: contentType ?? "application/octet-stream")
        } catch {
            // The API server's words when the Service's pod does not answer.
            return Self.status(
                APIError(
                    code: 503, reason: "ServiceUnavailable",
                    message: "error trying to reach service: dial tcp \(host):\(url.port ?? 80): connect: connection refused"))
        }
    }

    /// One HTTP/1.1 exchange with the upstream on a connection of its own (SwiftNIO; the
    /// simulator never links libcurl). Bodies are capped at 32 MiB.
    static func forward(method: String, host: String, port: Int, path: String, contentType: String?, body: [UInt8]) async throws -> (Int, String?, [UInt8]) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await withThrowingTaskGroup(of: (Int, String?, [UInt8]).self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
                    head.headers.add(name: "Host", value: "\(host):\(port)")
                    head.headers.add(name: "Connection", value: "close")
                    head.headers.add(name: "Accept", value: "application/json")
                    if !body.isEmpty || method == "POST" {
                        head.headers.add(name: "Content-Length", value: String(body.count))
                        if let contentType { head.headers.add(name: "Content-Type", value: contentType) }
                    }
                    try await outbound.write(.head(head))
                    if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                    try await outbound.write(.end(nil))
                    var status = 502
                    var ct: String?
                    var out: [UInt8] = []
                    for try await part in inbound {
                        switch part {
                        case .head(let h):
                            status = Int(h.status.code)
                            ct = h.headers.first(name: "Content-Type")
                        case .body(let b):
                            guard out.count + b.readableBytes <= 32 << 20 else { throw SimulatorError("upstream answer too large") }
                            out.append(contentsOf: b.readableBytesView)
                        case .end: return (status, ct, out)
                        }
                    }
                    return (status, ct, out)
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw SimulatorError("upstream timed out")
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }
}

extension Simulator {
    /// The simulated mesh's Prometheus Service (namespace, name), when one is configured: in
    /// `linkerd-viz` for Linkerd-style metrics, in `istio-system` for Istio's.
    var prometheusService: (namespace: String, name: String)? {
        guard options.prometheusUpstream != nil || options.prometheusPolicyDenies else { return nil }
        return options.effectivePrometheusStyle == .istio ? ("istio-system", "prometheus") : ("linkerd-viz", "prometheus")
    }

    /// The Namespace and Service objects of that Prometheus, seeded with the scenario so
    /// discovery (`GET …/services/prometheus`) finds it as on a real installation.
    func prometheusServiceObjects() -> [JSON] {
        guard let (ns, name) = prometheusService else { return [] }
        let labels: JSON = ["app.kubernetes.io/name": "prometheus", "component": "prometheus"]
        return [
            [
                "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)], "spec": ["finalizers": ["kubernetes"]],
                "status": ["phase": "Active"],
            ],
            prometheusPod(namespace: ns, labels: labels),
            [
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": .string(name), "namespace": .string(ns), "labels": labels],
                "spec": [
                    "ports": [["name": "admin", "port": 9090, "protocol": "TCP", "targetPort": 9090]],
                    "selector": ["component": "prometheus"], "type": "ClusterIP", "clusterIP": "10.96.90.90",
                ],
                "status": ["loadBalancer": .emptyObject],
            ],
        ]
    }

    /// The pod behind that Service, Running, so `kubectl port-forward svc/prometheus` finds
    /// it by the Service's selector and forwards its port 9090 to the real Prometheus.
    func prometheusPod(namespace ns: String, labels: JSON) -> JSON {
        let name = "prometheus-6f8d9b7c54-pmx2z"
        let started = KubeTime.format(startedAt)
        let image = options.effectivePrometheusStyle == .istio ? "docker.io/prom/prometheus:v3.1.0" : "prom/prometheus:v2.55.1"
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(name), "namespace": .string(ns), "uid": .string(Self.stableUID("pod/\(ns)/\(name)")), "labels": labels,
            ],
            "spec": [
                "containers": [
                    [
                        "name": "prometheus", "image": .string(image),
                        "ports": [["name": "admin", "containerPort": 9090, "protocol": "TCP"]],
                    ]
                ],
                "nodeName": "smitop-worker-1", "restartPolicy": "Always", "serviceAccountName": "prometheus",
            ],
            "status": [
                "phase": "Running", "podIP": "10.244.9.90", "hostIP": "172.18.0.2", "startTime": .string(started),
                "conditions": [["type": "Ready", "status": "True", "lastTransitionTime": .string(started)]],
                "containerStatuses": [
                    [
                        "name": "prometheus", "image": .string(image), "ready": true, "started": true, "restartCount": 0,
                        "state": ["running": ["startedAt": .string(started)]],
                    ]
                ],
            ],
        ]
    }
}
