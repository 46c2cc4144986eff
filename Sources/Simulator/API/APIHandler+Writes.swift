import APIServer
import Foundation
import Hummingbird
import KubeCore

// Writes: create, update, patch, delete and deletecollection, with body decoding, kind
// checks, field validation and field managers. Server-side apply is in APIHandler+Apply.swift.

extension APIHandler {
    func decodeBody(_ r: APIRequest) throws(APIError) -> JSON {
        let ct = (r.contentType ?? "application/json").lowercased()
        if ct.hasPrefix("application/vnd.kubernetes.protobuf") { return try decodeProtobufBody(r) }
        let isYAML = ct.hasPrefix("application/yaml") || ct.hasPrefix("application/apply-patch+yaml") || ct.hasPrefix("text/yaml")
        // JSON sent as YAML (kubectl's server-side apply sends it) is read as JSON, with the
        // JSON decoder's limits; anything else as YAML.
        if isYAML, r.body.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{"),
            let json = try? JSON.parse(r.body, maxDepth: JSON.serverMaxDepth)
        {
            return json
        }
        if isYAML {
            let text = String(decoding: r.body, as: UTF8.self)
            do {
                let docs = try YAMLDocuments.read(text)
                return docs.first?.json ?? .null
            } catch {
                throw APIError.badRequest("error decoding YAML: \(error)")
            }
        }
        do {
            // Nesting beyond Go's decoder limit is refused, as the API server refuses it.
            return try JSON.parse(r.body, maxDepth: JSON.serverMaxDepth)
        } catch {
            throw APIError.badRequest("the object provided is unrecognized (\(error))")
        }
    }

    func checkKind(_ obj: JSON, _ t: ResourceType, _ version: String) throws(APIError) {
        guard case .object = obj else {
            throw APIError.badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        }
        let av = obj["apiVersion"]?.stringValue ?? ""
        let kind = obj["kind"]?.stringValue ?? ""
        if !av.isEmpty, av != t.apiVersion(version) {
            throw APIError.badRequest("the API version in the data (\(av)) does not match the expected API version (\(t.apiVersion(version)))")
        }
        if !kind.isEmpty, kind != t.kind {
            throw APIError.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(t.kind))")
        }
    }

    func fieldValidation(_ r: APIRequest) throws(APIError) -> FieldValidation {
        switch r.query["fieldValidation"] ?? "Warn" {
        case "Strict": return .strict
        case "Warn", "": return .warn
        case "Ignore": return .ignore
        case let other:
            throw APIError.badRequest("fieldValidation parameter unsupported: \(other)")
        }
    }

    /// Validates against the CRD schema (custom resources) and the metadata rules; returns the
    /// pruned object and any warnings for the Warning header.
    func validateAndPrune(_ obj: JSON, _ t: ResourceType, _ version: String, _ mode: FieldValidation) throws(APIError) -> (JSON, [String]) {
        let name = obj[path: "metadata", "name"]?.stringValue ?? ""
        var causes = validateObjectMeta(obj["metadata"], namespaced: t.namespaced).map(\.cause)
        var pruned = obj
        var warnings: [String] = []
        if t.isCustom, let schema = t.schemas[version] {
            let result = validate(obj, schema: schema, fieldValidation: mode)
            if let strict = result.strictDecodingError {
                throw APIError.badRequest(strictDecodingStatusMessage(kind: t.kind, version: version, error: strict))
            }
            causes.append(contentsOf: result.causes)
            pruned = result.pruned
            warnings = result.warnings
        }
        if !causes.isEmpty { throw APIError.invalid(t.kind, t.group, name, causes: causes) }
        return (pruned, warnings)
    }

    func fieldManager(_ r: APIRequest) throws(APIError) -> String {
        if let m = r.query["fieldManager"] {
            guard !m.isEmpty, m.count <= 128 else { throw APIError.badRequest("fieldManager must be between 1 and 128 characters") }
            return m
        }
        return Writes.defaultManager(userAgent: r.userAgent)
    }

