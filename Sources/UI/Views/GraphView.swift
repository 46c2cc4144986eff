import App
import KubeCore
import Mesh

/// What the graph view draws: the visible graph (the scope, or the focus neighbourhood), its
/// layout and pan, and the metrics its boxes and edges are labelled with.
public struct GraphModel {
    public var graph: MeshGraph
    public var layout: GraphLayout
    public var pan: CellPoint
    public var filter: String
    public var selection: GraphSelection?
    public var connecting: Bool
    /// Set when there is no cluster at all (NO CLUSTER): the empty graph says what to do.
    public var noCluster: Bool = false
    public var scope: NamespaceScope
    public var metrics: MetricsStore
    public var thresholds: HealthThresholds
    /// A service's metrics, aggregated over the workloads it selects: a lookup, asked only for
    /// the service boxes that are drawn.
    public var serviceMetrics: (ObjectRef) -> MetricCells

    public init(_ s: AppState) {
        graph = s.visibleGraph
        layout = s.layout
        pan = s.navigation.pan
        filter = s.navigation.graphFilter
        selection = s.navigation.selection
        connecting = s.connection.status == .connecting
        noCluster = s.connection.status == .noCluster
        scope = s.context.scope
        metrics = s.metrics
        thresholds = s.options.thresholds
        serviceMetrics = { [s] in s.serviceMetrics($0) }
    }
}

/// The service graph: boxes with their metrics, traffic and split edges, namespace bands.
public struct GraphView: Widget {
    public var model: GraphModel
    public init(_ model: GraphModel) { self.model = model }

    func health(_ m: MetricSample?) -> Health { model.thresholds.classify(m?.successRate) }

