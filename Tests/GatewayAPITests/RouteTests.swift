import Foundation
import KubeCore
import Testing

@testable import GatewayAPI

/// The canonical manifests and real status readbacks (Tests/Fixtures/gateway-api, see SOURCES.md).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/gateway-api")

func load(_ relative: String) throws -> [JSON] {
    var text = try String(contentsOf: fixtures.appendingPathComponent(relative), encoding: .utf8)
    // The readbacks keep the original elision line ("...") of the documentation they came from.
    text = text.split(separator: "\n", omittingEmptySubsequences: false).filter { $0 != "..." }.joined(separator: "\n")
    return try YAMLDocuments.read(text).map(\.json).filter { $0.objectValue != nil }
}

func route(_ relative: String) throws -> Route { try Route(json: try load(relative)[0]) }

@Suite struct RouteExamples {
    @Test("every example decodes with its rules, backends and per-rule shares")
    func examples() throws {
        let expect: [(String, RouteKind, [[String]], [[String]])] = [
            ("01-gateway-api-v1-httproute-weight.yaml", .httpRoute, [["echo-v1", "echo-v2"]], [["70%", "30%"]]),
            ("02-gateway-api-v1-grpcroute-weight.yaml", .grpcRoute, [["echo-v1", "echo-v2", "echo-v3"]], [["70%", "30%", "0%"]]),
            ("03-gateway-api-v1-httproute-matching-path-headers.yaml", .httpRoute, [["echo-v1"], ["echo-v2"]], [["100%"], ["100%"]]),
            ("04-gateway-api-v1.0.0-mesh-split-exact-paths.yaml", .httpRoute, [["echo-v1"], ["echo-v2"]], [["100%"], ["100%"]]),
            ("05-linkerd-policy-v1beta2-traffic-shift-90-10.yaml", .linkerdHTTPRoute, [["bb", "bb-v2"]], [["90%", "10%"]]),
            ("06-linkerd-policy-v1beta2-header-routing-two-rules.yaml", .linkerdHTTPRoute, [["smiley2"], ["smiley"]], [["100%"], ["100%"]]),
            ("07-istio-1.23-v1beta1-bookinfo-reviews-50-50.yaml", .httpRoute, [["reviews-v1", "reviews-v3"]], [["50%", "50%"]]),
        ]
        for (file, kind, names, shares) in expect {
            let r = try route("examples/" + file)
            #expect(r.kind == kind, "\(file)")
            #expect(r.rules.map { $0.backends.map(\.name) } == names, "\(file)")
            let got = r.rules.indices.map { i in r.shares(rule: i).map { $0?.percentText(decimals: 0) ?? "-" } }
            #expect(got == shares, "\(file)")
            #expect(r.isMeshRoute, "\(file): a Service parent makes it a mesh route")
            // Decode → encode is the identity.
            #expect(r.encode() == r.raw, "\(file)")
        }
    }

    @Test("match summaries tell rules apart; the default rule reads 'all requests'")
    func summaries() throws {
        let m = try route("examples/03-gateway-api-v1-httproute-matching-path-headers.yaml")
        #expect(m.rules[0].matchSummary == "all requests | header version=one")
        #expect(m.rules[1].matchSummary == "path /v2* | header version=two")
        let e = try route("examples/04-gateway-api-v1.0.0-mesh-split-exact-paths.yaml")
        #expect(e.rules.map(\.matchSummary) == ["path =/v1", "path =/v2"])
        let h = try route("examples/06-linkerd-policy-v1beta2-header-routing-two-rules.yaml")
        #expect(h.rules.map(\.matchSummary) == ["header x-faces-user=testuser", "all requests"])
        #expect(h.rules.map(\.matchesAll) == [false, true])
        let g = try Route(
            json: try JSON.parse(
                #"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"GRPCRoute","metadata":{"name":"g","namespace":"n"},"spec":{"rules":[{"matches":[{"method":{"service":"echo.Echo","method":"Say"}}]}]}}"#
            ))
        #expect(g.rules[0].matchSummary == "grpc echo.Echo/Say")
    }

