import Kube
import KubeCore
import Mesh
import SMI
import Testing

@testable import App

/// Navigation as a state machine, without AppState: event → state and actions, with the graph,
/// layout, size and rows it reads given as its environment. (AppTests drive the same machine
/// through keys, the mouse and reduce; these pin each transition, at the edges too.)
@Suite("navigation state machine")
struct NavigationTests {
    static let books = NodeID.service("shop", "books")
    static let web = NodeID.service("shop", "web")
    static let lonely = NodeID.service("shop", "books-v3")

    /// The bookstore of AppTests' `loaded()` as a graph: web, books (the split's root), its two
    /// backends and their workloads, and books-v3, which selects nothing and is in no split.
    static let graph: MeshGraph = {
        var store = MeshStore()
        store.replaceAll(
            .service,
            [
                service("web", #""app":"web""#), service("books", #""app":"books""#), service("books-v1", #""v":"1""#),
                service("books-v2", #""v":"2""#), service("books-v3", #""v":"3""#),
            ])
        store.replaceAll(
            .deployment,
            [
                deployment("web", #""app":"web""#), deployment("books-v1", #""app":"books","v":"1""#),
                deployment("books-v2", #""app":"books","v":"2""#),
            ])
        store.replaceAll(.trafficSplit, [split([90, 10], rv: "7")])
        return MeshGraph.build(store: store, observedEdges: [TrafficEdgeKey]())
    }()
    static let layout = Layout.compute(graph)

    /// The machine, what it reads, and the rows its tables show.
    struct Harness {
        var nav = Navigation()
        var env: NavigationEnvironment

        init(size: TermSize = TermSize(columns: 120, rows: 40)) {
            env = NavigationEnvironment(size: size, graph: NavigationTests.graph, layout: NavigationTests.layout, legendLine: 40, helpLines: 50)
        }

        @discardableResult
        mutating func send(_ event: NavigationEvent) -> [NavigationAction] { nav.handle(event, env) }

        /// What the tables show from now on (as after a delta).
        mutating func rows(_ services: Int, splits: Int = 0) {
            let s = (0..<services).map { DetailTarget.service(ObjectRef(namespace: "shop", name: "svc-\($0)")) }
            let t = (0..<splits).map { DetailTarget.split(.trafficSplit("shop", "split-\($0)")) }
            env.rows = { $0 == .services ? s : t }
        }

        var servicesRow: Int { nav.table(.services).selectedRow }
        var servicesScroll: Int { nav.table(.services).scroll }

        /// A layout as `AppState` would make for a changed graph, then the event that says so.
        mutating func graphChanged(to g: MeshGraph, focusKept: Bool = false) {
            env.graph = g
            env.layout = Layout.compute(g)
            send(.graphChanged(focusKept: focusKept, layoutChanged: true))
        }
    }

    /// The column (same layer, top to bottom) of a node in the fixture's layout.
    static func column(of n: NodeID) -> [NodeID] {
        let l = layout.layers[n]
        return layout.layers.filter { $0.value == l }.map(\.key).sorted { layout.order[$0]! < layout.order[$1]! }
    }

    // MARK: views and help

    @Test func viewsSwitchAndHelpReturnsWhereItWasOpened() {
        var h = Harness()
        #expect(h.nav.view == .graph)
        h.send(.show(.services))
        #expect(h.nav.view == .services && h.nav.currentTable == .services)
        h.send(.openHelp)
        #expect(h.nav.view == .help && h.nav.previousView == .services && h.nav.helpScroll == 0)
        // Another view from help does not become where help returns to.
        h.send(.show(.help))
        #expect(h.nav.previousView == .services)
        h.send(.closeHelp)
        #expect(h.nav.view == .services)
        h.send(.show(.graph))
        #expect(h.nav.view == .graph && h.nav.previousView == .services && h.nav.currentTable == nil)
        // `i` opens help at the legend; `:help` opens it where it was scrolled.
        h.send(.openLegend)
        #expect(h.nav.view == .help && h.nav.previousView == .graph && h.nav.helpScroll == 40)
        h.send(.closeHelp)
        h.send(.show(.help))
        #expect(h.nav.view == .help && h.nav.helpScroll == 40)
    }

    @Test func helpScrollStopsAtTheFirstAndLastLine() {
        var h = Harness()
        h.send(.openHelp)
        #expect(h.send(.scrollHelp(by: -1, bounded: true)).isEmpty)
        #expect(h.nav.helpScroll == 0)
        for _ in 0..<60 { h.send(.scrollHelp(by: 1, bounded: true)) }
        #expect(h.nav.helpScroll == 49)
        // The wheel is bounded above by what the help view draws, not here; a key brings it back.
        h.send(.mouse(MouseEvent(.scrollDown, x: 5, y: 5)))
        #expect(h.nav.helpScroll == 52)
        h.send(.scrollHelp(by: 1, bounded: true))
        #expect(h.nav.helpScroll == 49)
        for _ in 0..<20 { h.send(.mouse(MouseEvent(.scrollUp, x: 5, y: 5))) }
        #expect(h.nav.helpScroll == 0)
        // Help without lines: nothing to scroll to.
        h.env.helpLines = 0
        h.send(.scrollHelp(by: 1, bounded: true))
        #expect(h.nav.helpScroll == 0)
    }

    // MARK: graph selection

    @Test func theFirstArrowSelectsTheFirstNodeAndArrowsStopAtTheColumnsEnds() throws {
        var h = Harness()
        let first = try #require(h.env.firstNode)
        #expect(Self.layout.layers[first] == 0 && Self.layout.order[first] == Self.column(of: first).map { Self.layout.order[$0]! }.min())
        #expect(h.send(.move(.down)).isEmpty)
        #expect(h.nav.selection == .node(first))
        // Up at the top of the column: stays.
        #expect(h.send(.move(.up)).isEmpty)
        #expect(h.nav.selection == .node(first))
        let column = Self.column(of: first)
        for _ in 0..<(column.count + 3) { h.send(.move(.down)) }
        #expect(h.nav.selection == .node(column.last!))
        h.send(.move(.up))
        #expect(h.nav.selection == .node(column[column.count - 2]))
    }

    @Test func leftAndRightFollowEdgesAndSayWhenThereAreNone() {
        var h = Harness()
        h.send(.select(Self.books))
        #expect(h.send(.move(.left)) == [.say("no caller")])
        #expect(h.nav.selection == .node(Self.books))
        h.send(.move(.right))
        let callee = h.nav.selection?.node
        #expect(Self.graph.outgoingEdges(Self.books).map(\.id.to).contains { $0 == callee })
        h.send(.move(.left))
        #expect(callee.map { Self.graph.incomingEdges($0).map(\.id.from).contains { .node($0) == h.nav.selection } } == true)
        h.send(.select(Self.lonely))
        #expect(h.send(.move(.right)) == [.say("no callee")])
        #expect(h.send(.move(.left)) == [.say("no caller")])
        #expect(h.nav.selection == .node(Self.lonely))
    }

    @Test func tabWalksANodesEdgesAndArrowsLeaveAnEdgeForItsEnds() throws {
        var h = Harness()
        #expect(h.send(.nextEdge).isEmpty, "nothing selected: no edge")
        #expect(h.nav.selection == nil)
        h.send(.select(Self.books))
        let edges = (Self.graph.outgoingEdges(Self.books) + Self.graph.incomingEdges(Self.books)).map(\.id)
        try #require(edges.count >= 2)
        var seen: [EdgeID] = []
        for _ in edges {
            h.send(.nextEdge)
            guard case .edge(let e)? = h.nav.selection else { break }
            seen.append(e)
        }
        #expect(seen == edges)
        h.send(.nextEdge)
        #expect(h.nav.selection == .edge(edges[0]), "Tab wraps around")
        h.send(.move(.right))
        #expect(h.nav.selection == .node(edges[0].to))
        h.send(.select(Self.books))
        h.send(.nextEdge)
        h.send(.move(.left))
        #expect(h.nav.selection == .node(edges[0].from))
        h.send(.select(Self.lonely))
        #expect(h.send(.nextEdge) == [.say("no edges")])
        #expect(h.nav.selection == .node(Self.lonely))
    }

    // MARK: focus and view mode

    @Test func focusTakesTheSelectedNodeOrAnEdgesCallerAndGoesWithIt() {
        var h = Harness()
        #expect(h.send(.toggleFocus) == [.say("select a node to focus on")])
        #expect(h.nav.focus == nil)
        h.send(.select(Self.books))
        #expect(h.send(.toggleFocus) == [.visibleGraphChanged])
        #expect(h.nav.focus == Self.books)
        #expect(h.send(.toggleFocus) == [.visibleGraphChanged])
        #expect(h.nav.focus == nil)
        h.send(.nextEdge)
        h.send(.toggleFocus)
        #expect(h.nav.focus == Self.books && h.nav.selection == .node(Self.books))
        // The rebuilt graph no longer has it (another view mode, a deleted service): focus goes.
        h.send(.graphChanged(focusKept: true, layoutChanged: false))
        #expect(h.nav.focus == Self.books)
        h.send(.graphChanged(focusKept: false, layoutChanged: false))
        #expect(h.nav.focus == nil)
    }

    @Test func theViewModeCyclesAndAsksForTheGraphAgain() {
        var h = Harness()
        var modes: [GraphViewMode] = []
        for _ in 0..<3 {
            let a = h.send(.cycleGraphView)
            #expect(a == [.visibleGraphChanged, .say("graph: " + h.nav.graphViewMode.label)])
            modes.append(h.nav.graphViewMode)
        }
        #expect(modes == [.workloads, .services, .both])
    }

    // MARK: pan

    @Test func panIsClampedToTheLayoutAndTheBody() throws {
        // 40×12: a body of 40×8 (two header and two footer rows), narrower than the layout.
        var h = Harness(size: TermSize(columns: 40, rows: 12))
        let (lw, lh) = (Self.layout.width, Self.layout.height)
        try #require(lw > 40 && lh > 8, "the fixture's layout must be larger than the body")
        h.send(.pan(dx: -8, dy: -4))
        #expect(h.nav.pan == .zero)
        for _ in 0..<50 { h.send(.pan(dx: 8, dy: 4)) }
        #expect(h.nav.pan == CellPoint(x: lw - 40, y: lh - 8))
        h.send(.pan(dx: Int.max, dy: Int.max))
        #expect(h.nav.pan == CellPoint(x: lw - 40, y: lh - 8), "no overflow past the end")
        // A larger terminal: the pan comes back so the layout fills the body.
        h.env.size = TermSize(columns: 400, rows: 200)
        h.send(.resized)
        #expect(h.nav.pan == .zero)
        // The wheel pans the graph by three rows.
        h.env.size = TermSize(columns: 40, rows: 12)
        h.send(.mouse(MouseEvent(.scrollDown, x: 1, y: 3)))
        #expect(h.nav.pan == CellPoint(x: 0, y: 3))
    }

    @Test func anOpenDetailPaneNarrowsTheBodyThePanIsClampedTo() throws {
        var h = Harness(size: TermSize(columns: 60, rows: 12))
        let lw = Self.layout.width
        try #require(lw > 60)
        for _ in 0..<50 { h.send(.pan(dx: 8, dy: 0)) }
        #expect(h.nav.pan.x == lw - 60)
        h.send(.select(Self.web))
        h.send(.openDetail)
        #expect(h.nav.detailShown)
        // 60 columns: the pane takes 30, the body keeps 30.
        for _ in 0..<50 { h.send(.pan(dx: 8, dy: 0)) }
        #expect(h.nav.pan.x == lw - 30)
    }

    @Test func arrowsAndTheFiltersMatchPanTheLeastToShowTheBoxAClickDoesNot() throws {
        var h = Harness(size: TermSize(columns: 40, rows: 12))
        let far = try #require(Self.layout.boxes.max { $0.value.maxX < $1.value.maxX })
        try #require(far.value.maxX > 40)
        // A click-like select where the node is: no pan (the box need not be on screen).
        h.send(.select(far.key))
        #expect(h.nav.selection == .node(far.key) && h.nav.pan == .zero)
        h.send(.select(try #require(h.env.firstNode)))
        // The filter's first match is panned to, the least needed.
        h.send(.setFilter(far.key.object.key))
        h.send(.filterSubmitted(far.key.object.key))
        let shown = try #require(h.nav.selection?.node.flatMap { Self.layout.boxes[$0] })
        #expect(shown.x >= h.nav.pan.x && shown.maxX <= h.nav.pan.x + 40 && h.nav.pan.x > 0)
        #expect(h.nav.pan.x == min(shown.x, shown.maxX - 40))
        // An arrow back to the first column pans back to its box's left edge.
        for _ in 0..<4 { h.send(.move(.left)) }
        let back = try #require(h.nav.selection?.node.flatMap { Self.layout.boxes[$0] })
        #expect(back.x >= h.nav.pan.x && back.maxX <= h.nav.pan.x + 40)
    }

    // MARK: detail pane

    @Test func enterOpensTheDetailPaneAndASplitsPaneOpensTheEditor() throws {
        var h = Harness()
        #expect(h.send(.openDetail).isEmpty)
        #expect(!h.nav.detailOpen, "nothing selected: no pane")
        h.send(.select(Self.books))
        h.send(.openDetail)
        #expect(h.nav.detailOpen && h.nav.detail == .node(Self.books))
        // With the pane open, the selection is described as it moves.
        h.send(.move(.right))
        #expect(h.nav.detail == h.nav.selection?.node.map(DetailTarget.node))
        h.send(.select(Self.books))
        let splitEdge = try #require(Self.graph.outgoingEdges(Self.books).map(\.id).first { if case .split = $0.kind { true } else { false } })
        while h.nav.selection != .edge(splitEdge) { h.send(.nextEdge) }
        #expect(h.nav.detail == .edge(splitEdge))
        // Enter on a split edge describes the split; Enter again opens its editor.
        #expect(h.send(.openDetail).isEmpty)
        #expect(h.nav.detail == .split(booksID))
        #expect(h.send(.openDetail) == [.openEditor(booksID)])
        #expect(h.nav.detailOpen)
    }

    @Test func escClosesThePaneThenLeavesTheEdgeThenClearsTheFilter() {
        var h = Harness()
        h.send(.setFilter("books"))
        #expect(h.nav.graphFilter == "books" && h.nav.currentFilter == "books")
        h.send(.select(Self.books))
        h.send(.nextEdge)
        h.send(.openDetail)
        guard case .edge(let e)? = h.nav.selection else {
            Issue.record("Tab selects an edge")
            return
        }
        h.send(.closeDetail)
        #expect(!h.nav.detailOpen && h.nav.selection == .edge(e))
        h.send(.closeDetail)
        #expect(h.nav.selection == .node(e.from) && h.nav.graphFilter == "books")
        h.send(.closeDetail)
        #expect(h.nav.graphFilter == "")
    }

    @Test func aSelectionWhoseObjectVanishedFallsBackAndThePaneIsKeptToSayItIsGone() {
        var h = Harness()
        h.send(.select(Self.lonely))
        h.send(.openDetail)
        #expect(h.nav.detail == .node(Self.lonely))
        // books-v3 deleted: the graph is rebuilt without it.
        h.graphChanged(to: Self.graph.subgraph(keeping: Set(Self.graph.nodes.map(\.id)).subtracting([Self.lonely])))
        #expect(h.nav.selection == h.env.firstNode.map(GraphSelection.node))
        #expect(h.nav.selection != .node(Self.lonely))
        #expect(h.nav.detailOpen && h.nav.detail == .node(Self.lonely), "the pane stays on what was described (it says it is gone)")
        h.send(.closeDetail)
        #expect(!h.nav.detailOpen)
        // An edge that went leaves its caller selected.
        var k = Harness()
        k.send(.select(Self.books))
        k.send(.nextEdge)
        guard case .edge(let e)? = k.nav.selection else {
            Issue.record("Tab selects an edge")
            return
        }
        k.graphChanged(to: Self.graph.subgraph(keeping: [e.from]))
        #expect(k.nav.selection == .node(e.from))
        // Nothing left: nothing selected.
        k.graphChanged(to: MeshGraph())
        #expect(k.nav.selection == nil)
    }

    @Test func aResetForgetsSelectionFocusPanAndPaneButNotTheViewOrTables() {
        var h = Harness(size: TermSize(columns: 40, rows: 12))
        h.send(.select(Self.books))
        h.send(.toggleFocus)
        h.send(.pan(dx: 8, dy: 4))
        h.send(.openDetail)
        h.send(.show(.services))
        h.send(.setFilter("x"))
        h.send(.reset)
        #expect(h.nav.selection == nil && h.nav.focus == nil && h.nav.pan == .zero && !h.nav.detailOpen && h.nav.detail == nil)
        #expect(h.nav.view == .services && h.nav.table(.services).filter == "x")
    }

    @Test func theFilterLinesEnterSelectsTheFirstMatchingNodeInTheGraphOnly() {
        var h = Harness()
        h.send(.setFilter("books-v2"))
        h.send(.filterSubmitted("books-v2"))
        #expect(h.nav.selection?.node?.name == "books-v2")
        h.send(.setFilter("nothing-matches"))
        h.send(.filterSubmitted("nothing-matches"))
        #expect(h.nav.selection?.node?.name == "books-v2")
        var t = Harness()
        t.send(.show(.services))
        t.send(.setFilter("books"))
        t.send(.filterSubmitted("books"))
        #expect(t.nav.selection == nil && t.nav.graphFilter == "" && t.nav.table(.services).filter == "books")
    }

    // MARK: tables

    @Test func rowMovesStopAtTheFirstAndLastRowAndTheScrollFollows() {
        // 40×12: 8 body rows, one of them the column header: 7 rows visible.
        var h = Harness(size: TermSize(columns: 40, rows: 12))
        h.rows(20)
        h.send(.show(.services))
        h.send(.moveRow(by: -1))
        #expect(h.servicesRow == 0 && h.servicesScroll == 0)
        for _ in 0..<7 { h.send(.moveRow(by: 1)) }
        #expect(h.servicesRow == 7 && h.servicesScroll == 1)
        h.send(.moveRow(by: Int.max / 2))
        #expect(h.servicesRow == 19 && h.servicesScroll == 13)
        h.send(.moveRow(by: 1))
        #expect(h.servicesRow == 19)
        // A page is the body less two rows.
        h.send(.pageRows(down: false))
        #expect(h.servicesRow == 13 && h.servicesScroll == 13)
        h.send(.pageRows(down: false))
        #expect(h.servicesRow == 7 && h.servicesScroll == 7)
        h.send(.moveRow(by: -Int.max / 2))
        #expect(h.servicesRow == 0 && h.servicesScroll == 0)
        // The other table keeps its own place; the graph has no rows to move.
        #expect(h.nav.table(.splits).selectedRow == 0)
        h.send(.show(.graph))
        h.send(.moveRow(by: 3))
        #expect(h.servicesRow == 0)
        // No rows: row 0.
        h.send(.show(.services))
        h.rows(0)
        h.send(.moveRow(by: 3))
        #expect(h.servicesRow == 0)
    }

    @Test func whenRowsDisappearAfterADeltaTheNextMoveLandsOnARowThatIsThere() {
        var h = Harness()
        h.rows(5, splits: 5)
        h.send(.show(.splits))
        h.send(.moveRow(by: 4))
        #expect(h.nav.table(.splits).selectedRow == 4)
        // Three splits deleted: row 4 is past the end. Nothing opens from it.
        h.rows(5, splits: 2)
        #expect(h.send(.openRow).isEmpty)
        #expect(h.nav.table(.splits).selectedRow == 4, "the row is only moved by a move (the view clamps what it draws)")
        h.send(.moveRow(by: 1))
        #expect(h.nav.table(.splits).selectedRow == 1)
        #expect(h.send(.openRow) == [.openEditor(.trafficSplit("shop", "split-1"))])
        // Every row gone.
        h.rows(5, splits: 0)
        h.send(.moveRow(by: -1))
        #expect(h.nav.table(.splits).selectedRow == 0)
        #expect(h.send(.openRow).isEmpty)
    }

    @Test func enterOnAServiceRowOpensItsPaneWhichThenFollowsTheRow() {
        var h = Harness()
        h.rows(3)
        h.send(.show(.services))
        h.send(.moveRow(by: 1))
        #expect(h.send(.openRow).isEmpty)
        #expect(h.nav.detailOpen && h.nav.detail == .service(ObjectRef(namespace: "shop", name: "svc-1")))
        h.send(.moveRow(by: 1))
        #expect(h.nav.detail == .service(ObjectRef(namespace: "shop", name: "svc-2")))
        h.send(.closeDetail)
        #expect(!h.nav.detailOpen)
        h.send(.moveRow(by: -2))
        #expect(h.nav.detail == .service(ObjectRef(namespace: "shop", name: "svc-2")), "a closed pane does not follow")
        // Enter with no rows: no pane.
        var e = Harness()
        e.send(.show(.services))
        e.send(.openRow)
        #expect(!e.nav.detailOpen && e.nav.detail == nil)
    }

    @Test func sortCyclesTheColumnsNumbersFirstDescendingAndSaysSo() {
        var h = Harness()
        #expect(h.send(.sort(reverse: false)).isEmpty, "the graph has no columns")
        h.send(.show(.splits))
        var seen: [TableColumn] = []
        for _ in TableColumn.columns(.splits) {
            let a = h.send(.sort(reverse: false))
            let t = h.nav.table(.splits)
            seen.append(t.sortColumn)
            #expect(t.descending == [.rps, .success, .p99].contains(t.sortColumn))
            #expect(a == [.say("sorted by \(t.sortColumn.title.lowercased())\(t.descending ? " (descending)" : "")")])
        }
        let columns = TableColumn.columns(.splits)
        #expect(columns[1] == .name, "a table starts sorted by name")
        #expect(seen == Array(columns.dropFirst(2)) + columns.prefix(2))
        #expect(h.send(.sort(reverse: true)) == [.say("sorted by name (descending)")])
        #expect(h.nav.table(.services) == TableState(), "the other table keeps its sort")
    }

    @Test func aTablesFilterStartsItsSelectionAtTheTop() {
        var h = Harness(size: TermSize(columns: 40, rows: 12))
        h.rows(30)
        h.send(.show(.services))
        h.send(.moveRow(by: 20))
        #expect(h.servicesRow == 20 && h.servicesScroll > 0)
        h.send(.setFilter("svc-2"))
        #expect(h.servicesRow == 0 && h.servicesScroll == 0 && h.nav.currentFilter == "svc-2" && h.nav.graphFilter == "")
        h.send(.closeDetail)
        #expect(h.nav.currentFilter == "")
    }

    // MARK: mouse

    @Test func clicksSelectRowsAndNodesInsideTheBodyOnly() throws {
        var h = Harness(size: TermSize(columns: 120, rows: 40))
        h.rows(10, splits: 3)
        h.send(.show(.services))
        // Row 0 of the body (y 2) is the column header; y 5 is the fourth row.
        h.send(.mouse(MouseEvent(.press, x: 3, y: 2)))
        #expect(h.servicesRow == 0)
        h.send(.mouse(MouseEvent(.press, x: 3, y: 5)))
        #expect(h.servicesRow == 2)
        h.send(.mouse(MouseEvent(.press, x: 3, y: 30)))
        #expect(h.servicesRow == 2, "below the last row")
        h.send(.mouse(MouseEvent(.press, x: 3, y: 39)))
        #expect(h.servicesRow == 2, "the footer is not the body")
        h.send(.mouse(MouseEvent(.doubleClick, x: 3, y: 4)))
        #expect(h.servicesRow == 1 && h.nav.detail == .service(ObjectRef(namespace: "shop", name: "svc-1")) && h.nav.detailOpen)
        h.send(.show(.splits))
        #expect(h.send(.mouse(MouseEvent(.doubleClick, x: 3, y: 5))) == [.openEditor(.trafficSplit("shop", "split-2"))])
        // The wheel moves rows by three.
        h.send(.show(.services))
        h.send(.mouse(MouseEvent(.scrollDown, x: 3, y: 5)))
        #expect(h.servicesRow == 4)
        // The graph: a click on a box selects it; a double click opens its pane.
        h.send(.show(.graph))
        h.send(.closeDetail)
        let (id, box) = try #require(Self.layout.boxes.min { $0.value.y == $1.value.y ? $0.value.x < $1.value.x : $0.value.y < $1.value.y })
        h.send(.mouse(MouseEvent(.press, x: box.x + 1, y: 2 + box.y + 1)))
        #expect(h.nav.selection == .node(id) && !h.nav.detailOpen)
        h.send(.mouse(MouseEvent(.doubleClick, x: box.x + 1, y: 2 + box.y + 1)))
        #expect(h.nav.detailOpen && h.nav.detail == .node(id))
    }
}
