import Foundation
import KubeCore

/// Where a Prometheus is reached: through the Kubernetes API server's service proxy (with the
/// user's credentials, as `kubectl get --raw` would) or at a URL the user gave.
public enum PrometheusRoute: Sendable, Equatable, CustomStringConvertible {
    case serviceProxy(namespace: String, service: String, port: String)
    case direct(String)

    /// `/api/v1/namespaces/NS/services/NAME:PORT/proxy` — the API server forwards what follows.
    public var pathPrefix: String {
        switch self {
        case .serviceProxy(let ns, let svc, let port):
            return "/api/v1/namespaces/\(pathSegment(ns))/services/\(pathSegment(svc)):\(pathSegment(port))/proxy"
        case .direct: return ""
        }
    }

    public var description: String {
        switch self {
        case .serviceProxy(let ns, let svc, let port): return "service proxy \(ns)/\(svc):\(port)"
        case .direct(let url): return url
        }
    }
}

/// A Prometheus HTTP API client over smitop's own transport. Every answer is bounded: a
/// request timeout, a body size limit (the transfer is aborted beyond it) and the series and
/// sample limits of `PrometheusResult`.
public final class PrometheusClient: Sendable {
    public let client: KubeClient
    public let route: PrometheusRoute
    public let timeout: Double
    public let maxBodyBytes: Int

    /// Queries longer than this go as a form POST (the API allows both; long URLs are refused
    /// by some proxies). Through the service proxy a POST needs `create` on `services/proxy`.
    static let maxGETQueryLength = 1_500

    public init(client: KubeClient, route: PrometheusRoute, timeout: Double = 10, maxBodyBytes: Int = 16 << 20) {
        self.client = client
        self.route = route
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
    }

    /// An instant query at `time` (nil: the server's now).
    public func query(_ promql: String, at time: Double? = nil) async throws(PrometheusError) -> PrometheusResult {
        var params = [("query", promql)]
        if let time { params.append(("time", Self.format(time))) }
        return try await call("/api/v1/query", params)
    }

    /// A range query; Prometheus refuses more than 11,000 points per series, so `step` is
    /// raised to fit. `timeout` (default: the client's) may be longer than a live query's:
    /// the history runs beside the live polls, never in their way.
    public func queryRange(
        _ promql: String, start: Double, end: Double, step: Double, timeout: Double? = nil
    ) async throws(PrometheusError) -> PrometheusResult {
        guard start.isFinite, end.isFinite, end > start else { throw .decoding("empty range") }
        let step = max(step, (end - start) / 10_000, 1)
        return try await call(
            "/api/v1/query_range", [("query", promql), ("start", Self.format(start)), ("end", Self.format(end)), ("step", Self.format(step))],
            timeout: timeout)
    }

    static func format(_ t: Double) -> String { String(format: "%.3f", t) }

    func call(_ path: String, _ params: [(String, String)], timeout: Double? = nil) async throws(PrometheusError) -> PrometheusResult {
        let timeout = timeout.map { $0.isFinite && $0 > 0 ? min($0, 300) : self.timeout } ?? self.timeout
        let full = route.pathPrefix + path
        let params = params + [("timeout", "\(Int(saturating: timeout.rounded(.up)))s")]
        let long = params.reduce(0) { $0 + $1.1.utf8.count } > Self.maxGETQueryLength
        var req: HTTPRequest
        if long {
            let body = params.map { "\(pathSegment($0.0))=\(pathSegment($0.1))" }.joined(separator: "&")
            req = HTTPRequest(method: "POST", url: client.url(path: full), body: Array(body.utf8), timeout: timeout + 2)
            req.headers.append(HTTPHeader("Content-Type", "application/x-www-form-urlencoded"))
        } else {
            req = HTTPRequest(method: "GET", url: client.url(path: full, query: params), timeout: timeout + 2)
        }
        req.maxBodyBytes = maxBodyBytes
        req.headers.append(HTTPHeader("Accept", "application/json"))
        let response: HTTPResponse
        do {
            let transport = try await client.prepare(&req)
            response = try await transport.send(req)
        } catch {
            let e = KubeError.from(error)
            throw .http(status: e.code ?? 0, message: e.userMessage)
        }
        let json = try? JSON.parse(response.body)
        // Prometheus answers errors with its envelope (400, 422, 503); anything else in front
        // of it (API server, mesh policy) answers in its own words.
        if let json, let status = json["status"]?.stringValue, status == "success" || status == "error" {
            return try PrometheusResult(json: json)
        }
        let text = clean(String(decoding: response.body.prefix(300), as: UTF8.self), limit: 200)
        if response.status == 403 {
            var said = text
            if let j = json, let m = j["message"]?.stringValue { said = clean(m, limit: 200) }
            throw .forbidden(body: said)
        }
        if (200..<300).contains(response.status) { throw .decoding("not a Prometheus answer: \(text)") }
        let e = KubeError.fromResponse(response)
        throw .http(status: response.status, message: e.userMessage)
    }
}
