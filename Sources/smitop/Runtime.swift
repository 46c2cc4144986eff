import KubeCore
import App
import Foundation
import Kube
import Mesh
import SMI
import Synchronization
import Terminal
import Transport
import UI

/// How the TUI connects: a resolved kubeconfig context, or a fixed endpoint (the demo).
struct Connector: Sendable {
    var kubeconfigPath: String?
    var namespace: String?
    var allNamespaces: Bool
    var environment: [String: String]
    var trustExec = false
    var trustFiles = false

    /// `ask`: how to ask before running an untrusted exec plugin or reading credential files
    /// outside the kubeconfig's directory. At start that is the terminal; once the UI owns it
    /// (`:ctx`), nobody: the switch is refused with the reason.
    func resolve(context: String?, ask: (String) -> Bool? = { _ in nil }) throws(KubeError) -> (KubeClient, ResolvedCluster) {
        let trust = ExecTrust(environment: environment)
        let cluster = try Kubeconfig.resolve(
            KubeconfigOptions(
                kubeconfigPath: kubeconfigPath, context: context, namespace: namespace, allNamespaces: allNamespaces,
                environment: environment),
            credentialFiles: { trust.decideFiles($0, trustFlag: trustFiles, ask: ask) })
        if let refusal = trust.decide(cluster, trustFlag: trustExec, ask: ask) {
            throw KubeError.credential(refusal)
        }
        let client = KubeClient(
            cluster: cluster, transport: CurlTransport(tls: cluster.tls), transportForTLS: { CurlTransport(tls: $0) },
            userAgent: "smitop/\(SmitopVersion.number)")
        return (client, cluster)
    }

    /// Every context of the kubeconfig, for `:ctx` completion (empty if it cannot be read).
    func availableContexts() -> [String] {
        (try? Kubeconfig.load(files: Kubeconfig.files(for: KubeconfigOptions(kubeconfigPath: kubeconfigPath, environment: environment))))
            .map { $0.contexts.keys.sorted() } ?? []
    }

    func contextInfo(_ cluster: ResolvedCluster) -> ContextInfo {
        ContextInfo(
            context: cluster.contextName, cluster: cluster.clusterName, server: cluster.server.absoluteString,
            user: cluster.userName, scope: cluster.allNamespaces ? .all : .one(cluster.namespace),
            availableContexts: availableContexts(), warnings: cluster.warnings)
    }
}

/// Messages from the network side to the UI thread. Posting wakes the UI's poll().
final class Mailbox: Sendable {
    private let queue = Mutex<[Message]>([])
    let waker: TerminalWaker

    init(waker: TerminalWaker) { self.waker = waker }

    func post(_ m: Message) {
        queue.withLock { $0.append(m) }
        waker.wake()
    }

    func drain() -> [Message] { queue.withLock { q in defer { q.removeAll() }; return q } }

    /// When the latest full list arrived from the network (for the start-up benchmark).
    let lastListArrival = Mutex<Double>(0)
    func noteListArrived() { lastListArrival.withLock { $0 = nowSeconds() } }
}

/// `SMITOP_STARTUP_REPORT=FILE`: after the first frame drawn once every watched kind has
/// listed, append one JSON line: when the last list arrived, when that frame was on screen,
/// and the resident memory then. `make bench` reads it; nothing else does.
struct StartupReport {
    let path: String?
    var done = false
    /// How long returning the lists' memory took (it happens before that frame).
    var trimSeconds: Double = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = environment["SMITOP_STARTUP_REPORT"].flatMap { $0.isEmpty ? nil : $0 }
        done = path == nil
    }

    mutating func frameDrawn(_ state: AppState, lastListArrival: Double) {
        guard !done, let path, state.store.synced.count == ObjectKind.allCases.count else { return }
        done = true
        let objects = state.store.services.count + state.store.deployments.count + state.store.pods.count
            + state.store.trafficSplits.count + state.store.trafficTargets.count
        let line = "{\"listsDoneAt\":\(lastListArrival),\"frameAt\":\(nowSeconds()),\"rssKiB\":\(Self.residentKiB()),\"objects\":\(objects),\"trimSeconds\":\(trimSeconds)}\n"
        guard let h = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else { return }
        h.seekToEndOfFile()
        h.write(Data(line.utf8))
        try? h.close()
    }

    static func residentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}