    @Test("group \"\" and core are the same parent; status entries match spec parents after normalising")
    func groups() throws {
        let linkerd = try route("status/linkerd-policy-controller-httproute-v1.yaml")
        // Spec says group core with no namespace; the status echoes core with the namespace.
        #expect(linkerd.acceptance == .accepted(controller: "linkerd.io/policy-controller"))
        let a = ParentRef(group: "", kind: "Service", name: "echo", port: 80)
        let b = ParentRef(group: "core", kind: "Service", name: "echo", namespace: "ns", port: 80)
        #expect(a.sameParent(as: b, routeNamespace: "ns"))
        #expect(!a.sameParent(as: b, routeNamespace: "other"))
        #expect(a.isService && b.isService)
        // The API server's default for a group-less Service parent is the Gateway group.
        var readback = try load("status/istio-gateway-controller-docs-readback.yaml")[0]
        readback["apiVersion"] = "gateway.networking.k8s.io/v1beta1"
        readback["kind"] = "HTTPRoute"
        let istio = try Route(json: readback)
        #expect(istio.parentRefs[0].isDefaultedServiceGroup)
        #expect(istio.isMeshRoute)
    }

    @Test("Accepted at the written generation, or said to be unknown where the mesh reports no observedGeneration")
    func writeAcceptance() throws {
        var istio = try load("status/istio-gateway-controller-docs-readback.yaml")[0]
        istio["metadata"] = ["name": "reviews", "namespace": "default", "generation": 8]
        istio["apiVersion"] = "gateway.networking.k8s.io/v1"
        istio["kind"] = "HTTPRoute"
        let r = try Route(json: istio)
        #expect(r.writeAcceptance(generation: 8) == .accepted)
        #expect(r.writeAcceptance(generation: 9) == .waiting(observed: 8))
        let linkerd = try route("status/linkerd-policy-controller-httproute-v1.yaml")
        #expect(linkerd.writeAcceptance(generation: 2) == .acceptedGenerationUnknown(since: "2025-10-03T12:38:34Z"))
        // No status at all: no mesh took it.
        let bare = try route("examples/01-gateway-api-v1-httproute-weight.yaml")
        #expect(bare.acceptance == .noController)
        #expect(bare.writeAcceptance(generation: 1) == .noController)
    }

    @Test("a weight patch carries every rule as read, changes weights only and keeps unknown fields")
    func patch() throws {
        var json = try load("examples/03-gateway-api-v1-httproute-matching-path-headers.yaml")[0]
        // A field from a newer Gateway API (a rule name, a future key) must survive untouched.
        json[path: "spec", "rules"] = .array(
            (json[path: "spec", "rules"]?.arrayValue ?? []).enumerated().map { i, r in
                var r = r
                if i == 1 {
                    r["name"] = "v2"
                    r["futureField"] = ["x": 1]
                    r["backendRefs"] = [["name": "echo-v2", "port": 8080, "weight": 1], ["name": "echo-v3", "port": 8080, "weight": 1]]
                }
                return r
            })
        json["metadata"] = ["name": "mesh-matching", "namespace": "ns", "resourceVersion": "42"]
        let r = try Route(json: json)
        #expect(r.rules[1].name == "v2")
        #expect(try r.ruleIndex("v2").get() == 1)
        let w = try WeightEdits.settingShare(r.rules[1].backends.map(\.weight), policy: .gatewayAPI, percent: 10, of: 1)
        let edited = r.with(rule: 1, weights: w)
        let patch = edited.weightsMergePatch()
        #expect(patch[path: "metadata", "resourceVersion"]?.stringValue == "42")
        let rules = try #require(patch[path: "spec", "rules"]?.arrayValue)
        // Rule 0 byte-identical; rule 1 identical but for the weights.
        #expect(rules[0] == json[path: "spec", "rules"]?.arrayValue?[0])
        #expect(rules[1]["futureField"] == ["x": 1])
        #expect(rules[1]["name"] == "v2")
        #expect(rules[1]["backendRefs"]?.arrayValue?.map { $0["weight"] } == [.number("90"), .number("10")])
        // Nothing added where the user changed nothing: rule 0 has no weights and still has none.
        #expect(rules[0]["backendRefs"]?.arrayValue?.first?["weight"] == nil)
        #expect(patch.objectValue?.keys.sorted() == ["metadata", "spec"])
        #expect(patch["spec"]?.objectValue?.keys.sorted() == ["rules"])
    }

