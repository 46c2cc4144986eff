import Foundation
import KubeCore
import SMI

/// What an informer tells its consumer: store deltas in order, and errors for the badge.
public enum InformerUpdate: Sendable {
    case replaceAll([JSON], resourceVersion: String)
    case upsert(JSON)
    case delete(JSON)
    case error(KubeError, retryIn: Seconds)

    /// How an update waiting for a consumer that fell behind folds into the others: the
    /// latest state per object, a relist supersedes every delta before it, the latest error.
    static func role(in resource: GroupVersionResource) -> @Sendable (InformerUpdate) -> DeltaRole<GroupVersionResource> {
        { update in
            switch update {
            case .replaceAll: .replace(resource)
            case .upsert(let o): .upsert(resource, key: ObjectRef(object: o).key)
            case .delete(let o): .delete(resource, key: ObjectRef(object: o).key)
            case .error: .latest("error")
            }
        }
    }
}

/// An informer's updates: what waits for the consumer is folded per object (`DeltaQueue`).
public typealias InformerUpdates = DeltaStream<GroupVersionResource, InformerUpdate>

/// Runs a `Reflector` (the pure client-go state machine) against a `KubeClient`: it executes
/// the reflector's actions (list, watch, timers) and feeds their outcomes back as inputs.
/// All decisions stay in the reflector; this actor only does I/O and keeps stale callbacks
/// (from a cancelled watch or a superseded timer) out.
public actor Informer {
    public let resource: GroupVersionResource
    public let namespace: String?
    let client: KubeClient
    let clock: any KubeClock
    var reflector: Reflector
    var watchTask: Task<Void, Never>?
    var watchGeneration = 0
    var tasks: [Task<Void, Never>] = []
    let continuation: InformerUpdates.Continuation
    /// The store deltas for the consumer. The reflector reads the watch as fast as events come
    /// (the transport pauses only when the reflector falls behind), so a consumer slower than
    /// the watch would let them pile up here: they are folded per object instead, the latest
    /// state of each, a relist superseding all before it, so what waits is bounded by the
    /// number of objects however fast the watch churns and however long the consumer is away.
    public nonisolated let updates: InformerUpdates
    var started = false
    /// Set when a watch went silent: its connection may be dead, so the next one must not reuse it.
    var nextWatchFresh = false
    /// What the consumer keeps of each object, applied as each page or event arrives: a list is
    /// held until its last page, so the whole trees of every page would otherwise be held too.
    let project: (@Sendable (JSON) -> JSON)?

    public init(
        client: KubeClient, resource: GroupVersionResource, namespace: String?, config: Reflector.Config = .init(),
        clock: any KubeClock = SystemClock(), seed: UInt64 = UInt64.random(in: 0...UInt64.max),
        project: (@Sendable (JSON) -> JSON)? = nil
    ) {
        self.client = client
        self.project = project
        self.resource = resource
        self.namespace = namespace
        self.clock = clock
        reflector = Reflector(config: config, seed: seed)
        (updates, continuation) = InformerUpdates.makeStream(role: InformerUpdate.role(in: resource))
    }

    public func start() {
        guard !started else { return }
        started = true
        feed(.start)
    }

    public func stop() {
        feed(.stop)
        watchTask?.cancel()
        for t in tasks { t.cancel() }
        tasks.removeAll()
        continuation.finish()
    }

    func feed(_ input: ReflectorInput) {
        let actions = reflector.handle(input, now: clock.now())
        for a in actions { execute(a) }
    }

    func execute(_ action: ReflectorAction) {
        switch action {
        case .startList(let token, let limit):
            let client = client
            let r = resource
            let ns = namespace
            let project = project
            track(
                Task {
                    do {
                        let page = try await client.list(r, namespace: ns, options: ListOptions(limit: limit, continueToken: token))
                        let items = project.map { page.items.map($0) } ?? page.items
                        self.feed(
                            .listCompleted(
                                items: items, resourceVersion: page.metadata.resourceVersion ?? "",
                                continueToken: page.metadata.continueToken))
                    } catch {
                        self.feed(.listFailed(KubeError.from(error)))
                    }
                })
        case .startWatch(let rv, let bookmarks):
            watchTask?.cancel()
            watchGeneration += 1
            let gen = watchGeneration
            let client = client
            let r = resource
            let ns = namespace
            // Jittered, and short enough that the server ends a quiet watch (after a bookmark)
            // before the idle timeout could take it for a dead connection.
            let timeout = Int.random(in: reflector.config.watchTimeout)
            let idle = reflector.config.watchIdleTimeout
            let fresh = nextWatchFresh
            nextWatchFresh = false
            let project = project
            watchTask = Task {
                let stream = client.watch(
                    r, namespace: ns, resourceVersion: rv, allowBookmarks: bookmarks, timeoutSeconds: timeout, idleTimeout: idle,
                    freshConnection: fresh)
                var opened = false
                do {
                    for try await event in stream {
                        if Task.isCancelled { return }
                        if !opened {
                            opened = true
                            self.feedWatch(gen, .watchOpened)
                        }
                        var event = event
                        if let project, !event.type.isError, event.type != .bookmark { event.object = project(event.object) }
                        self.feedWatch(gen, .watchEvent(event))
                    }
                    self.feedWatch(gen, .watchClosed(nil))
                } catch {
                    let e = KubeError.from(error)
                    if e.isIdleTimeout { self.markNextWatchFresh(gen) }
                    self.feedWatch(gen, .watchClosed(e))
                }
            }
        case .cancelWatch:
            watchGeneration += 1
            watchTask?.cancel()
            watchTask = nil
        case .schedule(let after, let token):
            track(
                Task {
                    try? await Task.sleep(for: .seconds(saturating: after))
                    if Task.isCancelled { return }
                    self.feed(.timerFired(token: token))
                })
        case .replaceAll(let items, let rv):
            continuation.yield(.replaceAll(items, resourceVersion: rv))
        case .upsert(let o):
            continuation.yield(.upsert(o))
        case .delete(let o):
            continuation.yield(.delete(o))
        case .reportError(let e, let retryIn):
            continuation.yield(.error(e, retryIn: retryIn))
        }
    }

    /// The resourceVersion the reflector has reached (tests wait on it: every event up to it
    /// has been handed to `updates`).
    public var lastResourceVersion: String? { reflector.lastResourceVersion }

    func markNextWatchFresh(_ generation: Int) {
        if generation == watchGeneration { nextWatchFresh = true }
    }

    /// Events from a watch that has since been cancelled or replaced are dropped.
    func feedWatch(_ generation: Int, _ input: ReflectorInput) {
        guard generation == watchGeneration else { return }
        feed(input)
    }

    func track(_ t: Task<Void, Never>) {
        tasks.removeAll { $0.isCancelled }
        tasks.append(t)
        if tasks.count > 64 { tasks.removeFirst(tasks.count - 64) }
    }
}

extension KubeError {
    /// Any error from the client as a `KubeError` (cancellation and transport errors included).
    public static func from(_ error: any Error) -> KubeError {
        if let k = error as? KubeError { return k }
        if let t = error as? TransportError { return KubeError(t, operation: nil) }
        return KubeError(source: .httpBody, message: "\(error)")
    }
}
