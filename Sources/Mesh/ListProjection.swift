// What the informers keep of each listed or watched object: only the paths the store's
// decoders read (MeshStore.swift), cut from the tree as soon as a page is parsed.
//
// Why: an initial list is held whole until its last page arrives (a list replaces a kind
// atomically), and in the same batch as every other kind's list. On 5,000 services and
// 10,000 splits those trees were ~50 MB of the start-up's heap peak while the graph was built
// (heaptrack); most of it is what smitop never reads (pod specs, deployment templates,
// labels on splits). The projection keeps the shape of everything it keeps, so a decoder
// reading a projected object sees the same value at every path it reads, including the odd
// shapes a hostile object has: `MeshStore` built from projected objects equals one built
// from the full objects (ListProjectionTests, over every scenario and profile).

import GatewayAPI
import KubeCore

extension ObjectKind {
    /// The object cut down to what `MeshStore` reads for this kind. Objects that are not
    /// JSON objects are passed through (the store reports them as they are).
    public func projected(_ object: JSON) -> JSON {
        let p = projectedTree(object)
        return routeKind != nil ? Self.compacted(p) : p
    }

    private func projectedTree(_ object: JSON) -> JSON {
        guard case .object(let o) = object else { return object }
        var out = JSONObject()
        for (key, value) in o {
            switch key {
            case "apiVersion", "kind": out[key] = value
            case "metadata": out[key] = projectedMetadata(value)
            case "spec": if let v = projectedSpec(value) { out[key] = v }
            case "status": if let v = projectedStatus(value) { out[key] = v }
            default:
                // The SDK v0.3.0 TrafficSplit keeps its schema at the root; other kinds have
                // nothing else the store reads.
                if self == .trafficSplit || self == .trafficTarget || routeKind != nil { out[key] = value }
            }
        }
        return .object(out)
    }

    /// Labels and annotations the store keeps on splits and routes (`slimmed()`): the
    /// evidence of who controls them.
    static let evidenceLabels: Set<String> = Set(ObjectMeta.gitOpsLabelKeys + [Route.argoCanaryLabel, "kiali_wizard"])
    static let evidenceAnnotations: Set<String> = [ObjectMeta.argoTrackingAnnotation]

    private func projectedMetadata(_ meta: JSON) -> JSON {
        guard case .object(let m) = meta else { return meta }
        var out = JSONObject()
        for (key, value) in m {
            switch key {
            case "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "ownerReferences":
                out[key] = value
            case "labels":
                switch self {
                case .service, .deployment, .pod, .trafficTarget, .serviceProfile: out[key] = value
                default: out[key] = Self.keeping(value, Self.evidenceLabels)
                }
            case "annotations":
                // Read for controller evidence on splits and routes, whole on targets.
                switch self {
                case .service, .deployment, .pod, .serviceProfile: break
                case .trafficTarget: out[key] = value
                default: out[key] = Self.keeping(value, Self.evidenceAnnotations)
                }
            case "managedFields":
                // Controller evidence and "last writer" on splits, targets and routes; on a
                // ServiceProfile, whether linkerd-smi wrote it (profiles are few).
                switch self {
                case .service, .deployment, .pod: break
                default: out[key] = value
                }
            default: break
            }
        }
        return .object(out)
    }

    private static func keeping(_ value: JSON, _ keys: Set<String>) -> JSON {
        guard case .object(let o) = value else { return value }
        var out = JSONObject()
        for (k, v) in o where keys.contains(k) { out[k] = v }
        return .object(out)
    }

    private func projectedSpec(_ spec: JSON) -> JSON? {
        switch self {
        case .service: return Self.keeping(spec, ["selector", "ports", "type", "clusterIP"])
        case .deployment:
            // Replicas and the pod template's labels; the containers are most of the bytes.
            guard case .object(let s) = spec else { return spec }
            var out = JSONObject()
            if let r = s["replicas"] { out["replicas"] = r }
            if let t = s["template"] {
                if case .object(let template) = t {
                    var tout = JSONObject()
                    if let m = template["metadata"] { tout["metadata"] = Self.keeping(m, ["labels"]) }
                    out["template"] = .object(tout)
                } else {
                    out["template"] = t
                }
            }
            return .object(out)
        case .pod: return nil
        case .trafficSplit, .trafficTarget, .httpRoute, .grpcRoute, .linkerdHTTPRoute, .serviceProfile: return spec
        }
    }

    private func projectedStatus(_ status: JSON) -> JSON? {
        switch self {
        case .service, .serviceProfile: return nil
        case .deployment: return Self.keeping(status, ["readyReplicas"])
        case .pod: return Self.keeping(status, ["phase"])
        case .trafficSplit, .trafficTarget, .httpRoute, .grpcRoute, .linkerdHTTPRoute: return status
        }
    }
}

// Routes wait as text. A route's spec is a deep tree (an ordered object per match, header and
// backendRef) that the store reads once, to decode the route, and then keeps only as text
// (`Route.slimmed()`). Held as trees, a list of 10,000 three-rule routes was ~64 MB of the
// start-up's heap peak while the store decoded it (heaptrack): the whole list waits for its
// last page, and then for the rest of its batch. Compacted on the informer's thread, each
// route waits as its projected object's compact text beside the identity the reflector and
// the mailbox key it by; the store expands it back (`expanded`) just before decoding, so it
// decodes the very tree the projection made (ListProjectionTests).
extension ObjectKind {
    /// The top-level member a compacted object carries its text in. A real API server never
    /// sends it: the route CRDs' structural schemas prune unknown top-level fields.
    static let compactMember = "smitop.dev/compact"

    static func compacted(_ projected: JSON) -> JSON {
        guard case .object(let o) = projected else { return projected }
        var meta = JSONObject()
        if case .object(let m)? = o["metadata"] {
            for key in ["name", "namespace", "resourceVersion"] { if let v = m[key] { meta[key] = v } }
        }
        var out = JSONObject()
        if let v = o["apiVersion"] { out["apiVersion"] = v }
        if let v = o["kind"] { out["kind"] = v }
        out["metadata"] = .object(meta)
        out[compactMember] = .string(String(decoding: projected.serialized(), as: UTF8.self))
        return .object(out)
    }

    /// The projected object a compacted one holds; any other object as it is.
    public static func expanded(_ object: JSON) -> JSON {
        guard case .object(let o) = object, case .string(let text)? = o[compactMember] else { return object }
        // The serialization of a tree this process parsed: it parses back.
        return (try? JSON.parse(Array(text.utf8))) ?? object
    }
}