    func create(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        var obj = try decodeBody(r)
        try checkKind(obj, t, target.version)
        var name = obj[path: "metadata", "name"]?.stringValue ?? ""
        if name.isEmpty, let gen = obj[path: "metadata", "generateName"]?.stringValue, !gen.isEmpty {
            name = gen + Self.randomSuffix()
            obj = setPath(obj, ["metadata", "name"], .string(name))
        }
        let ns = t.namespaced ? (target.namespace ?? "") : ""
        if t.namespaced {
            if let bodyNS = obj[path: "metadata", "namespace"]?.stringValue, !bodyNS.isEmpty, bodyNS != ns {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            obj = setPath(obj, ["metadata", "namespace"], .string(ns))
            let nsType = sim.registry.find(group: "", resource: "namespaces")!
            guard let nsObj = sim.store.get(nsType, namespace: "", name: ns) else {
                throw APIError(
                    code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found",
                    details: ["name": .string(ns), "kind": "namespaces"])
            }
            try refuseIfTerminating(nsObj.object, t, name)
        }
        obj["apiVersion"] = .string(t.apiVersion(target.version))
        obj["kind"] = .string(t.kind)
        let (pruned, warnings) = try validateAndPrune(obj, t, target.version, try fieldValidation(r))
        var o = Writes.fillNewMetadata(pruned, t: t, now: Date(), namespace: ns)
        o = Writes.defaultBuiltin(o, t: t)
        o = recordManagedUpdate(old: nil, new: o, manager: try fieldManager(r), apiVersion: t.apiVersion(target.version))
        let stored = try sim.store.create(t, namespace: ns, name: name, object: sim.normalizeStored(o, t), dryRun: r.dryRun)
        return Self.raw(present(stored.object, t, target.version).serialized(), status: 201, warnings: warnings)
    }

    func update(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        if target.subresource == nil { sim.raceStatusWrite(t, namespace: target.namespace ?? "", name: target.name ?? "") }
        var obj = try decodeBody(r)
        try checkKind(obj, t, target.version)
        let name = target.name!
        if let bodyName = obj[path: "metadata", "name"]?.stringValue, bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        obj = setPath(obj, ["metadata", "name"], .string(name))
        let expected = obj[path: "metadata", "resourceVersion"]?.stringValue.flatMap { Int($0) }
        if let s = obj[path: "metadata", "resourceVersion"]?.stringValue, !s.isEmpty, Int(s) == nil {
            throw APIError.invalid(
                t.kind, t.group, name,
                causes: [
                    [
                        "reason": "FieldValueInvalid", "message": .string("Invalid value: \"\(s)\": must be a decimal integer"),
                        "field": "metadata.resourceVersion",
                    ]
                ])
        }
        obj["apiVersion"] = .string(t.apiVersion(target.version))
        obj["kind"] = .string(t.kind)
        let mode = try fieldValidation(r)
        let manager = try fieldManager(r)
        var warnings: [String] = []
        let (stored, _) = try sim.store.update(t, namespace: target.namespace ?? "", name: name, expectedRV: expected, dryRun: r.dryRun) {
            (cur) throws(APIError) -> JSON in
            var next = obj
            if target.subresource == "status" {
                next = setPath(cur, ["status"], obj["status"] ?? .null)
            } else if t.group.isEmpty || t.group == "apps" || t.subresources.contains("status") {
                // The main resource ignores status changes for types with a status subresource.
                next["status"] = cur["status"]
            }
            next = Writes.carryOverSystemFields(old: cur, new: next, t: t)
            let (pruned, w) = try validateAndPrune(present(next, t, target.version), t, target.version, mode)
            warnings = w
            next = Writes.defaultBuiltin(sim.normalizeStored(pruned, t), t: t)
            return recordManagedUpdate(
                old: cur, new: next, manager: manager, apiVersion: t.apiVersion(target.version),
                subresource: target.subresource == "status" ? "status" : nil)
        }
        return Self.raw(present(stored.object, t, target.version).serialized(), warnings: warnings)
    }

    func patch(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let name = target.name!
        let ns = target.namespace ?? ""
        if target.subresource == nil { sim.raceStatusWrite(t, namespace: ns, name: name) }
        let ct = (r.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let mode = try fieldValidation(r)
        switch ct {
        case "application/merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml":
            break
        case "application/strategic-merge-patch+json":
            if t.isCustom {
                throw APIError(
                    code: 415, reason: "UnsupportedMediaType",
                    message:
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                )
            }
        default:
            throw APIError(
                code: 415, reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
            )
        }
        let patchDoc = try decodeBody(r)
        if ct == "application/apply-patch+yaml" {
            guard let manager = r.query["fieldManager"], !manager.isEmpty else {
                throw APIError.badRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
            }
            return try serverSideApply(r, target, applied: patchDoc, manager: manager, mode: mode)
        }
        if ct == "application/merge-patch+json", case .array = patchDoc {
            throw APIError(code: 400, reason: "BadRequest", message: "json: cannot unmarshal array into Go value of type map[string]interface {}")
        }
        let manager = try fieldManager(r)
        var warnings: [String] = []
        let (stored, _) = try sim.store.update(t, namespace: ns, name: name, expectedRV: nil, dryRun: r.dryRun) {
            (cur) throws(APIError) -> JSON in
            let visible = present(cur, t, target.version)
            var next: JSON
            switch ct {
            case "application/merge-patch+json":
                next = applyMergePatch(patchDoc, to: visible)
            case "application/json-patch+json":
                do throws(JSONPatchError) { next = try applyJSONPatch(patchDoc, to: visible) } catch let e {
                    throw Self.jsonPatchError(e, t, name)
                }
            default:
                do throws(StrategicMergePatchError) { next = try applyStrategicMergePatch(patchDoc, to: visible, kind: t.kind) } catch let e {
                    throw APIError(code: e.httpStatus, reason: e.httpStatus == 400 ? "BadRequest" : "Invalid", message: e.message)
                }
            }
            if target.subresource == "status" {
                next = setPath(visible, ["status"], next["status"] ?? .null)
            } else if t.group.isEmpty || t.group == "apps" {
                // The main resource ignores status changes for types with a status subresource.
                next["status"] = visible["status"]
            }
            // A patch that carries metadata.resourceVersion is a precondition (optimistic lock).
            if let want = next[path: "metadata", "resourceVersion"]?.stringValue, want != String(cur.rvInt) {
                throw APIError.conflict(t, name)
            }
            // With a status subresource, the main resource ignores status and the status
            // subresource ignores everything else (as for custom resources upstream).
            if t.isCustom && t.subresources.contains("status") {
                if target.subresource == "status" {
                    next = setPath(visible, ["status"], next["status"] ?? .null)
                } else {
                    next["status"] = visible["status"]
                }
            }
            next = Writes.carryOverSystemFields(old: cur, new: next, t: t)
            let (pruned, w) = try validateAndPrune(next, t, target.version, mode)
            warnings = w
            next = Writes.defaultBuiltin(sim.normalizeStored(pruned, t), t: t)
            return recordManagedUpdate(
                old: cur, new: next, manager: manager, apiVersion: t.apiVersion(target.version),
                subresource: target.subresource == "status" ? "status" : nil)
        }
        return Self.raw(present(stored.object, t, target.version).serialized(), warnings: warnings)
    }

    static func jsonPatchError(_ e: JSONPatchError, _ t: ResourceType, _ name: String) -> APIError {
        // The real server answers an unsatisfied `test` or a bad path with 422 Invalid, and a
        // malformed patch document with 400.
        APIError(
            code: e.httpStatus, reason: e.statusReason, message: "the server rejected our request due to an error in our request: \(e)",
            details: ["name": .string(name), "group": .string(t.group), "kind": .string(t.kind)])
    }

    func delete(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let name = target.name!
        var expected: Int? = nil
        if !r.body.isEmpty, let opts = try? JSON.parse(r.body) {
            if let rv = opts[path: "preconditions", "resourceVersion"]?.stringValue { expected = Int(rv) }
            if opts["dryRun"]?.arrayValue?.contains("All") == true {
                let o = try sim.store.delete(t, namespace: target.namespace ?? "", name: name, expectedRV: expected, dryRun: true)
                return Self.raw(present(o, t, target.version).serialized())
            }
        }
        if t.resource == "namespaces", t.group.isEmpty {
            return try deleteNamespace(r, target, expectedRV: expected)
        }
        let obj = try sim.store.delete(t, namespace: target.namespace ?? "", name: name, expectedRV: expected, dryRun: r.dryRun)
        return Self.raw(present(obj, t, target.version).serialized())
    }

    func deleteCollection(_ r: APIRequest, _ target: ResourceTarget) throws(APIError) -> Response {
        let t = target.type
        let sel = try selection(r, target)
        let page = try sim.store.list(t, selection: sel, limit: nil, continueToken: nil)
        var deleted: [JSON] = []
        for so in page.items {
            let ns = so.object[path: "metadata", "namespace"]?.stringValue ?? ""
            let n = so.object[path: "metadata", "name"]?.stringValue ?? ""
            if let o = try? sim.store.delete(t, namespace: ns, name: n, expectedRV: nil, dryRun: r.dryRun) {
                deleted.append(present(o, t, target.version))
            }
        }
        let list: JSON = [
            "apiVersion": .string(t.apiVersion(target.version)), "kind": .string(t.listKind),
            "metadata": ["resourceVersion": .string(String(sim.store.currentRV))], "items": .array(deleted),
        ]
        return Self.json(list)
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<5).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }
}

extension JSON {
    var rvInt: Int { Int(self[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? -1 }
}
