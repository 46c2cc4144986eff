import APIServer
import Foundation
import HTTPTypes
import Hummingbird
import Kube
import KubeCore
import NIOCore
import NIOSSL
import SMI

struct SimContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Who is calling: decided once per request from the bearer token or client certificate.
struct User: Sendable {
    var name: String
    var groups: [String]
    var canWrite: Bool
}

/// A parsed request as the API layer sees it.
struct APIRequest {
    var method: String
    var path: String
    var segments: [String]
    var query: [String: String]
    var accept: String?
    var contentType: String?
    var userAgent: String?
    var body: [UInt8]

    func flag(_ k: String) -> Bool { query[k] == "true" || query[k] == "1" }
    var dryRun: Bool { query["dryRun"] == "All" }
    var wantsTable: Bool { accept?.contains("as=Table") == true }
}

/// Where a resource request points.
struct ResourceTarget {
    var type: ResourceType
    var version: String
    var namespace: String?  // nil: all namespaces (list/watch) or cluster-scoped
    var name: String?
    var subresource: String?
}

/// The Kubernetes API surface of the simulator: one responder for every path, because the
/// API's paths are data (groups, versions, resources) rather than a fixed route table.
struct APIHandler: HTTPResponder {
    typealias Context = SimContext
    let sim: Simulator

    /// `SMITOP_SIM_TRACE=1` prints one line per request to stderr (never a credential).
    static let trace = ProcessInfo.processInfo.environment["SMITOP_SIM_TRACE"] != nil

