// client-go's reflector (list, then watch from the list's resourceVersion, re-watch, relist on
// 410, back off on errors) as a pure state machine. Inputs are facts, outputs are effects as
// data; the runtime performs them. Time and randomness are injected so every scenario is a
// plain unit test with no sleeping.

import KubeCore
import SMI

/// Monotonic seconds from an arbitrary origin.
public typealias Seconds = Double

public protocol KubeClock: Sendable {
    func now() -> Seconds
}

public struct SystemClock: KubeClock {
    private let origin = ContinuousClock.now
    public init() {}
    public func now() -> Seconds {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// client-go's reflector backoff: `NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)`.
/// The step doubles from 0.8 s, capped at 30 s; each delay adds up to 100 % jitter (the
/// total also capped at 30 s); after two minutes without a backoff it starts over.
public struct Backoff: Sendable, Equatable {
    public var initial: Seconds = 0.8
    public var maximum: Seconds = 30
    public var factor: Double = 2
    public var jitter: Double = 1
    public var resetAfter: Seconds = 120

    private var step: Seconds?
    private var lastBackoffAt: Seconds?

    public init(initial: Seconds = 0.8, maximum: Seconds = 30, factor: Double = 2, jitter: Double = 1, resetAfter: Seconds = 120) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self.resetAfter = resetAfter
    }

    public mutating func next(now: Seconds, rng: inout SplitMix64) -> Seconds {
        if let last = lastBackoffAt, now - last > resetAfter { step = nil }
        let base = step.map { min($0 * factor, maximum) } ?? initial
        step = base
        lastBackoffAt = now
        let r = Double(rng.next() >> 11) / Double(1 << 53)
        return min(base + base * jitter * r, maximum)
    }

    public mutating func reset() {
        step = nil
        lastBackoffAt = nil
    }
}

public enum ReflectorInput: Sendable, Equatable {
    /// Begin (or begin again after `stop`).
    case start
    case listCompleted(items: [JSON], resourceVersion: String, continueToken: String?)
    case listFailed(KubeError)
    /// The watch request got its 200 response head.
    case watchOpened
    case watchEvent(WatchEvent)
    /// The watch body ended: nil error = the server closed it normally.
    case watchClosed(KubeError?)
    /// A timer requested with `.schedule` fired.
    case timerFired(token: Int)
    case stop
}

public enum ReflectorAction: Sendable, Equatable {
    /// GET the collection. `limit` nil = unpaged.
    case startList(continueToken: String?, limit: Int?)
    /// GET the collection with `watch=true&resourceVersion=…`.
    case startWatch(fromResourceVersion: String, allowBookmarks: Bool)
    /// Abort the running watch request; no `watchClosed` is expected afterwards.
    case cancelWatch
    /// Deliver `.timerFired(token:)` after this many seconds. A newer schedule supersedes it.
    case schedule(after: Seconds, token: Int)
    /// The store now holds exactly these objects (deduplicated by namespace/name).
    case replaceAll([JSON], resourceVersion: String)
    case upsert(JSON)
    case delete(JSON)
    /// Something went wrong and the reflector is waiting before retrying (for the UI's
    /// connection badge and the log). Not sent for routine events (410 relist, normal close).
    case reportError(KubeError, retryIn: Seconds)
}

public enum ReflectorPhase: Sendable, Equatable {
    case idle
    case listing
    case watching
    case waiting
    case stopped
}

public struct Reflector: Sendable {
    public struct Config: Sendable, Equatable {
        public var pageSize: Int = 500
        public var allowBookmarks: Bool = true
        /// A watch that ends this soon after it was requested, with no events, counts as a
        /// failure (backoff) so a server that closes watches at once never causes a hot loop.
        public var minHealthyWatch: Seconds = 1
        /// A watch with no byte for this long is treated as a dead connection (a blackhole
        /// sends no FIN), so one is noticed within a minute. client-go gets the same from
        /// HTTP/2 pings (30 s read-idle + 15 s ping timeout); we have no pings, and a quiet,
        /// healthy watch only hears bookmarks, which kube-apiserver's watch cache sends once a
        /// minute (defaultBookmarkFrequency) or 2 s before the watch's deadline. So watches
        /// are asked to end within `watchTimeout`, well inside this.
        public var watchIdleTimeout: Seconds? = 55
        /// The `timeoutSeconds` of each watch, picked at random in this range so re-watches
        /// spread out. Shorter than client-go's 5–10 minutes, because the server's end of a
        /// watch (and its pre-deadline bookmark) is what keeps a quiet watch from reaching
        /// the idle timeout; a re-watch resumes from the last resourceVersion, no relist.
        public var watchTimeout: ClosedRange<Int> = 40...50
        public var backoff = Backoff()
        public init() {}
    }

