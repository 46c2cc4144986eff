import Foundation
import KubeCore
import SMI

// Lists: one page, every page, and every page decoded on another core while the next is
// fetched (client-go's pager, pipelined).

public struct ListOptions: Sendable, Equatable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if let l = labelSelector, !l.isEmpty { q.append(("labelSelector", l)) }
        if let f = fieldSelector, !f.isEmpty { q.append(("fieldSelector", f)) }
        if let l = limit, l > 0 { q.append(("limit", String(l))) }
        if let c = continueToken, !c.isEmpty { q.append(("continue", c)) }
        if let rv = resourceVersion { q.append(("resourceVersion", rv)) }
        return q
    }
}

extension KubeClient {
    /// Never read from a list by smitop, and most of its bytes: the field sets of
    /// `managedFields` entries (their `manager` names are kept) and kubectl's last-applied copy.
    public static let bulkyKeys = ["fieldsV1", "kubectl.kubernetes.io/last-applied-configuration"]

    /// One page.
    public func list(_ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList {
        let json = try await requestJSON(
            method: "GET", path: resourcePath(r, namespace: namespace), query: options.query, operation: "list \(r)",
            skippingKeys: Self.bulkyKeys)
        do { return try ObjectList(json: json) } catch {
            var e = error
            e.operation = "list \(r)"
            throw e
        }
    }

    /// Every page (limit `pageSize`); if the continue token expires midway, one unpaged list,
    /// as client-go's pager does. The result carries the list's resourceVersion.
    public func listAll(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions(), pageSize: Int = 500
    ) async throws(KubeError) -> ObjectList {
        let (meta, items) = try await listAll(r, namespace: namespace, options: options, pageSize: pageSize) { $0 }
        return ObjectList(metadata: meta, items: items)
    }

    /// Every page, each item passed through `decode` while the next page is being fetched.
    ///
    /// Why pipelined: decoding a page costs several times what fetching it does, and on a
    /// large list that decoding is most of the wall time. Only the list's `metadata` (the
    /// continue token) is needed before the next request can go out, so each page is skimmed
    /// for it (`items` skipped without building anything) and parsed in full on another core.
    /// Items are returned in server order; an object seen on two pages (it changed while we
    /// paged) keeps its first position and its last content, as `listAll` always did.
    public func listAll<T: Sendable>(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions(), pageSize: Int = 500,
        decode: @escaping @Sendable (JSON) -> T
    ) async throws(KubeError) -> (metadata: ListMeta, items: [T]) {
        try await listAll(r, namespace: namespace, options: options, pageSize: pageSize) { (resp, operation) throws(KubeError) in
            try Self.listItems(resp, operation: operation).map { (ObjectRef(object: $0).key, decode($0)) }
        }
    }

    /// TrafficSplits, every page decoded straight from its bytes (TrafficSplitList.swift)
    /// while the next is fetched; `transform` runs on the decoding core too.
    public func listTrafficSplits<T: Sendable>(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions = ListOptions(), pageSize: Int = 500,
        transform: @escaping @Sendable (TrafficSplitListItem) -> T
    ) async throws(KubeError) -> (metadata: ListMeta, items: [T]) {
        try await listAll(r, namespace: namespace, options: options, pageSize: pageSize) { (resp, operation) throws(KubeError) in
            if let items = try? TrafficSplit.listItems(fromListBytes: resp.body) {
                return items.map { ($0.key, transform($0)) }
            }
            // Not a list, or not JSON: the tree path has the exact errors (and the rare
            // list without `items` that is still a list).
            return try Self.listItems(resp, operation: operation).map { item in
                let m = ObjectMeta(json: item["metadata"])
                let split = Result { () throws(SMIDecodeError) in try TrafficSplit(json: item) }
                return (
                    ObjectRef(object: item).key,
                    transform(TrafficSplitListItem(key: ObjectRef(object: item).key, namespace: m.namespace ?? "", name: m.name, split: split))
                )
            }
        }
    }

    static func listItems(_ r: HTTPResponse, operation: String) throws(KubeError) -> [JSON] {
        do throws(KubeError) {
            return try ObjectList(json: try decodeJSON(r, operation: operation, skippingKeys: bulkyKeys)).items
        } catch {
            var e = error
            e.operation = operation
            throw e
        }
    }

    /// The pipeline under both: `decodePage` runs on another core while the next page is
    /// fetched.
    func listAll<T: Sendable>(
        _ r: GroupVersionResource, namespace: String?, options: ListOptions, pageSize: Int,
        decodePage: @escaping @Sendable (HTTPResponse, String) throws(KubeError) -> [(key: String, value: T)]
    ) async throws(KubeError) -> (metadata: ListMeta, items: [T]) {
        let operation = "list \(r)"
        let path = resourcePath(r, namespace: namespace)
        var opts = options
        opts.limit = pageSize
        opts.continueToken = nil
        var pages: [Task<[(key: String, value: T)], any Error>] = []
        var meta = ListMeta()
        while true {
            let resp: HTTPResponse
            do {
                resp = try await send(method: "GET", path: path, query: opts.query, operation: operation)
            } catch  where error.isGone && opts.continueToken != nil {
                for p in pages { p.cancel() }
                var full = options
                full.limit = nil
                full.continueToken = nil
                resp = try await send(method: "GET", path: path, query: full.query, operation: operation)
                pages = [Self.decodePage(resp, operation: operation, decodePage)]
                meta = ListMeta(resourceVersion: try Self.skimListMeta(resp, operation: operation).resourceVersion)
                break
            }
            let pageMeta = try Self.skimListMeta(resp, operation: operation)
            pages.append(Self.decodePage(resp, operation: operation, decodePage))
            guard let c = pageMeta.continueToken else {
                meta = ListMeta(resourceVersion: pageMeta.resourceVersion)
                break
            }
            opts.continueToken = c
        }
        var index: [String: Int] = [:]
        var out: [T] = []
        for p in pages {
            let items: [(key: String, value: T)]
            do { items = try await p.value } catch { throw KubeError.from(error) }
            index.reserveCapacity(index.count + items.count)
            out.reserveCapacity(out.count + items.count)
            for (k, v) in items {
                if let i = index[k] {
                    out[i] = v
                } else {
                    index[k] = out.count
                    out.append(v)
                }
            }
        }
        return (meta, out)
    }

    /// A page's list metadata without building its items.
    static func skimListMeta(_ r: HTTPResponse, operation: String) throws(KubeError) -> ListMeta {
        if let tail = JSON.trailingMember("metadata", in: r.body) { return ListMeta(json: tail) }
        let skim = try decodeJSON(r, operation: operation, skippingKeys: ["items"])
        guard case .object(let o) = skim else {
            throw KubeError(source: .decoding, code: r.status, message: "expected a list object, got \(skim.typeName)", operation: operation)
        }
        return ListMeta(json: o["metadata"] ?? .null)
    }

    static func decodePage<T: Sendable>(
        _ r: HTTPResponse, operation: String,
        _ decode: @escaping @Sendable (HTTPResponse, String) throws(KubeError) -> [(key: String, value: T)]
    ) -> Task<[(key: String, value: T)], any Error> {
        Task.detached { try decode(r, operation) }
    }
}
