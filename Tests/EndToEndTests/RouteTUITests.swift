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

    func canary(_ h: SimHarness) async throws -> JSON {
        // managedFields shown: they say who wrote (kubectl hides them by default).
        try JSON.parse(
            try await h.kubectl(["get", "canaries.flagger.app", "payments", "-n", "payments", "-o", "json", "--show-managed-fields"]).stdout)
    }

    func defaultRuleWeights(_ h: SimHarness) async throws -> [Int64?] {
        let r = try await route(h, "payments", "payments")
        return r[path: "spec", "rules"]?.arrayValue?.first?["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } ?? []
    }

    func managers(_ o: JSON) -> [String] { o[path: "metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? [] }

    @Test("a Flagger-owned route with Flagger stepping it: S shows the Canary write, n writes nothing, y suspends it, the actor stops and the edit lands")
    func suspendCanaryFirst() async throws {
        let interval = 2.0
        let h = try await SimHarness.start {
            $0.profile = .istio
            $0.faults.routeActors[.flagger] = RouteActor(kind: .flagger, intervalSeconds: interval)
        }
        defer { Task { await h.stop() } }
        let t = try await start(h)
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the route rules in the splits table") { $0.contains("payments HTTPRoute#0") }
        try await type(t, "/payments/payments#")
        try await t.keys("Enter")
        try await t.waitFor("the filtered table") { $0.contains("payments HTTPRoute#0") && !$0.contains("ledger") }
        try await t.keys("Enter")
        let editor = try await t.waitFor("the editor with the owner warning and the suspend offer") {
            $0.contains("edit httproute/payments") && $0.contains("managed by flagger")
                && $0.contains("S suspends Canary payments/payments first (shown before y writes it)")
        }
        #expect(editor.contains("Canary/payments"), "\(editor)")

        // S shows the exact write; n writes nothing.
        try await t.keys("S")
        let dialog = try await t.waitFor("the Canary dialog") { $0.contains("suspend Canary payments/payments?") }
        #expect(dialog.contains("spec.suspend: true") && dialog.contains("flagger.app/v1beta1"), "\(dialog)")
        let shownRV = try #require(dialog.firstMatch(of: /resourceVersion (\d+) \(merge patch/)?.1)
        #expect(!shownRV.isEmpty)
        try await t.keys("n")
        try await t.waitFor("the cancel") { $0.contains("nothing was written to the Canary") }
        let untouched = try await canary(h)
        // The scenario's Canary says suspend: false, as Flagger's manifests often do.
        #expect(untouched[path: "spec", "suspend"]?.boolValue != true, "suspend was written without confirmation")
        #expect(!managers(untouched).contains("smitop"), "smitop wrote the Canary: \(managers(untouched))")
        let routeNow = try JSON.parse(
            try await h.kubectl(["get", "httproute", "payments", "-n", "payments", "-o", "json", "--show-managed-fields"]).stdout)
        #expect(!managers(routeNow).isEmpty && !managers(routeNow).contains("smitop"), "smitop wrote the route: \(managers(routeNow))")
        // Flagger is really stepping: the weights move while the Canary is not suspended.
        let moving = try await defaultRuleWeights(h)
        var moved = false
        for _ in 0..<Int(interval * 4 / 0.25) where !moved {
            try await Task.sleep(for: .milliseconds(250))
            moved = try await defaultRuleWeights(h) != moving
        }
        #expect(moved, "the Flagger actor did not step the route")

        // S, y: suspended, read back. Flagger also writes the Canary (its status) at each step,
        // so the resourceVersion shown may be stale by the time y lands: the 409 is shown and
        // the test, as a user would, reads it again with S (never a blind retry).
        var suspended = false
        for _ in 0..<4 where !suspended {
            try await t.keys("S")
            try await t.waitFor("the Canary dialog") { $0.contains("suspend Canary payments/payments?") }
            try await t.keys("y")
            // Decided once the dialog and the in-flight notices are gone (a conflict from an
            // earlier try may still be in the status line).
            let after = try await t.waitFor("the Canary write's outcome") {
                !$0.contains("suspend Canary payments/payments?") && !$0.contains("writing spec.suspend") && !$0.contains("reading it back")
                    && ($0.contains("suspended (spec.suspend: true, read back") || $0.contains("conflict: Canary payments/payments changed"))
            }
            suspended = after.contains("suspended (spec.suspend: true, read back")
        }
        #expect(suspended)
        let held = try await canary(h)
        #expect(held[path: "spec", "suspend"]?.boolValue == true)
        #expect(managers(held).contains("smitop"), "\(managers(held))")
        try await t.waitFor("the held line") { $0.contains("Canary payments/payments suspended (read back") && $0.contains("S resumes it") }

        // The actor stops: the weights stay for several of its intervals.
        try await Task.sleep(for: .seconds(interval))
        let still = try await defaultRuleWeights(h)
        try await Task.sleep(for: .seconds(interval * 2.5))
        #expect(try await defaultRuleWeights(h) == still, "Flagger stepped a suspended Canary's route")

        // The weight edit is now an ordinary guarded write: diff, y, no second warning.
        try await t.keys("j", "l", "Enter")
        try await t.waitFor("the diff") { $0.contains("write httproute/payments -n payments rule 0?") }
        try await t.keys("y")
        let wrote = try await t.waitFor("the weight write") { $0.contains("wrote httproute/payments -n payments rule 0:") }
        #expect(!wrote.contains("controller-owned split"))
        let written = try await defaultRuleWeights(h)
        #expect(written != still, "the weights did not change")
        let line = try #require(wrote.firstMatch(of: /payments-primary (\d+), payments-canary (\d+)/))
        #expect(written == [Int64(line.1), Int64(line.2)], "kubectl: \(written), screen: \(line.0)")
        try await Task.sleep(for: .seconds(interval * 2))
        #expect(try await defaultRuleWeights(h) == written, "the hand-set weights did not hold")

        // The reverse: S again offers resume.
        try await t.keys("S")
        let resume = try await t.waitFor("the resume dialog") { $0.contains("resume Canary payments/payments?") }
        #expect(resume.contains("spec.suspend: false"), "\(resume)")
        try await t.keys("y")
        let resumed = try await t.waitFor("resumed") {
            !$0.contains("resume Canary payments/payments?") && !$0.contains("writing spec.suspend") && !$0.contains("reading it back")
                && ($0.contains("resumed (spec.suspend: false, read back") || $0.contains("conflict: Canary"))
        }
        if !resumed.contains("resumed (spec.suspend: false, read back") {
            try await t.keys("S")
            try await t.waitFor("the resume dialog") { $0.contains("resume Canary payments/payments?") }
            try await t.keys("y")
            try await t.waitFor("resumed") { $0.contains("resumed (spec.suspend: false, read back") }
        }
        #expect(try await canary(h)[path: "spec", "suspend"]?.boolValue == false)
    }
}
