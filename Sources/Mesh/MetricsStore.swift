// Metric samples from TrafficMetrics polls, per workload and per observed edge, with a short
// history for sparklines. A failed poll records a gap (nil), never a zero: "no data" and
// "no traffic" must look different on screen.

import Kube
import KubeCore
import SMI

/// One reading of the SMI metrics for a workload or an edge. Every field is optional because
/// servers omit or garble values (negative latency = no samples, 0/0 success = undefined).
public struct MetricSample: Sendable, Equatable {
    public var rps: Double?
    /// 0…1; nil when there were no requests.
    public var successRate: Double?
    /// Latencies in the unit the server labels (normally ms).
    public var p50: Double?
    public var p90: Double?
    public var p99: Double?
    public var latencyUnit: String?
    /// Seconds on the injected clock when the poll completed.
    public var sampledAt: Seconds

    public init(
        rps: Double?, successRate: Double?, p50: Double? = nil, p90: Double? = nil, p99: Double? = nil,
        latencyUnit: String? = "ms", sampledAt: Seconds
    ) {
        self.rps = rps
        self.successRate = successRate
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.latencyUnit = latencyUnit
        self.sampledAt = sampledAt
    }

    public init(_ m: TrafficMetrics, at t: Seconds) {
        self.init(
            rps: m.requestsPerSecond, successRate: m.successRate, p50: m.latency(.p50), p90: m.latency(.p90),
            p99: m.latency(.p99), latencyUnit: m.metric(LatencyQuantile.p99.metricName)?.unit.map { clean($0, limit: 16) },
            sampledAt: t)
    }
}

/// Fixed-capacity history, oldest first. `nil` entries are gaps (a poll that failed or did
/// not cover this series).
///
/// Stored packed: a mesh of thousands of workloads and edges keeps a history for each, and a
/// `MetricSample?` is 112 bytes (measured: 60 of them per series came to ~100 MB for 5,000
/// services). Older entries keep their values as `Float` (sparklines need the shape, not the
/// ninth digit) and their time as an offset; the newest sample, whose numbers are printed, is
/// kept exactly.
public struct MetricHistory: Sendable, Equatable {
    struct Packed: Sendable, Equatable {
        // NaN = absent (the values are finite or absent: MetricSample never holds NaN).
        var rps, successRate, p50, p90, p99: Float
        /// Seconds after `base`; NaN marks a gap.
        var at: Float
    }

    public let capacity: Int
    private var storage: [Packed] = []
    private var start = 0
    /// The time offsets are from here (the first entry's time).
    private var base: Seconds?
    /// The newest entry exactly as appended (nil: none yet, or a gap).
    private var newest: MetricSample?
    /// The unit of the newest sample that had one; units do not change between polls.
    private var unit: String?

    public init(capacity: Int = 60) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { storage.count }

    /// The entries the storage holds room for (a test reads it: full from the first append).
    package var reservedCapacity: Int { storage.capacity }

    public mutating func append(_ s: MetricSample?) {
        // The whole ring is reserved at the first sample. Why: grown by doubling, a history's
        // memory rises with each doubling until it holds `capacity` entries, and on a large
        // mesh an edge gets a sample only every few dozen polls (the poll asks 200 workloads'
        // edges), so memory kept rising for ~50 minutes after start (the 60-minute soak on
        // 5,000 services: heap +19 MB after warm-up). Reserved, it reaches its final size as
        // soon as each series has been seen once; the doubling would end at 64 entries anyway.
        if storage.isEmpty { storage.reserveCapacity(capacity) }
        newest = s
        let p: Packed
        if let s {
            if base == nil { base = s.sampledAt }
            if let u = s.latencyUnit { unit = u }
            func f(_ v: Double?) -> Float { v.map(Float.init) ?? .nan }
            p = Packed(
                rps: f(s.rps), successRate: f(s.successRate), p50: f(s.p50), p90: f(s.p90), p99: f(s.p99),
                at: Float(s.sampledAt - base!))
        } else {
            p = Packed(rps: .nan, successRate: .nan, p50: .nan, p90: .nan, p99: .nan, at: .nan)
        }
        if storage.count < capacity {
            storage.append(p)
        } else {
            storage[start] = p
            start = (start + 1) % capacity
        }
    }

