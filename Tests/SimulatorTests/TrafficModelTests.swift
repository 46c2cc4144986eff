import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

private let t0 = 1_718_000_000.0
private let books = ObjectRef(namespace: "bookstore", name: "books")
private let webapp = WorkloadRef.deployment("bookstore", "webapp")
private let booksV1 = WorkloadRef.deployment("bookstore", "books-v1")
private let booksV2 = WorkloadRef.deployment("bookstore", "books-v2")

private func model() throws -> TrafficModel {
    try Scenario.make(name: "bookstore", seed: 42, profile: .sdk, services: 0, splits: 0, now: t0).traffic
}

private func ratio(_ s: TrafficSample) -> Double {
    let a = s.edges[ObjectEdge(from: webapp, to: booksV1)]?.total ?? 0
    let b = s.edges[ObjectEdge(from: webapp, to: booksV2)]?.total ?? 0
    return b / (a + b)
}

@Test func samplesAreDeterministicAndMoveOverTime() throws {
    let m = try model()
    let a = m.sample(window: 30, at: t0, weights: m.defaultWeights)
    let b = m.sample(window: 30, at: t0, weights: m.defaultWeights)
    #expect(a.inbound == b.inbound && a.edges == b.edges)
    let later = m.sample(window: 30, at: t0 + 7, weights: m.defaultWeights)
    #expect(later.inbound[webapp]!.total != a.inbound[webapp]!.total, "live numbers drift")
}

@Test func countsAreRateTimesWindowWithinNoise() throws {
    let m = try model()
    let rates = m.propagate(m.defaultWeights)
    for step in 0..<50 {
        let time = t0 + Double(step) * 3.7
        for window in [10.0, 30, 60] {
            let s = m.sample(window: window, at: time, weights: m.defaultWeights)
            for (i, w) in m.workloads.enumerated() where rates.inbound[i] > 0 {
                let expected = rates.inbound[i] * window
                let got = try #require(s.inbound[w.ref]).total
                #expect(abs(got / expected - 1) <= TrafficModel.noise + 1e-9, "\(w.ref)")
            }
        }
    }
}

@Test func idleWorkloadsHaveNoSeries() throws {
    let m = try model()
    let s = m.sample(window: 30, at: t0, weights: m.defaultWeights)
    #expect(s.inbound[.deployment("bookstore", "authors-canary")] == nil, "weight 0 backend")
    #expect(s.inbound[.deployment("bookstore", "bookbuyer")] == nil, "a load generator receives nothing")
    #expect(s.edges[ObjectEdge(from: .deployment("bookstore", "bookbuyer"), to: webapp)] != nil)
}

@Test func canaryIsWorseAndSplitMatchesWeights() throws {
    let m = try model()
    let s = m.sample(window: 60, at: t0, weights: m.defaultWeights)
    let v2 = try #require(s.inbound[booksV2])
    let v1 = try #require(s.inbound[booksV1])
    #expect((0.84...0.9).contains(v2.successRate!))
    #expect(v1.successRate! > 0.99)
    #expect(v2.p99! > v1.p99!)
    #expect(abs(ratio(s) - 0.1) < 0.012)
    // Cross-namespace traffic through the Flagger split (80/20).
    let primary = s.edges[ObjectEdge(from: webapp, to: .deployment("payments", "payments-primary"))]!.total
    let canary = s.edges[ObjectEdge(from: webapp, to: .deployment("payments", "payments"))]!.total
    #expect(abs(canary / (primary + canary) - 0.2) < 0.025)
}

@Test func weightChangeShowsFullyOneWindowLater() throws {
    let m = try model()
    var history = WeightHistory(initial: m.defaultWeights)
    let change = t0 + 100
    history.set(books, backends: [("books-v1", 50), ("books-v2", 50)], at: change)
    let before = m.sample(window: 30, at: change, history: history)
    let during = m.sample(window: 30, at: change + 15, history: history)
    let after = m.sample(window: 30, at: change + 30, history: history)
    #expect(abs(ratio(before) - 0.1) < 0.012)
    // Half the window at 10 %, half at 50 %: the blend Prometheus would show.
    #expect(abs(ratio(during) - 0.3) < 0.03)
    #expect(abs(ratio(after) - 0.5) < 0.03)
    // Promote fully: the old backend drops out of the edges one window later.
    history.set(books, backends: [("books-v1", 0), ("books-v2", 100)], at: change + 40)
    let promoted = m.sample(window: 30, at: change + 70, history: history)
    #expect(promoted.edges[ObjectEdge(from: webapp, to: booksV1)] == nil)
    #expect(promoted.inbound[booksV1] == nil)
    #expect(promoted.edges[ObjectEdge(from: webapp, to: booksV2)] != nil)
}

