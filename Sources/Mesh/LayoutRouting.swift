// Coordinates and edge routes. Every edge becomes a chain of items, one per column it crosses:
// node columns (the boxes of a layer) alternate with label columns (between two layers), and an
// edge owns a one-row item in each column between its ends. So an edge crosses a column only on
// a row no box and no other edge uses, its label sits on the row it owns in the label column
// next to its source, and the only cells edges share are in the gaps between columns, where
// each turn gets its own lane. The property test in MeshTests checks these claims over whole
// canvases, from `routes` alone.

/// Where an edge is drawn: its polyline and its label's place, in layout cells.
public struct EdgeRoute: Sendable, Equatable {
    /// Corner points; consecutive points share a row or a column. The first is the cell just
    /// outside the source box, the last the cell just outside the target box (the arrow).
    public var points: [CellPoint]
    /// Where the label is written: on the edge's own row in a label column. Empty when the
    /// edge has no label (a service selecting its workloads).
    public var label: Rect
    /// The points' bounding box, so a frame culls edges without walking them.
    public var bounds: Rect

    public init(points: [CellPoint], label: Rect) {
        self.points = points
        self.label = label
        // In one pass, without two arrays of coordinates per edge (55,000 edges at start-up).
        guard let p0 = points.first else {
            bounds = Rect(x: 0, y: 0, width: 0, height: 0)
            return
        }
        var (x0, x1, y0, y1) = (p0.x, p0.x, p0.y, p0.y)
        for p in points.dropFirst() {
            x0 = min(x0, p.x)
            x1 = max(x1, p.x)
            y0 = min(y0, p.y)
            y1 = max(y1, p.y)
        }
        bounds = Rect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    public static let none = EdgeRoute(points: [], label: Rect(x: 0, y: 0, width: 0, height: 0))

    /// The arrow at the end points left: the edge is drawn right to left (a cycle's back edge).
    public var pointsLeft: Bool {
        guard points.count >= 2 else { return false }
        return points[points.count - 1].x < points[points.count - 2].x
    }

    /// Every cell the edge covers, from source to target.
    public var cells: [CellPoint] {
        guard var cur = points.first else { return [] }
        var out = [cur]
        for p in points.dropFirst() {
            while cur != p {
                if cur.x != p.x { cur.x += p.x > cur.x ? 1 : -1 } else { cur.y += p.y > cur.y ? 1 : -1 }
                out.append(cur)
            }
        }
        return out
    }
}

extension Layout {
    /// Cells reserved for an edge's label, by kind.
    public static func labelWidth(_ kind: EdgeKind, _ options: LayoutOptions) -> Int {
        switch kind {
        case .traffic: return options.trafficLabelWidth
        case .split: return options.splitLabelWidth
        case .selects: return 0
        }
    }

