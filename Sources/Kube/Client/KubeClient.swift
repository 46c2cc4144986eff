// Typed Kubernetes API requests on top of `HTTPTransport`. Everything the network does is
// behind the transport, so this client is tested with a scripted transport, and the CLI and
// the app's effect runner share it.
//
// This file holds the client, resource paths and the request path every call takes
// (credentials, the 401 retry, errors); lists, watches, writes and discovery are extensions in
// KubeClient+List.swift, +Watch, +Write and +Discovery.

import Foundation
import KubeCore
import SMI
import Synchronization

/// A resource type: group ("" for the core API), version and plural resource name.
public struct GroupVersionResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var resource: String

    public init(group: String, version: String, resource: String) {
        self.group = group
        self.version = version
        self.resource = resource
    }

    /// kubectl's "resource.group" form used in messages.
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

/// `/api/v1/…` for the core group, `/apis/<group>/<version>/…` otherwise. A nil namespace
/// addresses cluster-scoped objects or a list across all namespaces.
public func resourcePath(
    group: String, version: String, resource: String, namespace: String? = nil, name: String? = nil,
    subresource: String? = nil
) -> String {
    var p = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
    if let namespace, !namespace.isEmpty { p += "/namespaces/\(pathSegment(namespace))" }
    p += "/\(resource)"
    if let name {
        p += "/\(pathSegment(name))"
        if let subresource { p += "/\(subresource)" }
    }
    return p
}

public func resourcePath(_ r: GroupVersionResource, namespace: String? = nil, name: String? = nil) -> String {
    resourcePath(group: r.group, version: r.version, resource: r.resource, namespace: namespace, name: name)
}

private let unreserved: CharacterSet = {
    var s = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
    s.insert(charactersIn: "-._~")
    return s
}()

/// One path segment, percent-escaped: a name from the cluster (or a file) spliced into a URL
/// path must not add segments (`../`), a query (`?`) or a fragment.
public func pathSegment(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s }

public final class KubeClient: Sendable {
    public static let version = "0.1.0"

    public let server: URL
    public let namespace: String
    let credentials: any CredentialProvider
    let transport: any HTTPTransport
    let tls: TLSSettings
    /// Builds a transport for other TLS settings: needed only when an exec plugin answers with
    /// a client certificate, since transports hold their TLS configuration.
    let transportForTLS: (@Sendable (TLSSettings) -> any HTTPTransport)?
    let userAgent: String
    let requestTimeout: Double
    /// Internal, not private: the discovery cache (KubeClient+Discovery.swift) lives here.
    let state = Mutex<State>(State())

    struct State {
        var discovery: [String: APIGroupInfo?] = [:]
        var certTransport: (cert: [UInt8], key: [UInt8], transport: any HTTPTransport)?
    }

    public init(
        server: URL, namespace: String = "default", credentials: any CredentialProvider, transport: any HTTPTransport,
        tls: TLSSettings = TLSSettings(), transportForTLS: (@Sendable (TLSSettings) -> any HTTPTransport)? = nil,
        userAgent: String = "smitop/\(KubeClient.version)", requestTimeout: Double = 30
    ) {
        self.server = server
        self.namespace = namespace
        self.credentials = credentials
        self.transport = transport
        self.tls = tls
        self.transportForTLS = transportForTLS
        self.userAgent = userAgent
        self.requestTimeout = requestTimeout
    }

    public convenience init(
        cluster: ResolvedCluster, transport: any HTTPTransport,
        transportForTLS: (@Sendable (TLSSettings) -> any HTTPTransport)? = nil,
        userAgent: String = "smitop/\(KubeClient.version)"
    ) {
        self.init(
            server: cluster.server, namespace: cluster.namespace, credentials: cluster.credentials, transport: transport,
            tls: cluster.tls, transportForTLS: transportForTLS, userAgent: userAgent)
    }

    // MARK: building requests

    public func url(path: String, query: [(String, String)] = []) -> String {
        var base = server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var s = base + (path.hasPrefix("/") ? path : "/" + path)
        if !query.isEmpty {
            s += "?" + query.map { "\(pathSegment($0.0))=\(pathSegment($0.1))" }.joined(separator: "&")
        }
        return s
    }

    /// Headers and the transport for one attempt. client-go sends credentials only over TLS,
    /// and so do we: a bearer token over plain http is readable by anyone on the path.
    /// Credentials go over TLS, and over plain http only to this machine's loopback address
    /// (a `kubectl proxy`-style or simulator endpoint, where no one else is on the path).
    /// kubectl never sends them over http; the Python client always does.
    public var sendsCredentials: Bool {
        if server.scheme == "https" { return true }
        return Self.isLoopback(host: server.host ?? "")
    }

