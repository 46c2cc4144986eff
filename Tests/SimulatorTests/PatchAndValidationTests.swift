import APIServer
import Foundation
import Kube
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// Write semantics, validation, auth and watch options over real HTTPS with curl, checked
/// against what the real API server answers (../shared/kubectl.md §4, §5, §8).
@Suite("patch, validation, auth and watch options", .serialized)
struct PatchAndValidationTests {
    static let ns = "bookstore"
    static let splits = SimHarness.splitPath("v1alpha4", ns)
    static let books = SimHarness.splitPath("v1alpha4", ns, "books")
    static let merge = "application/merge-patch+json"

    static func manifest(_ name: String, _ spec: String, ns: String = ns) -> String {
        #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"\#(name)","namespace":"\#(ns)"},"spec":\#(spec)"# + "}"
    }
    static let goodSpec = #"{"service":"books","backends":[{"service":"books-v1","weight":70},{"service":"books-v2","weight":30}]}"#

    static func weights(_ j: JSON) -> [Int64] {
        j[path: "spec", "backends"]?.arrayValue?.compactMap { $0["weight"]?.intValue } ?? []
    }

    static func rv(_ j: JSON) -> String { j[path: "metadata", "resourceVersion"]?.stringValue ?? "" }

    static let imfFixdate: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f
    }()

    /// kube-apiserver's watch cache sends each watch a bookmark once a minute and 2 s before
    /// its deadline; the simulator does the same. The client must notice a dead connection
    /// within a minute, yet never take a quiet, healthy watch for one: its watches end (after
    /// the pre-deadline bookmark) before its idle timeout.
    @Test("watch timeouts, bookmarks and the idle timeout: quiet is never taken for dead")
    func bookmarkCadenceAndIdleTimeout() {
        #expect(SimulatorOptions().bookmarkInterval == 60)
        let config = Reflector.Config()
        let idle = config.watchIdleTimeout ?? .infinity
        #expect(idle <= 60, "a silent connection must be noticed within a minute; idle timeout \(idle) s")
        #expect(Double(config.watchTimeout.upperBound) + 3 <= idle, "a watch must end before it can idle out: \(config.watchTimeout)")
    }

    @Test("a bookmark 2 s before a watch's deadline, as kube-apiserver sends one")
    func bookmarkBeforeTheDeadline() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let rv = try await h.http("GET", Self.splits).json[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        let w = try await h.http(
            "GET", Self.splits + "?watch=true&resourceVersion=\(rv)&allowWatchBookmarks=true&timeoutSeconds=3", timeout: 30)
        let events = watchEvents(w.body)
        #expect(events.map { $0["type"]?.stringValue } == ["BOOKMARK"], "\(w.body)")
        #expect(w.status == 200 && w.curlExit == 0)
    }

    @Test("the Date header is RFC 9110's IMF-fixdate whatever the locale")
    func dateHeaderFormat() {
        #expect(HTTPDate.imfFixdate(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.imfFixdate(Date(timeIntervalSince1970: 1_798_761_599.9)) == "Thu, 31 Dec 2026 23:59:59 GMT")
        #expect(HTTPDate.imfFixdate(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }

    @Test("merge patch: stale resourceVersion is 409 and changes nothing; a no-op keeps the RV")
    func mergePatchPreconditions() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let before = try await h.http("GET", Self.books).json
        let body = #"{"metadata":{"resourceVersion":"1"},"spec":{"backends":[{"service":"books-v1","weight":1},{"service":"books-v2","weight":99}]}}"#
        let stale = try await h.http("PATCH", Self.books, body: body, contentType: Self.merge)
        #expect(stale.status == 409 && stale.json["reason"]?.stringValue == "Conflict", "\(stale.body)")
        let after = try await h.http("GET", Self.books).json
        #expect(Self.rv(after) == Self.rv(before) && Self.weights(after) == Self.weights(before))

        // The current RV as a precondition succeeds.
        let current = body.replacingOccurrences(of: #""resourceVersion":"1""#, with: #""resourceVersion":"\#(Self.rv(before))""#)
        let ok = try await h.http("PATCH", Self.books, body: current, contentType: Self.merge)
        #expect(ok.status == 200 && Self.weights(ok.json) == [1, 99], "\(ok.body)")
        #expect(Int(Self.rv(ok.json))! > Int(Self.rv(before))!)
        #expect(ok.json[path: "metadata", "generation"]?.intValue == (before[path: "metadata", "generation"]?.intValue ?? 0) + 1)

        // The same patch again (without the precondition) changes nothing: same RV, same generation.
        let again = try await h.http(
            "PATCH", Self.books, body: #"{"spec":{"backends":[{"service":"books-v1","weight":1},{"service":"books-v2","weight":99}]}}"#,
            contentType: Self.merge)
        #expect(again.status == 200 && Self.rv(again.json) == Self.rv(ok.json))
        #expect(again.json[path: "metadata", "generation"] == ok.json[path: "metadata", "generation"])
        #expect(h.sim.store.currentRV == Int(Self.rv(ok.json))!)

        // PUT with a stale RV is a conflict too.
        var put = ok.json
        put = setPath(put, ["metadata", "resourceVersion"], .string(Self.rv(before)))
        let stalePut = try await h.http("PUT", Self.books, body: put.compactString)
        #expect(stalePut.status == 409)
        // A merge patch whose body is a list is a 400, as on the real server.
        #expect(try await h.http("PATCH", Self.books, body: "[]", contentType: Self.merge).status == 400)
    }

    @Test("JSON patch: a failed test is 422; strategic merge patch on a custom resource is 415")
    func jsonPatchAndSMP() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let before = try await h.http("GET", Self.books).json
        let failed = try await h.http(
            "PATCH", Self.books,
            body: #"[{"op":"test","path":"/spec/backends/0/weight","value":12345},{"op":"replace","path":"/spec/service","value":"x"}]"#,
            contentType: "application/json-patch+json")
        #expect(failed.status == 422, "\(failed.body)")
        #expect(failed.json["kind"]?.stringValue == "Status")
        let passed = try await h.http(
            "PATCH", Self.books,
            body:
                #"[{"op":"test","path":"/spec/backends/0/weight","value":90},{"op":"replace","path":"/spec/backends/0/weight","value":80},{"op":"replace","path":"/spec/backends/1/weight","value":20}]"#,
            contentType: "application/json-patch+json")
        #expect(passed.status == 200 && Self.weights(passed.json) == [80, 20], "\(passed.body)")

        let smp = try await h.http("PATCH", Self.books, body: #"{"spec":{"service":"x"}}"#, contentType: "application/strategic-merge-patch+json")
        #expect(smp.status == 415 && smp.json["reason"]?.stringValue == "UnsupportedMediaType", "\(smp.body)")
        #expect(try await h.http("GET", Self.books).json[path: "spec", "service"] == before[path: "spec", "service"])
        // Built-in types do take strategic merge patch.
        let svc = try await h.http(
            "PATCH", "/api/v1/namespaces/bookstore/services/books", body: #"{"metadata":{"labels":{"smp":"yes"}}}"#,
            contentType: "application/strategic-merge-patch+json")
        #expect(svc.status == 200 && svc.json[path: "metadata", "labels", "smp"]?.stringValue == "yes", "\(svc.body)")
    }

    @Test("dryRun=All returns the would-be object and stores nothing")
    func dryRun() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let rv = h.sim.store.currentRV
        let before = try await h.http("GET", Self.books).json
        let patch = try await h.http(
            "PATCH", Self.books + "?dryRun=All",
            body: #"{"spec":{"backends":[{"service":"books-v1","weight":5},{"service":"books-v2","weight":95}]}}"#, contentType: Self.merge)
        #expect(patch.status == 200 && Self.weights(patch.json) == [5, 95], "\(patch.body)")
        #expect(Self.weights(try await h.http("GET", Self.books).json) == Self.weights(before))

        let create = try await h.http("POST", Self.splits + "?dryRun=All", body: Self.manifest("dry", Self.goodSpec))
        #expect(create.status == 201 && create.json[path: "metadata", "name"]?.stringValue == "dry", "\(create.body)")
        #expect(try await h.http("GET", Self.splits + "/dry").status == 404)

        let del = try await h.http("DELETE", Self.books + "?dryRun=All")
        #expect(del.status == 200)
        #expect(try await h.http("GET", Self.books).status == 200)
        #expect(h.sim.store.currentRV == rv, "no dry run may bump the resourceVersion")
    }

    @Test("fieldValidation: Strict 400, Warn 201 with a Warning header, Ignore prunes silently")
    func fieldValidation() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let spec = #"{"service":"books","bogus":1,"backends":[{"service":"books-v1","weight":100}]}"#
        let strict = try await h.http("POST", Self.splits + "?fieldValidation=Strict", body: Self.manifest("strict", spec))
        #expect(strict.status == 400 && strict.json["reason"]?.stringValue == "BadRequest", "\(strict.body)")
        #expect(strict.json["message"]?.stringValue?.contains(#"unknown field "spec.bogus""#) == true, "\(strict.body)")
        #expect(try await h.http("GET", Self.splits + "/strict").status == 404)

        let warn = try await h.http("POST", Self.splits + "?fieldValidation=Warn", body: Self.manifest("warn", spec))
        #expect(warn.status == 201, "\(warn.body)")
        #expect(warn.headerValues("warning").contains { $0.contains("spec.bogus") }, "\(warn.headers)")
        #expect(warn.json[path: "spec", "bogus"] == nil, "unknown fields are pruned")

        let ignore = try await h.http("POST", Self.splits + "?fieldValidation=Ignore", body: Self.manifest("ignore", spec))
        #expect(ignore.status == 201, "\(ignore.body)")
        #expect(ignore.header("warning") == nil, "\(ignore.headers)")
        #expect(ignore.json[path: "spec", "bogus"] == nil)
        #expect(try await h.http("GET", Self.splits + "/ignore").json[path: "spec", "bogus"] == nil)

        #expect(try await h.http("POST", Self.splits + "?fieldValidation=Loud", body: Self.manifest("loud", Self.goodSpec)).status == 400)
    }

    @Test("schema errors are 422 Invalid with field causes")
    func invalid() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let missing = try await h.http("POST", Self.splits, body: Self.manifest("nosvc", #"{"backends":[{"service":"a","weight":1}]}"#))
        #expect(missing.status == 422 && missing.json["reason"]?.stringValue == "Invalid", "\(missing.body)")
        let causes = missing.json[path: "details", "causes"]?.arrayValue ?? []
        #expect(causes.contains { $0["field"]?.stringValue == "spec.service" && $0["reason"]?.stringValue == "FieldValueRequired" }, "\(missing.body)")
        #expect(missing.json[path: "details", "kind"]?.stringValue == "TrafficSplit")
        #expect(missing.json[path: "details", "name"]?.stringValue == "nosvc")

        let wrongType = try await h.http("POST", Self.splits, body: Self.manifest("wrongtype", #"{"service":5,"backends":[{"service":"a","weight":1}]}"#))
        #expect(wrongType.status == 422, "\(wrongType.body)")
        #expect(wrongType.json[path: "details", "causes"]?.arrayValue?.contains { $0["field"]?.stringValue == "spec.service" } == true, "\(wrongType.body)")
        let badWeight = try await h.http(
            "PATCH", Self.books, body: #"{"spec":{"backends":[{"service":"books-v1","weight":"lots"}]}}"#, contentType: Self.merge)
        #expect(badWeight.status == 422, "\(badWeight.body)")
        #expect(Self.weights(try await h.http("GET", Self.books).json) == [90, 10])

        let badName = try await h.http("POST", Self.splits, body: Self.manifest("Not_A_DNS_Name", Self.goodSpec))
        #expect(
            badName.status == 422 && badName.json[path: "details", "causes"]?.arrayValue?.contains { $0["field"]?.stringValue == "metadata.name" } == true,
            "\(badName.body)")

        let nowhere = try await h.http("POST", SimHarness.splitPath("v1alpha4", "no-such-ns"), body: Self.manifest("x", Self.goodSpec, ns: "no-such-ns"))
        #expect(nowhere.status == 404 && nowhere.json["message"]?.stringValue?.contains(#"namespaces "no-such-ns" not found"#) == true, "\(nowhere.body)")

        let created = try await h.http("POST", Self.splits, body: Self.manifest("twice", Self.goodSpec))
        #expect(created.status == 201)
        let twice = try await h.http("POST", Self.splits, body: Self.manifest("twice", Self.goodSpec))
        #expect(twice.status == 409 && twice.json["reason"]?.stringValue == "AlreadyExists")
        // The Python client sends no Content-Type on POST: JSON is assumed.
        let bare = try await h.http("POST", Self.splits, body: Self.manifest("bare", Self.goodSpec), contentType: nil)
        #expect(bare.status == 201, "\(bare.body)")
    }

    /// A Linkerd ServiceProfile whose route condition holds, where the CRD preserves unknown
    /// fields (`spec.routes[].condition.all[]`), an object nested so that the whole nests
    /// `levels` levels: the object, spec, routes, the route, condition, all (6), then `x`
    /// members down to a number.
    static func deepProfile(_ name: String, levels: Int) -> String {
        let inner = levels - 6
        let deep = String(repeating: #"{"x":"#, count: inner) + "1" + String(repeating: "}", count: inner)
        return #"{"apiVersion":"linkerd.io/v1alpha2","kind":"ServiceProfile","metadata":{"name":"\#(name)","namespace":"\#(ns)"},"#
            + #""spec":{"routes":[{"name":"deep","condition":{"method":"GET","all":["# + deep + "]}}]}}"
    }

    /// The nesting of a JSON text, counted outside strings.
    static func depth(_ text: String) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for c in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
                deepest = max(deepest, depth)
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
            }
        }
        return deepest
    }

    @Test("nesting: an object as deep as Go's decoder takes (10,000 levels) is stored and served; one level more is 400")
    func deepNesting() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerd }
        defer { Task { await h.stop() } }
        let profiles = "/apis/linkerd.io/v1alpha2/namespaces/\(Self.ns)/serviceprofiles"
        let body = Self.deepProfile("deep.bookstore.svc.cluster.local", levels: JSON.serverMaxDepth)
        #expect(Self.depth(body) == 10_000)
        let created = try await h.http("POST", profiles, body: body, timeout: 120)
        #expect(created.status == 201, "\(created.body.prefix(300))")
        let got = try await h.http("GET", profiles + "/deep.bookstore.svc.cluster.local", timeout: 120)
        #expect(got.status == 200 && Self.depth(got.body) == 10_000, "\(got.body.prefix(300))")
        // A list holds it two levels deeper; smitop reads the page whole, as it lists profiles.
        let list = try await h.http("GET", profiles, timeout: 120)
        #expect(list.status == 200 && Self.depth(list.body) == 10_002)
        let items = try ObjectList(json: try JSON.parse(Array(list.body.utf8), skippingKeys: KubeClient.bulkyKeys)).items
        let deep = try #require(items.first { ObjectRef(object: $0).name == "deep.bookstore.svc.cluster.local" })
        #expect(deep[path: "spec", "routes"]?.arrayValue?.count == 1)
        #expect(Self.depth(deep.compactString) == 10_000)
        // A write to it works.
        let patched = try await h.http(
            "PATCH", profiles + "/deep.bookstore.svc.cluster.local", body: #"{"metadata":{"labels":{"a":"b"}}}"#, contentType: Self.merge, timeout: 120)
        #expect(patched.status == 200 && patched.json[path: "metadata", "labels", "a"] == "b", "\(patched.body.prefix(300))")
        #expect(Self.depth(patched.body) == 10_000)

        let tooDeep = try await h.http(
            "POST", profiles, body: Self.deepProfile("deeper.bookstore.svc.cluster.local", levels: JSON.serverMaxDepth + 1), timeout: 120)
        #expect(tooDeep.status == 400 && tooDeep.json["reason"]?.stringValue == "BadRequest", "\(tooDeep.body.prefix(300))")
        #expect(tooDeep.json["message"]?.stringValue?.contains("nesting deeper than 10000 levels") == true, "\(tooDeep.body.prefix(300))")
        #expect(try await h.http("GET", profiles + "/deeper.bookstore.svc.cluster.local").status == 404)
    }

    @Test("server-side apply: fieldManager required, conflicts between managers unless forced")
    func serverSideApply() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let path = Self.splits + "/applied"
        let ct = "application/apply-patch+yaml"
        let noManager = try await h.http("PATCH", path, body: Self.manifest("applied", Self.goodSpec), contentType: ct)
        #expect(noManager.status == 400, "\(noManager.body)")
        #expect(try await h.http("GET", path).status == 404)

        let a = try await h.http("PATCH", path + "?fieldManager=alpha", body: Self.manifest("applied", Self.goodSpec), contentType: ct)
        #expect(a.status == 201, "apply creates: \(a.body)")
        let other = Self.goodSpec.replacingOccurrences(of: "70", with: "10").replacingOccurrences(of: "30", with: "90")
        let conflict = try await h.http("PATCH", path + "?fieldManager=beta", body: Self.manifest("applied", other), contentType: ct)
        #expect(conflict.status == 409 && conflict.json["reason"]?.stringValue == "Conflict", "\(conflict.body)")
        #expect(conflict.json["message"]?.stringValue?.contains("alpha") == true, "\(conflict.body)")
        #expect(Self.weights(try await h.http("GET", path).json) == [70, 30])

        let forced = try await h.http("PATCH", path + "?fieldManager=beta&force=true", body: Self.manifest("applied", other), contentType: ct)
        #expect(forced.status == 200 && Self.weights(forced.json) == [10, 90], "\(forced.body)")
        let managers = forced.json[path: "metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(managers.contains("beta"), "\(managers)")
        // The same apply again by the owner is a no-op.
        let again = try await h.http("PATCH", path + "?fieldManager=beta", body: Self.manifest("applied", other), contentType: ct)
        #expect(again.status == 200 && Self.rv(again.json) == Self.rv(forced.json), "\(again.body)")
    }

    @Test("401 without or with a wrong token, 403 for the read-only token on writes")
    func auth() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        for cred in [SimHarness.Credential.none, .token("not-the-token")] {
            for path in [Self.books, "/api", "/version"] {
                let r = try await h.http("GET", path, as: cred)
                #expect(r.status == 401 && r.json["reason"]?.stringValue == "Unauthorized", "\(path): \(r.status) \(r.body)")
            }
        }
        let read = try await h.http("GET", Self.books, as: .readonly)
        #expect(read.status == 200)
        let rv = h.sim.store.currentRV
        let writes: [(String, String, String?, String?)] = [
            ("PATCH", Self.books, #"{"metadata":{"labels":{"x":"y"}}}"#, Self.merge),
            ("POST", Self.splits, Self.manifest("ro", Self.goodSpec), "application/json"),
            ("PUT", Self.books, read.body, "application/json"),
            ("DELETE", Self.books, nil, nil),
        ]
        for (method, path, body, ct) in writes {
            let r = try await h.http(method, path, body: body, contentType: ct, as: .readonly)
            #expect(r.status == 403 && r.json["reason"]?.stringValue == "Forbidden", "\(method): \(r.body)")
            #expect(r.json["message"]?.stringValue?.contains("sim-readonly") == true)
        }
        #expect(h.sim.store.currentRV == rv)
        // A watch is a read.
        let w = try await h.http("GET", Self.splits + "?watch=true&timeoutSeconds=1", as: .readonly)
        #expect(w.status == 200)
    }

    @Test("a watch with timeoutSeconds ends by itself; bookmarks only when asked for")
    func watchOptions() async throws {
        let h = try await SimHarness.start { $0.bookmarkInterval = 0.5 }
        defer { Task { await h.stop() } }
        let rv = try await h.http("GET", Self.splits).json[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        // HTTP/1.1 framing (chunked) is asked for; the same watch over h2 follows below.
        let timed = try await h.http("GET", Self.splits + "?watch=true&resourceVersion=\(rv)&timeoutSeconds=1", timeout: 30, http1Only: true)
        #expect(timed.status == 200 && timed.curlExit == 0, "ended cleanly by the server: curl rc \(timed.curlExit)")
        #expect(watchEvents(timed.body).isEmpty, "nothing changed: \(timed.body)")
        #expect(timed.header("content-type") == "application/json")
        #expect(timed.header("transfer-encoding") == "chunked")
        // Every response is dated (RFC 9110 IMF-fixdate, GMT), to the second of sending.
        let date = timed.header("date").flatMap { Self.imfFixdate.date(from: $0) }
        #expect(date.map { abs($0.timeIntervalSinceNow) < 120 } == true, "Date: \(timed.header("date") ?? "none")")

        let h2 = try await h.http("GET", Self.splits + "?watch=true&resourceVersion=\(rv)&timeoutSeconds=1", timeout: 30)
        #expect(h2.status == 200 && h2.curlExit == 0, "ended cleanly over h2: curl rc \(h2.curlExit)")
        #expect(h2.header("transfer-encoding") == nil, "HTTP/2 frames the stream itself")

        let bm = try await h.http("GET", Self.splits + "?watch=true&resourceVersion=\(rv)&allowWatchBookmarks=true&timeoutSeconds=3", timeout: 30)
        let events = watchEvents(bm.body)
        let bookmark = events.first { $0["type"]?.stringValue == "BOOKMARK" }
        #expect(bookmark != nil, "\(bm.body)")
        #expect(bookmark?[path: "object", "kind"]?.stringValue == "TrafficSplit")
        #expect(bookmark?[path: "object", "apiVersion"]?.stringValue == "split.smi-spec.io/v1alpha4")
        #expect(Int(bookmark?[path: "object", "metadata", "resourceVersion"]?.stringValue ?? "") ?? 0 >= Int(rv) ?? Int.max)
        #expect(bm.body.hasSuffix("\n"), "every event ends with a newline (the Python client splits on it)")

        let none = try await h.http("GET", Self.splits + "?watch=true&resourceVersion=\(rv)&timeoutSeconds=2", timeout: 30)
        #expect(!watchEvents(none.body).contains { $0["type"]?.stringValue == "BOOKMARK" }, "\(none.body)")

        // An expired resourceVersion is a 200 with one ERROR event.
        let old = try await h.http("GET", Self.splits + "?watch=true&resourceVersion=1", timeout: 30)
        let oldEvents = watchEvents(old.body)
        #expect(old.status == 200 && oldEvents.count == 1 && oldEvents.first?[path: "object", "code"]?.intValue == 410, "\(old.body)")
        // A field selector on a watch (kubectl delete's wait) sees only that object.
        let sel = try await h.http(
            "GET", Self.splits + "?watch=true&fieldSelector=metadata.name%3Dauthors&timeoutSeconds=1", timeout: 30)
        let names = watchEvents(sel.body).compactMap { $0[path: "object", "metadata", "name"]?.stringValue }
        #expect(names == ["authors"], "\(sel.body)")
    }

    @Test("list paging over HTTP returns every split once; a bad continue token is 400")
    func httpPaging() async throws {
        let h = try await SimHarness.start {
            $0.scenario = "generated"
            $0.splits = 40
            $0.services = 80
        }
        defer { Task { await h.stop() } }
        let all = try await h.http("GET", "/apis/split.smi-spec.io/v1alpha4/trafficsplits").json["items"]?.arrayValue ?? []
        #expect(all.count >= 40)
        var seen: [String] = []
        var token = ""
        var pages = 0
        repeat {
            let q = "?limit=7" + (token.isEmpty ? "" : "&continue=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token))
            let page = try await h.http("GET", "/apis/split.smi-spec.io/v1alpha4/trafficsplits" + q).json
            let items = page["items"]?.arrayValue ?? []
            #expect(items.count <= 7)
            seen += items.map { ($0[path: "metadata", "namespace"]?.stringValue ?? "") + "/" + ($0[path: "metadata", "name"]?.stringValue ?? "") }
            token = page[path: "metadata", "continue"]?.stringValue ?? ""
            pages += 1
        } while !token.isEmpty && pages < 50
        #expect(seen.count == all.count && Set(seen).count == seen.count)
        #expect(try await h.http("GET", "/apis/split.smi-spec.io/v1alpha4/trafficsplits?limit=5&continue=garbage").status == 400)
    }
}
