import App
import Foundation
import Kube
import KubeCore
import Runtime
import TestSupport
import Testing

@testable import Transport

/// An edge is seen only when its deployment's `/edges` are asked, so the first sweep over a
/// large mesh decides when the graph (and the memory its edges take) is whole: the effect
/// runner asks in larger turns until every deployment with traffic has been asked once, then
/// in the steady budget's. The real runner, LiveCluster and transport against the simulator,
/// with budgets scaled down to its small mesh.
@Suite("first edge sweep")
struct FirstEdgeSweepTests {
    @Test func theFirstSweepAsksInLargerTurnsUntilEveryDeploymentWasAskedOnce() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let cluster = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: h.kubeconfig, environment: ["HOME": h.dir]))
        let client = KubeClient(cluster: cluster, transport: CurlTransport(tls: cluster.tls))
        let all = try await client.pollTrafficMetrics(namespace: nil, window: "30s")
        let candidates = all.edgesFetched.count
        #expect(all.complete && candidates >= 5, "\(all.edgesFetched)")
        let mailbox = Mailbox(wake: {})
        let runner = EffectRunner(mailbox: mailbox, connector: nil, cluster: LiveCluster(client: client), edgeBudgets: (steady: 1, firstSweep: 2))
        defer { runner.stop() }
        #expect(!runner.firstEdgeSweepDone)

        var asked: [Set<ObjectRef>] = []
        for _ in 0..<((candidates + 1) / 2 + 3) {
            runner.run(.pollMetrics(.all, window: "30s", after: 0))
            // Each poll's answer before the next is asked (a new poll replaces a pending one).
            let deadline = Date().addingTimeInterval(60)
            var answer: Set<ObjectRef>?
            while answer == nil && Date() < deadline {
                for m in mailbox.drain() {
                    switch m {
                    case .metricsSampled(_, _, let fetched, _): answer = fetched ?? []
                    case .metricsFailed(_, let e, _): Issue.record("a poll failed: \(e.userMessage)")
                    default: break
                    }
                }
                if answer == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            asked.append(try #require(answer, "no answer to poll \(asked.count + 1)"))
            // Done (for the soak, which judges memory only after it) once the turns of two
            // have asked every deployment, and not before.
            #expect(runner.firstEdgeSweepDone == (asked.count >= (candidates + 1) / 2), "after poll \(asked.count)")
        }
        // Turns of two until every deployment with traffic was asked, then turns of one.
        let sweep = (candidates + 1) / 2
        #expect(asked.map(\.count) == Array(repeating: 2, count: sweep) + Array(repeating: 1, count: asked.count - sweep))
        let swept = asked.prefix(sweep).reduce(into: Set<ObjectRef>()) { $0.formUnion($1) }
        #expect(swept.count == candidates, "the first sweep asked \(swept.count) of \(candidates) deployments")
    }
}
