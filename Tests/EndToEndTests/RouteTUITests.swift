import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// The TUI on Gateway API routes, in tmux against the real binary: browse to a route's rule,
/// shift it by keys, write, and check with kubectl that only that rule's weights changed and
/// what the mesh then reported.
@Suite("route rules in the TUI, in tmux", .serialized)
struct RouteTUITests {
    func start(_ h: SimHarness) async throws -> TmuxSession {
        try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", columns: 160, rows: 45,
            env: ["HOME": h.dir])
    }

    func type(_ t: TmuxSession, _ text: String) async throws {
        for c in text { try await t.keys(String(c)) }
    }

    func route(_ h: SimHarness, _ ns: String, _ name: String) async throws -> JSON {
        try JSON.parse(try await h.kubectl(["get", "httproute", name, "-n", ns, "-o", "json"]).stdout)
    }

    @Test(
        "shift the default rule of an HTTPRoute by keys; the header rule is untouched; the mesh's verdict is shown",
        arguments: [SimProfile.istio, .linkerdGamma])
    func shiftRouteRule(_ profile: SimProfile) async throws {
        let h = try await SimHarness.start { $0.profile = profile }
        defer { Task { await h.stop() } }
        let before = try await route(h, "bookstore", "books")
        let t = try await start(h)
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") && $0.contains("books-v1") }
        try await t.keys(":", "t", "s", "Enter")
        // Rows sorted by name: authors#0, books#0 (header rule), books#1 (all requests), …
        let table = try await t.waitFor("the route rules in the splits table") { $0.contains("books HTTPRoute#1 all requests") }
        #expect(table.contains("books HTTPRoute#0 header x-bookstore-insider"), "\(table)")
        #expect(table.contains("✗ NoContr"), "the route no mesh took is marked: \(table)")
        #expect(table.contains("✗ RouteRe"), "the HTTPRoute that loses to a GRPCRoute is marked: \(table)")
        // The filter matches a rule's key (httproute/bookstore/books#1): only that row is left.
        try await type(t, "/books#1")
        try await t.keys("Enter")
        try await t.waitFor("the filtered table") { $0.contains("books HTTPRoute#1") && !$0.contains("books HTTPRoute#0") }
        try await t.keys("Enter")
        try await t.waitFor("the editor on rule 1") { $0.contains("edit httproute/books -n bookstore rule 1") && $0.contains("rule 1: all requests") }
        try await t.keys("j", "l", "l", "l", "Enter")
        try await t.waitFor("the diff") { $0.contains("write httproute/books -n bookstore rule 1?") && $0.contains("20 → 35") }
        try await t.keys("y")
        try await t.waitFor("the write to be confirmed") { $0.contains("wrote httproute/books -n bookstore rule 1: books-v1 65, books-v2 35") }
        let after = try await route(h, "bookstore", "books")
        let rules = after[path: "spec", "rules"]?.arrayValue ?? []
        #expect(rules[1]["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [65, 35])
        #expect(rules[0] == before[path: "spec", "rules"]?.arrayValue?[0], "the header-match rule changed")
        let generation = after[path: "metadata", "generation"]?.intValue ?? 0
        #expect(generation == (before[path: "metadata", "generation"]?.intValue ?? 0) + 1)
        if profile == .istio {
            // Istio reports the generation it saw: the editor says the new one was accepted.
            let screen = try await t.waitFor("the mesh's acceptance of the new generation") { $0.contains("mesh: accepted generation \(generation)") }
            #expect(screen.contains("draft = server"))
            let status = try await route(h, "bookstore", "books")
            #expect(status[path: "status", "parents"]?.arrayValue?.first?["conditions"]?.arrayValue?.first?["observedGeneration"]?.intValue == generation)
        } else {
            // Linkerd reports none: the editor must not claim the write is in effect.
            let screen = try await t.waitFor("the unconfirmed generation") { $0.contains("no observedGeneration") }
            #expect(!screen.contains("mesh: accepted generation"))
        }
    }

    @Test("a Flagger-owned route: the editor warns and asks before writing; nothing is written on n")
    func flaggerRoute() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        let before = try await route(h, "payments", "payments")
        let t = try await start(h)
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the route rules in the splits table") { $0.contains("payments HTTPRoute#0") }
        try await type(t, "/payments/payments#")
        try await t.keys("Enter")
        try await t.waitFor("the filtered table") { $0.contains("payments HTTPRoute#0") && !$0.contains("ledger") }
        try await t.keys("Enter")
        let editor = try await t.waitFor("the editor with the owner warning") { $0.contains("edit httproute/payments") && $0.contains("managed by flagger") }
        #expect(editor.contains("Canary/payments"), "\(editor)")
        try await t.keys("l", "Enter", "y")
        try await t.waitFor("the controller confirmation") { $0.contains("controller-owned split") }
        try await t.keys("n")
        try await Task.sleep(for: .milliseconds(500))
        let after = try await route(h, "payments", "payments")
        #expect(after[path: "metadata", "resourceVersion"] == before[path: "metadata", "resourceVersion"], "written without confirmation")
    }
}
