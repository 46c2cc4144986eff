// The TUI's loop: one thread owns the terminal and the state; `reduce` decides; effects run
// elsewhere and answer through the mailbox. The thread sleeps in the terminal's wait when
// nothing happens.

import App
import Foundation
import KubeCore
import Mesh
import UI

/// Watches the loop from outside without steering it (the start-up benchmark's report).
public protocol EventLoopObserver: AnyObject {
    /// After each frame is drawn.
    func frameDrawn(_ state: AppState, lastListArrival: Double, trimSeconds: Double)
}

public final class EventLoop {
    public private(set) var state: AppState
    /// The signal that ended the loop (SIGINT, SIGTERM, SIGHUP), if one did.
    public private(set) var terminatedBy: Int32?
    var theme: Theme
    let themePaths: [String]
    public let runner: EffectRunner
    public let mailbox: Mailbox
    let terminal: any TerminalBackend
    var session: SessionKeeper?
    let observer: (any EventLoopObserver)?
    /// The memory hand-back before the first complete frame (real runs; a no-op in tests).
    let trimMemory: () -> Void

    public init(
        state: AppState, theme: Theme, themePaths: [String], terminal: any TerminalBackend, connector: (any ClusterConnector)?,
        cluster: (any ClusterSession)?, session: SessionKeeper?, observer: (any EventLoopObserver)? = nil,
        rampLog: RampLog? = nil, trimMemory: @escaping () -> Void = returnFreedMemoryToTheSystem
    ) {
        self.state = state
        self.theme = theme
        self.themePaths = themePaths
        self.terminal = terminal
        self.session = session
        self.observer = observer
        self.trimMemory = trimMemory
        mailbox = Mailbox(wake: terminal.wake)
        runner = EffectRunner(
            mailbox: mailbox, connector: connector, cluster: cluster, rampLog: rampLog, backfillStep: state.options.refreshInterval,
            backfillPoints: state.options.historyCapacity)
    }

    /// Runs until `.quit` or a termination signal. Blocks the calling thread.
    public func run(initial: [Message]) {
        // The size first: state changes only through reduce, and nothing may lay out or draw
        // at a size the terminal does not have.
        var pending: [Message] = [.resized(terminal.size), .start(now: nowSeconds())] + initial
        var dirty = true
        var trimmed = false
        var trimSeconds = 0.0
        // A relist of a large kind (after a dropped watch, a 410, a reconnect) decodes the whole
        // list again into short-lived trees; without handing the freed pages back, resident
        // memory would stay at that high-water mark and hide a real leak behind it.
        var relistedLarge = false
        // And once a minute: metric polls and frames free as much as they allocate, and glibc
        // keeps the freed pages, so resident memory would creep up between relists (+25 MB in
        // five minutes on 5,000 services) without anything being leaked.
        var lastTrim = nowSeconds()
        var nextTick: Double?
        let heapStats = HeapStatsFile()
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
                if pending.contains(where: { if case .metricsSampled = $0 { true } else if case .metricsFailed = $0 { true } else { false } }) {
                    heapStats?.pollAnswered()
                }
                if trimmed, pending.contains(where: { if case .objects(_, .replaced(let items)) = $0 { items.count >= 1_000 } else { false } }) {
                    relistedLarge = true
                }
                // One batch per wake-up: a burst of watch events costs one graph rebuild.
                // Handed over, not copied: the lists in it are freed as they are applied.
                let effects = reduce(&state, batch: consume pending)
                pending = []
                dirty = true
                for e in effects {
                    switch e {
                    case .quit:
                        persist()
                        runner.stop()
                        return
                    case .suspend:
                        terminal.suspend()
                    case .scheduleTick(let after):
                        // The clock is this thread's own wait timeout: one wakeup a second on one
                        // thread, instead of a timer task that wakes three.
                        nextTick = nowSeconds() + max(0, after)
                    case .setTheme(let name):
                        do {
                            let t = try Theme.resolve(name: name, searchPaths: themePaths)
                            theme = t
                            terminal.applyTheme(t)
                            mailbox.post(.themeChanged(name))
                        } catch {
                            mailbox.post(.themeFailed(name: name, error: "\(error)"))
                        }
                    case .pollMetrics:
                        heapStats?.pollAsked()
                        runner.run(e)
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
                    trimMemory()
                    trimSeconds = nowSeconds() - t0
                } else if relistedLarge || (trimmed && nowSeconds() - lastTrim >= 60) {
                    relistedLarge = false
                    lastTrim = nowSeconds()
                    trimMemory()
                }
                // The whole frame is rendered each time; the terminal sends only changed cells.
                terminal.draw(Screen.render(state, theme: theme, glyphs: terminal.isUTF8 ? .unicode : .ascii))
                dirty = false
                heapStats?.frameDrawn(now: nowSeconds(), edgeSweepDone: runner.firstEdgeSweepDone)
                observer?.frameDrawn(state, lastListArrival: mailbox.lastListArrival.withLock { $0 }, trimSeconds: trimSeconds)
            }
            let timeout = nextTick.map { Int32(max(0, min(60_000, ($0 - nowSeconds()) * 1000)).rounded(.up)) }
            _ = terminal.waitForEvents(timeoutMs: timeout)
            if let t = nextTick, nowSeconds() >= t {
                nextTick = nil
                pending.append(.tick(now: nowSeconds()))
            }
            for ev in terminal.readEvents() {
                switch ev {
                case .key(let k): pending.append(.key(k))
                case .mouse(let m): pending.append(.mouse(m))
                case .resize(let s): pending.append(.resized(s))
                case .resumed: dirty = true
                case .terminate(let signal):
                    terminatedBy = signal
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
public func returnFreedMemoryToTheSystem() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    _ = unsafeBitCast(sym, to: Trim.self)(0)
}

/// Tunes glibc's malloc for how smitop uses memory (mallopt), unless the user set the same
/// knob in the environment. Measured on 5,000 services / 10,000 splits (docs/benchmarks.md):
/// peak resident memory at start 247 MB with glibc's defaults, ~144 MB with both of these and
/// the start-up changes beside them.
/// - One arena (M_ARENA_MAX): lists are decoded on the cooperative pool's threads and applied
///   on the UI thread, and glibc keeps freed memory in the arena of the thread that freed it,
///   up to 8 arenas per core; each held its own freed pages (~100 MB above the heap in use).
///   Contention on one arena did not slow the start-up frame.
/// - A fixed mmap threshold of 128 KiB (M_MMAP_THRESHOLD): glibc's default raises it up to
///   32 MiB after the first large free, so the big short-lived arrays of a list (pages, JSON
///   arrays, the graph's edges) come from the heap and leave it fragmented; mapped, they go
///   back to the system when freed.
/// Looked up at run time like `malloc_trim`; on another libc nothing happens.
public func tuneMalloc(environment: [String: String] = ProcessInfo.processInfo.environment) {
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    let mallopt = unsafeBitCast(sym, to: Mallopt.self)
    // <malloc.h>: M_ARENA_MAX -8, M_MMAP_THRESHOLD -3.
    if environment["MALLOC_ARENA_MAX"] == nil { _ = mallopt(-8, 1) }
    if environment["MALLOC_MMAP_THRESHOLD_"] == nil { _ = mallopt(-3, 128 * 1024) }
}

/// Runs a blocking loop on its own thread and awaits it: the terminal wait must never block
/// the cooperative pool, which the network side (and an embedded simulator) run on.
public func runOnDedicatedThread(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let t = Thread {
            body()
            c.resume()
        }
        t.stackSize = 8 << 20
        t.start()
    }
}
