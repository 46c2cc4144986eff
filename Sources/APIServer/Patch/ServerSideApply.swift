// Server-side apply (`PATCH` with `application/apply-patch+yaml`) and the field ownership
// bookkeeping every write does in `metadata.managedFields`. smitop reads managedFields to
// warn that a controller (flagger, argo-rollouts) owns a split's weights, so the simulator
// must produce the same entries a real cluster does; kubectl itself does not need them.
//
// Faithful parts: FieldsV1 encoding; Apply entries keyed by manager, Update entries by manager
// and apiVersion; entries sorted Apply-first, then by time, then manager; conflicts when a
// field another manager owns would change value (shared ownership when the value is equal);
// `force` moving ownership; fields this applier owned before but omits now are removed
// unless another manager also owns them; Update writes take over the fields they change.
//
// Deliberate simplifications (bounded, documented):
// - Type information comes from `PatchStrategies` (keyed lists, sets, otherwise atomic
//   lists and granular maps), not from OpenAPI; `x-kubernetes-map-type: atomic` is not
//   modelled.
// - Newly applied items of a keyed list are appended after the live items; upstream orders
//   the merged list by the applied configuration.
// - `status` is treated like any other field (upstream resets it on the main resource for
//   kinds with a status subresource); the simulator should not accept status via apply.
// - Removing an applier's last field in a map leaves the (empty) map in place.
// - No "before-first-apply" entry is synthesised for objects that predate managedFields.

import KubeCore

public struct ApplyConflict: Sendable, Equatable {
    public var manager: String
    public var operation: String
    public var apiVersion: String
    public var time: String?
    public var path: FieldPath

    /// `.spec.backends`, as in the Status cause's `field`.
    public var field: String { fieldPathString(path) }

    /// `conflict with "flagger" using split.smi-spec.io/v1alpha4` (Update entries add
    /// ` at <time>`, as upstream prints them).
    public var message: String { "conflict with \(managerDescription)" }

    var managerDescription: String {
        var s = "\"\(manager)\""
        s += " using \(apiVersion)"
        if operation == "Update", let time { s += " at \(time)" }
        return s
    }

    /// The metav1.StatusCause for the 409 response.
    public var cause: JSON {
        ["reason": "FieldManagerConflict", "message": .string(message), "field": .string(field)]
    }
}

/// The 409 Conflict message upstream builds from a conflict list.
public func applyConflictMessage(_ conflicts: [ApplyConflict]) -> String {
    if conflicts.count == 1, let c = conflicts.first {
        return "Apply failed with 1 conflict: conflict with \(c.managerDescription): \(c.field)"
    }
    var byManager: [String: [ApplyConflict]] = [:]
    for c in conflicts { byManager[c.managerDescription, default: []].append(c) }
    var lines: [String] = []
    for m in byManager.keys.sorted() {
        lines.append("conflicts with \(m):")
        for c in byManager[m]! { lines.append("- \(c.field)") }
    }
    return "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
}

public struct ServerSideApplyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let httpStatus: Int
    public var description: String { message }
}

/// One `metadata.managedFields` entry with its parsed field set.
public struct ManagedFieldsRecord: Sendable, Equatable {
    public var manager: String
    public var operation: String
    public var apiVersion: String
    public var time: String?
    public var subresource: String?
    public var fields: FieldSet

    public init(manager: String, operation: String, apiVersion: String, time: String?, subresource: String? = nil, fields: FieldSet) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    public init?(json: JSON) {
        guard let m = json["manager"]?.stringValue, let op = json["operation"]?.stringValue else { return nil }
        manager = m
        operation = op
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        time = json["time"]?.stringValue
        subresource = json["subresource"]?.stringValue
        fields = FieldSet(fieldsV1: json["fieldsV1"] ?? .emptyObject)
    }

