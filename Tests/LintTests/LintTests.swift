import Foundation
import KubeCore
import Testing

@testable import Lint
@testable import SMI

func problems(_ r: LintReport) -> [String] {
    r.objects.flatMap { $0.problems.map { "\($0.line) \($0.severity.rawValue) \($0.path)" } }
}

@Suite struct LintSplits {
    /// What `kubectl get -o json` prints of a cluster can hold escapes in every string; lint's
    /// text output is read in a terminal (the hostile scenario's names reached it raw).
    @Test func textOutputCarriesNoControlCharacters() {
        let r = lint(
            documents: #"""
                {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                 "metadata": {"name": "evil\u001b]0;pwned\u0007", "namespace": "ns\u202e"},
                 "spec": {"service": "root\u001b[2J", "x\u001b[31m": 1,
                          "backends": [{"service": "\u001b[2Jv1", "weight": "9\u009b"}, {"service": "v2\u200d", "weight": 1}]}}
                """#, fileName: "hostile\u{1B}.yaml")
        #expect(r.exitCode == 1)
        let bad = r.text.unicodeScalars.filter {
            ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value)
                || (0x200B...0x200F).contains($0.value)
        }
        #expect(bad.isEmpty, "\(bad.map { String($0.value, radix: 16) }) in:\n\(r.text)")
        #expect(r.text.contains("[2Jv1") && r.text.contains("pwned"), "the names stay readable")
    }

    @Test func validSplitWithShares() {
        let r = lint(
            documents: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata:
                  name: canary
                  namespace: shop
                spec:
                  service: website
                  backends:
                  - service: website-v1
                    weight: 90
                  - service: website-v2
                    weight: 10
                """, fileName: "c.yaml")
        #expect(r.exitCode == 0)
        #expect(problems(r) == [])
        let o = r.objects[0]
        #expect(o.kind == "TrafficSplit" && o.name == "canary" && o.namespace == "shop")
        #expect(o.backends?.map(\.share) == [Fraction(9, 10), Fraction(1, 10)])
        #expect(o.backends?.map(\.weight) == ["90", "10"])
    }

