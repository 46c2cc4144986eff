// Typed Kubernetes API requests on top of `HTTPTransport`. Everything the network does is
// behind the transport, so this client is tested with a scripted transport, and the CLI and
// the app's effect runner share it.

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

public struct ListOptions: Sendable, Equatable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if let l = labelSelector, !l.isEmpty { q.append(("labelSelector", l)) }
        if let f = fieldSelector, !f.isEmpty { q.append(("fieldSelector", f)) }
        if let l = limit, l > 0 { q.append(("limit", String(l))) }
        if let c = continueToken, !c.isEmpty { q.append(("continue", c)) }
        if let rv = resourceVersion { q.append(("resourceVersion", rv)) }
        return q
    }
}

/// What `/apis/<group>` says is served.
public struct APIGroupInfo: Sendable, Equatable {
    public var name: String
    /// Served versions, in the server's order (preferred first on a real API server).
    public var versions: [String]
    public var preferredVersion: String?

    public init(name: String, versions: [String], preferredVersion: String?) {
        self.name = name
        self.versions = versions
        self.preferredVersion = preferredVersion
    }

    public init(json: JSON) throws(KubeError) {
        guard let name = json["name"]?.stringValue else { throw .decoding("APIGroup without a name") }
        self.name = name
        versions = (json["versions"]?.arrayValue ?? []).compactMap { $0["version"]?.stringValue }
        preferredVersion = json[path: "preferredVersion", "version"]?.stringValue ?? versions.first
    }
}

public final class KubeClient: Sendable {
    public static let version = "0.1.0"
    public static let smiGroups = ["split.smi-spec.io", "access.smi-spec.io", "specs.smi-spec.io", "metrics.smi-spec.io"]

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
    private let state = Mutex<State>(State())

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

