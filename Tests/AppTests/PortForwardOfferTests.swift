import Kube
import KubeCore
import Testing

@testable import App

/// Issue 16: after Prometheus refuses the service proxy, the UI offers to run
/// `kubectl port-forward` (y starts it, n does not, F asks again); the tmux test in
/// EndToEndTests runs it for real.
@Suite("The port-forward offer")
struct PortForwardOfferReduceTests {
    static let target = PortForwardSuggestion(namespace: "linkerd-viz", service: "prometheus", port: "9090", flavor: .linkerd)

    static func refused() -> KubeError {
        var e = KubeError(source: .httpBody, code: 403, reason: "Forbidden", message: "Prometheus refused smitop (403)")
        e.portForward = target
        return e
    }

    @Test("the first 403 opens the offer; n starts nothing; F asks again; y starts it")
    func offer() {
        var s = loaded()
        _ = reduce(&s, .metricsFailed(namespace: "shop", error: Self.refused(), at: 1))
        #expect(s.portForward == .offered(Self.target))
        #expect(s.keyContext == .portForward)
        #expect(s.portForwardPrompt?.contains("Run `kubectl -n linkerd-viz port-forward svc/prometheus :9090`") == true)

        #expect(keys(&s, [.char("n")]).isEmpty)
        #expect(s.portForward == .declined(Self.target))
        #expect(s.keyContext != .portForward)
        // Declined is remembered: the next refusal does not ask again by itself.
        _ = reduce(&s, .metricsFailed(namespace: "shop", error: Self.refused(), at: 2))
        #expect(s.portForward == .declined(Self.target))

        _ = keys(&s, [.char("F")])
        #expect(s.portForward == .offered(Self.target))
        let fx = keys(&s, [.char("y")])
        #expect(fx == [.startPortForward(Self.target, context: s.context.context)])
        #expect(s.portForward == .starting(Self.target))

        let started = reduce(&s, .portForwardStarted(url: "http://127.0.0.1:41234", pid: 4242))
        #expect(s.portForward.forwardedURL == "http://127.0.0.1:41234")
        #expect(started.contains { if case .pollMetrics(_, _, let after) = $0 { after == 0 } else { false } }, "polls through it at once")
    }

    @Test("while the offer is open, other keys do nothing; Ctrl-C still quits")
    func modal() {
        var s = loaded()
        _ = reduce(&s, .metricsFailed(namespace: "shop", error: Self.refused(), at: 1))
        #expect(keys(&s, [.char("q"), .char("2")]).isEmpty)
        #expect(s.navigation.view == .graph)
        #expect(keys(&s, [.ctrl("c")]) == [.quit])
    }

    @Test("a failure is shown and F offers again; a context switch forgets the forward")
    func failureAndSwitch() {
        var s = loaded()
        _ = reduce(&s, .metricsFailed(namespace: "shop", error: Self.refused(), at: 1))
        _ = keys(&s, [.char("y")])
        _ = reduce(&s, .portForwardFailed("kubectl is not on PATH, so smitop cannot run the port-forward"))
        #expect(s.message?.text.contains("kubectl is not on PATH") == true)
        _ = keys(&s, [.char("F")])
        #expect(s.portForward == .offered(Self.target))
        _ = reduce(&s, .contextSwitched(s.context))
        #expect(s.portForward == .none)
        // Errors without a suggestion (a 503) never offer anything.
        _ = reduce(&s, .metricsFailed(namespace: "shop", error: KubeError(source: .status, code: 503, message: "down"), at: 3))
        #expect(s.portForward == .none)
    }
}