    @Test func weightTypesPerVersionWithLines() {
        let r = lint(
            documents: """
                apiVersion: split.smi-spec.io/v1alpha2
                kind: TrafficSplit
                metadata:
                  name: s
                spec:
                  service: web
                  backends:
                  - service: a
                    weight: 500m
                  - service: b
                    weight: 0.5
                  - service: c
                    weight: -3
                ---
                apiVersion: split.smi-spec.io/v1alpha1
                kind: TrafficSplit
                metadata:
                  name: q
                spec:
                  service: web2
                  backends:
                  - service: a
                    weight: 500m
                  - service: b
                    weight: 1
                """, fileName: "w.yaml")
        #expect(r.exitCode == 1)
        #expect(
            problems(r) == [
                "9 error spec.backends[0].weight", "11 error spec.backends[1].weight", "13 error spec.backends[2].weight",
            ])
        #expect(r.objects[1].problems.isEmpty)
        #expect(r.objects[1].backends?.map(\.share) == [Fraction(1, 3), Fraction(2, 3)])
    }

    @Test func semanticChecks() {
        let r = lint(
            documents: """
                apiVersion: split.smi-spec.io/v1alpha3
                kind: TrafficSplit
                metadata: {name: s}
                spec:
                  service: web
                  backends:
                  - {service: web, weight: 0}
                  - {service: a, weight: 0}
                  - {service: a, weight: 0}
                """, fileName: "s.yaml")
        let ps = r.objects[0].problems
        #expect(ps.contains { $0.severity == .error && $0.message.contains("listed 2 times") && $0.line == 9 })
        #expect(ps.contains { $0.severity == .warning && $0.message.contains("root service") && $0.line == 7 })
        #expect(ps.contains { $0.severity == .warning && $0.message.contains("every weight is 0") })
        #expect(r.exitCode == 1)
    }

    @Test func allZeroIsOnlyAWarning() {
        let r = lint(
            documents: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: s}
                spec: {service: web, backends: [{service: a, weight: 0}, {service: b, weight: 0}]}
                """, fileName: "z.yaml")
        #expect(r.exitCode == 0)
        #expect(r.warningCount == 1)
        #expect(r.objects[0].backends?.map(\.share) == [nil, nil])
    }

    @Test func schemaProblems() {
        let r = lint(
            documents: """
                apiVersion: split.smi-spec.io/v1alpha2
                kind: TrafficSplit
                metadata: {name: Bad_Name}
                spec:
                  matches: [{kind: HTTPRouteGroup, name: x}]
                  backends:
                  - weight: 1
                  - service: b
                    weight: 1
                    extra: true
                """, fileName: "x.yaml")
        let msgs = r.objects[0].problems.map { "\($0.path): \($0.message)" }
        #expect(msgs.contains { $0.hasPrefix("metadata.name:") })
        #expect(msgs.contains { $0.hasPrefix("spec.matches:") && $0.contains("v1alpha3") })
        #expect(msgs.contains { $0.hasPrefix("spec.service:") })
        #expect(msgs.contains { $0.hasPrefix("spec.backends[0].service:") })
        // kubectl's default strict field validation refuses an unknown field: an error, as for routes.
        #expect(r.objects[0].problems.contains { $0.path == "spec.backends[1].extra" && $0.severity == .error })
    }
}

@Suite struct LintInputs {
    @Test func unreadableYAMLIsFatalWithLine() {
        let r = lint(documents: "kind: TrafficSplit\nmetadata:\n  name: [unclosed\n", fileName: "bad.yaml")
        #expect(r.exitCode == 2)
        #expect(r.fatal != nil)
        #expect((r.fatal?.line ?? 0) >= 3)
        #expect(r.json.arrayValue?.count == 1)
        #expect(r.text.hasPrefix("bad.yaml:"))
    }

    @Test func unknownKindAndVersion() {
        let r = lint(
            documents: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplitt
                metadata: {name: a}
                ---
                apiVersion: split.smi-spec.io/v2
                kind: TrafficSplit
                metadata: {name: b}
                ---
                apiVersion: v1alpha1
                kind: HTTPRouteGroup
                metadata: {name: c}
                matches: []
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: d}
                """, fileName: "k.yaml")
        #expect(r.objects.count == 4)
        #expect(r.objects[0].problems.map(\.line) == [2])
        #expect(r.objects[1].problems.first?.line == 5)
        #expect(r.objects[2].problems.first?.message.contains("no group") == true)
        #expect(!r.objects[3].checked && r.objects[3].problems.isEmpty)
        #expect(r.exitCode == 1)
    }

    @Test func jsonListInput() {
        let r = lint(
            documents: """
                {"apiVersion": "v1", "kind": "List", "items": [
                  {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "metadata": {"name": "a"},
                   "spec": {"service": "r", "backends": [{"service": "x", "weight": 1}, {"service": "y", "weight": 3}]}},
                  {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "metadata": {"name": "b"},
                   "spec": {"service": "r2", "backends": [{"service": "x", "weight": "1"}]}}
                ]}
                """, fileName: "l.json")
        #expect(r.objects.map(\.name) == ["a", "b"])
        #expect(r.objects[1].problems.map(\.line) == [5])
        let out = r.json
        #expect(out[0]?["backends"]?[1]?["share"] == .number("0.75"))
        #expect(out[1]?["problems"]?[0]?["severity"] == "error")
        // The rendering is valid JSON that parses back.
        #expect((try? JSON.parse(out.prettyString())) == out)
    }

    @Test func textRendering() {
        let r = lint(
            documents: """
                apiVersion: split.smi-spec.io/v1alpha4
                kind: TrafficSplit
                metadata: {name: a, namespace: n}
                spec: {service: r, backends: [{service: x, weight: 1}, {service: yy, weight: 2}]}
                """, fileName: "t.yaml")
        #expect(
            r.text == """
                TrafficSplit n/a (split.smi-spec.io/v1alpha4): ok
                  x   1  33.3%
                  yy  2  66.7%
                1 object, 0 errors, 0 warnings

                """)
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 99)
        let pieces = [
            "kind: TrafficSplit\n", "apiVersion: split.smi-spec.io/v1alpha1\n", "spec:\n", "  backends:\n",
            "  - service: a\n", "    weight: ", "500m\n", "-1\n", "[\n", "---\n", "{", "}", "&a ", "*a\n", "\t", "\"", ": ",
            "metadata: {name: x}\n", "  service: r\n", "1e400\n", "weight: 9999999999999999999999999E\n",
        ]
        for _ in 0..<1_500 {
            let text = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let r = lint(documents: text, fileName: "f")
            #expect([0, 1, 2].contains(r.exitCode))
        }
    }
}

@Suite struct OtherKinds {
    @Test func trafficTargetV1alpha1RootLayout() throws {
        let docs = try YAMLDocuments.read(
            """
            apiVersion: access.smi-spec.io/v1alpha1
            kind: TrafficTarget
            metadata: {name: t, namespace: default}
            destination: {kind: ServiceAccount, name: a, namespace: default, port: 8080}
            specs:
            - {kind: HTTPRouteGroup, name: routes, matches: [metrics]}
            sources:
            - {kind: ServiceAccount, name: prometheus, namespace: default}
            """)
        let t = try TrafficTarget(json: docs[0].json)
        #expect(t.rootLevel)
        #expect(t.destination.port == 8080)
        #expect(t.rules == [RuleRef(kind: "HTTPRouteGroup", name: "routes", matches: ["metrics"])])
        #expect(t.sources.map(\.name) == ["prometheus"])
    }

