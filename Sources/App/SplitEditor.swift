// The split editor: drafts of splits' weights (a TrafficSplit or one route rule), the writes
// in flight and the journal of smitop's own writes, as one value-type state machine:
// `SplitEditor.handle(event, environment) -> [EditorAction]`. AppState's reduce turns keys and
// answers into events and the actions into effects (App/Writes.swift); every phase change of
// a draft is made in this file (`phase` is settable nowhere else), so the machine's
// transitions can be read, and are tested (SplitEditorMachineTests), in one place.
// Edits go through SMI's exact integer operations, so totals are preserved and notation
// (quantity strings vs integers) is kept. The draft remembers the server object it started
// from (`base`) and, if the server moves on while editing, the new one (`theirs`), so a
// write is always a merge patch against a known resourceVersion.

import Kube
import KubeCore
import Mesh
import SMI

public enum EditorPhase: Sendable, Equatable {
    case editing
    /// Enter: showing the diff; `y` writes.
    case reviewing
    /// The split is controller-owned: `y` again to write anyway, Esc/`n` to go back.
    case confirmController(ControllerInfo)
    /// The route is overridden by a Linkerd ServiceProfile (named here): its weights do not
    /// decide traffic. `y` again to write anyway, Esc/`n` to go back.
    case confirmOverride(String)
    case writing(requestID: Int)
    case dryRunning(requestID: Int)
    /// `S`: reading the owning Flagger Canary (`readBack`: after writing it, to confirm).
    case canaryReading(requestID: Int, readBack: Bool)
    /// The Canary write shown; `y` sends it, Esc/`n` goes back with nothing written.
    case confirmCanary(CanaryPlan)
    case canaryWriting(requestID: Int, plan: CanaryPlan)
}

/// An undo waiting for its `y`: where to return when it is written or abandoned.
public struct UndoReview: Sendable, Equatable {
    /// The split whose editor was open when `u` was pressed (nil: none was).
    public var returnTo: SplitID?
    public init(returnTo: SplitID?) { self.returnTo = returnTo }
}

public struct SplitDraft: Sendable, Equatable {
    /// The steps `+`/`-` cycle through, in share points.
    public static let steps = [1, 5, 10, 25]

    public var key: SplitID
    /// The server object when the draft started (or was last reverted/rebased/written).
    public var base: WeightedSplit
    /// Your weights ("yours"): `base` with edited weights.
    public var working: WeightedSplit
    /// The server object now, when it changed after `base` (a concurrent writer, a 409).
    public var theirs: WeightedSplit?
    /// Index of the selected backend.
    public var selected = 0
    /// Share points moved by ←/→.
    public var step = 5
    /// Set only by the transitions in this file (`SplitEditor.handle`, `revert`, `abandonUndo`).
    public fileprivate(set) var phase: EditorPhase = .editing
    public var lastDryRun: DryRunOutcome?
    /// Set after a 409: the server's message; `theirs` holds what changed.
    public var conflict: String?
    /// Editor status line (last action, refusal, result).
    public var notice: String?
    /// The controller warning was acknowledged for this draft.
    public var controllerAcknowledged = false
    /// The ServiceProfile override was acknowledged for this draft.
    public var overrideAcknowledged = false
    /// A write failed after it may have reached the server (the connection broke mid-request):
    /// not resent blindly; the split is re-read and compared with these weights first.
    public var unknownOutcome = false
    /// This draft is an undo under review (`u`): `y` writes it as the undo of the journal's
    /// last write, and backing out (Esc, `n`, `q`) drops it and returns where `u` was pressed.
    public var undo: UndoReview?
    /// The owning Flagger Canary as last read back after smitop wrote it (App/Canary.swift).
    public var canary: CanaryReading?
    /// `S` was pressed in the controller warning: a confirmed suspend returns to the diff.
    public var canaryFromConfirm = false

    public init(split: WeightedSplit) {
        key = split.id
        base = split
        working = split
    }

    /// A TrafficSplit's draft (tests, and splits decoded from a cluster).
    public init(split: TrafficSplit) { self.init(split: WeightedSplit(split)) }

    public var ref: SplitRef { SplitRef(base) }

    /// The draft differs from the server object it is based on.
    public var isDirty: Bool { working.backends != base.backends }

    public var shares: [Fraction?] { working.analysis.shares }

    // MARK: edits (pure; errors become the notice)

    public mutating func moveSelection(_ delta: Int) {
        guard !working.backends.isEmpty else { return }
        selected = min(max(selected + delta, 0), working.backends.count - 1)
    }

