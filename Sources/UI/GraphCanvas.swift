import Mesh

/// Draws positioned node boxes and orthogonal edges between them. Coordinates are canvas
/// cells; `origin` is the canvas cell shown at the view's top-left (panning).
///
/// Edges follow the layout's routes (`EdgeRoute`) when given; otherwise (a drawing that is not
/// a laid-out graph) right → vertical → right through the middle of the gap between boxes.
/// Edges sharing cells merge into proper junctions (┬ ┴ ├ ┤ ┼) instead of overwriting each
/// other; a cell is dashed only if every edge through it is a split edge. Health is shown by
/// colour role *and* a marker character in every label and node title.
public struct GraphCanvas: Sendable {
    public struct Node: Sendable {
        public var rect: Rect
        public var title: String
        public var lines: [String]
        public var health: Health
        public var selected: Bool
        public var dimmed: Bool
        /// Written into the top border ("svc", "deploy"): what kind of object, without colour.
        public var tag: String
        /// Rounded corners: a service (square: a workload).
        public var rounded: Bool
        public init(
            rect: Rect, title: String, lines: [String] = [], health: Health = .unknown, selected: Bool = false, dimmed: Bool = false,
            tag: String = "", rounded: Bool = false
        ) {
            self.tag = tag
            self.rounded = rounded
            self.rect = rect
            self.title = title
            self.lines = lines
            self.health = health
            self.selected = selected
            self.dimmed = dimmed
        }
    }

    public struct Edge: Sendable {
        /// Indexes into `nodes`.
        public var from: Int
        public var to: Int
        public var label: String
        public var health: Health
        /// A TrafficSplit leg: drawn dashed and in the `split` role.
        public var split: Bool
        public var selected: Bool
        public var dimmed: Bool
        /// The column of the edge's vertical run, when the layout has assigned one (it does so
        /// once per topology, so panning never moves a line); nil: assigned here.
        public var lane: Int?
        /// The layout's route (polyline and label place); when set, it is drawn as given.
        public var route: EdgeRoute?
        public init(
            from: Int, to: Int, label: String = "", health: Health = .unknown, split: Bool = false, selected: Bool = false,
            dimmed: Bool = false, lane: Int? = nil, route: EdgeRoute? = nil
        ) {
            self.lane = lane
            self.route = route
            self.from = from
            self.to = to
            self.label = label
            self.health = health
            self.split = split
            self.selected = selected
            self.dimmed = dimmed
        }
    }

    public struct Band: Sendable {
        public var label: String
        public var y: Int
        public init(label: String, y: Int) {
            self.label = label
            self.y = y
        }
    }

    public var nodes: [Node]
    public var edges: [Edge]
    public var bands: [Band]
    public var origin: (x: Int, y: Int)

    public init(nodes: [Node], edges: [Edge], bands: [Band] = [], origin: (x: Int, y: Int) = (0, 0)) {
        self.nodes = nodes
        self.edges = edges
        self.bands = bands
        self.origin = origin
    }

    static let left: UInt8 = 1, right: UInt8 = 2, up: UInt8 = 4, down: UInt8 = 8

    /// Which style wins where edges overlap: the selected edge, then the worst health.
    private static func priority(_ e: Edge) -> Int8 {
        if e.selected { return 100 }
        if e.dimmed { return 0 }
        switch e.health {
        case .critical: return 40
        case .warning: return 30
        case .healthy: return 20
        case .unknown: return 10
        }
    }

    private static func style(_ e: Edge) -> Style {
        if e.selected { return Style(.edgeSelected, [.bold]) }
        if e.dimmed { return Style(.muted) }
        if e.split { return Style(.split) }
        return Style(e.health == .unknown ? .edge : e.health.role)
    }

