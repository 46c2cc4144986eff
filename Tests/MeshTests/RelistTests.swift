import KubeCore
import SMI
import Testing

@testable import Mesh

/// A relist (after a dropped or expired watch) keeps every object the store already holds at
/// the listed resourceVersion and decodes only what changed; what the list no longer has goes.
@Suite struct RelistTests {
    static let books = ObjectRef(namespace: "shop", name: "books")

    static func withRV(_ object: JSON, _ rv: String) -> JSON {
        var o = object
        o[path: "metadata", "resourceVersion"] = .string(rv)
        return o
    }

    @Test func aRelistOfTheSameVersionsChangesNothing() {
        var s = bookstore()
        let before = s
        let topology = s.topologyVersion
        for kind in [ObjectKind.service, .deployment] {
            let items: [JSON] =
                kind == .service
                ? [
                    service("shop", "web", selector: ["app": "web"]), service("shop", "books", selector: ["app": "books"]),
                    service("shop", "books-v1", selector: ["app": "books", "version": "v1"]),
                    service("shop", "books-v2", selector: ["app": "books", "version": "v2"]),
                ]
                : [
                    deployment("shop", "web", labels: ["app": "web"]),
                    deployment("shop", "books-v1", labels: ["app": "books", "version": "v1"]),
                    deployment("shop", "books-v2", labels: ["app": "books", "version": "v2"]),
                ].map { Self.withRV($0, "5") }
            // Deployments first get versions, then are listed again at them.
            if kind == .deployment { s.replaceAll(kind, items) }
            let versioned = s
            let c = s.replaceAll(kind, items)
            #expect(!c.topologyChanged, "\(kind)")
            #expect(c.changedSplits.isEmpty, "\(kind)")
            #expect(s == versioned, "\(kind)")
        }
        let c = s.replaceAll(.trafficSplit, [split("shop", "books", root: "books", [("books-v1", 90), ("books-v2", 10)])])
        #expect(c.changedSplits.isEmpty && !c.topologyChanged)
        #expect(s.trafficSplits == before.trafficSplits && s.splits == before.splits)
        #expect(s.topologyVersion == topology)
    }

    @Test func anObjectListedAtTheVersionHeldIsNotDecodedAgain() {
        var s = bookstore()
        // Same key, same resourceVersion ("7"), other weights: only a server that broke the
        // resourceVersion contract sends this; the store keeps what it read at that version.
        let c = s.replaceAll(.trafficSplit, [split("shop", "books", root: "books", [("books-v1", 10), ("books-v2", 90)])])
        #expect(c.changedSplits.isEmpty)
        #expect(s.trafficSplits[Self.books]?.backends.map { $0.weight.literal.intValue } == [90, 10])
        // At a new version it is read.
        let c2 = s.replaceAll(
            .trafficSplit, [split("shop", "books", root: "books", [("books-v1", 10), ("books-v2", 90)], rv: "8")])
        #expect(c2.changedSplits == [.trafficSplit(Self.books)])
        #expect(!c2.topologyChanged)
        #expect(s.trafficSplits[Self.books]?.backends.map { $0.weight.literal.intValue } == [10, 90])
    }

    @Test func objectsWithoutAVersionAreAlwaysReadAgain() {
        var s = bookstore()  // its deployments carry no resourceVersion
        let web = ObjectRef(namespace: "shop", name: "web")
        #expect(s.deployments[web]?.readyReplicas == 1)
        let c = s.replaceAll(
            .deployment,
            [
                deployment("shop", "web", labels: ["app": "web"], ready: 2),
                deployment("shop", "books-v1", labels: ["app": "books", "version": "v1"]),
                deployment("shop", "books-v2", labels: ["app": "books", "version": "v2"]),
            ])
        // Reported as a watch event reports it: the label to patch, not a new topology.
        #expect(!c.topologyChanged && c.changedDeployments.contains(web))
        #expect(s.deployments[web]?.readyReplicas == 2)
    }

    @Test func whatTheListNoLongerHasIsRemovedWithItsSplits() {
        var s = bookstore()
        let c = s.replaceAll(.trafficSplit, [])
        #expect(c.topologyChanged)
        #expect(c.changedSplits == [.trafficSplit(Self.books)])
        #expect(s.trafficSplits.isEmpty && s.splits.isEmpty)
        let topology = s.topologyVersion
        let c2 = s.replaceAll(
            .service,
            [service("shop", "web", selector: ["app": "web"]), service("shop", "books", selector: ["app": "books"])])
        #expect(c2.topologyChanged)
        #expect(s.services.keys.map(\.name).sorted() == ["books", "web"])
        #expect(s.topologyVersion == topology + 1)
    }

    @Test func routesKeepTheirRulesAndLoseTheOnesTheListDropped() {
        var s = bookstore()
        let a = RoutePrecedenceTests.route("shop", "a", parent: "books", [("books-v1", 70), ("books-v2", 30)])
        let b = RoutePrecedenceTests.route("shop", "b", parent: "web", [("books-v1", 1)])
        s.replaceAll(.httpRoute, [a, b])
        #expect(s.routeCount == 2)
        let held = s.splits
        // b is gone, a is listed at the version held.
        let c = s.replaceAll(.httpRoute, [a])
        let bRule = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "b"), rule: 0)
        #expect(c.topologyChanged)
        #expect(c.changedSplits == [bRule])
        #expect(s.routeCount == 1 && s.splits[bRule] == nil)
        #expect(s.splits.count == held.count - 1)
        // Listed again unchanged: nothing moves.
        let c2 = s.replaceAll(.httpRoute, [a])
        #expect(c2.changedSplits.isEmpty && !c2.topologyChanged)
    }

    @Test func anObjectThatFailsToDecodeStaysReportedAcrossRelists() {
        var s = bookstore()
        var bad = split("shop", "bad", root: "books", [("books-v1", 1)], rv: "9")
        bad[path: "spec", "backends"] = "not a list"
        let good = split("shop", "books", root: "books", [("books-v1", 90), ("books-v2", 10)])
        s.replaceAll(.trafficSplit, [good, bad])
        #expect(s.decodeErrors.keys.contains { $0.hasSuffix("shop/bad") })
        let c = s.replaceAll(.trafficSplit, [good, bad])
        #expect(s.decodeErrors.keys.contains { $0.hasSuffix("shop/bad") })
        #expect(s.trafficSplits.count == 1)
        s.replaceAll(.trafficSplit, [good])
        #expect(s.decodeErrors.isEmpty)
    }
}
