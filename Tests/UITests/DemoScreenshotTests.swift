import Foundation
import Kube
import KubeCore
import Mesh
import SMI
import Simulator
import Testing

@testable import App
@testable import UI

/// Issue 13: the README's screenshot came from a hand-made fixture (`ctx kind`, `ns shop`)
/// while its walkthrough describes `smitop demo`. This one is the demo's first screen: the
/// objects of the demo's own scenario (bookstore, seed 1, the default profile) and one metrics
/// sample of its traffic model at a fixed time, through `reduce` and `Screen.render` as the
/// running UI draws them.
@Test func theReadmeScreenshotIsTheDemosFirstScreen() throws {
    let now = 1_800_000_000.0
    let scenario = try Scenario.make(name: "bookstore", seed: 1, profile: .default, services: 0, splits: 0, now: now)
    var s = AppState(
        context: ContextInfo(context: "sim-admin", cluster: "sim", server: "https://127.0.0.1:6443", user: "admin", scope: .all),
        size: TermSize(columns: 100, rows: 30))
    _ = reduce(&s, .start(now: now))
    var byKind: [ObjectKind: [JSON]] = [:]
    for o in scenario.objects {
        switch o["kind"]?.stringValue {
        case "Service": byKind[.service, default: []].append(o)
        case "Deployment": byKind[.deployment, default: []].append(o)
        case "Pod": byKind[.pod, default: []].append(o)
        case "TrafficSplit": byKind[.trafficSplit, default: []].append(o)
        default: break
        }
    }
    for kind in ObjectKind.allCases { _ = reduce(&s, .objects(kind, .replaced(byKind[kind] ?? []))) }
    #expect(s.store.trafficSplits.count == 3, "the demo's splits: authors, books, payments")

    // One poll as the UI makes it: the workload list, then each deployment's edges.
    let snapshot = MetricsSnapshot(objects: scenario.objects, weights: WeightHistory(initial: scenario.traffic.defaultWeights))
    func get(_ path: String) throws -> TrafficMetricsList {
        let r = MetricsAPI.handle(path: MetricsAPI.prefix + path, query: [:], now: now, model: scenario.traffic, snapshot: snapshot)
        return try TrafficMetricsList(json: r.body)
    }
    let workloads = try get("/deployments")
    var lists = [workloads]
    for m in workloads.items {
        guard let ns = m.resource?.namespace, let name = m.resource?.name else { continue }
        lists.append(try get("/namespaces/\(ns)/deployments/\(name)/edges"))
    }
    _ = reduce(&s, .metricsSampled(namespace: nil, lists: lists, at: now))
    _ = reduce(&s, .tick(now: now + 2))
    s.message = nil
    Snapshot.check(render(s), "readme-demo-100x30")
}
