import KubeCore

// Which SMI kinds and versions exist (NOTES.md §0), and the decode entry point for any of them.

public enum SMIGroup {
    public static let split = "split.smi-spec.io"
    public static let access = "access.smi-spec.io"
    public static let specs = "specs.smi-spec.io"
    public static let metrics = "metrics.smi-spec.io"
}

/// An SMI version label. Ordered, because behaviour changes at v1alpha2/v1alpha3 boundaries.
public enum SMIVersion: String, Sendable, Comparable, CaseIterable {
    case v1alpha1, v1alpha2, v1alpha3, v1alpha4
    public static func < (a: SMIVersion, b: SMIVersion) -> Bool { a.rank < b.rank }
    var rank: Int { SMIVersion.allCases.firstIndex(of: self)! }
}

public enum SMIKind: String, Sendable, CaseIterable {
    case trafficSplit = "TrafficSplit"
    case trafficTarget = "TrafficTarget"
    case httpRouteGroup = "HTTPRouteGroup"
    case tcpRoute = "TCPRoute"
    case udpRoute = "UDPRoute"
    case trafficMetrics = "TrafficMetrics"
    case trafficMetricsList = "TrafficMetricsList"

    public var group: String {
        switch self {
        case .trafficSplit: return SMIGroup.split
        case .trafficTarget: return SMIGroup.access
        case .httpRouteGroup, .tcpRoute, .udpRoute: return SMIGroup.specs
        case .trafficMetrics, .trafficMetricsList: return SMIGroup.metrics
        }
    }

    /// Versions with a published schema. TrafficTarget v1alpha4 is a draft without a CRD or SDK
    /// type, so it is not decoded; metrics v1alpha2 exists only in the SDK (same shape plus
    /// optional fields), so it is accepted.
    public var versions: [SMIVersion] {
        switch self {
        case .trafficSplit, .httpRouteGroup, .tcpRoute: return [.v1alpha1, .v1alpha2, .v1alpha3, .v1alpha4]
        case .trafficTarget: return [.v1alpha1, .v1alpha2, .v1alpha3]
        case .udpRoute: return [.v1alpha4]
        case .trafficMetrics, .trafficMetricsList: return [.v1alpha1, .v1alpha2]
        }
    }
}

/// An SMI object that could not be decoded, with the path of the offending value.
public typealias SMIDecodeError = ObjectDecodeError

/// Splits "split.smi-spec.io/v1alpha4" into a known kind's version, or explains why not.
package func parseAPIVersion(_ apiVersion: String?, kind: SMIKind) throws(SMIDecodeError) -> SMIVersion {
    guard let apiVersion, !apiVersion.isEmpty else { throw SMIDecodeError("apiVersion", "apiVersion is missing") }
    // The common case without splitting (one allocation per object of a large list).
    if apiVersion.hasPrefix(kind.group) {
        let rest = apiVersion.dropFirst(kind.group.count)
        if rest.first == "/", let v = SMIVersion(rawValue: String(rest.dropFirst())), kind.versions.contains(v) { return v }
    }
    let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2 else {
        throw SMIDecodeError("apiVersion", "apiVersion \"\(apiVersion)\" has no group (expected \(kind.group)/<version>)")
    }
    guard parts[0] == kind.group else {
        throw SMIDecodeError("apiVersion", "\(kind.rawValue) belongs to \(kind.group), not \(parts[0])")
    }
    guard let v = SMIVersion(rawValue: String(parts[1])), kind.versions.contains(v) else {
        throw SMIDecodeError("apiVersion", "unknown version \(parts[1]) of \(kind.rawValue)")
    }
    return v
}

/// Any SMI object, decoded into its canonical model.
public enum SMIResource: Sendable, Equatable {
    case trafficSplit(TrafficSplit)
    case trafficTarget(TrafficTarget)
    case httpRouteGroup(HTTPRouteGroup)
    case tcpRoute(TrafficRoute)
    case udpRoute(TrafficRoute)
    case trafficMetrics(TrafficMetrics)
    case trafficMetricsList(TrafficMetricsList)

    /// Dispatches on `kind`. Decoding is lenient about layout slips (it reads what is there);
    /// strict checking is `lint`'s job, so a live cluster object is never unreadable over them.
    public static func decode(_ json: JSON) throws(SMIDecodeError) -> SMIResource {
        guard json.objectValue != nil else { throw SMIDecodeError("", "expected an object, found \(json.typeName)") }
        guard let k = json["kind"]?.stringValue else { throw SMIDecodeError("kind", "kind is missing") }
        guard let kind = SMIKind(rawValue: k) else { throw SMIDecodeError("kind", "\(k) is not an SMI kind") }
        switch kind {
        case .trafficSplit: return .trafficSplit(try TrafficSplit(json: json))
        case .trafficTarget: return .trafficTarget(try TrafficTarget(json: json))
        case .httpRouteGroup: return .httpRouteGroup(try HTTPRouteGroup(json: json))
        case .tcpRoute: return .tcpRoute(try TrafficRoute(json: json))
        case .udpRoute: return .udpRoute(try TrafficRoute(json: json))
        case .trafficMetrics: return .trafficMetrics(try TrafficMetrics(json: json))
        case .trafficMetricsList: return .trafficMetricsList(try TrafficMetricsList(json: json))
        }
    }

    public func encode() -> JSON {
        switch self {
        case .trafficSplit(let x): return x.encode()
        case .trafficTarget(let x): return x.raw
        case .httpRouteGroup(let x): return x.encode()
        case .tcpRoute(let x), .udpRoute(let x): return x.raw
        case .trafficMetrics(let x): return x.raw
        case .trafficMetricsList(let x): return x.raw
        }
    }
}

// Small typed readers shared by the decoders: each names the path it failed at. The path is
// built only on failure: decoding a 10,000-split list would otherwise format 50,000 of them.
extension JSON {
    func requiredString(_ key: String, at path: @autoclosure () -> String) throws(SMIDecodeError) -> String {
        func p() -> String {
            let base = path()
            return base.isEmpty ? key : "\(base).\(key)"
        }
        guard let v = self[key] else { throw SMIDecodeError(p(), "\(key) is required") }
        guard let s = v.stringValue else { throw SMIDecodeError(p(), "expected a string, found \(v.typeName)") }
        return s
    }
    func optionalString(_ key: String, at path: @autoclosure () -> String) throws(SMIDecodeError) -> String? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let s = v.stringValue else {
            let base = path()
            throw SMIDecodeError(base.isEmpty ? key : "\(base).\(key)", "expected a string, found \(v.typeName)")
        }
        return s
    }
    func optionalArray(_ key: String, at path: @autoclosure () -> String) throws(SMIDecodeError) -> [JSON] {
        guard let v = self[key], !v.isNull else { return [] }
        guard let a = v.arrayValue else {
            let base = path()
            throw SMIDecodeError(base.isEmpty ? key : "\(base).\(key)", "expected a list, found \(v.typeName)")
        }
        return a
    }
}
