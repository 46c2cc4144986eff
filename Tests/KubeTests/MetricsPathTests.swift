import Foundation
import KubeCore
import SMI
import Testing

@testable import Kube

/// Issue 14 item 10: a metrics adapter's answer names the deployments whose `/edges` are
/// then fetched with the user's credentials; a hostile name must not steer that request.
@Test func metricsEdgeRequestsEscapeTheNamesTheAdapterSent() async throws {
    let evil = "../../../../api/v1/namespaces/kube-system/secrets?x="
    let t = ScriptedTransport { req in
        if req.url.contains("/edges") { return ok(#"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","items":[]}"#) }
        return ok(
            #"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","items":[{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"name":"w","namespace":"n"},"resource":{"kind":"Deployment","name":"\#(evil)","namespace":"ns/.."}}]}"#
        )
    }
    let c = KubeClient(server: URL(string: "https://k:6443")!, credentials: StaticCredentials(.bearer("tok")), transport: t)
    let poll = try await c.pollTrafficMetrics(namespace: nil, window: "30s")
    #expect(poll.edgesFetched.count == 1)
    let edges = t.requests.map(\.url).filter { $0.contains("/edges") }
    #expect(edges.count == 1)
    #expect(edges.first?.hasPrefix("https://k:6443/apis/metrics.smi-spec.io/v1alpha1/namespaces/ns%2F../deployments/..%2F..%2F") == true, "\(edges)")
    #expect(edges.first.map { !$0.contains("/../") && !$0.contains("secrets?") } == true, "\(edges)")
}
