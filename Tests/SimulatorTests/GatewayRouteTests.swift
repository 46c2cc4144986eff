import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// The Gateway API profiles over real HTTPS: the real CRDs served with their defaults and
/// bounds, the status subresource, and a mesh controller writing `status.parents` as Linkerd
/// or Istio does.
@Suite("Gateway API routes over HTTP", .serialized)
struct GatewayRouteTests {
    static let routes = "/apis/gateway.networking.k8s.io/v1/namespaces/bookstore/httproutes"

    /// Polls until `condition` holds for the object at `path` (the controller writes shortly
    /// after a change), returning the last object read.
    func waitFor(_ h: SimHarness, _ path: String, _ condition: (JSON) -> Bool) async throws -> JSON {
        var last = JSON.null
        for _ in 0..<100 {
            last = try await h.http("GET", path).json
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test("discovery lists each profile's route kinds, preferred version first")
    func discovery() async throws {
        for (profile, gateway, linkerd) in [(SimProfile.linkerdGamma, true, true), (.istio, true, false), (.sdk, false, false)] {
            let h = try await SimHarness.start { $0.profile = profile }
            defer { Task { await h.stop() } }
            let groups = try await h.http("GET", "/apis").json["groups"]?.arrayValue ?? []
            let gw = groups.first { $0["name"]?.stringValue == "gateway.networking.k8s.io" }
            #expect((gw != nil) == gateway, "\(profile)")
            if gateway {
                #expect(gw?[path: "preferredVersion", "version"]?.stringValue == "v1")
                #expect(gw?["versions"]?.arrayValue?.compactMap { $0["version"]?.stringValue } == ["v1", "v1beta1"])
            }
            let policy = groups.first { $0["name"]?.stringValue == "policy.linkerd.io" }
            #expect((policy != nil) == linkerd, "\(profile)")
            if linkerd { #expect(policy?[path: "preferredVersion", "version"]?.stringValue == "v1beta3") }
            let smi = groups.contains { $0["name"]?.stringValue == "split.smi-spec.io" }
            #expect(smi == (profile != .istio), "\(profile): Istio never served SMI")
        }
    }

    @Test("a route written without defaults is stored with the CRD's: weight 1, core group, Service, PathPrefix /")
    func defaults() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        let body = #"""
            {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"d"},
             "spec":{"parentRefs":[{"group":"","kind":"Service","name":"books","port":8080}],
                     "rules":[{"backendRefs":[{"name":"books-v1","port":8080}]}]}}
            """#
        let r = try await h.http("POST", Self.routes, body: body)
        #expect(r.status == 201, "\(r.body)")
        let b = r.json[path: "spec", "rules"]?.arrayValue?.first?["backendRefs"]?.arrayValue?.first
        #expect(b?["weight"] == .number("1") && b?["group"] == .string("") && b?["kind"] == .string("Service"))
        #expect(r.json[path: "spec", "rules"]?.arrayValue?.first?["matches"] == [["path": ["type": "PathPrefix", "value": "/"]]])
        #expect(r.json[path: "metadata", "generation"] == .number("1"))
        // A route with no rules at all gets the CRD's default rule.
        let bare = try await h.http(
            "POST", Self.routes,
            body: #"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"bare"},"spec":{}}"#)
        #expect(bare.status == 201, "\(bare.body)")
        #expect(bare.json[path: "spec", "rules"] == [["matches": [["path": ["type": "PathPrefix", "value": "/"]]]]])
    }

    @Test("weights and list sizes beyond the CRD's bounds are 422 with kube-openapi's words")
    func bounds() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        let body = #"""
            {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"big"},
             "spec":{"rules":[{"backendRefs":[{"name":"books-v1","port":8080,"weight":1000001},{"name":"books-v2","port":8080,"weight":-1}]}]}}
            """#
        let r = try await h.http("POST", Self.routes, body: body)
        #expect(r.status == 422)
        let causes = r.json[path: "details", "causes"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
        #expect(causes.contains { $0.contains("should be less than or equal to 1000000") }, "\(causes)")
        #expect(causes.contains { $0.contains("should be greater than or equal to 0") }, "\(causes)")
        let many = (0..<17).map { _ in #"{"backendRefs":[]}"# }.joined(separator: ",")
        let tooMany = try await h.http(
            "POST", Self.routes,
            body: #"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"many"},"spec":{"rules":["#
                + many + "]}}")
        #expect(tooMany.status == 422 && tooMany.body.contains("must have at most 16 items"), "\(tooMany.body)")
    }

    @Test("Linkerd's controller: Accepted without observedGeneration, the parent echoed with its namespace; conflicts and unresolvable parents")
    func linkerdStatus() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        let books = try await h.http("GET", Self.routes + "/books").json
        let parent = try #require(books[path: "status", "parents"]?.arrayValue?.first)
        #expect(parent["controllerName"] == "linkerd.io/policy-controller")
        #expect(parent[path: "parentRef", "namespace"] == "bookstore")
        let accepted = parent["conditions"]?.arrayValue?.first { $0["type"] == "Accepted" }
        #expect(accepted?["status"] == "True" && accepted?["observedGeneration"] == nil && accepted?["message"] == "")
        // GRPCRoute beats HTTPRoute on the same Service and port.
        let conflicted = try await h.http("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/payments/httproutes/ledger-http").json
        #expect(conflicted[path: "status", "parents"]?.arrayValue?.first?["conditions"]?.arrayValue?.first?["reason"] == "RouteReasonConflicted")
        // A Service parent without group is stored with the Gateway API group: nobody takes it.
        let webapp = try await h.http("GET", Self.routes + "/webapp").json
        #expect(webapp[path: "spec", "parentRefs"]?.arrayValue?.first?["group"] == "gateway.networking.k8s.io")
        #expect(webapp[path: "status", "parents"] == nil || webapp[path: "status", "parents"] == .array([]))
        // The policy.linkerd.io route is Linkerd's too.
        let fraud = try await h.http("GET", "/apis/policy.linkerd.io/v1beta3/namespaces/payments/httproutes/fraud").json
        #expect(fraud[path: "status", "parents"]?.arrayValue?.first?["controllerName"] == "linkerd.io/policy-controller")
        // A missing backend: ResolvedRefs False, BackendNotFound, soon after the write.
        let body = #"""
            {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"ghost"},
             "spec":{"parentRefs":[{"group":"","kind":"Service","name":"books","port":8080}],
                     "rules":[{"backendRefs":[{"name":"books-v9","port":8080}]}]}}
            """#
        #expect(try await h.http("POST", Self.routes, body: body).status == 201)
        let ghost = try await waitFor(h, Self.routes + "/ghost") { $0[path: "status", "parents"]?.arrayValue?.isEmpty == false }
        let resolved = ghost[path: "status", "parents"]?.arrayValue?.first?["conditions"]?.arrayValue?.first { $0["type"] == "ResolvedRefs" }
        #expect(resolved?["status"] == "False" && resolved?["reason"] == "BackendNotFound")
    }

    @Test("Istio's controller follows each generation: a weight patch bumps it, status catches up, rules not patched stay as they were")
    func istioGenerations() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        let before = try await h.http("GET", Self.routes + "/books").json
        let gen = try #require(before[path: "metadata", "generation"]?.intValue)
        #expect(before[path: "status", "parents"]?.arrayValue?.first?["controllerName"] == "istio.io/gateway-controller")
        let og = before[path: "status", "parents"]?.arrayValue?.first?["conditions"]?.arrayValue?.first?["observedGeneration"]?.intValue
        #expect(og == gen)
        var rules = try #require(before[path: "spec", "rules"]?.arrayValue)
        rules[1] = setPath(
            rules[1], ["backendRefs"],
            .array((rules[1]["backendRefs"]?.arrayValue ?? []).enumerated().map { i, b in setPath(b, ["weight"], .int(i == 0 ? 50 : 50)) }))
        let patch: JSON = ["metadata": ["resourceVersion": before[path: "metadata", "resourceVersion"] ?? .null], "spec": ["rules": .array(rules)]]
        let p = try await h.http("PATCH", Self.routes + "/books", body: patch.compactString, contentType: "application/merge-patch+json")
        #expect(p.status == 200, "\(p.body)")
        #expect(p.json[path: "metadata", "generation"]?.intValue == gen + 1)
        let after = try await waitFor(h, Self.routes + "/books") {
            $0[path: "status", "parents"]?.arrayValue?.first?["conditions"]?.arrayValue?.first?["observedGeneration"]?.intValue == gen + 1
        }
        #expect(after[path: "status", "parents"]?.arrayValue?.first?["conditions"]?.arrayValue?.first?["observedGeneration"]?.intValue == gen + 1)
        #expect(after[path: "spec", "rules"]?.arrayValue?[0] == before[path: "spec", "rules"]?.arrayValue?[0])
        #expect(after[path: "spec", "rules"]?.arrayValue?[1]["backendRefs"]?.arrayValue?.map { $0["weight"] } == [.number("50"), .number("50")])
        // The status write did not bump the generation; the stale resourceVersion now conflicts.
        #expect(after[path: "metadata", "generation"]?.intValue == gen + 1)
        let stale = try await h.http("PATCH", Self.routes + "/books", body: patch.compactString, contentType: "application/merge-patch+json")
        #expect(stale.status == 409)
        // Status through the main resource is ignored; spec through the status subresource too.
        let sneaky = try await h.http(
            "PATCH", Self.routes + "/books", body: #"{"status":{"parents":[]}}"#, contentType: "application/merge-patch+json")
        #expect(sneaky.status == 200 && sneaky.json[path: "status", "parents"]?.arrayValue?.isEmpty == false)
    }

    @Test("kubectl lists routes with the CRD's columns and ages, and patches them")
    func kubectl() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        let get = try await h.kubectl(["get", "httproutes", "-n", "bookstore"])
        #expect(get.status == 0, "\(get.stderr)")
        let lines = get.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "HOSTNAMES", "AGE"], "\(get.stdout)")
        #expect(lines.contains { $0.hasPrefix("books ") && $0.hasSuffix("47h") }, "\(get.stdout)")
        let grpc = try await h.kubectl(["get", "grpcroute", "ledger", "-n", "payments", "-o", "jsonpath={.status.parents[0].conditions[0].status}"])
        #expect(grpc.stdout == "True", "\(grpc.stderr)")
        let policy = try await h.kubectl(["get", "httproutes.policy.linkerd.io", "-A", "-o", "name"])
        #expect(policy.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "httproute.policy.linkerd.io/fraud", "\(policy.stderr)")
    }
}
