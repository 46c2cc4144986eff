import Foundation
import Kube
import KubeCore
import TestSupport
import Testing
import Transport

@testable import Simulator

/// The Prometheus metrics source end to end: the real smitop binary asks a real Prometheus
/// (Debian's) that scrapes the simulator's proxies every second, through the simulator's API
/// server service proxy or at its URL, and its numbers are held against the SMI metrics API
/// the same simulator serves for the same traffic.
@Suite("Prometheus metrics source", .serialized)
struct PrometheusSourceTests {
    /// A simulator whose `linkerd-viz/prometheus` (or `istio-system/prometheus`) Service is
    /// backed by a real Prometheus on a port chosen first (the simulator must know its
    /// upstream before the configuration naming the simulator can be written).
    static func start(
        _ configure: @escaping (inout SimulatorOptions) -> Void = { $0.profile = .linkerd }
    ) async throws -> (
        SimHarness, PrometheusServer
    ) {
        let port = try freeLoopbackPort()
        let h = try await SimHarness.start { o in
            configure(&o)
            o.prometheusUpstream = "http://127.0.0.1:\(port)"
        }
        do {
            return (h, try await PrometheusServer.start(scraping: h, port: port))
        } catch {
            await h.stop()
            throw error
        }
    }

    func smitop(_ h: SimHarness, _ args: [String]) async throws -> ProcessResult {
        try await runProcess(SmitopBinary.path, args + ["--kubeconfig", h.kubeconfig], env: ["HOME": h.dir], stdin: nil, timeout: 60)
    }

    /// `smitop metrics -o json` rows by "namespace/name" (→ peer for edges).
    func rows(_ r: ProcessResult) throws -> [String: JSON] {
        let j = try JSON.parse(r.stdout)
        var out: [String: JSON] = [:]
        for row in j.arrayValue ?? [] {
            var key = "\(row["namespace"]?.stringValue ?? "")/\(row["name"]?.stringValue ?? "")"
            if let peer = row[path: "edge", "peer", "name"]?.stringValue {
                key += " \(row[path: "edge", "direction"]?.stringValue ?? "") \(peer)"
            }
            out[key] = row
        }
        return out
    }

    /// Tolerances, stated: the simulator's counts carry ±5 % noise that the SMI API evaluates
    /// at one instant and the counters integrate over the window; Prometheus' increase()
    /// extrapolates to the window's ends; so rates agree within 20 %. Success rates agree
    /// within 3 points plus 1.5 requests' worth: the failure rate wobbles ±15 % of itself (±2
    /// points for the 87 % canary), read at one instant by the SMI API and integrated by the
    /// counters, and the proxies count whole requests (one is 2 points of the canary's ~50 in a
    /// 20 s window); a misclassified status would be off by 13 points. p50 comes from histogram
    /// buckets (Linkerd's bounds are 10 ms apart up to 50 ms, then 50 ms apart) with linear
    /// interpolation: within 35 %.
    static let rpsTolerance = 0.20
    static let window = 20.0
    static func successTolerance(rps: Double) -> Double { 0.03 + 1.5 / max(1, rps * window) }
    static let p50Tolerance = 0.35