    static func place(
        _ graph: MeshGraph, options: LayoutOptions, measure: (String) -> Int, layer: [Int], layers nodeLayers: [[Int]],
        reversed: Set<Int64>, nodeNs: [Int], namespaces: [String]
    ) -> GraphLayout {
        let n = graph.nodes.count
        let layerCount = nodeLayers.count
        let columns = max(1, 2 * layerCount - 1)
        // Items: nodes first (index = node index), then one per edge per column crossed.
        var col = (0..<n).map { 2 * layer[$0] }
        var band = nodeNs
        var labelOf = [Int](repeating: 0, count: n)  // reserved label width; 0: no label
        // Chains and neighbours are flat arrays with offsets, not an array per item: tens of
        // thousands of small arrays were a third of the layout's memory on 5,000 services.
        var chains = FlatLists(count: graph.edges.count)
        var links: [(from: Int32, to: Int32)] = []
        var isReversed = [Bool](repeating: false, count: graph.edges.count)
        // A row per column crossed costs O(edges × span). A graph whose cycles were broken into
        // a chain of a thousand layers would need millions of rows: past the budget, an edge
        // keeps only its label's row and its long run passes behind the boxes between (the
        // property test's guarantees hold below the budget, which any real mesh view is).
        var crossings = 0
        for e in graph.ends where e.from != e.to { crossings &+= max(0, 2 * abs(layer[e.to] - layer[e.from]) - 1) }
        let compact = crossings > options.rowBudget
        for (i, e) in graph.ends.enumerated() where e.from != e.to {
            let rev = reversed.contains(Int64(e.from) << 32 | Int64(e.to))
            let (a, b) = rev ? (e.to, e.from) : (e.from, e.to)
            let (la, lb) = (layer[a], layer[b])
            guard lb > la else { continue }
            isReversed[i] = rev
            let labelColumn = rev ? 2 * lb - 1 : 2 * la + 1
            let width = labelWidth(graph.edges[i].id.kind, options)
            var previous = a
            chains.start(i)
            chains.append(a)
            for c in compact ? labelColumn..<(labelColumn + 1) : (2 * la + 1)..<(2 * lb) {
                let d = col.count
                col.append(c)
                band.append(nodeNs[e.from])
                labelOf.append(c == labelColumn ? width : 0)
                chains.append(d)
                links.append((Int32(previous), Int32(d)))
                previous = d
            }
            chains.append(b)
            links.append((Int32(previous), Int32(b)))
        }
        chains.finish()
        let items = col.count
        let right = FlatLists(items: items, links.lazy.map { ($0.from, $0.to) })
        let left = FlatLists(items: items, links.lazy.map { ($0.to, $0.from) })
        links = []
        let isNode = { (i: Int) in i < n }

        // Order within columns: nodes as the node sweeps left them, each dummy after its left
        // neighbour; then barycenter sweeps over all items so chains run straight.
        var colItems = [[Int]](repeating: [], count: columns)
        var pos = [Double](repeating: 0, count: items)
        for us in nodeLayers { for (k, u) in us.enumerated() { pos[u] = Double(k) } }
        for i in 0..<items { colItems[col[i]].append(i) }
        func order(_ c: Int, by neighbours: FlatLists) {
            // Sorted as plain tuples: a comparator reading captured arrays was most of the
            // layout's time on a mesh of thousands.
            var keyed: [(Int, Double, Int)] = []
            keyed.reserveCapacity(colItems[c].count)
            for i in colItems[c] {
                let ns = neighbours[i]
                var k = pos[i]
                if ns.count == 1 {
                    k = pos[Int(ns.first!)]
                } else if !ns.isEmpty {
                    var sum = 0.0
                    for j in ns { sum += pos[Int(j)] }
                    k = sum / Double(ns.count)
                }
                keyed.append((band[i], k, i))
            }
            keyed.sort { $0 < $1 }
            for (k, t) in keyed.enumerated() {
                colItems[c][k] = t.2
                pos[t.2] = Double(k)
            }
        }
        for c in 0..<columns { order(c, by: c == 0 ? right : left) }
        // Sweeps cost O(items log items) each; a huge mesh gets fewer of them (past 60,000 items,
        // only the first pass above, which already puts each chain after its left neighbour).
        let sweeps = items > 60_000 ? 0 : items > 15_000 ? 2 : options.sweeps
        if columns > 1 {
            for _ in 0..<sweeps {
                for c in 1..<columns { order(c, by: left) }
                for c in (0..<(columns - 1)).reversed() { order(c, by: right) }
            }
        }

        // Rows, relative to the band's first content row. Left to right: an item goes where
        // its left neighbours are (a chain runs straight), never above the item before it.
        let half = options.boxHeight / 2
        var yRel = [Int](repeating: 0, count: items)
        func height(_ i: Int) -> Int { isNode(i) ? options.boxHeight : 1 }
        func conn(_ i: Int) -> Int { yRel[i] + (isNode(i) ? half : 0) }
        var bandRows = [Int](repeating: 0, count: namespaces.count)
        for c in 0..<columns {
            var bottom = [Int](repeating: 0, count: namespaces.count)
            var last = [Int](repeating: -1, count: namespaces.count)
            for i in colItems[c] {
                let b = band[i]
                // Two edge rows may touch; a box keeps a blank row from anything above it.
                let gap = last[b] < 0 ? 0 : (isNode(i) || isNode(last[b]) ? options.rowGap : 0)
                let minY = bottom[b] + gap
                var desired = minY
                let ls = left[i]
                if ls.count == 1 {
                    // A chain's row: no array to build for the common case.
                    let l = Int(ls.first!)
                    if band[l] == b { desired = conn(l) - (isNode(i) ? half : 0) }
                } else if !ls.isEmpty {
                    var rows: [Int] = []
                    for l in ls where band[Int(l)] == b { rows.append(conn(Int(l))) }
                    rows.sort()
                    if !rows.isEmpty { desired = rows[rows.count / 2] - (isNode(i) ? half : 0) }
                }
                yRel[i] = max(minY, desired)
                bottom[b] = yRel[i] + height(i)
                last[b] = i
            }
            for b in 0..<namespaces.count { bandRows[b] = max(bandRows[b], bottom[b]) }
        }
        var bands: [NamespaceBand] = []
        var y = options.margin
        for (b, ns) in namespaces.enumerated() {
            let h = 1 + bandRows[b]
            bands.append(NamespaceBand(namespace: ns, y: y, height: h))
            y += h + 1
        }
        var row = [Int](repeating: 0, count: items)
        for i in 0..<items { row[i] = bands[band[i]].y + 1 + conn(i) }

        // Lanes: per gap, the segments whose ends are on different rows. A segment leaving row
        // r turns left of any segment arriving at row r, so runs of unrelated edges never touch.
        struct Segment {
            var from: Int
            var to: Int
            var group: Int
        }
        var segments = [[Segment]](repeating: [], count: max(0, columns - 1))
        for e in 0..<chains.count {
            let chain = chains[e]
            guard chain.count >= 2 else { continue }
            for k in chain.startIndex + 1..<chain.endIndex {
                let (a, b) = (Int(chain[k - 1]), Int(chain[k]))
                guard row[a] != row[b] else { continue }
                // A segment turns in the gap just before its right end (segments span one gap,
                // except the long runs of a compact layout).
                segments[col[b] - 1].append(Segment(from: a, to: b, group: laneGroup(a, b)))
            }
        }
        // A box's edges fanning out to their rows share one trunk (each row is its edge's
        // own, so the branches stay apart); edges into a box share one lane to its arrow.
        func laneGroup(_ a: Int, _ b: Int) -> Int { isNode(a) && !isNode(b) ? a : b }
        var laneOf = [Int: Int]()  // (gap << 32 | group) → lane rank
        var gapLanes = [Int](repeating: 0, count: max(0, columns - 1))
        for g in segments.indices where !segments[g].isEmpty {
            let segs = segments[g]
            var groups: [Int] = []
            var gIndex: [Int: Int] = [:]
            var span: [Int] = []
            for s in segs {
                let d = abs(row[s.to] - row[s.from])
                if let k = gIndex[s.group] {
                    span[k] = max(span[k], d)
                } else {
                    gIndex[s.group] = groups.count
                    groups.append(s.group)
                    span.append(d)
                }
            }
            var enters: [Int: Int] = [:]  // row → group index arriving there
            for s in segs { enters[row[s.to]] = gIndex[s.group]! }
            var after = [[Int]](repeating: [], count: groups.count)
            var indeg = [Int](repeating: 0, count: groups.count)
            var seenPair = Set<Int64>()
            for s in segs {
                let k = gIndex[s.group]!
                guard let e = enters[row[s.from]], e != k, seenPair.insert(Int64(k) << 32 | Int64(e)).inserted else { continue }
                after[k].append(e)
                indeg[e] += 1
            }
            // Longest turn first (leftmost): a fan-out's far branch then passes left of the
            // near branches' runs instead of crossing them.
            var heap = LaneHeap(span: span)
            for k in groups.indices where indeg[k] == 0 { heap.push(k) }
            var placed = [Bool](repeating: false, count: groups.count)
            var rank = 0
            var byPriority: [Int]?
            var cursor = 0
            while rank < groups.count {
                var next = heap.pop()
                if next == nil {
                    // A cycle of constraints (two edges swapping rows): break it at the
                    // best-placed group left.
                    if byPriority == nil {
                        byPriority = groups.indices.sorted { span[$0] != span[$1] ? span[$0] > span[$1] : $0 < $1 }
                    }
                    while cursor < byPriority!.count, placed[byPriority![cursor]] { cursor += 1 }
                    next = byPriority![cursor]
                }
                let k = next!
                guard !placed[k] else { continue }
                placed[k] = true
                laneOf[g << 32 | groups[k]] = rank
                rank += 1
                for e in after[k] {
                    indeg[e] -= 1
                    if indeg[e] == 0, !placed[e] { heap.push(e) }
                }
            }
            gapLanes[g] = groups.count
        }

        // Columns' x: node columns as wide as their widest box, label columns as their widest
        // label plus a cell of line on each side, gaps as their lanes plus the cells that
        // leave and enter.
        let widths = graph.nodes.map { boxWidth(for: $0, options: options, measure: measure) }
        var colW = [Int](repeating: 1, count: columns)
        for i in 0..<items {
            let w = isNode(i) ? widths[i] : (labelOf[i] > 0 ? labelOf[i] + 2 : 1)
            colW[col[i]] = max(colW[col[i]], w)
        }
        var colX = [Int](repeating: options.margin, count: columns)
        for c in 1..<max(1, columns) { colX[c] = colX[c - 1] + colW[c - 1] + max(2, gapLanes[c - 1] + 2) }
        let width = colX[columns - 1] + colW[columns - 1] + options.margin

        var boxes: [NodeID: Rect] = [:]
        boxes.reserveCapacity(n)
        var rects = [Rect](repeating: Rect(x: 0, y: 0, width: 0, height: 0), count: n)
        var layersOut: [NodeID: Int] = [:]
        var orderOut: [NodeID: Int] = [:]
        for u in 0..<n {
            let r = Rect(x: colX[col[u]], y: row[u] - half, width: widths[u], height: options.boxHeight)
            rects[u] = r
            boxes[graph.nodes[u].id] = r
            layersOut[graph.nodes[u].id] = layer[u]
        }
        for c in stride(from: 0, to: columns, by: 2) {
            var k = 0
            for i in colItems[c] where isNode(i) {
                orderOut[graph.nodes[i].id] = k
                k += 1
            }
        }

        var routes = [EdgeRoute](repeating: .none, count: graph.edges.count)
        // Each edge's points are gathered here and copied out at their exact size: grown by
        // appending, each edge's array was allocated two or three times and kept up to twice
        // the room it needs (7.5 MB live for 55,000 edges, heaptrack).
        var pts: [CellPoint] = []
        for e in 0..<chains.count {
            let chain = chains[e]
            guard chain.count >= 2 else { continue }
            let first = Int(chain.first!)
            pts.removeAll(keepingCapacity: true)
            pts.append(CellPoint(x: rects[first].maxX, y: row[first]))
            var label = Rect(x: 0, y: 0, width: 0, height: 0)
            for k in chain.startIndex + 1..<chain.endIndex {
                let (a, b) = (Int(chain[k - 1]), Int(chain[k]))
                let g = col[b] - 1
                if row[a] != row[b], let lane = laneOf[g << 32 | laneGroup(a, b)] {
                    let x = colX[g] + colW[g] + 1 + lane
                    pts.append(CellPoint(x: x, y: row[a]))
                    pts.append(CellPoint(x: x, y: row[b]))
                }
                if !isNode(b), labelOf[b] > 0 { label = Rect(x: colX[col[b]] + 1, y: row[b], width: labelOf[b], height: 1) }
            }
            let last = Int(chain.last!)
            pts.append(CellPoint(x: rects[last].x - 1, y: row[last]))
            if isReversed[e] { pts.reverse() }
            // A new buffer of this size (`Array(pts)` would share the scratch one).
            let exact = [CellPoint](unsafeUninitializedCapacity: pts.count) { buffer, n in
                n = buffer.initialize(fromContentsOf: pts)
            }
            routes[e] = EdgeRoute(points: exact, label: label)
        }

        var back = Set<EdgeID>()
        for (i, e) in graph.edges.enumerated() where isReversed[i] { back.insert(e.id) }
        return GraphLayout(
            boxes: boxes, layers: layersOut, order: orderOut, bands: bands, backEdges: back, width: width,
            height: y - 1 + options.margin, topologyKey: graph.topologyKey, rects: rects, routes: routes)
    }
}

/// Lists of item indices stored end to end, with each list's start: one allocation for all
/// of them instead of one per list.
struct FlatLists {
    private var starts: [Int32]
    private var flat: [Int32] = []

