import KubeCore

// Writes: create, update (PUT), JSON merge patch with the resourceVersion precondition,
// delete.

extension KubeClient {
    public func create(
        _ r: GroupVersionResource, namespace: String?, object: JSON, dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        return try await requestJSON(
            method: "POST", path: resourcePath(r, namespace: namespace), query: writeQuery(dryRun, fieldManager), body: object,
            operation: "create \(r) \(name)")
    }

    /// PUT. The object's `metadata.resourceVersion` is the precondition (409 when stale).
    public func update(
        _ r: GroupVersionResource, namespace: String?, object: JSON, dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        guard let name = object[path: "metadata", "name"]?.stringValue, !name.isEmpty else {
            throw .decoding("update needs metadata.name")
        }
        return try await requestJSON(
            method: "PUT", path: resourcePath(r, namespace: namespace, name: name), query: writeQuery(dryRun, fieldManager),
            body: object, operation: "update \(r) \(name)")
    }

    /// JSON merge patch (RFC 7386). A non-nil `resourceVersion` is written into the patch's
    /// `metadata.resourceVersion`, making the server reject it with 409 if the object changed
    /// since it was read: never a silent overwrite.
    public func mergePatch(
        path: String, patch: JSON, resourceVersion: String?, dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        var body = patch
        if let rv = resourceVersion {
            var meta = body["metadata"] ?? .emptyObject
            meta["resourceVersion"] = .string(rv)
            body["metadata"] = meta
        }
        return try await requestJSON(
            method: "PATCH", path: path, query: writeQuery(dryRun, fieldManager), body: body,
            contentType: "application/merge-patch+json", operation: "patch \(path)")
    }

    public func mergePatch(
        _ r: GroupVersionResource, namespace: String?, name: String, patch: JSON, resourceVersion: String?,
        dryRun: Bool = false, fieldManager: String? = nil
    ) async throws(KubeError) -> JSON {
        try await mergePatch(
            path: resourcePath(r, namespace: namespace, name: name), patch: patch, resourceVersion: resourceVersion,
            dryRun: dryRun, fieldManager: fieldManager)
    }

    /// DELETE; returns the server's answer (the object, or a Success Status).
    public func delete(
        _ r: GroupVersionResource, namespace: String?, name: String, dryRun: Bool = false, resourceVersion: String? = nil
    ) async throws(KubeError) -> JSON {
        var opts: JSONObject = JSONObject([("kind", "DeleteOptions"), ("apiVersion", "v1"), ("propagationPolicy", "Background")])
        if let rv = resourceVersion { opts["preconditions"] = .object(JSONObject([("resourceVersion", .string(rv))])) }
        return try await requestJSON(
            method: "DELETE", path: resourcePath(r, namespace: namespace, name: name), query: writeQuery(dryRun, nil),
            body: .object(opts), operation: "delete \(r) \(name)")
    }

    private func writeQuery(_ dryRun: Bool, _ fieldManager: String?) -> [(String, String)] {
        var q: [(String, String)] = []
        if dryRun { q.append(("dryRun", "All")) }
        if let f = fieldManager, !f.isEmpty { q.append(("fieldManager", f)) }
        return q
    }
}
