import Foundation
import Kube
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

@Suite("TUI end to end in tmux", .serialized)
struct TUIEndToEndTests {
    func start(_ h: SimHarness, _ extra: String = "", columns: Int = 160, rows: Int = 45) async throws -> TmuxSession {
        try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A \(extra) 2>\(h.dir)/tui.err", columns: columns,
            rows: rows, env: ["HOME": h.dir])
    }

    func weights(_ h: SimHarness) async throws -> [String] {
        let j = try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout)
        return (j[path: "spec", "backends"]?.arrayValue ?? []).map { $0["weight"]?.compactString ?? "" }
    }

    @Test("graph with live metrics; shift the canary by keypress; kubectl sees it")
    func shiftCanary() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h)
        defer { t.killNow() }
        let first = try await t.waitFor("the live graph") { $0.contains("LIVE") && $0.contains("books-v2") && $0.contains("rps") }
        for svc in ["webapp", "books-v1", "authors"] {
            #expect(first.contains(svc), "graph lacks \(svc)")
        }
        // The payments band lies below the bookstore one; the services-only view (v twice) is
        // compact enough to show both, then v goes back to everything.
        try await t.keys("v", "v")
        // The mode is said in the footer for a few seconds; the band shows after the relayout,
        // which on a loaded machine can come after that message is gone: two waits, not one.
        try await t.waitFor("the services-only view") { $0.contains("services only") }
        try await t.waitFor("the payments band") { $0.contains("payments") && $0.contains("ledger") }
        try await t.keys("v")
        try await t.waitFor("the whole graph again") { $0.contains("workloads and services") }
        // Metrics change over time.
        let later = try await t.waitFor("a new metrics sample", timeout: 20) { $0 != first && $0.contains("rps") }
        #expect(later != first)

        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table with its rows") { $0.contains("BACKENDS") && $0.contains("books-v1") }
        // Select the books split (sorted by name: authors, books, payments) and open the editor.
        try await t.keys("j", "Enter")
        try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
        // Move two steps of 5 points to the canary (second backend), then review and write.
        try await t.keys("j", "l", "l", "Enter")
        try await t.waitFor("the diff") { $0.contains("write trafficsplit/books") }
        try await t.keys("y")
        try await t.waitFor("the write to be confirmed") { $0.contains("wrote trafficsplit/books") }
        #expect(try await weights(h) == ["80", "20"])

        // The live metrics follow the new weights within a metrics window: the split's detail
        // pane shows the share of traffic books-v2 really receives move from ~10 % to ~20 %.
        // "/books$" is a regex (names are matched as namespace/name, and "bookstore" contains "books").
        try await t.keys("Escape", ":", "g", "r", "a", "p", "h", "Enter", "/", "/", "b", "o", "o", "k", "s", "$", "Enter", "Enter")
        try await t.waitFor("the split's detail pane") { $0.contains("split books") }
        func seen(_ screen: String) -> Int? {
            guard let line = screen.split(separator: "\n").first(where: { $0.contains("books-v2") && $0.contains("20%") }),
                let m = line.range(of: #"books-v2\s+20%\s+(\d+)%"#, options: .regularExpression)
            else { return nil }
            return Int(line[m].split(separator: " ").last!.dropLast())
        }
        let followed = try await t.waitFor("the observed share of books-v2 to reach about 20 %", timeout: 90) { s in
            guard let v = seen(s) else { return false }
            return (16...24).contains(v)
        }
        #expect(seen(followed).map { (16...24).contains($0) } == true, "observed share did not follow the weights:\n\(followed)")
    }

    @Test("a concurrent kubectl change is detected and nothing is overwritten")
    func concurrentChange() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h)
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table with its rows") { $0.contains("BACKENDS") && $0.contains("books-v1") }
        try await t.keys("j", "Enter")
        try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
        try await t.keys("p")  // promote the first backend in the draft
        let r = try await h.kubectl([
            "patch", "ts", "books", "-n", "bookstore", "--type=merge", "-p",
            #"{"spec":{"backends":[{"service":"books-v1","weight":60},{"service":"books-v2","weight":40}]}}"#,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try await t.waitFor("the editor to notice the server change") { $0.lowercased().contains("changed on the server") || $0.contains("theirs") }
        #expect(s.contains("60") && s.contains("40"), "theirs should be shown beside yours:\n\(s)")
        // Trying to write now must not overwrite theirs.
        try await t.keys("Enter", "y")
        // The write is refused in the editor with the reason, and theirs stays on the server.
        let refused = try await t.waitFor("the write refused with the reason") { $0.contains("since your draft began") }
        #expect(refused.contains("edit trafficsplit/books"), "\(refused)")
        #expect(try await weights(h) == ["60", "40"])
    }

    @Test("help, command mode, filter, themes, resize, tiny terminals and read-only")
    func chrome() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h, "--read-only --theme light")
        defer { t.killNow() }
        let s = try await t.waitFor("the live graph") { $0.contains("LIVE") }
        #expect(s.lowercased().contains("read-only"), "read-only must be visible:\n\(s)")
        try await t.keys("?")
        let help = try await t.waitFor("help") { $0.contains("show this help") && $0.contains("quit") }
        #expect(help.contains("│") || help.contains("─"), "a UTF-8 terminal gets box drawing")
        try await t.keys("Escape", ":", "s", "v", "c", "Enter")
        try await t.waitFor("the services table") { $0.contains("webapp") && $0.contains("P99") }
        try await t.keys("/", "b", "o", "o", "k", "Enter")
        let filtered = try await t.waitFor("the filter") { !$0.contains("ledger") && $0.contains("books") }
        #expect(!filtered.contains("ledger"))
        try await t.keys(":", "t", "h", "e", "m", "e", " ", "m", "o", "n", "o", "Enter")
        try await t.resize(columns: 20, rows: 5)
        try await Task.sleep(for: .milliseconds(500))
        try await t.resize(columns: 10, rows: 3)
        try await Task.sleep(for: .milliseconds(500))
        try await t.resize(columns: 100, rows: 30)
        try await t.waitFor("a redraw after resizing") { $0.contains("smitop") }
        // Writes are disabled: the editor refuses.
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table with its rows") { $0.contains("BACKENDS") && $0.contains("books-v1") }
        try await t.keys("j", "Enter")
        try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
        try await t.keys("p", "Enter", "y")
        // The keys reached the editor and the write was refused there, with the reason.
        let refused = try await t.waitFor("the write refused as read-only") { $0.contains("edit trafficsplit/books") && $0.contains("read-only:") }
        #expect(refused.contains("read-only:"))
        #expect(try await weights(h) == ["90", "10"])
        try await t.keys("Escape", "q", "q")
    }
}

