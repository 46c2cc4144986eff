import Kube
import KubeCore
import SMI
import Testing

@testable import Mesh

func obj(_ s: String) -> JSON { try! JSON.parse(s) }

func service(_ ns: String, _ name: String, selector: [String: String], rv: String = "1") -> JSON {
    let sel = selector.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ",")
    return obj(
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)","namespace":"\#(ns)","resourceVersion":"\#(rv)"},"spec":{"selector":{\#(sel)},"ports":[{"port":80}]}}"#
    )
}

func deployment(_ ns: String, _ name: String, labels: [String: String], ready: Int = 1) -> JSON {
    let l = labels.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ",")
    return obj(
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"\#(name)","namespace":"\#(ns)"},"spec":{"replicas":2,"template":{"metadata":{"labels":{\#(l)}}}},"status":{"readyReplicas":\#(ready)}}"#
    )
}

func split(_ ns: String, _ name: String, root: String, _ backends: [(String, Int)], rv: String = "7") -> JSON {
    let b = backends.map { #"{"service":"\#($0.0)","weight":\#($0.1)}"# }.joined(separator: ",")
    return obj(
        #"{"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"\#(name)","namespace":"\#(ns)","resourceVersion":"\#(rv)"},"spec":{"service":"\#(root)","backends":[\#(b)]}}"#
    )
}

/// A TrafficMetricsList for deployments; items with a peer are `/edges` items (direction "to").
func metricsList(_ ns: String, _ items: [(subject: String, peer: String?, success: Int, failure: Int, p99: String)]) -> TrafficMetricsList {
    let its = items.map { i -> String in
        let edge =
            i.peer.map { #"{"direction":"to","resource":{"kind":"Deployment","namespace":"\#(ns)","name":"\#($0)"}}"# }
            ?? #"{"direction":"from","resource":null}"#
        return
            #"{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"name":"\#(i.subject)","namespace":"\#(ns)"},"window":"30s","resource":{"kind":"Deployment","namespace":"\#(ns)","name":"\#(i.subject)"},"edge":\#(edge),"metrics":[{"name":"p99_response_latency","unit":"ms","value":"\#(i.p99)"},{"name":"p90_response_latency","unit":"ms","value":"5"},{"name":"p50_response_latency","unit":"ms","value":"2"},{"name":"success_count","value":"\#(i.success)"},{"name":"failure_count","value":"\#(i.failure)"}]}"#
    }.joined(separator: ",")
    return try! TrafficMetricsList(
        json: obj(#"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","resource":{"kind":"Deployment"},"items":[\#(its)]}"#))
}

func bookstore() -> MeshStore {
    var s = MeshStore()
    s.replaceAll(
        .service,
        [
            service("shop", "web", selector: ["app": "web"]), service("shop", "books", selector: ["app": "books"]),
            service("shop", "books-v1", selector: ["app": "books", "version": "v1"]),
            service("shop", "books-v2", selector: ["app": "books", "version": "v2"]),
        ])
    s.replaceAll(
        .deployment,
        [
            deployment("shop", "web", labels: ["app": "web"]),
            deployment("shop", "books-v1", labels: ["app": "books", "version": "v1"]),
            deployment("shop", "books-v2", labels: ["app": "books", "version": "v2"]),
        ])
    s.replaceAll(.trafficSplit, [split("shop", "books", root: "books", [("books-v1", 90), ("books-v2", 10)])])
    return s
}

@Test func storeDecodesAndTracksTopology() {
    var s = bookstore()
    #expect(s.services.count == 4)
    #expect(s.deployments[ObjectRef(namespace: "shop", name: "web")]?.readyReplicas == 1)
    #expect(s.trafficSplits[ObjectRef(namespace: "shop", name: "books")]?.backends.count == 2)
    let v = s.topologyVersion
    // Status-only change: no topology change.
    let c = s.upsert(.deployment, deployment("shop", "web", labels: ["app": "web"], ready: 2))
    #expect(!c.topologyChanged)
    #expect(s.topologyVersion == v)
    // Weight change: the split changed, the topology did not.
    let c2 = s.upsert(.trafficSplit, split("shop", "books", root: "books", [("books-v1", 50), ("books-v2", 50)], rv: "8"))
    #expect(!c2.topologyChanged)
    #expect(c2.changedSplits == [.trafficSplit("shop", "books")])
    let c3 = s.delete(.service, service("shop", "web", selector: [:]))
    #expect(c3.topologyChanged)
    #expect(s.topologyVersion == v + 1)
    // A broken split is reported, not fatal.
    s.upsert(
        .trafficSplit,
        obj(
            #"{"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"bad","namespace":"shop"},"spec":{"service":"x","backends":[{"service":"a"}]}}"#
        ))
    #expect(s.decodeErrors["trafficSplit:shop/bad"] != nil)
}

@Test func storeSanitisesClusterStrings() {
    var s = MeshStore()
    s.upsert(.service, service("shop", "evil\\u001b[2Jname\\u202e", selector: ["a": "b"]))
    #expect(s.services.keys.first?.name == "evil[2Jname")
}

@Test func graphFromObjectsAndMetrics() {
    let s = bookstore()
    var m = MetricsStore()
    m.record(
        namespace: "shop", lists: [metricsList("shop", [("web", "books-v1", 90, 0, "10"), ("web", "books-v2", 9, 1, "20"), ("web", nil, 100, 0, "3")])], at: 10)
    let g = MeshGraph.build(store: s, observedEdges: m.edges.keys)
    #expect(g.nodes.count == 7)
    let selects = g.edges.filter { $0.id.kind == .selects }
    // books selects both versions; v1/v2 select one each; web selects web.
    #expect(selects.count == 5)
    let splitEdges = g.edges.filter { if case .split = $0.id.kind { return true } else { return false } }
    #expect(splitEdges.count == 2)
    #expect(splitEdges.first { $0.id.to.name == "books-v2" }?.split?.share == Fraction(1, 10))
    let traffic = g.edges.filter { $0.id.kind == .traffic }
    #expect(traffic.count == 2)
    let h = m.edge(TrafficEdgeKey(from: ObjectRef(namespace: "shop", name: "web"), to: ObjectRef(namespace: "shop", name: "books-v2")))
    #expect(h?.latest?.successRate == 0.9)
    #expect(abs((h?.latest?.rps ?? 0) - 10.0 / 30) < 1e-9)
    #expect(HealthThresholds().classify(0.9) == .warning)
    #expect(HealthThresholds().classify(0.89) == .critical)
    #expect(HealthThresholds().classify(0.96) == .healthy)
    #expect(HealthThresholds().classify(nil) == .unknown)
}

@Test func metricsGapsNeverZeros() {
    var m = MetricsStore(historyCapacity: 4)
    let l = metricsList("shop", [("web", nil, 10, 0, "3")])
    m.record(namespace: "shop", lists: [l], at: 1)
    m.recordFailure(namespace: "shop", message: "boom", at: 3)
    m.record(namespace: "shop", lists: [l], at: 5)
    let h = m.workload(ObjectRef(namespace: "shop", name: "web"))!
    #expect(h.entries.map { $0 == nil } == [false, true, false])
    #expect(h.series { $0.rps }[1] == nil)
    for t in 0..<10 { m.record(namespace: "shop", lists: [l], at: Double(10 + t)) }
    #expect(m.workload(ObjectRef(namespace: "shop", name: "web"))!.entries.count == 4)
    #expect(m.workload(ObjectRef(namespace: "shop", name: "web"))!.latest?.sampledAt == 19)
    // A new edge bumps the edge set version, repeats do not.
    let v = m.edgeSetVersion
    let e = metricsList("shop", [("web", "books", 1, 0, "1")])
    m.record(namespace: "shop", lists: [e], at: 30)
    m.record(namespace: "shop", lists: [e], at: 32)
    #expect(m.edgeSetVersion == v + 1)
}

/// A history that answers after live polls goes behind them: time order kept, the live
/// samples exact and newest, points the live polls cover left out, capacity kept.
@Test func aLateHistoryIsMergedBehindTheLiveSamples() {
    var m = MetricsStore(historyCapacity: 5)
    let web = ObjectRef(namespace: "shop", name: "web")
    m.record(namespace: "shop", lists: [metricsList("shop", [("web", nil, 300, 0, "3")])], at: 100)
    m.record(namespace: "shop", lists: [metricsList("shop", [("web", nil, 330, 0, "3")])], at: 102)
    let v = m.edgeSetVersion
    // History at 90…100 (100 is covered by the first live poll), with an edge the live polls
    // never reported.
    let history: [(at: Seconds, lists: [TrafficMetricsList])] = [96, 90, 94, 92, 98, 100].map { t in
        (t, [metricsList("shop", [("web", nil, Int(t) * 3, 0, "3"), ("web", "books", 30, 0, "1")])])
    }
    m.mergeHistory(namespace: "shop", points: history)
    let h = m.workload(web)!
    // Five places: the three newest history points (94, 96, 98), then the two live ones.
    #expect(h.entries.map { $0?.sampledAt } == [94, 96, 98, 100, 102])
    // Older entries are kept as Float (MetricHistory's packing): compare to the hundredth.
    #expect(h.entries.map { $0?.rps.map { ($0 * 100).rounded() / 100 } } == [9.4, 9.6, 9.8, 10, 11])
    #expect(h.latest?.rps == 11 && h.latest?.sampledAt == 102)
    // The edge only the history knows: its samples, then a gap (the live polls did not see it).
    let edge = m.edge(TrafficEdgeKey(from: web, to: ObjectRef(namespace: "shop", name: "books")))!
    #expect(edge.entries.count == 5 && edge.entries.last! == nil && edge.entries.first??.rps == 1)
    #expect(m.edgeSetVersion == v + 1)
    // A history before any live poll is kept whole, and the live polls append after it.
    var early = MetricsStore(historyCapacity: 5)
    early.mergeHistory(namespace: "shop", points: Array(history.prefix(2)))
    early.record(namespace: "shop", lists: [metricsList("shop", [("web", nil, 300, 0, "3")])], at: 100)
    #expect(early.workload(web)!.entries.map { $0?.sampledAt } == [90, 96, 100])
}

// MARK: layout

func randomGraph(nodes n: Int, edges e: Int, seed: UInt64, acyclic: Bool, namespaces: Int = 3) -> MeshGraph {
    MeshGraph.synthetic(nodes: n, edges: e, seed: seed, acyclic: acyclic, namespaces: namespaces)
}

@Test func layoutCallersLeftOfCalleesAndNoOverlap() {
    for seed in 1...20 as ClosedRange<UInt64> {
        let g = randomGraph(nodes: 40, edges: 70, seed: seed, acyclic: true)
        let l = Layout.compute(g)
        #expect(l.backEdges.isEmpty)
        for e in g.edges {
            #expect(l.boxes[e.id.from]!.maxX <= l.boxes[e.id.to]!.x, "edge \(e.id) not left to right (seed \(seed))")
        }
        let boxes = Array(l.boxes.values)
        for i in boxes.indices { for j in boxes.indices where j > i { #expect(!boxes[i].intersects(boxes[j])) } }
        for (id, r) in l.boxes {
            let band = l.bands.first { $0.namespace == id.namespace }!
            #expect(r.y > band.y && r.maxY <= band.y + band.height)
        }
        #expect(l == Layout.compute(g), "deterministic")
    }
}

@Test func layoutSurvivesCycles() {
    for seed in 1...10 as ClosedRange<UInt64> {
        let g = randomGraph(nodes: 30, edges: 90, seed: seed, acyclic: false)
        let l = Layout.compute(g)
        #expect(l.boxes.count == 30)
        for e in g.edges where e.id.from != e.id.to && !l.backEdges.contains(e.id) {
            #expect(l.layers[e.id.from]! < l.layers[e.id.to]!)
        }
    }
    let ids = (0..<3).map { NodeID.workload("a", "n\($0)") }
    let g = MeshGraph(
        nodes: ids.map { GraphNode(id: $0, label: $0.name, subtitle: "", isGhost: false) },
        edges: (0..<3).map { GraphEdge(id: EdgeID(from: ids[$0], to: ids[($0 + 1) % 3], kind: .traffic), split: nil) })
    let l = Layout.compute(g)
    #expect(l.backEdges.count == 1)
    #expect(Set(l.layers.values).count == 3)
}

/// A cyclic graph of 5,000 nodes lays out completely: every node gets a box, inside the
/// canvas, and no two boxes overlap (its speed is measured by make bench, not asserted here).
@Test func layoutOfFiveThousandNodesCompletes() {
    let g = randomGraph(nodes: 5000, edges: 9000, seed: 42, acyclic: false, namespaces: 20)
    let l = Layout.compute(g)
    #expect(l.boxes.count == 5000)
    #expect(Set(l.boxes.keys) == Set(g.nodes.map(\.id)))
    let boxes = l.boxes.values.sorted { $0.x < $1.x }
    #expect(boxes.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.width > 0 && $0.height > 0 })
    var overlaps = 0
    for i in boxes.indices {
        var j = i + 1
        while j < boxes.count, boxes[j].x < boxes[i].maxX {
            if boxes[i].intersects(boxes[j]) { overlaps += 1 }
            j += 1
        }
    }
    #expect(overlaps == 0)
}

@Test func barycenterUncrossesEdges() {
    // Name order puts a,b above y,z; edges a→z and b→y cross unless a sweep reorders.
    let a = NodeID.workload("n", "a")
    let b = NodeID.workload("n", "b")
    let y = NodeID.workload("n", "y")
    let z = NodeID.workload("n", "z")
    let g = MeshGraph(
        nodes: [a, b, y, z].map { GraphNode(id: $0, label: $0.name, subtitle: "", isGhost: false) },
        edges: [GraphEdge(id: EdgeID(from: a, to: z, kind: .traffic), split: nil), GraphEdge(id: EdgeID(from: b, to: y, kind: .traffic), split: nil)])
    let l = Layout.compute(g)
    #expect((l.order[a]! < l.order[b]!) == (l.order[z]! < l.order[y]!))
}

@Test func graphExportJSONAndDOT() throws {
    var s = bookstore()
    s.upsert(.service, service("shop", #"we\"ird"#, selector: ["app": "none"]))
    var m = MetricsStore()
    m.record(
        namespace: "shop", lists: [metricsList("shop", [("web", "books-v1", 90, 0, "10"), ("web", "books-v2", 8, 2, "20"), ("web", nil, 100, 0, "3")])], at: 10)
    let g = MeshGraph.build(store: s, observedEdges: m.edges.keys)
    let export = GraphExport(graph: g, metrics: m)

    let j = export.json
    let nodes = j["nodes"]?.arrayValue ?? []
    let edges = j["edges"]?.arrayValue ?? []
    #expect(nodes.count == g.nodes.count && edges.count == g.edges.count)
    #expect(Set(nodes.compactMap { $0["id"]?.stringValue }) == Set(g.nodes.map(\.id.description)))
    let v2 = edges.first { $0["kind"]?.stringValue == "traffic" && $0["to"]?.stringValue == "deploy/shop/books-v2" }
    #expect(v2?[path: "metrics", "successRate"]?.doubleValue == 0.8)
    let split = edges.first { $0["kind"]?.stringValue == "split" && $0["to"]?.stringValue == "svc/shop/books-v2" }
    #expect(split?[path: "split", "share"]?.doubleValue == 0.1)
    #expect(split?[path: "split", "weight"]?.stringValue == "10")
    #expect(nodes.first { $0["id"]?.stringValue == "deploy/shop/web" }?[path: "metrics", "rps"]?.doubleValue != nil)
    // Re-parses as JSON: what scripts will do with it.
    #expect(try JSON.parse(String(decoding: j.serialized(), as: UTF8.self)) == j)

    let dot = export.dot
    #expect(dot.hasPrefix("digraph mesh {") && dot.hasSuffix("}\n"))
    #expect(dot.contains(#"subgraph "cluster_shop""#))
    #expect(dot.contains(##""deploy/shop/web" -> "deploy/shop/books-v2" [label="0.3 rps 80.0%", color="#d70000"]"##), "\(dot)")
    #expect(dot.contains(#""svc/shop/books" -> "svc/shop/books-v2" [label="split books 10.0%", style=dashed"#))
    // A quote in a name cannot end the DOT string early.
    #expect(dot.contains(#""svc/shop/we\"ird""#))
    // Every line but the braces is a statement: balanced quotes on each line.
    for line in dot.split(separator: "\n") {
        let unescaped = line.replacingOccurrences(of: "\\\\", with: "").replacingOccurrences(of: "\\\"", with: "")
        #expect(unescaped.filter { $0 == "\"" }.count % 2 == 0, "\(line)")
    }
}

@Test func partialEdgePollsKeepTheEdgesTheyDidNotAsk() {
    var m = MetricsStore()
    let web = ObjectRef(namespace: "shop", name: "web")
    m.record(namespace: "shop", lists: [metricsList("shop", [("web", "books-v1", 90, 0, "10"), ("cart", "books-v2", 9, 1, "20")])], at: 1)
    let k1 = TrafficEdgeKey(from: web, to: ObjectRef(namespace: "shop", name: "books-v1"))
    let k2 = TrafficEdgeKey(from: ObjectRef(namespace: "shop", name: "cart"), to: ObjectRef(namespace: "shop", name: "books-v2"))
    // This poll asked only for cart's edges, and cart's edge went quiet: a gap for it, while
    // web's edge, not asked this time, keeps its last sample.
    m.record(namespace: "shop", lists: [], edgesFetched: [ObjectRef(namespace: "shop", name: "cart")], at: 3)
    #expect(m.edge(k1)?.latest?.successRate == 1)
    #expect(m.edge(k1)?.count == 1)
    #expect(m.edge(k2)?.latest == nil && m.edge(k2)?.count == 2)
    // A complete poll (nil) gaps everything it did not see, as before.
    m.record(namespace: "shop", lists: [], at: 5)
    #expect(m.edge(k1)?.latest == nil)
}

/// Histories are packed: the newest sample stays exact (its numbers are printed), older ones
/// keep values to Float precision and their times, gaps stay gaps, order survives wrapping.
@Test func packedHistoryKeepsTheNewestExactAndTheShapeOfTheRest() {
    var h = MetricHistory(capacity: 3)
    func sample(_ rps: Double, _ t: Double) -> MetricSample {
        MetricSample(rps: rps, successRate: 0.999_999_9, p50: nil, p99: 12.345_678_9, latencyUnit: "ms", sampledAt: t)
    }
    h.append(sample(1.0 / 3, 1_795_000_000.5))
    h.append(nil)
    h.append(sample(2.0 / 3, 1_795_000_004.5))
    #expect(h.latest == sample(2.0 / 3, 1_795_000_004.5))
    let first = h.entries[0]!
    #expect(abs(first.rps! - 1.0 / 3) < 1e-6 && first.rps != 1.0 / 3)
    #expect(first.p50 == nil && first.latencyUnit == "ms" && first.sampledAt == 1_795_000_000.5)
    #expect(h.entries[1] == nil)
    // A trailing gap: nothing is current; the last real sample is still known, now as an
    // older entry (to Float precision).
    h.append(nil)
    #expect(h.latest == nil)
    #expect(abs((h.lastKnown?.rps ?? 0) - 2.0 / 3) < 1e-6)
    #expect(h.entries.map { $0 == nil } == [true, false, true])
    h.append(sample(5, 1_795_000_008.5))
    #expect(h.series { $0.rps }.map { $0.map { ($0 * 1000).rounded() } } == [667, nil, 5000])
}

/// A history holds room for all its entries from its first sample, so its memory does not
/// rise in steps while it fills (on 5,000 services an edge's history fills over ~50 minutes,
/// which the 60-minute soak measured as heap growth after warm-up).
@Test func aHistoryReservesItsWholeRingAtTheFirstSample() {
    var h = MetricHistory(capacity: 60)
    #expect(h.reservedCapacity == 0)
    h.append(nil)
    #expect(h.reservedCapacity >= 60)
    let reserved = h.reservedCapacity
    for i in 0..<200 { h.append(MetricSample(rps: Double(i), successRate: 1, p50: nil, p99: nil, latencyUnit: nil, sampledAt: Double(i))) }
    #expect(h.reservedCapacity == reserved && h.count == 60)
}
