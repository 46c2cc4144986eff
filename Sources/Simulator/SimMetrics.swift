import Foundation
import KubeCore
import SMI
import Synchronization

/// The metrics side of the simulator: the weight history that drives the traffic model, and
/// a cached view of which workloads and pods exist.
struct MetricsState {
    var history = WeightHistory()
    var historyRV = -1
    var snapshot: MetricsSnapshot? = nil
    var snapshotRV = -1
    /// The traffic sample the metrics requests of one second share (see `trafficSample`).
    var sample: (key: SampleKey, sample: TrafficSample)?
    /// Pods per workload when the simulator started: the traffic model's unit of capacity.
    var baselinePods: [WorkloadRef: Int] = [:]
}

extension Simulator {
    var splitType: ResourceType? { registry.find(group: "split.smi-spec.io", resource: "trafficsplits") }
    /// Served on the Linkerd profiles only; nil elsewhere.
    var profileType: ResourceType? { registry.find(group: "linkerd.io", resource: "serviceprofiles") }

    /// The weights the traffic model follows now: the stored splits and accepted routes.
    func activeWeightsNow() -> SplitWeights {
        let splits = splitType.map { store.all($0).map(\.object) } ?? []
        let routes = registry.types.filter { RouteStatusController.routeGroups.contains($0.group) }.flatMap { store.all($0).map(\.object) }
        let profiles = profileType.map { store.all($0).map(\.object) } ?? []
        return TrafficModel.activeWeights(splits: splits, routes: routes, profiles: profiles)
    }

    /// Records the current split weights if anything was written since the last look. Called
    /// on every metrics request and after writes (`observeWeightsOnWrites`), so a weight change
    /// is dated within a fraction of a second of its write.
    func observeWeights() {
        let rv = store.currentRV
        let needs = metricsState.withLock { $0.historyRV != rv }
        guard needs else { return }
        let weights = activeWeightsNow()
        let now = Date().timeIntervalSince1970
        metricsState.withLock { m in
            m.history.observe(weights, at: now)
            m.history.prune(before: now - 3600)
            m.historyRV = rv
        }
    }

    /// Follows writes through the store's commit signal: no timer, so an idle simulator
    /// sleeps. Writes come in bursts; one look a quarter of a second after the first write of
    /// a burst dates it closely enough and bounds the cost of looking.
    func observeWeightsOnWrites() async {
        while !Task.isCancelled {
            let seen = store.commits.generation
            observeWeights()
            await store.commits.wait(past: seen)
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    func metricsSnapshot() -> MetricsSnapshot {
        var snap = objectSnapshot()
        // Faults change without a write, so they are not part of the cached snapshot.
        snap.degradations = faults.settings.withLock { $0.degrade }
        return snap
    }

    private func objectSnapshot() -> MetricsSnapshot {
        observeWeights()
        let rv = store.currentRV
        if let cached = metricsState.withLock({ $0.snapshotRV == rv ? $0.snapshot : nil }) {
            return cached
        }
        var objects: [JSON] = []
        for (g, r) in [("", "namespaces"), ("apps", "deployments"), ("", "pods")] {
            guard let t = registry.find(group: g, resource: r) else { continue }
            objects.append(contentsOf: store.all(t).map(\.object))
        }
        let (history, baseline) = metricsState.withLock { ($0.history, $0.baselinePods) }
        var snap = MetricsSnapshot(objects: objects, weights: history)
        snap.resourceVersion = rv
        for (ref, pods) in snap.workloads {
            guard let base = baseline[ref], base > 0, pods.count != base else { continue }
            snap.capacity[ref] = Double(pods.count) / Double(base)
        }
        metricsState.withLock { m in
            m.snapshot = snap
            m.snapshotRV = rv
        }
        return snap
    }

    /// The traffic sample a metrics request answers from, shared by the requests of the same
    /// second over the same objects, window and faults. Why: a sample propagates traffic over
    /// the whole mesh, and a poll of a mesh of 5,000 services asks 200 `/edges` (one per
    /// deployment) besides its list; sampled per request, each `/edges` cost as much as the
    /// list (0.2 s in a debug build), so a client's sweep over every deployment's edges took
    /// minutes. A metrics adapter answers from Prometheus, whose data moves only as it
    /// scrapes, so requests of one second agreeing is what a real one does too.
    func trafficSample(window: Double, at now: Double, snapshot: MetricsSnapshot) -> TrafficSample {
        let key = SampleKey(
            window: window, second: now.rounded(.down), resourceVersion: snapshot.resourceVersion, degradations: snapshot.degradations)
        if snapshot.resourceVersion >= 0, let hit = metricsState.withLock({ $0.sample?.key == key ? $0.sample?.sample : nil }) {
            return hit
        }
        let sample = traffic.sample(
            window: window, at: now, history: snapshot.weights, capacity: snapshot.capacity, degradations: snapshot.degradations)
        if snapshot.resourceVersion >= 0 { metricsState.withLock { $0.sample = (key, sample) } }
        return sample
    }
}

struct SampleKey: Equatable {
    var window: Double
    var second: Double
    var resourceVersion: Int
    var degradations: Degradations
}
