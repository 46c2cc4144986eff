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

    /// Pulled, not pushed: each update is made when the consumer asks for the next one, so
    /// nothing waits here; what the consumer has not taken yet waits in the informer's
    /// `updates`, folded per object (a second unbounded buffer here would undo that).
    public func watch(_ kind: ObjectKind, namespace: String?) -> AsyncStream<WatchUpdate> {
        let pump = WatchPump(client: client, kind: kind, namespace: namespace)
        return AsyncStream(unfolding: { await pump.next() }, onCancel: { Task { await pump.stop() } })
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

/// One kind's watch for `LiveCluster.watch`, advanced by its consumer: discovery (retried
/// with backoff until the API server answers), then the informer's updates as they are asked
/// for.
actor WatchPump {
    let client: KubeClient
    let kind: ObjectKind
    let namespace: String?
    private var informer: Informer?
    private var updates: InformerUpdates.AsyncIterator?
    private var attempt = 0
    /// Seconds to wait before the next discovery attempt (it failed last time).
    private var retryIn: Double?
    private var done = false

    init(client: KubeClient, kind: ObjectKind, namespace: String?) {
        self.client = client
        self.kind = kind
        self.namespace = namespace
    }

    deinit {
        // The consumer dropped the stream without cancelling: the informer's tasks hold it alive.
        if let informer { Task { await informer.stop() } }
    }

    func next() async -> WatchUpdate? {
        guard !done else { return nil }
        if updates == nil {
            // Discovery fails while the API server is down (smitop started before it): it is
            // retried with backoff until it answers, as the informers retry their lists, so
            // a kind found by discovery (TrafficSplits, routes) loads by itself once the
            // server is up, without :ns or :ctx.
            if let delay = retryIn {
                try? await Task.sleep(for: .seconds(delay))
                if Task.isCancelled { return finish() }
            }
            let resource: GroupVersionResource?
            do {
                resource = try await kind.resource(on: client)
            } catch {
                let delay = LiveCluster.discoveryBackoff(attempt: attempt, jitter: Double.random(in: 0..<1))
                attempt += 1
                retryIn = delay
                return .failed(KubeError.from(error), retryIn: delay)
            }
            guard let resource else {
                done = true
                // Optional kinds (routes) on a cluster without their CRDs: an empty list.
                if kind.isOptional { return .replaced([]) }
                return .failed(KubeError(source: .httpBody, code: 404, message: "the cluster does not serve \(kind.resource)"), retryIn: 0)
            }
            let kind = kind
            let informer = Informer(client: client, resource: resource, namespace: namespace, project: { kind.projected($0) })
            self.informer = informer
            updates = informer.updates.makeAsyncIterator()
            await informer.start()
        }
        // Ends when the consumer's task is cancelled (it went away) or the informer stops.
        // The iterator's state is the stream's own (shared): a copy reads the same queue.
        guard var iterator = updates, let update = await iterator.next() else { return finish() }
        switch update {
        case .replaceAll(let items, _): return .replaced(items)
        case .upsert(let o): return .upserted(o)
        case .delete(let o): return .deleted(o)
        case .error(let e, let retryIn): return .failed(e, retryIn: retryIn)
        }
    }

    private func finish() -> WatchUpdate? {
        done = true
        if let informer { Task { await informer.stop() } }
        informer = nil
        return nil
    }

    func stop() async {
        done = true
        await informer?.stop()
        informer = nil
    }
}
