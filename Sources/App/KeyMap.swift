// Every key binding in one table. `reduce` dispatches through it, the help screen and the
// footer hints are drawn from it, and docs/keybindings.md is generated from it, so the three
// cannot disagree.

public enum KeyContext: String, Sendable, Hashable, CaseIterable {
    /// Active in the graph, table and help views (not in modal editors or input lines).
    case global
    case graph
    case table
    case help
    case editor
    /// The diff shown before writing.
    case diff
    /// "A controller owns this split" confirmation.
    case confirm
    /// The Flagger Canary write (`spec.suspend`) shown before it is made.
    case canaryConfirm
    /// The guarded ramp's plan form.
    case rampPlan
    /// The plan reviewed: its first write shown.
    case rampConfirm
    /// A running (or restored) ramp.
    case ramp
    /// The offer to run `kubectl port-forward` after Prometheus refused the service proxy.
    case portForward
    case command
    case filter

    public var title: String {
        switch self {
        case .global: return "Everywhere (graph, tables, help)"
        case .graph: return "Graph view"
        case .table: return "Tables (:svc, :ts)"
        case .help: return "Help"
        case .editor: return "Split editor"
        case .diff: return "Split editor: diff before writing"
        case .confirm: return "Split editor: controller warning"
        case .canaryConfirm: return "Split editor: suspend or resume the Flagger Canary"
        case .rampPlan: return "Ramp plan (R in the editor or the splits table)"
        case .rampConfirm: return "Ramp plan: before the first step"
        case .ramp: return "Ramp view"
        case .portForward: return "Prometheus refused the service proxy (403): the port-forward offer"
        case .command: return "Command line (:)"
        case .filter: return "Filter line (/)"
        }
    }
}

public enum Action: String, Sendable, Hashable, CaseIterable {
    // global
    case quit, forceQuit, suspend, help, commandMode, filterMode, showGraph, showServices, showSplits, undo
    // graph
    case moveLeft, moveRight, moveUp, moveDown, openDetail, closeDetail, toggleFocus, nextEdge, cycleGraphView, legend
    case panLeft, panRight, panUp, panDown, editSplit
    // tables
    case rowUp, rowDown, pageUp, pageDown, firstRow, lastRow, sortNext, sortReverse, openRow
    // help
    case scrollUp, scrollDown, closeHelp
    // editor
    case backendUp, backendDown, shiftToSelected, shiftFromSelected, stepUp, stepDown, setShare
    case evenSplit, promote, revert, rebase, dryRun, review, leaveEditor, canarySuspend
    // diff / confirm
    case write, backToEditor
    // guarded ramps
    case planRamp, rampFieldUp, rampFieldDown, rampCycle, rampCycleBack, rampReview, rampStart, rampCancel, rampDeleteBackward
    case rampNext, rampRollback, rampPromote, rampPause, rampDiscard, rampClose
    // metrics through kubectl port-forward
    case portForwardOffer, portForwardStart, portForwardDecline
    // command / filter line
    case complete, completePrevious, historyPrevious, historyNext, submit, cancelLine
    case deleteBackward, deleteForward, cursorLeft, cursorRight, cursorHome, cursorEnd, clearLine
}

public struct KeyBinding: Sendable, Equatable {
    public var keys: [Key]
    public var action: Action
    public var context: KeyContext
    /// One line for the help screen and docs.
    public var help: String
    /// Short label for the footer; nil = not shown there.
    public var hint: String?

    /// "↑/k" — how the keys are written in help and docs.
    public var keysText: String { keys.map(\.description).joined(separator: "/") }
}

/// The bindings in effect: the built-in table, possibly with some actions re-bound by the
/// config file. A value in `AppOptions`, so `reduce` stays a function of its state.
public struct KeyMap: Sendable, Equatable {
    public private(set) var all: [KeyBinding]
    private var table: [KeyContext: [Key: Action]]

    public init(_ bindings: [KeyBinding]) {
        all = bindings
        var t: [KeyContext: [Key: Action]] = [:]
        for binding in bindings {
            for k in binding.keys where t[binding.context]?[k] == nil { t[binding.context, default: [:]][k] = binding.action }
        }
        table = t
    }