    @Test("a slimmed route (its object kept as compact text) writes the very bytes the full route writes")
    func slimmedWritesTheSameBytes() throws {
        var json = try load("examples/01-gateway-api-v1-httproute-weight.yaml")[0]
        // Fields smitop does not know, odd number literals and escapes: all must come back as read.
        json[path: "spec", "futureField"] = try JSON.parse(#"{"n": 1.50, "e": 2E+3, "s": "caf\u00e9 \" \\ \u0001", "l": [null, true, {"k": -0}]}"#)
        var rules = try #require(json[path: "spec", "rules"]?.arrayValue)
        rules[0]["name"] = "default"
        rules[0]["futureRuleField"] = ["x": .array([1, 2])]
        json[path: "spec", "rules"] = .array(rules)
        json["metadata"] = ["name": "echo", "namespace": "ns", "resourceVersion": "7", "generation": 3, "labels": ["team": "a"]]
        json["status"] = ["parents": []]
        let full = try Route(json: json)
        let slim = full.slimmed()
        #expect(slim.raw["spec"] == json["spec"] && slim.raw["status"] == nil)
        #expect(slim.encode()[path: "spec"] == full.encode()[path: "spec"])
        let w = [Weight(integer: 3), Weight(integer: 1)]
        let a = full.with(rule: 0, weights: w).weightsMergePatch().serialized()
        let b = slim.with(rule: 0, weights: w).weightsMergePatch().serialized()
        #expect(a == b)
        #expect(String(decoding: b, as: UTF8.self).contains(#""name":"default","futureRuleField":{"x":[1,2]}"#))
        // The rest of the spec, kept as text, comes back with its literals as written.
        #expect(String(decoding: slim.encode().serialized(), as: UTF8.self).contains(#""futureField":{"n":1.50,"e":2E+3,"#))
        // Equality survives the text form: the same object slimmed twice is equal, a weight is not.
        #expect(slim == full.slimmed())
        #expect(slim != slim.with(rule: 0, weights: w))
        #expect(try Route(json: json).slimmed() == slim)
    }

    @Test("hostile weights and list sizes are refused at decode with the path, never trapped on")
    func hostile() throws {
        func decode(weight: JSON) -> RouteDecodeError? {
            let j: JSON = [
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": ["name": "x", "namespace": "n"],
                "spec": ["rules": [["backendRefs": [["name": "a", "weight": weight]]]]],
            ]
            do {
                _ = try Route(json: j)
                return nil
            } catch { return error }
        }
        #expect(decode(weight: 1_000_000) == nil)
        #expect(decode(weight: 0) == nil)
        for bad: JSON in [.number("1000001"), .number("-1"), .number("1e300"), .number("99999999999999999999999"), "5", .number("1.5")] {
            let e = decode(weight: bad)
            #expect(e?.path == "spec.rules[0].backendRefs[0].weight", "\(bad)")
        }
        let many: JSON = [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": ["name": "x"],
            "spec": ["rules": .array(Array(repeating: ["backendRefs": []], count: 17))],
        ]
        #expect(throws: RouteDecodeError.self) { try Route(json: many) }
    }

    @Test("TYPE names as kubectl takes them")
    func typeNames() {
        #expect(RouteKind(typeName: "httproute") == .httpRoute)
        #expect(RouteKind(typeName: "HTTPRoutes") == .httpRoute)
        #expect(RouteKind(typeName: "httproutes.gateway.networking.k8s.io") == .httpRoute)
        #expect(RouteKind(typeName: "httproutes.policy.linkerd.io") == .linkerdHTTPRoute)
        #expect(RouteKind(typeName: "grpcroute") == .grpcRoute)
        #expect(RouteKind(typeName: "trafficsplit") == nil)
        #expect(RouteKind(typeName: "grpcroutes.policy.linkerd.io") == nil)
    }

    @Test("rule selection: index, unique name, ambiguity listed")
    func ruleSelection() throws {
        let j: JSON = [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": ["name": "x", "namespace": "n"],
            "spec": [
                "rules": [
                    ["name": "a", "backendRefs": [["name": "s1"], ["name": "s2"]]],
                    ["name": "a", "backendRefs": [["name": "s1"], ["name": "s2"]]],
                    ["name": "b", "backendRefs": [["name": "s1"]]],
                ]
            ],
        ]
        let r = try Route(json: j)
        #expect(try r.ruleIndex("b").get() == 2)
        #expect(try r.ruleIndex("1").get() == 1)
        guard case .failure(let e) = r.ruleIndex("a") else {
            Issue.record("ambiguous name accepted")
            return
        }
        #expect(e.message.contains("2 rules are named a (0, 1)"))
        guard case .failure(let none) = r.ruleIndex(nil) else {
            Issue.record("no rule chosen for a route with two weighted rules")
            return
        }
        #expect(none.message.contains("choose one with --rule"))
        #expect(r.rules[0].backends.allSatisfy { $0.weightDefaulted })
    }

    @Test("owners: Flagger by its Canary, the Argo plugin by its label, Kiali by its label")
    func owners() throws {
        var j = try load("examples/01-gateway-api-v1-httproute-weight.yaml")[0]
        j["metadata"] = [
            "name": "podinfo", "namespace": "test",
            "ownerReferences": [["apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": "podinfo", "uid": "u", "controller": true]],
        ]
        let flagger = try Route(json: j)
        #expect(flagger.controller?.tool == "flagger")
        #expect(flagger.flaggerCanary == "podinfo")
        j["metadata"] = ["name": "r", "namespace": "test", "labels": .object(JSONObject([(Route.argoCanaryLabel, "in-progress")]))]
        #expect(try Route(json: j).controller?.tool == "argo-rollouts")
        j["metadata"] = ["name": "r", "namespace": "test", "labels": ["kiali_wizard": "request_routing"]]
        #expect(try Route(json: j).controller?.tool == "kiali")
        j["metadata"] = ["name": "r", "namespace": "test"]
        #expect(try Route(json: j).controller == nil)
    }
}

@Suite struct RouteWeightEdits {
    func ints(_ ws: [Weight]) -> [String] { ws.map(\.description) }
    func w(_ xs: Int64...) -> [Weight] { xs.map { Weight(integer: $0) } }

