// Cell geometry shared by the layout (Mesh), hit-testing (App) and drawing (UI): one rectangle
// type, so a layout box is drawn and clicked as the same value.

/// A rectangle of cells; x grows right, y grows down. Empty when width or height is ≤ 0.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var description: String { "(\(x),\(y) \(width)×\(height))" }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    public func contains(_ p: CellPoint) -> Bool { contains(x: p.x, y: p.y) }

    public func intersects(_ o: Rect) -> Bool { x < o.maxX && o.x < maxX && y < o.maxY && o.y < maxY }

    public func intersection(_ other: Rect) -> Rect {
        let nx = Swift.max(x, other.x)
        let ny = Swift.max(y, other.y)
        let mx = Swift.min(maxX, other.maxX)
        let my = Swift.min(maxY, other.maxY)
        return Rect(x: nx, y: ny, width: mx - nx, height: my - ny)
    }

    public func inset(by n: Int) -> Rect {
        Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n)
    }

    public func inset(dx: Int, dy: Int) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy)
    }

    /// The first `rows` rows and the rest (both clamped to this rect).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let r = Swift.max(0, Swift.min(rows, height))
        return (Rect(x: x, y: y, width: width, height: r), Rect(x: x, y: y + r, width: width, height: height - r))
    }

    /// The rest and the last `rows` rows.
    public func splitBottom(_ rows: Int) -> (Rect, Rect) {
        let r = Swift.max(0, Swift.min(rows, height))
        return (Rect(x: x, y: y, width: width, height: height - r), Rect(x: x, y: maxY - r, width: width, height: r))
    }

    public func splitLeft(_ cols: Int) -> (Rect, Rect) {
        let c = Swift.max(0, Swift.min(cols, width))
        return (Rect(x: x, y: y, width: c, height: height), Rect(x: x + c, y: y, width: width - c, height: height))
    }

    public func splitRight(_ cols: Int) -> (Rect, Rect) {
        let c = Swift.max(0, Swift.min(cols, width))
        return (Rect(x: x, y: y, width: width - c, height: height), Rect(x: maxX - c, y: y, width: c, height: height))
    }

    /// A `w`×`h` rect centred in this one (clamped).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = Swift.min(w, width)
        let ch = Swift.min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }
}
