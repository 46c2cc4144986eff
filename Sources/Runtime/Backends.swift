// The two things the event loop talks to, as protocols: a terminal and a cluster. The real
// ones are ncurses (`Terminal.TerminalScreen`, wired in the executable) and a KubeClient
// (`LiveCluster`); tests drive the same loop with doubles, so keypress → effect → answer →
// frame is a plain unit test (as bubbletea's headless program or NIO's EmbeddedChannel).

import App
import Kube
import KubeCore
import Mesh
import SMI
import UI

/// What the event loop needs of a terminal. Confined to the loop's thread, except `wake`.
public protocol TerminalBackend: AnyObject {
    var size: TermSize { get }
    var isUTF8: Bool { get }
    /// Ends a `waitForEvents` early; called from any thread when mail arrives.
    var wake: @Sendable () -> Void { get }
    func draw(_ buffer: CellBuffer)
    /// Blocks until input, a signal, a wake or the timeout (nil: none). True when woken by
    /// something other than the timeout.
    func waitForEvents(timeoutMs: Int32?) -> Bool
    func readEvents() -> [TerminalEvent]
    /// Ctrl-Z: give the terminal back to the shell until the process is continued.
    func suspend()
    func applyTheme(_ theme: Theme)
}

/// What happened to one watched kind, as a cluster session reports it.
public enum WatchUpdate: Sendable, Equatable {
    case replaced([JSON])
    case upserted(JSON)
    case deleted(JSON)
    /// The watch failed and retries by itself after `retryIn` seconds (0: it gave up, e.g. the
    /// kind is not served).
    case failed(KubeError, retryIn: Seconds)
}

/// One connected cluster, as the runtime uses it: every call is one the effects need, nothing
/// about transports or kubeconfigs.
public protocol ClusterSession: Sendable {
    /// Discovers where `kind` is served and watches it in the namespace (nil: all) until the
    /// consuming task is cancelled.
    func watch(_ kind: ObjectKind, namespace: String?) -> AsyncStream<WatchUpdate>
    func pollTrafficMetrics(
        namespace: String?, window: String, edgeBudget: Int, rotation: Int
    ) async throws(KubeError)
        -> TrafficMetricsPoll
    /// The metrics source's name for the header, once a poll has resolved it (nil: SMI only).
    var metricsSourceName: String? { get }
    /// Earlier polls from the source's own history (Prometheus), oldest first; empty when it
    /// keeps none (the SMI metrics API).
    func backfillMetrics(namespace: String?, window: String, step: Double, points: Int) async -> [(at: Double, lists: [TrafficMetricsList])]
    /// A JSON merge patch with the resourceVersion precondition inside it.
    func mergePatch(
        path: String, patch: JSON, resourceVersion: String?, dryRun: Bool, fieldManager: String?
    ) async throws(KubeError)
        -> JSON
    func get(_ path: String) async throws(KubeError) -> JSON
    /// A SelfSubjectAccessReview for these resource attributes.
    func accessReview(_ attributes: JSON) async throws(KubeError) -> (allowed: Bool, reason: String?)
    /// This session with metrics read from Prometheus at `url` (a `kubectl port-forward`);
    /// nil when it has no Prometheus source to move.
    func redirectingMetrics(to url: String, flavor: MeshMetricsFlavor?) -> (any ClusterSession)?
}

/// Switches contexts (`:ctx`): resolves a kubeconfig context into a session.
public protocol ClusterConnector: Sendable {
    func connect(context: String) throws(KubeError) -> (session: any ClusterSession, info: ContextInfo)
    /// `:kubeconfig PATH`: this connector reading another kubeconfig file, connected to its
    /// current context. The connector returned is used for later `:ctx` switches.
    func connect(kubeconfig: String) throws(KubeError) -> (connector: any ClusterConnector, session: any ClusterSession, info: ContextInfo)
    /// Starts `kubectl port-forward` to `target` with the kubeconfig flags of this connector
    /// and `context`; the caller owns the process it returns.
    func startPortForward(_ target: PortForwardSuggestion, context: String?) async throws(KubeError) -> KubectlPortForward
}

extension ClusterConnector {
    public func connect(kubeconfig: String) throws(KubeError) -> (connector: any ClusterConnector, session: any ClusterSession, info: ContextInfo) {
        throw KubeError.config("this session cannot read another kubeconfig")
    }
    public func startPortForward(_ target: PortForwardSuggestion, context: String?) async throws(KubeError) -> KubectlPortForward {
        throw KubeError.config("this session cannot run kubectl port-forward; run `\(target.commandLine)` yourself and pass --prometheus-url")
    }
}

extension ClusterSession {
    public var metricsSourceName: String? { nil }
    public func redirectingMetrics(to url: String, flavor: MeshMetricsFlavor?) -> (any ClusterSession)? { nil }
    public func backfillMetrics(namespace: String?, window: String, step: Double, points: Int) async -> [(at: Double, lists: [TrafficMetricsList])] {
        []
    }
}