    public static let standard = KeyMap(KeyMap.defaults)

    /// Re-binds actions: each listed action gets exactly these keys in every context where it
    /// had a binding. A key taken from another action in the same context is removed from it,
    /// so one key never means two things.
    public func overriding(_ overrides: [Action: [Key]]) -> KeyMap {
        guard !overrides.isEmpty else { return self }
        var bs = all
        for i in bs.indices {
            if let keys = overrides[bs[i].action] { bs[i].keys = keys }
        }
        for i in bs.indices where overrides[bs[i].action] == nil {
            let taken = Set(bs.filter { $0.context == bs[i].context && overrides[$0.action] != nil }.flatMap(\.keys))
            bs[i].keys.removeAll { taken.contains($0) }
        }
        return KeyMap(bs)
    }

    /// The action a key triggers in a context. Context bindings win over global ones; modal
    /// contexts (editor, diff, confirm, command, filter) see no global bindings except Ctrl-C
    /// and Ctrl-Z, which work everywhere as they do in any terminal program.
    public func action(for key: Key, in context: KeyContext) -> Action? {
        if let a = table[context]?[key] { return a }
        switch context {
        case .graph, .table, .help, .global: return table[.global]?[key]
        default:
            if key == .ctrl("c") { return .forceQuit }
            return key == .ctrl("z") ? .suspend : nil
        }
    }

    public func bindings(in context: KeyContext) -> [KeyBinding] { all.filter { $0.context == context && !$0.keys.isEmpty } }

    /// Footer hints for a context: its own hinted bindings, then the global ones that apply.
    public func hints(for context: KeyContext) -> [(keys: String, label: String)] {
        var out = bindings(in: context).compactMap { b in b.hint.map { (b.keysText, $0) } }
        if [.graph, .table, .help].contains(context) {
            out += bindings(in: .global).compactMap { b in b.hint.map { (b.keysText, $0) } }
        }
        return out
    }
}

extension KeyMap {
    private static func b(
        _ keys: [Key], _ action: Action, _ context: KeyContext, _ help: String, _ hint: String? = nil
    )
        -> KeyBinding
    {
        KeyBinding(keys: keys, action: action, context: context, help: help, hint: hint)
    }

    public static var all: [KeyBinding] { standard.all }

