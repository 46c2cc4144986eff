import App
import Kube
import Mesh

/// What the two header rows show.
public struct HeaderModel {
    public var readOnly: Bool
    public var status: ConnectionStatus
    public var context: String
    public var scope: String
    /// The metrics window the server reported, else the one asked for.
    public var metricsWindow: String
    /// Where metrics come from, once known ("smi", "linkerd prometheus via …").
    public var metricsSource: String?
    public var refreshing: Bool
    public var dataAge: Seconds?
    public var metricsStale: Bool
    public var metricsError: String?
    public var connectionError: String?
    public var retryIn: Seconds?
    public var serviceCount: Int
    public var splitCount: Int
    /// Mesh routes (HTTPRoute, GRPCRoute, Linkerd HTTPRoute); not shown when there are none.
    public var routeCount: Int
    /// TrafficSplits the store could not read (counted beside the readable ones).
    public var unreadableSplitCount: Int
    public var focus: String?
    /// The graph filter, when the graph view shows it.
    public var graphFilter: String?
    /// The first standing warning about the connection (TLS not verified).
    public var warning: String?
    /// Running ramps, for a badge that stays while their view is closed: "books 10% ✓".
    public var ramps: [(text: String, attention: Bool)]

    public init(_ s: AppState) {
        readOnly = s.readOnly.reason != nil
        status = s.connection.status
        context = s.context.context
        scope = s.context.scope.description
        metricsWindow = s.metrics.window ?? s.options.metricsWindow
        metricsSource = s.metrics.source
        if let url = s.portForward.forwardedURL, let src = s.metrics.source, src.hasSuffix(url) {
            // The URL alone would not say where it leads: name the kubectl that makes it.
            metricsSource = src + " (kubectl port-forward)"
        } else if case .failed = s.portForward, let src = s.metrics.source, src.contains("via http://127.0.0.1:") {
            // The forward's kubectl ended: said where it stays in view, not only in a message
            // the next failed poll replaces.
            metricsSource = src + " (kubectl port-forward ended; F starts it again)"
        }
        refreshing = s.options.refreshInterval > 0
        dataAge = s.connection.dataAge(now: s.now)
        metricsStale = s.metricsStale
        metricsError = s.metrics.lastError
        connectionError = s.connection.lastError
        retryIn = s.connection.retryIn
        serviceCount = s.store.services.count
        splitCount = s.store.trafficSplits.count
        routeCount = s.store.routeCount
        unreadableSplitCount = s.store.decodeErrors.keys.filter { $0.hasPrefix(ObjectKind.trafficSplit.rawValue + ":") }.count
        focus = s.navigation.focus?.name
        graphFilter = !s.navigation.graphFilter.isEmpty && s.navigation.view == .graph ? s.navigation.graphFilter : nil
        warning = s.context.warnings.first
        ramps = s.ramps.sorted { $0.key < $1.key }.compactMap { id, r in
            let m = r.machine
            let share = m.configuredShare?.percentText(decimals: 0) ?? "-"
            switch m.phase {
            case .watching, .writing, .applying: return (id.name + " " + share, false)
            case .proposing: return (id.name + " " + share + " next?", true)
            case .failed: return (id.name + " " + share + " FAILED", true)
            case .paused: return (id.name + " " + share + " paused", true)
            case .ready: return r.restored ? (id.name + " restored", true) : nil
            case .finished: return nil
            }
        }
    }
}

/// Row 1: context, namespace scope and the connection badge; row 2: metrics window, data age,
/// errors, counts.
public struct HeaderView: Widget {
    public var model: HeaderModel
    public init(_ model: HeaderModel) { self.model = model }

    static func badge(_ status: ConnectionStatus, _ g: Glyphs) -> (String, Style) {
        let ascii = g == .ascii
        switch status {
        case .live: return (ascii ? " * LIVE " : " ● LIVE ", Style(.badgeLive))
        case .stale: return (ascii ? " ~ STALE " : " ◐ STALE ", Style(.badgeStale))
        case .offline: return (ascii ? " x OFFLINE " : " ✗ OFFLINE ", Style(.badgeOffline))
        case .connecting: return (ascii ? " ... CONNECTING " : " … CONNECTING ", Style(.badgeStale))
        case .noCluster: return (ascii ? " x NO CLUSTER " : " ✗ NO CLUSTER ", Style(.badgeOffline))
        }
    }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let m = model
        guard rect.height > 0 else { return }
        let sep = ctx.glyphs == .ascii ? " | " : " │ "
        var right: [(String, Style)] = []
        if m.readOnly {
            right.append((" READ-ONLY ", Style(.badgeStale)))
        }
        // A ramp needing the user (a proposed step, a failed gate) must show from any view.
        for r in m.ramps.prefix(3) {
            right.append((" RAMP " + r.text + " ", Style(r.attention ? .badgeStale : .badgeLive)))
            right.append((" ", Style(.header)))
        }
        right.append((" ", Style(.header)))
        right.append(Self.badge(m.status, ctx.glyphs))
        Bar(
            left: [
                (" smitop", Style(.header, [.bold])), (sep + "ctx ", Style(.header)), (m.context, Style(.header, [.bold])),
                (sep + "ns ", Style(.header)), (m.scope, Style(.header, [.bold])),
            ], right: right, fill: Style(.header), keepRight: true
        ).draw(in: Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), ctx, &buf)
        guard rect.height > 1 else { return }
        var info = "metrics " + (m.metricsSource.map { $0 + " " } ?? "") + m.metricsWindow + (m.refreshing ? "" : " (paused)")
        if let age = m.dataAge {
            info += " · updated " + Fmt.age(age) + " ago"
        } else {
            info += " · no data yet"
        }
        if m.metricsStale { info += " · metrics stale" + (m.metricsError.map { ": " + $0 } ?? "") }
        if m.status == .noCluster, let e = m.connectionError {
            info = "no cluster: " + e
        } else if m.status == .offline || m.status == .stale, let e = m.connectionError {
            info += " · " + e
            if let r = m.retryIn { info += " (retry in " + Fmt.age(r) + ")" }
        }
        var right2 = "\(m.serviceCount) svc · \(m.splitCount) ts" + (m.routeCount > 0 ? " · \(m.routeCount) routes" : "")
        if m.unreadableSplitCount > 0 { right2 += " (\(m.unreadableSplitCount) unreadable)" }
        if let f = m.focus { right2 = "focus " + f + " · " + right2 }
        if let filter = m.graphFilter { right2 = "/" + filter + " · " + right2 }
        // A standing warning (TLS not verified) leads the line for the whole session.
        var left: [(String, Style)] = []
        if let w = m.warning { left.append((" ! " + w + " ·", Style(.warning, [.bold]))) }
        left.append((" " + info, Style(m.status == .live ? .muted : .warning)))
        Bar(left: left, right: [(right2 + " ", Style(.muted))], fill: Style(.text))
            .draw(in: Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1), ctx, &buf)
    }
}
