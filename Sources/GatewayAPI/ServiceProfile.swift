import KubeCore

// Linkerd's ServiceProfile (linkerd.io v1alpha2; v1alpha1 has the same shape), read only for
// what decides traffic (../shared/gateway-api/NOTES.md §7): on Linkerd, a ServiceProfile for a
// Service that has `routes` or `dstOverrides` takes precedence over every HTTPRoute/GRPCRoute
// on that Service, with no event and no status on the route (an empty profile does not).
// linkerd-smi turns each TrafficSplit into exactly such a profile. smitop never writes one.

/// One `spec.dstOverrides[]` entry: an authority (`<svc>.<ns>.svc.<domain>:<port>`) and its
/// weight (an int-or-string quantity, as linkerd-smi writes "900m").
public struct DstOverride: Sendable, Hashable {
    public var authority: String
    /// The weight as written (`900m`, `90`); "?" when it is not a quantity.
    public var weightText: String
    /// nil when the weight is not a finite, non-negative quantity (counted as 0).
    public var weight: Double?
    /// The Service the authority names, when it has the `<svc>.<ns>[.svc[.<domain>]][:port]`
    /// form (a bare `<svc>` is in the profile's namespace); nil for anything else.
    public var service: ObjectRef?
}

public struct ServiceProfile: Sendable, Equatable {
    public var meta: ObjectMeta
    /// How many `spec.routes` it has (their conditions are not modelled: any route counts).
    public var routeCount: Int
    public var dstOverrides: [DstOverride]

    public static let group = "linkerd.io"

    public var namespace: String { meta.namespace ?? "" }
    public var ref: ObjectRef { ObjectRef(namespace: namespace, name: meta.name) }

    /// Bound on what is kept from a hostile object (Linkerd itself has no limit; no real
    /// profile comes near it).
    public static let maximumOverrides = 64

    public init(json: JSON) throws(ObjectDecodeError) {
        guard json.objectValue != nil else { throw ObjectDecodeError("", "expected an object, found \(json.typeName)") }
        // Identity only: nothing else of its metadata is shown, and a UI may hold thousands.
        let m = ObjectMeta(json: json["metadata"])
        meta = ObjectMeta(name: clean(m.name), namespace: m.namespace.map { clean($0) }, resourceVersion: m.resourceVersion)
        let spec = json["spec"] ?? .emptyObject
        guard spec.objectValue != nil else { throw ObjectDecodeError("spec", "expected an object, found \(spec.typeName)") }
        if let r = spec["routes"], !r.isNull {
            guard let a = r.arrayValue else { throw ObjectDecodeError("spec.routes", "expected a list, found \(r.typeName)") }
            routeCount = a.count
        } else {
            routeCount = 0
        }
        var out: [DstOverride] = []
        if let d = spec["dstOverrides"], !d.isNull {
            guard let a = d.arrayValue else { throw ObjectDecodeError("spec.dstOverrides", "expected a list, found \(d.typeName)") }
            let ns = meta.namespace ?? ""
            for e in a.prefix(Self.maximumOverrides) {
                let authority = clean(e["authority"]?.stringValue ?? "", limit: 253)
                var weight: Double?
                var text = "?"
                if let w = e["weight"], let q = try? Quantity(json: w) {
                    text = q.description
                    let v = q.doubleValue
                    weight = v.isFinite && v >= 0 ? v : nil
                }
                out.append(DstOverride(authority: authority, weightText: text, weight: weight, service: Self.service(authority: authority, namespace: ns)))
            }
        }
        dstOverrides = out
    }

    /// What makes it override routes (§7): an empty profile does not.
    public var overridesRoutes: Bool { routeCount > 0 || !dstOverrides.isEmpty }

    /// The Service the profile is for, from Linkerd's naming convention
    /// `<svc>.<ns>.svc.<cluster domain>`; nil when the name does not follow it.
    public var service: ObjectRef? {
        let parts = meta.name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[2] == "svc", !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return ObjectRef(namespace: String(parts[1]), name: String(parts[0]))
    }

    /// The profile decides for every caller only in the Service's own namespace; Linkerd reads
    /// a profile in a caller's namespace first for that caller, which smitop does not model.
    public var isServerProfile: Bool { service?.namespace == namespace }

    /// Each override's share of the total weight (nil where the total is 0).
    public var shares: [Double?] {
        let total = dstOverrides.reduce(0) { $0 + ($1.weight ?? 0) }
        return dstOverrides.map { total > 0 ? ($0.weight ?? 0) / total : nil }
    }

    /// "ServiceProfile ns/name", as the marks on overridden routes say it.
    public var label: String { "ServiceProfile \(ref.key)" }

    static func service(authority: String, namespace: String) -> ObjectRef? {
        let host = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let parts = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty else { return nil }
        if parts.count == 1 { return ObjectRef(namespace: namespace, name: first) }
        guard !parts[1].isEmpty, parts.count == 2 || parts[2] == "svc" else { return nil }
        return ObjectRef(namespace: parts[1], name: first)
    }
}

extension ServiceProfile {
    /// The profile that takes precedence over every route on `service`: a server-side profile
    /// (in the Service's namespace, named for it) with routes or dstOverrides; the first by
    /// name when several name the same Service (other cluster domains).
    public static func overriding(_ service: ObjectRef, in profiles: some Sequence<ServiceProfile>) -> ServiceProfile? {
        var best: ServiceProfile?
        for p in profiles where p.overridesRoutes && p.isServerProfile && p.service == service {
            if best.map({ p.meta.name < $0.meta.name }) ?? true { best = p }
        }
        return best
    }
}
