import KubeCore
import SMI
import Testing

@testable import Kube

// Decoding Prometheus answers (api.md §2–4), the client-side histogram_quantile, the meshes'
// queries and their mapping into the SMI metrics model.

@Test func decodesVectorWithSpecialValuesAsGaps() throws {
    let j = try JSON.parse(
        #"""
        {"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"deployment":"web","namespace":"ns"},"value":[1435781451.781,"12.5"]},
          {"metric":{"deployment":"a"},"value":[1435781451.781,"NaN"]},
          {"metric":{"deployment":"b"},"value":[1435781451.781,"+Inf"]},
          {"metric":{"deployment":"c"},"value":[1435781451.781,"-Inf"]},
          {"metric":{"deployment":"d"},"value":[1435781451,"1e-07"]},
          {"metric":{"deployment":"e\u001b[31m"},"value":[1435781451,"3"]}]},
         "warnings":["w1"], "infos":["ignored"]}
        """#)
    let r = try PrometheusResult(json: j)
    #expect(r.kind == .vector)
    #expect(r.series.map(\.value) == [12.5, nil, nil, nil, 1e-07, 3])
    #expect(r.series[0].labels == ["deployment": "web", "namespace": "ns"])
    #expect(r.series[0].samples[0].time == 1435781451.781)
    #expect(r.warnings == ["w1"])
    #expect(r.series[5].labels["deployment"]?.contains("\u{1b}") == false, "labels are sanitised where they enter")
}

@Test func decodesMatrixAndErrors() throws {
    let m = try PrometheusResult(
        json: try JSON.parse(
            #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"NaN"],[3,"2"]]}]}}"#))
    #expect(m.kind == .matrix)
    #expect(m.series[0].samples.map(\.value) == [1, nil, 2])

    let err = try JSON.parse(#"{"status":"error","errorType":"bad_data","error":"1:5: parse error"}"#)
    #expect(throws: PrometheusError.api(type: "bad_data", message: "1:5: parse error")) { try PrometheusResult(json: err) }
    #expect(throws: PrometheusError.self) { try PrometheusResult(json: try JSON.parse(#"{"status":"success","data":{}}"#)) }
    #expect(throws: PrometheusError.self) { try PrometheusResult(json: try JSON.parse("[1]")) }

    var big: [JSON] = []
    for i in 0...PrometheusResult.maxSeries { big.append(["metric": ["i": .string(String(i))], "value": [1, "1"]]) }
    let tooMany: JSON = ["status": "success", "data": ["resultType": "vector", "result": .array(big)]]
    #expect(throws: PrometheusError.self) { try PrometheusResult(json: tooMany) }
}

@Test func histogramQuantileFollowsPrometheus() {
    // 10 observations ≤ 1, 10 more ≤ 2, none above: p50 sits at the first bucket's bound.
    let b: [(le: Double, count: Double)] = [(1, 10), (2, 20), (4, 20), (.infinity, 20)]
    #expect(histogramQuantile(0.5, buckets: b) == 1)
    #expect(histogramQuantile(0.75, buckets: b) == 1.5)
    #expect(histogramQuantile(0.25, buckets: b) == 0.5, "the lowest bucket interpolates from 0")
    // A rank in the +Inf bucket answers the highest finite bound.
    #expect(histogramQuantile(0.99, buckets: [(1, 1), (2, 2), (.infinity, 10)]) == 2)
    // No observations, no +Inf bucket, a bad q: NaN in Prometheus, nil here (a gap).
    #expect(histogramQuantile(0.5, buckets: [(1, 0), (.infinity, 0)]) == nil)
    #expect(histogramQuantile(0.5, buckets: [(1, 5), (2, 9)]) == nil)
    #expect(histogramQuantile(.nan, buckets: b) == nil)
    // Order does not matter; a count that falls as le grows is repaired, never trusted.
    #expect(histogramQuantile(0.75, buckets: b.reversed()) == 1.5)
    #expect(histogramQuantile(0.5, buckets: [(1, 10), (2, 5), (.infinity, 20)]) == 1)
}

@Test func linkerdQueriesAreTheMeshsAndOnePerFamily() {
    let q = MeshQueries(flavor: .linkerd, namespace: "emojivoto", windowSeconds: 60)
    #expect(
        q.workloadCounts.promql
            == #"sum(increase(response_total{direction="inbound", deployment!="", namespace="emojivoto"}[60s])) by (namespace, deployment, classification)"#)
    #expect(
        q.edgeBuckets.promql
            == #"sum(rate(response_latency_ms_bucket{direction="outbound", deployment!="", dst_deployment!="", namespace="emojivoto"}[60s])) by (le, namespace, deployment, dst_namespace, dst_deployment) or sum(rate(response_latency_ms_bucket{direction="outbound", deployment!="", dst_deployment!="", dst_namespace="emojivoto"}[60s])) by (le, namespace, deployment, dst_namespace, dst_deployment)"#,
        "edges leaving the namespace or entering it, still one query"
    )
    // Four families for workloads and edges, and Linkerd's route backends.
    #expect(q.all.count == 5)
    #expect(
        q.backendCounts?.promql
            == #"sum(increase(outbound_http_route_backend_requests_total{parent_namespace="emojivoto"}[60s])) by (parent_namespace, parent_name, backend_namespace, backend_name)"#
    )
    let all = MeshQueries(flavor: .istio, namespace: nil, windowSeconds: 30)
    #expect(all.backendCounts == nil && all.all.count == 4, "Istio names no parent Service: no route-backend query")
    // Sidecars report as destination and source; in ambient mode the waypoint reports instead.
    #expect(all.workloadCounts.promql.hasPrefix(#"sum(increase(istio_requests_total{reporter=~"destination|waypoint""#))
    #expect(all.edgeCounts.promql.hasPrefix(#"sum(increase(istio_requests_total{reporter=~"source|waypoint""#))
    #expect(!all.workloadCounts.promql.contains("destination_workload_namespace=\""), "all namespaces: no namespace matcher")
    // A hostile namespace name cannot break out of the string literal.
    let hostile = MeshQueries(flavor: .linkerd, namespace: "a\"} or vector(1) #", windowSeconds: 30)
    #expect(hostile.workloadCounts.promql.contains(#"namespace="a\"} or vector(1) #""#))
}

@Test func answersMapIntoTheSMIModelWithGapsNotZeros() throws {
    let q = MeshQueries(flavor: .istio, namespace: nil, windowSeconds: 30)
    func vector(_ rows: [([String: String], String)]) -> PrometheusResult {
        PrometheusResult(
            kind: .vector,
            series: rows.map { PrometheusSeries(labels: $0.0, samples: [PrometheusSample(time: 1, value: PrometheusResult.parseValue($0.1))]) })
    }
    let dest = ["destination_workload_namespace": "ns", "destination_workload": "web"]
    let wc = vector([
        (dest.merging(["response_code": "200"]) { $1 }, "570"), (dest.merging(["response_code": "503"]) { $1 }, "30"),
        (dest.merging(["response_code": "404"]) { $1 }, "0"),
    ])
    let wb = vector([
        (dest.merging(["le": "10"]) { $1 }, "5"), (dest.merging(["le": "100"]) { $1 }, "15"), (dest.merging(["le": "+Inf"]) { $1 }, "20"),
    ])
    let edge = [
        "source_workload_namespace": "ns", "source_workload": "web", "destination_workload_namespace": "db", "destination_workload": "pg",
    ]
    let ec = vector([(edge.merging(["response_code": "200"]) { $1 }, "60")])
    // The edge's buckets are all NaN (no requests in the rate window): latency is a gap.
    let eb = vector([(edge.merging(["le": "10"]) { $1 }, "NaN"), (edge.merging(["le": "+Inf"]) { $1 }, "NaN")])
    let lists = q.lists(workloadCounts: wc, workloadBuckets: wb, edgeCounts: ec, edgeBuckets: eb, window: "30s", at: 1_700_000_000)
    let web = try #require(lists[0].items.first)
    #expect(web.resource?.name == "web" && web.resource?.namespace == "ns")
    #expect(web.requestsPerSecond == 20)
    #expect(web.successRate == 0.95)
    #expect(web.latency(.p50) == 55, "rank 10 of 20: halfway through the 10–100 bucket")
    let e = try #require(lists[1].items.first)
    #expect(e.edge?.direction == .to && e.edge?.resource?.name == "pg" && e.edge?.resource?.namespace == "db")
    #expect(e.requestsPerSecond == 2)
    #expect(e.latency(.p50) == nil && e.latency(.p99) == nil)
}

@Test func forbiddenThroughTheServiceProxyNamesTheFix() {
    let e = MetricsSource.kubeError(
        .forbidden(body: "unauthorized request on route"), route: .serviceProxy(namespace: "linkerd-viz", service: "prometheus", port: "9090"),
        flavor: .linkerd)
    #expect(e.code == 403)
    #expect(e.hint?.contains("kubectl -n linkerd-viz port-forward svc/prometheus 9090:9090") == true)
    #expect(e.hint?.contains("--prometheus-url http://127.0.0.1:9090") == true)
    #expect(PrometheusSettings.parseService("linkerd-viz/prometheus:9090")?.port == "9090")
    #expect(PrometheusSettings.parseService("prometheus:9090") == nil)
}

@Test func routeBackendsBecomeSplitBackendItems() throws {
    let q = MeshQueries(flavor: .linkerd, namespace: "shop", windowSeconds: 10)
    let parent = ["parent_namespace": "shop", "parent_name": "books", "backend_namespace": "shop"]
    let r = PrometheusResult(
        kind: .vector,
        series: [
            PrometheusSeries(labels: parent.merging(["backend_name": "books-v1"]) { $1 }, samples: [PrometheusSample(time: 1, value: 80)]),
            PrometheusSeries(labels: parent.merging(["backend_name": "books-v2"]) { $1 }, samples: [PrometheusSample(time: 1, value: 20)]),
            PrometheusSeries(labels: parent.merging(["backend_name": "gone"]) { $1 }, samples: [PrometheusSample(time: 1, value: nil)]),
        ])
    let list = q.backendList(r, window: "10s", at: 1)
    #expect(list.items.count == 2, "a NaN backend is no backend, not one with 0 requests")
    let v2 = try #require(list.items.first { $0.backend?.name == "books-v2" })
    #expect(v2.backend?.apex == "books" && v2.namespace == "shop")
    #expect(v2.requestsPerSecond == 2)
}