@Test func randomWeightsAreFollowed() throws {
    let m = try model()
    var rng = SimRandom(seed: 5)
    var history = WeightHistory(initial: m.defaultWeights)
    var time = t0
    for _ in 0..<40 {
        let a = Double(rng.int(in: 0...1000))
        let b = Double(rng.int(in: 1...1000))
        time += rng.double(in: 1...120)
        history.set(books, backends: [("books-v1", a), ("books-v2", b)], at: time)
        let s = m.sample(window: 30, at: time + 30, history: history)
        let expected = b / (a + b)
        // Each edge carries independent noise of ±5 %.
        #expect(abs(ratio(s) - expected) <= expected * (1 - expected) * 0.11 + 1e-9)
    }
}

@Test func zeroSumAndUnknownBackendsAreHandled() throws {
    let m = try model()
    var w = m.defaultWeights
    w[books] = [("books-v1", 0), ("books-v2", 0)]
    let even = m.sample(window: 30, at: t0, weights: w)
    #expect(abs(ratio(even) - 0.5) < 0.05, "no effective split: the root Service's selector decides")
    w[books] = [("books-v1", 1), ("books-v9", 1)]
    let lost = m.sample(window: 30, at: t0, weights: w)
    let base = m.sample(window: 30, at: t0, weights: m.defaultWeights)
    #expect(lost.edges[ObjectEdge(from: webapp, to: booksV2)] == nil)
    let toV1 = lost.edges[ObjectEdge(from: webapp, to: booksV1)]!.total
    let all = base.edges[ObjectEdge(from: webapp, to: booksV1)]!.total + base.edges[ObjectEdge(from: webapp, to: booksV2)]!.total
    #expect(abs(toV1 / all - 0.5) < 0.06, "the missing backend's half is lost")
}

@Test func propagationConservesRequests() {
    // Random layered models: every workload's inbound rate is its ingress plus its incoming
    // edges, and each caller sends drive × calls to each callee Service.
    var rng = SimRandom(seed: 77)
    for _ in 0..<30 {
        let n = rng.int(in: 2...25)
        var workloads: [WorkloadTraffic] = []
        var services: [ServiceTraffic] = []
        for i in 0..<n {
            let ref = WorkloadRef.deployment("ns", "w\(i)")
            workloads.append(
                WorkloadTraffic(
                    ref: ref, successRate: rng.double(in: 0.5...1), latencyMedianMs: 10, latencySigma: 0.4,
                    ingressRPS: rng.chance(0.3) ? rng.double(in: 1...20) : 0, layer: rng.int(in: 0...4)))
            services.append(ServiceTraffic(key: ObjectRef(namespace: "ns", name: "s\(i)"), workloads: [ref]))
        }
        var calls: [CallTraffic] = []
        for w in workloads {
            for _ in 0..<rng.int(in: 0...3) {
                let t = rng.int(in: 0...(n - 1))
                if workloads[t].layer > w.layer {
                    calls.append(CallTraffic(from: w.ref, to: services[t].key, callsPerRequest: rng.double(in: 0.1...2)))
                }
            }
        }
        let m = TrafficModel(seed: 1, workloads: workloads, services: services, calls: calls)
        let r = m.propagate([:])
        var incoming = [Double](repeating: 0, count: n)
        for (k, v) in r.edges { incoming[Int(k & 0xFFFF_FFFF)] += v }
        for i in 0..<n {
            #expect(abs(r.inbound[i] - workloads[i].ingressRPS - incoming[i]) < 1e-9)
        }
        var expectedOut = [Double](repeating: 0, count: n)
        for c in calls {
            let f = Int(c.from.name.dropFirst())!
            expectedOut[f] += r.inbound[f] * c.callsPerRequest
        }
        var out = [Double](repeating: 0, count: n)
        for (k, v) in r.edges { out[Int(k >> 32)] += v }
        for i in 0..<n { #expect(abs(out[i] - expectedOut[i]) < 1e-9) }
    }
}

@Test func latencyQuantiles() {
    let d = LatencyDistribution(medianMs: 100, sigma: 0.5)
    #expect(abs(d.p50! - 100) < 1e-9)
    #expect(abs(d.p90! - 100 * exp(0.5 * 1.2815515655)) < 1e-4)
    #expect(abs(d.p99! - 100 * exp(0.5 * 2.3263478740)) < 1e-4)
    #expect(LatencyDistribution().p50 == nil)
    // A mixture's median lies between its components' and its p99 follows the slow one.
    var mix = LatencyDistribution(medianMs: 10, sigma: 0.3, weight: 90)
    mix.merge(LatencyDistribution(medianMs: 200, sigma: 0.3, weight: 10))
    #expect(mix.p50! > 10 && mix.p50! < 20)
    #expect(mix.p99! > 200)
    // Merging identical components keeps one.
    var same = LatencyDistribution(medianMs: 10, sigma: 0.3, weight: 1)
    same.merge(LatencyDistribution(medianMs: 10, sigma: 0.3, weight: 2))
    #expect(same.components.count == 1 && same.totalWeight == 3)
    var rng = SimRandom(seed: 9)
    for _ in 0..<200 {
        let p = rng.double(in: 0.001...0.999)
        let z = LatencyDistribution.normalQuantile(p)
        let back = 0.5 * erfc(-z / 2.0.squareRoot())
        #expect(abs(back - p) < 1e-8)
    }
}

@Test func weightHistory() {
    var h = WeightHistory(initial: [books: [("books-v1", 90), ("books-v2", 10)]])
    h.set(books, backends: [("books-v1", 50), ("books-v2", 50)], at: 100)
    h.set(books, backends: [("books-v1", 50), ("books-v2", 50)], at: 110)  // no change: not recorded
    h.set(books, backends: nil, at: 120)
    #expect(h.weights(at: 99)[books]?.map(\.weight) == [90, 10])
    #expect(h.weights(at: 100)[books]?.map(\.weight) == [50, 50])
    #expect(h.weights(at: 130)[books] == nil)
    let segs = h.segments(from: 90, to: 130)
    #expect(segs.map(\.duration) == [10, 20, 10])
    #expect(segs.map { $0.weights[books]?.first?.weight } == [90, 50, nil])
    // observe() records only differences.
    h.observe([books: [("books-v1", 1), ("books-v2", 3)]], at: 140)
    #expect(h.current[books]?.map(\.weight) == [1, 3])
    // Out-of-order times are clamped so the log stays sorted.
    h.set(books, backends: [("books-v1", 2), ("books-v2", 2)], at: 135)
    #expect(h.weights(at: 139)[books] == nil, "the change at 135 was clamped to 140")
    #expect(h.weights(at: 140)[books]?.map(\.weight) == [2, 2])
    h.prune(before: 1000)
    #expect(h.weights(at: 0)[books]?.map(\.weight) == [2, 2])
}

@Test func activeWeightsReadEveryVersion() throws {
    let splits: [JSON] = try [
        #"{"apiVersion":"split.smi-spec.io/v1alpha1","kind":"TrafficSplit","metadata":{"name":"b","namespace":"n"},"spec":{"service":"root","backends":[{"service":"x","weight":"500m"},{"service":"y","weight":1}]}}"#,
        #"{"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"a","namespace":"n"},"spec":{"service":"root","backends":[{"service":"x","weight":10},{"service":"y","weight":30}]}}"#,
        #"{"apiVersion":"split.smi-spec.io/v1alpha1","kind":"TrafficSplit","metadata":{"name":"c","namespace":"n"},"spec":{"service":"other","backends":[{"service":"x","weight":"1k"},{"service":"y","weight":"1e3"},{"service":"z","weight":"2Ki"}]}}"#,
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"root","namespace":"n"},"spec":{}}"#,
    ].map { try JSON.parse($0) }
    let w = TrafficModel.activeWeights(splits: splits)
    #expect(w.count == 2)
    #expect(w[ObjectRef(namespace: "n", name: "root")]?.map(\.weight) == [10, 30], "the first name wins")
    #expect(w[ObjectRef(namespace: "n", name: "other")]?.map(\.weight) == [1000, 1000, 2048])
    #expect(TrafficModel.quantityValue("900m") == 0.9)
    #expect(TrafficModel.quantityValue("abc") == nil)
    #expect(TrafficModel.quantityValue("1x") == nil)
}

