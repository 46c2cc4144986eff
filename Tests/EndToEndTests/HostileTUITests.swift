import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// The real binary in tmux against `--scenario hostile`: every view, the detail pane and the
/// editor on the healthy split beside the hostile ones; the process stays alive and nothing
/// the cluster holds reaches the terminal as an escape or a bidi override.
@Suite("hostile scenario, TUI in tmux", .serialized)
struct HostileTUITests {
    /// What must never be on the screen, nor in what smitop wrote to the terminal: ESC, other
    /// C0 controls, C1 controls, bidi overrides and isolates, zero-width characters.
    func hostileCharacters(_ s: String) -> [String] {
        var found: [String] = []
        for u in s.unicodeScalars {
            let v = u.value
            if (v < 0x20 && v != 0x0A) || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
                || (0x200B...0x200F).contains(v)
            {
                found.append(String(format: "U+%04X", v))
            }
        }
        return found
    }

    @Test("every view, detail pane and editor on a healthy split; nothing hostile reaches the terminal")
    func everyView() async throws {
        let h = try await SimHarness.start {
            $0.scenario = "hostile"
            $0.profile = .all
        }
        defer { Task { await h.stop() } }
        let raw = h.dir + "/pane.raw"
        let t = try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
        defer { t.killNow() }
        // Every byte smitop writes to its terminal, escapes included, for the checks at the end.
        _ = try await runProcess("/usr/bin/tmux", ["-L", t.socket, "pipe-pane", "-t", t.name, "-o", "cat >> \(raw)"], env: [:], stdin: nil, timeout: 10)
        var screens: [String] = []
        func look(_ what: String, _ condition: @escaping (String) -> Bool) async throws {
            screens.append(try await t.waitFor(what, condition))
        }
        try await look("the live graph") { $0.contains("LIVE") && $0.contains("webapp") }
        try await t.keys("2")
        try await look("the services table") { $0.contains("P99") && $0.contains("web-v1") }
        try await t.keys("3")
        // deep-nesting's field set nests 1,000 levels (a real server holds 10,000): listed too.
        try await look("the splits table") { $0.contains("BACKENDS") && $0.contains("thousand-backends") && $0.contains("deep-nesting") }
        // The splits smitop refuses have no row, but each is listed with its problem.
        // So is the TrafficTarget without a spec (no view has rows for targets).
        let splitsScreen = try await t.waitFor("the unreadable objects under the table") {
            $0.contains("unreadable objects") && $0.contains("traffictarget/hostile/no-spec")
        }
        for name in ["huge-weights", "beyond-bound", "nan-weight", "int128-overflow"] {
            #expect(splitsScreen.split(separator: "\n").contains { $0.contains("hostile/\(name):") }, "\(name) is not listed:\n\(splitsScreen)")
        }
        #expect(
            splitsScreen.split(separator: "\n").contains { $0.contains("traffictarget/hostile/no-spec:") && $0.contains("destination is required") },
            "the unreadable TrafficTarget is not listed with its problem:\n\(splitsScreen)")
        #expect(splitsScreen.contains("beyond the largest weight"))
        // Scrolled through all of it: every hostile row is drawn at least once.
        for _ in 0..<30 { try await t.keys("j") }
        screens.append(try await t.screen())
        try await t.keys("G")
        screens.append(try await t.screen())
        try await t.keys("?")
        try await look("help") { $0.contains("show this help") }
        try await t.keys("Escape", "1")
        try await look("the graph again") { $0.contains("LIVE") && !$0.contains("show this help") }

        // The detail pane of the healthy split in the hostile namespace.
        try await t.keys("/", "^", "h", "o", "s", "t", "i", "l", "e", "/", "w", "e", "b", "$", "Enter", "Enter")
        try await look("the split's detail pane") { $0.contains("split web") }
        // Its editor, from the splits table.
        try await t.keys("Escape", "Escape", "3", "/", "^", "h", "o", "s", "t", "i", "l", "e", "/", "w", "e", "b", "$", "Enter")
        try await look("the filtered splits table") { $0.contains("BACKENDS") && $0.contains("web-v1") && !$0.contains("thousand-backends") }
        try await t.keys("Enter")
        try await look("the editor on hostile/web") { $0.contains("edit trafficsplit/web") && $0.contains("web-v2") }
        try await t.keys("Escape")
        try await Task.sleep(for: .seconds(1))
        screens.append(try await t.screen())

        #expect(
            try await smitopPID(kubeconfig: h.kubeconfig) != nil,
            "smitop is no longer running:\n\((try? String(contentsOfFile: h.dir + "/tui.err", encoding: .utf8)) ?? "")")
        for s in screens {
            #expect(!s.contains("\u{1B}"), "an ESC byte on screen")
            #expect(!s.contains("\u{202E}"), "a bidi override on screen")
            #expect(hostileCharacters(s).isEmpty, "\(hostileCharacters(s)) on screen:\n\(s)")
        }
        // The terminal's title was never set by the cluster, the screen never cleared by it.
        let title = try await runProcess(
            "/usr/bin/tmux", ["-L", t.socket, "display-message", "-p", "-t", t.name, "#{pane_title}"], env: [:], stdin: nil, timeout: 10)
        #expect(!title.stdout.contains("pwned"), "the cluster set the window title: \(title.stdout)")
        // smitop's own output holds escapes (ncurses draws with them); the cluster's must not be among them.
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: raw))) ?? Data()
        #expect(bytes.count > 1000, "pipe-pane recorded nothing")
        let text = String(decoding: bytes, as: UTF8.self)
        // "]0;pwned" itself may be drawn (the ESC and BEL around it are dropped): harmless text.
        for needle in ["\u{1B}]0;pwned", "\u{1B}[31mred", "\u{202E}", "\u{200D}", "\u{9B}", "\u{2066}"] {
            #expect(!text.contains(needle), "smitop wrote \(needle.debugDescription) to the terminal")
        }
        let err = (try? String(contentsOfFile: h.dir + "/tui.err", encoding: .utf8)) ?? ""
        #expect(hostileCharacters(err.replacingOccurrences(of: "\t", with: " ")).isEmpty, "stderr: \(err.prefix(500))")
        try await t.keys("q", "q")
    }
}
