// The service graph: workloads and services as nodes, three kinds of edges (observed traffic
// from metrics, TrafficSplit root → backend, service → the workloads it selects). Built from
// the store in O(objects + edges); metric values are NOT copied in, they are looked up by edge
// key at render time, so a metrics poll never rebuilds the graph or its layout unless it
// reveals a new edge.

import KubeCore
import SMI

public enum NodeKind: String, Sendable, Hashable, Comparable {
    case service, workload
    public static func < (a: NodeKind, b: NodeKind) -> Bool { a.rawValue < b.rawValue }
}

public struct NodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: NodeKind
    public var object: ObjectRef
    public init(_ kind: NodeKind, _ object: ObjectRef) {
        self.kind = kind
        self.object = object
    }
    public static func service(_ ns: String, _ name: String) -> NodeID { NodeID(.service, ObjectRef(namespace: ns, name: name)) }
    public static func workload(_ ns: String, _ name: String) -> NodeID { NodeID(.workload, ObjectRef(namespace: ns, name: name)) }
    public var namespace: String { object.namespace }
    public var name: String { object.name }
    public static func < (a: NodeID, b: NodeID) -> Bool {
        if a.object.namespace != b.object.namespace { return a.object.namespace < b.object.namespace }
        if a.object.name != b.object.name { return a.object.name < b.object.name }
        return a.kind < b.kind
    }
    public var description: String { "\(kind == .service ? "svc" : "deploy")/\(object.key)" }
}

public struct GraphNode: Sendable, Equatable {
    public var id: NodeID
    /// The object's name (already sanitised).
    public var label: String
    /// Second line of the box: "svc" / "deploy 2/3" / "deploy ?" for workloads only seen in metrics.
    public var subtitle: String
    /// Workload without a Deployment object (only seen as a metrics peer).
    public var isGhost: Bool
    /// A metrics peer in a namespace outside the scope: it exists, smitop only does not watch
    /// it. Its label is namespace-qualified.
    public var elsewhere = false
}

public enum EdgeKind: Sendable, Hashable, Comparable {
    /// Requests observed in TrafficMetrics edges (workload → workload).
    case traffic
    /// A split's root service → one of its backend services (a TrafficSplit, or one rule of a
    /// route).
    case split(SplitID)
    /// A service → a workload its selector matches.
    case selects

    var rank: Int {
        switch self {
        case .traffic: return 0
        case .split: return 1
        case .selects: return 2
        }
    }
    public static func < (a: EdgeKind, b: EdgeKind) -> Bool {
        if a.rank != b.rank { return a.rank < b.rank }
        if case .split(let x) = a, case .split(let y) = b { return x < y }
        return false
    }
}

public struct EdgeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var from: NodeID
    public var to: NodeID
    public var kind: EdgeKind
    public init(from: NodeID, to: NodeID, kind: EdgeKind) {
        self.from = from
        self.to = to
        self.kind = kind
    }
    public static func < (a: EdgeID, b: EdgeID) -> Bool {
        if a.from != b.from { return a.from < b.from }
        if a.to != b.to { return a.to < b.to }
        return a.kind < b.kind
    }
    /// The metrics key for a traffic edge.
    public var trafficKey: TrafficEdgeKey? {
        kind == .traffic ? TrafficEdgeKey(from: from.object, to: to.object) : nil
    }
    public var description: String { "\(from) → \(to)" }
}

/// A split relation's configured weight, for the edge label ("v2 10%").
public struct SplitShare: Sendable, Equatable {
    public var split: SplitID
    public var backendIndex: Int
    /// The weight as written in the object ("500m", "90").
    public var weight: String
    /// weight ÷ total; nil when the split routes nothing.
    public var share: Fraction?
    /// A route rule whose weights do not decide traffic because a Linkerd ServiceProfile for
    /// the same Service does (NOTES.md §7): "ServiceProfile ns/name".
    public var overriddenBy: String? = nil
    /// A consumer route (in another namespace than its parent Service): the only namespace
    /// whose callers it applies to (§5).
    public var callerNamespace: String? = nil
    /// Whether these weights decide traffic: false for a route rule no mesh accepted or one a
    /// ServiceProfile overrides (always true for a TrafficSplit, which has no status).
    public var inEffect = true
}

