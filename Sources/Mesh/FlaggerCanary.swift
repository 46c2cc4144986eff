// The Flagger Canary that owns a split or route, and the one write smitop makes to it:
// `spec.suspend`. Flagger adopts hand-set weights but promotes at once when they are off its
// step list and resets the route on any other change; while its Canary is suspended it holds
// still, so suspending is the safe lever before a manual edit (issue 15, "who else writes it").
// The TUI and the CLI build the same patch here, so both write exactly the same thing.

import Kube
import KubeCore

public struct FlaggerCanary: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    /// "flagger.app/v1beta1": the version the ownerReference names, so the write goes to the
    /// version the owner was created in.
    public var apiVersion: String

    public init(namespace: String, name: String, apiVersion: String = "flagger.app/v1beta1") {
        self.namespace = namespace
        self.name = name
        self.apiVersion = apiVersion
    }

    /// The Canary that controls an object (its controller ownerReference; owners are in the
    /// object's own namespace). Exactly the group `flagger.app` and a plain version: the
    /// reference comes from the cluster and becomes a request path, so anything else is not
    /// treated as a Canary to write to.
    public init?(owning meta: ObjectMeta) {
        guard let o = meta.ownerReferences.first(where: \.controller), o.kind == "Canary", !o.name.isEmpty,
            let ns = meta.namespace, !ns.isEmpty
        else { return nil }
        let gv = o.apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        guard gv.count == 2, gv[0] == "flagger.app", !gv[1].isEmpty, gv[1].utf8.count <= 63,
            gv[1].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) })
        else { return nil }
        self.init(namespace: ns, name: o.name, apiVersion: o.apiVersion)
    }

    public var version: String { String(apiVersion.split(separator: "/").last ?? "v1beta1") }

    /// `/apis/flagger.app/v1beta1/namespaces/NS/canaries/NAME`, every part escaped.
    public var path: String {
        "/apis/flagger.app/\(pathSegment(version))/namespaces/\(pathSegment(namespace))/canaries/\(pathSegment(name))"
    }

    /// "Canary payments/payments", for messages (sanitised: the name is the cluster's).
    public var description: String { "Canary \(clean(namespace))/\(clean(name))" }

    /// The merge patch that sets `spec.suspend`, with the resourceVersion read as its
    /// precondition (the API server answers 409 if the Canary moved on; never resent blindly).
    public static func suspendPatch(_ suspend: Bool, resourceVersion: String) -> JSON {
        ["metadata": ["resourceVersion": .string(resourceVersion)], "spec": ["suspend": .bool(suspend)]]
    }

    /// What kubectl users type for the same write (without the precondition, as kubectl
    /// patch has no flag for one): printed by the CLI and shown in the docs.
    public func kubectlCommand(suspend: Bool) -> String {
        "kubectl patch canaries.flagger.app \(clean(name)) -n \(clean(namespace)) --type merge -p '{\"spec\":{\"suspend\":\(suspend)}}'"
    }
}

/// What a read of the Canary says: its resourceVersion and whether it is suspended.
public struct CanaryReading: Sendable, Equatable {
    public var resourceVersion: String?
    /// `spec.suspend`; absent is false, as Flagger reads it.
    public var suspended: Bool
    /// `status.phase` ("Progressing", "Succeeded", …), when Flagger reported one.
    public var phase: String?

    public init(resourceVersion: String?, suspended: Bool, phase: String? = nil) {
        self.resourceVersion = resourceVersion
        self.suspended = suspended
        self.phase = phase
    }

    /// nil unless the object is the Canary asked for (a wrong answer is not acted on).
    public init?(_ object: JSON, of canary: FlaggerCanary) {
        guard object["kind"]?.stringValue == "Canary", object[path: "metadata", "name"]?.stringValue == canary.name else { return nil }
        resourceVersion = object[path: "metadata", "resourceVersion"]?.stringValue.map { clean($0, limit: 64) }
        suspended = object[path: "spec", "suspend"]?.boolValue ?? false
        phase = object[path: "status", "phase"]?.stringValue.map { clean($0, limit: 40) }
    }
}
