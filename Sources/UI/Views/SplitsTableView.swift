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
        let prefix = ObjectKind.trafficSplit.rawValue + ":"
        unreadable = s.store.decodeErrors.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
            .map { (String($0.key.dropFirst(prefix.count)), $0.value) }
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
            [
                TableWidget.Cell(r.id.namespace),
                TableWidget.Cell(
                    r.id.name + (r.hasDraft ? " *" : ""),
                    style: r.hasDraft ? Style(.weightDraft) : nil),
                TableWidget.Cell(r.rootService), TableWidget.Cell(r.backendsText),
            ] + chrome.metricCells(r.metrics, ctx.glyphs) + [
                TableWidget.Cell(r.controller ?? "–", style: r.controller == nil ? Style(.muted) : Style(.warning))
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
            buf.write("\(unreadable.count) unreadable traffic split\(plural):", x: rect.x + 1, y: y, style: Style(.warning, [.bold]), clip: rect)
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
