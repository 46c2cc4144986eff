import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

/// `smitop routes` and `smitop split set/shift TYPE/NAME` against the Gateway API profiles,
/// with kubectl as the judge of what the cluster holds.
@Suite("route commands against smitop sim", .serialized)
struct RouteCLITests {
    func smitop(_ h: SimHarness, _ args: [String]) async throws -> ProcessResult {
        try await runProcess(SmitopBinary.path, args + ["--kubeconfig", h.kubeconfig], env: ["HOME": h.dir], stdin: nil, timeout: 60)
    }

    func kubectlJSON(_ h: SimHarness, _ args: [String]) async throws -> JSON {
        let r = try await h.kubectl(args + ["-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSON.parse(r.stdout)
    }

    /// "ns/name#rule" → [backend: weight] from kubectl's objects or smitop's summaries.
    func ruleWeights(_ items: [JSON], kind: String) -> [String: [String: Int64]] {
        var out: [String: [String: Int64]] = [:]
        for i in items where (i["kind"]?.stringValue ?? kind) == kind {
            let ns = i["namespace"]?.stringValue ?? i[path: "metadata", "namespace"]?.stringValue ?? ""
            let name = i["name"]?.stringValue ?? i[path: "metadata", "name"]?.stringValue ?? ""
            let rules = i["rules"]?.arrayValue ?? i[path: "spec", "rules"]?.arrayValue ?? []
            for (n, r) in rules.enumerated() {
                var m: [String: Int64] = [:]
                for b in r["backends"]?.arrayValue ?? r["backendRefs"]?.arrayValue ?? [] {
                    m[b["name"]?.stringValue ?? ""] = b["weight"]?.intValue
                }
                out["\(ns)/\(name)#\(n)"] = m
            }
        }
        return out
    }

    @Test("routes -o json agrees with kubectl, rule by rule, in each Gateway API profile", arguments: [SimProfile.linkerdGamma, .istio, .all])
    func listing(_ profile: SimProfile) async throws {
        let h = try await SimHarness.start { $0.profile = profile }
        defer { Task { await h.stop() } }
        let r = try await smitop(h, ["routes", "-A", "-o", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let items = try JSON.parse(r.stdout)["items"]?.arrayValue ?? []
        let kubeHTTP = try await kubectlJSON(h, ["get", "httproutes.gateway.networking.k8s.io", "-A"])["items"]?.arrayValue ?? []
        let kubeGRPC = try await kubectlJSON(h, ["get", "grpcroutes", "-A"])["items"]?.arrayValue ?? []
        #expect(ruleWeights(items, kind: "HTTPRoute").filter { !$0.key.hasPrefix("payments/fraud") } == ruleWeights(kubeHTTP, kind: "HTTPRoute"))
        #expect(ruleWeights(items, kind: "GRPCRoute") == ruleWeights(kubeGRPC, kind: "GRPCRoute"))
        #expect(!ruleWeights(kubeHTTP, kind: "HTTPRoute").isEmpty)
        let byName = Dictionary(items.map { ("\($0["namespace"]?.stringValue ?? "")/\($0["name"]?.stringValue ?? "")/\($0["kind"]?.stringValue ?? "")", $0) }) {
            a, _ in a
        }
        let books = try #require(byName["bookstore/books/HTTPRoute"])
        #expect(books["rules"]?.arrayValue?.map { $0["matches"]?.stringValue } == ["header x-bookstore-insider=true", "all requests"])
        #expect(books["rules"]?.arrayValue?[1]["backends"]?.arrayValue?.map { $0["share"]?.doubleValue } == [0.8, 0.2])
        #expect(books["accepted"] == "Accepted")
        #expect(byName["payments/ledger-http/HTTPRoute"]?["accepted"] == "RouteReasonConflicted")
        #expect(byName["bookstore/webapp/HTTPRoute"]?["accepted"] == "NoController")
        #expect(byName["bookstore/webapp/HTTPRoute"]?["problems"]?.arrayValue?.isEmpty == false)
        #expect(byName["payments/payments/HTTPRoute"]?[path: "controller", "tool"] == "flagger")
        #expect(byName["bookstore/authors/HTTPRoute"]?[path: "controller", "tool"] == "argo-rollouts")
        #expect(byName["bookstore/payments-from-bookstore/HTTPRoute"]?["parents"]?.arrayValue?.first?["consumerRoute"] == .bool(true))
        let expectedController = profile == .linkerdGamma ? "linkerd.io/policy-controller" : "istio.io/gateway-controller"
        #expect(books["parents"]?.arrayValue?.first?["controller"]?.stringValue == expectedController)
        // The graph: each rule's edges from the parent Service, with kind and rule.
        let graph = try await smitop(h, ["graph", "-n", "bookstore", "--no-metrics", "-o", "json"])
        #expect(graph.status == 0, "\(graph.stderr)")
        let splitEdges = (try JSON.parse(graph.stdout)["edges"]?.arrayValue ?? []).compactMap { $0["split"] }
        #expect(
            splitEdges.contains { $0["kind"] == "HTTPRoute" && $0["name"] == "books" && $0["rule"] == 1 && $0["share"]?.doubleValue == 0.8 },
            "\(splitEdges)")
        // The table: one row per rule.
        let table = try await smitop(h, ["routes", "-n", "bookstore"])
        #expect(table.status == 0 && table.stdout.contains("1: all requests") && table.stdout.contains("books-v1=80(80.0%)"), "\(table.stdout)")
    }

    @Test("split shift on the default rule: kubectl sees the new weights, the header rule and unmodelled fields byte-identical, status at the new generation")
    func shift() async throws {
        for profile in [SimProfile.istio, .linkerdGamma] {
            let h = try await SimHarness.start { $0.profile = profile }
            defer { Task { await h.stop() } }
            // Fields smitop does not model (a timeout, a filter) must come back untouched.
            let add = try await h.kubectl([
                "patch", "httproute", "books", "-n", "bookstore", "--type=json", "-p",
                #"[{"op":"add","path":"/spec/rules/1/timeouts","value":{"request":"10s"}},{"op":"add","path":"/spec/rules/0/filters","value":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-insider","value":"1"}]}}]}]"#,
            ])
            #expect(add.status == 0, "\(add.stderr)")
            let before = try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])
            let r = try await smitop(h, ["split", "shift", "httproute/books", "-n", "bookstore", "--to", "books-v2", "--by", "15"])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("80 → 65") && r.stdout.contains("20 → 35"), "\(r.stdout)")
            let after = try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])
            let rules = after[path: "spec", "rules"]?.arrayValue ?? []
            #expect(rules.first == before[path: "spec", "rules"]?.arrayValue?.first, "the header rule changed")
            #expect(rules[1]["timeouts"] == ["request": "10s"])
            #expect(rules[1]["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [65, 35])
            let gen = after[path: "metadata", "generation"]?.intValue ?? 0
            #expect(gen == (before[path: "metadata", "generation"]?.intValue ?? 0) + 1)
            if profile == .istio {
                #expect(r.stdout.contains("accepted by the mesh at the new generation"), "\(r.stdout)")
                let og = after[path: "status", "parents"]?.arrayValue?.first?["conditions"]?.arrayValue?.first?["observedGeneration"]?.intValue
                #expect(og == gen)
            } else {
                // Linkerd writes no observedGeneration: smitop must not claim the write took effect.
                #expect(r.stdout.contains("no observedGeneration") && !r.stdout.contains("accepted by the mesh at"), "\(r.stdout)")
            }
            // The same written as TYPE/NAMESPACE/NAME with an explicit rule, by set.
            let s = try await smitop(h, ["split", "set", "httproute/bookstore/books", "--rule", "1", "books-v1=1", "books-v2=1", "-o", "json"])
            #expect(s.status == 0, "\(s.stderr)")
            #expect(try JSON.parse(s.stdout)[path: "patch", "spec", "rules"]?.arrayValue?.count == 2)
            let now = try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])
            #expect(now[path: "spec", "rules"]?.arrayValue?[1]["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [1, 1])
        }
    }

    @Test("a write whose answer is lost (applied, then the connection cut) is read back, as for TrafficSplits, never resent")
    func lostAnswerIsReadBack() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        let before = try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])
        _ = try await h.adminFaults(#"{"dropResponses": 1}"#)
        let r = try await smitop(
            h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=7", "books-v2=3", "--accept-timeout", "0"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("reading it back shows it was applied"), "\(r.stderr)")
        #expect(r.stdout.contains("80 → 7") && r.stdout.contains("20 → 3"), "\(r.stdout)")
        let after = try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])
        #expect(after[path: "spec", "rules"]?.arrayValue?[1]["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [7, 3])
        #expect(after[path: "metadata", "generation"]?.intValue == (before[path: "metadata", "generation"]?.intValue ?? 0) + 1)
    }

    @Test("refusals: all-zero without --drain, a rule that does not exist, a stale resourceVersion, weights out of range")
    func refusals() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        let zero = try await smitop(h, ["split", "set", "httproute/books", "-n", "bookstore", "books-v1=0", "books-v2=0"])
        #expect(zero.status == 1 && zero.stderr.contains("--drain"), "\(zero.stderr)")
        let drained = try await smitop(
            h, ["split", "set", "httproute/books", "-n", "bookstore", "books-v1=0", "books-v2=0", "--drain", "--accept-timeout", "0"])
        #expect(drained.status == 0, "\(drained.stderr)")
        let noRule = try await smitop(h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "7", "books-v1=1"])
        #expect(noRule.status == 2 && noRule.stderr.contains("no rule 7") && noRule.stderr.contains("all requests"), "\(noRule.stderr)")
        let stale = try await smitop(
            h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=3", "--expect-resource-version", "1"])
        #expect(stale.status == 3 && stale.stderr.contains("conflict"), "\(stale.stderr)")
        let big = try await smitop(h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=1000001"])
        #expect(big.status == 2, "\(big.stderr)")
        let frac = try await smitop(h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=500m"])
        #expect(frac.status == 2 && frac.stderr.contains("whole numbers"), "\(frac.stderr)")
        // TYPE/NS/NAME with an unknown TYPE (two parts stay NAMESPACE/NAME of a TrafficSplit).
        let badType = try await smitop(h, ["split", "set", "tcproute/bookstore/books", "books-v1=1"])
        #expect(badType.status == 2 && badType.stderr.contains("unknown type"), "\(badType.stderr)")
        // A Flagger-owned route: the warning names the Canary and its lever.
        let flagger = try await smitop(h, ["split", "shift", "httproute/payments/payments", "--to", "payments-canary", "--by", "5"])
        #expect(flagger.status == 0 && flagger.stderr.contains("Canary/payments") && flagger.stderr.contains("spec.suspend"), "\(flagger.stderr)")
    }

    @Test(
        "a status write of the mesh between the read and the write renews the precondition; a caller's own resourceVersion and a mesh that never stops are still conflicts"
    )
    func statusRaceRenewsThePrecondition() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        func rule1() async throws -> [Int64?] {
            let j = try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])
            return j[path: "spec", "rules"]?.arrayValue?[1]["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } ?? []
        }
        func racesLeft() async throws -> Int64? {
            let r = try await runProcess("/usr/bin/curl", ["-sk", h.endpoint.url + "/sim/admin/faults"], env: [:], stdin: nil, timeout: 30)
            return try JSON.parse(r.stdout)["statusRaces"]?.intValue
        }
        func rv() async throws -> String {
            try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        }
        // One status write lands between smitop's read and its patch: only status moved, so the
        // write is computed again on the new version and lands.
        #expect(try await h.adminFaults(#"{"statusRaces": 1}"#).status == 0)
        let before = try await rv()
        let r = try await smitop(h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=3", "books-v2=1", "--accept-timeout", "0"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("written"), "\(r.stdout)")
        #expect(try await racesLeft() == 0, "the mesh's status write did not happen")
        #expect(try await rule1() == [3, 1])
        let managers =
            try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore", "--show-managed-fields"])[path: "metadata", "managedFields"]?
            .arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
        #expect(managers.contains("smitop"), "\(managers)")
        #expect(Int(try await rv()) ?? 0 >= (Int(before) ?? 0) + 2, "no status write and weight write after \(before)")

        // The caller's own precondition is never renewed: 409, exit 3, nothing written.
        let mine = try await rv()
        #expect(try await h.adminFaults(#"{"statusRaces": 1}"#).status == 0)
        let own = try await smitop(
            h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=5", "books-v2=1", "--expect-resource-version", mine])
        #expect(own.status == 3 && own.stderr.contains("conflict"), "\(own.stdout)\(own.stderr)")
        #expect(try await rule1() == [3, 1])

        // A mesh that writes status before every attempt: a few renewals, then the 409 is shown.
        #expect(try await h.adminFaults(#"{"statusRaces": 10}"#).status == 0)
        let busy = try await smitop(
            h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=7", "books-v2=1", "--accept-timeout", "0"])
        #expect(busy.status == 3 && busy.stderr.contains("conflict") && busy.stderr.contains("server now"), "\(busy.stdout)\(busy.stderr)")
        #expect(try await racesLeft() == Int64(10 - 1 - WriteContent.renewals), "the write was not tried 1 + \(WriteContent.renewals) times")
        #expect(try await rule1() == [3, 1])
    }

    @Test("--suspend-canary: the owning Canary is suspended (guarded, read back) before the weights; without it, the kubectl command is printed")
    func suspendCanaryFlag() async throws {
        let h = try await SimHarness.start { $0.profile = .all }
        defer { Task { await h.stop() } }
        func canary() async throws -> JSON {
            try await kubectlJSON(h, ["get", "canaries.flagger.app", "payments", "-n", "payments", "--show-managed-fields"])
        }
        // Without the flag: written with a warning that names the flag and the kubectl command; the Canary is untouched.
        let plain = try await smitop(h, ["split", "shift", "httproute/payments/payments", "--to", "payments-canary", "--by", "5", "--accept-timeout", "0"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(
            plain.stderr.contains("--suspend-canary")
                && plain.stderr.contains(#"kubectl patch canaries.flagger.app payments -n payments --type merge -p '{"spec":{"suspend":true}}'"#),
            "\(plain.stderr)")
        #expect(try await canary()[path: "spec", "suspend"]?.boolValue != true)
        // Dry run: nothing persisted, the Canary included.
        let dry = try await smitop(
            h, ["split", "shift", "httproute/payments/payments", "--to", "payments-canary", "--by", "5", "--suspend-canary", "--dry-run"])
        #expect(dry.status == 0 && dry.stderr.contains("would be suspended"), "\(dry.stderr)")
        #expect(try await canary()[path: "spec", "suspend"]?.boolValue != true, "a dry run suspended the Canary")
        // With it: the Canary holds first, then the weights are written.
        let before = try await canary()
        let r = try await smitop(
            h, ["split", "set", "httproute/payments/payments", "payments-primary=70", "payments-canary=30", "--suspend-canary", "--accept-timeout", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("suspended Canary payments/payments (spec.suspend: true, read back"), "\(r.stderr)")
        #expect(r.stderr.contains(#"'{"spec":{"suspend":false}}'"#), "the resume command is not printed: \(r.stderr)")
        let held = try await canary()
        #expect(held[path: "spec", "suspend"]?.boolValue == true)
        #expect(held[path: "metadata", "resourceVersion"] != before[path: "metadata", "resourceVersion"])
        #expect(held[path: "metadata", "managedFields"]?.arrayValue?.contains { $0["manager"]?.stringValue == "smitop" } == true)
        let route = try await kubectlJSON(h, ["get", "httproute", "payments", "-n", "payments"])
        #expect(route[path: "spec", "rules"]?.arrayValue?.first?["backendRefs"]?.arrayValue?.map { $0["weight"]?.intValue } == [70, 30])
        // Already suspended: not written again.
        let again = try await smitop(h, ["split", "set", "trafficsplit/payments/payments", "payments-primary=60", "payments-canary=40", "--suspend-canary"])
        #expect(again.status == 0 && again.stderr.contains("already suspended"), "\(again.stderr)")
        #expect(try await canary()[path: "metadata", "resourceVersion"] == held[path: "metadata", "resourceVersion"])
        // Not Flagger-owned: the flag is a usage error, and nothing is written.
        let books = try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])
        let notOwned = try await smitop(h, ["split", "set", "httproute/books", "-n", "bookstore", "--rule", "1", "books-v1=3", "--suspend-canary"])
        #expect(notOwned.status == 2 && notOwned.stderr.contains("no Flagger Canary owns"), "\(notOwned.stderr)")
        #expect(
            try await kubectlJSON(h, ["get", "httproute", "books", "-n", "bookstore"])[path: "metadata", "resourceVersion"]
                == books[path: "metadata", "resourceVersion"])
    }

    @Test("a kubeconfig named by a bare file name (no directory part) is read, not crashed on")
    func relativeKubeconfig() async throws {
        let h = try await SimHarness.start { $0.profile = .istio }
        defer { Task { await h.stop() } }
        let dir = (h.kubeconfig as NSString).deletingLastPathComponent
        let name = String(h.kubeconfig.split(separator: "/").last ?? "")
        let r = try await runProcess(SmitopBinary.path, ["routes", "-A", "--kubeconfig", name], env: ["HOME": h.dir], stdin: nil, timeout: 60, cwd: dir)
        #expect(r.status == 0 && r.stdout.contains("books"), "\(r.stderr)")
    }
}
