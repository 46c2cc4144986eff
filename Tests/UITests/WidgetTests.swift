import Mesh
import Testing

@testable import UI

@Suite struct WidgetTests {
    @Test func sparklineScalesToMaxAndLeavesGaps() {
        #expect(Widgets.sparkline([0, 4, nil, 8], width: 4, glyphs: .unicode) == "▁▅ █")
        #expect(Widgets.sparkline([1, 2], width: 4, glyphs: .unicode) == "  ▅█")
        #expect(Widgets.sparkline([0, 0], width: 2, glyphs: .unicode) == "▁▁")
        #expect(Widgets.sparkline([1, .nan, 2, 3, 4], width: 3, glyphs: .ascii).count == 3)
        #expect(Widgets.sparkline([1], width: 0, glyphs: .unicode) == "")
    }

    @Test func weightBarUsesEighths() {
        let half = Widgets.weightBar(fraction: 0.5, width: 10, glyphs: .unicode)
        #expect(half.filled == "█████" && half.empty == "·····")
        let eighth = Widgets.weightBar(fraction: 1.0 / 80, width: 10, glyphs: .unicode)
        #expect(eighth.filled == "▏")
        for f in [-1.0, 0, 0.33, 1, 2, .nan, .infinity] {
            let b = Widgets.weightBar(fraction: f, width: 7, glyphs: .unicode)
            #expect(TextWidth.width(b.filled + b.empty) == 7)
        }
    }

    @Test func edgesCrossingMergeIntoJunctions() {
        // a → d and b → c cross in the gap between the two columns.
        let nodes = [
            GraphCanvas.Node(rect: Rect(x: 0, y: 0, width: 5, height: 3), title: "a"),
            GraphCanvas.Node(rect: Rect(x: 0, y: 6, width: 5, height: 3), title: "b"),
            GraphCanvas.Node(rect: Rect(x: 15, y: 0, width: 5, height: 3), title: "c"),
            GraphCanvas.Node(rect: Rect(x: 15, y: 6, width: 5, height: 3), title: "d"),
        ]
        let edges = [
            GraphCanvas.Edge(from: 0, to: 3, health: .healthy), GraphCanvas.Edge(from: 1, to: 2, health: .critical),
            GraphCanvas.Edge(from: 0, to: 2, split: true),
        ]
        var b = CellBuffer(width: 20, height: 9)
        GraphCanvas(nodes: nodes, edges: edges).draw(&b, b.bounds, glyphs: .unicode)
        Snapshot.check(b, "canvas-crossing")
        #expect(b.row(1).contains("┬"), "a's two edges leave through one junction:\n\(b.text)")
        #expect(b.row(4).contains("│"))
        #expect(b.row(1).contains("▸") && b.row(7).contains("▸"))
        Invariants.check(b)
    }

    @Test func splitEdgesAreDashedOnlyWhereNoOtherEdgeRuns() {
        let nodes = [
            GraphCanvas.Node(rect: Rect(x: 0, y: 0, width: 4, height: 3), title: "r"),
            GraphCanvas.Node(rect: Rect(x: 14, y: 4, width: 4, height: 3), title: "v2"),
        ]
        var b = CellBuffer(width: 18, height: 7)
        GraphCanvas(nodes: nodes, edges: [GraphCanvas.Edge(from: 0, to: 1, label: "10%", health: .healthy, split: true)])
            .draw(&b, b.bounds, glyphs: .unicode)
        #expect(b.text.contains("╌") || b.text.contains("╎"), "\(b.text)")
        #expect(b.text.contains("✓ 10%") || b.text.contains("✓ 1"), "health marker beside the label:\n\(b.text)")
        Snapshot.check(b, "canvas-split")
    }

    @Test func pannedCanvasClipsBoxesAndWideTitles() {
        let nodes = [GraphCanvas.Node(rect: Rect(x: 0, y: 0, width: 10, height: 3), title: "日本語サービス", health: .warning)]
        for ox in -3...12 {
            var b = CellBuffer(width: 8, height: 3)
            GraphCanvas(nodes: nodes, edges: [], origin: (ox, 0)).draw(&b, Rect(x: 1, y: 0, width: 6, height: 3), glyphs: .unicode)
            Invariants.check(b)
            #expect(b.row(0).first == " " && b.row(0).last == " ", "nothing outside the view rect")
        }
    }

    @Test func tableKeepsSelectionVisibleAndShowsSortAndScrollHints() {
        let rows = (0..<50).map { [TableWidget.Cell("row\($0)"), TableWidget.Cell("\($0)")] }
        let t = TableWidget(
            columns: [.init("NAME", width: 6, flexible: true), .init("N", width: 3, align: .right)], rows: rows,
            selected: 30, sortColumn: 1, sortAscending: false)
        var b = CellBuffer(width: 14, height: 6)
        t.draw(&b, b.bounds, glyphs: .unicode)
        Snapshot.check(b, "table-scrolled")
        #expect(b.row(0).contains("N▼"))
        #expect(b.text.contains("row30"))
        #expect(b[0, 5].style.role == .selection, "selected row is the last visible one")
        #expect(TableWidget.scrollOffset(selected: 0, rowCount: 50, visible: 5, current: 20) == 0)
        #expect(TableWidget.scrollOffset(selected: 49, rowCount: 50, visible: 5, current: 0) == 45)
        #expect(TableWidget.scrollOffset(selected: nil, rowCount: 3, visible: 5, current: 9) == 0)
    }

    @Test func inputScrollsToKeepTheCursorVisible() {
        var b = CellBuffer(width: 10, height: 1)
        Widgets.input(&b, b.bounds, prompt: ":", text: "namespace 日本語 long", cursor: 18, style: Style(.input), promptStyle: Style(.input))
        #expect(b.cursor != nil)
        #expect(b.cursor!.x < 10)
        #expect(b.row(0).hasPrefix(":"))
        Invariants.check(b)
        var c = CellBuffer(width: 10, height: 1)
        Widgets.input(&c, c.bounds, prompt: "/", text: "ab", cursor: 1, style: Style(.input), promptStyle: Style(.input))
        #expect(c.cursor!.x == 2)
    }

    @Test func dialogFitsAnyArea() {
        for w in 0...40 {
            for h in 0...8 {
                var b = CellBuffer(width: w, height: h)
                Widgets.dialog(
                    &b, in: b.bounds, title: "write?", lines: [("a long line of dialog text", Style(.dialog))],
                    buttons: ["y write", "n back"], glyphs: .unicode)
                Invariants.check(b)
            }
        }
    }
}
