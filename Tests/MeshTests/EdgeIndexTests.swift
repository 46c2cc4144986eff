import KubeCore
import Testing

@testable import Mesh

/// `MeshGraph.edgeIndex(of:)` finds an edge from its end nodes' indices and a search among the
/// edges leaving its source: it must agree with a plain scan of `edges` for every edge, for
/// several edges between the same two nodes (traffic, many splits' edges, selects), and for
/// ids the graph does not hold.
@Suite struct EdgeIndexTests {
    static func split(_ ns: String, _ name: String) -> EdgeKind { .split(.trafficSplit(ns, name)) }

    static func graph(seed: UInt64) -> MeshGraph {
        var rng = SplitMix64(seed: seed)
        let services = (0..<12).map { NodeID.service("ns\($0 % 3)", "s\($0)") }
        let workloads = (0..<12).map { NodeID.workload("ns\($0 % 3)", "w\($0)") }
        let nodes = (services + workloads).map { GraphNode(id: $0, label: $0.name, subtitle: "", isGhost: false) }
        var edges: [GraphEdge] = []
        for _ in 0..<400 {
            let a = Int(rng.next() % 12)
            let b = Int(rng.next() % 12)
            let kind: EdgeKind
            switch rng.next() % 4 {
            case 0: kind = .traffic
            case 1: kind = .selects
            // Few split names over few pairs: many splits' edges between the same two nodes.
            default: kind = split("ns\(rng.next() % 2)", "t\(rng.next() % 6)")
            }
            // Traffic between workloads, selects from a service to a workload, splits between services.
            let from = kind == .traffic ? workloads[a] : services[a]
            let to = kind == .traffic || kind == .selects ? workloads[b] : services[b]
            edges.append(GraphEdge(id: EdgeID(from: from, to: to, kind: kind), split: nil))
        }
        return MeshGraph(nodes: nodes, edges: edges)
    }

    @Test(arguments: [1, 2, 3, 42] as [UInt64]) func everyEdgeIsFoundWhereItIs(seed: UInt64) {
        let g = Self.graph(seed: seed)
        #expect(g.edges.count > 100)
        // More than one edge between some pair of nodes, or the test tells nothing.
        let pairs = Set(g.edges.map { "\($0.id.from)>\($0.id.to)" })
        #expect(pairs.count < g.edges.count)
        for (i, e) in g.edges.enumerated() {
            #expect(g.edgeIndex(of: e.id) == i)
            #expect(g.edge(e.id) == e)
        }
    }

    @Test(arguments: [1, 2, 3, 42] as [UInt64]) func absentEdgesAreNotFound(seed: UInt64) {
        let g = Self.graph(seed: seed)
        let held = Set(g.edges.map(\.id))
        var rng = SplitMix64(seed: seed &+ 100)
        var absent = 0
        for e in g.edges {
            let candidates = [
                EdgeID(from: e.id.to, to: e.id.from, kind: e.id.kind),
                EdgeID(from: e.id.from, to: e.id.to, kind: Self.split("ns\(rng.next() % 3)", "t\(rng.next() % 8)")),
                EdgeID(from: e.id.from, to: e.id.to, kind: .traffic),
                EdgeID(from: e.id.from, to: e.id.to, kind: .selects),
                EdgeID(from: e.id.from, to: .service("nowhere", "x"), kind: e.id.kind),
                EdgeID(from: .workload("nowhere", "x"), to: e.id.to, kind: e.id.kind),
            ]
            for c in candidates {
                let scan = g.edges.firstIndex { $0.id == c }
                #expect(g.edgeIndex(of: c) == scan)
                if !held.contains(c) { absent += 1 }
            }
        }
        #expect(absent > 0)
        #expect(MeshGraph().edgeIndex(of: g.edges[0].id) == nil)
    }
}
