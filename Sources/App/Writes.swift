// Editor keys and the write path: review, controller warning, patch, 409, dry run, undo.

import Kube
import KubeCore
import Mesh
import SMI

extension AppState {
    mutating func openEditor(_ id: SplitID) {
        guard drafts[id] != nil || store.splits[id] != nil else { return set("no split \(id)", .error) }
        if drafts[id] == nil, let s = store.splits[id] {
            drafts[id] = SplitDraft(split: s)
            drafts[id]!.step = options.defaultStep
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
        if readOnly.isReadOnly { drafts[id]!.notice = "read-only (\(readOnly.reason ?? "")): you can draft, not write" }
    }

    mutating func handleEditor(_ key: Key, _ action: Action?) -> [Effect] {
        guard let id = editing, var d = drafts[id] else {
            editing = nil
            return []
        }
        guard let action else { return [] }
        if action == .forceQuit {
            quitting = true
            interrupted = true
            return [.quit]
        }
        if action == .suspend { return [.suspend] }
        var fx: [Effect] = []
        switch d.phase {
        case .writing, .dryRunning, .canaryReading, .canaryWriting:
            // While a request is in flight only leaving is allowed; the answer still lands.
            if action == .leaveEditor { editing = nil } else { d.notice = "waiting for the server…" }
        case .confirmCanary(let plan):
            switch action {
            case .write: fx = writeCanary(&d, plan)
            case .backToEditor: cancelCanary(&d)
            default: break
            }
        case .reviewing:
            switch action {
            case .write: fx = write(&d)
            case .backToEditor: backOut(&d)
            default: break
            }
        case .confirmController:
            switch action {
            case .write:
                d.controllerAcknowledged = true
                fx = write(&d)
            case .backToEditor: backOut(&d)
            case .canarySuspend: fx = readCanary(&d, fromConfirm: true)
            default: break
            }
        case .confirmOverride:
            switch action {
            case .write:
                d.overrideAcknowledged = true
                fx = write(&d)
            case .backToEditor: backOut(&d)
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
                if case .char(let c) = key, let v = c.wholeNumberValue { d.setShare(tens: v) }
            case .evenSplit: d.evenSplit()
            case .promote: d.promote()
            case .revert: d.revert()
            case .rebase:
                if d.theirs == nil { d.notice = "nothing to rebase onto: the server has not changed" } else { _ = d.rebaseOntoTheirs() }
            case .dryRun: fx = dryRun(&d)
            case .review:
                if !d.isDirty {
                    d.notice = "no changes to write"
                } else {
                    d.phase = .reviewing
                }
            case .undo:
                drafts[id] = d
                return undo()
            case .leaveEditor: editing = nil
            case .canarySuspend: fx = readCanary(&d, fromConfirm: false)
            default: break
            }
        }
        drafts[id] = d
        return fx
    }

    /// Esc/`n`/`q` from the diff or the controller warning: back to the editor, or, for an
    /// undo under review, out of it altogether (nothing written) to where `u` was pressed.
    mutating func backOut(_ d: inout SplitDraft) {
        guard let u = d.undo else {
            d.phase = .editing
            return
        }
        d.abandonUndo()
        editing = u.returnTo
        set("undo cancelled: nothing was written")
    }

    /// Why a write is not possible now, or nil.
    func writeBlocker(_ d: SplitDraft) -> String? {
        if readOnly.isReadOnly { return "read-only: \(readOnly.reason ?? "")" }
        if d.theirs != nil {
            return "the split changed on the server since your draft began: r takes theirs, o keeps your weights on their version"
        }
        return nil
    }

    mutating func write(_ d: inout SplitDraft) -> [Effect] {
        if let why = writeBlocker(d) {
            d.notice = why
            d.phase = .editing
            return []
        }
        // First what decides traffic (a write to an overridden route changes nothing the
        // mesh does until the ServiceProfile goes), then who else writes the route.
        if !d.overrideAcknowledged, let p = store.overrideSummary(of: d.base) {
            d.phase = .confirmOverride(p.label)
            d.notice = "overridden by \(p.label): this route's weights do not decide traffic"
            return []
        }
        // A Flagger Canary that smitop suspended and read back holds still: no second warning.
        if let c = d.base.controller, !d.controllerAcknowledged, !isHeldByCanary(d) {
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

    /// After a write of unknown outcome, the server's split decides: our weights there mean it
    /// landed (recorded as our write, undoable); anything else means it did not, and the draft
    /// stays for the user to write again.
    mutating func settleUnknownWrite(_ key: SplitID) {
        guard var d = drafts[key], d.unknownOutcome, let server = store.splits[key] else { return }
        d.unknownOutcome = false
        let ours = d.working.backends.map { [$0.service, $0.weight.value.canonical] }
        let theirs = server.backends.map { [$0.service, $0.weight.value.canonical] }
        if ours == theirs && server.meta.resourceVersion != d.base.meta.resourceVersion {
            journal.append(
                JournalEntry(split: d.ref, before: d.base.backends, after: server.backends, resultingResourceVersion: server.meta.resourceVersion, at: now))
            d.base = server
            d.working = server
            d.theirs = nil
            d.conflict = nil
            d.notice = "the write did reach the server (checked by re-reading; resourceVersion \(server.meta.resourceVersion ?? "?"))"
            set("wrote \(d.ref) (confirmed by re-reading after the connection failed)")
        } else {
            if server.meta.resourceVersion != d.base.meta.resourceVersion { d.theirs = server }
            d.notice = "the write did not reach the server; your draft is kept (Enter, y writes it again)"
            set(d.notice ?? "", .warning)
        }
        drafts[key] = d
    }

    mutating func dryRun(_ d: inout SplitDraft) -> [Effect] {
        if readOnly.isReadOnly {
            d.notice = "read-only: \(readOnly.reason ?? "")"
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

    mutating func patchSucceeded(_ requestID: Int, _ object: JSON) -> [Effect] {
        guard let p = pending.removeValue(forKey: requestID) else { return [] }
        if case .ramp(let id, _) = p { return rampWriteSucceeded(id, object) }
        // The object written is the whole TrafficSplit or route; the draft's split is read from it.
        func decodeWritten(_ key: SplitID) -> WeightedSplit? { WeightedSplit.decode(object, as: key) }
        let writtenKey: SplitID
        switch p {
        case .write(let k), .undo(let k), .dryRun(let k), .ramp(let k, _): writtenKey = k
        }
        let written = decodeWritten(writtenKey)
        switch p {
        case .write(let key):
            guard var d = drafts[key] else { return [] }
            if let w = written {
                journal.append(
                    JournalEntry(
                        split: d.ref, before: d.base.backends, after: w.backends,
                        resultingResourceVersion: w.meta.resourceVersion, at: now))
                d.base = w
                d.working = w
                d.theirs = nil
                applyObjects(key.kind.objectKind) { $0.upsert(key.kind.objectKind, object) }
            } else {
                d.base = d.working
            }
            d.phase = .editing
            d.conflict = nil
            d.controllerAcknowledged = false
            d.overrideAcknowledged = false
            d.lastDryRun = nil
            d.notice = "written (resourceVersion \(written?.meta.resourceVersion ?? "?"))"
            drafts[key] = d
            set("wrote \(d.ref): \(d.working.backends.map { "\($0.service) \($0.weight)" }.joined(separator: ", "))")
        case .undo(let key):
            if let i = journal.lastIndex(where: { $0.split.id == key }) { journal.remove(at: i) }
            if written != nil { applyObjects(key.kind.objectKind) { $0.upsert(key.kind.objectKind, object) } }
            if var d = drafts[key] {
                let review = d.undo
                if let w = written {
                    d.base = w
                    d.working = w
                    d.theirs = nil
                } else {
                    d.base = d.working
                }
                d.phase = .editing
                d.undo = nil
                d.controllerAcknowledged = false
                d.overrideAcknowledged = false
                d.notice = "undone (resourceVersion \(written?.meta.resourceVersion ?? "?"))"
                drafts[key] = d
                // Back where `u` was pressed: the graph or table, or the editor that was open.
                if let review, editing == key { editing = review.returnTo }
            }
            set("undid the last write to \(key)")
        case .dryRun(let key):
            dryRunFinished(requestID, .success(object), key: key)
        case .ramp: break
        }
        return []
    }

    mutating func patchFailed(_ requestID: Int, _ error: KubeError) -> [Effect] {
        guard let p = pending.removeValue(forKey: requestID) else { return [] }
        switch p {
        case .ramp(let id, let target): return rampWriteFailed(id, target: target, error)
        case .write(let key), .undo(let key):
            let isUndo = { if case .undo = p { return true } else { return false } }()
            guard var d = drafts[key] else {
                set("\(isUndo ? "undo" : "write") failed: \(error.userMessage)", .error)
                return error.isConflict && store.splits[key] != nil
                    ? [.reloadObject(key.kind.objectKind, SplitRef(store.splits[key]!))] : []
            }
            d.phase = .editing
            d.controllerAcknowledged = false
            d.overrideAcknowledged = false
            // A failed undo stays as an ordinary draft of the old weights: written again (Enter,
            // y) it is a new write, or r drops it.
            d.undo = nil
            var fx: [Effect] = []
            if !isUndo && error.isTransport && error.mayHaveBeenSent {
                // The request may have been applied; resending could apply it twice (or, with the
                // same resourceVersion, meet a 409 that says nothing). Re-read and compare first.
                d.unknownOutcome = true
                d.notice = "the connection failed after the write was sent: checking whether it reached the server…"
                drafts[key] = d
                set(d.notice ?? "", .warning)
                return [.reloadObject(key.kind.objectKind, d.ref)]
            }
            if error.isConflict {
                // The draft stays; fetch the server's version to show theirs beside yours.
                d.conflict = error.userMessage
                d.notice = "conflict: the split changed on the server; your draft is kept"
                if let current = store.splits[key], current.meta.resourceVersion != d.base.meta.resourceVersion {
                    d.theirs = current
                }
                fx = [.reloadObject(key.kind.objectKind, d.ref)]
            } else {
                d.notice = "\(isUndo ? "undo" : "write") failed: \(error.userMessage)"
            }
            drafts[key] = d
            set(d.notice ?? "", .error)
            return fx
        case .dryRun(let key):
            dryRunFinished(requestID, .failure(error), key: key)
            return []
        }
    }

    mutating func dryRunFinished(_ requestID: Int, _ result: Result<JSON, KubeError>) {
        guard case .dryRun(let key)? = pending.removeValue(forKey: requestID) else { return }
        dryRunFinished(requestID, result, key: key)
    }

    private mutating func dryRunFinished(_ requestID: Int, _ result: Result<JSON, KubeError>, key: SplitID) {
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
            if e.isConflict, let current = store.splits[key], current.meta.resourceVersion != d.base.meta.resourceVersion {
                d.theirs = current
            }
        }
        drafts[key] = d
    }

    /// `u`: the weights from before smitop's last write, opened as a draft in review, so the
    /// diff is shown and nothing is written without `y`, as for every write. `y` sends it as
    /// a merge patch guarded by the resourceVersion the split has now; if anyone changed the
    /// split after smitop's write, the review says so.
    mutating func undo() -> [Effect] {
        if readOnly.isReadOnly {
            set("read-only: \(readOnly.reason ?? "")", .warning)
            return []
        }
        guard let entry = journal.last else {
            set("nothing to undo: smitop has not written anything yet")
            return []
        }
        let id = entry.split.id
        guard let current = store.splits[id] else {
            set("cannot undo: \(entry.split) no longer exists", .error)
            return []
        }
        guard current.backends.map(\.service) == entry.before.map(\.service) else {
            set("cannot undo: the backends of \(entry.split) changed since smitop wrote it", .error)
            return []
        }
        if let d = drafts[id], d.isDirty, d.undo == nil {
            set("cannot undo: you have a draft of \(entry.split); write it, or revert it (r) in the editor first", .error)
            return []
        }
        let restored = current.with(weights: entry.before.map(\.weight))
        if restored.backends == current.backends {
            set("nothing to undo: \(entry.split) already has the weights from before smitop's write")
            return []
        }
        var d = SplitDraft(split: current)
        d.step = drafts[id]?.step ?? options.defaultStep
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
}
