// The real cluster session: a KubeClient, its informers and its discovery.

import App
import Kube
import KubeCore
import Mesh
import SMI

public struct LiveCluster: ClusterSession {
    public let client: KubeClient
    /// Where metrics come from (`--metrics`); nil polls the SMI metrics API only.
    public let metrics: MetricsSource?

    public init(client: KubeClient, metrics: MetricsSource? = nil) {
        self.client = client
        self.metrics = metrics
    }

    public var metricsSourceName: String? { metrics?.status }

    public func redirectingMetrics(to url: String, flavor: MeshMetricsFlavor?) -> (any ClusterSession)? {
        guard let metrics else { return nil }
        return LiveCluster(client: client, metrics: metrics.redirected(to: url, flavor: flavor))
    }

    /// Seconds before discovery attempt `attempt + 1`: 0.5 s doubling to 8 s, with up to 25 %
    /// jitter (`jitter` in 0..<1) so that many kinds do not retry in step.
    static func discoveryBackoff(attempt: Int, jitter: Double) -> Double {
        let base = min(8, 0.5 * Double(1 << min(max(attempt, 0), 5)))
        return base * (1 + 0.25 * min(max(jitter, 0), 1))
    }

    public func backfillMetrics(namespace: String?, window: String, step: Double, points: Int) async -> [(at: Double, lists: [TrafficMetricsList])] {
        await metrics?.backfill(namespace: namespace, window: window, step: step, points: points) ?? []
    }

    public func watch(_ kind: ObjectKind, namespace: String?) -> AsyncStream<WatchUpdate> {
        let client = self.client
        return AsyncStream { continuation in
            let task = Task {
                defer { continuation.finish() }
                // Discovery fails while the API server is down (smitop started before it): it is
                // retried with backoff until it answers, as the informers retry their lists, so
                // a kind found by discovery (TrafficSplits, routes) loads by itself once the
                // server is up, without :ns or :ctx.
                var resource: GroupVersionResource?
                var attempt = 0
                while true {
                    do {
                        resource = try await kind.resource(on: client)
                        break
                    } catch {
                        let delay = LiveCluster.discoveryBackoff(attempt: attempt, jitter: Double.random(in: 0..<1))
                        attempt += 1
                        continuation.yield(.failed(KubeError.from(error), retryIn: delay))
                        try? await Task.sleep(for: .seconds(delay))
                        if Task.isCancelled { return }
                    }
                }
                guard let resource else {
                    // Optional kinds (routes) on a cluster without their CRDs: an empty list.
                    if kind.isOptional {
                        continuation.yield(.replaced([]))
                        return
                    }
                    continuation.yield(.failed(KubeError(source: .httpBody, code: 404, message: "the cluster does not serve \(kind.resource)"), retryIn: 0))
                    return
                }
                let informer = Informer(client: client, resource: resource, namespace: namespace, project: { kind.projected($0) })
                await informer.start()
                // Iteration ends when this task is cancelled (the stream's consumer went away).
                for await update in informer.updates {
                    switch update {
                    case .replaceAll(let items, _): continuation.yield(.replaced(items))
                    case .upsert(let o): continuation.yield(.upserted(o))
                    case .delete(let o): continuation.yield(.deleted(o))
                    case .error(let e, let retryIn): continuation.yield(.failed(e, retryIn: retryIn))
                    }
                }
                await informer.stop()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func pollTrafficMetrics(
        namespace: String?, window: String, edgeBudget: Int, rotation: Int
    ) async throws(KubeError)
        -> TrafficMetricsPoll
    {
        if let metrics {
            return try await metrics.poll(namespace: namespace, window: window, edgeBudget: edgeBudget, rotation: rotation)
        }
        return try await client.pollTrafficMetrics(namespace: namespace, window: window, edgeBudget: edgeBudget, rotation: rotation)
    }

    public func mergePatch(
        path: String, patch: JSON, resourceVersion: String?, dryRun: Bool, fieldManager: String?
    ) async throws(KubeError)
        -> JSON
    {
        try await client.mergePatch(path: path, patch: patch, resourceVersion: resourceVersion, dryRun: dryRun, fieldManager: fieldManager)
    }

    public func get(_ path: String) async throws(KubeError) -> JSON { try await client.rawGet(path) }

    public func accessReview(_ attributes: JSON) async throws(KubeError) -> (allowed: Bool, reason: String?) {
        let review: JSON = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": ["resourceAttributes": attributes],
        ]
        let r = try await client.requestJSON(method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: review)
        return (r[path: "status", "allowed"]?.boolValue ?? false, r[path: "status", "reason"]?.stringValue)
    }
}