    @Test func trafficTargetV1alpha3() throws {
        let j: JSON = [
            "apiVersion": "access.smi-spec.io/v1alpha3", "kind": "TrafficTarget", "metadata": ["name": "t"],
            "spec": [
                "destination": ["kind": "ServiceAccount", "name": "a"],
                "rules": [["kind": "UDPRoute", "name": "u"]], "sources": [["kind": "ServiceAccount", "name": "b"]],
            ],
        ]
        let t = try TrafficTarget(json: j)
        #expect(!t.rootLevel && t.rules[0].matches.isEmpty && t.destination.port == nil)
    }

    @Test func httpRouteGroupHeadersBothFormsWriteList() throws {
        let mapForm: JSON = [
            "apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "HTTPRouteGroup", "metadata": ["name": "g"],
            "spec": ["matches": [["name": "m", "headers": ["user-agent": ".*Android.*", "cookie": "x"]]]],
        ]
        let listForm: JSON = [
            "apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "HTTPRouteGroup", "metadata": ["name": "g"],
            "spec": ["matches": [["name": "m", "headers": [["user-agent": ".*Android.*"], ["cookie": "x"]]]]],
        ]
        let a = try HTTPRouteGroup(json: mapForm)
        let b = try HTTPRouteGroup(json: listForm)
        #expect(a.matches[0].headers == b.matches[0].headers)
        #expect(a.matches[0].headersAsMap && !b.matches[0].headersAsMap)
        #expect(a.encode().compactString == listForm.compactString)
        #expect(b.encode().compactString == listForm.compactString)
    }

    @Test func httpRouteGroupRootLayout() throws {
        let g = try HTTPRouteGroup(
            json: [
                "apiVersion": "specs.smi-spec.io/v1alpha2", "kind": "HTTPRouteGroup", "metadata": ["name": "g"],
                "matches": [["name": "m", "pathRegex": "/x", "methods": ["GET"]]],
            ])
        #expect(g.rootLevel && g.matches[0].methods == ["GET"] && g.matches[0].pathRegex == "/x")
    }

    @Test func tcpAndUdpRoutes() throws {
        let r = try SMIResource.decode([
            "apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "UDPRoute", "metadata": ["name": "u"],
            "spec": ["matches": ["ports": [53, 5353]]],
        ])
        guard case .udpRoute(let u) = r else {
            Issue.record("expected a UDPRoute")
            return
        }
        #expect(u.ports == [53, 5353])
        #expect(throws: SMIDecodeError.self) {
            try SMIResource.decode(["apiVersion": "specs.smi-spec.io/v1alpha3", "kind": "UDPRoute", "metadata": ["name": "u"]])
        }
    }
}

@Suite struct MetricsDecoding {
    static var metricsDir: URL { examplesDir.appendingPathComponent("metrics/smi-metrics") }

    @Test func realGetResponse() throws {
        let data = try Data(contentsOf: MetricsDecoding.metricsDir.appendingPathComponent("get-deployment-linkerd-web.json"))
        let m = try TrafficMetrics(json: JSON.parse(data))
        #expect(m.resource == ObjectReference(kind: "Deployment", namespace: "linkerd", name: "linkerd-web"))
        #expect(m.edge?.direction == .from && m.edge?.resource == nil)
        #expect(m.latency(.p99) == 296.875)
        #expect(m.windowSeconds == 30)
        #expect(m.successRate == 1)
        #expect(abs((m.requestsPerSecond ?? 0) - 73.492 / 30) < 1e-12)
    }

    @Test func realEdgesResponse() throws {
        let data = try Data(contentsOf: MetricsDecoding.metricsDir.appendingPathComponent("edges-deployment-linkerd-controller.json"))
        let l = try TrafficMetricsList(json: JSON.parse(data))
        #expect(l.items.count == 2)
        #expect(l.items[1].edge?.direction == .to)
        #expect(l.items[1].edge?.resource?.name == "linkerd-prometheus")
        #expect(l.items[0].successCount == 28.58)
    }

    @Test func nullItemsNegativeLatencyAndBadValues() throws {
        let l = try TrafficMetricsList(
            json: JSON.parse(#"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","resource":{"kind":"Pod"},"items":null}"#))
        #expect(l.items.isEmpty && l.itemsWereNull)
        let m = try TrafficMetrics(
            json: JSON.parse(
                #"{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","window":"1m0s","edge":{"direction":"from","resource":null},"metrics":[{"name":"p99_response_latency","unit":"ms","value":"-9223372036854775808"},{"name":"success_count","value":"0"},{"name":"failure_count","value":"oops"}]}"#
            ))
        #expect(m.latency(.p99) == nil)
        #expect(m.failureCount == nil)
        #expect(m.successRate == nil)
        #expect(m.windowSeconds == 60)
    }
}