/// Faults with the real binary in tmux: what a user sees when the cluster or the process dies.
@Suite("TUI under faults in tmux", .serialized)
struct TUIFaultTests {
    func pid(of kubeconfig: String) async throws -> Int32? { try await smitopPID(kubeconfig: kubeconfig) }

    @Test("drafts survive SIGHUP and SIGTERM, on disk with mode 0600, and are offered at the next start")
    func draftsSurviveTheProcess() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let state = h.dir + "/state"
        let command = "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err"
        let env = ["HOME": h.dir, "XDG_STATE_HOME": state]
        for signal in ["HUP", "TERM"] {
            let t = try await TmuxSession(command: command, env: env)
            defer { t.killNow() }
            try await t.waitFor("the live graph") { $0.contains("LIVE") }
            try await t.keys(":", "t", "s", "Enter")
            try await t.waitFor("the splits table with its rows") { $0.contains("BACKENDS") && $0.contains("books-v1") }
            if signal == "HUP" {
                try await t.keys("j", "Enter")
                try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
                try await t.keys("j", "l", "l", "Escape")
                try await t.waitFor("the draft mark in the table") { $0.contains("books *") }
            } else {
                // Second run: the draft from the first is offered, and survives a SIGTERM too.
                let s = try await t.waitFor("the restored draft") { $0.contains("books *") }
                #expect(s.contains("books *"))
            }
            guard let p = try await pid(of: h.kubeconfig) else {
                Issue.record("smitop is not running")
                return
            }
            // Its memory holds credentials: no core file may be written of it.
            let limits = try String(contentsOfFile: "/proc/\(p)/limits", encoding: .utf8)
            #expect(limits.split(separator: "\n").contains { $0.hasPrefix("Max core file size") && $0.split(separator: " ").filter { $0 == "0" }.count == 2 })
            _ = try await runProcess("/bin/kill", ["-\(signal)", String(p)], env: [:], stdin: nil, timeout: 10)
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, try await pid(of: h.kubeconfig) != nil { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await pid(of: h.kubeconfig) == nil, "smitop did not exit on SIG\(signal)")
            let file = state + "/smitop/session.json"
            let attrs = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600, "session file mode")
            let dirAttrs = try FileManager.default.attributesOfItem(atPath: state + "/smitop")
            #expect((dirAttrs[.posixPermissions] as? NSNumber)?.intValue == 0o700, "session directory mode")
            let saved = try JSON.parse(try String(contentsOfFile: file, encoding: .utf8))
            let drafts = (saved["sessions"]?.objectValue).flatMap { o in o.first(where: { _ in true })?.value }?["drafts"]?.arrayValue ?? []
            #expect(drafts.count == 1 && drafts.first?[path: "base", "metadata", "name"]?.stringValue == "books")
            #expect(drafts.first?["weights"]?.arrayValue?.map { $0.compactString } == ["80", "20"])
            await t.kill()
        }
        // Third run: open the restored draft; the editor has our weights, the server its own.
        let t = try await TmuxSession(command: command, env: env)
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table") { $0.contains("books *") }
        try await t.keys("j", "Enter")
        let editor = try await t.waitFor("the editor with the restored draft") { $0.contains("edit trafficsplit/books") && $0.contains("80*") }
        #expect(editor.contains("20*"))
        let j = try JSON.parse(try await h.kubectl(["get", "ts", "books", "-n", "bookstore", "-o", "json"]).stdout)
        #expect((j[path: "spec", "backends"]?.arrayValue ?? []).map { $0["weight"]?.compactString ?? "" } == ["90", "10"], "nothing was written")
    }

    /// smitop on every namespace of this simulator, live, showing the splits table.
    func splitsTable(_ h: SimHarness) async throws -> TmuxSession {
        let t = try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        do {
            try await t.waitFor("the live graph") { $0.contains("LIVE") }
            try await t.keys(":", "t", "s", "Enter")
            try await t.waitFor("the splits table") { $0.contains("BACKENDS") && $0.contains("authors") }
        } catch {
            t.killNow()
            throw error
        }
        return t
    }

    /// The terminal vanishes without a SIGHUP (its tmux server killed outright): smitop must
    /// notice the hang-up on its input and exit, not spin on end-of-file forever.
    @Test("a terminal that disappears without SIGHUP ends smitop instead of a busy loop")
    func terminalGoneWithoutSIGHUP() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await splitsTable(h)
        defer { t.killNow() }
        let server = try await runProcess("/usr/bin/tmux", ["-L", t.socket, "display-message", "-p", "#{pid}"], env: [:], stdin: nil, timeout: 10)
        let serverPID = server.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(serverPID) != nil, "tmux server pid: \(server.stdout) \(server.stderr)")
        #expect(try await pid(of: h.kubeconfig) != nil)
        _ = try await runProcess("/bin/kill", ["-KILL", serverPID], env: [:], stdin: nil, timeout: 10)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try await pid(of: h.kubeconfig) != nil { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await pid(of: h.kubeconfig) == nil, "smitop still runs without its terminal")
    }

    /// A resize storm (a window being dragged, a tiling manager reshuffling): forty sizes in a
    /// row without waiting, down to 10×3 and 1×1; smitop keeps up and ends at the last size.
    @Test("a resize storm leaves smitop running and drawn at the final size")
    func resizeStorm() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await splitsTable(h)
        defer { t.killNow() }
        let sizes = [(60, 15), (200, 50), (10, 3), (1, 1), (120, 40), (33, 7), (160, 45), (20, 5)]
        // One tmux command line for the whole storm: forty sizes back to back, and one child
        // process instead of forty (spawning bursts of children made Foundation's Process
        // lose exits elsewhere in the suite).
        var args = ["-L", t.socket]
        for i in 0..<40 {
            let (c, r) = sizes[i % sizes.count]
            args += ["resize-window", "-t", t.name, "-x", String(c), "-y", String(r), ";"]
        }
        args += ["resize-window", "-t", t.name, "-x", "100", "-y", "30"]
        _ = try await runProcess("/usr/bin/tmux", args, env: [:], stdin: nil, timeout: 20)
        let screen = try await t.waitFor("a full frame at 100×30") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return s.contains("LIVE") && s.contains("books") && lines.allSatisfy { $0.count <= 100 }
        }
        #expect(screen.contains("authors"))
        #expect(try await pid(of: h.kubeconfig) != nil, "smitop exited during the storm")
    }

    @Test("a burst of 5xx while every watch reconnects: visible, backed off, data kept, live again")
    func serverErrorBurst() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await splitsTable(h)
        defer { t.killNow() }

        // Every watch is cut, and the next 30 requests (re-watches, relists, metrics) get 500.
        _ = try await h.adminFaults(#"{"errorBurst":30,"dropWatchesNow":true}"#)
        let shown = try await t.waitFor("the errors on screen", timeout: 30) { $0.contains("500") || $0.contains("Internal error") }
        #expect(shown.contains("books") && shown.contains("authors"), "the last data stays on screen")
        // Backed off, not a hot loop: five informers and the metrics poll take seconds to use 30.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(h.sim.faults.settings.withLock { $0.errorBurst } > 0, "the burst was used up at once: retries are not backing off")

        // Once the server answers again, the watches are back: a change made now is seen.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, h.sim.faults.settings.withLock({ $0.errorBurst }) > 0 { try await Task.sleep(for: .milliseconds(200)) }
        try await t.waitFor("the live badge again", timeout: 60) { $0.contains("LIVE") }
        _ = try await h.kubectl([
            "patch", "ts", "books", "-n", "bookstore", "--type", "merge", "-p",
            #"{"spec":{"backends":[{"service":"books-v1","weight":70},{"service":"books-v2","weight":30}]}}"#,
        ])
        let after = try await t.waitFor("the change made after the burst", timeout: 60) { $0.contains("books-v1 70") }
        #expect(after.contains("books-v2 30"))
    }

    @Test("the API server dies and comes back: offline, reconnect, relist, deletions seen, draft kept")
    func apiServerRestart() async throws {
        let stateDir = NSTemporaryDirectory() + "smitop-etcd-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let a = try await SimHarness.start { $0.stateDir = stateDir }
        let t = try await splitsTable(a)
        defer { t.killNow() }
        try await t.keys("j", "Enter")
        try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
        try await t.keys("j", "l", "Escape")
        try await t.waitFor("the draft mark") { $0.contains("books *") }

        await a.stopServer()
        let offline = try await t.waitFor("the offline badge", timeout: 60) { $0.contains("OFFLINE") }
        #expect(offline.contains("books *"), "the last data and the draft stay on screen while offline")
        #expect(offline.contains("ago"), "the badge says how old the data is")

        // The same cluster comes back on the same port (its state persisted, as etcd keeps it).
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
        let ns =
            try JSON.parse(try await b.kubectl(["get", "ts", "-A", "-o", "json"]).stdout)["items"]?.arrayValue?
            .first { $0[path: "metadata", "name"]?.stringValue == "authors" }?[path: "metadata", "namespace"]?.stringValue ?? "bookstore"
        #expect(try await b.kubectl(["delete", "ts", "authors", "-n", ns]).status == 0)
        let back = try await t.waitFor("reconnected without the deleted split", timeout: 90) { s in
            s.contains("LIVE") && !s.split(separator: "\n").contains { $0.contains(" authors ") }
        }
        #expect(back.contains("books *"), "the draft survives the reconnect")
    }
}

