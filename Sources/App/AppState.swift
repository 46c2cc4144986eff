// The whole state of the terminal UI in one value. The UI module renders it and nothing
// else; `reduce` is the only code that changes it. Names here are a contract with the UI:
// keep them stable.

import Kube
import KubeCore
import Mesh
import Ramp
import SMI

/// Settings fixed at start (flags).
public struct AppOptions: Sendable, Equatable {
    /// Metrics poll interval (`--refresh`, default 2 s).
    public var refreshInterval: Seconds = 2
    /// Metrics window requested from the server (`?t=`).
    public var metricsWindow: String = "30s"
    /// The metrics source (`--metrics`, config `metrics`): one of `metricsSources`.
    public var metricsSource: String = "auto"
    public static let metricsSources = ["auto", "smi", "linkerd", "istio"]
    public var thresholds = HealthThresholds()
    /// `--no-mouse` turns this off.
    public var mouseEnabled = true
    /// `--read-only`.
    public var readOnly = false
    /// Sparkline length.
    public var historyCapacity = 60
    /// Without a successful request for this long after an error, the badge says offline.
    public var offlineAfter: Seconds = 15
    /// Without any fresh data for this many refresh intervals, the badge says stale.
    public var staleAfterIntervals: Double = 3
    /// The split editor's step when it opens, in share points (config `step`).
    public var defaultStep = 5
    /// Key bindings, with the config file's overrides applied.
    public var keyMap = KeyMap.standard
    /// Contexts that are always read-only (config `contexts.NAME.readOnly`), e.g. production.
    public var readOnlyContexts: Set<String> = []
    /// The config file's ramp defaults (docs/ramps.md).
    public var ramp = RampDefaults()
    public init() {}

    /// Read-only by flag, or because the config marks this context so.
    public func isReadOnly(context: String) -> Bool { readOnly || readOnlyContexts.contains(context) }
}

/// Where we are connected (header). Filled from the kubeconfig by the runtime.
public struct ContextInfo: Sendable, Equatable {
    public var context: String
    public var cluster: String
    public var server: String
    public var user: String
    public var scope: NamespaceScope
    /// Every context in the kubeconfig, for `:ctx` completion.
    public var availableContexts: [String]
    /// Standing warnings about this connection (insecure-skip-tls-verify): shown in the header
    /// for as long as the connection lasts, never cleared by data arriving.
    public var warnings: [String]
    public init(
        context: String, cluster: String = "", server: String = "", user: String = "",
        scope: NamespaceScope = .one("default"), availableContexts: [String] = [], warnings: [String] = []
    ) {
        self.warnings = warnings.map { sanitizedForDisplay($0, limit: 200) }
        self.context = context
        self.cluster = cluster
        self.server = server
        self.user = user
        self.scope = scope
        self.availableContexts = availableContexts
    }
}

public enum ConnectionStatus: String, Sendable, Equatable {
    /// Nothing received yet.
    case connecting
    /// Data is fresh.
    case live
    /// Errors or silence: the data shown is older than it should be.
    case stale
    /// The API server has been unreachable for `offlineAfter`; retries continue.
    case offline
    /// No cluster to talk to: the kubeconfig could not be read or its context does not work
    /// (`ConnectionState.noCluster` says why). Nothing is retried; `:kubeconfig` or `:ctx` fixes it.
    case noCluster
}

/// What the connection is told.
public enum ConnectionEvent: Sendable, Equatable {
    /// Objects or metrics arrived (at this time): the API server answers.
    case dataArrived(at: Seconds)
    /// A complete list arrived: the API server answers (the data's time is noted separately).
    case listed
    /// A watch failed; `retryIn`: when its reflector tries again.
    case watchFailed(ObjectKind, KubeError, retryIn: Seconds)
    /// The clock moved, or something else may have changed the badge: derive it again.
    case recheck
    /// There is no cluster to talk to (the kubeconfig, or its context, cannot be used): why.
    case noCluster(String)
    /// Another namespace or context: start over.
    case reset
}

