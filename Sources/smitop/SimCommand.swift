import ArgumentParser
import Foundation
import Kube
import KubeCore
import Simulator

struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the Kubernetes-API-compatible SMI mesh simulator in the foreground.",
        discussion: """
            Serves the Kubernetes API (HTTPS with an in-process CA unless --plain-http) with a live \
            SMI mesh. The first line printed is the server URL. Point kubectl at it with the \
            kubeconfig written by --write-kubeconfig. Stops on SIGINT or SIGTERM.
            """)

    @Option(help: "Address to listen on.") var address = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 0
    @Option(name: .customLong("write-kubeconfig"), help: "Write a kubeconfig for this cluster (mode 0600).")
    var kubeconfig: String?
    @Option(help: "Scenario: bookstore, generated or hostile.") var scenario = "bookstore"
    @Option(help: "Seed for the scenario and the traffic model.") var seed: UInt64 = 1
    @Option(help: "What the cluster serves: sdk, linkerd, osm (SMI versions of each), linkerd-gamma, istio (Gateway API routes) or all.") var profile =
        SimProfile.default.rawValue
    @Option(help: "Services in the generated scenario.") var services = 200
    @Option(help: "TrafficSplits in the generated scenario.") var splits = 100
    @Option(help: "HTTPRoutes (three rules each) in the generated scenario, for profiles serving the Gateway API.") var routes = 0
    @Flag(name: .customLong("plain-http"), help: "Serve plain HTTP (no TLS; requests without credentials act as admin).")
    var plainHTTP = false
    @Flag(help: "Enable the loopback-only admin endpoint /sim/admin/faults.") var admin = false
    @Option(name: .customLong("state-dir"), help: "Keep the CA, credentials and objects here across restarts.")
    var stateDir: String?
    @Option(name: .customLong("latency-ms"), help: "Fault: add this latency to every request.") var latencyMs = 0
    @Option(name: .customLong("error-burst"), help: "Fault: answer the next N requests with 500.") var errorBurst = 0
    @Option(name: .customLong("throttle-burst"), help: "Fault: answer the next N requests with 429 and Retry-After.")
    var throttleBurst = 0
    @Option(name: .customLong("drop-watches-every"), help: "Fault: drop all watch connections every N seconds.")
    var dropWatchesEvery: Double = 0
    @Option(name: .customLong("expire-watches"), help: "Fault: answer the next N watches with 410 Gone.")
    var expireWatches = 0
    @Option(
        name: .customLong("competing-writer"),
        help: "Fault: a controller that rewrites a split every few seconds, as NS/NAME:SVC=W,SVC=W[@SECONDS].")
    var competingWriter: String?
    @Option(
        name: .customLong("degrade"),
        help: ArgumentHelp(
            "Fault: make a workload's mesh traffic fail or slow down, as NS/NAME=errors:0.2,latency:3x[,above:30%] (repeatable).",
            discussion:
                "errors: extra fraction (or %) of requests that fail; latency: factor on its latency; above: only while it takes more than this share of its split root's traffic.",
            valueName: "NS/NAME=SPEC"))
    var degrade: [String] = []
    @Option(
        name: .customLong("route-actor"),
        help: ArgumentHelp(
            "Run a simulated controller that steps a route's weights: flagger or argo-rollouts, as KIND[:NS/NAME][@SECONDS] (repeatable).",
            discussion: "flagger owns payments/payments, argo-rollouts bookstore/authors unless another route is named; every 10 s unless @SECONDS.",
            valueName: "KIND[:NS/NAME][@SECONDS]"))
    var routeActor: [String] = []
    @Flag(
        name: .customLong("linkerd-smi"),
        help: "Run linkerd-smi's adaptor (Linkerd profiles): each TrafficSplit becomes the ServiceProfile with dstOverrides that Linkerd reads.")
    var linkerdSMI = false
    @Option(name: .customLong("kubernetes-minor"), help: "Minor version /version reports (kubectl's dispatcher follows it).")
    var kubernetesMinor = 32
    @Flag(inversion: .prefixedNo, help: "Offer HTTP/2 (ALPN h2) beside HTTP/1.1 over TLS, as kube-apiserver does.") var http2 = true
    @Option(
        name: .customLong("prometheus-style"),
        help: "Proxy metrics the pods expose for Prometheus: linkerd, istio, both or none (default: the profile's).")
    var prometheusStyle: String?
    @Option(
        name: .customLong("write-prometheus-config"),
        help: "Write a Prometheus configuration scraping the simulated pods (plus FILE.targets.json, FILE.ca.pem).")
    var prometheusConfig: String?
    @Option(
        name: .customLong("prometheus-scrape-interval"),
        help: "Scrape (and evaluation) interval written into --write-prometheus-config, as Prometheus writes durations.")
    var prometheusScrapeInterval = "1s"
    @Option(
        name: .customLong("prometheus-upstream"),
        help: "Serve the service proxy of the simulated Prometheus Service by forwarding to this Prometheus URL.")
    var prometheusUpstream: String?
    @Flag(
        name: .customLong("prometheus-policy-deny"),
        help: "Answer the Prometheus service proxy with 403, as Linkerd viz's prometheus-admin AuthorizationPolicy does.")
    var prometheusPolicyDeny = false

    func makeOptions() throws -> SimulatorOptions {
        var o = SimulatorOptions()
        o.address = address
        o.port = port
        o.scenario = scenario
        o.seed = seed
        guard let p = SimProfile(rawValue: profile) else {
            throw ValidationError("unknown profile \"\(profile)\"; choose one of: \(SimProfile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        o.profile = p
        o.services = services
        o.splits = splits
        o.routes = routes
        o.plainHTTP = plainHTTP
        o.adminEnabled = admin
        o.stateDir = stateDir
        o.kubernetesMinor = kubernetesMinor
        o.http2 = http2
        if let ps = prometheusStyle {
            guard let style = PrometheusStyle(name: ps) else {
                throw ValidationError("unknown --prometheus-style \"\(ps)\"; choose one of: linkerd, istio, both, none")
            }
            o.prometheusStyle = style
        }
        o.prometheusUpstream = prometheusUpstream
        o.prometheusPolicyDenies = prometheusPolicyDeny
        o.linkerdSMI = linkerdSMI
        o.faults.latencyMs = latencyMs
        o.faults.errorBurst = errorBurst
        o.faults.throttleBurst = throttleBurst
        o.faults.dropWatchesEverySeconds = dropWatchesEvery
        o.faults.expireWatches = expireWatches
        if let cw = competingWriter { o.faults.competingWriter = try Self.parseCompetingWriter(cw) }
        for d in degrade {
            let (ref, g) = try Self.parseDegrade(d)
            guard o.faults.degrade[ref] == nil else { throw ValidationError("--degrade: \(ref.namespace)/\(ref.name) given twice") }
            o.faults.degrade[ref] = g
        }
        for a in routeActor {
            let actor: RouteActor
            do { actor = try RouteActor(parsing: a) } catch { throw ValidationError("--route-actor \(a): \(error.description)") }
            guard o.faults.routeActors[actor.kind] == nil else { throw ValidationError("--route-actor: \(actor.kind.rawValue) given twice") }
            o.faults.routeActors[actor.kind] = actor
        }
        return o
    }

    /// `NS/NAME=errors:0.2,latency:3x,above:30%` (docs/simulator.md, Faults).
    static func parseDegrade(_ s: String) throws -> (WorkloadRef, Degradation) {
        let parts = s.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts.first?.split(separator: "/", omittingEmptySubsequences: false).map(String.init) ?? []
        guard parts.count == 2, name.count == 2, !name[0].isEmpty, !name[1].isEmpty else {
            throw ValidationError("--degrade wants NS/NAME=errors:0.2,latency:3x[,above:30%], got \"\(s)\"")
        }
        do {
            return (WorkloadRef.deployment(name[0], name[1]), try Degradation(parsing: parts[1]))
        } catch {
            throw ValidationError("--degrade \(name[0])/\(name[1]): \(error.description)")
        }
    }

    static func parseCompetingWriter(_ s: String) throws -> FaultSettings.CompetingWriter {
        var spec = s
        var interval = 5.0
        if let at = spec.lastIndex(of: "@") {
            guard let i = Double(spec[spec.index(after: at)...]) else { throw ValidationError("--competing-writer: bad interval in \"\(s)\"") }
            interval = i
            spec = String(spec[..<at])
        }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].contains("/") else {
            throw ValidationError("--competing-writer wants NS/NAME:SVC=W,SVC=W[@SECONDS], got \"\(s)\"")
        }
        var weights: [String: Int] = [:]
        for kv in parts[1].split(separator: ",") {
            let p = kv.split(separator: "=").map(String.init)
            guard p.count == 2, let w = Int(p[1]), w >= 0 else { throw ValidationError("--competing-writer: bad weight \"\(kv)\"") }
            weights[p[0]] = w
        }
        return .init(split: parts[0], intervalSeconds: interval, weights: weights)
    }

    func run() async throws {
        let options = try makeOptions()
        if plainHTTP && !KubeClient.isLoopback(host: address) {
            // Without TLS, requests without credentials act as admin: fine on 127.0.0.1 for a
            // script, not on an address other machines reach.
            warn("--plain-http on \(address): anyone who can reach this address can read and change this cluster without credentials")
        }
        let started = Date()
        let sim: Simulator
        do {
            sim = try Simulator(options: options)
        } catch {
            throw CLIError.fail("cannot start the simulator: \(error)", code: 2)
        }
        let kubeconfigPath = kubeconfig
        let prometheusPath = prometheusConfig
        let scrapeInterval = prometheusScrapeInterval
        guard scrapeInterval.range(of: #"^[0-9]+(ms|s|m)$"#, options: .regularExpression) != nil else {
            throw ValidationError("--prometheus-scrape-interval wants a duration such as 1s, 10s or 1m")
        }
        let task = Task {
            try await sim.run { endpoint in
                print(endpoint.url)
                if let path = kubeconfigPath {
                    do {
                        try Simulator.writeKubeconfig(endpoint, to: path)
                        print("kubeconfig written to \(path) (contexts: sim-admin, sim-cert, sim-readonly)")
                        print("try: kubectl --kubeconfig \(path) get trafficsplits -A")
                    } catch {
                        FileHandle.standardError.write(Data("smitop sim: cannot write kubeconfig \(path): \(error)\n".utf8))
                    }
                }
                if let path = prometheusPath {
                    do {
                        try sim.writePrometheusConfig(endpoint, to: path, interval: scrapeInterval)
                        print("prometheus configuration written to \(path) (style \(options.effectivePrometheusStyle.name))")
                    } catch {
                        FileHandle.standardError.write(Data("smitop sim: cannot write prometheus configuration \(path): \(error)\n".utf8))
                    }
                }
                print(String(format: "ready in %.2fs (scenario %@, profile %@)", Date().timeIntervalSince(started), options.scenario, options.profile.rawValue))
                fflush(nil)
            }
        }
        let signal = await waitForTermination()
        task.cancel()
        _ = try? await task.value
        // Ctrl-C: 130, as shells expect of an interrupted program; SIGTERM is a clean stop (0).
        if signal == SIGINT { throw ExitCode(130) }
    }
}

