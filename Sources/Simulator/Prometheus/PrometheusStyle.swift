/// Which mesh proxies' Prometheus metrics the simulated pods expose. Real meshes differ in
/// metric names and labels (Linkerd's `response_total` with `dst_*` labels, Istio's
/// `istio_requests_total` with `source_*`/`destination_*`), and smitop runs each mesh's own
/// queries, so the simulator must speak the style of the mesh it imitates.
public struct PrometheusStyle: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let linkerd = PrometheusStyle(rawValue: 1)
    public static let istio = PrometheusStyle(rawValue: 2)
    public static let both: PrometheusStyle = [.linkerd, .istio]

    /// The one place a simulator profile picks a style. By name, so profiles added later
    /// (`linkerd-gamma`, `istio`) map without a code change: names starting with "linkerd"
    /// are Linkerd, "istio" is Istio, "all" is both. `sdk` and `osm` get Linkerd's: smi-metrics
    /// (the SMI metrics adapter these profiles imitate) was most used over Linkerd's
    /// Prometheus, and OSM's own Envoy stats have no standard query set smitop runs.
    public init(profileName: String) {
        switch profileName {
        case "all": self = .both
        case let p where p.hasPrefix("istio"): self = .istio
        default: self = .linkerd
        }
    }

    /// `--prometheus-style`: linkerd, istio, both or none.
    public init?(name: String) {
        switch name {
        case "linkerd": self = .linkerd
        case "istio": self = .istio
        case "both": self = .both
        case "none": self = []
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .linkerd: return "linkerd"
        case .istio: return "istio"
        case .both: return "both"
        default: return "none"
        }
    }
}