    public mutating func cycleStep(up: Bool) {
        let i = Self.steps.firstIndex(of: step) ?? 1
        step = Self.steps[up ? min(i + 1, Self.steps.count - 1) : max(i - 1, 0)]
        notice = "step \(step)%"
    }

    /// ←/→: move `step` points of share to (positive) or from (negative) the selected backend.
    public mutating func shift(towardSelected: Bool) {
        let points = Fraction(Int128(towardSelected ? step : -step))
        let i = selected
        edit { (s) throws(WeightEditError) in try s.shifting(points: points, to: i) }
    }

    /// `0`…`9`: the selected backend gets digit × 10 %.
    public mutating func setShare(tens digit: Int) {
        let i = selected
        edit { (s) throws(WeightEditError) in try s.settingShare(Fraction(Int128(digit * 10)), of: i) }
    }

    public mutating func evenSplit() { edit { (s) throws(WeightEditError) in try s.evenSplit() } }

    public mutating func promote() {
        let i = selected
        edit { (s) throws(WeightEditError) in try s.promoting(i) }
    }

    /// Esc, `n` or `q` on an undo under review: the undo is dropped, nothing is written.
    public mutating func abandonUndo() {
        working = theirs ?? base
        base = working
        theirs = nil
        undo = nil
        phase = .editing
        notice = "undo cancelled: nothing was written"
    }

    /// `r`: back to the server's weights (the newest server object known).
    public mutating func revert() {
        let server = theirs ?? base
        base = server
        working = server
        theirs = nil
        conflict = nil
        lastDryRun = nil
        phase = .editing
        selected = min(selected, max(0, server.backends.count - 1))
        notice = "reverted to the server's weights"
    }

    /// `o`: keep your weights but base them on the server's newer version (so the next write
    /// carries its resourceVersion). Only when the backend list is the same.
    public mutating func rebaseOntoTheirs() -> Bool {
        guard let t = theirs else { return false }
        guard t.backends.map(\.service) == working.backends.map(\.service) else {
            notice = "the server changed the backend list; revert (r) to start from it"
            return false
        }
        working = t.with(weights: working.backends.map(\.weight))
        base = t
        theirs = nil
        conflict = nil
        notice = "your weights now apply to the server's version \(t.meta.resourceVersion ?? "")"
        return true
    }

    /// The server object changed (watch event or reload). Same resourceVersion as `base` or
    /// the same as what we just wrote: nothing to report.
    public mutating func serverChanged(_ split: WeightedSplit) {
        if split.meta.resourceVersion == base.meta.resourceVersion && split.backends == base.backends { return }
        if !isDirty && conflict == nil {
            // Nothing of ours to protect: follow the server.
            base = split
            working = split
            theirs = nil
            selected = min(selected, max(0, split.backends.count - 1))
            return
        }
        if conflict == nil, theirs == nil, split.sameWrittenContent(as: base) {
            // Only status or bookkeeping moved (a mesh reports on a route after every change):
            // the draft's weights apply to the new version unchanged, and the next write
            // carries its resourceVersion instead of meeting a 409 that protects nothing.
            working = split.with(weights: working.backends.map(\.weight))
            base = split
            return
        }
        theirs = split
        notice = "the split changed on the server (resourceVersion \(split.meta.resourceVersion ?? "?")); theirs is shown beside yours"
    }

    private mutating func edit(_ op: (WeightedSplit) throws(WeightEditError) -> WeightedSplit) {
        do {
            working = try op(working)
            lastDryRun = nil
            notice = nil
        } catch {
            notice = error.description
        }
    }
}

extension SplitDraft {
    /// The draft's edits are held by a Canary smitop suspended and read back.
    public var isHeldByCanary: Bool { canary?.suspended == true && FlaggerCanary(owning: base.meta) != nil }
}

// MARK: - The editor's state machine

