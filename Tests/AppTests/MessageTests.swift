import Kube
import KubeCore
import Testing

@testable import App

/// Issue 13 item 9: the footer kept "connecting to …" and old 503s under a LIVE badge for the
/// whole session. Messages are news: each expires after its level's lifetime.
@Test func messagesExpireAfterTheirLevelsLifetime() {
    var s = AppState(context: ContextInfo(context: "kind", server: "https://127.0.0.1:6443", scope: .one("shop")))
    _ = reduce(&s, .start(now: 0))
    #expect(s.message?.text.hasPrefix("connecting to") == true)
    _ = reduce(&s, .objects(.service, .replaced([service("web", #""app":"web""#)])))
    _ = reduce(&s, .tick(now: 3))
    #expect(s.message != nil, "still readable after 3 s")
    _ = reduce(&s, .tick(now: StatusLine.Level.info.lifetime))
    #expect(s.message == nil, "the connecting message is gone once the data is in")
    #expect(s.connection.status == .live)

    let down = KubeError(source: .status, code: 503, reason: "ServiceUnavailable", message: "etcd is busy")
    _ = reduce(&s, .watchFailed(.trafficSplit, down, retryIn: 1))
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split([90, 10], rv: "7")])))
    #expect(s.message == nil || s.message?.level != .info)
    s.set("write failed: boom", .error)
    let at = s.now
    _ = reduce(&s, .tick(now: at + StatusLine.Level.warning.lifetime))
    #expect(s.message?.text == "write failed: boom", "an error stays longer than a warning")
    _ = reduce(&s, .tick(now: at + StatusLine.Level.error.lifetime))
    #expect(s.message == nil)
}

/// Smaller: `:ns typo` was accepted silently. A namespace the store does not know is checked
/// with the server first; a 404 refuses the switch, an unknown answer switches.
@Test func aNamespaceTypoIsRefused() {
    var s = loaded()
    type(&s, ":ns shpo")
    let fx = keys(&s, [.enter])
    #expect(fx == [.checkNamespace("shpo")])
    #expect(s.context.scope == .one("shop"), "nothing switched yet")
    #expect(reduce(&s, .namespaceChecked("shpo", exists: false)).isEmpty)
    #expect(s.context.scope == .one("shop"))
    #expect(s.message?.text.hasPrefix("no namespace shpo") == true, "\(String(describing: s.message))")
    #expect(s.store.services.count == 5, "the data stays")
    let ok = reduce(&s, .namespaceChecked("other", exists: nil))
    #expect(ok.contains(.startWatches(.one("other"))))
    // A namespace already known switches at once.
    var t = loaded()
    type(&t, ":ns shop")
    #expect(keys(&t, [.enter]).contains(.startWatches(.one("shop"))))
}
