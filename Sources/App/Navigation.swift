// Where the user is looking, as a sub-model of AppState: the view, the graph's selection,
// focus, view mode and pan, the detail pane, the help scroll, and each table's sort, filter,
// selected row and scroll. A value-type state machine like the split editor and the line
// editor: `handle(event, env) -> [NavigationAction]`, and every field is `private(set)`, so
// each transition is in this file. What navigation reads but does not own (the visible graph
// and its layout, the terminal size, the rows each table shows) comes in as a
// `NavigationEnvironment`; AppState carries out the actions (`AppState.navigate`).
//
// One sub-model rather than a navigation and a tables model: the tables' filter, row moves and
// the detail pane are one piece of state (a row move re-aims an open detail pane, Esc closes
// the pane before it clears a table's filter, the filter line edits the graph's filter or the
// table's by the view), so two models would have to send each other events for every key.

import KubeCore
import Mesh

public enum ViewKind: String, Sendable, Equatable, CaseIterable {
    case graph, services, splits, help
}

/// Which nodes the graph shows, as linkerd viz users expect to choose: the call graph of
/// workloads, the services and their splits, or both with the selector edges between them.
public enum GraphViewMode: String, Sendable, Hashable, CaseIterable {
    case both, workloads, services

    public var next: GraphViewMode {
        switch self {
        case .both: return .workloads
        case .workloads: return .services
        case .services: return .both
        }
    }

    public var label: String {
        switch self {
        case .both: return "workloads and services"
        case .workloads: return "workloads only"
        case .services: return "services only"
        }
    }
}

/// What is selected in the graph.
public enum GraphSelection: Sendable, Hashable {
    case node(NodeID)
    case edge(EdgeID)
    public var node: NodeID? {
        if case .node(let n) = self { return n }
        return nil
    }
}

/// What the detail pane describes.
public enum DetailTarget: Sendable, Hashable {
    case node(NodeID)
    case edge(EdgeID)
    case split(SplitID)
    case service(ObjectRef)
}

public enum TableKind: String, Sendable, Hashable, CaseIterable {
    case services, splits
}

public enum TableColumn: String, Sendable, Hashable, CaseIterable {
    case namespace, name, service, backends, rps, success, p99, controller
    /// Services table: `spec.type`, the ports, and the splits the service is root or backend of.
    case type, ports, splits
    public var title: String {
        switch self {
        case .type: return "TYPE"
        case .ports: return "PORTS"
        case .splits: return "SPLITS"
        case .namespace: return "NAMESPACE"
        case .name: return "NAME"
        case .service: return "ROOT"
        case .backends: return "BACKENDS"
        case .rps: return "RPS"
        case .success: return "SUCCESS"
        case .p99: return "P99"
        case .controller: return "CONTROLLER"
        }
    }

    /// Columns each table shows and sorts by, in order.
    public static func columns(_ table: TableKind) -> [TableColumn] {
        switch table {
        case .services: return [.namespace, .name, .type, .ports, .splits, .rps, .success, .p99]
        case .splits: return [.namespace, .name, .service, .backends, .rps, .success, .p99, .controller]
        }
    }
}

/// One table's sort, filter, selected row and scroll. A plain value (views and row sorting
/// take one); inside `Navigation.tables` it is changed only by `Navigation.handle`.
public struct TableState: Sendable, Equatable {
    public var sortColumn: TableColumn = .name
    public var descending = false
    /// `/` filter text. Substring (case-insensitive) unless it contains regex syntax
    /// (`^$*+?()[]{}|\`) and compiles, then a case-insensitive regex; see `FilterMatcher`.
    public var filter = ""
    /// Index into the filtered, sorted rows.
    public var selectedRow = 0
    /// First visible row.
    public var scroll = 0
    public init() {}
}

/// An arrow key in the graph.
public enum SelectionMove: Sendable, Equatable {
    /// To a caller / a callee (the nearest by height); from an edge, to its ends.
    case left, right
    /// To the box above or below in the same layer.
    case up, down
}

