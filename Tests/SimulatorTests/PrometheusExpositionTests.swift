import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

// The simulated proxies' Prometheus exposition: real text format (checked by the real
// Prometheus' promtool), counters that follow the traffic model, and a real Prometheus that
// scrapes them with the mesh's relabelling.

/// Sums the samples of `name` whose label text contains every one of `having`.
/// The timestamps of a scrape's samples (the exposition's optional third field).
private func stamps(_ text: String) -> Set<Int64> {
    Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { l in expositionFields(l).dropFirst().first.flatMap { Int64($0) } })
}

private func pod(_ h: SimHarness, _ ns: String, _ workload: String) throws -> String {
    try #require(h.sim.discoveredPods().first { $0.namespace == ns && $0.workload?.name == workload }).name
}

private func promtoolCheck(_ text: String, in dir: String) async throws -> ProcessResult {
    let promtool = try #require(PrometheusServer.promtool, "promtool comes with Debian's prometheus package (make deps)")
    return try await runProcess(promtool, ["check", "metrics"], env: [:], stdin: text, timeout: 30, cwd: dir)
}

/// promtool exits 1 on a text-format error ("error while linting: text format parsing error")
/// and 3 when it only has lint remarks. The real proxies' names draw remarks (Linkerd's
/// `response_latency_ms` "should not contain abbreviated units", Istio's milliseconds "use base
/// unit seconds", no HELP on Istio's families): those are the meshes' names, kept as they are.
private func parses(_ r: ProcessResult) -> Bool {
    let out = r.stdout + r.stderr
    if r.status == 0 { return true }
    guard r.status == 3, !out.contains("error while linting"), !out.contains("parsing error") else { return false }
    let accepted = ["no help text", "abbreviated units", "use base unit"]
    return out.split(separator: "\n").allSatisfy { line in line.trimmingCharacters(in: .whitespaces).isEmpty || accepted.contains { line.contains($0) } }
}

@Test func profilesPickTheirMeshsMetrics() {
    #expect(PrometheusStyle(profileName: "linkerd") == .linkerd)
    #expect(PrometheusStyle(profileName: "linkerd-gamma") == .linkerd)
    #expect(PrometheusStyle(profileName: "istio") == .istio)
    #expect(PrometheusStyle(profileName: "all") == .both)
    #expect(PrometheusStyle(profileName: "sdk") == .linkerd)
    #expect(PrometheusStyle(profileName: "osm") == .linkerd)
    #expect(PrometheusStyle(name: "none") == [])
    #expect(PrometheusStyle(name: "envoy") == nil)
}

@Test func linkerdExpositionIsValidAndCountersFollowTraffic() async throws {
    let h = try await SimHarness.start { $0.profile = .linkerd }
    defer { Task { await h.stop() } }
    let webapp = try pod(h, "bookstore", "webapp")
    let path = "/sim/prometheus/namespaces/bookstore/pods/\(webapp)/linkerd"
    let first = try await h.http("GET", path, as: .none)
    #expect(first.status == 200)
    #expect(first.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
    try await Task.sleep(for: .milliseconds(1500))
    let second = try await h.http("GET", path, as: .none).body

    let check = try await promtoolCheck(second, in: h.dir)
    #expect(parses(check), "promtool: \(check.stdout) \(check.stderr)")
    #expect(second.contains("# TYPE response_latency_ms histogram"))
    #expect(second.contains("# TYPE response_total counter"))

    // Every sample is stamped with the instant its counters were advanced to, one instant per
    // scrape, later in the second scrape (so rates do not depend on when a scrape was served).
    let (s1, s2) = (stamps(first.body), stamps(second))
    let samples = second.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count
    // (The first scrape, right after start, may have no samples yet.)
    #expect(s1.count <= 1 && s2.count == 1 && s2.first! > (s1.first ?? 0), "stamps \(s1) then \(s2)")
    #expect(second.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty && expositionFields($0).count == 2 }.count == samples)
    let inbound = ["direction=\"inbound\""]
    let before = expositionTotal(first.body, "response_total", having: inbound)
    let after = expositionTotal(second, "response_total", having: inbound)
    // webapp receives ~24 rps (bookbuyer 18 + ingress 6) over 2 pods: 1.5 s moves it by many.
    #expect(after > before + 5, "inbound responses \(before) → \(after)")
    // Every counted response is one histogram observation.
    let counted = expositionTotal(second, "response_latency_ms_count", having: inbound)
    #expect(abs(counted - after) <= 2, "histogram count \(counted) vs responses \(after)")
    // Outbound edges name the destination workload; route backends name parent and backend.
    #expect(expositionTotal(second, "response_total", having: ["direction=\"outbound\"", "dst_deployment=\"books-v1\""]) > 0)
    #expect(expositionTotal(second, "outbound_http_route_backend_requests_total", having: ["parent_name=\"books\"", "backend_name=\"books-v2\""]) > 0)
    // Failures are classified as such (books-v2 succeeds 87 %).
    #expect(second.contains("classification=\"failure\""))

    // Istio's endpoint is not served in the linkerd profile; unknown pods are 404.
    #expect(try await h.http("GET", "/sim/prometheus/namespaces/bookstore/pods/\(webapp)/istio", as: .none).status == 404)
    #expect(try await h.http("GET", "/sim/prometheus/namespaces/bookstore/pods/nope/linkerd", as: .none).status == 404)
}