    func respond(to request: Request, context: SimContext) async throws -> Response {
        let response = try await handle(request, context: context)
        if Self.trace {
            let line =
                "\(request.method.rawValue) \(request.uri) ct=\(request.headers[.contentType] ?? "-") accept=\(request.headers[.accept] ?? "-") -> \(response.status.code)\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        return response
    }

    func handle(_ request: Request, context: SimContext) async throws -> Response {
        var request = request
        let pathString = request.uri.path
        let segments = pathString.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        let query = Self.parseQuery(request.uri.query)
        if segments.first == "sim", segments.dropFirst().first == "admin" {
            return await admin(request: &request, context: context, segments: Array(segments.dropFirst(2)))
        }
        await sim.faults.waitWhileBlackholed()
        // Authenticate before anything else, as the real server does (discovery too).
        guard let user = await authenticate(request, context: context) else {
            return Self.status(APIError(code: 401, reason: "Unauthorized", message: "Unauthorized"))
        }
        let injected = sim.faults.next()
        if injected.latencyMs > 0 { try? await Task.sleep(for: .milliseconds(injected.latencyMs)) }
        if case .error(let e) = injected.fault { return Self.status(e) }

        var body: [UInt8] = []
        if request.method == .post || request.method == .put || request.method == .patch || request.method == .delete {
            do {
                let buf = try await request.collectBody(upTo: 64 << 20)
                body = Array(buf.readableBytesView)
            } catch {
                return Self.status(APIError(code: 413, reason: "RequestEntityTooLarge", message: "the request body is too large"))
            }
        }
        let api = APIRequest(
            method: request.method.rawValue, path: pathString, segments: segments, query: query,
            accept: request.headers[.accept], contentType: request.headers[.contentType],
            userAgent: request.headers[.userAgent], body: body)
        do {
            let response = try await route(api, user: user, request: request, context: context)
            if api.method != "GET", response.status.code < 300, sim.faults.takeDropResponse() {
                // Applied, and now the answer is lost: the connection is cut where the body
                // would go. Done inside the body writer, which still finishes, so the server's
                // own bookkeeping of the response stays whole.
                let channel = context.channel
                return Response(
                    status: response.status, headers: response.headers,
                    body: ResponseBody { writer in
                        channel.close(promise: nil)
                        try? await writer.finish(nil)
                    })
            }
            return response
        } catch let e as APIError {
            return Self.status(e)
        }
    }

    static func parseQuery(_ q: String?) -> [String: String] {
        guard let q, !q.isEmpty else { return [:] }
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let k = kv[0].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? kv[0]
            let v = kv.count > 1 ? (kv[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? kv[1]) : ""
            out[k] = v
        }
        return out
    }

    func authenticate(_ request: Request, context: SimContext) async -> User? {
        if let auth = request.headers[.authorization] {
            guard auth.hasPrefix("Bearer ") else { return nil }
            let token = String(auth.dropFirst(7)).trimmingCharacters(in: " ")
            if token == sim.adminToken { return User(name: "sim-admin", groups: ["system:masters", "system:authenticated"], canWrite: true) }
            if token == sim.readonlyToken { return User(name: "sim-readonly", groups: ["system:authenticated"], canWrite: false) }
            return nil
        }
        if let pki = sim.pki {
            if let cert = try? await context.channel.nioSSL_peerCertificate().get(),
                let der = try? cert.toDERBytes(),
                let name = ClusterPKI.user(fromCertificateDER: der, caPEM: pki.caCertPEM)
            {
                return User(name: name, groups: [ClusterPKI.clientGroup, "system:authenticated"], canWrite: true)
            }
            return nil
        }
        // Plain HTTP: like `kubectl proxy`, the listener itself is the credential.
        return User(name: "system:anonymous-proxy", groups: ["system:authenticated"], canWrite: true)
    }

    // MARK: Routing

    func route(_ r: APIRequest, user: User, request: Request, context: SimContext) async throws -> Response {
        let s = r.segments
        let method = r.method
        if method == "GET" {
            switch s {
            case ["version"]: return Self.json(versionInfo)
            case ["healthz"], ["readyz"], ["livez"]: return Self.text("ok")
            case ["api"]:
                if let f = Discovery.aggregatedFormat(accept: r.accept) {
                    return Self.json(discovery.aggregated(core: true, format: f), contentType: f.contentType)
                }
                return Self.json(discovery.apiVersions)
            case ["apis"]:
                if let f = Discovery.aggregatedFormat(accept: r.accept) {
                    return Self.json(discovery.aggregated(core: false, format: f), contentType: f.contentType)
                }
                return Self.json(discovery.apiGroupList)
            case ["api", "v1"]:
                return Self.json(discovery.resourceList(group: "", version: "v1")!)
            case ["openapi", "v2"]:
                return Response(
                    status: .ok, headers: [.contentType: Discovery.openAPIV2ContentType],
                    body: .init(byteBuffer: ByteBuffer(bytes: Discovery.openAPIV2Protobuf)))
            case ["openapi", "v3"]:
                return Self.json(discovery.openAPIV3Root(hash: openAPIHash))
            default: break
            }
            if s.count == 2, s[0] == "apis" {
                guard let g = discovery.apiGroup(s[1]) else { throw notFoundPath(r.path) }
                return Self.json(g)
            }
            if s.count == 3, s[0] == "apis" {
                guard let l = discovery.resourceList(group: s[1], version: s[2]) else { throw notFoundPath(r.path) }
                return Self.json(l)
            }
            if s.count >= 3, s[0] == "openapi", s[1] == "v3" {
                let rest = Array(s.dropFirst(2))
                let doc: JSON?
                if rest == ["api", "v1"] {
                    doc = discovery.openAPIV3(group: "", version: "v1")
                } else if rest.count == 3, rest[0] == "apis" {
                    doc = discovery.openAPIV3(group: rest[1], version: rest[2])
                } else {
                    doc = nil
                }
                guard let doc else { throw notFoundPath(r.path) }
                var resp = Self.json(doc)
                if r.query["hash"] != nil { resp.headers[.cacheControl] = "public, immutable" }
                return resp
            }
        }
        if s.count >= 3, s[0] == "apis", s[1] == TypeRegistry.metricsGroup {
            guard method == "GET" else {
                throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
            }
            return metrics(r)
        }
        if s == ["apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"], method == "POST" {
            return try selfSubjectAccessReview(r, user: user)
        }
        guard let target = try resolveTarget(r) else { throw notFoundPath(r.path) }
        return try await resource(r, target: target, user: user, request: request, context: context)
    }

    var discovery: Discovery { Discovery(registry: sim.registry, serverAddress: "\(sim.options.address):\(sim.boundPort.load(ordering: .relaxed))") }
    var openAPIHash: String { "smitop-\(sim.options.profile.rawValue)-1" }

    var versionInfo: JSON {
        let minor = String(sim.options.kubernetesMinor)
        return [
            "major": "1", "minor": .string(minor), "gitVersion": .string("v1.\(minor).0"),
            "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
            "platform": "linux/amd64",
        ]
    }

    func notFoundPath(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: .emptyObject)
    }

    func resolveTarget(_ r: APIRequest) throws(APIError) -> ResourceTarget? {
        let s = r.segments
        let group: String
        let version: String
        let rest: [String]
        if s.count >= 3, s[0] == "api", s[1] == "v1" {
            group = ""
            version = "v1"
            rest = Array(s.dropFirst(2))
        } else if s.count >= 4, s[0] == "apis" {
            group = s[1]
            version = s[2]
            rest = Array(s.dropFirst(3))
        } else {
            return nil
        }
        func type(_ res: String) throws(APIError) -> ResourceType {
            guard let t = sim.registry.find(group: group, version: version, resource: res) else { throw notFoundPath(r.path) }
            return t
        }
        // /namespaces/{ns}/{resource}[/{name}[/{sub}]] for namespaced types.
        if rest.count >= 3, rest[0] == "namespaces" {
            let t = try type(rest[2])
            guard t.namespaced else { throw notFoundPath(r.path) }
            return ResourceTarget(
                type: t, version: version, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil,
                subresource: rest.count > 4 ? rest[4] : nil)
        }
        let t = try type(rest[0])
        if rest.count > 3 { throw notFoundPath(r.path) }
        if t.namespaced && rest.count > 1 { throw notFoundPath(r.path) }
        return ResourceTarget(type: t, version: version, namespace: nil, name: rest.count > 1 ? rest[1] : nil, subresource: rest.count > 2 ? rest[2] : nil)
    }

