import Testing

@testable import smitop

/// Issue 13 item 12: kubectl's habits on the command line.
@Suite struct GlobalFlagsTests {
    let commands = ["ui", "demo", "splits", "routes", "split", "metrics", "graph", "lint", "config", "sim", "terminal-check", "help"]

    @Test func leadingClusterFlagsMoveBehindTheCommand() {
        #expect(GlobalFlags.normalize(["-n", "bookstore", "splits"], commands: commands) == .parse(["splits", "-n", "bookstore"]))
        #expect(
            GlobalFlags.normalize(["--context", "x", "-A", "split", "set", "b", "a=1"], commands: commands)
                == .parse(["split", "set", "b", "a=1", "--context", "x", "-A"]))
        #expect(
            GlobalFlags.normalize(["--kubeconfig=/k", "graph", "-o", "dot", "--", "x"], commands: commands)
                == .parse(["graph", "-o", "dot", "--kubeconfig=/k", "--", "x"]))
        // Nothing to move, or the UI by default.
        #expect(GlobalFlags.normalize(["splits", "-n", "x"], commands: commands) == .parse(["splits", "-n", "x"]))
        #expect(GlobalFlags.normalize(["-n", "x"], commands: commands) == .parse(["-n", "x"]))
        #expect(GlobalFlags.normalize(["--theme", "mono"], commands: commands) == .parse(["--theme", "mono"]))
        #expect(GlobalFlags.normalize([], commands: commands) == .parse([]))
    }

    @Test func aTypoGetsDidYouMean() {
        guard case .unknownCommand(let text) = GlobalFlags.normalize(["spilts"], commands: commands) else {
            Issue.record("spilts was accepted")
            return
        }
        #expect(text.hasPrefix("unknown command \"spilts\" for \"smitop\""))
        #expect(text.contains("Did you mean this?\n\tsplits\n\tsplit\n"), "\(text)")
        #expect(GlobalFlags.suggestions(for: "metrcs", among: commands) == ["metrics"])
        #expect(GlobalFlags.suggestions(for: "zzzzzz", among: commands).isEmpty)
        guard case .unknownCommand(let other) = GlobalFlags.normalize(["-n", "x", "grpah"], commands: commands) else {
            Issue.record("grpah was accepted")
            return
        }
        #expect(other.contains("\tgraph"))
    }
}
