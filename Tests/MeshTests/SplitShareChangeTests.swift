import KubeCore
import Testing

@testable import Mesh

/// A split's watch event patches two graphs, the graph and the visible one, which are usually
/// copies of one graph: the edges are found once (`splitShareChange`) and written into both
/// (`apply`) when `hasSameStructure` says an edge's index is the same in each.
@Suite struct SplitShareChangeTests {
    @Test("copies share their structure, patched or not; graphs built again, subgraphs and empty graphs do not")
    func sameStructureOnlyForCopies() throws {
        let s = RoutePrecedenceTests.store()
        let g = MeshGraph.build(store: s, observedEdges: RoutePrecedenceTests.observed)
        #expect(g.edges.count > 3)
        var copy = g
        #expect(copy.hasSameStructure(as: g) && g.hasSameStructure(as: copy))
        let producer = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"))
        var changed = s
        changed.upsert(.httpRoute, RoutePrecedenceTests.route("shop", "pay", parent: "pay", [("pay-v1", 50), ("pay-v2", 50)]))
        copy.updateSplitShares(producer, try #require(changed.splits[producer]))
        #expect(copy.edges != g.edges, "the patch changed a share")
        #expect(copy.hasSameStructure(as: g), "a patched copy keeps the order of its edges")
        // The same objects built again: equal, but told apart (nothing shared to prove it).
        let rebuilt = MeshGraph.build(store: s, observedEdges: RoutePrecedenceTests.observed)
        #expect(rebuilt.edges == g.edges && rebuilt.topologyKey == g.topologyKey)
        #expect(!rebuilt.hasSameStructure(as: g))
        let sub = g.subgraph(keeping: Set(g.nodes.dropFirst().map(\.id)))
        #expect(!sub.hasSameStructure(as: g) && !g.hasSameStructure(as: sub))
        #expect(!MeshGraph().hasSameStructure(as: MeshGraph()))
    }

    @Test("a change found on one graph, applied to a copy, patches it as finding it there does (split edges and callers' routes)")
    func changeAppliedToACopy() throws {
        let s = RoutePrecedenceTests.store()
        let g = MeshGraph.build(store: s, observedEdges: RoutePrecedenceTests.observed)
        var changed = s
        changed.upsert(.httpRoute, RoutePrecedenceTests.route("shop", "pay", parent: "pay", [("pay-v1", 30), ("pay-v2", 70)]))
        let producer = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"))
        let split = try #require(changed.splits[producer])
        var found = g
        found.updateSplitShares(producer, split)
        var (first, second) = (g, g)
        let change = try #require(first.splitShareChange(producer, split))
        first.apply(change)
        second.apply(change)
        #expect(first.edges == found.edges && second.edges == found.edges)
        #expect(RoutePrecedenceTests.traffic(second, "shop/batch", "shop/pay-v2")?.via.first?.share == Fraction(70, 100))
        #expect(second.edges.contains { $0.split?.split == producer && $0.split?.share == Fraction(30, 100) })
        // A graph without the split's root has nothing to patch.
        #expect(MeshGraph().splitShareChange(producer, split) == nil)
    }
}
