import App
import Kube
import KubeCore
import Mesh
import SMI

/// Number formatting for metrics; fixed decimals without Foundation's locale-dependent formats.
enum Fmt {
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let n = (abs(v) * scale).rounded()
        guard n < 1e15 else { return v < 0 ? "-∞" : "∞" }
        let i = Int64(n)
        let whole = i / Int64(scale)
        var s = (v < 0 && i != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let frac = String(i % Int64(scale))
            s += "." + String(repeating: "0", count: decimals - frac.count) + frac
        }
        return s
    }

    static func rps(_ v: Double?) -> String {
        guard let v else { return "–" }
        return v >= 100 ? fixed(v, 0) + "rps" : fixed(v, 1) + "rps"
    }

    /// "99.5%"; exactly "100%" without the decimal, the common case, so metric lines fit boxes.
    static func percent(_ v: Double?) -> String {
        guard let v else { return "–" }
        let s = fixed(v * 100, 1)
        return (s == "100.0" ? "100" : s) + "%"
    }

    static func latency(_ v: Double?, unit: String? = "ms") -> String {
        guard let v else { return "–" }
        return fixed(v, v >= 100 ? 0 : 1) + (unit ?? "")
    }

    static func age(_ s: Double) -> String {
        let v = max(0, Int(saturating: s))
        if v < 60 { return "\(v)s" }
        if v < 3600 { return "\(v / 60)m\(v % 60)s" }
        return "\(v / 3600)h\((v % 3600) / 60)m"
    }
}

/// The whole frame. Every view is a pure function of the state drawn into its rect.
public enum Screen {
    /// Smallest size at which the normal screen is drawn; below it, a notice.
    public static let minimumSize = TermSize(columns: 20, rows: 5)

    public static func render(_ s: AppState, theme: Theme, glyphs: Glyphs = .unicode) -> CellBuffer {
        var buf = CellBuffer(width: max(0, s.size.columns), height: max(0, s.size.rows))
        render(s, DrawContext(theme: theme, glyphs: glyphs), into: &buf)
        return buf
    }

    public static func render(_ s: AppState, _ ctx: DrawContext, into buf: inout CellBuffer) {
        buf.fill(buf.bounds, style: Style(.text))
        buf.cursor = nil
        if buf.width < minimumSize.columns || buf.height < minimumSize.rows {
            Views.tooSmall(s, buf.bounds, ctx, &buf)
            return
        }
        let r = s.regions
        Views.header(s, r.header, ctx, &buf)
        switch s.view {
        case .graph: Views.graph(s, r.body, ctx, &buf)
        case .services: Views.servicesTable(s, r.body, ctx, &buf)
        case .splits: Views.splitsTable(s, r.body, ctx, &buf)
        case .help: Views.help(s, r.body, ctx, &buf)
        }
        if let d = r.detail { Views.detail(s, d, ctx, &buf) }
        if let d = r.dialog { Views.splitEditor(s, d, ctx, &buf) }
        Views.footer(s, r.footer, ctx, &buf)
    }
}

public enum Views {
    // MARK: Too small

    public static func tooSmall(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard !rect.isEmpty else { return }
        let lines = [
            "terminal too small", "\(buf.width)×\(buf.height), need \(Screen.minimumSize.columns)×\(Screen.minimumSize.rows)",
            "q quits",
        ]
        let top = rect.y + max(0, (rect.height - lines.count) / 2)
        for (i, l) in lines.enumerated() where top + i < rect.maxY {
            let w = min(TextWidth.width(l), rect.width)
            buf.write(l, x: rect.x + (rect.width - w) / 2, y: top + i, style: Style(i == 0 ? .warning : .muted), clip: rect)
        }
    }

    // MARK: Header

    static func badge(_ s: AppState, _ g: Glyphs) -> (String, Style) {
        let ascii = g == .ascii
        switch s.connection.status {
        case .live: return (ascii ? " * LIVE " : " ● LIVE ", Style(.badgeLive))
        case .stale: return (ascii ? " ~ STALE " : " ◐ STALE ", Style(.badgeStale))
        case .offline: return (ascii ? " x OFFLINE " : " ✗ OFFLINE ", Style(.badgeOffline))
        case .connecting: return (ascii ? " ... CONNECTING " : " … CONNECTING ", Style(.badgeStale))
        }
    }