func nowSeconds() -> Seconds { Date().timeIntervalSince1970 }

/// Executes the App's effects (watches, polls, writes, timers) on the cooperative pool and
/// answers with messages. It holds no UI state: every decision was made by `reduce`.
final class EffectRunner: @unchecked Sendable {
    let mailbox: Mailbox
    let connector: Connector
    private let lock = NSLock()
    private var client: KubeClient?
    private var informers: [Informer] = []
    private var watchTasks: [Task<Void, Never>] = []
    private var pollTask: Task<Void, Never>?
    /// `/edges` requests per metrics poll at most (one per deployment): on a mesh of
    /// thousands, each poll refreshes the next slice and the whole graph every few polls.
    static let edgeBudget = 200
    private let edgeRotation = Mutex(0)

    init(mailbox: Mailbox, connector: Connector, client: KubeClient?) {
        self.mailbox = mailbox
        self.connector = connector
        self.client = client
    }

    private func current() -> KubeClient? {
        lock.lock()
        defer { lock.unlock() }
        return client
    }

    func run(_ effect: Effect) {
        switch effect {
        case .startWatches(let scope): startWatches(scope)
        case .pollMetrics(let scope, let window, let after): pollMetrics(scope, window: window, after: after)
        case .patch(let req): patch(req)
        case .reloadObject(let kind, let ref): reload(kind, ref)
        case .reviewAccess(let scope): reviewAccess(scope)
        case .switchContext(let name): switchContext(name)
        case .setTheme, .quit, .suspend, .scheduleTick:
            break  // handled on the UI thread, which owns the terminal and its poll() timeout
        }
    }

    func stop() {
        lock.lock()
        let infs = informers
        informers = []
        for t in watchTasks { t.cancel() }
        watchTasks = []
        pollTask?.cancel()
        lock.unlock()
        for i in infs { Task { await i.stop() } }
    }

    private func startWatches(_ scope: NamespaceScope) {
        lock.lock()
        let old = informers
        informers = []
        for t in watchTasks { t.cancel() }
        watchTasks = []
        let client = self.client
        lock.unlock()
        for i in old { Task { await i.stop() } }
        guard let client else { return }
        let mailbox = self.mailbox
        for kind in ObjectKind.allCases {
            let task = Task { [weak self] in
                let resource: GroupVersionResource?
                do { resource = try await kind.resource(on: client) } catch {
                    let error = KubeError.from(error)
                    mailbox.post(.watchFailed(kind, error, retryIn: 0))
                    mailbox.post(.connection(error.isTransport ? .unreachable(error) : .reachable))
                    return
                }
                guard let resource else {
                    mailbox.post(.watchFailed(kind, KubeError(source: .httpBody, code: 404, message: "the cluster does not serve \(kind.resource)"), retryIn: 0))
                    return
                }
                let informer = Informer(client: client, resource: resource, namespace: scope.namespace)
                self?.adopt(informer)
                await informer.start()
                for await update in informer.updates {
                    if Task.isCancelled { break }
                    switch update {
                    case .replaceAll(let items, let rv):
                        mailbox.noteListArrived()
                        mailbox.post(.reflector(kind, .replaceAll(items, resourceVersion: rv)))
                        mailbox.post(.connection(.reachable))
                    case .upsert(let o): mailbox.post(.reflector(kind, .upsert(o)))
                    case .delete(let o): mailbox.post(.reflector(kind, .delete(o)))
                    case .error(let e, let retryIn):
                        mailbox.post(.watchFailed(kind, e, retryIn: retryIn))
                        if e.isTransport || (e.code ?? 0) >= 500 || e.isTooManyRequests {
                            mailbox.post(.connection(.unreachable(e)))
                        }
                    }
                }
            }
            lock.lock()
            watchTasks.append(task)
            lock.unlock()
        }
    }

    private func adopt(_ i: Informer) {
        lock.lock()
        informers.append(i)
        lock.unlock()
    }

