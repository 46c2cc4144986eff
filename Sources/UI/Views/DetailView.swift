import App
import KubeCore
import Mesh
import SMI

/// What the detail pane describes and what it reads to describe it: the full graph (not only
/// the focus neighbourhood), the metrics, the splits.
public struct DetailModel {
    public var target: DetailTarget?
    public var graph: MeshGraph
    public var metrics: MetricsStore
    public var thresholds: HealthThresholds
    public var splits: [SplitID: WeightedSplit]
    /// A service's metrics, aggregated over the workloads it selects (a lookup).
    public var serviceMetrics: (ObjectRef) -> MetricCells
    /// Each backend's share of the traffic seen, in the split's backend order (a lookup).
    public var observedShares: (SplitID) -> [Double?]
    /// The Linkerd ServiceProfile that decides instead of a route rule (a lookup).
    public var overrideSummary: (WeightedSplit) -> (label: String, name: String, decides: [String])?
    /// Callers whose own namespace's ServiceProfile replaces the Service's (a lookup).
    public var callerProfileNotes: (WeightedSplit) -> [String]

    public init(_ s: AppState) {
        target = s.navigation.detail
        graph = s.graph
        metrics = s.metrics
        thresholds = s.options.thresholds
        splits = s.store.splits
        serviceMetrics = { [s] in s.serviceMetrics($0) }
        observedShares = { [s] in s.observedShares($0) }
        overrideSummary = { [store = s.store] in store.overrideSummary(of: $0) }
        callerProfileNotes = { [store = s.store] in store.callerProfileNotes(of: $0) }
    }
}

/// The right-hand pane: a node's, edge's, service's or split's metrics with sparklines, a
/// service's workloads and splits, a split's backends with configured and seen shares.
public struct DetailView: Widget {
    public var model: DetailModel
    public init(_ model: DetailModel) { self.model = model }

