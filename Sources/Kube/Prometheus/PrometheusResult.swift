import KubeCore

/// One series of a Prometheus query result. A sample whose value is NaN or ±Inf (an empty
/// histogram window, a division by zero) is kept as nil: a gap, never 0.
public struct PrometheusSeries: Sendable, Equatable {
    public var labels: [String: String]
    public var samples: [PrometheusSample]

    public init(labels: [String: String], samples: [PrometheusSample]) {
        self.labels = labels
        self.samples = samples
    }

    /// The instant value (the last sample), nil for a gap.
    public var value: Double? { samples.last?.value }
}

public struct PrometheusSample: Sendable, Equatable {
    /// Unix seconds.
    public var time: Double
    public var value: Double?

    public init(time: Double, value: Double?) {
        self.time = time
        self.value = value
    }
}

/// A successful answer of `/api/v1/query` or `/api/v1/query_range`.
public struct PrometheusResult: Sendable, Equatable {
    public enum Kind: String, Sendable { case vector, matrix, scalar, string }
    public var kind: Kind
    public var series: [PrometheusSeries]
    public var warnings: [String]

    public init(kind: Kind, series: [PrometheusSeries], warnings: [String] = []) {
        self.kind = kind
        self.series = series
        self.warnings = warnings
    }

    /// Limits on what one answer may hold, so a hostile or runaway server cannot make smitop
    /// hold unbounded memory or draw a million rows.
    public static let maxSeries = 20_000
    public static let maxSamplesPerSeries = 11_000
    public static let maxLabelsPerSeries = 64

    /// Decodes the envelope (`status`, `data.resultType`, `data.result`, `warnings`); an
    /// error envelope becomes `PrometheusError.api`. Label names and values are sanitised
    /// for display here, where they enter.
    public init(json: JSON) throws(PrometheusError) {
        guard json.objectValue != nil else { throw .decoding("expected a JSON object, found \(json.typeName)") }
        let status = json["status"]?.stringValue
        if status != "success" {
            throw .api(
                type: clean(json["errorType"]?.stringValue ?? "unknown", limit: 40),
                message: clean(json["error"]?.stringValue ?? "status \(status ?? "missing")", limit: 300))
        }
        guard let typeName = json[path: "data", "resultType"]?.stringValue, let kind = Kind(rawValue: typeName) else {
            throw .decoding("missing or unknown data.resultType")
        }
        self.kind = kind
        warnings = (json["warnings"]?.arrayValue ?? []).prefix(8).compactMap { $0.stringValue.map { clean($0, limit: 200) } }
        let result = json[path: "data", "result"]
        switch kind {
        case .scalar, .string:
            let pair = result?.arrayValue ?? []
            series = [PrometheusSeries(labels: [:], samples: Self.sample(pair).map { [$0] } ?? [])]
        case .vector, .matrix:
            guard let items = result?.arrayValue ?? (result?.isNull == true ? [] : nil) else {
                throw .decoding("data.result is not an array")
            }
            if items.count > Self.maxSeries { throw .tooLarge("\(items.count) series (limit \(Self.maxSeries))") }
            var out: [PrometheusSeries] = []
            out.reserveCapacity(items.count)
            for item in items {
                var labels: [String: String] = [:]
                for (k, v) in (item["metric"]?.objectValue ?? JSONObject()).prefix(Self.maxLabelsPerSeries) {
                    labels[clean(k, limit: 100)] = clean(v.stringValue ?? "", limit: 253)
                }
                var samples: [PrometheusSample] = []
                if kind == .vector {
                    if let s = Self.sample(item["value"]?.arrayValue ?? []) { samples.append(s) }
                } else {
                    let values = item["values"]?.arrayValue ?? []
                    if values.count > Self.maxSamplesPerSeries {
                        throw .tooLarge("\(values.count) samples in one series (limit \(Self.maxSamplesPerSeries))")
                    }
                    samples = values.compactMap { Self.sample($0.arrayValue ?? []) }
                }
                out.append(PrometheusSeries(labels: labels, samples: samples))
            }
            series = out
        }
    }

    /// `[ <unix_time>, "<value>" ]`; the value is a string so NaN and ±Inf can be written.
    static func sample(_ pair: [JSON]) -> PrometheusSample? {
        guard pair.count == 2, let t = pair[0].doubleValue, t.isFinite else { return nil }
        return PrometheusSample(time: t, value: parseValue(pair[1].stringValue ?? ""))
    }

    /// Go's float formatting ("1e-07", "+Inf", "NaN") as a finite number, or nil.
    public static func parseValue(_ s: String) -> Double? {
        guard s.count <= 40, let d = Double(s), d.isFinite else { return nil }
        return d
    }
}

/// What can go wrong asking a Prometheus.
public enum PrometheusError: Error, Sendable, Equatable {
    /// Prometheus answered with its error envelope (bad query, timeout, …).
    case api(type: String, message: String)
    /// 403 from something in front of Prometheus (Linkerd viz' AuthorizationPolicy, RBAC on
    /// `services/proxy`); `body` is the start of what it said.
    case forbidden(body: String)
    /// Any other HTTP failure, with the status (0 when no answer came).
    case http(status: Int, message: String)
    case tooLarge(String)
    case decoding(String)

    public var message: String {
        switch self {
        case .api(let t, let m): return "prometheus \(t): \(m)"
        case .forbidden(let b): return "403 Forbidden" + (b.isEmpty ? "" : ": \(b)")
        case .http(let s, let m): return s == 0 ? m : "HTTP \(s): \(m)"
        case .tooLarge(let m): return "prometheus answer too large: \(m)"
        case .decoding(let m): return "unreadable prometheus answer: \(m)"
        }
    }
}

/// Prometheus' `histogram_quantile` over classic buckets, computed here so one bucket query
/// per refresh serves every quantile (the meshes' tools send one query per quantile).
/// Same rules: buckets sorted by `le`, the +Inf bucket required, linear interpolation inside
/// the bucket, the lowest bucket interpolated from 0 (when its bound is positive), and a rank
/// in the +Inf bucket answered with the highest finite bound. No observations: nil (NaN).
public func histogramQuantile(_ q: Double, buckets: [(le: Double, count: Double)]) -> Double? {
    guard q.isFinite, q >= 0, q <= 1 else { return nil }
    var b = buckets.filter { !$0.le.isNaN && $0.count.isFinite }.sorted { $0.le < $1.le }
    guard b.count >= 2, b.last!.le == .infinity else { return nil }
    // Counts must not fall as `le` grows; Prometheus repairs such noise the same way.
    for i in 1..<b.count where b[i].count < b[i - 1].count { b[i].count = b[i - 1].count }
    let total = b.last!.count
    guard total > 0 else { return nil }
    let rank = q * total
    var i = 0
    while i < b.count - 1 && b[i].count < rank { i += 1 }
    if i == b.count - 1 { return b[b.count - 2].le }
    if i == 0 && b[0].le <= 0 { return b[0].le }
    let lower = i == 0 ? 0 : b[i - 1].le
    let below = i == 0 ? 0 : b[i - 1].count
    let inBucket = b[i].count - below
    guard inBucket > 0 else { return b[i].le }
    return lower + (b[i].le - lower) * ((rank - below) / inBucket)
}
