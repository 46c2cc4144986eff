import KubeCore
import SMI
import Testing

@testable import Kube

@Suite struct ReflectorTests {
    static func obj(_ name: String, rv: String, ns: String = "demo") -> JSON {
        .object(
            JSONObject([
                ("metadata", .object(JSONObject([("name", .string(name)), ("namespace", .string(ns)), ("resourceVersion", .string(rv))])))
            ]))
    }
    static func ev(_ t: WatchEventType, _ o: JSON) -> ReflectorInput { .watchEvent(WatchEvent(type: t, object: o)) }
    static let gone = KubeError(source: .status, code: 410, reason: "Expired", message: "too old resource version")

    /// Applies store deltas, like the app's store would.
    struct Harness {
        var r = Reflector(seed: 1)
        var store = ReflectorStore()
        var now: Seconds = 0
        var log: [ReflectorAction] = []

        @discardableResult
        mutating func send(_ i: ReflectorInput, at t: Seconds? = nil) -> [ReflectorAction] {
            if let t { now = t }
            let a = r.handle(i, now: now)
            for x in a { store.apply(x) }
            log += a
            return a
        }

        func lastTimer(_ a: [ReflectorAction]) -> (after: Seconds, token: Int)? {
            for x in a.reversed() { if case .schedule(let after, let token) = x { return (after, token) } }
            return nil
        }
    }

