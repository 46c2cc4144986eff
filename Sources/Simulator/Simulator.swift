import APIServer
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import KubeCore
import Logging
import NIOCore
import NIOSSL
import SMI
import ServiceLifecycle
import Synchronization

/// How `smitop sim` (and `smitop demo`) is started.
public struct SimulatorOptions: Sendable {
    public var address = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    public var scenario = "bookstore"
    public var seed: UInt64 = 1
    public var profile: SimProfile = .default
    public var services = 200
    public var splits = 100
    /// HTTPRoutes in the generated scenario (profiles serving the Gateway API), three rules each.
    public var routes = 0
    /// Plain HTTP, for tests that want it. kubectl sends no credentials over HTTP, so
    /// unauthenticated requests are then served as `kubectl proxy` would: as the admin.
    public var plainHTTP = false
    /// Enables `/sim/admin/*` (loopback peers only): fault switches at run time.
    public var adminEnabled = false
    /// Keeps the PKI, credentials and every object across restarts (as etcd would).
    public var stateDir: String?
    public var faults = FaultSettings()
    /// What `/version` reports; the kubectl dispatcher picks its binary from it.
    public var kubernetesMinor = 32
    /// How often open watches that asked for bookmarks get one: once a minute, as
    /// kube-apiserver's watch cache does, so clients meet the real cadence here.
    public var bookmarkInterval: Double = 60
    /// How many events the watch window keeps before older resourceVersions expire.
    public var watchWindow = 20_000
    /// Offers HTTP/2 (ALPN `h2`, then `http/1.1`) over TLS, as kube-apiserver does: kubectl
    /// and smitop's libcurl transport then multiplex requests and watches over one connection.
    /// `--no-http2` serves HTTP/1.1 alone. Plain HTTP is always HTTP/1.1.
    public var http2 = true
    /// Which proxies' Prometheus metrics the pods expose (`/sim/prometheus/…`); nil follows
    /// the profile (`PrometheusStyle(profileName:)`).
    public var prometheusStyle: PrometheusStyle?
    /// Where the simulated Prometheus Service (`prometheus` in the mesh's namespace) forwards
    /// service-proxy requests: a real Prometheus started beside the simulator.
    public var prometheusUpstream: String?
    /// Answer service-proxy requests to the Prometheus Service with 403, as Linkerd viz's
    /// `prometheus-admin` AuthorizationPolicy does (Linkerd ≥ 2.13).
    public var prometheusPolicyDenies = false
    /// Runs linkerd-smi's adaptor (LinkerdSMI.swift): TrafficSplits become ServiceProfiles.
    public var linkerdSMI = false

    /// The style in force: the explicit one, else the profile's.
    public var effectivePrometheusStyle: PrometheusStyle { prometheusStyle ?? PrometheusStyle(profileName: profile.rawValue) }

    public init() {}
}

/// Where a running simulator can be reached, and the credentials it accepts.
public struct SimulatorEndpoint: Sendable {
    public var url: String
    public var host: String
    public var port: Int
    public var caPEM: String?
    public var adminToken: String
    public var readonlyToken: String
    public var clientCertPEM: String?
    public var clientKeyPEM: String?
    public var namespace: String
}

/// The Kubernetes-API-compatible mesh simulator.
public final class Simulator: Sendable {
    public let options: SimulatorOptions
    let registry: TypeRegistry
    let store: ObjectStore
    let pki: ClusterPKI?
    let adminToken: String
    let readonlyToken: String
    let traffic: TrafficModel
    let faults: FaultController
    let startedAt: Date
    let defaultNamespace: String
    let persistence: StatePersistence?
    let metricsState: Mutex<MetricsState>
    let controllerState = Mutex(ControllerState())
    let proxyMetrics: ProxyMetrics
    /// The listening port once known (port 0 is resolved at bind time); discovery reports it.
    let boundPort = Atomic<Int>(0)
    /// Port-forward connections taken over, by transport ("websocket", "spdy"): which one
    /// kubectl used, for tests.
    let portForwardUpgrades = Mutex<[String: Int]>([:])
    /// Keeps a written Prometheus targets file in step with the pods (see `writePrometheusConfig`).
    let targetsWriter = Mutex<Task<Void, Never>?>(nil)

