import KubeCore
import Testing

@testable import Mesh

/// The layout's whole output (every box, layer, order, band, back edge, edge point and label
/// place) pinned as a digest for a few fixed graphs: a change meant only to make the layout
/// faster or leaner must leave these unchanged. A change meant to move boxes or edges changes
/// them on purpose; then the new values go here with the commit that says why.
@Suite struct LayoutDigestTests {
    /// FNV-1a over the layout's numbers and names, in node and edge order (never in a
    /// dictionary's order, and not the topology key, which the process's hash seed makes).
    static func digest(_ g: MeshGraph, _ l: GraphLayout) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func byte(_ b: UInt64) {
            h ^= b
            h = h &* 0x0000_0100_0000_01b3
        }
        func int(_ v: Int) {
            var x = UInt64(bitPattern: Int64(v))
            for _ in 0..<8 {
                byte(x & 0xff)
                x >>= 8
            }
        }
        func rect(_ r: Rect) {
            int(r.x)
            int(r.y)
            int(r.width)
            int(r.height)
        }
        int(g.nodes.count)
        int(g.edges.count)
        int(l.width)
        int(l.height)
        int(l.topologyKey == g.topologyKey ? 1 : 0)
        int(l.boxes.count)
        int(l.layers.count)
        int(l.order.count)
        int(l.rects.count)
        for (u, node) in g.nodes.enumerated() {
            rect(l.boxes[node.id] ?? Rect(x: -9, y: -9, width: 0, height: 0))
            rect(l.rects[u])
            int(l.layers[node.id] ?? -9)
            int(l.order[node.id] ?? -9)
        }
        int(l.bands.count)
        for b in l.bands {
            int(b.namespace.utf8.count)
            for c in b.namespace.utf8 { byte(UInt64(c)) }
            int(b.y)
            int(b.height)
        }
        int(l.backEdges.count)
        for e in g.edges { int(l.backEdges.contains(e.id) ? 1 : 0) }
        int(l.routes.count)
        for r in l.routes {
            int(r.points.count)
            for p in r.points {
                int(p.x)
                int(p.y)
            }
            rect(r.label)
            rect(r.bounds)
        }
        return h
    }

    /// Services selecting their workloads, splits to versions and traffic between workloads,
    /// in three namespaces, with calls back to earlier services (cycles) and across namespaces.
    static func mixedGraph() -> MeshGraph {
        var store = MeshStore()
        var services: [JSON] = []
        var deployments: [JSON] = []
        var splits: [JSON] = []
        var calls: [TrafficEdgeKey] = []
        var rng = SplitMix64(seed: 12)
        let namespaces = ["alpha", "beta", "gamma"]
        for (k, ns) in namespaces.enumerated() {
            for i in 0..<9 {
                services.append(service(ns, "s\(i)", selector: ["app": "s\(i)"]))
                deployments.append(deployment(ns, "s\(i)", labels: ["app": "s\(i)", "version": "v1"]))
                if i % 3 == 0 {
                    services.append(service(ns, "s\(i)-v1", selector: ["app": "s\(i)", "version": "v1"]))
                    services.append(service(ns, "s\(i)-v2", selector: ["app": "s\(i)", "version": "v2"]))
                    deployments.append(deployment(ns, "s\(i)-v2", labels: ["app": "s\(i)", "version": "v2"]))
                    splits.append(split(ns, "s\(i)", root: "s\(i)", [("s\(i)-v1", 90), ("s\(i)-v2", 10)]))
                }
                for _ in 0..<2 {
                    let to = Int(rng.next() % 9)
                    let toNs = rng.next() % 4 == 0 ? namespaces[(k + 1) % 3] : ns
                    calls.append(TrafficEdgeKey(from: ObjectRef(namespace: ns, name: "s\(i)"), to: ObjectRef(namespace: toNs, name: "s\(to)")))
                }
            }
        }
        store.replaceAll(.service, services)
        store.replaceAll(.deployment, deployments)
        store.replaceAll(.trafficSplit, splits)
        return MeshGraph.build(store: store, observedEdges: calls)
    }

    static func options(rowBudget: Int? = nil, firstNamespace: String? = nil) -> LayoutOptions {
        var o = LayoutOptions()
        if let rowBudget { o.rowBudget = rowBudget }
        o.firstNamespace = firstNamespace
        return o
    }

    static let cases: [(name: String, graph: @Sendable () -> MeshGraph, options: LayoutOptions, digest: UInt64)] = [
        ("acyclic 60", { .synthetic(nodes: 60, edges: 120, seed: 3, acyclic: true) }, options(), 0xd7b9_89e9_944e_d238),
        ("cyclic 60", { .synthetic(nodes: 60, edges: 150, seed: 4, acyclic: false, namespaces: 4) }, options(), 0x48d8_8602_3247_7062),
        ("cyclic 60, compact", { .synthetic(nodes: 60, edges: 150, seed: 4, acyclic: false, namespaces: 4) }, options(rowBudget: 40), 0xd4a9_db0f_4550_096a),
        ("acyclic 400", { .synthetic(nodes: 400, edges: 1200, seed: 5, acyclic: true, namespaces: 4) }, options(), 0xaa2c_cb12_a541_5c55),
        ("mixed kinds", { mixedGraph() }, options(), 0x31de_c7d5_3235_0e50),
        ("mixed kinds, gamma first", { mixedGraph() }, options(firstNamespace: "gamma"), 0x6518_b2ea_6ae1_86c9),
    ]

    @Test("the layout of fixed graphs is what it was", arguments: 0..<cases.count)
    func pinned(_ k: Int) {
        let c = Self.cases[k]
        let g = c.graph()
        let l = Layout.compute(g, options: c.options)
        #expect(l.boxes.count == g.nodes.count && l.routes.count == g.edges.count, "\(c.name)")
        #expect(Self.digest(g, l) == c.digest, "\(c.name): 0x\(String(Self.digest(g, l), radix: 16))")
    }
}