public struct ConnectionState: Sendable, Equatable {
    public internal(set) var status: ConnectionStatus = .connecting
    /// When data (objects or metrics) last arrived; the header shows `now - lastDataAt`.
    public internal(set) var lastDataAt: Seconds?
    /// Since when requests have been failing (nil = not failing).
    public internal(set) var failingSince: Seconds?
    /// Latest error, already in user words.
    public internal(set) var lastError: String?
    /// Seconds until the next retry, as reported by a reflector.
    public internal(set) var retryIn: Seconds?
    /// Why there is no cluster session at all (a kubeconfig that cannot be read or used).
    public internal(set) var noCluster: String?
    public init() {}

    /// Age of the data shown, in seconds; nil before any data.
    public func dataAge(now: Seconds) -> Seconds? { lastDataAt.map { max(0, now - $0) } }

    /// Returns what the footer should say, if anything (a watch refused by a server that is
    /// reachable).
    @discardableResult
    public mutating func handle(_ event: ConnectionEvent, now: Seconds, offlineAfter: Seconds) -> String? {
        var said: String?
        switch event {
        case .dataArrived(let at):
            lastDataAt = at
            failingSince = nil
            retryIn = nil
        case .listed:
            failingSince = nil
            retryIn = nil
        case .watchFailed(let kind, let e, let retry):
            // The one place a watch failure is classified: unreachable (transport, 5xx, 429)
            // marks the connection failing; anything else is an answer from a reachable
            // server, reported.
            if e.isUnreachable {
                self.retryIn = retry
                if failingSince == nil { failingSince = now }
                lastError = e.userMessage
            } else {
                lastError = e.userMessage
                // The cause first; which watch it was, last (a cut line keeps the cause).
                said = "\(e.userMessage) (watching \(kind.resource))"
                failingSince = nil
                retryIn = nil
            }
        case .recheck: break
        case .noCluster(let why):
            noCluster = why
            lastError = why
        case .reset:
            self = ConnectionState()
        }
        // live / stale / offline from the failure time and the age of the data.
        if noCluster != nil {
            status = .noCluster
        } else if let since = failingSince {
            status = now - since >= offlineAfter ? .offline : .stale
        } else if lastDataAt == nil {
            status = .connecting
        } else {
            status = .live
        }
        return said
    }
}
public struct StatusLine: Sendable, Equatable {
    public enum Level: String, Sendable {
        case info, warning, error
        /// Seconds a message of this level stays in the footer: long enough to read, an
        /// error longest.
        public var lifetime: Seconds {
            switch self {
            case .info: return 8
            case .warning: return 20
            case .error: return 45
            }
        }
    }
    public var text: String
    public var level: Level
    public var at: Seconds
    public init(_ text: String, level: Level = .info, at: Seconds) {
        self.text = text
        self.level = level
        self.at = at
    }
}

public struct ReadOnlyState: Sendable, Equatable {
    /// `--read-only` was given.
    public var flag = false
    /// Why `flag` is set, for the badge: "--read-only" or "read-only context (config)".
    public var flagReason = "--read-only"
    /// The access review said no (its reason).
    public var deniedReason: String?
    public init() {}
    public var isReadOnly: Bool { flag || deniedReason != nil }
    /// Shown in the header badge and when a write key is refused.
    public var reason: String? {
        if flag { return flagReason }
        return deniedReason.map { "no permission to patch trafficsplits: \($0)" }
    }
}

/// A write smitop made, for `u` (undo).
public struct JournalEntry: Sendable, Equatable {
    public var split: SplitRef
    /// Weights before and after, backend by backend (same order as the object).
    public var before: [Backend]
    public var after: [Backend]
    /// The resourceVersion the write produced: undo is safe only from exactly this version.
    public var resultingResourceVersion: String?
    public var at: Seconds
    public init(split: SplitRef, before: [Backend], after: [Backend], resultingResourceVersion: String?, at: Seconds) {
        self.split = split
        self.before = before
        self.after = after
        self.resultingResourceVersion = resultingResourceVersion
        self.at = at
    }
}