/// What the split editor is told: keys (already mapped to actions by the key map), answers to
/// the requests it asked for, and changes to the server's splits.
public enum EditorEvent: Sendable, Equatable {
    /// Enter/`e` on a split: open its editor (a kept draft reopens where it was).
    case open(SplitID)
    /// A key in the editor, the diff, a warning or the Canary dialog (nil: a key bound to
    /// nothing there). `digit`: the digit typed, for `setShare`.
    case key(Action?, digit: Int? = nil)
    /// A click on a backend's row.
    case select(backend: Int)
    /// `u`: undo smitop's last write, from the editor or anywhere else.
    case undo
    /// `R` opened a ramp over the editor: the editor closes, its draft kept.
    case close
    case patchSucceeded(requestID: Int, object: JSON)
    case patchFailed(requestID: Int, error: KubeError)
    case dryRunResult(requestID: Int, result: Result<JSON, KubeError>)
    case canaryAnswered(CanaryRequest, Result<JSON, KubeError>)
    /// The store now holds these splits as the server has them (or no longer holds them):
    /// from a watch, a relist or a write's answer.
    case serverChanged([SplitID])
    /// These splits were re-read (after a 409 or a write of unknown outcome).
    case reloaded([SplitID])
    case reloadFailed(SplitID, KubeError)
    /// A guarded ramp (App/Ramps.swift) writes `target`'s weights over `base`: the same
    /// request numbering and resourceVersion guard as the editor's own writes.
    case rampWrite(SplitID, target: WeightedSplit, base: WeightedSplit)
    /// A ramp's write landed: journalled, so `u` undoes it like the editor's.
    case rampWrote(JournalEntry)
    /// Drafts and journal saved by the last session in this context.
    case restored(SessionSnapshot)
    /// Another context: drafts and journal belong to the old cluster.
    case reset
}

/// What the split editor asks for; AppState's reduce carries them out in order.
public enum EditorAction: Sendable, Equatable {
    /// Send this merge patch (a write, an undo, a dry run or a ramp step).
    case patch(PatchRequest)
    /// GET the object again (after a 409, or to settle a write of unknown outcome).
    case reload(ObjectKind, SplitRef)
    case canary(CanaryRequest)
    /// Show in the footer.
    case say(String, StatusLine.Level)
    /// A write's answer: the object as the server now holds it, for the store.
    case stored(ObjectKind, JSON)
    /// Ctrl-C: quit at once (exit 130).
    case forceQuit
    /// Ctrl-Z.
    case suspend
    /// The answer to a `.rampWrite`, for the ramp.
    case rampWriteSucceeded(SplitID, JSON)
    case rampWriteFailed(SplitID, target: WeightedSplit, KubeError)
}

/// What the editor reads but does not own.
public struct EditorEnvironment: Sendable {
    /// The clock (journal entries are stamped with it).
    public var now: Seconds
    public var readOnly: ReadOnlyState
    /// The server's objects as the store holds them: the splits, and the ServiceProfiles
    /// that override routes.
    public var store: MeshStore
    /// The step of a new draft (config `step`).
    public var defaultStep: Int
    public init(now: Seconds, readOnly: ReadOnlyState = ReadOnlyState(), store: MeshStore, defaultStep: Int = 5) {
        self.now = now
        self.readOnly = readOnly
        self.store = store
        self.defaultStep = defaultStep
    }
}

/// The editor's sub-model of AppState: every draft, the open one, the requests in flight and
/// the journal of smitop's writes. Changed only by `handle`.
public struct SplitEditor: Sendable, Equatable {
    /// Drafts by split; they survive refreshes, reconnects and leaving the editor.
    public internal(set) var drafts: [SplitID: SplitDraft] = [:]
    /// The split whose editor is open.
    public internal(set) var editing: SplitID?
    public internal(set) var journal: [JournalEntry] = []
    /// Requests in flight (the editor's and the ramps' writes) and what their answers mean.
    public internal(set) var pending: [Int: PendingRequest] = [:]
    public internal(set) var nextRequestID = 1
    public init() {}

    /// The open editor's draft.
    public var draft: SplitDraft? { editing.flatMap { drafts[$0] } }

    /// Keys of the drafts that differ from the server, sorted (for `q` and `:ctx`).
    public var dirtyKeys: [String] { drafts.values.filter(\.isDirty).map(\.key.key).sorted() }

