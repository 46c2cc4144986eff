import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// `smitop split ramp` against the simulator: the real binary, real metrics from the traffic
/// model, kubectl as the judge of what the cluster holds, and the audit log on disk.
@Suite("split ramp against smitop sim", .serialized)
struct RampCLITests {
    /// Short waits: each step is judged over 2 s windows, polled every 0.5 s.
    static let fast = ["--wait", "2s", "--window", "2s", "--interval", "0.5"]

    func smitop(_ h: SimHarness, _ args: [String], stdin: String? = nil, timeout: Double = 90) async throws -> ProcessResult {
        try await runProcess(
            SmitopBinary.path, args + ["--kubeconfig", h.kubeconfig], env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"], stdin: stdin,
            timeout: timeout)
    }

    /// [backend: weight] of a TrafficSplit, as kubectl reads it.
    func splitWeights(_ h: SimHarness, _ name: String) async throws -> [String: Int64] {
        let r = try await h.kubectl(["get", "trafficsplits.split.smi-spec.io", name, "-n", "bookstore", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        var out: [String: Int64] = [:]
        for b in try JSON.parse(r.stdout)[path: "spec", "backends"]?.arrayValue ?? [] {
            out[b["service"]?.stringValue ?? ""] = b["weight"]?.intValue ?? -1
        }
        return out
    }

    /// The audit log's lines (ramps.log), each a JSON object.
    func auditLog(_ h: SimHarness) throws -> [JSON] {
        let path = h.dir + "/state/smitop/ramps.log"
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600, "ramps.log must be private (0600)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSON.parse(String($0)) }
    }

    @Test("an auto ramp that passes every gate ends at the target with exit 0, kubectl and the audit log agreeing")
    func autoCompletes() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let r = try await smitop(
            h,
            [
                "split", "ramp", "-n", "bookstore", "authors", "--to", "authors-canary", "--steps", "20,50", "--auto", "--min-success", "90",
                "--max-p99", "500ms", "--min-requests", "5",
            ] + Self.fast)
        #expect(r.status == 0, "stdout:\n\(r.stdout)\nstderr:\n\(r.stderr)")
        #expect(r.stdout.contains("step 1 of 2: authors-canary to 20%") && r.stdout.contains("step 2 of 2: authors-canary to 50%"), "\(r.stdout)")
        #expect(r.stdout.contains("✓ success rate") && r.stdout.contains("✓ p99 latency"), "\(r.stdout)")
        #expect(try await splitWeights(h, "authors") == ["authors-v1": 50, "authors-canary": 50])
        let events = try auditLog(h).map { $0["event"]?.stringValue ?? "" }
        #expect(events.first == "begin" && events.last == "completed", "\(events)")
        #expect(events.filter { $0 == "passed" }.count == 1 && events.filter { $0 == "written" }.count == 2, "\(events)")
        // The decision to take step 2 carries the gate values that justified it.
        let passed = try #require(try auditLog(h).first { $0["event"] == "passed" })
        #expect(passed["gates"]?.arrayValue?.allSatisfy { $0["verdict"] == "pass" && $0["value"]?.doubleValue != nil } == true, "\(passed)")
    }

    /// docs/ramps.md: suspend the controller, then ramp. On the Flagger-owned payments split a
    /// ramp stops at once and writes nothing; with --suspend-canary the Canary is suspended
    /// first (kubectl sees it) and the ramp runs to its target beside the held Canary.
    @Test("a Flagger-owned split ramps only with its Canary suspended first (--suspend-canary)")
    func suspendCanaryThenRamp() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        func state() async throws -> (suspend: String, weights: String) {
            let c = try await h.kubectl(["get", "canaries.flagger.app", "payments", "-n", "payments", "-o", "jsonpath={.spec.suspend}"])
            let w = try await h.kubectl(["get", "trafficsplits.split.smi-spec.io", "payments", "-n", "payments", "-o", "jsonpath={.spec.backends[*].weight}"])
            return (c.stdout, w.stdout)
        }
        let args = [
            "split", "ramp", "-n", "payments", "trafficsplit/payments", "--to", "payments-canary", "--steps", "50", "--auto", "--min-success", "50",
            "--max-p99", "5s", "--min-requests", "1",
        ]
        let refused = try await smitop(h, args + Self.fast)
        #expect(refused.status != 0, "stdout:\n\(refused.stdout)")
        #expect((refused.stdout + refused.stderr).contains("flagger"), "\(refused.stdout)\n\(refused.stderr)")
        var now = try await state()
        #expect(now.suspend == "false" && now.weights == "80 20", "\(now)")

        let r = try await smitop(h, args + ["--suspend-canary"] + Self.fast)
        #expect(r.status == 0, "stdout:\n\(r.stdout)\nstderr:\n\(r.stderr)")
        #expect(r.stderr.contains("suspended Canary payments/payments"), "\(r.stderr)")
        now = try await state()
        #expect(now.suspend == "true" && now.weights == "50 50", "\(now)")
    }