    /// Lanes for edges the caller gave none (the same rule as the layout's `Layout.assignLanes`).
    func lanes() -> [Int: Int] {
        let lanes = Layout.assignLanes(
            ends: edges.map { EdgeEnds(from: $0.from, to: $0.to) },
            rects: nodes.map(\.rect))
        var out: [Int: Int] = [:]
        for (i, l) in lanes.enumerated() where l >= 0 { out[i] = l }
        return out
    }

    /// The polyline of an edge (canvas coordinates) and where its label goes, or nil when the
    /// boxes overlap so that no sensible route exists.
    func route(_ e: Edge, lane: Int? = nil) -> (points: [(Int, Int)], arrowLeft: Bool, labelSegment: (x: Int, y: Int, width: Int))? {
        guard nodes.indices.contains(e.from), nodes.indices.contains(e.to), e.from != e.to else { return nil }
        let s = nodes[e.from].rect
        let t = nodes[e.to].rect
        let sy = s.y + s.height / 2
        let ty = t.y + t.height / 2
        if t.x > s.maxX {
            let x0 = s.maxX
            let x1 = t.x - 1
            let mx = lane ?? (x0 + x1) / 2
            let first = (x: x0 + 1, y: sy, width: mx - x0 - 1)
            let second = (x: mx + 1, y: ty, width: x1 - mx - 1)
            // Near the target: the first segment is shared by every edge leaving the source.
            let seg = sy == ty ? (x: x0 + 1, y: sy, width: x1 - x0 - 1) : (second.width >= 4 || second.width >= first.width ? second : first)
            return ([(x0, sy), (mx, sy), (mx, ty), (x1, ty)], false, seg)
        }
        if t.maxX < s.x {
            let x0 = s.x - 1
            let x1 = t.maxX
            let mx = (x0 + x1) / 2
            let first = (x: mx + 1, y: sy, width: x0 - mx - 1)
            let second = (x: x1 + 1, y: ty, width: mx - x1 - 1)
            let seg = sy == ty ? (x: x1 + 1, y: sy, width: x0 - x1 - 1) : (second.width >= first.width ? second : first)
            return ([(x0, sy), (mx, sy), (mx, ty), (x1, ty)], true, seg)
        }
        // Same column: loop around the right side.
        guard sy != ty else { return nil }
        let x0 = s.maxX
        let x1 = t.maxX
        let mx = max(s.maxX, t.maxX) + 1
        return ([(x0, sy), (mx, sy), (mx, ty), (x1, ty)], true, (x: mx + 1, y: (sy + ty) / 2, width: 0))
    }

