import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// The object store as etcd plus the watch cache (../shared/kubectl.md §4): one counter,
/// one event per write, a bounded window of history.
@Suite("ObjectStore")
struct StoreTests {
    static let splits = ResourceType(
        group: "split.smi-spec.io", versions: ["v1alpha4"], storageVersion: "v1alpha4", resource: "trafficsplits",
        singular: "trafficsplit", kind: "TrafficSplit", namespaced: true, isCustom: true)
    static let services = ResourceType(
        group: "", versions: ["v1"], storageVersion: "v1", resource: "services", singular: "service", kind: "Service",
        namespaced: true)
    static let namespaces = ResourceType(
        group: "", versions: ["v1"], storageVersion: "v1", resource: "namespaces", singular: "namespace",
        kind: "Namespace", namespaced: false)

    static func split(_ ns: String, _ name: String, weight: Int = 50, labels: [String: String] = [:]) -> JSON {
        var l = JSONObject()
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) { l[k] = .string(v) }
        return [
            "apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
            "metadata": ["name": .string(name), "namespace": .string(ns), "labels": .object(l)],
            "spec": ["service": "svc", "backends": [["service": "a", "weight": .int(weight)], ["service": "b", "weight": .int(100 - weight)]]],
        ]
    }

    /// Everything a watch has buffered: the store yields inside the write, so after the writes
    /// return, stopping the watch and draining the stream sees exactly what was sent.
    static func drain(_ store: ObjectStore, _ w: (id: Int, stream: AsyncStream<WatchItem>)) async -> [WatchItem] {
        store.stopWatch(w.id)
        var out: [WatchItem] = []
        for await item in w.stream { out.append(item) }
        return out
    }

    static func events(_ items: [WatchItem]) -> [StoreEvent] {
        items.compactMap { if case .event(let e) = $0 { return e } else { return nil } }
    }

    @discardableResult
    static func setWeight(
        _ store: ObjectStore, _ ns: String, _ name: String, _ w: Int, expectedRV: Int? = nil
    ) throws(APIError) -> (StoredObject, changed: Bool) {
        try store.update(splits, namespace: ns, name: name, expectedRV: expectedRV, dryRun: false) { (cur) throws(APIError) -> JSON in
            setPath(cur, ["spec", "backends"], [["service": "a", "weight": .int(w)], ["service": "b", "weight": .int(100 - w)]])
        }
    }

    @Test("every write bumps the one global counter once, across types, and emits one event")
    func oneCounterOneEvent() async throws {
        let store = ObjectStore()
        let start = store.currentRV
        let wSplits = try store.watch(Self.splits, selection: Selection(), fromRV: start)
        let wServices = try store.watch(Self.services, selection: Selection(), fromRV: start)
        let a = try store.create(Self.splits, namespace: "ns", name: "a", object: Self.split("ns", "a"), dryRun: false)
        #expect(a.rv == start + 1)
        #expect(a.object[path: "metadata", "resourceVersion"]?.stringValue == String(start + 1))
        let svc: JSON = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "s", "namespace": "ns"]]
        let s = try store.create(Self.services, namespace: "ns", name: "s", object: svc, dryRun: false)
        #expect(s.rv == start + 2, "a second type shares the counter")
        let (u, changed) = try Self.setWeight(store, "ns", "a", 70)
        #expect(changed && u.rv == start + 3)
        let d = try store.delete(Self.splits, namespace: "ns", name: "a", expectedRV: nil, dryRun: false)
        #expect(d[path: "metadata", "resourceVersion"]?.stringValue == String(start + 4), "DELETED carries a new RV")
        #expect(store.currentRV == start + 4)

        let se = Self.events(await Self.drain(store, wSplits))
        #expect(se.map(\.type) == [.added, .modified, .deleted])
        #expect(se.map(\.rv) == [start + 1, start + 3, start + 4])
        #expect(se.last?.object[path: "metadata", "resourceVersion"]?.stringValue == String(start + 4))
        let ve = Self.events(await Self.drain(store, wServices))
        #expect(ve.map(\.type) == [.added] && ve.map(\.rv) == [start + 2])
    }

    @Test("a no-op update bumps nothing and emits nothing; dry runs store nothing")
    func noOpAndDryRun() async throws {
        let store = ObjectStore()
        _ = try store.create(Self.splits, namespace: "ns", name: "a", object: Self.split("ns", "a", weight: 40), dryRun: false)
        let rv = store.currentRV
        let w = try store.watch(Self.splits, selection: Selection(), fromRV: rv)
        let (same, changed) = try Self.setWeight(store, "ns", "a", 40)
        #expect(!changed)
        #expect(same.rv == rv && store.currentRV == rv)

        let (dry, dryChanged) = try store.update(Self.splits, namespace: "ns", name: "a", expectedRV: nil, dryRun: true) {
            (cur) throws(APIError) -> JSON in setPath(cur, ["spec", "service"], "other")
        }
        #expect(dryChanged && dry.object[path: "spec", "service"]?.stringValue == "other")
        #expect(store.currentRV == rv)
        #expect(store.get(Self.splits, namespace: "ns", name: "a")?.object[path: "spec", "service"]?.stringValue == "svc")
        let dryCreate = try store.create(Self.splits, namespace: "ns", name: "b", object: Self.split("ns", "b"), dryRun: true)
        #expect(dryCreate.object[path: "metadata", "name"]?.stringValue == "b")
        #expect(store.get(Self.splits, namespace: "ns", name: "b") == nil && store.currentRV == rv)
        _ = try store.delete(Self.splits, namespace: "ns", name: "a", expectedRV: nil, dryRun: true)
        #expect(store.get(Self.splits, namespace: "ns", name: "a") != nil && store.currentRV == rv)

        // A real change afterwards is the first event the watch sees.
        try Self.setWeight(store, "ns", "a", 41)
        let events = Self.events(await Self.drain(store, w))
        #expect(events.count == 1 && events.first?.rv == rv + 1)
    }

    @Test("a stale expected resourceVersion is a 409 Conflict and changes nothing")
    func staleRV() throws {
        let store = ObjectStore()
        let created = try store.create(Self.splits, namespace: "ns", name: "a", object: Self.split("ns", "a"), dryRun: false)
        try Self.setWeight(store, "ns", "a", 60, expectedRV: created.rv)
        let rv = store.currentRV
        #expect(throws: APIError.self) { try Self.setWeight(store, "ns", "a", 70, expectedRV: created.rv) }
        do {
            try Self.setWeight(store, "ns", "a", 70, expectedRV: created.rv)
        } catch let e {
            #expect(e.code == 409 && e.reason == "Conflict")
        }
        #expect(store.currentRV == rv)
        #expect(store.get(Self.splits, namespace: "ns", name: "a")?.object[path: "spec", "backends"]?[0]?["weight"]?.intValue == 60)
        do {
            _ = try store.delete(Self.splits, namespace: "ns", name: "a", expectedRV: created.rv, dryRun: false)
            Issue.record("delete with a stale precondition succeeded")
        } catch let e {
            #expect(e.code == 409)
        }
        do {
            _ = try store.create(Self.splits, namespace: "ns", name: "a", object: Self.split("ns", "a"), dryRun: false)
            Issue.record("second create succeeded")
        } catch let e {
            #expect(e.code == 409 && e.reason == "AlreadyExists")
        }
        #expect(store.currentRV == rv)
    }

    @Test("a watch from RV N replays exactly the later events, in order, then live ones")
    func watchFromRV() async throws {
        let store = ObjectStore()
        for i in 0..<5 { _ = try store.create(Self.splits, namespace: "ns", name: "s\(i)", object: Self.split("ns", "s\(i)"), dryRun: false) }
        let mid = store.currentRV
        try Self.setWeight(store, "ns", "s1", 10)
        try Self.setWeight(store, "ns", "s3", 30)
        let w = try store.watch(Self.splits, selection: Selection(), fromRV: mid)
        _ = try store.delete(Self.splits, namespace: "ns", name: "s0", expectedRV: nil, dryRun: false)
        let events = Self.events(await Self.drain(store, w))
        #expect(events.map(\.name) == ["s1", "s3", "s0"])
        #expect(events.map(\.type) == [.modified, .modified, .deleted])
        #expect(events.map(\.rv) == [mid + 1, mid + 2, mid + 3])
        #expect(events.allSatisfy { $0.rv > mid })

        // From the current RV: nothing replayed.
        let now = try store.watch(Self.splits, selection: Selection(), fromRV: store.currentRV)
        #expect(await Self.drain(store, now).isEmpty)
    }

    @Test("a watch without a resourceVersion starts with a synthetic ADDED per object")
    func watchFromNothing() async throws {
        let store = ObjectStore()
        for name in ["b", "a", "c"] {
            _ = try store.create(Self.splits, namespace: "ns", name: name, object: Self.split("ns", name), dryRun: false)
        }
        try Self.setWeight(store, "ns", "b", 5)
        _ = try store.delete(Self.splits, namespace: "ns", name: "c", expectedRV: nil, dryRun: false)
        let w = try store.watch(Self.splits, selection: Selection(), fromRV: nil)
        try Self.setWeight(store, "ns", "a", 6)
        let events = Self.events(await Self.drain(store, w))
        // The current state (a, b; not the deleted c, no history), then the live change.
        #expect(events.map(\.type) == [.added, .added, .modified])
        #expect(events.map(\.name) == ["a", "b", "a"])
        #expect(events[1].object[path: "spec", "backends"]?[0]?["weight"]?.intValue == 5)
        #expect(events[1].rv == store.get(Self.splits, namespace: "ns", name: "b")?.rv)
    }

    @Test("a resourceVersion older than the window is 410 Expired; within it is fine")
    func watchWindow() async throws {
        let store = ObjectStore(windowSize: 4)
        let start = store.currentRV
        do {
            _ = try store.watch(Self.splits, selection: Selection(), fromRV: 1)
            Issue.record("a watch from RV 1 was accepted")
        } catch let e {
            #expect(e.code == 410 && e.reason == "Expired")
            #expect(e.status["code"]?.intValue == 410)
        }
        _ = try store.create(Self.splits, namespace: "ns", name: "a", object: Self.split("ns", "a"), dryRun: false)
        for w in 1...9 { try Self.setWeight(store, "ns", "a", w) }
        // 10 events, 4 kept: the last 4 (RVs start+7...start+10) replay from start+6.
        #expect(store.currentRV == start + 10)
        for from in [start, start + 1, start + 5] {
            #expect(throws: APIError.self, "RV \(from) should have expired") {
                _ = try store.watch(Self.splits, selection: Selection(), fromRV: from)
            }
        }
        let ok = try store.watch(Self.splits, selection: Selection(), fromRV: start + 6)
        let events = Self.events(await Self.drain(store, ok))
        #expect(events.map(\.rv) == [start + 7, start + 8, start + 9, start + 10])
        // The window keeps sliding as writes continue, compaction included.
        for w in 10...40 { try Self.setWeight(store, "ns", "a", w) }
        #expect(throws: APIError.self) { _ = try store.watch(Self.splits, selection: Selection(), fromRV: start + 6) }
        let latest = try store.watch(Self.splits, selection: Selection(), fromRV: store.currentRV - 4)
        #expect(Self.events(await Self.drain(store, latest)).count == 4)
    }

    @Test("paging with limit and continue returns every object exactly once (seeded sizes)")
    func paging() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20 {
            let store = ObjectStore()
            let n = Int(rng.next() % 40)
            var names = Set<String>()
            for i in 0..<n {
                let ns = ["a", "b", "c"][Int(rng.next() % 3)]
                let name = "s\(i)"
                names.insert(ns + "/" + name)
                _ = try store.create(Self.splits, namespace: ns, name: name, object: Self.split(ns, name), dryRun: false)
            }
            let limit = 1 + Int(rng.next() % 7)
            var seen: [String] = []
            var token: String? = nil
            var pages = 0
            repeat {
                let page = try store.list(Self.splits, selection: Selection(), limit: limit, continueToken: token)
                #expect(page.items.count <= limit)
                if page.continueToken != nil {
                    #expect(page.items.count == limit)
                    #expect(page.remaining == n - seen.count - page.items.count)
                }
                seen += page.items.map {
                    ($0.object[path: "metadata", "namespace"]?.stringValue ?? "") + "/" + ($0.object[path: "metadata", "name"]?.stringValue ?? "")
                }
                token = page.continueToken
                pages += 1
            } while token != nil && pages < 100
            #expect(seen.count == n, "n=\(n) limit=\(limit)")
            #expect(Set(seen) == names)
            #expect(seen == seen.sorted(), "pages come in key order")
        }
    }

    @Test("an expired continue token is 410 Expired; a malformed one is 400")
    func continueExpiry() throws {
        let store = ObjectStore(windowSize: 3)
        for i in 0..<6 { _ = try store.create(Self.splits, namespace: "ns", name: "s\(i)", object: Self.split("ns", "s\(i)"), dryRun: false) }
        let first = try store.list(Self.splits, selection: Selection(), limit: 2, continueToken: nil)
        let token = try #require(first.continueToken)
        // Still inside the window: the token works.
        #expect(try store.list(Self.splits, selection: Selection(), limit: 2, continueToken: token).items.count == 2)
        for w in 0..<5 { try Self.setWeight(store, "ns", "s0", w) }
        do {
            _ = try store.list(Self.splits, selection: Selection(), limit: 2, continueToken: token)
            Issue.record("an expired continue token was accepted")
        } catch let e {
            #expect(e.code == 410 && e.reason == "Expired")
        }
        do {
            _ = try store.list(Self.splits, selection: Selection(), limit: 2, continueToken: "not base64!")
            Issue.record("a malformed continue token was accepted")
        } catch let e {
            #expect(e.code == 400)
        }
    }

    @Test("label and field selectors filter lists and watches")
    func selectors() async throws {
        let store = ObjectStore()
        let start = store.currentRV
        _ = try store.create(Self.splits, namespace: "a", name: "x", object: Self.split("a", "x", labels: ["app": "books", "tier": "web"]), dryRun: false)
        _ = try store.create(Self.splits, namespace: "a", name: "y", object: Self.split("a", "y", labels: ["app": "authors"]), dryRun: false)
        _ = try store.create(Self.splits, namespace: "b", name: "x", object: Self.split("b", "x", labels: ["app": "books"]), dryRun: false)

        func names(_ sel: Selection) throws -> [String] {
            try store.list(Self.splits, selection: sel, limit: nil, continueToken: nil).items.map {
                ($0.object[path: "metadata", "namespace"]?.stringValue ?? "") + "/" + ($0.object[path: "metadata", "name"]?.stringValue ?? "")
            }
        }
        #expect(try names(Selection(labels: try LabelSelector(parsing: "app=books"))) == ["a/x", "b/x"])
        #expect(try names(Selection(labels: try LabelSelector(parsing: "app in (books,authors),!tier"))) == ["a/y", "b/x"])
        #expect(try names(Selection(labels: try LabelSelector(parsing: "app!=books"))) == ["a/y"])
        #expect(try names(Selection(fields: try FieldSelector(parsing: "metadata.name=x", kind: "TrafficSplit"))) == ["a/x", "b/x"])
        #expect(try names(Selection(fields: try FieldSelector(parsing: "metadata.name=x,metadata.namespace!=a", kind: "TrafficSplit"))) == ["b/x"])
        #expect(try names(Selection(namespace: "a")) == ["a/x", "a/y"])
        #expect(throws: APIError.self) { _ = try FieldSelector(parsing: "spec.service=x", kind: "TrafficSplit") }

        // Watches: by name (kubectl delete's wait), by label, replayed and live.
        let byName = try store.watch(
            Self.splits, selection: Selection(fields: try FieldSelector(parsing: "metadata.name=y", kind: "TrafficSplit")), fromRV: start)
        let byLabel = try store.watch(Self.splits, selection: Selection(labels: try LabelSelector(parsing: "app=books")), fromRV: nil)
        try Self.setWeight(store, "a", "x", 1)
        try Self.setWeight(store, "a", "y", 2)
        _ = try store.delete(Self.splits, namespace: "a", name: "y", expectedRV: nil, dryRun: false)
        let n = Self.events(await Self.drain(store, byName))
        #expect(n.map(\.type) == [.added, .modified, .deleted])
        #expect(n.allSatisfy { $0.name == "y" })
        let l = Self.events(await Self.drain(store, byLabel))
        #expect(l.map { "\($0.type.rawValue) \($0.namespace)/\($0.name)" } == ["ADDED a/x", "ADDED b/x", "MODIFIED a/x"])
    }

    @Test("deletes emit DELETED with a new RV; cluster-scoped keys have no namespace")
    func deletes() async throws {
        let store = ObjectStore()
        let ns: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "demo"]]
        let created = try store.create(Self.namespaces, namespace: "", name: "demo", object: ns, dryRun: false)
        let w = try store.watch(Self.namespaces, selection: Selection(), fromRV: created.rv)
        let before = store.currentRV
        let gone = try store.delete(Self.namespaces, namespace: "", name: "demo", expectedRV: created.rv, dryRun: false)
        #expect(gone[path: "metadata", "resourceVersion"]?.stringValue == String(before + 1))
        #expect(store.get(Self.namespaces, namespace: "", name: "demo") == nil)
        do {
            _ = try store.delete(Self.namespaces, namespace: "", name: "demo", expectedRV: nil, dryRun: false)
            Issue.record("deleting twice succeeded")
        } catch let e {
            #expect(e.code == 404)
        }
        let events = Self.events(await Self.drain(store, w))
        #expect(events.count == 1)
        #expect(events.first?.type == .deleted && events.first?.rv == before + 1 && events.first?.namespace == "")
        #expect(store.currentRV == before + 1)
    }

    @Test("objects loaded at start-up emit no events, and older RVs are not watchable")
    func loadAtStart() async throws {
        let store = ObjectStore()
        store.load(Self.splits, namespace: "ns", name: "a", object: Self.split("ns", "a"))
        store.load(Self.splits, namespace: "ns", name: "b", object: Self.split("ns", "b"), rv: 5000)
        #expect(store.currentRV == 5000)
        #expect(store.get(Self.splits, namespace: "ns", name: "b")?.object[path: "metadata", "resourceVersion"]?.stringValue == "5000")
        #expect(throws: APIError.self) { _ = try store.watch(Self.splits, selection: Selection(), fromRV: 4999) }
        let w = try store.watch(Self.splits, selection: Selection(), fromRV: 5000)
        #expect(await Self.drain(store, w).isEmpty)
    }

    @Test("finishing all watches ends streams, with a final error item when given")
    func finishAll() async throws {
        let store = ObjectStore()
        let w1 = try store.watch(Self.splits, selection: Selection(), fromRV: store.currentRV)
        let w2 = try store.watch(Self.splits, selection: Selection(), fromRV: store.currentRV)
        #expect(store.watcherCount == 2)
        store.finishAllWatches(with: .error(APIError.gone("too old resource version: 0 (1000)")))
        #expect(store.watcherCount == 0)
        for w in [w1, w2] {
            var items: [WatchItem] = []
            for await i in w.stream { items.append(i) }
            guard items.count == 1, case .error(let e) = items[0] else {
                Issue.record("expected one error item, got \(items)")
                continue
            }
            #expect(e.code == 410)
        }
    }
}
