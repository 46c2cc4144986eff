import App
import Foundation
import Kube
import KubeCore
import Mesh
import SMI
import Testing
import UI

@testable import Runtime

// The event loop driven headless: a terminal double that replays keys and keeps the frames it
// was asked to draw, and a cluster double that serves lists, applies merge patches with the
// resourceVersion precondition, and echoes each write on the watch as a real API server does.
// keypress → effect → answer → frame, with no tmux, no curl and no sleeps but the waits below.

/// A terminal with no screen: keys are queued by the test, frames are kept as text.
final class HeadlessTerminal: TerminalBackend, @unchecked Sendable {
    let size = TermSize(columns: 120, rows: 30)
    let isUTF8 = true
    private let condition = NSCondition()
    private var events: [TerminalEvent] = []
    private var woken = false
    private var frames: [String] = []

    var wake: @Sendable () -> Void {
        { [weak self] in
            guard let self else { return }
            self.condition.lock()
            self.woken = true
            self.condition.signal()
            self.condition.unlock()
        }
    }

    func send(_ e: TerminalEvent) {
        condition.lock()
        events.append(e)
        condition.signal()
        condition.unlock()
    }

    func draw(_ buffer: CellBuffer) {
        condition.lock()
        frames.append(buffer.text)
        condition.unlock()
    }

    var lastFrame: String {
        condition.lock()
        defer { condition.unlock() }
        return frames.last ?? ""
    }

    func waitForEvents(timeoutMs: Int32?) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(Double(timeoutMs ?? 60_000) / 1000)
        while events.isEmpty && !woken {
            if !condition.wait(until: deadline) { return false }
        }
        woken = false
        return true
    }

    func readEvents() -> [TerminalEvent] {
        condition.lock()
        defer { condition.unlock() }
        let e = events
        events = []
        return e
    }

    func suspend() {}
    func applyTheme(_ theme: Theme) {}

    /// Waits (bounded) until the latest frame satisfies `ok`.
    /// Polls with `Task.sleep`, never `Thread.sleep`: a blocked test would hold one of the
    /// cooperative pool's threads (two on a 2-core machine), and the effect runner's tasks
    /// under test need them (a full run starved them for 30 s).
    func waitForFrame(timeout: Double = 20, _ ok: (String) -> Bool) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let f = lastFrame
            if ok(f) { return f }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

/// A cluster that holds one TrafficSplit and behaves as the API server does on writes.
final class ScriptedCluster: ClusterSession, @unchecked Sendable {
    private let lock = NSLock()
    private var split: JSON
    private var splitWatch: AsyncStream<WatchUpdate>.Continuation?
    private(set) var patches: [(body: JSON, dryRun: Bool)] = []

    init(weights: [Int], rv: String) { split = Self.split(weights, rv: rv) }

