import App
import ArgumentParser
import Foundation
import Kube
import KubeCore
import Transport

extension MetricsSourceChoice: ExpressibleByArgument {}

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
