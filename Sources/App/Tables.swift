// Rows of the services and splits tables, filtered and sorted, computed from the state so the
// UI and mouse hit-testing see the same list.

import Kube
import KubeCore
import Mesh
import SMI

/// `/` filter semantics: text with regex syntax that compiles is a case-insensitive regex,
/// anything else a case-insensitive substring. Dots alone do not count as regex syntax
/// because object names contain them.
public struct FilterMatcher: Sendable {
    public let text: String
    public let isRegex: Bool
    private let lowered: String

    public init(_ text: String) {
        self.text = text
        lowered = text.lowercased()
        let meta: Set<Character> = ["^", "$", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "\\"]
        isRegex = text.contains(where: { meta.contains($0) }) && (try? Regex(text)) != nil
    }

    public func matches(_ candidate: String) -> Bool {
        if text.isEmpty { return true }
        if isRegex, let r = try? Regex(text).ignoresCase() {
            return (try? r.firstMatch(in: candidate)) != nil
        }
        return candidate.lowercased().contains(lowered)
    }
}

public struct MetricCells: Sendable, Equatable {
    public var rps: Double?
    public var successRate: Double?
    public var p99: Double?
    /// The values come from a sample older than the latest poll (a gap followed).
    public var stale: Bool
    public init(rps: Double? = nil, successRate: Double? = nil, p99: Double? = nil, stale: Bool = false) {
        self.rps = rps
        self.successRate = successRate
        self.p99 = p99
        self.stale = stale
    }

    /// Sums request rates, weights success by rate, takes the worst p99.
    static func aggregate(_ histories: [MetricHistory]) -> MetricCells {
        var out = MetricCells()
        var good = 0.0
        var weight = 0.0
        for h in histories {
            let latest = h.latest
            guard let s = latest ?? h.lastKnown else { continue }
            if latest == nil { out.stale = true }
            if let r = s.rps {
                out.rps = (out.rps ?? 0) + r
                if let sr = s.successRate {
                    good += sr * r
                    weight += r
                }
            }
            if let p = s.p99 { out.p99 = max(out.p99 ?? 0, p) }
        }
        if weight > 0 { out.successRate = good / weight }
        return out
    }
}

public struct ServiceRow: Sendable, Equatable {
    public var id: ObjectRef
    public var workloads: [ObjectRef]
    public var metrics: MetricCells
    /// Splits that have this service as root.
    public var splitRoots: [SplitID]
    /// `spec.type` (ClusterIP, NodePort, LoadBalancer, ExternalName).
    public var type: String = ""
    /// "80,443".
    public var ports: String = ""
    /// The splits it takes part in: "⑃books" for a root, "books 10%" for a backend.
    public var splits: String = ""
    /// How many of them are TrafficSplits (more than one is warned).
    public var trafficSplitRoots: Int { splitRoots.filter { $0.kind == .trafficSplit }.count }
}

public struct SplitRow: Sendable, Equatable {
    public var id: SplitID
    /// "TrafficSplit", "HTTPRoute", "GRPCRoute", "HTTPRoute (linkerd)".
    public var kind: String
    /// For a route rule: its name and match summary ("all requests", "header x-user=1").
    public var rule: String?
    /// For a route: what the mesh says ("Accepted", "NoController", a rejection reason).
    public var accepted: String?
    public var rootService: String
    /// "v1 90 · v2 10".
    public var backendsText: String
    public var apiVersion: String
    public var metrics: MetricCells
    public var controller: String?
    /// A draft with unsaved changes exists.
    public var hasDraft: Bool
    /// TrafficSplits with this one's root service, itself included (more than 1: meshes
    /// disagree on what that means, so the table warns).
    public var splitsForRoot: Int = 1
}

extension AppState {
    func workloadHistories(ofService id: ObjectRef) -> ([ObjectRef], [MetricHistory]) {
        guard let svc = store.services[id] else { return ([], []) }
        let ws = graph.outgoingEdges(NodeID(.service, id)).filter { $0.id.kind == .selects }.map(\.id.to.object)
        _ = svc
        return (ws, ws.compactMap { metrics.workload($0) })
    }

    /// Metrics for a service: the workloads it selects, or for a split root its backends'.
    public func serviceMetrics(_ id: ObjectRef) -> MetricCells {
        let (_, hs) = workloadHistories(ofService: id)
        if !hs.isEmpty { return MetricCells.aggregate(hs) }
        return MetricCells()
    }

    public func splitMetrics(_ id: SplitID) -> MetricCells {
        guard let s = store.splits[id] else { return MetricCells() }
        var hs: [MetricHistory] = []
        for b in s.backendRefs { hs += workloadHistories(ofService: b).1 }
        return MetricCells.aggregate(hs)
    }

    /// Observed share of traffic per backend (by the rps of the workloads each backend
    /// service selects); nil entries when unknown, all nil when there is no traffic.
    public func observedShares(_ id: SplitID) -> [Double?] {
        guard let s = store.splits[id] else { return [] }
        // Route metrics count exactly the requests sent to the split's root Service; the
        // backends' workloads (below) also see traffic that reached them by other paths.
        // (Linkerd labels them by backend Service, not by rule: a route's rules share them.)
        if let seen = metrics.routeBackends[s.rootRef] {
            let total = seen.values.reduce(0, +)
            if total > 0 { return s.backendRefs.map { (seen[$0.name] ?? 0) / total } }
        }
        let rates = s.backendRefs.map { serviceMetrics($0).rps }
        let total = rates.compactMap { $0 }.reduce(0, +)
        guard total > 0 else { return rates.map { _ in nil } }
        return rates.map { $0.map { $0 / total } }
    }

