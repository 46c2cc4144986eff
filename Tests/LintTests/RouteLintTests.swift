import Foundation
import KubeCore
import Testing

@testable import Lint

/// `smitop lint` on Gateway API and Linkerd policy routes: the canonical examples, and each
/// check the CRD schema, its CEL rules or the semantics add.
@Suite struct RouteLintTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gateway-api/examples")

    func shares(_ r: LintReport) -> [[String]] {
        (r.json.arrayValue?.first?["rules"]?.arrayValue ?? []).map { rule in
            (rule["backends"]?.arrayValue ?? []).map { "\($0["service"]?.stringValue ?? "")=\($0["share"]?.compactString ?? "null")" }
        }
    }

    @Test("every example lints clean with its per-rule shares in -o json")
    func examples() throws {
        let expect: [String: [[String]]] = [
            "01-gateway-api-v1-httproute-weight.yaml": [["echo-v1=0.7", "echo-v2=0.3"]],
            "02-gateway-api-v1-grpcroute-weight.yaml": [["echo-v1=0.7", "echo-v2=0.3", "echo-v3=0.0"]],
            "03-gateway-api-v1-httproute-matching-path-headers.yaml": [["echo-v1=1.0"], ["echo-v2=1.0"]],
            "04-gateway-api-v1.0.0-mesh-split-exact-paths.yaml": [["echo-v1=1.0"], ["echo-v2=1.0"]],
            "05-linkerd-policy-v1beta2-traffic-shift-90-10.yaml": [["bb=0.9", "bb-v2=0.1"]],
            "06-linkerd-policy-v1beta2-header-routing-two-rules.yaml": [["smiley2=1.0"], ["smiley=1.0"]],
            "07-istio-1.23-v1beta1-bookinfo-reviews-50-50.yaml": [["reviews-v1=0.5", "reviews-v3=0.5"]],
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(expect.keys))
        for f in files {
            let text = try String(contentsOf: Self.examples.appendingPathComponent(f), encoding: .utf8)
            let r = lint(documents: text, fileName: f)
            #expect(r.exitCode == 0 && r.errorCount == 0 && r.warningCount == 0, "\(f): \(r.text)")
            #expect(shares(r) == expect[f], "\(f)")
        }
    }

    func route(_ spec: String, apiVersion: String = "gateway.networking.k8s.io/v1", kind: String = "HTTPRoute") -> LintReport {
        lint(documents: "apiVersion: \(apiVersion)\nkind: \(kind)\nmetadata: {name: r, namespace: n}\nspec:\n" + spec, fileName: "r.yaml")
    }

    func messages(_ r: LintReport) -> [String] {
        r.objects.flatMap(\.problems).map { "\($0.severity.rawValue) \($0.path): \($0.message)" }
    }

    @Test("schema bounds, unknown fields and the port rule are errors, with the line")
    func errors() {
        let big = route(
            """
              parentRefs: [{group: "", kind: Service, name: s, port: 80}]
              rules:
              - backendRefs:
                - {name: a, port: 80, weight: 1000001}
                - {name: b, weight: 1}
            """)
        #expect(big.exitCode == 1)
        let m = messages(big)
        #expect(m.contains { $0.contains("spec.rules[0].backendRefs[0].weight") && $0.contains("less than or equal to 1000000") }, "\(m)")
        #expect(m.contains { $0 == "error spec.rules[0].backendRefs[1].port: Must have port for Service reference" }, "\(m)")
        #expect(big.objects[0].problems.first { $0.path.hasSuffix("weight") }?.line == 8)
        // `core` passes the CEL rule (it tests for an empty group).
        let core = route(
            """
              parentRefs: [{group: core, kind: Service, name: s, port: 80}]
              rules:
              - backendRefs: [{group: core, kind: Service, name: a, weight: 1}]
            """, apiVersion: "policy.linkerd.io/v1beta3")
        #expect(core.exitCode == 0, "\(messages(core))")
        let unknown = route("  parentRefs: [{group: \"\", kind: Service, name: s}]\n  bogus: 1\n")
        #expect(messages(unknown).contains { $0.hasPrefix("error spec.bogus: unknown field") }, "\(messages(unknown))")
        let v1alpha2 = route("  rules: []\n", apiVersion: "gateway.networking.k8s.io/v1alpha2", kind: "GRPCRoute")
        #expect(messages(v1alpha2).contains { $0.contains("not served by Gateway API 1.1+") }, "\(messages(v1alpha2))")
    }

    @Test("warnings: all-zero rule, lone zero backend, no Service parent, group-less Service parent, rule names")
    func warnings() {
        let r = route(
            """
              parentRefs: [{kind: Service, name: s, port: 80}]
              rules:
              - name: canary
                backendRefs: [{name: a, port: 80, weight: 0}, {name: b, port: 80, weight: 0}]
              - backendRefs: [{name: c, port: 80, weight: 0}]
            """)
        let m = messages(r)
        #expect(r.exitCode == 0, "\(m)")
        #expect(m.contains { $0.contains("every weight is 0") })
        #expect(m.contains { $0.contains("the only backend has weight 0") })
        #expect(m.contains { $0.contains("spec.parentRefs[0].group") && $0.contains("gateway.networking.k8s.io") })
        #expect(m.contains { $0.contains("rules[].name is Gateway API 1.4") })
        let gateway = route("  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: a, port: 80}]}]\n")
        #expect(messages(gateway).contains { $0.contains("a Gateway route, not a mesh (GAMMA) route") })
    }
}