    public init(options: SimulatorOptions) throws {
        self.options = options
        registry = try TypeRegistry.make(profile: options.profile)
        store = ObjectStore(windowSize: options.watchWindow)
        startedAt = Date()
        let scenario = try Scenario.make(
            name: options.scenario, seed: options.seed, profile: options.profile, services: options.services,
            splits: options.splits, routes: options.routes)
        traffic = scenario.traffic
        for ref in options.faults.degrade.keys.sorted() where scenario.traffic.traffic(of: ref) == nil {
            throw SimulatorError("--degrade: no deployment \(ref.namespace)/\(ref.name) in the \(options.scenario) scenario")
        }
        if !options.faults.routeActors.isEmpty, !registry.types.contains(where: { $0.group == "gateway.networking.k8s.io" && $0.resource == "httproutes" }) {
            throw SimulatorError("--route-actor: profile \(options.profile.rawValue) serves no HTTPRoutes (use linkerd-gamma, istio or all)")
        }
        if options.linkerdSMI, !(options.profile.servesSMI && options.profile.servesServiceProfiles) {
            throw SimulatorError("--linkerd-smi: profile \(options.profile.rawValue) is not Linkerd's (use linkerd, linkerd-gamma or all)")
        }
        metricsState = Mutex(MetricsState())
        proxyMetrics = ProxyMetrics(style: options.effectivePrometheusStyle, start: startedAt.timeIntervalSince1970)
        faults = FaultController(options.faults)

        var persisted: PersistedState? = nil
        if let dir = options.stateDir {
            let p = StatePersistence(directory: dir)
            persistence = p
            persisted = try p.load()
        } else {
            persistence = nil
        }
        if let persisted {
            adminToken = persisted.adminToken
            readonlyToken = persisted.readonlyToken
            var pki = persisted.pki
            if !options.plainHTTP, pki?.serverNames != [options.address] { try pki?.issueServing(for: [options.address]) }
            if options.plainHTTP {
                self.pki = nil
            } else if let pki {
                self.pki = pki
            } else {
                self.pki = try ClusterPKI.generate(serverNames: [options.address])
            }
        } else {
            adminToken = Self.randomToken()
            readonlyToken = Self.randomToken()
            pki = options.plainHTTP ? nil : try ClusterPKI.generate(serverNames: [options.address])
        }
        defaultNamespace =
            scenario.objects.first {
                $0["kind"]?.stringValue == "Namespace" && !["default", "kube-system"].contains($0[path: "metadata", "name"]?.stringValue ?? "")
            }?[path: "metadata", "name"]?.stringValue ?? "default"

        if let persisted {
            for (typeKey, obj) in persisted.objects {
                guard let t = registry.types.first(where: { $0.key == typeKey }) else { continue }
                store.load(
                    t, namespace: obj[path: "metadata", "namespace"]?.stringValue ?? "",
                    name: obj[path: "metadata", "name"]?.stringValue ?? "", object: obj,
                    rv: Int(obj[path: "metadata", "resourceVersion"]?.stringValue ?? ""))
            }
            store.setRV(atLeast: persisted.rv)
        } else {
            try seed(scenario.objects + prometheusServiceObjects())
            try seedNodesAndServiceAccounts()
            seedReplicaSets()
            // A cluster's routes already carry their mesh's status when a client first looks.
            writeRouteStatus()
        }
        // The traffic model starts from the weights the cluster holds, so the first metrics
        // window is not a blend with "no splits".
        let initial = activeWeightsNow()
        metricsState.withLock { m in
            m.history = WeightHistory(initial: initial)
            m.historyRV = store.currentRV
        }
        // The traffic model's load follows replica counts relative to these.
        do {
            var objects: [JSON] = []
            for (g, r) in [("apps", "deployments"), ("", "pods")] {
                guard let t = registry.find(group: g, resource: r) else { continue }
                objects.append(contentsOf: store.all(t).map(\.object))
            }
            let pods = MetricsSnapshot(objects: objects, weights: WeightHistory()).workloads.mapValues(\.count)
            metricsState.withLock { $0.baselinePods = pods }
        }
    }

