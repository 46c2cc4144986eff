import Kube
import KubeCore
import SMI
import Testing

@testable import Mesh

/// Which route decides for whom, in the store and the graph: a consumer route applies to its
/// own namespace's callers and the producer's to everyone else (NOTES.md §5); a Linkerd
/// ServiceProfile with routes or dstOverrides overrides every route on its Service (§7).
@Suite struct RoutePrecedenceTests {
    static func route(_ ns: String, _ name: String, parent: String, parentNS: String? = nil, _ backends: [(String, Int)]) -> JSON {
        var p: JSON = ["group": "", "kind": "Service", "name": .string(parent), "port": 80]
        if let parentNS { p["namespace"] = .string(parentNS) }
        let refs: [JSON] = backends.map { b in
            var r: JSON = ["name": .string(b.0), "port": 80, "weight": .int(Int64(b.1))]
            if let parentNS { r["namespace"] = .string(parentNS) }
            return r
        }
        var status = p
        status["namespace"] = .string(parentNS ?? ns)
        return [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": ["name": .string(name), "namespace": .string(ns), "resourceVersion": "3", "generation": 1],
            "spec": ["parentRefs": [p], "rules": [["backendRefs": .array(refs)]]],
            "status": [
                "parents": [
                    [
                        "parentRef": status, "controllerName": "linkerd.io/policy-controller",
                        "conditions": [["type": "Accepted", "status": "True", "reason": "Accepted"]],
                    ]
                ]
            ],
        ]
    }

    static func profile(_ ns: String, _ name: String, dst: [(String, Int)]) -> JSON {
        [
            "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile", "metadata": ["name": .string(name), "namespace": .string(ns)],
            "spec": ["dstOverrides": .array(dst.map { ["authority": .string("\($0.0).\(ns).svc.cluster.local:80"), "weight": .int(Int64($0.1))] })],
        ]
    }

    /// shop: Service pay (pay-v1, pay-v2) with a producer route 80/20; front: a consumer
    /// route for shop/pay that sends front's callers to pay-v1 only. Callers: front/web and
    /// shop/batch, both seen calling pay's workloads.
    static func store() -> MeshStore {
        var s = MeshStore()
        s.replaceAll(
            .service,
            [
                service("shop", "pay", selector: ["app": "pay"]), service("shop", "pay-v1", selector: ["app": "pay", "v": "1"]),
                service("shop", "pay-v2", selector: ["app": "pay", "v": "2"]), service("front", "web", selector: ["app": "web"]),
                service("shop", "batch", selector: ["app": "batch"]),
            ])
        s.replaceAll(
            .deployment,
            [
                deployment("shop", "pay-v1", labels: ["app": "pay", "v": "1"]), deployment("shop", "pay-v2", labels: ["app": "pay", "v": "2"]),
                deployment("front", "web", labels: ["app": "web"]), deployment("shop", "batch", labels: ["app": "batch"]),
            ])
        s.replaceAll(
            .httpRoute,
            [
                route("shop", "pay", parent: "pay", [("pay-v1", 80), ("pay-v2", 20)]),
                route("front", "pay-from-front", parent: "pay", parentNS: "shop", [("pay-v1", 1)]),
            ])
        return s
    }

    static let observed = [
        TrafficEdgeKey(from: ObjectRef(namespace: "front", name: "web"), to: ObjectRef(namespace: "shop", name: "pay-v1")),
        TrafficEdgeKey(from: ObjectRef(namespace: "shop", name: "batch"), to: ObjectRef(namespace: "shop", name: "pay-v1")),
        TrafficEdgeKey(from: ObjectRef(namespace: "shop", name: "batch"), to: ObjectRef(namespace: "shop", name: "pay-v2")),
    ]

    static func traffic(_ g: MeshGraph, _ from: String, _ to: String) -> GraphEdge? {
        let (fns, fname) = (from.split(separator: "/").map(String.init)[0], from.split(separator: "/").map(String.init)[1])
        let (tns, tname) = (to.split(separator: "/").map(String.init)[0], to.split(separator: "/").map(String.init)[1])
        return g.edge(EdgeID(from: .workload(fns, fname), to: .workload(tns, tname), kind: .traffic))
    }

