import KubeCore

// TrafficSplit of every version in one model (NOTES.md §1).
//
// The original JSON is kept (`raw`) and encoding only replaces the weight values inside it:
// an object goes back in the apiVersion it was read in, with every field we do not model
// untouched, and each weight written in the notation it was read in ("500m" stays a quantity
// string, 90 stays an integer, a Linkerd-stored "50" stays a string). Unchanged weights keep
// their exact original literal, so decode → encode is the identity.

public struct Backend: Sendable, Equatable {
    public var service: String
    public var weight: Weight
    public init(service: String, weight: Weight) {
        self.service = service
        self.weight = weight
    }
}

/// `spec.matches[]` (v1alpha3+): a reference to an HTTPRouteGroup.
public struct SplitMatch: Sendable, Equatable {
    public var kind: String
    public var name: String
    /// In the Go type but not in the CRD schema, so the API server prunes it.
    public var apiGroup: String?
}

/// How weights are typed in the object's version (NOTES.md §1.1).
public enum WeightFormat: Sendable, Equatable {
    /// v1alpha1: a Kubernetes quantity ("500m", "1", 1).
    case quantity
    /// v1alpha2+: whole numbers.
    case integer
}

public struct TrafficSplit: Sendable, Equatable {
    public var meta: ObjectMeta
    public var apiVersion: String
    public var version: SMIVersion
    /// The root (apex) service clients address.
    public var service: String
    /// Order is kept as read: nothing gives it meaning, but tools diff on it.
    public var backends: [Backend]
    public var matches: [SplitMatch]
    /// The object as read; `encode()` starts from it.
    public var raw: JSON

    public var weightFormat: WeightFormat { version == .v1alpha1 ? .quantity : .integer }
    public var controller: ControllerInfo? { meta.controller }

    public init(json: JSON) throws(SMIDecodeError) {
        guard json.objectValue != nil else { throw SMIDecodeError("", "expected an object, found \(json.typeName)") }
        // SDK v0.3.0 placed the schema at the object root; such objects exist in old clusters.
        let spec: JSON?
        let specPath: String
        if let s = json["spec"], s.objectValue != nil {
            spec = s
            specPath = "spec"
        } else if json["backends"] != nil {
            spec = json
            specPath = ""
        } else {
            spec = nil
            specPath = "spec"
        }
        try self.init(
            kind: json["kind"]?.stringValue, apiVersion: json["apiVersion"]?.stringValue ?? "",
            meta: ObjectMeta(json: json["metadata"]), spec: spec, specPath: specPath, raw: json)
    }

    /// The checks and the spec decoding every decoder shares, in one order, so that the tree
    /// decoder and the list decoder (TrafficSplitList.swift) give the same model and errors.
    init(kind: String?, apiVersion: String, meta: ObjectMeta, spec: JSON?, specPath: String, raw: JSON) throws(SMIDecodeError) {
        if let k = kind, k != SMIKind.trafficSplit.rawValue {
            throw SMIDecodeError("kind", "expected TrafficSplit, found \(k)")
        }
        version = try parseAPIVersion(apiVersion, kind: .trafficSplit)
        self.apiVersion = apiVersion
        self.meta = meta
        guard let spec else { throw SMIDecodeError("spec", "spec is missing") }
        func p(_ rest: String) -> String { specPath.isEmpty ? rest : "\(specPath).\(rest)" }
        service = try spec.requiredString("service", at: specPath)
        var backends: [Backend] = []
        for (i, b) in try spec.optionalArray("backends", at: specPath).enumerated() {
            func bp() -> String { p("backends[\(i)]") }
            guard b.objectValue != nil else { throw SMIDecodeError(bp(), "expected an object, found \(b.typeName)") }
            let name = try b.requiredString("service", at: bp())
            guard let w = b["weight"], !w.isNull else { throw SMIDecodeError("\(bp()).weight", "weight is required") }
            do {
                backends.append(Backend(service: name, weight: try Weight(json: w)))
            } catch {
                throw SMIDecodeError("\(bp()).weight", error.description)
            }
        }
        self.backends = backends
        var matches: [SplitMatch] = []
        for (i, m) in try spec.optionalArray("matches", at: specPath).enumerated() {
            func mp() -> String { p("matches[\(i)]") }
            matches.append(
                SplitMatch(
                    kind: try m.optionalString("kind", at: mp()) ?? "", name: try m.requiredString("name", at: mp()),
                    apiGroup: try m.optionalString("apiGroup", at: mp())))
        }
        self.matches = matches
        self.raw = raw
    }

