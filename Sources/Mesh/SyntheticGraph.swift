import Kube
import KubeCore

extension MeshGraph {
    /// A reproducible random graph of workloads for layout tests and benchmarks. With
    /// `acyclic`, every edge points from a lower to a higher index, as call graphs mostly do.
    public static func synthetic(nodes n: Int, edges e: Int, seed: UInt64, acyclic: Bool, namespaces: Int = 3) -> MeshGraph {
        var rng = SplitMix64(seed: seed)
        let ids = (0..<n).map { NodeID.workload("ns\($0 % max(1, namespaces))", "w\($0)") }
        let nodes = ids.map {
            GraphNode(id: $0, label: $0.name + String(repeating: "x", count: Int(rng.next() % 10)), subtitle: "deploy", isGhost: false)
        }
        var edges: [GraphEdge] = []
        edges.reserveCapacity(e)
        guard n > 0 else { return MeshGraph() }
        for _ in 0..<e {
            var a = Int(rng.next() % UInt64(n))
            var b = Int(rng.next() % UInt64(n))
            if acyclic {
                if a == b { continue }
                if a > b { swap(&a, &b) }
            }
            edges.append(GraphEdge(id: EdgeID(from: ids[a], to: ids[b], kind: .traffic), split: nil))
        }
        return MeshGraph(nodes: nodes, edges: edges)
    }
}