/// Job control and crashes in a real interactive shell: Ctrl-Z gives the terminal back and
/// `fg` resumes; a crash signal restores the screen before the process dies; a cluster that
/// cannot be reached never ends the program.
@Suite("TUI job control and crashes in tmux", .serialized)
struct TUIJobControlTests {
    @Test func suspendResumeCrashAndUnreachableCluster() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await TmuxSession(command: "PS1='$ ' bash --norc --noprofile -i", env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        defer { t.killNow() }
        try await t.waitFor("the shell") { $0.contains("$") }
        try await t.keys("echo before-smitop", "Enter")
        try await t.keys("\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", "Enter")
        try await t.waitFor("the live graph") { $0.contains("LIVE") }

        // Ctrl-Z: the shell's screen is back (with what was typed before), the job is stopped.
        try await t.keys("C-z")
        let stopped = try await t.waitFor("the job to stop") { $0.contains("Stopped") }
        #expect(stopped.contains("before-smitop") && !stopped.contains("LIVE"), "the UI must leave the screen when suspended:\n\(stopped)")
        try await t.keys("fg", "Enter")
        try await t.waitFor("the UI to come back") { $0.contains("LIVE") && !$0.contains("Stopped") }

        // A crash signal: the handler restores the terminal, then the process dies of it.
        guard let pid = try await smitopPID(kubeconfig: h.kubeconfig).map(String.init) else {
            Issue.record("smitop is not running")
            return
        }
        _ = try await runProcess("/bin/kill", ["-SEGV", pid], env: [:], stdin: nil, timeout: 10)
        let crashed = try await t.waitFor("the shell after the crash") { $0.contains("Segmentation fault") }
        #expect(crashed.contains("before-smitop") && !crashed.contains("LIVE"), "the screen was not restored:\n\(crashed)")
        try await t.keys("echo after-$((20+22))", "Enter")
        try await t.waitFor("a usable shell") { $0.contains("after-42") }

        // A cluster that is not there: the UI starts, says so, and stays up.
        let dead = h.dir + "/dead.yaml"
        try String(contentsOfFile: h.kubeconfig, encoding: .utf8).replacingOccurrences(of: h.endpoint.url, with: "https://127.0.0.1:1")
            .write(toFile: dead, atomically: true, encoding: .utf8)
        try await t.keys("clear; \(CLITests.binary) --kubeconfig \(dead) -A 2>\(h.dir)/tui2.err", "Enter")
        let offline = try await t.waitFor("the offline badge", timeout: 60) { $0.contains("OFFLINE") }
        #expect(offline.lowercased().contains("refused") || offline.lowercased().contains("connect"), "the reason is shown:\n\(offline)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await t.screen().contains("OFFLINE"), "still running")
        try await t.keys("q")
        try await t.waitFor("the shell after quitting") { s in
            !s.contains("OFFLINE") && s.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "$" }
        }
    }
}

