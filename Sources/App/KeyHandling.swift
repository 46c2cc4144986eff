// Key and mouse handling: every key goes through `KeyMap`, so what help lists is what runs.

import Kube
import KubeCore
import Mesh
import SMI

extension AppState {
    mutating func handleKey(_ key: Key) -> [Effect] {
        let context = keyContext
        let action = options.keyMap.action(for: key, in: context)
        if action != .quit { quitArmed = false }
        switch context {
        case .command, .filter: return editLine(.key(key, action))
        case .editor, .diff, .confirm, .canaryConfirm:
            if action == .planRamp, let d = editor {
                openRamp(d.key, canary: d.selected)
                return []
            }
            return handleEditor(key, action)
        case .rampPlan, .rampConfirm: return handleRampForm(key, action)
        case .ramp: return handleRampView(key, action)
        case .portForward:
            if action == .forceQuit || action == .suspend { break }
            return handlePortForwardKey(action)
        default: break
        }
        guard let action else { return [] }
        switch action {
        case .quit:
            let dirty = splitEditor.dirtyKeys
            if !dirty.isEmpty && !quitArmed {
                quitArmed = true
                set("unsaved drafts: \(dirty.joined(separator: ", ")); press q again to quit", .warning)
                return []
            }
            quitting = true
            return [.quit]
        case .forceQuit:
            quitting = true
            interrupted = true
            return [.quit]
        case .suspend:
            return [.suspend]
        case .help:
            if view != .help { previousView = view }
            view = .help
            helpScroll = 0
        case .closeHelp: view = previousView
        case .scrollUp: helpScroll = max(0, helpScroll - 1)
        case .scrollDown: helpScroll = min(helpScroll + 1, max(0, options.keyMap.helpLineCount + Legend.lines.count - 1))
        case .commandMode: editLine(.openCommand)
        case .filterMode: editLine(.openFilter(currentFilter))
        case .showGraph: view = .graph
        case .showServices: view = .services
        case .showSplits: view = .splits
        case .undo: return edit(.undo)
        case .portForwardOffer: reopenPortForwardOffer()
        case .moveLeft, .moveRight, .moveUp, .moveDown: moveSelection(action)
        case .nextEdge: nextEdge()
        case .openDetail: openDetailOrEditor()
        case .closeDetail:
            if detailOpen {
                detailOpen = false
            } else if view == .graph, case .edge(let e) = selection {
                selection = .node(e.from)
            } else if !currentFilter.isEmpty {
                currentFilter = ""
            }
        case .toggleFocus: toggleFocus()
        case .cycleGraphView:
            graphViewMode = graphViewMode.next
            refreshVisibleGraph()
            revealSelection()
            set("graph: " + graphViewMode.label)
        case .legend:
            if view != .help { previousView = view }
            view = .help
            helpScroll = options.keyMap.helpLineCount
        case .panLeft: panBy(dx: -8, dy: 0)
        case .panRight: panBy(dx: 8, dy: 0)
        case .panUp: panBy(dx: 0, dy: -4)
        case .panDown: panBy(dx: 0, dy: 4)
        case .editSplit:
            if let id = splitForSelection() { edit(.open(id)) } else { set("no traffic split here", .warning) }
        case .planRamp:
            if let id = splitForSelection() { openRamp(id) } else { set("no traffic split here", .warning) }
        case .rowUp: moveRow(-1)
        case .rowDown: moveRow(1)
        case .pageUp: moveRow(-max(1, regions.body.height - 2))
        case .pageDown: moveRow(max(1, regions.body.height - 2))
        case .firstRow: moveRow(-Int.max / 2)
        case .lastRow: moveRow(Int.max / 2)
        case .sortNext, .sortReverse: sort(action)
        case .openRow: openRow()
        default: break
        }
        return []
    }

    // MARK: graph navigation

    func box(_ n: NodeID) -> Rect? { layout.boxes[n] }

    mutating func select(_ n: NodeID) {
        selection = .node(n)
        if detailOpen { detail = .node(n) }
        revealSelection()
    }