    /// This machine's loopback: `localhost`, `::1` or a 127.0.0.0/8 address.
    public static func isLoopback(host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h == "::1" || isIPv4Loopback(h)
    }

    /// 127.0.0.0/8 as an address, never as a name prefix: "127.evil.example" is a host name.
    static func isIPv4Loopback(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy({ $0.isASCII && $0.isNumber }) && Int(p)! <= 255 }
    }

    func prepare(_ request: inout HTTPRequest) async throws(KubeError) -> any HTTPTransport {
        request.headers.append(HTTPHeader("User-Agent", userAgent))
        guard sendsCredentials else { return transport }
        let cred = try await credentials.credential()
        if let auth = cred.authorizationHeader { request.headers.append(HTTPHeader("Authorization", auth)) }
        if case .clientCertificate(let cert, let key) = cred { return try certTransport(cert: cert, key: key) }
        return transport
    }

    private func certTransport(cert: [UInt8], key: [UInt8]) throws(KubeError) -> any HTTPTransport {
        guard let factory = transportForTLS else {
            throw .credential("the exec plugin returned a client certificate, but this client cannot change its TLS settings")
        }
        return state.withLock { s in
            if let c = s.certTransport, c.cert == cert, c.key == key { return c.transport }
            var t = tls
            t.clientCertPEM = cert
            t.clientKeyPEM = key
            let made = factory(t)
            s.certTransport = (cert, key, made)
            return made
        }
    }

    /// One request with authentication, retried once with fresh credentials after a 401.
    /// Non-2xx answers become `KubeError`s.
    public func send(
        method: String, path: String, query: [(String, String)] = [], body: [UInt8]? = nil, contentType: String? = nil,
        accept: String = "application/json", operation: String? = nil
    ) async throws(KubeError) -> HTTPResponse {
        var retried = false
        while true {
            var req = HTTPRequest(method: method, url: url(path: path, query: query), body: body, timeout: requestTimeout)
            // libcurl silently resends a request whose reused connection died before an answer.
            // For a write that may already have been applied, that is a blind resend: writes
            // go on a connection of their own, so a lost answer reaches us as a lost answer.
            req.freshConnection = method != "GET" && method != "HEAD"
            req.headers.append(HTTPHeader("Accept", accept))
            if let contentType { req.headers.append(HTTPHeader("Content-Type", contentType)) }
            let t = try await prepare(&req)
            let resp: HTTPResponse
            do { resp = try await t.send(req) } catch { throw KubeError(error, operation: operation) }
            if (200..<300).contains(resp.status) { return resp }
            if resp.status == 401, !retried, sendsCredentials, await credentials.invalidate() {
                retried = true
                continue
            }
            throw annotate(KubeError.fromResponse(resp, operation: operation))
        }
    }

    func annotate(_ e: KubeError) -> KubeError {
        var e = e
        if e.code == 401 && !sendsCredentials && e.hint == nil {
            e.hint = "the server is plain http and not on this machine, so smitop sends it no credentials"
        }
        return e
    }

    static func decodeJSON(_ r: HTTPResponse, operation: String?, skippingKeys: [String] = []) throws(KubeError) -> JSON {
        do { return try JSON.parse(r.body, skippingKeys: skippingKeys) } catch {
            let ct = r.header("Content-Type") ?? "none"
            var e = KubeError.classifyBody(status: r.status, contentType: ct, body: r.body)
            e = KubeError(
                source: .decoding, code: r.status,
                message: ct.lowercased().contains("json")
                    ? "invalid JSON (\(error.message))" : "expected JSON but got content type \(sanitizedForDisplay(ct, limit: 60)): \(e.message)",
                operation: operation)
            throw e
        }
    }

    public func requestJSON(
        method: String, path: String, query: [(String, String)] = [], body: JSON? = nil,
        contentType: String = "application/json", operation: String? = nil, skippingKeys: [String] = []
    ) async throws(KubeError) -> JSON {
        let resp = try await send(
            method: method, path: path, query: query, body: body?.serialized(), contentType: body == nil ? nil : contentType,
            operation: operation)
        return try Self.decodeJSON(resp, operation: operation, skippingKeys: skippingKeys)
    }

    // MARK: typed requests

    public func get(_ r: GroupVersionResource, namespace: String?, name: String) async throws(KubeError) -> JSON {
        try await requestJSON(method: "GET", path: resourcePath(r, namespace: namespace, name: name), operation: "get \(r) \(name)")
    }

    /// Any GET as JSON (the metrics API, `/version`).
    public func rawGet(_ path: String, query: [(String, String)] = []) async throws(KubeError) -> JSON {
        try await requestJSON(method: "GET", path: path, query: query, operation: "get \(path)")
    }
}
