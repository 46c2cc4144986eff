import KubeCore

// Decoding a TrafficSplit list straight from its bytes.
//
// Why: listing ten thousand splits through a JSON tree spent most of its time allocating,
// reference counting and freeing the tree (docs/benchmarks.md), while a split needs a few
// strings from metadata and its small spec. This decoder walks each item once, keeps only
// what `TrafficSplit` models, skips everything else without building it, and then runs the
// very checks and spec decoding `TrafficSplit(json:)` runs (its shared initialiser), so both
// decoders give the same model and the same errors (tested item by item and by the fuzzer).

/// One item of a TrafficSplit list.
public struct TrafficSplitListItem: Sendable {
    /// `namespace/name`, or `name` without a namespace: the identity a list is de-duplicated by.
    public var key: String
    public var namespace: String
    public var name: String
    public var split: Result<TrafficSplit, SMIDecodeError>

    public init(key: String, namespace: String, name: String, split: Result<TrafficSplit, SMIDecodeError>) {
        self.key = key
        self.namespace = namespace
        self.name = name
        self.split = split
    }
}

extension TrafficSplit {
    /// The `items` of a list response, or nil when the document has no `items` member (the
    /// caller decides whether that is an error). Throws only for malformed JSON.
    ///
    /// Each split comes in its slim form, as `TrafficSplit(json:).slimmed()` gives it: `raw`
    /// holds what `encode()` and `weightsMergePatch()` read, `meta` what `controller` is
    /// decided by; nothing else of the metadata is read. Items in the SDK v0.3.0 layout
    /// (schema at the root) are decoded through the tree, whole, then slimmed.
    public static func listItems(fromListBytes bytes: [UInt8]) throws(JSONParseError) -> [TrafficSplitListItem]? {
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> [TrafficSplitListItem]? in
            var p = JSONParser(buf)
            p.skipWhitespace()
            guard p.peek == UInt8(ascii: "{") else {
                _ = try p.parseValue(depth: 0)
                try p.expectEnd()
                return nil
            }
            var items: [TrafficSplitListItem]?
            try p.forEachMember(depth: 0) { (p, key) throws(JSONParseError) in
                guard key.is("items") else { return try p.skipValue(depth: 1) }
                p.skipWhitespace()
                if p.peek == UInt8(ascii: "n") {
                    try p.literal("null")
                    items = []
                    return
                }
                guard p.peek == UInt8(ascii: "[") else {
                    // Not a list: the caller reports it, as it does for a tree without items.
                    try p.skipValue(depth: 1)
                    items = nil
                    return
                }
                var out: [TrafficSplitListItem] = []
                try p.forEachElement(depth: 1) { (p) throws(JSONParseError) in
                    out.append(try p.trafficSplitItem(depth: 2))
                }
                items = out
            }
            try p.expectEnd()
            return items
        }
    }
}

extension JSONParser {
    mutating func objectMetaLite(depth: Int) throws(JSONParseError) -> ObjectMeta {
        skipWhitespace()
        var m = ObjectMeta(name: "")
        guard peek == UInt8(ascii: "{") else {
            try skipValue(depth: depth)
            return m
        }
        try forEachMember(depth: depth) { (p, key) throws(JSONParseError) in
            let d = depth + 1
            if key.is("name") {
                m.name = try p.stringOrSkip(depth: d) ?? ""
            } else if key.is("namespace") {
                m.namespace = try p.stringOrSkip(depth: d)
            } else if key.is("resourceVersion") {
                m.resourceVersion = try p.stringOrSkip(depth: d)
            } else if key.is("uid") {
                m.uid = try p.stringOrSkip(depth: d)
            } else if key.is("labels") {
                m.labels = try p.stringMap(depth: d, keeping: ObjectMeta.gitOpsLabelKeys)
            } else if key.is("annotations") {
                m.annotations = try p.stringMap(depth: d, keeping: [ObjectMeta.argoTrackingAnnotation])
            } else if key.is("ownerReferences") {
                // Rare and small: read through the tree, with the tree decoder's rules.
                m.ownerReferences = (try p.parseValue(depth: d).arrayValue ?? []).map(OwnerReference.init(json:))
            } else if key.is("managedFields") {
                m.managedFields = try p.managedFieldsEntries(depth: d)
            } else {
                try p.skipValue(depth: d)
            }
        }
        return m.keepingControllerEvidence()
    }