    static let defaults: [KeyBinding] = [
        b([.char("q")], .quit, .global, "quit smitop", "quit"),
        b([.ctrl("c")], .forceQuit, .global, "quit at once, from anywhere, exit status 130 (drafts stay saved for the next start)"),
        b([.ctrl("z")], .suspend, .global, "suspend to the shell, from anywhere (`fg` resumes; drafts stay)"),
        b([.char("?"), .function(1)], .help, .global, "show this help", "help"),
        b([.char(":")], .commandMode, .global, "command mode (:graph :svc :ts :ns :ctx :theme :q)", "cmd"),
        b([.char("/")], .filterMode, .global, "filter by name: substring, or a regex when it has regex syntax", "filter"),
        b([.char("1")], .showGraph, .global, "graph view (same as :graph)"),
        b([.char("2")], .showServices, .global, "services table (same as :svc)"),
        b([.char("3")], .showSplits, .global, "traffic splits table (same as :ts)"),
        b(
            [.char("u")], .undo, .global,
            "undo the last write smitop made: shows its diff, y writes it (a new write, checked against the server's version)", "undo"),
        b(
            [.char("F")], .portForwardOffer, .global,
            "after Prometheus refused smitop (403): offer again to run kubectl port-forward to it (or show the running one)"),

        b([.left, .char("h")], .moveLeft, .graph, "select a caller (follow an incoming edge)"),
        b([.right, .char("l")], .moveRight, .graph, "select a callee (follow an outgoing edge)"),
        b([.up, .char("k")], .moveUp, .graph, "select the node above in the same column"),
        b([.down, .char("j")], .moveDown, .graph, "select the node below in the same column", "move"),
        b([.tab], .nextEdge, .graph, "select the next edge of the selected node", "edge"),
        b([.enter], .openDetail, .graph, "open the detail pane for the selection", "detail"),
        b([.esc], .closeDetail, .graph, "close the detail pane / leave edge selection"),
        b([.char("f")], .toggleFocus, .graph, "focus on the selected node's neighbourhood (again: whole graph)", "focus"),
        b([.char("e")], .editSplit, .graph, "edit the traffic split of the selected service or edge", "edit"),
        b([.char("R")], .planRamp, .graph, "guarded ramp of the selected split: plan one, or open the running one"),
        b([.char("v")], .cycleGraphView, .graph, "view: workloads and services → workloads only → services only", "view"),
        b([.char("i")], .legend, .graph, "legend: what the boxes, lines, marks and colours mean (also at the end of this help)"),
        b([.char("H")], .panLeft, .graph, "pan left"),
        b([.char("L")], .panRight, .graph, "pan right"),
        b([.char("K")], .panUp, .graph, "pan up"),
        b([.char("J")], .panDown, .graph, "pan down"),

        b([.up, .char("k")], .rowUp, .table, "previous row"),
        b([.down, .char("j")], .rowDown, .table, "next row", "move"),
        b([.pageUp], .pageUp, .table, "page up"),
        b([.pageDown], .pageDown, .table, "page down"),
        b([.home, .char("g")], .firstRow, .table, "first row"),
        b([.end, .char("G")], .lastRow, .table, "last row"),
        b([.char("s"), .right], .sortNext, .table, "sort by the next column", "sort"),
        b([.char("S")], .sortReverse, .table, "reverse the sort order"),
        b([.enter], .openRow, .table, "open the detail pane (on a split: the editor)", "open"),
        b([.char("e")], .editSplit, .table, "edit the selected split", "edit"),
        b([.char("R")], .planRamp, .table, "guarded ramp of the selected split: plan one, or open the running one", "ramp"),
        b([.esc], .closeDetail, .table, "close the detail pane / clear the filter"),

        b([.up, .char("k")], .scrollUp, .help, "scroll up"),
        b([.down, .char("j")], .scrollDown, .help, "scroll down"),
        b([.esc, .char("q")], .closeHelp, .help, "close help", "close"),

        b([.up, .char("k")], .backendUp, .editor, "select the previous backend"),
        b([.down, .char("j")], .backendDown, .editor, "select the next backend", "select"),
        b([.right, .char("l")], .shiftToSelected, .editor, "move one step of share to the selected backend, taken from the others in proportion", "shift"),
        b([.left, .char("h")], .shiftFromSelected, .editor, "move one step of share from the selected backend to the others in proportion"),
        b([.char("+")], .stepUp, .editor, "larger step (1, 5, 10, 25 points)", "step"),
        b([.char("-")], .stepDown, .editor, "smaller step"),
        b((0...9).map { Key.char(Character(String($0))) }, .setShare, .editor, "set the selected backend's share to 0 %, 10 % … 90 %"),
        b([.char("=")], .evenSplit, .editor, "even split", "even"),
        b([.char("p")], .promote, .editor, "promote: 100 % to the selected backend", "promote"),
        b([.char("r")], .revert, .editor, "revert the draft to the server's weights", "revert"),
        b([.char("o")], .rebase, .editor, "after a conflict: keep your weights on top of the server's new version"),
        b([.char("d")], .dryRun, .editor, "server-side dry run of the draft", "dry-run"),
        b([.enter], .review, .editor, "show the diff (then y writes)", "diff"),
        b([.char("u")], .undo, .editor, "undo the last write smitop made: shows its diff, y writes it"),
        b([.char("R")], .planRamp, .editor, "guarded ramp with the selected backend as the canary (or open the running ramp)", "ramp"),
        b([.esc, .char("q")], .leaveEditor, .editor, "leave the editor (the draft is kept)", "leave"),
        b(
            [.char("S")], .canarySuspend, .editor,
            "Flagger-owned split: read its Canary and offer to suspend it (or, once suspended, resume it); shown before y writes it"),

        b([.char("y")], .write, .diff, "write the change (merge patch with the resourceVersion read)", "write"),
        b([.esc, .char("n"), .char("q")], .backToEditor, .diff, "back to the editor (an undo: cancel it)", "back"),

        b([.char("y")], .write, .confirm, "write anyway although a controller may undo it", "write anyway"),
        b([.esc, .char("n"), .char("q")], .backToEditor, .confirm, "cancel", "cancel"),
        b([.char("S")], .canarySuspend, .confirm, "Flagger-owned: suspend the Canary first (shown, then y), then back to the diff", "suspend Canary"),

        b(
            [.char("y")], .write, .canaryConfirm,
            "write spec.suspend to the Canary (merge patch with the resourceVersion read; a 409 is shown, never retried)", "write"),
        b([.esc, .char("n"), .char("q")], .backToEditor, .canaryConfirm, "cancel: nothing is written to the Canary", "cancel"),

        b([.up], .rampFieldUp, .rampPlan, "previous field"),
        b([.down, .tab], .rampFieldDown, .rampPlan, "next field", "field"),
        b([.right], .rampCycle, .rampPlan, "canary and mode: next choice", "choose"),
        b([.left], .rampCycleBack, .rampPlan, "canary and mode: previous choice"),
        b([.backspace], .rampDeleteBackward, .rampPlan, "delete the last character of the field (type to add)"),
        b([.enter], .rampReview, .rampPlan, "check the plan and show its first write", "review"),
        b([.esc, .char("q")], .rampCancel, .rampPlan, "cancel the plan (nothing is written)", "cancel"),

        b([.char("y")], .rampStart, .rampConfirm, "start the ramp: write step 1 (a guarded write)", "start"),
        b([.esc, .char("n"), .char("q")], .rampCancel, .rampConfirm, "back to the plan", "back"),

        b([.char("n"), .enter], .rampNext, .ramp, "take the proposed step (before the gates held: twice); a restored ramp: resume", "next"),
        b([.char("b")], .rampRollback, .ramp, "roll back to the weights before the ramp (a guarded write)", "rollback"),
        b([.char("p")], .rampPromote, .ramp, "promote: the target share at once", "promote"),
        b([.char(" ")], .rampPause, .ramp, "pause, or resume (the step's wait starts over)", "pause"),
        b([.char("x")], .rampDiscard, .ramp, "discard a restored or finished ramp (never a running one)"),
        b([.esc, .char("q")], .rampClose, .ramp, "close the view; a running ramp goes on (R reopens it)", "close"),

        b(
            [.char("y")], .portForwardStart, .portForward,
            "run `kubectl port-forward -n NS svc/NAME :PORT` (kubectl from PATH, this context's kubeconfig) and read metrics through it; it stops when smitop quits or switches context",
            "start it"),
        b([.esc, .char("n")], .portForwardDecline, .portForward, "not now: nothing is started (F offers it again)", "not now"),

        b([.tab], .complete, .command, "complete (again: next candidate)", "complete"),
        b([.backTab], .completePrevious, .command, "previous candidate"),
        b([.up], .historyPrevious, .command, "previous command", "history"),
        b([.down], .historyNext, .command, "next command"),
        b([.enter], .submit, .command, "run the command", "run"),
        b([.esc], .cancelLine, .command, "cancel", "cancel"),
        b([.backspace], .deleteBackward, .command, "delete before the cursor"),
        b([.delete], .deleteForward, .command, "delete at the cursor"),
        b([.left], .cursorLeft, .command, "cursor left"),
        b([.right], .cursorRight, .command, "cursor right"),
        b([.home, .ctrl("a")], .cursorHome, .command, "start of line"),
        b([.end, .ctrl("e")], .cursorEnd, .command, "end of line"),
        b([.ctrl("u")], .clearLine, .command, "clear the line"),

        b([.enter], .submit, .filter, "keep the filter", "apply"),
        b([.esc], .cancelLine, .filter, "clear the filter", "clear"),
        b([.up], .historyPrevious, .filter, "previous filter"),
        b([.down], .historyNext, .filter, "next filter"),
        b([.backspace], .deleteBackward, .filter, "delete before the cursor"),
        b([.delete], .deleteForward, .filter, "delete at the cursor"),
        b([.left], .cursorLeft, .filter, "cursor left"),
        b([.right], .cursorRight, .filter, "cursor right"),
        b([.home, .ctrl("a")], .cursorHome, .filter, "start of line"),
        b([.end, .ctrl("e")], .cursorEnd, .filter, "end of line"),
        b([.ctrl("u")], .clearLine, .filter, "clear the line"),
    ]

