import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// A route a Linkerd ServiceProfile overrides, in the TUI in tmux against the real binary:
/// marked in the splits table, said in the editor, and a write asks first (NOTES.md §7).
@Suite("route overridden by a ServiceProfile, in tmux", .serialized)
struct RoutePrecedenceTUITests {
    func type(_ t: TmuxSession, _ text: String) async throws {
        for c in text { try await t.keys(String(c)) }
    }

    func route(_ h: SimHarness) async throws -> JSON {
        try JSON.parse(try await h.kubectl(["get", "httproute", "authors", "-n", "bookstore", "-o", "json"]).stdout)
    }

    @Test("the authors route on linkerd-gamma: table mark, editor warning, a confirmation before writing; n writes nothing, y writes")
    func overriddenRoute() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        let before = try await route(h)
        let t = try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", columns: 160, rows: 45, env: ["HOME": h.dir])
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") && $0.contains("authors-v1") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the route rules in the splits table") { $0.contains("authors HTTPRoute#0") }
        try await type(t, "/httproute/bookstore/authors")
        try await t.keys("Enter")
        let table = try await t.waitFor("the filtered table") { $0.contains("authors HTTPRoute#0") && !$0.contains("books HTTPRoute") }
        // Where a rejection would be: the rule's weights are not what the mesh does.
        #expect(table.contains("✗ Overrid"), "\(table)")
        try await t.keys("Enter")
        let editor = try await t.waitFor("the editor with the override") {
            $0.contains("edit httproute/authors -n bookstore") && $0.contains("overridden by ServiceProfile")
        }
        #expect(editor.contains("! overridden by ServiceProfile"), "\(editor)")
        #expect(editor.contains("  bookstore/authors.bookstore.svc.cluster.local"), "\(editor)")
        #expect(editor.contains("this route's weights do not decide traffic"), "\(editor)")
        // The seen column: the profile's 100/0, not the route's 95/5.
        let v1 = editor.split(separator: "\n").first { $0.contains("▸ authors-v1") }.map(String.init) ?? ""
        #expect(v1.contains("100.0%"), "\(editor)")
        try await t.keys("l", "Enter", "y")
        let dialog = try await t.waitFor("the override confirmation") { $0.contains("route overridden") }
        #expect(dialog.contains("y write anyway") && dialog.contains("decides this Service's traffic"), "\(dialog)")
        try await t.keys("n")
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await route(h)[path: "metadata", "resourceVersion"] == before[path: "metadata", "resourceVersion"], "written without confirmation")
        // Asked again, y: then the Argo plugin's label asks too (who else writes it), and y writes.
        try await t.keys("Enter", "y")
        try await t.waitFor("the override confirmation again") { $0.contains("route overridden") }
        try await t.keys("y")
        try await t.waitFor("the controller confirmation") { $0.contains("controller-owned split") }
        try await t.keys("y")
        try await t.waitFor("the write") { $0.contains("wrote httproute/authors -n bookstore rule 0") }
        let after = try await route(h)
        #expect(after[path: "metadata", "resourceVersion"] != before[path: "metadata", "resourceVersion"])
    }

    @Test("the graph: the overridden route's edge in the detail pane says so and shows what the ServiceProfile decides")
    func graphDetail() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        // An empty profile for authors in payments: payments' callers do not meet bookstore's.
        let path = h.dir + "/caller-sp.yaml"
        try "apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata: {name: authors.bookstore.svc.cluster.local, namespace: payments}\nspec: {}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let applied = try await h.kubectl(["apply", "-f", path])
        #expect(applied.status == 0, "\(applied.stderr)")
        let t = try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", columns: 160, rows: 45,
            env: ["HOME": h.dir])
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") && $0.contains("authors-v1") }
        // "/authors$" selects the authors Service; Enter opens its pane; Tab walks its edges
        // until the route's (the TrafficSplit's and the selector's come first or after).
        try await type(t, "/authors$")
        try await t.keys("Enter", "Enter")
        try await t.waitFor("the Service's pane") { $0.contains("svc/bookstore/authors") }
        var screen = ""
        for _ in 0..<10 {
            try await t.keys("Tab")
            try await Task.sleep(for: .milliseconds(300))
            screen = try await t.screen()
            if screen.contains("HTTPRoute authors") { break }
        }
        #expect(screen.contains("HTTPRoute authors"), "no route edge reached:\n\(screen)")
        #expect(screen.contains("! overridden by ServiceProfile"), "\(screen)")
        #expect(screen.contains("decides: authors-v1 100%") && screen.contains("decides: authors-canary 0%"), "\(screen)")
        #expect(screen.contains("callers in payments: ServiceProfile"), "the caller-side profile is not named:\n\(screen)")
        // On the graph the route's share is in parentheses: not in effect.
        #expect(screen.contains("(95%)") || screen.contains("(5%)"), "\(screen)")
    }
}
