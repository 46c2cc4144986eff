// What a simulated cluster serves, modelled on real installations: which SMI versions (a
// client must discover these rather than assume one, ../shared/smi/NOTES.md §0, §1.4) and
// whether the Gateway API and Linkerd's policy routes are installed, with the mesh controller
// that writes their status (../shared/gateway-api/NOTES.md §1, §6).

public enum SimProfile: String, Sendable, CaseIterable {
    /// SMI SDK `main` CRDs: split v1alpha4 only, access v1alpha3, specs v1alpha4.
    case sdk
    /// Linkerd's CRD: split stored as v1alpha1 with int-or-string weights, served as v1alpha1
    /// and v1alpha2 with no conversion (so v1alpha2 readers may see quantity strings).
    case linkerd
    /// Open Service Mesh: split v1alpha2 only.
    case osm
    /// Linkerd 2.18 with GAMMA: Gateway API v1.2.1 HTTPRoute (v1, v1beta1) and GRPCRoute (v1),
    /// policy.linkerd.io HTTPRoute (v1alpha1–v1beta3), status written by
    /// `linkerd.io/policy-controller` without observedGeneration; the linkerd-smi extension's
    /// TrafficSplit as in `linkerd`.
    case linkerdGamma = "linkerd-gamma"
    /// Istio 1.22+: Gateway API v1.2.1 routes with status by `istio.io/gateway-controller`
    /// (observedGeneration set). Istio never served SMI: no split.smi-spec.io group.
    case istio
    /// Every version v1alpha1–v1alpha4 served (v1alpha4 storage) and every route kind, for
    /// client coverage.
    case all

    /// Served TrafficSplit versions, preferred first (the order discovery lists them).
    public var splitVersions: [String] {
        switch self {
        case .sdk: return ["v1alpha4"]
        case .linkerd, .linkerdGamma: return ["v1alpha2", "v1alpha1"]
        case .osm: return ["v1alpha2"]
        case .istio: return []
        case .all: return ["v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"]
        }
    }

    /// Linkerd's split CRD: v1alpha1 storage with int-or-string weights (NOTES.md §0).
    public var splitWeightsIntOrString: Bool { self == .linkerd || self == .linkerdGamma || self == .all }

    /// The profiles that serve TrafficSplit (every one but Istio's).
    public static var smiProfiles: [SimProfile] { allCases.filter(\.servesSMI) }

    /// The split.smi-spec.io group is installed.
    public var servesSMI: Bool { !splitVersions.isEmpty }

    /// gateway.networking.k8s.io HTTPRoute and GRPCRoute are installed (v1.2.1 standard).
    public var servesGatewayAPI: Bool { self == .linkerdGamma || self == .istio || self == .all }

    /// Linkerd's ServiceProfile (linkerd.io) is installed: every Linkerd profile. Where a
    /// profile with routes or dstOverrides names a Service, it decides that Service's traffic
    /// over any route (NOTES.md §7), in the traffic model as on a real cluster.
    public var servesServiceProfiles: Bool { self == .linkerd || self == .linkerdGamma || self == .all }

    /// policy.linkerd.io HTTPRoute is installed.
    public var servesLinkerdPolicyRoutes: Bool { self == .linkerdGamma || self == .all }

    /// The mesh controller that writes `status.parents` of a route kind's objects, as that mesh
    /// does. `all` lets Linkerd take its own policy routes and Istio the Gateway API ones, so
    /// both behaviours are on one cluster.
    public func routeController(gatewayGroup: Bool) -> RouteStatusStyle? {
        switch self {
        case .linkerdGamma: return .linkerd
        case .istio: return .istio
        case .all: return gatewayGroup ? .istio : .linkerd
        case .sdk, .linkerd, .osm: return nil
        }
    }

    /// The version objects are stored in (and what `apiVersion` a create without conversion keeps).
    public var splitStorageVersion: String {
        switch self {
        case .sdk, .all: return "v1alpha4"
        case .linkerd, .linkerdGamma: return "v1alpha1"
        case .osm: return "v1alpha2"
        case .istio: return "v1alpha4"
        }
    }

    public var accessVersions: [String] {
        switch self {
        case .sdk, .linkerd, .linkerdGamma, .osm: return ["v1alpha3"]
        case .istio: return []
        case .all: return ["v1alpha3", "v1alpha2", "v1alpha1"]
        }
    }

    public var specsVersions: [String] {
        switch self {
        case .sdk, .linkerd, .linkerdGamma, .osm: return ["v1alpha4"]
        case .istio: return []
        case .all: return ["v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"]
        }
    }

    /// The demo is richest when the newest split API (with `matches`) is served.
    public static let `default`: SimProfile = .sdk
}

/// How a simulated mesh controller writes route status (../shared/gateway-api/NOTES.md §6).
public enum RouteStatusStyle: String, Sendable {
    /// `linkerd.io/policy-controller`: messages empty, no observedGeneration, the parentRef
    /// echoed with its namespace.
    case linkerd
    /// `istio.io/gateway-controller` (for Service parents too): "Route was valid", "All
    /// references resolved", observedGeneration set.
    case istio

    public var controllerName: String { self == .linkerd ? "linkerd.io/policy-controller" : "istio.io/gateway-controller" }
}