    public var json: JSON {
        var o = JSONObject()
        o["manager"] = .string(manager)
        o["operation"] = .string(operation)
        o["apiVersion"] = .string(apiVersion)
        if let time { o["time"] = .string(time) }
        o["fieldsType"] = "FieldsV1"
        o["fieldsV1"] = fields.fieldsV1
        if let subresource { o["subresource"] = .string(subresource) }
        return .object(o)
    }

    func sameIdentity(manager m: String, operation op: String, apiVersion v: String, subresource sub: String? = nil) -> Bool {
        guard manager == m, operation == op, subresource == sub else { return false }
        return op == "Apply" || apiVersion == v
    }
}

/// The managedFields entries of an object (entries that do not parse are dropped, as
/// upstream resets managedFields it cannot decode).
public func managedFieldsRecords(of object: JSON?) -> [ManagedFieldsRecord] {
    object?[path: "metadata", "managedFields"]?.arrayValue?.compactMap(ManagedFieldsRecord.init(json:)) ?? []
}

/// Metadata fields the server sets itself; nobody owns them.
private let unmanagedMetadata: Set<String> = [
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink", "generateName",
]

/// The fields an object sets, as server-side apply counts them.
public func fieldSet(of object: JSON, kind: String?, strategies: PatchStrategies = .builtIn) -> FieldSet {
    var out = Set<FieldPath>()
    func walk(_ v: JSON, _ path: FieldPath, _ keys: [String]) {
        switch v {
        case .object(let o):
            if o.isEmpty && !path.isEmpty {
                out.insert(path)
                return
            }
            for (k, child) in o {
                if path.isEmpty && (k == "apiVersion" || k == "kind") { continue }
                if path == [.field("metadata")] && unmanagedMetadata.contains(k) { continue }
                walk(child, path + [.field(k)], keys + [k])
            }
        case .array(let a):
            switch strategies.listStrategy(kind: kind, path: keys) {
            case .map(let mk):
                if a.isEmpty { out.insert(path) }
                for item in a {
                    guard case .object(let io) = item else {
                        out.insert(path)
                        continue
                    }
                    let p = path + [keyElement(io, keys: mk)]
                    out.insert(p)
                    for (k, child) in io { walk(child, p + [.field(k)], keys + [k]) }
                }
            case .set:
                if a.isEmpty { out.insert(path) }
                for item in a { out.insert(path + [.value(item.compactString)]) }
            case .atomic:
                out.insert(path)
            }
        default:
            out.insert(path)
        }
    }
    walk(object, [], [])
    return FieldSet(out)
}

