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
}
