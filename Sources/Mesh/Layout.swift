// Layered left-to-right layout (Sugiyama style): break cycles, longest-path layering so that
// callers sit left of callees, barycenter sweeps to reduce crossings, then compact cell
// coordinates with one horizontal band per namespace. Every step is O((V + E) log V); nothing
// loops over all nodes per node, so thousands of nodes lay out in milliseconds.

public struct CellPoint: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
    public static let zero = CellPoint(x: 0, y: 0)
}

/// A namespace's horizontal stripe: row `y` holds its label, nodes sit below it.
public struct NamespaceBand: Sendable, Equatable {
    public var namespace: String
    public var y: Int
    public var height: Int
}

public struct GraphLayout: Sendable, Equatable {
    /// Box of every node in layout cells (origin top-left, before panning).
    public var boxes: [NodeID: Rect]
    /// Column (layer) of each node, 0 = leftmost.
    public var layers: [NodeID: Int]
    /// Position within its layer, top to bottom.
    public var order: [NodeID: Int]
    public var bands: [NamespaceBand]
    /// Edges that were reversed to break cycles: they point right-to-left on screen.
    public var backEdges: Set<EdgeID>
    public var width: Int
    public var height: Int
    /// The graph topology this layout was made for (`MeshGraph.topologyKey`).
    public var topologyKey: Int
    /// `boxes` again, by node index of the graph it was made for: a frame culls thousands of
    /// boxes and edges by integer compares instead of hashing names.
    public var rects: [Rect] = []
    /// By edge index: where the edge is drawn and where its label goes. Every edge runs
    /// through a row of its own in each column it crosses (never under a box), and its label
    /// sits on that row, so no two labels overlap and each lies on its own edge.
    public var routes: [EdgeRoute] = []

    public static let empty = GraphLayout(
        boxes: [:], layers: [:], order: [:], bands: [], backEdges: [], width: 0, height: 0, topologyKey: 0)

    /// The node whose box contains the point (layout coordinates).
    public func node(at p: CellPoint) -> NodeID? { boxes.first { $0.value.contains(p) }?.key }
}

public struct LayoutOptions: Sendable, Equatable {
    /// Cells reserved for a traffic edge's label ("✓ 12.3rps 99.9%") and a split edge's
    /// ("✓ 100%": a share always fits whole, it is the number a canary operator watches).
    public var trafficLabelWidth = 15
    public var splitLabelWidth = 6
    public var rowGap = 1
    public var boxHeight = 4
    /// Wide enough for the metrics line ("12.3rps 99.9%") under a short name.
    public var minBoxWidth = 15
    public var maxBoxWidth = 36
    public var margin = 1
    public var sweeps = 6
    /// This namespace's band comes first (the scope asked for), the others after it by name.
    public var firstNamespace: String?
    /// How many edge rows (an edge crossing a column) the layout may create before it lets
    /// long edges pass behind boxes instead (see `Layout.place`).
    public var rowBudget = 300_000
    public init() {}
}

public enum Layout {
    /// Text width in cells. Kubernetes names are ASCII, so a scalar count is exact for them;
    /// the UI passes its own East-Asian-width-aware measure when it has one.
    public static func defaultWidth(_ s: String) -> Int { s.unicodeScalars.count }

    public static func boxWidth(for node: GraphNode, options: LayoutOptions = LayoutOptions(), measure: (String) -> Int = defaultWidth) -> Int {
        // Two border cells and one cell of padding on each side.
        min(options.maxBoxWidth, max(options.minBoxWidth, max(measure(node.label), measure(node.subtitle)) + 4))
    }