/// Applies `applied` (the request body, already decoded from YAML or JSON) for `manager`.
///
/// Returns the new object and the conflicts found. With conflicts and `force == false` the
/// object is `live` unchanged and the caller answers 409 (see `ApplyConflict.cause`,
/// `applyConflictMessage`); with `force == true` the conflicts are the fields whose ownership
/// moved to `manager`. When `live` is nil the object is created from `applied`.
public func serverSideApply(
    live: JSON?, applied: JSON, manager: String, force: Bool, now: String,
    strategies: PatchStrategies = .builtIn
) throws(ServerSideApplyError) -> (object: JSON, conflicts: [ApplyConflict]) {
    guard case .object = applied else {
        throw ServerSideApplyError(message: "error decoding YAML: the applied configuration is not an object", httpStatus: 400)
    }
    guard let apiVersion = applied["apiVersion"]?.stringValue, !apiVersion.isEmpty,
        let kind = applied["kind"]?.stringValue, !kind.isEmpty
    else {
        throw ServerSideApplyError(message: "invalid object type: the applied configuration needs apiVersion and kind", httpStatus: 400)
    }
    if let liveKind = live?["kind"]?.stringValue, liveKind != kind {
        throw ServerSideApplyError(message: "invalid object type: \(kind), expected \(liveKind)", httpStatus: 400)
    }
    let base = live ?? .emptyObject
    var records = managedFieldsRecords(of: live)
    let appliedSet = fieldSet(of: applied, kind: kind, strategies: strategies)

    var conflicts: [ApplyConflict] = []
    if live != nil {
        // Only leaves carry values worth comparing; a keyed item's own path is a prefix.
        let leaves = appliedSet.paths.filter { p in
            !appliedSet.paths.contains { $0.count > p.count && Array($0.prefix(p.count)) == p }
        }
        for p in leaves.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let current = base.fieldValue(at: p), current != applied.fieldValue(at: p) else { continue }
            for r in records where r.manager != manager && r.fields.contains(p) {
                conflicts.append(ApplyConflict(manager: r.manager, operation: r.operation, apiVersion: r.apiVersion, time: r.time, path: p))
            }
        }
        conflicts.sort { ($0.manager, fieldPathString($0.path)) < ($1.manager, fieldPathString($1.path)) }
        if !conflicts.isEmpty && !force { return (base, conflicts) }
    }
    for c in conflicts {
        for i in records.indices where records[i].manager == c.manager && records[i].operation == c.operation && records[i].apiVersion == c.apiVersion {
            records[i].fields.paths.remove(c.path)
        }
    }

    var result = mergeApplied(base, applied, kind: kind, keys: [], strategies: strategies)
    // Identity comes from the live object; the applied body cannot change it.
    if let live, case .object(var meta) = result["metadata"] {
        for k in ["uid", "resourceVersion", "creationTimestamp", "generation"] { meta[k] = live[path: "metadata", k] }
        result["metadata"] = .object(meta)
    }

    let mine = records.firstIndex { $0.sameIdentity(manager: manager, operation: "Apply", apiVersion: apiVersion) }
    let previous = mine.map { records[$0].fields } ?? FieldSet()
    let others = records.enumerated().filter { $0.offset != mine }.map(\.element.fields)
    for p in previous.subtracting(appliedSet).paths.sorted(by: { $0.count > $1.count }) {
        if appliedSet.containsPrefix(p) || others.contains(where: { $0.containsPrefix(p) }) { continue }
        result.removeField(at: p)
    }

    let entry = ManagedFieldsRecord(manager: manager, operation: "Apply", apiVersion: apiVersion, time: now, fields: appliedSet)
    if let mine { records[mine] = entry } else { records.append(entry) }
    result = storeManagedFields(records, in: result, kind: kind, strategies: strategies)
    return (result, conflicts)
}

/// Records a non-apply write (create, update, any patch) by `manager`: the fields whose
/// value changed, or that are new, become owned by `manager` (taken from whoever owned them:
/// updates never conflict), fields that disappeared are dropped from every entry.
///
/// If the client sent managedFields different from the stored ones, those are taken as given
/// (upstream lets a writer reset ownership that way; an empty list clears it).
///
/// `subresource` ("status") marks a write through a subresource, kept in its own entry as
/// kube-apiserver does since 1.22, so "who changed the spec" and "who wrote the status" stay
/// apart.
public func recordUpdate(
    old: JSON?, new: JSON, manager: String, operation: String = "Update", apiVersion: String, now: String,
    subresource: String? = nil, strategies: PatchStrategies = .builtIn
) -> JSON {
    let kind = new["kind"]?.stringValue ?? old?["kind"]?.stringValue
    let sentManaged = new[path: "metadata", "managedFields"]
    let oldManaged = old?[path: "metadata", "managedFields"]
    var records: [ManagedFieldsRecord]
    if let sentManaged, sentManaged != (oldManaged ?? .null) {
        if sentManaged.arrayValue?.isEmpty ?? true {
            var out = new
            if case .object(var meta) = out["metadata"] {
                _ = meta.removeValue(forKey: "managedFields")
                out["metadata"] = .object(meta)
            }
            return out
        }
        records = managedFieldsRecords(of: new)
    } else {
        records = managedFieldsRecords(of: old)
    }
    let before = old ?? .emptyObject
    let newSet = fieldSet(of: new, kind: kind, strategies: strategies)
    var changed = FieldSet()
    for p in newSet.paths where before.fieldValue(at: p) != new.fieldValue(at: p) {
        changed.insert(p)
        // A new item in a keyed list makes its own path "changed" as well.
        for n in 1..<max(p.count, 1) {
            let prefix = Array(p.prefix(n))
            if case .key = prefix.last, before.fieldValue(at: prefix) == nil { changed.insert(prefix) }
        }
    }
    if !changed.isEmpty {
        for i in records.indices { records[i].fields = records[i].fields.subtracting(changed) }
        if let i = records.firstIndex(where: {
            $0.sameIdentity(manager: manager, operation: operation, apiVersion: apiVersion, subresource: subresource)
        }) {
            records[i].fields = records[i].fields.union(changed)
            records[i].time = now
        } else {
            records.append(
                ManagedFieldsRecord(manager: manager, operation: operation, apiVersion: apiVersion, time: now, subresource: subresource, fields: changed))
        }
    }
    return storeManagedFields(records, in: new, kind: kind, strategies: strategies)
}