    func nodeMetrics(_ id: NodeID) -> (line: String?, health: Health) {
        switch id.kind {
        case .workload:
            if let h = model.metrics.workload(id.object), let m = h.latest ?? h.lastKnown {
                return (Fmt.rps(m.rps) + " " + Fmt.percent(m.successRate), health(m))
            }
            // A workload in a namespace not polled: what its callers saw of it.
            var rps = 0.0
            var ok = 0.0
            var seen = false
            for e in model.graph.incomingEdges(id) {
                guard let k = e.id.trafficKey, let h = model.metrics.edge(k), let m = h.latest ?? h.lastKnown, let r = m.rps, r.isFinite else {
                    continue
                }
                seen = true
                rps += r
                ok += r * (m.successRate.flatMap { $0.isFinite ? $0 : nil } ?? 1)
            }
            guard seen else { return (nil, .unknown) }
            let rate: Double? = rps > 0 ? ok / rps : nil
            return (Fmt.rps(rps) + " " + Fmt.percent(rate), model.thresholds.classify(rate))
        case .service:
            let m = model.serviceMetrics(id.object)
            guard m.rps != nil || m.successRate != nil else { return (nil, .unknown) }
            return (Fmt.rps(m.rps) + " " + Fmt.percent(m.successRate), model.thresholds.classify(m.successRate))
        }
    }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard !rect.isEmpty else { return }
        let g = model.graph
        if g.nodes.isEmpty {
            // An empty graph says why and what to do next, never a blank screen.
            let text =
                model.noCluster
                ? "no cluster: :kubeconfig PATH or :ctx NAME picks one"
                : model.connecting ? "connecting…" : "no services in \(model.scope.description) (:ns NAME or :ns all looks elsewhere)"
            buf.write(text, x: rect.x + 1, y: rect.y + rect.height / 2, style: Style(.muted), clip: rect)
            return
        }
        let filter = FilterMatcher(model.filter)
        // Only what can reach the screen is formatted and routed: a frame costs what is
        // visible, not what the cluster holds. An edge is kept when its span crosses the
        // visible columns (so lanes in a gap are assigned as in the full drawing and do not
        // jump while panning); its label only when its bounding box is on screen.
        let view = Rect(x: model.pan.x - 2, y: model.pan.y - 1, width: rect.width + 4, height: rect.height + 2)
        // The layout's rects are by node index when it was made for exactly this graph (same
        // topology key); otherwise (never expected) fall back to looking boxes up by name.
        let byIndex = model.layout.rects.count == g.nodes.count && model.layout.topologyKey == g.topologyKey
        let layoutRects = model.layout.rects
        func box(_ u: Int) -> Rect? { byIndex ? layoutRects[u] : model.layout.boxes[g.nodes[u].id] }
        let routes =
            model.layout.routes.count == g.edges.count && model.layout.topologyKey == g.topologyKey ? model.layout.routes : nil
        var keep = [Bool](repeating: false, count: g.nodes.count)
        var keptEdges: [(edge: Int, labelled: Bool)] = []
        for (i, ends) in g.ends.enumerated() {
            if let routes {
                // The route is fixed by the layout: an edge whose cells miss the screen draws nothing.
                // Its bounds first: they are inline in `routes`, while the points' count is in an
                // array of its own per edge, and reading it for every edge of a large graph (cache
                // misses, most edges off screen) was most of this loop's time (perf).
                let r = routes[i]
                guard r.bounds.intersects(view), r.points.count >= 2 else { continue }
                keptEdges.append((i, r.label.intersects(view)))
                keep[ends.from] = true
                keep[ends.to] = true
                continue
            }
            guard let a = box(ends.from), let b = box(ends.to) else { continue }
            let minX = min(a.x, b.x)
            let maxX = max(a.maxX, b.maxX) + 2
            guard maxX >= view.x && minX <= view.maxX else { continue }
            let minY = min(a.y, b.y)
            let maxY = max(a.maxY, b.maxY)
            keptEdges.append((i, maxY >= view.y && minY <= view.maxY))
            keep[ends.from] = true
            keep[ends.to] = true
        }
        var canvasIndex = [Int](repeating: -1, count: g.nodes.count)
        var nodes: [GraphCanvas.Node] = []
        // By index: a node is copied (its strings retained) only when it is drawn.
        for u in g.nodes.indices {
            guard let r = box(u) else { continue }
            let visible = r.intersects(view)
            guard visible || keep[u] else { continue }
            canvasIndex[u] = nodes.count
            guard visible else {
                // Off screen but an edge ends here: its position is all the router needs.
                nodes.append(GraphCanvas.Node(rect: r, title: "", lines: [], health: .unknown, selected: false, dimmed: false))
                continue
            }
            let n = g.nodes[u]
            let (line, h) = nodeMetrics(n.id)
            nodes.append(
                GraphCanvas.Node(
                    rect: r, title: n.label,
                    lines: [line ?? (n.isGhost && !n.elsewhere ? "not found" : n.subtitle)], health: h,
                    selected: model.selection == .node(n.id),
                    dimmed: !model.filter.isEmpty && !filter.matches(n.id.object.key),
                    tag: n.id.kind == .service ? "svc" : "deploy", rounded: n.id.kind == .service))
        }
        var edges: [GraphCanvas.Edge] = []
        for (i, labelled) in keptEdges {
            let e = g.edges[i]
            let a = canvasIndex[g.ends[i].from]
            let b = canvasIndex[g.ends[i].to]
            guard a >= 0, b >= 0 else { continue }
            var label = ""
            var h = Health.unknown
            var isSplit = false
            switch e.id.kind {
            case .traffic:
                if let key = e.id.trafficKey, let hist = model.metrics.edge(key), let m = hist.latest ?? hist.lastKnown {
                    if labelled { label = Fmt.rps(m.rps) + " " + Fmt.percent(m.successRate) }
                    h = health(m)
                }
            case .split:
                isSplit = true
                if let sh = e.split {
                    let share = sh.share.map { $0.percentText(decimals: 0) } ?? sh.weight
                    // A route a ServiceProfile overrides: its share in parentheses and muted,
                    // as not in effect (the detail pane names the profile and what it decides).
                    if labelled { label = sh.overriddenBy == nil ? share : "(" + share + ")" }
                    h = sh.overriddenBy == nil ? .healthy : .unknown
                }
            case .selects:
                break
            }
            edges.append(
                GraphCanvas.Edge(
                    from: a, to: b, label: label, health: h, split: isSplit, selected: model.selection == .edge(e.id),
                    dimmed: nodes[a].dimmed && nodes[b].dimmed, route: routes?[i]))
        }
        let bands = model.layout.bands.count > 1 ? model.layout.bands.map { GraphCanvas.Band(label: $0.namespace, y: $0.y) } : []
        GraphCanvas(nodes: nodes, edges: edges, bands: bands, origin: (model.pan.x, model.pan.y)).draw(in: rect, ctx, &buf)
        drawOverflow(rect, nodes.map(\.rect), labels: edges.compactMap { $0.label.isEmpty ? nil : $0.route?.label }, ctx, &buf)
    }

    /// Marks where the graph goes on beyond the view: one in the middle of each edge it
    /// crosses, and one on every row (or column) of a box the edge cuts, so a box cut
    /// mid-number after a resize always says so.
    func drawOverflow(_ rect: Rect, _ boxes: [Rect], labels: [Rect], _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let (l, r, u, d) = ctx.glyphs.overflow
        let st = Style(.focus, [.bold])
        let pan = model.pan
        let more = (
            left: pan.x > 0, right: pan.x + rect.width < model.layout.width, up: pan.y > 0,
            down: pan.y + rect.height < model.layout.height
        )
        func mark(_ g: String, _ x: Int, _ y: Int) { buf.put(DisplayCluster(g, width: 1), x: x, y: y, style: st, clip: rect) }
        for b in boxes {
            let s = Rect(x: b.x - pan.x + rect.x, y: b.y - pan.y + rect.y, width: b.width, height: b.height)
            let rows = max(s.y, rect.y)..<max(max(s.y, rect.y), min(s.maxY, rect.maxY))
            let cols = max(s.x, rect.x)..<max(max(s.x, rect.x), min(s.maxX, rect.maxX))
            if s.x < rect.maxX, s.maxX > rect.maxX { for y in rows { mark(r, rect.maxX - 1, y) } }
            if s.x < rect.x, s.maxX > rect.x { for y in rows { mark(l, rect.x, y) } }
            // On the box's own border column: the name and numbers stay readable.
            for bx in [s.x, s.maxX - 1] where cols.contains(bx) {
                if s.y < rect.maxY, s.maxY > rect.maxY { mark(d, bx, rect.maxY - 1) }
                if s.y < rect.y, s.maxY > rect.y { mark(u, bx, rect.y) }
            }
        }
        // The mid-edge marks step aside from labels and box text: a share must never read "1▸%".
        let onScreen = labels.map { Rect(x: $0.x - pan.x + rect.x, y: $0.y - pan.y + rect.y, width: $0.width, height: 1) }
            .filter { $0.intersects(rect) }
        let insides = boxes.map { Rect(x: $0.x - pan.x + rect.x + 1, y: $0.y - pan.y + rect.y + 1, width: $0.width - 2, height: $0.height - 2) }
            .filter { $0.intersects(rect) }
        func free(_ x: Int, _ y: Int) -> Bool {
            !onScreen.contains { $0.contains(x: x, y: y) } && !insides.contains { $0.contains(x: x, y: y) }
        }
        func markNear(_ g: String, x: Int, y: Int, alongX: Bool) {
            for k in 0..<max(rect.width, rect.height) {
                for sgn in [1, -1] {
                    let (px, py) = alongX ? (x + sgn * k, y) : (x, y + sgn * k)
                    guard rect.contains(x: px, y: py) else { continue }
                    if free(px, py) { return mark(g, px, py) }
                }
            }
        }
        if more.right { markNear(r, x: rect.maxX - 1, y: rect.y + rect.height / 2, alongX: false) }
        if more.left { markNear(l, x: rect.x, y: rect.y + rect.height / 2, alongX: false) }
        if more.down { markNear(d, x: rect.x + rect.width / 2, y: rect.maxY - 1, alongX: true) }
        if more.up { markNear(u, x: rect.x + rect.width / 2, y: rect.y, alongX: true) }
    }
}
