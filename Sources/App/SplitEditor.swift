// The split editor: a draft of one split's weights (a TrafficSplit or one route rule) as a
// value-type state machine.
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

public enum DryRunOutcome: Sendable, Equatable {
    /// The server accepted the patch; the weights it would store (display text).
    case accepted(weights: [String])
    case rejected(String)
}

/// One line of the diff: old → new weight and share of a backend.
public struct BackendDiff: Sendable, Equatable {
    public var service: String
    public var oldWeight: String
    public var newWeight: String
    public var oldShare: Fraction?
    public var newShare: Fraction?
    public var changed: Bool { oldWeight != newWeight }
}

public struct SplitDiff: Sendable, Equatable {
    public var split: SplitRef
    public var rows: [BackendDiff]
    public var apiVersion: String
    /// The merge patch that `y` sends, pretty-printed.
    public var patchText: String
    public var resourceVersion: String?
    public var hasChanges: Bool { rows.contains(where: \.changed) }
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
    public var phase: EditorPhase = .editing
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

    /// The patch a write sends (shown in the diff): exactly the body `PatchRequest.weights`
    /// builds, the full backend list and `base`'s resourceVersion.
    public var patch: JSON {
        PatchRequest.weights(id: 0, working, basedOn: base, dryRun: false)?.body ?? working.weightsMergePatch()
    }

    public var diff: SplitDiff {
        let old = base.analysis.shares
        let new = working.analysis.shares
        let rows = working.backends.indices.map { i in
            BackendDiff(
                service: working.backends[i].service,
                oldWeight: i < base.backends.count ? base.backends[i].weight.description : "–",
                newWeight: working.backends[i].weight.description,
                oldShare: i < old.count ? old[i] : nil, newShare: new[i])
        }
        return SplitDiff(
            split: ref, rows: rows, apiVersion: working.apiVersion, patchText: patch.prettyString(),
            resourceVersion: base.meta.resourceVersion)
    }

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
