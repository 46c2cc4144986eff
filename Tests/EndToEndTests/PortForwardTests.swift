import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

// Nested in the Prometheus source suite, which is serialized: each real Prometheus scrapes
// the in-process simulators every second, and more of them at once than that suite runs
// starved every simulator of the test process on a loaded 2-core machine.
extension PrometheusSourceTests {
    /// `kubectl port-forward` (the image's real kubectl, v1.32) against the simulator: kubectl
    /// resolves the Service to its pod, asks for the upgrade (the WebSocket tunnel, or SPDY/3.1), and
    /// the bytes curl sends to the local port reach the real Prometheus behind the simulated
    /// Prometheus pod, and come back.
    @Suite("kubectl port-forward against the simulator", .serialized)
    struct PortForwardTests {
        /// The simulator alone, its Prometheus upstream on a port nothing listens on yet: for the
        /// tests that never reach Prometheus (each real one scrapes the simulator every second,
        /// which a loaded machine feels).
        static func simulator(upstreamPort: Int? = nil) async throws -> SimHarness {
            let port = try upstreamPort ?? freeLoopbackPort()
            return try await SimHarness.start { o in
                o.profile = .linkerd
                o.prometheusUpstream = "http://127.0.0.1:\(port)"
                // Linkerd viz's policy refuses the service proxy; a port-forward is not affected.
                o.prometheusPolicyDenies = true
            }
        }

        static func start() async throws -> (SimHarness, PrometheusServer) {
            let port = try freeLoopbackPort()
            let h = try await simulator(upstreamPort: port)
            do {
                return (h, try await PrometheusServer.start(scraping: h, port: port))
            } catch {
                await h.stop()
                throw error
            }
        }

        /// kubectl port-forward left running, with the local port it printed.
        static func forward(
            _ h: SimHarness, _ args: [String], context: String? = nil, env: [String: String] = [:]
        ) async throws -> (
            BackgroundProcess, Int?
        ) {
            var full = ["port-forward", "--address", "127.0.0.1", "--cache-dir", h.dir + "/kcache"] + args
            if let context { full += ["--context", context] }
            var environment = ["KUBECONFIG": h.kubeconfig, "HOME": h.dir]
            for (k, v) in env { environment[k] = v }
            let p = try BackgroundProcess(SimHarness.kubectlPath, full, env: environment)
            _ = try await p.waitForOutput(timeout: 30) { $0.contains("Forwarding from 127.0.0.1:") }
            let port = p.stdout.split(separator: "\n").lazy.compactMap { line -> Int? in
                guard let r = line.range(of: "Forwarding from 127.0.0.1:") else { return nil }
                return Int(line[r.upperBound...].prefix { $0.isNumber })
            }.first
            return (p, port)
        }

        static func curl(_ url: String) async throws -> ProcessResult {
            try await runProcess("/usr/bin/curl", ["-s", "--max-time", "15", url], env: [:], stdin: nil, timeout: 30)
        }

        @Test("svc/prometheus :9090: curl through kubectl's WebSocket tunnel gets Prometheus' answer, twice")
        func serviceForwardReachesPrometheus() async throws {
            let (h, prom) = try await Self.start()
            defer { Task { await h.stop() } }
            let (pf, port) = try await Self.forward(h, ["-n", "linkerd-viz", "svc/prometheus", ":9090"])
            defer { pf.stop() }
            let local = try #require(port, "kubectl printed no local port: \(pf.stdout) \(pf.stderr)")

            // The same query straight at Prometheus and through the forward: the same series.
            let direct = try await prom.query("up")
            #expect(!direct.isEmpty)
            let first = try await Self.curl("http://127.0.0.1:\(local)/api/v1/query?query=count(up)")
            let j = try JSON.parse(first.stdout)
            #expect(j["status"]?.stringValue == "success", "\(first.stdout)")
            let count = j[path: "data", "result"]?.arrayValue?.first?["value"]?.arrayValue?.last?.stringValue.flatMap(Double.init)
            #expect(count == Double(direct.count), "count(up) through the forward: \(first.stdout)")

            // A second connection through the same forward (kubectl opens a new stream pair).
            let second = try await Self.curl("http://127.0.0.1:\(local)/api/v1/status/buildinfo")
            #expect(try JSON.parse(second.stdout)[path: "data", "version"]?.stringValue?.isEmpty == false, "\(second.stdout)")
            #expect(pf.stdout.components(separatedBy: "Handling connection for \(local)").count - 1 == 2, "\(pf.stdout)")
            #expect(pf.isRunning, "the forward stays up: \(pf.stderr)")
            #expect(h.sim.portForwardUpgrades.withLock { $0 } == ["websocket": 1], "kubectl 1.32 tunnels SPDY in WebSocket")
            await prom.stop()
        }