    @Test("an auto ramp that hits the degrading canary rolls back to the pre-ramp weights with exit 4")
    func autoRollsBack() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        // The simulator's books-v2 serves about 87 % success up to 30 % of the traffic and
        // about 61 % above: the 85 % gate holds at 10 and 25 % and fails at 50 %.
        let r = try await smitop(
            h,
            [
                "split", "ramp", "-n", "bookstore", "trafficsplit/books", "--to", "books-v2", "--steps", "10,25,50,100", "--auto", "--min-success", "85",
                "--max-p99", "400ms", "--min-requests", "5", "-o", "json",
            ] + Self.fast)
        #expect(r.status == 4, "stdout:\n\(r.stdout)\nstderr:\n\(r.stderr)")
        let lines = try r.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
        let failed = try #require(lines.first { $0["event"] == "failed" }, "\(r.stdout)")
        let success = try #require(failed["gates"]?.arrayValue?.first { $0["gate"] == "success" })
        #expect(success["verdict"] == "fail" && (success["value"]?.doubleValue ?? 100) < 85 && success["threshold"]?.doubleValue == 85)
        #expect(failed["step"] == 3, "steps 1 and 2 passed: \(failed)")
        #expect(lines.filter { $0["event"] == "passed" }.count == 2)
        #expect(lines.contains { $0["event"] == "rolled-back" })
        #expect(try await splitWeights(h, "books") == ["books-v1": 90, "books-v2": 10])
    }

    @Test("a concurrent kubectl change stops the ramp with exit 3 and is never overwritten")
    func concurrentChange() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        async let ramp = smitop(
            h,
            [
                "split", "ramp", "-n", "bookstore", "authors", "--to", "authors-canary", "--steps", "20,100", "--auto", "--wait", "5m",
                "--window", "2s", "--interval", "0.5",
            ])
        // Once the ramp's first step is on the server, someone else writes.
        var sawStep = false
        for _ in 0..<120 where !sawStep {
            sawStep = try await splitWeights(h, "authors")["authors-canary"] == 20
            if !sawStep { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(sawStep, "the ramp never wrote its first step")
        let patch = try await h.kubectl([
            "patch", "trafficsplits.split.smi-spec.io", "authors", "-n", "bookstore", "--type", "merge", "-p",
            #"{"spec":{"backends":[{"service":"authors-v1","weight":60},{"service":"authors-canary","weight":40}]}}"#,
        ])
        #expect(patch.status == 0, "\(patch.stderr)")
        let r = try await ramp
        #expect(r.status == 3, "stdout:\n\(r.stdout)\nstderr:\n\(r.stderr)")
        #expect(r.stdout.contains("the split changed on the server") && r.stdout.contains("kubectl"), "\(r.stdout)")
        #expect(try await splitWeights(h, "authors") == ["authors-v1": 60, "authors-canary": 40])
    }

    @Test("a manual ramp asks before every step: 'n' writes nothing, 'y' answers take it to the end")
    func manual() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let no = try await smitop(h, ["split", "ramp", "-n", "bookstore", "authors", "--to", "authors-canary", "--steps", "50"] + Self.fast, stdin: "n\n")
        #expect(no.status == 1 && no.stdout.contains("nothing written") && no.stderr.contains("write step 1 (50%)? [y/N]"), "\(no.stdout)\(no.stderr)")
        #expect(try await splitWeights(h, "authors") == ["authors-v1": 100, "authors-canary": 0])
        let yes = try await smitop(
            h,
            [
                "split", "ramp", "-n", "bookstore", "authors", "--to", "authors-canary", "--steps", "25,50", "--min-success", "90", "--max-p99",
                "500ms", "--min-requests", "5",
            ] + Self.fast, stdin: "y\ny\n")
        #expect(yes.status == 0, "stdout:\n\(yes.stdout)\nstderr:\n\(yes.stderr)")
        #expect(yes.stderr.contains("step 2 (50%)? [y]es / [r]oll back / [q]uit"), "\(yes.stderr)")
        #expect(yes.stdout.contains("every gate held for the whole wait: step 2 (50%) proposed"), "\(yes.stdout)")
        #expect(try await splitWeights(h, "authors") == ["authors-v1": 50, "authors-canary": 50])
    }

    @Test("a route rule ramps through the mesh's acceptance of each generation")
    func routeRule() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        // Both step writes meet a status write of the mesh between the ramp's read and its
        // write: same spec, so each step is computed again on the new version, not stopped.
        #expect(try await h.adminFaults(#"{"statusRaces": 2}"#).status == 0)
        let r = try await smitop(
            h,
            [
                "split", "ramp", "httproute/bookstore/books", "--rule", "1", "--to", "books-v2", "--steps", "50,100", "--auto", "--min-success", "50",
                "--max-p99", "5s", "--min-requests", "5",
            ] + Self.fast)
        #expect(r.status == 0, "stdout:\n\(r.stdout)\nstderr:\n\(r.stderr)")
        #expect(r.stdout.components(separatedBy: "the mesh accepted the new weights").count == 3, "\(r.stdout)")
        let j = try JSON.parse(
            try await h.kubectl(["get", "httproutes.gateway.networking.k8s.io", "books", "-n", "bookstore", "-o", "json"]).stdout)
        let rules = j[path: "spec", "rules"]?.arrayValue ?? []
        #expect(rules.count == 2)
        #expect(rules.last?["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [0, 100], "\(rules)")
        // The header rule is untouched.
        #expect(rules.first?["backendRefs"]?.arrayValue?.count == 1)
        let faults = try await runProcess("/usr/bin/curl", ["-sk", h.endpoint.url + "/sim/admin/faults"], env: [:], stdin: nil, timeout: 30)
        #expect(try JSON.parse(faults.stdout)["statusRaces"]?.intValue == 0, "the mesh's status writes did not happen: \(faults.stdout)")
    }

    @Test(
        "bad plans are refused before anything is written (exit 2)",
        arguments: [
            (["--to", "authors-canary", "--steps", "50,20"], "steps must rise"),
            (["--to", "nope", "--steps", "50"], "is not a backend"),
            (["--to", "authors-canary", "--steps", "50", "--wait", "forever"], "--wait"),
            (["--to", "authors-canary", "--steps", "50", "--max-p99", "fast"], "--max-p99"),
            (["--to", "authors-canary", "--step-size", "0.01"], "more than 100 steps"),
        ])
    func refused(_ args: [String], _ message: String) async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let r = try await smitop(h, ["split", "ramp", "-n", "bookstore", "authors", "--auto"] + args)
        #expect(r.status == 2 || (r.status == 64 && message.hasPrefix("--")), "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(try await splitWeights(h, "authors") == ["authors-v1": 100, "authors-canary": 0])
    }
}

