import Foundation
import Kube
import KubeCore
import SMI

/// What the real API server does to an object on its way into storage: system metadata,
/// built-in defaults, generation, managedFields.
enum Writes {
    static func fillNewMetadata(_ obj: JSON, t: ResourceType, now: Date, namespace: String) -> JSON {
        var o = obj
        var meta = o["metadata"]?.objectValue ?? JSONObject()
        if t.namespaced { meta["namespace"] = .string(namespace) } else { meta["namespace"] = nil }
        meta["uid"] = .string(UUID().uuidString.lowercased())
        meta["resourceVersion"] = nil
        if meta["creationTimestamp"]?.stringValue == nil { meta["creationTimestamp"] = .string(KubeTime.format(now)) }
        if hasGeneration(t) { meta["generation"] = 1 } else { meta["generation"] = nil }
        meta["deletionTimestamp"] = nil
        meta["selfLink"] = nil
        o["metadata"] = .object(meta)
        return o
    }

    /// Types whose spec changes bump metadata.generation (custom resources and workloads).
    static func hasGeneration(_ t: ResourceType) -> Bool {
        t.isCustom || t.group == "apps" || t.resource == "customresourcedefinitions"
    }

    /// Keeps the fields a client may not change on update: uid, creationTimestamp, and bumps
    /// generation when anything outside metadata and status changed.
    static func carryOverSystemFields(old: JSON, new: JSON, t: ResourceType) -> JSON {
        var n = new
        var meta = n["metadata"]?.objectValue ?? JSONObject()
        for k in ["uid", "creationTimestamp", "namespace", "name"] {
            meta[k] = old[path: "metadata", k]
        }
        if hasGeneration(t) {
            var gen = old[path: "metadata", "generation"]?.intValue ?? 1
            if specPart(old) != specPart(n) { gen += 1 }
            meta["generation"] = .int(gen)
        } else {
            meta["generation"] = nil
        }
        n["metadata"] = .object(meta)
        n["apiVersion"] = old["apiVersion"]
        n["kind"] = old["kind"]
        return n
    }

    static func specPart(_ o: JSON) -> JSON {
        var x = o
        x["metadata"] = nil
        x["status"] = nil
        x["apiVersion"] = nil
        return x
    }

    /// Defaults the real server applies to built-in types, so that kubectl's columns and the
    /// Python client's strict models see complete objects.
    static func defaultBuiltin(_ obj: JSON, t: ResourceType) -> JSON {
        var o = obj
        switch (t.group, t.resource) {
        case ("", "namespaces"):
            if o[path: "status", "phase"] == nil { o = setPath(o, ["status", "phase"], "Active") }
            if o[path: "spec", "finalizers"] == nil { o = setPath(o, ["spec", "finalizers"], ["kubernetes"]) }
            var labels = o[path: "metadata", "labels"]?.objectValue ?? JSONObject()
            labels["kubernetes.io/metadata.name"] = o[path: "metadata", "name"]
            o = setPath(o, ["metadata", "labels"], .object(labels))
        case ("", "services"):
            if o[path: "spec", "type"] == nil { o = setPath(o, ["spec", "type"], "ClusterIP") }
            if o[path: "spec", "sessionAffinity"] == nil { o = setPath(o, ["spec", "sessionAffinity"], "None") }
            if o[path: "spec", "clusterIP"] == nil {
                let ip = clusterIP(for: (o[path: "metadata", "namespace"]?.stringValue ?? "") + "/" + (o[path: "metadata", "name"]?.stringValue ?? ""))
                o = setPath(o, ["spec", "clusterIP"], .string(ip))
                o = setPath(o, ["spec", "clusterIPs"], [.string(ip)])
            }
            if let ports = o[path: "spec", "ports"]?.arrayValue {
                let filled = ports.map { p -> JSON in
                    var p = p
                    if p["protocol"] == nil { p["protocol"] = "TCP" }
                    if p["targetPort"] == nil, let port = p["port"] { p["targetPort"] = port }
                    return p
                }
                o = setPath(o, ["spec", "ports"], .array(filled))
            }
            if o["status"] == nil { o["status"] = ["loadBalancer": .emptyObject] }
        case ("apps", "deployments"):
            if o[path: "spec", "replicas"] == nil { o = setPath(o, ["spec", "replicas"], 1) }
            if o[path: "spec", "strategy", "type"] == nil {
                o = setPath(o, ["spec", "strategy"], ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]])
            }
            if o[path: "spec", "revisionHistoryLimit"] == nil { o = setPath(o, ["spec", "revisionHistoryLimit"], 10) }
            if o[path: "spec", "progressDeadlineSeconds"] == nil { o = setPath(o, ["spec", "progressDeadlineSeconds"], 600) }
        // The status is the deployment controller's (Controllers.swift): a new Deployment
        // starts without one, as on a real cluster, and becomes ready as its pods start.
        default:
            break
        }
        return o
    }

    /// A stable address in 10.96.0.0/12 per service, as the service IP allocator would give.
    static func clusterIP(for key: String) -> String {
        var h: UInt32 = 2_166_136_261
        for b in key.utf8 {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        return "10.\(96 + Int(h >> 28)).\(Int((h >> 8) & 0xFF)).\(Int(h & 0xFF) | 1)"
    }

    /// The field manager the real server records when a client names none: the user agent's
    /// program name.
    static func defaultManager(userAgent: String?) -> String {
        guard let ua = userAgent, !ua.isEmpty else { return "unknown" }
        return String(ua.split(separator: "/").first ?? "unknown").prefix(128).description
    }
}
