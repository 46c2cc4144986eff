import Foundation
import KubeCore
import SMI

/// A simulated cluster: the objects the store starts with and the traffic flowing between
/// them.
///
/// Objects are complete as the API server would hold them, except `metadata.resourceVersion`,
/// `uid` and `generation`, which the store assigns. `creationTimestamp` is set (relative to
/// `now`) so ages look lived-in. Order: Namespaces, Services, Deployments, Pods, Endpoints,
/// TrafficSplits, TrafficTargets, HTTPRouteGroups, TCPRoutes — creation order, so a store
/// that hands out resourceVersions sequentially gets a plausible history.
public struct Scenario: Sendable {
    public var name: String
    public var objects: [JSON]
    public var traffic: TrafficModel

    public init(name: String, objects: [JSON], traffic: TrafficModel) {
        self.name = name
        self.objects = objects
        self.traffic = traffic
    }

    public static let names = ["bookstore", "generated", "hostile"]

    /// Upper bounds for `generated`; beyond these a single in-memory store stops being a
    /// useful fixture.
    public static let maxServices = 10_000
    public static let maxSplits = 20_000
    public static let maxRoutes = 20_000

    /// Builds scenario `name`. `services`/`splits` size the `generated` scenario (ignored by
    /// `bookstore` and `hostile`); `now` (Unix seconds) anchors creation timestamps, so pass a fixed value
    /// for byte-identical output.
    public static func make(
        name: String, seed: UInt64, profile: SimProfile, services: Int, splits: Int, routes: Int = 0,
        now: Double = Date().timeIntervalSince1970.rounded(.down)
    ) throws -> Scenario {
        let topology: SimTopology
        switch name {
        case "hostile":
            let s = build(
                name: name, topology: Hostile.topology(seed: seed), seed: seed, profile: profile, now: now,
                extraSplits: Hostile.splits(seed: seed, profile: profile, now: now),
                extraTargets: Hostile.targets(profile: profile, now: now))
            return Scenario(name: s.name, objects: s.objects.map(Hostile.decorate), traffic: s.traffic)
        case "bookstore":
            topology = Bookstore.topology(seed: seed)
        case "generated":
            guard (1...maxServices).contains(services) else {
                throw ScenarioError.invalidSize("services must be 1...\(maxServices), got \(services)")
            }
            guard (0...maxSplits).contains(splits) else {
                throw ScenarioError.invalidSize("splits must be 0...\(maxSplits), got \(splits)")
            }
            guard (0...maxRoutes).contains(routes) else {
                throw ScenarioError.invalidSize("routes must be 0...\(maxRoutes), got \(routes)")
            }
            // Routes are made from the same canary families as splits: at least as many
            // topology splits as routes, written as TrafficSplits only up to `splits`.
            topology = GeneratedCluster.topology(seed: seed, services: services, splits: max(splits, profile.servesGatewayAPI ? routes : 0))
            var s = build(name: name, topology: topology, seed: seed, profile: profile, now: now, splitLimit: splits)
            if profile.servesGatewayAPI && routes > 0 {
                s.objects += RouteObjectWriter(profile: profile, now: now).generatedRoutes(from: topology.splits, count: routes)
            }
            return s
        default:
            throw ScenarioError.unknownName(name, valid: names)
        }
        return build(name: name, topology: topology, seed: seed, profile: profile, now: now)
    }

