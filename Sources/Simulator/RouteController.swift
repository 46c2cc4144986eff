import Foundation
import GatewayAPI
import KubeCore

// The simulated mesh controller for routes: after every change it writes `status.parents` as
// the profile's mesh does (../shared/gateway-api/NOTES.md §5, §6), through the status
// subresource, so clients see what they see on a cluster: a write, then a moment later a
// status update (a new resourceVersion, the same generation).
//
// For each Service parent of a route of a kind the mesh handles:
// - a parent written without `group` (stored as `gateway.networking.k8s.io` Service) cannot be
//   resolved and gets no entry, as Linkerd leaves it: a route "no mesh took";
// - a missing parent Service: Accepted=False NoMatchingParent;
// - an HTTPRoute on a Service and port that a GRPCRoute also claims: Accepted=False
//   RouteReasonConflicted (GRPCRoute wins, GEP-1294);
// - otherwise Accepted=True, and ResolvedRefs True, or False BackendNotFound when a backend
//   Service does not exist.
// Linkerd writes empty messages and no observedGeneration; Istio writes its messages and the
// generation it saw. Gateway parents are left alone (no gateways are simulated).

enum RouteStatusController {
    static let routeGroups: Set<String> = [RouteKind.gatewayGroup, RouteKind.linkerdGroup]

    /// Wanted status for every route that needs a change: (type, namespace, name, status).
    static func pending(in sim: Simulator, now: Date) -> [(ResourceType, String, String, JSON)] {
        let routeTypes = sim.registry.types.filter { routeGroups.contains($0.group) }
        guard !routeTypes.isEmpty, let svcType = sim.registry.find(group: "", resource: "services") else { return [] }
        let services = Set(sim.store.all(svcType).map { ObjectRef(object: $0.object) })
        var routes: [(ResourceType, JSON, Route)] = []
        for t in routeTypes {
            for stored in sim.store.all(t) {
                if let r = try? Route(json: stored.object) { routes.append((t, stored.object, r)) }
            }
        }
        // Service+port pairs claimed by GRPCRoutes, for the HTTPRoute conflict.
        var grpcClaims: [(ObjectRef, Int64?)] = []
        for (_, _, r) in routes where r.kind == .grpcRoute {
            for p in r.parentRefs where p.isService { grpcClaims.append((p.service(routeNamespace: r.namespace), p.port)) }
        }
        var out: [(ResourceType, String, String, JSON)] = []
        for (t, object, r) in routes {
            guard let style = sim.options.profile.routeController(gatewayGroup: t.group == RouteKind.gatewayGroup) else { continue }
            let wanted = desiredParents(r, style: style, services: services, grpcClaims: grpcClaims, previous: object, now: now)
            let current = object[path: "status", "parents"] ?? .array([])
            if current != wanted { out.append((t, r.namespace, r.meta.name, wanted)) }
        }
        return out
    }