    /// Filled list by list in order with `start(_:)` and `append(_:)`; lists never started are
    /// empty. `finish()` before reading.
    init(count: Int) { starts = [Int32](repeating: -1, count: count + 1) }

    /// Adjacency lists from (item, neighbour) pairs, each list in the pairs' order.
    init(items: Int, _ pairs: some Collection<(Int32, Int32)>) {
        var counts = [Int32](repeating: 0, count: items + 1)
        for (u, _) in pairs { counts[Int(u) + 1] += 1 }
        for i in 0..<items { counts[i + 1] += counts[i] }
        var fill = counts
        flat = [Int32](repeating: 0, count: pairs.count)
        for (u, v) in pairs {
            flat[Int(fill[Int(u)])] = v
            fill[Int(u)] += 1
        }
        starts = counts
    }

    var count: Int { starts.count - 1 }

    mutating func start(_ list: Int) { starts[list] = Int32(flat.count) }
    mutating func append(_ item: Int) { flat.append(Int32(item)) }

    /// Gives each list never started an empty range at the start of the next.
    mutating func finish() {
        starts[starts.count - 1] = Int32(flat.count)
        for i in stride(from: starts.count - 2, through: 0, by: -1) where starts[i] < 0 { starts[i] = starts[i + 1] }
    }

    subscript(_ list: Int) -> ArraySlice<Int32> { flat[Int(starts[list])..<Int(starts[list + 1])] }
}

/// A max-heap of lane groups by span (ties: lower index first).
struct LaneHeap {
    let span: [Int]
    var items: [Int] = []
    init(span: [Int]) { self.span = span }

    func before(_ a: Int, _ b: Int) -> Bool { span[a] != span[b] ? span[a] > span[b] : a < b }

    mutating func push(_ k: Int) {
        items.append(k)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard before(items[i], items[p]) else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < items.count, before(items[l], items[m]) { m = l }
                if r < items.count, before(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