    public static func header(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard rect.height > 0 else { return }
        let sep = ctx.glyphs == .ascii ? " | " : " │ "
        var right: [(String, Style)] = []
        if let reason = s.readOnly.reason {
            right.append((" READ-ONLY ", Style(.badgeStale)))
            _ = reason
        }
        right.append((" ", Style(.header)))
        right.append(badge(s, ctx.glyphs))
        Widgets.bar(
            &buf, Rect(x: rect.x, y: rect.y, width: rect.width, height: 1),
            left: [
                (" smitop", Style(.header, [.bold])), (sep + "ctx ", Style(.header)), (s.context.context, Style(.header, [.bold])),
                (sep + "ns ", Style(.header)), (s.context.scope.description, Style(.header, [.bold])),
            ], right: right, fill: Style(.header))
        guard rect.height > 1 else { return }
        var info = "metrics " + (s.metrics.window ?? s.options.metricsWindow) + (s.options.refreshInterval > 0 ? "" : " (paused)")
        if let age = s.connection.dataAge(now: s.now) {
            info += " · updated " + Fmt.age(age) + " ago"
        } else {
            info += " · no data yet"
        }
        if s.metricsStale { info += " · metrics stale" + (s.metrics.lastError.map { ": " + $0 } ?? "") }
        if s.connection.status == .offline || s.connection.status == .stale, let e = s.connection.lastError {
            info += " · " + e
            if let r = s.connection.retryIn { info += " (retry in " + Fmt.age(r) + ")" }
        }
        var right2 = "\(s.store.services.count) svc · \(s.store.trafficSplits.count) ts"
        let unreadable = s.store.decodeErrors.keys.filter { $0.hasPrefix(ObjectKind.trafficSplit.rawValue + ":") }.count
        if unreadable > 0 { right2 += " (\(unreadable) unreadable)" }
        if let f = s.focus { right2 = "focus " + f.name + " · " + right2 }
        if !s.graphFilter.isEmpty && s.view == .graph { right2 = "/" + s.graphFilter + " · " + right2 }
        // A standing warning (TLS not verified) leads the line for the whole session.
        var left: [(String, Style)] = []
        if let w = s.context.warnings.first { left.append((" ! " + w + " ·", Style(.warning, [.bold]))) }
        left.append((" " + info, Style(s.connection.status == .live ? .muted : .warning)))
        Widgets.bar(
            &buf, Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1),
            left: left,
            right: [(right2 + " ", Style(.muted))], fill: Style(.text))
    }

    // MARK: Footer (hints + message or input line)

    public static func footer(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard rect.height > 0 else { return }
        let hintRow = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        let lineRow = rect.height > 1 ? Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1) : nil
        if s.mode == .command, !s.commandLine.completions.isEmpty {
            completions(s.commandLine, hintRow, &buf)
        } else {
            hints(s, hintRow, &buf)
        }
        guard let lineRow else { return }
        switch s.mode {
        case .command:
            commandLine(prompt: ":", s.commandLine, lineRow, &buf)
        case .filter:
            commandLine(prompt: "/", s.filterLine, lineRow, &buf)
        case .normal:
            messageLine(s, lineRow, ctx, &buf)
        }
    }

    public static func hints(_ s: AppState, _ rect: Rect, _ buf: inout CellBuffer) {
        var segs: [(String, Style)] = []
        for h in s.options.keyMap.hints(for: s.keyContext) {
            segs.append((" " + h.keys, Style(.keyHint)))
            segs.append((" " + h.label + " ", Style(.footer)))
        }
        Widgets.bar(&buf, rect, left: segs, fill: Style(.footer))
    }

    public static func completions(_ c: CommandLineState, _ rect: Rect, _ buf: inout CellBuffer) {
        var segs: [(String, Style)] = [(" complete:", Style(.footer))]
        for (i, word) in c.completions.enumerated() {
            segs.append((" ", Style(.footer)))
            segs.append((word, i == c.completionIndex ? Style(.selection, [.bold]) : Style(.keyHint)))
        }
        Widgets.bar(&buf, rect, left: segs, fill: Style(.footer))
    }

    public static func commandLine(prompt: String, _ c: CommandLineState, _ rect: Rect, _ buf: inout CellBuffer) {
        Widgets.input(
            &buf, rect, prompt: prompt, text: c.text, cursor: c.cursor, style: Style(.input),
            promptStyle: Style(.input, [.bold]))
    }

    public static func messageLine(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        buf.fill(rect, style: Style(.text))
        guard let m = s.message else { return }
        let (prefix, role): (String, Role) =
            switch m.level {
            case .info: ("", .message)
            case .warning: ("! ", .warning)
            case .error: (ctx.glyphs == .ascii ? "x " : "✗ ", .error)
            }
        buf.write(prefix + m.text, x: rect.x, y: rect.y, style: Style(role), clip: rect)
    }

    // MARK: Graph

    static func health(_ s: AppState, _ m: MetricSample?) -> Health { s.options.thresholds.classify(m?.successRate) }

    static func nodeMetrics(_ s: AppState, _ id: NodeID) -> (line: String?, health: Health) {
        switch id.kind {
        case .workload:
            guard let h = s.metrics.workload(id.object), let m = h.latest ?? h.lastKnown else { return (nil, .unknown) }
            return (Fmt.rps(m.rps) + " " + Fmt.percent(m.successRate), health(s, m))
        case .service:
            let m = s.serviceMetrics(id.object)
            guard m.rps != nil || m.successRate != nil else { return (nil, .unknown) }
            return (Fmt.rps(m.rps) + " " + Fmt.percent(m.successRate), s.options.thresholds.classify(m.successRate))
        }
    }

    public static func graph(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard !rect.isEmpty else { return }
        let g = s.visibleGraph
        if g.nodes.isEmpty {
            let text =
                s.connection.status == .connecting ? "connecting…" : "no services in \(s.context.scope.description)"
            buf.write(text, x: rect.x + 1, y: rect.y + rect.height / 2, style: Style(.muted), clip: rect)
            return
        }
        let filter = FilterMatcher(s.graphFilter)
        // Only what can reach the screen is formatted and routed: a frame costs what is
        // visible, not what the cluster holds. An edge is kept when its span crosses the
        // visible columns (so lanes in a gap are assigned as in the full drawing and do not
        // jump while panning); its label only when its bounding box is on screen.
        let view = Rect(x: s.pan.x - 2, y: s.pan.y - 1, width: rect.width + 4, height: rect.height + 2)
        // The layout's rects are by node index when it was made for exactly this graph (same
        // topology key); otherwise (never expected) fall back to looking boxes up by name.
        let byIndex = s.layout.rects.count == g.nodes.count && s.layout.topologyKey == g.topologyKey
        let layoutRects = s.layout.rects
        func box(_ u: Int) -> Rect? { byIndex ? layoutRects[u] : s.layout.boxes[g.nodes[u].id] }
        let lanes = s.layout.lanes.count == g.edges.count && s.layout.topologyKey == g.topologyKey ? s.layout.lanes : nil
        var keep = [Bool](repeating: false, count: g.nodes.count)
        var keptEdges: [(edge: Int, labelled: Bool)] = []
        for (i, ends) in g.ends.enumerated() {
            guard let a = box(ends.from), let b = box(ends.to) else { continue }
            let minX = min(a.x, b.x)
            let maxX = max(a.maxX, b.maxX) + 2
            guard maxX >= view.x && minX <= view.maxX else { continue }
            let minY = min(a.y, b.y)
            let maxY = max(a.maxY, b.maxY)
            let onScreen = maxY >= view.y && minY <= view.maxY
            // With lanes fixed by the layout, an edge whose box misses the screen draws nothing.
            if lanes != nil && !onScreen { continue }
            keptEdges.append((i, onScreen))
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
            let (line, h) = nodeMetrics(s, n.id)
            nodes.append(
                GraphCanvas.Node(
                    rect: r, title: n.label,
                    lines: [line ?? (n.isGhost ? "not found" : n.subtitle)], health: h,
                    selected: s.selection == .node(n.id),
                    dimmed: !s.graphFilter.isEmpty && !filter.matches(n.id.object.key)))
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
                if let key = e.id.trafficKey, let hist = s.metrics.edge(key), let m = hist.latest ?? hist.lastKnown {
                    if labelled { label = Fmt.rps(m.rps) + " " + Fmt.percent(m.successRate) }
                    h = health(s, m)
                }
            case .split:
                isSplit = true
                if let sh = e.split {
                    if labelled { label = sh.share.map { $0.percentText(decimals: 0) } ?? sh.weight }
                    h = .healthy
                }
            case .selects:
                break
            }
            edges.append(
                GraphCanvas.Edge(
                    from: a, to: b, label: label, health: h, split: isSplit, selected: s.selection == .edge(e.id),
                    dimmed: nodes[a].dimmed && nodes[b].dimmed, lane: lanes.flatMap { $0[i] >= 0 ? $0[i] : nil }))
        }
        let bands = s.layout.bands.count > 1 ? s.layout.bands.map { GraphCanvas.Band(label: $0.namespace, y: $0.y) } : []
        GraphCanvas(nodes: nodes, edges: edges, bands: bands, origin: (s.pan.x, s.pan.y)).draw(&buf, rect, glyphs: ctx.glyphs)
    }

    // MARK: Tables

    static func metricCells(_ m: MetricCells, _ s: AppState, _ g: Glyphs) -> [TableWidget.Cell] {
        let h = s.options.thresholds.classify(m.successRate)
        let staleMark = m.stale ? "~" : ""
        return [
            TableWidget.Cell(staleMark + Fmt.rps(m.rps).replacingOccurrences(of: "rps", with: "")),
            TableWidget.Cell(
                m.successRate == nil ? "–" : h.marker(g) + " " + Fmt.percent(m.successRate), style: Style(h.role)),
            TableWidget.Cell(Fmt.latency(m.p99)),
        ]
    }

    static func tableSpec(_ c: App.TableColumn) -> TableWidget.Column {
        switch c {
        case .namespace: return .init(c.title, width: 12)
        case .name: return .init(c.title, width: 16, flexible: true)
        case .service: return .init(c.title, width: 12)
        case .backends: return .init(c.title, width: 20, flexible: true)
        case .rps: return .init(c.title, width: 8, align: .right)
        case .success: return .init(c.title, width: 9, align: .right)
        case .p99: return .init(c.title, width: 7, align: .right)
        case .controller: return .init(c.title, width: 10)
        }
    }

    static func drawTable(
        _ s: AppState, _ kind: TableKind, rows: [[TableWidget.Cell]], _ rect: Rect, _ ctx: DrawContext,
        _ buf: inout CellBuffer
    ) {
        guard !rect.isEmpty else { return }
        let cols = AppState.columns(kind)
        let t = s.tables[kind] ?? TableState()
        let visible = max(1, rect.height - 1)
        let off = TableWidget.scrollOffset(
            selected: rows.isEmpty ? nil : t.selectedRow, rowCount: rows.count, visible: visible, current: t.scroll)
        let widget = TableWidget(
            columns: cols.map(tableSpec), rows: rows, selected: rows.isEmpty ? nil : t.selectedRow,
            sortColumn: cols.firstIndex(of: t.sortColumn), sortAscending: !t.descending, offset: off)
        widget.draw(&buf, rect, glyphs: ctx.glyphs)
        if rows.isEmpty, rect.height > 1 {
            let what = kind == .services ? "services" : "traffic splits"
            let text = t.filter.isEmpty ? "no \(what)" : "no \(what) match /\(t.filter)"
            buf.write(text, x: rect.x + 1, y: rect.y + 1, style: Style(.muted), clip: rect)
        }
    }

    public static func servicesTable(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let rows = s.serviceRows().map { r -> [TableWidget.Cell] in
            var cells = [TableWidget.Cell(r.id.namespace), TableWidget.Cell(r.id.name + (r.splitRoots.isEmpty ? "" : " ⑃"))]
            if ctx.glyphs == .ascii { cells[1] = TableWidget.Cell(r.id.name + (r.splitRoots.isEmpty ? "" : " (split)")) }
            return cells + metricCells(r.metrics, s, ctx.glyphs)
        }
        drawTable(s, .services, rows: rows, rect, ctx, &buf)
    }

    public static func splitsTable(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let rows = s.splitRows().map { r -> [TableWidget.Cell] in
            [
                TableWidget.Cell(r.id.namespace),
                TableWidget.Cell(
                    r.id.name + (r.hasDraft ? " *" : ""),
                    style: r.hasDraft ? Style(.weightDraft) : nil),
                TableWidget.Cell(r.rootService), TableWidget.Cell(r.backendsText),
            ] + metricCells(r.metrics, s, ctx.glyphs) + [TableWidget.Cell(r.controller ?? "–", style: r.controller == nil ? Style(.muted) : Style(.warning))]
        }
        // Splits the store could not read (a weight beyond the bound, a malformed spec) have no
        // row to select or edit; they are listed under the table with their problem, so that
        // none is silently missing (issue 14). Names and reasons were sanitised on entry.
        let prefix = ObjectKind.trafficSplit.rawValue + ":"
        let unreadable = s.store.decodeErrors.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
        var tableRect = rect
        if !unreadable.isEmpty, rect.height >= 6 {
            let lines = min(unreadable.count + 1, rect.height / 3)
            tableRect = Rect(x: rect.x, y: rect.y, width: rect.width, height: rect.height - lines)
            var y = tableRect.y + tableRect.height
            let plural = unreadable.count == 1 ? "" : "s"
            buf.write("\(unreadable.count) unreadable traffic split\(plural):", x: rect.x + 1, y: y, style: Style(.warning, [.bold]), clip: rect)
            y += 1
            let shown = unreadable.count <= lines - 1 ? unreadable.count : lines - 2
            for (key, reason) in unreadable.prefix(shown) {
                buf.write("! " + key.dropFirst(prefix.count) + ": " + reason, x: rect.x + 1, y: y, style: Style(.warning), clip: rect)
                y += 1
            }
            if shown < unreadable.count {
                buf.write("… and \(unreadable.count - shown) more", x: rect.x + 1, y: y, style: Style(.warning), clip: rect)
            }
        }
        drawTable(s, .splits, rows: rows, tableRect, ctx, &buf)
    }

    // MARK: Detail pane

    public static func detail(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard let target = s.detail, !rect.isEmpty else { return }
        buf.fill(rect, style: Style(.text))
        let title: String
        switch target {
        case .node(let n): title = n.description
        case .edge(let e): title = e.description
        case .split(let id): title = "trafficsplit/" + id.key
        case .service(let id): title = "svc/" + id.key
        }
        let inner = Widgets.box(&buf, rect, title: title, glyphs: ctx.glyphs)
        guard !inner.isEmpty else { return }
        let area = Rect(x: inner.x + 1, y: inner.y, width: inner.width - 1, height: inner.height)
        var y = area.y
        func line(_ text: String, _ st: Style = Style(.text)) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        func series(_ label: String, _ h: MetricHistory?, _ value: (MetricSample) -> Double?, _ fmt: (Double?) -> String) {
            guard y < area.maxY else { return }
            let latest = h?.latest.flatMap(value)
            let head = TextWidth.pad(label, to: 8) + TextWidth.pad(fmt(latest), to: 9, align: .right) + " "
            let x = buf.write(head, x: area.x, y: y, style: Style(.text), clip: area)
            let w = area.maxX - x
            if w > 0, let h {
                buf.write(Widgets.sparkline(h.series(value), width: w, glyphs: ctx.glyphs), x: x, y: y, style: Style(.sparkline), clip: area)
            }
            y += 1
        }
        func metricsBlock(_ h: MetricHistory?) {
            guard let h else {
                line("no metrics yet", Style(.muted))
                return
            }
            if h.latest == nil, h.lastKnown != nil { line("last poll failed: showing older values", Style(.warning)) }
            let m = h.latest ?? h.lastKnown
            let health = health(s, m)
            line(health.marker(ctx.glyphs) + " " + health.rawValue, Style(health.role, [.bold]))
            series("rps", h, { $0.rps }, Fmt.rps)
            series("success", h, { $0.successRate }, Fmt.percent)
            series("p50", h, { $0.p50 }, { Fmt.latency($0, unit: m?.latencyUnit) })
            series("p99", h, { $0.p99 }, { Fmt.latency($0, unit: m?.latencyUnit) })
        }
        switch target {
        case .node(let n):
            if let node = s.graph.node(n) { line(node.subtitle, Style(.muted)) }
            switch n.kind {
            case .workload:
                metricsBlock(s.metrics.workload(n.object))
            case .service:
                serviceBlock(s, n.object, &y, area, ctx, &buf)
            }
        case .service(let id):
            serviceBlock(s, id, &y, area, ctx, &buf)
        case .edge(let e):
            switch e.kind {
            case .traffic:
                metricsBlock(e.trafficKey.flatMap { s.metrics.edge($0) })
            case .split(let id):
                splitBlock(s, id, &y, area, ctx, &buf)
            case .selects:
                line("service selects workload pods", Style(.muted))
            }
        case .split(let id):
            splitBlock(s, id, &y, area, ctx, &buf)
        }
    }

    static func serviceBlock(
        _ s: AppState, _ id: ObjectRef, _ y: inout Int, _ area: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer
    ) {
        let m = s.serviceMetrics(id)
        let h = s.options.thresholds.classify(m.successRate)
        func line(_ text: String, _ st: Style = Style(.text)) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        line(h.marker(ctx.glyphs) + " " + Fmt.rps(m.rps) + " · " + Fmt.percent(m.successRate) + " · p99 " + Fmt.latency(m.p99), Style(h.role))
        let workloads = s.graph.outgoingEdges(NodeID(.service, id)).filter { $0.id.kind == .selects }.map(\.id.to)
        for w in workloads {
            line("→ " + w.name, Style(.muted))
            if let hist = s.metrics.workload(w.object), y < area.maxY {
                let x = buf.write("  rps ", x: area.x, y: y, style: Style(.muted), clip: area)
                buf.write(Widgets.sparkline(hist.series { $0.rps }, width: area.maxX - x, glyphs: ctx.glyphs), x: x, y: y, style: Style(.sparkline), clip: area)
                y += 1
            }
        }
        for (sid, split) in s.store.trafficSplits.sorted(by: { $0.key < $1.key }) where split.service == id.name && sid.namespace == id.namespace {
            y += y < area.maxY ? 1 : 0
            splitBlock(s, sid, &y, area, ctx, &buf)
        }
    }

    static func splitBlock(
        _ s: AppState, _ id: ObjectRef, _ y: inout Int, _ area: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer
    ) {
        func line(_ text: String, _ st: Style = Style(.text)) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        guard let split = s.store.trafficSplits[id] else {
            line("split not found", Style(.muted))
            return
        }
        line("split " + split.meta.name + " (" + split.apiVersion + ")", Style(.title))
        if let c = split.controller { line("! managed by " + c.tool, Style(.warning)) }
        let shares = split.analysis.shares
        let observed = s.observedShares(id)
        line(
            TextWidth.pad("backend", to: 14) + TextWidth.pad("weight", to: 7, align: .right) + TextWidth.pad("conf", to: 7, align: .right)
                + TextWidth.pad("seen", to: 7, align: .right), Style(.tableHeader))
        for (i, b) in split.backends.enumerated() {
            guard y < area.maxY else { return }
            let conf = i < shares.count ? shares[i]?.percentText(decimals: 0) ?? "–" : "–"
            let seen = i < observed.count ? observed[i].map { Fmt.fixed($0 * 100, 0) + "%" } ?? "–" : "–"
            let text =
                TextWidth.pad(b.service, to: 14) + TextWidth.pad(b.weight.description, to: 7, align: .right)
                + TextWidth.pad(conf, to: 7, align: .right) + TextWidth.pad(seen, to: 7, align: .right) + " "
            let x = buf.write(text, x: area.x, y: y, style: Style(.text), clip: area)
            let bw = area.maxX - x
            if bw > 0 {
                let f = i < shares.count ? shares[i]?.doubleValue ?? 0 : 0
                let bar = Widgets.weightBar(fraction: f, width: bw, glyphs: ctx.glyphs)
                let x2 = buf.write(bar.filled, x: x, y: y, style: Style(.weightBar), clip: area, ellipsis: false)
                buf.write(bar.empty, x: x2, y: y, style: Style(.muted), clip: area, ellipsis: false)
            }
            y += 1
        }
    }

    // MARK: Split editor

    public static func splitEditor(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard let d = s.editor, !rect.isEmpty else { return }
        let g = ctx.glyphs
        let title = "edit " + d.ref.description + " (" + d.working.apiVersion + ")"
        let inner = Widgets.box(
            &buf, rect, title: title, style: Style(.dialogBorder), titleStyle: Style(.dialogBorder, [.bold]), glyphs: g,
            fill: Style(.dialog))
        guard !inner.isEmpty else { return }
        let area = Rect(x: inner.x + 1, y: inner.y, width: max(0, inner.width - 2), height: inner.height)
        // Row 1 of the dialog: the column titles (SplitEditorLayout: backends start at row 2).
        let showTheirs = d.theirs != nil
        let nameW = max(8, min(24, d.working.backends.map { TextWidth.width($0.service) }.max() ?? 8))
        var head =
            "  " + TextWidth.pad("backend", to: nameW) + TextWidth.pad("yours", to: 8, align: .right)
            + TextWidth.pad("share", to: 7, align: .right) + TextWidth.pad("server", to: 8, align: .right)
        if showTheirs { head += TextWidth.pad("theirs", to: 8, align: .right) }
        buf.write(head, x: area.x, y: area.y, style: Style(.tableHeader), clip: area)
        let shares = d.shares
        let baseByName = Dictionary(d.base.backends.map { ($0.service, $0.weight.description) }, uniquingKeysWith: { a, _ in a })
        let theirsByName = Dictionary((d.theirs?.backends ?? []).map { ($0.service, $0.weight.description) }, uniquingKeysWith: { a, _ in a })
        var y = rect.y + SplitEditorLayout.firstBackendRow
        for (i, b) in d.working.backends.enumerated() {
            guard y < area.maxY else { break }
            let sel = i == d.selected
            let server = baseByName[b.service] ?? "–"
            let changed = server != b.weight.description
            var text =
                (sel ? (g == .ascii ? "> " : "▸ ") : "  ") + TextWidth.pad(b.service, to: nameW)
                + TextWidth.pad(b.weight.description + (changed ? "*" : ""), to: 8, align: .right)
                + TextWidth.pad(i < shares.count ? shares[i]?.percentText(decimals: 1) ?? "–" : "–", to: 7, align: .right)
                + TextWidth.pad(server, to: 8, align: .right)
            if showTheirs { text += TextWidth.pad(theirsByName[b.service] ?? "gone", to: 8, align: .right) }
            text += " "
            let st = sel ? Style(.selection) : Style(changed ? .weightDraft : .dialog)
            let x = buf.write(text, x: area.x, y: y, style: st, clip: area)
            let bw = area.maxX - x
            if bw > 0 {
                let bar = Widgets.weightBar(fraction: i < shares.count ? shares[i]?.doubleValue ?? 0 : 0, width: bw, glyphs: g)
                let x2 = buf.write(bar.filled, x: x, y: y, style: Style(changed ? .weightDraft : .weightBar), clip: area, ellipsis: false)
                buf.write(bar.empty, x: x2, y: y, style: Style(.muted), clip: area, ellipsis: false)
            }
            y += 1
        }
        func line(_ text: String, _ st: Style) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        y += y < area.maxY ? 1 : 0
        line(
            "step \(d.step)% · " + (d.isDirty ? "draft differs from the server (unsaved)" : "draft = server")
                + " · rv " + (d.base.meta.resourceVersion ?? "?"), Style(d.isDirty ? .weightDraft : .dialog))
        if let c = d.working.controller {
            line("! managed by " + c.tool + " (" + c.detail + "): it may undo edits", Style(.warning, [.bold]))
        }
        if s.readOnly.isReadOnly, let r = s.readOnly.reason { line("read-only: " + r, Style(.warning)) }
        if let c = d.conflict { line("conflict: " + c, Style(.error)) }
        if d.theirs != nil { line("the server changed: o keeps yours on theirs, r takes theirs", Style(.warning)) }
        switch d.lastDryRun {
        case .accepted(let w)?: line("dry run accepted: " + w.joined(separator: " · "), Style(.healthy))
        case .rejected(let m)?: line("dry run rejected: " + m, Style(.error))
        case nil: break
        }
        switch d.phase {
        case .writing: line("writing…", Style(.muted))
        case .dryRunning: line("dry run…", Style(.muted))
        default: break
        }
        if let n = d.notice { line(n, Style(.message)) }

        switch d.phase {
        case .reviewing:
            diffDialog(d.diff, rect, ctx, &buf)
        case .confirmController(let c):
            Widgets.dialog(
                &buf, in: rect, title: "controller-owned split",
                lines: [
                    ("This split is managed by " + c.tool + ".", Style(.warning, [.bold])),
                    ("Evidence: " + c.detail, Style(.dialog)),
                    ("It will probably put its own weights back.", Style(.dialog)),
                ], buttons: ["y write anyway", "n cancel"], glyphs: g)
        default: break
        }
    }

    static func diffDialog(_ diff: SplitDiff, _ area: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        var lines: [(String, Style)] = []
        for r in diff.rows {
            let share = { (f: Fraction?) in f?.percentText(decimals: 1) ?? "–" }
            let arrow = ctx.glyphs == .ascii ? " -> " : " → "
            let text =
                (r.changed ? "~ " : "  ") + r.service + ": " + r.oldWeight + arrow + r.newWeight + "  ("
                + share(r.oldShare) + arrow + share(r.newShare) + ")"
            lines.append((text, Style(r.changed ? .diffAdded : .dialog)))
        }
        if !diff.hasChanges { lines.append(("no changes", Style(.muted))) }
        lines.append(("patch against resourceVersion " + (diff.resourceVersion ?? "?"), Style(.muted)))
        Widgets.dialog(&buf, in: area, title: "write " + diff.split.description + "?", lines: lines, buttons: ["y write", "n back"], glyphs: ctx.glyphs)
    }

    // MARK: Help

    /// The help text as lines, generated from the key map.
    public static func helpLines(_ keyMap: KeyMap = .standard) -> [(String, Style)] {
        var out: [(String, Style)] = []
        for c in KeyContext.allCases {
            let bs = keyMap.bindings(in: c)
            guard !bs.isEmpty else { continue }
            out.append((c.title, Style(.title)))
            for b in bs { out.append(("  " + TextWidth.pad(b.keysText, to: 18) + " " + b.help, Style(.text))) }
            out.append(("", Style(.text)))
        }
        return out
    }

    public static func help(_ s: AppState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard !rect.isEmpty else { return }
        let lines = helpLines(s.options.keyMap)
        let top = max(0, min(s.helpScroll, max(0, lines.count - rect.height)))
        for i in 0..<rect.height where top + i < lines.count {
            let (text, st) = lines[top + i]
            buf.write(" " + text, x: rect.x, y: rect.y + i, style: st, clip: rect)
        }
        if top > 0 { buf.put(DisplayCluster(ctx.glyphs.scrollUp, width: 1), x: rect.maxX - 1, y: rect.y, style: Style(.muted)) }
        if top + rect.height < lines.count {
            buf.put(DisplayCluster(ctx.glyphs.scrollDown, width: 1), x: rect.maxX - 1, y: rect.maxY - 1, style: Style(.muted))
        }
    }
}