    static func desiredParents(
        _ r: Route, style: RouteStatusStyle, services: Set<ObjectRef>, grpcClaims: [(ObjectRef, Int64?)], previous: JSON, now: Date
    ) -> JSON {
        let previousParents = previous[path: "status", "parents"]?.arrayValue ?? []
        var entries: [JSON] = []
        // Entries of other controllers (none are simulated, but a test may write one) stay.
        for p in previousParents where p["controllerName"]?.stringValue != style.controllerName { entries.append(p) }
        let rawParents = previous[path: "spec", "parentRefs"]?.arrayValue ?? []
        for (i, p) in r.parentRefs.enumerated() where p.isService && p.group != nil {
            let svc = p.service(routeNamespace: r.namespace)
            var accepted: (String, String, String)
            if !services.contains(svc) {
                accepted = ("False", "NoMatchingParent", style == .istio ? "parent Service \(svc.key) not found" : "")
            } else if r.kind == .httpRoute,
                grpcClaims.contains(where: { $0.0 == svc && ($0.1 == nil || p.port == nil || $0.1 == p.port) })
            {
                accepted = ("False", "RouteReasonConflicted", style == .istio ? "a GRPCRoute on the same Service takes precedence" : "")
            } else {
                accepted = ("True", "Accepted", style == .istio ? "Route was valid" : "")
            }
            let missing = r.rules.flatMap(\.backends).filter { $0.isService && !services.contains($0.service(routeNamespace: r.namespace)) }
            let resolved =
                missing.isEmpty
                ? ("True", "ResolvedRefs", style == .istio ? "All references resolved" : "")
                : ("False", "BackendNotFound", "backend Service \(missing[0].service(routeNamespace: r.namespace).key) not found")
            // The parentRef as the mesh echoes it: Linkerd adds the namespace; Istio echoes it.
            var parentRef = i < rawParents.count ? rawParents[i] : .object(JSONObject())
            if style == .linkerd, parentRef["namespace"] == nil { parentRef["namespace"] = .string(r.namespace) }
            let old = previousParents.first {
                $0["controllerName"]?.stringValue == style.controllerName && $0["parentRef"] == parentRef
            }
            func condition(_ type: String, _ v: (String, String, String)) -> JSON {
                let prior = old?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
                // lastTransitionTime moves only when the status does.
                let since =
                    prior.flatMap { $0["status"]?.stringValue == v.0 ? $0["lastTransitionTime"] : nil } ?? .string(KubeTime.format(now))
                var c: [(String, JSON)] = [("type", .string(type)), ("status", .string(v.0))]
                if style == .istio, let g = r.generation { c.append(("observedGeneration", .int(g))) }
                c += [("lastTransitionTime", since), ("reason", .string(v.1)), ("message", .string(v.2))]
                return .object(JSONObject(c))
            }
            entries.append(
                .object(
                    JSONObject([
                        ("parentRef", parentRef), ("controllerName", .string(style.controllerName)),
                        ("conditions", .array([condition("Accepted", accepted), condition("ResolvedRefs", resolved)])),
                    ])))
        }
        return .array(entries)
    }
}

extension Simulator {
    /// Writes route status shortly after every change (a quarter of a second after the first
    /// write of a burst), through the store like any controller, so watches see it.
    func runRouteStatusController() async {
        guard options.profile.servesGatewayAPI || options.profile.servesLinkerdPolicyRoutes else { return }
        while !Task.isCancelled {
            let seen = store.commits.generation
            writeRouteStatus()
            await store.commits.wait(past: seen)
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    func writeRouteStatus() {
        for (t, ns, name, parents) in RouteStatusController.pending(in: self, now: Date()) {
            _ = try? store.update(t, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
                var o = setPath(cur, ["status", "parents"], parents)
                o = Writes.carryOverSystemFields(old: cur, new: o, t: t)
                return recordManagedUpdate(
                    old: cur, new: o, manager: RouteStatusController.manager(for: self.options.profile, group: t.group),
                    apiVersion: t.apiVersion(t.storageVersion), subresource: "status")
            }
        }
    }
}

extension Simulator {
    /// The `statusRaces` fault: the mesh reports on the object once more, just before a write
    /// lands. Every condition's `lastTransitionTime` moves a second on (a status write with
    /// nothing new would not be a write: the store keeps the resourceVersion of an unchanged
    /// object, as the API server does), through the status subresource with the mesh's manager.
    func raceStatusWrite(_ t: ResourceType, namespace: String, name: String) {
        guard t.subresources.contains("status"), faults.takeStatusRace() else { return }
        _ = try? store.update(t, namespace: namespace, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
            guard var parents = cur[path: "status", "parents"]?.arrayValue else { return cur }
            for (i, p) in parents.enumerated() {
                guard var conditions = p["conditions"]?.arrayValue else { continue }
                for (j, c) in conditions.enumerated() {
                    var c = c
                    let was = c["lastTransitionTime"]?.stringValue.flatMap(KubeTime.parse) ?? Date(timeIntervalSince1970: 0)
                    c["lastTransitionTime"] = .string(KubeTime.format(max(Date(), was.addingTimeInterval(1))))
                    conditions[j] = c
                }
                var p = p
                p["conditions"] = .array(conditions)
                parents[i] = p
            }
            let o = setPath(cur, ["status", "parents"], .array(parents))
            return recordManagedUpdate(
                old: cur, new: o, manager: RouteStatusController.manager(for: self.options.profile, group: t.group),
                apiVersion: t.apiVersion(t.storageVersion), subresource: "status")
        }
    }
}

extension RouteStatusController {
    /// The field manager a real controller's status writes carry.
    static func manager(for profile: SimProfile, group: String) -> String {
        profile.routeController(gatewayGroup: group == RouteKind.gatewayGroup) == .istio ? "pilot-discovery" : "policy-controller"
    }
}
