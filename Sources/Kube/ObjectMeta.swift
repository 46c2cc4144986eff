// Typed views of the metadata every Kubernetes object carries. Objects themselves stay `JSON`
// (fields smitop does not model must round-trip), so these are decoded on demand and cheaply:
// no Codable, no intermediate Foundation values, timestamps kept as their wire text.

import Foundation
import KubeCore
import SMI

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

public struct ManagedFieldsEntry: Sendable, Equatable {
    public var manager: String
    /// "Apply" or "Update".
    public var operation: String
    public var apiVersion: String?
    /// RFC 3339 text as sent by the server.
    public var time: String?

    public init(manager: String, operation: String, apiVersion: String? = nil, time: String? = nil) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
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
    public init(json: JSON) {
        self.init()
        guard case .object(let m) = json else { return }
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
                ownerReferences = (value.arrayValue ?? []).compactMap { r in
                    guard let kind = r["kind"]?.stringValue, let name = r["name"]?.stringValue else { return nil }
                    return OwnerReference(
                        apiVersion: r["apiVersion"]?.stringValue ?? "", kind: kind, name: name,
                        uid: r["uid"]?.stringValue ?? "", controller: r["controller"]?.boolValue ?? false)
                }
            case "managedFields":
                managedFields = (value.arrayValue ?? []).compactMap { e in
                    guard let manager = e["manager"]?.stringValue else { return nil }
                    return ManagedFieldsEntry(
                        manager: manager, operation: e["operation"]?.stringValue ?? "",
                        apiVersion: e["apiVersion"]?.stringValue, time: e["time"]?.stringValue)
                }
            default: break
            }
        }
    }

    /// The metadata of a whole object (`object.metadata`).
    public init(object: JSON) {
        self.init(json: object["metadata"] ?? .null)
    }

    /// Identity inside one resource type: "namespace/name" or "name" for cluster-scoped objects.
    public var key: String { namespace.map { "\($0)/\(name)" } ?? name }

    public var creationDate: Date? { creationTimestamp.flatMap(KubeTime.parse) }
    public var deletionDate: Date? { deletionTimestamp.flatMap(KubeTime.parse) }

    /// The owner marked `controller: true`, the one that reconciles this object.
    public var controllerOwner: OwnerReference? { ownerReferences.first { $0.controller } }

    private static func stringMap(_ v: JSON) -> [String: String] {
        guard case .object(let o) = v else { return [:] }
        var out: [String: String] = [:]
        out.reserveCapacity(o.count)
        for (k, v) in o { if let s = v.stringValue { out[k] = s } }
        return out
    }
}

/// The identity key of an object without decoding the rest of its metadata (hot path: stores).
public func objectKey(_ object: JSON) -> String {
    let name = object[path: "metadata", "name"]?.stringValue ?? ""
    if let ns = object[path: "metadata", "namespace"]?.stringValue, !ns.isEmpty { return "\(ns)/\(name)" }
    return name
}

public struct ListMeta: Sendable, Equatable {
    public var resourceVersion: String?
    /// The `continue` token; nil (not "") when the list is complete.
    public var continueToken: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continueToken: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
        self.remainingItemCount = remainingItemCount
    }

    public init(json: JSON) {
        resourceVersion = json["resourceVersion"]?.stringValue
        let c = json["continue"]?.stringValue
        continueToken = (c?.isEmpty ?? true) ? nil : c
        remainingItemCount = json["remainingItemCount"]?.intValue
    }
}

/// One page of a `*List` response.
public struct ObjectList: Sendable, Equatable {
    public var metadata: ListMeta
    public var items: [JSON]

    public init(metadata: ListMeta, items: [JSON]) {
        self.metadata = metadata
        self.items = items
    }

    /// Rejects bodies that are not lists, so that a proxy's JSON error page is not read as
    /// "no objects". `items: null` is accepted: Go servers send it for empty lists.
    public init(json: JSON) throws(KubeError) {
        guard case .object(let o) = json else {
            throw KubeError.decoding("expected a list object, got \(json.typeName)")
        }
        let items: [JSON]
        switch o["items"] {
        case .array(let a): items = a
        case .null: items = []
        default:
            guard o["items"] == nil, o["metadata"] != nil, o["kind"]?.stringValue?.hasSuffix("List") ?? false else {
                throw KubeError.decoding("the response is not a list (no \"items\")")
            }
            items = []
        }
        self.init(metadata: ListMeta(json: o["metadata"] ?? .null), items: items)
    }
}
