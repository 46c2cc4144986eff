import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// Guarded ramps in the TUI, in tmux against the real binary and the simulator's traffic
/// model: plan by keys, watch the gates, step, roll back; kubectl judges what the cluster holds.
@Suite("guarded ramps in the TUI, in tmux", .serialized)
struct RampTUITests {
    /// Short steps: 2 s windows and waits, polled every second.
    func config(_ h: SimHarness, steps: String, wait: String = "2s", minSuccess: Double = 90, maxP99: String = "2s") throws -> String {
        let path = h.dir + "/config.yaml"
        try """
        metricsWindow: 2s
        ramp:
          steps: "\(steps)"
          wait: \(wait)
          minSuccess: \(minSuccess)
          maxP99: \(maxP99)
          minRequests: 5

        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start(_ h: SimHarness, config: String, scope: String = "-n bookstore") async throws -> TmuxSession {
        try await TmuxSession(
            command: "\(SmitopBinary.path) --kubeconfig \(h.kubeconfig) \(scope) --refresh 1 2>>\(h.dir)/tui.err", columns: 140, rows: 45,
            env: ["HOME": h.dir, "SMITOP_CONFIG": config, "XDG_STATE_HOME": h.dir + "/state"])
    }

    func weights(_ h: SimHarness, _ name: String) async throws -> [Int64] {
        let r = try await h.kubectl(["get", "trafficsplits.split.smi-spec.io", name, "-n", "bookstore", "-o", "json"])
        return try JSON.parse(r.stdout)[path: "spec", "backends"]?.arrayValue?.map { $0["weight"]?.intValue ?? -1 } ?? []
    }

    func resourceVersion(_ h: SimHarness, _ name: String) async throws -> String {
        let r = try await h.kubectl(["get", "trafficsplits.split.smi-spec.io", name, "-n", "bookstore", "-o", "jsonpath={.metadata.resourceVersion}"])
        return r.stdout
    }

    /// The splits table filtered to one split, its row selected.
    func selectSplit(_ t: TmuxSession, _ filter: String, row: String) async throws {
        try await t.waitFor("the live view") { $0.contains("LIVE") }
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the splits table") { $0.contains(row) }
        try await t.keys("/")
        for c in filter { try await t.keys(String(c)) }
        try await t.keys("Enter")
    }

    @Test("a manual ramp to 100 %: each step proposed when its gates held, taken with n; kubectl and the audit log agree")
    func manualToTheEnd() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let t = try await start(h, config: try config(h, steps: "50,100"))
        defer { t.killNow() }
        try await selectSplit(t, "authors", row: "authors")
        try await t.keys("R")
        let form = try await t.waitFor("the plan form") { $0.contains("plan a guarded ramp: bookstore/authors") }
        #expect(form.contains("◂ authors-canary ▸") && form.contains("50,100") && form.contains("◂ manual ▸"), "\(form)")
        try await t.keys("Enter")
        try await t.waitFor("the review") { $0.contains("start the ramp?") && $0.contains("y writes step 1 (50%)") }
        try await t.keys("y")
        let proposed = try await t.waitFor("step 2 proposed once the gates held") { $0.contains("every gate held: n takes step 2 (100%)") }
        #expect(proposed.contains("success rate") && proposed.contains("≥ 90.00%") && proposed.contains("✓"), "\(proposed)")
        #expect(try await weights(h, "authors") == [50, 50])
        try await t.keys("n")
        try await t.waitFor("the ramp completed") { $0.contains("completed: authors-canary at 100%") }
        #expect(try await weights(h, "authors") == [0, 100])
        let log = try String(contentsOfFile: h.dir + "/state/smitop/ramps.log", encoding: .utf8)
        let events = try log.split(separator: "\n").map { try JSON.parse(String($0))["event"]?.stringValue ?? "" }
        #expect(events.first == "begin" && events.contains("proposed") && events.last == "completed", "\(events)")
    }

    /// What a test ramps: a TrafficSplit (sdk profile) or rule 1 of the books HTTPRoute
    /// (istio: no TrafficSplits there, so the simulated traffic follows the route), through
    /// the same keys.
    enum Target: String, CaseIterable, CustomTestStringConvertible {
        case trafficSplit, routeRule
        var testDescription: String { rawValue }
        var profile: SimProfile { self == .trafficSplit ? .default : .istio }
        /// The filter and the row it leaves in the splits table.
        func filter(_ name: String) -> (String, String) { self == .trafficSplit ? ("^\(name)$", name) : ("\(name)#1", "\(name) HTTPRoute#1") }
        func formTitle(_ name: String) -> String { self == .trafficSplit ? "bookstore/\(name)" : "httproute/bookstore/\(name)#1" }

        func weights(_ h: SimHarness, _ name: String) async throws -> [Int64] {
            if self == .trafficSplit {
                let r = try await h.kubectl(["get", "trafficsplits.split.smi-spec.io", name, "-n", "bookstore", "-o", "json"])
                return try JSON.parse(r.stdout)[path: "spec", "backends"]?.arrayValue?.map { $0["weight"]?.intValue ?? -1 } ?? []
            }
            let r = try await h.kubectl(["get", "httproute", name, "-n", "bookstore", "-o", "json"])
            let rules = try JSON.parse(r.stdout)[path: "spec", "rules"]?.arrayValue ?? []
            return rules.count > 1 ? rules[1]["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue ?? -1 } ?? [] : []
        }

        /// What changes only when the weights are written (a route's status writes change its
        /// resourceVersion, never its generation).
        func writeMark(_ h: SimHarness, _ name: String) async throws -> String {
            let resource = self == .trafficSplit ? "trafficsplits.split.smi-spec.io" : "httproute"
            let field = self == .trafficSplit ? "{.metadata.resourceVersion}" : "{.metadata.generation}"
            return try await h.kubectl(["get", resource, name, "-n", "bookstore", "-o", "jsonpath=\(field)"]).stdout
        }

        /// Someone else sets the canary's weights to 60/40.
        func patchElsewhere(_ h: SimHarness, _ name: String, stable: String, canary: String) async throws -> ProcessResult {
            if self == .trafficSplit {
                return try await h.kubectl([
                    "patch", "trafficsplits.split.smi-spec.io", name, "-n", "bookstore", "--type", "merge", "-p",
                    #"{"spec":{"backends":[{"service":"\#(stable)","weight":60},{"service":"\#(canary)","weight":40}]}}"#,
                ])
            }
            return try await h.kubectl([
                "patch", "httproute", name, "-n", "bookstore", "--type", "json", "-p",
                #"[{"op":"replace","path":"/spec/rules/1/backendRefs/0/weight","value":60},{"op":"replace","path":"/spec/rules/1/backendRefs/1/weight","value":40}]"#,
            ])
        }
    }

    @Test(
        "an auto ramp passes the early steps, hits the degrading canary, pauses; b writes the pre-ramp weights back",
        arguments: Target.allCases)
    func autoFailsAndRollsBack(_ target: Target) async throws {
        let h = try await SimHarness.start { $0.profile = target.profile }
        defer { Task { await h.stop() } }
        // The simulator's books-v2 serves about 87 % success up to 30 % of the traffic and
        // about 61 % above it: an 85 % gate holds below 30 % and fails at 50 %.
        let steps = target == .trafficSplit ? ["10", "25", "50"] : ["25", "50"]
        let before = try await target.weights(h, "books")
        let t = try await start(h, config: try config(h, steps: steps.joined(separator: ","), minSuccess: 85, maxP99: "400ms"))
        defer { t.killNow() }
        let (filter, row) = target.filter("books")
        try await selectSplit(t, filter, row: row)
        try await t.keys("R")
        try await t.waitFor("the plan form") { $0.contains("plan a guarded ramp: " + target.formTitle("books")) && $0.contains("◂ books-v2 ▸") }
        // Down to the mode field, then auto.
        try await t.keys("Down", "Down", "Down", "Down", "Down", "Right")
        try await t.waitFor("auto mode") { $0.contains("◂ auto ▸") }
        try await t.keys("Enter", "y")
        let failed = try await t.waitFor("the failing gate") { $0.contains("b rolls back") && $0.contains("✗") }
        #expect(failed.contains("success rate") && failed.contains("≥ 85.00%") && failed.contains("RAMP books 50% FAILED"), "\(failed)")
        let passed = steps.dropLast().allSatisfy { failed.contains("✓\($0)%") }
        #expect(passed && failed.contains("at step \(steps.count)"), "the early steps passed: \(failed)")
        #expect(try await target.weights(h, "books") == [50, 50], "nothing more may be written while the ramp is paused")
        try await t.keys("b")
        try await t.waitFor("the rollback") { $0.contains("rolled back to the weights before the ramp") }
        #expect(try await target.weights(h, "books") == before)
    }

    @Test("a concurrent kubectl change stops the ramp; theirs is never overwritten", arguments: Target.allCases)
    func concurrentChange(_ target: Target) async throws {
        let h = try await SimHarness.start { $0.profile = target.profile }
        defer { Task { await h.stop() } }
        // authors' route is Argo's in the simulator: the route test ramps books' default rule.
        let (name, stable, canary) = target == .trafficSplit ? ("authors", "authors-v1", "authors-canary") : ("books", "books-v1", "books-v2")
        let t = try await start(h, config: try config(h, steps: "25,100", wait: "5m"))
        defer { t.killNow() }
        let (filter, row) = target.filter(name)
        try await selectSplit(t, filter, row: row)
        try await t.keys("R", "Enter", "y")
        try await t.waitFor("watching step 1") { $0.contains("watching step 1 of 2") }
        let patch = try await target.patchElsewhere(h, name, stable: stable, canary: canary)
        #expect(patch.status == 0, "\(patch.stderr)")
        let stopped = try await t.waitFor("the ramp to stop") { $0.contains("stopped: the split changed on the server") }
        #expect(stopped.contains("kubectl"), "the screen names the other writer: \(stopped)")
        try await t.keys("n", "b", "p")
        try await Task.sleep(for: .seconds(2))
        #expect(try await target.weights(h, name) == [60, 40])
    }

    @Test(
        "smitop killed mid-ramp: the restarted UI offers the ramp and writes nothing until Enter resumes it", arguments: Target.allCases)
    func restartOffersTheRamp(_ target: Target) async throws {
        let h = try await SimHarness.start { $0.profile = target.profile }
        defer { Task { await h.stop() } }
        let name = target == .trafficSplit ? "authors" : "books"
        let before = try await target.weights(h, name)
        let cfg = try config(h, steps: "25,100", wait: "5m")
        let t = try await start(h, config: cfg)
        let (filter, row) = target.filter(name)
        try await selectSplit(t, filter, row: row)
        try await t.keys("R", "Enter", "y")
        try await t.waitFor("watching step 1") { $0.contains("watching step 1 of 2") }
        t.killNow()
        let mark = try await target.writeMark(h, name)
        let stepped = try await target.weights(h, name)
        #expect(stepped != before && stepped.reduce(0, +) > 0, "step 1 was written: \(stepped)")

        let again = try await start(h, config: cfg)
        defer { again.killNow() }
        let offered = try await again.waitFor("the restored ramp in the header") { $0.contains("RAMP \(name) restored") }
        #expect(offered.contains("LIVE"), "\(offered)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await target.writeMark(h, name) == mark, "written before the user confirmed")
        try await selectSplit(again, filter, row: row)
        try await again.keys("R")
        try await again.waitFor("the restored ramp's view") { $0.contains("restored at step 1 of 2: Enter resumes") }
        try await again.keys("Enter")
        try await again.waitFor("the ramp watching again") { $0.contains("watching step 1 of 2") }
        #expect(try await target.writeMark(h, name) == mark, "resuming must not write")
        try await again.keys("b")
        try await again.waitFor("the rollback") { $0.contains("rolled back to the weights before the ramp") }
        #expect(try await target.weights(h, name) == before)
    }

    @Test("a route rule ramps in the TUI: each step waits for the mesh to accept it; the other rule is untouched")
    func routeRule() async throws {
        let h = try await SimHarness.start { $0.profile = .linkerdGamma }
        defer { Task { await h.stop() } }
        let before = try JSON.parse(try await h.kubectl(["get", "httproute", "books", "-n", "bookstore", "-o", "json"]).stdout)
        let t = try await start(h, config: try config(h, steps: "50,100", minSuccess: 50))
        defer { t.killNow() }
        try await selectSplit(t, "books#1", row: "books HTTPRoute#1")
        try await t.keys("R")
        try await t.waitFor("the plan form") { $0.contains("plan a guarded ramp: httproute/bookstore/books#1") && $0.contains("◂ books-v2 ▸") }
        try await t.keys("Enter", "y")
        try await t.waitFor("step 2 proposed") { $0.contains("every gate held: n takes step 2 (100%)") }
        try await t.keys("n")
        try await t.waitFor("the ramp completed") { $0.contains("completed: books-v2 at 100%") }
        let after = try JSON.parse(try await h.kubectl(["get", "httproute", "books", "-n", "bookstore", "-o", "json"]).stdout)
        let rules = after[path: "spec", "rules"]?.arrayValue ?? []
        #expect(rules.last?["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [0, 100])
        #expect(rules.first == before[path: "spec", "rules"]?.arrayValue?.first, "the header rule changed")
        let log = try String(contentsOfFile: h.dir + "/state/smitop/ramps.log", encoding: .utf8)
        #expect(log.components(separatedBy: "\"applied\"").count == 3, "each step waited for the mesh: \(log)")
    }
}