/// Drops ownership of fields that no longer exist and empty entries, sorts as upstream
/// does and writes the entries into `metadata.managedFields`.
private func storeManagedFields(_ records: [ManagedFieldsRecord], in object: JSON, kind: String?, strategies: PatchStrategies) -> JSON {
    var recs = records
    for i in recs.indices {
        recs[i].fields.paths = recs[i].fields.paths.filter { object.fieldValue(at: $0) != nil }
    }
    recs.removeAll { $0.fields.isEmpty }
    recs.sort { a, b in
        if a.operation != b.operation { return a.operation < b.operation }
        if (a.time ?? "") != (b.time ?? "") { return (a.time ?? "") < (b.time ?? "") }
        if a.manager != b.manager { return a.manager < b.manager }
        return a.apiVersion < b.apiVersion
    }
    var out = object
    var meta = out["metadata"]?.objectValue ?? JSONObject()
    if recs.isEmpty {
        _ = meta.removeValue(forKey: "managedFields")
    } else {
        meta["managedFields"] = .array(recs.map(\.json))
    }
    out["metadata"] = .object(meta)
    return out
}

/// Merges an applied configuration into the live object: maps recursively, keyed lists by
/// key, sets as unions, everything else replaced by the applied value.
private func mergeApplied(_ live: JSON, _ applied: JSON, kind: String, keys: [String], strategies: PatchStrategies) -> JSON {
    switch (live, applied) {
    case (.object(var l), .object(let a)):
        for (k, av) in a {
            if keys.isEmpty && k == "metadata", case .object(let am) = av {
                var lm = l["metadata"]?.objectValue ?? JSONObject()
                for (mk, mv) in am where !(unmanagedMetadata.contains(mk) && mk != "name" && mk != "namespace" && mk != "generateName") {
                    if case .null = mv {
                        _ = lm.removeValue(forKey: mk)
                        continue
                    }
                    lm[mk] = mergeApplied(lm[mk] ?? .null, mv, kind: kind, keys: ["metadata", mk], strategies: strategies)
                }
                l["metadata"] = .object(lm)
                continue
            }
            if case .null = av {
                _ = l.removeValue(forKey: k)
                continue
            }
            l[k] = mergeApplied(l[k] ?? .null, av, kind: kind, keys: keys + [k], strategies: strategies)
        }
        return .object(l)
    case (.array(let l), .array(let a)):
        switch strategies.listStrategy(kind: kind, path: keys) {
        case .atomic:
            return applied
        case .set:
            var out = l
            for item in a where !out.contains(item) { out.append(item) }
            return .array(out)
        case .map(let mk):
            var out = l
            for item in a {
                guard case .object(let io) = item else { return applied }
                let key = keyElement(io, keys: mk)
                if let i = out.firstIndex(where: { ($0.objectValue.map { keyElement($0, keys: mk) }) == key }) {
                    out[i] = mergeApplied(out[i], item, kind: kind, keys: keys, strategies: strategies)
                } else {
                    out.append(item)
                }
            }
            return .array(out)
        }
    default:
        return applied
    }
}
