// What the split editor shows of a draft: the diff a write would make and the patch it sends.
// Read-only views of a `SplitDraft`; the editor's state machine is in SplitEditor.swift.

import Kube
import KubeCore
import Mesh
import SMI

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

extension SplitDraft {
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
}