    private enum Next: Sendable, Equatable {
        case list
        case watch
    }

    public private(set) var phase: ReflectorPhase = .idle
    /// The resume point: last list RV or the RV of the last event/bookmark. Opaque: never
    /// compared by order, as the API requires.
    public private(set) var lastResourceVersion: String?
    /// True once the first full list has been delivered.
    public private(set) var hasSynced = false

    public var config: Config
    private var rng: SplitMix64
    private var pages: [JSON] = []
    private var unpagedFallback = false
    private var paging = false
    private var watchStartedAt: Seconds = 0
    private var watchEventCount = 0
    private var timerToken = 0
    private var pendingAfterTimer: Next?

    public init(config: Config = Config(), seed: UInt64) {
        self.config = config
        self.rng = SplitMix64(seed: seed)
    }

    public mutating func handle(_ input: ReflectorInput, now: Seconds) -> [ReflectorAction] {
        switch input {
        case .start:
            guard phase == .idle || phase == .stopped else { return [] }
            return beginList(paged: true)

        case .stop:
            let wasWatching = phase == .watching
            phase = .stopped
            pendingAfterTimer = nil
            timerToken += 1
            pages = []
            return wasWatching ? [.cancelWatch] : []

        case .listCompleted(let items, let rv, let cont):
            guard phase == .listing else { return [] }
            pages.append(contentsOf: items)
            if let c = cont, !c.isEmpty, !unpagedFallback {
                paging = true
                return [.startList(continueToken: c, limit: config.pageSize)]
            }
            let all = Self.deduplicated(pages)
            pages = []
            paging = false
            unpagedFallback = false
            lastResourceVersion = rv
            hasSynced = true
            return [.replaceAll(all, resourceVersion: rv)] + beginWatch(now: now)

        case .listFailed(let error):
            guard phase == .listing else { return [] }
            if error.isGone && paging && !unpagedFallback {
                // The continue token expired mid-list: client-go's pager falls back to one
                // full, unpaged list (a fresh snapshot), dropping the pages read so far.
                pages = []
                paging = false
                unpagedFallback = true
                return [.startList(continueToken: nil, limit: nil)]
            }
            pages = []
            paging = false
            unpagedFallback = false
            return wait(then: .list, error: error, now: now)

        case .watchOpened:
            return []

        case .watchEvent(let event):
            guard phase == .watching else { return [] }
            watchEventCount += 1
            switch event.type {
            case .added, .modified:
                if let rv = event.resourceVersion { lastResourceVersion = rv }
                return [.upsert(event.object)]
            case .deleted:
                if let rv = event.resourceVersion { lastResourceVersion = rv }
                return [.delete(event.object)]
            case .bookmark:
                if let rv = event.resourceVersion { lastResourceVersion = rv }
                return []
            case .error(let e):
                // The server ends the stream after an ERROR event; stop reading it now so the
                // decision does not depend on when the close arrives.
                return [.cancelWatch] + watchEnded(error: e, now: now, countLastEvent: false)
            }

        case .watchClosed(let error):
            guard phase == .watching else { return [] }
            return watchEnded(error: error, now: now, countLastEvent: true)

        case .timerFired(let token):
            guard phase == .waiting, token == timerToken, let next = pendingAfterTimer else { return [] }
            pendingAfterTimer = nil
            switch next {
            case .list: return beginList(paged: true)
            case .watch: return beginWatch(now: now)
            }
        }
    }

