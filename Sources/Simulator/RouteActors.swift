import Foundation
import GatewayAPI
import KubeCore

/// A simulated progressive-delivery controller that owns a route's weights (issue 15): it
/// writes the canary share of the route's default rule on a schedule, as its own field
/// manager, and reports each step as an Event. Off unless switched on (`--route-actor`, the
/// admin key `routeActors`), so a cluster without it stays still.
///
/// - Flagger adopts what it finds: from 0 it starts an analysis at the first step, from a
///   step it advances to the next, and from the last step or a weight off its step list (a
///   hand edit) it promotes (all traffic to the primary), as Flagger does.
/// - The Argo Rollouts Gateway API plugin writes the weight of its Rollout's current step,
///   whatever the route holds (a hand edit lasts until its next reconcile), then moves on;
///   after the last step the rollout is complete and the canary gets 0.
public struct RouteActor: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case flagger
        case argoRollouts = "argo-rollouts"
    }

    public var kind: Kind
    /// NAMESPACE/NAME of the HTTPRoute (gateway.networking.k8s.io).
    public var route: String
    public var intervalSeconds: Double
    /// Canary weights in percent, in the order the controller takes them.
    public var steps: [Int]
    public var manager: String

    public init(kind: Kind, route: String? = nil, intervalSeconds: Double = 10, steps: [Int]? = nil, manager: String? = nil) {
        self.kind = kind
        self.route = route ?? Self.defaultRoute(kind)
        self.intervalSeconds = intervalSeconds
        self.steps = steps ?? Self.defaultSteps(kind)
        self.manager = manager ?? kind.rawValue
    }

    /// The bookstore scenario's routes these controllers own: the Flagger-owned `payments`
    /// and the Argo-plugin-labelled `authors`.
    public static func defaultRoute(_ k: Kind) -> String { k == .flagger ? "payments/payments" : "bookstore/authors" }
    /// Flagger's stepWeight 10 up to maxWeight 50; an Argo canary's setWeight steps.
    public static func defaultSteps(_ k: Kind) -> [Int] { k == .flagger ? [10, 20, 30, 40, 50] : [5, 25, 50, 100] }

    public func validationProblem() -> String? {
        let p = route.split(separator: "/", omittingEmptySubsequences: false)
        if p.count != 2 || p[0].isEmpty || p[1].isEmpty { return "route must be NAMESPACE/NAME" }
        if !intervalSeconds.isFinite || intervalSeconds < 0.1 || intervalSeconds > 86400 { return "intervalSeconds must be 0.1 to 86400" }
        if steps.isEmpty || steps.count > 100 || steps.contains(where: { !(1...100).contains($0) }) {
            return "steps must be 1 to 100 canary weights, each 1 to 100"
        }
        if manager.isEmpty || manager.utf8.count > 128 { return "manager must be 1 to 128 bytes" }
        return nil
    }

    /// What the controller writes next and the Event that says so.
    struct Move: Equatable {
        var canary: Int
        var reason: String
        var message: String
        /// Argo's position after the move (steps.count = complete).
        var position: Int?
    }

    /// One reconcile. `canary` is the share the route holds now (percent, rounded);
    /// `position` is Argo's step (nil before its first reconcile: found from the route).
    func next(canary: Int, position: Int?, object: String) -> Move {
        switch kind {
        case .flagger:
            if canary == 0 {
                return Move(canary: steps[0], reason: "Synced", message: "Starting canary analysis for \(object); advance canary weight \(steps[0])")
            }
            if let i = steps.firstIndex(of: canary), i + 1 < steps.count {
                return Move(canary: steps[i + 1], reason: "Synced", message: "Advance \(object) canary weight \(steps[i + 1])")
            }
            let why = steps.contains(canary) ? "" : " (canary weight \(canary) is not one of the steps)"
            return Move(canary: 0, reason: "Synced", message: "Promotion completed! Routing all traffic to primary for \(object)\(why)")
        case .argoRollouts:
            // Before the first reconcile the rollout is where the route says it is.
            let here = position ?? (steps.firstIndex(of: canary) ?? -1)
            let to = here >= steps.count ? 0 : here + 1
            let weight = to < steps.count ? steps[to] : 0
            let msg =
                to < steps.count
                ? "Traffic weight updated from \(canary) to \(weight) (step \(to + 1)/\(steps.count))"
                : "Traffic weight updated from \(canary) to 0 (rollout completed)"
            return Move(canary: weight, reason: "TrafficWeightUpdated", message: msg, position: to)
        }
    }

    // MARK: the text form (`--route-actor`)

    /// `flagger`, `argo-rollouts`, optionally `@SECONDS`, and `:NS/NAME` for another route:
    /// `flagger@2`, `argo-rollouts:bookstore/books@5`.
    public init(parsing s: String) throws(DegradationSyntaxError) {
        var spec = Substring(s)
        var interval = 10.0
        if let at = spec.lastIndex(of: "@") {
            guard let i = Double(spec[spec.index(after: at)...]) else { throw .init("bad interval in \"\(s)\"") }
            interval = i
            spec = spec[..<at]
        }
        var route: String? = nil
        if let colon = spec.firstIndex(of: ":") {
            route = String(spec[spec.index(after: colon)...])
            spec = spec[..<colon]
        }
        guard let kind = Kind(rawValue: String(spec)) else {
            throw .init("unknown controller \"\(spec)\" (known: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.init(kind: kind, route: route, intervalSeconds: interval)
        if let p = validationProblem() { throw .init(p) }
    }

    var json: JSON {
        [
            "route": .string(route), "intervalSeconds": .double(intervalSeconds), "steps": .array(steps.map { .int(Int64($0)) }),
            "manager": .string(manager),
        ]
    }

    static let jsonKeys: Set<String> = ["route", "intervalSeconds", "steps", "manager"]

    init(kind: Kind, json v: JSON) throws(APIError) {
        try FaultSettings.rejectUnknown(v, known: Self.jsonKeys, in: "routeActors \"\(kind.rawValue)\"")
        var steps: [Int]? = nil
        if let s = v["steps"] {
            guard let a = s.arrayValue else { throw APIError.badRequest("routeActors \"\(kind.rawValue)\": steps must be a list of integers") }
            var out: [Int] = []
            for x in a {
                guard let i = x.intValue, (1...100).contains(i) else {
                    throw APIError.badRequest("routeActors \"\(kind.rawValue)\": steps must be integers 1 to 100")
                }
                out.append(Int(i))
            }
            steps = out
        }
        if let r = v["route"], r.stringValue == nil { throw APIError.badRequest("routeActors \"\(kind.rawValue)\": route must be a string") }
        if let m = v["manager"], m.stringValue == nil { throw APIError.badRequest("routeActors \"\(kind.rawValue)\": manager must be a string") }
        if let i = v["intervalSeconds"], i.doubleValue == nil {
            throw APIError.badRequest("routeActors \"\(kind.rawValue)\": intervalSeconds must be a number")
        }
        self.init(
            kind: kind, route: v["route"]?.stringValue, intervalSeconds: v["intervalSeconds"]?.doubleValue ?? 10, steps: steps,
            manager: v["manager"]?.stringValue)
        if let p = validationProblem() { throw APIError.badRequest("routeActors \"\(kind.rawValue)\": \(p)") }
    }
}

extension Simulator {
    var httpRouteType: ResourceType? { registry.find(group: "gateway.networking.k8s.io", resource: "httproutes") }

    /// One reconcile of `actor`: moves the canary share of the route's default rule (first
    /// backend the stable one, last the canary) and records the Event. `position` is Argo's
    /// step, carried between reconciles by the caller.
    func reconcile(_ actor: RouteActor, position: inout Int?) {
        let parts = actor.route.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let t = httpRouteType else { return }
        let object = "\(parts[1]).\(parts[0])"
        // Flagger holds still while its Canary is suspended: the lever smitop offers.
        let canary = actor.kind == .flagger ? owningCanary(routeType: t, namespace: parts[0], name: parts[1]) : nil
        if let canary, canary.object[path: "spec", "suspend"]?.boolValue == true { return }
        var move: RouteActor.Move? = nil
        let argoPosition = position
        // Read and write under the store's lock, so a concurrent write is never lost.
        let written = try? store.update(t, namespace: parts[0], name: parts[1], expectedRV: nil, dryRun: false) { (old) throws(APIError) -> JSON in
            guard let route = try? Route(json: old),
                let rule = route.rules.firstIndex(where: { $0.matchesAll && $0.backends.count >= 2 }),
                var rules = old[path: "spec", "rules"]?.arrayValue, rules.indices.contains(rule),
                var refs = rules[rule]["backendRefs"]?.arrayValue, refs.count == route.rules[rule].backends.count
            else { return old }
            // Percent of the canary (the last backend), from the weights as stored (absent = 1).
            let weights = refs.map { max(0, $0["weight"]?.intValue ?? 1) }
            let sum = weights.reduce(0, &+)
            let canary = sum > 0 ? Int((Double(weights[weights.count - 1]) * 100 / Double(sum)).rounded()) : 0
            let m = actor.next(canary: canary, position: argoPosition, object: object)
            move = m
            for j in refs.indices {
                let w = j == refs.count - 1 ? m.canary : (j == 0 ? 100 - m.canary : 0)
                refs[j]["weight"] = .int(Int64(w))
            }
            rules[rule]["backendRefs"] = .array(refs)
            var o = setPath(old, ["spec", "rules"], .array(rules))
            o = Writes.carryOverSystemFields(old: old, new: o, t: t)
            return recordManagedUpdate(old: old, new: o, manager: actor.manager, apiVersion: t.apiVersion(t.storageVersion))
        }
        guard let move else { return }
        position = move.position
        guard let written, written.changed else { return }
        if let canary { recordCanaryStatus(canary, weight: move.canary, manager: actor.manager) }
        // Flagger reports on its Canary, as the real one does; the Argo Rollout is not
        // simulated, so its events are about the route.
        recordEvent(
            EventSpec(
                regarding: canary?.object ?? written.0.object, reason: move.reason, message: move.message, component: actor.manager,
                action: actor.kind == .flagger ? "Advance" : "SetWeight"))
    }

    var canaryType: ResourceType? { registry.find(group: "flagger.app", resource: "canaries") }

    /// The Flagger Canary that owns the route (its controller ownerReference), if it exists.
    func owningCanary(routeType t: ResourceType, namespace: String, name: String) -> (type: ResourceType, object: JSON)? {
        guard let ct = canaryType, let route = store.get(t, namespace: namespace, name: name)?.object else { return nil }
        let owner = route[path: "metadata", "ownerReferences"]?.arrayValue?.first {
            $0["kind"]?.stringValue == "Canary" && $0["controller"]?.boolValue == true
                && ($0["apiVersion"]?.stringValue ?? "").hasPrefix("flagger.app/")
        }
        guard let canaryName = owner?["name"]?.stringValue, let c = store.get(ct, namespace: namespace, name: canaryName)?.object else { return nil }
        return (ct, c)
    }

    /// What Flagger reports on its Canary after a step: the phase and the canary weight
    /// (`kubectl get canaries` shows both).
    func recordCanaryStatus(_ canary: (type: ResourceType, object: JSON), weight: Int, manager: String) {
        let ct = canary.type
        let ns = canary.object[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = canary.object[path: "metadata", "name"]?.stringValue ?? ""
        _ = try? store.update(ct, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (old) throws(APIError) -> JSON in
            var status = old["status"]?.objectValue ?? JSONObject()
            let phase = weight == 0 ? "Succeeded" : "Progressing"
            if status["phase"]?.stringValue != phase { status["lastTransitionTime"] = .string(KubeTime.format(Date())) }
            status["phase"] = .string(phase)
            status["canaryWeight"] = .int(Int64(weight))
            let o = setPath(old, ["status"], .object(status))
            return recordManagedUpdate(old: old, new: o, manager: manager, apiVersion: ct.apiVersion(ct.storageVersion))
        }
    }
}
