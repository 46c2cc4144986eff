import APIServer
import Foundation
import Hummingbird
import KubeCore

// The `scale` subresource (autoscaling/v1 Scale) of Deployments: get, update and patch, as
// `kubectl scale` (a merge patch, or a PUT with --resource-version) and autoscalers use it.
// The deployment controller (Controllers.swift) then brings pods and status to the new count.

extension APIHandler {
    func scale(_ r: APIRequest, _ target: ResourceTarget, verb: String) throws(APIError) -> Response {
        let t = target.type
        let ns = target.namespace ?? ""
        guard let name = target.name else { throw notFoundPath(r.path) }
        guard let cur = sim.store.get(t, namespace: ns, name: name) else { throw APIError.notFound(t, name) }
        switch verb {
        case "get":
            return Self.json(Self.scaleObject(cur.object))
        case "update", "patch":
            let wanted: Int64
            var expected: Int? = nil
            if verb == "update" {
                let body = try decodeBody(r)
                guard case .object = body else { throw APIError.badRequest("the body of the request must be a Scale object") }
                if let k = body["kind"]?.stringValue, k != "Scale" {
                    throw APIError.badRequest("the kind in the data (\(k)) does not match the expected kind (Scale)")
                }
                if let rv = body[path: "metadata", "resourceVersion"]?.stringValue, !rv.isEmpty {
                    guard let n = Int(rv) else { throw APIError.badRequest("invalid resourceVersion \(rv)") }
                    expected = n
                }
                wanted = try Self.replicas(body, name: name)
            } else {
                let patched = try applyPatch(r, to: Self.scaleObject(cur.object), t: t, name: name)
                if let want = patched[path: "metadata", "resourceVersion"]?.stringValue, want != String(cur.rv) {
                    throw APIError.conflict(t, name)
                }
                wanted = try Self.replicas(patched, name: name)
            }
            let manager = try fieldManager(r)
            let (stored, _) = try sim.store.update(t, namespace: ns, name: name, expectedRV: expected, dryRun: r.dryRun) {
                (old) throws(APIError) -> JSON in
                var next = setPath(old, ["spec", "replicas"], .int(wanted))
                next = Writes.carryOverSystemFields(old: old, new: next, t: t)
                return recordManagedUpdate(old: old, new: next, manager: manager, apiVersion: t.apiVersion(target.version))
            }
            return Self.json(Self.scaleObject(stored.object))
        default:
            throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }

    static func replicas(_ scale: JSON, name: String) throws(APIError) -> Int64 {
        // spec.replicas is omitempty in Go: absent means 0.
        let v = scale[path: "spec", "replicas"] ?? .int(0)
        guard let n = v.intValue, n >= 0, n <= Int64(Int32.max) else {
            throw APIError.invalid(
                "Scale", "autoscaling", name,
                causes: [
                    [
                        "reason": "FieldValueInvalid", "message": .string("Invalid value: \(v.compactString): must be greater than or equal to 0"),
                        "field": "spec.replicas",
                    ]
                ])
        }
        return n
    }

    static func scaleObject(_ d: JSON) -> JSON {
        let sel = d[path: "spec", "selector", "matchLabels"]?.objectValue?.entries.map { "\($0.key)=\($0.value.stringValue ?? "")" }
        var meta = JSONObject()
        for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let v = d[path: "metadata", k] { meta[k] = v }
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(meta),
            "spec": ["replicas": d[path: "spec", "replicas"] ?? 1],
            "status": ["replicas": d[path: "status", "replicas"] ?? 0, "selector": .string((sel ?? []).joined(separator: ","))],
        ]
    }

    /// Applies a merge, JSON or strategic merge patch body to `doc` (a built-in's view).
    func applyPatch(_ r: APIRequest, to doc: JSON, t: ResourceType, name: String) throws(APIError) -> JSON {
        let ct = (r.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let patchDoc = try decodeBody(r)
        switch ct {
        case "application/merge-patch+json":
            if case .array = patchDoc {
                throw APIError.badRequest("json: cannot unmarshal array into Go value of type map[string]interface {}")
            }
            return applyMergePatch(patchDoc, to: doc)
        case "application/json-patch+json":
            do throws(JSONPatchError) { return try applyJSONPatch(patchDoc, to: doc) } catch let e { throw Self.jsonPatchError(e, t, name) }
        case "application/strategic-merge-patch+json":
            do throws(StrategicMergePatchError) { return try applyStrategicMergePatch(patchDoc, to: doc, kind: "Scale") } catch let e {
                throw APIError(code: e.httpStatus, reason: e.httpStatus == 400 ? "BadRequest" : "Invalid", message: e.message)
            }
        default:
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
            )
        }
    }
}