/// A request in flight and what its answer means.
public enum PendingRequest: Sendable, Equatable {
    case write(SplitID)
    case dryRun(SplitID)
    case undo(SplitID)
    /// A guarded ramp's write of these weights.
    case ramp(SplitID, WeightedSplit)
}

/// Screen areas in cells. The UI draws into exactly these rects and mouse hit-testing in
/// `reduce` uses the same ones, so they must never be computed differently elsewhere.
public struct ScreenRegions: Sendable, Equatable {
    /// Rows 0–1: context line and metrics line.
    public var header: Rect
    /// Main view (graph or table).
    public var body: Rect
    /// Right-hand detail pane when open.
    public var detail: Rect?
    /// Last two rows: key hints, then message or command line.
    public var footer: Rect
    /// Centred split editor / dialog when one is open.
    public var dialog: Rect?
}

extension ScreenRegions {
    /// Header, body, detail pane and footer for a terminal size; no dialog. Drawing, mouse
    /// hit-testing and navigation's pan and page sizes all cut the screen with this.
    static func cut(size: TermSize, detailShown: Bool) -> ScreenRegions {
        let w = max(size.columns, 1)
        let h = max(size.rows, 1)
        let headerH = min(2, h)
        let footerH = min(2, max(0, h - headerH))
        let bodyH = max(0, h - headerH - footerH)
        var body = Rect(x: 0, y: headerH, width: w, height: bodyH)
        var detailRect: Rect?
        if detailShown && w >= 40 {
            let dw = min(56, max(30, w * 2 / 5))
            body.width = w - dw
            detailRect = Rect(x: w - dw, y: headerH, width: dw, height: bodyH)
        }
        return ScreenRegions(
            header: Rect(x: 0, y: 0, width: w, height: headerH), body: body, detail: detailRect,
            footer: Rect(x: 0, y: h - footerH, width: w, height: footerH), dialog: nil)
    }
}

public struct AppState: Sendable, Equatable {
    public internal(set) var options: AppOptions
    /// Injected clock: the time of the last `.start`/`.tick`/timestamped message.
    public internal(set) var now: Seconds = 0
    public internal(set) var size: TermSize
    public internal(set) var context: ContextInfo
    /// The offer to run `kubectl port-forward` to a Prometheus that refused the service proxy.
    public internal(set) var portForward = PortForwardPhase.none
    /// The connection badge (App/Connection.swift), changed only through `noteConnection(_:)`.
    public internal(set) var connection = ConnectionState()

    /// Metrics are stale (shown in the header, apart from the connection badge): the last good
    /// poll is older than `staleAfterIntervals` refreshes, or polls have failed and none worked.
    public var metricsStale: Bool {
        guard options.refreshInterval > 0 else { return false }
        if let m = metrics.lastSampledAt { return now - m > options.staleAfterIntervals * options.refreshInterval }
        return metrics.lastFailureAt != nil
    }

    // Data.
    public internal(set) var store = MeshStore()
    public internal(set) var metrics: MetricsStore
    /// Full graph of the scope.
    public internal(set) var graph = MeshGraph()
    /// Object deltas changed the topology since `graph` was built; `settle()` rebuilds it.
    public internal(set) var graphStale = false
    /// What the graph view shows: `graph`, or the focus neighbourhood.
    public internal(set) var visibleGraph = MeshGraph()
    /// Layout of `visibleGraph`; recomputed only when its topology changes.
    public internal(set) var layout = GraphLayout.empty
    /// Count of layout computations (lets tests prove metrics updates do not relayout).
    public internal(set) var layoutGeneration = 0

