import Mesh

/// Line-drawing and block glyphs. `unicode` needs a UTF-8 terminal; `ascii` works anywhere.
public struct Glyphs: Hashable, Sendable {
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: String
    public var teeDown, teeUp, teeRight, teeLeft, cross: String
    public var dashedHorizontal, dashedVertical: String
    public var arrowRight, arrowLeft: String
    /// Sparkline levels, lowest first.
    public var levels: [String]
    /// Weight bar: full block, partial blocks (1/8 … 7/8), empty.
    public var barFull: String
    public var barPartial: [String]
    public var barEmpty: String
    public var sortAscending, sortDescending: String
    public var scrollUp, scrollDown: String

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        teeDown: "┬", teeUp: "┴", teeRight: "├", teeLeft: "┤", cross: "┼",
        dashedHorizontal: "╌", dashedVertical: "╎", arrowRight: "▸", arrowLeft: "◂",
        levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        barFull: "█", barPartial: ["▏", "▎", "▍", "▌", "▋", "▊", "▉"], barEmpty: "·",
        sortAscending: "▲", sortDescending: "▼", scrollUp: "↑", scrollDown: "↓")

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        teeDown: "+", teeUp: "+", teeRight: "+", teeLeft: "+", cross: "+",
        dashedHorizontal: ".", dashedVertical: ":", arrowRight: ">", arrowLeft: "<",
        levels: ["_", ".", "-", "~", "=", "+", "*", "#"],
        barFull: "#", barPartial: ["#", "#", "#", "#", "#", "#", "#"], barEmpty: ".",
        sortAscending: "^", sortDescending: "v", scrollUp: "^", scrollDown: "v")

    /// A service box's corners (rounded where the terminal has them; the svc tag in its top
    /// border tells it from a workload either way).
    public var roundedCorners: (String, String, String, String) {
        horizontal == "─" ? ("╭", "╮", "╰", "╯") : (topLeft, topRight, bottomLeft, bottomRight)
    }

    /// The marks at a view's edge where the graph goes on beyond it: left, right, up, down.
    public var overflow: (String, String, String, String) {
        horizontal == "─" ? ("◂", "▸", "▴", "▾") : ("<", ">", "^", "v")
    }
}

extension Health {
    /// A textual marker so health never depends on colour alone.
    public func marker(_ g: Glyphs) -> String {
        let ascii = g == .ascii
        switch self {
        case .healthy: return ascii ? "o" : "✓"
        case .warning: return "!"
        case .critical: return ascii ? "x" : "✗"
        case .unknown: return "?"
        }
    }

    public var role: Role {
        switch self {
        case .healthy: return .healthy
        case .warning: return .warning
        case .critical: return .critical
        case .unknown: return .unknown
        }
    }
}

/// Everything a view needs besides the state: theme (for lookups such as the name) and glyphs.
public struct DrawContext: Sendable {
    public var theme: Theme
    public var glyphs: Glyphs
    public init(theme: Theme, glyphs: Glyphs = .unicode) {
        self.theme = theme
        self.glyphs = glyphs
    }
}

public enum Widgets {
    // MARK: Box