    private mutating func beginList(paged: Bool) -> [ReflectorAction] {
        phase = .listing
        pages = []
        paging = false
        unpagedFallback = false
        return [.startList(continueToken: nil, limit: paged ? config.pageSize : nil)]
    }

    private mutating func beginWatch(now: Seconds) -> [ReflectorAction] {
        guard let rv = lastResourceVersion else { return beginList(paged: true) }
        phase = .watching
        watchStartedAt = now
        watchEventCount = 0
        return [.startWatch(fromResourceVersion: rv, allowBookmarks: config.allowBookmarks)]
    }

    private mutating func watchEnded(error: KubeError?, now: Seconds, countLastEvent: Bool) -> [ReflectorAction] {
        // An ERROR event itself does not make a watch healthy.
        let events = countLastEvent ? watchEventCount : watchEventCount - 1
        let quick = now - watchStartedAt < config.minHealthyWatch && events == 0
        guard let error else {
            if quick {
                return wait(
                    then: .watch,
                    error: KubeError(
                        source: .httpBody, message: "the server closed the watch immediately"), now: now)
            }
            return beginWatch(now: now)
        }
        if error.isGone {
            lastResourceVersion = nil
            if quick { return wait(then: .list, error: error, now: now) }
            return beginList(paged: true)
        }
        if error.isIdleTimeout && events > 0 {
            // It had been delivering: a quiet server without bookmarks looks the same as a
            // silent connection, so try once more at once (the runner opens a fresh
            // connection); a silent retry with no events falls through to backoff below.
            return beginWatch(now: now)
        }
        if error.isTooManyRequests || error.isTransport {
            // The resume point is still good: retry the watch (a too-old RV will answer 410).
            return wait(then: .watch, error: error, now: now)
        }
        return wait(then: .list, error: error, now: now)
    }

    private mutating func wait(then next: Next, error: KubeError, now: Seconds) -> [ReflectorAction] {
        var delay = config.backoff.next(now: now, rng: &rng)
        if error.isTooManyRequests, let ra = error.retryAfterSeconds, ra > 0 {
            // The server said when; it knows its load better than our backoff does, up to the
            // backoff's own ceiling (client-go caps its waits the same way): a Retry-After of
            // a day, or a hostile 1e300, must not freeze a watch.
            delay = min(ra, config.backoff.maximum)
        }
        phase = .waiting
        pendingAfterTimer = next
        timerToken += 1
        return [.reportError(error, retryIn: delay), .schedule(after: delay, token: timerToken)]
    }

    /// Last occurrence of a key wins and keeps its first position.
    static func deduplicated(_ items: [JSON]) -> [JSON] {
        var index: [String: Int] = [:]
        index.reserveCapacity(items.count)
        var out: [JSON] = []
        out.reserveCapacity(items.count)
        for item in items {
            let k = ObjectRef(object: item).key
            if let i = index[k] {
                out[i] = item
            } else {
                index[k] = out.count
                out.append(item)
            }
        }
        return out
    }
}

/// The store a reflector's deltas describe, keyed by namespace/name, in arrival order.
public struct ReflectorStore: Sendable, Equatable {
    public private(set) var objects: [String: JSON] = [:]
    public private(set) var resourceVersion: String?

    public init() {}

    public var count: Int { objects.count }
    public subscript(key: String) -> JSON? { objects[key] }

    public mutating func apply(_ action: ReflectorAction) {
        switch action {
        case .replaceAll(let items, let rv):
            objects = [:]
            for i in items { objects[ObjectRef(object: i).key] = i }
            resourceVersion = rv
        case .upsert(let o):
            objects[ObjectRef(object: o).key] = o
        case .delete(let o):
            objects[ObjectRef(object: o).key] = nil
        default:
            break
        }
    }
}