    public mutating func handle(_ event: EditorEvent, _ env: EditorEnvironment) -> [EditorAction] {
        switch event {
        case .open(let id): return openEditor(id, env)
        case .key(let action, let digit): return key(action, digit: digit, env)
        case .select(let i):
            guard let id = editing, var d = drafts[id], d.working.backends.indices.contains(i) else { return [] }
            d.selected = i
            drafts[id] = d
            return []
        case .undo: return undo(env)
        case .close:
            editing = nil
            return []
        case .patchSucceeded(let requestID, let object): return patchSucceeded(requestID, object, env)
        case .patchFailed(let requestID, let error): return patchFailed(requestID, error, env)
        case .dryRunResult(let requestID, let result):
            guard case .dryRun(let key)? = pending[requestID] else { return [] }
            pending[requestID] = nil
            dryRunFinished(requestID, result, key: key, env)
            return []
        case .canaryAnswered(let request, let result): return canaryAnswered(request, result)
        case .serverChanged(let ids): return serverChanged(ids, env)
        case .reloaded(let ids): return ids.flatMap { settleUnknownWrite($0, env) }
        case .reloadFailed(let key, let e):
            if drafts[key]?.unknownOutcome == true {
                // Still unknown: the watch will show the server's version when the connection is
                // back, and `serverChanged` settles it then. Nothing is resent meanwhile.
                drafts[key]?.notice = "could not check whether the write reached the server (\(e.userMessage)); nothing is resent, the draft is kept"
            }
            return []
        case .rampWrite(let id, let target, let base):
            guard let request = PatchRequest.weights(id: nextRequestID, target, basedOn: base, dryRun: false) else { return [] }
            nextRequestID += 1
            pending[request.id] = .ramp(id, target)
            return [.patch(request)]
        case .rampWrote(let entry):
            journal.append(entry)
            return []
        case .restored(let s):
            for d in s.drafts where drafts[d.key] == nil || !(drafts[d.key]?.isDirty ?? false) {
                drafts[d.key] = d
                if let current = env.store.splits[d.key] { drafts[d.key]!.serverChanged(current) }
            }
            if journal.isEmpty { journal = s.journal }
            return []
        case .reset:
            drafts = [:]
            editing = nil
            journal = []
            return []
        }
    }

    // MARK: opening and keys

    private mutating func openEditor(_ id: SplitID, _ env: EditorEnvironment) -> [EditorAction] {
        guard drafts[id] != nil || env.store.splits[id] != nil else { return [.say("no split \(id)", .error)] }
        if drafts[id] == nil, let s = env.store.splits[id] {
            var d = SplitDraft(split: s)
            d.step = env.defaultStep
            drafts[id] = d
        }
        // A kept draft reopens where it was, unless it was mid-request.
        if var d = drafts[id], d.phase != .editing {
            switch d.phase {
            case .writing, .dryRunning, .canaryReading, .canaryWriting: break
            default: d.phase = .editing
            }
            drafts[id] = d
        }
        editing = id
        if env.readOnly.isReadOnly { drafts[id]!.notice = "read-only (\(env.readOnly.reason ?? "")): you can draft, not write" }
        return []
    }

    private mutating func key(_ action: Action?, digit: Int?, _ env: EditorEnvironment) -> [EditorAction] {
        guard let id = editing, var d = drafts[id] else {
            editing = nil
            return []
        }
        guard let action else { return [] }
        if action == .forceQuit { return [.forceQuit] }
        if action == .suspend { return [.suspend] }
        var out: [EditorAction] = []
        switch d.phase {
        case .writing, .dryRunning, .canaryReading, .canaryWriting:
            // While a request is in flight only leaving is allowed; the answer still lands.
            if action == .leaveEditor { editing = nil } else { d.notice = "waiting for the server…" }
        case .confirmCanary(let plan):
            switch action {
            case .write: out = writeCanary(&d, plan, env)
            case .backToEditor:
                d.phase = canaryReturn(d, suspended: false)
                d.notice = "nothing was written to the Canary"
            default: break
            }
        case .reviewing:
            switch action {
            case .write: out = write(&d, env)
            case .backToEditor: out = backOut(&d)
            default: break
            }
        case .confirmController:
            switch action {
            case .write:
                d.controllerAcknowledged = true
                out = write(&d, env)
            case .backToEditor: out = backOut(&d)
            case .canarySuspend: out = readCanary(&d, fromConfirm: true, env)
            default: break
            }
        case .confirmOverride:
            switch action {
            case .write:
                d.overrideAcknowledged = true
                out = write(&d, env)
            case .backToEditor: out = backOut(&d)
            default: break
            }
        case .editing:
            switch action {
            case .backendUp: d.moveSelection(-1)
            case .backendDown: d.moveSelection(1)
            case .shiftToSelected: d.shift(towardSelected: true)
            case .shiftFromSelected: d.shift(towardSelected: false)
            case .stepUp: d.cycleStep(up: true)
            case .stepDown: d.cycleStep(up: false)
            case .setShare:
                if let digit { d.setShare(tens: digit) }
            case .evenSplit: d.evenSplit()
            case .promote: d.promote()
            case .revert: d.revert()
            case .rebase:
                if d.theirs == nil { d.notice = "nothing to rebase onto: the server has not changed" } else { _ = d.rebaseOntoTheirs() }
            case .dryRun: out = dryRun(&d, env)
            case .review:
                if !d.isDirty {
                    d.notice = "no changes to write"
                } else {
                    d.phase = .reviewing
                }
            case .undo:
                drafts[id] = d
                return undo(env)
            case .leaveEditor: editing = nil
            case .canarySuspend: out = readCanary(&d, fromConfirm: false, env)
            default: break
            }
        }
        drafts[id] = d
        return out
    }

