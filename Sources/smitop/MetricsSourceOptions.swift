import App
import ArgumentParser
import Foundation
import Kube
import KubeCore
import Transport

extension MetricsSourceChoice: ExpressibleByArgument {}

/// `--port-forward` of the headless commands (`metrics`, `graph`); the TUI offers the same
/// after a 403 instead (docs/metrics.md).
struct PortForwardFlag: ParsableArguments {
    @Flag(
        name: .customLong("port-forward"),
        help:
            "Reach the mesh's Prometheus through `kubectl port-forward` (kubectl from PATH, this kubeconfig and context), run for this command and stopped when it ends, instead of the API server's service proxy."
    )
    var portForward = false
}

/// The flags that choose and reach the metrics source, shared by the TUI, `metrics` and
/// `graph` (docs/metrics.md).
struct MetricsSourceOptions: ParsableArguments {
    @Option(name: .customLong("metrics"), help: "Metrics source: auto, smi, linkerd or istio (default: auto, or the config's).")
    var metrics: MetricsSourceChoice?
    @Option(
        name: .customLong("prometheus-url"), help: "Reach Prometheus at this URL (e.g. after kubectl port-forward) instead of the API server's service proxy.")
    var prometheusURL: String?
    @Option(name: .customLong("prometheus-service"), help: "The Prometheus Service to reach through the API server, as NS/NAME:PORT.")
    var prometheusService: String?
    @Option(name: .customLong("prometheus-token-file"), help: "Send the bearer token in this file to --prometheus-url.")
    var prometheusTokenFile: String?
    @Option(name: .customLong("prometheus-ca-file"), help: "PEM CA bundle for an https --prometheus-url.")
    var prometheusCAFile: String?
    @Flag(name: .customLong("prometheus-insecure"), help: "Skip TLS verification of an https --prometheus-url (a warning is shown).")
    var prometheusInsecure = false

    func settings() throws -> PrometheusSettings {
        var s = PrometheusSettings()
        s.url = prometheusURL
        if let svc = prometheusService {
            guard let p = PrometheusSettings.parseService(svc) else {
                throw ValidationError("--prometheus-service wants NS/NAME:PORT, got \"\(svc)\"")
            }
            s.service = p
        }
        s.tokenFile = prometheusTokenFile
        s.caFile = prometheusCAFile
        s.insecure = prometheusInsecure
        return s
    }

    /// The source for a connected client. `fallback` is the config file's choice.
    func source(for client: KubeClient, fallback: MetricsSourceChoice? = nil) throws -> MetricsSource {
        let settings = try settings()
        if settings.insecure { warn("--prometheus-insecure: the Prometheus server's certificate is not verified") }
        let choice = metrics ?? fallback ?? Self.configured() ?? .auto
        return MetricsSource(client: client, choice: choice, settings: settings, directClient: Self.directClient(settings))
    }

    /// The source for a headless command; with `--port-forward`, a `kubectl port-forward` to the
    /// mesh's Prometheus Service (found as the service proxy would find it) is started for
    /// this run and the source reads through it. The caller stops the forward it gets back
    /// (and the kernel does if smitop is killed first).
    func source(
        for client: KubeClient, portForward: PortForwardFlag, cluster: ClusterOptions, resolved: ResolvedCluster
    ) async throws -> (MetricsSource, KubectlPortForward?) {
        let base = try source(for: client)
        guard portForward.portForward else { return (base, nil) }
        if prometheusURL != nil { throw CLIError.fail("--port-forward and --prometheus-url both say where Prometheus is: pass one", code: 2) }
        if base.choice == .smi { throw CLIError.fail("--port-forward reaches Prometheus; --metrics smi reads the SMI metrics API", code: 2) }
        let target = try await base.prometheusService()
        let forward = try await startKubectlPortForward(
            target, kubeconfig: cluster.kubeconfig, context: resolved.contextName, environment: ProcessInfo.processInfo.environment)
        FileHandle.standardError.write(
            Data("smitop: kubectl port-forward (pid \(forward.pid)) forwards \(forward.url) to \(target.namespace)/svc/\(target.service):\(target.port)\n".utf8)
        )
        return (base.redirected(to: forward.url, flavor: target.flavor), forward)
    }

    /// The config file's `metrics` (the same file the UI reads); a file that cannot be read is
    /// reported and ignored here, where only this one key matters.
    static func configured(environment: [String: String] = ProcessInfo.processInfo.environment) -> MetricsSourceChoice? {
        guard let path = SmitopConfig.defaultPath(environment: environment) else { return nil }
        do {
            return try SmitopConfig.load(path: path).metrics.flatMap(MetricsSourceChoice.init(rawValue:))
        } catch {
            warn("config: \(error)")
            return nil
        }
    }

    /// A client for `--prometheus-url` on libcurl with the given TLS options and token.
    static func directClient(_ s: PrometheusSettings) -> @Sendable (URL) throws(KubeError) -> KubeClient {
        { (url: URL) throws(KubeError) -> KubeClient in
            var tls = TLSSettings()
            if let ca = s.caFile {
                guard let pem = FileManager.default.contents(atPath: ca) else {
                    throw KubeError(source: .config, message: "cannot read --prometheus-ca-file \(ca)")
                }
                tls.caPEM = Array(pem)
            }
            tls.insecureSkipVerify = s.insecure
            let credentials: any CredentialProvider = s.tokenFile.map { TokenFileCredentials(path: $0) } ?? StaticCredentials(.none)
            return KubeClient(
                server: url, credentials: credentials, transport: CurlTransport(tls: tls), tls: tls,
                userAgent: "smitop/\(SmitopVersion.number)")
        }
    }
}
