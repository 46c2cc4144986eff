import App
import Mesh

/// The traffic splits table's rows (filtered and sorted by the state) and its chrome.
public struct SplitsTableModel {
    public var rows: [SplitRow]
    public var chrome: TableChrome
    /// Splits the store could not read, "namespace/name" and the problem, sorted.
    public var unreadable: [(key: String, reason: String)]

    public init(_ s: AppState) {
        rows = s.splitRows()
        chrome = TableChrome(s, .splits)
        // Unreadable TrafficSplits, routes ("httpRoute:ns/name" → "httproute/ns/name") and
        // TrafficTargets ("traffictarget/ns/name"): no view lists targets, so this is where
        // one smitop cannot read is said, rather than it being silently missing.
        let kinds: [ObjectKind] = [.trafficSplit, .httpRoute, .grpcRoute, .linkerdHTTPRoute, .trafficTarget]
        unreadable = s.store.decodeErrors.compactMap { e -> (key: String, reason: String)? in
            guard let k = kinds.first(where: { e.key.hasPrefix($0.rawValue + ":") }) else { return nil }
            let name = String(e.key.dropFirst(k.rawValue.count + 1))
            if k == .trafficTarget { return ("traffictarget/\(name)", e.value) }
            return (k.routeKind.map { "\($0.typeName)/\(name)" } ?? name, e.value)
        }.sorted { $0.key < $1.key }
    }
}

/// Traffic splits: root, backends with weights, aggregated metrics, controller; `*` marks a
/// split with an unsaved draft.
public struct SplitsTableView: Widget {
    public var model: SplitsTableModel
    public init(_ model: SplitsTableModel) { self.model = model }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let chrome = model.chrome
        let rows = model.rows.map { r -> [TableWidget.Cell] in
            // A route rule reads "books HTTPRoute#1 all requests": kind, rule and what it takes.
            var name = r.id.name
            if case .route = r.id.kind { name += " \(r.kind)#\(r.id.rule)" + (r.rule.map { " \($0)" } ?? "") }
            // A route the mesh has not accepted says so where the owner would be: its weights
            // are not in effect, which matters more than who else writes them.
            let notAccepted = r.accepted.map { $0 != "Accepted" } ?? false
            let owner = notAccepted ? "✗ " + (r.accepted ?? "") : (r.controller ?? "–")
            return [
                TableWidget.Cell(r.id.namespace),
                TableWidget.Cell(name + (r.hasDraft ? " *" : ""), style: r.hasDraft ? Style(.weightDraft) : nil),
                // Several TrafficSplits for one root: the mesh may honour any one of them.
                r.splitsForRoot > 1
                    ? TableWidget.Cell("! " + r.rootService + " (\(r.splitsForRoot) splits)", style: Style(.warning))
                    : TableWidget.Cell(r.rootService),
                TableWidget.Cell(r.backendsText),
            ] + chrome.metricCells(r.metrics, ctx.glyphs) + [
                TableWidget.Cell(owner, style: notAccepted ? Style(.error) : (r.controller == nil ? Style(.muted) : Style(.warning)))
            ]
        }
        // Splits the store could not read (a weight beyond the bound, a malformed spec) have no
        // row to select or edit; they are listed under the table with their problem, so that
        // none is silently missing (issue 14). Names and reasons were sanitised on entry.
        let unreadable = model.unreadable
        var tableRect = rect
        if !unreadable.isEmpty, rect.height >= 6 {
            let lines = min(unreadable.count + 1, rect.height / 3)
            tableRect = Rect(x: rect.x, y: rect.y, width: rect.width, height: rect.height - lines)
            var y = tableRect.y + tableRect.height
            let plural = unreadable.count == 1 ? "" : "s"
            // Kinds other than splits carry their type in the key ("httproute/…").
            let onlySplits = unreadable.allSatisfy { $0.key.split(separator: "/").count == 2 }
            let what = onlySplits ? "traffic split" : "object"
            buf.write("\(unreadable.count) unreadable \(what)\(plural):", x: rect.x + 1, y: y, style: Style(.warning, [.bold]), clip: rect)
            y += 1
            let shown = unreadable.count <= lines - 1 ? unreadable.count : lines - 2
            for (key, reason) in unreadable.prefix(shown) {
                buf.write("! " + key + ": " + reason, x: rect.x + 1, y: y, style: Style(.warning), clip: rect)
                y += 1
            }
            if shown < unreadable.count {
                buf.write("… and \(unreadable.count - shown) more", x: rect.x + 1, y: y, style: Style(.warning), clip: rect)
            }
        }
        chrome.draw(rows: rows, tableRect, ctx, &buf)
    }
}