    public func serviceRows() -> [ServiceRow] {
        let t = navigation.table(.services)
        let f = FilterMatcher(t.filter)
        var roots: [ObjectRef: [SplitID]] = [:]
        // Each service's part as a backend: the split and the share its weight gives it.
        var backendOf: [ObjectRef: [String]] = [:]
        for (k, s) in store.splits.sorted(by: { $0.key < $1.key }) {
            roots[s.rootRef, default: []].append(k)
            let shares = s.analysis.shares
            for (i, b) in s.backendRefs.enumerated() {
                let share = i < shares.count ? shares[i].map { $0.percentText(decimals: 0) } ?? "–" : "–"
                backendOf[b, default: []].append("\(k.name) \(share)")
            }
        }
        var rows: [ServiceRow] = []
        for id in store.services.keys where f.matches(id.name) || f.matches(id.key) {
            let (ws, hs) = workloadHistories(ofService: id)
            var row = ServiceRow(id: id, workloads: ws, metrics: MetricCells.aggregate(hs), splitRoots: (roots[id] ?? []).sorted())
            if let svc = store.services[id] {
                row.type = svc.type
                row.ports = svc.ports.map(String.init).joined(separator: ",")
            }
            row.splits = (row.splitRoots.map { "⑃" + $0.name } + (backendOf[id] ?? [])).joined(separator: " ")
            rows.append(row)
        }
        return Self.sorted(rows, t, id: \.id, metrics: \.metrics) { r, c in
            switch c {
            case .service: return r.id.name
            case .backends: return "\(r.workloads.count)"
            case .controller: return ""
            case .type: return r.type
            case .ports: return r.ports
            case .splits: return r.splits
            default: return nil
            }
        }
    }

    public func splitRows() -> [SplitRow] {
        let t = navigation.table(.splits)
        let f = FilterMatcher(t.filter)
        var rows: [SplitRow] = []
        // Counted once for the table (not per row: 10,000 splits would be 10^8 comparisons).
        var perRoot: [ObjectRef: Int] = [:]
        for (id, s) in store.splits where id.kind == .trafficSplit { perRoot[s.rootRef, default: 0] += 1 }
        for (id, s) in store.splits where f.matches(id.name) || f.matches(id.key) || f.matches(s.service) {
            rows.append(
                SplitRow(
                    // A ServiceProfile override is shown where a rejection would be: either way
                    // the rule's weights are not what the mesh does.
                    id: id, kind: id.kind.label, rule: s.ruleSummary,
                    accepted: store.profileIndex.isEmpty || store.overridingProfile(of: s) == nil ? s.acceptance?.text : "Overridden",
                    rootService: s.service,
                    backendsText: s.backends.map { "\($0.service) \($0.weight)" }.joined(separator: " · "),
                    apiVersion: s.apiVersion, metrics: splitMetrics(id), controller: s.controller?.tool,
                    hasDraft: splitEditor.drafts[id]?.isDirty ?? false, splitsForRoot: id.kind == .trafficSplit ? perRoot[s.rootRef] ?? 1 : 1))
        }
        return Self.sorted(rows, t, id: \.id, metrics: \.metrics) { r, c in
            switch c {
            case .service: return r.rootService
            case .backends: return r.backendsText
            case .controller: return r.controller ?? ""
            default: return nil
            }
        }
    }

    /// Sorts rows; ties (and rows without a value, which always go last) by namespace/name.
    static func sorted<R, ID: SortableID>(
        _ rows: [R], _ t: TableState, id: KeyPath<R, ID>, metrics: KeyPath<R, MetricCells>,
        text: (R, TableColumn) -> String?
    ) -> [R] {
        func num(_ r: R) -> Double? {
            switch t.sortColumn {
            case .rps: return r[keyPath: metrics].rps
            case .success: return r[keyPath: metrics].successRate
            case .p99: return r[keyPath: metrics].p99
            default: return nil
            }
        }
        return rows.sorted { a, b in
            let ia = a[keyPath: id]
            let ib = b[keyPath: id]
            switch t.sortColumn {
            case .rps, .success, .p99:
                switch (num(a), num(b)) {
                case (let x?, let y?) where x != y: return t.descending ? x > y : x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return ia < ib
                }
            case .namespace:
                if ia.namespace != ib.namespace { return t.descending ? ia.namespace > ib.namespace : ia.namespace < ib.namespace }
                return ia < ib
            case .name:
                if ia.name != ib.name { return t.descending ? ia.name > ib.name : ia.name < ib.name }
                return ia < ib
            default:
                let x = text(a, t.sortColumn) ?? ""
                let y = text(b, t.sortColumn) ?? ""
                if x != y { return t.descending ? x > y : x < y }
                return ia < ib
            }
        }
    }

    /// Columns each table shows and sorts by, in order.
    public static func columns(_ table: TableKind) -> [TableColumn] { TableColumn.columns(table) }

    public var rowCount: Int {
        switch navigation.view {
        case .services: return serviceRows().count
        case .splits: return splitRows().count
        default: return 0
        }
    }
}

/// What a table row is keyed by: sorted by namespace, then name, then the key itself.
protocol SortableID: Comparable {
    var namespace: String { get }
    var name: String { get }
}
extension ObjectRef: SortableID {}
extension SplitID: SortableID {}