    @Test("a traffic edge names the rule that applies to its caller: the consumer route in the caller's namespace, the producer's elsewhere")
    func consumerRoutesPerCaller() throws {
        let s = Self.store()
        var g = MeshGraph.build(store: s, observedEdges: Self.observed)
        let producer = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"))
        let consumer = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "front", name: "pay-from-front"))
        let web = try #require(Self.traffic(g, "front/web", "shop/pay-v1"))
        #expect(web.via.map(\.split) == [consumer], "front's caller uses front's consumer route")
        #expect(web.via.first?.share == Fraction(1, 1) && web.via.first?.callerNamespace == "front")
        let batch1 = try #require(Self.traffic(g, "shop/batch", "shop/pay-v1"))
        let batch2 = try #require(Self.traffic(g, "shop/batch", "shop/pay-v2"))
        #expect(batch1.via.map(\.split) == [producer] && batch1.via.first?.share == Fraction(80, 100))
        #expect(batch2.via.map(\.split) == [producer] && batch2.via.first?.share == Fraction(20, 100))
        // The split edges from the Service: the consumer route's say whose callers it is for.
        let consumerEdge = try #require(g.edges.first { $0.split?.split == consumer })
        #expect(consumerEdge.split?.callerNamespace == "front")
        #expect(g.edges.first { $0.split?.split == producer }?.split?.callerNamespace == nil)
        // A weight change updates the shares the callers' edges carry, without a rebuild.
        var changed = s
        changed.upsert(.httpRoute, Self.route("shop", "pay", parent: "pay", [("pay-v1", 50), ("pay-v2", 50)]))
        g.updateSplitShares(producer, try #require(changed.splits[producer]))
        #expect(Self.traffic(g, "shop/batch", "shop/pay-v2")?.via.first?.share == Fraction(1, 2))
        #expect(Self.traffic(g, "front/web", "shop/pay-v1")?.via.first?.share == Fraction(1, 1))
        // The JSON export lists them under the edge.
        let json = GraphExport(graph: g, metrics: MetricsStore()).json
        let edge = json["edges"]?.arrayValue?.first { $0["from"] == "deploy/front/web" && $0["to"] == "deploy/shop/pay-v1" }
        #expect(edge?["routes"]?.arrayValue?.first?["name"] == "pay-from-front")
        #expect(edge?["routes"]?.arrayValue?.first?["callerNamespace"] == "front")
    }

    @Test("without consumer routes no traffic edge carries routes: the split edges say it for every caller")
    func noConsumerNoVia() {
        var s = Self.store()
        s.delete(.httpRoute, Self.route("front", "pay-from-front", parent: "pay", parentNS: "shop", [("pay-v1", 1)]))
        let g = MeshGraph.build(store: s, observedEdges: Self.observed)
        #expect(g.edges.allSatisfy { $0.via.isEmpty } && g.viaEdges.isEmpty)
    }

    @Test("a ServiceProfile with dstOverrides overrides the Service's routes: marked in the store, the graph and its export")
    func serviceProfileOverride() throws {
        var s = Self.store()
        let producer = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"))
        #expect(s.overridingProfile(of: try #require(s.splits[producer])) == nil)
        let sp = Self.profile("shop", "pay.shop.svc.cluster.local", dst: [("pay-v1", 100), ("pay-v2", 0)])
        let change = s.upsert(.serviceProfile, sp)
        #expect(change.topologyChanged)
        let split = try #require(s.splits[producer])
        #expect(s.overridingProfile(of: split)?.label == "ServiceProfile shop/pay.shop.svc.cluster.local")
        #expect(s.overrideSummary(of: split)?.decides == ["pay-v1 100%", "pay-v2 0%"])
        // The consumer route is on the same Service: overridden too.
        let consumer = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "front", name: "pay-from-front"))
        #expect(s.overridingProfile(of: try #require(s.splits[consumer])) != nil)
        let g = MeshGraph.build(store: s, observedEdges: [])
        let routeEdges = g.edges.filter { $0.split?.split == producer }
        #expect(routeEdges.count == 2 && routeEdges.allSatisfy { $0.split?.overriddenBy == "ServiceProfile shop/pay.shop.svc.cluster.local" })
        let json = GraphExport(graph: g, metrics: MetricsStore(), profiles: Array(s.overridingProfiles.values)).json
        let e = json["edges"]?.arrayValue?.first { $0[path: "split", "name"] == "pay" }
        #expect(e?[path: "split", "inEffect"] == .bool(false))
        #expect(e?[path: "split", "overriddenBy"] == "ServiceProfile shop/pay.shop.svc.cluster.local")
        let profiles = json["serviceProfiles"]?.arrayValue ?? []
        #expect(profiles.count == 1 && profiles.first?["service"] == "shop/pay")
        #expect(profiles.first?["dstOverrides"]?.arrayValue?.map { $0["share"]?.doubleValue } == [1, 0])
        #expect(GraphExport(graph: g, metrics: MetricsStore()).dot.contains("(overridden by ServiceProfile shop/pay.shop.svc.cluster.local)"))
        // Gone, or emptied: the routes decide again.
        var emptied = sp
        emptied["spec"] = .emptyObject
        s.upsert(.serviceProfile, emptied)
        #expect(s.overridingProfile(of: split) == nil && s.overridingProfiles.isEmpty)
        s.upsert(.serviceProfile, sp)
        s.delete(.serviceProfile, sp)
        #expect(s.overridingProfile(of: split) == nil)
        // A relist replaces the index as a whole.
        s.replaceAll(.serviceProfile, [sp])
        #expect(s.overridingProfile(of: split) != nil)
        s.replaceAll(.serviceProfile, [])
        #expect(s.overridingProfile(of: split) == nil)
    }

    @Test("a ServiceProfile in a caller's namespace decides for those callers: their traffic edges, the store's notes, the export")
    func callerSideProfiles() throws {
        var s = Self.store()
        s.delete(.httpRoute, Self.route("front", "pay-from-front", parent: "pay", parentNS: "shop", [("pay-v1", 1)]))
        let producer = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"))
        let server = Self.profile("shop", "pay.shop.svc.cluster.local", dst: [("pay-v1", 100)])
        var frontEmpty = Self.profile("front", "pay.shop.svc.cluster.local", dst: [])
        frontEmpty["spec"] = .emptyObject
        s.upsert(.serviceProfile, server)
        s.upsert(.serviceProfile, frontEmpty)
        let serverLabel = "ServiceProfile shop/pay.shop.svc.cluster.local"
        var g = MeshGraph.build(store: s, observedEdges: Self.observed)
        // front's empty profile hides the Service's for front's callers: the route decides there.
        let web = try #require(Self.traffic(g, "front/web", "shop/pay-v1"))
        #expect(web.via.map(\.split) == [producer] && web.via.first?.overriddenBy == nil && web.via.first?.inEffect == true)
        let batch = try #require(Self.traffic(g, "shop/batch", "shop/pay-v2"))
        #expect(batch.via.first?.overriddenBy == serverLabel && batch.via.first?.inEffect == false)
        let split = try #require(s.splits[producer])
        #expect(s.overridingProfile(of: split)?.label == serverLabel, "for callers without a profile of their own")
        #expect(s.overridingProfile(of: split, callerNamespace: "front") == nil)
        #expect(
            s.callerProfileNotes(of: split) == ["callers in front: ServiceProfile front/pay.shop.svc.cluster.local is empty, so this route decides for them"])
        // A weight change keeps what each caller meets.
        var changed = s
        changed.upsert(.httpRoute, Self.route("shop", "pay", parent: "pay", [("pay-v1", 50), ("pay-v2", 50)]))
        g.updateSplitShares(producer, try #require(changed.splits[producer]))
        #expect(Self.traffic(g, "front/web", "shop/pay-v1")?.via.first?.overriddenBy == nil)
        #expect(Self.traffic(g, "shop/batch", "shop/pay-v2")?.via.first?.overriddenBy == serverLabel)
        #expect(Self.traffic(g, "shop/batch", "shop/pay-v2")?.via.first?.share == Fraction(1, 2))

        // front's own dstOverrides: front's callers meet them, and the export lists that profile.
        let frontDst = Self.profile("front", "pay.shop.svc.cluster.local", dst: [("pay-v2", 1)])
        s.upsert(.serviceProfile, frontDst)
        g = MeshGraph.build(store: s, observedEdges: Self.observed)
        #expect(Self.traffic(g, "front/web", "shop/pay-v1")?.via.first?.overriddenBy == "ServiceProfile front/pay.shop.svc.cluster.local")
        #expect(
            s.callerProfileNotes(of: try #require(s.splits[producer])).first?.hasPrefix(
                "callers in front: ServiceProfile front/pay.shop.svc.cluster.local decides: ") == true)
        let json = GraphExport(graph: g, metrics: MetricsStore(), profiles: s.profileIndex.deciders).json
        let listed = json["serviceProfiles"]?.arrayValue ?? []
        #expect(listed.map { $0["namespace"] } == ["front", "shop"])
        #expect(listed.first?["callerNamespace"] == "front" && listed.last?["callerNamespace"] == nil)
        let webEdge = json["edges"]?.arrayValue?.first { $0["from"] == "deploy/front/web" && $0["to"] == "deploy/shop/pay-v1" }
        #expect(webEdge?["routes"]?.arrayValue?.first?["overriddenBy"] == "ServiceProfile front/pay.shop.svc.cluster.local")

        // A consumer route is met by its own namespace's callers: their profile decides for it.
        s.upsert(.httpRoute, Self.route("front", "pay-from-front", parent: "pay", parentNS: "shop", [("pay-v1", 1)]))
        let consumer = try #require(s.splits[SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "front", name: "pay-from-front"))])
        #expect(s.overridingProfile(of: consumer)?.label == "ServiceProfile front/pay.shop.svc.cluster.local")
        s.upsert(.serviceProfile, frontEmpty)
        #expect(s.overridingProfile(of: consumer) == nil, "front's empty profile: the consumer route decides, whatever shop's says")
        s.delete(.serviceProfile, frontEmpty)
        #expect(s.overridingProfile(of: consumer)?.label == serverLabel)
    }

    @Test("a profile linkerd-smi wrote names the TrafficSplit it carries first: that is what decides, and what to edit")
    func linkerdSMIProfile() throws {
        var s = Self.store()
        s.upsert(.trafficSplit, split("shop", "pay-split", root: "pay", [("pay-v1", 9), ("pay-v2", 1)]))
        var sp = Self.profile("shop", "pay.shop.svc.cluster.local", dst: [("pay-v1", 9), ("pay-v2", 1)])
        let producer = try #require(s.splits[SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"))])
        s.upsert(.serviceProfile, sp)
        #expect(s.overrideSummary(of: producer)?.decides == ["pay-v1 90%", "pay-v2 10%"], "not linkerd-smi's: no TrafficSplit named")
        sp[path: "metadata", "managedFields"] = [["manager": "smi-adaptor", "operation": "Update"]]
        s.upsert(.serviceProfile, sp)
        #expect(s.overrideSummary(of: producer)?.decides == ["TrafficSplit shop/pay-split, through linkerd-smi", "pay-v1 90%", "pay-v2 10%"])
        s.delete(.trafficSplit, split("shop", "pay-split", root: "pay", [("pay-v1", 9), ("pay-v2", 1)]))
        #expect(s.overrideSummary(of: producer)?.decides.first == "a TrafficSplit, through linkerd-smi")
    }

    @Test("a TrafficSplit is never marked overridden (only route rules are)")
    func trafficSplitNotMarked() throws {
        var s = Self.store()
        s.upsert(.trafficSplit, split("shop", "pay-split", root: "pay", [("pay-v1", 1), ("pay-v2", 1)]))
        s.upsert(.serviceProfile, Self.profile("shop", "pay.shop.svc.cluster.local", dst: [("pay-v1", 1)]))
        #expect(s.overridingProfile(of: try #require(s.splits[.trafficSplit("shop", "pay-split")])) == nil)
    }
}
