import KubeCore
import Testing

@testable import GatewayAPI

/// Linkerd's ServiceProfile as smitop reads it (NOTES.md §7): which Service it names, what it
/// decides, and which profile takes precedence over the routes of a Service.
@Suite struct ServiceProfilePrecedence {
    func profile(_ ns: String, _ name: String, routes: Int = 0, dst: [(String, JSON)] = []) throws -> ServiceProfile {
        var spec = JSONObject()
        if routes > 0 {
            spec["routes"] = .array((0..<routes).map { i in ["name": .string("r\(i)"), "condition": ["pathRegex": "/"]] })
        }
        if !dst.isEmpty { spec["dstOverrides"] = .array(dst.map { ["authority": .string($0.0), "weight": $0.1] }) }
        return try ServiceProfile(
            json: [
                "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
                "metadata": ["name": .string(name), "namespace": .string(ns)], "spec": .object(spec),
            ])
    }

    let authors = ObjectRef(namespace: "bookstore", name: "authors")

    @Test("the Service comes from the name <svc>.<ns>.svc.<domain>, and dstOverrides from their authorities")
    func naming() throws {
        let p = try profile(
            "bookstore", "authors.bookstore.svc.cluster.local",
            dst: [("authors-v1.bookstore.svc.cluster.local:8080", "900m"), ("authors-canary.bookstore.svc.cluster.local:8080", 100)])
        #expect(p.service == authors && p.isServerProfile && p.overridesRoutes)
        #expect(
            p.dstOverrides.map(\.service) == [ObjectRef(namespace: "bookstore", name: "authors-v1"), ObjectRef(namespace: "bookstore", name: "authors-canary")])
        #expect(p.dstOverrides.map(\.weightText) == ["900m", "100"])
        // 0.9 against 100: weights are quantities, shares relative.
        #expect(p.shares.map { $0.map { ($0 * 10_000).rounded() } } == [89, 9911])
        #expect(p.label == "ServiceProfile bookstore/authors.bookstore.svc.cluster.local")
        // Another cluster domain is the same Service; a name off the convention names none.
        #expect(try profile("bookstore", "authors.bookstore.svc.example.org").service == authors)
        #expect(try profile("bookstore", "authors").service == nil)
        #expect(try profile("bookstore", "authors.bookstore.pod.cluster.local").service == nil)
        // Authorities: a bare name is in the profile's namespace; an external host names no Service.
        #expect(ServiceProfile.service(authority: "authors-v1:8080", namespace: "bookstore") == ObjectRef(namespace: "bookstore", name: "authors-v1"))
        #expect(ServiceProfile.service(authority: "api.example.com:443", namespace: "bookstore") == nil)
        #expect(ServiceProfile.service(authority: "authors.payments", namespace: "bookstore") == ObjectRef(namespace: "payments", name: "authors"))
        #expect(ServiceProfile.service(authority: ":80", namespace: "bookstore") == nil)
    }

    @Test("only a profile with routes or dstOverrides, in the Service's namespace, overrides its routes; the first name wins")
    func precedence() throws {
        func overriding(_ ps: [ServiceProfile]) -> ServiceProfile? { ProfileIndex(ps).deciding(authors, callerNamespace: nil) }
        let empty = try profile("bookstore", "authors.bookstore.svc.cluster.local")
        #expect(!empty.overridesRoutes)
        #expect(overriding([empty]) == nil, "an empty profile decides nothing (§7)")
        let withRoutes = try profile("bookstore", "authors.bookstore.svc.cluster.local", routes: 2)
        #expect(overriding([empty, withRoutes]) == withRoutes)
        let dst = try profile("bookstore", "authors.bookstore.svc.cluster.local", dst: [("authors-v1.bookstore.svc.cluster.local:8080", 1)])
        #expect(overriding([dst])?.dstOverrides.count == 1)
        // A caller-side profile (in the caller's namespace) is not a server-side one.
        let clientSide = try profile("payments", "authors.bookstore.svc.cluster.local", dst: [("authors-v1.bookstore.svc.cluster.local:8080", 1)])
        #expect(!clientSide.isServerProfile)
        #expect(overriding([clientSide]) == nil)
        // Another Service's profile does not count.
        let books = try profile("bookstore", "books.bookstore.svc.cluster.local", routes: 1)
        #expect(overriding([books]) == nil)
        // Two domains for one Service: the name that sorts first, whatever the order given.
        let other = try profile("bookstore", "authors.bookstore.svc.aaa.local", routes: 1)
        #expect(overriding([withRoutes, other])?.meta.name == "authors.bookstore.svc.aaa.local")
        #expect(overriding([other, withRoutes])?.meta.name == "authors.bookstore.svc.aaa.local")
    }

    @Test("a profile in the caller's namespace comes first for those callers, even an empty one; everyone else meets the Service's")
    func callerSide() throws {
        let server = try profile("bookstore", "authors.bookstore.svc.cluster.local", dst: [("authors-v1.bookstore.svc.cluster.local:8080", 1)])
        let payments = try profile("payments", "authors.bookstore.svc.cluster.local", dst: [("authors-canary.bookstore.svc.cluster.local:8080", 1)])
        let emptyInShop = try profile("shop", "authors.bookstore.svc.cluster.local")
        let index = ProfileIndex([server, payments, emptyInShop])
        #expect(index.deciding(authors, callerNamespace: "payments") == payments, "the caller's own profile decides for it")
        #expect(index.deciding(authors, callerNamespace: "shop") == nil, "an empty caller-side profile hides the Service's: routes decide")
        #expect(index.deciding(authors, callerNamespace: "front") == server, "a caller without one meets the Service's")
        #expect(index.deciding(authors, callerNamespace: "bookstore") == server, "the Service's own namespace is the server side")
        #expect(index.deciding(authors, callerNamespace: nil) == server)
        // A route: a consumer route is met by its namespace's callers only; a producer route by
        // those without a profile of their own.
        #expect(index.overriding(routeNamespace: "payments", service: authors) == payments)
        #expect(index.overriding(routeNamespace: "shop", service: authors) == nil)
        #expect(index.overriding(routeNamespace: "bookstore", service: authors) == server)
        #expect(index.callerProfiles(of: authors).map(\.namespace) == ["payments", "shop"])
        #expect(index.deciders.map(\.namespace) == ["bookstore", "payments"], "the empty one decides nothing")
        // Without a server-side profile the caller-side one still decides for its callers only.
        let onlyCaller = ProfileIndex([payments])
        #expect(onlyCaller.deciding(authors, callerNamespace: "payments") == payments)
        #expect(onlyCaller.deciding(authors, callerNamespace: "front") == nil)
        // Two in one caller namespace (other domains): the first name, in any order.
        let other = try profile("payments", "authors.bookstore.svc.aaa.local")
        #expect(ProfileIndex([payments, other]).deciding(authors, callerNamespace: "payments") == nil)
        #expect(ProfileIndex([other, payments]).callerProfiles(of: authors).first?.profile.meta.name == "authors.bookstore.svc.aaa.local")
    }

    @Test("hostile profiles: odd weights read as nothing, lists are bounded, text is sanitised, wrong types are errors")
    func hostile() throws {
        let p = try profile(
            "bookstore", "authors.bookstore.svc.cluster.local\u{1b}[2J",
            dst: [
                ("a.bookstore.svc.cluster.local", "1e-9223372036854775808"), ("b\u{1b}]0;x\u{7}.bookstore", -5),
                ("c.bookstore", "lots"), ("d.bookstore", 1),
            ])
        #expect(!p.meta.name.contains("\u{1b}"))
        #expect(!p.dstOverrides[1].authority.contains("\u{1b}"))
        #expect(p.dstOverrides.map(\.weight) == [nil, nil, nil, 1])
        #expect(p.shares == [0, 0, 0, 1])
        let many = try profile("bookstore", "x.bookstore.svc.cluster.local", dst: (0..<500).map { ("s\($0).bookstore", 1) })
        #expect(many.dstOverrides.count == ServiceProfile.maximumOverrides)
        #expect(throws: ObjectDecodeError.self) {
            try ServiceProfile(json: ["metadata": ["name": "x", "namespace": "y"], "spec": ["dstOverrides": "all"]])
        }
        #expect(throws: ObjectDecodeError.self) { try ServiceProfile(json: ["metadata": ["name": "x"], "spec": ["routes": 3]]) }
        #expect(throws: ObjectDecodeError.self) { try ServiceProfile(json: "profile") }
    }
}
