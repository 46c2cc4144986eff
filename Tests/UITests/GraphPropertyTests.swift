import Foundation
import KubeCore
import Mesh
import SMI
import Simulator
import Testing

@testable import App
@testable import UI

/// The graph a person can trust (issue 13): over whole canvases of the simulator's bookstore
/// and generated scenarios (several seeds, sizes, every view mode and focus mode), no two labels
/// overlap, every label lies on its own edge's path, no edge passes under a box, no two unrelated
/// edges run as one line or meet at a junction, and every share label is drawn in full. The geometry comes from the layout's routes; the drawn text from the
/// real GraphView.
///
/// Serialized, and yielding between views: these are seconds of synchronous work, and holding
/// the test pool's threads starves the async event-loop tests running beside them.
@Suite(.serialized) struct GraphPropertyTests {
    /// The TUI's state after the scenario's objects and one metrics poll answered by the
    /// simulator's metrics API (the same answers the real server gives over HTTP).
    static func state(_ name: String, seed: UInt64, services: Int, splits: Int, size: TermSize, scope: NamespaceScope) throws -> AppState {
        let now = 1_700_000_000.0
        let scenario = try Scenario.make(name: name, seed: seed, profile: .default, services: services, splits: splits, now: now)
        var byKind: [ObjectKind: [JSON]] = [:]
        for o in scenario.objects {
            switch o["kind"]?.stringValue {
            case "Service": byKind[.service, default: []].append(o)
            case "Deployment": byKind[.deployment, default: []].append(o)
            case "Pod": byKind[.pod, default: []].append(o)
            case "TrafficSplit": byKind[.trafficSplit, default: []].append(o)
            default: break
            }
        }
        var s = AppState(context: ContextInfo(context: "prop", scope: scope), size: size, availableThemes: ["default"])
        _ = reduce(&s, .start(now: 0))
        for k in ObjectKind.allCases { _ = reduce(&s, .objects(k, .replaced(byKind[k] ?? []))) }
        let snapshot = MetricsSnapshot(objects: scenario.objects, weights: WeightHistory(initial: scenario.traffic.defaultWeights))
        let prefix = MetricsAPI.prefix
        func get(_ path: String) -> TrafficMetricsList? {
            let r = MetricsAPI.handle(path: path, query: ["t": "30s"], now: now, model: scenario.traffic, snapshot: snapshot)
            return r.status == 200 ? try? TrafficMetricsList(json: r.body) : nil
        }
        guard let list = get(prefix + "/deployments") else { throw TestFailure("no metrics list") }
        var lists = [list]
        for item in list.items {
            guard let n = item.resource?.name ?? item.name, let ns = item.resource?.namespace ?? item.namespace else { continue }
            if let l = get(prefix + "/namespaces/\(ns)/deployments/\(n)/edges") { lists.append(l) }
        }
        _ = reduce(&s, .metricsSampled(namespace: nil, lists: lists, at: 1))
        _ = reduce(&s, .resized(size))
        s.settle()
        return s
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Checks the layout's geometry over the whole canvas; returns the problems found.
    static func geometryProblems(_ g: MeshGraph, _ l: GraphLayout) -> [String] {
        var problems: [String] = []
        guard l.routes.count == g.edges.count, l.rects.count == g.nodes.count else { return ["layout not made for this graph"] }
        // Boxes by row, for the "under a box" check.
        var boxRows: [Int: [Rect]] = [:]
        for r in l.rects { for y in r.y..<r.maxY { boxRows[y, default: []].append(r) } }
        var labelCells: [Int64: Int] = [:]
        for (i, r) in l.routes.enumerated() {
            let e = g.edges[i]
            guard g.ends[i].from != g.ends[i].to else { continue }
            if r.points.count < 2 { problems.append("\(e.id) has no route") }
            let cells = r.cells
            var own = Set<Int64>()
            for c in cells {
                own.insert(Int64(c.x) << 32 | Int64(UInt32(bitPattern: Int32(c.y))))
                if let bs = boxRows[c.y], bs.contains(where: { $0.contains(c) }) {
                    problems.append("\(e.id) passes under a box at \(c.x),\(c.y)")
                    break
                }
            }
            // Its ends touch its own boxes.
            if let first = cells.first, let last = cells.last {
                let s = l.rects[g.ends[i].from]
                let t = l.rects[g.ends[i].to]
                let leftToRight = !r.pointsLeft
                let startOK = leftToRight ? first.x == s.maxX : first.x == s.x - 1
                let endOK = leftToRight ? last.x == t.x - 1 : last.x == t.maxX
                if !(startOK && endOK && s.y <= first.y && first.y < s.maxY && t.y <= last.y && last.y < t.maxY) {
                    problems.append("\(e.id) does not join its boxes")
                }
            }
            let wanted = Layout.labelWidth(e.id.kind, LayoutOptions())
            if wanted > 0 && r.label.width < wanted { problems.append("\(e.id) label has \(r.label.width) cells, needs \(wanted)") }
            guard !r.label.isEmpty else { continue }
            for x in r.label.x..<r.label.maxX {
                let k = Int64(x) << 32 | Int64(UInt32(bitPattern: Int32(r.label.y)))
                if !own.contains(k) { problems.append("\(e.id) label cell \(x),\(r.label.y) is off its path") }
                if let other = labelCells.updateValue(i, forKey: k) {
                    problems.append("labels of \(e.id) and \(g.edges[other].id) overlap at \(x),\(r.label.y)")
                }
            }
        }
        problems += mergedLineProblems(g, l)
        // No other edge runs through a label's cells: the label is readable as its own edge's.
        for (i, r) in l.routes.enumerated() {
            for c in r.cells {
                let k = Int64(c.x) << 32 | Int64(UInt32(bitPattern: Int32(c.y)))
                if let owner = labelCells[k], owner != i, l.routes[owner].label.contains(c) {
                    // A crossing (perpendicular) would still overwrite the label's text.
                    problems.append("\(g.edges[i].id) runs through the label of \(g.edges[owner].id) at \(c.x),\(c.y)")
                }
            }
        }
        return problems
    }

    /// Two edges that share neither end never run along the same cells in the same direction:
    /// drawn, such a stretch is one line, and the eye follows it from the wrong source to the
    /// wrong target. They may cross (one horizontal, one vertical); edges leaving one box or
    /// entering one box may share a trunk, which is read as a fan.
    static func mergedLineProblems(_ g: MeshGraph, _ l: GraphLayout) -> [String] {
        // Per cell: the edges through it running horizontally / vertically.
        var horizontal: [Int64: [Int]] = [:]
        var vertical: [Int64: [Int]] = [:]
        var corners: [Int64: [Int]] = [:]
        for (i, r) in l.routes.enumerated() where g.ends[i].from != g.ends[i].to {
            let cells = r.cells
            guard cells.count >= 2 else { continue }
            for (j, c) in cells.enumerated() {
                let k = Int64(c.x) << 32 | Int64(UInt32(bitPattern: Int32(c.y)))
                let prev = j > 0 ? cells[j - 1] : nil
                let next = j + 1 < cells.count ? cells[j + 1] : nil
                // Only straight cells: a corner belongs to both directions and is where lines meet.
                let h = (prev.map { $0.y == c.y } ?? true) && (next.map { $0.y == c.y } ?? true)
                let v = (prev.map { $0.x == c.x } ?? true) && (next.map { $0.x == c.x } ?? true)
                if h && !v {
                    horizontal[k, default: []].append(i)
                } else if v && !h {
                    vertical[k, default: []].append(i)
                } else {
                    corners[k, default: []].append(i)
                }
            }
        }
        var problems: [String] = []
        var seen = Set<[Int]>()
        for table in [horizontal, vertical] {
            for (k, edges) in table where edges.count > 1 {
                for a in 0..<edges.count {
                    for b in (a + 1)..<edges.count {
                        let (x, y) = (edges[a], edges[b])
                        let ex = g.ends[x]
                        let ey = g.ends[y]
                        guard ex.from != ey.from && ex.to != ey.to, seen.insert([min(x, y), max(x, y)]).inserted else { continue }
                        problems.append("\(g.edges[x].id) and \(g.edges[y].id) run as one line at \(k >> 32),\(Int32(truncatingIfNeeded: k))")
                    }
                }
            }
        }
        // A corner on another edge's cell draws a junction (├ ┬ ┼): the two look joined.
        for (k, edges) in corners {
            for x in edges {
                for y in (horizontal[k] ?? []) + (vertical[k] ?? []) + edges where y != x {
                    let ex = g.ends[x]
                    let ey = g.ends[y]
                    guard ex.from != ey.from && ex.to != ey.to, seen.insert([min(x, y), max(x, y)]).inserted else { continue }
                    problems.append("\(g.edges[x].id) turns on \(g.edges[y].id) at \(k >> 32),\(Int32(truncatingIfNeeded: k))")
                }
            }
        }
        return problems
    }

    /// Draws the whole canvas through GraphView, panning over it screen by screen, and checks
    /// each split edge's share label reads in full where the layout put it.
    static func drawnShareProblems(_ s: AppState, size: TermSize) -> [String] {
        var problems: [String] = []
        let st = s
        let body = Rect(x: 0, y: 0, width: size.columns, height: max(1, size.rows - 3))
        let g = st.visibleGraph
        let l = st.layout
        var wanted: [(Rect, String, EdgeID)] = []
        for (i, e) in g.edges.enumerated() {
            guard let sh = e.split, let share = sh.share, i < l.routes.count, !l.routes[i].label.isEmpty else { continue }
            wanted.append((l.routes[i].label, share.percentText(decimals: 0), e.id))
        }
        guard !wanted.isEmpty else { return [] }
        var py = 0
        while py < max(1, l.height) {
            var px = 0
            while px < max(1, l.width) {
                // Every window of the canvas, the last ones past where a pan is clamped to.
                var model = GraphModel(st)
                model.pan = CellPoint(x: px, y: py)
                var buf = CellBuffer(width: body.width, height: body.height)
                GraphView(model).draw(in: body, DrawContext(theme: .mono, glyphs: .unicode), &buf)
                for (r, text, id) in wanted {
                    let sx = r.x - px
                    let sy = r.y - py
                    guard sx >= 0, sy >= 0, sx + r.width <= body.width, sy < body.height else { continue }
                    let row = buf.row(sy)
                    let chars = Array(row)
                    let got = String(chars[sx..<min(chars.count, sx + r.width)])
                    if !got.contains(text) || got.contains("…") { problems.append("\(id): label reads '\(got)', not \(text)") }
                }
                px += body.width
            }
            py += body.height
        }
        return problems
    }

    /// The merged-line check finds what it is for: one edge's route given to an edge that
    /// shares neither end with it (the bookstore has such pairs) is reported.
    @Test func theMergedLineCheckFindsALineTwoEdgesShare() throws {
        let s = try Self.state("bookstore", seed: 1, services: 0, splits: 0, size: TermSize(columns: 160, rows: 45), scope: .all)
        let g = s.visibleGraph
        #expect(Self.mergedLineProblems(g, s.layout).isEmpty)
        let pair = g.ends.indices.lazy.flatMap { a in g.ends.indices.lazy.map { (a, $0) } }.first { a, b in
            let (x, y) = (g.ends[a], g.ends[b])
            return x.from != x.to && y.from != y.to && x.from != y.from && x.to != y.to && s.layout.routes[a].cells.count >= 3
        }
        let (a, b) = try #require(pair, "no two unrelated edges in the bookstore")
        var l = s.layout
        l.routes[b].points = l.routes[a].points
        let problems = Self.mergedLineProblems(g, l)
        #expect(problems.contains { $0.contains("run as one line") }, "\(problems)")
    }

    static let sizes = [TermSize(columns: 80, rows: 24), TermSize(columns: 160, rows: 45), TermSize(columns: 300, rows: 80)]

    @Test(arguments: [("bookstore", 1 as UInt64), ("bookstore", 7), ("generated", 1), ("generated", 2), ("generated", 3)])
    func labelsAndEdgesOverWholeCanvases(scenario: String, seed: UInt64) async throws {
        let services = scenario == "generated" ? 60 : 0
        let splits = scenario == "generated" ? 30 : 0
        for size in Self.sizes {
            let base = try Self.state(scenario, seed: seed, services: services, splits: splits, size: size, scope: .all)
            for mode in GraphViewMode.allCases {
                await Task.yield()
                var s = base
                while s.navigation.graphViewMode != mode { s.navigate(.cycleGraphView) }
                var problems = Self.geometryProblems(s.visibleGraph, s.layout)
                problems += Self.drawnShareProblems(s, size: size)
                // Focus mode on a few nodes: the neighbourhood is laid out on its own.
                for n in s.visibleGraph.nodes.prefix(4) {
                    await Task.yield()
                    var f = s
                    f.navigate(.select(n.id))
                    _ = reduce(&f, .key(.char("f")))
                    problems += Self.geometryProblems(f.visibleGraph, f.layout).map { "focus \(n.id): " + $0 }
                    problems += Self.drawnShareProblems(f, size: size).map { "focus \(n.id): " + $0 }
                    // Tab walks the focused node's edges: each one it selects is drawn.
                    for _ in 0..<6 {
                        _ = reduce(&f, .key(.tab))
                        guard case .edge(let e)? = f.navigation.selection else { break }
                        guard let i = f.visibleGraph.edgeIndex(of: e), f.layout.routes.indices.contains(i), f.layout.routes[i].points.count >= 2
                        else {
                            problems.append("focus \(n.id): Tab selected \(e), which is not drawn")
                            break
                        }
                    }
                }
                #expect(problems.isEmpty, "\(scenario) seed \(seed) \(size.columns)x\(size.rows) \(mode): \(problems.prefix(8))")
            }
        }
    }
}
