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

/// RFC 3339 timestamps as the API server writes them (`2024-05-01T10:00:00Z`, optional
/// fraction, optional offset), parsed by hand: DateFormatter is slow and locale-sensitive.
public enum KubeTime {
    public static func parse(_ s: String) -> Date? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                let c = b[i]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        guard b.count >= 19, let y = num(0, 4), b[4] == 0x2D, let mo = num(5, 2), b[7] == 0x2D,
            let d = num(8, 2), b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20, let h = num(11, 2), b[13] == 0x3A,
            let mi = num(14, 2), b[16] == 0x3A, let sec = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else { return nil }
        var i = 19
        var frac = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                frac += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        var offset = 0
        if i < b.count, b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if i < b.count, b[i] == 0x2B || b[i] == 0x2D {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3A, let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2D ? -1 : 1)
            i += 6
        }
        // Zone-less timestamps are read as UTC, as the Python client does.
        guard i == b.count else { return nil }
        // Days from civil (Howard Hinnant's algorithm): exact for the proleptic Gregorian calendar.
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = (mo + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        let secs = Double(days * 86400 + h * 3600 + mi * 60 + sec - offset) + frac
        return Date(timeIntervalSince1970: secs)
    }

    public static func format(_ date: Date) -> String {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let rem = t - days * 86400
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func p(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(rem / 3600, 2)):\(p(rem % 3600 / 60, 2)):\(p(rem % 60, 2))Z"
    }
}