    // Navigation.
    /// The view, the graph's selection, focus, mode and pan, the detail pane, help scroll and
    /// the tables (App/Navigation.swift), changed only through `navigate(_:)`.
    public internal(set) var navigation = Navigation()

    // Input.
    /// The `:` command line and the `/` filter line (App/LineEditor.swift), changed only through
    /// `editLine(_:)`.
    public internal(set) var lineEditor = LineEditor()
    public internal(set) var message: StatusLine?

    // Writes.
    public internal(set) var readOnly = ReadOnlyState()
    /// Drafts, the open editor, writes in flight and the journal: a state machine of its own,
    /// changed only through `edit(_:)` (App/Writes.swift, App/SplitEditor.swift).
    public internal(set) var splitEditor = SplitEditor()

    // Guarded ramps (docs/ramps.md).
    /// Running, finished-but-shown and restored ramps, one per split.
    public internal(set) var ramps: [SplitID: RampSession] = [:]
    /// The ramp whose view is open.
    public internal(set) var rampOpen: SplitID?
    /// The plan form, while one is being filled in.
    public internal(set) var rampForm: RampForm?
    /// Ramps saved by the last session whose split has not been seen yet.
    public internal(set) var restoredRamps: [SplitID: JSON] = [:]

    // Look.
    public internal(set) var theme: String
    /// Names `:theme` completes (set by the runtime from built-ins and the themes folder).
    public internal(set) var availableThemes: [String] = []

    /// `.quit` was emitted.
    public internal(set) var quitting = false
    /// Ctrl-C ended the session: the process exits 130, as a shell expects of an interrupt.
    public internal(set) var interrupted = false
    /// `q` was pressed once while unsaved drafts exist; a second `q` quits.
    public internal(set) var quitArmed = false

    public init(
        options: AppOptions = AppOptions(), context: ContextInfo, size: TermSize = TermSize(columns: 120, rows: 40),
        theme: String = "default", availableThemes: [String] = []
    ) {
        self.options = options
        self.context = context
        self.size = size
        self.theme = theme
        self.availableThemes = availableThemes
        metrics = MetricsStore(historyCapacity: options.historyCapacity)
        applyReadOnlyOptions()
    }

    mutating func applyReadOnlyOptions() {
        readOnly.flag = options.isReadOnly(context: context.context)
        readOnly.flagReason = options.readOnly ? "--read-only" : "read-only context (config)"
    }

    /// The editor's draft, when the editor is open.
    public var editor: SplitDraft? { splitEditor.draft }

    public var regions: ScreenRegions {
        var r = ScreenRegions.cut(size: size, detailShown: navigation.detailShown)
        if splitEditor.editing != nil || rampForm != nil || rampOpen != nil {
            let (w, bodyH) = (r.footer.width, r.body.height)
            let dw = min(w, rampOpen != nil ? 96 : 78)
            let dh = min(bodyH, 24)
            r.dialog = Rect(x: (w - dw) / 2, y: r.header.height + (bodyH - dh) / 2, width: dw, height: dh)
        }
        return r
    }

    /// The key context used for dispatch and for the footer's hints.
    public var keyContext: KeyContext {
        switch lineEditor.mode {
        case .command: return .command
        case .filter: return .filter
        case .normal: break
        }
        if let f = rampForm { return f.reviewing == nil ? .rampPlan : .rampConfirm }
        if rampOpen != nil { return .ramp }
        if let d = editor {
            switch d.phase {
            case .editing, .writing, .dryRunning, .canaryReading, .canaryWriting: return .editor
            case .reviewing: return .diff
            case .confirmController, .confirmOverride: return .confirm
            case .confirmCanary: return .canaryConfirm
            }
        }
        if case .offered = portForward { return .portForward }
        switch navigation.view {
        case .graph: return .graph
        case .services, .splits: return .table
        case .help: return .help
        }
    }
}
