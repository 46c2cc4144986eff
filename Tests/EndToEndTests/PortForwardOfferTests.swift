import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

// Nested in the serialized Prometheus source suite, for the reason given beside
// `PortForwardTests`.
extension PrometheusSourceTests {
    /// smitop running `kubectl port-forward` for the user when Linkerd viz's Prometheus refuses
    /// the service proxy (issue 16): the real binary in tmux and headless, the image's kubectl,
    /// a real Prometheus behind the simulator's Prometheus pod. Every check of "no kubectl left"
    /// is by pid.
    @Suite("smitop runs kubectl port-forward to a Prometheus that refused it", .serialized)
    struct PortForwardOfferTests {
        /// PATH for smitop: the directory of the kubectl the tests use, then the system's. Given
        /// on the command (`env PATH=…`): tmux runs a login shell, whose profile sets PATH again.
        static var pathWithKubectl: String {
            (SimHarness.kubectlPath as NSString).deletingLastPathComponent + ":/usr/bin:/bin"
        }

        /// `kubectl … port-forward` processes whose command line names this kubeconfig.
        static func forwardPIDs(kubeconfig: String) -> [Int32] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { Int32($0) }.filter { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return args.contains("port-forward") && args.contains("--kubeconfig=" + kubeconfig)
            }
        }

        static func alive(_ pid: Int32) -> Bool {
            // A zombie has no cmdline left to read; a reaped process has no /proc entry at all.
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
            return !status.contains("State:\tZ")
        }

        static func waitGone(_ pid: Int32, timeout: Double = 15) async throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if !alive(pid) { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return !alive(pid)
        }

