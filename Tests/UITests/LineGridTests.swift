import Mesh
import Testing

@testable import UI

/// The graph canvas's line grid skips a run it already walked with the same pen (a large frame's
/// bundled edges repeat most of their runs); what a frame shows must not depend on it.
@Suite struct LineGridTests {
    let area = Rect(x: 2, y: 1, width: 12, height: 6)

    @Test func aRepeatedRunIsWalkedOnceAndSkippingItChangesNoCell() {
        let plain = LineGrid.Pen(split: false, priority: 10, style: Style(.edge))
        let split = LineGrid.Pen(split: true, priority: 20, style: Style(.split))
        var g = LineGrid(area: area, dx: 2, dy: 1)
        g.segment(CellPoint(x: 1, y: 2), CellPoint(x: 9, y: 2), split)
        g.segment(CellPoint(x: 1, y: 2), CellPoint(x: 9, y: 2), plain)
        let before = g.cells
        // The same runs again (one drawn the other way round), after another pen.
        g.segment(CellPoint(x: 9, y: 2), CellPoint(x: 1, y: 2), split)
        g.segment(CellPoint(x: 1, y: 2), CellPoint(x: 9, y: 2), plain)
        #expect(g.runsWalked == 2)
        #expect(g.cells == before)
        // Merged: not dashed (a plain edge runs there too), the split edge's style (higher priority).
        let c = g.cells[(2 + 1 - area.y) * area.width + (5 + 2 - area.x)]
        #expect(c.mask == GraphCanvas.left | GraphCanvas.right && !c.allDashed && c.priority == 20 && c.style == Style(.split))
        // Another extent, another pen or another line is a run of its own.
        g.segment(CellPoint(x: 1, y: 2), CellPoint(x: 8, y: 2), plain)
        g.segment(CellPoint(x: 1, y: 2), CellPoint(x: 9, y: 2), LineGrid.Pen(split: false, priority: 100, style: Style(.edgeSelected, [.bold])))
        g.segment(CellPoint(x: 5, y: 0), CellPoint(x: 5, y: 5), plain)
        #expect(g.runsWalked == 5)
    }

    /// Against a reference that walks every cell of every segment (no skipping, no clipping of the
    /// walk): random segments, many repeated, with a few pens, partly off screen.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func sameCellsAsWalkingEverySegment(seed: UInt64) {
        var rng = seed &* 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((rng >> 33) % UInt64(n))
        }
        let pens = [
            LineGrid.Pen(split: false, priority: 10, style: Style(.edge)), LineGrid.Pen(split: true, priority: 20, style: Style(.split)),
            LineGrid.Pen(split: false, priority: 40, style: Style(.critical)),
            LineGrid.Pen(split: false, priority: 100, style: Style(.edgeSelected, [.bold])), LineGrid.Pen(split: false, priority: 0, style: Style(.muted)),
        ]
        let (dx, dy) = (next(7) - 3, next(7) - 3)
        var segments: [(CellPoint, CellPoint, LineGrid.Pen)] = []
        for _ in 0..<12 {
            let a = CellPoint(x: next(24) - 6, y: next(14) - 4)
            let b = next(2) == 0 ? CellPoint(x: next(24) - 6, y: a.y) : CellPoint(x: a.x, y: next(14) - 4)
            segments.append((a, b, pens[next(pens.count)]))
        }
        // Repeats: the same segment with the same pen, or its geometry with another pen.
        for _ in 0..<60 {
            let (a, b, pen) = segments[next(segments.count)]
            segments.append((a, b, next(3) == 0 ? pen : pens[next(pens.count)]))
        }
        var g = LineGrid(area: area, dx: dx, dy: dy)
        var reference = [LineGrid.Cell](repeating: LineGrid.Cell(), count: area.width * area.height)
        func mark(_ x: Int, _ y: Int, _ bits: UInt8, _ pen: LineGrid.Pen) {
            guard area.contains(x: x + dx, y: y + dy) else { return }
            let k = (y + dy - area.y) * area.width + (x + dx - area.x)
            reference[k].mask |= bits
            reference[k].allDashed = reference[k].allDashed && pen.split
            if pen.priority > reference[k].priority {
                reference[k].priority = pen.priority
                reference[k].style = pen.style
            }
        }
        for (a, b, pen) in segments {
            g.segment(a, b, pen)
            if a.y == b.y {
                for x in min(a.x, b.x)..<max(a.x, b.x) {
                    mark(x, a.y, GraphCanvas.right, pen)
                    mark(x + 1, a.y, GraphCanvas.left, pen)
                }
            } else {
                for y in min(a.y, b.y)..<max(a.y, b.y) {
                    mark(a.x, y, GraphCanvas.down, pen)
                    mark(a.x, y + 1, GraphCanvas.up, pen)
                }
            }
        }
        #expect(g.cells == reference)
        #expect(reference.contains { $0.mask != 0 }, "the segments reach the screen")
    }
}