    public func draw(_ buf: inout CellBuffer, _ rect: Rect, glyphs g: Glyphs) {
        let area = rect.intersection(buf.bounds)
        guard !area.isEmpty else { return }
        let dx = rect.x - origin.x
        let dy = rect.y - origin.y

        for band in bands {
            let y = band.y + dy
            guard y >= area.y, y < area.maxY else { continue }
            buf.write(TextWidth.sanitize(band.label), x: area.x, y: y, style: Style(.muted, [.bold]), clip: area)
        }

        // 1. Lines, merged per cell of the visible area.
        var grid = LineGrid(area: area, dx: dx, dy: dy)
        var labels: [(x: Int, y: Int, width: Int, text: String, style: Style)] = []
        let laneOf = edges.contains { $0.lane == nil && $0.route == nil } ? lanes() : [:]
        for (i, e) in edges.enumerated() {
            // The layout's route as given; otherwise one worked out here.
            let pts: [CellPoint]
            let arrowLeft: Bool
            let labelSegment: (x: Int, y: Int, width: Int)
            if let r = e.route, r.points.count >= 2 {
                pts = r.points
                arrowLeft = r.pointsLeft
                labelSegment = (r.label.x, r.label.y, r.label.width)
            } else if let r = route(e, lane: e.lane ?? laneOf[i]) {
                pts = r.points.map { CellPoint(x: $0.0, y: $0.1) }
                arrowLeft = r.arrowLeft
                labelSegment = r.labelSegment
            } else {
                continue
            }
            // What a cell takes from this edge, the same for every cell it passes.
            let pen = LineGrid.Pen(split: e.split, priority: GraphCanvas.priority(e), style: GraphCanvas.style(e))
            // Start cell reaches back into the source box so the edge visibly leaves it.
            grid.mark(pts[0].x, pts[0].y, arrowLeft ? GraphCanvas.right : GraphCanvas.left, pen)
            // Segments are axis-aligned (x first, then y, as routed).
            var cursor = pts[0]
            for i in 1..<pts.count {
                let corner = CellPoint(x: pts[i].x, y: cursor.y)
                grid.segment(cursor, corner, pen)
                grid.segment(corner, pts[i], pen)
                cursor = pts[i]
            }
            grid.arrow(at: pts[pts.count - 1], left: arrowLeft, pen)
            if !e.label.isEmpty, labelSegment.width > 0 {
                let marker = e.health.marker(g)
                let st = e.selected ? Style(.edgeSelected, [.bold]) : (e.dimmed ? Style(.muted) : Style(e.health.role))
                labels.append((labelSegment.x, labelSegment.y, labelSegment.width, marker + " " + e.label, st))
            }
        }
        for (key, c) in grid.cells.enumerated() where c.mask != 0 {
            let x = area.x + key % area.width
            let y = area.y + key / area.width
            let glyph = c.arrow == 1 ? g.arrowLeft : c.arrow == 2 ? g.arrowRight : GraphCanvas.glyph(c.mask, dashed: c.allDashed, g)
            buf.put(DisplayCluster(glyph, width: 1), x: x, y: y, style: c.style, clip: area)
        }

        // 2. Labels over the lines.
        for l in labels {
            let clip = Rect(x: l.x + dx, y: l.y + dy, width: l.width, height: 1).intersection(area)
            guard !clip.isEmpty else { continue }
            buf.write(l.text, x: l.x + dx, y: l.y + dy, style: l.style, clip: clip)
        }

        // 3. Boxes on top.
        for n in nodes {
            let r = Rect(x: n.rect.x + dx, y: n.rect.y + dy, width: n.rect.width, height: n.rect.height)
            guard !r.intersection(area).isEmpty else { continue }
            drawNode(&buf, n, r, clip: area, glyphs: g)
        }
    }

    private func drawNode(_ buf: inout CellBuffer, _ n: Node, _ r: Rect, clip: Rect, glyphs g: Glyphs) {
        let border: Style =
            n.selected ? Style(.focus, [.bold]) : n.dimmed ? Style(.muted) : Style(n.health == .unknown ? .border : n.health.role)
        let textStyle = n.dimmed ? Style(.muted) : Style(.text)
        // Fill first so lines passing under the box never show through.
        buf.fill(r.intersection(clip), style: textStyle)
        let h = DisplayCluster(g.horizontal, width: 1)
        let v = DisplayCluster(g.vertical, width: 1)
        if r.width >= 2 && r.height >= 2 {
            let c = n.rounded ? g.roundedCorners : (g.topLeft, g.topRight, g.bottomLeft, g.bottomRight)
            buf.put(DisplayCluster(c.0, width: 1), x: r.x, y: r.y, style: border, clip: clip)
            buf.put(DisplayCluster(c.1, width: 1), x: r.maxX - 1, y: r.y, style: border, clip: clip)
            buf.put(DisplayCluster(c.2, width: 1), x: r.x, y: r.maxY - 1, style: border, clip: clip)
            buf.put(DisplayCluster(c.3, width: 1), x: r.maxX - 1, y: r.maxY - 1, style: border, clip: clip)
            buf.hline(h, x: r.x + 1, y: r.y, count: r.width - 2, style: border, clip: clip)
            if !n.tag.isEmpty, r.width > 4 {
                let tagClip = Rect(x: r.x + 1, y: r.y, width: r.width - 2, height: 1).intersection(clip)
                if !tagClip.isEmpty { buf.write(n.tag, x: r.x + 1, y: r.y, style: border, clip: tagClip) }
            }
            buf.hline(h, x: r.x + 1, y: r.maxY - 1, count: r.width - 2, style: border, clip: clip)
            buf.vline(v, x: r.x, y: r.y + 1, count: r.height - 2, style: border, clip: clip)
            buf.vline(v, x: r.maxX - 1, y: r.y + 1, count: r.height - 2, style: border, clip: clip)
        }
        let inner = r.width >= 2 && r.height >= 2 ? r.inset(by: 1) : r
        let innerClip = inner.intersection(clip)
        guard !innerClip.isEmpty else { return }
        let titleStyle = n.selected ? Style(.focus, [.bold]) : (n.dimmed ? Style(.muted) : Style(.text, [.bold]))
        let markerStyle = n.dimmed ? Style(.muted) : Style(n.health.role, [.bold])
        let x = buf.write(n.health.marker(g) + " ", x: inner.x, y: inner.y, style: markerStyle, clip: innerClip, ellipsis: false)
        buf.write(n.title, x: x, y: inner.y, style: titleStyle, clip: innerClip)
        for (i, line) in n.lines.enumerated() where i + 1 < inner.height {
            buf.write(line, x: inner.x, y: inner.y + 1 + i, style: n.dimmed ? Style(.muted) : Style(.muted), clip: innerClip)
        }
    }

