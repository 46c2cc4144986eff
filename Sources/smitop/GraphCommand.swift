import ArgumentParser
import Foundation
import Kube
import KubeCore
import Mesh
import SMI

enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case json, yaml, dot
}

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Print the service graph as JSON or Graphviz DOT.",
        discussion: """
            Nodes are services and workloads (deployments); edges are observed traffic (from the \
            SMI metrics API or the mesh's Prometheus, see --metrics, with rps, success rate and latency), split relations (root service \
            to backend, with weight and share: TrafficSplits, and each rule of Gateway API and \
            Linkerd HTTPRoutes/GRPCRoutes) and service-to-workload selection. \
            Render a picture with: smitop graph -A -o dot | dot -Tsvg > mesh.svg
            """)

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var source: MetricsSourceOptions
    @OptionGroup var forward: PortForwardFlag
    @Option(name: [.customShort("o"), .customLong("output")], help: "json, yaml or dot.")
    var output: GraphFormat = .json
    @Option(help: "The metrics window, as a Go duration (30s, 1m).") var window = "30s"
    @Flag(help: "Leave out observed traffic (no metrics API requests).") var noMetrics = false

    func run() async throws {
        let (client, resolved) = try cluster.connect()
        let ns = cluster.scope(resolved)
        var store = MeshStore()
        var metrics = MetricsStore(historyCapacity: 1)
        do {
            // The three lists are independent: fetch them concurrently.
            async let services = list(.service, client, ns)
            async let deployments = list(.deployment, client, ns)
            async let splits = list(.trafficSplit, client, ns)
            let (s, d, t) = try await (services, deployments, splits)
            store.replaceAll(.service, s ?? [])
            store.replaceAll(.deployment, d ?? [])
            if let t { store.replaceAll(.trafficSplit, t) }
            // Route rules are splits too (Gateway API, Linkerd policy); none served is normal.
            for kind in [ObjectKind.httpRoute, .grpcRoute, .linkerdHTTPRoute] {
                if let items = try await list(kind, client, ns) { store.replaceAll(kind, items) }
            }
            // Linkerd's ServiceProfiles decide over routes on the same Service (none served is normal).
            if store.routeCount > 0, let items = try await list(.serviceProfile, client, ns) { store.replaceAll(.serviceProfile, items) }
            if t == nil && (store.routeCount == 0) { warn("the cluster serves no split.smi-spec.io and no mesh routes: no split edges") }
        } catch {
            throw fail(error)
        }
        for (key, reason) in store.decodeErrors.sorted(by: { $0.key < $1.key }) { warn("cannot read \(key): \(reason)") }
        var portForward: KubectlPortForward?
        defer { portForward?.stop() }
        if !noMetrics {
            do {
                let (metricsSource, started) = try await source.source(for: client, portForward: forward, cluster: cluster, resolved: resolved)
                portForward = started
                let poll = try await metricsSource.poll(namespace: ns, window: window)
                metrics.record(namespace: ns, lists: poll.lists, at: Date().timeIntervalSince1970)
            } catch let e as ExitCode {
                throw e  // flags that contradict each other (--port-forward with --prometheus-url)
            } catch {
                // The topology is still worth printing; say why the traffic edges are missing.
                warn("metrics unavailable, traffic edges left out: \(KubeError.from(error).userMessage)")
            }
        }
        let graph = MeshGraph.build(store: store, observedEdges: metrics.edges.keys)
        let export = GraphExport(graph: graph, metrics: metrics, profiles: store.profileIndex.deciders)
        switch output {
        case .json: printJSON(export.json)
        case .yaml: printYAML(export.json)
        case .dot: print(export.dot, terminator: "")
        }
    }

    /// nil when the cluster does not serve the kind (an SMI group not installed).
    func list(_ kind: ObjectKind, _ client: KubeClient, _ ns: String?) async throws -> [JSON]? {
        guard let r = try await kind.resource(on: client) else { return nil }
        return try await client.listAll(r, namespace: ns).items
    }
}