    private var newestIndex: Int? {
        guard !storage.isEmpty else { return nil }
        return storage.count < capacity ? storage.count - 1 : (start + capacity - 1) % capacity
    }

    private func unpack(_ i: Int) -> MetricSample? {
        if i == newestIndex { return newest }
        let p = storage[i]
        guard !p.at.isNaN, let base else { return nil }
        func d(_ v: Float) -> Double? { v.isNaN ? nil : Double(v) }
        return MetricSample(
            rps: d(p.rps), successRate: d(p.successRate), p50: d(p.p50), p90: d(p.p90), p99: d(p.p99), latencyUnit: unit,
            sampledAt: base + Double(p.at))
    }

    /// Storage indices, oldest first.
    private var order: [Int] {
        storage.count < capacity ? Array(storage.indices) : Array(start..<capacity) + Array(0..<start)
    }

    /// Oldest first.
    public var entries: [MetricSample?] { order.map(unpack) }

    /// The newest entry, if it is a sample (a trailing gap means "currently unknown").
    public var latest: MetricSample? { newest }

    /// The newest real sample, even if gaps followed it (shown marked stale).
    public var lastKnown: MetricSample? {
        if let newest { return newest }
        // Newest to oldest without building the order (a frame asks this of every edge shown).
        var k = storage.count - 1
        while k >= 0 {
            let i = storage.count < capacity ? k : (start + k) % capacity
            if let s = unpack(i) { return s }
            k -= 1
        }
        return nil
    }

    /// One value per entry for a sparkline; nil = gap.
    public func series(_ value: (MetricSample) -> Double?) -> [Double?] { entries.map { $0.flatMap(value) } }

    /// `older`'s entries placed before this history's, keeping the newest `capacity`: a
    /// history that arrives after live samples (a slow range query) goes behind them, so the
    /// entries stay in time order whatever order the answers came in.
    public func behind(_ older: MetricHistory) -> MetricHistory {
        var merged = MetricHistory(capacity: capacity)
        let mine = entries
        for e in older.entries.suffix(max(0, capacity - mine.count)) { merged.append(e) }
        for e in mine { merged.append(e) }
        // The newest entry is this history's own, exact (a trailing gap included).
        merged.newest = newest
        return merged
    }
}

/// A directed observed-traffic edge between two workloads (deployments).
public typealias TrafficEdgeKey = ObjectEdge<ObjectRef>

public struct MetricsStore: Sendable, Equatable {
    public var historyCapacity: Int
    public private(set) var workloads: [ObjectRef: MetricHistory] = [:]
    public private(set) var edges: [TrafficEdgeKey: MetricHistory] = [:]
    /// Bumped only when the set of observed edges changes (a new caller/callee pair appears):
    /// the one kind of metrics update that alters the graph's topology.
    public private(set) var edgeSetVersion = 0
    /// When the last successful poll completed and the window it reported ("30s").
    public private(set) var lastSampledAt: Seconds?
    /// When the first live poll was recorded: history merged later goes before it.
    public private(set) var firstSampledAt: Seconds?
    public private(set) var window: String?
    public private(set) var lastError: String?
    /// The source the samples come from, as the runtime names it (nil: not known yet).
    public var source: String?
    /// Requests per second each backend of a split or route received, by parent Service
    /// (from route metrics, e.g. Linkerd's `outbound_http_route_backend_requests_total`), as of
    /// the latest poll that carried them; a parent absent from it has no entry.
    public private(set) var routeBackends: [ObjectRef: [String: Double]] = [:]
    public private(set) var lastFailureAt: Seconds?
    /// Failed polls since the last good one: the poll interval backs off on it.
    public private(set) var consecutiveFailures = 0