/// Ctrl-C in a terminal: `split ramp` pauses and asks whether to roll back, instead of dying
/// with the canary half-ramped.
@Suite("split ramp and Ctrl-C, in tmux", .serialized)
struct RampInterruptTests {
    func start(_ h: SimHarness) async throws -> TmuxSession {
        try await TmuxSession(
            command:
                "\(SmitopBinary.path) split ramp -n bookstore authors --to authors-canary --steps 20,100 --wait 5m --window 2s --interval 0.5 --auto --kubeconfig \(h.kubeconfig); echo EXIT=$?",
            columns: 160, rows: 45, env: ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"])
    }

    func weights(_ h: SimHarness) async throws -> [Int64] {
        let r = try await h.kubectl(["get", "trafficsplits.split.smi-spec.io", "authors", "-n", "bookstore", "-o", "json"])
        return try JSON.parse(r.stdout)[path: "spec", "backends"]?.arrayValue?.map { $0["weight"]?.intValue ?? -1 } ?? []
    }

    @Test("Ctrl-C, then y: the ramp rolls back and exits 4")
    func interruptAndRollBack() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h)
        defer { t.killNow() }
        try await t.waitFor("step 1 written") { $0.contains("step 1 written") }
        try await t.keys("C-c")
        try await t.waitFor("the question") { $0.contains("interrupted. Roll back to the weights before the ramp? [y/N]") }
        #expect(try await weights(h) == [80, 20], "nothing is written while it asks")
        try await t.keys("y", "Enter")
        let done = try await t.waitFor("the exit status") { $0.contains("EXIT=") }
        #expect(done.contains("EXIT=4") && done.contains("the weights before the ramp are back"), "\(done)")
        #expect(try await weights(h) == [100, 0])
    }

    @Test("Ctrl-C, then Enter: the weights stay, exit 130")
    func interruptAndLeave() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h)
        defer { t.killNow() }
        try await t.waitFor("step 1 written") { $0.contains("step 1 written") }
        try await t.keys("C-c")
        try await t.waitFor("the question") { $0.contains("Roll back to the weights before the ramp? [y/N]") }
        try await t.keys("Enter")
        let done = try await t.waitFor("the exit status") { $0.contains("EXIT=") }
        #expect(done.contains("EXIT=130") && done.contains("nothing rolled back"), "\(done)")
        #expect(try await weights(h) == [80, 20])
    }
}