    /// Esc/`n`/`q` from the diff or the controller warning: back to the editor, or, for an
    /// undo under review, out of it altogether (nothing written) to where `u` was pressed.
    private mutating func backOut(_ d: inout SplitDraft) -> [EditorAction] {
        guard let u = d.undo else {
            d.phase = .editing
            return []
        }
        d.abandonUndo()
        editing = u.returnTo
        return [.say("undo cancelled: nothing was written", .info)]
    }

    // MARK: writes

    /// Why a write is not possible now, or nil.
    private func writeBlocker(_ d: SplitDraft, _ env: EditorEnvironment) -> String? {
        if env.readOnly.isReadOnly { return "read-only: \(env.readOnly.reason ?? "")" }
        if d.theirs != nil {
            return "the split changed on the server since your draft began: r takes theirs, o keeps your weights on their version"
        }
        return nil
    }

    private mutating func write(_ d: inout SplitDraft, _ env: EditorEnvironment) -> [EditorAction] {
        if let why = writeBlocker(d, env) {
            d.notice = why
            d.phase = .editing
            return []
        }
        // First what decides traffic (a write to an overridden route changes nothing the
        // mesh does until the ServiceProfile goes), then who else writes the route.
        if !d.overrideAcknowledged, let p = env.store.overrideSummary(of: d.base) {
            d.phase = .confirmOverride(p.label)
            d.notice = "overridden by \(p.label): this route's weights do not decide traffic"
            return []
        }
        // A Flagger Canary that smitop suspended and read back holds still: no second warning.
        if let c = d.base.controller, !d.controllerAcknowledged, !d.isHeldByCanary {
            d.phase = .confirmController(c)
            d.notice = "\(c.tool) manages this split (\(c.detail)) and may undo your change"
            return []
        }
        guard let request = PatchRequest.weights(id: nextRequestID, d.working, basedOn: d.base, dryRun: false) else {
            d.notice = "the split has no resourceVersion; refusing an unguarded write"
            d.phase = .editing
            return []
        }
        nextRequestID += 1
        pending[request.id] = d.undo == nil ? .write(d.key) : .undo(d.key)
        d.phase = .writing(requestID: request.id)
        d.notice = d.undo == nil ? "writing…" : "undoing…"
        return [.patch(request)]
    }

    private mutating func dryRun(_ d: inout SplitDraft, _ env: EditorEnvironment) -> [EditorAction] {
        if env.readOnly.isReadOnly {
            d.notice = "read-only: \(env.readOnly.reason ?? "")"
            return []
        }
        guard let request = PatchRequest.weights(id: nextRequestID, d.working, basedOn: d.base, dryRun: true) else {
            d.notice = "the split has no resourceVersion; refusing an unguarded write"
            return []
        }
        nextRequestID += 1
        pending[request.id] = .dryRun(d.key)
        d.phase = .dryRunning(requestID: request.id)
        d.notice = "dry run…"
        return [.patch(request)]
    }

    private mutating func patchSucceeded(_ requestID: Int, _ object: JSON, _ env: EditorEnvironment) -> [EditorAction] {
        guard let p = pending.removeValue(forKey: requestID) else { return [] }
        switch p {
        case .ramp(let id, _): return [.rampWriteSucceeded(id, object)]
        case .dryRun(let key):
            dryRunFinished(requestID, .success(object), key: key, env)
            return []
        case .write(let key):
            guard var d = drafts[key] else { return [] }
            // The object written is the whole TrafficSplit or route; the draft's split is read from it.
            let written = WeightedSplit.decode(object, as: key)
            if let w = written {
                journal.append(
                    JournalEntry(
                        split: d.ref, before: d.base.backends, after: w.backends,
                        resultingResourceVersion: w.meta.resourceVersion, at: env.now))
            }
            // This answer is also the outcome an earlier failed write left unknown.
            d.adoptAnswer(written)
            d.conflict = nil
            d.lastDryRun = nil
            d.notice = "written (resourceVersion \(written?.meta.resourceVersion ?? "?"))"
            drafts[key] = d
            let said = "wrote \(d.ref): \(d.working.backends.map { "\($0.service) \($0.weight)" }.joined(separator: ", "))"
            return (written != nil ? [.stored(key.kind.objectKind, object)] : []) + [.say(said, .info)]
        case .undo(let key):
            let written = WeightedSplit.decode(object, as: key)
            if let i = journal.lastIndex(where: { $0.split.id == key }) { journal.remove(at: i) }
            if var d = drafts[key] {
                let review = d.undo
                d.adoptAnswer(written)
                d.undo = nil
                d.notice = "undone (resourceVersion \(written?.meta.resourceVersion ?? "?"))"
                drafts[key] = d
                // Back where `u` was pressed: the graph or table, or the editor that was open.
                if let review, editing == key { editing = review.returnTo }
            }
            return (written != nil ? [.stored(key.kind.objectKind, object)] : []) + [.say("undid the last write to \(key)", .info)]
        }
    }