public struct GraphEdge: Sendable, Equatable {
    public var id: EdgeID
    /// Set for `.split` edges.
    public var split: SplitShare? {
        get { shareInfo.map { $0.share(of: $0.notes?.split ?? id.splitID) } }
        set { shareInfo = newValue.map { ShareInfo($0, edgeSplit: id.splitID) } }
    }
    /// For a traffic edge into a backend of a Service that has consumer routes (where what
    /// applies depends on the caller): the rules that apply to this caller, the consumer
    /// route of the caller's namespace or else the producer's. Empty elsewhere: there the
    /// split edges already say it for every caller.
    public var via: [SplitShare] = []
    /// `split`, kept in fewer bytes: a mesh of 10,000 three-rule routes has ~55,000 edges, and
    /// a `SplitShare` held inline (the split's id again, a fraction of two Int128s that made
    /// the whole edge 16-byte aligned, two optional strings) made each edge 304 bytes (19 MB
    /// for the 65,000 the build reserves there); this makes it 192.
    private var shareInfo: ShareInfo?

    public init(id: EdgeID, split: SplitShare?, via: [SplitShare] = []) {
        self.id = id
        self.via = via
        self.split = split
    }
}

extension EdgeID {
    /// The split a `.split` edge belongs to.
    var splitID: SplitID? { if case .split(let s) = kind { s } else { nil } }
}

/// A `SplitShare` without its split (the edge's kind names it) and with its rare parts boxed.
private struct ShareInfo: Sendable, Equatable {
    var weight: String
    var backendIndex: Int
    /// Set only where they are (a route a ServiceProfile overrides, a consumer route), or
    /// where the share's split is not the edge's own (never, as the graph builds edges).
    var notes: Notes?
    var share: CompactFraction
    var inEffect: Bool

    final class Notes: Sendable, Equatable {
        let overriddenBy: String?
        let callerNamespace: String?
        let split: SplitID?
        init(overriddenBy: String?, callerNamespace: String?, split: SplitID?) {
            self.overriddenBy = overriddenBy
            self.callerNamespace = callerNamespace
            self.split = split
        }
        static func == (a: Notes, b: Notes) -> Bool {
            a === b || (a.overriddenBy == b.overriddenBy && a.callerNamespace == b.callerNamespace && a.split == b.split)
        }
    }

    init(_ s: SplitShare, edgeSplit: SplitID?) {
        weight = s.weight
        backendIndex = s.backendIndex
        share = CompactFraction(s.share)
        inEffect = s.inEffect
        let other = s.split == edgeSplit ? nil : s.split
        notes =
            s.overriddenBy == nil && s.callerNamespace == nil && other == nil
            ? nil : Notes(overriddenBy: s.overriddenBy, callerNamespace: s.callerNamespace, split: other)
    }

    func share(of split: SplitID?) -> SplitShare {
        // Never nil: on an edge that is not a split's, `init` kept the share's split in `notes`.
        var out = SplitShare(split: split ?? .trafficSplit("", ""), backendIndex: backendIndex, weight: weight, share: share.fraction)
        out.overriddenBy = notes?.overriddenBy
        out.callerNamespace = notes?.callerNamespace
        out.inEffect = inEffect
        return out
    }
}

/// An optional `Fraction` in 8-byte-aligned words: both parts as Int64 when they fit (every
/// route share, whose weights are at most 1,000,000), boxed when they do not (a TrafficSplit
/// of huge quantities). One representation per value, so equality stays value equality.
private enum CompactFraction: Sendable, Equatable {
    case none
    case small(Int64, Int64)
    case large(Box)

    final class Box: Sendable, Equatable {
        let value: Fraction
        init(_ value: Fraction) { self.value = value }
        static func == (a: Box, b: Box) -> Bool { a.value == b.value }
    }

