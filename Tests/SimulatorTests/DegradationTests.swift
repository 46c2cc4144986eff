import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

// Load-dependent degradation (issue 18's degrading canaries, issue 13's mesh traffic fault):
// the text form, the traffic model's arithmetic, and the numbers every metrics surface serves
// after kubectl shifts the weights.

private let books = ObjectRef(namespace: "bookstore", name: "books")
private let authors = ObjectRef(namespace: "bookstore", name: "authors")
private let booksV2 = WorkloadRef.deployment("bookstore", "books-v2")
private let authorsCanary = WorkloadRef.deployment("bookstore", "authors-canary")

// MARK: the text form

@Test func degradationSyntax() throws {
    let d = try Degradation(parsing: "errors:0.2,latency:3x,above:30%")
    #expect(d == Degradation(errors: 0.2, latencyFactor: 3, above: 0.3))
    #expect(try Degradation(parsing: "errors:20%") == Degradation(errors: 0.2))
    #expect(try Degradation(parsing: "latency:2.5, above:0.1") == Degradation(latencyFactor: 2.5, above: 0.1))
    #expect(d.text == "errors:0.2,latency:3x,above:30%")
    #expect(try Degradation(parsing: d.text) == d)
    let bad: [(String, String)] = [
        ("errors:2", "errors must be a fraction"), ("errors:-0.1", "errors must be"), ("latency:0x", "latency must be a factor"),
        ("latency:fast", "latency wants a factor"), ("above:100%", "above must be"), ("speed:2", "unknown key \"speed\""),
        ("errors", "expected KEY:VALUE"), ("errors:0.1,errors:0.2", "errors given twice"), ("", "expected KEY:VALUE"),
        ("errors:nan", "errors must be"), ("latency:inf", "latency must be"),
    ]
    for (text, message) in bad {
        #expect(throws: DegradationSyntaxError.self, "\(text)") { try Degradation(parsing: text) }
        do {
            _ = try Degradation(parsing: text)
        } catch {
            #expect(error.description.contains(message), "\(text): \(error.description)")
        }
    }
}

// MARK: the traffic model

private func bookstore(_ profile: SimProfile = .sdk) throws -> TrafficModel {
    try Scenario.make(name: "bookstore", seed: 7, profile: profile, services: 0, splits: 0, now: 1_700_000_000).traffic
}

/// Every degradation of the scenario switched off (a no-op override).
private func off(_ m: TrafficModel) -> Degradations { m.degradations.mapValues { _ in Degradation() } }

@Test func scenarioDegradationsChangeNothingAtTheStartingWeights() throws {
    for profile in [SimProfile.sdk, .istio] {
        let m = try bookstore(profile)
        #expect(m.degradations[booksV2] == Degradation(errors: 0.3, latencyFactor: 2, above: 0.3))
        #expect(m.degradations[authorsCanary] == Degradation(latencyFactor: 4, above: 0.2))
        // The istio profile has no splits: its weights are the routes' (books 80/20, authors 95/5).
        var weights = m.defaultWeights
        if profile == .istio {
            weights[books] = [("books-v1", 80), ("books-v2", 20)]
            weights[authors] = [("authors-v1", 95), ("authors-canary", 5)]
        }
        let with = m.sample(window: 30, at: 1000, weights: weights)
        let without = m.sample(window: 30, at: 1000, weights: weights, degradations: off(m))
        #expect(with.inbound == without.inbound, "\(profile)")
        #expect(with.edges == without.edges, "\(profile)")
    }
}

