import KubeCore

// The slice of ObjectMeta the SMI model needs: identity for writes (resourceVersion, uid) and
// ownership for the "a controller will undo this" warning. The Kube module owns full metadata;
// this exists so SMI stays free of it and the lint/edit logic can be tested alone.

public struct OwnerRef: Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool

    init(json o: JSON) {
        apiVersion = o["apiVersion"]?.stringValue ?? ""
        kind = o["kind"]?.stringValue ?? ""
        name = o["name"]?.stringValue ?? ""
        uid = o["uid"]?.stringValue ?? ""
        controller = o["controller"]?.boolValue ?? false
    }
}

public struct ObjectMetaLite: Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var resourceVersion: String?
    public var uid: String?
    public var labels: [String: String]
    public var annotations: [String: String]
    public var ownerReferences: [OwnerRef]
    /// `metadata.managedFields[].manager`, in order, duplicates removed.
    public var managers: [String]

    public init(
        name: String, namespace: String? = nil, resourceVersion: String? = nil, uid: String? = nil,
        labels: [String: String] = [:], annotations: [String: String] = [:],
        ownerReferences: [OwnerRef] = [], managers: [String] = []
    ) {
        self.name = name
        self.namespace = namespace
        self.resourceVersion = resourceVersion
        self.uid = uid
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.managers = managers
    }

    /// Lenient: a missing or odd metadata block gives empty fields, never an error, because
    /// objects from a cluster always carry valid metadata and lint checks manifests separately.
    public init(json: JSON?) {
        let m = json ?? .null
        func strings(_ j: JSON?) -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in j?.objectValue ?? JSONObject() {
                if let s = v.stringValue { out[k] = s }
            }
            return out
        }
        let owners = (m["ownerReferences"]?.arrayValue ?? []).map(OwnerRef.init(json:))
        var managers: [String] = []
        for f in m["managedFields"]?.arrayValue ?? [] {
            if let s = f["manager"]?.stringValue, !managers.contains(s) { managers.append(s) }
        }
        self.init(
            name: m["name"]?.stringValue ?? "", namespace: m["namespace"]?.stringValue,
            resourceVersion: m["resourceVersion"]?.stringValue, uid: m["uid"]?.stringValue,
            labels: strings(m["labels"]), annotations: strings(m["annotations"]),
            ownerReferences: owners, managers: managers)
    }
}

extension ObjectMetaLite {
    /// The inverse of `init(json:)` for what it models (managers as managedFields entries
    /// carrying only their manager).
    public var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name)
        if let namespace { o["namespace"] = .string(namespace) }
        if let resourceVersion { o["resourceVersion"] = .string(resourceVersion) }
        if let uid { o["uid"] = .string(uid) }
        func map(_ d: [String: String]) -> JSON {
            var m = JSONObject()
            for k in d.keys.sorted() { m[k] = .string(d[k]!) }
            return .object(m)
        }
        if !labels.isEmpty { o["labels"] = map(labels) }
        if !annotations.isEmpty { o["annotations"] = map(annotations) }
        if !ownerReferences.isEmpty {
            o["ownerReferences"] = .array(
                ownerReferences.map {
                    [
                        "apiVersion": .string($0.apiVersion), "kind": .string($0.kind), "name": .string($0.name),
                        "uid": .string($0.uid), "controller": .bool($0.controller),
                    ]
                })
        }
        if !managers.isEmpty { o["managedFields"] = .array(managers.map { ["manager": .string($0)] }) }
        return .object(o)
    }

    /// Only what `controller` is decided by: the controlling owner reference, the field
    /// managers and the GitOps label or annotation. The same `controller` results.
    public func keepingControllerEvidence() -> ObjectMetaLite {
        var m = ObjectMetaLite(
            name: name, namespace: namespace, resourceVersion: resourceVersion, uid: uid,
            ownerReferences: ownerReferences.first(where: \.controller).map { [$0] } ?? [], managers: managers)
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

    public var description: String { "\(tool) (\(detail))" }
}

extension ObjectMetaLite {
    static let knownManagers: [(needle: String, tool: String)] = [
        ("flagger", "flagger"), ("argo-rollouts", "argo-rollouts"), ("rollouts-controller", "argo-rollouts"),
        ("linkerd", "linkerd"), ("osm", "osm"), ("argocd", "Argo CD"), ("kustomize-controller", "Flux"),
        ("helm-controller", "Flux"),
    ]
    static let argoTrackingAnnotation = "argocd.argoproj.io/tracking-id"
    static let gitOpsLabelKeys = gitOpsLabels.map(\.label)
    static let gitOpsLabels: [(label: String, tool: String)] = [
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
