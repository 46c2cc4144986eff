import Foundation
import Kube
import KubeCore
import SMI
import TestSupport
import Testing
import Transport

@testable import Simulator

private let now = 1_560_783_117.0  // 2019-06-17T14:51:57Z, the smi-metrics README's moment
private let prefix = MetricsAPI.prefix

private struct Fixture {
    let scenario: Scenario
    let snapshot: MetricsSnapshot

    init() throws {
        scenario = try Scenario.make(name: "bookstore", seed: 42, profile: .sdk, services: 0, splits: 0, now: now)
        snapshot = MetricsSnapshot(objects: scenario.objects, weights: WeightHistory(initial: scenario.traffic.defaultWeights))
    }

    func get(_ path: String, _ query: [String: String] = [:]) -> (status: Int, body: JSON) {
        MetricsAPI.handle(path: prefix + path, query: query, now: now, model: scenario.traffic, snapshot: snapshot)
    }
}

private func metric(_ item: JSON, _ name: String) -> String? {
    item["metrics"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["value"]?.stringValue
}

private func value(_ item: JSON, _ name: String) -> Double? {
    metric(item, name).flatMap(TrafficModel.quantityValue)
}

// MARK: formats

@Test func quantityFormatting() {
    let cases: [(Double, String)] = [
        (296.875, "296875m"), (294, "294"), (0, "0"), (1000, "1k"), (28.58, "28580m"), (1008.1, "1008100m"),
        (1_000_000, "1M"), (1500, "1500"), (2_000_000_000, "2G"), (-5, "-5"), (0.0004, "0"), (0.001, "1m"),
        (73.492, "73492m"), (1.5, "1500m"), (12_000, "12k"),
    ]
    for (v, s) in cases { #expect(MetricQuantity.format(v) == s, "\(v)") }
    // Go's int64(NaN) on amd64: how smi-metrics prints latencies of empty histograms.
    #expect(MetricQuantity.format(.nan) == "-9223372036854775808m")
    var rng = SimRandom(seed: 3)
    for _ in 0..<500 {
        let v = rng.double(in: 0...100_000)
        let parsed = TrafficModel.quantityValue(MetricQuantity.format(v))!
        #expect(abs(parsed - v) < 0.001 + 1e-9 * v, "milli truncation only")
    }
}

@Test func goDurations() {
    let parses: [(String, Double?)] = [
        ("30s", 30), ("1m", 60), ("1m30s", 90), ("500ms", 0.5), ("1h0m0s", 3600), ("1.5h", 5400), ("0", 0),
        ("-1m", -60), ("+2s", 2), ("100us", 0.0001), ("100µs", 0.0001), ("3ns", 3e-9), (".5s", 0.5),
        ("", nil), ("30", nil), ("abc", nil), ("1d", nil), ("s", nil), ("1m 30s", nil), (".s", nil), ("1..5s", nil),
    ]
    for (t, v) in parses { #expect(GoDuration.parse(t) == v, "\(t)") }
    let formats: [(Double, String)] = [
        (30, "30s"), (60, "1m0s"), (90, "1m30s"), (0.5, "500ms"), (3600, "1h0m0s"), (0, "0s"), (1.5, "1.5s"),
        (0.0015, "1.5ms"), (2e-6, "2µs"), (5e-9, "5ns"), (-60, "-1m0s"), (86400, "24h0m0s"), (3661.25, "1h1m1.25s"),
    ]
    for (v, s) in formats { #expect(GoDuration.format(v) == s, "\(v)") }
    var rng = SimRandom(seed: 4)
    for _ in 0..<500 {
        let nanos = Double(rng.int(in: 0...100_000_000_000_000))
        let s = GoDuration.format(nanos / 1e9)
        #expect(abs(GoDuration.parse(s)! * 1e9 - nanos) < 2, "\(s)")
    }
}

@Test func rfc3339() {
    #expect(KubeTime.format(epochSeconds: now) == "2019-06-17T14:51:57Z")
    #expect(KubeTime.format(epochSeconds: 0) == "1970-01-01T00:00:00Z")
    #expect(KubeTime.format(epochSeconds: 951_782_400.9) == "2000-02-29T00:00:00Z")
    #expect(KubeTime.format(epochSeconds: -1) == "1969-12-31T23:59:59Z")
    var rng = SimRandom(seed: 8)
    let f = ISO8601DateFormatter()
    for _ in 0..<300 {
        let t = Double(rng.int(in: 0...4_000_000_000))
        #expect(KubeTime.format(epochSeconds: t) == f.string(from: Date(timeIntervalSince1970: t)))
    }
}

// MARK: paths

@Test func resourceListAtTheRoot() throws {
    let fx = try Fixture()
    for path in ["", "/"] {
        let (status, body) = fx.get(path)
        #expect(status == 200)
        #expect(body["kind"]?.stringValue == "APIResourceList")
        #expect(body["apiVersion"]?.stringValue == "v1")
        #expect(body["groupVersion"]?.stringValue == "metrics.smi-spec.io/v1alpha1")
        let resources = body["resources"]?.arrayValue ?? []
        #expect(Set(resources.compactMap { $0["name"]?.stringValue }) == ["deployments", "pods", "daemonsets", "statefulsets", "namespaces"])
        for r in resources {
            #expect(r["kind"]?.stringValue == "TrafficMetrics")
            #expect(r["verbs"] == ["get", "list"])
            #expect(r["namespaced"]?.boolValue == (r["name"]?.stringValue != "namespaces"))
        }
    }
}

@Test func singleDeployment() throws {
    let fx = try Fixture()
    let (status, item) = fx.get("/namespaces/bookstore/deployments/books-v2")
    #expect(status == 200)
    #expect(item["kind"]?.stringValue == "TrafficMetrics")
    #expect(item[path: "metadata", "selfLink"]?.stringValue == "\(prefix)/namespaces/bookstore/deployments/books-v2")
    #expect(item["resource"] == ["kind": "Deployment", "namespace": "bookstore", "name": "books-v2"])
    #expect(item["edge"] == ["direction": "from", "resource": nil])
    #expect(item["timestamp"]?.stringValue == "2019-06-17T14:51:57Z")
    #expect(item["window"]?.stringValue == "30s")
    let s = value(item, "success_count")!
    let f = value(item, "failure_count")!
    #expect((0.84...0.9).contains(s / (s + f)))
    // webapp gets 18 + 6 rps, 10 % of its book calls land on v2: ≈ 2.4 rps × 30 s.
    #expect(abs((s + f) - 72) < 72 * 0.06)
    #expect(value(item, "p50_response_latency")! < value(item, "p90_response_latency")!)
    #expect(value(item, "p90_response_latency")! < value(item, "p99_response_latency")!)
}

@Test func windowParameter() throws {
    let fx = try Fixture()
    let base = value(fx.get("/namespaces/bookstore/deployments/webapp").body, "success_count")!
    let minute = fx.get("/namespaces/bookstore/deployments/webapp", ["t": "1m"]).body
    #expect(minute["window"]?.stringValue == "1m0s")
    #expect(abs(value(minute, "success_count")! / base - 2) < 0.01)
    #expect(fx.get("/namespaces/bookstore/deployments/webapp", ["t": "90s"]).body["window"]?.stringValue == "1m30s")
    #expect(fx.get("/namespaces/bookstore/deployments/webapp", ["t": "soon"]).body["window"]?.stringValue == "30s")
    // Sub-second windows render an empty PromQL range, which Prometheus rejects.
    let tiny = fx.get("/namespaces/bookstore/deployments/webapp", ["t": "500ms"])
    #expect(tiny.status == 500 && tiny.body.stringValue != nil)
}

@Test func idleAndMissingWorkloadsAre500() throws {
    let fx = try Fixture()
    for path in [
        "/namespaces/bookstore/deployments/authors-canary", "/namespaces/bookstore/deployments/bookbuyer",
        "/namespaces/bookstore/deployments/nope", "/namespaces/nope", "/namespaces/bookstore/pods/nope",
        "/namespaces/bookstore/statefulsets/books-v1",
    ] {
        let r = fx.get(path)
        #expect(r.status == 500, "\(path)")
        #expect(r.body == ["error": "unable to lookup metrics"])
    }
    // Idle workloads are simply absent from lists.
    let list = fx.get("/namespaces/bookstore/deployments").body
    let names = list["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } ?? []
    #expect(names == ["authors-v1", "books-v1", "books-v2", "webapp"])
}

@Test func unsupportedResourcesAnd404s() throws {
    let fx = try Fixture()
    for (path, name) in [
        ("/services", "services"), ("/namespaces/bookstore/trafficsplits", "trafficsplits"),
        ("/namespaces/bookstore/jobs/x", "jobs"), ("/namespaces/bookstore/nodes/x/edges", "nodes"),
    ] {
        let r = fx.get(path)
        #expect(r.status == 404)
        #expect(r.body == ["error": .string("Unsupported resource: \(name)")])
    }
    for path in ["/namespaces/bookstore/deployments/webapp/edges/more", "/namespaces/bookstore/events"] {
        let r = fx.get(path)
        #expect(r.status == 404 && r.body == .string("404 page not found"), "\(path)")
    }
    let other = MetricsAPI.handle(
        path: "/apis/metrics.smi-spec.io/v1alpha2/deployments", query: [:], now: now,
        model: fx.scenario.traffic, snapshot: fx.snapshot)
    #expect(other.status == 404)
}

@Test func listsAcrossAndWithinNamespaces() throws {
    let fx = try Fixture()
    let all = fx.get("/deployments/")
    #expect(all.status == 200)
    #expect(all.body["kind"]?.stringValue == "TrafficMetricsList")
    #expect(all.body[path: "metadata", "selfLink"]?.stringValue == "\(prefix)/deployments")
    #expect(all.body["resource"] == ["kind": "Deployment"])
    let items = all.body["items"]?.arrayValue ?? []
    #expect(
        items.compactMap { $0[path: "metadata", "namespace"]?.stringValue }.sorted() == [
            "bookstore", "bookstore", "bookstore", "bookstore", "payments", "payments", "payments", "payments",
        ])
    for item in items {
        let ns = item[path: "metadata", "namespace"]!.stringValue!
        let name = item[path: "metadata", "name"]!.stringValue!
        #expect(item[path: "metadata", "selfLink"]?.stringValue == "\(prefix)/namespaces/\(ns)/deployments/\(name)")
        #expect(item["edge"] == ["direction": "from", "resource": nil])
    }
    let one = fx.get("/namespaces/payments/deployments").body
    // The list's selfLink does not carry the namespace; its resource does.
    #expect(one[path: "metadata", "selfLink"]?.stringValue == "\(prefix)/deployments")
    #expect(one["resource"] == ["kind": "Deployment", "namespace": "payments"])
    #expect(one["items"]?.arrayValue?.count == 4)
    for empty in ["/daemonsets", "/namespaces/bookstore/statefulsets", "/namespaces/nope/deployments"] {
        let r = fx.get(empty)
        #expect(r.status == 200)
        #expect(r.body["items"] == .null, "empty lists are null, not []")
    }
    let ds = fx.get("/namespaces/bookstore/daemonsets").body
    #expect(ds["resource"] == ["kind": "Daemonset", "namespace": "bookstore"])
}

@Test func deploymentEdges() throws {
    let fx = try Fixture()
    let (status, list) = fx.get("/namespaces/bookstore/deployments/webapp/edges")
    #expect(status == 200)
    let link = "\(prefix)/namespaces/bookstore/deployments/webapp/edges"
    #expect(list[path: "metadata", "selfLink"]?.stringValue == link)
    #expect(list["resource"] == ["kind": "Deployment", "namespace": "bookstore", "name": "webapp"])
    let items = list["items"]?.arrayValue ?? []
    var peers: [String: String] = [:]
    for item in items {
        #expect(item[path: "metadata", "name"]?.stringValue == "webapp")
        #expect(item[path: "metadata", "selfLink"]?.stringValue == link)
        #expect(item["resource"] == ["kind": "Deployment", "namespace": "bookstore", "name": "webapp"])
        let peer = item[path: "edge", "resource"]!
        peers["\(peer["namespace"]!.stringValue!)/\(peer["name"]!.stringValue!)"] = item[path: "edge", "direction"]?.stringValue
    }
    #expect(
        peers == [
            "bookstore/bookbuyer": "from", "bookstore/books-v1": "to", "bookstore/books-v2": "to",
            "bookstore/authors-v1": "to", "payments/payments-primary": "to", "payments/payments": "to",
        ])
    // Callers come first, as smi-metrics runs the inbound queries first.
    #expect(items.first?[path: "edge", "direction"]?.stringValue == "from")
    // Edge numbers follow the split: 90/10 to books.
    func count(_ name: String) -> Double {
        let item = items.first { $0[path: "edge", "resource", "name"]?.stringValue == name }!
        return value(item, "success_count")! + value(item, "failure_count")!
    }
    #expect(abs(count("books-v2") / (count("books-v1") + count("books-v2")) - 0.1) < 0.012)
    // An idle workload's edges are an empty list, not an error.
    let idle = fx.get("/namespaces/bookstore/deployments/authors-canary/edges")
    #expect(idle.status == 200 && idle.body["items"] == .null)
}

@Test func metricsFollowWeightChanges() throws {
    let fx = try Fixture()
    var history = fx.snapshot.weights
    history.set(ObjectRef(namespace: "bookstore", name: "authors"), backends: [("authors-v1", 50), ("authors-canary", 50)], at: now - 30)
    let snapshot = MetricsSnapshot(namespaces: fx.snapshot.namespaces, workloads: fx.snapshot.workloads, weights: history)
    let r = MetricsAPI.handle(
        path: prefix + "/namespaces/bookstore/deployments/authors-canary", query: [:], now: now,
        model: fx.scenario.traffic, snapshot: snapshot)
    #expect(r.status == 200, "the canary is no longer idle")
    let v1 = MetricsAPI.handle(
        path: prefix + "/namespaces/bookstore/deployments/authors-v1", query: [:], now: now,
        model: fx.scenario.traffic, snapshot: snapshot
    ).body
    let a = value(r.body, "success_count")! + value(r.body, "failure_count")!
    let b = value(v1, "success_count")! + value(v1, "failure_count")!
    #expect(abs(a / (a + b) - 0.5) < 0.03)
}

@Test func peerInBothDirectionsCollapsesIntoOneItem() throws {
    // a calls b (layer order), b calls a back: one item for b, with the outbound ("to") numbers.
    let a = WorkloadRef.deployment("ns", "a")
    let b = WorkloadRef.deployment("ns", "b")
    let model = TrafficModel(
        seed: 1,
        workloads: [
            WorkloadTraffic(ref: a, successRate: 1, latencyMedianMs: 10, latencySigma: 0.3, ingressRPS: 10, layer: 0),
            WorkloadTraffic(ref: b, successRate: 1, latencyMedianMs: 10, latencySigma: 0.3, layer: 1),
        ],
        services: [
            ServiceTraffic(key: .init(namespace: "ns", name: "a"), workloads: [a]),
            ServiceTraffic(key: .init(namespace: "ns", name: "b"), workloads: [b]),
        ],
        calls: [
            CallTraffic(from: a, to: .init(namespace: "ns", name: "b"), callsPerRequest: 1),
            CallTraffic(from: b, to: .init(namespace: "ns", name: "a"), callsPerRequest: 0.1),
        ])
    let snapshot = MetricsSnapshot(namespaces: ["ns"], workloads: [a: ["a-1"], b: ["b-1"]], weights: WeightHistory())
    let r = MetricsAPI.handle(path: prefix + "/namespaces/ns/deployments/a/edges", query: [:], now: now, model: model, snapshot: snapshot)
    let items = r.body["items"]?.arrayValue ?? []
    #expect(items.count == 1)
    #expect(items.first?[path: "edge", "direction"]?.stringValue == "to")
    // ≈ 10 rps × 30 s from a to b (the 1 rps back would be ≈ 30).
    #expect(value(items[0], "success_count")! > 250)
}

@Test func pods() throws {
    let fx = try Fixture()
    let list = fx.get("/namespaces/bookstore/pods").body
    let items = list["items"]?.arrayValue ?? []
    #expect(list["resource"] == ["kind": "Pod", "namespace": "bookstore"])
    let books1 = items.filter { $0[path: "metadata", "name"]?.stringValue?.hasPrefix("books-v1-") == true }
    #expect(books1.count == 2)
    let deployment = fx.get("/namespaces/bookstore/deployments/books-v1").body
    let podSum = books1.reduce(0.0) { $0 + value($1, "success_count")! }
    #expect(abs(podSum - value(deployment, "success_count")!) < 0.01, "pods share their deployment's traffic")
    let podName = books1[0][path: "metadata", "name"]!.stringValue!
    let one = fx.get("/namespaces/bookstore/pods/\(podName)")
    #expect(one.status == 200)
    #expect(one.body["resource"] == ["kind": "Pod", "namespace": "bookstore", "name": .string(podName)])
    let edges = fx.get("/namespaces/bookstore/pods/\(podName)/edges").body["items"]?.arrayValue ?? []
    let peers = edges.compactMap { $0[path: "edge", "resource", "name"]?.stringValue }
    #expect(peers.contains { $0.hasPrefix("webapp-") } && peers.contains { $0.hasPrefix("authors-v1-") })
    for e in edges { #expect(e[path: "edge", "resource", "kind"]?.stringValue == "Pod") }
}

@Test func namespaces() throws {
    let fx = try Fixture()
    let list = fx.get("/namespaces").body
    #expect(list["resource"] == ["kind": "Namespace"])
    #expect(list["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } == ["bookstore", "payments"])
    let (status, item) = fx.get("/namespaces/payments/")
    #expect(status == 200)
    #expect(item[path: "metadata", "namespace"] == nil)
    #expect(item[path: "metadata", "selfLink"]?.stringValue == "\(prefix)/namespaces/payments")
    #expect(item["resource"] == ["kind": "Namespace", "name": "payments"])
    let deployments = fx.get("/namespaces/payments/deployments").body["items"]?.arrayValue ?? []
    let sum = deployments.reduce(0.0) { $0 + value($1, "success_count")! }
    #expect(abs(sum - value(item, "success_count")!) < 0.01)
    let edges = fx.get("/namespaces/payments/edges").body
    #expect(edges[path: "metadata", "selfLink"]?.stringValue == "\(prefix)/namespaces/payments/edges")
    let e = edges["items"]?.arrayValue ?? []
    #expect(e.count == 1)
    #expect(e.first?[path: "edge"] == ["direction": "from", "resource": ["kind": "Namespace", "name": "bookstore"]])
}

// MARK: shape against the real smi-metrics responses (examples/metrics/smi-metrics)

private let realGet = #"""
    {"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"name":"linkerd-web","namespace":"linkerd","selfLink":"/apis/metrics.smi-spec.io/v1alpha1/namespaces/linkerd/deployments/linkerd-web","creationTimestamp":"2019-06-17T14:26:22Z"},"timestamp":"2019-06-17T14:26:22Z","window":"30s","resource":{"kind":"Deployment","namespace":"linkerd","name":"linkerd-web"},"edge":{"direction":"from","resource":null},"metrics":[{"name":"p99_response_latency","unit":"ms","value":"296875m"},{"name":"p90_response_latency","unit":"ms","value":"268750m"},{"name":"p50_response_latency","unit":"ms","value":"162500m"},{"name":"success_count","value":"73492m"},{"name":"failure_count","value":"0"}]}
    """#

private let realEdges = #"""
    {"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"selfLink":"/apis/metrics.smi-spec.io/v1alpha1/namespaces/linkerd/deployments/linkerd-controller/edges"},"resource":{"kind":"Deployment","namespace":"linkerd","name":"linkerd-controller"},"items":[{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"name":"linkerd-controller","namespace":"linkerd","selfLink":"/apis/metrics.smi-spec.io/v1alpha1/namespaces/linkerd/deployments/linkerd-controller/edges","creationTimestamp":"2019-06-17T14:51:57Z"},"timestamp":"2019-06-17T14:51:57Z","window":"30s","resource":{"kind":"Deployment","namespace":"linkerd","name":"linkerd-controller"},"edge":{"direction":"from","resource":{"kind":"Deployment","namespace":"linkerd","name":"linkerd-web"}},"metrics":[{"name":"p99_response_latency","unit":"ms","value":"294"},{"name":"p90_response_latency","unit":"ms","value":"240"},{"name":"p50_response_latency","unit":"ms","value":"150"},{"name":"success_count","value":"28580m"},{"name":"failure_count","value":"0"}]}]}
    """#

/// Same keys in the same order, same value types, recursively (arrays compared element-wise
/// against the first real element).
private func sameShape(_ a: JSON, _ b: JSON, path: String = "$") {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        #expect(x.keys == y.keys, "keys at \(path)")
        for e in x.entries { if let v = y[e.key] { sameShape(e.value, v, path: path + "." + e.key) } }
    case (.array(let x), .array(let y)):
        #expect(!x.isEmpty && !y.isEmpty, "array at \(path)")
        if x.count == 5, y.count == 5 {
            for (i, (p, q)) in zip(x, y).enumerated() { sameShape(p, q, path: "\(path)[\(i)]") }
        } else if let p = x.first {
            for q in y { sameShape(p, q, path: path + "[]") }
        }
    default:
        #expect(a.typeName == b.typeName, "type at \(path)")
    }
}

@Test func shapeMatchesRealResponses() throws {
    let fx = try Fixture()
    let get = fx.get("/namespaces/bookstore/deployments/webapp").body
    sameShape(try JSON.parse(realGet), get)
    let edges = fx.get("/namespaces/bookstore/deployments/books-v1/edges").body
    sameShape(try JSON.parse(realEdges), edges)
    // Values are quantity strings of the grammar in NOTES.md §4.6.
    let pattern = "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$"
    for item in edges["items"]?.arrayValue ?? [] {
        for m in item["metrics"]?.arrayValue ?? [] {
            #expect(m["value"]?.stringValue?.range(of: pattern, options: .regularExpression) != nil)
        }
    }
    #expect(get.objectValue?.keys == ["kind", "apiVersion", "metadata", "timestamp", "window", "resource", "edge", "metrics"])
}

@Test func largeClusterListIsServed() throws {
    let s = try Scenario.make(name: "generated", seed: 5, profile: .sdk, services: 1000, splits: 1500, now: now)
    let snap = MetricsSnapshot(objects: s.objects, weights: WeightHistory(initial: s.traffic.defaultWeights))
    let start = Date()
    let r = MetricsAPI.handle(path: prefix + "/deployments", query: [:], now: now, model: s.traffic, snapshot: snap)
    print("list of \(r.body["items"]?.arrayValue?.count ?? 0) deployments in \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
    #expect(r.status == 200)
    #expect((r.body["items"]?.arrayValue?.count ?? 0) > 300)
}

/// The client's metrics poll against the simulator: a bounded number of `/edges` requests per
/// poll, taking turns, so a poll costs the same on ten services or ten thousand.
@Suite("metrics poll budget")
struct MetricsPollBudgetTests {
    @Test func edgesAreFetchedInTurnsWithinTheBudget() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let cluster = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: h.kubeconfig, environment: ["HOME": h.dir]))
        let client = KubeClient(cluster: cluster, transport: CurlTransport(tls: cluster.tls))
        let all = try await client.pollTrafficMetrics(namespace: nil, window: "30s")
        #expect(all.complete && all.edgesFetched.count >= 4, "\(all.edgesFetched)")
        var seen = Set<String>()
        var rotation = 0
        for _ in 0..<((all.edgesFetched.count + 1) / 2) {
            let p = try await client.pollTrafficMetrics(namespace: nil, window: "30s", edgeBudget: 2, rotation: rotation)
            #expect(!p.complete && p.edgesFetched.count == 2)
            #expect(p.lists.count <= 3, "the resource list and at most two /edges lists")
            seen.formUnion(p.edgesFetched)
            rotation = p.nextRotation
        }
        #expect(seen == all.edgesFetched, "taking turns covers every deployment with traffic")
    }
}
