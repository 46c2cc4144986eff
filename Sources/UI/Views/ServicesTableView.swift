import App
import Mesh

/// The services table's rows (filtered and sorted by the state) and its chrome.
public struct ServicesTableModel {
    public var rows: [ServiceRow]
    public var chrome: TableChrome

    public init(_ s: AppState) {
        rows = s.serviceRows()
        chrome = TableChrome(s, .services)
    }
}

/// Services with the metrics of the workloads they select; ⑃ marks a split's root.
public struct ServicesTableView: Widget {
    public var model: ServicesTableModel
    public init(_ model: ServicesTableModel) { self.model = model }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let chrome = model.chrome
        let rows = model.rows.map { r -> [TableWidget.Cell] in
            var cells = [TableWidget.Cell(r.id.namespace), TableWidget.Cell(r.id.name + (r.splitRoots.isEmpty ? "" : " ⑃"))]
            if ctx.glyphs == .ascii { cells[1] = TableWidget.Cell(r.id.name + (r.splitRoots.isEmpty ? "" : " (split)")) }
            // The root of several TrafficSplits: meshes disagree on which one counts.
            if r.trafficSplitRoots > 1 {
                cells[1] = TableWidget.Cell(r.id.name + " ! \(r.trafficSplitRoots) splits", style: Style(.warning))
            }
            let splits = ctx.glyphs == .ascii ? r.splits.replacingOccurrences(of: "⑃", with: "root:") : r.splits
            cells += [
                TableWidget.Cell(r.type), TableWidget.Cell(r.ports),
                TableWidget.Cell(splits.isEmpty ? "–" : splits, style: splits.isEmpty ? Style(.muted) : nil),
            ]
            return cells + chrome.metricCells(r.metrics, ctx.glyphs)
        }
        chrome.draw(rows: rows, rect, ctx, &buf)
    }
}
