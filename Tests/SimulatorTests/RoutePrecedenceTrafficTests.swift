import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

// Which weights the simulator's traffic follows when several objects configure one Service
// (NOTES.md §5, §7): a Linkerd ServiceProfile with dstOverrides over a TrafficSplit over
// routes; a consumer route for its own namespace's callers only.

private let authors = ObjectRef(namespace: "bookstore", name: "authors")
private let payments = ObjectRef(namespace: "payments", name: "payments")

/// An accepted HTTPRoute (status as Linkerd writes it) with one default rule.
private func acceptedRoute(_ ns: String, _ name: String, parent: ObjectRef, _ backends: [(String, Int64)]) -> JSON {
    let p: JSON = ["group": "", "kind": "Service", "name": .string(parent.name), "namespace": .string(parent.namespace), "port": 8080]
    return [
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": ["name": .string(name), "namespace": .string(ns)],
        "spec": [
            "parentRefs": [p],
            "rules": [
                ["backendRefs": .array(backends.map { ["name": .string($0.0), "namespace": .string(parent.namespace), "port": 8080, "weight": .int($0.1)] })]
            ],
        ],
        "status": [
            "parents": [
                [
                    "parentRef": p, "controllerName": "linkerd.io/policy-controller",
                    "conditions": [["type": "Accepted", "status": "True", "reason": "Accepted"]],
                ]
            ]
        ],
    ]
}

private func trafficSplit(_ root: ObjectRef, _ backends: [(String, Int64)]) -> JSON {
    [
        "apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplit",
        "metadata": ["name": .string(root.name), "namespace": .string(root.namespace)],
        "spec": ["service": .string(root.name), "backends": .array(backends.map { ["service": .string($0.0), "weight": .int($0.1)] })],
    ]
}

private func serviceProfile(_ svc: ObjectRef, dst: [(String, JSON)] = [], routes: Bool = false) -> JSON {
    var spec = JSONObject()
    if !dst.isEmpty {
        spec["dstOverrides"] = .array(dst.map { ["authority": .string("\($0.0).\(svc.namespace).svc.cluster.local:8080"), "weight": $0.1] })
    }
    if routes { spec["routes"] = [["name": "GET /", "condition": ["method": "GET", "pathRegex": "/"]]] }
    return [
        "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
        "metadata": ["name": .string("\(svc.name).\(svc.namespace).svc.cluster.local"), "namespace": .string(svc.namespace)],
        "spec": .object(spec),
    ]
}

private func weights(_ w: SplitWeights, _ key: ObjectRef) -> [Double]? { w[key]?.map(\.weight) }

@Test func aServiceProfileWithDstOverridesDecidesOverTrafficSplitAndRoutes() {
    let route = acceptedRoute("bookstore", "authors", parent: authors, [("authors-v1", 95), ("authors-canary", 5)])
    let split = trafficSplit(authors, [("authors-v1", 100), ("authors-canary", 0)])
    let sp = serviceProfile(authors, dst: [("authors-v1", "500m"), ("authors-canary", "500m")])
    // Routes alone, then a TrafficSplit over them, then the profile over both.
    #expect(weights(TrafficModel.activeWeights(splits: [], routes: [route]), authors) == [95, 5])
    #expect(weights(TrafficModel.activeWeights(splits: [split], routes: [route]), authors) == [100, 0])
    #expect(weights(TrafficModel.activeWeights(splits: [split], routes: [route], profiles: [sp]), authors) == [0.5, 0.5])
    #expect(weights(TrafficModel.activeWeights(splits: [], routes: [route], profiles: [sp]), authors) == [0.5, 0.5])
    // An empty profile decides nothing; one with routes only takes the route away (requests go
    // to the Service itself) but leaves the TrafficSplit (linkerd-smi's dstOverrides) alone.
    #expect(weights(TrafficModel.activeWeights(splits: [], routes: [route], profiles: [serviceProfile(authors)]), authors) == [95, 5])
    #expect(TrafficModel.activeWeights(splits: [], routes: [route], profiles: [serviceProfile(authors, routes: true)])[authors] == nil)
    #expect(weights(TrafficModel.activeWeights(splits: [split], routes: [route], profiles: [serviceProfile(authors, routes: true)]), authors) == [100, 0])
    // A profile in a caller's namespace is not the server's: the route still decides.
    var clientSide = sp
    clientSide[path: "metadata", "namespace"] = "payments"
    #expect(weights(TrafficModel.activeWeights(splits: [], routes: [route], profiles: [clientSide]), authors) == [95, 5])
}

