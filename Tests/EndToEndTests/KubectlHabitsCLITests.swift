import Foundation
import Kube
import KubeCore
import SMI
import TestSupport
import Testing

/// Issue 13 items 12-14: the real binary against the simulator, as a kubectl user types it.
@Suite("issue 13: the command line as a kubectl user expects", .serialized)
struct KubectlHabitsCLITests {
    func run(_ h: SimHarness, _ args: [String]) async throws -> ProcessResult {
        try await runProcess(CLITests.binary, args, env: ["HOME": h.dir], stdin: nil, timeout: 60)
    }

    func books(_ h: SimHarness) async throws -> (weights: [String], resourceVersion: String) {
        let j = try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout)
        return (
            (j[path: "spec", "backends"]?.arrayValue ?? []).map { $0["weight"]?.compactString ?? "" },
            j[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        )
    }

    /// Item 12: `smitop -n bookstore splits` answered "Unexpected argument 'splits'".
    @Test func clusterFlagsBeforeTheCommandAndDidYouMean() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let before = try await run(h, ["--kubeconfig", h.kubeconfig, "-n", "bookstore", "splits"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.contains("books-v1"), "\(before.stdout)")
        let context = try await run(h, ["--context", "sim-cert", "--kubeconfig=\(h.kubeconfig)", "splits", "-n", "bookstore", "-o", "json"])
        #expect(context.status == 0, "\(context.stderr)")
        #expect(context.stdout.contains("\"books\""))
        let nested = try await run(h, ["-n", "bookstore", "--kubeconfig", h.kubeconfig, "split", "set", "books", "books-v1=85", "books-v2=15"])
        #expect(nested.status == 0, "\(nested.stderr)")
        #expect(try await books(h).weights == ["85", "15"])

        let typo = try await run(h, ["spilts"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown command \"spilts\" for \"smitop\""), "\(typo.stderr)")
        #expect(typo.stderr.contains("Did you mean this?\n\tsplits\n"), "\(typo.stderr)")
        let typoAfterFlags = try await run(h, ["-n", "bookstore", "metrcs"])
        #expect(typoAfterFlags.status == 2 && typoAfterFlags.stderr.contains("\tmetrics"), "\(typoAfterFlags.stderr)")
    }

    /// Item 13: writes that surprised silently.
    @Test func surprisingWritesAreRefusedOrNamed() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let k = ["--kubeconfig", h.kubeconfig, "-n", "bookstore"]
        let start = try await books(h)
        #expect(start.weights == ["90", "10"])

        // books-v2 has 10 %: the others hold 90 points, not 95.
        let tooFar = try await run(h, ["split", "shift", "books", "--to", "books-v2", "--by", "95"] + k)
        #expect(tooFar.status == 2, "\(tooFar.stdout)\(tooFar.stderr)")
        #expect(tooFar.stderr.contains("the other backends hold only 90") && tooFar.stderr.contains("--by 90"), "\(tooFar.stderr)")
        let tooMuchBack = try await run(h, ["split", "shift", "books", "--to", "books-v2", "--by", "-20"] + k)
        #expect(tooMuchBack.status == 2 && tooMuchBack.stderr.contains("holds only 10"), "\(tooMuchBack.stderr)")
        #expect(try await books(h) == start, "nothing was written")

        // Every weight 0 routes nothing: only with --drain.
        let zero = try await run(h, ["split", "set", "books", "books-v1=0", "books-v2=0"] + k)
        #expect(zero.status == 1, "\(zero.stdout)\(zero.stderr)")
        #expect(zero.stderr.contains("--drain"), "\(zero.stderr)")
        #expect(try await books(h) == start)

        // The weights it already has: "unchanged", and no write (the resourceVersion stays).
        let same = try await run(h, ["split", "set", "books", "books-v1=90"] + k)
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stdout.contains("unchanged") && !same.stdout.contains("written,"), "\(same.stdout)")
        let sameJSON = try await run(h, ["split", "shift", "books", "--to", "books-v2", "--by", "0", "-o", "json"] + k)
        #expect(try JSON.parse(sameJSON.stdout)["unchanged"] == .bool(true), "\(sameJSON.stdout)\(sameJSON.stderr)")
        #expect(try await books(h) == start)

        let drained = try await run(h, ["split", "set", "books", "books-v1=0", "books-v2=0", "--drain"] + k)
        #expect(drained.status == 0, "\(drained.stderr)")
        #expect(try await books(h).weights == ["0", "0"])
    }

    /// Item 14: an idle deployment printed a raw 500; a misspelled one the same.
    @Test func metricsForIdleAndUnknownDeployments() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let created = try await h.kubectl(["create", "deployment", "quiet", "--image=example.com/quiet:1", "-n", "bookstore"])
        #expect(created.status == 0, "\(created.stderr)")
        let k = ["--kubeconfig", h.kubeconfig, "-n", "bookstore"]

        let idle = try await run(h, ["metrics", "quiet"] + k)
        #expect(idle.status == 0, "\(idle.stderr)")
        let row = idle.stdout.split(separator: "\n").first { $0.hasPrefix("bookstore") }
        #expect(row?.split(separator: " ").map(String.init) == ["bookstore", "quiet", "-", "-", "-", "-", "-"], "\(idle.stdout)")

        let typo = try await run(h, ["metrics", "webap"] + k)
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("deployment webap not found"), "\(typo.stderr)")
        #expect(!typo.stderr.contains("500"), "\(typo.stderr)")

        let all = try await run(h, ["metrics"] + k)
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.contains(["bookstore", "quiet", "-", "-", "-", "-", "-"]), "\(all.stdout)")
        #expect(lines.contains { $0.count > 2 && $0[1] == "webapp" && $0[2] != "-" }, "\(all.stdout)")
    }

    /// Item 13: Ctrl-C exited 0; a shell expects 130.
    @Test func ctrlCExits130() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await TmuxSession(command: "PS1='$ ' bash --norc --noprofile -i", env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        defer { t.killNow() }
        try await t.waitFor("the shell") { $0.contains("$") }
        try await t.keys("\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err; echo exit=$?", "Enter")
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys("C-c")
        try await t.waitFor("the exit status of the UI") { $0.contains("exit=130") }
        try await t.keys("clear; \(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui2.err; echo status=$?", "Enter")
        try await t.waitFor("the live graph again") { $0.contains("LIVE") }
        try await t.keys("q")
        try await t.waitFor("q quits with 0") { $0.contains("status=0") }
        try await t.keys("clear; \(CLITests.binary) sim --port 0; echo sim=$?", "Enter")
        try await t.waitFor("the simulator") { $0.contains("ready in") }
        try await t.keys("C-c")
        try await t.waitFor("the simulator's exit status") { $0.contains("sim=130") }
    }
}