    /// A new split in the given version, written the way that version expects.
    public init(
        name: String, namespace: String?, version: SMIVersion, service: String, backends: [Backend],
        matches: [SplitMatch] = []
    ) {
        let apiVersion = "\(SMIGroup.split)/\(version.rawValue)"
        var meta = JSONObject()
        meta["name"] = .string(name)
        if let namespace { meta["namespace"] = .string(namespace) }
        var spec = JSONObject()
        spec["service"] = .string(service)
        if !matches.isEmpty {
            spec["matches"] = .array(matches.map { ["kind": .string($0.kind), "name": .string($0.name)] })
        }
        spec["backends"] = .array(backends.map { ["service": .string($0.service), "weight": $0.weight.literal] })
        raw = [
            "apiVersion": .string(apiVersion), "kind": "TrafficSplit", "metadata": .object(meta),
            "spec": .object(spec),
        ]
        self.meta = ObjectMeta(name: name, namespace: namespace)
        self.apiVersion = apiVersion
        self.version = version
        self.service = service
        self.backends = backends
        self.matches = matches
    }

    /// The same split as a UI holding ten thousand of them keeps it: `raw` reduced to what
    /// `encode()` and `weightsMergePatch()` read (apiVersion, kind, name, namespace,
    /// resourceVersion and the spec), and metadata reduced to the evidence `controller` is
    /// decided by. Most of an object's bytes are managed fields, kubectl's last-applied copy
    /// and labels no view shows; a write sends only the weights and the resourceVersion.
    public func slimmed() -> TrafficSplit {
        var copy = self
        copy.meta = meta.keepingControllerEvidence()
        if let spec = raw["spec"], spec.objectValue != nil {
            copy.raw = Self.slimRaw(apiVersion: raw["apiVersion"], kind: raw["kind"], meta: meta, spec: spec)
        } else if case .object(var root) = raw {
            // The SDK v0.3.0 layout keeps its schema at the root: keep that, slim the metadata.
            root["metadata"] = Self.slimRaw(apiVersion: nil, kind: nil, meta: meta, spec: nil)["metadata"]
            copy.raw = .object(root)
        }
        return copy
    }

    /// The slim object both decoders keep (see `slimmed()` and TrafficSplitList.swift).
    static func slimRaw(apiVersion: JSON?, kind: JSON?, meta: ObjectMeta, spec: JSON?) -> JSON {
        var m = JSONObject()
        m["name"] = .string(meta.name)
        if let ns = meta.namespace { m["namespace"] = .string(ns) }
        if let rv = meta.resourceVersion { m["resourceVersion"] = .string(rv) }
        var o = JSONObject()
        if let apiVersion { o["apiVersion"] = apiVersion }
        if let kind { o["kind"] = kind }
        o["metadata"] = .object(m)
        if let spec { o["spec"] = spec }
        return .object(o)
    }

    /// `encode()` with the modelled metadata written back in full (labels, annotations,
    /// owners, field managers), so that a split decoded from it again has the same
    /// `controller`: what a saved draft needs, since the stored split's `raw` is slim.
    public func encodeWithMetadata() -> JSON {
        var out = encode()
        out["metadata"] = meta.json
        return out
    }

    /// `raw` with the current weights written in. Only weights change: services, order, the
    /// apiVersion and every unmodelled field are the ones read.
    public func encode() -> JSON {
        var out = raw
        let inSpec = raw["spec"]?.objectValue != nil
        var container = inSpec ? (raw["spec"] ?? .null) : raw
        // Found by `smitop fuzz`: an object without a backends list decodes to no backends;
        // writing an empty list back would change an object nobody edited.
        if container["backends"] == nil && backends.isEmpty { return raw }
        guard var list = container["backends"]?.arrayValue, list.count == backends.count else {
            // The backend list itself was replaced (not something the edit ops do): write it whole.
            container["backends"] = .array(backends.map { ["service": .string($0.service), "weight": $0.weight.literal] })
            if inSpec { out["spec"] = container } else { out = container }
            return out
        }
        for i in list.indices {
            list[i]["weight"] = backends[i].weight.literal
        }
        container["backends"] = .array(list)
        if inSpec { out["spec"] = container } else { out = container }
        return out
    }

    /// A JSON merge patch that writes the current weights: the whole backends list (a merge
    /// patch replaces arrays, so a partial list would drop backends) plus the resourceVersion
    /// that was read, so a concurrent writer makes the server answer 409 instead of being
    /// overwritten. Laid out like the object itself (under `spec`, or at the root for objects
    /// from the SDK v0.3.0 CRD).
    public func weightsMergePatch() -> JSON {
        let encoded = encode()
        let inSpec = encoded["spec"]?.objectValue != nil
        let list = (inSpec ? encoded["spec"]?["backends"] : encoded["backends"]) ?? .array([])
        var patch = JSONObject()
        if let rv = meta.resourceVersion { patch["metadata"] = ["resourceVersion": .string(rv)] }
        if inSpec { patch["spec"] = ["backends": list] } else { patch["backends"] = list }
        return .object(patch)
    }

    /// The same split with new weights (same count and order as `backends`).
    public func with(weights: [Weight]) -> TrafficSplit {
        precondition(weights.count == backends.count, "one weight per backend")
        var copy = self
        for i in copy.backends.indices { copy.backends[i].weight = weights[i] }
        return copy
    }
}
