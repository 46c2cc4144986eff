// Executes the App's effects (watches, polls, writes, reviews, context switches) on the
// cooperative pool and answers with messages. It holds no UI state and makes no decisions:
// every decision was made by `reduce`, and every fact goes back to it as it happened.

import App
import Foundation
import Kube
import KubeCore
import Mesh
import SMI
import Synchronization

public final class EffectRunner: @unchecked Sendable {
    let mailbox: Mailbox
    /// Replaced by `:kubeconfig PATH` (under `lock`).
    private var connector: (any ClusterConnector)?
    private let lock = NSLock()
    private var cluster: (any ClusterSession)?
    private var watchTasks: [Task<Void, Never>] = []
    private var pollTask: Task<Void, Never>?
    /// `/edges` requests per metrics poll at most (one per deployment): on a mesh of
    /// thousands, each poll refreshes the next slice and the whole graph every few polls.
    public static let edgeBudget = 200
    /// The budget until a scope's first sweep has asked every deployment's edges once. An edge
    /// is seen (and its history, its place in the graph and their memory taken) only when its
    /// deployment's edges are first asked, so at 200 a poll a mesh of 5,000 services is still
    /// being seen for the first time minutes after start. A larger first turn makes it whole
    /// sooner, but at start: measured with `bench.py --only startup,routes` on a quiet machine
    /// (2026-12-07), 1,000 raised the peak at start from 137 to 165 MB for 5,000 services and
    /// 10,000 splits (the < 150 MB target) and from 170 to 196 MB with 10,000 routes. So the
    /// first sweep keeps the steady budget until its memory is cheaper; the mechanism stays for
    /// that (its tests use budgets of their own).
    public static let firstSweepEdgeBudget = 200
    /// This runner's budgets (the defaults above; tests use small ones on a small mesh).
    let edgeBudgets: (steady: Int, firstSweep: Int)
    private let edgeRotation = Mutex(0)
    /// Per scope of the current cluster, the edges asked in its first sweep so far; `.max`
    /// once the sweep is done. A context switch starts over.
    private let firstSweeps = Mutex<[NamespaceScope: Int]>([:])
    /// Whether every scope polled so far has had its first sweep (false before the first poll).
    /// Until then edges are still being seen for the first time, each taking its history and
    /// its place in the graph: the soak judges memory only after it (`SMITOP_HEAP_STATS_FILE`).
    public var firstEdgeSweepDone: Bool {
        firstSweeps.withLock { sweeps in !sweeps.isEmpty && sweeps.values.allSatisfy { $0 == .max } }
    }
    /// The metrics source name last told to `reduce`, so it is sent only when it changes.
    private let sourceName = Mutex<String?>(nil)
    /// Scopes whose sparklines were filled from the source's history, per cluster session
    /// (a `:ctx` switch starts over).
    private let backfilled = Mutex<Set<String>>([])
    /// Bumped by a context switch: a history asked of the previous cluster is not posted.
    private let historyGeneration = Mutex<Int>(0)
    private let historyTasks = Mutex<[Task<Void, Never>]>([])
    /// The history asked for at start: one point per refresh (`--refresh`, so the backfilled
    /// points are spaced as the live ones that follow them) for a sparkline's length.
    let backfillStep: Double
    let backfillPoints: Int

    /// The ramp audit trail (nil: not kept, as in tests that do not ask for it).
    let rampLog: RampLog?
    /// A failed append is reported once, not at every line.
    private let rampLogFailed = Mutex(false)
    /// The `kubectl port-forward` started for the user (under `lock`): its one owner. Stopped
    /// by `stop()` (every way the loop ends) and by a context switch; the kernel stops it if
    /// smitop dies any other way (see `KubectlPortForward`).
    private var forward: KubectlPortForward?
    /// Set by `stop()`: a forward that finishes starting after it is stopped at once.
    private var stopped = false

    public init(
        mailbox: Mailbox, connector: (any ClusterConnector)?, cluster: (any ClusterSession)?, rampLog: RampLog? = nil,
        backfillStep: Double = 2, backfillPoints: Int = 60,
        edgeBudgets: (steady: Int, firstSweep: Int) = (EffectRunner.edgeBudget, EffectRunner.firstSweepEdgeBudget)
    ) {
        self.edgeBudgets = (max(1, edgeBudgets.steady), max(1, edgeBudgets.firstSweep))
        // A paused refresh (0) still backfills at the default spacing; Prometheus refuses
        // more than 11,000 points per series, far above any sparkline.
        self.backfillStep = backfillStep.isFinite && backfillStep > 0 ? min(backfillStep, 3600) : 2
        self.backfillPoints = max(1, min(backfillPoints, 10_000))
        self.mailbox = mailbox
        self.connector = connector
        self.cluster = cluster
        self.rampLog = rampLog
    }

