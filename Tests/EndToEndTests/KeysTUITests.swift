import Foundation
import Kube
import KubeCore
import SMI
import TestSupport
import Testing

/// Issue 13 items 8-11: keys and messages that never surprise, with the real binary in tmux.
@Suite("issue 13: keys and messages in tmux", .serialized)
struct KeysTUITests {
    func start(_ h: SimHarness, _ extra: String = "", columns: Int = 160, rows: Int = 45) async throws -> TmuxSession {
        try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A \(extra) 2>\(h.dir)/tui.err", columns: columns, rows: rows,
            env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
    }

    func weights(_ h: SimHarness) async throws -> [String] {
        let j = try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout)
        return (j[path: "spec", "backends"]?.arrayValue ?? []).map { $0["weight"]?.compactString ?? "" }
    }

    /// Item 8: a stray `u` in the editor undid a write on the cluster at once.
    @Test func undoShowsItsDiffAndWaitsForY() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h)
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table with its rows") { $0.contains("BACKENDS") && $0.contains("books-v1") }
        try await t.keys("j", "Enter")
        try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
        try await t.keys("j", "l", "l", "Enter")
        try await t.waitFor("the diff") { $0.contains("write trafficsplit/books") }
        try await t.keys("y")
        try await t.waitFor("the write to be confirmed") { $0.contains("wrote trafficsplit/books") }
        #expect(try await weights(h) == ["80", "20"])

        // `u` inside the editor: the undo's diff, nothing written yet.
        try await t.keys("u")
        let review = try await t.waitFor("the undo's diff") {
            $0.contains("undo: write trafficsplit/books") && $0.contains("y undo") && $0.contains("20 → 10")
        }
        #expect(review.contains("n cancel"), "\(review)")
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await weights(h) == ["80", "20"], "u alone must not write")
        // `q` backs out of the undo as Esc does, to the editor; again, out of the editor.
        try await t.keys("q")
        try await t.waitFor("back in the editor") { $0.contains("edit trafficsplit/books") && !$0.contains("undo: write") }
        try await t.keys("q")
        let table = try await t.waitFor("back in the table") { !$0.contains("edit trafficsplit/books") && $0.contains("BACKENDS") }
        #expect(table.contains("books"), "q left the editor without quitting:\n\(table)")
        #expect(try await weights(h) == ["80", "20"], "backing out wrote nothing")

        // From the table: `u`, then `y` writes the undo.
        try await t.keys("u")
        try await t.waitFor("the undo's diff from the table") { $0.contains("undo: write trafficsplit/books") }
        try await t.keys("y")
        try await t.waitFor("the undo to be confirmed") { $0.contains("undid the last write") }
        #expect(try await weights(h) == ["90", "10"])
    }
}

/// Issue 13 items 10 and 11: a cluster that is not there yet, and one that is not there at all.
@Suite("issue 13: no cluster yet, no cluster at all, in tmux", .serialized)
struct NoClusterTUITests {
    /// Item 10: started while the API server was down, smitop went LIVE and loaded services
    /// once it came up, but never asked for TrafficSplits again (discovery failed once).
    @Test func everyKindLoadsOnceTheServerComesUp() async throws {
        let stateDir = NSTemporaryDirectory() + "smitop-etcd-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let a = try await SimHarness.start { $0.stateDir = stateDir }
        await a.stopServer()
        let t = try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(a.kubeconfig) -A 2>\(a.dir)/tui.err",
            env: ["HOME": a.dir, "XDG_STATE_HOME": a.dir + "/state"])
        defer { t.killNow() }
        try await t.keys("3")
        try await t.waitFor("the failing connection") { $0.contains("STALE") || $0.contains("OFFLINE") }
        // Long enough for discovery to have failed more than once.
        try await Task.sleep(for: .seconds(3))
        let b = try await SimHarness.start {
            $0.stateDir = stateDir
            $0.port = a.endpoint.port
        }
        defer {
            t.killNow()
            Task {
                await b.stop()
                await a.stop()
            }
        }
        let table = try await t.waitFor("the splits, without :ns", timeout: 60) { $0.contains("LIVE") && $0.contains("books-v2") && $0.contains("payments") }
        #expect(table.contains("BACKENDS"), "\(table)")
    }

    /// Item 11: `--kubeconfig /nonexistent` showed CONNECTING forever; `:kubeconfig PATH`
    /// connects from inside the UI; at 40 columns the badge is the last thing dropped.
    @Test func aMissingKubeconfigIsSaidAndAnotherCanBeRead() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let missing = h.dir + "/nonexistent"
        let t = try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(missing) -A 2>\(h.dir)/tui.err", columns: 120, rows: 30,
            env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        defer { t.killNow() }
        let s = try await t.waitFor("the missing kubeconfig, said") { $0.contains("NO CLUSTER") && $0.contains(missing) }
        #expect(!s.contains("CONNECTING"), "\(s)")
        #expect(s.contains("no cluster: :kubeconfig PATH or :ctx NAME picks one"), "the empty graph says what to do:\n\(s)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await t.screen().contains("NO CLUSTER"), "it stays said")
        try await t.keys(":", "kubeconfig \(h.kubeconfig)", "Enter")
        try await t.waitFor("the simulator's cluster, live") { $0.contains("sim-admin") && $0.contains("LIVE") && $0.contains("books") }
        // Smaller: `:ns` with a typo was accepted silently (an empty screen, as of an idle namespace).
        try await t.keys(":", "ns bookstre", "Enter")
        let refused = try await t.waitFor("the typo refused") { $0.contains("no namespace bookstre") }
        #expect(refused.contains("books"), "the old scope stays on screen:\n\(refused)")
        try await t.resize(columns: 40, rows: 12)
        let narrow = try await t.waitFor("a 40-column frame") { $0.split(separator: "\n").allSatisfy { $0.count <= 40 } && $0.contains("LIVE") }
        #expect(narrow.split(separator: "\n").first?.contains("LIVE") == true, "the badge stays on the first row:\n\(narrow)")
    }
}

