import Foundation
import Hummingbird

// The metrics API group (metrics.smi-spec.io), answered from the traffic model.

extension APIHandler {
    func metrics(_ r: APIRequest) -> Response {
        let snapshot = sim.metricsSnapshot()
        let (status, body) = MetricsAPI.handle(
            path: r.path, query: r.query, now: Date().timeIntervalSince1970, model: sim.traffic, snapshot: snapshot,
            sampler: { sim.trafficSample(window: $0, at: $1, snapshot: snapshot) })
        return Self.raw(body.serialized(), status: status)
    }
}