/// What navigation is told: keys (already mapped by the key map), `:` commands, the mouse,
/// the filter line, and changes to what it reads (a new layout, a new size, a cleared scope).
public enum NavigationEvent: Sendable, Equatable {
    /// A view (`1` `2` `3`, `:graph` `:svc` `:ts`; `:help` opens help where it was scrolled).
    case show(ViewKind)
    /// `?`: help from the top.
    case openHelp
    /// `i`: help, scrolled to the legend.
    case openLegend
    /// Esc or `?` in help: back to the view help was opened from.
    case closeHelp
    /// Help scroll; `bounded`: not past the last line (keys), else only not above the first
    /// (the wheel; the help view clamps what it draws).
    case scrollHelp(by: Int, bounded: Bool)
    /// Selects a node where it is, as a click does (no pan); an open detail pane follows.
    case select(NodeID)
    /// An arrow key in the graph.
    case move(SelectionMove)
    /// Tab: the next edge of the selected node.
    case nextEdge
    /// Enter in the graph: the detail pane for the selection; on an open split's pane, the editor.
    case openDetail
    /// Esc: close the detail pane, else leave an edge for its caller, else clear the filter.
    case closeDetail
    /// `f`: the selected node's neighbourhood only, or again the whole graph.
    case toggleFocus
    /// `v`: both → workloads → services.
    case cycleGraphView
    /// H J K L: pan by cells, clamped to the layout.
    case pan(dx: Int, dy: Int)
    /// Table row moves: by rows (clamped to the rows there are), or a page down or up.
    case moveRow(by: Int)
    case pageRows(down: Bool)
    /// `s` (next column) and `S` (reverse) in a table.
    case sort(reverse: Bool)
    /// Enter in a table: the row's detail pane; on a split, the editor.
    case openRow
    /// The `/` line's text, after every edit: the current table's filter (its selection back
    /// to the top), or the graph's.
    case setFilter(String)
    /// Enter on the `/` line: in the graph, the first match is selected.
    case filterSubmitted(String)
    /// A mouse event outside any dialog (AppState sends the editor's own).
    case mouse(MouseEvent)
    /// The terminal changed size: the pan is clamped again and the selection kept in view.
    case resized
    /// Pan the least needed so the selection is on screen (after the visible graph changed).
    case revealSelection
    /// The visible graph was rebuilt; `focusKept`: the focus node is still in it;
    /// `layoutChanged`: the layout was recomputed. A selection that vanished goes.
    case graphChanged(focusKept: Bool, layoutChanged: Bool)
    /// Another namespace or context: nothing selected, focused, panned or described.
    case reset
}

public enum NavigationAction: Sendable, Equatable {
    /// A footer message (info level).
    case say(String)
    /// Focus or the graph view mode changed: AppState rebuilds the visible graph from them,
    /// then sends `.revealSelection`.
    case visibleGraphChanged
    /// Open the split editor on this split.
    case openEditor(SplitID)
}

/// What navigation reads but does not own.
public struct NavigationEnvironment {
    /// The terminal size: the body and the detail pane are cut from it as `ScreenRegions` does.
    public var size: TermSize
    /// The graph as shown (the scope or the focus neighbourhood) and its layout.
    public var graph: MeshGraph
    public var layout: GraphLayout
    /// The help line the legend starts at (`i`), and the help's length (scroll bound).
    public var legendLine: Int
    public var helpLines: Int
    /// The rows a table shows (filtered and sorted), as what the detail pane would describe
    /// for each. Asked only by the transitions that need them (row moves, clicks, Enter).
    public var rows: (TableKind) -> [DetailTarget]

    public init(
        size: TermSize, graph: MeshGraph = MeshGraph(), layout: GraphLayout = .empty, legendLine: Int = 0,
        helpLines: Int = 0, rows: @escaping (TableKind) -> [DetailTarget] = { _ in [] }
    ) {
        self.size = size
        self.graph = graph
        self.layout = layout
        self.legendLine = legendLine
        self.helpLines = helpLines
        self.rows = rows
    }

    /// The first node of the first layer, where a selection starts.
    public var firstNode: NodeID? {
        layout.order.filter { layout.layers[$0.key] == 0 }.min { $0.value < $1.value }?.key ?? graph.nodes.first?.id
    }
}