    static func split(_ weights: [Int], rv: String) -> JSON {
        let b = weights.enumerated().map { #"{"service":"books-v\#($0.offset + 1)","weight":\#($0.element)}"# }.joined(separator: ",")
        return try! JSON.parse(
            #"{"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"books","namespace":"shop","resourceVersion":"\#(rv)"},"spec":{"service":"books","backends":[\#(b)]}}"#
        )
    }

    static func service(_ name: String, _ sel: String) -> JSON {
        try! JSON.parse(
            #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)","namespace":"shop","resourceVersion":"1"},"spec":{"selector":{\#(sel)}}}"#)
    }

    var currentSplit: JSON { lock.withLock { split } }
    var recordedPatches: [(body: JSON, dryRun: Bool)] { lock.withLock { patches } }

    func watch(_ kind: ObjectKind, namespace: String?) -> AsyncStream<WatchUpdate> {
        AsyncStream { c in
            switch kind {
            case .service:
                c.yield(.replaced([Self.service("books", #""app":"books""#), Self.service("books-v1", #""v":"1""#), Self.service("books-v2", #""v":"2""#)]))
            case .trafficSplit:
                lock.withLock {
                    splitWatch = c
                    c.yield(.replaced([split]))
                }
            default:
                c.yield(.replaced([]))
            }
        }
    }

    func pollTrafficMetrics(namespace: String?, window: String, edgeBudget: Int, rotation: Int) async throws(KubeError) -> TrafficMetricsPoll {
        throw KubeError(source: .httpBody, code: 404, message: "the cluster does not serve metrics.smi-spec.io")
    }

    func mergePatch(path: String, patch: JSON, resourceVersion: String?, dryRun: Bool, fieldManager: String?) async throws(KubeError) -> JSON {
        try apply(patch, resourceVersion: resourceVersion, dryRun: dryRun)
    }

    private func apply(_ patch: JSON, resourceVersion: String?, dryRun: Bool) throws(KubeError) -> JSON {
        lock.lock()
        defer { lock.unlock() }
        patches.append((patch, dryRun))
        do {
            let live = split[path: "metadata", "resourceVersion"]?.stringValue
            guard resourceVersion == nil || resourceVersion == live else {
                throw KubeError(source: .status, code: 409, reason: "Conflict", message: "the object has been modified")
            }
            var next = split
            if case .object(var o) = next, case .object(var spec) = o["spec"] ?? .null {
                spec["backends"] = patch[path: "spec", "backends"]
                o["spec"] = .object(spec)
                if case .object(var m) = o["metadata"] ?? .null {
                    m["resourceVersion"] = .string(String((Int(live ?? "0") ?? 0) + 1))
                    o["metadata"] = .object(m)
                }
                next = .object(o)
            }
            if dryRun { return next }
            split = next
            splitWatch?.yield(.upserted(next))  // the watch echo, as the API server sends it
            return next
        } catch let e as KubeError {
            throw e
        } catch {
            throw KubeError.from(error)
        }
    }

    func get(_ path: String) async throws(KubeError) -> JSON { currentSplit }

    private var backfills: [(step: Double, points: Int)] = []
    var recordedBackfills: [(step: Double, points: Int)] { lock.withLock { backfills } }
    /// Seconds the history takes to answer (a Prometheus slow at range queries).
    var backfillDelay: Double = 0
    /// What the history answers (none by default).
    var backfillHistory: [(at: Double, lists: [TrafficMetricsList])] = []
    func backfillMetrics(namespace: String?, window: String, step: Double, points: Int) async -> [(at: Double, lists: [TrafficMetricsList])] {
        lock.withLock { backfills.append((step, points)) }
        if backfillDelay > 0 { try? await Task.sleep(for: .seconds(backfillDelay)) }
        return lock.withLock { backfillHistory }
    }

    func accessReview(_ attributes: JSON) async throws(KubeError) -> (allowed: Bool, reason: String?) { (true, nil) }
}

final class LoopBox: @unchecked Sendable {
    let loop: EventLoop
    init(_ l: EventLoop) { loop = l }
}

@Suite("event loop, headless", .serialized)
struct HeadlessLoopTests {
    func start(
        _ terminal: HeadlessTerminal, _ cluster: ScriptedCluster, session: SessionKeeper? = nil, options: AppOptions = AppOptions()
    )
        -> (LoopBox, Thread, NSCondition)
    {
        let state = AppState(options: options, context: ContextInfo(context: "test", scope: .one("shop")))
        let loop = LoopBox(
            EventLoop(
                state: state, theme: try! Theme.load(name: "default", searchPaths: []), themePaths: [], terminal: terminal, connector: nil, cluster: cluster,
                session: session, trimMemory: {}))
        let done = NSCondition()
        let t = Thread {
            loop.loop.run(initial: [])
            done.lock()
            done.signal()
            done.unlock()
        }
        t.start()
        return (loop, t, done)
    }

    @Test func theHistoryAtStartIsSpacedLikeTheRefresh() async throws {
        let terminal = HeadlessTerminal()
        let cluster = ScriptedCluster(weights: [90, 10], rv: "7")
        var options = AppOptions()
        options.refreshInterval = 5
        options.historyCapacity = 40
        let (box, _, _) = start(terminal, cluster, options: options)
        defer { box.loop.mailbox.post(.key(.ctrl("c"))) }
        let deadline = Date().addingTimeInterval(30)
        while cluster.recordedBackfills.isEmpty && Date() < deadline { try await Task.sleep(for: .seconds(0.05)) }
        let b = try #require(cluster.recordedBackfills.first, "no backfill was asked for")
        #expect(b.step == 5 && b.points == 40)
    }

    /// The history is asked for beside the first live poll and never holds it back; when it
    /// answers later, it is merged behind what the live polls recorded, not dropped.
    @Test func aSlowHistoryNeverHoldsBackTheFirstPollAndIsMergedWhenItComes() async throws {
        let terminal = HeadlessTerminal()
        let cluster = ScriptedCluster(weights: [90, 10], rv: "7")
        cluster.backfillDelay = 4
        let now = Date().timeIntervalSince1970
        let item =
            #"{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"name":"books-v1","namespace":"shop"},"window":"30s","resource":{"kind":"Deployment","namespace":"shop","name":"books-v1"},"edge":{"direction":"from","resource":null},"metrics":[{"name":"success_count","value":"SUCCESS"},{"name":"failure_count","value":"0"}]}"#
        cluster.backfillHistory = [30, 60, 90].enumerated().map { i, success in
            let json = try! JSON.parse(
                #"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","items":["#
                    + item.replacingOccurrences(of: "SUCCESS", with: String(success)) + "]}")
            return (now - 30 + Double(i) * 2, [try! TrafficMetricsList(json: json)])
        }
        let (box, _, _) = start(terminal, cluster)
        defer { box.loop.mailbox.post(.key(.ctrl("c"))) }
        // This cluster's poll fails at once (it serves no metrics): that failure is the first
        // poll's answer, and it arrives while the history is still being asked for.
        let deadline = Date().addingTimeInterval(30)
        while box.loop.state.metrics.consecutiveFailures == 0 && Date() < deadline { try await Task.sleep(for: .seconds(0.05)) }
        #expect(box.loop.state.metrics.consecutiveFailures > 0, "the first poll's answer never arrived")
        let books = ObjectRef(namespace: "shop", name: "books-v1")
        #expect(box.loop.state.metrics.workload(books) == nil, "the first poll waited for the history")
        // The history answers 4 s later and goes behind the failed poll.
        while box.loop.state.metrics.workload(books) == nil && Date() < deadline { try await Task.sleep(for: .seconds(0.05)) }
        #expect(!cluster.recordedBackfills.isEmpty, "no history was asked for")
        let entries = try #require(box.loop.state.metrics.workload(books), "the late history was dropped").entries
        #expect(entries.count >= 4, "\(entries)")
        // 30, 60 and 90 successes over a 30 s window, oldest first, then the gap of the live
        // polls since, which reported nothing for it.
        #expect(entries.prefix(3).map { $0?.rps } == [1, 2, 3], "\(entries)")
        #expect(entries.dropFirst(3).allSatisfy { $0 == nil }, "\(entries)")
    }

    @Test func aKeypressWriteIsPatchedEchoedAndDrawn() async throws {
        let terminal = HeadlessTerminal()
        let cluster = ScriptedCluster(weights: [90, 10], rv: "7")
        let (box, _, _) = start(terminal, cluster)
        // The splits view lists the split as the watch delivered it.
        terminal.send(.key(.char("3")))
        let before = try #require(await terminal.waitForFrame { $0.contains("books-v1 90 · books-v2 10") })
        #expect(before.contains("● LIVE"), "\(before)")
        // Edit, set the selected backend to 50 %, review, confirm.
        for k: Key in [.enter, .char("5"), .enter] { terminal.send(.key(k)) }
        _ = await terminal.waitForFrame { $0.contains("50") }
        terminal.send(.key(.char("y")))
        // The write reached the cluster with the resourceVersion that was read, and nothing
        // else but the weights...
        let deadline = Date().addingTimeInterval(20)
        while cluster.recordedPatches.filter({ !$0.dryRun }).isEmpty, Date() < deadline { try await Task.sleep(for: .seconds(0.01)) }
        let write = try #require(cluster.recordedPatches.first { !$0.dryRun })
        #expect(write.body[path: "metadata", "resourceVersion"]?.stringValue == "7")
        #expect(write.body[path: "spec", "backends"]?.arrayValue?.map { $0["weight"]?.intValue } == [50, 50])
        #expect(cluster.currentSplit[path: "metadata", "resourceVersion"]?.stringValue == "8")
        // ...the echo came back through the watch (rv 8 is only in the echo and the answer), and
        // the frame shows the cluster's new state.
        let after = try #require(await terminal.waitForFrame { $0.contains("written (resourceVersion 8)") })
        #expect(after.contains("wrote trafficsplit/books -n shop: books-v1 50, books-v2 50"), "\(after)")
        #expect(after.contains("draft = server · rv 8"), "\(after)")
        #expect(box.loop.state.store.trafficSplits.values.first?.backends.map { $0.weight.value.integerValue } == [50, 50])
        terminal.send(.key(.char("q")))
    }

    @Test func quitEndsTheLoopAndStopsTheRunner() async throws {
        let terminal = HeadlessTerminal()
        let cluster = ScriptedCluster(weights: [90, 10], rv: "7")
        let (_, thread, _) = start(terminal, cluster)
        _ = await terminal.waitForFrame { $0.contains("books") }
        terminal.send(.key(.char("q")))
        let deadline = Date().addingTimeInterval(20)
        while !thread.isFinished && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(thread.isFinished, "the loop did not return after q")
    }
}

/// A connector that blocks until released: `:ctx` must not block the UI thread while a
/// context is resolved (issue 14 item 6).
final class SlowConnector: ClusterConnector, @unchecked Sendable {
    let release = NSCondition()
    var released = false
    let cluster: ScriptedCluster
    init(_ c: ScriptedCluster) { cluster = c }
    func connect(context: String) throws(KubeError) -> (session: any ClusterSession, info: ContextInfo) {
        release.lock()
        while !released { release.wait() }
        release.unlock()
        return (cluster, ContextInfo(context: context, scope: .one("shop")))
    }
    func open() {
        release.lock()
        released = true
        release.broadcast()
        release.unlock()
    }
}

@Suite("event loop, context switch", .serialized)
struct ContextSwitchLoopTests {
    @Test func aSlowContextSwitchDoesNotFreezeTheUI() async throws {
        let terminal = HeadlessTerminal()
        let cluster = ScriptedCluster(weights: [90, 10], rv: "7")
        let connector = SlowConnector(ScriptedCluster(weights: [60, 40], rv: "3"))
        let state = AppState(context: ContextInfo(context: "first", scope: .one("shop"), availableContexts: ["first", "second"]))
        let loop = LoopBox(
            EventLoop(
                state: state, theme: try Theme.load(name: "default", searchPaths: []), themePaths: [], terminal: terminal,
                connector: connector, cluster: cluster, session: nil, trimMemory: {}))
        Thread { loop.loop.run(initial: []) }.start()
        _ = try #require(await terminal.waitForFrame { $0.contains("ctx first") })
        for c in ":ctx second" { terminal.send(.key(.char(c))) }
        terminal.send(.key(.enter))
        // While the switch is still resolving, the UI answers keys: the help view opens.
        terminal.send(.key(.char("?")))
        let help = await terminal.waitForFrame(timeout: 10) { $0.contains("Everywhere (graph, tables, help)") && $0.contains("ctx first") }
        #expect(help != nil, "the UI froze while the context was resolved:\n\(terminal.lastFrame)")
        connector.open()
        let switched = await terminal.waitForFrame { $0.contains("ctx second") }
        #expect(switched != nil, "\(terminal.lastFrame)")
        terminal.send(.key(.char("q")))
    }
}
