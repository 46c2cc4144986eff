import App
import Mesh

/// The whole frame. Every view is a pure function of its model, drawn into its rect; the
/// models are made here from the state, one per view (Sources/UI/Views/*View.swift).
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
            TooSmallView().draw(in: buf.bounds, ctx, &buf)
            return
        }
        let r = s.regions
        HeaderView(HeaderModel(s)).draw(in: r.header, ctx, &buf)
        switch s.navigation.view {
        case .graph: GraphView(GraphModel(s)).draw(in: r.body, ctx, &buf)
        case .services: ServicesTableView(ServicesTableModel(s)).draw(in: r.body, ctx, &buf)
        case .splits: SplitsTableView(SplitsTableModel(s)).draw(in: r.body, ctx, &buf)
        case .help: HelpView(HelpModel(s)).draw(in: r.body, ctx, &buf)
        }
        if let d = r.detail { DetailView(DetailModel(s)).draw(in: d, ctx, &buf) }
        if let d = r.dialog {
            if s.rampForm != nil || s.rampOpen != nil {
                RampView(RampModel(s)).draw(in: d, ctx, &buf)
            } else {
                SplitEditorView(SplitEditorModel(s)).draw(in: d, ctx, &buf)
            }
        }
        FooterView(FooterModel(s)).draw(in: r.footer, ctx, &buf)
    }
}