    static func glyph(_ m: UInt8, dashed: Bool, _ g: Glyphs) -> String {
        let l = m & left != 0
        let r = m & right != 0
        let u = m & up != 0
        let d = m & down != 0
        switch (l, r, u, d) {
        case (true, true, true, true): return g.cross
        case (true, true, false, true): return g.teeDown
        case (true, true, true, false): return g.teeUp
        case (false, true, true, true): return g.teeRight
        case (true, false, true, true): return g.teeLeft
        case (false, true, false, true): return g.topLeft
        case (true, false, false, true): return g.topRight
        case (false, true, true, false): return g.bottomLeft
        case (true, false, true, false): return g.bottomRight
        case (_, _, false, false): return dashed ? g.dashedHorizontal : g.horizontal
        default: return dashed ? g.dashedVertical : g.vertical
        }
    }
}

/// The lines of a graph frame, merged per cell of the visible area: a dense grid (a cell is
/// drawn when its mask is set), because hashing cells into a dictionary was a third of a large
/// frame. Where edges overlap a cell takes the union of their directions, is dashed only if
/// every edge through it is a split edge, and takes the style of the edge of highest priority
/// (the first of equals).
struct LineGrid {
    /// Plain data (no references), so the per-frame grid of them costs no reference counting;
    /// six bytes (priority in an Int8), so the grid of a 300×80 frame stays in the cache: with
    /// an Int it was 24 bytes a cell, and marking cells was most of a large frame (perf).
    struct Cell: Equatable {
        var mask: UInt8 = 0
        var allDashed = true
        var priority: Int8 = -1
        var style = Style(.edge)
        /// 0 none, 1 pointing left, 2 pointing right.
        var arrow: UInt8 = 0
    }

    /// What an edge leaves in each cell it passes.
    struct Pen: Hashable {
        var split: Bool
        var priority: Int8
        var style: Style
    }

    /// A visible stretch of one row (or column) drawn with one pen.
    private struct Run: Hashable {
        var vertical: Bool
        var line: Int
        var lo: Int
        var hi: Int
        var pen: Pen
    }

    let area: Rect
    /// Canvas to screen: screen x = canvas x + dx.
    let dx: Int
    let dy: Int
    private(set) var cells: [Cell]
    /// The runs walked so far. Walking one again with the same pen changes no cell (every
    /// merge is a union, an "and" or a maximum, and a cell's style changes only with its
    /// priority), and edges share them a lot: in the largest scenario's frame, 210 of the 235
    /// visible runs repeated one already walked (bundled edges), 130,000 cells marked for ~13,000.
    private var walked: Set<Run> = []
    /// How many runs were walked (not skipped as repeats): what the tests check.
    private(set) var runsWalked = 0

