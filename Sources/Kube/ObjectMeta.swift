// List metadata and list pages. Object metadata (ObjectMeta) lives in KubeCore, shared with
// the SMI and Gateway API models.

import Foundation
import KubeCore
import SMI

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
