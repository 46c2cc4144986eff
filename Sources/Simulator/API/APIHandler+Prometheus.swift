import Foundation
import Hummingbird
import KubeCore

// What a Prometheus scrapes from the simulated pods: `/sim/prometheus/namespaces/NS/pods/POD/linkerd`
// (the Linkerd proxy's :4191/metrics) and `…/istio` (Envoy's :15020/stats/prometheus).

extension APIHandler {
    static let expositionContentType = "text/plain; version=0.0.4; charset=utf-8"

    func proxyMetricsScrape(method: String, segments: [String]) -> Response {
        guard method == "GET" || method == "HEAD" else {
            return Self.raw(Array("method not allowed\n".utf8), status: 405, contentType: "text/plain")
        }
        guard segments.count == 5, segments[0] == "namespaces", segments[2] == "pods",
            let style = PrometheusStyle(name: segments[4]), style == .linkerd || style == .istio,
            sim.proxyMetrics.style.contains(style)
        else {
            return Self.raw(Array("404 page not found\n".utf8), status: 404, contentType: "text/plain")
        }
        let now = Date().timeIntervalSince1970
        guard
            let text = sim.proxyMetrics.scrape(
                namespace: segments[1], pod: segments[3], style: style, now: now, model: sim.traffic,
                cluster: { sim.proxyCluster() })
        else {
            return Self.raw(Array("no such pod\n".utf8), status: 404, contentType: "text/plain")
        }
        return Self.raw(Array(text.utf8), contentType: Self.expositionContentType)
    }
}

extension Simulator {
    /// What the proxies' exposition needs from the object store.
    func proxyCluster() -> ProxyMetrics.Cluster {
        let snapshot = metricsSnapshot()
        var ports: [ObjectRef: Int] = [:]
        if let t = registry.find(group: "", resource: "services") {
            for s in store.all(t) {
                let o = s.object
                guard let name = o[path: "metadata", "name"]?.stringValue, let ns = o[path: "metadata", "namespace"]?.stringValue else {
                    continue
                }
                if let p = o[path: "spec", "ports"]?.arrayValue?.first?["port"]?.intValue { ports[ObjectRef(namespace: ns, name: name)] = Int(p) }
            }
        }
        var serviceOf: [WorkloadRef: ObjectRef] = [:]
        for s in traffic.services {
            for w in s.workloads where serviceOf[w] == nil || s.key.name == w.name { serviceOf[w] = s.key }
        }
        return ProxyMetrics.Cluster(snapshot: snapshot, ports: ports, serviceOf: serviceOf)
    }
}