    private func current() -> (any ClusterSession)? {
        lock.lock()
        defer { lock.unlock() }
        return cluster
    }

    public func run(_ effect: Effect) {
        switch effect {
        case .startWatches(let scope): startWatches(scope)
        case .pollMetrics(let scope, let window, let after): pollMetrics(scope, window: window, after: after)
        case .patch(let req): patch(req)
        case .reloadObject(let kind, let ref): reload(kind, ref)
        case .canary(let req): canary(req)
        case .reviewAccess(let scope): reviewAccess(scope)
        case .switchContext(let name): switchContext(name)
        case .appendRampLog(let line):
            // A few hundred bytes to a local file, in order: done here, not on the pool.
            if let problem = rampLog?.append(line), !rampLogFailed.withLock({ $0 }) {
                rampLogFailed.withLock { $0 = true }
                mailbox.post(.warning("the ramp log cannot be written: \(problem)"))
            }
        case .switchKubeconfig(let path): switchKubeconfig(path)
        case .checkNamespace(let name): checkNamespace(name)
        case .startPortForward(let target, let context): startPortForward(target, context: context)
        case .setTheme, .quit, .suspend, .scheduleTick:
            break  // the event loop's own: it owns the terminal and its poll() timeout
        }
    }

    public func stop() {
        lock.lock()
        for t in watchTasks { t.cancel() }
        watchTasks = []
        pollTask?.cancel()
        stopped = true
        let forward = self.forward
        self.forward = nil
        lock.unlock()
        resetHistory()
        forward?.stop()
    }

