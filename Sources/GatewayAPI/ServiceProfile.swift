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
    /// Written by linkerd-smi's adaptor (a `managedFields` entry of manager `smi-adaptor`):
    /// its dstOverrides are a TrafficSplit's weights, and that TrafficSplit is what to edit.
    public var fromLinkerdSMI = false

    public static let group = "linkerd.io"
    /// The field manager of linkerd-smi's adaptor (its binary's name, from its user agent).
    public static let linkerdSMIManager = "smi-adaptor"

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
        fromLinkerdSMI =
            json[path: "metadata", "managedFields"]?.arrayValue?.contains { $0["manager"]?.stringValue == Self.linkerdSMIManager } ?? false
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

    /// In the Service's own namespace: it decides for every caller without a profile of its
    /// own; one in another namespace decides for that namespace's callers (`ProfileIndex`).
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

/// Which ServiceProfile decides a Service's traffic for which callers (NOTES.md §7), built once
/// from every profile read: Linkerd's destination controller looks a profile up first in the
/// caller's namespace and then in the Service's ("a service profile in the source namespace
/// will take priority over a service profile in the destination namespace", linkerd.io
/// tasks/setting-up-service-profiles), and the proxy follows the chosen profile instead of
/// any route only when it has routes or dstOverrides.
///
/// So a caller-side profile takes over for its namespace's callers even when it is empty
/// (then the routes decide for them, although the Service's own profile overrides them for
/// everyone else). Among several profiles for one Service in one namespace (other cluster
/// domains) the name that sorts first counts.
public struct ProfileIndex: Sendable, Equatable {
    /// Per Service, its server-side profile (in its namespace) that overrides its routes.
    public private(set) var server: [ObjectRef: ServiceProfile] = [:]
    /// Per Service, per caller namespace, the profile there that names it (any content).
    public private(set) var callers: [ObjectRef: [String: ServiceProfile]] = [:]

    public init() {}

    public init(_ profiles: some Sequence<ServiceProfile>) {
        for p in profiles {
            guard let svc = p.service else { continue }
            if p.isServerProfile {
                guard p.overridesRoutes else { continue }
                if let best = server[svc], best.meta.name <= p.meta.name { continue }
                server[svc] = p
            } else {
                if let best = callers[svc]?[p.namespace], best.meta.name <= p.meta.name { continue }
                callers[svc, default: [:]][p.namespace] = p
            }
        }
    }

    public var isEmpty: Bool { server.isEmpty && callers.isEmpty }

    /// The profile that decides what callers in `callerNamespace` meet at `service` (nil:
    /// the routes do). nil namespace: callers without a profile of their own.
    public func deciding(_ service: ObjectRef, callerNamespace: String?) -> ServiceProfile? {
        if let ns = callerNamespace, ns != service.namespace, let c = callers[service]?[ns] {
            return c.overridesRoutes ? c : nil
        }
        return server[service]
    }

    /// The profile that overrides a route's rules on its parent `service`: for a consumer route
    /// (in another namespace than the Service) the one its callers meet, else the Service's own.
    public func overriding(routeNamespace: String, service: ObjectRef) -> ServiceProfile? {
        deciding(service, callerNamespace: routeNamespace == service.namespace ? nil : routeNamespace)
    }

    /// Caller namespaces whose own profile for `service` replaces the Service's: each with the
    /// profile and whether it overrides the routes for them (false: empty, so routes decide).
    public func callerProfiles(of service: ObjectRef) -> [(namespace: String, profile: ServiceProfile)] {
        (callers[service] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Every profile that decides something: the overriding server-side ones and the
    /// caller-side ones that override (sorted by namespace and name).
    public var deciders: [ServiceProfile] {
        var out = Array(server.values)
        for m in callers.values { out += m.values.filter(\.overridesRoutes) }
        return out.sorted { ($0.namespace, $0.meta.name) < ($1.namespace, $1.meta.name) }
    }
}