    static func randomToken() -> String {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<40).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }

    /// Loads the scenario as a freshly installed cluster would hold it.
    func seed(_ objects: [JSON]) throws {
        let base: [JSON] = [
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "default"]],
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "kube-system"]],
        ]
        for crd in registry.crdObjects {
            try seedOne(crd)
        }
        for obj in base + objects {
            if obj["kind"]?.stringValue == "Namespace",
                let n = obj[path: "metadata", "name"]?.stringValue,
                store.get(registry.find(group: "", resource: "namespaces")!, namespace: "", name: n) != nil
            {
                continue
            }
            try seedOne(obj)
        }
    }

    func seedOne(_ obj: JSON) throws {
        guard let (t, _) = typeOf(obj) else {
            throw SimulatorError("scenario object of unknown type: \(obj["apiVersion"]?.stringValue ?? "?") \(obj["kind"]?.stringValue ?? "?")")
        }
        let name = obj[path: "metadata", "name"]?.stringValue ?? ""
        let ns = t.namespaced ? (obj[path: "metadata", "namespace"]?.stringValue ?? "default") : ""
        var o = normalizeStored(obj, t)
        if RouteStatusController.routeGroups.contains(t.group), let schema = t.schemas[t.storageVersion] {
            // Stored as the API server stores what it is sent: with the CRD's defaults.
            o = validate(o, schema: schema, fieldValidation: .ignore).pruned
        }
        o = Writes.fillNewMetadata(o, t: t, now: startedAt, namespace: ns)
        // A scenario object that others name by uid (the Flagger Canary in ownerReferences)
        // keeps it; a client's uid on create is replaced, as the API server does.
        if let uid = obj[path: "metadata", "uid"] { o = setPath(o, ["metadata", "uid"], uid) }
        o = Writes.defaultBuiltin(o, t: t)
        store.load(t, namespace: ns, name: name, object: o)
    }

    /// The resource type of an object from its apiVersion and kind.
    func typeOf(_ obj: JSON) -> (ResourceType, String)? {
        guard let av = obj["apiVersion"]?.stringValue, let kind = obj["kind"]?.stringValue else { return nil }
        let parts = av.split(separator: "/").map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "")
        guard let t = registry.types.first(where: { $0.group == group && $0.kind == kind }) else { return nil }
        return (t, version)
    }

    /// Objects are kept with the storage version's apiVersion; without conversion the real
    /// server only rewrites apiVersion per request version.
    func normalizeStored(_ obj: JSON, _ t: ResourceType) -> JSON {
        var o = obj
        o["apiVersion"] = .string(t.apiVersion(t.storageVersion))
        return o
    }

    // MARK: Running

    /// Runs the server until the calling task is cancelled. `onReady` receives the endpoint once
    /// the socket is listening (port 0 resolved).
    public func run(onReady: @escaping @Sendable (SimulatorEndpoint) async -> Void) async throws {
        var logger = Logger(label: "smitop.sim")
        logger.logLevel = ProcessInfo.processInfo.environment["SMITOP_SIM_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        let handler = APIHandler(sim: self)
        let server: HTTPServerBuilder
        if let pki {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCertPEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverKeyPEM.utf8), format: .pem)))
            // A real API server asks for a client certificate and verifies it if one is sent,
            // but does not require one (tokens work too).
            tls.certificateVerification = .optionalVerification
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caCertPEM.utf8)))
            tls.shutdownTimeout = .milliseconds(200)
            if options.http2 {
                // ALPN h2 and http/1.1 (HummingbirdHTTP2 sets the list), one stream per request.
                server = try .http2Upgrade(tlsConfiguration: tls, configuration: .init())
            } else {
                // No h2 unless asked for: this listener then speaks HTTP/1.1 only.
                tls.applicationProtocols = ["http/1.1"]
                server = try .tls(.http1(), tlsConfiguration: tls)
            }
        } else {
            server = .http1()
        }
        let persistence = self.persistence
        let app = SimHTTPService(
            handler: handler, builder: server, configuration: .init(address: .hostname(options.address, port: options.port)),
            logger: logger,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                self.boundPort.store(port, ordering: .relaxed)
                await onReady(self.endpoint(port: port))
            })
        let competing = Task { await self.runCompetingWriter() }
        let weights = Task { await self.observeWeightsOnWrites() }
        let routeStatus = Task { await self.runRouteStatusController() }
        let controllers = Task { await self.runControllers() }
        let smiAdaptor = Task { await self.runSMIAdaptor() }
        let saver = Task { await persistence?.autosave(self) }
        defer {
            targetsWriter.withLock { $0?.cancel() }
            competing.cancel()
            weights.cancel()
            routeStatus.cancel()
            controllers.cancel()
            smiAdaptor.cancel()
            saver.cancel()
            store.finishAllWatches()
            try? persistence?.save(self)
        }
        // Cancelling the server task directly races SwiftNIO: a connection accepted while the
        // server is torn down trips an assertion that kills the process. So the caller's
        // cancellation becomes a graceful shutdown (stop accepting, let requests end), run in a
        // task of its own that the cancellation does not reach; a bounded wait, then cancel.
        var config = ServiceGroupConfiguration(services: [app], logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(3)
        let group = ServiceGroup(configuration: config)
        let running = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await running.value
        } onCancel: {
            // Watches and blackholed requests never end by themselves; shutdown must end them.
            self.store.finishAllWatches()
            self.faults.settings.withLock { $0.blackhole = false }
            Task { await group.triggerGracefulShutdown() }
        }
    }

    func endpoint(port: Int) -> SimulatorEndpoint {
        let host = options.address.contains(":") ? "[\(options.address)]" : options.address
        let scheme = pki == nil ? "http" : "https"
        return SimulatorEndpoint(
            url: "\(scheme)://\(host):\(port)", host: options.address, port: port, caPEM: pki?.caCertPEM,
            adminToken: adminToken, readonlyToken: readonlyToken, clientCertPEM: pki?.clientCertPEM,
            clientKeyPEM: pki?.clientKeyPEM, namespace: defaultNamespace)
    }

    /// A kubeconfig with three users (admin token, client certificate, read-only token) and a
    /// context for each; `sim-admin` is current.
    public static func kubeconfig(for e: SimulatorEndpoint) -> String {
        func b64(_ s: String?) -> String { Data((s ?? "").utf8).base64EncodedString() }
        var cluster = "- name: smitop-sim\n  cluster:\n    server: \(e.url)\n"
        if let ca = e.caPEM { cluster += "    certificate-authority-data: \(b64(ca))\n" }
        var users = """
            - name: sim-admin
              user:
                token: \(e.adminToken)
            - name: sim-readonly
              user:
                token: \(e.readonlyToken)

            """
        var contexts = """
            - name: sim-admin
              context:
                cluster: smitop-sim
                user: sim-admin
                namespace: \(e.namespace)
            - name: sim-readonly
              context:
                cluster: smitop-sim
                user: sim-readonly
                namespace: \(e.namespace)

            """
        if let cert = e.clientCertPEM, let key = e.clientKeyPEM {
            users += """
                - name: sim-cert
                  user:
                    client-certificate-data: \(b64(cert))
                    client-key-data: \(b64(key))

                """
            contexts += """
                - name: sim-cert
                  context:
                    cluster: smitop-sim
                    user: sim-cert
                    namespace: \(e.namespace)

                """
        }
        return """
            apiVersion: v1
            kind: Config
            preferences: {}
            clusters:
            \(cluster)users:
            \(users)contexts:
            \(contexts)current-context: sim-admin

            """
    }

    /// Writes the kubeconfig with mode 0600 from its first byte: it holds credentials. A new
    /// file (`O_CREAT|O_EXCL|O_NOFOLLOW`, so nothing planted at its name is followed or
    /// reused) is renamed over `path`; `rename` replaces a symlink there instead of writing
    /// through it.
    public static func writeKubeconfig(_ e: SimulatorEndpoint, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let problem = PrivateFile.replace(path, with: Array(kubeconfig(for: e).utf8)) { throw SimulatorError(problem) }
    }

    var uptime: Double { Date().timeIntervalSince(startedAt) }
}
