import Mesh

/// Below `Screen.minimumSize`: a notice with the size there is and the size needed. It needs no
/// model: the buffer's size is all it says.
public struct TooSmallView: Widget {
    public init() {}

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
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
}