    public static func compute(
        _ graph: MeshGraph, options: LayoutOptions = LayoutOptions(), measure: (String) -> Int = defaultWidth
    ) -> GraphLayout {
        let n = graph.nodes.count
        guard n > 0 else {
            var l = GraphLayout.empty
            l.topologyKey = graph.topologyKey
            return l
        }
        // Adjacency over indices, self-loops and duplicate pairs dropped, as flat lists (CSR):
        // each node's successors in the order of their first edge. Marks by node instead of a
        // set of pairs: hashing every edge two or three times was a good part of the layout.
        let ends = graph.ends
        var byFrom = [Int](repeating: 0, count: n + 1)
        for e in ends where e.from != e.to { byFrom[e.from + 1] += 1 }
        for u in 0..<n { byFrom[u + 1] += byFrom[u] }
        var edgesFrom = [Int](repeating: 0, count: byFrom[n])
        do {
            var fill = byFrom
            for (i, e) in ends.enumerated() where e.from != e.to {
                edgesFrom[fill[e.from]] = i
                fill[e.from] += 1
            }
        }
        var succStart = [Int](repeating: 0, count: n + 1)
        var succ: [Int] = []
        succ.reserveCapacity(edgesFrom.count)
        // Each edge's (first) successor slot: whether it was reversed is read there.
        var edgeSlot = [Int](repeating: -1, count: ends.count)
        do {
            var mark = [Int](repeating: -1, count: n)
            var slotOf = [Int](repeating: 0, count: n)
            for u in 0..<n {
                succStart[u] = succ.count
                for k in byFrom[u]..<byFrom[u + 1] {
                    let i = edgesFrom[k]
                    let v = ends[i].to
                    if mark[v] != u {
                        mark[v] = u
                        slotOf[v] = succ.count
                        succ.append(v)
                    }
                    edgeSlot[i] = slotOf[v]
                }
            }
            succStart[n] = succ.count
        }
        byFrom = []
        edgesFrom = []

        // 1. Cycle breaking: iterative DFS in node order; an edge to a node on the stack is a
        //    back edge and is reversed. Iterative so deep chains cannot overflow the stack.
        var state = Array(repeating: UInt8(0), count: n)  // 0 new, 1 on stack, 2 done
        var reversedSlot = [Bool](repeating: false, count: succ.count)
        var anyReversed = false
        var stack: [(node: Int, next: Int)] = []
        for root in 0..<n where state[root] == 0 {
            stack.append((root, succStart[root]))
            state[root] = 1
            while !stack.isEmpty {
                let top = stack.count - 1
                let u = stack[top].node
                let s = stack[top].next
                if s < succStart[u + 1] {
                    let v = succ[s]
                    stack[top].next = s + 1
                    if state[v] == 0 {
                        state[v] = 1
                        stack.append((v, succStart[v]))
                    } else if state[v] == 1 {
                        reversedSlot[s] = true
                        anyReversed = true
                    }
                } else {
                    state[u] = 2
                    stack.removeLast()
                }
            }
        }
        // The DAG's edges in the order the successor lists give them, a reversed edge's pair
        // dropped when the pair is already there. Without reversed edges every pair is new.
        var dagPairs: [(a: Int, b: Int)] = []
        dagPairs.reserveCapacity(succ.count)
        if anyReversed {
            var dagSet = Set<Int64>()
            for u in 0..<n {
                for s in succStart[u]..<succStart[u + 1] {
                    let v = succ[s]
                    let (a, b) = reversedSlot[s] ? (v, u) : (u, v)
                    if dagSet.insert(Int64(a) << 32 | Int64(b)).inserted { dagPairs.append((a, b)) }
                }
            }
        } else {
            for u in 0..<n { for s in succStart[u]..<succStart[u + 1] { dagPairs.append((u, succ[s])) } }
        }
        let dagSucc = FlatLists(items: n, dagPairs.lazy.map { (Int32($0.a), Int32($0.b)) })
        let dagPred = FlatLists(items: n, dagPairs.lazy.map { (Int32($0.b), Int32($0.a)) })
        dagPairs = []

        // 2. Longest-path layering in topological order (Kahn), callers first.
        var indeg = (0..<n).map { dagPred.count(of: $0) }
        var queue = (0..<n).filter { indeg[$0] == 0 }
        var topo: [Int] = []
        topo.reserveCapacity(n)
        var qi = 0
        while qi < queue.count {
            let u = queue[qi]
            qi += 1
            topo.append(u)
            for v in dagSucc[u] {
                indeg[Int(v)] -= 1
                if indeg[Int(v)] == 0 { queue.append(Int(v)) }
            }
        }
        var layer = Array(repeating: 0, count: n)
        for u in topo { for v in dagSucc[u] where layer[Int(v)] < layer[u] + 1 { layer[Int(v)] = layer[u] + 1 } }
        // Sources (services nobody calls) move right, next to their nearest callee, so a
        // service box sits just left of the workloads it selects instead of in column 0.
        for u in topo.reversed() where dagPred.count(of: u) == 0 && dagSucc.count(of: u) > 0 {
            var m = Int.max
            for v in dagSucc[u] { m = min(m, layer[Int(v)]) }
            layer[u] = max(layer[u], m - 1)
        }
        let layerCount = (layer.max() ?? 0) + 1

        // 3. Ordering: namespace first (bands), then barycenter sweeps.
        var namespaces = graph.namespaces
        if let first = options.firstNamespace, let i = namespaces.firstIndex(of: first) {
            namespaces.insert(namespaces.remove(at: i), at: 0)
        }
        var nsRank: [String: Int] = [:]
        for (i, ns) in namespaces.enumerated() { nsRank[ns] = i }
        // Nodes are sorted by namespace: looked up once per run of one namespace.
        var nodeNs = [Int](repeating: 0, count: n)
        for u in 0..<n {
            let ns = graph.nodes[u].id.namespace
            nodeNs[u] = u > 0 && ns == graph.nodes[u - 1].id.namespace ? nodeNs[u - 1] : nsRank[ns]!
        }
        var layers = Array(repeating: [Int](), count: layerCount)
        for u in 0..<n { layers[layer[u]].append(u) }  // node order is sorted, so deterministic
        var pos = Array(repeating: 0.0, count: n)
        for l in 0..<layerCount {
            layers[l].sort { nodeNs[$0] != nodeNs[$1] ? nodeNs[$0] < nodeNs[$1] : $0 < $1 }
            for (i, u) in layers[l].enumerated() { pos[u] = Double(i) }
        }
        var barycenter = BarycenterOrder()
        func sweep(_ range: some Sequence<Int>, neighbours: FlatLists) {
            for l in range { barycenter.order(&layers[l], by: neighbours, band: nodeNs, pos: &pos) }
        }
        if layerCount > 1 {
            for _ in 0..<options.sweeps {
                sweep(1..<layerCount, neighbours: dagPred)
                sweep((0..<(layerCount - 1)).reversed(), neighbours: dagSucc)
            }
        }

        return place(
            graph, options: options, measure: measure, layer: layer, layers: layers,
            reversed: { i in edgeSlot[i] >= 0 && reversedSlot[edgeSlot[i]] }, nodeNs: nodeNs,
            namespaces: namespaces)
    }