    // MARK: Resources

    func verb(_ r: APIRequest, _ target: ResourceTarget) -> String {
        switch r.method {
        case "GET": return target.name == nil ? (r.flag("watch") ? "watch" : "list") : "get"
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return target.name == nil ? "deletecollection" : "delete"
        default: return r.method.lowercased()
        }
    }

    func forbidden(_ user: User, verb: String, target: ResourceTarget) -> APIError {
        let t = target.type
        var msg = ""
        if let n = target.name { msg = "\(t.groupResource) \"\(n)\" is forbidden: " } else { msg = "\(t.groupResource) is forbidden: " }
        msg += "User \"\(user.name)\" cannot \(verb) resource \"\(t.resource)\" in API group \"\(t.group)\""
        if let ns = target.namespace { msg += " in the namespace \"\(ns)\"" } else if !t.namespaced { msg += " at the cluster scope" }
        return APIError(
            code: 403, reason: "Forbidden", message: msg,
            details: ["name": .string(target.name ?? ""), "group": .string(t.group), "kind": .string(t.resource)])
    }

    func resource(_ r: APIRequest, target: ResourceTarget, user: User, request: Request, context: SimContext) async throws -> Response {
        let v = verb(r, target)
        guard target.type.verbs.contains(v) || (v == "deletecollection" && target.type.verbs.contains("delete")) else {
            throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        if !["get", "list", "watch"].contains(v), !user.canWrite {
            throw forbidden(user, verb: v, target: target)
        }
        if let sub = target.subresource, !["status"].contains(sub) {
            throw notFoundPath(r.path)
        }
        switch v {
        case "get": return try get(r, target)
        case "list": return try list(r, target)
        case "watch": return try watch(r, target, request: request, context: context)
        case "create": return try create(r, target)
        case "update": return try update(r, target)
        case "patch": return try patch(r, target)
        case "delete": return try delete(r, target)
        case "deletecollection": return try deleteCollection(r, target)
        default: throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }

    /// The object as a client of `version` sees it.
    func present(_ o: JSON, _ t: ResourceType, _ version: String) -> JSON {
        var x = o
        x["apiVersion"] = .string(t.apiVersion(version))
        return x
    }

    func presentBytes(_ so: StoredObject, _ t: ResourceType, _ version: String) -> [UInt8] {
        if version == t.storageVersion, !so.bytes.isEmpty { return so.bytes }
        return present(so.object, t, version).serialized()
    }

    func get(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        guard let so = sim.store.get(t, namespace: target.namespace ?? "", name: target.name!) else {
            throw APIError.notFound(t, target.name!)
        }
        if r.wantsTable {
            let table = Tables.table(
                for: t, version: target.version, objects: [present(so.object, t, target.version)], listRV: nil,
                continueToken: nil, remaining: nil, includeObject: r.query["includeObject"])
            return Self.json(table, contentType: "application/json;as=Table;v=v1;g=meta.k8s.io")
        }
        return Self.raw(presentBytes(so, t, target.version))
    }

    func selection(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Selection {
        var sel = Selection(namespace: target.type.namespaced ? target.namespace : nil)
        if let l = r.query["labelSelector"], !l.isEmpty { sel.labels = try LabelSelector(parsing: l) }
        if let f = r.query["fieldSelector"], !f.isEmpty { sel.fields = try FieldSelector(parsing: f, kind: target.type.kind) }
        return sel
    }

    func list(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let sel = try selection(r, target)
        let limit = r.query["limit"].flatMap { Int($0) }
        let page = try sim.store.list(t, selection: sel, limit: limit, continueToken: r.query["continue"])
        if r.wantsTable {
            let table = Tables.table(
                for: t, version: target.version, objects: page.items.map { present($0.object, t, target.version) },
                listRV: page.rv, continueToken: page.continueToken, remaining: page.remaining,
                includeObject: r.query["includeObject"])
            return Self.json(table, contentType: "application/json;as=Table;v=v1;g=meta.k8s.io")
        }
        // Concatenate each object's cached bytes: a list of 10,000 splits is one copy.
        var out: [UInt8] = []
        out.reserveCapacity(page.items.reduce(256) { $0 + $1.bytes.count + 1 })
        out.append(contentsOf: #"{"apiVersion":"#.utf8)
        JSON.writeString(t.apiVersion(target.version), into: &out)
        out.append(contentsOf: #","items":["#.utf8)
        for (i, so) in page.items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: presentBytes(so, t, target.version))
        }
        out.append(contentsOf: #"],"kind":"#.utf8)
        JSON.writeString(t.listKind, into: &out)
        var meta = JSONObject()
        meta["resourceVersion"] = .string(String(page.rv))
        if let c = page.continueToken { meta["continue"] = .string(c) }
        if let rem = page.remaining { meta["remainingItemCount"] = .int(rem) }
        out.append(contentsOf: #","metadata":"#.utf8)
        JSON.object(meta).write(into: &out)
        out.append(UInt8(ascii: "}"))
        return Self.raw(out)
    }

    // MARK: Watch

    func watch(_ r: APIRequest, _ target: ResourceTarget, request: Request, context: SimContext) throws -> Response {
        let t = target.type
        let sel = try selection(r, target)
        let rvParam = r.query["resourceVersion"] ?? ""
        let fromRV: Int?
        if rvParam.isEmpty || rvParam == "0" {
            fromRV = nil
        } else if let n = Int(rvParam) {
            fromRV = n
        } else {
            throw APIError.badRequest("resourceVersion: Invalid value: \"\(rvParam)\": must be a decimal integer")
        }
        let table = r.wantsTable
        let includeObject = r.query["includeObject"]
        let bookmarks = r.flag("allowWatchBookmarks")
        let timeout = r.query["timeoutSeconds"].flatMap { Double($0) }
        let store = sim.store
        let version = target.version
        let sim = self.sim
        let handler = self

        // The real server answers an expired resourceVersion with 200 and one ERROR event.
        var expired: APIError? = nil
        var registration: (id: Int, stream: AsyncStream<WatchItem>)? = nil
        if sim.faults.takeExpireWatch() {
            expired = APIError.gone("too old resource version: \(fromRV ?? 0) (\(store.currentRV))")
        } else {
            do { registration = try store.watch(t, selection: sel, fromRV: fromRV) } catch { expired = error }
        }
        let expiredNow = expired
        let reg = registration
        let dropAtStart = sim.faults.drops.generation
        let channel = context.channel
        let bookmarkInterval = sim.options.bookmarkInterval

        let body = ResponseBody { writer in
            if let expired = expiredNow {
                try await writer.write(ByteBuffer(bytes: Self.eventLine(type: "ERROR", object: expired.status.serialized())))
                try await writer.finish(nil)
                return
            }
            guard let (id, stream) = reg else { return }
            defer { store.stopWatch(id) }
            try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // The timeout and bookmarks: one sleep until whichever is due next, so an
                    // idle watch costs no wakeups (a watch without either sleeps until
                    // cancelled). Both end or feed the stream through the store.
                    group.addTask {
                        let started = Date()
                        let deadline = timeout.map { started.addingTimeInterval($0) }
                        // As kube-apiserver: every interval, and once 2 s before the deadline
                        // so the client resumes from the newest resourceVersion.
                        func bookmarkAfter(_ t: Date) -> Date {
                            let periodic = t.addingTimeInterval(bookmarkInterval)
                            guard let last = deadline?.addingTimeInterval(-2), last > t else { return periodic }
                            return min(periodic, last)
                        }
                        var nextBookmark = bookmarkAfter(started)
                        while !Task.isCancelled {
                            let due = min(deadline ?? .distantFuture, bookmarks ? nextBookmark : .distantFuture)
                            let wait = min(due.timeIntervalSinceNow, 86_400)
                            if wait > 0 { try await Task.sleep(for: .seconds(saturating: wait + 0.001)) }
                            if let deadline, Date() >= deadline {
                                store.stopWatch(id)
                                return
                            }
                            if bookmarks, Date() >= nextBookmark {
                                nextBookmark = bookmarkAfter(Date())
                                store.bookmark(id)
                            }
                        }
                    }
                    // The "drop watches" fault, waited for rather than polled.
                    group.addTask {
                        await sim.faults.drops.wait(past: dropAtStart)
                        if Task.isCancelled { return }
                        // An abrupt drop: no terminating chunk, as when a proxy dies.
                        channel.close(promise: nil)
                        store.stopWatch(id)
                    }
                    for await item in stream {
                        let line: [UInt8]
                        switch item {
                        case .event(let e):
                            let obj: [UInt8]
                            if table {
                                let tbl = Tables.table(
                                    for: t, version: version, objects: [handler.present(e.object, t, version)], listRV: nil,
                                    continueToken: nil, remaining: nil, includeObject: includeObject)
                                obj = tbl.serialized()
                            } else {
                                obj = handler.present(e.object, t, version).serialized()
                            }
                            line = Self.eventLine(type: e.type.rawValue, object: obj)
                        case .bookmark(let rv):
                            guard bookmarks else { continue }
                            let bm: JSON = [
                                "kind": .string(t.kind), "apiVersion": .string(t.apiVersion(version)),
                                "metadata": ["resourceVersion": .string(String(rv))],
                            ]
                            line = Self.eventLine(type: "BOOKMARK", object: bm.serialized())
                        case .error(let e):
                            line = Self.eventLine(type: "ERROR", object: e.status.serialized())
                        }
                        await sim.faults.waitWhileBlackholed()
                        try await writer.write(ByteBuffer(bytes: line))
                    }
                    group.cancelAll()
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache, private"], body: body)
    }

    static func eventLine(type: String, object: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(object.count + 32)
        out.append(contentsOf: #"{"type":""#.utf8)
        out.append(contentsOf: type.utf8)
        out.append(contentsOf: #"","object":"#.utf8)
        out.append(contentsOf: object)
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    // MARK: Writes

    func decodeBody(_ r: APIRequest) throws(APIError) -> JSON {
        let ct = (r.contentType ?? "application/json").lowercased()
        if ct.hasPrefix("application/yaml") || ct.hasPrefix("application/apply-patch+yaml") || ct.hasPrefix("text/yaml") {
            let text = String(decoding: r.body, as: UTF8.self)
            do {
                let docs = try YAMLDocuments.read(text)
                return docs.first?.json ?? .null
            } catch {
                throw APIError.badRequest("error decoding YAML: \(error)")
            }
        }
        do {
            return try JSON.parse(r.body)
        } catch {
            throw APIError.badRequest("the object provided is unrecognized (\(error))")
        }
    }

    func checkKind(_ obj: JSON, _ t: ResourceType, _ version: String) throws(APIError) {
        guard case .object = obj else {
            throw APIError.badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        }
        let av = obj["apiVersion"]?.stringValue ?? ""
        let kind = obj["kind"]?.stringValue ?? ""
        if !av.isEmpty, av != t.apiVersion(version) {
            throw APIError.badRequest("the API version in the data (\(av)) does not match the expected API version (\(t.apiVersion(version)))")
        }
        if !kind.isEmpty, kind != t.kind {
            throw APIError.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(t.kind))")
        }
    }

    func fieldValidation(_ r: APIRequest) throws(APIError) -> FieldValidation {
        switch r.query["fieldValidation"] ?? "Warn" {
        case "Strict": return .strict
        case "Warn", "": return .warn
        case "Ignore": return .ignore
        case let other:
            throw APIError.badRequest("fieldValidation parameter unsupported: \(other)")
        }
    }

    /// Validates against the CRD schema (custom resources) and the metadata rules; returns the
    /// pruned object and any warnings for the Warning header.
    func validateAndPrune(_ obj: JSON, _ t: ResourceType, _ version: String, _ mode: FieldValidation) throws(APIError) -> (JSON, [String]) {
        let name = obj[path: "metadata", "name"]?.stringValue ?? ""
        var causes = validateObjectMeta(obj["metadata"], namespaced: t.namespaced).map(\.cause)
        var pruned = obj
        var warnings: [String] = []
        if t.isCustom, let schema = t.schemas[version] {
            let result = validate(obj, schema: schema, fieldValidation: mode)
            if let strict = result.strictDecodingError {
                throw APIError.badRequest(strictDecodingStatusMessage(kind: t.kind, version: version, error: strict))
            }
            causes.append(contentsOf: result.causes)
            pruned = result.pruned
            warnings = result.warnings
        }
        if !causes.isEmpty { throw APIError.invalid(t.kind, t.group, name, causes: causes) }
        return (pruned, warnings)
    }

    func fieldManager(_ r: APIRequest) throws(APIError) -> String {
        if let m = r.query["fieldManager"] {
            guard !m.isEmpty, m.count <= 128 else { throw APIError.badRequest("fieldManager must be between 1 and 128 characters") }
            return m
        }
        return Writes.defaultManager(userAgent: r.userAgent)
    }

    func create(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        var obj = try decodeBody(r)
        try checkKind(obj, t, target.version)
        var name = obj[path: "metadata", "name"]?.stringValue ?? ""
        if name.isEmpty, let gen = obj[path: "metadata", "generateName"]?.stringValue, !gen.isEmpty {
            name = gen + Self.randomSuffix()
            obj = setPath(obj, ["metadata", "name"], .string(name))
        }
        let ns = t.namespaced ? (target.namespace ?? "") : ""
        if t.namespaced {
            if let bodyNS = obj[path: "metadata", "namespace"]?.stringValue, !bodyNS.isEmpty, bodyNS != ns {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            obj = setPath(obj, ["metadata", "namespace"], .string(ns))
            let nsType = sim.registry.find(group: "", resource: "namespaces")!
            if sim.store.get(nsType, namespace: "", name: ns) == nil {
                throw APIError(
                    code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found",
                    details: ["name": .string(ns), "kind": "namespaces"])
            }
        }
        obj["apiVersion"] = .string(t.apiVersion(target.version))
        obj["kind"] = .string(t.kind)
        let (pruned, warnings) = try validateAndPrune(obj, t, target.version, try fieldValidation(r))
        var o = Writes.fillNewMetadata(pruned, t: t, now: Date(), namespace: ns)
        o = Writes.defaultBuiltin(o, t: t)
        o = recordManagedUpdate(old: nil, new: o, manager: try fieldManager(r), apiVersion: t.apiVersion(target.version))
        let stored = try sim.store.create(t, namespace: ns, name: name, object: sim.normalizeStored(o, t), dryRun: r.dryRun)
        return Self.raw(present(stored.object, t, target.version).serialized(), status: 201, warnings: warnings)
    }

    func update(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        var obj = try decodeBody(r)
        try checkKind(obj, t, target.version)
        let name = target.name!
        if let bodyName = obj[path: "metadata", "name"]?.stringValue, bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        obj = setPath(obj, ["metadata", "name"], .string(name))
        let expected = obj[path: "metadata", "resourceVersion"]?.stringValue.flatMap { Int($0) }
        if let s = obj[path: "metadata", "resourceVersion"]?.stringValue, !s.isEmpty, Int(s) == nil {
            throw APIError.invalid(
                t.kind, t.group, name,
                causes: [
                    [
                        "reason": "FieldValueInvalid", "message": .string("Invalid value: \"\(s)\": must be a decimal integer"),
                        "field": "metadata.resourceVersion",
                    ]
                ])
        }
        obj["apiVersion"] = .string(t.apiVersion(target.version))
        obj["kind"] = .string(t.kind)
        let mode = try fieldValidation(r)
        let manager = try fieldManager(r)
        var warnings: [String] = []
        let (stored, _) = try sim.store.update(t, namespace: target.namespace ?? "", name: name, expectedRV: expected, dryRun: r.dryRun) {
            (cur) throws(APIError) -> JSON in
            var next = obj
            if target.subresource == "status" {
                next = setPath(cur, ["status"], obj["status"] ?? .null)
            } else if t.group.isEmpty || t.group == "apps" {
                // The main resource ignores status changes for types with a status subresource.
                next["status"] = cur["status"]
            }
            next = Writes.carryOverSystemFields(old: cur, new: next, t: t)
            let (pruned, w) = try validateAndPrune(present(next, t, target.version), t, target.version, mode)
            warnings = w
            next = Writes.defaultBuiltin(sim.normalizeStored(pruned, t), t: t)
            return recordManagedUpdate(old: cur, new: next, manager: manager, apiVersion: t.apiVersion(target.version))
        }
        return Self.raw(present(stored.object, t, target.version).serialized(), warnings: warnings)
    }

    func patch(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let name = target.name!
        let ns = target.namespace ?? ""
        let ct = (r.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let mode = try fieldValidation(r)
        switch ct {
        case "application/merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml":
            break
        case "application/strategic-merge-patch+json":
            if t.isCustom {
                throw APIError(
                    code: 415, reason: "UnsupportedMediaType",
                    message:
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                )
            }
        default:
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
            )
        }
        let patchDoc = try decodeBody(r)
        if ct == "application/apply-patch+yaml" {
            guard let manager = r.query["fieldManager"], !manager.isEmpty else {
                throw APIError.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
            }
            return try serverSideApply(r, target, applied: patchDoc, manager: manager, mode: mode)
        }
        if ct == "application/merge-patch+json", case .array = patchDoc {
            throw APIError(code: 400, reason: "BadRequest", message: "json: cannot unmarshal array into Go value of type map[string]interface {}")
        }
        let manager = try fieldManager(r)
        var warnings: [String] = []
        let (stored, _) = try sim.store.update(t, namespace: ns, name: name, expectedRV: nil, dryRun: r.dryRun) {
            (cur) throws(APIError) -> JSON in
            let visible = present(cur, t, target.version)
            var next: JSON
            switch ct {
            case "application/merge-patch+json":
                next = applyMergePatch(patchDoc, to: visible)
            case "application/json-patch+json":
                do throws(JSONPatchError) { next = try applyJSONPatch(patchDoc, to: visible) } catch let e {
                    throw Self.jsonPatchError(e, t, name)
                }
            default:
                do throws(StrategicMergePatchError) { next = try applyStrategicMergePatch(patchDoc, to: visible, kind: t.kind) } catch let e {
                    throw APIError(code: e.httpStatus, reason: e.httpStatus == 400 ? "BadRequest" : "Invalid", message: e.message)
                }
            }
            // A patch that carries metadata.resourceVersion is a precondition (optimistic lock).
            if let want = next[path: "metadata", "resourceVersion"]?.stringValue, want != String(cur.rvInt) {
                throw APIError.conflict(t, name)
            }
            next = Writes.carryOverSystemFields(old: cur, new: next, t: t)
            let (pruned, w) = try validateAndPrune(next, t, target.version, mode)
            warnings = w
            next = Writes.defaultBuiltin(sim.normalizeStored(pruned, t), t: t)
            return recordManagedUpdate(old: cur, new: next, manager: manager, apiVersion: t.apiVersion(target.version))
        }
        return Self.raw(present(stored.object, t, target.version).serialized(), warnings: warnings)
    }

    static func jsonPatchError(_ e: JSONPatchError, _ t: ResourceType, _ name: String) -> APIError {
        // The real server answers an unsatisfied `test` or a bad path with 422 Invalid, and a
        // malformed patch document with 400.
        APIError(
            code: e.httpStatus, reason: e.statusReason, message: "the server rejected our request due to an error in our request: \(e)",
            details: ["name": .string(name), "group": .string(t.group), "kind": .string(t.kind)])
    }

    func serverSideApply(_ r: APIRequest, _ target: ResourceTarget, applied: JSON, manager: String, mode: FieldValidation) throws(APIError) -> Response {
        let t = target.type
        let name = target.name!
        let ns = target.namespace ?? ""
        try checkKind(applied, t, target.version)
        let force = r.flag("force")
        if sim.store.get(t, namespace: ns, name: name) == nil {
            // Apply creates when absent.
            var obj = applied
            obj = setPath(obj, ["metadata", "name"], .string(name))
            if t.namespaced { obj = setPath(obj, ["metadata", "namespace"], .string(ns)) }
            let (pruned, warnings) = try validateAndPrune(obj, t, target.version, mode)
            var o = try ssa(live: nil, applied: pruned, manager: manager, force: force, t: t, name: name)
            o = Writes.fillNewMetadata(o, t: t, now: Date(), namespace: ns)
            o = Writes.defaultBuiltin(o, t: t)
            let stored = try sim.store.create(t, namespace: ns, name: name, object: sim.normalizeStored(o, t), dryRun: r.dryRun)
            return Self.raw(present(stored.object, t, target.version).serialized(), status: 201, warnings: warnings)
        }
        var warnings: [String] = []
        let (stored, _) = try sim.store.update(t, namespace: ns, name: name, expectedRV: nil, dryRun: r.dryRun) {
            (cur) throws(APIError) -> JSON in
            let visible = present(cur, t, target.version)
            if let want = applied[path: "metadata", "resourceVersion"]?.stringValue, want != String(cur.rvInt) {
                throw APIError.conflict(t, name)
            }
            var next = try ssa(live: visible, applied: applied, manager: manager, force: force, t: t, name: name)
            next = Writes.carryOverSystemFields(old: cur, new: next, t: t)
            let (pruned, w) = try validateAndPrune(next, t, target.version, mode)
            warnings = w
            return Writes.defaultBuiltin(sim.normalizeStored(pruned, t), t: t)
        }
        return Self.raw(present(stored.object, t, target.version).serialized(), warnings: warnings)
    }

    /// Server-side apply with the real server's 409 for fields another manager owns.
    func ssa(live: JSON?, applied: JSON, manager: String, force: Bool, t: ResourceType, name: String) throws(APIError) -> JSON {
        do {
            let (object, conflicts) = try APIServer.serverSideApply(live: live, applied: applied, manager: manager, force: force, now: KubeTime.format(Date()))
            if !conflicts.isEmpty && !force {
                throw APIError(
                    code: 409, reason: "Conflict", message: applyConflictMessage(conflicts),
                    details: [
                        "name": .string(name), "group": .string(t.group), "kind": .string(t.resource),
                        "causes": .array(conflicts.map { (c: ApplyConflict) in c.cause }),
                    ])
            }
            return object
        } catch let e as ServerSideApplyError {
            throw APIError(code: e.httpStatus, reason: e.httpStatus == 400 ? "BadRequest" : "Invalid", message: e.message)
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError(code: 500, reason: "InternalError", message: "\(error)")
        }
    }

    func delete(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let name = target.name!
        var expected: Int? = nil
        if !r.body.isEmpty, let opts = try? JSON.parse(r.body) {
            if let rv = opts[path: "preconditions", "resourceVersion"]?.stringValue { expected = Int(rv) }
            if opts["dryRun"]?.arrayValue?.contains("All") == true {
                let o = try sim.store.delete(t, namespace: target.namespace ?? "", name: name, expectedRV: expected, dryRun: true)
                return Self.raw(present(o, t, target.version).serialized())
            }
        }
        let obj = try sim.store.delete(t, namespace: target.namespace ?? "", name: name, expectedRV: expected, dryRun: r.dryRun)
        if t.resource == "namespaces", t.group.isEmpty, !r.dryRun {
            // Namespace deletion takes everything in it (the namespace controller's job).
            for other in sim.registry.types where other.namespaced {
                for so in sim.store.all(other) where so.object[path: "metadata", "namespace"]?.stringValue == name {
                    _ = try? sim.store.delete(
                        other, namespace: name, name: so.object[path: "metadata", "name"]?.stringValue ?? "", expectedRV: nil, dryRun: false)
                }
            }
        }
        return Self.raw(present(obj, t, target.version).serialized())
    }

    func deleteCollection(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let sel = try selection(r, target)
        let page = try sim.store.list(t, selection: sel, limit: nil, continueToken: nil)
        var deleted: [JSON] = []
        for so in page.items {
            let ns = so.object[path: "metadata", "namespace"]?.stringValue ?? ""
            let n = so.object[path: "metadata", "name"]?.stringValue ?? ""
            if let o = try? sim.store.delete(t, namespace: ns, name: n, expectedRV: nil, dryRun: r.dryRun) {
                deleted.append(present(o, t, target.version))
            }
        }
        let list: JSON = [
            "apiVersion": .string(t.apiVersion(target.version)), "kind": .string(t.listKind),
            "metadata": ["resourceVersion": .string(String(sim.store.currentRV))], "items": .array(deleted),
        ]
        return Self.json(list)
    }

    // MARK: Authorization review

    func selfSubjectAccessReview(_ r: APIRequest, user: User) throws(APIError) -> Response {
        var review: JSON
        if r.contentType?.hasPrefix("application/vnd.kubernetes.protobuf") == true {
            guard let decoded = KubeProtobuf.selfSubjectAccessReview(r.body) else {
                throw APIError.badRequest("the body of the request could not be decoded as a SelfSubjectAccessReview")
            }
            review = decoded
        } else {
            review = try decodeBody(r)
        }
        guard case .object = review else { throw APIError.badRequest("invalid SelfSubjectAccessReview") }
        let attrs = review[path: "spec", "resourceAttributes"]
        let verb = attrs?["verb"]?.stringValue ?? review[path: "spec", "nonResourceAttributes", "verb"]?.stringValue ?? ""
        let allowed = user.canWrite || ["get", "list", "watch"].contains(verb)
        var status: JSON = ["allowed": .bool(allowed)]
        if allowed {
            status["reason"] =
                user.canWrite ? "RBAC: allowed by ClusterRoleBinding \"smitop-sim-admin\"" : "RBAC: allowed by ClusterRoleBinding \"smitop-sim-view\""
        } else {
            status["denied"] = false
        }
        review["status"] = status
        review["apiVersion"] = "authorization.k8s.io/v1"
        review["kind"] = "SelfSubjectAccessReview"
        review = setPath(review, ["metadata", "creationTimestamp"], .null)
        return Self.raw(review.serialized(), status: 201)
    }

    // MARK: Metrics

    func metrics(_ r: APIRequest) -> Response {
        let snapshot = sim.metricsSnapshot()
        let (status, body) = MetricsAPI.handle(
            path: r.path, query: r.query, now: Date().timeIntervalSince1970, model: sim.traffic, snapshot: snapshot)
        return Self.raw(body.serialized(), status: status)
    }

    // MARK: Admin

    func admin(request: inout Request, context: SimContext, segments: [String]) async -> Response {
        guard sim.options.adminEnabled else {
            return Self.status(APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource"))
        }
        // Loopback only: the fault switches must never be reachable from elsewhere.
        let remote = context.channel.remoteAddress?.ipAddress ?? ""
        guard remote == "127.0.0.1" || remote == "::1" || remote.hasPrefix("127.") || remote == "::ffff:127.0.0.1" else {
            return Self.status(APIError(code: 403, reason: "Forbidden", message: "the admin endpoint only answers loopback clients"))
        }
        switch (request.method, segments) {
        case (.get, ["faults"]):
            return Self.json(sim.faults.settings.withLock { $0.json })
        case (.post, ["faults"]), (.put, ["faults"]), (.patch, ["faults"]):
            guard let buf = try? await request.collectBody(upTo: 1 << 20), let patch = try? JSON.parse(Array(buf.readableBytesView)) else {
                return Self.status(APIError.badRequest("the body must be a JSON object of fault settings"))
            }
            do {
                let updated = try sim.faults.settings.withLock { (s) throws(APIError) -> JSON in
                    try s.merge(patch)
                    return s.json
                }
                sim.faults.changes.bump()
                if patch["dropWatchesNow"]?.boolValue == true { sim.faults.drops.bump() }
                if patch["expireWatchesNow"]?.boolValue == true {
                    sim.store.finishAllWatches(with: .error(APIError.gone("too old resource version: 0 (\(sim.store.currentRV))")))
                }
                return Self.json(updated)
            } catch {
                return Self.status(error)
            }
        case (.get, ["state"]):
            return Self.json(["resourceVersion": .int(sim.store.currentRV), "watches": .int(sim.store.watcherCount)])
        default:
            return Self.status(APIError(code: 404, reason: "NotFound", message: "unknown admin path"))
        }
    }

    // MARK: Responses

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<5).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }

    static func json(_ j: JSON, status: Int = 200, contentType: String = "application/json") -> Response {
        raw(j.serialized(), status: status, contentType: contentType)
    }

    static func raw(_ bytes: [UInt8], status: Int = 200, contentType: String = "application/json", warnings: [String] = []) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        for w in warnings.prefix(16) {
            let escaped = w.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            headers.append(HTTPField(name: HTTPField.Name("Warning")!, value: "299 - \"\(escaped)\""))
        }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ s: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func status(_ e: APIError) -> Response {
        var r = json(e.status, status: e.code)
        if let ra = e.retryAfter { r.headers[HTTPField.Name("Retry-After")!] = String(ra) }
        return r
    }
}

extension JSON {
    var rvInt: Int { Int(self[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? -1 }
}
