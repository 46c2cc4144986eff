import Kube
import KubeCore
import Mesh
import SMI
import Testing

@testable import App
@testable import UI

// What the screen says about the metrics source: its name in the header, and a split whose
// observed traffic strays from its weights.

@Test func headerNamesTheMetricsSource() {
    var s = fixture(size: TermSize(columns: 160, rows: 30))
    #expect(!render(s).text.contains("prometheus"), "no source named before the runtime says which")
    _ = reduce(&s, .metricsSource("linkerd prometheus via service proxy linkerd-viz/prometheus:9090"))
    let line = render(s).text.split(separator: "\n")[1]
    #expect(line.contains("metrics linkerd prometheus via service proxy linkerd-viz/prometheus:9090 30s"), "\(line)")
    // A hostile name cannot move the cursor.
    _ = reduce(&s, .metricsSource("x\u{1b}[2Jy"))
    #expect(!render(s).text.contains("\u{1b}[2J"))
}

@Test func splitDetailWarnsWhenTrafficStraysFromTheWeights() {
    var s = fixture(size: TermSize(columns: 160, rows: 40))
    s.navigate(.select(.service("shop", "books")))
    _ = reduce(&s, .key(.enter))
    #expect(!render(s).text.contains("drift"), "90/10 configured, about 89/11 seen: no warning")
    // Half the traffic reaches the 10 % canary.
    _ = reduce(
        &s,
        .metricsSampled(
            namespace: "shop",
            lists: [
                metricsList([
                    ("web", nil, 600, 0, "12"), ("books-v1", nil, 300, 0, "8"), ("books-v2", nil, 300, 0, "9"),
                    ("web", "books-v1", 300, 0, "8"), ("web", "books-v2", 300, 0, "9"),
                ])
            ], at: 14))
    let text = render(s).text
    #expect(text.contains("! drift: books-v2 sees 50% for 10% configured"), "\(text)")
    #expect(text.contains("! drift: books-v1 sees 50% for 90% configured"), "\(text)")
}

@Test func routeMetricsDecideTheObservedShare() {
    var s = fixture(size: TermSize(columns: 160, rows: 40))
    let books = ObjectRef(namespace: "shop", name: "books")
    #expect(s.observedShares(.trafficSplit(books)).map { $0.map { ($0 * 100).rounded() } } == [89, 11], "from the backends' workloads")
    // Route metrics say what the split's root really sent: 70/30, whatever else the
    // workloads receive.
    let json: JSON = [
        "items": [
            [
                "metadata": ["name": "books-v1", "namespace": "shop"], "window": "10s",
                "resource": ["kind": "Service", "namespace": "shop", "name": "books-v1"], "backend": ["apex": "books", "name": "books-v1"],
                "metrics": [["name": "success_count", "value": "70"], ["name": "failure_count", "value": "0"]],
            ],
            [
                "metadata": ["name": "books-v2", "namespace": "shop"], "window": "10s",
                "resource": ["kind": "Service", "namespace": "shop", "name": "books-v2"], "backend": ["apex": "books", "name": "books-v2"],
                "metrics": [["name": "success_count", "value": "30"], ["name": "failure_count", "value": "0"]],
            ],
        ]
    ]
    _ = reduce(&s, .metricsSampled(namespace: "shop", lists: [try! TrafficMetricsList(json: json)], at: 14))
    #expect(s.observedShares(.trafficSplit(books)).map { $0.map { ($0 * 100).rounded() } } == [70, 30])
    #expect(s.metrics.workload(ObjectRef(namespace: "shop", name: "books-v2"))?.latest?.rps != 7, "a backend item is not a workload sample")
    s.navigate(.select(.service("shop", "books")))
    _ = reduce(&s, .key(.enter))
    #expect(render(s).text.contains("! drift: books-v2 sees 30% for 10% configured"))
}
