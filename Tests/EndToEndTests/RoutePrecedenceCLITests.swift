import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// Which route decides, seen through the real binary and kubectl: the ServiceProfile that
/// overrides the authors route on Linkerd (NOTES.md §7), and the consumer route that decides
/// for bookstore's callers of payments (§5).
@Suite("route precedence against smitop sim", .serialized)
struct RoutePrecedenceCLITests {
    func smitop(_ h: SimHarness, _ args: [String]) async throws -> ProcessResult {
        try await runProcess(SmitopBinary.path, args + ["--kubeconfig", h.kubeconfig], env: ["HOME": h.dir], stdin: nil, timeout: 60)
    }

    static let sp = "authors.bookstore.svc.cluster.local"

    @Test("linkerd-gamma: kubectl sees the ServiceProfile; routes and graph mark the authors route overridden by it; a write warns")
    func serviceProfileOverride() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        // kubectl: by plural, short name and across namespaces, and its dstOverrides as written.
        let all = try await h.kubectl(["get", "serviceprofiles", "-A"])
        #expect(all.status == 0 && all.stdout.contains("bookstore") && all.stdout.contains(Self.sp), "\(all.stdout)\(all.stderr)")
        let obj = try JSON.parse(try await h.kubectl(["get", "sp", Self.sp, "-n", "bookstore", "-o", "json"]).stdout)
        #expect(obj["apiVersion"] == "linkerd.io/v1alpha2")
        #expect(obj[path: "spec", "dstOverrides"]?.arrayValue?.map { $0["weight"]?.intValue } == [100, 0])