    @Test func pagedListThenWatchWithBookmarks() {
        var h = Harness()
        #expect(h.send(.start) == [.startList(continueToken: nil, limit: 500)])
        #expect(
            h.send(.listCompleted(items: [Self.obj("a", rv: "1")], resourceVersion: "10", continueToken: "c1"))
                == [.startList(continueToken: "c1", limit: 500)])
        let a = h.send(.listCompleted(items: [Self.obj("b", rv: "2")], resourceVersion: "10", continueToken: nil))
        #expect(a.last == .startWatch(fromResourceVersion: "10", allowBookmarks: true))
        #expect(h.store.count == 2)
        #expect(h.r.phase == .watching)
        #expect(h.r.hasSynced)
    }

    @Test func eventsUpdateStoreAndNormalCloseRewatchesFromLastRV() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [Self.obj("a", rv: "1")], resourceVersion: "10", continueToken: nil))
        h.send(.watchOpened)
        h.send(Self.ev(.added, Self.obj("b", rv: "11")), at: 5)
        h.send(Self.ev(.modified, Self.obj("a", rv: "12")))
        h.send(Self.ev(.deleted, Self.obj("b", rv: "13")))
        h.send(Self.ev(.bookmark, .object(JSONObject([("metadata", ["resourceVersion": "20"])]))))
        #expect(h.store.count == 1)
        #expect(h.store["demo/a"]?[path: "metadata", "resourceVersion"] == "12")
        let a = h.send(.watchClosed(nil), at: 300)
        #expect(a == [.startWatch(fromResourceVersion: "20", allowBookmarks: true)])
        let lists = h.log.filter { if case .startList = $0 { return true } else { return false } }
        #expect(lists.count == 1, "a normal close must not relist")
    }

    @Test func quickCloseWithoutEventsBacksOffAndNeverHotLoops() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [], resourceVersion: "10", continueToken: nil), at: 0)
        var delays: [Seconds] = []
        for _ in 0..<12 {
            let a = h.send(.watchClosed(nil), at: h.now + 0.01)
            guard let t = h.lastTimer(a) else {
                Issue.record("no backoff after a quick close: \(a)")
                return
            }
            #expect(!a.contains { if case .startWatch = $0 { return true } else { return false } })
            delays.append(t.after)
            let next = h.send(.timerFired(token: t.token), at: h.now + t.after)
            #expect(next == [.startWatch(fromResourceVersion: "10", allowBookmarks: true)])
        }
        #expect(delays[0] >= 0.8 && delays[0] <= 1.6)
        #expect(delays.allSatisfy { $0 >= 0.8 && $0 <= 30 })
        #expect(delays.last! >= 15)
        // Doubling: each base step is at least the previous base, so the lower bound grows.
        #expect(delays[3] >= 6.4)
    }

    @Test func silentWatchAfterEventsRewatchesAtOnceThenBacksOffIfStillSilent() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [], resourceVersion: "10", continueToken: nil), at: 0)
        h.send(.watchOpened)
        h.send(Self.ev(.bookmark, .object(JSONObject([("metadata", ["resourceVersion": "15"])]))))
        let idle = KubeError(source: .transport(.idleTimeout), message: "no data received for 45 s")
        // First silence after a delivering watch: re-watch from the last RV, no relist, no error.
        let a = h.send(.watchClosed(idle), at: 60)
        #expect(a == [.startWatch(fromResourceVersion: "15", allowBookmarks: true)])
        // The retry stays silent from the start: that is a dead connection, so back off and say so.
        let b = h.send(.watchClosed(idle), at: 105)
        #expect(b.contains { if case .reportError(let e, _) = $0 { return e.isIdleTimeout } else { return false } })
        #expect(h.lastTimer(b) != nil)
        #expect(!b.contains { if case .startList = $0 { return true } else { return false } }, "the resume point is still good")
    }

    @Test func backoffResetsAfterAHealthyPeriod() {
        var b = Backoff()
        var rng = SplitMix64(seed: 3)
        var t: Seconds = 0
        for _ in 0..<8 {
            t += 1
            _ = b.next(now: t, rng: &rng)
        }
        #expect(b.next(now: t + 1, rng: &rng) == 30)
        let afterRest = b.next(now: t + 500, rng: &rng)
        #expect(afterRest >= 0.8 && afterRest <= 1.6)
    }

    @Test func jitterIsDeterministicPerSeed() {
        func run(_ seed: UInt64) -> [Seconds] {
            var b = Backoff()
            var rng = SplitMix64(seed: seed)
            return (0..<5).map { b.next(now: Double($0), rng: &rng) }
        }
        #expect(run(9) == run(9))
        #expect(run(9) != run(10))
    }

    /// The decision for a frame the client cannot read (malformed, unknown type, oversized):
    /// skipping it would lose that object's update until some later relist, so the watch ends
    /// and the reflector relists after its backoff, as client-go's does. docs/reliability.md
    /// says so.
    @Test func anUnreadableFrameEndsTheWatchAndRelistsAfterBackoff() throws {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [Self.obj("a", rv: "3")], resourceVersion: "10", continueToken: nil), at: 0)
        let bad = KubeError.decoding("watch event larger than 67108864 bytes dropped")
        let a = h.send(.watchEvent(WatchEvent(type: .error(bad), object: .null)), at: 5)
        #expect(a.first == .cancelWatch)
        #expect(a.contains { if case .reportError(let e, _) = $0 { return e == bad } else { return false } })
        let t = try #require(h.lastTimer(a))
        #expect(t.after > 0)
        #expect(h.send(.timerFired(token: t.token), at: 5 + t.after) == [.startList(continueToken: nil, limit: 500)])
        #expect(h.store.count == 1, "the store keeps what it had until the relist replaces it")
    }

    @Test func goneErrorEventMidStreamRelists() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [Self.obj("a", rv: "1"), Self.obj("b", rv: "2")], resourceVersion: "10", continueToken: nil))
        h.send(Self.ev(.modified, Self.obj("a", rv: "11")), at: 10)
        let a = h.send(Self.ev(.error(Self.gone), .null), at: 60)
        #expect(a == [.cancelWatch, .startList(continueToken: nil, limit: 500)])
        #expect(h.r.lastResourceVersion == nil)
        // A late close of the cancelled watch changes nothing.
        #expect(h.send(.watchClosed(nil)).isEmpty)
        // b was deleted while we were away: the relist must drop it, and a must not be duplicated.
        let r = h.send(.listCompleted(items: [Self.obj("a", rv: "30"), Self.obj("c", rv: "31")], resourceVersion: "40", continueToken: nil))
        #expect(r.last == .startWatch(fromResourceVersion: "40", allowBookmarks: true))
        #expect(Set(h.store.objects.keys) == ["demo/a", "demo/c"])
    }

    @Test func httpGoneOnWatchRelistsAndImmediate410BacksOff() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [], resourceVersion: "10", continueToken: nil), at: 0)
        // Watch ran for a while, then the server answered 410 on re-open: relist at once.
        h.send(.watchClosed(nil), at: 100)
        let a = h.send(.watchClosed(Self.gone), at: 200)
        #expect(a == [.startList(continueToken: nil, limit: 500)])
        h.send(.listCompleted(items: [], resourceVersion: "50", continueToken: nil), at: 201)
        // A server that rejects every watch with 410 instantly must not cause a list/watch hot loop.
        let b = h.send(.watchClosed(Self.gone), at: 201.1)
        #expect(h.lastTimer(b) != nil)
        #expect(!b.contains { if case .startList = $0 { return true } else { return false } })
    }

    @Test func expiredContinueTokenFallsBackToOneUnpagedList() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [Self.obj("a", rv: "1")], resourceVersion: "10", continueToken: "c1"))
        let a = h.send(.listFailed(Self.gone))
        #expect(a == [.startList(continueToken: nil, limit: nil)])
        // The unpaged answer is complete even if a server still sends a token.
        let b = h.send(.listCompleted(items: [Self.obj("a", rv: "1"), Self.obj("b", rv: "2")], resourceVersion: "12", continueToken: "ignored"))
        #expect(b.last == .startWatch(fromResourceVersion: "12", allowBookmarks: true))
        #expect(h.store.count == 2)
    }

    @Test func tooManyRequestsHonoursRetryAfter() {
        var h = Harness()
        h.send(.start)
        var e = KubeError(source: .status, code: 429, reason: "TooManyRequests", message: "slow down")
        e.retryAfterSeconds = 17
        let a = h.send(.listFailed(e), at: 1)
        #expect(a == [.reportError(e, retryIn: 17), .schedule(after: 17, token: h.lastTimer(a)!.token)])
        // A stale timer token is ignored; the current one lists again.
        #expect(h.send(.timerFired(token: -1)).isEmpty)
        #expect(h.send(.timerFired(token: h.lastTimer(a)!.token), at: 18) == [.startList(continueToken: nil, limit: 500)])
    }

    /// A Retry-After of a day (or a hostile 1e300) would freeze the watch: the wait is capped
    /// at the backoff's ceiling, as client-go caps its own.
    @Test(arguments: [86_400.0, 1e300, Double.infinity])
    func retryAfterIsCappedAtTheBackoffCeiling(retryAfter: Double) {
        var h = Harness()
        h.send(.start)
        var e = KubeError(source: .status, code: 429, reason: "TooManyRequests", message: "slow down")
        e.retryAfterSeconds = retryAfter
        let a = h.send(.listFailed(e), at: 1)
        let cap = h.r.config.backoff.maximum
        #expect(cap == 30)
        #expect(a == [.reportError(e, retryIn: cap), .schedule(after: cap, token: h.lastTimer(a)!.token)])
    }

    /// A watch refused with 429: wait what the server said (not the backoff, which is far
    /// shorter after a healthy list), then re-watch from where the store is, without a relist.
    @Test func tooManyRequestsOnAWatchWaitsRetryAfterThenRewatches() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [Self.obj("a", rv: "3")], resourceVersion: "10", continueToken: nil), at: 0)
        h.send(Self.ev(.added, Self.obj("b", rv: "12")), at: 30)
        var e = KubeError(source: .status, code: 429, reason: "TooManyRequests", message: "slow down")
        e.retryAfterSeconds = 9
        let a = h.send(.watchClosed(e), at: 60)
        #expect(a == [.reportError(e, retryIn: 9), .schedule(after: 9, token: h.lastTimer(a)!.token)])
        let b = h.send(.timerFired(token: h.lastTimer(a)!.token), at: 69)
        #expect(b == [.startWatch(fromResourceVersion: "12", allowBookmarks: true)])
        #expect(h.store.count == 2)
    }

    @Test func transportErrorOnWatchRetriesTheWatchAfterBackoff() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [], resourceVersion: "10", continueToken: nil), at: 0)
        h.send(Self.ev(.added, Self.obj("x", rv: "11")), at: 50)
        let lost = KubeError(TransportError(kind: .connectionLost, message: "connection reset"))
        let a = h.send(.watchClosed(lost), at: 100)
        guard let t = h.lastTimer(a) else {
            Issue.record("expected a backoff timer")
            return
        }
        #expect(h.send(.timerFired(token: t.token), at: 100 + t.after) == [.startWatch(fromResourceVersion: "11", allowBookmarks: true)])
    }

    @Test func otherErrorsBackOffThenRelist() {
        var h = Harness()
        h.send(.start)
        let forbidden = KubeError(source: .status, code: 403, reason: "Forbidden", message: "no")
        let a = h.send(.listFailed(forbidden))
        guard case .reportError(let e, _)? = a.first, let t = h.lastTimer(a) else {
            Issue.record("expected an error report and a timer")
            return
        }
        #expect(e == forbidden)
        #expect(h.r.phase == .waiting)
        #expect(h.send(.timerFired(token: t.token), at: t.after) == [.startList(continueToken: nil, limit: 500)])
    }

    @Test func duplicatesInAListAreMerged() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [Self.obj("a", rv: "1"), Self.obj("b", rv: "2")], resourceVersion: "5", continueToken: "c"))
        let a = h.send(.listCompleted(items: [Self.obj("a", rv: "3")], resourceVersion: "5", continueToken: nil))
        guard case .replaceAll(let items, _)? = a.first else {
            Issue.record("expected replaceAll")
            return
        }
        #expect(items.count == 2)
        #expect(items.first?[path: "metadata", "resourceVersion"] == "3")
    }

    @Test func stopCancelsAndIgnoresLateInputs() {
        var h = Harness()
        h.send(.start)
        h.send(.listCompleted(items: [], resourceVersion: "5", continueToken: nil))
        #expect(h.send(.stop) == [.cancelWatch])
        #expect(h.send(Self.ev(.added, Self.obj("a", rv: "6"))).isEmpty)
        #expect(h.send(.start) == [.startList(continueToken: nil, limit: 500)])
    }

    /// Random sequences of failures never produce two outstanding operations or a retry
    /// without a timer in between (no hot loop), whatever the order.
    @Test func randomFailureSequencesNeverHotLoop() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            var h = Harness()
            h.send(.start)
            var pendingTimer: Int?
            var immediateRestarts = 0
            for _ in 0..<60 {
                h.now += Double(rng.next() % 3) * 0.3
                let a: [ReflectorAction]
                switch h.r.phase {
                case .listing:
                    a =
                        rng.next() % 3 == 0
                        ? h.send(.listFailed(Self.gone)) : h.send(.listCompleted(items: [], resourceVersion: "\(rng.next() % 100)", continueToken: nil))
                case .watching:
                    a = rng.next() % 2 == 0 ? h.send(.watchClosed(nil)) : h.send(.watchClosed(Self.gone))
                case .waiting:
                    a = h.send(.timerFired(token: pendingTimer ?? -1))
                default:
                    a = []
                }
                if let t = h.lastTimer(a) {
                    pendingTimer = t.token
                    immediateRestarts = 0
                } else {
                    immediateRestarts += 1
                }
                #expect(immediateRestarts < 8, "too many operations without a pause")
                let starts = a.filter {
                    switch $0 {
                    case .startList, .startWatch: return true
                    default: return false
                    }
                }
                #expect(starts.count <= 1)
            }
        }
    }
}