        static func numbers(_ s: String) -> Bool { s.range(of: #"[0-9]+(\.[0-9]+)? ?rps"#, options: .regularExpression) != nil }

        @Test("TUI in tmux: the 403 offer; n starts nothing; y forwards, numbers come through it; q leaves no kubectl")
        func offerInTUI() async throws {
            let (h, prom) = try await PortForwardTests.start()
            defer { Task { await h.stop() } }
            try await prom.waitForScrapes(seconds: 5)
            let t = try await TmuxSession(
                command: "/usr/bin/env PATH=\(Self.pathWithKubectl) \(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A --metrics linkerd 2>\(h.dir)/tui.err",
                columns: 200, rows: 45, env: ["HOME": h.dir])
            defer { t.killNow() }
            let offer = try await t.waitFor("the port-forward offer after the 403") {
                $0.contains("Run `kubectl -n linkerd-viz port-forward svc/prometheus :9090`") && $0.contains("y: start it")
            }
            #expect(offer.contains("y start it") && offer.contains("n not now"), "the footer lists the keys:\n\(offer)")

            try await t.keys("n")
            // The prompt goes (the message saying so may be replaced at once by the next poll's).
            try await t.waitFor("the offer declined") { !$0.contains("y: start it") }
            try await Task.sleep(for: .seconds(2))
            #expect(Self.forwardPIDs(kubeconfig: h.kubeconfig).isEmpty, "n must start nothing")

            try await t.keys("F")
            try await t.waitFor("the offer again") { $0.contains("y: start it") }
            try await t.keys("y")
            let live = try await t.waitFor("numbers read through the forward, the header naming it", timeout: 120) {
                $0.contains("via http://127.0.0.1:") && $0.contains("(kubectl port-forward)") && Self.numbers($0) && !$0.contains("metrics stale")
            }
            #expect(live.contains("linkerd prometheus"), "\(live)")
            let pids = Self.forwardPIDs(kubeconfig: h.kubeconfig)
            #expect(pids.count == 1, "one kubectl port-forward: \(pids)")
            let smitop = try #require(try await smitopPID(kubeconfig: h.kubeconfig))
            for pid in pids {
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
                let ppid = stat.split(separator: ")").last?.split(separator: " ").dropFirst(1).first.flatMap { Int32($0) }
                #expect(ppid == smitop, "kubectl is smitop's own child: \(stat)")
            }

            // kubectl ending by itself (here: killed) is said, and F starts another.
            for pid in pids { kill(pid, SIGKILL) }
            try await t.waitFor("the end of kubectl said in the header", timeout: 90) {
                $0.contains("(kubectl port-forward ended; F starts it again)")
            }
            try await t.keys("F")
            try await t.waitFor("the offer again") { $0.contains("y: start it") }
            try await t.keys("y")
            try await t.waitFor("numbers through a new forward", timeout: 120) {
                $0.contains("(kubectl port-forward)") && Self.numbers($0) && !$0.contains("metrics stale")
            }
            let again = Self.forwardPIDs(kubeconfig: h.kubeconfig).filter { Self.alive($0) }
            #expect(again.count == 1 && Set(again).isDisjoint(with: pids), "a new kubectl: \(again) after \(pids)")

            try await t.keys("q")
            for pid in again { #expect(try await Self.waitGone(pid), "kubectl port-forward \(pid) outlived smitop") }
            #expect(try await Self.waitGone(smitop))
            await prom.stop()
        }

        @Test("TUI: kubectl not on PATH is said, nothing started")
        func noKubectl() async throws {
            let h = try await SimHarness.start { o in
                o.profile = .linkerd
                o.prometheusPolicyDenies = true
            }
            defer { Task { await h.stop() } }
            let t = try await TmuxSession(
                // Set on the command itself: tmux runs a login shell, whose profile sets PATH again.
                command: "/usr/bin/env PATH=\(h.dir)/empty-bin \(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A --metrics linkerd 2>\(h.dir)/tui.err",
                columns: 200, rows: 45, env: ["HOME": h.dir])
            defer { t.killNow() }
            try await t.waitFor("the offer") { $0.contains("y: start it") }
            try await t.keys("y")
            try await t.waitFor("kubectl is missing, said so") { $0.contains("kubectl is not on PATH") }
            #expect(Self.forwardPIDs(kubeconfig: h.kubeconfig).isEmpty)
        }

        @Test("TUI: SIGTERM and SIGKILL of smitop take its kubectl with it")
        func childDiesWithSmitop() async throws {
            let (h, prom) = try await PortForwardTests.start()
            defer { Task { await h.stop() } }
            for signal in [SIGTERM, SIGKILL] {
                let t = try await TmuxSession(
                    command:
                        "/usr/bin/env PATH=\(Self.pathWithKubectl) \(SmitopBinary.path) --kubeconfig \(h.kubeconfig) -A --metrics linkerd 2>\(h.dir)/tui.err",
                    columns: 200, rows: 45, env: ["HOME": h.dir])
                defer { t.killNow() }
                try await t.waitFor("the offer") { $0.contains("y: start it") }
                try await t.keys("y")
                try await t.waitFor("the forward running", timeout: 60) { $0.contains("(kubectl port-forward)") }
                let pids = Self.forwardPIDs(kubeconfig: h.kubeconfig)
                #expect(!pids.isEmpty)
                let smitop = try #require(try await smitopPID(kubeconfig: h.kubeconfig))
                kill(smitop, signal)
                #expect(try await Self.waitGone(smitop), "smitop ended on signal \(signal)")
                for pid in pids { #expect(try await Self.waitGone(pid), "kubectl \(pid) outlived smitop killed by signal \(signal)") }
            }
            await prom.stop()
        }

        @Test("metrics --port-forward: numbers through kubectl port-forward, which is gone when the command ends")
        func headlessFlag() async throws {
            let (h, prom) = try await PortForwardTests.start()
            defer { Task { await h.stop() } }
            try await prom.waitForScrapes(seconds: 5)
            // Without the flag the 403 and its advice, as before.
            let refused = try await runProcess(
                SmitopBinary.path, ["metrics", "-A", "--metrics", "linkerd", "--kubeconfig", h.kubeconfig], env: ["HOME": h.dir], stdin: nil,
                timeout: 60)
            #expect(refused.status == 1 && refused.stderr.contains("403"), "\(refused.stderr)")

            let r = try await runProcess(
                SmitopBinary.path, ["metrics", "-A", "--metrics", "linkerd", "--port-forward", "-o", "json", "--kubeconfig", h.kubeconfig],
                env: ["HOME": h.dir, "PATH": Self.pathWithKubectl], stdin: nil, timeout: 90)
            #expect(r.status == 0, "\(r.stderr)")
            let line = r.stderr.split(separator: "\n").first { $0.contains("kubectl port-forward (pid ") }
            let pid = try #require(line.flatMap { l in l.range(of: "(pid ").flatMap { Int32(l[$0.upperBound...].prefix { $0.isNumber }) } }, "\(r.stderr)")
            #expect(r.stderr.contains("to linkerd-viz/svc/prometheus:9090"), "\(r.stderr)")
            #expect(r.stderr.contains("metrics from linkerd prometheus via http://127.0.0.1:"), "\(r.stderr)")
            let rows = try JSON.parse(r.stdout).arrayValue ?? []
            let rps = rows.compactMap { $0["rps"]?.doubleValue }.filter { $0 > 0 }
            #expect(!rps.isEmpty, "traffic read through the forward: \(r.stdout.prefix(400))")
            #expect(try await Self.waitGone(pid, timeout: 5), "kubectl \(pid) outlived smitop metrics")

            let conflict = try await runProcess(
                SmitopBinary.path,
                ["metrics", "-A", "--port-forward", "--prometheus-url", "http://127.0.0.1:1", "--kubeconfig", h.kubeconfig],
                env: ["HOME": h.dir, "PATH": Self.pathWithKubectl], stdin: nil, timeout: 60)
            #expect(conflict.status == 2 && conflict.stderr.contains("--port-forward and --prometheus-url"), "\(conflict.stderr)")

            let graph = try await runProcess(
                SmitopBinary.path, ["graph", "-A", "--metrics", "linkerd", "--port-forward", "--kubeconfig", h.kubeconfig],
                env: ["HOME": h.dir, "PATH": Self.pathWithKubectl], stdin: nil, timeout: 90)
            #expect(graph.status == 0 && !graph.stderr.contains("metrics unavailable"), "\(graph.stderr)")
            #expect(graph.stdout.contains("\"rps\""), "graph edges carry observed rps: \(graph.stdout.prefix(300))")
            await prom.stop()
        }
    }
}
