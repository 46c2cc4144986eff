// "Suspend the Canary first": the explicit, confirmed write to the Flagger Canary that owns a
// split (issue 15). `S` reads the Canary, the dialog shows the exact write (Canary, value,
// resourceVersion), `y` sends it as a merge patch guarded by that resourceVersion, and the
// Canary is read back to confirm. Nothing is written before `y`; a 409 is shown and never
// retried (`S` reads it again). After a suspend, the weight edit is an ordinary safe write.

import Kube
import KubeCore
import Mesh

/// A read of, or the one write to, the Canary that owns the draft `split`.
public struct CanaryRequest: Sendable, Equatable {
    public enum Op: Sendable, Equatable {
        case read
        /// Merge patch `spec.suspend`, with `resourceVersion` as the precondition.
        case setSuspend(Bool, resourceVersion: String)
    }
    public var id: Int
    /// The draft the answer belongs to.
    public var split: SplitID
    public var canary: FlaggerCanary
    public var op: Op
    /// `?fieldManager=`, as for weight writes.
    public var fieldManager = "smitop"

    public init(id: Int, split: SplitID, canary: FlaggerCanary, op: Op) {
        self.id = id
        self.split = split
        self.canary = canary
        self.op = op
    }

    /// The merge patch body of a write (nil for a read).
    public var body: JSON? {
        guard case .setSuspend(let s, let rv) = op else { return nil }
        return FlaggerCanary.suspendPatch(s, resourceVersion: rv)
    }
}

/// The Canary write offered: what `y` sends, shown in full first.
public struct CanaryPlan: Sendable, Equatable {
    public var canary: FlaggerCanary
    /// The value written to `spec.suspend`: true to hold Flagger, false to let it go on.
    public var suspend: Bool
    /// As read: the precondition of the patch.
    public var resourceVersion: String
    /// Flagger's `status.phase` when read, for the dialog.
    public var canaryPhase: String?

    public var patchText: String { FlaggerCanary.suspendPatch(suspend, resourceVersion: resourceVersion).compactString }
}

extension AppState {
    /// The draft's edits are held by a Canary smitop suspended and read back.
    func isHeldByCanary(_ d: SplitDraft) -> Bool {
        d.canary?.suspended == true && FlaggerCanary(owning: d.base.meta) != nil
    }

    /// `S` in the editor or the controller warning: read the owning Canary (its
    /// resourceVersion and `spec.suspend` decide what is offered). Nothing is written here.
    mutating func readCanary(_ d: inout SplitDraft, fromConfirm: Bool) -> [Effect] {
        guard let c = FlaggerCanary(owning: d.base.meta) else {
            d.notice = "no Flagger Canary owns this split: S suspends a Canary only"
            return []
        }
        if readOnly.isReadOnly {
            d.notice = "read-only (\(readOnly.reason ?? "")): the Canary is not written"
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
    mutating func writeCanary(_ d: inout SplitDraft, _ plan: CanaryPlan) -> [Effect] {
        if readOnly.isReadOnly {
            d.notice = "read-only (\(readOnly.reason ?? "")): the Canary is not written"
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

    /// Esc/`n` in the Canary dialog.
    mutating func cancelCanary(_ d: inout SplitDraft) {
        d.phase = canaryReturn(d, suspended: false)
        d.notice = "nothing was written to the Canary"
    }

    /// Where the editor goes after the Canary step: back to the diff when `S` came from the
    /// controller warning and the Canary now holds; back to that warning when it does not;
    /// otherwise the editor.
    func canaryReturn(_ d: SplitDraft, suspended: Bool) -> EditorPhase {
        guard d.canaryFromConfirm else { return .editing }
        if suspended { return d.isDirty ? .reviewing : .editing }
        if let c = d.base.controller { return .confirmController(c) }
        return .editing
    }

    mutating func canaryAnswered(_ req: CanaryRequest, _ result: Result<JSON, KubeError>) -> [Effect] {
        guard var d = drafts[req.split] else { return [] }
        var fx: [Effect] = []
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
                    set(d.notice ?? "")
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
                fx = [.canary(CanaryRequest(id: id, split: req.split, canary: req.canary, op: .read))]
            case .failure(let e):
                d.phase = canaryReturn(d, suspended: false)
                if e.isConflict {
                    d.notice = "conflict: \(req.canary) changed on the server since resourceVersion \(rv); nothing was written (S reads it again)"
                } else if e.isTransport && e.mayHaveBeenSent {
                    d.notice = "the connection failed after the Canary write was sent: S reads it to see whether it landed"
                } else {
                    d.notice = "the Canary write failed: \(e.userMessage)"
                }
                set(d.notice ?? "", .error)
            }
        default:
            // An answer for a step the user has left (Esc, another S): dropped.
            return []
        }
        drafts[req.split] = d
        return fx
    }
}