    func compare(_ prom: [String: JSON], _ smi: [String: JSON], _ what: String) {
        var compared = 0
        for (key, s) in smi {
            guard let srps = s["rps"]?.doubleValue, srps >= 1 else { continue }
            guard let p = prom[key], let prps = p["rps"]?.doubleValue else {
                Issue.record("\(what): \(key) has \(srps) rps from SMI but no Prometheus row")
                continue
            }
            compared += 1
            #expect(abs(prps - srps) <= Self.rpsTolerance * srps, "\(what) \(key): rps prometheus \(prps) vs smi \(srps)")
            if let a = p["successRate"]?.doubleValue, let b = s["successRate"]?.doubleValue {
                #expect(
                    abs(a - b) <= Self.successTolerance(rps: srps),
                    "\(what) \(key): success prometheus \(a) vs smi \(b) (tolerance \(Self.successTolerance(rps: srps)))")
            } else {
                Issue.record("\(what) \(key): a success rate is missing")
            }
            if let a = p["p50Ms"]?.doubleValue, let b = s["p50Ms"]?.doubleValue {
                #expect(abs(a - b) <= Self.p50Tolerance * b, "\(what) \(key): p50 prometheus \(a) vs smi \(b)")
            } else {
                Issue.record("\(what) \(key): a p50 is missing")
            }
        }
        #expect(compared >= 5, "\(what): only \(compared) rows compared")
    }

    @Test("linkerd: service proxy and --prometheus-url agree with the SMI metrics API")
    func linkerdAgreesWithSMI() async throws {
        let (h, prom) = try await Self.start()
        defer { Task { await h.stop() } }
        try await prom.waitForScrapes(seconds: 20)
        // Through the API server's service proxy, Service found by discovery.
        let viaProxy = try await smitop(h, ["metrics", "-A", "--metrics", "linkerd", "--window", "20s", "-o", "json"])
        #expect(viaProxy.status == 0, "\(viaProxy.stderr)")
        #expect(viaProxy.stderr.contains("service proxy linkerd-viz/prometheus:9090"), "\(viaProxy.stderr)")
        let smi = try await smitop(h, ["metrics", "-A", "--metrics", "smi", "--window", "20s", "-o", "json"])
        #expect(smi.status == 0, "\(smi.stderr)")
        compare(try rows(viaProxy), try rows(smi), "service proxy")

        // At the URL, as after `kubectl port-forward`.
        let direct = try await smitop(h, ["metrics", "-A", "--prometheus-url", prom.url, "--window", "20s", "-o", "json"])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(direct.stderr.contains("linkerd prometheus via \(prom.url)"), "auto picks the flavor from the series: \(direct.stderr)")
        compare(try rows(direct), try rows(smi), "--prometheus-url")

        // Edges, from both ends of webapp, as the SMI API lists them.
        let edges = try await smitop(h, ["metrics", "-n", "bookstore", "--metrics", "linkerd", "--edges", "webapp", "--window", "20s", "-o", "json"])
        let smiEdges = try await smitop(h, ["metrics", "-n", "bookstore", "--metrics", "smi", "--edges", "webapp", "--window", "20s", "-o", "json"])
        // Say which command failed, rather than only that its empty output is not JSON.
        #expect(edges.status == 0, "linkerd --edges: \(edges.stderr)")
        #expect(smiEdges.status == 0, "smi --edges: \(smiEdges.stderr)")
        let pe = try rows(edges)
        let se = try rows(smiEdges)
        #expect(pe["bookstore/webapp to books-v1"] != nil && pe["bookstore/webapp from bookbuyer"] != nil, "\(pe.keys.sorted())")
        // Scoped to payments, the call from bookstore's webapp into it is still an edge.
        let payments = try await smitop(h, ["metrics", "-n", "payments", "--metrics", "linkerd", "--edges", "--window", "20s", "-o", "json"])
        #expect(payments.status == 0, "payments --edges: \(payments.stderr)")
        #expect(try rows(payments)["bookstore/webapp to payments-primary"] != nil, "\(payments.stdout)")
        for key in ["bookstore/webapp to books-v1", "bookstore/webapp to authors-v1"] {
            if let a = pe[key]?["rps"]?.doubleValue, let b = se[key]?["rps"]?.doubleValue {
                #expect(abs(a - b) <= Self.rpsTolerance * b, "edge \(key): \(a) vs \(b)")
            } else {
                Issue.record("edge \(key) missing: prometheus \(pe.keys.sorted()) smi \(se.keys.sorted())")
            }
        }
        await prom.stop()
    }

    @Test("istio: the same traffic through Istio's metrics agrees with the SMI metrics API")
    func istioAgreesWithSMI() async throws {
        let (h, prom) = try await Self.start { $0.prometheusStyle = .istio }
        defer { Task { await h.stop() } }
        try await prom.waitForScrapes(seconds: 20)
        let r = try await smitop(h, ["metrics", "-A", "--metrics", "istio", "--window", "20s", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("istio prometheus via service proxy istio-system/prometheus:9090"), "\(r.stderr)")
        let smi = try await smitop(h, ["metrics", "-A", "--metrics", "smi", "--window", "20s", "-o", "json"])
        compare(try rows(r), try rows(smi), "istio")
        await prom.stop()
    }

    @Test("query_range backfill, then a weight change shows in the observed shares from Prometheus")
    func weightChangeShows() async throws {
        let (h, prom) = try await Self.start()
        defer { Task { await h.stop() } }
        try await prom.waitForScrapes(seconds: 10)

        // History for the sparklines: the range queries cut into one poll per step.
        let client = KubeClient(
            server: URL(string: prom.url)!, credentials: StaticCredentials(.none), transport: CurlTransport(tls: TLSSettings()))
        let p = PrometheusClient(client: client, route: .direct(prom.url))
        let history = await p.backfill(
            MeshQueries(flavor: .linkerd, namespace: "bookstore", windowSeconds: 5), window: "5s", end: Date().timeIntervalSince1970,
            step: 2, points: 3)
        // 4 s of steps plus the 5 s window fit in the 10 s of scrapes waited for.
        #expect(history.count == 3, "one poll per step: \(history.map(\.at))")
        #expect(zip(history, history.dropFirst()).allSatisfy { $0.at < $1.at }, "oldest first")
        let last = try #require(history.last)
        let webapp = last.lists[0].items.first { $0.resource?.name == "webapp" }
        #expect((webapp?.requestsPerSecond ?? 0) > 10, "webapp's rate in the newest backfilled point")
        #expect(last.lists[1].items.contains { $0.resource?.name == "webapp" && $0.edge?.resource?.name == "books-v1" })
        func share() async throws -> Double? {
            let r = try await smitop(h, ["metrics", "-n", "bookstore", "--metrics", "linkerd", "--edges", "webapp", "--window", "10s", "-o", "json"])
            let e = try rows(r)
            guard let v1 = e["bookstore/webapp to books-v1"]?["rps"]?.doubleValue else { return nil }
            let v2 = e["bookstore/webapp to books-v2"]?["rps"]?.doubleValue ?? 0
            return v2 / (v1 + v2)
        }
        let before = try #require(try await share())
        #expect(before < 0.3, "books-v2's share before: \(before)")
        let patch = try await h.kubectl([
            "patch", "ts", "books", "-n", "bookstore", "--type=merge", "-p",
            #"{"spec":{"backends":[{"service":"books-v1","weight":20},{"service":"books-v2","weight":80}]}}"#,
        ])
        #expect(patch.status == 0, "\(patch.stderr)")
        // A full window after the change, the observed share is the new weight's.
        var after = before
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            try await Task.sleep(for: .seconds(2))
            if let s = try await share() {
                after = s
                if abs(s - 0.8) < 0.1 { break }
            }
        }
        #expect(abs(after - 0.8) < 0.1, "books-v2's observed share after the change: \(after) (before \(before))")
        // Linkerd's route metrics, the source of the split's observed share, agree. They are
        // other series over their own window, so they converge on their own: read until they
        // do (a fresh-clone run read 0.70 once, right after the edge share had converged).
        var routeShare = 0.0
        var rates: [String: Double] = [:]
        let routeDeadline = Date().addingTimeInterval(40)
        repeat {
            let poll = try await p.poll(MeshQueries(flavor: .linkerd, namespace: "bookstore", windowSeconds: 10), window: "10s")
            let backends = try #require(poll.lists.dropFirst(2).first, "a route-backend list").items.filter { $0.backend?.apex == "books" }
            rates = Dictionary(uniqueKeysWithValues: backends.map { ($0.backend!.name, $0.requestsPerSecond ?? 0) })
            routeShare = (rates["books-v2"] ?? 0) / ((rates["books-v1"] ?? 0) + (rates["books-v2"] ?? 0))
            if abs(routeShare - 0.8) < 0.1 { break }
            try await Task.sleep(for: .seconds(2))
        } while Date() < routeDeadline
        #expect(abs(routeShare - 0.8) < 0.1, "route-backend share of books-v2: \(routeShare) from \(rates)")
        await prom.stop()
    }

    @Test("403 from Linkerd viz's policy: smitop says why and what to run")
    func forbiddenExplains() async throws {
        let h = try await SimHarness.start { o in
            o.profile = .linkerd
            o.prometheusPolicyDenies = true
        }
        defer { Task { await h.stop() } }
        let r = try await smitop(h, ["metrics", "-A", "--metrics", "linkerd"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("403"), "\(r.stderr)")
        #expect(r.stderr.contains("prometheus-admin"), "\(r.stderr)")
        #expect(r.stderr.contains("kubectl -n linkerd-viz port-forward svc/prometheus 9090:9090"), "\(r.stderr)")
        #expect(r.stderr.contains("--prometheus-url http://127.0.0.1:9090"), "\(r.stderr)")

        // The config file's `metrics` key chooses the source when no flag does.
        let config = h.dir + "/config.yaml"
        try "metrics: linkerd\n".write(toFile: config, atomically: true, encoding: .utf8)
        let configured = try await runProcess(
            SmitopBinary.path, ["metrics", "-A", "--kubeconfig", h.kubeconfig], env: ["HOME": h.dir, "SMITOP_CONFIG": config], stdin: nil,
            timeout: 60)
        #expect(configured.status == 1 && configured.stderr.contains("prometheus-admin"), "\(configured.stderr)")
        let flag = try await runProcess(
            SmitopBinary.path, ["metrics", "-A", "--metrics", "smi", "--kubeconfig", h.kubeconfig],
            env: ["HOME": h.dir, "SMITOP_CONFIG": config], stdin: nil, timeout: 60)
        #expect(flag.status == 0, "--metrics overrides the config: \(flag.stderr)")

        // A user without services/proxy (bound like the view role) is told so before any query.
        let readonly = try await runProcess(
            SmitopBinary.path, ["metrics", "-A", "--metrics", "linkerd", "--kubeconfig", h.kubeconfig, "--context", "sim-readonly"],
            env: ["HOME": h.dir], stdin: nil, timeout: 60)
        #expect(readonly.status == 1)
        #expect(readonly.stderr.contains("you may not get services/proxy for linkerd-viz/prometheus"), "\(readonly.stderr)")
    }

    @Test("TUI in tmux: Prometheus numbers on the graph; Prometheus killed (stale) and back (live)")
    func tuiFollowsPrometheus() async throws {
        let (h, prom) = try await Self.start()
        defer { Task { await h.stop() } }
        try await prom.waitForScrapes(seconds: 5)
        let t = try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A --metrics linkerd 2>\(h.dir)/tui.err",
            columns: 170, rows: 45, env: ["HOME": h.dir])
        defer { t.killNow() }
        func numbers(_ s: String) -> Bool { s.range(of: #"[0-9]+(\.[0-9]+)? ?rps"#, options: .regularExpression) != nil }
        let live = try await t.waitFor("the graph with Prometheus-sourced edge numbers") {
            $0.contains("linkerd prometheus") && $0.contains("books-v1") && numbers($0) && !$0.contains("metrics stale")
        }
        #expect(live.contains("service proxy linkerd-viz/prometheus"))

        await prom.stop()
        let stale = try await t.waitFor("metrics marked stale, the cluster still live", timeout: 60) { $0.contains("metrics stale") }
        #expect(stale.contains("LIVE"), "a Prometheus that is down must not mark the cluster offline:\n\(stale)")

        let again = try await PrometheusServer.start(scraping: h, port: prom.port, dir: prom.dir)
        try await t.waitFor("metrics live again after the restart", timeout: 90) { !$0.contains("metrics stale") && numbers($0) }
        #expect(try await smitopPID(kubeconfig: h.kubeconfig) != nil, "smitop kept running")
        await again.stop()
    }

    @Test("TUI in tmux: the first sample already has history from query_range, even with polling paused")
    func backfillDrawnAtStart() async throws {
        let (h, prom) = try await Self.start()
        defer { Task { await h.stop() } }
        try await prom.waitForScrapes(seconds: 12)
        // --refresh 0 takes one live sample and stops: every further point of a sparkline can
        // only come from the history asked for at start.
        let t = try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A --metrics linkerd --refresh 0 2>\(h.dir)/tui.err",
            columns: 170, rows: 45, env: ["HOME": h.dir])
        defer { t.killNow() }
        try await t.waitFor("the graph with Prometheus numbers") {
            $0.contains("linkerd prometheus") && $0.range(of: #"[0-9]+(\.[0-9]+)? ?rps"#, options: .regularExpression) != nil
        }
        try await t.keys("/", "/", "w", "e", "b", "a", "p", "p", "$", "Enter", "Enter")
        let levels = Set("▁▂▃▄▅▆▇█")
        func longestSparkline(_ screen: String) -> Int {
            screen.split(separator: "\n").filter { $0.contains("rps") }.map { line in line.filter { levels.contains($0) }.count }.max() ?? 0
        }
        let detail = try await t.waitFor("a detail pane whose sparklines have history") { s in
            s.contains("bookstore/webapp") && longestSparkline(s) >= 3
        }
        #expect(longestSparkline(detail) >= 3, "one live sample and no history:\n\(detail)")
        #expect(detail.contains("(paused)"), "polling is paused, so the points are the backfill's")
        await prom.stop()
    }
}