    /// By edge: the column where a forward edge turns vertical, or -1: for `GraphCanvas` when
    /// it is given boxes without routes (drawings that are not a laid-out graph).
    public static func assignLanes(ends: [EdgeEnds], rects: [Rect]) -> [Int] {
        var out = [Int](repeating: -1, count: ends.count)
        // An edge that skips layers turns in the gap just before its target: a vertical run in
        // an earlier gap would cross the boxes of the layers in between lengthwise (their
        // borders). Its horizontal run passes behind those boxes instead, as in any layered drawing.
        let columnEnds = Array(Set(rects.map(\.maxX))).sorted()
        func gapStart(before x: Int, after sx: Int) -> Int {
            var lo = 0
            var hi = columnEnds.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if columnEnds[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 ? max(sx, columnEnds[lo - 1]) : sx
        }
        // Gap (start, target left edge) packed in one Int.
        var groups: [Int: [(edge: Int, to: Int)]] = [:]
        for (i, e) in ends.enumerated() where e.from != e.to && rects.indices.contains(e.from) && rects.indices.contains(e.to) {
            let s = rects[e.from]
            let t = rects[e.to]
            guard t.x > s.maxX else { continue }
            groups[gapStart(before: t.x, after: s.maxX) << 32 | (t.x & 0xFFFF_FFFF), default: []].append((i, e.to))
        }
        for (key, members) in groups {
            var seen = Set<Int>()
            let targets = members.map(\.to).filter { seen.insert($0).inserted }.sorted { a, b in
                rects[a].y != rects[b].y ? rects[a].y < rects[b].y : a < b
            }
            var rank: [Int: Int] = [:]
            for (k, t) in targets.enumerated() { rank[t] = k }
            let x0 = key >> 32
            let gap = (key & 0xFFFF_FFFF) - 1 - x0
            for m in members {
                out[m.edge] = x0 + max(1, min(gap - 1, (rank[m.to]! + 1) * gap / (targets.count + 1)))
            }
        }
        return out
    }
}