    init(_ f: Fraction?) {
        guard let f else {
            self = .none
            return
        }
        if let n = Int64(exactly: f.numerator), let d = Int64(exactly: f.denominator) {
            self = .small(n, d)
        } else {
            self = .large(Box(f))
        }
    }

    var fraction: Fraction? {
        switch self {
        case .none: return nil
        // Already reduced with a positive denominator: rebuilding it reduces nothing.
        case .small(let n, let d): return Fraction(Int128(n), Int128(d))
        case .large(let b): return b.value
        }
    }
}

public struct EdgeEnds: Sendable, Equatable {
    public var from: Int
    public var to: Int
    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }
}

public struct MeshGraph: Sendable, Equatable {
    /// Sorted by NodeID (namespace, name, kind): deterministic order for layout and navigation.
    public private(set) var nodes: [GraphNode] = []
    public private(set) var edges: [GraphEdge] = []
    public private(set) var index: [NodeID: Int] = [:]
    /// Edge indices per node.
    /// Node indices of each edge's ends, by edge index.
    public private(set) var ends: [EdgeEnds] = []
    public private(set) var outgoing: [[Int]] = []
    public private(set) var incoming: [[Int]] = []
    /// Hash of node ids and edge ids: equal keys ⇒ the same layout applies.
    public private(set) var topologyKey: Int = 0
    /// Traffic edges with a `via` (few: only into Services with consumer routes), so a weight
    /// change updates them without a pass over every edge.
    public private(set) var viaEdges: [Int] = []

    public init() {}

    public init(nodes: [GraphNode], edges: consuming [GraphEdge]) {
        var seen = Set<NodeID>()
        self.init(uniqueNodes: nodes.filter { seen.insert($0.id).inserted }, edges: edges)
    }

    /// `nodes` with no id twice (as `build` makes them, from a dictionary's values): no set of
    /// ids to drop duplicates with.
    init(uniqueNodes nodes: [GraphNode], edges: consuming [GraphEdge]) {
        self.nodes = nodes.sorted { $0.id < $1.id }
        index.reserveCapacity(self.nodes.count)
        for (i, n) in self.nodes.enumerated() { index[n.id] = i }
        // Sorted through 4-byte indices, duplicates dropped as adjacent runs (the first one
        // kept), then moved into that order in place: sorting the ~240-byte edges themselves,
        // a set of their ids, or a sorted copy took tens of MB at once for a mesh with 37,000
        // edges, on top of the graph being replaced.
        var es = edges
        var order: [Int32] = []
        order.reserveCapacity(es.count)
        // Each edge's end nodes as indices, looked up once. Nodes are sorted by id, so comparing
        // the indices orders edges as comparing their ids' ends does, without comparing
        // namespace and name strings: sorting 55,000 edges by whole ids was a third of the
        // graph's build on 10,000 three-rule routes (perf). Only edges between the same two
        // nodes are told apart by kind.
        var endsOf = [EdgeEnds](repeating: EdgeEnds(from: -1, to: -1), count: es.count)
        for (i, e) in es.enumerated() {
            guard let u = index[e.id.from], let v = index[e.id.to] else { continue }
            endsOf[i] = EdgeEnds(from: u, to: v)
            order.append(Int32(i))
        }
        order.sort { a, b in
            let (x, y) = (endsOf[Int(a)], endsOf[Int(b)])
            if x.from != y.from { return x.from < y.from }
            if x.to != y.to { return x.to < y.to }
            let (kx, ky) = (es[Int(a)].id.kind, es[Int(b)].id.kind)
            return kx == ky ? a < b : kx < ky
        }
        var kept = 0
        for k in order.indices where kept == 0 || es[Int(order[k])].id != es[Int(order[kept - 1])].id {
            order[kept] = order[k]
            kept += 1
        }
        order.removeLast(order.count - kept)
        ends = order.map { endsOf[Int($0)] }
        endsOf = []
        Self.permute(&es, into: order)
        self.edges = es
        outgoing = Array(repeating: [], count: self.nodes.count)
        incoming = Array(repeating: [], count: self.nodes.count)
        var h = Hasher()
        for n in self.nodes { h.combine(n.id) }
        for (i, e) in es.enumerated() {
            let (u, v) = (ends[i].from, ends[i].to)
            outgoing[u].append(i)
            incoming[v].append(i)
            if !e.via.isEmpty { viaEdges.append(i) }
            h.combine(e.id)
        }
        topologyKey = h.finalize()
    }

