import App
import Mesh

/// What both tables draw around their rows: the table's sort, filter, selection and scroll,
/// and the thresholds that colour the success column.
public struct TableChrome {
    public var kind: TableKind
    public var table: TableState
    public var thresholds: HealthThresholds

    public init(_ s: AppState, _ kind: TableKind) {
        self.kind = kind
        table = s.navigation.table(kind)
        thresholds = s.options.thresholds
    }

    func metricCells(_ m: MetricCells, _ g: Glyphs) -> [TableWidget.Cell] {
        let h = thresholds.classify(m.successRate)
        let staleMark = m.stale ? "~" : ""
        return [
            TableWidget.Cell(staleMark + Fmt.rps(m.rps).replacingOccurrences(of: "rps", with: "")),
            TableWidget.Cell(
                m.successRate == nil ? "–" : h.marker(g) + " " + Fmt.percent(m.successRate), style: Style(h.role)),
            TableWidget.Cell(Fmt.latency(m.p99)),
        ]
    }

    /// Columns are as wide as their content (issue 13: NAME took 46 columns at 160 while ROOT
    /// and BACKENDS were cut). When the screen is narrower, the least important shrink first:
    /// the weights (BACKENDS) are what a canary operator watches, so they give way last.
    static func tableSpec(_ c: App.TableColumn) -> TableWidget.Column {
        switch c {
        case .namespace: return .init(c.title, width: 6, fitContent: true, maxWidth: 24, priority: 2)
        case .name: return .init(c.title, width: 10, fitContent: true, maxWidth: 48, priority: 4)
        case .service: return .init(c.title, width: 8, fitContent: true, maxWidth: 32, priority: 6)
        case .backends: return .init(c.title, width: 16, flexible: true, fitContent: true, maxWidth: 90, priority: 9, whole: true)
        case .rps: return .init(c.title, width: 6, align: .right, fitContent: true, maxWidth: 10, priority: 8, whole: true)
        case .success: return .init(c.title, width: 8, align: .right, fitContent: true, maxWidth: 10, priority: 7, whole: true)
        case .p99: return .init(c.title, width: 6, align: .right, fitContent: true, maxWidth: 9, priority: 5)
        case .controller: return .init(c.title, width: 5, fitContent: true, maxWidth: 24, priority: 1)
        case .type: return .init(c.title, width: 4, fitContent: true, maxWidth: 12, priority: 1)
        case .ports: return .init(c.title, width: 5, fitContent: true, maxWidth: 16, priority: 0)
        case .splits: return .init(c.title, width: 8, flexible: true, fitContent: true, maxWidth: 60, priority: 3)
        }
    }

    func draw(rows: [[TableWidget.Cell]], _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard !rect.isEmpty else { return }
        let cols = AppState.columns(kind)
        let t = table
        let visible = max(1, rect.height - 1)
        let off = TableWidget.scrollOffset(
            selected: rows.isEmpty ? nil : t.selectedRow, rowCount: rows.count, visible: visible, current: t.scroll)
        let widget = TableWidget(
            columns: cols.map(Self.tableSpec), rows: rows, selected: rows.isEmpty ? nil : t.selectedRow,
            sortColumn: cols.firstIndex(of: t.sortColumn), sortAscending: !t.descending, offset: off)
        widget.draw(in: rect, ctx, &buf)
        if rows.isEmpty, rect.height > 1 {
            let what = kind == .services ? "services" : "traffic splits"
            let text = t.filter.isEmpty ? "no \(what)" : "no \(what) match /\(t.filter)"
            buf.write(text, x: rect.x + 1, y: rect.y + 1, style: Style(.muted), clip: rect)
        }
    }
}
