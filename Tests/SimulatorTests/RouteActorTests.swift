import Foundation
import KubeCore
import TestSupport
import Testing

@testable import Simulator

// The simulated Flagger and Argo Rollouts controllers that step route weights (issue 15):
// their step logic, and their writes seen by real clients.

@Test func flaggerAdoptsAdvancesAndPromotes() {
    let f = RouteActor(kind: .flagger)
    #expect(f.route == "payments/payments" && f.steps == [10, 20, 30, 40, 50] && f.manager == "flagger")
    #expect(f.next(canary: 0, position: nil, object: "p.ns").canary == 10)
    let adv = f.next(canary: 20, position: nil, object: "payments.payments")
    #expect(adv == .init(canary: 30, reason: "Synced", message: "Advance payments.payments canary weight 30", position: nil))
    let done = f.next(canary: 50, position: nil, object: "p.ns")
    #expect(done.canary == 0 && done.message.hasPrefix("Promotion completed!") && !done.message.contains("not one of"))
    // A hand-set weight off the step list: Flagger jumps to promotion.
    let off = f.next(canary: 25, position: nil, object: "p.ns")
    #expect(off.canary == 0 && off.message.contains("canary weight 25 is not one of the steps"))
}

@Test func argoWritesItsOwnStepWhateverTheRouteHolds() {
    let a = RouteActor(kind: .argoRollouts)
    #expect(a.route == "bookstore/authors" && a.steps == [5, 25, 50, 100] && a.manager == "argo-rollouts")
    // First reconcile: the rollout is where the route is (5 = step 1), and moves on.
    let first = a.next(canary: 5, position: nil, object: "authors.bookstore")
    #expect(first == .init(canary: 25, reason: "TrafficWeightUpdated", message: "Traffic weight updated from 5 to 25 (step 2/4)", position: 1))
    // A hand edit (10) does not move the rollout: its next step is written over it.
    #expect(
        a.next(canary: 10, position: 1, object: "a.b")
            == .init(canary: 50, reason: "TrafficWeightUpdated", message: "Traffic weight updated from 10 to 50 (step 3/4)", position: 2))
    let complete = a.next(canary: 100, position: 3, object: "a.b")
    #expect(complete.canary == 0 && complete.position == 4 && complete.message.contains("rollout completed"))
    #expect(a.next(canary: 0, position: 4, object: "a.b").canary == 5, "the next rollout starts over")
    #expect(a.next(canary: 33, position: nil, object: "a.b").canary == 5, "off the steps: from the start")
}

@Test func routeActorSyntax() throws {
    #expect(try RouteActor(parsing: "flagger") == RouteActor(kind: .flagger))
    #expect(try RouteActor(parsing: "flagger@2.5") == RouteActor(kind: .flagger, intervalSeconds: 2.5))
    #expect(try RouteActor(parsing: "argo-rollouts:bookstore/books@5") == RouteActor(kind: .argoRollouts, route: "bookstore/books", intervalSeconds: 5))
    for (bad, message) in [
        ("flux", "unknown controller \"flux\""), ("flagger@soon", "bad interval"), ("flagger@0", "intervalSeconds must be"),
        ("flagger:books", "route must be NAMESPACE/NAME"),
    ] {
        do {
            _ = try RouteActor(parsing: bad)
            Issue.record("\(bad) accepted")
        } catch {
            #expect(error.description.contains(message), "\(bad): \(error.description)")
        }
    }
}

private func canaryWeights(_ h: SimHarness, _ ns: String, _ name: String) async throws -> [Int64] {
    let r = try await h.http("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/\(ns)/httproutes/\(name)")
    let rules = r.json[path: "spec", "rules"]?.arrayValue ?? []
    return rules.last?["backendRefs"]?.arrayValue?.compactMap { $0["weight"]?.intValue } ?? []
}