    init(area: Rect, dx: Int, dy: Int) {
        self.area = area
        self.dx = dx
        self.dy = dy
        cells = [Cell](repeating: Cell(), count: area.width * area.height)
    }

    /// Adds `bits` to the cell at canvas point (x, y), when it is on screen.
    mutating func mark(_ x: Int, _ y: Int, _ bits: UInt8, _ pen: Pen) {
        cells.withUnsafeMutableBufferPointer { Self.mark(x, y, bits, pen, $0, area, dx, dy) }
    }

    private static func mark(
        _ x: Int, _ y: Int, _ bits: UInt8, _ pen: Pen, _ cells: UnsafeMutableBufferPointer<Cell>, _ area: Rect, _ dx: Int, _ dy: Int
    ) {
        let sx = x + dx
        let sy = y + dy
        guard area.contains(x: sx, y: sy) else { return }
        let key = (sy - area.y) * area.width + (sx - area.x)
        cells[key].mask |= bits
        cells[key].allDashed = cells[key].allDashed && pen.split
        if pen.priority > cells[key].priority {
            cells[key].priority = pen.priority
            cells[key].style = pen.style
        }
    }

    /// The axis-aligned segment from `a` to `b` (canvas points). Only the stretch that can touch
    /// the screen is walked, one cell wider on each side so a line entering the screen gets its
    /// joint right: an edge spanning thousands of rows of a tall graph costs what is visible of it.
    mutating func segment(_ a: CellPoint, _ b: CellPoint, _ pen: Pen) {
        let vertical: Bool
        let line: Int
        let lo: Int
        let hi: Int
        if a.y == b.y, a.x != b.x {
            guard a.y >= area.y - dy - 1, a.y <= area.maxY - dy else { return }
            (vertical, line) = (false, a.y)
            lo = max(min(a.x, b.x), area.x - dx - 1)
            hi = min(max(a.x, b.x), area.maxX - dx)
        } else if a.x == b.x, a.y != b.y {
            guard a.x >= area.x - dx - 1, a.x <= area.maxX - dx else { return }
            (vertical, line) = (true, a.x)
            lo = max(min(a.y, b.y), area.y - dy - 1)
            hi = min(max(a.y, b.y), area.maxY - dy)
        } else {
            return
        }
        guard lo < hi, walked.insert(Run(vertical: vertical, line: line, lo: lo, hi: hi, pen: pen)).inserted else { return }
        runsWalked += 1
        let (area, dx, dy) = (area, dx, dy)
        cells.withUnsafeMutableBufferPointer { cells in
            if vertical {
                for y in lo..<hi {
                    Self.mark(line, y, GraphCanvas.down, pen, cells, area, dx, dy)
                    Self.mark(line, y + 1, GraphCanvas.up, pen, cells, area, dx, dy)
                }
            } else {
                for x in lo..<hi {
                    Self.mark(x, line, GraphCanvas.right, pen, cells, area, dx, dy)
                    Self.mark(x + 1, line, GraphCanvas.left, pen, cells, area, dx, dy)
                }
            }
        }
    }

    /// The arrow at an edge's end (canvas point), on a cell its line reached.
    mutating func arrow(at end: CellPoint, left: Bool, _ pen: Pen) {
        let ex = end.x + dx
        let ey = end.y + dy
        guard area.contains(x: ex, y: ey) else { return }
        let key = (ey - area.y) * area.width + (ex - area.x)
        guard cells[key].mask != 0 else { return }
        cells[key].arrow = left ? 1 : 2
        if pen.priority >= cells[key].priority { cells[key].style = pen.style }
    }
}