/// The README's walkthrough, key by key, in `smitop demo` (issue 13: it edited `authors`, and
/// `→` with the first backend selected moved share away from the canary).
@Suite("README demo walkthrough in tmux")
struct ReadmeDemoTests {
    @Test func theWalkthroughDoesWhatTheReadmeSays() async throws {
        let dir = NSTemporaryDirectory() + "smitop-demo-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try await TmuxSession(
            command: "\(CLITests.binary) demo 2>\(dir)/demo.err", columns: 120, rows: 36, env: ["HOME": dir, "XDG_STATE_HOME": dir + "/state"])
        defer { t.killNow() }
        try await t.waitFor("the live demo") { $0.contains("LIVE") }
        try await t.keys("3")
        try await t.waitFor("the splits") { $0.contains("BACKENDS") && $0.contains("books-v2") }
        try await t.keys("j", "e")
        try await t.waitFor("the editor of books") { $0.contains("edit trafficsplit/books") }
        try await t.keys("j", "Right", "Enter")
        let diff = try await t.waitFor("the diff") { $0.contains("write trafficsplit/books") }
        #expect(diff.contains("books-v2: 10 → 15") && diff.contains("books-v1: 90 → 85"), "the canary gains 5 points:\n\(diff)")
        try await t.keys("y")
        try await t.waitFor("the write") { $0.contains("wrote trafficsplit/books") }
        try await t.keys("u")
        try await t.waitFor("the undo's diff") { $0.contains("undo: write trafficsplit/books") && $0.contains("books-v2: 15 → 10") }
        try await t.keys("y")
        try await t.waitFor("the undo") { $0.contains("undid the last write") }
    }
}

/// Issue 13 item 15: several TrafficSplits for one root service were never flagged.
@Suite("issue 13: several splits for one root, in tmux and lint", .serialized)
struct SharedRootTests {
    @Test func aSecondSplitForTheSameRootIsWarnedEverywhere() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let second = """
            apiVersion: split.smi-spec.io/v1alpha4
            kind: TrafficSplit
            metadata: {name: books-rival, namespace: bookstore}
            spec:
              service: books
              backends:
              - {service: books-v1, weight: 0}
              - {service: books-v2, weight: 100}
            """
        let applied = try await h.kubectl(["apply", "-f", "-"], stdin: second)
        #expect(applied.status == 0, "\(applied.stderr)")

        // lint, on what kubectl prints of the cluster.
        let file = h.dir + "/splits.json"
        try (try await h.kubectl(["get", "ts", "-n", "bookstore", "-o", "json"]).stdout).write(toFile: file, atomically: true, encoding: .utf8)
        let lint = try await runProcess(CLITests.binary, ["lint", file], env: ["HOME": h.dir], stdin: nil, timeout: 60)
        #expect(lint.status == 0, "a warning: \(lint.stdout)\(lint.stderr)")
        #expect(lint.stdout.contains("warning: spec.service: 2 TrafficSplits have root service books (also books-rival)"), "\(lint.stdout)")

        // The tables and the detail pane.
        let t = try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -n bookstore 2>\(h.dir)/tui.err", columns: 160, rows: 40,
            env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        defer { t.killNow() }
        try await t.keys("3")
        let table = try await t.waitFor("the splits table") { $0.contains("books-rival") && $0.contains("LIVE") }
        #expect(table.contains("! books (2 splits)"), "\(table)")
        try await t.keys("2")
        let services = try await t.waitFor("the services table") { $0.contains("PORTS") }
        #expect(services.contains("books ! 2 splits"), "\(services)")
        // The detail pane (Enter on a split opens the editor; the graph's split edge opens the pane).
        try await t.keys(":", "graph", "Enter", "/", "books$", "Enter", "Enter")
        let pane = try await t.waitFor("the split's detail pane") { $0.contains("TrafficSplits have root books") }
        #expect(pane.contains("also books"), "\(pane)")
    }
}