    func health(_ m: MetricSample?) -> Health { model.thresholds.classify(m?.successRate) }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard let target = model.target, !rect.isEmpty else { return }
        buf.fill(rect, style: Style(.text))
        let title: String
        switch target {
        case .node(let n): title = n.description
        case .edge(let e): title = e.description
        case .split(let id): title = id.kind == .trafficSplit ? "trafficsplit/" + id.key : id.key
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
            if let h { rangeSpark(h.series(value), fmt, x: x, y: y, area, ctx, &buf) }
            y += 1
        }
        func metricsBlock(_ h: MetricHistory?) {
            guard let h else {
                line("no metrics yet", Style(.muted))
                return
            }
            if h.latest == nil, h.lastKnown != nil { line("last poll failed: showing older values", Style(.warning)) }
            let m = h.latest ?? h.lastKnown
            let health = self.health(m)
            line(health.marker(ctx.glyphs) + " " + health.rawValue, Style(health.role, [.bold]))
            series("rps", h, { $0.rps }, Fmt.rps)
            series("success", h, { $0.successRate }, Fmt.percent)
            series("p50", h, { $0.p50 }, { Fmt.latency($0, unit: m?.latencyUnit) })
            series("p90", h, { $0.p90 }, { Fmt.latency($0, unit: m?.latencyUnit) })
            series("p99", h, { $0.p99 }, { Fmt.latency($0, unit: m?.latencyUnit) })
        }
        switch target {
        case .node(let n):
            if let node = model.graph.node(n) { line(node.subtitle, Style(.muted)) }
            switch n.kind {
            case .workload:
                metricsBlock(model.metrics.workload(n.object))
            case .service:
                serviceBlock(n.object, &y, area, ctx, &buf)
            }
        case .service(let id):
            serviceBlock(id, &y, area, ctx, &buf)
        case .edge(let e):
            switch e.kind {
            case .traffic:
                metricsBlock(e.trafficKey.flatMap { model.metrics.edge($0) })
                // Where the route depends on the caller (consumer routes), the one for this one.
                for v in model.graph.edge(e)?.via ?? [] {
                    let share = v.share.map { $0.percentText(decimals: 0) } ?? v.weight
                    if let by = v.overriddenBy {
                        // This caller meets a ServiceProfile (its namespace's or the Service's).
                        line("route for this caller: " + v.split.key + " (" + share + "), overridden by " + by, Style(.warning))
                    } else {
                        line("route for this caller: " + v.split.key + " " + share, Style(.muted))
                    }
                }
            case .split(let id):
                splitBlock(id, &y, area, ctx, &buf)
            case .selects:
                line("service selects workload pods", Style(.muted))
            }
        case .split(let id):
            splitBlock(id, &y, area, ctx, &buf)
        }
    }

    /// A sparkline scaled to its data's range, followed by that range ("99.1%–99.9%") when
    /// there is room for both: a line without its scale cannot be read.
    func rangeSpark(
        _ values: [Double?], _ fmt: (Double?) -> String, x: Int, y: Int, _ area: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer
    ) {
        let w = area.maxX - x
        guard w > 0 else { return }
        let probe = Widgets.rangeSparkline(values, width: w, glyphs: ctx.glyphs)
        var range = ""
        if let lo = probe.min, let hi = probe.max { range = Self.rangeText(fmt(lo), fmt(hi)) }
        let rw = TextWidth.width(range)
        let sparkW = w - rw >= 8 ? w - rw : w
        let line = Widgets.rangeSparkline(values, width: sparkW, glyphs: ctx.glyphs)
        let x2 = buf.write(line.line, x: x, y: y, style: Style(.sparkline), clip: area)
        if sparkW < w, let lo = line.min, let hi = line.max {
            buf.write(Self.rangeText(fmt(lo), fmt(hi)), x: x2, y: y, style: Style(.muted), clip: area)
        }
    }

    /// " 1.2rps–3.4rps"; one value when both ends print the same (the bars then show noise).
    static func rangeText(_ lo: String, _ hi: String) -> String { lo == hi ? " ≈" + lo : " " + lo + "–" + hi }

    func serviceBlock(
        _ id: ObjectRef, _ y: inout Int, _ area: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer
    ) {
        let m = model.serviceMetrics(id)
        let h = model.thresholds.classify(m.successRate)
        func line(_ text: String, _ st: Style = Style(.text)) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        line(h.marker(ctx.glyphs) + " " + Fmt.rps(m.rps) + " · " + Fmt.percent(m.successRate) + " · p99 " + Fmt.latency(m.p99), Style(h.role))
        let workloads = model.graph.outgoingEdges(NodeID(.service, id)).filter { $0.id.kind == .selects }.map(\.id.to)
        for w in workloads {
            line("→ " + w.name, Style(.muted))
            if let hist = model.metrics.workload(w.object), y < area.maxY {
                let x = buf.write("  rps ", x: area.x, y: y, style: Style(.muted), clip: area)
                rangeSpark(hist.series { $0.rps }, Fmt.rps, x: x, y: y, area, ctx, &buf)
                y += 1
            }
        }
        for (sid, split) in model.splits.sorted(by: { $0.key < $1.key }) where split.rootRef == id {
            y += y < area.maxY ? 1 : 0
            splitBlock(sid, &y, area, ctx, &buf)
        }
    }

    func splitBlock(
        _ id: SplitID, _ y: inout Int, _ area: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer
    ) {
        func line(_ text: String, _ st: Style = Style(.text)) {
            guard y < area.maxY else { return }
            buf.write(text, x: area.x, y: y, style: st, clip: area)
            y += 1
        }
        guard let split = model.splits[id] else {
            line("split not found", Style(.muted))
            return
        }
        line((id.kind == .trafficSplit ? "split" : id.kind.label) + " " + split.meta.name + " (" + split.apiVersion + ")", Style(.title))
        if let rule = split.ruleSummary { line("rule \(id.rule): " + rule, Style(.muted)) }
        if let a = split.acceptance {
            // Whether the mesh took the route is as important as its weights.
            switch a {
            case .accepted(let c): line("✓ accepted by " + c, Style(.text))
            case .rejected(let r, let m): line("✗ not accepted: " + r + (m.isEmpty ? "" : " — " + m), Style(.error))
            case .pending: line("? accepted: pending", Style(.warning))
            case .noController: line("✗ no mesh has taken this route (status.parents is empty)", Style(.error))
            }
        }
        if let p = model.overrideSummary(split) {
            // On Linkerd the profile decides: say so before the weights, and show its own.
            line("! overridden by " + p.label + ": this route's weights do not decide traffic", Style(.warning, [.bold]))
            for d in p.decides { line("  decides: " + d, Style(.warning)) }
        }
        for note in model.callerProfileNotes(split) { line(note, Style(.warning)) }
        if let c = split.controller { line("! managed by " + c.tool, Style(.warning)) }
        if id.kind == .trafficSplit, let warning = sharedRootWarning(id, split) { line(warning, Style(.warning)) }
        let shares = split.analysis.shares
        let observed = model.observedShares(id)
        // The numbers first, the name in what is left (cut in the middle, keeping the suffix
        // that tells "-v1" from "-v2"): at 80×24 the pane is ~38 columns and the observed
        // share must not be the part that falls off.
        // Narrow (80×24): the health of each backend goes on a second line.
        let wide = area.width >= 12 + 29
        let nameW = wide ? max(12, min(24, area.width - 29 - 1)) : max(6, min(24, area.width - 10 - 1))
        line(
            TextWidth.pad("backend", to: nameW) + TextWidth.pad("conf", to: 5, align: .right) + TextWidth.pad("seen", to: 5, align: .right)
                + (wide
                    ? TextWidth.pad("rps", to: 6, align: .right) + TextWidth.pad("succ", to: 7, align: .right)
                        + TextWidth.pad("p99", to: 9, align: .right) : ""),
            Style(.tableHeader))
        for (i, b) in split.backends.enumerated() {
            guard y < area.maxY else { return }
            let conf = i < shares.count ? shares[i]?.percentText(decimals: 0) ?? "–" : "–"
            let seen = i < observed.count ? observed[i].map { Fmt.fixed($0 * 100, 0) + "%" } ?? "–" : "–"
            let m = model.serviceMetrics(ObjectRef(namespace: split.rootRef.namespace, name: b.service))
            let rps = m.rps.map { $0 >= 100 ? Fmt.fixed($0, 0) : Fmt.fixed($0, 1) } ?? "–"
            let health =
                TextWidth.pad(rps, to: 6, align: .right) + TextWidth.pad(Fmt.percent(m.successRate), to: 7, align: .right)
                + TextWidth.pad(Fmt.latency(m.p99), to: 9, align: .right)
            let text =
                TextWidth.pad(TextWidth.middle(b.service, to: nameW), to: nameW) + TextWidth.pad(conf, to: 5, align: .right)
                + TextWidth.pad(seen, to: 5, align: .right) + (wide ? health : "") + " "
            let x = buf.write(text, x: area.x, y: y, style: Style(.text), clip: area)
            let bw = area.maxX - x
            if bw > 0 {
                let f = i < shares.count ? shares[i]?.doubleValue ?? 0 : 0
                let bar = Widgets.weightBar(fraction: f, width: bw, glyphs: ctx.glyphs)
                let x2 = buf.write(bar.filled, x: x, y: y, style: Style(.weightBar), clip: area, ellipsis: false)
                buf.write(bar.empty, x: x2, y: y, style: Style(.muted), clip: area, ellipsis: false)
            }
            y += 1
            if !wide {
                let h = model.thresholds.classify(m.successRate)
                line(
                    "  " + h.marker(ctx.glyphs) + " " + Fmt.rps(m.rps) + " " + Fmt.percent(m.successRate) + " p99 " + Fmt.latency(m.p99),
                    Style(.muted))
            }
        }
        // Traffic that does not follow the weights (a backend failing health checks, a mesh
        // that ignores the split, a stale controller) is what an operator must notice.
        for (i, b) in split.backends.enumerated() {
            guard y < area.maxY, i < shares.count, i < observed.count, let conf = shares[i]?.doubleValue, let seen = observed[i],
                abs(seen - conf) >= Self.driftWarning
            else { continue }
            line(
                "! drift: " + b.service + " sees " + Fmt.fixed(seen * 100, 0) + "% for " + Fmt.fixed(conf * 100, 0) + "% configured",
                Style(.warning))
        }
    }

    /// How far (as a fraction of traffic) the observed share may stray from the configured one
    /// before the pane warns: ten points, beyond the noise of a short metrics window.
    static let driftWarning = 0.10
}

extension DetailView {
    /// Issue 13: several TrafficSplits for one root service, which meshes read differently
    /// (one wins, they merge, all but one are ignored): said beside the split's weights.
    func sharedRootWarning(_ id: SplitID, _ split: WeightedSplit) -> String? {
        let others = model.splits.filter { $0.key != id && $0.key.kind == .trafficSplit && $0.value.rootRef == split.rootRef }.map(\.key.name)
            .sorted()
        guard !others.isEmpty else { return nil }
        return "! \(others.count + 1) TrafficSplits have root \(split.service) (also \(others.joined(separator: ", "))): meshes disagree on what that means"
    }
}