    mutating func moveSelection(_ action: Action) {
        guard let current = selection ?? firstNode().map(GraphSelection.node) else { return }
        if selection == nil {
            selection = current
            revealSelection()
            return
        }
        let node: NodeID
        switch current {
        case .node(let n): node = n
        case .edge(let e):
            if action == .moveRight { return select(e.to) }
            if action == .moveLeft { return select(e.from) }
            node = e.from
        }
        let cy = box(node).map { $0.y } ?? 0
        func nearest(_ cands: [NodeID]) -> NodeID? {
            cands.min { a, b in
                let da = abs((box(a)?.y ?? 0) - cy)
                let db = abs((box(b)?.y ?? 0) - cy)
                return da != db ? da < db : a < b
            }
        }
        switch action {
        case .moveRight:
            if let t = nearest(visibleGraph.outgoingEdges(node).map(\.id.to)) { select(t) } else { set("no callee") }
        case .moveLeft:
            if let t = nearest(visibleGraph.incomingEdges(node).map(\.id.from)) { select(t) } else { set("no caller") }
        case .moveUp, .moveDown:
            guard let l = layout.layers[node], let o = layout.order[node] else { return }
            let column = layout.layers.filter { $0.value == l }.map(\.key).sorted { layout.order[$0]! < layout.order[$1]! }
            let target = action == .moveUp ? o - 1 : o + 1
            if column.indices.contains(target) { select(column[target]) }
        default: break
        }
    }

    mutating func nextEdge() {
        let anchor: NodeID
        var after: EdgeID?
        switch selection {
        case .node(let n)?: anchor = n
        case .edge(let e)?:
            anchor = e.from
            after = e
        case nil: return
        }
        let edges = (visibleGraph.outgoingEdges(anchor) + visibleGraph.incomingEdges(anchor)).map(\.id)
        guard !edges.isEmpty else { return set("no edges") }
        var next = edges[0]
        if let after, let i = edges.firstIndex(of: after) { next = edges[(i + 1) % edges.count] }
        selection = .edge(next)
        if detailOpen { detail = .edge(next) }
    }

    mutating func openDetailOrEditor() {
        guard let sel = selection else { return }
        let target: DetailTarget
        switch sel {
        case .node(let n): target = .node(n)
        case .edge(let e):
            if case .split(let id) = e.kind { target = .split(id) } else { target = .edge(e) }
        }
        if detailOpen, detail == target, case .split(let id) = target {
            edit(.open(id))
            return
        }
        detail = target
        detailOpen = true
    }

    mutating func toggleFocus() {
        if focus != nil {
            focus = nil
        } else if let n = selection?.node ?? { if case .edge(let e)? = selection { return e.from } else { return nil } }() {
            focus = n
            selection = .node(n)
        } else {
            return set("select a node to focus on")
        }
        refreshVisibleGraph()
        revealSelection()
    }

    mutating func panBy(dx: Int, dy: Int) {
        pan.x += dx
        pan.y += dy
        clampPan()
    }

    mutating func clampPan() {
        let b = regions.body
        pan.x = min(max(0, pan.x), max(0, layout.width - b.width))
        pan.y = min(max(0, pan.y), max(0, layout.height - b.height))
    }

    /// Pans the least needed so the selected box is on screen.
    mutating func revealSelection() {
        guard
            let n = selection.flatMap({ s -> NodeID? in
                switch s {
                case .node(let n): return n
                case .edge(let e): return e.to
                }
            }), let r = box(n)
        else { return }
        let b = regions.body
        if r.x < pan.x { pan.x = r.x }
        if r.maxX > pan.x + b.width { pan.x = min(r.x, r.maxX - b.width) }
        if r.y < pan.y { pan.y = max(0, r.y - 1) }
        if r.maxY > pan.y + b.height { pan.y = min(r.y, r.maxY - b.height) }
        clampPan()
    }

    /// The split for `e`: a split edge, a split's root or backend service, or a table row.
    func splitForSelection() -> SplitID? {
        switch view {
        case .splits:
            let rows = splitRows()
            let i = tables[.splits]?.selectedRow ?? 0
            return rows.indices.contains(i) ? rows[i].id : nil
        case .services:
            let rows = serviceRows()
            let i = tables[.services]?.selectedRow ?? 0
            guard rows.indices.contains(i) else { return nil }
            return splitFor(service: rows[i].id)
        default: break
        }
        switch selection {
        case .edge(let e)?:
            if case .split(let id) = e.kind { return id }
            return nil
        case .node(let n)?:
            if n.kind == .service { return splitFor(service: n.object) }
            // A workload: the split of a service that selects it.
            for e in graph.incomingEdges(n) where e.id.kind == .selects {
                if let s = splitFor(service: e.id.from.object) { return s }
            }
            return nil
        case nil: return nil
        }
    }

    /// The split that decides where a service's traffic goes: one it is the root of (a
    /// TrafficSplit first, then a route's rule that takes all requests, then any rule), else
    /// one it is a backend of.
    func splitFor(service: ObjectRef) -> SplitID? {
        func best(_ candidates: [Dictionary<SplitID, WeightedSplit>.Element]) -> SplitID? {
            candidates.min { a, b in
                func rank(_ s: WeightedSplit) -> Int {
                    guard let r = s.route else { return 0 }
                    return r.rules[s.id.rule].matchesAll ? 1 : 2
                }
                let (ra, rb) = (rank(a.value), rank(b.value))
                return ra != rb ? ra < rb : a.key < b.key
            }?.key
        }
        if let k = best(store.splits.filter { $0.value.rootRef == service }) { return k }
        return best(store.splits.filter { $0.value.backendRefs.contains(service) })
    }

