import Foundation
import SMI
import Testing

@testable import Simulator

/// The real binary in a real terminal (tmux), against the simulator: what a user sees and
/// types. Screens are read with capture-pane; nothing here inspects internal state.
final class TmuxSession: Sendable {
    let socket: String
    let name = "t"

    init(command: String, columns: Int = 160, rows: Int = 45, env: [String: String] = [:]) async throws {
        socket = "smitop-test-\(UUID().uuidString.prefix(8))"
        var args = ["/usr/bin/tmux", "-L", socket, "new-session", "-d", "-s", name, "-x", String(columns), "-y", String(rows)]
        for (k, v) in env { args += ["-e", "\(k)=\(v)"] }
        args.append("\(command); sleep 60")
        let status = try spawnDetached(args)
        guard status == 0 else { throw SimulatorError("tmux new-session exited with \(status)") }
    }

    func keys(_ keys: String...) async throws {
        _ = try await runProcess("/usr/bin/tmux", ["-L", socket, "send-keys", "-t", name] + keys, env: [:], stdin: nil, timeout: 10)
    }

    func screen() async throws -> String {
        try await runProcess("/usr/bin/tmux", ["-L", socket, "capture-pane", "-t", name, "-p"], env: [:], stdin: nil, timeout: 10).stdout
    }

    /// Waits until the screen satisfies `condition` (the safety timeout is not a speed claim).
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 30, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try await screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(150))
        }
        Issue.record("timed out waiting for \(what); screen was:\n\(last)")
        return last
    }

    func resize(columns: Int, rows: Int) async throws {
        _ = try await runProcess(
            "/usr/bin/tmux", ["-L", socket, "resize-window", "-t", name, "-x", String(columns), "-y", String(rows)], env: [:],
            stdin: nil, timeout: 10)
    }

    func kill() async {
        _ = try? await runProcess("/usr/bin/tmux", ["-L", socket, "kill-server"], env: [:], stdin: nil, timeout: 10)
    }
}

/// Starts a program that leaves a daemon behind (the tmux server) and waits for the program
/// only. Foundation's Process would wait for every holder of its inherited descriptors, so
/// the daemon would keep it waiting: here every descriptor above stderr is closed in the child.
func spawnDetached(_ argv: [String]) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    for fd in open where fd > 2 && fcntl(fd, F_GETFD) >= 0 { posix_spawn_file_actions_addclose(&actions, fd) }
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
    cargs.append(nil)
    defer { for a in cargs { free(a) } }
    let envStrings: [String] = ["TERM=xterm-256color", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]
    var env: [UnsafeMutablePointer<CChar>?] = envStrings.map { strdup($0) }
    env.append(nil)
    defer { for e in env { free(e) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, &env)
    guard rc == 0 else { throw SimulatorError("posix_spawn \(argv[0]) failed: \(rc)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xFF
}

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
        defer { Task { await t.kill() } }
        let first = try await t.waitFor("the live graph") { $0.contains("LIVE") && $0.contains("books-v2") && $0.contains("rps") }
        for svc in ["webapp", "books-v1", "authors", "payments", "ledger"] {
            #expect(first.contains(svc), "graph lacks \(svc)")
        }
        // Metrics change over time.
        let later = try await t.waitFor("a new metrics sample", timeout: 20) { $0 != first && $0.contains("rps") }
        #expect(later != first)

        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table") { $0.contains("BACKENDS") }
        // Select the books split (sorted by name: authors, books, payments) and open the editor.
        try await t.keys("j", "Enter")
        try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
        // Move two steps of 5 points to the canary (second backend), then review and write.
        try await t.keys("j", "l", "l", "Enter")
        try await t.waitFor("the diff") { $0.contains("write trafficsplit/books") }
        try await t.keys("y")
        try await t.waitFor("the write to be confirmed") { $0.contains("wrote trafficsplit/books") }
        #expect(try await weights(h) == ["80", "20"])
    }

    @Test("a concurrent kubectl change is detected and nothing is overwritten")
    func concurrentChange() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h)
        defer { Task { await t.kill() } }
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table") { $0.contains("BACKENDS") }
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
        try await t.keys("Enter")
        try await Task.sleep(for: .milliseconds(500))
        try await t.keys("y")
        try await Task.sleep(for: .seconds(1))
        #expect(try await weights(h) == ["60", "40"])
    }

    @Test("help, command mode, filter, themes, resize, tiny terminals and read-only")
    func chrome() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h, "--read-only --theme light")
        defer { Task { await t.kill() } }
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
        try await t.waitFor("the splits table") { $0.contains("BACKENDS") }
        try await t.keys("j", "Enter", "p", "Enter", "y")
        try await Task.sleep(for: .seconds(1))
        #expect(try await weights(h) == ["90", "10"])
        try await t.keys("Escape", "q", "q")
    }
}