@Test func aServiceProfileInTheCallersNamespaceDecidesForThoseCallers() {
    let route = acceptedRoute("bookstore", "authors", parent: authors, [("authors-v1", 95), ("authors-canary", 5)])
    let server = serviceProfile(authors, dst: [("authors-v1", 1)])
    // The profile's authorities name bookstore's Services whatever namespace it is in.
    func callerSide(_ ns: String, dst: [(String, JSON)] = [], routes: Bool = false) -> JSON {
        var p = serviceProfile(authors, dst: dst, routes: routes)
        p[path: "metadata", "namespace"] = .string(ns)
        return p
    }
    let fromPayments = SplitWeights.callerKey(authors, callerNamespace: "payments")
    // Its own dstOverrides for its callers; everyone else keeps the route.
    var w = TrafficModel.activeWeights(splits: [], routes: [route], profiles: [callerSide("payments", dst: [("authors-canary", 1)])])
    #expect(w.forCaller(authors, callerNamespace: "payments")?.map(\.service) == ["authors-canary"])
    #expect(w.forCaller(authors, callerNamespace: "webapp")?.map(\.weight) == [95, 5])
    // An empty one hides the Service's profile from its callers: the route decides for them.
    w = TrafficModel.activeWeights(splits: [], routes: [route], profiles: [server, callerSide("payments")])
    #expect(weights(w, fromPayments) == [95, 5])
    #expect(weights(w, authors) == [1], "the Service's profile for every other caller")
    // One with routes only: its callers go to the Service itself.
    w = TrafficModel.activeWeights(splits: [], routes: [route], profiles: [server, callerSide("payments", routes: true)])
    #expect(w[fromPayments]?.isEmpty == true && weights(w, authors) == [1])
    // An empty caller-side profile with no Service profile changes nothing.
    w = TrafficModel.activeWeights(splits: [], routes: [route], profiles: [callerSide("payments")])
    #expect(w[fromPayments] == nil && weights(w, authors) == [95, 5])
    // Over a TrafficSplit too (on Linkerd it works through the Service's profile, hidden here);
    // an empty one leaves the TrafficSplit to its callers.
    let split = trafficSplit(authors, [("authors-v1", 100), ("authors-canary", 0)])
    w = TrafficModel.activeWeights(splits: [split], routes: [route], profiles: [callerSide("payments", dst: [("authors-canary", 1)])])
    #expect(weights(w, fromPayments) == [1] && weights(w, authors) == [100, 0])
    w = TrafficModel.activeWeights(splits: [split], routes: [route], profiles: [server, callerSide("payments")])
    #expect(weights(w, fromPayments) == [100, 0] && weights(w, authors) == [1])
}

@Test func aConsumerRouteAppliesToItsNamespacesCallersOnly() {
    let producer = acceptedRoute("payments", "payments", parent: payments, [("payments-primary", 80), ("payments-canary", 20)])
    let consumer = acceptedRoute("bookstore", "payments-from-bookstore", parent: payments, [("payments-primary", 1)])
    let w = TrafficModel.activeWeights(splits: [], routes: [producer, consumer])
    #expect(weights(w, payments) == [80, 20])
    #expect(weights(w, SplitWeights.callerKey(payments, callerNamespace: "bookstore")) == [1])
    #expect(w.forCaller(payments, callerNamespace: "bookstore")?.map(\.service) == ["payments-primary"])
    #expect(w.forCaller(payments, callerNamespace: "payments")?.map(\.weight) == [80, 20])
    #expect(SplitWeights.parseKey(SplitWeights.callerKey(payments, callerNamespace: "bookstore")) == (payments, "bookstore"))
    // A TrafficSplit or an overriding profile takes the consumer route away too.
    let withSplit = TrafficModel.activeWeights(
        splits: [trafficSplit(payments, [("payments-primary", 1), ("payments-canary", 1)])], routes: [producer, consumer])
    #expect(withSplit[SplitWeights.callerKey(payments, callerNamespace: "bookstore")] == nil)
    let withProfile = TrafficModel.activeWeights(splits: [], routes: [producer, consumer], profiles: [serviceProfile(payments, dst: [("payments-canary", 1)])])
    #expect(withProfile.count == 1 && weights(withProfile, payments) == [1])
}