    private mutating func patchFailed(_ requestID: Int, _ error: KubeError, _ env: EditorEnvironment) -> [EditorAction] {
        guard let p = pending.removeValue(forKey: requestID) else { return [] }
        switch p {
        case .ramp(let id, let target): return [.rampWriteFailed(id, target: target, error)]
        case .dryRun(let key):
            dryRunFinished(requestID, .failure(error), key: key, env)
            return []
        case .write(let key), .undo(let key):
            let isUndo = { if case .undo = p { return true } else { return false } }()
            guard var d = drafts[key] else {
                let said = EditorAction.say("\(isUndo ? "undo" : "write") failed: \(error.userMessage)", .error)
                guard error.isConflict, let current = env.store.splits[key] else { return [said] }
                return [said, .reload(key.kind.objectKind, SplitRef(current))]
            }
            d.phase = .editing
            d.controllerAcknowledged = false
            d.overrideAcknowledged = false
            // A failed undo stays as an ordinary draft of the old weights: written again (Enter,
            // y) it is a new write, or r drops it.
            d.undo = nil
            if !isUndo && error.isTransport && error.mayHaveBeenSent {
                // The request may have been applied; resending could apply it twice (or, with the
                // same resourceVersion, meet a 409 that says nothing). Re-read and compare first.
                d.unknownOutcome = true
                d.notice = "the connection failed after the write was sent: checking whether it reached the server…"
                drafts[key] = d
                return [.say(d.notice ?? "", .warning), .reload(key.kind.objectKind, d.ref)]
            }
            var out: [EditorAction] = []
            if error.isConflict {
                // The draft stays; fetch the server's version to show theirs beside yours.
                d.conflict = error.userMessage
                d.notice = "conflict: the split changed on the server; your draft is kept"
                if let current = env.store.splits[key], current.meta.resourceVersion != d.base.meta.resourceVersion {
                    d.theirs = current
                }
                out = [.reload(key.kind.objectKind, d.ref)]
            } else {
                d.notice = "\(isUndo ? "undo" : "write") failed: \(error.userMessage)"
            }
            drafts[key] = d
            return [.say(d.notice ?? "", .error)] + out
        }
    }

    private mutating func dryRunFinished(_ requestID: Int, _ result: Result<JSON, KubeError>, key: SplitID, _ env: EditorEnvironment) {
        guard var d = drafts[key] else { return }
        if case .dryRunning(requestID) = d.phase { d.phase = .editing }
        switch result {
        case .success(let o):
            let weights = WeightedSplit.decode(o, as: key)?.backends.map { "\($0.service) \($0.weight)" } ?? []
            d.lastDryRun = .accepted(weights: weights)
            d.notice = "dry run accepted by the server"
        case .failure(let e):
            d.lastDryRun = .rejected(e.userMessage)
            d.notice = "dry run rejected: \(e.userMessage)"
            if e.isConflict, let current = env.store.splits[key], current.meta.resourceVersion != d.base.meta.resourceVersion {
                d.theirs = current
            }
        }
        drafts[key] = d
    }

    // MARK: the server's side

    /// The store changed these splits: a write of unknown outcome is settled by what the
    /// server holds; other drafts follow the server, or show theirs beside yours.
    private mutating func serverChanged(_ ids: [SplitID], _ env: EditorEnvironment) -> [EditorAction] {
        var out: [EditorAction] = []
        for id in ids where drafts[id]?.unknownOutcome == true { out += settleUnknownWrite(id, env) }
        for id in ids {
            guard var d = drafts[id] else { continue }
            if let s = env.store.splits[id] {
                switch d.phase {
                case .writing: break  // our own write's echo may come before its response
                default: d.serverChanged(s)
                }
            } else {
                d.notice = "the split was deleted on the server; your draft is kept"
            }
            drafts[id] = d
        }
        return out
    }

