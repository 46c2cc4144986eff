import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// The UI in a C locale (`LC_ALL=C`): ASCII drawing, no `?` for characters the terminal
/// cannot show, marks that do not merge with box corners, keys named so they read as keys.
@Suite("ASCII mode, in tmux", .serialized)
struct AsciiTUITests {
    @Test("LC_ALL=C: ASCII boxes, o for healthy, no replacement ?, arrow keys by name in the footer and help")
    func cLocale() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -n bookstore 2>\(h.dir)/tui.err", columns: 140, rows: 40,
            env: ["HOME": h.dir, "LC_ALL": "C", "LANG": "C"])
        defer { t.killNow() }
        // Once metrics arrived: the health marks and the data age are on screen.
        let screen = try await t.waitFor("the live graph in ASCII with metrics") { $0.contains("* LIVE") && $0.contains("updated") && $0.contains("rps") }
        #expect(screen.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII on a C-locale screen:\n\(screen)")
        #expect(screen.contains("|o books"), "the healthy mark is o, apart from + corners:\n\(screen)")
        #expect(screen.contains("metrics smi 30s . updated"), "· is drawn as ., not ?:\n\(screen)")
        #expect(screen.contains("Down/j move") && !screen.contains("v/j move"), "↓ would read as the view key v:\n\(screen)")
        try await t.keys("?")
        let help = try await t.waitFor("help") { $0.contains("Graph view") }
        #expect(help.contains("Left/h") && help.contains("Right/l"), "\(help)")
    }
}