    /// Rearranges `a` in place so that `a[k]` is the old `a[order[k]]` for each k, then drops
    /// the rest; `order` holds distinct indices. Follows each cycle of the permutation that
    /// `order` extends to, holding one element aside, so no second array is made.
    static func permute<T>(_ a: inout [T], into order: [Int32]) {
        let n = a.count
        var perm = [Int32](repeating: -1, count: n)
        var taken = [Bool](repeating: false, count: n)
        for (k, i) in order.enumerated() {
            perm[k] = i
            taken[Int(i)] = true
        }
        // Positions past the kept ones take the unkept elements, to be dropped.
        var k = order.count
        for i in 0..<n where !taken[i] {
            perm[k] = Int32(i)
            k += 1
        }
        var done = [Bool](repeating: false, count: n)
        for start in 0..<n where !done[start] {
            let held = a[start]
            var k = start
            while true {
                done[k] = true
                let source = Int(perm[k])
                if source == start {
                    a[k] = held
                    break
                }
                a[k] = a[source]
                k = source
            }
        }
        a.removeLast(n - order.count)
    }

    /// A split's weights changed but not its services: update its edges' shares in place,
    /// O(backends), instead of rebuilding the graph from every object. A watch event of a
    /// split lands here twice (the graph and the visible one): what is the same for every
    /// backend (the root's node, the acceptance, the shares without the rest of the analysis)
    /// is worked out once.
    public mutating func updateSplitShares(_ sid: SplitID, _ split: WeightedSplit) {
        if let change = splitShareChange(sid, split) { apply(change) }
    }

    /// The new shares of a split's edges, found but not yet written: `apply` writes them here
    /// and, without finding them again, in a graph of the same structure (`hasSameStructure`).
    public struct SplitShareChange: Sendable {
        fileprivate var accepted: Bool
        /// Per backend with an edge: the edge's index and its share.
        fileprivate var edges: [(edge: Int, share: SplitShare)]
    }

    /// The edges of a split and their new shares; nil when the graph has not its root.
    public func splitShareChange(_ sid: SplitID, _ split: WeightedSplit) -> SplitShareChange? {
        // No node, no edges from it: the graph keeps only edges between its nodes.
        guard let u = index[NodeID(.service, split.rootRef)] else { return nil }
        let shares = split.shares
        let weights = split.weights
        let targets = split.backendRefs
        let kind = EdgeKind.split(sid)
        var change = SplitShareChange(accepted: split.acceptance?.isAccepted ?? true, edges: [])
        change.edges.reserveCapacity(targets.count)
        for i in targets.indices {
            guard let v = index[NodeID(.service, targets[i])], let e = edgeIndex(from: u, to: v, kind: kind) else { continue }
            change.edges.append((e, SplitShare(split: sid, backendIndex: i, weight: weights[i].description, share: shares[i])))
        }
        return change
    }

    /// Writes a split's new shares (from `splitShareChange` on this graph or on one of the same
    /// structure), keeping what each edge says of the profile that overrides it.
    public mutating func apply(_ change: SplitShareChange) {
        let accepted = change.accepted
        for (e, new) in change.edges {
            var share = new
            let old = edges[e].split
            share.overriddenBy = old?.overriddenBy
            share.callerNamespace = old?.callerNamespace
            share.inEffect = share.overriddenBy == nil && accepted
            edges[e].split = share
            // The traffic edges that named this rule carry its new share too.
            for t in viaEdges {
                for v in edges[t].via.indices where edges[t].via[v].split == share.split && edges[t].via[v].backendIndex == share.backendIndex {
                    // Which profile this caller meets did not change with the weights.
                    var updated = share
                    updated.overriddenBy = edges[t].via[v].overriddenBy
                    updated.inEffect = updated.overriddenBy == nil && accepted
                    edges[t].via[v] = updated
                }
            }
        }
    }

