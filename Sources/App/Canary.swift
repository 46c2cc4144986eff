// "Suspend the Canary first": the explicit, confirmed write to the Flagger Canary that owns a
// split (issue 15). `S` reads the Canary, the dialog shows the exact write (Canary, value,
// resourceVersion), `y` sends it as a merge patch guarded by that resourceVersion, and the
// Canary is read back to confirm. Nothing is written before `y`; a 409 is shown and never
// retried (`S` reads it again). After a suspend, the weight edit is an ordinary safe write.
// The requests and the dialog's data are here; the steps are the editor's state machine
// (SplitEditor.swift).

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
