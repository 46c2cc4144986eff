import KubeCore
import Testing

@testable import Mesh

/// A graph edge keeps its split share in fewer bytes than a `SplitShare` (the start-up's memory
/// on 10,000 three-rule routes); what it gives back must be exactly what it was given.
@Suite struct GraphEdgeStorage {
    static let a = NodeID.service("shop", "pay")
    static let b = NodeID.service("shop", "pay-v2")
    static let route = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"), rule: 2)

    @Test func anEdgeIsSmallerThanAShareHeldInline() {
        // 304 bytes when the share was held inline (its split id again, two Int128s that
        // aligned the edge to 16 bytes, two optional strings).
        #expect(MemoryLayout<GraphEdge>.stride <= 200, "\(MemoryLayout<GraphEdge>.stride)")
    }

    @Test func aShareComesBackAsItWasGiven() {
        var plain = SplitShare(split: Self.route, backendIndex: 1, weight: "80", share: Fraction(4, 5))
        var noted = plain
        noted.overriddenBy = "ServiceProfile shop/pay.shop.svc.cluster.local"
        noted.callerNamespace = "front"
        noted.inEffect = false
        var zero = plain
        zero.share = nil
        // A share too large for two Int64s (a TrafficSplit of huge quantities).
        var huge = plain
        huge.share = Fraction(Int128(Int64.max) * 3 + 2, Int128(Int64.max) * 5)
        plain.backendIndex = 0
        for share in [plain, noted, zero, huge] {
            let edge = GraphEdge(id: EdgeID(from: Self.a, to: Self.b, kind: .split(Self.route)), split: share)
            #expect(edge.split == share)
        }
        #expect(GraphEdge(id: EdgeID(from: Self.a, to: Self.b, kind: .split(Self.route)), split: nil).split == nil)
    }

    @Test func aShareOfAnotherSplitKeepsItsOwnSplit() {
        // The graph never puts one on an edge of another split or kind, but the type allows it.
        let share = SplitShare(split: Self.route, backendIndex: 0, weight: "1", share: Fraction(1, 1))
        let traffic = GraphEdge(id: EdgeID(from: Self.a, to: Self.b, kind: .traffic), split: share)
        #expect(traffic.split == share)
        let other = SplitID.trafficSplit("shop", "pay")
        let elsewhere = GraphEdge(id: EdgeID(from: Self.a, to: Self.b, kind: .split(other)), split: share)
        #expect(elsewhere.split == share)
    }

    @Test func edgesCompareAsTheirShares() {
        let id = EdgeID(from: Self.a, to: Self.b, kind: .split(Self.route))
        let s = SplitShare(split: Self.route, backendIndex: 1, weight: "80", share: Fraction(4, 5))
        var t = s
        t.share = Fraction(8, 10)  // the same value
        #expect(GraphEdge(id: id, split: s) == GraphEdge(id: id, split: t))
        t.weight = "81"
        #expect(GraphEdge(id: id, split: s) != GraphEdge(id: id, split: t))
        var u = s
        u.callerNamespace = "front"
        #expect(GraphEdge(id: id, split: s) != GraphEdge(id: id, split: u))
    }
}
