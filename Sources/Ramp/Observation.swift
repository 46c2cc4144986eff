// From a metrics poll to what a ramp judges: the canary backend's workloads against the other
// backends' workloads. The TUI (from its metrics store) and `split ramp` (from each poll) both
// come here, so both judge the same numbers.

import KubeCore
import Mesh

public enum RampObservations {
    /// The workloads a backend Service selects, from the graph's `selects` edges.
    public static func workloads(of service: ObjectRef, in graph: MeshGraph) -> [ObjectRef] {
        graph.outgoingEdges(NodeID(.service, service)).filter { $0.id.kind == .selects }.map(\.id.to.object)
    }

    /// Stats of several workloads together: rates add, success rate is request-weighted, p99
    /// is the worst (a percentile of a union is not an average of percentiles; the worst is the
    /// bound a gate can rely on).
    public static func combine(_ samples: [MetricSample]) -> BackendStats {
        var rps = 0.0
        var anyRPS = false
        var ok = 0.0
        var okWeight = 0.0
        var p99: Double?
        for s in samples {
            let r = BackendStats(rps: s.rps, successRate: s.successRate, p99Ms: s.p99)
            if let x = r.rps {
                rps += x
                anyRPS = true
                if let sr = r.successRate, x > 0 {
                    ok += sr * x
                    okWeight += x
                }
            }
            if let p = r.p99Ms, (r.rps ?? 0) > 0 { p99 = max(p99 ?? p, p) }
        }
        return BackendStats(rps: anyRPS ? rps : nil, successRate: okWeight > 0 ? ok / okWeight : nil, p99Ms: p99)
    }

    /// The observation of `split` for a ramp of `canary` at time `at`.
    public static func observe(
        at: Double, split: WeightedSplit, canary: String, graph: MeshGraph, sample: (ObjectRef) -> MetricSample?
    ) -> RampObservation {
        var canarySamples: [MetricSample] = []
        var stableSamples: [MetricSample] = []
        for (b, ref) in zip(split.backends, split.backendRefs) {
            let samples = workloads(of: ref, in: graph).compactMap(sample)
            if b.service == canary { canarySamples += samples } else { stableSamples += samples }
        }
        let c = combine(canarySamples)
        let s = combine(stableSamples)
        let total = (c.rps ?? 0) + (s.rps ?? 0)
        return RampObservation(at: at, canary: c, stable: s, observedShare: total > 0 ? (c.rps ?? 0) / total : nil)
    }
}