    /// A frame around `rect` with an optional title in its top edge. Returns the inner rect.
    @discardableResult
    public static func box(
        _ buf: inout CellBuffer, _ rect: Rect, title: String? = nil, style: Style = Style(.border),
        titleStyle: Style = Style(.title), glyphs g: Glyphs, fill: Style? = nil
    ) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else {
            if let fill { buf.fill(rect, style: fill) }
            return Rect(x: rect.x, y: rect.y, width: 0, height: 0)
        }
        if let fill { buf.fill(rect, style: fill) }
        let h = DisplayCluster(g.horizontal, width: 1)
        let v = DisplayCluster(g.vertical, width: 1)
        buf.put(DisplayCluster(g.topLeft, width: 1), x: rect.x, y: rect.y, style: style)
        buf.put(DisplayCluster(g.topRight, width: 1), x: rect.maxX - 1, y: rect.y, style: style)
        buf.put(DisplayCluster(g.bottomLeft, width: 1), x: rect.x, y: rect.maxY - 1, style: style)
        buf.put(DisplayCluster(g.bottomRight, width: 1), x: rect.maxX - 1, y: rect.maxY - 1, style: style)
        buf.hline(h, x: rect.x + 1, y: rect.y, count: rect.width - 2, style: style)
        buf.hline(h, x: rect.x + 1, y: rect.maxY - 1, count: rect.width - 2, style: style)
        buf.vline(v, x: rect.x, y: rect.y + 1, count: rect.height - 2, style: style)
        buf.vline(v, x: rect.maxX - 1, y: rect.y + 1, count: rect.height - 2, style: style)
        if let title, rect.width > 4 {
            let clip = Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1)
            let end = buf.write(" " + TextWidth.sanitize(title), x: rect.x + 1, y: rect.y, style: titleStyle, clip: clip)
            if end < clip.maxX { buf.put(.space, x: end, y: rect.y, style: titleStyle) }
        }
        return rect.inset(by: 1)
    }

    // MARK: Bars

    /// One row: `left` segments from the left edge, `right` segments flush right; the right side
    /// gives way (is dropped) when both do not fit.
    public static func bar(
        _ buf: inout CellBuffer, _ rect: Rect, left: [(String, Style)], right: [(String, Style)] = [],
        fill: Style, keepRight: Bool = false
    ) {
        guard rect.height > 0, rect.width > 0 else { return }
        let row = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        buf.fill(row, style: fill)
        let rightWidth = right.reduce(0) { $0 + TextWidth.width($1.0) }
        let leftWidth = left.reduce(0) { $0 + TextWidth.width($1.0) }
        let showRight = rightWidth > 0 && (keepRight ? rightWidth <= rect.width : leftWidth + 1 + rightWidth <= rect.width)
        let leftClip = Rect(x: row.x, y: row.y, width: showRight ? max(0, rect.width - rightWidth - 1) : rect.width, height: 1)
        var x = rect.x
        for (text, style) in left {
            x = buf.write(text, x: x, y: rect.y, style: style, clip: leftClip)
            if x >= leftClip.maxX { break }
        }
        if showRight {
            var rx = rect.maxX - rightWidth
            for (text, style) in right { rx = buf.write(text, x: rx, y: rect.y, style: style, clip: row) }
        }
    }

    // MARK: Sparkline

    /// The last `width` samples as block levels scaled to their maximum; nil samples are gaps.
    public static func sparkline(_ values: [Double?], width: Int, glyphs g: Glyphs) -> String {
        guard width > 0 else { return "" }
        let tail = values.suffix(width)
        let maxV = tail.compactMap { $0 }.filter { $0.isFinite }.max() ?? 0
        var s = ""
        for v in tail {
            guard let v, v.isFinite else {
                s += " "
                continue
            }
            if maxV <= 0 {
                s += g.levels[0]
                continue
            }
            let f = max(0, min(1, v / maxV))
            let i = Int((f * Double(g.levels.count - 1)).rounded())
            s += g.levels[i]
        }
        return String(repeating: " ", count: width - tail.count) + s
    }

    /// A sparkline scaled to the data's own range (lowest value → lowest bar), so a success
    /// rate between 99.1 % and 99.9 % shows its shape instead of a flat top row; with the range
    /// it was drawn from, for the caller to print.
    public static func rangeSparkline(_ values: [Double?], width: Int, glyphs g: Glyphs) -> (line: String, min: Double?, max: Double?) {
        guard width > 0 else { return ("", nil, nil) }
        let tail = values.suffix(width)
        let finite = tail.compactMap { $0 }.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max() else { return (String(repeating: " ", count: width), nil, nil) }
        var s = ""
        for v in tail {
            guard let v, v.isFinite else {
                s += " "
                continue
            }
            // A flat series sits mid-height: neither "nothing" nor "full".
            let f = hi > lo ? (v - lo) / (hi - lo) : 0.5
            s += g.levels[Int((max(0, min(1, f)) * Double(g.levels.count - 1)).rounded())]
        }
        return (String(repeating: " ", count: width - tail.count) + s, lo, hi)
    }

    // MARK: Weight bar

    /// A bar `width` columns wide filled to `fraction` (0…1) with eighth-block precision.
    public static func weightBar(fraction: Double, width: Int, glyphs g: Glyphs) -> (filled: String, empty: String) {
        guard width > 0 else { return ("", "") }
        let f = fraction.isFinite ? max(0, min(1, fraction)) : 0
        let eighths = Int((f * Double(width * 8)).rounded())
        let full = eighths / 8
        let part = eighths % 8
        var filled = String(repeating: g.barFull, count: full)
        var used = full
        if part > 0 && used < width {
            filled += g.barPartial[part - 1]
            used += 1
        }
        return (filled, String(repeating: g.barEmpty, count: width - used))
    }

    // MARK: Text input

    /// `prompt` then `text` with the cursor at character index `cursor`; scrolls horizontally so
    /// the cursor stays visible, and places the buffer's cursor there.
    public static func input(
        _ buf: inout CellBuffer, _ rect: Rect, prompt: String, text: String, cursor: Int, style: Style,
        promptStyle: Style
    ) {
        guard rect.width > 0, rect.height > 0 else { return }
        let row = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        buf.fill(row, style: style)
        let x0 = buf.write(prompt, x: row.x, y: row.y, style: promptStyle, clip: row, ellipsis: false)
        let avail = row.maxX - x0
        guard avail > 0 else { return }
        let chars = Array(text)
        let idx = max(0, min(cursor, chars.count))
        var widths: [Int] = []
        var clusters: [[DisplayCluster]] = []
        for c in chars {
            let cs = TextWidth.clusters(String(c))
            clusters.append(cs)
            widths.append(cs.reduce(0) { $0 + $1.width })
        }
        // Leftmost character shown: the cursor (plus one cell for it at the end) must fit.
        var start = 0
        var w = widths[..<idx].reduce(0, +) + 1
        while w > avail && start < idx {
            w -= widths[start]
            start += 1
        }
        var x = x0
        var cursorX = x0
        for i in start..<chars.count {
            if i == idx { cursorX = x }
            if x + widths[i] > row.maxX { break }
            x = buf.write(clusters[i], x: x, y: row.y, style: style, clip: row, ellipsis: false)
        }
        if idx >= chars.count { cursorX = x }
        if cursorX < row.maxX { buf.cursor = (cursorX, row.y) }
    }

    // MARK: Dialog

    /// A centred framed popup with `lines` and a row of `buttons`; returns its rect.
    @discardableResult
    public static func dialog(
        _ buf: inout CellBuffer, in area: Rect, title: String, lines: [(String, Style)], buttons: [String] = [],
        selectedButton: Int? = nil, glyphs g: Glyphs, minWidth: Int = 30
    ) -> Rect {
        let contentWidth = max(
            minWidth, lines.map { TextWidth.width($0.0) }.max() ?? 0,
            buttons.reduce(0) { $0 + TextWidth.width($1) + 5 }, TextWidth.width(title) + 4)
        let h = lines.count + (buttons.isEmpty ? 0 : 2) + 2
        let rect = area.centered(width: contentWidth + 4, height: h)
        guard !rect.isEmpty else { return rect }
        let inner = box(
            &buf, rect, title: title, style: Style(.dialogBorder), titleStyle: Style(.dialogBorder, [.bold]), glyphs: g,
            fill: Style(.dialog))
        guard !inner.isEmpty else { return rect }
        let text = Rect(x: inner.x + 1, y: inner.y, width: inner.width - 2, height: inner.height)
        let bodyRows = buttons.isEmpty ? inner.height : max(0, inner.height - 2)
        for (i, line) in lines.enumerated() where i < bodyRows {
            buf.write(line.0, x: text.x, y: text.y + i, style: line.1, clip: text)
        }
        if !buttons.isEmpty, inner.height >= 1 {
            let y = inner.maxY - 1
            var total = buttons.reduce(0) { $0 + TextWidth.width($1) + 4 } + (buttons.count - 1)
            total = max(0, total)
            var x = text.x + max(0, (text.width - total) / 2)
            for (i, b) in buttons.enumerated() {
                let st = i == selectedButton ? Style(.selection, [.bold]) : Style(.dialog, [.bold])
                x = buf.write("[ " + b + " ]", x: x, y: y, style: st, clip: text) + 1
            }
        }
        return rect
    }
}