    public init(historyCapacity: Int = 60) { self.historyCapacity = historyCapacity }

    /// Records one poll of a namespace (nil = all namespaces). `lists` are the responses of
    /// that poll: resource lists (`/namespaces/ns/deployments`) and `/edges` lists, in any order.
    /// Series of that scope that the poll did not mention get a gap.
    /// `edgesFetched` (nil = every workload's) limits the gaps to edges whose ends were asked:
    /// an edge of a workload not polled this time keeps its history as it is.
    public mutating func record(namespace: String?, lists: [TrafficMetricsList], edgesFetched: Set<ObjectRef>? = nil, at t: Seconds) {
        var seenWorkloads: [ObjectRef: MetricSample] = [:]
        var seenEdges: [TrafficEdgeKey: MetricSample] = [:]
        var backends: [ObjectRef: [String: Double]]?
        for list in lists {
            for item in list.items {
                if let b = item.backend {
                    // A split backend's share of its parent's traffic, not a workload sample
                    // (a backend Service often shares its name with its Deployment).
                    let parent = ObjectRef(namespace: clean(item.namespace ?? namespace ?? ""), name: clean(b.apex))
                    if let rps = item.requestsPerSecond, rps.isFinite, rps >= 0 {
                        backends = backends ?? [:]
                        backends![parent, default: [:]][clean(b.name)] = rps
                    }
                    continue
                }
                guard let res = item.resource, let name = item.resource?.name ?? item.name else { continue }
                if let w = item.window { window = clean(w, limit: 16) }
                let ns = res.namespace ?? item.namespace ?? namespace ?? ""
                let subject = ObjectRef(namespace: clean(ns), name: clean(name))
                let sample = MetricSample(item, at: t)
                if let peer = item.edge?.resource, let peerName = peer.name {
                    let peerID = ObjectRef(namespace: clean(peer.namespace ?? ns), name: clean(peerName))
                    let key: TrafficEdgeKey
                    switch item.edge?.direction {
                    case .to: key = TrafficEdgeKey(from: subject, to: peerID)
                    default: key = TrafficEdgeKey(from: peerID, to: subject)
                    }
                    // The same edge is reported from both ends; the inbound ("from") reading is
                    // the server side, which is what linkerd viz shows, so it wins.
                    if seenEdges[key] == nil || item.edge?.direction == .from { seenEdges[key] = sample }
                } else {
                    seenWorkloads[subject] = sample
                }
            }
        }
        var newEdge = false
        for k in seenEdges.keys where edges[k] == nil {
            edges[k] = MetricHistory(capacity: historyCapacity)
            newEdge = true
        }
        Self.appendInPlace(&edges) { k in
            let seen = seenEdges[k]
            guard seen != nil || namespace == nil || k.from.namespace == namespace || k.to.namespace == namespace else { return .skip }
            if seen == nil, let fetched = edgesFetched, !fetched.contains(k.from), !fetched.contains(k.to) { return .skip }
            return .append(seen)
        }
        for k in seenWorkloads.keys where workloads[k] == nil {
            workloads[k] = MetricHistory(capacity: historyCapacity)
        }
        Self.appendInPlace(&workloads) { k in
            let seen = seenWorkloads[k]
            guard seen != nil || namespace == nil || k.namespace == namespace else { return .skip }
            return .append(seen)
        }
        if newEdge { edgeSetVersion += 1 }
        if let backends {
            for k in routeBackends.keys where namespace == nil || k.namespace == namespace { routeBackends[k] = nil }
            routeBackends.merge(backends) { $1 }
        }
        lastSampledAt = t
        if firstSampledAt == nil { firstSampledAt = t }
        lastError = nil
        consecutiveFailures = 0
    }