    private func prepare(_ request: inout HTTPRequest) async throws(KubeError) -> any HTTPTransport {
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

    private func annotate(_ e: KubeError) -> KubeError {
        var e = e
        if e.code == 401 && !sendsCredentials && e.hint == nil {
            e.hint = "the server is plain http and not on this machine, so smitop sends it no credentials"
        }
        return e
    }

    /// Never read from a list by smitop, and most of its bytes: the field sets of
    /// `managedFields` entries (their `manager` names are kept) and kubectl's last-applied copy.
    public static let bulkyKeys = ["fieldsV1", "kubectl.kubernetes.io/last-applied-configuration"]

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

    /// One page.
    public func list(_ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList {
        let json = try await requestJSON(
            method: "GET", path: resourcePath(r, namespace: namespace), query: options.query, operation: "list \(r)",
            skippingKeys: Self.bulkyKeys)
        do { return try ObjectList(json: json) } catch {
            var e = error
            e.operation = "list \(r)"
            throw e
        }
    }

    /// Every page (limit `pageSize`); if the continue token expires midway, one unpaged list,
    /// as client-go's pager does. The result carries the list's resourceVersion.
    public func listAll(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions(), pageSize: Int = 500
    ) async throws(KubeError) -> ObjectList {
        let (meta, items) = try await listAll(r, namespace: namespace, options: options, pageSize: pageSize) { $0 }
        return ObjectList(metadata: meta, items: items)
    }

    /// Every page, each item passed through `decode` while the next page is being fetched.
    ///
    /// Why pipelined: decoding a page costs several times what fetching it does, and on a
    /// large list that decoding is most of the wall time. Only the list's `metadata` (the
    /// continue token) is needed before the next request can go out, so each page is skimmed
    /// for it (`items` skipped without building anything) and parsed in full on another core.
    /// Items are returned in server order; an object seen on two pages (it changed while we
    /// paged) keeps its first position and its last content, as `listAll` always did.
    public func listAll<T: Sendable>(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions(), pageSize: Int = 500,
        decode: @escaping @Sendable (JSON) -> T
    ) async throws(KubeError) -> (metadata: ListMeta, items: [T]) {
        try await listAll(r, namespace: namespace, options: options, pageSize: pageSize) { (resp, operation) throws(KubeError) in
            try Self.listItems(resp, operation: operation).map { (ObjectRef(object: $0).key, decode($0)) }
        }
    }

    /// TrafficSplits, every page decoded straight from its bytes (TrafficSplitList.swift)
    /// while the next is fetched; `transform` runs on the decoding core too.
    public func listTrafficSplits<T: Sendable>(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions(), pageSize: Int = 500,
        transform: @escaping @Sendable (TrafficSplitListItem) -> T
    ) async throws(KubeError) -> (metadata: ListMeta, items: [T]) {
        try await listAll(r, namespace: namespace, options: options, pageSize: pageSize) { (resp, operation) throws(KubeError) in
            if let items = try? TrafficSplit.listItems(fromListBytes: resp.body) {
                return items.map { ($0.key, transform($0)) }
            }
            // Not a list, or not JSON: the tree path has the exact errors (and the rare
            // list without `items` that is still a list).
            return try Self.listItems(resp, operation: operation).map { item in
                let m = ObjectMeta(json: item["metadata"])
                let split = Result { () throws(SMIDecodeError) in try TrafficSplit(json: item) }
                return (
                    ObjectRef(object: item).key,
                    transform(TrafficSplitListItem(key: ObjectRef(object: item).key, namespace: m.namespace ?? "", name: m.name, split: split))
                )
            }
        }
    }

    static func listItems(_ r: HTTPResponse, operation: String) throws(KubeError) -> [JSON] {
        do throws(KubeError) {
            return try ObjectList(json: try decodeJSON(r, operation: operation, skippingKeys: bulkyKeys)).items
        } catch {
            var e = error
            e.operation = operation
            throw e
        }
    }

    /// The pipeline under both: `decodePage` runs on another core while the next page is
    /// fetched.
    func listAll<T: Sendable>(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions, pageSize: Int,
        decodePage: @escaping @Sendable (HTTPResponse, String) throws(KubeError) -> [(key: String, value: T)]
    ) async throws(KubeError) -> (metadata: ListMeta, items: [T]) {
        let operation = "list \(r)"
        let path = resourcePath(r, namespace: namespace)
        var opts = options
        opts.limit = pageSize
        opts.continueToken = nil
        var pages: [Task<[(key: String, value: T)], any Error>] = []
        var meta = ListMeta()
        while true {
            let resp: HTTPResponse
            do {
                resp = try await send(method: "GET", path: path, query: opts.query, operation: operation)
            } catch  where error.isGone && opts.continueToken != nil {
                for p in pages { p.cancel() }
                var full = options
                full.limit = nil
                full.continueToken = nil
                resp = try await send(method: "GET", path: path, query: full.query, operation: operation)
                pages = [Self.decodePage(resp, operation: operation, decodePage)]
                meta = ListMeta(resourceVersion: try Self.skimListMeta(resp, operation: operation).resourceVersion)
                break
            }
            let pageMeta = try Self.skimListMeta(resp, operation: operation)
            pages.append(Self.decodePage(resp, operation: operation, decodePage))
            guard let c = pageMeta.continueToken else {
                meta = ListMeta(resourceVersion: pageMeta.resourceVersion)
                break
            }
            opts.continueToken = c
        }
        var index: [String: Int] = [:]
        var out: [T] = []
        for p in pages {
            let items: [(key: String, value: T)]
            do { items = try await p.value } catch { throw KubeError.from(error) }
            index.reserveCapacity(index.count + items.count)
            out.reserveCapacity(out.count + items.count)
            for (k, v) in items {
                if let i = index[k] {
                    out[i] = v
                } else {
                    index[k] = out.count
                    out.append(v)
                }
            }
        }
        return (meta, out)
    }

    /// A page's list metadata without building its items.
    static func skimListMeta(_ r: HTTPResponse, operation: String) throws(KubeError) -> ListMeta {
        if let tail = JSON.trailingMember("metadata", in: r.body) { return ListMeta(json: tail) }
        let skim = try decodeJSON(r, operation: operation, skippingKeys: ["items"])
        guard case .object(let o) = skim else {
            throw KubeError(source: .decoding, code: r.status, message: "expected a list object, got \(skim.typeName)", operation: operation)
        }
        return ListMeta(json: o["metadata"] ?? .null)
    }

    static func decodePage<T: Sendable>(
        _ r: HTTPResponse, operation: String,
        _ decode: @escaping @Sendable (HTTPResponse, String) throws(KubeError) -> [(key: String, value: T)]
    ) -> Task<[(key: String, value: T)], any Error> {
        Task.detached { try decode(r, operation) }
    }

    /// A watch as events. The stream finishes when the server ends the body, and throws a
    /// `KubeError` for an HTTP error or a transport failure. Cancelling the consumer cancels
    /// the request.
    public func watch(
        _ r: GroupVersionResource, namespace: String?, resourceVersion: String?, allowBookmarks: Bool = true,
        labelSelector: String? = nil, fieldSelector: String? = nil, timeoutSeconds: Int? = nil,
        idleTimeout: Double? = nil, freshConnection: Bool = false
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        var query: [(String, String)] = []
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let f = fieldSelector, !f.isEmpty { query.append(("fieldSelector", f)) }
        if let l = labelSelector, !l.isEmpty { query.append(("labelSelector", l)) }
        if let rv = resourceVersion { query.append(("resourceVersion", rv)) }
        if let t = timeoutSeconds { query.append(("timeoutSeconds", String(t))) }
        query.append(("watch", "true"))
        return watch(
            path: resourcePath(r, namespace: namespace), query: query, operation: "watch \(r)", idleTimeout: idleTimeout,
            freshConnection: freshConnection)
    }

    /// `idleTimeout`: fail with `.transport(.idleTimeout)` when no byte (event, bookmark,
    /// headers) arrived for that long; it is how a connection that went silent is noticed.
    public func watch(
        path: String, query: [(String, String)], operation: String? = nil, idleTimeout: Double? = nil,
        freshConnection: Bool = false
    ) -> AsyncThrowingStream<WatchEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.runWatch(
                        path: path, query: query, operation: operation, idleTimeout: idleTimeout, freshConnection: freshConnection
                    ) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func runWatch(
        path: String, query: [(String, String)], operation: String?, idleTimeout: Double?, freshConnection: Bool,
        yield: (WatchEvent) -> Void
    ) async throws(KubeError) {
        var retried = false
        attempt: while true {
            // No whole-request timeout: a watch lives as long as the server keeps it.
            var req = HTTPRequest(method: "GET", url: url(path: path, query: query), timeout: nil, idleTimeout: idleTimeout)
            req.freshConnection = freshConnection
            req.headers.append(HTTPHeader("Accept", "application/json"))
            let t = try await prepare(&req)
            var decoder = WatchFrameDecoder()
            var errorStatus: Int?
            var errorHeaders: [HTTPHeader] = []
            var errorBody: [UInt8] = []
            do {
                for try await chunk in t.stream(req) {
                    switch chunk {
                    case .head(let status, let headers):
                        if !(200..<300).contains(status) {
                            errorStatus = status
                            errorHeaders = headers
                        }
                    case .data(let bytes):
                        if errorStatus != nil {
                            // An error body is summarised, never kept whole.
                            if errorBody.count < 65536 { errorBody += bytes.prefix(65536 - errorBody.count) }
                        } else {
                            for e in decoder.feed(bytes) { yield(e) }
                        }
                    }
                }
            } catch let e as TransportError {
                throw KubeError(e, operation: operation)
            } catch is CancellationError {
                throw KubeError(TransportError(kind: .cancelled, message: "cancelled"), operation: operation)
            } catch let e as KubeError {
                throw e
            } catch {
                throw KubeError(TransportError(kind: .other, message: String(describing: error)), operation: operation)
            }
            if let status = errorStatus {
                // As for requests: whenever credentials are sent (TLS, or loopback http).
                if status == 401, !retried, sendsCredentials, await credentials.invalidate() {
                    retried = true
                    continue attempt
                }
                throw annotate(KubeError.fromResponse(HTTPResponse(status: status, headers: errorHeaders, body: errorBody), operation: operation))
            }
            for e in decoder.finish() { yield(e) }
            return
        }
    }

    public func create(
        _ r: GroupVersionResource, namespace: String?, object: JSON, dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        return try await requestJSON(
            method: "POST", path: resourcePath(r, namespace: namespace), query: writeQuery(dryRun, fieldManager), body: object,
            operation: "create \(r) \(name)")
    }

    /// PUT. The object's `metadata.resourceVersion` is the precondition (409 when stale).
    public func update(
        _ r: GroupVersionResource, namespace: String?, object: JSON, dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        guard let name = object[path: "metadata", "name"]?.stringValue, !name.isEmpty else {
            throw .decoding("update needs metadata.name")
        }
        return try await requestJSON(
            method: "PUT", path: resourcePath(r, namespace: namespace, name: name), query: writeQuery(dryRun, fieldManager),
            body: object, operation: "update \(r) \(name)")
    }

    /// JSON merge patch (RFC 7386). A non-nil `resourceVersion` is written into the patch's
    /// `metadata.resourceVersion`, making the server reject it with 409 if the object changed
    /// since it was read: never a silent overwrite.
    public func mergePatch(
        path: String, patch: JSON, resourceVersion: String?, dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        var body = patch
        if let rv = resourceVersion {
            var meta = body["metadata"] ?? .emptyObject
            meta["resourceVersion"] = .string(rv)
            body["metadata"] = meta
        }
        return try await requestJSON(
            method: "PATCH", path: path, query: writeQuery(dryRun, fieldManager), body: body,
            contentType: "application/merge-patch+json", operation: "patch \(path)")
    }

    public func mergePatch(
        _ r: GroupVersionResource, namespace: String?, name: String, patch: JSON, resourceVersion: String?,
        dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        try await mergePatch(
            path: resourcePath(r, namespace: namespace, name: name), patch: patch, resourceVersion: resourceVersion,
            dryRun: dryRun, fieldManager: fieldManager)
    }

    /// DELETE; returns the server's answer (the object, or a Success Status).
    public func delete(
        _ r: GroupVersionResource, namespace: String?, name: String, dryRun: Bool = false, resourceVersion: String? = nil
    ) async throws(KubeError) -> JSON {
        var opts: JSONObject = JSONObject([("kind", "DeleteOptions"), ("apiVersion", "v1"), ("propagationPolicy", "Background")])
        if let rv = resourceVersion { opts["preconditions"] = .object(JSONObject([("resourceVersion", .string(rv))])) }
        return try await requestJSON(
            method: "DELETE", path: resourcePath(r, namespace: namespace, name: name), query: writeQuery(dryRun, nil),
            body: .object(opts), operation: "delete \(r) \(name)")
    }

    /// Any GET as JSON (the metrics API, `/version`).
    public func rawGet(_ path: String, query: [(String, String)] = []) async throws(KubeError) -> JSON {
        try await requestJSON(method: "GET", path: path, query: query, operation: "get \(path)")
    }

    private func writeQuery(_ dryRun: Bool, _ fieldManager: String?) -> [(String, String)] {
        var q: [(String, String)] = []
        if dryRun { q.append(("dryRun", "All")) }
        if let f = fieldManager, !f.isEmpty { q.append(("fieldManager", f)) }
        return q
    }

    // MARK: discovery

    /// `/apis/<group>`: which versions are served; nil when the group is not served (404).
    /// Cached for the life of the client: served versions change only with a CRD update.
    public func apiGroup(_ group: String) async throws(KubeError) -> APIGroupInfo? {
        if let cached = state.withLock({ $0.discovery[group] }) { return cached }
        let info: APIGroupInfo?
        do {
            info = try APIGroupInfo(json: try await rawGet("/apis/\(pathSegment(group))"))
        } catch  where error.code == 404 {
            info = nil
        }
        state.withLock { $0.discovery[group] = .some(info) }
        return info
    }

    /// Discovery for every SMI group; a failure for one group does not hide the others.
    public func discoverSMI() async -> [String: Result<APIGroupInfo?, KubeError>] {
        var out: [String: Result<APIGroupInfo?, KubeError>] = [:]
        for g in Self.smiGroups {
            do { out[g] = .success(try await apiGroup(g)) } catch { out[g] = .failure(error) }
        }
        return out
    }

    /// Drops cached discovery (after a 404 that suggests the served versions changed).
    public func forgetDiscovery() {
        state.withLock { $0.discovery = [:] }
    }
}
