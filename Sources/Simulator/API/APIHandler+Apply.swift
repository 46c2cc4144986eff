import APIServer
import Foundation
import Hummingbird
import KubeCore

// Server-side apply (`application/apply-patch+yaml`): create when absent, field ownership and
// the real server's 409 for fields another manager owns.

extension APIHandler {
    func serverSideApply(_ r: APIRequest, _ target: ResourceTarget, applied: JSON, manager: String, mode: FieldValidation) throws(APIError) -> Response {
        let t = target.type
        let name = target.name!
        let ns = target.namespace ?? ""
        try checkKind(applied, t, target.version)
        let force = r.flag("force")
        if sim.store.get(t, namespace: ns, name: name) == nil {
            // Apply creates when absent.
            var obj = applied
            obj = setPath(obj, ["metadata", "name"], .string(name))
            if t.namespaced { obj = setPath(obj, ["metadata", "namespace"], .string(ns)) }
            let (pruned, warnings) = try validateAndPrune(obj, t, target.version, mode)
            var o = try ssa(live: nil, applied: pruned, manager: manager, force: force, t: t, name: name)
            o = Writes.fillNewMetadata(o, t: t, now: Date(), namespace: ns)
            o = Writes.defaultBuiltin(o, t: t)
            let stored = try sim.store.create(t, namespace: ns, name: name, object: sim.normalizeStored(o, t), dryRun: r.dryRun)
            return Self.raw(present(stored.object, t, target.version).serialized(), status: 201, warnings: warnings)
        }
        var warnings: [String] = []
        let (stored, _) = try sim.store.update(t, namespace: ns, name: name, expectedRV: nil, dryRun: r.dryRun) {
            (cur) throws(APIError) -> JSON in
            let visible = present(cur, t, target.version)
            if let want = applied[path: "metadata", "resourceVersion"]?.stringValue, want != String(cur.rvInt) {
                throw APIError.conflict(t, name)
            }
            var next = try ssa(live: visible, applied: applied, manager: manager, force: force, t: t, name: name)
            next = Writes.carryOverSystemFields(old: cur, new: next, t: t)
            let (pruned, w) = try validateAndPrune(next, t, target.version, mode)
            warnings = w
            return Writes.defaultBuiltin(sim.normalizeStored(pruned, t), t: t)
        }
        return Self.raw(present(stored.object, t, target.version).serialized(), warnings: warnings)
    }

    /// Server-side apply with the real server's 409 for fields another manager owns.
    func ssa(live: JSON?, applied: JSON, manager: String, force: Bool, t: ResourceType, name: String) throws(APIError) -> JSON {
        do {
            var (object, conflicts) = try APIServer.serverSideApply(live: live, applied: applied, manager: manager, force: force, now: KubeTime.format(Date()))
            if !conflicts.isEmpty, !force, manager == lastAppliedUpgradeManager, let live {
                // kube-apiserver's lastAppliedManager: conflicts that all lie within the
                // client-side apply's last-applied configuration (values unchanged since) are
                // taken over, as if forced.
                let allowed = allowedConflictsFromLastApplied(live: live)
                if conflicts.allSatisfy({ allowed.contains($0.path) }) {
                    (object, conflicts) = try APIServer.serverSideApply(
                        live: live, applied: applied, manager: manager, force: true, now: KubeTime.format(Date()))
                    conflicts = []
                }
            }
            if manager == lastAppliedUpgradeManager, conflicts.isEmpty || force, let text = lastAppliedAfterApply(live: live, applied: applied) {
                object = setPath(object, ["metadata", "annotations", lastAppliedAnnotation], .string(text))
            }
            if !conflicts.isEmpty && !force {
                throw APIError(
                    code: 409, reason: "Conflict", message: applyConflictMessage(conflicts),
                    details: [
                        "name": .string(name), "group": .string(t.group), "kind": .string(t.resource),
                        "causes": .array(conflicts.map { (c: ApplyConflict) in c.cause }),
                    ])
            }
            return object
        } catch let e as ServerSideApplyError {
            throw APIError(code: e.httpStatus, reason: e.httpStatus == 400 ? "BadRequest" : "Invalid", message: e.message)
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError(code: 500, reason: "InternalError", message: "\(error)")
        }
    }
}
