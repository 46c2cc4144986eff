import KubeCore

// TrafficMetrics and TrafficMetricsList (NOTES.md §4). Read-only, and lenient where real
// servers are sloppy: a metric value that is not a quantity becomes "no value" rather than
// failing the whole list, `items: null` is an empty list, and a negative latency (the NaN
// conversion bug, smi-metrics #8) reads as no data.

public struct ObjectReference: Sendable, Equatable {
    public var kind: String
    public var namespace: String?
    public var name: String?
    public var apiVersion: String?

    public init(kind: String, namespace: String? = nil, name: String? = nil, apiVersion: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.apiVersion = apiVersion
    }

    /// `null` and `{}` both mean "no resource" (the latter in split-backend metrics).
    init?(json: JSON?) {
        guard let o = json?.objectValue, !o.isEmpty else { return nil }
        kind = o["kind"]?.stringValue ?? ""
        namespace = o["namespace"]?.stringValue
        name = o["name"]?.stringValue
        apiVersion = o["apiVersion"]?.stringValue
    }
}

public struct MetricsEdge: Sendable, Equatable {
    public enum Direction: String, Sendable { case from, to }
    /// nil when the server wrote something else; the item is still usable.
    public var direction: Direction?
    /// The peer; nil for whole-resource metrics.
    public var resource: ObjectReference?
    /// v1alpha2 draft: "client", "server" or "".
    public var side: String?
}

/// v1alpha2 draft: the split backend an item describes.
public struct MetricsBackend: Sendable, Equatable {
    public var apex: String
    public var name: String
    public var weight: Int64?
}

public struct Metric: Sendable, Equatable {
    public var name: String
    public var unit: String?
    /// nil when the value could not be read as a quantity.
    public var value: Quantity?
    public var rawValue: JSON
}

public struct TrafficMetrics: Sendable, Equatable {
    public var apiVersion: String
    public var name: String?
    public var namespace: String?
    public var timestamp: String?
    public var window: String?
    public var resource: ObjectReference?
    public var edge: MetricsEdge?
    public var backend: MetricsBackend?
    public var metrics: [Metric]
    public var raw: JSON

    public init(json: JSON) throws(SMIDecodeError) {
        guard json.objectValue != nil else { throw SMIDecodeError("", "expected an object, found \(json.typeName)") }
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        // Spec examples omit apiVersion; a wrong one is an error, a missing one is tolerated
        // because the URL we fetched already fixed the version.
        if !apiVersion.isEmpty { _ = try parseAPIVersion(apiVersion, kind: .trafficMetrics) }
        name = json["metadata"]?["name"]?.stringValue
        namespace = json["metadata"]?["namespace"]?.stringValue
        timestamp = json["timestamp"]?.stringValue
        window = json["window"]?.stringValue
        resource = ObjectReference(json: json["resource"])
        if let e = json["edge"], e.objectValue != nil {
            edge = MetricsEdge(
                direction: e["direction"]?.stringValue.flatMap(MetricsEdge.Direction.init(rawValue:)),
                resource: ObjectReference(json: e["resource"]), side: e["side"]?.stringValue)
        }
        if let b = json["backend"], b.objectValue != nil {
            backend = MetricsBackend(
                apex: b["apex"]?.stringValue ?? "", name: b["name"]?.stringValue ?? "", weight: b["weight"]?.intValue)
        }
        var metrics: [Metric] = []
        for (i, m) in try json.optionalArray("metrics", at: "").enumerated() {
            guard let n = m["name"]?.stringValue else { throw SMIDecodeError("metrics[\(i)].name", "name is required") }
            let rv = m["value"] ?? .null
            metrics.append(Metric(name: n, unit: m["unit"]?.stringValue, value: try? Quantity(json: rv), rawValue: rv))
        }
        self.metrics = metrics
        raw = json
    }

    public func metric(_ name: String) -> Metric? { metrics.first { $0.name == name } }

    /// Window length in seconds, from the Go duration string.
    public var windowSeconds: Double? { window.flatMap(GoDuration.parse) }

    /// Latency in the unit the server labels (usually "ms"; see NOTES §4.4 on Istio);
    /// nil when absent, unreadable or negative (no samples).
    public func latency(_ quantile: LatencyQuantile) -> Double? {
        guard let v = metric(quantile.metricName)?.value, !v.isNegative else { return nil }
        return v.doubleValue
    }

    public var successCount: Double? { metric("success_count")?.value?.doubleValue }
    public var failureCount: Double? { metric("failure_count")?.value?.doubleValue }

    /// Requests per second over the window.
    public var requestsPerSecond: Double? {
        guard let s = successCount, let f = failureCount, let w = windowSeconds, w > 0 else { return nil }
        return (s + f) / w
    }

    /// Undefined (nil) with no requests: 0/0 is not 100 % and not 0 %.
    public var successRate: Double? {
        guard let s = successCount, let f = failureCount, s + f > 0 else { return nil }
        return s / (s + f)
    }
}

public enum LatencyQuantile: Sendable, CaseIterable {
    case p50, p90, p99
    public var metricName: String {
        switch self {
        case .p50: return "p50_response_latency"
        case .p90: return "p90_response_latency"
        case .p99: return "p99_response_latency"
        }
    }
}

public struct TrafficMetricsList: Sendable, Equatable {
    public var apiVersion: String
    public var resource: ObjectReference?
    public var selfLink: String?
    public var items: [TrafficMetrics]
    /// smi-metrics writes `null`, not `[]`, when nothing matched; kept for faithful re-encoding.
    public var itemsWereNull: Bool
    public var raw: JSON

    public init(json: JSON) throws(SMIDecodeError) {
        guard json.objectValue != nil else { throw SMIDecodeError("", "expected an object, found \(json.typeName)") }
        apiVersion = json["apiVersion"]?.stringValue ?? ""
        if !apiVersion.isEmpty { _ = try parseAPIVersion(apiVersion, kind: .trafficMetricsList) }
        resource = ObjectReference(json: json["resource"])
        selfLink = json["metadata"]?["selfLink"]?.stringValue
        itemsWereNull = json["items"]?.isNull ?? true
        var items: [TrafficMetrics] = []
        for (i, it) in try json.optionalArray("items", at: "").enumerated() {
            do {
                items.append(try TrafficMetrics(json: it))
            } catch {
                throw SMIDecodeError("items[\(i)]" + (error.path.isEmpty ? "" : ".\(error.path)"), error.message)
            }
        }
        self.items = items
        raw = json
    }
}
