import Foundation
import TestSupport
import Testing

@testable import Simulator

/// The graph as a new user sees it (issue 13, items 1-7): the real binary in tmux against the
/// simulator's bookstore, read off the screen.
@Suite("graph on screen, in tmux", .serialized)
struct GraphTUITests {
    func start(_ h: SimHarness, _ args: String, columns: Int, rows: Int) async throws -> TmuxSession {
        try await TmuxSession(
            command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) \(args) 2>\(h.dir)/tui.err", columns: columns, rows: rows,
            env: ["HOME": h.dir])
    }

    static func grid(_ screen: String) -> [[Character]] { screen.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init) }

    /// Follows a drawn edge from the cell right of `x` on row `y` to its arrow and returns the
    /// name in the box it points into: what a reader's eye does with a label.
    static func target(_ g: [[Character]], x: Int, y: Int) -> String? {
        var (cx, cy, dx, dy) = (x, y, 1, 0)
        func at(_ x: Int, _ y: Int) -> Character? { g.indices.contains(y) && g[y].indices.contains(x) ? g[y][x] : nil }
        for _ in 0..<2000 {
            cx += dx
            cy += dy
            guard let c = at(cx, cy) else { return nil }
            switch c {
            case "▸":
                // The box's title is one row up, after the border and the health mark.
                guard g.indices.contains(cy - 1) else { return nil }
                let title = String(g[cy - 1].dropFirst(cx + 2)).split(separator: "│").first.map(String.init) ?? ""
                return title.split(separator: " ").last.map(String.init)
            case "┐", "╮": (dx, dy) = (0, 1)
            case "┘", "╯": (dx, dy) = (0, -1)
            case "└", "┌": (dx, dy) = (1, 0)
            case "─", "╌", "│", "╎", "┼", "┬", "┴", "├", "┤": continue
            default:
                // Text of the label itself on the way: keep going right.
                if dy == 0 { continue }
                return nil
            }
        }
        return nil
    }

    /// Each share label, followed along its line to the box it points into.
    static func shareTargets(_ screen: String) -> [(share: String, target: String?)] {
        let g = grid(screen)
        var out: [(String, String?)] = []
        for (y, row) in g.enumerated() {
            let line = String(row)
            var search = line.startIndex..<line.endIndex
            while let r = line.range(of: #"✓ \d+%"#, options: .regularExpression, range: search) {
                let x = line.distance(from: line.startIndex, to: r.upperBound) - 1
                out.append((String(line[r].dropFirst(2)), target(g, x: x, y: y)))
                search = r.upperBound..<line.endIndex
            }
        }
        return out
    }

    @Test("split shares are whole, on their own branch, and nothing is mangled, at every size (items 1, 2)")
    func labelsOnTheirBranches() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        // The payments split is 80/20 primary/canary, the books split 90/10 v1/v2; at 160×45
        // the payments band is below the first screen.
        let books = ["90%→books-v1", "10%→books-v2"]
        for (w, r, wanted) in [(250, 70, books + ["80%→payments-primary", "20%→payments-canary"]), (160, 45, books)] {
            let t = try await start(h, "-A", columns: w, rows: r)
            defer { t.killNow() }
            let s = try await t.waitFor("the graph with shares at \(w)x\(r)") { s in
                s.contains("LIVE") && s.contains("rps") && wanted.allSatisfy { s.contains("✓ " + $0.prefix { $0 != "→" }) }
            }
            let shares = Self.shareTargets(s)
            let pairs = Dictionary(shares.map { ($0.share + "→" + ($0.target ?? "?"), 1) }, uniquingKeysWith: +)
            for want in wanted {
                #expect(pairs[want] != nil, "\(w)x\(r): \(want) not found among \(shares)\n\(s)")
            }
            // Garbage that overlapping labels left: "99.6%rps", "100%%", "18.1r✓".
            for bad in [#"%%"#, #"%rps"#, #"\dr✓"#, #"✓ \d…"#, #"rps\d"#] {
                #expect(s.range(of: bad, options: .regularExpression) == nil, "\(w)x\(r): '\(bad)' on screen:\n\(s)")
            }
        }
    }

    @Test("services and workloads look different; v switches the view, i shows the legend (item 4)")
    func viewModesAndLegend() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h, "-n bookstore", columns: 160, rows: 45)
        defer { t.killNow() }
        let both = try await t.waitFor("the graph") { $0.contains("LIVE") && $0.contains("rps") && $0.contains("webapp") }
        #expect(both.contains("╭svc") && both.contains("┌deploy"), "\(both)")
        try await t.keys("v")
        let workloads = try await t.waitFor("workloads only") { $0.contains("graph: workloads only") }
        #expect(!workloads.contains("╭svc") && workloads.contains("┌deploy"), "\(workloads)")
        try await t.keys("v")
        let services = try await t.waitFor("services only") { $0.contains("graph: services only") }
        #expect(services.contains("╭svc") && !services.contains("┌deploy"), "\(services)")
        #expect(services.contains("✓ 90%") && services.contains("✓ 10%"), "\(services)")
        try await t.keys("i")
        let legend = try await t.waitFor("the legend") { $0.contains("Legend") }
        #expect(legend.contains("a service: rounded corners") && legend.contains("a split: root service to a backend"), "\(legend)")
        try await t.keys("Escape", "?")
        let help = try await t.waitFor("the help") { $0.contains("select the next edge") }
        #expect(help.contains("workloads only") && help.contains("legend"), "\(help)")
    }

    @Test("workloads in other namespaces show as themselves with their metrics; the asked namespace comes first (item 5)")
    func otherNamespaces() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h, "-n payments", columns: 160, rows: 45)
        defer { t.killNow() }
        // Every list in (the header counts the services): a frame drawn before the Service list
        // arrived shows the split's services as not found, as it should at that moment.
        let s = try await t.waitFor("payments with its callers") { s in
            s.contains("LIVE") && s.contains("bookstore/webapp") && s.range(of: #"\d+\.\drps"#, options: .regularExpression) != nil
                && s.range(of: #" [1-9]\d* svc"#, options: .regularExpression) != nil
        }
        #expect(!s.contains("not found"), "\(s)")
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Row 3 is the first of the body: the payments band.
        #expect(lines.count > 3 && lines[3].hasPrefix("payments"), "first band is not payments:\n\(s)")
        // The bookstore caller carries the traffic its edge shows, instead of "no metrics".
        if let i = lines.firstIndex(where: { $0.contains("bookstore/webapp") }) {
            #expect(lines[i + 1].range(of: #"\d+\.\drps"#, options: .regularExpression) != nil, "\(s)")
        }
    }

    @Test("detail pane: p90, ranged sparklines, per-backend success and p99, seen share at 80x24 (item 6)")
    func detailPane() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h, "-n bookstore", columns: 80, rows: 24)
        defer { t.killNow() }
        try await t.waitFor("the graph") { $0.contains("LIVE") && $0.contains("rps") }
        // "/books$" is a regex on namespace/name; the service comes before the workload.
        try await t.keys("/", "b", "o", "o", "k", "s", "$", "Enter", "Enter")
        let split = try await t.waitFor("the split in the pane") { s in
            s.contains("split books") && s.range(of: #"books-v2\s+10%\s+\d+%"#, options: .regularExpression) != nil
        }
        #expect(split.range(of: #"p99 \d+\.\dms"#, options: .regularExpression) != nil, "no backend p99:\n\(split)")
        // Ctrl-U clears the filter line, which starts with the current filter; l follows the
        // service's edge to the workload it selects.
        try await t.keys("Escape", "/", "C-u", "b", "o", "o", "k", "s", "-", "v", "1", "$", "Enter", "l", "Enter")
        let wl = try await t.waitFor("a workload's series") { $0.contains("p90") && $0.contains("deploy/bookstore/books-v1") }
        // Where the pane has room, each sparkline carries the range it is scaled to.
        try await t.resize(columns: 160, rows: 45)
        try await t.waitFor("series with their ranges") { s in
            s.range(of: #"p90 .*\d+(\.\d)?ms( ≈|–)\d*"#, options: .regularExpression) != nil
                && s.range(of: #"rps .*\d+\.\drps( ≈|–)"#, options: .regularExpression) != nil
        }
        #expect(wl.contains("p50") && wl.contains("p99"), "\(wl)")
    }

    @Test("overflow marks where the graph goes on; no box cut mid-number without one, after a resize too (item 7)")
    func overflowMarks() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h, "-A", columns: 80, rows: 24)
        defer { t.killNow() }
        func check(_ s: String, _ columns: Int, _ rows: Int) {
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.dropFirst(2).prefix(max(0, rows - 4)).contains { $0.hasSuffix("▸") }, "no ▸ at the right edge:\n\(s)")
            // A box cut by the right edge ends in a mark, never in its text.
            for line in lines.dropFirst(3).prefix(max(0, rows - 5)) {
                // tmux drops trailing blanks: only a line that reaches the last column ends at the edge.
                guard line.count >= columns, let last = line.last, last != " " else { continue }
                #expect(!last.isLetter && !last.isNumber && last != "…" && last != "%", "cut without a mark: '\(line)'\n\(s)")
            }
        }
        check(try await t.waitFor("the graph") { $0.contains("LIVE") && $0.contains("rps") }, 80, 24)
        try await t.resize(columns: 97, rows: 31)
        let after = try await t.waitFor("the resized graph") { $0.split(separator: "\n").first.map { $0.count >= 90 } == true }
        check(after, 97, 31)
    }
}