/// Two callers of one Service from two namespaces: the one in the consumer route's namespace
/// follows it, the other the producer's weights; the workload edges and Linkerd's route
/// backend series agree.
@Test func trafficFollowsTheRouteThatAppliesToEachCaller() {
    let front = WorkloadRef.deployment("front", "web")
    let batch = WorkloadRef.deployment("shop", "batch")
    let v1 = WorkloadRef.deployment("shop", "pay-v1")
    let v2 = WorkloadRef.deployment("shop", "pay-v2")
    let pay = ObjectRef(namespace: "shop", name: "pay")
    let m = TrafficModel(
        seed: 1,
        workloads: [
            WorkloadTraffic(ref: front, successRate: 1, latencyMedianMs: 5, latencySigma: 0.3, originRPS: 10, layer: 0),
            WorkloadTraffic(ref: batch, successRate: 1, latencyMedianMs: 5, latencySigma: 0.3, originRPS: 10, layer: 0),
            WorkloadTraffic(ref: v1, successRate: 1, latencyMedianMs: 5, latencySigma: 0.3, layer: 1),
            WorkloadTraffic(ref: v2, successRate: 1, latencyMedianMs: 5, latencySigma: 0.3, layer: 1),
        ],
        services: [
            ServiceTraffic(key: pay, workloads: [v1, v2]), ServiceTraffic(key: ObjectRef(namespace: "shop", name: "pay-v1"), workloads: [v1]),
            ServiceTraffic(key: ObjectRef(namespace: "shop", name: "pay-v2"), workloads: [v2]),
        ],
        calls: [CallTraffic(from: front, to: pay, callsPerRequest: 1), CallTraffic(from: batch, to: pay, callsPerRequest: 1)])
    let w = TrafficModel.activeWeights(
        splits: [],
        routes: [
            acceptedRoute("shop", "pay", parent: pay, [("pay-v1", 80), ("pay-v2", 20)]),
            acceptedRoute("front", "pay-from-front", parent: pay, [("pay-v1", 1)]),
        ])
    let s = m.sample(window: 30, at: 1000, weights: w)
    func share(_ from: WorkloadRef) -> Double {
        let a = s.edges[ObjectEdge(from: from, to: v1)]?.total ?? 0
        let b = s.edges[ObjectEdge(from: from, to: v2)]?.total ?? 0
        return b / (a + b)
    }
    #expect(share(front) == 0, "front's callers follow front's consumer route: pay-v1 only")
    #expect(abs(share(batch) - 0.2) < 0.03, "shop's callers follow the producer route: \(share(batch))")
    var h = WeightHistory(initial: w)
    h.prune(before: 0)
    let backends = m.backendSample(window: 30, at: 1000, history: h)
    #expect(backends.keys.filter { $0.from == front }.map(\.backend.name) == ["pay-v1"])
    #expect(Set(backends.keys.filter { $0.from == batch }.map(\.backend.name)) == ["pay-v1", "pay-v2"])
}

/// The bookstore on linkerd-gamma, over HTTP: the ServiceProfile for authors decides what
/// authors-canary gets, not the authors route (95/5) nor the TrafficSplit; with the profile
/// and the split gone, the route decides.
@Test func observedShareFollowsTheServiceProfileNotTheRoute() async throws {
    let h = try await SimHarness.start { $0.profile = .linkerdGamma }
    defer { Task { await h.stop() } }
    /// authors-canary's share of the requests the two authors deployments received in the
    /// last second (the metrics API answers an error for a deployment with no traffic).
    func canaryShare() async throws -> Double {
        func total(_ name: String) async throws -> Double {
            let r = try await h.kubectl(["get", "--raw", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/bookstore/deployments/\(name)?t=1s"])
            guard r.status == 0 else { return 0 }
            let item = try JSON.parse(r.stdout)
            func v(_ n: String) -> Double {
                item["metrics"]?.arrayValue?.first { $0["name"]?.stringValue == n }?["value"]?.stringValue.flatMap(TrafficModel.quantityValue) ?? 0
            }
            return v("success_count") + v("failure_count")
        }
        let canary = try await total("authors-canary")
        let stable = try await total("authors-v1")
        return canary / max(canary + stable, 1e-9)
    }
    let sp = "authors.bookstore.svc.cluster.local"
    // kubectl sees the profile by its plural and its short name.
    let list = try await h.kubectl(["get", "sp", "-n", "bookstore"])
    #expect(list.status == 0 && list.stdout.contains(sp), "\(list.stdout) \(list.stderr)")
    try await Task.sleep(for: .milliseconds(1100))
    #expect(try await canaryShare() == 0, "the profile (100/0) decides, not the route's 5 %")
    let p = try await h.kubectl([
        "patch", "serviceprofile", sp, "-n", "bookstore", "--type", "merge", "-p",
        #"{"spec":{"dstOverrides":[{"authority":"authors-v1.bookstore.svc.cluster.local:8080","weight":"500m"},{"authority":"authors-canary.bookstore.svc.cluster.local:8080","weight":"500m"}]}}"#,
    ])
    #expect(p.status == 0, "\(p.stderr)")
    try await Task.sleep(for: .milliseconds(1500))
    let half = try await canaryShare()
    #expect(abs(half - 0.5) < 0.06, "the profile's 50/50: \(half)")
    // Without the profile and the TrafficSplit (linkerd-smi's source of it), the route decides.
    #expect(try await h.kubectl(["delete", "sp", sp, "-n", "bookstore"]).status == 0)
    #expect(try await h.kubectl(["delete", "trafficsplit", "authors", "-n", "bookstore"]).status == 0)
    try await Task.sleep(for: .milliseconds(1500))
    let route = try await canaryShare()
    #expect(abs(route - 0.05) < 0.02, "the route's 95/5: \(route)")
}