        let r = try await smitop(h, ["routes", "-A", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let items = try JSON.parse(r.stdout)["items"]?.arrayValue ?? []
        func item(_ ns: String, _ name: String) -> JSON? {
            items.first { $0["namespace"]?.stringValue == ns && $0["name"]?.stringValue == name && $0["kind"] == "HTTPRoute" }
        }
        let authors = try #require(item("bookstore", "authors"))
        #expect(authors["overriddenBy"] == .string("ServiceProfile bookstore/\(Self.sp)"), "\(authors)")
        #expect(authors["inEffect"] == .bool(false))
        #expect(authors["problems"]?.arrayValue?.contains { $0.stringValue?.contains("do not decide traffic") == true } == true)
        // Accepted by the mesh all the same: acceptance and precedence are separate questions.
        #expect(authors["accepted"] == "Accepted")
        #expect(item("bookstore", "books")?["inEffect"] == .bool(true) && item("bookstore", "books")?["overriddenBy"] == nil)
        let table = try await smitop(h, ["routes", "-n", "bookstore"])
        #expect(table.stdout.contains("OVERRIDDEN-BY") && table.stdout.contains("serviceprofile/\(Self.sp)"), "\(table.stdout)")

        // The graph: the route's edges are not in effect; the profile says what decides.
        let graph = try await smitop(h, ["graph", "-n", "bookstore", "--no-metrics", "-o", "json"])
        #expect(graph.status == 0, "\(graph.stderr)")
        let g = try JSON.parse(graph.stdout)
        let routeEdges = (g["edges"]?.arrayValue ?? []).compactMap { $0["split"] }.filter { $0["kind"] == "HTTPRoute" && $0["name"] == "authors" }
        #expect(routeEdges.count == 2 && routeEdges.allSatisfy { $0["inEffect"] == .bool(false) }, "\(routeEdges)")
        #expect(
            (g["edges"]?.arrayValue ?? []).compactMap { $0["split"] }.filter { $0["name"] == "books" && $0["kind"] == "HTTPRoute" }
                .allSatisfy { $0["inEffect"] == .bool(true) })
        let profiles = g["serviceProfiles"]?.arrayValue ?? []
        #expect(profiles.map { $0["name"] } == [.string(Self.sp)] && profiles.first?["service"] == "bookstore/authors")
        #expect(profiles.first?["dstOverrides"]?.arrayValue?.map { $0["share"]?.doubleValue } == [1, 0])

        // A write still goes through, with the warning first.
        let before = try JSON.parse(try await h.kubectl(["get", "httproute", "authors", "-n", "bookstore", "-o", "json"]).stdout)
        let set = try await smitop(h, ["split", "set", "httproute/authors", "-n", "bookstore", "authors-v1=90", "authors-canary=10", "--accept-timeout", "1"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stderr.contains("overridden by ServiceProfile bookstore/\(Self.sp)"), "\(set.stderr)")
        let after = try JSON.parse(try await h.kubectl(["get", "httproute", "authors", "-n", "bookstore", "-o", "json"]).stdout)
        #expect(after[path: "spec", "rules"]?[0]?["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [90, 10])
        #expect(after[path: "metadata", "resourceVersion"] != before[path: "metadata", "resourceVersion"])

        // kubectl edits the profile like any object: emptied, it overrides nothing.
        let p = try await h.kubectl(["patch", "sp", Self.sp, "-n", "bookstore", "--type", "merge", "-p", #"{"spec":{"dstOverrides":null}}"#])
        #expect(p.status == 0, "\(p.stderr)")
        let again = try JSON.parse(try await smitop(h, ["routes", "-n", "bookstore", "-o", "json"]).stdout)["items"]?.arrayValue ?? []
        #expect(again.first { $0["name"] == "authors" }?["inEffect"] == .bool(true))
    }

    @Test("istio: no ServiceProfiles served, nothing is overridden")
    func istioHasNoProfiles() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        #expect(try await h.kubectl(["get", "serviceprofiles", "-A"]).status != 0)
        let r = try await smitop(h, ["routes", "-A", "-o", "json"])
        #expect(r.status == 0 && !r.stderr.contains("ServiceProfile"), "\(r.stderr)")
        let items = try JSON.parse(r.stdout)["items"]?.arrayValue ?? []
        #expect(!items.isEmpty && items.allSatisfy { $0["overriddenBy"] == nil })
        // In effect wherever the mesh took the route: the NoController and conflicted ones are not.
        #expect(items.allSatisfy { $0["inEffect"] == .bool($0["accepted"] == "Accepted") })
        #expect(items.contains { $0["inEffect"] == .bool(false) })
    }

    @Test("istio: bookstore's calls to payments follow the consumer route (primary only); graph -o json names it on webapp's edge")
    func consumerRouteForBookstoresCallers() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        try await Task.sleep(for: .milliseconds(1100))
        let graph = try await smitop(h, ["graph", "-A", "-o", "json", "--window", "1s"])
        #expect(graph.status == 0, "\(graph.stderr)")
        let edges = try JSON.parse(graph.stdout)["edges"]?.arrayValue ?? []
        func traffic(_ from: String, _ to: String) -> JSON? {
            edges.first { $0["kind"] == "traffic" && $0["from"]?.stringValue == from && $0["to"]?.stringValue == to }
        }
        // Observed: webapp (bookstore) reaches payments-primary only; the producer route's
        // 20 % to the candidate applies to other namespaces' callers, and webapp is not one.
        let primary = try #require(traffic("deploy/bookstore/webapp", "deploy/payments/payments-primary"), "\(edges.filter { $0["kind"] == "traffic" })")
        #expect((primary[path: "metrics", "rps"]?.doubleValue ?? 0) > 0)
        #expect(traffic("deploy/bookstore/webapp", "deploy/payments/payments") == nil, "the candidate got bookstore's traffic")
        let routes = primary["routes"]?.arrayValue ?? []
        #expect(routes.map { $0["name"] } == ["payments-from-bookstore"], "\(routes)")
        #expect(routes.first?["callerNamespace"] == "bookstore" && routes.first?["share"]?.doubleValue == 1)
        // The Service's split edges: the consumer route's for bookstore, the producer's for the rest.
        let splits = edges.compactMap { $0["split"] }.filter { $0["kind"] == "HTTPRoute" }
        #expect(splits.contains { $0["name"] == "payments-from-bookstore" && $0["callerNamespace"] == "bookstore" })
        #expect(
            splits.contains { $0["name"] == "payments" && $0["namespace"] == "payments" && $0["callerNamespace"] == nil && $0["share"]?.doubleValue == 0.2 })
    }
    @Test("linkerd-gamma: a ServiceProfile in bookstore for payments decides for bookstore's callers: traffic, routes, graph")
    func callerSideProfile() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        let name = "payments.payments.svc.cluster.local"
        let manifest = """
            apiVersion: linkerd.io/v1alpha2
            kind: ServiceProfile
            metadata: {name: \(name), namespace: bookstore}
            spec:
              dstOverrides:
              - {authority: payments-canary.payments.svc.cluster.local:8080, weight: 1}
            """
        let path = h.dir + "/caller-sp.yaml"
        try manifest.write(toFile: path, atomically: true, encoding: .utf8)
        let applied = try await h.kubectl(["apply", "-f", path])
        #expect(applied.status == 0, "\(applied.stderr)")
        let label = "ServiceProfile bookstore/\(name)"

