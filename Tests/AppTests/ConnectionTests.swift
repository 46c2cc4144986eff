import Kube
import KubeCore
import Testing

@testable import App

/// The connection badge as a state machine of its own: facts in, status out.
@Suite("connection badge")
struct ConnectionTests {
    static let down = KubeError(source: .transport(.couldNotConnect), message: "connection refused")
    static let forbidden = KubeError(source: .status, code: 403, reason: "Forbidden", message: "pods is forbidden")
    static let busy = KubeError(source: .status, code: 503, reason: "ServiceUnavailable", message: "overloaded")

    @Test func connectingLiveStaleOfflineAndBack() {
        var c = ConnectionState()
        #expect(c.handle(.recheck, now: 0, offlineAfter: 15) == nil && c.status == .connecting)
        c.handle(.dataArrived(at: 2), now: 3, offlineAfter: 15)
        #expect(c.status == .live && c.dataAge(now: 5) == 3)
        // Unreachable (transport, 5xx): failing since the first failure, quietly.
        #expect(c.handle(.watchFailed(.service, Self.down, retryIn: 4), now: 10, offlineAfter: 15) == nil)
        #expect(c.status == .stale && c.failingSince == 10 && c.retryIn == 4 && c.lastError == Self.down.userMessage)
        c.handle(.watchFailed(.deployment, Self.busy, retryIn: 8), now: 20, offlineAfter: 15)
        #expect(c.status == .stale && c.failingSince == 10, "the outage began at the first failure")
        c.handle(.recheck, now: 25, offlineAfter: 15)
        #expect(c.status == .offline)
        c.handle(.listed, now: 26, offlineAfter: 15)
        #expect(c.status == .live && c.failingSince == nil && c.retryIn == nil && c.lastDataAt == 2)
    }

    @Test func aRefusalFromAReachableServerIsReportedNotAnOutage() {
        var c = ConnectionState()
        c.handle(.dataArrived(at: 1), now: 1, offlineAfter: 15)
        c.handle(.watchFailed(.service, Self.down, retryIn: 4), now: 2, offlineAfter: 15)
        let said = c.handle(.watchFailed(.pod, Self.forbidden, retryIn: 4), now: 3, offlineAfter: 15)
        #expect(said == "\(Self.forbidden.userMessage) (watching pods)")
        #expect(c.status == .live && c.failingSince == nil && c.lastError == Self.forbidden.userMessage)
    }

    @Test func noClusterHoldsUntilReset() {
        var c = ConnectionState()
        c.handle(.noCluster("kubeconfig: no such file"), now: 1, offlineAfter: 15)
        #expect(c.status == .noCluster && c.lastError == "kubeconfig: no such file")
        c.handle(.dataArrived(at: 2), now: 2, offlineAfter: 15)
        #expect(c.status == .noCluster)
        c.handle(.reset, now: 3, offlineAfter: 15)
        #expect(c == ConnectionState())
    }
}