// MARK: - Table

public struct TableWidget: Sendable {
    public struct Column: Sendable {
        public var title: String
        /// Minimum width; flexible columns share what is left over.
        public var width: Int
        public var flexible: Bool
        public var align: TextWidth.Alignment
        /// Sized by content: the column wants its widest cell (title included, at most
        /// `maxWidth`), not `width`. Without it the column is `width` wide, as before.
        public var fitContent: Bool
        public var maxWidth: Int
        /// Who gives up space when the table does not fit: the lowest priority shrinks to its
        /// `width` first, then the next; only when every column is at its minimum are
        /// columns dropped, lowest priority first.
        public var priority: Int
        /// Never cut while a column without it can give way, by shrinking or by being dropped
        /// (the splits table's weights and rates).
        public var whole: Bool
        public init(
            _ title: String, width: Int, flexible: Bool = false, align: TextWidth.Alignment = .left, fitContent: Bool = false,
            maxWidth: Int = 60, priority: Int = 0, whole: Bool = false
        ) {
            self.whole = whole
            self.title = title
            self.width = width
            self.flexible = flexible
            self.align = align
            self.fitContent = fitContent
            self.maxWidth = maxWidth
            self.priority = priority
        }
    }

    public struct Cell: Sendable {
        public var text: String
        public var style: Style?
        public init(_ text: String, style: Style? = nil) {
            self.text = text
            self.style = style
        }
    }