public struct Navigation: Sendable, Equatable {
    public private(set) var view: ViewKind = .graph
    /// Where `Esc`/`?` return to from help.
    public private(set) var previousView: ViewKind = .graph
    public private(set) var selection: GraphSelection?
    /// `f`: show only this node's neighbourhood.
    public private(set) var focus: NodeID?
    /// `v`: workloads and services, workloads only, or services only.
    public private(set) var graphViewMode = GraphViewMode.both
    /// Top-left layout cell shown at the body's origin.
    public private(set) var pan = CellPoint.zero
    public private(set) var tables: [TableKind: TableState] = [.services: TableState(), .splits: TableState()]
    /// Graph filter (`/` in the graph view): non-matching nodes are dimmed.
    public private(set) var graphFilter = ""
    public private(set) var detailOpen = false
    public private(set) var detail: DetailTarget?
    /// Help screen scroll.
    public private(set) var helpScroll = 0
    public init() {}

    /// The table on screen, if the view is one.
    public var currentTable: TableKind? {
        switch view {
        case .services: return .services
        case .splits: return .splits
        default: return nil
        }
    }

    /// The filter the `/` line edits: the current table's, or the graph's.
    public var currentFilter: String { currentTable.map { table($0).filter } ?? graphFilter }

    public func table(_ kind: TableKind) -> TableState { tables[kind] ?? TableState() }

    /// The detail pane takes part of the screen (`ScreenRegions.detail`).
    public var detailShown: Bool { detailOpen && detail != nil }

    /// The body rect for this terminal size, the detail pane open or not.
    func body(_ env: NavigationEnvironment) -> Rect {
        ScreenRegions.cut(size: env.size, detailShown: detailShown).body
    }

    public mutating func handle(_ event: NavigationEvent, _ env: NavigationEnvironment) -> [NavigationAction] {
        switch event {
        case .show(let v):
            if v == .help && view != .help { previousView = view }
            view = v
        case .openHelp:
            if view != .help { previousView = view }
            view = .help
            helpScroll = 0
        case .openLegend:
            if view != .help { previousView = view }
            view = .help
            helpScroll = env.legendLine
        case .closeHelp: view = previousView
        case .scrollHelp(let by, let bounded):
            var s = max(0, Self.adding(helpScroll, by))
            if bounded && by > 0 { s = min(s, max(0, env.helpLines - 1)) }
            helpScroll = s
        case .select(let n):
            selection = .node(n)
            if detailOpen { detail = .node(n) }
        case .move(let m): return move(m, env)
        case .nextEdge: return nextEdge(env)
        case .openDetail: return openDetail()
        case .closeDetail:
            if detailOpen {
                detailOpen = false
            } else if view == .graph, case .edge(let e) = selection {
                selection = .node(e.from)
            } else if !currentFilter.isEmpty {
                setFilter("")
            }
        case .toggleFocus:
            if focus != nil {
                focus = nil
            } else if let n = selection?.node ?? { if case .edge(let e)? = selection { return e.from } else { return nil } }() {
                focus = n
                selection = .node(n)
            } else {
                return [.say("select a node to focus on")]
            }
            return [.visibleGraphChanged]
        case .cycleGraphView:
            graphViewMode = graphViewMode.next
            return [.visibleGraphChanged, .say("graph: " + graphViewMode.label)]
        case .pan(let dx, let dy): panBy(dx: dx, dy: dy, env)
        case .moveRow(let by): moveRow(by, env)
        case .pageRows(let down):
            let page = max(1, body(env).height - 2)
            moveRow(down ? page : -page, env)
        case .sort(let reverse): return sort(reverse: reverse)
        case .openRow: return openRow(env)
        case .setFilter(let text): setFilter(text)
        case .filterSubmitted(let text):
            guard view == .graph, !text.isEmpty else { break }
            let f = FilterMatcher(graphFilter)
            if let n = env.graph.nodes.first(where: { f.matches($0.id.object.key) }) { select(n.id, env) }
        case .mouse(let m): return mouse(m, env)
        case .resized:
            clampPan(env)
            revealSelection(env)
        case .revealSelection: revealSelection(env)
        case .graphChanged(let focusKept, let layoutChanged):
            if !focusKept { focus = nil }
            if layoutChanged { clampPan(env) }
            // Keep the selection valid: an edge that went leaves its caller selected.
            switch selection {
            case .node(let n) where env.graph.index[n] == nil: selection = nil
            case .edge(let e) where env.graph.edgeIndex(of: e) == nil:
                selection = env.graph.index[e.from] != nil ? .node(e.from) : nil
            default: break
            }
            if selection == nil, let first = env.firstNode { selection = .node(first) }
        case .reset:
            selection = nil
            focus = nil
            pan = .zero
            detail = nil
            detailOpen = false
        }
        return []
    }

