// The metadata every Kubernetes object carries, once for every module (the SMI model, the
// Gateway API model, the mesh store, the client). Objects themselves stay `JSON` (fields
// smitop does not model must round-trip), so this is decoded on demand and cheaply: no
// Codable, no intermediate Foundation values, timestamps kept as their wire text.

import Foundation

public struct OwnerReference: Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool

    public init(apiVersion: String, kind: String, name: String, uid: String = "", controller: Bool = false) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

extension OwnerReference {
    /// Lenient: missing fields read as "" and false.
    public init(json r: JSON) {
        self.init(
            apiVersion: r["apiVersion"]?.stringValue ?? "", kind: r["kind"]?.stringValue ?? "",
            name: r["name"]?.stringValue ?? "", uid: r["uid"]?.stringValue ?? "",
            controller: r["controller"]?.boolValue ?? false)
    }
}

public struct ManagedFieldsEntry: Sendable, Equatable {
    public var manager: String
    /// "Apply" or "Update".
    public var operation: String
    public var apiVersion: String?
    /// RFC 3339 text as sent by the server.
    public var time: String?
    /// "status" for a write through the status subresource (a mesh controller's verdict),
    /// nil for the object itself.
    public var subresource: String?

    public init(manager: String, operation: String, apiVersion: String? = nil, time: String? = nil, subresource: String? = nil) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
    }
}

public struct ObjectMeta: Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]
    public var annotations: [String: String]
    public var ownerReferences: [OwnerReference]
    public var managedFields: [ManagedFieldsEntry]

    public init(
        name: String = "", namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
        generation: Int64? = nil, creationTimestamp: String? = nil, deletionTimestamp: String? = nil,
        labels: [String: String] = [:], annotations: [String: String] = [:],
        ownerReferences: [OwnerReference] = [], managedFields: [ManagedFieldsEntry] = []
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.managedFields = managedFields
    }

    /// Decodes a `metadata` value. Lenient like Go's decoder for fields of the wrong type:
    /// they read as absent, so one odd object never stops a list from loading.
    public init(json: JSON?) {
        self.init()
        guard case .object(let m) = json ?? .null else { return }
        for (key, value) in m {
            switch key {
            case "name": name = value.stringValue ?? ""
            case "namespace": namespace = value.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            case "uid": uid = value.stringValue
            case "resourceVersion": resourceVersion = value.stringValue
            case "generation": generation = value.intValue
            case "creationTimestamp": creationTimestamp = value.stringValue
            case "deletionTimestamp": deletionTimestamp = value.stringValue
            case "labels": labels = Self.stringMap(value)
            case "annotations": annotations = Self.stringMap(value)
            case "ownerReferences":
                // Kept even without a kind or name: a `controller: true` reference still means
                // something reconciles the object, and the edit warning must say so.
                ownerReferences = (value.arrayValue ?? []).map(OwnerReference.init(json:))
            case "managedFields":
                managedFields = (value.arrayValue ?? []).compactMap { e in
                    guard let manager = e["manager"]?.stringValue else { return nil }
                    return ManagedFieldsEntry(
                        manager: manager, operation: e["operation"]?.stringValue ?? "",
                        apiVersion: e["apiVersion"]?.stringValue, time: e["time"]?.stringValue,
                        subresource: e["subresource"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
                }
            default: break
            }
        }
    }

    /// The metadata of a whole object (`object.metadata`).
    public init(object: JSON) {
        self.init(json: object["metadata"] ?? .null)
    }

    /// Identity inside one resource type.
    public var ref: ObjectRef { ObjectRef(namespace: namespace ?? "", name: name) }

    public var creationDate: Date? { creationTimestamp.flatMap(KubeTime.parse) }
    public var deletionDate: Date? { deletionTimestamp.flatMap(KubeTime.parse) }

    /// `managedFields[].manager`, in order, duplicates removed.
    public var managers: [String] {
        var out: [String] = []
        for f in managedFields where !out.contains(f.manager) { out.append(f.manager) }
        return out
    }

    /// Who last wrote the object itself (not its status): the entry with the newest time among
    /// those without a subresource, else the last listed. "Who changed these weights" — a mesh
    /// controller writing `status` afterwards is not the answer.
    public var lastWriter: String? {
        let own = managedFields.filter { $0.subresource == nil }
        let timed = own.compactMap { f in f.time.flatMap(KubeTime.parse).map { (f, $0) } }
        if let newest = timed.max(by: { $0.1 < $1.1 }) { return newest.0.manager }
        return own.last?.manager ?? managedFields.last?.manager
    }

    /// The owner marked `controller: true`, the one that reconciles this object.
    public var controllerOwner: OwnerReference? { ownerReferences.first { $0.controller } }

    private static func stringMap(_ v: JSON) -> [String: String] {
        guard case .object(let o) = v else { return [:] }
        var out: [String: String] = [:]
        out.reserveCapacity(o.count)
        for (k, v) in o { if let s = v.stringValue { out[k] = s } }
        return out
    }

    /// The inverse of `init(json:)` for what it models; empty fields are left out. Slim list
    /// forms (see `keepingControllerEvidence`) are encoded with it.
    public var json: JSON {
        var o = JSONObject()
        o["name"] = .string(name)
        if let namespace { o["namespace"] = .string(namespace) }
        if let uid { o["uid"] = .string(uid) }
        if let resourceVersion { o["resourceVersion"] = .string(resourceVersion) }
        if let generation { o["generation"] = .int(generation) }
        if let creationTimestamp { o["creationTimestamp"] = .string(creationTimestamp) }
        if let deletionTimestamp { o["deletionTimestamp"] = .string(deletionTimestamp) }
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
        if !managedFields.isEmpty {
            o["managedFields"] = .array(
                managedFields.map { f in
                    var e = JSONObject()
                    e["manager"] = .string(f.manager)
                    if !f.operation.isEmpty { e["operation"] = .string(f.operation) }
                    if let v = f.apiVersion { e["apiVersion"] = .string(v) }
                    if let t = f.time { e["time"] = .string(t) }
                    if let s = f.subresource { e["subresource"] = .string(s) }
                    return .object(e)
                })
        }
        return .object(o)
    }
}
