import SMI

/// The SMI metrics API (metrics.smi-spec.io/v1alpha1): not watchable, so it is polled.
extension KubeClient {
    public static let trafficMetricsPrefix = "/apis/metrics.smi-spec.io/v1alpha1"

    /// One poll of a namespace (nil = every namespace): the deployments' resource list, then
    /// each deployment's `/edges`, concurrently. The resource list failing fails the poll; an
    /// edges request failing (an idle workload answers 500) only leaves that workload out, so
    /// one quiet workload never blanks the whole graph.
    public func pollTrafficMetrics(namespace: String?, window: String) async throws(KubeError) -> [TrafficMetricsList] {
        let prefix = Self.trafficMetricsPrefix
        let base = namespace.map { "\(prefix)/namespaces/\($0)/deployments" } ?? "\(prefix)/deployments"
        let list: TrafficMetricsList
        do { list = try TrafficMetricsList(json: try await rawGet(base, query: [("t", window)])) } catch {
            throw KubeError.from(error)
        }
        var lists = [list]
        await withTaskGroup(of: TrafficMetricsList?.self) { group in
            for item in list.items {
                guard let name = item.resource?.name ?? item.name, let ns = item.resource?.namespace ?? item.namespace else { continue }
                group.addTask {
                    guard let j = try? await self.rawGet("\(prefix)/namespaces/\(ns)/deployments/\(name)/edges", query: [("t", window)])
                    else { return nil }
                    return try? TrafficMetricsList(json: j)
                }
            }
            for await l in group { if let l { lists.append(l) } }
        }
        return lists
    }
}