    public var columns: [Column]
    public var rows: [[Cell]]
    public var selected: Int?
    public var sortColumn: Int?
    public var sortAscending: Bool
    /// First row shown; nil: chosen so the selection is visible.
    public var offset: Int?

    public init(
        columns: [Column], rows: [[Cell]], selected: Int? = nil, sortColumn: Int? = nil, sortAscending: Bool = true,
        offset: Int? = nil
    ) {
        self.columns = columns
        self.rows = rows
        self.selected = selected
        self.sortColumn = sortColumn
        self.sortAscending = sortAscending
        self.offset = offset
    }

    /// Column widths for `total` columns of space (one space between columns). Columns that
    /// do not fit at all are dropped from the right (width 0).
    public func layout(width total: Int) -> [Int] {
        if columns.contains(where: \.fitContent) { return contentLayout(width: total) }
        var widths = columns.map { max(1, $0.width) }
        var used = 0
        for i in widths.indices {
            let need = widths[i] + (i > 0 ? 1 : 0)
            if used + need > total {
                let remaining = total - used - (i > 0 ? 1 : 0)
                if remaining >= 3 {
                    widths[i] = remaining
                    used = total
                } else {
                    widths[i] = 0
                }
                for j in (i + 1)..<widths.count { widths[j] = 0 }
                return widths
            }
            used += need
        }
        let flex = columns.indices.filter { columns[$0].flexible }
        if !flex.isEmpty && used < total {
            let extra = total - used
            for (k, i) in flex.enumerated() { widths[i] += extra / flex.count + (k < extra % flex.count ? 1 : 0) }
        }
        return widths
    }

    /// Widths by content and priority: each column gets its widest cell (a sample of at most
    /// 2,000 rows, so a table of 10,000 splits costs no more per frame); when that is too wide,
    /// the lowest-priority columns shrink to their minimum first, and only then are columns
    /// dropped, lowest priority first.
    func contentLayout(width total: Int) -> [Int] {
        let n = columns.count
        guard n > 0, total > 0 else { return Array(repeating: 0, count: n) }
        let minimum = columns.map { max(1, $0.width) }
        var want = minimum
        for (i, c) in columns.enumerated() where c.fitContent {
            // The title plus one cell for the sort arrow.
            var w = TextWidth.width(c.title) + 1
            for r in rows.prefix(2_000) where i < r.count { w = max(w, TextWidth.width(r[i].text)) }
            want[i] = max(minimum[i], min(w, max(minimum[i], c.maxWidth)))
        }
        var widths = want
        var shown = Array(repeating: true, count: n)
        func used() -> Int {
            let cols = widths.indices.filter { shown[$0] }
            return cols.reduce(0) { $0 + widths[$1] } + max(0, cols.count - 1)
        }
        // Lowest priority first; among equals, the rightmost first. The columns that are
        // not `whole` give way first: shrunk, then dropped; only then the whole ones.
        let order = columns.indices.sorted { a, b in columns[a].priority != columns[b].priority ? columns[a].priority < columns[b].priority : a > b }
        let yielding = order.filter { !columns[$0].whole }
        let kept = order.filter { columns[$0].whole }
        for i in yielding where used() > total { widths[i] = max(minimum[i], widths[i] - (used() - total)) }
        for i in yielding where used() > total && shown.filter({ $0 }).count > 1 { shown[i] = false }
        for i in kept where used() > total { widths[i] = max(minimum[i], widths[i] - (used() - total)) }
        for i in kept where used() > total && shown.filter({ $0 }).count > 1 { shown[i] = false }
        if used() > total, let i = shown.firstIndex(of: true) {
            widths[i] = max(0, total)
        }
        // Room freed by a dropped column goes back to the shrunk ones, most important first.
        for i in order.reversed() where shown[i] && widths[i] < want[i] && used() < total {
            widths[i] = min(want[i], widths[i] + (total - used()))
        }
        // Space left over stays at the right: numbers beside the names they belong to read
        // better than columns spread over a wide screen.
        return widths.indices.map { shown[$0] ? widths[$0] : 0 }
    }