    /// Whether `other` has this graph's nodes and edges in the same order, so that an edge's
    /// index in one is its index in the other: true when one is a copy of the other (the
    /// visible graph is the whole graph unless focused or filtered by kind), their labels
    /// patched since. Told by the edge-end array they share: it is made when a graph is built
    /// and never changed, and a graph built again (even of the same objects) has its own, so
    /// this never answers true for graphs that merely look alike.
    public func hasSameStructure(as other: MeshGraph) -> Bool {
        guard !ends.isEmpty, ends.count == other.ends.count, nodes.count == other.nodes.count else { return false }
        return ends.withUnsafeBufferPointer { a in other.ends.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
    }

    /// Only a box's second line changed (a deployment's ready count).
    public mutating func updateSubtitle(_ id: NodeID, _ subtitle: String) {
        guard let i = index[id] else { return }
        nodes[i].subtitle = subtitle
    }

    public static func deploymentSubtitle(_ d: DeploymentInfo) -> String { "deploy \(d.readyReplicas)/\(d.replicas)" }

    public func node(_ id: NodeID) -> GraphNode? { index[id].map { nodes[$0] } }
    public func edge(_ id: EdgeID) -> GraphEdge? { edgeIndex(of: id).map { edges[$0] } }

    /// An edge's index: its end nodes' indices, then a binary search among the edges leaving
    /// `from` (a run of `edges`, which are sorted by their ends' indices, then kind). Why not
    /// a dictionary: its keys hold two node ids each, ~10 MB for the 30,000 edges of 5,000
    /// services and 10,000 splits. Why not a search over all edges by id: each step compared
    /// (and copied) two ids of namespace and name strings: with the retains of those copies,
    /// 28 % of smitop-bench's watch events figure (perf).
    public func edgeIndex(of id: EdgeID) -> Int? {
        guard let u = index[id.from], let v = index[id.to] else { return nil }
        return edgeIndex(from: u, to: v, kind: id.kind)
    }

    /// The edge between nodes `u` and `v` (indices into `nodes`) of this kind.
    func edgeIndex(from u: Int, to v: Int, kind: EdgeKind) -> Int? {
        outgoing[u].withUnsafeBufferPointer { out -> Int? in
            // The first edge of `out` not ordered before (v, kind): kinds compared only
            // between edges to the same node.
            var (lo, hi) = (0, out.count)
            while lo < hi {
                let m = lo + (hi - lo) / 2
                let e = out[m]
                let to = ends[e].to
                if to < v || (to == v && edges[e].id.kind < kind) { lo = m + 1 } else { hi = m }
            }
            guard lo < out.count else { return nil }
            let e = out[lo]
            return ends[e].to == v && edges[e].id.kind == kind ? e : nil
        }
    }

    public func outgoingEdges(_ id: NodeID) -> [GraphEdge] { index[id].map { outgoing[$0].map { edges[$0] } } ?? [] }
    public func incomingEdges(_ id: NodeID) -> [GraphEdge] { index[id].map { incoming[$0].map { edges[$0] } } ?? [] }

    /// The node, its direct callers and callees.
    public func neighbourhood(of id: NodeID) -> Set<NodeID> {
        var s: Set<NodeID> = [id]
        for e in outgoingEdges(id) { s.insert(e.id.to) }
        for e in incomingEdges(id) { s.insert(e.id.from) }
        return s
    }

    /// Only these nodes and the edges among them.
    public func subgraph(keeping keep: Set<NodeID>) -> MeshGraph {
        MeshGraph(
            nodes: nodes.filter { keep.contains($0.id) },
            edges: edges.filter { keep.contains($0.id.from) && keep.contains($0.id.to) })
    }

    public var namespaces: [String] {
        var out: [String] = []
        for n in nodes where out.last != n.id.namespace { out.append(n.id.namespace) }
        return out
    }

    /// Builds the graph. `observedEdges` are the traffic edges metrics have reported.
    public static func build(store: MeshStore, observedEdges: some Sequence<TrafficEdgeKey>) -> MeshGraph {
        var nodes: [NodeID: GraphNode] = [:]
        for s in store.services.values {
            nodes[NodeID(.service, s.id)] = GraphNode(id: NodeID(.service, s.id), label: s.id.name, subtitle: "svc", isGhost: false)
        }
        for d in store.deployments.values {
            let id = NodeID(.workload, d.id)
            nodes[id] = GraphNode(id: id, label: d.id.name, subtitle: deploymentSubtitle(d), isGhost: false)
        }
        var edges = selectEdges(store)
        // As many as will come: one per split backend and one per observed edge at most. Two
        // per split was ~10,000 edges too many (1.9 MB) for 30,000 route rules of 1.7 backends
        // on average, and too few for splits of three backends, where the array then doubled;
        // the graph keeps this capacity.
        var splitBackends = 0
        for s in store.splits.values { splitBackends += s.backendCount }
        edges.reserveCapacity(edges.count + splitBackends + observedEdges.underestimatedCount)
        // Namespaces with consumer routes per Service: callers there use those routes, every
        // other caller the producer's (GEP-1294, NOTES.md §5).
        var consumerNamespaces: [ObjectRef: Set<String>] = [:]
        for split in store.splits.values {
            guard let r = split.route, r.namespace != split.rootRef.namespace else { continue }
            consumerNamespaces[split.rootRef, default: []].insert(r.namespace)
        }
        // Services where a Linkerd ServiceProfile in a caller's namespace takes the place of the
        // Service's own for those callers (§7): there, too, what decides depends on the caller.
        let callerProfiled = Set(store.profileIndex.callers.keys)
        var backendOf: [ObjectRef: [SplitShare]] = [:]
        for (sid, split) in store.splits {
            // What is the same for every backend, worked out once: the root, and the route,
            // read in its box (`split.route` copies the whole route out).
            let rootRef = split.rootRef
            let route = split.routeBox
            let root = NodeID(.service, rootRef)
            // As `store.overridingProfile(of:)`, without working out the root again: a consumer
            // route meets its own namespace's profile first.
            let overridden = route.flatMap { store.profileIndex.overriding(routeNamespace: $0.value.namespace, service: rootRef) }?.label
            let consumerNS = route.flatMap { $0.value.namespace != rootRef.namespace ? $0.value.namespace : nil }
            let inEffect = overridden == nil && (route?.value.acceptance.isAccepted ?? true)
            let hasConsumers = consumerNamespaces[rootRef] != nil
            if nodes[root] == nil {
                nodes[root] = GraphNode(id: root, label: root.name, subtitle: "svc (missing)", isGhost: true)
            }
            // The weights alone: `backends` formats each backend's name, `analysis` checks and
            // hashes them, and the graph reads neither.
            let weights = split.weights
            let shares = SplitAnalysis.shares(ofNanos: weights.map(\.value.nanos))
            let targets = split.backendRefs
            for (i, w) in weights.enumerated() {
                let to = NodeID(.service, targets[i])
                if nodes[to] == nil { nodes[to] = GraphNode(id: to, label: to.name, subtitle: "svc (missing)", isGhost: true) }
                guard to != root else { continue }
                var share = SplitShare(split: sid, backendIndex: i, weight: w.description, share: shares[i])
                share.overriddenBy = overridden
                share.callerNamespace = consumerNS
                share.inEffect = inEffect
                if hasConsumers || callerProfiled.contains(rootRef) { backendOf[targets[i], default: []].append(share) }
                edges.append(GraphEdge(id: EdgeID(from: root, to: to, kind: .split(sid)), split: share))
            }
        }
        // Which services select each workload, for the traffic edges' `via`.
        var selectedBy: [ObjectRef: [ObjectRef]] = [:]
        if !backendOf.isEmpty {
            for e in edges where e.id.kind == .selects { selectedBy[e.id.to.object, default: []].append(e.id.from.object) }
        }
        // Namespaces the store watches: a peer outside them is not "missing", only not watched.
        var watched = Set<String>()
        for s in store.services.keys { watched.insert(s.namespace) }
        for d in store.deployments.keys { watched.insert(d.namespace) }
        for k in observedEdges {
            let from = NodeID(.workload, k.from)
            let to = NodeID(.workload, k.to)
            for n in [from, to] where nodes[n] == nil {
                if watched.contains(n.namespace) {
                    nodes[n] = GraphNode(id: n, label: n.name, subtitle: "deploy ?", isGhost: true)
                } else {
                    nodes[n] = GraphNode(
                        id: n, label: n.namespace + "/" + n.name, subtitle: "in " + n.namespace, isGhost: true, elsewhere: true)
                }
            }
            guard from != to else { continue }
            var edge = GraphEdge(id: EdgeID(from: from, to: to, kind: .traffic), split: nil)
            for svc in selectedBy[to.object] ?? [] {
                for share in backendOf[svc] ?? [] {
                    guard let split = store.splits[share.split] else { continue }
                    let consumers = consumerNamespaces[split.rootRef] ?? []
                    // A consumer route applies to its namespace's callers only, the producer's to
                    // every caller outside those namespaces, a TrafficSplit (no route) to all.
                    let applies =
                        !split.isRoute || (share.callerNamespace.map { $0 == from.namespace } ?? !consumers.contains(from.namespace))
                    guard applies else { continue }
                    var v = share
                    if callerProfiled.contains(split.rootRef) {
                        // The profile these callers meet: their namespace's own, or the Service's.
                        v.overriddenBy = store.overridingProfile(of: split, callerNamespace: from.namespace)?.label
                        v.inEffect = v.overriddenBy == nil && (split.acceptance?.isAccepted ?? true)
                    }
                    edge.via.append(v)
                }
            }
            edge.via.sort { ($0.split, $0.backendIndex) < ($1.split, $1.backendIndex) }
            edges.append(edge)
        }
        // The lookup table goes before the graph is built from its values.
        let list = Array(nodes.values)
        nodes = [:]
        return MeshGraph(uniqueNodes: list, edges: edges)
    }

    /// Service → workload edges: each service's selector against the deployments' pod labels.
    /// Deployments are indexed by namespace and by those label pairs that some selector uses,
    /// so matching stays proportional to the candidates, not to every deployment; the index
    /// is gone when this returns, before the graph is built.
    static func selectEdges(_ store: MeshStore) -> [GraphEdge] {
        struct Pair: Hashable {
            var namespace: String
            var key: String
            var value: String
        }
        var used = Set<Pair>()
        for s in store.services.values {
            for (k, v) in s.selector { used.insert(Pair(namespace: s.id.namespace, key: k, value: v)) }
        }
        var byLabel: [Pair: [ObjectRef]] = [:]
        for d in store.deployments.values {
            for (k, v) in d.podLabels {
                let p = Pair(namespace: d.id.namespace, key: k, value: v)
                if used.contains(p) { byLabel[p, default: []].append(d.id) }
            }
        }
        used = []
        var edges: [GraphEdge] = []
        edges.reserveCapacity(store.services.count)
        for s in store.services.values where !s.selector.isEmpty {
            // Candidates: deployments carrying the rarest selector pair; then check the rest.
            var candidates: [ObjectRef]?
            for (k, v) in s.selector {
                let c = byLabel[Pair(namespace: s.id.namespace, key: k, value: v)] ?? []
                if candidates == nil || c.count < candidates!.count { candidates = c }
            }
            for c in candidates ?? [] {
                guard let d = store.deployments[c], s.selector.allSatisfy({ d.podLabels[$0.key] == $0.value }) else { continue }
                edges.append(GraphEdge(id: EdgeID(from: NodeID(.service, s.id), to: NodeID(.workload, c), kind: .selects), split: nil))
            }
        }
        return edges
    }
}