    public static func action(for key: Key, in context: KeyContext) -> Action? { standard.action(for: key, in: context) }
    public static func bindings(in context: KeyContext) -> [KeyBinding] { standard.bindings(in: context) }
    public static func hints(for context: KeyContext) -> [(keys: String, label: String)] { standard.hints(for: context) }

    /// docs/keybindings.md, generated.
    public static func markdown() -> String {
        var s = "# smitop key bindings\n\n"
        s += "Generated from `KeyMap.all` (Sources/App/KeyMap.swift); do not edit by hand.\n"
        for c in KeyContext.allCases {
            let bs = bindings(in: c)
            guard !bs.isEmpty else { continue }
            s += "\n## \(c.title)\n\n| keys | action |\n|---|---|\n"
            for b in bs { s += "| `\(b.keysText)` | \(b.help) |\n" }
        }
        s +=
            "\n## Commands (`:`)\n\nTab completes command names, namespaces, contexts and themes; ↑/↓ walk the history.\n\n| command | what it does |\n|---|---|\n"
        for c in CommandSpec.help { s += "| `\(c.usage)` | \(c.text) |\n" }
        s +=
            "\n## Mouse\n\nClick a node, edge label or table row to select it; double-click opens it; the wheel scrolls (pans the graph). `--no-mouse` turns mouse handling off.\n"
        s += "\n## Legend of the graph (`i`, and the end of `?`)\n\n```\n"
        for l in Legend.lines.dropFirst() { s += l + "\n" }
        s += "```\n"
        return s
    }
}