    /// History from the source (Prometheus' `query_range`), oldest first, merged behind what
    /// the live polls recorded: the range queries run beside the first live poll and may
    /// answer before it or long after it. Points at or after the first live sample are left
    /// out (the live samples cover that time). A series only the history knows gets a gap
    /// after it: the live polls since did not report it.
    public mutating func mergeHistory(namespace: String?, points: [(at: Seconds, lists: [TrafficMetricsList])]) {
        let firstLive = firstSampledAt
        var older = MetricsStore(historyCapacity: historyCapacity)
        for p in points.sorted(by: { $0.at < $1.at }) where firstLive.map({ p.at < $0 - 0.5 }) ?? true {
            older.record(namespace: namespace, lists: p.lists, at: p.at)
        }
        guard older.lastSampledAt != nil else { return }
        let liveRecorded = lastSampledAt != nil || lastFailureAt != nil
        var newEdge = false
        for (k, h) in older.edges {
            if let mine = edges[k] {
                edges[k] = mine.behind(h)
            } else {
                var h = h
                if liveRecorded { h.append(nil) }
                edges[k] = h
                newEdge = true
            }
        }
        for (k, h) in older.workloads {
            if let mine = workloads[k] {
                workloads[k] = mine.behind(h)
            } else {
                var h = h
                if liveRecorded { h.append(nil) }
                workloads[k] = h
            }
        }
        if newEdge { edgeSetVersion += 1 }
        if window == nil { window = older.window }
        if lastSampledAt == nil { lastSampledAt = older.lastSampledAt }
    }

    /// A poll failed: every series of the scope gets a gap, the last values stay readable.
    public mutating func recordFailure(namespace: String?, message: String, at t: Seconds) {
        Self.appendInPlace(&edges) { k in
            namespace == nil || k.from.namespace == namespace || k.to.namespace == namespace ? .append(nil) : .skip
        }
        Self.appendInPlace(&workloads) { k in namespace == nil || k.namespace == namespace ? .append(nil) : .skip }
        lastError = clean(message, limit: 300)
        lastFailureAt = t
        consecutiveFailures = min(consecutiveFailures + 1, 1_000)
    }

    enum Step {
        case skip
        case append(MetricSample?)
    }

    /// Appends to each history what `step` says, in place, walking the dictionary by index.
    /// `for k in d.keys { d[k]!.append(…) }` keeps the keys view's reference to the storage
    /// while writing through it, so the first write copies the whole dictionary and then
    /// every history's ring buffer: about 10 MB on the UI thread per poll at 5,000 services.
    private static func appendInPlace<K: Hashable>(_ d: inout [K: MetricHistory], _ step: (K) -> Step) {
        var i = d.startIndex
        while i != d.endIndex {
            if case .append(let sample) = step(d.keys[i]) { d.values[i].append(sample) }
            d.formIndex(after: &i)
        }
    }

    /// Forget everything (context switch).
    public mutating func reset() {
        let source = self.source
        self = MetricsStore(historyCapacity: historyCapacity)
        self.source = source
    }

    public func workload(_ id: ObjectRef) -> MetricHistory? { workloads[id] }
    public func edge(_ key: TrafficEdgeKey) -> MetricHistory? { edges[key] }

    /// Traffic each backend workload received, for a split's "observed share" column.
    public func inboundRPS(to id: ObjectRef) -> Double? { workloads[id]?.latest?.rps }
}

/// Health colouring thresholds (success rate); linkerd viz defaults.
public struct HealthThresholds: Sendable, Equatable {
    /// Below this → warning (amber).
    public var warning: Double
    /// Below this → critical (red).
    public var critical: Double
    public init(warning: Double = 0.95, critical: Double = 0.90) {
        self.warning = warning
        self.critical = critical
    }

    public func classify(_ successRate: Double?) -> Health {
        guard let s = successRate else { return .unknown }
        if s < critical { return .critical }
        if s < warning { return .warning }
        return .healthy
    }
}

public enum Health: String, Sendable, Equatable {
    /// No requests or no data: neither good nor bad.
    case unknown
    case healthy, warning, critical
}
