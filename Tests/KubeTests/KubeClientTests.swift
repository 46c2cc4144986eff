import Foundation
import KubeCore
import SMI
import Synchronization
import Testing

@testable import Kube

/// An in-memory HTTPTransport answering from a handler, recording every request: the seam the
/// real libcurl transport plugs into.
final class ScriptedTransport: HTTPTransport {
    let handler: @Sendable (HTTPRequest) -> (Int, [HTTPHeader], [[UInt8]])
    let log = Mutex<[HTTPRequest]>([])

    init(_ handler: @escaping @Sendable (HTTPRequest) -> (Int, [HTTPHeader], [[UInt8]])) { self.handler = handler }

    var requests: [HTTPRequest] { log.withLock { $0 } }

    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        log.withLock { $0.append(request) }
        let (s, h, chunks) = handler(request)
        return HTTPResponse(status: s, headers: h, body: chunks.flatMap { $0 })
    }

    func stream(_ request: HTTPRequest) -> AsyncThrowingStream<StreamChunk, any Error> {
        log.withLock { $0.append(request) }
        let (s, h, chunks) = handler(request)
        return AsyncThrowingStream { c in
            c.yield(.head(status: s, headers: h))
            for ch in chunks { c.yield(.data(ch)) }
            c.finish()
        }
    }
}

