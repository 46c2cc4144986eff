import Mesh

public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = TextAttributes(rawValue: 1)
    public static let underline = TextAttributes(rawValue: 2)
    public static let reverse = TextAttributes(rawValue: 4)
    public static let dim = TextAttributes(rawValue: 8)
}

/// What a cell means; the theme turns it into colours. Attributes here are added to the
/// theme's own attributes for the role.
public struct Style: Hashable, Sendable {
    public var role: Role
    public var attrs: TextAttributes

    public init(_ role: Role, _ attrs: TextAttributes = []) {
        self.role = role
        self.attrs = attrs
    }
}

public struct Cell: Hashable, Sendable {
    /// The sanitised cluster; empty in the right half of a wide character.
    public var text: String
    /// 1, 2 (left half of a wide character) or 0 (its right half).
    public var width: UInt8
    public var style: Style

    public init(text: String, width: UInt8, style: Style) {
        self.text = text
        self.width = width
        self.style = style
    }

    public static let blank = Cell(text: " ", width: 1, style: Style(.text))
    public var isContinuation: Bool { width == 0 }
}

/// The whole screen as values. Views draw into it; the terminal layer copies it to ncurses.
/// Invariants kept by every write: each cell holds one sanitised cluster; a wide cluster's
/// right half is a continuation cell directly after it; nothing is ever written outside the
/// buffer or half a wide character left behind.
public struct CellBuffer: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal cursor should sit (a text input), or nil to hide it.
    public var cursor: (x: Int, y: Int)? {
        get { cursorX.map { ($0, cursorY) } }
        set {
            cursorX = newValue?.x
            cursorY = newValue?.y ?? 0
        }
    }
    private var cursorX: Int?
    private var cursorY: Int = 0

    public init(width: Int, height: Int, style: Style = Style(.text)) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(text: " ", width: 1, style: style), count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Fill `rect` (clipped) with spaces of `style`.
    public mutating func fill(_ rect: Rect, style: Style) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { place(DisplayCluster.space, x: x, y: y, style: style) }
        }
    }

    /// Change the style of every cell in `rect` without touching its text (selection bars).
    public mutating func restyle(_ rect: Rect, style: Style) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { cells[y * width + x].style = style }
        }
    }

    /// Add attributes to every cell in `rect`.
    public mutating func addAttributes(_ rect: Rect, _ attrs: TextAttributes) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { cells[y * width + x].style.attrs.formUnion(attrs) }
        }
    }

    /// Draw one cluster at (x, y) if it fits entirely inside `clip` and the buffer.
    /// Returns false (drawing nothing) when it would not.
    @discardableResult
    public mutating func put(_ c: DisplayCluster, x: Int, y: Int, style: Style, clip: Rect? = nil) -> Bool {
        let area = clip.map { $0.intersection(bounds) } ?? bounds
        guard y >= area.y, y < area.maxY, x >= area.x, x + c.width <= area.maxX else { return false }
        place(c, x: x, y: y, style: style)
        return true
    }

    /// Write `string` (sanitised) starting at (x, y), clipped to `clip` (default: the buffer).
    /// With `ellipsis`, text cut at the right edge ends in `…`. Columns left of the clip are
    /// skipped (panning); a wide character cut by either edge becomes a space.
    /// Returns the x just after the last column written.
    @discardableResult
    public mutating func write(
        _ string: String, x: Int, y: Int, style: Style, clip: Rect? = nil, ellipsis: Bool = true
    ) -> Int {
        write(TextWidth.clusters(string), x: x, y: y, style: style, clip: clip, ellipsis: ellipsis)
    }

    @discardableResult
    public mutating func write(
        _ clusters: [DisplayCluster], x: Int, y: Int, style: Style, clip: Rect? = nil, ellipsis: Bool = true
    ) -> Int {
        let area = clip.map { $0.intersection(bounds) } ?? bounds
        guard y >= area.y, y < area.maxY, !area.isEmpty else { return x }
        let available = area.maxX - x
        guard available > 0 else { return x }
        let fitted = TextWidth.fit(clusters, width: available, ellipsis: ellipsis)
        var cx = x
        for c in fitted {
            if cx >= area.x {
                place(c, x: cx, y: y, style: style)
            } else if cx + c.width > area.x {
                // The right half of a wide character is visible: show a space there instead.
                place(.space, x: area.x, y: y, style: style)
            }
            cx += c.width
        }
        return cx
    }

    /// Repeat one cluster across `count` columns.
    public mutating func hline(_ c: DisplayCluster, x: Int, y: Int, count: Int, style: Style, clip: Rect? = nil) {
        var cx = x
        for _ in 0..<max(0, count) {
            put(c, x: cx, y: y, style: style, clip: clip)
            cx += c.width
        }
    }

    public mutating func vline(_ c: DisplayCluster, x: Int, y: Int, count: Int, style: Style, clip: Rect? = nil) {
        for dy in 0..<max(0, count) { put(c, x: x, y: y + dy, style: style, clip: clip) }
    }

    /// The only place cells change text: keeps wide characters whole.
    private mutating func place(_ c: DisplayCluster, x: Int, y: Int, style: Style) {
        let row = y * width
        // Overwriting either half of an existing wide character blanks its other half.
        let old = cells[row + x]
        if old.width == 0, x > 0 {
            cells[row + x - 1] = Cell(text: " ", width: 1, style: cells[row + x - 1].style)
        }
        if old.width == 2, x + 1 < width, c.width != 2 {
            cells[row + x + 1] = Cell(text: " ", width: 1, style: cells[row + x + 1].style)
        }
        if c.width == 2 {
            guard x + 1 < width else {
                cells[row + x] = Cell(text: " ", width: 1, style: style)
                return
            }
            let next = cells[row + x + 1]
            if next.width == 2, x + 2 < width {
                cells[row + x + 2] = Cell(text: " ", width: 1, style: cells[row + x + 2].style)
            }
            cells[row + x] = Cell(text: c.text, width: 2, style: style)
            cells[row + x + 1] = Cell(text: "", width: 0, style: style)
        } else {
            cells[row + x] = Cell(text: c.text, width: 1, style: style)
        }
    }

    /// Row `y` as text exactly as a terminal shows it: one string per row, continuation
    /// cells contribute nothing, so every row has the display width `width`.
    public func row(_ y: Int) -> String {
        var s = ""
        for x in 0..<width {
            let c = cells[y * width + x]
            if c.width != 0 { s += c.text }
        }
        return s
    }

    /// Every row joined by newlines: the snapshot format.
    public var text: String {
        (0..<height).map { row($0) }.joined(separator: "\n")
    }

    public static func == (a: CellBuffer, b: CellBuffer) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells && a.cursorX == b.cursorX
            && a.cursorY == b.cursorY
    }

    public func hash(into h: inout Hasher) {
        h.combine(width)
        h.combine(height)
        h.combine(cells)
    }
}
