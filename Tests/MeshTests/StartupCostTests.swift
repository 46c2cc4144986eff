import GatewayAPI
import KubeCore
import SMI
import Simulator
import Testing

@testable import Mesh

/// What the start-up on 10,000 three-rule routes saves (docs/benchmarks.md, section 2c) must
/// not change what the store, the graph or the layout say.
@Suite struct StartupCostTests {
    static func routesScenario(routes: Int = 30) throws -> [ObjectKind: [JSON]] {
        let s = try Scenario.make(
            name: "generated", seed: 5, profile: .linkerdGamma, services: 60, splits: 0, routes: routes, now: 1_700_000_000)
        var byKind: [ObjectKind: [JSON]] = [:]
        for o in s.objects { if let k = ListProjectionTests.kind(of: o) { byKind[k, default: []].append(k.projected(o)) } }
        return byKind
    }

    static func store(_ byKind: [ObjectKind: [JSON]]) -> MeshStore {
        var store = MeshStore()
        for k in ObjectKind.allCases { store.replaceAll(k, byKind[k] ?? []) }
        return store
    }

    @Test("a split is its source alone, and its root is read from it")
    func splitIsItsSource() throws {
        // 40 bytes while the root's name was kept beside the source (1 MB of the store's
        // 65,536 buckets for 30,000 rule splits).
        #expect(MemoryLayout<WeightedSplit>.stride <= 24, "\(MemoryLayout<WeightedSplit>.stride)")
        let store = Self.store(try Self.routesScenario())
        for split in store.splits.values {
            let root = split.rootRef
            let ns = split.route.map(\.namespace) ?? split.meta.namespace ?? ""
            #expect(split.service == (root.namespace == ns ? root.name : root.key), "\(split.id)")
        }
        #expect(store.splits.count >= 60)
    }

    @Test("each rule split reads the very box the store keeps its route in")
    func rulesShareTheStoresRoute() throws {
        let store = Self.store(try Self.routesScenario())
        #expect(store.routeCount == 30)
        var checked = 0
        for (id, split) in store.splits where split.isRoute {
            let rid = RouteID(kind: split.route!.kind, ref: id.ref)
            let box = try #require(store.routeBoxes[rid])
            #expect(split.routeBox === box, "\(id)")
            #expect(store.route(rid) == split.route)
            checked += 1
        }
        #expect(checked >= 60, "\(checked) rule splits")
    }

    @Test("a kind's first list changes the topology when it brings objects, a relist of the same objects does not")
    func firstListAndRelist() throws {
        let byKind = try Self.routesScenario()
        var store = MeshStore()
        let routes = byKind[.httpRoute] ?? []
        #expect(!routes.isEmpty)
        #expect(store.replaceAll(.httpRoute, []).topologyChanged == false)
        let first = store.replaceAll(.httpRoute, routes)
        #expect(first.topologyChanged)
        #expect(first.changedSplits.count == store.splits.count && !first.changedSplits.isEmpty)
        let again = store.replaceAll(.httpRoute, routes)
        #expect(!again.topologyChanged && again.changedSplits.isEmpty)
        // One route fewer: a new topology, as before.
        var fewer = routes
        fewer.removeLast()
        #expect(store.replaceAll(.httpRoute, fewer).topologyChanged)
        #expect(store.replaceAll(.httpRoute, []).topologyChanged)
        // Pods are not part of the topology, on their first list as on any other.
        let pods = byKind[.pod] ?? []
        #expect(!pods.isEmpty)
        #expect(store.replaceAll(.pod, pods).topologyChanged == false)
        #expect(store.replaceAll(.trafficTarget, byKind[.trafficTarget] ?? []).topologyChanged == false)
    }

    @Test("the graph's shares are the analysis's shares")
    func sharesAreTheAnalysis() throws {
        let store = Self.store(try Self.routesScenario())
        for split in store.splits.values {
            #expect(split.shares == split.analysis.shares)
            #expect(split.weights == split.backends.map(\.weight))
            #expect(split.backendCount == split.backends.count)
        }
        let values: [[Int128]] = [
            [], [0, 0], [90_000_000_000, 10_000_000_000], [-5, 5, 10], [Int128.max, Int128.max, 1], [Int128.min, 3],
            [1, 2, 3, 4, 5, 6, 7],
        ]
        for v in values {
            let weights = v.map { Weight(value: Quantity(nanos: $0), literal: .number("0")) }
            let analysis = SplitAnalysis.of(weights: weights, services: v.map { "s\($0)" }, root: "r", integerOnly: false)
            #expect(SplitAnalysis.shares(ofNanos: v) == analysis.shares, "\(v)")
        }
    }

    @Test("the graph reserves room for exactly the edges it can have")
    func edgesReservedToSize() throws {
        let store = Self.store(try Self.routesScenario(routes: 200))
        let graph = MeshGraph.build(store: store, observedEdges: [])
        // Two per split (the room reserved before) is more than the rules' 1–3 backends fill.
        #expect(graph.edges.capacity < MeshGraph.selectEdges(store).count + 2 * store.splits.count)
        #expect(graph.edges.count > store.splits.count)
    }

    @Test("an edge's bounds enclose its points, its points are kept at their size")
    func edgeRouteBounds() throws {
        let r = EdgeRoute(
            points: [CellPoint(x: 10, y: 4), CellPoint(x: 12, y: 4), CellPoint(x: 12, y: -3), CellPoint(x: 30, y: -3)],
            label: Rect(x: 13, y: -3, width: 6, height: 1))
        #expect(r.bounds == Rect(x: 10, y: -3, width: 21, height: 8))
        #expect(EdgeRoute(points: [CellPoint(x: 5, y: 6)], label: Rect(x: 0, y: 0, width: 0, height: 0)).bounds == Rect(x: 5, y: 6, width: 1, height: 1))
        #expect(EdgeRoute.none.bounds == Rect(x: 0, y: 0, width: 0, height: 0))
        let store = Self.store(try Self.routesScenario(routes: 60))
        let graph = MeshGraph.build(store: store, observedEdges: [])
        let layout = Layout.compute(graph)
        var routed = 0
        for route in layout.routes where route.points.count >= 2 {
            // Room for one more at most (the allocator's rounding); grown by appending, an
            // edge of five or six points had room for eight.
            #expect(route.points.capacity <= route.points.count + 1, "\(route.points.count) in \(route.points.capacity)")
            for p in route.points { #expect(route.bounds.contains(p)) }
            routed += 1
        }
        #expect(routed == graph.edges.count)
    }
}