    /// The pid of the running `kubectl port-forward`, if any (tests).
    public var portForwardPID: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return forward?.pid
    }

    private func startPortForward(_ target: PortForwardSuggestion, context: String?) {
        lock.lock()
        let connector = self.connector
        lock.unlock()
        let mailbox = self.mailbox
        guard let connector else {
            mailbox.post(.portForwardFailed("this session has no kubeconfig to run kubectl with; run `\(target.commandLine)` yourself"))
            return
        }
        Task {
            do {
                let started = try await connector.startPortForward(target, context: context)
                guard self.adopt(started, flavor: target.flavor) else {
                    started.stop()
                    mailbox.post(.portForwardFailed("this session reads no Prometheus to redirect"))
                    return
                }
                mailbox.post(.portForwardStarted(url: started.url, pid: started.pid))
            } catch {
                mailbox.post(.portForwardFailed(KubeError.from(error).userMessage))
            }
        }
    }

    /// Metrics through the started forward from now on; false when the session has no
    /// Prometheus source to move.
    private func adopt(_ started: KubectlPortForward, flavor: MeshMetricsFlavor?) -> Bool {
        lock.lock()
        guard !stopped, let next = cluster?.redirectingMetrics(to: started.url, flavor: flavor) else {
            lock.unlock()
            return false
        }
        let previous = forward
        forward = started
        cluster = next
        // The history comes again, from the forwarded Prometheus.
        resetHistory()
        lock.unlock()
        previous?.stop()
        return true
    }

    /// The forward, if kubectl has ended by itself (it is then no longer ours to stop).
    private func takeEndedForward() -> KubectlPortForward? {
        lock.lock()
        defer { lock.unlock() }
        guard let f = forward, f.hasExited else { return nil }
        forward = nil
        return f
    }

    /// A new context has nothing to do with the forward made for the old one.
    private func dropForward() {
        lock.lock()
        let forward = self.forward
        self.forward = nil
        lock.unlock()
        forward?.stop()
    }

    private func startWatches(_ scope: NamespaceScope) {
        lock.lock()
        for t in watchTasks { t.cancel() }
        watchTasks = []
        let cluster = self.cluster
        lock.unlock()
        guard let cluster else { return }
        let mailbox = self.mailbox
        for kind in ObjectKind.allCases {
            let task = Task {
                for await update in cluster.watch(kind, namespace: scope.namespace) {
                    if Task.isCancelled { break }
                    switch update {
                    case .replaced(let items):
                        mailbox.noteListArrived()
                        mailbox.post(.objects(kind, .replaced(items)))
                    case .upserted(let o): mailbox.post(.objects(kind, .upserted(o)))
                    case .deleted(let o): mailbox.post(.objects(kind, .deleted(o)))
                    case .failed(let e, let retryIn): mailbox.post(.watchFailed(kind, e, retryIn: retryIn))
                    }
                }
            }
            lock.lock()
            watchTasks.append(task)
            lock.unlock()
        }
    }

    private func postSourceName(_ cluster: any ClusterSession) {
        guard let name = cluster.metricsSourceName else { return }
        let changed = sourceName.withLock { last in
            defer { last = name }
            return last != name
        }
        if changed { mailbox.post(.metricsSource(name)) }
    }

    /// A scope's history from the source (Prometheus' `query_range`), asked for the first
    /// time the scope is polled, beside that poll and never in its way: range queries over a
    /// large mesh can take many seconds (17 s at 500 services on a loaded 2-core machine in
    /// `make bench`). It is posted whenever it answers and merged behind whatever the live
    /// polls recorded meanwhile (`MetricsStore.mergeHistory`), so a slow history is late, not
    /// lost. A context switch drops the history still asked of the old cluster.
    private func startHistory(_ cluster: any ClusterSession, scope: NamespaceScope, window: String) {
        let first = backfilled.withLock { $0.insert(scope.namespace ?? "*").inserted }
        guard first else { return }
        let (step, points) = (backfillStep, backfillPoints)
        let generation = historyGeneration.withLock { $0 }
        let mailbox = self.mailbox
        let task = Task {
            let history = await cluster.backfillMetrics(namespace: scope.namespace, window: window, step: step, points: points)
            guard !history.isEmpty, !Task.isCancelled, self.historyGeneration.withLock({ $0 == generation }) else { return }
            self.postSourceName(cluster)
            mailbox.post(.metricsHistory(namespace: scope.namespace, points: history.map { MetricsHistoryPoint(at: $0.at, lists: $0.lists) }))
        }
        historyTasks.withLock { $0.append(task) }
    }

    /// Forgets which scopes have had their history and their first edge sweep, and gives up
    /// the histories still asked for (a context switch: they belong to the old cluster).
    private func resetHistory() {
        backfilled.withLock { $0 = [] }
        firstSweeps.withLock { $0 = [:] }
        historyGeneration.withLock { $0 &+= 1 }
        for t in historyTasks.withLock({ tasks in
            defer { tasks = [] }
            return tasks
        }) { t.cancel() }
    }

    private func pollMetrics(_ scope: NamespaceScope, window: String, after: Seconds) {
        lock.lock()
        pollTask?.cancel()
        let cluster = self.cluster
        let mailbox = self.mailbox
        pollTask = Task {
            try? await Task.sleep(for: .seconds(saturating: after))
            if Task.isCancelled { return }
            guard let cluster else { return }
            // The first poll of a scope asks for its history at the same time.
            self.startHistory(cluster, scope: scope, window: window)
            do {
                let sweeping = self.firstSweeps.withLock { ($0[scope] ?? 0) < .max }
                let poll = try await cluster.pollTrafficMetrics(
                    namespace: scope.namespace, window: window, edgeBudget: sweeping ? self.edgeBudgets.firstSweep : self.edgeBudgets.steady,
                    rotation: self.edgeRotation.withLock { $0 })
                if Task.isCancelled { return }
                self.edgeRotation.withLock { $0 = poll.nextRotation }
                if sweeping {
                    self.firstSweeps.withLock { sweeps in
                        let asked = (sweeps[scope] ?? 0) &+ poll.edgesFetched.count
                        sweeps[scope] = poll.complete || asked >= poll.candidates ? .max : asked
                    }
                }
                let fetched: Set<ObjectRef>? =
                    poll.complete
                    ? nil
                    : Set(
                        poll.edgesFetched.map { key in
                            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                            return ObjectRef(namespace: parts.first ?? "", name: parts.count > 1 ? parts[1] : "")
                        })
                self.postSourceName(cluster)
                mailbox.post(.metricsSampled(namespace: scope.namespace, lists: poll.lists, edgesFetched: fetched, at: nowSeconds()))
            } catch {
                if Task.isCancelled { return }
                self.postSourceName(cluster)
                mailbox.post(.metricsFailed(namespace: scope.namespace, error: KubeError.from(error), at: nowSeconds()))
                if let ended = self.takeEndedForward() {
                    // kubectl gave up (the pod went away, the connection dropped): say why, so F
                    // can start another.
                    let said = ended.lastError
                    mailbox.post(.portForwardFailed("kubectl port-forward ended" + (said.isEmpty ? "" : ": " + said)))
                }
            }
        }
        lock.unlock()
    }

    private func patch(_ req: PatchRequest) {
        guard let cluster = current() else { return }
        let mailbox = self.mailbox
        Task {
            do {
                let result = try await cluster.mergePatch(
                    path: req.split.path, patch: req.body, resourceVersion: req.expectedResourceVersion, dryRun: req.dryRun,
                    fieldManager: req.fieldManager)
                mailbox.post(req.dryRun ? .dryRunResult(requestID: req.id, result: .success(result)) : .patchSucceeded(requestID: req.id, object: result))
            } catch {
                let error = KubeError.from(error)
                mailbox.post(req.dryRun ? .dryRunResult(requestID: req.id, result: .failure(error)) : .patchFailed(requestID: req.id, error: error))
            }
        }
    }

    private func reload(_ kind: ObjectKind, _ ref: SplitRef) {
        guard let cluster = current() else { return }
        let mailbox = self.mailbox
        Task {
            do {
                mailbox.post(.objectReloaded(kind, try await cluster.get(ref.path)))
            } catch {
                mailbox.post(.reloadFailed(kind, ref, KubeError.from(error)))
            }
        }
    }

    /// The Canary read or write `reduce` decided on, answered as it happened (a 409 included:
    /// `reduce` shows it and never retries).
    private func canary(_ req: CanaryRequest) {
        guard let cluster = current() else { return }
        let mailbox = self.mailbox
        Task {
            do {
                let object: JSON
                if let body = req.body, case .setSuspend(_, let rv) = req.op {
                    object = try await cluster.mergePatch(
                        path: req.canary.path, patch: body, resourceVersion: rv, dryRun: false, fieldManager: req.fieldManager)
                } else {
                    object = try await cluster.get(req.canary.path)
                }
                mailbox.post(.canaryAnswered(req, .success(object)))
            } catch {
                mailbox.post(.canaryAnswered(req, .failure(KubeError.from(error))))
            }
        }
    }

    private func checkNamespace(_ name: String) {
        guard let cluster = current() else {
            mailbox.post(.namespaceChecked(name, exists: nil))
            return
        }
        let mailbox = self.mailbox
        Task {
            do {
                _ = try await cluster.get("/api/v1/namespaces/" + pathSegment(name))
                mailbox.post(.namespaceChecked(name, exists: true))
            } catch {
                mailbox.post(.namespaceChecked(name, exists: KubeError.from(error).isNotFound ? false : nil))
            }
        }
    }

    private func reviewAccess(_ scope: NamespaceScope) {
        guard let cluster = current() else { return }
        let mailbox = self.mailbox
        Task {
            var attrs: JSON = ["verb": "patch", "group": "split.smi-spec.io", "resource": "trafficsplits"]
            if let ns = scope.namespace { attrs["namespace"] = .string(ns) }
            do {
                let r = try await cluster.accessReview(attrs)
                mailbox.post(.accessReview(allowed: r.allowed, reason: r.reason))
            } catch {
                let error = KubeError.from(error)
                // Unknown is not "denied": writes stay enabled and a 403 is explained if it comes.
                if error.isForbidden { mailbox.post(.accessReview(allowed: false, reason: error.userMessage)) }
            }
        }
    }

    /// Resolving a context reads the kubeconfig and the files it names, which may be slow (a
    /// network file system) or, from an untrusted kubeconfig, hostile: it runs on a thread of
    /// its own, never on the UI thread or the cooperative pool, and answers by message.
    private func switchKubeconfig(_ path: String) {
        lock.lock()
        let connector = self.connector
        lock.unlock()
        guard let connector else {
            mailbox.post(.contextSwitchFailed(name: path, error: "this session has no kubeconfig to switch from"))
            return
        }
        let mailbox = self.mailbox
        let thread = Thread { [self] in
            do {
                let (next, cluster, info) = try connector.connect(kubeconfig: path)
                dropForward()
                lock.lock()
                self.connector = next
                self.cluster = cluster
                self.resetHistory()
                lock.unlock()
                mailbox.post(.contextSwitched(info))
            } catch {
                mailbox.post(.contextSwitchFailed(name: path, error: KubeError.from(error).userMessage))
            }
        }
        thread.name = "smitop-kubeconfig"
        thread.start()
    }

    private func switchContext(_ name: String) {
        lock.lock()
        let connector = self.connector
        lock.unlock()
        guard let connector else {
            mailbox.post(.contextSwitchFailed(name: name, error: "this session has no kubeconfig to switch in"))
            return
        }
        let mailbox = self.mailbox
        let thread = Thread { [self] in
            do {
                let (cluster, info) = try connector.connect(context: name)
                dropForward()
                lock.lock()
                self.cluster = cluster
                self.resetHistory()
                lock.unlock()
                mailbox.post(.contextSwitched(info))
            } catch {
                mailbox.post(.contextSwitchFailed(name: name, error: KubeError.from(error).userMessage))
            }
        }
        thread.name = "smitop-context"
        thread.start()
    }
}