@Test func istioExpositionReportsBothSides() async throws {
    let h = try await SimHarness.start { $0.prometheusStyle = .istio }
    defer { Task { await h.stop() } }
    let books = try pod(h, "bookstore", "books-v1")
    let path = "/sim/prometheus/namespaces/bookstore/pods/\(books)/istio"
    _ = try await h.http("GET", path, as: .none)
    try await Task.sleep(for: .milliseconds(1200))
    let text = try await h.http("GET", path, as: .none).body
    let check = try await promtoolCheck(text, in: h.dir)
    #expect(parses(check), "promtool: \(check.stdout) \(check.stderr)")
    // books-v1 is called by webapp (destination side) and calls authors (source side).
    #expect(expositionTotal(text, "istio_requests_total", having: ["reporter=\"destination\"", "source_workload=\"webapp\""]) > 0)
    #expect(expositionTotal(text, "istio_requests_total", having: ["reporter=\"source\"", "destination_service_name=\"authors"]) > 0)
    #expect(text.contains("istio_request_duration_milliseconds_bucket{"))
    #expect(try await h.http("GET", "/sim/prometheus/namespaces/bookstore/pods/\(books)/linkerd", as: .none).status == 404)
}

@Test func realPrometheusScrapesWithTheMeshsLabels() async throws {
    let h = try await SimHarness.start { $0.profile = .linkerd }
    defer { Task { await h.stop() } }
    let prom = try await PrometheusServer.start(scraping: h)
    let check = try await runProcess(try #require(PrometheusServer.promtool), ["check", "config", prom.configFile], env: [:], stdin: nil, timeout: 30)
    #expect(check.status == 0, "promtool check config: \(check.stdout) \(check.stderr)")

    // The relabelling turned discovery metadata into the labels linkerd viz queries by.
    let series = try await prom.waitForSeries(#"response_total{direction="inbound", namespace="bookstore", deployment="webapp"}"#)
    #expect(!series.isEmpty)
    for s in series {
        #expect(s.labels["pod"]?.hasPrefix("webapp-") == true)
        #expect(s.labels["job"] == "linkerd-proxy")
        #expect(s.labels["instance"]?.hasSuffix(":4191") == true)
        #expect(s.labels["control_plane_ns"] == "linkerd")
        #expect(s.labels["app"] == "webapp")
    }
    // Once every series has a full window of scrapes, linkerd viz's request query answers
    // per deployment (a rate over a window with fewer scrapes sums only some pods' series).
    try await prom.waitForScrapes(seconds: 10)
    let rates = try await prom.waitForSeries(
        #"sum(rate(response_total{direction="inbound", namespace="bookstore"}[10s])) by (namespace, deployment)"#
    ) { r in r.contains { $0.labels["deployment"] == "webapp" && $0.value > 0 } }
    let webapp = try #require(rates.first { $0.labels["deployment"] == "webapp" })
    // bookbuyer's 18 rps plus 6 from the ingress, ±5 % noise, ± a scrape's worth of rounding.
    #expect(webapp.value > 15 && webapp.value < 33, "webapp inbound rps \(webapp.value)")
    await prom.stop()
}

@Test func scrapeTargetsFollowThePods() async throws {
    let h = try await SimHarness.start { $0.profile = .linkerd }
    defer { Task { await h.stop() } }
    let config = h.dir + "/prometheus.yml"
    try h.sim.writePrometheusConfig(h.endpoint, to: config)
    let targets = config + ".targets.json"
    let gone = try pod(h, "bookstore", "webapp")
    #expect(try String(contentsOfFile: targets, encoding: .utf8).contains(gone))
    let yaml = try String(contentsOfFile: config, encoding: .utf8)
    #expect(yaml.contains("job_name: linkerd-proxy") && !yaml.contains("kubernetes-pods"), "the linkerd profile scrapes Linkerd's proxies only")
    #expect(yaml.contains("ca_file:"), "TLS: the simulator's CA is pinned, not verification switched off")

    let deleted = try await h.kubectl(["delete", "pod", gone, "-n", "bookstore"])
    #expect(deleted.status == 0, "\(deleted.stderr)")
    let deadline = Date().addingTimeInterval(20)
    var text = ""
    while Date() < deadline {
        text = (try? String(contentsOfFile: targets, encoding: .utf8)) ?? ""
        if !text.contains(gone) { break }
        try await Task.sleep(for: .milliseconds(200))
    }
    #expect(!text.contains(gone), "the deleted pod is still a scrape target")
    #expect(text.contains("webapp-"), "the other webapp pod stays")
    #expect(try await h.http("GET", "/sim/prometheus/namespaces/bookstore/pods/\(gone)/linkerd", as: .none).status == 404)
}

@Test func latencyCDFInvertsTheQuantiles() {
    let one = LatencyDistribution(medianMs: 40, sigma: 0.5)
    #expect(abs(one.cdf(40) - 0.5) < 1e-9)
    #expect(one.cdf(0) == 0 && one.cdf(.infinity) == 1 && one.cdf(.nan) == 0)
    #expect(abs(one.mean - 40 * exp(0.125)) < 1e-9)
    var mix = LatencyDistribution(medianMs: 20, sigma: 0.4, weight: 3)
    mix.merge(LatencyDistribution(medianMs: 90, sigma: 0.6, weight: 1))
    for q in [0.5, 0.9, 0.99] {
        #expect(abs(mix.cdf(mix.quantile(q)!) - q) < 1e-6, "q \(q)")
    }
    #expect(LatencyDistribution().cdf(10) == 0)
}