    /// First visible row so `selected` is on screen with `visible` rows, staying near `current`.
    public static func scrollOffset(selected: Int?, rowCount: Int, visible: Int, current: Int = 0) -> Int {
        guard visible > 0, rowCount > visible else { return 0 }
        var off = max(0, min(current, rowCount - visible))
        if let s = selected {
            if s < off { off = s }
            if s >= off + visible { off = s - visible + 1 }
        }
        return off
    }

    public func draw(_ buf: inout CellBuffer, _ rect: Rect, glyphs g: Glyphs) {
        guard rect.width > 0, rect.height > 0 else { return }
        // With more rows than fit, the last column is a scroll gutter so hints never cover data.
        let scrolls = rows.count > rect.height - 1 && rect.width > 4
        let widths = layout(width: scrolls ? rect.width - 1 : rect.width)
        var x = rect.x
        for (i, col) in columns.enumerated() where widths[i] > 0 {
            var title = col.title
            if sortColumn == i { title += sortAscending ? g.sortAscending : g.sortDescending }
            buf.write(
                TextWidth.pad(title, to: widths[i], align: col.align), x: x, y: rect.y, style: Style(.tableHeader),
                clip: rect)
            x += widths[i]
            if x < rect.maxX {
                buf.put(.space, x: x, y: rect.y, style: Style(.tableHeader), clip: rect)
                x += 1
            }
        }
        if x < rect.maxX { buf.fill(Rect(x: x, y: rect.y, width: rect.maxX - x, height: 1), style: Style(.tableHeader)) }
        let visible = rect.height - 1
        guard visible > 0 else { return }
        let off =
            offset.map { max(0, min($0, max(0, rows.count - visible))) }
            ?? TableWidget.scrollOffset(selected: selected, rowCount: rows.count, visible: visible)
        for r in 0..<visible {
            let idx = off + r
            guard idx < rows.count else { break }
            let y = rect.y + 1 + r
            let isSel = idx == selected
            var cx = rect.x
            for (i, col) in columns.enumerated() where widths[i] > 0 {
                let cell = i < rows[idx].count ? rows[idx][i] : Cell("")
                let st = isSel ? Style(.selection, cell.style?.attrs ?? []) : (cell.style ?? Style(.text))
                buf.write(TextWidth.pad(cell.text, to: widths[i], align: col.align), x: cx, y: y, style: st, clip: rect)
                cx += widths[i]
                if cx < rect.maxX {
                    buf.put(.space, x: cx, y: y, style: isSel ? Style(.selection) : Style(.text), clip: rect)
                    cx += 1
                }
            }
            let selEnd = scrolls ? rect.maxX - 1 : rect.maxX
            if isSel && cx < selEnd {
                buf.fill(Rect(x: cx, y: y, width: selEnd - cx, height: 1), style: Style(.selection))
            }
        }
        // Scroll hints in the last column: more rows above / below.
        let hintX = rect.maxX - 1
        guard scrolls else { return }
        buf.fill(Rect(x: hintX, y: rect.y + 1, width: 1, height: visible), style: Style(.text))
        if off > 0 { buf.put(DisplayCluster(g.scrollUp, width: 1), x: hintX, y: rect.y + 1, style: Style(.muted)) }
        if off + visible < rows.count {
            buf.put(DisplayCluster(g.scrollDown, width: 1), x: hintX, y: rect.maxY - 1, style: Style(.muted))
        }
    }
}
