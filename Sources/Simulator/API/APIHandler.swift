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
        if segments.first == "sim", segments.dropFirst().first == "prometheus" {
            // A proxy's metrics port takes no credentials; Prometheus scrapes it as is.
            return proxyMetricsScrape(method: request.method.rawValue, segments: Array(segments.dropFirst(2)))
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
            let response = try await Self.$prefersProtobuf.withValue(Self.prefersProtobuf(accept: api.accept)) {
                try await route(api, user: user, request: request, context: context)
            }
            if api.method != "GET", (200..<300).contains(response.status.code), sim.faults.takeDropResponse() {
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
            // Over HTTP/2 the request's channel is a stream; the TLS handler is on its parent,
            // the connection. (Over HTTP/1.1 the parent is the listening socket: no TLS there.)
            for channel in [context.channel, context.channel.parent].compactMap({ $0 }) {
                if let cert = try? await channel.nioSSL_peerCertificate().get(),
                    let der = try? cert.toDERBytes(),
                    let name = ClusterPKI.user(fromCertificateDER: der, caPEM: pki.caCertPEM)
                {
                    return User(name: name, groups: [ClusterPKI.clientGroup, "system:authenticated"], canWrite: true)
                }
            }
            return nil
        }
        // Plain HTTP: like `kubectl proxy`, the listener itself is the credential.
        return User(name: "system:anonymous-proxy", groups: ["system:authenticated"], canWrite: true)
    }
}