@Test func booksV2FailsAndSlowsAboveThirtyPercent() throws {
    let m = try bookstore()
    func v2(_ share: Double, _ d: Degradations = [:]) -> TrafficStats {
        var w = m.defaultWeights
        w[books] = [("books-v1", 100 - share), ("books-v2", share)]
        return m.sample(window: 30, at: 1000, weights: w, degradations: d).inbound[booksV2]!
    }
    let at10 = v2(10)
    let at30 = v2(30)
    let at31 = v2(31)
    let at50 = v2(50)
    let healthy50 = v2(50, off(m))
    // 87 % as created, with ±15 % wobble of the failure rate.
    for s in [at10, at30, healthy50] { #expect(abs(s.successRate! - 0.87) < 0.025, "\(s.successRate!)") }
    // Above 30 %: 30 % of the rest fail too (0.87 × 0.7 ≈ 0.61), and twice the latency.
    for s in [at31, at50] { #expect(abs(s.successRate! - 0.609) < 0.025, "\(s.successRate!)") }
    #expect(abs(at50.p50! / healthy50.p50! - 2) < 0.05, "\(at50.p50!) vs \(healthy50.p50!)")
    // Traffic volume is the same: only its outcome changes.
    #expect(abs(at50.total - healthy50.total) < 1e-6)
    // Callers see it on the edge too (webapp → books-v2), and Linkerd's route backend series.
    var w = m.defaultWeights
    w[books] = [("books-v1", 50), ("books-v2", 50)]
    let edge = m.sample(window: 30, at: 1000, weights: w).edges[ObjectEdge(from: .deployment("bookstore", "webapp"), to: booksV2)]!
    #expect(abs(edge.successRate! - 0.609) < 0.025)
    var h = WeightHistory(initial: w)
    h.prune(before: 0)
    let backend = m.backendSample(window: 30, at: 1000, history: h)
    let route = try #require(backend.first { $0.key.backend.name == "books-v2" && $0.key.parent == books }?.value)
    #expect(abs(route.successRate! - 0.609) < 0.025)
}

@Test func aWindowAcrossTheStepIsABlend() throws {
    let m = try bookstore()
    var h = WeightHistory(initial: m.defaultWeights)
    h.set(books, backends: [("books-v1", 50), ("books-v2", 50)], at: 985)
    let s = m.sample(window: 30, at: 1000, history: h).inbound[booksV2]!
    // 15 s at 10 % (2.4 rps, healthy) and 15 s at 50 % (12 rps, degraded): mostly degraded.
    let expected = (2.4 * 0.87 + 12 * 0.609) / (2.4 + 12)
    #expect(abs(s.successRate! - expected) < 0.03, "\(s.successRate!) vs \(expected)")
}

@Test func authorsCanarySlowsDownAboveTwentyPercentWithoutFailing() throws {
    let m = try bookstore()
    func canary(_ share: Double) -> TrafficStats {
        var w = m.defaultWeights
        w[authors] = [("authors-v1", 100 - share), ("authors-canary", share)]
        return m.sample(window: 30, at: 1000, weights: w).inbound[authorsCanary]!
    }
    let at20 = canary(20)
    let at50 = canary(50)
    #expect(abs(at50.p99! / at20.p99! - 4) < 0.2, "p99 \(at20.p99!) → \(at50.p99!)")
    #expect(abs(at50.successRate! - at20.successRate!) < 0.01)
}

@Test func aDegradationWithoutThresholdAppliesToAWorkloadNoSplitReaches() throws {
    let m = try bookstore()
    let webapp = WorkloadRef.deployment("bookstore", "webapp")
    let base = m.sample(window: 30, at: 1000, weights: m.defaultWeights).inbound[webapp]!
    let bad = m.sample(window: 30, at: 1000, weights: m.defaultWeights, degradations: [webapp: Degradation(errors: 0.5)]).inbound[webapp]!
    #expect(abs(bad.successRate! - base.successRate! * 0.5) < 0.01)
    // No split reaches webapp: its share is 100 %, so `above: 90 %` applies as well.
    let above = m.sample(window: 30, at: 1000, weights: m.defaultWeights, degradations: [webapp: Degradation(errors: 0.5, above: 0.9)])
    #expect(abs(above.inbound[webapp]!.successRate! - bad.successRate!) < 1e-9)
}

// MARK: over HTTP, weights shifted with kubectl

/// success_count / (success_count + failure_count) of a deployment from the metrics API over
/// a one-second window, read with kubectl.
private func metricsSuccess(_ h: SimHarness, _ name: String) async throws -> (rate: Double, p50: Double) {
    let r = try await h.kubectl(["get", "--raw", "/apis/metrics.smi-spec.io/v1alpha1/namespaces/bookstore/deployments/\(name)?t=1s"])
    #expect(r.status == 0, "\(r.stderr)")
    let item = try JSON.parse(r.stdout)
    func v(_ n: String) -> Double {
        item["metrics"]?.arrayValue?.first { $0["name"]?.stringValue == n }?["value"]?.stringValue.flatMap(TrafficModel.quantityValue) ?? .nan
    }
    return (v("success_count") / (v("success_count") + v("failure_count")), v("p50_response_latency"))
}

@Test func metricsAPIShowsTheCanaryDegradingWhenKubectlShiftsTheSplit() async throws {
    let h = try await SimHarness.start()
    defer { Task { await h.stop() } }
    try await Task.sleep(for: .milliseconds(1100))
    let at10 = try await metricsSuccess(h, "books-v2")
    #expect(abs(at10.rate - 0.87) < 0.03, "books-v2 at 10 %: \(at10)")
    let p = try await h.kubectl([
        "patch", "trafficsplit", "books", "-n", "bookstore", "--type", "merge", "-p",
        #"{"spec":{"backends":[{"service":"books-v1","weight":50},{"service":"books-v2","weight":50}]}}"#,
    ])
    #expect(p.status == 0, "\(p.stderr)")
    try await Task.sleep(for: .milliseconds(1500))
    let at50 = try await metricsSuccess(h, "books-v2")
    #expect(abs(at50.rate - 0.609) < 0.03, "books-v2 at 50 %: \(at50)")
    #expect(at50.p50 > 1.7 * at10.p50, "p50 \(at10.p50) → \(at50.p50)")
    // Back to 25 %: below the threshold, healthy again.
    _ = try await h.kubectl([
        "patch", "trafficsplit", "books", "-n", "bookstore", "--type", "merge", "-p",
        #"{"spec":{"backends":[{"service":"books-v1","weight":75},{"service":"books-v2","weight":25}]}}"#,
    ])
    try await Task.sleep(for: .milliseconds(1500))
    #expect(abs(try await metricsSuccess(h, "books-v2").rate - 0.87) < 0.03)
}

/// Sums the samples of `name` whose line contains every one of `having`.
/// The failure fraction of books-v2's inbound requests between two scrapes of all its pods.
/// Counters and histogram counts are whole requests (a few at 10 %), so this reads the
/// histograms' `_sum`, which is fractional: successes and failures of one advance share one
/// latency distribution, so their sums are in the ratio of their counts.
private func promFailure(_ h: SimHarness, style: String, seconds: Double) async throws -> Double {
    let pods = h.sim.discoveredPods().filter { $0.namespace == "bookstore" && $0.workload?.name == "books-v2" }.map(\.name)
    #expect(pods.count == 2)
    func scrape() async throws -> [String] {
        var out: [String] = []
        for p in pods { out.append(try await h.http("GET", "/sim/prometheus/namespaces/bookstore/pods/\(p)/\(style)", as: .none).body) }
        return out
    }
    func counts(_ texts: [String]) -> (fail: Double, all: Double) {
        let (name, side, failure) =
            style == "linkerd"
            ? ("response_latency_ms_sum", "direction=\"inbound\"", "status_code=\"500\"")
            : ("istio_request_duration_milliseconds_sum", "reporter=\"destination\"", "response_code=\"503\"")
        let all = texts.reduce(0) { $0 + expositionTotal($1, name, having: [side]) }
        let fail = texts.reduce(0) { $0 + expositionTotal($1, name, having: [side, failure]) }
        return (fail, all)
    }
    let before = counts(try await scrape())
    try await Task.sleep(for: .seconds(seconds))
    let after = counts(try await scrape())
    #expect(after.all - before.all > 30, "\(style): too few requests to judge (latency sums in ms)")
    return (after.fail - before.fail) / (after.all - before.all)
}

@Test func linkerdExpositionShowsTheCanaryDegradingWhenKubectlShiftsTheSplit() async throws {
    let h = try await SimHarness.start { $0.profile = .linkerd }
    defer { Task { await h.stop() } }
    let at10 = try await promFailure(h, style: "linkerd", seconds: 2)
    #expect(abs(at10 - 0.13) < 0.04, "failure at 10 %: \(at10)")
    // linkerd serves v1alpha1 as well: weights are quantities there.
    let p = try await h.kubectl([
        "patch", "trafficsplits.v1alpha2.split.smi-spec.io", "books", "-n", "bookstore", "--type", "merge", "-p",
        #"{"spec":{"backends":[{"service":"books-v1","weight":50},{"service":"books-v2","weight":50}]}}"#,
    ])
    #expect(p.status == 0, "\(p.stderr)")
    // One scrape cycle to get past the window that straddles the change.
    _ = try await promFailure(h, style: "linkerd", seconds: 0.5)
    let at50 = try await promFailure(h, style: "linkerd", seconds: 1.5)
    #expect(abs(at50 - 0.391) < 0.04, "failure at 50 %: \(at50)")
}

@Test func istioExpositionAndMetricsAPIShowTheCanaryDegradingWhenKubectlShiftsTheRoute() async throws {
    let h = try await SimHarness.start { $0.profile = .istio }
    defer { Task { await h.stop() } }
    // The books route starts at 80/20: books-v2 takes 20 %, below the step.
    let at20 = try await promFailure(h, style: "istio", seconds: 2)
    #expect(abs(at20 - 0.13) < 0.04, "failure at 20 %: \(at20)")
    #expect(abs(try await metricsSuccess(h, "books-v2").rate - 0.87) < 0.03)
    let get = try await h.kubectl(["get", "httproute", "books", "-n", "bookstore", "-o", "json"])
    var rules = try #require(try JSON.parse(get.stdout)[path: "spec", "rules"]?.arrayValue)
    rules[1]["backendRefs"] = .array(
        (rules[1]["backendRefs"]?.arrayValue ?? []).map { b in
            var b = b
            b["weight"] = 50
            return b
        })
    let patchJSON: JSON = ["spec": ["rules": .array(rules)]]
    let patch = patchJSON.compactString
    let p = try await h.kubectl(["patch", "httproute", "books", "-n", "bookstore", "--type", "merge", "-p", patch])
    #expect(p.status == 0, "\(p.stderr)")
    _ = try await promFailure(h, style: "istio", seconds: 0.5)
    let at50 = try await promFailure(h, style: "istio", seconds: 1.5)
    #expect(abs(at50 - 0.391) < 0.04, "failure at 50 %: \(at50)")
    #expect(abs(try await metricsSuccess(h, "books-v2").rate - 0.609) < 0.03)
}

// MARK: the fault: flag and admin endpoint

@Test func adminDegradeFailsAWorkloadsTrafficAndNamesWhatItRejects() async throws {
    let h = try await SimHarness.start()
    defer { Task { await h.stop() } }
    try await Task.sleep(for: .milliseconds(1100))
    let before = try await metricsSuccess(h, "webapp")
    let set = try await h.adminFaults(#"{"degrade":{"bookstore/webapp":{"errors":0.5,"latencyFactor":3}}}"#)
    let settings = try JSON.parse(set.stdout)
    #expect(settings[path: "degrade", "bookstore/webapp", "errors"]?.doubleValue == 0.5, "\(set.stdout)")
    let after = try await metricsSuccess(h, "webapp")
    #expect(abs(after.rate - before.rate * 0.5) < 0.03, "\(before) → \(after)")
    #expect(after.p50 > 2.5 * before.p50)
    // A Warning event says what was injected.
    let ev = try await h.kubectl(["get", "events", "-n", "default", "--field-selector", "reason=Degraded", "-o", "json"])
    #expect(ev.stdout.contains("mesh traffic to bookstore/webapp degraded: errors:0.5,latency:3x"), "\(ev.stdout)")

    // Rejected, naming the problem, and nothing changed.
    let rejects: [(String, String)] = [
        (#"{"latencyMs":5,"degrade":{"bookstore/webapp":{"errors":0.5,"speed":2}}}"#, #"unknown key in degrade \"bookstore/webapp\": \"speed\""#),
        (#"{"degrade":{"bookstore/nope":{"errors":0.1}}}"#, "no deployment bookstore/nope in the simulated mesh"),
        (#"{"degrade":{"webapp":{"errors":0.1}}}"#, #"\"webapp\" is not NAMESPACE/NAME"#),
        (#"{"degrade":{"bookstore/webapp":{"errors":1.5}}}"#, "errors must be a fraction"),
        (#"{"degrade":{"bookstore/webapp":{"latencyFactor":0}}}"#, "latencyFactor must be a factor"),
        (#"{"degrad":{},"latencyMS":5}"#, #"unknown keys in the fault settings: \"degrad\", \"latencyMS\""#),
    ]
    for (body, message) in rejects {
        let r = try await runProcess(
            "/usr/bin/curl", ["-sk", "-w", "\n%{http_code}", "-X", "POST", "--data", body, h.endpoint.url + "/sim/admin/faults"], env: [:],
            stdin: nil, timeout: 30)
        #expect(r.stdout.hasSuffix("\n400"), "\(body): \(r.stdout)")
        #expect(r.stdout.contains(message), "\(body): \(r.stdout)")
    }
    #expect(h.sim.faults.settings.withLock { $0.latencyMs == 0 && $0.degrade[.deployment("bookstore", "webapp")]?.errors == 0.5 })

    // null clears it: back to the scenario's behaviour.
    _ = try await h.adminFaults(#"{"degrade":{"bookstore/webapp":null}}"#)
    #expect(h.sim.faults.settings.withLock { $0.degrade.isEmpty })
    #expect(abs(try await metricsSuccess(h, "webapp").rate - before.rate) < 0.02)
}

@Test func degradeAtStartOverridesTheScenarios() async throws {
    // As `--degrade bookstore/books-v2=errors:0,latency:1x` does: the scenario's step is off.
    let h = try await SimHarness.start {
        $0.faults.degrade[booksV2] = Degradation()
        $0.faults.degrade[.deployment("bookstore", "books-v1")] = Degradation(errors: 0.2, above: 0.5)
    }
    defer { Task { await h.stop() } }
    let p = try await h.kubectl([
        "patch", "trafficsplit", "books", "-n", "bookstore", "--type", "merge", "-p",
        #"{"spec":{"backends":[{"service":"books-v1","weight":40},{"service":"books-v2","weight":60}]}}"#,
    ])
    #expect(p.status == 0, "\(p.stderr)")
    try await Task.sleep(for: .milliseconds(1500))
    #expect(abs(try await metricsSuccess(h, "books-v2").rate - 0.87) < 0.03, "the scenario's degradation is overridden")
    // books-v1 at 40 % is below its fault's 50 %.
    #expect(try await metricsSuccess(h, "books-v1").rate > 0.99)
    var unknown = SimulatorOptions()
    unknown.faults.degrade[.deployment("bookstore", "nope")] = Degradation(errors: 1)
    #expect(throws: SimulatorError.self) { try Simulator(options: unknown) }
}