    // MARK: tables

    var currentTable: TableKind? {
        switch view {
        case .services: return .services
        case .splits: return .splits
        default: return nil
        }
    }

    var currentFilter: String {
        get { currentTable.map { tables[$0]?.filter ?? "" } ?? graphFilter }
        set {
            if let t = currentTable {
                tables[t, default: TableState()].filter = newValue
                tables[t]!.selectedRow = 0
                tables[t]!.scroll = 0
            } else {
                graphFilter = newValue
            }
        }
    }

    mutating func moveRow(_ delta: Int) {
        guard let t = currentTable else { return }
        let count = rowCount
        var s = tables[t] ?? TableState()
        s.selectedRow = count == 0 ? 0 : min(max(0, s.selectedRow + delta), count - 1)
        let visible = max(1, regions.body.height - 1)
        if s.selectedRow < s.scroll { s.scroll = s.selectedRow }
        if s.selectedRow >= s.scroll + visible { s.scroll = s.selectedRow - visible + 1 }
        tables[t] = s
        if detailOpen { syncDetailToRow() }
    }

    mutating func sort(_ action: Action) {
        guard let t = currentTable else { return }
        var s = tables[t] ?? TableState()
        if action == .sortReverse {
            s.descending.toggle()
        } else {
            let cols = AppState.columns(t)
            let i = cols.firstIndex(of: s.sortColumn) ?? -1
            s.sortColumn = cols[(i + 1) % cols.count]
            // Numbers read best largest first.
            s.descending = [.rps, .success, .p99].contains(s.sortColumn)
        }
        tables[t] = s
        set("sorted by \(s.sortColumn.title.lowercased())\(s.descending ? " (descending)" : "")")
    }

    mutating func syncDetailToRow() {
        switch currentTable {
        case .services?:
            let rows = serviceRows()
            let i = tables[.services]?.selectedRow ?? 0
            if rows.indices.contains(i) { detail = .service(rows[i].id) }
        case .splits?:
            let rows = splitRows()
            let i = tables[.splits]?.selectedRow ?? 0
            if rows.indices.contains(i) { detail = .split(rows[i].id) }
        case nil: break
        }
    }

    mutating func openRow() {
        if currentTable == .splits {
            if let id = splitForSelection() { edit(.open(id)) }
            return
        }
        syncDetailToRow()
        detailOpen = detail != nil
    }

    // MARK: mouse

    mutating func handleMouse(_ m: MouseEvent) -> [Effect] {
        guard options.mouseEnabled else { return [] }
        let r = regions
        let p = CellPoint(x: m.x, y: m.y)
        if let d = r.dialog, splitEditor.editing != nil {
            if m.action == .scrollUp || m.action == .scrollDown {
                return edit(.key(m.action == .scrollUp ? .backendUp : .backendDown))
            }
            if d.contains(p), m.action == .press {
                return edit(.select(backend: m.y - d.y - SplitEditorLayout.firstBackendRow))
            }
            return []
        }
        switch m.action {
        case .scrollUp, .scrollDown:
            let down = m.action == .scrollDown
            switch view {
            case .graph: panBy(dx: 0, dy: down ? 3 : -3)
            case .services, .splits: moveRow(down ? 3 : -3)
            case .help: helpScroll = max(0, helpScroll + (down ? 3 : -3))
            }
        case .press, .doubleClick:
            guard r.body.contains(p) else { return [] }
            switch view {
            case .graph:
                let lp = CellPoint(x: m.x - r.body.x + pan.x, y: m.y - r.body.y + pan.y)
                if let n = layout.node(at: lp) {
                    selection = .node(n)
                    if detailOpen || m.action == .doubleClick {
                        detail = .node(n)
                        detailOpen = true
                    }
                }
            case .services, .splits:
                guard let t = currentTable else { return [] }
                // Row 0 of the body is the column header.
                let row = m.y - r.body.y - 1 + (tables[t]?.scroll ?? 0)
                if m.y > r.body.y, row < rowCount {
                    tables[t, default: TableState()].selectedRow = row
                    if m.action == .doubleClick { openRow() } else if detailOpen { syncDetailToRow() }
                }
            case .help: break
            }
        case .release: break
        }
        return []
    }
}

/// Where the UI draws the split editor's rows inside `ScreenRegions.dialog`: row 0 border,
/// row 1 title, then one row per backend. Mouse clicks are mapped with the same numbers.
public enum SplitEditorLayout {
    public static let firstBackendRow = 2
}