private func eventMessages(_ h: SimHarness, _ ns: String, reason: String) async throws -> [String] {
    let r = try await h.kubectl(["get", "events", "-n", ns, "--field-selector", "reason=\(reason)", "-o", "json"])
    return (try JSON.parse(r.stdout))["items"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
}

@Test func flaggerActorStepsThePaymentsRouteAsFlagger() async throws {
    let h = try await SimHarness.start { $0.profile = .linkerdGamma }
    defer { Task { await h.stop() } }
    #expect(try await canaryWeights(h, "payments", "payments") == [80, 20])
    let rv = h.sim.store.currentRV
    try await Task.sleep(for: .milliseconds(600))
    #expect(h.sim.store.currentRV == rv, "off by default: nothing steps the route")

    let set = try await h.adminFaults(#"{"routeActors":{"flagger":{"intervalSeconds":0.5}}}"#)
    #expect(try JSON.parse(set.stdout)[path: "routeActors", "flagger", "route"]?.stringValue == "payments/payments", "\(set.stdout)")
    // Each step holds for half a second (then 50, then promotion, then over again): wait for
    // the step's Event, which stays, rather than for its weights, which a starved poll misses.
    #expect(
        try await waitUntil(timeout: 60) {
            try await eventMessages(h, "payments", reason: "Synced").contains("Advance payments.payments canary weight 40")
        }, "20 → 30 → 40")
    let route = try await h.kubectl(["get", "httproute", "payments", "-n", "payments", "-o", "json", "--show-managed-fields"])
    let managers = try JSON.parse(route.stdout)[path: "metadata", "managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
    #expect(managers.contains("flagger"), "\(managers)")
    let advances = try await eventMessages(h, "payments", reason: "Synced")
    #expect(advances.contains("Advance payments.payments canary weight 30"), "\(advances)")
    #expect(advances.contains("Advance payments.payments canary weight 40"), "\(advances)")

    // A hand edit off the step list makes Flagger promote.
    _ = try await h.adminFaults(#"{"routeActors":{"flagger":{"intervalSeconds":1.5}}}"#)
    let get = try await h.kubectl(["get", "httproute", "payments", "-n", "payments", "-o", "json"])
    var rules = try #require(try JSON.parse(get.stdout)[path: "spec", "rules"]?.arrayValue)
    rules[0]["backendRefs"] = .array(
        (rules[0]["backendRefs"]?.arrayValue ?? []).enumerated().map { i, b in
            var b = b
            b["weight"] = .int(i == 0 ? 75 : 25)
            return b
        })
    let patch: JSON = ["spec": ["rules": .array(rules)]]
    let p = try await h.kubectl(["patch", "httproute", "payments", "-n", "payments", "--type", "merge", "-p", patch.compactString])
    #expect(p.status == 0, "\(p.stderr)")
    #expect(
        try await waitUntil {
            try await eventMessages(h, "payments", reason: "Synced").contains {
                $0.hasPrefix("Promotion completed!") && $0.contains("canary weight 25 is not one of the steps")
            }
        })

    // Switched off: a hand edit stays.
    _ = try await h.adminFaults(#"{"routeActors":{"flagger":null}}"#)
    #expect(h.sim.faults.settings.withLock { $0.routeActors.isEmpty })
    let p2 = try await h.kubectl(["patch", "httproute", "payments", "-n", "payments", "--type", "merge", "-p", patch.compactString])
    #expect(p2.status == 0, "\(p2.stderr)")
    try await Task.sleep(for: .milliseconds(1200))
    #expect(try await canaryWeights(h, "payments", "payments") == [75, 25])
}

@Test func argoActorOverwritesHandEditsOfTheAuthorsRoute() async throws {
    // As `smitop sim --profile istio --route-actor argo-rollouts@0.5` starts it.
    let h = try await SimHarness.start {
        $0.profile = .istio
        $0.faults.routeActors[.argoRollouts] = RouteActor(kind: .argoRollouts, intervalSeconds: 0.5)
    }
    defer { Task { await h.stop() } }
    // The actor steps every 0.5 s and starts over after the last step, so 50/50 holds for only
    // half a second at a time: a poll starved by a loaded full run missed it for 20 s. Its
    // Event stays: wait for that, then check the weights are the actor's (one of its steps).
    #expect(
        try await waitUntil(timeout: 60) {
            try await eventMessages(h, "bookstore", reason: "TrafficWeightUpdated").contains("Traffic weight updated from 25 to 50 (step 3/4)")
        }, "5 → 25 → 50")
    let weights = try await canaryWeights(h, "bookstore", "authors")
    #expect(weights.count == 2 && weights.reduce(0, +) == 100 && [0, 5, 25, 50, 100].contains(weights.last ?? -1), "\(weights)")
    let route = try await h.kubectl(["get", "httproute", "authors", "-n", "bookstore", "-o", "json", "--show-managed-fields"])
    let obj = try JSON.parse(route.stdout)
    #expect(obj[path: "metadata", "managedFields"]?.arrayValue?.contains { $0["manager"]?.stringValue == "argo-rollouts" } == true)
    #expect(obj[path: "metadata", "labels", "rollouts.argoproj.io/gatewayapi-canary"]?.stringValue == "in-progress")
    let updates = try await eventMessages(h, "bookstore", reason: "TrafficWeightUpdated")
    #expect(updates.contains("Traffic weight updated from 5 to 25 (step 2/4)"), "\(updates)")
    // The mesh controller follows each write: Accepted at the new generation.
    #expect(
        try await waitUntil {
            let o = try await h.http("GET", "/apis/gateway.networking.k8s.io/v1/namespaces/bookstore/httproutes/authors").json
            let gen = o[path: "metadata", "generation"]?.intValue
            return o[path: "status", "parents"]?[0]?["conditions"]?.arrayValue?.contains {
                $0["type"]?.stringValue == "Accepted" && $0["observedGeneration"]?.intValue == gen
            } == true
        })
}

@Test func routeActorsNeedARouteProfileAndKnownKeys() async throws {
    let h = try await SimHarness.start()
    defer { Task { await h.stop() } }
    for (body, message) in [
        (#"{"routeActors":{"flagger":{}}}"#, "profile sdk serves no HTTPRoutes"),
        (#"{"routeActors":{"flux":{}}}"#, #"unknown key in routeActors: \"flux\""#),
    ] {
        let r = try await runProcess(
            "/usr/bin/curl", ["-sk", "-w", "\n%{http_code}", "-X", "POST", "--data", body, h.endpoint.url + "/sim/admin/faults"], env: [:],
            stdin: nil, timeout: 30)
        #expect(r.stdout.hasSuffix("\n400") && r.stdout.contains(message), "\(body): \(r.stdout)")
    }
    var o = SimulatorOptions()
    o.faults.routeActors[.flagger] = RouteActor(kind: .flagger)
    #expect(throws: SimulatorError.self) { try Simulator(options: o) }
}

@Test func flaggerCanaryIsServedAndItsSuspendHoldsTheActor() async throws {
    let h = try await SimHarness.start { $0.profile = .linkerdGamma }
    defer { Task { await h.stop() } }
    func kubectl(_ args: [String]) async throws -> String {
        let r = try await h.kubectl(args)
        #expect(r.status == 0, "\(args): \(r.stderr)")
        return r.stdout
    }
    // Served as the real CRD's columns show it, and named by the split's and route's owners.
    let table = try await kubectl(["get", "canaries", "-n", "payments"])
    #expect(table.contains("STATUS") && table.contains("WEIGHT"), "\(table)")
    #expect(table.split(separator: "\n").contains { $0.hasPrefix("payments") && $0.contains("Progressing") && $0.contains("20") }, "\(table)")
    let uid = try await kubectl(["get", "canary", "payments", "-n", "payments", "-o", "jsonpath={.metadata.uid}"])
    #expect(!uid.isEmpty)
    #expect(try await kubectl(["get", "httproute", "payments", "-n", "payments", "-o", "jsonpath={.metadata.ownerReferences[0].uid}"]) == uid)
    #expect(try await kubectl(["get", "trafficsplit", "payments", "-n", "payments", "-o", "jsonpath={.metadata.ownerReferences[0].uid}"]) == uid)
    // The CRD's schema applies: a Canary without targetRef is refused.
    let bad = try await h.kubectl(
        ["apply", "-f", "-"],
        stdin: "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: x, namespace: payments}\nspec: {analysis: {interval: 1m}}\n")
    #expect(bad.status != 0 && bad.stderr.contains("targetRef"), "\(bad.stdout)\(bad.stderr)")

    // Suspended: the Flagger actor leaves the route alone.
    _ = try await kubectl(["patch", "canary", "payments", "-n", "payments", "--type", "merge", "-p", #"{"spec":{"suspend":true}}"#])
    _ = try await h.adminFaults(#"{"routeActors":{"flagger":{"intervalSeconds":0.3}}}"#)
    try await Task.sleep(for: .milliseconds(1200))
    #expect(try await canaryWeights(h, "payments", "payments") == [80, 20])
    #expect(try await eventMessages(h, "payments", reason: "Synced").isEmpty)

    // Resumed: it steps again and reports the weight on the Canary.
    _ = try await kubectl(["patch", "canary", "payments", "-n", "payments", "--type", "merge", "-p", #"{"spec":{"suspend":false}}"#])
    #expect(try await waitUntil { try await canaryWeights(h, "payments", "payments").last ?? 0 >= 30 })
    _ = try await h.adminFaults(#"{"routeActors":null}"#)
    try await Task.sleep(for: .milliseconds(400))
    let routeWeight = try await canaryWeights(h, "payments", "payments").last ?? -1
    let status = try await kubectl(["get", "canary", "payments", "-n", "payments", "-o", "jsonpath={.status.canaryWeight}"])
    #expect(status == String(routeWeight), "Canary status \(status) vs route \(routeWeight)")
    // Flagger's events are about its Canary.
    let onCanary = try await kubectl([
        "get", "events", "-n", "payments", "--field-selector", "involvedObject.kind=Canary,involvedObject.name=payments,reason=Synced", "-o", "name",
    ])
    #expect(!onCanary.isEmpty, "no Synced event on canary/payments")
}
