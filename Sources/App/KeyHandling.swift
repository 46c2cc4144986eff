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
        case .help: navigate(.openHelp)
        case .closeHelp: navigate(.closeHelp)
        case .scrollUp: navigate(.scrollHelp(by: -1, bounded: true))
        case .scrollDown: navigate(.scrollHelp(by: 1, bounded: true))
        case .commandMode: editLine(.openCommand)
        case .filterMode: editLine(.openFilter(navigation.currentFilter))
        case .showGraph: navigate(.show(.graph))
        case .showServices: navigate(.show(.services))
        case .showSplits: navigate(.show(.splits))
        case .undo: return edit(.undo)
        case .portForwardOffer: reopenPortForwardOffer()
        case .moveLeft: navigate(.move(.left))
        case .moveRight: navigate(.move(.right))
        case .moveUp: navigate(.move(.up))
        case .moveDown: navigate(.move(.down))
        case .nextEdge: navigate(.nextEdge)
        case .openDetail: return navigate(.openDetail)
        case .closeDetail: navigate(.closeDetail)
        case .toggleFocus: navigate(.toggleFocus)
        case .cycleGraphView: navigate(.cycleGraphView)
        case .legend: navigate(.openLegend)
        case .panLeft: navigate(.pan(dx: -8, dy: 0))
        case .panRight: navigate(.pan(dx: 8, dy: 0))
        case .panUp: navigate(.pan(dx: 0, dy: -4))
        case .panDown: navigate(.pan(dx: 0, dy: 4))
        case .editSplit:
            if let id = splitForSelection() { edit(.open(id)) } else { set("no traffic split here", .warning) }
        case .planRamp:
            if let id = splitForSelection() { openRamp(id) } else { set("no traffic split here", .warning) }
        case .rowUp: navigate(.moveRow(by: -1))
        case .rowDown: navigate(.moveRow(by: 1))
        case .pageUp: navigate(.pageRows(down: false))
        case .pageDown: navigate(.pageRows(down: true))
        case .firstRow: navigate(.moveRow(by: -Int.max / 2))
        case .lastRow: navigate(.moveRow(by: Int.max / 2))
        case .sortNext: navigate(.sort(reverse: false))
        case .sortReverse: navigate(.sort(reverse: true))
        case .openRow: return navigate(.openRow)
        default: break
        }
        return []
    }

    // MARK: navigation

    /// What navigation reads but does not own. The rows are asked of a copy of the state as
    /// it is before the event (no navigation event both re-sorts and reads the rows).
    var navigationEnvironment: NavigationEnvironment {
        let state = self
        return NavigationEnvironment(
            size: size, graph: visibleGraph, layout: layout, legendLine: options.keyMap.helpLineCount,
            helpLines: options.keyMap.helpLineCount + Legend.lines.count, rows: { state.rowTargets($0) })
    }

    /// The one door into navigation: hands it the event and carries out what it asks, in order.
    @discardableResult
    mutating func navigate(_ event: NavigationEvent) -> [Effect] {
        let actions: [NavigationAction]
        do {
            // The environment (a copy of the state) goes before the actions run: one of them
            // rebuilds the visible graph, which must not be kept alive twice.
            let env = navigationEnvironment
            actions = navigation.handle(event, env)
        }
        var fx: [Effect] = []
        for a in actions {
            switch a {
            case .say(let text): set(text)
            case .visibleGraphChanged:
                refreshVisibleGraph()
                navigate(.revealSelection)
            case .openEditor(let id): fx += edit(.open(id))
            }
        }
        return fx
    }

    /// What the detail pane would describe for each row of a table, in the table's order.
    func rowTargets(_ table: TableKind) -> [DetailTarget] {
        switch table {
        case .services: return serviceRows().map { .service($0.id) }
        case .splits: return splitRows().map { .split($0.id) }
        }
    }

    /// The split for `e`: a split edge, a split's root or backend service, or a table row.
    func splitForSelection() -> SplitID? {
        switch navigation.view {
        case .splits:
            let rows = splitRows()
            let i = navigation.table(.splits).selectedRow
            return rows.indices.contains(i) ? rows[i].id : nil
        case .services:
            let rows = serviceRows()
            let i = navigation.table(.services).selectedRow
            guard rows.indices.contains(i) else { return nil }
            return splitFor(service: rows[i].id)
        default: break
        }
        switch navigation.selection {
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
        return navigate(.mouse(m))
    }
}

/// Where the UI draws the split editor's rows inside `ScreenRegions.dialog`: row 0 border,
/// row 1 title, then one row per backend. Mouse clicks are mapped with the same numbers.
public enum SplitEditorLayout {
    public static let firstBackendRow = 2
}
