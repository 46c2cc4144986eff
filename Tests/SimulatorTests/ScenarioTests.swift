import APIServer
import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

private let fixedNow = 1_718_000_000.0

private func bookstore(_ profile: SimProfile = .sdk, seed: UInt64 = 42) throws -> Scenario {
    try Scenario.make(name: "bookstore", seed: seed, profile: profile, services: 0, splits: 0, now: fixedNow)
}

private func objects(_ s: Scenario, kind: String) -> [JSON] { s.objects.filter { $0["kind"]?.stringValue == kind } }

private func find(_ s: Scenario, kind: String, _ ns: String, _ name: String) -> JSON? {
    s.objects.first {
        $0["kind"]?.stringValue == kind && $0[path: "metadata", "namespace"]?.stringValue == ns
            && $0[path: "metadata", "name"]?.stringValue == name
    }
}

private let clusterScoped: Set<String> = ["Namespace"]
private let kindOrder = [
    "Namespace", "Service", "Deployment", "Pod", "Endpoints", "TrafficSplit", "TrafficTarget", "HTTPRouteGroup", "TCPRoute",
    "Canary", "HTTPRoute", "GRPCRoute", "ServiceProfile",
]

/// Structural checks every scenario must pass for every profile.
private func checkValid(_ s: Scenario, profile: SimProfile) {
    var lastKind = 0
    var seen = Set<String>()
    var services = Set<String>()
    for o in s.objects {
        guard let kind = o["kind"]?.stringValue, let apiVersion = o["apiVersion"]?.stringValue,
            let name = o[path: "metadata", "name"]?.stringValue
        else {
            Issue.record("object without apiVersion/kind/metadata.name: \(o.compactString.prefix(200))")
            continue
        }
        #expect(!apiVersion.isEmpty && !name.isEmpty)
        let ns = o[path: "metadata", "namespace"]?.stringValue
        if clusterScoped.contains(kind) { #expect(ns == nil) } else { #expect(ns?.isEmpty == false, "\(kind) \(name) has no namespace") }
        // The store assigns these; the Flagger Canary keeps the uid its owned objects name.
        for f in ["resourceVersion", "uid", "generation"] where !(kind == "Canary" && f == "uid") { #expect(o[path: "metadata", f] == nil) }
        if kind == "Canary" {
            let owned = s.objects.filter {
                $0[path: "metadata", "ownerReferences"]?[0]?["kind"]?.stringValue == "Canary"
                    && $0[path: "metadata", "namespace"] == o[path: "metadata", "namespace"]
            }
            #expect(!owned.isEmpty && owned.allSatisfy { $0[path: "metadata", "ownerReferences"]?[0]?["uid"] == o[path: "metadata", "uid"] })
        }
        let k = kindOrder.firstIndex(of: kind) ?? -1
        #expect(k >= lastKind, "\(kind) after \(kindOrder[lastKind])")
        lastKind = max(lastKind, k)
        #expect(seen.insert("\(kind)/\(ns ?? "")/\(name)").inserted, "duplicate \(kind) \(name)")
        if kind == "Service" { services.insert("\(ns!)/\(name)") }
        switch kind {
        case "TrafficSplit":
            #expect(apiVersion == "split.smi-spec.io/\(profile.splitStorageVersion)")
            let backends = o[path: "spec", "backends"]?.arrayValue ?? []
            #expect(backends.count >= 2)
            for b in backends {
                #expect(services.contains("\(ns!)/\(b["service"]?.stringValue ?? "")"), "backend of \(name) is not a Service")
                if profile.splitStorageVersion == "v1alpha1" {
                    #expect(b["weight"]?.stringValue != nil || b["weight"]?.intValue != nil)
                } else {
                    #expect(b["weight"]?.intValue != nil, "v1alpha2+ weights are integers")
                }
            }
            #expect(services.contains("\(ns!)/\(o[path: "spec", "service"]?.stringValue ?? "")"))
        case "TrafficTarget":
            #expect(apiVersion == "access.smi-spec.io/\(profile.accessVersions[0])")
            let v = profile.accessVersions[0]
            let root = v == "v1alpha1" ? o : o["spec"]
            #expect(root?["destination"]?["kind"]?.stringValue == "ServiceAccount")
            #expect(root?[v == "v1alpha1" ? "specs" : "rules"]?.arrayValue?.isEmpty == false)
            #expect(root?["sources"]?.arrayValue?.isEmpty == false)
            #expect((root?["destination"]?["port"] == nil) == (v == "v1alpha3"))
        case "HTTPRouteGroup":
            let v = profile.specsVersions[0]
            let matches = (v == "v1alpha1" || v == "v1alpha2") ? o["matches"] : o[path: "spec", "matches"]
            #expect(matches?.arrayValue?.isEmpty == false)
        case "TCPRoute":
            if profile.specsVersions[0] == "v1alpha4" {
                #expect(o[path: "spec", "matches", "ports"]?.arrayValue?.isEmpty == false)
            }
        case "Pod":
            #expect(o[path: "status", "phase"]?.stringValue == "Running")
            #expect(o[path: "status", "podIP"]?.stringValue != nil)
            let c = o[path: "spec", "containers"]?.arrayValue ?? []
            #expect(c.count == 2)
            for x in c { #expect(x["name"] != nil && x["image"] != nil && x["ports"]?.arrayValue?.isEmpty == false) }
            #expect(o[path: "metadata", "labels", "app"] != nil && o[path: "metadata", "labels", "version"] != nil)
            #expect(o[path: "metadata", "annotations", "linkerd.io/proxy-version"] != nil)
        default: break
        }
    }
}

@Test func unknownScenarioNameListsValidNames() {
    #expect(throws: ScenarioError.unknownName("bookshop", valid: ["bookstore", "generated", "hostile"])) {
        try Scenario.make(name: "bookshop", seed: 1, profile: .sdk, services: 1, splits: 1)
    }
    let message = ScenarioError.unknownName("x", valid: Scenario.names).description
    #expect(message.contains("bookstore") && message.contains("generated") && message.contains("hostile"))
}

@Test func generatedRejectsSizesOutOfRange() {
    #expect(throws: ScenarioError.self) { try Scenario.make(name: "generated", seed: 1, profile: .sdk, services: 10_001, splits: 1) }
    #expect(throws: ScenarioError.self) { try Scenario.make(name: "generated", seed: 1, profile: .sdk, services: 10, splits: 20_001) }
}

@Test(arguments: SimProfile.allCases)
func bookstoreIsValidForEveryProfile(profile: SimProfile) throws {
    let s = try bookstore(profile)
    checkValid(s, profile: profile)
    #expect(objects(s, kind: "Namespace").count == 2)
    #expect((8...12).contains(objects(s, kind: "Service").count))
    if profile.servesSMI {
        #expect(objects(s, kind: "TrafficSplit").count >= 2)
        #expect(!objects(s, kind: "TrafficTarget").isEmpty && !objects(s, kind: "HTTPRouteGroup").isEmpty && !objects(s, kind: "TCPRoute").isEmpty)
    } else {
        #expect(objects(s, kind: "TrafficSplit").isEmpty && objects(s, kind: "TrafficTarget").isEmpty)
    }
    // The Gateway API profiles' bookstore routes: two-rule books, Flagger's payments, the Argo
    // plugin's authors, a consumer route, a GRPCRoute and the HTTPRoute it beats, one no mesh took.
    let routes = objects(s, kind: "HTTPRoute").map {
        "\($0[path: "metadata", "namespace"]?.stringValue ?? "")/\($0[path: "metadata", "name"]?.stringValue ?? "")"
    }
    if profile.servesGatewayAPI {
        #expect(
            Set(routes).isSuperset(of: [
                "bookstore/books", "payments/payments", "bookstore/authors", "bookstore/payments-from-bookstore", "payments/ledger-http", "bookstore/webapp",
            ]), "\(routes)")
        #expect(objects(s, kind: "GRPCRoute").count == 1)
        #expect(routes.contains("payments/fraud") == profile.servesLinkerdPolicyRoutes)
    } else {
        #expect(routes.isEmpty && objects(s, kind: "GRPCRoute").isEmpty)
    }
}

@Test func bookstoreHasTheCanaryWithAWorseBackend() throws {
    let s = try bookstore()
    let split = try #require(find(s, kind: "TrafficSplit", "bookstore", "books"))
    let backends = split[path: "spec", "backends"]?.arrayValue ?? []
    #expect(backends.map { $0["service"]?.stringValue } == ["books-v1", "books-v2"])
    #expect(backends.map { $0["weight"]?.intValue } == [90, 10])
    let v1 = try #require(s.traffic.traffic(of: .deployment("bookstore", "books-v1")))
    let v2 = try #require(s.traffic.traffic(of: .deployment("bookstore", "books-v2")))
    #expect((0.85...0.9).contains(v2.successRate))
    #expect(v2.successRate < v1.successRate && v2.latencyMedianMs > v1.latencyMedianMs)
    // Applied with kubectl: the annotation is the manifest, sorted keys, trailing newline.
    let applied = try #require(split[path: "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]?.stringValue)
    #expect(applied.hasSuffix("}\n"))
    let parsed = try JSON.parse(applied)
    #expect(parsed.objectValue?.keys == ["apiVersion", "kind", "metadata", "spec"])
    #expect(parsed["spec"] == split["spec"])
    #expect(parsed[path: "metadata", "annotations"] == .emptyObject)
    #expect(split[path: "metadata", "managedFields"]?[0]?["manager"]?.stringValue == "kubectl-client-side-apply")
}

@Test func bookstoreHasAControllerOwnedSplit() throws {
    let s = try bookstore()
    let split = try #require(find(s, kind: "TrafficSplit", "payments", "payments"))
    let owner = try #require(split[path: "metadata", "ownerReferences"]?[0])
    #expect(owner["kind"]?.stringValue == "Canary")
    #expect(owner["apiVersion"]?.stringValue == "flagger.app/v1beta1")
    #expect(owner["controller"]?.boolValue == true)
    #expect(owner["uid"]?.stringValue?.count == 36)
    let mf = try #require(split[path: "metadata", "managedFields"]?[0])
    #expect(mf["manager"]?.stringValue == "flagger")
    #expect(mf["operation"]?.stringValue == "Update")
    #expect(mf["fieldsType"]?.stringValue == "FieldsV1")
    #expect(mf[path: "fieldsV1", "f:spec", "f:backends"] != nil)
    #expect(split[path: "metadata", "annotations"] == nil)
}

@Test func linkerdProfileStoresV1alpha1QuantityWeights() throws {
    let s = try bookstore(.linkerd)
    let books = try #require(find(s, kind: "TrafficSplit", "bookstore", "books"))
    #expect(books["apiVersion"]?.stringValue == "split.smi-spec.io/v1alpha1")
    #expect(books[path: "spec", "backends"]?.arrayValue?.map { $0["weight"] } == [.string("900m"), .string("100m")])
    let authors = try #require(find(s, kind: "TrafficSplit", "bookstore", "authors"))
    #expect(authors[path: "spec", "backends"]?.arrayValue?.map { $0["weight"] } == [100, 0])
    let w = s.traffic.defaultWeights[ObjectRef(namespace: "bookstore", name: "books")]
    #expect(w?.map(\.weight) == [0.9, 0.1])
}

@Test func bookstoreEndpointsMatchPods() throws {
    let s = try bookstore()
    var podIPs: [String: String] = [:]
    for p in objects(s, kind: "Pod") {
        let name = try #require(p[path: "metadata", "name"]?.stringValue)
        podIPs[name] = p[path: "status", "podIP"]?.stringValue
        // <deployment>-<template hash>-<5 char suffix>
        let hash = try #require(p[path: "metadata", "labels", "pod-template-hash"]?.stringValue)
        #expect(name.range(of: "^[a-z0-9-]+-\(hash)-[bcdfghjklmnpqrstvwxz2456789]{5}$", options: .regularExpression) != nil, "\(name)")
    }
    #expect(Set(podIPs.values).count == podIPs.count, "pod IPs are unique")
    let books = try #require(find(s, kind: "Endpoints", "bookstore", "books"))
    let addresses = books[path: "subsets"]?[0]?["addresses"]?.arrayValue ?? []
    #expect(addresses.count == 4, "books selects both versions' pods")
    for a in addresses {
        let pod = try #require(a[path: "targetRef", "name"]?.stringValue)
        #expect(podIPs[pod] == a["ip"]?.stringValue)
    }
}

@Test func scenariosAreDeterministicForASeed() throws {
    let a = try bookstore(seed: 7)
    let b = try bookstore(seed: 7)
    let c = try bookstore(seed: 8)
    #expect(a.objects.map { $0.compactString } == b.objects.map { $0.compactString })
    #expect(a.objects.map { $0.compactString } != c.objects.map { $0.compactString })
    let g1 = try Scenario.make(name: "generated", seed: 3, profile: .linkerd, services: 300, splits: 500, now: fixedNow)
    let g2 = try Scenario.make(name: "generated", seed: 3, profile: .linkerd, services: 300, splits: 500, now: fixedNow)
    #expect(g1.objects == g2.objects)
    let t1 = g1.traffic.sample(window: 30, at: fixedNow, weights: g1.traffic.defaultWeights)
    let t2 = g2.traffic.sample(window: 30, at: fixedNow, weights: g2.traffic.defaultWeights)
    #expect(t1.inbound == t2.inbound && t1.edges == t2.edges)
}

@Test(arguments: [SimProfile.sdk, .linkerd, .osm])
func generatedIsValid(profile: SimProfile) throws {
    let s = try Scenario.make(name: "generated", seed: 11, profile: profile, services: 400, splits: 700, now: fixedNow)
    checkValid(s, profile: profile)
    #expect(objects(s, kind: "Service").count == 400)
    #expect(objects(s, kind: "TrafficSplit").count == 700)
    #expect(objects(s, kind: "Namespace").count == 8)
    // Every app of a non-final layer calls 1–4 services; all calls go right.
    let model = s.traffic
    var out: [WorkloadRef: Set<ObjectRef>] = [:]
    for c in model.calls {
        out[c.from, default: []].insert(c.to)
        let from = try #require(model.traffic(of: c.from))
        let svc = try #require(model.services.first { $0.key == c.to })
        for w in svc.workloads { #expect(model.traffic(of: w)!.layer > from.layer) }
    }
    for (_, callees) in out { #expect((1...4).contains(callees.count)) }
    #expect(!s.traffic.defaultWeights.isEmpty)
}

@Test func generatedAtScale() throws {
    let start = Date()
    let s = try Scenario.make(name: "generated", seed: 99, profile: .sdk, services: 5000, splits: 10_000, now: fixedNow)
    let elapsed = Date().timeIntervalSince(start)
    let splits = objects(s, kind: "TrafficSplit")
    let bytes = splits.reduce(0) { $0 + $1.serialized().count }
    print(
        "generated 5000 services + 10000 splits: \(s.objects.count) objects in \(String(format: "%.2f", elapsed)) s; splits avg \(bytes / splits.count) bytes")
    #expect(splits.count == 10_000)
    #expect(objects(s, kind: "Service").count == 5000)
    #expect(objects(s, kind: "Namespace").count == 100)
    // A real API server list item with managedFields and last-applied is about 2 KB.
    #expect((1400...3000).contains(bytes / splits.count))
    // One pod per deployment at this size.
    #expect(objects(s, kind: "Pod").count == objects(s, kind: "Deployment").count)
    let sampleStart = Date()
    let sample = s.traffic.sample(window: 30, at: fixedNow, weights: s.traffic.defaultWeights)
    print(
        "sample over \(s.traffic.workloads.count) workloads: \(sample.edges.count) edges in \(String(format: "%.3f", Date().timeIntervalSince(sampleStart))) s")
    #expect(sample.inbound.count > s.traffic.workloads.count / 2)
}

/// The generated cluster with routes, as the scale benchmarks use it: N HTTPRoutes of three
/// rules each, every one valid against the real CRD, the first per family named after its root.
@Test func generatedRoutesAreValidAndRuleShaped() throws {
    let s = try Scenario.make(name: "generated", seed: 5, profile: .istio, services: 300, splits: 0, routes: 400, now: fixedNow)
    let routes = s.objects.filter { $0["kind"]?.stringValue == "HTTPRoute" }
    #expect(routes.count == 400)
    let istioSplits = s.objects.filter { $0["kind"]?.stringValue == "TrafficSplit" }
    #expect(istioSplits.isEmpty)
    let registry = try TypeRegistry.make(profile: .istio)
    let t = try #require(registry.find(group: "gateway.networking.k8s.io", resource: "httproutes"))
    let schema = try #require(t.schemas["v1"])
    for r in routes {
        let v = validate(r, schema: schema, fieldValidation: .strict)
        #expect(v.isValid, "\(v.errors) \(v.unknownFields)")
        #expect(r[path: "spec", "rules"]?.arrayValue?.count == 3)
    }
    let names = Set(routes.compactMap { $0[path: "metadata", "name"]?.stringValue })
    let keys = Set(routes.map { "\($0[path: "metadata", "namespace"]?.stringValue ?? "")/\($0[path: "metadata", "name"]?.stringValue ?? "")" })
    #expect(keys.count == 400, "every route has its own namespace/name")
    #expect(names.contains { $0.contains("-r") }, "more routes than families: later routes of a root are <root>-r<k>")
    #expect(throws: ScenarioError.self) { try Scenario.make(name: "generated", seed: 1, profile: .istio, services: 10, splits: 0, routes: 20_001) }
    // Profiles without the Gateway API get none.
    let sdk = try Scenario.make(name: "generated", seed: 5, profile: .sdk, services: 300, splits: 10, routes: 400, now: fixedNow)
    let sdkRoutes = sdk.objects.filter { $0["kind"]?.stringValue == "HTTPRoute" }
    let sdkSplits = sdk.objects.filter { $0["kind"]?.stringValue == "TrafficSplit" }
    #expect(sdkRoutes.isEmpty && sdkSplits.count == 10)
}