    /// After a write of unknown outcome, the server's split decides: our weights there mean it
    /// landed (recorded as our write, undoable); anything else means it did not, and the draft
    /// stays for the user to write again.
    private mutating func settleUnknownWrite(_ key: SplitID, _ env: EditorEnvironment) -> [EditorAction] {
        guard var d = drafts[key], d.unknownOutcome, let server = env.store.splits[key] else { return [] }
        d.unknownOutcome = false
        let ours = d.working.backends.map { [$0.service, $0.weight.value.canonical] }
        let theirs = server.backends.map { [$0.service, $0.weight.value.canonical] }
        let said: EditorAction
        if ours == theirs && server.meta.resourceVersion != d.base.meta.resourceVersion {
            journal.append(
                JournalEntry(
                    split: d.ref, before: d.base.backends, after: server.backends, resultingResourceVersion: server.meta.resourceVersion,
                    at: env.now))
            d.base = server
            d.working = server
            d.theirs = nil
            d.conflict = nil
            d.notice = "the write did reach the server (checked by re-reading; resourceVersion \(server.meta.resourceVersion ?? "?"))"
            said = .say("wrote \(d.ref) (confirmed by re-reading after the connection failed)", .info)
        } else {
            if server.meta.resourceVersion != d.base.meta.resourceVersion { d.theirs = server }
            d.notice = "the write did not reach the server; your draft is kept (Enter, y writes it again)"
            said = .say(d.notice ?? "", .warning)
        }
        drafts[key] = d
        return [said]
    }

    // MARK: undo

    /// `u`: the weights from before smitop's last write, opened as a draft in review, so the
    /// diff is shown and nothing is written without `y`, as for every write. `y` sends it as
    /// a merge patch guarded by the resourceVersion the split has now; if anyone changed the
    /// split after smitop's write, the review says so.
    private mutating func undo(_ env: EditorEnvironment) -> [EditorAction] {
        if env.readOnly.isReadOnly { return [.say("read-only: \(env.readOnly.reason ?? "")", .warning)] }
        guard let entry = journal.last else { return [.say("nothing to undo: smitop has not written anything yet", .info)] }
        let id = entry.split.id
        guard let current = env.store.splits[id] else { return [.say("cannot undo: \(entry.split) no longer exists", .error)] }
        guard current.backends.map(\.service) == entry.before.map(\.service) else {
            return [.say("cannot undo: the backends of \(entry.split) changed since smitop wrote it", .error)]
        }
        if let d = drafts[id], d.isDirty, d.undo == nil {
            return [.say("cannot undo: you have a draft of \(entry.split); write it, or revert it (r) in the editor first", .error)]
        }
        let restored = current.with(weights: entry.before.map(\.weight))
        if restored.backends == current.backends {
            return [.say("nothing to undo: \(entry.split) already has the weights from before smitop's write", .info)]
        }
        var d = SplitDraft(split: current)
        d.step = drafts[id]?.step ?? env.defaultStep
        d.working = restored
        d.phase = .reviewing
        d.undo = UndoReview(returnTo: editing)
        let changed = current.meta.resourceVersion != entry.resultingResourceVersion
        d.notice =
            changed
            ? "undo: \(entry.split) changed since smitop wrote it; y writes the old weights over the current ones, Esc cancels"
            : "undo the last write to \(entry.split): y writes it, Esc cancels"
        drafts[id] = d
        editing = id
        return []
    }

    // MARK: the Flagger Canary (App/Canary.swift)

    /// `S` in the editor or the controller warning: read the owning Canary (its
    /// resourceVersion and `spec.suspend` decide what is offered). Nothing is written here.
    private mutating func readCanary(_ d: inout SplitDraft, fromConfirm: Bool, _ env: EditorEnvironment) -> [EditorAction] {
        guard let c = FlaggerCanary(owning: d.base.meta) else {
            d.notice = "no Flagger Canary owns this split: S suspends a Canary only"
            return []
        }
        if env.readOnly.isReadOnly {
            d.notice = "read-only (\(env.readOnly.reason ?? "")): the Canary is not written"
            return []
        }
        let id = nextRequestID
        nextRequestID += 1
        d.canaryFromConfirm = fromConfirm
        d.phase = .canaryReading(requestID: id, readBack: false)
        d.notice = "reading \(c)…"
        return [.canary(CanaryRequest(id: id, split: d.key, canary: c, op: .read))]
    }

