import Foundation
import Hummingbird
import KubeCore

// Namespace lifecycle as kube-apiserver runs it: DELETE marks the namespace Terminating
// (deletionTimestamp, status.phase) and answers 200 with it; the namespace controller then
// deletes everything inside and finally the namespace (Controllers.swift). Creates in a
// Terminating namespace are refused; the system namespaces cannot be deleted.

extension APIHandler {
    static let undeletableNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    func deleteNamespace(_ r: APIRequest, _ target: ResourceTarget, expectedRV: Int?) throws(APIError) -> Response {
        let t = target.type
        let name = target.name ?? ""
        if Self.undeletableNamespaces.contains(name) {
            throw APIError(
                code: 403, reason: "Forbidden", message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted",
                details: ["name": .string(name), "kind": "namespaces"])
        }
        let now = KubeTime.format(Date())
        let (stored, _) = try sim.store.update(t, namespace: "", name: name, expectedRV: expectedRV, dryRun: r.dryRun) {
            (cur) throws(APIError) -> JSON in
            if cur[path: "metadata", "deletionTimestamp"] != nil { return cur }
            var o = setPath(cur, ["metadata", "deletionTimestamp"], .string(now))
            o = setPath(o, ["metadata", "deletionGracePeriodSeconds"], 0)
            o = setPath(o, ["status", "phase"], "Terminating")
            return o
        }
        return Self.raw(present(stored.object, t, target.version).serialized())
    }

    func refuseIfTerminating(_ namespace: JSON, _ t: ResourceType, _ name: String) throws(APIError) {
        guard namespace[path: "metadata", "deletionTimestamp"] != nil else { return }
        let ns = namespace[path: "metadata", "name"]?.stringValue ?? ""
        throw APIError(
            code: 403, reason: "Forbidden",
            message: "\(t.groupResource) \"\(name)\" is forbidden: unable to create new content in namespace \(ns) because it is being terminated",
            details: [
                "name": .string(name), "group": .string(t.group), "kind": .string(t.resource),
                "causes": [["reason": "NamespaceTerminating", "message": .string("namespace \(ns) is being terminated"), "field": "metadata.namespace"]],
            ])
    }
}
