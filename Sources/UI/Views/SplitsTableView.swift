import App
import Mesh

/// The traffic splits table's rows (filtered and sorted by the state) and its chrome.
public struct SplitsTableModel {
    public var rows: [SplitRow]
    public var chrome: TableChrome

    public init(_ s: AppState) {
        rows = s.splitRows()
        chrome = TableChrome(s, .splits)
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
        chrome.draw(rows: rows, rect, ctx, &buf)
    }
}
