import KubeCore

// Server-side apply over client-side apply, as kube-apiserver's lastAppliedManager and
// lastAppliedUpdater do it for field manager `kubectl`: `kubectl apply --server-side` may take
// over fields an earlier client-side `kubectl apply` set (owned by
// kubectl-client-side-apply) when the live values still match the
// kubectl.kubernetes.io/last-applied-configuration annotation, and the annotation then follows
// the applied configuration, so a later client-side apply computes its patch from it.

public let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

/// The field manager whose apply requests get this treatment (kubectl's default for
/// `--server-side`; another manager opts out, as upstream).
public let lastAppliedUpgradeManager = "kubectl"

/// Fields whose conflicts an apply by `kubectl` may override: those set in the live object's
/// last-applied annotation with the same value as live. Empty when there is no annotation, or
/// it is not a JSON object.
public func allowedConflictsFromLastApplied(live: JSON, strategies: PatchStrategies = .builtIn) -> FieldSet {
    guard let text = live[path: "metadata", "annotations", lastAppliedAnnotation]?.stringValue,
        let last = try? JSON.parse(text), case .object = last
    else { return FieldSet() }
    let kind = live["kind"]?.stringValue
    let set = fieldSet(of: last, kind: kind, strategies: strategies)
    var out = FieldSet()
    for p in set.paths {
        if let lv = last.fieldValue(at: p), let cur = live.fieldValue(at: p), lv == cur { out.insert(p) }
    }
    return out
}

/// The annotation's new value after an apply by `kubectl`: the applied configuration without
/// the annotation itself (nil when the live object had no annotation: nothing to keep in sync).
public func lastAppliedAfterApply(live: JSON?, applied: JSON) -> String? {
    guard live?[path: "metadata", "annotations", lastAppliedAnnotation] != nil else { return nil }
    var cfg = applied
    if case .object(var meta) = cfg["metadata"] {
        if case .object(var ann) = meta["annotations"] {
            _ = ann.removeValue(forKey: lastAppliedAnnotation)
            meta["annotations"] = ann.isEmpty ? nil : .object(ann)
        }
        cfg["metadata"] = .object(meta)
    }
    return cfg.compactString
}