    /// `a + b`, stopping at the ends of Int: every move is clamped afterwards, and a huge
    /// move (first and last row are half of Int) must not wrap to the other end.
    static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int.max : Int.min) : sum
    }

    // MARK: graph

    /// Selects a node and pans to it (arrows, the filter's first match).
    private mutating func select(_ n: NodeID, _ env: NavigationEnvironment) {
        selection = .node(n)
        if detailOpen { detail = .node(n) }
        revealSelection(env)
    }

    private mutating func move(_ m: SelectionMove, _ env: NavigationEnvironment) -> [NavigationAction] {
        guard let current = selection ?? env.firstNode.map(GraphSelection.node) else { return [] }
        if selection == nil {
            selection = current
            revealSelection(env)
            return []
        }
        let layout = env.layout
        let node: NodeID
        switch current {
        case .node(let n): node = n
        case .edge(let e):
            if m == .right {
                select(e.to, env)
                return []
            }
            if m == .left {
                select(e.from, env)
                return []
            }
            node = e.from
        }
        let cy = layout.boxes[node].map { $0.y } ?? 0
        func nearest(_ cands: [NodeID]) -> NodeID? {
            cands.min { a, b in
                let da = abs((layout.boxes[a]?.y ?? 0) - cy)
                let db = abs((layout.boxes[b]?.y ?? 0) - cy)
                return da != db ? da < db : a < b
            }
        }
        switch m {
        case .right:
            guard let t = nearest(env.graph.outgoingEdges(node).map(\.id.to)) else { return [.say("no callee")] }
            select(t, env)
        case .left:
            guard let t = nearest(env.graph.incomingEdges(node).map(\.id.from)) else { return [.say("no caller")] }
            select(t, env)
        case .up, .down:
            guard let l = layout.layers[node], let o = layout.order[node] else { return [] }
            let column = layout.layers.filter { $0.value == l }.map(\.key).sorted { (layout.order[$0] ?? 0) < (layout.order[$1] ?? 0) }
            let target = m == .up ? o - 1 : o + 1
            if column.indices.contains(target) { select(column[target], env) }
        }
        return []
    }

    private mutating func nextEdge(_ env: NavigationEnvironment) -> [NavigationAction] {
        let anchor: NodeID
        var after: EdgeID?
        switch selection {
        case .node(let n)?: anchor = n
        case .edge(let e)?:
            anchor = e.from
            after = e
        case nil: return []
        }
        let edges = (env.graph.outgoingEdges(anchor) + env.graph.incomingEdges(anchor)).map(\.id)
        guard !edges.isEmpty else { return [.say("no edges")] }
        var next = edges[0]
        if let after, let i = edges.firstIndex(of: after) { next = edges[(i + 1) % edges.count] }
        selection = .edge(next)
        if detailOpen { detail = .edge(next) }
        return []
    }

    private mutating func openDetail() -> [NavigationAction] {
        guard let sel = selection else { return [] }
        let target: DetailTarget
        switch sel {
        case .node(let n): target = .node(n)
        case .edge(let e):
            if case .split(let id) = e.kind { target = .split(id) } else { target = .edge(e) }
        }
        // Enter again on a split's open pane: the editor.
        if detailOpen, detail == target, case .split(let id) = target { return [.openEditor(id)] }
        detail = target
        detailOpen = true
        return []
    }

    private mutating func panBy(dx: Int, dy: Int, _ env: NavigationEnvironment) {
        pan.x = Self.adding(pan.x, dx)
        pan.y = Self.adding(pan.y, dy)
        clampPan(env)
    }

    private mutating func clampPan(_ env: NavigationEnvironment) {
        let b = body(env)
        pan.x = min(max(0, pan.x), max(0, env.layout.width - b.width))
        pan.y = min(max(0, pan.y), max(0, env.layout.height - b.height))
    }

    /// Pans the least needed so the selected box (an edge's callee) is on screen.
    private mutating func revealSelection(_ env: NavigationEnvironment) {
        guard
            let n = selection.flatMap({ s -> NodeID? in
                switch s {
                case .node(let n): return n
                case .edge(let e): return e.to
                }
            }), let r = env.layout.boxes[n]
        else { return }
        let b = body(env)
        if r.x < pan.x { pan.x = r.x }
        if r.maxX > pan.x + b.width { pan.x = min(r.x, r.maxX - b.width) }
        if r.y < pan.y { pan.y = max(0, r.y - 1) }
        if r.maxY > pan.y + b.height { pan.y = min(r.y, r.maxY - b.height) }
        clampPan(env)
    }

    // MARK: tables

    private mutating func setFilter(_ text: String) {
        if let t = currentTable {
            var s = table(t)
            s.filter = text
            s.selectedRow = 0
            s.scroll = 0
            tables[t] = s
        } else {
            graphFilter = text
        }
    }

    private mutating func moveRow(_ delta: Int, _ env: NavigationEnvironment) {
        guard let t = currentTable else { return }
        let rows = env.rows(t)
        var s = table(t)
        // Clamped to the rows there are now: rows that went with a delta are skipped here.
        s.selectedRow = rows.isEmpty ? 0 : min(max(0, Self.adding(s.selectedRow, delta)), rows.count - 1)
        let visible = max(1, body(env).height - 1)
        if s.selectedRow < s.scroll { s.scroll = s.selectedRow }
        if s.selectedRow >= s.scroll + visible { s.scroll = s.selectedRow - visible + 1 }
        tables[t] = s
        if detailOpen { aimDetailAtRow(rows) }
    }

    private mutating func sort(reverse: Bool) -> [NavigationAction] {
        guard let t = currentTable else { return [] }
        var s = table(t)
        if reverse {
            s.descending.toggle()
        } else {
            let cols = TableColumn.columns(t)
            let i = cols.firstIndex(of: s.sortColumn) ?? -1
            s.sortColumn = cols[(i + 1) % cols.count]
            // Numbers read best largest first.
            s.descending = [.rps, .success, .p99].contains(s.sortColumn)
        }
        tables[t] = s
        return [.say("sorted by \(s.sortColumn.title.lowercased())\(s.descending ? " (descending)" : "")")]
    }

    /// The detail pane describes the selected row (unchanged when there is no such row).
    private mutating func aimDetailAtRow(_ rows: [DetailTarget]) {
        guard let t = currentTable else { return }
        let i = table(t).selectedRow
        if rows.indices.contains(i) { detail = rows[i] }
    }

    private mutating func openRow(_ env: NavigationEnvironment) -> [NavigationAction] {
        guard let t = currentTable else {
            detailOpen = detail != nil
            return []
        }
        let rows = env.rows(t)
        if t == .splits {
            let i = table(t).selectedRow
            if rows.indices.contains(i), case .split(let id) = rows[i] { return [.openEditor(id)] }
            return []
        }
        aimDetailAtRow(rows)
        detailOpen = detail != nil
        return []
    }

    // MARK: mouse

    private mutating func mouse(_ m: MouseEvent, _ env: NavigationEnvironment) -> [NavigationAction] {
        let area = body(env)
        let p = CellPoint(x: m.x, y: m.y)
        switch m.action {
        case .scrollUp, .scrollDown:
            let down = m.action == .scrollDown
            switch view {
            case .graph: panBy(dx: 0, dy: down ? 3 : -3, env)
            case .services, .splits: moveRow(down ? 3 : -3, env)
            case .help: helpScroll = max(0, Self.adding(helpScroll, down ? 3 : -3))
            }
        case .press, .doubleClick:
            guard area.contains(p) else { return [] }
            switch view {
            case .graph:
                let lp = CellPoint(x: m.x - area.x + pan.x, y: m.y - area.y + pan.y)
                if let n = env.layout.node(at: lp) {
                    selection = .node(n)
                    if detailOpen || m.action == .doubleClick {
                        detail = .node(n)
                        detailOpen = true
                    }
                }
            case .services, .splits:
                guard let t = currentTable else { return [] }
                // Row 0 of the body is the column header.
                guard m.y > area.y else { return [] }
                let rows = env.rows(t)
                let row = m.y - area.y - 1 + table(t).scroll
                if row < rows.count {
                    tables[t, default: TableState()].selectedRow = row
                    if m.action == .doubleClick { return openRow(env) }
                    if detailOpen { aimDetailAtRow(rows) }
                }
            case .help: break
            }
        case .release: break
        }
        return []
    }
}