        // routes: bookstore's consumer route gives way to bookstore's profile; the producer
        // route still decides for every other caller.
        let r = try await smitop(h, ["routes", "-A", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let items = try JSON.parse(r.stdout)["items"]?.arrayValue ?? []
        let consumer = items.first { $0["name"] == "payments-from-bookstore" }
        #expect(consumer?["overriddenBy"] == .string(label) && consumer?["inEffect"] == .bool(false), "\(String(describing: consumer))")
        let producer = items.first { $0["name"] == "payments" && $0["namespace"] == "payments" && $0["kind"] == "HTTPRoute" }
        #expect(producer?["overriddenBy"] == nil, "\(String(describing: producer))")
        // Also when only bookstore is listed (the profile is read in the route's namespace).
        let inBookstore = try JSON.parse(try await smitop(h, ["routes", "-n", "bookstore", "-o", "json"]).stdout)["items"]?.arrayValue ?? []
        #expect(inBookstore.first { $0["name"] == "payments-from-bookstore" }?["overriddenBy"] == .string(label))

        // Traffic: webapp's calls to payments now reach the canary only (a fresh window).
        try await Task.sleep(for: .milliseconds(2500))
        let graph = try await smitop(h, ["graph", "-A", "-o", "json", "--window", "1s"])
        #expect(graph.status == 0, "\(graph.stderr)")
        let g = try JSON.parse(graph.stdout)
        let edges = g["edges"]?.arrayValue ?? []
        func rps(_ to: String) -> Double {
            edges.first { $0["kind"] == "traffic" && $0["from"] == "deploy/bookstore/webapp" && $0["to"]?.stringValue == to }?[path: "metrics", "rps"]?
                .doubleValue ?? 0
        }
        #expect(rps("deploy/payments/payments") > 0, "\(edges.filter { $0["kind"] == "traffic" && $0["from"] == "deploy/bookstore/webapp" })")
        #expect(rps("deploy/payments/payments-primary") == 0, "the consumer route's primary still got bookstore's traffic")
        // The graph says why: the TrafficSplit this caller would meet is overridden by its
        // namespace's profile, and so is bookstore's consumer route.
        let canaryEdge = edges.first { $0["kind"] == "traffic" && $0["from"] == "deploy/bookstore/webapp" && $0["to"] == "deploy/payments/payments" }
        let via = canaryEdge?["routes"]?.arrayValue ?? []
        #expect(via.contains { $0["name"] == "payments" && $0["kind"] == nil && $0["overriddenBy"] == .string(label) }, "\(via)")
        let consumerEdges = edges.compactMap { $0["split"] }.filter { $0["name"] == "payments-from-bookstore" }
        #expect(!consumerEdges.isEmpty && consumerEdges.allSatisfy { $0["overriddenBy"] == .string(label) && $0["inEffect"] == .bool(false) })
        let profiles = g["serviceProfiles"]?.arrayValue ?? []
        #expect(profiles.contains { $0["name"] == .string(name) && $0["callerNamespace"] == "bookstore" && $0["service"] == "payments/payments" })
    }
}
