import Foundation
import KubeCore
import TestSupport
import Testing

/// `smitop lint` checks SMI manifests against the CRD schemas the simulator serves, through
/// the same validator. What a user cares about is that lint's verdict is the API server's:
/// each manifest here goes to the simulator with real kubectl (`apply --dry-run=server`,
/// kubectl's default strict field validation) and to `smitop lint`; a schema error must make
/// both refuse, naming the same field, and a valid manifest must pass both. (Lint is stricter
/// than the server only in its semantic checks — whole-number weights, duplicate backends —
/// which are not schema questions and are not in this table.)
@Suite("lint agrees with the API server", .serialized)
struct LintAgreementTests {
    struct Case: Sendable {
        var what: String
        /// The field both must name; nil when both must accept.
        var field: String?
        var yaml: String
    }

    static let cases: [Case] = [
        Case(
            what: "a valid TrafficSplit", field: nil,
            yaml: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: ok, namespace: bookstore}
                spec: {service: books, backends: [{service: books-v1, weight: 90}, {service: books-v2, weight: 10}]}
                """),
        Case(
            what: "no root service", field: "spec.service",
            yaml: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: noservice, namespace: bookstore}
                spec: {backends: [{service: books-v1, weight: 1}]}
                """),
        Case(
            what: "a weight as a string", field: "spec.backends[1].weight",
            yaml: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: stringweight, namespace: bookstore}
                spec: {service: books, backends: [{service: books-v1, weight: 1}, {service: books-v2, weight: "1"}]}
                """),
        Case(
            what: "an unknown field", field: "spec.mirror",
            yaml: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: unknown, namespace: bookstore}
                spec: {service: books, mirror: books-v2, backends: [{service: books-v1, weight: 1}]}
                """),
        Case(
            what: "a rule kind the TrafficTarget enum does not have", field: "spec.rules[0].kind",
            yaml: """
                apiVersion: access.smi-spec.io/v1alpha3
                kind: TrafficTarget
                metadata: {name: badkind, namespace: bookstore}
                spec:
                  destination: {kind: ServiceAccount, name: books, namespace: bookstore}
                  rules: [{kind: GRPCRoute, name: r}]
                  sources: [{kind: ServiceAccount, name: webapp, namespace: bookstore}]
                """),
        Case(
            what: "a TrafficTarget without sources", field: "spec.sources",
            yaml: """
                apiVersion: access.smi-spec.io/v1alpha3
                kind: TrafficTarget
                metadata: {name: nosources, namespace: bookstore}
                spec:
                  destination: {kind: ServiceAccount, name: books, namespace: bookstore}
                  rules: [{kind: HTTPRouteGroup, name: r}]
                """),
        Case(
            what: "an HTTP method the enum does not have", field: "spec.matches[0].methods[0]",
            yaml: """
                apiVersion: specs.smi-spec.io/v1alpha4
                kind: HTTPRouteGroup
                metadata: {name: badmethod, namespace: bookstore}
                spec: {matches: [{name: m, methods: [FETCH]}]}
                """),
        Case(
            what: "headers as a plain map", field: "spec.matches[0].headers",
            yaml: """
                apiVersion: specs.smi-spec.io/v1alpha4
                kind: HTTPRouteGroup
                metadata: {name: headermap, namespace: bookstore}
                spec: {matches: [{name: m, headers: {user-agent: ".*"}}]}
                """),
        Case(
            what: "a TCPRoute port as a string", field: "spec.matches.ports[0]",
            yaml: """
                apiVersion: specs.smi-spec.io/v1alpha4
                kind: TCPRoute
                metadata: {name: stringport, namespace: bookstore}
                spec: {matches: {ports: ["8080"]}}
                """),
        Case(
            what: "a valid UDPRoute", field: nil,
            yaml: """
                apiVersion: specs.smi-spec.io/v1alpha4
                kind: UDPRoute
                metadata: {name: dns, namespace: bookstore}
                spec: {matches: {ports: [53]}}
                """),
    ]

    @Test func schemaVerdictsMatchTheServer() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        for c in Self.cases {
            let server = try await h.kubectl(["apply", "--dry-run=server", "-f", "-"], stdin: c.yaml)
            let lint = try await runProcess(CLITests.binary, ["lint", "-", "-o", "json"], env: ["HOME": h.dir], stdin: c.yaml, timeout: 60)
            let problems = (try? JSON.parse(lint.stdout))?[0]?["problems"]?.arrayValue ?? []
            let errors = problems.filter { $0["severity"]?.stringValue == "error" }.compactMap { $0["path"]?.stringValue }
            guard let field = c.field else {
                #expect(server.status == 0, "\(c.what): the server refused: \(server.stderr)")
                #expect(lint.status == 0 && errors.isEmpty, "\(c.what): lint found \(errors): \(lint.stdout)")
                continue
            }
            #expect(server.status != 0, "\(c.what): the server accepted it: \(server.stdout)")
            #expect(server.stderr.contains(field), "\(c.what): the server does not name \(field): \(server.stderr)")
            #expect(lint.status == 1, "\(c.what): lint exit \(lint.status): \(lint.stdout)")
            #expect(errors.contains(field), "\(c.what): lint names \(errors), not \(field)")
        }
    }
}
