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

    private static let left: UInt8 = 1, right: UInt8 = 2, up: UInt8 = 4, down: UInt8 = 8

    /// Plain data (no references), so the per-frame grid of them costs no reference counting;
    /// six bytes (priority in an Int8), so the grid of a 300×80 frame stays in the cache: with
    /// an Int it was 24 bytes a cell, and marking cells was most of a large frame (perf).
    private struct LineCell {
        var mask: UInt8 = 0
        var allDashed = true
        var priority: Int8 = -1
        var style = Style(.edge)
        /// 0 none, 1 pointing left, 2 pointing right.
        var arrow: UInt8 = 0
    }

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

        // 1. Lines, merged per cell of the visible area: a dense grid (a cell is drawn when its
        // mask is set), because hashing cells into a dictionary was a third of a large frame.
        var cells = [LineCell](repeating: LineCell(), count: area.width * area.height)
        var labels: [(x: Int, y: Int, width: Int, text: String, style: Style)] = []
        // The visible area in canvas coordinates, one cell wider on each side so a line
        // entering the screen gets its joint right.
        let visX0 = area.x - dx - 1
        let visX1 = area.maxX - dx
        let visY0 = area.y - dy - 1
        let visY1 = area.maxY - dy
        let laneOf = edges.contains { $0.lane == nil && $0.route == nil } ? lanes() : [:]
        // Through a buffer pointer: a large frame marks tens of thousands of cells, and the
        // array's uniqueness and bounds checks on each were a good part of the frame (perf).
        cells.withUnsafeMutableBufferPointer { cells in
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
                let split = e.split
                let p = GraphCanvas.priority(e)
                let st = GraphCanvas.style(e)
                func mark(_ x: Int, _ y: Int, _ bits: UInt8) {
                    let sx = x + dx
                    let sy = y + dy
                    guard area.contains(x: sx, y: sy) else { return }
                    let key = (sy - area.y) * area.width + (sx - area.x)
                    cells[key].mask |= bits
                    cells[key].allDashed = cells[key].allDashed && split
                    if p > cells[key].priority {
                        cells[key].priority = p
                        cells[key].style = st
                    }
                }
                // Segments are axis-aligned (x first, then y, as routed). Only the stretch of
                // each segment that can touch the screen is walked: an edge spanning thousands of
                // rows of a tall graph costs what is visible of it.
                func segment(_ a: CellPoint, _ b: CellPoint) {
                    if a.y == b.y, a.x != b.x {
                        guard a.y >= visY0, a.y <= visY1 else { return }
                        let lo = max(min(a.x, b.x), visX0)
                        let hi = min(max(a.x, b.x), visX1)
                        guard lo < hi else { return }
                        for x in lo..<hi {
                            mark(x, a.y, GraphCanvas.right)
                            mark(x + 1, a.y, GraphCanvas.left)
                        }
                    } else if a.x == b.x, a.y != b.y {
                        guard a.x >= visX0, a.x <= visX1 else { return }
                        let lo = max(min(a.y, b.y), visY0)
                        let hi = min(max(a.y, b.y), visY1)
                        guard lo < hi else { return }
                        for y in lo..<hi {
                            mark(a.x, y, GraphCanvas.down)
                            mark(a.x, y + 1, GraphCanvas.up)
                        }
                    }
                }
                // Start cell reaches back into the source box so the edge visibly leaves it.
                mark(pts[0].x, pts[0].y, arrowLeft ? GraphCanvas.right : GraphCanvas.left)
                var cursor = pts[0]
                for i in 1..<pts.count {
                    let corner = CellPoint(x: pts[i].x, y: cursor.y)
                    segment(cursor, corner)
                    segment(corner, pts[i])
                    cursor = pts[i]
                }
                let end = pts[pts.count - 1]
                let ex = end.x + dx
                let ey = end.y + dy
                if area.contains(x: ex, y: ey) {
                    let key = (ey - area.y) * area.width + (ex - area.x)
                    if cells[key].mask != 0 {
                        cells[key].arrow = arrowLeft ? 1 : 2
                        if p >= cells[key].priority { cells[key].style = st }
                    }
                }
                if !e.label.isEmpty, labelSegment.width > 0 {
                    let marker = e.health.marker(g)
                    let lst = e.selected ? Style(.edgeSelected, [.bold]) : (e.dimmed ? Style(.muted) : Style(e.health.role))
                    labels.append((labelSegment.x, labelSegment.y, labelSegment.width, marker + " " + e.label, lst))
                }
            }
        }
        for (key, c) in cells.enumerated() where c.mask != 0 {
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
