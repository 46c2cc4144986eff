import Mesh

/// One protocol for everything that draws into a rect of a cell buffer: the widgets
/// (`TableWidget`, `GraphCanvas`) and the views (`HeaderView`, `GraphView`, …). A view is
/// built from its own small model, made from `AppState` by `Screen.render`, so what a view
/// reads is written in one place (its model) rather than being the whole state.
public protocol Widget {
    func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer)
}

extension TableWidget: Widget {
    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) { draw(&buf, rect, glyphs: ctx.glyphs) }
}

extension GraphCanvas: Widget {
    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) { draw(&buf, rect, glyphs: ctx.glyphs) }
}
