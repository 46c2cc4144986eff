import Foundation
import HTTPTypes
import Hummingbird
import KubeCore
import NIOCore
import NIOHTTP1
import NIOSSL

// `/api/v1/namespaces/NS/pods/NAME/portforward`, as `kubectl port-forward` asks for it: an
// HTTP/1.1 upgrade, either a WebSocket tunnel (a GET, subprotocol
// `SPDY/3.1+portforward.k8s.io`: what kubectl ≥ 1.31 tries first, KEP-4006) or plain SPDY/3.1
// (a POST with the `portforward.k8s.io` stream protocol: older kubectl, and the fallback when
// the tunnel is refused). The checks run in the real server's order (RBAC `create
// pods/portforward`, the pod, the upgrade headers, the protocol); then `PortForwardHandler`
// takes the connection over, speaking the same SPDY either way.

extension APIHandler {
    static let portForwardProtocol = "portforward.k8s.io"

    /// (namespace, pod) when `s` names a pod's `portforward` subresource.
    static func portForwardTarget(_ s: [String]) -> (namespace: String, pod: String)? {
        guard s.count == 7, s[0] == "api", s[1] == "v1", s[2] == "namespaces", s[4] == "pods", s[6] == "portforward" else { return nil }
        return (s[3], s[5])
    }

    func portForward(_ r: APIRequest, user: User, request: Request, context: SimContext) async throws -> Response {
        guard let (ns, podName) = Self.portForwardTarget(r.segments) else { throw notFoundPath(r.path) }
        guard r.method == "POST" || r.method == "GET" else {
            throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        guard user.canWrite else {
            // The `view` role grants no pods/portforward; `edit` and `admin` grant create.
            throw APIError(
                code: 403, reason: "Forbidden",
                message:
                    "pods \"\(podName)\" is forbidden: User \"\(user.name)\" cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"\(ns)\"",
                details: ["name": .string(podName), "kind": "pods"])
        }
        guard let pods = sim.registry.find(group: "", resource: "pods"), let pod = sim.store.get(pods, namespace: ns, name: podName)?.object else {
            throw APIError(code: 404, reason: "NotFound", message: "pods \"\(podName)\" not found", details: ["name": .string(podName), "kind": "pods"])
        }
        let upgrade = (request.headers[HTTPField.Name("Upgrade")!] ?? "").lowercased()
        let webSocket = upgrade.contains("websocket")
        guard webSocket || upgrade.contains("spdy/3.1") else {
            throw APIError(code: 400, reason: "BadRequest", message: "Upgrade request required")
        }
        let protocolHeader = webSocket ? "Sec-WebSocket-Protocol" : "X-Stream-Protocol-Version"
        let offered = request.headers[values: HTTPField.Name(protocolHeader)!].flatMap { $0.split(separator: ",") }.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let wanted = webSocket ? WebSocketTunnel.subprotocol : Self.portForwardProtocol
        let key = request.headers[HTTPField.Name("Sec-WebSocket-Key")!] ?? ""
        if webSocket, key.isEmpty || request.headers[HTTPField.Name("Sec-WebSocket-Version")!] != "13" {
            throw APIError(code: 400, reason: "BadRequest", message: "unable to upgrade connection: not a WebSocket version 13 handshake")
        }
        guard offered.contains(wanted) else {
            throw APIError(
                code: 403, reason: "Forbidden",
                message:
                    "unable to upgrade: unable to negotiate protocol: client supports \(offered.map { clean($0) }), server supports [\(wanted)]"
            )
        }
        guard pod[path: "status", "phase"]?.stringValue == "Running" else {
            let phase = pod[path: "status", "phase"]?.stringValue ?? "Pending"
            throw APIError(code: 400, reason: "BadRequest", message: "unable to upgrade connection: pod not running (phase \(clean(phase)))")
        }

        let target = portForwardTargets(pod: pod, namespace: ns)
        var head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
        if webSocket {
            head += "Upgrade: websocket\r\nSec-WebSocket-Accept: \(WebSocketTunnel.accept(key: key))\r\n"
            head += "Sec-WebSocket-Protocol: \(WebSocketTunnel.subprotocol)\r\n"
        } else {
            head += "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: \(Self.portForwardProtocol)\r\n"
        }
        head += "Date: \(HTTPDate.imfFixdate(Date()))\r\n\r\n"
        let response = Array(head.utf8)
        let channel = context.channel
        let upgraded = try await channel.eventLoop.submit { () throws -> Bool in
            let sync = channel.pipeline.syncOperations
            // Only an HTTP/1.1 connection can be taken over (kubectl never asks over HTTP/2).
            guard (try? sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)) != nil else { return false }
            let handler = PortForwardHandler(upgradeResponse: response, webSocket: webSocket, target: target)
            if let tls = try? sync.handler(type: NIOSSLServerHandler.self) {
                try sync.addHandler(handler, position: .after(tls))
            } else {
                try sync.addHandler(handler, position: .first)
            }
            return true
        }.get()
        guard upgraded else { throw APIError(code: 400, reason: "BadRequest", message: "unable to upgrade connection: HTTP/1.1 required") }
        sim.portForwardUpgrades.withLock { $0[webSocket ? "websocket" : "spdy", default: 0] += 1 }
        return Response(status: .switchingProtocols)
    }

    /// What each port of `pod` reaches: the mesh Prometheus pod's 9090 goes to the real
    /// Prometheus (`--prometheus-upstream`); every other port has nothing listening, and the
    /// dial fails with the words containerd's kubelet streaming server uses.
    func portForwardTargets(pod: JSON, namespace: String) -> @Sendable (Int) -> PortForwardTarget {
        let name = pod[path: "metadata", "name"]?.stringValue ?? ""
        let uid = pod[path: "metadata", "uid"]?.stringValue ?? ""
        let labels = pod[path: "metadata", "labels"]?.objectValue
        var upstream: (String, Int)?
        if let served = sim.prometheusService, served.namespace == namespace, labels?["component"]?.stringValue == "prometheus",
            let u = sim.options.prometheusUpstream, let url = URL(string: u), let host = url.host
        {
            upstream = (host, url.port ?? 80)
        }
        let sandbox = String(Simulator.stableUID("sandbox/\(namespace)/\(name)").filter { $0 != "-" }.prefix(64))
        return { [upstream] port in
            let refused =
                "error forwarding port \(port) to pod \(sandbox), uid : failed to execute portforward in network namespace \"/var/run/netns/cni-\(uid)\": failed to connect to localhost:\(port) inside namespace \"\(sandbox)\", IPv4: dial tcp4 127.0.0.1:\(port): connect: connection refused IPv6 dial tcp6 [::1]:\(port): connect: connection refused "
            // A Prometheus that is down refuses the dial the same way.
            if port == 9090, let (host, p) = upstream { return .upstream(host: host, port: p, failure: refused) }
            return .refused(message: refused)
        }
    }
}