func ok(_ json: String) -> (Int, [HTTPHeader], [[UInt8]]) { (200, [HTTPHeader("Content-Type", "application/json")], [Array(json.utf8)]) }
func status(_ code: Int, _ reason: String) -> (Int, [HTTPHeader], [[UInt8]]) {
    (
        code, [HTTPHeader("Content-Type", "application/json")],
        [Array(#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"m","reason":"\#(reason)","code":\#(code)}"#.utf8)]
    )
}

let ts = GroupVersionResource(group: "split.smi-spec.io", version: "v1alpha4", resource: "trafficsplits")

@Suite struct KubeClientTests {
    func client(
        _ t: ScriptedTransport, server: String = "https://k:6443/prefix", creds: any CredentialProvider = StaticCredentials(.bearer("tok"))
    ) -> KubeClient {
        KubeClient(server: URL(string: server)!, credentials: creds, transport: t)
    }

    @Test func pathsAndHeaders() async throws {
        #expect(resourcePath(group: "", version: "v1", resource: "namespaces", name: "demo") == "/api/v1/namespaces/demo")
        #expect(resourcePath(ts, namespace: "demo", name: "web split") == "/apis/split.smi-spec.io/v1alpha4/namespaces/demo/trafficsplits/web%20split")
        #expect(resourcePath(ts) == "/apis/split.smi-spec.io/v1alpha4/trafficsplits")
        let t = ScriptedTransport { _ in ok(#"{"metadata":{"name":"web"}}"#) }
        let obj = try await client(t).get(ts, namespace: "demo", name: "web")
        #expect(obj[path: "metadata", "name"] == "web")
        let r = t.requests[0]
        #expect(r.url == "https://k:6443/prefix/apis/split.smi-spec.io/v1alpha4/namespaces/demo/trafficsplits/web")
        #expect(r.header("Authorization") == "Bearer tok")
        #expect(r.header("User-Agent") == "smitop/\(KubeClient.version)")
        #expect(r.header("Accept") == "application/json")
    }

    @Test func noCredentialsOverPlainHTTPAndAHintOn401() async {
        let t = ScriptedTransport { _ in status(401, "Unauthorized") }
        do {
            _ = try await client(t, server: "http://k:8080").get(ts, namespace: "demo", name: "web")
            Issue.record("expected 401")
        } catch {
            #expect(error.isUnauthorized)
            #expect(error.userMessage.contains("plain http"))
        }
        #expect(t.requests.count == 1)
        #expect(t.requests[0].header("Authorization") == nil)
    }

    @Test func credentialsOverPlainHTTPOnlyToLoopback() async throws {
        for server in ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"] {
            let t = ScriptedTransport { _ in ok(#"{"kind":"X"}"#) }
            _ = try await client(t, server: server).rawGet("/version")
            #expect(t.requests[0].header("Authorization") == "Bearer tok", "\(server)")
        }
        // Names that only look like loopback addresses are other hosts.
        for server in ["http://10.0.0.1:8080", "http://127.evil.example:8080", "http://127.0.0.1.nip.io:8080", "http://1270.0.0.1:8080"] {
            let remote = ScriptedTransport { _ in ok(#"{"kind":"X"}"#) }
            _ = try await client(remote, server: server).rawGet("/version")
            #expect(remote.requests[0].header("Authorization") == nil, "\(server)")
        }
    }

    @Test func refreshesCredentialsOnceOn401() async throws {
        let d = TempDir()
        let f = d.write("token", "new")
        let creds = TokenFileCredentials(path: f, initialToken: "old")
        let t = ScriptedTransport { r in r.header("Authorization") == "Bearer new" ? ok(#"{"kind":"X"}"#) : status(401, "Unauthorized") }
        _ = try await client(t, creds: creds).rawGet("/version")
        #expect(t.requests.map { $0.header("Authorization") } == ["Bearer old", "Bearer new"])

        // Still 401 after the refresh: one retry only.
        let always = ScriptedTransport { _ in status(401, "Unauthorized") }
        await #expect(throws: KubeError.self) { try await client(always, creds: creds).rawGet("/version") }
        #expect(always.requests.count == 2)
    }

    /// A watch answered 401 re-reads its credential once and re-opens, over TLS and over
    /// loopback http alike (credentials go to both); still 401 after that is the error.
    @Test(arguments: ["https://k:6443", "http://127.0.0.1:8080"])
    func watchRefreshesCredentialsOnceOn401(server: String) async throws {
        let d = TempDir()
        let f = d.write("token", "new")
        let t = ScriptedTransport { r in
            r.header("Authorization") == "Bearer new"
                ? (200, [], [Array(#"{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}"#.utf8) + [0x0A]])
                : status(401, "Unauthorized")
        }
        var events: [WatchEvent] = []
        let c = client(t, server: server, creds: TokenFileCredentials(path: f, initialToken: "old"))
        for try await e in c.watch(ts, namespace: nil, resourceVersion: "1") { events.append(e) }
        #expect(events.map(\.type) == [.added])
        #expect(t.requests.map { $0.header("Authorization") } == ["Bearer old", "Bearer new"])

        let always = ScriptedTransport { _ in status(401, "Unauthorized") }
        do {
            for try await _ in client(always, server: server, creds: TokenFileCredentials(path: f, initialToken: "old")).watch(
                ts, namespace: nil, resourceVersion: "1")
            {}
            Issue.record("expected 401")
        } catch let e as KubeError {
            #expect(e.isUnauthorized)
        }
        #expect(always.requests.count == 2, "one refresh, then the error")
    }

    @Test func listAllFollowsContinueAndFallsBackWhenItExpires() async throws {
        let t = ScriptedTransport { r in
            if r.url.contains("continue=c2") { return status(410, "Expired") }
            if r.url.contains("continue=c1") {
                return ok(#"{"metadata":{"resourceVersion":"7","continue":"c2"},"items":[{"metadata":{"name":"b","namespace":"n"}}]}"#)
            }
            if r.url.contains("limit=") {
                return ok(#"{"metadata":{"resourceVersion":"7","continue":"c1"},"items":[{"metadata":{"name":"a","namespace":"n"}}]}"#)
            }
            return ok(
                #"{"metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"a","namespace":"n"}},{"metadata":{"name":"b","namespace":"n"}},{"metadata":{"name":"c","namespace":"n"}}]}"#
            )
        }
        let list = try await client(t).listAll(ts, namespace: nil, options: ListOptions(labelSelector: "app=web"), pageSize: 1)
        #expect(list.items.count == 3)
        #expect(list.metadata.resourceVersion == "9")
        let urls = t.requests.map(\.url)
        #expect(urls[0] == "https://k:6443/prefix/apis/split.smi-spec.io/v1alpha4/trafficsplits?labelSelector=app%3Dweb&limit=1")
        #expect(urls.last == "https://k:6443/prefix/apis/split.smi-spec.io/v1alpha4/trafficsplits?labelSelector=app%3Dweb")
    }

    /// The pipelined split listing: pages in server order (metadata after the items, as the
    /// API server writes custom resource lists), an object that moved between pages kept once
    /// with its last content, a bad item reported without losing the rest.
    @Test func listTrafficSplitsKeepsOrderAndDeduplicates() async throws {
        @Sendable func split(_ name: String, _ w: Int) -> String {
            #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"\#(name)","namespace":"n"},"spec":{"service":"s","backends":[{"service":"b","weight":\#(w)}]}}"#
        }
        let t = ScriptedTransport { r in
            if r.url.contains("continue=c2") {
                return ok(
                    #"{"items":[\#(split("a", 9)),{"kind":"TrafficSplit","metadata":{"name":"bad","namespace":"n"}}],"metadata":{"resourceVersion":"8"}}"#)
            }
            if r.url.contains("continue=c1") { return ok(#"{"items":[\#(split("b", 2))],"metadata":{"resourceVersion":"7","continue":"c2"}}"#) }
            return ok(#"{"apiVersion":"v1","items":[\#(split("a", 1))],"kind":"TrafficSplitList","metadata":{"resourceVersion":"7","continue":"c1"}}"#)
        }
        let (meta, items) = try await client(t).listTrafficSplits(ts, namespace: nil, pageSize: 1) { $0 }
        #expect(meta.resourceVersion == "8")
        #expect(items.map(\.key) == ["n/a", "n/b", "n/bad"])
        #expect((try? items[0].split.get())?.backends.first?.weight.description == "9")
        if case .failure(let e) = items[2].split { #expect(e.path == "apiVersion") } else { Issue.record("the bad item decoded") }
    }

    /// A page that is not a list fails the listing with the tree decoder's message.
    @Test func listTrafficSplitsRefusesAPageThatIsNotAList() async {
        let t = ScriptedTransport { _ in ok(#"{"kind":"Status","apiVersion":"v1","metadata":{}}"#) }
        do {
            _ = try await client(t).listTrafficSplits(ts, namespace: nil) { $0 }
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("not a list"))
        }
    }

    @Test func watchStreamsEventsAcrossChunks() async throws {
        let body = Array(
            (#"{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}}"# + "\n"
                + #"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}}"#).utf8)
        let t = ScriptedTransport { _ in (200, [], body.chunked(5).map(Array.init)) }
        var events: [WatchEvent] = []
        for try await e in client(t).watch(ts, namespace: "demo", resourceVersion: "10") { events.append(e) }
        #expect(events.map(\.type) == [.added, .bookmark])
        #expect(t.requests[0].url.hasSuffix("/namespaces/demo/trafficsplits?allowWatchBookmarks=true&resourceVersion=10&watch=true"))
        #expect(t.requests[0].timeout == nil)
    }

    @Test func watchHTTPErrorThrowsKubeError() async {
        let t = ScriptedTransport { _ in status(410, "Expired") }
        do {
            for try await _ in client(t).watch(ts, namespace: nil, resourceVersion: "1") {}
            Issue.record("expected an error")
        } catch let e as KubeError {
            #expect(e.isGone)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func mergePatchCarriesResourceVersionDryRunAndFieldManager() async throws {
        let t = ScriptedTransport { r in (200, [], [r.body ?? []]) }
        let patch: JSON = ["spec": ["backends": [["service": "v1", "weight": 90], ["service": "v2", "weight": 10]]]]
        let echoed = try await client(t).mergePatch(
            ts, namespace: "demo", name: "web", patch: patch, resourceVersion: "1012", dryRun: true, fieldManager: "smitop")
        #expect(echoed[path: "metadata", "resourceVersion"] == "1012")
        #expect(echoed[path: "spec", "backends"]?.arrayValue?.count == 2)
        let r = t.requests[0]
        #expect(r.method == "PATCH")
        #expect(r.header("Content-Type") == "application/merge-patch+json")
        #expect(r.url.hasSuffix("/namespaces/demo/trafficsplits/web?dryRun=All&fieldManager=smitop"))
        // A write never shares a connection libcurl might silently resend it on.
        #expect(r.freshConnection)
        _ = try? await client(t).get(ts, namespace: "demo", name: "web")
        #expect(t.requests.last?.freshConnection == false, "reads reuse connections")
    }

    @Test func nonJSONSuccessBodyIsADecodingError() async {
        let t = ScriptedTransport { _ in (200, [HTTPHeader("Content-Type", "text/html")], [Array("<html><title>Login</title></html>".utf8)]) }
        do {
            _ = try await client(t).rawGet("/apis/metrics.smi-spec.io/v1alpha1/namespaces/demo/deployments")
            Issue.record("expected an error")
        } catch {
            #expect(error.source == .decoding)
            #expect(error.userMessage.contains("text/html"))
        }
    }

    @Test func discoveryIsCachedAndMissingGroupsAreNil() async throws {
        let t = ScriptedTransport { r in
            if r.url.hasSuffix("/apis/split.smi-spec.io") {
                return ok(
                    #"{"kind":"APIGroup","apiVersion":"v1","name":"split.smi-spec.io","versions":[{"groupVersion":"split.smi-spec.io/v1alpha4","version":"v1alpha4"},{"groupVersion":"split.smi-spec.io/v1alpha3","version":"v1alpha3"}],"preferredVersion":{"groupVersion":"split.smi-spec.io/v1alpha4","version":"v1alpha4"}}"#
                )
            }
            return (404, [HTTPHeader("Content-Type", "text/plain")], [Array("404 page not found".utf8)])
        }
        let c = client(t)
        let g = try await c.apiGroup("split.smi-spec.io")
        #expect(g == APIGroupInfo(name: "split.smi-spec.io", versions: ["v1alpha4", "v1alpha3"], preferredVersion: "v1alpha4"))
        _ = try await c.apiGroup("split.smi-spec.io")
        let all = await c.discoverSMI()
        #expect(t.requests.count == 4, "split cached; access, specs, metrics asked once each")
        if case .success(let access)? = all["access.smi-spec.io"] { #expect(access == nil) } else { Issue.record("access should be absent, not an error") }
    }
}
