// What SMI API versions a simulated cluster serves, modelled on real installations.
// A client must discover these rather than assume one (../shared/smi/NOTES.md §0, §1.4).

public enum SimProfile: String, Sendable, CaseIterable {
    /// SMI SDK `main` CRDs: split v1alpha4 only, access v1alpha3, specs v1alpha4.
    case sdk
    /// Linkerd's CRD: split stored as v1alpha1 with int-or-string weights, served as v1alpha1
    /// and v1alpha2 with no conversion (so v1alpha2 readers may see quantity strings).
    case linkerd
    /// Open Service Mesh: split v1alpha2 only.
    case osm
    /// Every version v1alpha1–v1alpha4 served (v1alpha4 storage), for client coverage.
    case all

    /// Served TrafficSplit versions, preferred first (the order discovery lists them).
    public var splitVersions: [String] {
        switch self {
        case .sdk: return ["v1alpha4"]
        case .linkerd: return ["v1alpha2", "v1alpha1"]
        case .osm: return ["v1alpha2"]
        case .all: return ["v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"]
        }
    }

    /// The version objects are stored in (and what `apiVersion` a create without conversion keeps).
    public var splitStorageVersion: String {
        switch self {
        case .sdk, .all: return "v1alpha4"
        case .linkerd: return "v1alpha1"
        case .osm: return "v1alpha2"
        }
    }

    public var accessVersions: [String] {
        switch self {
        case .sdk, .linkerd: return ["v1alpha3"]
        case .osm: return ["v1alpha3"]
        case .all: return ["v1alpha3", "v1alpha2", "v1alpha1"]
        }
    }

    public var specsVersions: [String] {
        switch self {
        case .sdk, .linkerd, .osm: return ["v1alpha4"]
        case .all: return ["v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"]
        }
    }

    /// The demo is richest when the newest split API (with `matches`) is served.
    public static let `default`: SimProfile = .sdk
}
