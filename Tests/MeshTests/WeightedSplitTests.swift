import GatewayAPI
import KubeCore
import Testing

@testable import Mesh

/// TrafficSplits and route rules as one kind of split: identity, the store's bookkeeping,
/// edits and the graph's edges.
@Suite struct WeightedSplitTests {
    static let route = obj(
        #"""
        {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
         "metadata":{"name":"books","namespace":"shop","resourceVersion":"5","generation":3},
         "spec":{"parentRefs":[{"group":"","kind":"Service","name":"books","port":80}],
                 "rules":[{"matches":[{"headers":[{"name":"x","value":"1"}]}],"backendRefs":[{"name":"books-v2","port":80,"weight":1}]},
                          {"backendRefs":[{"name":"books-v1","port":80,"weight":80},{"name":"books-v2","port":80,"weight":20}]},
                          {"backendRefs":[]}]}}
        """#)

    @Test("split keys: ns/name for a TrafficSplit, TYPE/ns/name#rule for a route rule, and back")
    func keys() {
        let ts = SplitID.trafficSplit("shop", "books")
        let r = SplitID(kind: .route(.grpcRoute), ref: ObjectRef(namespace: "shop", name: "echo"), rule: 2)
        #expect(ts.key == "shop/books" && r.key == "grpcroute/shop/echo#2")
        #expect(SplitID(key: ts.key) == ts && SplitID(key: r.key) == r)
        #expect(SplitID(key: "httproutes.policy.linkerd.io/ns/x#0")?.kind == .route(.linkerdHTTPRoute))
        for bad in ["", "a/b/c", "httproute/ns/x#-1", "tcproute/ns/x#0", "httproute/ns/#1"] { #expect(SplitID(key: bad) == nil, "\(bad)") }
    }

    @Test("each rule with backends is a split; a weight change reports every rule of the route")
    func storeRules() throws {
        var s = MeshStore()
        let c = s.upsert(.httpRoute, Self.route)
        #expect(c.topologyChanged)
        let ids = s.splits.keys.sorted()
        #expect(ids.map(\.key) == ["httproute/shop/books#0", "httproute/shop/books#1"], "the rule without backends is no split")
        var changed = Self.route
        changed[path: "spec", "rules"] = .array(
            (Self.route[path: "spec", "rules"]?.arrayValue ?? []).enumerated().map { i, r in
                i == 1 ? ["backendRefs": [["name": "books-v1", "port": 80, "weight": 50], ["name": "books-v2", "port": 80, "weight": 50]]] : r
            })
        let c2 = s.upsert(.httpRoute, changed)
        #expect(!c2.topologyChanged)
        // Every rule: a write of any rule carries the whole route, so each needs the new
        // resourceVersion (a draft of rule 0 sees the server move on).
        #expect(c2.changedSplits == Set(ids))
        #expect(s.splits[ids[0]]?.meta.resourceVersion == "5" && s.splits[ids[1]]?.backends.map(\.weight.description) == ["50", "50"])
        let d = s.delete(.httpRoute, changed)
        #expect(d.changedSplits == Set(ids) && s.splits.isEmpty)
    }

    @Test("an edit of one rule patches the whole rules list with only that rule's weights changed")
    func editRule() throws {
        var s = MeshStore()
        s.upsert(.httpRoute, Self.route)
        let split = try #require(s.splits[SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "books"), rule: 1)])
        #expect(split.service == "books" && split.backends.map(\.service) == ["books-v1", "books-v2"])
        #expect(split.ruleSummary == "all requests")
        let edited = try split.settingShare(35, of: 1)
        let patch = edited.weightsMergePatch()
        #expect(patch[path: "metadata", "resourceVersion"] == "5")
        let rules = try #require(patch[path: "spec", "rules"]?.arrayValue)
        #expect(rules.count == 3)
        #expect(rules[0] == Self.route[path: "spec", "rules"]?.arrayValue?[0])
        #expect(rules[1]["backendRefs"]?.arrayValue?.map { $0["weight"] } == [.number("65"), .number("35")])
        // The graph draws both rules' edges from the parent Service.
        let g = MeshGraph.build(store: s, observedEdges: [TrafficEdgeKey]())
        let splitEdges = g.edges.filter { if case .split = $0.id.kind { return true } else { return false } }
        #expect(splitEdges.count == 3)
    }

    @Test("the rules of a route share one Route, and an edit of one rule's split changes no other split")
    func rulesShareOneRoute() throws {
        let route = try Route(json: Self.route).slimmed()
        let splits = WeightedSplit.rules(of: route)
        #expect(splits.count == 2)
        guard case .route(let a, _) = splits[0].source, case .route(let b, _) = splits[1].source else {
            Issue.record("route rules are not route splits")
            return
        }
        #expect(a === b, "one Route for both rules, not a copy each")
        let edited = try splits[1].settingShare(35, of: 1)
        #expect(edited.route?.rules[1].backends.map(\.weight.description) == ["65", "35"])
        // The shared Route is untouched: the other rule and the unedited split still read 80:20.
        #expect(splits[1].route?.rules[1].backends.map(\.weight.description) == ["80", "20"])
        #expect(splits[0].route == route && splits[1].route == route)
        #expect(splits[1] != edited)
        // A copy of a split is equal to it, and so is a split of an equal route in another box.
        #expect(WeightedSplit.rules(of: try Route(json: Self.route).slimmed()) == splits)
        var renamed = splits[0]
        renamed.meta.resourceVersion = "6"
        #expect(renamed.meta.resourceVersion == "6" && splits[0].meta.resourceVersion == "5" && splits[1].meta.resourceVersion == "5")
    }
}