/// Blocks until SIGINT or SIGTERM, without keeping a thread busy; returns which came.
@discardableResult
func waitForTermination() async -> Int32 {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let queue = DispatchQueue(label: "smitop.signals")
    return await withCheckedContinuation { (c: CheckedContinuation<Int32, Never>) in
        let once = OnceFlag()
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            let src = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            src.setEventHandler {
                if once.set() { c.resume(returning: sig) }
            }
            src.resume()
            sources.append(src)
        }
        SignalSources.keep(sources)
    }
}

final class OnceFlag: @unchecked Sendable {
    private var done = false
    private let lock = NSLock()
    func set() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if done { return false }
        done = true
        return true
    }
}

enum SignalSources {
    nonisolated(unsafe) static var held: [DispatchSourceSignal] = []
    static func keep(_ s: [DispatchSourceSignal]) { held.append(contentsOf: s) }
}

/// Errors become one line on stderr and an exit code (see `smitop --help`).
enum CLIError {
    static func fail(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("smitop: \(safeLines(message))\n".utf8))
        return ExitCode(code)
    }
}

/// Server messages can hold anything a cluster stores: every line is sanitised before it
/// reaches the terminal (newlines between lines are ours and kept).
func safeLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false)
        .map { line in
            let indent = line.prefix { $0 == " " }
            return indent + sanitizedForDisplay(String(line), limit: 4000)
        }.joined(separator: "\n")
}