@Suite("TUI with a broken kubeconfig")
struct TUIBrokenKubeconfigTests {
    @Test func aBrokenKubeconfigIsShownAndAnotherContextCanBePicked() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        // Two files merged as KUBECONFIG: the current context points at a cluster that does not
        // exist; the simulator's contexts are fine. smitop starts, says what is wrong, and :ctx
        // gets to a working one.
        let broken = h.dir + "/broken.yaml"
        try "apiVersion: v1\nkind: Config\ncurrent-context: gone\ncontexts:\n- {name: gone, context: {cluster: nowhere, user: nobody}}\n"
            .write(toFile: broken, atomically: true, encoding: .utf8)
        let t = try await TmuxSession(
            command: "env KUBECONFIG=\(broken):\(h.kubeconfig) \(CLITests.binary) -A 2>\(h.dir)/tui.err",
            env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        defer { t.killNow() }
        let s = try await t.waitFor("the kubeconfig error") { $0.contains("NO CLUSTER") && $0.contains("contexts[0].context.cluster") }
        #expect(s.contains(broken), "the file is named:\n\(s)")
        try await t.keys(":", "c", "t", "x", " ", "s", "i", "m", "-", "a", "d", "m", "i", "n", "Enter")
        try await t.waitFor("the working context, live") { $0.contains("sim-admin") && $0.contains("LIVE") && $0.contains("books") }
    }
}