    /// `extraSplits` are split objects written by hand (the hostile scenario's, whose weights
    /// no `SimTopology.Split` can express); they join the store and the traffic model alike.
    static func build(
        name: String, topology t: SimTopology, seed: UInt64, profile: SimProfile, now: Double, extraSplits: [JSON] = [],
        extraTargets: [JSON] = [],
        splitLimit: Int = .max
    ) -> Scenario {
        let kube = KubeObjectWriter(topology: t, now: now)
        let smi = SMIObjectWriter(profile: profile, now: now)
        var rng = SimRandom(seed: seed ^ 0x5EED_0B1E)
        var objects: [JSON] = []
        objects.reserveCapacity(t.namespaces.count + 2 * t.services.count + 2 * t.deployments.count + t.podCount + t.splits.count)
        for ns in t.namespaces { objects.append(kube.namespace(ns)) }
        for s in t.services { objects.append(kube.service(s)) }
        for d in t.deployments { objects.append(kube.deployment(d)) }
        for d in t.deployments {
            let rsUID = rng.uuid()
            for p in d.pods { objects.append(kube.pod(d, p, replicaSetUID: rsUID)) }
        }
        for s in t.services { objects.append(kube.endpoints(s)) }
        var splitObjects: [JSON] = []
        // Istio never served SMI: its profile's cluster holds routes instead.
        if profile.servesSMI {
            splitObjects.reserveCapacity(t.splits.count)
            for s in t.splits.prefix(splitLimit) { splitObjects.append(smi.split(s)) }
            splitObjects += extraSplits
            objects += splitObjects
            let age = { (ns: String) in (t.namespaces.first { $0.name == ns }?.ageDays ?? 7) * 86400 - 600 }
            for x in t.targets where !profile.accessVersions.isEmpty { objects.append(smi.trafficTarget(x, ago: age(x.namespace))) }
            objects += extraTargets
            for g in t.routeGroups where !profile.specsVersions.isEmpty { objects.append(smi.httpRouteGroup(g, ago: age(g.namespace))) }
            for r in t.tcpRoutes where !profile.specsVersions.isEmpty { objects.append(smi.tcpRoute(r, ago: age(r.namespace))) }
        }
        if name == "bookstore" {
            // One Canary owns the payments split and route, so both name its uid.
            var canaryUID = rng.uuid()
            for s in t.splits {
                if case .flagger(let canary, let uid, _) = s.owner, canary == "payments" { canaryUID = uid }
            }
            objects.append(flaggerCanary(profile: profile, uid: canaryUID, now: now))
            objects += RouteObjectWriter(profile: profile, now: now).bookstoreRoutes(flaggerCanaryUID: canaryUID)
            objects += RouteObjectWriter(profile: profile, now: now).bookstoreProfiles()
        }
        return Scenario(name: name, objects: objects, traffic: t.trafficModel(seed: seed, splitObjects: splitObjects))
    }
}

extension Scenario {
    /// The bookstore's Flagger Canary for `payments`, mid-analysis at 20 % as its split and
    /// route are: stepWeight 10 up to 50 (what the Flagger route actor steps by), not
    /// suspended. Its uid is the one the split's and route's ownerReferences name.
    static func flaggerCanary(profile: SimProfile, uid: String, now: Double) -> JSON {
        let provider: String
        switch profile {
        case .linkerdGamma, .istio, .all: provider = "gatewayapi:v1"
        case .linkerd: provider = "linkerd"
        case .osm: provider = "osm"
        case .sdk: provider = "smi:v1alpha3"
        }
        let time = JSON.string(KubeTime.format(epochSeconds: now - 95))
        return jobj([
            ("apiVersion", "flagger.app/v1beta1"), ("kind", "Canary"),
            (
                "metadata",
                jobj([
                    ("name", "payments"), ("namespace", "payments"), ("uid", .string(uid)),
                    ("creationTimestamp", .string(KubeTime.format(epochSeconds: now - 12 * 86400))),
                ])
            ),
            (
                "spec",
                jobj([
                    ("provider", .string(provider)),
                    ("targetRef", jobj([("apiVersion", "apps/v1"), ("kind", "Deployment"), ("name", "payments")])),
                    ("service", jobj([("port", 8080), ("targetPort", 8080)])),
                    ("suspend", false),
                    (
                        "analysis",
                        jobj([
                            ("interval", "1m"), ("threshold", 5), ("maxWeight", 50), ("stepWeight", 10),
                            (
                                "metrics",
                                .array([
                                    jobj([("name", "request-success-rate"), ("thresholdRange", jobj([("min", 99)])), ("interval", "1m")]),
                                    jobj([("name", "request-duration"), ("thresholdRange", jobj([("max", 500)])), ("interval", "30s")]),
                                ])
                            ),
                        ])
                    ),
                ])
            ),
            (
                "status",
                jobj([
                    ("phase", "Progressing"), ("canaryWeight", 20), ("failedChecks", 0), ("iterations", 0), ("lastTransitionTime", time),
                    (
                        "conditions",
                        .array([
                            jobj([
                                ("type", "Promoted"), ("status", "Unknown"), ("reason", "Progressing"),
                                ("message", "New revision detected, progressing canary analysis."), ("lastTransitionTime", time),
                                ("lastUpdateTime", time),
                            ])
                        ])
                    ),
                ])
            ),
        ])
    }
}

public enum ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownName(String, valid: [String])
    case invalidSize(String)

    public var description: String {
        switch self {
        case .unknownName(let n, let valid):
            return "unknown scenario \"\(n)\"; valid scenarios: \(valid.joined(separator: ", "))"
        case .invalidSize(let m): return m
        }
    }
}