    @Test("shares on integer route weights: a 1:1 rule set to 10 % becomes 90:10, not 2:0")
    func smallTotals() throws {
        #expect(ints(try WeightEdits.settingShare(w(1, 1), policy: .gatewayAPI, percent: 10, of: 1)) == ["90", "10"])
        // 10 % on 3 backends: integer weights with exactly that share.
        let three = try WeightEdits.settingShare(w(1, 1, 1), policy: .gatewayAPI, percent: 10, of: 2)
        #expect(ints(three) == ["45", "45", "10"])
    }

    @Test("sub-percent shares: a 0.5-point shift on 70:30 scales to 695:305")
    func subPercent() throws {
        let r = try WeightEdits.shifting(w(70, 30), policy: .gatewayAPI, points: Fraction(1, 2), to: 1)
        #expect(ints(r) == ["695", "305"])
        let tiny = try WeightEdits.settingShare(w(100, 0), policy: .gatewayAPI, percent: Fraction(1, 100), of: 1)
        #expect(ints(tiny) == ["9999", "1"])
    }

    @Test("no edit ever writes a weight above 1,000,000")
    func bound() throws {
        let r = try WeightEdits.promoting(w(1_000_000, 1_000_000), policy: .gatewayAPI, 0)
        #expect(ints(r) == ["1000000", "0"])
        let s = try WeightEdits.shifting(w(900_000, 900_000, 900_000), policy: .gatewayAPI, points: 60, to: 0)
        #expect(s.allSatisfy { $0.value.nanos <= 1_000_000 * Quantity.nanosPerUnit })
    }

    @Test("SMI splits keep their total (tools read it as 100)")
    func smiKeepsTotal() throws {
        let smi = WeightPolicy(unitNanos: Quantity.nanosPerUnit, maximumNanos: Weight.maximumNanos, mayRescale: false)
        #expect(ints(try WeightEdits.settingShare(w(1, 1), policy: smi, percent: 10, of: 1)) == ["2", "0"])
    }
}
