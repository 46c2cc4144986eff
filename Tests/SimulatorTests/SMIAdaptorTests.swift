import KubeCore
import Testing

@testable import Simulator

/// The simulated linkerd-smi adaptor's decisions, pass by pass (LinkerdSMI.swift).
@Suite struct SMIAdaptorTests {
    static func split(_ ns: String, _ name: String, service: String, _ backends: [(String, JSON)]) -> JSON {
        [
            "apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit", "metadata": ["name": .string(name), "namespace": .string(ns)],
            "spec": ["service": .string(service), "backends": .array(backends.map { ["service": .string($0.0), "weight": $0.1] })],
        ]
    }

    static let books = ObjectRef(namespace: "bookstore", name: "books.bookstore.svc.cluster.local")

    @Test("a TrafficSplit becomes a new ServiceProfile with one dstOverride per backend, weights as quantities, no port")
    func creates() throws {
        let ts = Self.split("bookstore", "books", service: "books", [("books-v1", "900m"), ("books-v2", 100), ("books-v3", "0.1")])
        let (actions, synced) = SMIAdaptor.actions(splits: [ts], profiles: [:], synced: [])
        #expect(synced == [ObjectRef(namespace: "bookstore", name: "books")])
        guard case .create(let ns, let name, let object) = try #require(actions.first), actions.count == 1 else {
            Issue.record("expected one create, got \(actions)")
            return
        }
        #expect(ns == "bookstore" && name == "books.bookstore.svc.cluster.local")
        #expect(object["apiVersion"] == "linkerd.io/v1alpha2" && object["kind"] == "ServiceProfile")
        let dst = object[path: "spec", "dstOverrides"]?.arrayValue ?? []
        #expect(
            dst.map { $0["authority"] } == [
                "books-v1.bookstore.svc.cluster.local", "books-v2.bookstore.svc.cluster.local", "books-v3.bookstore.svc.cluster.local",
            ])
        #expect(dst.map { $0["weight"] } == ["900m", "100", "100m"])
        #expect(object[path: "spec", "routes"] == nil && object[path: "metadata", "ownerReferences"] == nil)
    }

    @Test("an existing profile gets its dstOverrides replaced only when they differ, never when annotated smi.linkerd.io/skip")
    func updates() throws {
        let ts = Self.split("bookstore", "books", service: "books", [("books-v1", 1)])
        var sp: JSON = [
            "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
            "metadata": ["name": "books.bookstore.svc.cluster.local", "namespace": "bookstore"],
            "spec": ["routes": [["name": "GET /", "condition": ["method": "GET"]]]],
        ]
        var r = SMIAdaptor.actions(splits: [ts], profiles: [Self.books: sp], synced: [])
        let want: JSON = [["authority": "books-v1.bookstore.svc.cluster.local", "weight": "1"]]
        #expect(r.actions == [.setOverrides("bookstore", "books.bookstore.svc.cluster.local", want)])
        sp[path: "spec", "dstOverrides"] = want
        r = SMIAdaptor.actions(splits: [ts], profiles: [Self.books: sp], synced: r.synced)
        #expect(r.actions.isEmpty, "in step: nothing to write")
        var skipped = sp
        skipped[path: "metadata", "annotations"] = ["smi.linkerd.io/skip": "true"]
        let moved = Self.split("bookstore", "books", service: "books", [("books-v1", 1), ("books-v2", 1)])
        #expect(SMIAdaptor.actions(splits: [moved], profiles: [Self.books: skipped], synced: r.synced).actions.isEmpty)
        #expect(SMIAdaptor.actions(splits: [moved], profiles: [Self.books: sp], synced: r.synced).actions.count == 1)
    }

    @Test("when the TrafficSplit goes the profile stays, its dstOverrides removed (not when skipped, not twice)")
    func deletion() {
        let dst: JSON = [["authority": "books-v1.bookstore.svc.cluster.local", "weight": "1"]]
        var sp: JSON = [
            "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
            "metadata": ["name": "books.bookstore.svc.cluster.local", "namespace": "bookstore"], "spec": ["dstOverrides": dst],
        ]
        let synced: Set = [ObjectRef(namespace: "bookstore", name: "books")]
        let r = SMIAdaptor.actions(splits: [JSON](), profiles: [Self.books: sp], synced: synced)
        #expect(r.actions == [.setOverrides("bookstore", "books.bookstore.svc.cluster.local", nil)] && r.synced.isEmpty)
        sp[path: "spec", "dstOverrides"] = nil
        #expect(SMIAdaptor.actions(splits: [JSON](), profiles: [Self.books: sp], synced: synced).actions.isEmpty)
        // A profile the adaptor never synced is not touched.
        sp[path: "spec", "dstOverrides"] = dst
        #expect(SMIAdaptor.actions(splits: [JSON](), profiles: [Self.books: sp], synced: []).actions.isEmpty)
    }

    @Test("two TrafficSplits for one Service: the first name counts; one with a weight that is not a quantity is skipped")
    func oddSplits() {
        let a = Self.split("bookstore", "a-books", service: "books", [("books-v1", 1)])
        let b = Self.split("bookstore", "b-books", service: "books", [("books-v2", 1)])
        for order in [[a, b], [b, a]] {
            let r = SMIAdaptor.actions(splits: order, profiles: [:], synced: [])
            guard case .create(_, _, let o) = r.actions.first else {
                Issue.record("no create")
                continue
            }
            #expect(o[path: "spec", "dstOverrides"]?[0]?["authority"] == "books-v1.bookstore.svc.cluster.local")
        }
        let bad = Self.split("bookstore", "books", service: "books", [("books-v1", "lots"), ("books-v2", 1)])
        #expect(SMIAdaptor.actions(splits: [bad], profiles: [:], synced: []).actions.isEmpty)
    }
}