        @Test("pod/NAME 9090:9090 and SPDY forced: the pod's port reaches Prometheus")
        func podForwardWithSPDY() async throws {
            let (h, prom) = try await Self.start()
            defer { Task { await h.stop() } }
            let pods = try await h.kubectl(["get", "pods", "-n", "linkerd-viz", "-l", "component=prometheus", "-o", "name"])
            let pod = try #require(pods.stdout.split(separator: "\n").first.map(String.init), "\(pods.stderr)")
            let free = try freeLoopbackPort()
            let (pf, port) = try await Self.forward(
                h, ["-n", "linkerd-viz", pod, "\(free):9090"], env: ["KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"])
            defer { pf.stop() }
            #expect(port == free, "\(pf.stdout) \(pf.stderr)")
            let r = try await Self.curl("http://127.0.0.1:\(free)/api/v1/query?query=vector(42)")
            #expect(try JSON.parse(r.stdout)[path: "data", "result"]?.arrayValue?.first?["value"]?.arrayValue?.last?.stringValue == "42", "\(r.stdout)")
            #expect(h.sim.portForwardUpgrades.withLock { $0 } == ["spdy": 1], "plain SPDY/3.1 when WebSockets are turned off")
            await prom.stop()
        }

        @Test("a port nothing listens on: kubectl reports the kubelet's connection refused and ends")
        func refusedPort() async throws {
            let h = try await Self.simulator()
            defer { Task { await h.stop() } }
            let pods = try await h.kubectl(["get", "pods", "-n", "linkerd-viz", "-l", "component=prometheus", "-o", "name"])
            let pod = try #require(pods.stdout.split(separator: "\n").first.map(String.init), "\(pods.stderr)")
            let (pf, port) = try await Self.forward(h, ["-n", "linkerd-viz", pod, ":9091"])
            defer { pf.stop() }
            let local = try #require(port, "\(pf.stdout) \(pf.stderr)")
            let r = try await Self.curl("http://127.0.0.1:\(local)/")
            #expect(r.stdout.isEmpty, "nothing comes back from a refused port: \(r.stdout)")
            _ = try await pf.waitForExit(timeout: 20)
            #expect(pf.stderr.contains("an error occurred forwarding \(local) -> 9091"), "\(pf.stderr)")
            #expect(pf.stderr.contains("connect: connection refused"), "\(pf.stderr)")
        }

        @Test("RBAC: the read-only user may not create pods/portforward")
        func readOnlyRefused() async throws {
            let h = try await Self.simulator()
            defer { Task { await h.stop() } }
            let (pf, _) = try await Self.forward(h, ["-n", "linkerd-viz", "svc/prometheus", ":9090"], context: "sim-readonly")
            defer { pf.stop() }
            _ = try await pf.waitForExit(timeout: 30)
            #expect(!pf.isRunning)
            #expect(pf.stderr.contains("cannot create resource \"pods/portforward\""), "\(pf.stderr)")
            let auth = try await h.kubectl(["auth", "can-i", "create", "pods/portforward", "-n", "linkerd-viz", "--context", "sim-readonly"])
            #expect(auth.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(auth.stdout) \(auth.stderr)")
        }
    }
}