    /// `managedFields[].manager`, in order, duplicates removed; the field sets are skipped.
    mutating func trafficSplitItem(depth: Int) throws(JSONParseError) -> TrafficSplitListItem {
        skipWhitespace()
        let start = pos
        guard peek == UInt8(ascii: "{") else {
            let v = try parseValue(depth: depth)
            return TrafficSplitListItem(
                key: "", namespace: "", name: "", split: .failure(SMIDecodeError("", "expected an object, found \(v.typeName)")))
        }
        var kind: String?
        var apiVersion: String?
        var meta = ObjectMeta(name: "")
        var spec: JSON?
        var rootLayout = false
        try forEachMember(depth: depth) { (p, key) throws(JSONParseError) in
            let d = depth + 1
            if key.is("kind") {
                kind = try p.stringOrSkip(depth: d)
            } else if key.is("apiVersion") {
                apiVersion = try p.stringOrSkip(depth: d)
            } else if key.is("metadata") {
                meta = try p.objectMetaLite(depth: d)
            } else if key.is("spec") {
                spec = try p.parseValue(depth: d)
            } else if key.is("backends") {
                rootLayout = true
                try p.skipValue(depth: d)
            } else {
                try p.skipValue(depth: d)
            }
        }
        let key = (meta.namespace ?? "").isEmpty ? meta.name : "\(meta.namespace!)/\(meta.name)"
        let specObject = spec?.objectValue != nil ? spec : nil
        if specObject == nil && rootLayout {
            // The SDK v0.3.0 layout: rare enough to read through the tree, whole.
            let end = pos
            pos = start
            let tree = try parseValue(depth: depth)
            pos = end
            let result = Result { () throws(SMIDecodeError) in try TrafficSplit(json: tree).slimmed() }
            return TrafficSplitListItem(key: key, namespace: meta.namespace ?? "", name: meta.name, split: result)
        }
        let raw = TrafficSplit.slimRaw(apiVersion: apiVersion.map(JSON.string), kind: kind.map(JSON.string), meta: meta, spec: spec)
        let m = meta
        let result = Result { () throws(SMIDecodeError) in
            try TrafficSplit(
                kind: kind, apiVersion: apiVersion ?? "", meta: m, spec: specObject, specPath: "spec", raw: raw)
        }
        return TrafficSplitListItem(key: key, namespace: meta.namespace ?? "", name: meta.name, split: result)
    }
}

extension TrafficSplitListItem {
    /// What differs between this item and `TrafficSplit(json:).slimmed()` of the same item, or
    /// nil when they agree: the same model, the same write, or the same error. For the tests
    /// and `smitop fuzz`, which hold the two decoders to one behaviour.
    public func disagreement(withTree item: JSON) -> String? {
        let tree = Result { () throws(SMIDecodeError) in try TrafficSplit(json: item).slimmed() }
        if key != objectKeyOf(item) { return "key \(key) ≠ \(objectKeyOf(item))" }
        switch (split, tree) {
        case (.failure(let a), .failure(let b)):
            return a == b ? nil : "errors differ: \(a) ≠ \(b)"
        case (.success(let a), .success(let b)):
            if a.meta != b.meta { return "metadata differs" }
            if a.apiVersion != b.apiVersion || a.version != b.version { return "apiVersion differs" }
            if a.service != b.service || a.backends != b.backends || a.matches != b.matches { return "spec differs" }
            let specA = a.encode()["spec"] ?? a.encode()
            let specB = b.encode()["spec"] ?? b.encode()
            if b.raw["spec"]?.objectValue != nil, specA != specB { return "encoded spec differs" }
            if a.weightsMergePatch() != b.weightsMergePatch() { return "merge patch differs" }
            return nil
        case (.success, .failure(let e)): return "list decoder accepted what the tree decoder refused (\(e))"
        case (.failure(let e), .success): return "list decoder refused what the tree decoder accepted (\(e))"
        }
    }

    private func objectKeyOf(_ item: JSON) -> String {
        let name = item["metadata"]?["name"]?.stringValue ?? ""
        if let ns = item["metadata"]?["namespace"]?.stringValue, !ns.isEmpty { return "\(ns)/\(name)" }
        return name
    }
}