    private func pollMetrics(_ scope: NamespaceScope, window: String, after: Seconds) {
        lock.lock()
        pollTask?.cancel()
        let client = self.client
        let mailbox = self.mailbox
        pollTask = Task {
            try? await Task.sleep(for: .seconds(saturating: after))
            if Task.isCancelled { return }
            guard let client else { return }
            do {
                let poll = try await client.pollTrafficMetrics(
                    namespace: scope.namespace, window: window, edgeBudget: Self.edgeBudget, rotation: self.edgeRotation.withLock { $0 })
                if Task.isCancelled { return }
                self.edgeRotation.withLock { $0 = poll.nextRotation }
                let fetched: Set<ObjectID>? = poll.complete ? nil : Set(poll.edgesFetched.map { key in
                    let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                    return ObjectID(namespace: parts.first ?? "", name: parts.count > 1 ? parts[1] : "")
                })
                mailbox.post(.metricsSampled(namespace: scope.namespace, lists: poll.lists, edgesFetched: fetched, at: nowSeconds()))
            } catch {
                if Task.isCancelled { return }
                mailbox.post(.metricsFailed(namespace: scope.namespace, error: KubeError.from(error), at: nowSeconds()))
            }
        }
        lock.unlock()
    }

    private func patch(_ req: PatchRequest) {
        guard let client = current() else { return }
        let mailbox = self.mailbox
        Task {
            do {
                let result = try await client.mergePatch(
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
        guard let client = current() else { return }
        let mailbox = self.mailbox
        Task {
            do {
                mailbox.post(.objectReloaded(kind, try await client.rawGet(ref.path)))
            } catch {
                mailbox.post(.reloadFailed(kind, ref, KubeError.from(error)))
            }
        }
    }

    private func reviewAccess(_ scope: NamespaceScope) {
        guard let client = current() else { return }
        let mailbox = self.mailbox
        Task {
            var attrs: JSON = ["verb": "patch", "group": "split.smi-spec.io", "resource": "trafficsplits"]
            if let ns = scope.namespace { attrs["namespace"] = .string(ns) }
            let review: JSON = [
                "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": ["resourceAttributes": attrs],
            ]
            do {
                let r = try await client.requestJSON(method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body: review)
                mailbox.post(.accessReview(allowed: r[path: "status", "allowed"]?.boolValue ?? false, reason: r[path: "status", "reason"]?.stringValue))
            } catch {
                let error = KubeError.from(error)
                // Unknown is not "denied": writes stay enabled and a 403 is explained if it comes.
                if error.isForbidden { mailbox.post(.accessReview(allowed: false, reason: error.userMessage)) }
            }
        }
    }

    private func switchContext(_ name: String) {
        do {
            let (client, cluster) = try connector.resolve(context: name)
            lock.lock()
            self.client = client
            lock.unlock()
            mailbox.post(.contextSwitched(connector.contextInfo(cluster)))
        } catch {
            mailbox.post(.contextSwitchFailed(name: name, error: error.userMessage))
        }
    }
}

/// The TUI: one thread owns the terminal and the state; `reduce` decides; effects run
/// elsewhere and answer through the mailbox. The thread sleeps in poll() when nothing happens.
final class TUI {
    var state: AppState
    var theme: Theme
    let themePaths: [String]
    let runner: EffectRunner
    let mailbox: Mailbox
    let screen: TerminalScreen

    var session: SessionKeeper?

    init(
        state: AppState, theme: Theme, themePaths: [String], screen: TerminalScreen, connector: Connector, client: KubeClient?,
        session: SessionKeeper?
    ) {
        self.session = session
        self.state = state
        self.theme = theme
        self.themePaths = themePaths
        self.screen = screen
        mailbox = Mailbox(waker: screen.waker)
        runner = EffectRunner(mailbox: mailbox, connector: connector, client: client)
    }

    /// Runs until `.quit` or a termination signal. Blocks the calling thread.
    func run(initial: [Message]) {
        state.size = screen.size
        var pending: [Message] = [.start(now: nowSeconds()), .resized(screen.size)] + initial
        var dirty = true
        var startup = StartupReport()
        var trimmed = false
        var nextTick: Double?
        // Every change to drafts or the journal is on disk before the next frame and before
        // any exit: a crash, a lost terminal or a kill loses nothing that was on screen.
        func persist() {
            guard session != nil else { return }
            if let note = session!.persist(key: SessionSnapshot.key(state.context), SessionSnapshot(state)) {
                mailbox.post(.warning(note))
            }
        }
        // After `:ctx`, that context's saved drafts are offered as at start (in the same batch,
        // so nothing is saved for it before they are back in the state).
        func withSavedSession(_ m: Message) -> [Message] {
            guard case .contextSwitched(let info) = m, session != nil else { return [m] }
            let loaded = session!.load(key: SessionSnapshot.key(info))
            return [m] + (loaded.snapshot.map { [.sessionRestored($0)] } ?? []) + (loaded.note.map { [.warning($0)] } ?? [])
        }
        while true {
            if !pending.isEmpty {
                pending = pending.flatMap(withSavedSession)
                // One batch per wake-up: a burst of watch events costs one graph rebuild.
                let effects = reduce(&state, batch: pending)
                dirty = true
                for e in effects {
                    switch e {
                    case .quit:
                        persist()
                        runner.stop()
                        return
                    case .suspend:
                        screen.suspend()
                    case .scheduleTick(let after):
                        // The clock is the UI thread's own poll() timeout: one wakeup a second
                        // on one thread, instead of a timer task that wakes three.
                        nextTick = nowSeconds() + max(0, after)
                    case .setTheme(let name):
                        do {
                            let t = try Theme.resolve(name: name, searchPaths: themePaths)
                            theme = t
                            screen.applyTheme(t)
                            mailbox.post(.themeChanged(name))
                        } catch {
                            mailbox.post(.themeFailed(name: name, error: "\(error)"))
                        }
                    default:
                        runner.run(e)
                    }
                }
            }
            pending = []
            persist()
            if dirty {
                if !trimmed, state.store.synced.count == ObjectKind.allCases.count {
                    // The initial lists were decoded into short-lived trees many times the
                    // size of what is kept; glibc holds freed pages until asked to return them.
                    // Before the first complete frame, so that what stays resident from then
                    // on is what smitop holds (a few ms; measured in docs/benchmarks.md).
                    trimmed = true
                    let t0 = nowSeconds()
                    returnFreedMemoryToTheSystem()
                    startup.trimSeconds = nowSeconds() - t0
                }
                // The whole frame is rendered each time; ncurses sends only the changed cells.
                screen.draw(Screen.render(state, theme: theme, glyphs: screen.isUTF8 ? .unicode : .ascii))
                dirty = false
                startup.frameDrawn(state, lastListArrival: mailbox.lastListArrival.withLock { $0 })
            }
            let timeout = nextTick.map { Int32(max(0, min(60_000, ($0 - nowSeconds()) * 1000)).rounded(.up)) }
            screen.waitForEvents(timeoutMs: timeout)
            if let t = nextTick, nowSeconds() >= t {
                nextTick = nil
                pending.append(.tick(now: nowSeconds()))
            }
            for ev in screen.readEvents() {
                switch ev {
                case .key(let k): pending.append(.key(k))
                case .mouse(let m): pending.append(.mouse(m))
                case .resize(let s): pending.append(.resized(s))
                case .resumed: dirty = true
                case .terminate:
                    persist()
                    runner.stop()
                    return
                }
            }
            pending.append(contentsOf: mailbox.drain())
        }
    }
}

/// glibc's `malloc_trim(0)`, looked up at run time (Swift's Glibc module does not export it;
/// on another libc it is simply absent and nothing happens).
func returnFreedMemoryToTheSystem() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    _ = unsafeBitCast(sym, to: Trim.self)(0)
}

/// Runs a blocking loop on its own thread and awaits it: poll() must never block the
/// cooperative pool, which the network side (and an embedded simulator) run on.
func runOnDedicatedThread(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let t = Thread {
            body()
            c.resume()
        }
        t.stackSize = 8 << 20
        t.start()
    }
}
