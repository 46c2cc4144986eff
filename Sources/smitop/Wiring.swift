import App
import Foundation
import Kube
import KubeCore
import Mesh
import Runtime
import SMI
import Synchronization
import Terminal
import Transport
import UI

/// How the TUI connects: a resolved kubeconfig context, or a fixed endpoint (the demo).
struct Connector: ClusterConnector {
    var kubeconfigPath: String?
    var namespace: String?
    var allNamespaces: Bool
    var environment: [String: String]
    var trustExec = false
    var trustFiles = false
    /// The metrics source and how to reach Prometheus (kept across `:ctx` switches).
    var metricsChoice: MetricsSourceChoice = .auto
    var prometheus = PrometheusSettings()

    /// nil keeps the SMI-only poll (`--metrics smi` with no Prometheus flags).
    func metricsSource(for client: KubeClient) -> MetricsSource? {
        if metricsChoice == .smi && prometheus == PrometheusSettings() { return nil }
        return MetricsSource(
            client: client, choice: metricsChoice, settings: prometheus, directClient: MetricsSourceOptions.directClient(prometheus))
    }

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

    func connect(context: String) throws(KubeError) -> (session: any ClusterSession, info: ContextInfo) {
        let (client, cluster) = try resolve(context: context)
        return (LiveCluster(client: client, metrics: metricsSource(for: client)), contextInfo(cluster))
    }

    func connect(kubeconfig: String) throws(KubeError) -> (connector: any ClusterConnector, session: any ClusterSession, info: ContextInfo) {
        var next = self
        next.kubeconfigPath = expandingTilde(kubeconfig, environment: environment)
        let (client, cluster) = try next.resolve(context: nil)
        return (next, LiveCluster(client: client, metrics: next.metricsSource(for: client)), next.contextInfo(cluster))
    }

    func startPortForward(_ target: PortForwardSuggestion, context: String?) async throws(KubeError) -> KubectlPortForward {
        try await startKubectlPortForward(target, kubeconfig: kubeconfigPath, context: context, environment: environment)
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

/// `kubectl port-forward` to `target`, the kubectl found on smitop's own PATH, with the same
/// kubeconfig and context smitop uses (never through a shell). Shared by the TUI's offer and
/// the headless `--port-forward`.
func startKubectlPortForward(
    _ target: PortForwardSuggestion, kubeconfig: String?, context: String?, environment: [String: String]
) async throws(KubeError) -> KubectlPortForward {
    guard let kubectl = KubectlPortForward.findKubectl(environment: environment) else {
        throw KubeError(
            source: .config, message: "kubectl is not on PATH, so smitop cannot run the port-forward",
            hint: "run `\(target.commandLine)` yourself and pass --prometheus-url http://127.0.0.1:PORT with the port it prints")
    }
    // `--flag=value` in one argument: a context or path starting with `-` stays a value.
    var flags: [String] = []
    if let kubeconfig { flags.append("--kubeconfig=" + kubeconfig) }
    if let context, !context.isEmpty { flags.append("--context=" + context) }
    return try await KubectlPortForward.start(kubectl: kubectl, globalFlags: flags, target: target, environment: environment)
}

/// `SMITOP_STARTUP_REPORT=FILE`: after the first frame drawn once every watched kind has
/// listed, append one JSON line: when the last list arrived, when that frame was on screen,
/// and the resident memory then. Then, after the first frame that draws metric history (a
/// series with two samples or more: the start-up backfill from Prometheus' `query_range`, or
/// two polls), a second line with its time. `make bench` reads them; nothing else does.
final class StartupReport: EventLoopObserver {
    let path: String?
    var done = false
    var historyDone = false
    /// How long returning the lists' memory took (it happens before that frame).
    var trimSeconds: Double = 0

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = environment["SMITOP_STARTUP_REPORT"].flatMap { $0.isEmpty ? nil : $0 }
        done = path == nil
        historyDone = path == nil
    }

    func frameDrawn(_ state: AppState, lastListArrival: Double, trimSeconds: Double) {
        self.trimSeconds = trimSeconds
        if !done, state.store.synced.count == ObjectKind.allCases.count {
            done = true
            let objects =
                state.store.services.count + state.store.deployments.count + state.store.pods.count
                + state.store.trafficSplits.count + state.store.trafficTargets.count + state.store.routeCount
            append(
                "{\"listsDoneAt\":\(lastListArrival),\"frameAt\":\(nowSeconds()),\"rssKiB\":\(residentMemoryKiB()),\"objects\":\(objects),\"trimSeconds\":\(trimSeconds)}\n"
            )
        }
        if done, !historyDone {
            let points = state.metrics.workloads.values.lazy.map(\.count).max() ?? 0
            guard points >= 2 else { return }
            historyDone = true
            append("{\"historyAt\":\(nowSeconds()),\"historyPoints\":\(points)}\n")
        }
    }

    private func append(_ line: String) {
        guard let path,
            let h = FileHandle(forWritingAtPath: path)
                ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil)
        else { return }
        h.seekToEndOfFile()
        h.write(Data(line.utf8))
        try? h.close()
    }
}

/// ncurses is the real terminal backend of the event loop.
extension TerminalScreen: TerminalBackend {
    public var wake: @Sendable () -> Void {
        let waker = self.waker
        return { waker.wake() }
    }
}

/// `~/x` as a shell would expand it (the command line is not a shell).
func expandingTilde(_ path: String, environment: [String: String]) -> String {
    guard path == "~" || path.hasPrefix("~/"), let home = environment["HOME"], !home.isEmpty else { return path }
    return home + path.dropFirst()
}