    /// `y` in the Canary dialog: the one write, guarded by the resourceVersion shown.
    private mutating func writeCanary(_ d: inout SplitDraft, _ plan: CanaryPlan, _ env: EditorEnvironment) -> [EditorAction] {
        if env.readOnly.isReadOnly {
            d.notice = "read-only (\(env.readOnly.reason ?? "")): the Canary is not written"
            d.phase = canaryReturn(d, suspended: false)
            return []
        }
        let id = nextRequestID
        nextRequestID += 1
        d.phase = .canaryWriting(requestID: id, plan: plan)
        d.notice = "writing spec.suspend: \(plan.suspend) to \(plan.canary)…"
        return [
            .canary(
                CanaryRequest(id: id, split: d.key, canary: plan.canary, op: .setSuspend(plan.suspend, resourceVersion: plan.resourceVersion)))
        ]
    }

    /// Where the editor goes after the Canary step: back to the diff when `S` came from the
    /// controller warning and the Canary now holds; back to that warning when it does not;
    /// otherwise the editor.
    private func canaryReturn(_ d: SplitDraft, suspended: Bool) -> EditorPhase {
        guard d.canaryFromConfirm else { return .editing }
        if suspended { return d.isDirty ? .reviewing : .editing }
        if let c = d.base.controller { return .confirmController(c) }
        return .editing
    }

    private mutating func canaryAnswered(_ req: CanaryRequest, _ result: Result<JSON, KubeError>) -> [EditorAction] {
        guard var d = drafts[req.split] else { return [] }
        var out: [EditorAction] = []
        switch (req.op, d.phase) {
        case (.read, .canaryReading(req.id, let readBack)):
            switch result {
            case .success(let o):
                guard let r = CanaryReading(o, of: req.canary) else {
                    d.notice = "the server's answer is not \(req.canary); nothing was written"
                    d.phase = canaryReturn(d, suspended: false)
                    break
                }
                if readBack {
                    d.canary = r
                    d.phase = canaryReturn(d, suspended: r.suspended)
                    let rv = r.resourceVersion ?? "?"
                    d.notice =
                        r.suspended
                        ? "\(req.canary) suspended (spec.suspend: true, read back at resourceVersion \(rv)): Flagger holds its weights; S resumes it"
                        : "\(req.canary) resumed (spec.suspend: false, read back at resourceVersion \(rv)): Flagger goes on with its analysis"
                    out = [.say(d.notice ?? "", .info)]
                } else if let rv = r.resourceVersion, !rv.isEmpty {
                    d.phase = .confirmCanary(CanaryPlan(canary: req.canary, suspend: !r.suspended, resourceVersion: rv, canaryPhase: r.phase))
                    d.notice = nil
                } else {
                    d.notice = "\(req.canary) has no resourceVersion; refusing an unguarded write"
                    d.phase = canaryReturn(d, suspended: false)
                }
            case .failure(let e):
                d.notice =
                    e.isNotFound ? "\(req.canary) was not found; nothing was written" : "cannot read \(req.canary): \(e.userMessage)"
                d.phase = readBack ? .editing : canaryReturn(d, suspended: false)
            }
        case (.setSuspend(let value, let rv), .canaryWriting(req.id, _)):
            switch result {
            case .success:
                // The write's answer is the object, but a fresh GET is what confirms it.
                let id = nextRequestID
                nextRequestID += 1
                d.phase = .canaryReading(requestID: id, readBack: true)
                d.notice = "written spec.suspend: \(value) to \(req.canary); reading it back…"
                out = [.canary(CanaryRequest(id: id, split: req.split, canary: req.canary, op: .read))]
            case .failure(let e):
                d.phase = canaryReturn(d, suspended: false)
                if e.isConflict {
                    d.notice = "conflict: \(req.canary) changed on the server since resourceVersion \(rv); nothing was written (S reads it again)"
                } else if e.isTransport && e.mayHaveBeenSent {
                    d.notice = "the connection failed after the Canary write was sent: S reads it to see whether it landed"
                } else {
                    d.notice = "the Canary write failed: \(e.userMessage)"
                }
                out = [.say(d.notice ?? "", .error)]
            }
        default:
            // An answer for a step the user has left (Esc, another S): dropped.
            return []
        }
        drafts[req.split] = d
        return out
    }
}

extension SplitDraft {
    /// The server answered a write or an undo: its object becomes the draft's base and working
    /// copy (or, when it cannot be read as the split, what was sent becomes the base), and
    /// every confirmation and the unknown-outcome flag start over.
    fileprivate mutating func adoptAnswer(_ written: WeightedSplit?) {
        if let w = written {
            base = w
            working = w
            theirs = nil
        } else {
            base = working
        }
        phase = .editing
        controllerAcknowledged = false
        overrideAcknowledged = false
        unknownOutcome = false
    }
}