extension KeyMap {
    /// Lines of the key part of the help (a title, the bindings and a blank line per context):
    /// where the legend starts, for `i`.
    public var helpLineCount: Int {
        KeyContext.allCases.reduce(0) { n, c in
            let k = bindings(in: c).count
            return n + (k == 0 ? 0 : k + 2)
        }
    }
}

/// What the graph's shapes, lines, marks and colours mean: the last part of the help, and what
/// `i` shows. Symbols are given for Unicode and for ASCII terminals (`LC_ALL=C`).
public enum Legend {
    public static func lines(ascii: Bool) -> [String] {
        let (h, d, a, tl, rtl) = ascii ? ("-", ".", ">", "+", "+") : ("─", "╌", "▸", "┌", "╭")
        return [
            "Legend",
            "  \(rtl)svc\(h)\(h)\(h)\(h)\(h)  a service: rounded corners, tagged svc (its metrics: the workloads it selects)",
            "  \(tl)deploy\(h)\(h)  a workload: square corners, tagged deploy; ns/name when in another namespace",
            "  \(h)\(h)\(h)\(a)      traffic seen between workloads, labelled rps and success rate",
            "  \(d)\(d)\(d)\(a)      a split: root service to a backend, labelled with its configured share",
            "  \(h)\(h)\(h)       a service to the workloads it selects (no label)",
            "  \(ascii ? "+" : "✓") ! \(ascii ? "x" : "✗") ?    healthy, warning, critical (success rate against the thresholds), no metrics",
            "  colours        green/yellow/red follow the marks; splits in the split colour; selection highlighted",
            "  \(ascii ? "< > ^ v" : "◂ ▸ ▴ ▾")  at the screen's edge: more graph that way (pan with H J K L)",
            "  v              workloads and services / workloads only / services only",
        ]
    }
    public static var lines: [String] { lines(ascii: false) }
}
