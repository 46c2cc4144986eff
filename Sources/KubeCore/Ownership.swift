// Who else writes an object: the evidence in its metadata that a controller (Flagger, Argo
// Rollouts, a GitOps sync, a mesh) will revert a manual edit. Read from metadata alone, so it
// serves TrafficSplits and routes alike.

extension ObjectMeta {
    /// Only what `controller` is decided by: the controlling owner reference, the field
    /// managers and the GitOps label or annotation. The same `controller` results.
    public func keepingControllerEvidence() -> ObjectMeta {
        var m = ObjectMeta(
            name: name, namespace: namespace, uid: uid, resourceVersion: resourceVersion,
            ownerReferences: ownerReferences.first(where: \.controller).map { [$0] } ?? [],
            // Manager, time and subresource only (the field sets are the bulk): enough for the
            // controller evidence and for "who last wrote the spec" (`lastWriter`).
            managedFields: managedFields.map { ManagedFieldsEntry(manager: $0.manager, operation: "", time: $0.time, subresource: $0.subresource) })
        for g in Self.gitOpsLabels { if let v = labels[g.label] { m.labels[g.label] = v } }
        if let v = annotations[Self.argoTrackingAnnotation] { m.annotations[Self.argoTrackingAnnotation] = v }
        return m
    }
}

/// Something that will probably revert a manual weight edit.
public struct ControllerInfo: Sendable, Equatable, CustomStringConvertible {
    public enum Source: String, Sendable, Equatable {
        case ownerReference, fieldManager, gitOps
    }
    public var source: Source
    /// Short tool name for the UI: "flagger", "argo-rollouts", "Argo CD", "Flux", or the owner kind.
    public var tool: String
    /// Where the evidence is, for the warning text.
    public var detail: String

    public init(source: Source, tool: String, detail: String) {
        self.source = source
        self.tool = tool
        self.detail = detail
    }

    public var description: String { "\(tool) (\(detail))" }
}

extension ObjectMeta {
    package static let knownManagers: [(needle: String, tool: String)] = [
        ("flagger", "flagger"), ("argo-rollouts", "argo-rollouts"), ("rollouts-controller", "argo-rollouts"),
        ("linkerd", "linkerd"), ("osm", "osm"), ("argocd", "Argo CD"), ("kustomize-controller", "Flux"),
        ("helm-controller", "Flux"),
    ]
    package static let argoTrackingAnnotation = "argocd.argoproj.io/tracking-id"
    package static let gitOpsLabelKeys = gitOpsLabels.map(\.label)
    package static let gitOpsLabels: [(label: String, tool: String)] = [
        ("argocd.argoproj.io/instance", "Argo CD"),
        ("kustomize.toolkit.fluxcd.io/name", "Flux"),
        ("helm.toolkit.fluxcd.io/name", "Flux"),
    ]

    /// Strongest evidence first: a controller ownerReference is explicit, a field manager shows
    /// who last wrote the object, a GitOps label means a sync will restore the stored manifest.
    /// Ordinary writers (kubectl, smitop itself, Helm without a reconciler) are not controllers.
    public var controller: ControllerInfo? {
        if let o = ownerReferences.first(where: \.controller) {
            let group = o.apiVersion.split(separator: "/").first.map(String.init) ?? ""
            let tool: String
            if group.hasSuffix("flagger.app") {
                tool = "flagger"
            } else if group == "argoproj.io" && o.kind == "Rollout" {
                tool = "argo-rollouts"
            } else {
                tool = o.kind.isEmpty ? "controller" : o.kind
            }
            return ControllerInfo(source: .ownerReference, tool: tool, detail: "owned by \(o.kind)/\(o.name)")
        }
        // Prefix match: real managers are "flagger", "osm-controller", "argocd-application-controller";
        // a substring match would flag unrelated names such as "cosmos".
        for m in managers {
            let lower = m.lowercased()
            if let k = Self.knownManagers.first(where: { lower.hasPrefix($0.needle) }) {
                return ControllerInfo(source: .fieldManager, tool: k.tool, detail: "field manager \(m)")
            }
        }
        for g in Self.gitOpsLabels {
            if let v = labels[g.label] { return ControllerInfo(source: .gitOps, tool: g.tool, detail: "\(g.label)=\(v)") }
        }
        // Argo CD may track by annotation instead of label.
        if let v = annotations[Self.argoTrackingAnnotation] {
            return ControllerInfo(source: .gitOps, tool: "Argo CD", detail: "\(Self.argoTrackingAnnotation)=\(v)")
        }
        return nil
    }
}

/// What a weight write's resourceVersion precondition protects, compared between the object a
/// write was computed from and the server's newer version after a 409.
public enum WriteContent {
    /// True when the two versions of an object differ in nothing a person or controller
    /// could have meant for this write: the spec (the write carries part of it), the labels,
    /// annotations and owner references (who manages the object, which decided the warnings
    /// shown) are all equal. What may differ is status, resourceVersion, managedFields and
    /// generation-free bookkeeping: a mesh writes a route's status after every change, and a
    /// precondition that failed on that alone protected nothing.
    public static func onlyStatusMoved(from old: JSON, to new: JSON) -> Bool {
        if old["spec"] != new["spec"] { return false }
        for key in ["labels", "annotations", "ownerReferences", "deletionTimestamp"] {
            if old[path: "metadata", key] != new[path: "metadata", key] { return false }
        }
        return true
    }

    /// How many times a write is computed again on a version where only status moved before
    /// the 409 is reported: a status written faster than this is a controller fighting, and
    /// the user should see it.
    public static let renewals = 3
}
