import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// `smitop sim --linkerd-smi`: the simulated linkerd-smi adaptor turns each TrafficSplit into
/// the ServiceProfile Linkerd reads, which then overrides the routes on that Service (NOTES.md
/// §7). Seen through kubectl and the real binary.
@Suite("linkerd-smi against smitop sim", .serialized)
struct LinkerdSMITests {
    static let sp = "books.bookstore.svc.cluster.local"

    func smitop(_ h: SimHarness, _ args: [String]) async throws -> ProcessResult {
        try await runProcess(SmitopBinary.path, args + ["--kubeconfig", h.kubeconfig], env: ["HOME": h.dir], stdin: nil, timeout: 60)
    }

    /// The profile's dstOverrides once they equal `want` (the adaptor runs a moment after a write).
    func overrides(_ h: SimHarness, until want: [[String]]?) async throws -> JSON {
        var last = JSON.null
        for _ in 0..<40 {
            let r = try await h.kubectl(["get", "sp", Self.sp, "-n", "bookstore", "-o", "json", "--show-managed-fields"])
            if r.status == 0, let o = try? JSON.parse(r.stdout) {
                last = o
                let got = o[path: "spec", "dstOverrides"]?.arrayValue?.map { [$0["authority"]?.stringValue ?? "", $0["weight"]?.stringValue ?? ""] }
                if got == want { return o }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("dstOverrides never became \(String(describing: want)): \(last)")
        return last
    }

    @Test("each TrafficSplit becomes a ServiceProfile written by smi-adaptor; it follows weight writes, overrides the route, and is emptied on delete")
    func adaptor() async throws {
        let h = try await SimHarness.start {
            $0.profile = .linkerdGamma
            $0.linkerdSMI = true
        }
        defer { Task { await h.stop() } }
        // Created from the bookstore's TrafficSplit books (900m/100m), by the adaptor.
        let created = try await overrides(
            h, until: [["books-v1.bookstore.svc.cluster.local", "900m"], ["books-v2.bookstore.svc.cluster.local", "100m"]])
        #expect(created[path: "metadata", "managedFields"]?.arrayValue?.map { $0["manager"] } == ["smi-adaptor"])
        #expect(created[path: "metadata", "ownerReferences"] == nil)

        // smitop: the books route is overridden by that profile, which decides 90/10.
        let r = try await smitop(h, ["routes", "-n", "bookstore", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let books = (try JSON.parse(r.stdout)["items"]?.arrayValue ?? []).filter { $0["name"] == "books" }
        #expect(books.count == 1 && books.first?["overriddenBy"] == .string("ServiceProfile bookstore/\(Self.sp)"), "\(books)")

        // A weight write to the TrafficSplit reaches the profile.
        let set = try await smitop(h, ["split", "set", "bookstore/books", "books-v1=1", "books-v2=1"])
        #expect(set.status == 0, "\(set.stderr)")
        _ = try await overrides(h, until: [["books-v1.bookstore.svc.cluster.local", "1"], ["books-v2.bookstore.svc.cluster.local", "1"]])

        // Annotated smi.linkerd.io/skip, the profile is left alone.
        #expect(try await h.kubectl(["annotate", "sp", Self.sp, "-n", "bookstore", "smi.linkerd.io/skip=true"]).status == 0)
        #expect(try await smitop(h, ["split", "set", "bookstore/books", "books-v1=3", "books-v2=1"]).status == 0)
        try await Task.sleep(for: .milliseconds(1500))
        _ = try await overrides(h, until: [["books-v1.bookstore.svc.cluster.local", "1"], ["books-v2.bookstore.svc.cluster.local", "1"]])
        #expect(try await h.kubectl(["annotate", "sp", Self.sp, "-n", "bookstore", "smi.linkerd.io/skip-"]).status == 0)
        _ = try await overrides(h, until: [["books-v1.bookstore.svc.cluster.local", "3"], ["books-v2.bookstore.svc.cluster.local", "1"]])

        // Deleted: the profile stays, without dstOverrides, and the route decides again.
        #expect(try await h.kubectl(["delete", "trafficsplit", "books", "-n", "bookstore"]).status == 0)
        _ = try await overrides(h, until: nil)
        #expect(try await h.kubectl(["get", "sp", Self.sp, "-n", "bookstore"]).status == 0)
        let again = (try JSON.parse(try await smitop(h, ["routes", "-n", "bookstore", "-o", "json"]).stdout)["items"]?.arrayValue ?? [])
            .filter { $0["name"] == "books" }
        #expect(again.count == 1 && again.first?["overriddenBy"] == nil && again.first?["inEffect"] == .bool(true), "\(again)")
    }

    @Test("the editor of a route linkerd-smi's profile overrides names the TrafficSplit that decides (tmux)")
    func editorNamesTheTrafficSplit() async throws {
        let h = try await SimHarness.start {
            $0.profile = .linkerdGamma
            $0.linkerdSMI = true
        }
        defer { Task { await h.stop() } }
        _ = try await overrides(
            h, until: [["books-v1.bookstore.svc.cluster.local", "900m"], ["books-v2.bookstore.svc.cluster.local", "100m"]])
        let t = try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -n bookstore 2>\(h.dir)/tui.err", columns: 160, rows: 45,
            env: ["HOME": h.dir])
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") && $0.contains("books-v1") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the route rules in the splits table") { $0.contains("books HTTPRoute#1") }
        for c in "/httproute/bookstore/books#1" { try await t.keys(String(c)) }
        try await t.keys("Enter")
        try await t.waitFor("the filtered table") { $0.contains("books HTTPRoute#1") && !$0.contains("books HTTPRoute#0") }
        try await t.keys("Enter")
        let editor = try await t.waitFor("the editor with the override") { $0.contains("edit httproute/books -n bookstore rule 1") }
        #expect(editor.contains("! overridden by ServiceProfile"), "\(editor)")
        #expect(editor.contains("what decides: TrafficSplit bookstore/books, through linkerd-smi"), "\(editor)")
    }

    @Test("--linkerd-smi on a profile that is not Linkerd's is refused")
    func notLinkerd() async throws {
        let r = try await runProcess(SmitopBinary.path, ["sim", "--profile", "istio", "--linkerd-smi"], env: [:], stdin: nil, timeout: 30)
        #expect(r.status != 0 && r.stderr.contains("--linkerd-smi: profile istio is not Linkerd's"), "\(r.status) \(r.stderr)")
    }
}