@Test func replicasSetTheLoad() throws {
    let m = try model()
    let base = m.sample(window: 30, at: t0, weights: m.defaultWeights)
    #expect(m.sample(window: 30, at: t0, weights: m.defaultWeights, capacity: [booksV1: 1]).inbound == base.inbound, "capacity 1 is no change")
    // Half the pods: a slower workload, nothing shed yet.
    let half = m.sample(window: 30, at: t0, weights: m.defaultWeights, capacity: [booksV1: 0.5])
    let p50 = try #require(base.inbound[booksV1]?.p50)
    let halfP50 = try #require(half.inbound[booksV1]?.p50)
    #expect(halfP50 > 2 * p50, "\(p50) -> \(halfP50)")
    #expect(abs((half.inbound[booksV1]!.successRate ?? 0) - (base.inbound[booksV1]!.successRate ?? 0)) < 1e-9)
    #expect(half.inbound[booksV2] == base.inbound[booksV2], "other workloads are untouched")
    // A third: overloaded, a share of the requests fails.
    let third = m.sample(window: 30, at: t0, weights: m.defaultWeights, capacity: [booksV1: 1.0 / 3])
    #expect((third.inbound[booksV1]!.successRate ?? 1) < (base.inbound[booksV1]!.successRate ?? 0) - 0.1)
    // More pods: faster. None: every request fails; hostile values never trap.
    let double = m.sample(window: 30, at: t0, weights: m.defaultWeights, capacity: [booksV1: 2])
    #expect(double.inbound[booksV1]!.p50! < p50)
    for c in [0, -1, Double.nan, .infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude] {
        let s = m.sample(window: 30, at: t0, weights: m.defaultWeights, capacity: [booksV1: c])
        if c <= 0 || c.isNaN { #expect(s.inbound[booksV1]!.success == 0, "\(c)") }
    }
}
