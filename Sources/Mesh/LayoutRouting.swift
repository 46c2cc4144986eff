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
        reversed: (Int) -> Bool, nodeNs: [Int], namespaces: [String]
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
        let expected = compact ? graph.edges.count : max(0, min(crossings, options.rowBudget))
        col.reserveCapacity(n + expected)
        band.reserveCapacity(n + expected)
        labelOf.reserveCapacity(n + expected)
        links.reserveCapacity(expected + graph.edges.count)
        for (i, e) in graph.ends.enumerated() where e.from != e.to {
            let rev = reversed(i)
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
        do {
            var perColumn = [Int](repeating: 0, count: columns)
            for i in 0..<items { perColumn[col[i]] += 1 }
            for c in 0..<columns { colItems[c].reserveCapacity(perColumn[c]) }
        }
        var pos = [Double](repeating: 0, count: items)
        for us in nodeLayers { for (k, u) in us.enumerated() { pos[u] = Double(k) } }
        for i in 0..<items { colItems[col[i]].append(i) }
        var barycenter = BarycenterOrder()
        func order(_ c: Int, by neighbours: FlatLists) { barycenter.order(&colItems[c], by: neighbours, band: band, pos: &pos) }
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
        var bottom = [Int](repeating: 0, count: namespaces.count)
        var last = [Int](repeating: -1, count: namespaces.count)
        var rows: [Int] = []
        for c in 0..<columns {
            for b in 0..<namespaces.count {
                bottom[b] = 0
                last[b] = -1
            }
            for i in colItems[c] {
                let b = band[i]
                // Two edge rows may touch; a box keeps a blank row from anything above it.
                let gap = last[b] < 0 ? 0 : (isNode(i) || isNode(last[b]) ? options.rowGap : 0)
                let minY = bottom[b] + gap
                var desired = minY
                let (s, e) = left.range(of: i)
                if e - s == 1 {
                    // A chain's row: no array to build for the common case.
                    let l = left.item(s)
                    if band[l] == b { desired = conn(l) - (isNode(i) ? half : 0) }
                } else if e > s {
                    rows.removeAll(keepingCapacity: true)
                    for j in s..<e {
                        let l = left.item(j)
                        if band[l] == b { rows.append(conn(l)) }
                    }
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
        // Segments are numbered in the order the routes below walk the chains, so each finds
        // its lane by that number instead of hashing (gap, group).
        struct Segment {
            var from: Int32
            var to: Int32
            var group: Int32
            var id: Int32
        }
        var segments = [[Segment]](repeating: [], count: max(0, columns - 1))
        var segmentCount = 0
        for e in 0..<chains.count {
            let (s, end) = chains.range(of: e)
            guard end - s >= 2 else { continue }
            for k in s + 1..<end {
                let (a, b) = (chains.item(k - 1), chains.item(k))
                guard row[a] != row[b] else { continue }
                // A segment turns in the gap just before its right end (segments span one gap,
                // except the long runs of a compact layout).
                segments[col[b] - 1].append(
                    Segment(from: Int32(a), to: Int32(b), group: Int32(laneGroup(a, b)), id: Int32(segmentCount)))
                segmentCount += 1
            }
        }
        // A box's edges fanning out to their rows share one trunk (each row is its edge's
        // own, so the branches stay apart); edges into a box share one lane to its arrow.
        func laneGroup(_ a: Int, _ b: Int) -> Int { isNode(a) && !isNode(b) ? a : b }
        var laneOf = [Int32](repeating: 0, count: segmentCount)  // by segment number
        var gapLanes = [Int](repeating: 0, count: max(0, columns - 1))
        // By item and by row, each entry valid for the gap stamped beside it: no dictionary
        // per gap.
        var groupOfItem = [Int32](repeating: 0, count: items)
        var groupGap = [Int32](repeating: -1, count: items)
        let minRow = row.min() ?? 0
        let rowSpan = (row.max() ?? 0) - minRow + 1
        var entersRow = [Int32](repeating: 0, count: rowSpan)
        var entersGap = [Int32](repeating: -1, count: rowSpan)
        var groups: [Int] = []
        var span: [Int] = []
        var afterPairs: [(Int32, Int32)] = []
        for g in segments.indices where !segments[g].isEmpty {
            let g32 = Int32(g)
            groups.removeAll(keepingCapacity: true)
            span.removeAll(keepingCapacity: true)
            for s in segments[g] {
                let d = abs(row[Int(s.to)] - row[Int(s.from)])
                let item = Int(s.group)
                if groupGap[item] == g32 {
                    let k = Int(groupOfItem[item])
                    span[k] = max(span[k], d)
                } else {
                    groupGap[item] = g32
                    groupOfItem[item] = Int32(groups.count)
                    groups.append(item)
                    span.append(d)
                }
            }
            for s in segments[g] {  // row → group arriving there (the last segment's)
                let r = row[Int(s.to)] - minRow
                entersGap[r] = g32
                entersRow[r] = groupOfItem[Int(s.group)]
            }
            // The order constraints, as pairs (group, group after it). A pair seen twice counts
            // twice in `after` and in `indeg` alike, which readies a group at the same moment.
            afterPairs.removeAll(keepingCapacity: true)
            for s in segments[g] {
                let r = row[Int(s.from)] - minRow
                guard entersGap[r] == g32 else { continue }
                let k = groupOfItem[Int(s.group)]
                let e = entersRow[r]
                guard e != k else { continue }
                afterPairs.append((k, e))
            }
            let after = FlatLists(items: groups.count, afterPairs)
            var indeg = [Int](repeating: 0, count: groups.count)
            for (_, e) in afterPairs { indeg[Int(e)] += 1 }
            // Longest turn first (leftmost): a fan-out's far branch then passes left of the
            // near branches' runs instead of crossing them.
            var heap = LaneHeap()
            for k in groups.indices where indeg[k] == 0 { heap.push(k, span: span[k]) }
            var placed = [Bool](repeating: false, count: groups.count)
            var rankOf = [Int32](repeating: 0, count: groups.count)
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
                rankOf[k] = Int32(rank)
                rank += 1
                let (s, end) = after.range(of: k)
                for j in s..<end {
                    let e = after.item(j)
                    indeg[e] -= 1
                    if indeg[e] == 0, !placed[e] { heap.push(e, span: span[e]) }
                }
            }
            for s in segments[g] { laneOf[Int(s.id)] = rankOf[Int(groupOfItem[Int(s.group)])] }
            gapLanes[g] = groups.count
        }
        segments = []
        groupOfItem = []
        groupGap = []

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

        var rects = [Rect](repeating: Rect(x: 0, y: 0, width: 0, height: 0), count: n)
        for u in 0..<n {
            rects[u] = Rect(x: colX[col[u]], y: row[u] - half, width: widths[u], height: options.boxHeight)
        }
        var orderOf = [Int](repeating: 0, count: n)
        for c in stride(from: 0, to: columns, by: 2) {
            var k = 0
            for i in colItems[c] where isNode(i) {
                orderOf[i] = k
                k += 1
            }
        }
        // The graph's own index of its nodes, with its values mapped: the same keys in the
        // same table, so no node id is hashed again (three tables of thousands of ids, each
        // hashing two strings, were a tenth of the layout).
        let boxes = graph.index.mapValues { rects[$0] }
        let layersOut = graph.index.mapValues { layer[$0] }
        let orderOut = graph.index.mapValues { orderOf[$0] }

        var routes = [EdgeRoute](repeating: .none, count: graph.edges.count)
        // Each edge's points are gathered here and copied out at their exact size: grown by
        // appending, each edge's array was allocated two or three times and kept up to twice
        // the room it needs (7.5 MB live for 55,000 edges, heaptrack).
        var pts: [CellPoint] = []
        var segment = 0
        for e in 0..<chains.count {
            let (s, end) = chains.range(of: e)
            guard end - s >= 2 else { continue }
            let first = chains.item(s)
            pts.removeAll(keepingCapacity: true)
            pts.append(CellPoint(x: rects[first].maxX, y: row[first]))
            var label = Rect(x: 0, y: 0, width: 0, height: 0)
            for k in s + 1..<end {
                let (a, b) = (chains.item(k - 1), chains.item(k))
                let g = col[b] - 1
                if row[a] != row[b] {
                    let x = colX[g] + colW[g] + 1 + Int(laneOf[segment])
                    segment += 1
                    pts.append(CellPoint(x: x, y: row[a]))
                    pts.append(CellPoint(x: x, y: row[b]))
                }
                if !isNode(b), labelOf[b] > 0 { label = Rect(x: colX[col[b]] + 1, y: row[b], width: labelOf[b], height: 1) }
            }
            let last = chains.item(end - 1)
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

/// One barycenter step: sorts a column's (or a layer's) items by band, then by the mean
/// position of their neighbours (their own position when they have none), then by index, and
/// renumbers their positions. Each item's three numbers are packed in one 128-bit integer whose
/// order is theirs, so the sort compares plain integers instead of calling back into tuples of
/// captured arrays; and the keys are made through buffer pointers, since each array write in
/// a loop checked its array's uniqueness (the ordering was most of the layout, perf). Positions
/// and their means are never negative, so their bit patterns order as they do; bands and
/// items fit in 32 bits.
struct BarycenterOrder {
    private var scratch: [UInt128] = []

    mutating func order(_ items: inout [Int], by neighbours: FlatLists, band: [Int], pos: inout [Double]) {
        let m = items.count
        if scratch.count < m { scratch = [UInt128](repeating: 0, count: m) }
        scratch.withUnsafeMutableBufferPointer { all in
            var keys = UnsafeMutableBufferPointer(rebasing: all[0..<m])
            items.withUnsafeMutableBufferPointer { items in
                pos.withUnsafeMutableBufferPointer { pos in
                    band.withUnsafeBufferPointer { band in
                        neighbours.withBuffers { starts, flat in
                            for j in 0..<m {
                                let i = items[j]
                                let (s, e) = (Int(starts[i]), Int(starts[i + 1]))
                                var k = pos[i]
                                if e - s == 1 {
                                    k = pos[Int(flat[s])]
                                } else if e > s {
                                    var sum = 0.0
                                    for x in s..<e { sum += pos[Int(flat[x])] }
                                    k = sum / Double(e - s)
                                }
                                keys[j] =
                                    UInt128(UInt32(truncatingIfNeeded: band[i])) << 96 | UInt128(k.bitPattern) << 32
                                    | UInt128(UInt32(truncatingIfNeeded: i))
                            }
                        }
                    }
                    keys.sort()
                    for j in 0..<m {
                        let i = Int(UInt32(truncatingIfNeeded: keys[j]))
                        items[j] = i
                        pos[i] = Double(j)
                    }
                }
            }
        }
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

    /// The list's bounds in `item(_:)`'s numbering: hot loops read through these instead of
    /// a slice, which retains the storage at each call.
    func range(of list: Int) -> (start: Int, end: Int) { (Int(starts[list]), Int(starts[list + 1])) }
    func count(of list: Int) -> Int { Int(starts[list + 1] - starts[list]) }
    func item(_ k: Int) -> Int { Int(flat[k]) }

    /// The starts (one more than lists) and the items, for loops that read many lists.
    func withBuffers<R>(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>) -> R) -> R {
        starts.withUnsafeBufferPointer { s in flat.withUnsafeBufferPointer { f in body(s, f) } }
    }
}

/// A heap of lane groups, longest span first (ties: lower index first): each group's span and
/// index packed in one integer, so a comparison reads no array.
struct LaneHeap {
    private var items: [UInt64] = []

    /// `span` is clamped to 32 bits (a turn that long cannot be laid out anyway).
    mutating func push(_ k: Int, span: Int) {
        let s = UInt64(UInt32(clamping: span))
        items.append((UInt64(UInt32.max) - s) << 32 | UInt64(UInt32(truncatingIfNeeded: k)))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard items[i] < items[p] else { break }
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
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return Int(UInt32(truncatingIfNeeded: top))
    }
}
