import ArgumentParser
import Foundation
import Kube
import KubeCore
import SMI

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Show live traffic metrics per deployment, or its edges.",
        discussion: """
            Reads the SMI metrics API (metrics.smi-spec.io/v1alpha1) or the mesh's Prometheus \
            (--metrics linkerd|istio; auto picks SMI when served): request rate, success rate and \
            p50/p90/p99 latency. See docs/metrics.md.
            """)

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var source: MetricsSourceOptions
    @OptionGroup var forward: PortForwardFlag
    @Argument(help: "A deployment (default: every deployment in scope).") var deployment: String?
    @Flag(help: "Show the deployment's edges: traffic to and from each peer.") var edges = false
    @Option(help: "The metrics window, as a Go duration (30s, 1m).") var window = "30s"
    @Option(name: [.customShort("o"), .customLong("output")], help: "table, wide, json or yaml.")
    var output: OutputFormat = .table

    static let prefix = "/apis/metrics.smi-spec.io/v1alpha1"

    func run() async throws {
        let (client, resolved) = try cluster.connect()
        let ns = cluster.scope(resolved)
        var rows: [TrafficMetrics] = []
        var portForward: KubectlPortForward?
        defer { portForward?.stop() }
        do {
            let (metricsSource, started) = try await source.source(for: client, portForward: forward, cluster: cluster, resolved: resolved)
            portForward = started
            if case .prometheus = try await metricsSource.resolve() {
                FileHandle.standardError.write(Data("smitop: metrics from \(clean(metricsSource.status ?? "", limit: 200))\n".utf8))
                let poll = try await metricsSource.poll(namespace: ns, window: window)
                rows = Self.select(poll, deployment: deployment, namespace: ns, edges: edges)
                if let d = deployment, rows.isEmpty {
                    guard let ns else { throw CLIError.fail("name a namespace (-n) for a single deployment", code: 2) }
                    try await requireDeployment(client, ns, d, else: nil)
                    if !edges { rows = Self.idle(namespace: ns, name: d) }
                }
            } else if let d = deployment {
                guard let ns else { throw CLIError.fail("name a namespace (-n) for a single deployment", code: 2) }
                let base = "\(Self.prefix)/namespaces/\(pathSegment(ns))/deployments/\(pathSegment(d))"
                do {
                    rows = try await fetch(client, edges ? base + "/edges" : base)
                    if rows.isEmpty { try await requireDeployment(client, ns, d, else: nil) }
                } catch let e as KubeError where e.code == 500 || e.code == 404 {
                    // smi-metrics answers 500 "unable to lookup metrics" for a deployment without
                    // traffic and for one that does not exist alike: the Deployment itself says which.
                    try await requireDeployment(client, ns, d, else: e)
                    rows = edges ? [] : Self.idle(namespace: ns, name: d)
                }
            } else {
                let base = ns.map { "\(Self.prefix)/namespaces/\(pathSegment($0))/deployments" } ?? "\(Self.prefix)/deployments"
                let all = try await fetch(client, base)
                if edges {
                    for m in all {
                        guard let n = m.resource?.name ?? m.name, let mns = m.resource?.namespace ?? m.namespace else { continue }
                        rows += (try? await fetch(client, "\(Self.prefix)/namespaces/\(pathSegment(mns))/deployments/\(pathSegment(n))/edges")) ?? []
                    }
                } else {
                    rows = all
                }
            }
            if deployment == nil && !edges { rows = await withIdleDeployments(rows, client, ns) }
        } catch let e as ExitCode {
            throw e
        } catch {
            throw fail(error)
        }
        switch output {
        case .json: printJSON(.array(rows.map(Self.json)))
        case .yaml: printYAML(.array(rows.map(Self.json)))
        case .table, .wide:
            if rows.isEmpty {
                FileHandle.standardError.write(Data("No metrics found.\n".utf8))
                return
            }
            var header = edges ? ["NAMESPACE", "DEPLOYMENT", "DIRECTION", "PEER"] : ["NAMESPACE", "DEPLOYMENT"]
            header += ["RPS", "SUCCESS", "P50", "P90", "P99"]
            if output == .wide { header += ["WINDOW", "TIMESTAMP"] }
            print(renderTable(header, rows.map { row($0) }), terminator: "")
        }
    }

    /// The rows a Prometheus poll gives: the workload list, or the edges (each edge is read
    /// from the client's side; for a named deployment, its callers appear as "from" rows as
    /// the SMI API's `/edges` lists them).
    static func select(_ poll: TrafficMetricsPoll, deployment: String?, namespace: String?, edges: Bool) -> [TrafficMetrics] {
        let workloads = poll.lists.first?.items ?? []
        let edgeItems = poll.lists.dropFirst().flatMap(\.items)
        guard edges else { return workloads.filter { deployment == nil || $0.resource?.name == deployment } }
        guard let d = deployment else { return edgeItems }
        var out: [TrafficMetrics] = []
        for e in edgeItems {
            if e.resource?.name == d && (namespace == nil || e.resource?.namespace == namespace) { out.append(e) }
            if let peer = e.edge?.resource, peer.name == d, namespace == nil || peer.namespace == namespace {
                var m = e
                m.resource = peer
                m.name = peer.name
                m.namespace = peer.namespace
                m.edge?.direction = .from
                m.edge?.resource = e.resource
                out.append(m)
            }
        }
        return out
    }

    static let deployments = GroupVersionResource(group: "apps", version: "v1", resource: "deployments")

    /// A row for a deployment that exists but served no requests in the window: every value `-`.
    static func idle(namespace: String, name: String) -> [TrafficMetrics] {
        let j: JSON = [
            "kind": "TrafficMetrics", "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "resource": ["kind": "Deployment", "namespace": .string(namespace), "name": .string(name)],
        ]
        // Built here from two strings, it always decodes; were it not to, the row is left out.
        return (try? TrafficMetrics(json: j)).map { [$0] } ?? []
    }

    /// Fails with "deployment NAME not found" when the Deployment does not exist; when it cannot
    /// be read for another reason, the metrics error (if any) is what the user sees.
    func requireDeployment(_ client: KubeClient, _ ns: String, _ name: String, else metricsError: KubeError?) async throws {
        do {
            _ = try await client.get(Self.deployments, namespace: ns, name: name)
        } catch let e where e.code == 404 {
            throw CLIError.fail("deployment \(clean(name)) not found in namespace \(clean(ns))", code: 1)
        } catch {
            throw fail(metricsError ?? error)
        }
    }

    /// The metrics list names only deployments that served requests; every other Deployment in
    /// scope gets an idle row, so a quiet one is visible rather than missing. Sorted as
    /// kubectl sorts: namespace, then name. If the Deployments cannot be listed, the list is
    /// printed as the metrics source gave it.
    func withIdleDeployments(_ rows: [TrafficMetrics], _ client: KubeClient, _ ns: String?) async -> [TrafficMetrics] {
        guard let list = try? await client.listAll(Self.deployments, namespace: ns).items else { return rows }
        func key(_ m: TrafficMetrics) -> [String] { [m.resource?.namespace ?? m.namespace ?? "", m.name ?? m.resource?.name ?? ""] }
        let seen = Set(rows.map(key))
        var out = rows
        for d in list {
            let name = d[path: "metadata", "name"]?.stringValue ?? ""
            let dns = d[path: "metadata", "namespace"]?.stringValue ?? ns ?? ""
            if !name.isEmpty && !seen.contains([dns, name]) { out += Self.idle(namespace: dns, name: name) }
        }
        return out.sorted { key($0).lexicographicallyPrecedes(key($1)) }
    }

    func fetch(_ client: KubeClient, _ path: String) async throws -> [TrafficMetrics] {
        let j = try await client.rawGet(path, query: [("t", window)])
        if j["kind"]?.stringValue == "TrafficMetricsList" {
            return try TrafficMetricsList(json: j).items
        }
        return [try TrafficMetrics(json: j)]
    }

    func row(_ m: TrafficMetrics) -> [String] {
        var r = [clean(m.resource?.namespace ?? m.namespace ?? ""), clean(m.name ?? m.resource?.name ?? "")]
        if edges {
            r += [m.edge?.direction?.rawValue ?? "-", clean(m.edge?.resource?.name ?? "-")]
        }
        r += [
            m.requestsPerSecond.map { String(format: "%.2f", $0) } ?? "-",
            m.successRate.map { String(format: "%.2f%%", $0 * 100) } ?? "-",
            Self.ms(m.latency(.p50)), Self.ms(m.latency(.p90)), Self.ms(m.latency(.p99)),
        ]
        if output == .wide { r += [clean(m.window ?? "-"), clean(m.timestamp ?? "-")] }
        return r
    }

    static func ms(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v >= 100 ? String(format: "%.0fms", v) : String(format: "%.1fms", v)
    }

    static func json(_ m: TrafficMetrics) -> JSON {
        func num(_ d: Double?) -> JSON { d.map { .double(($0 * 1000).rounded() / 1000) } ?? .null }
        var o: JSON = [
            "namespace": .string(m.resource?.namespace ?? m.namespace ?? ""), "name": .string(m.name ?? m.resource?.name ?? ""),
            "kind": .string(m.resource?.kind ?? ""), "window": m.window.map(JSON.string) ?? .null,
            "timestamp": m.timestamp.map(JSON.string) ?? .null,
            "rps": num(m.requestsPerSecond), "successRate": num(m.successRate),
            "p50Ms": num(m.latency(.p50)), "p90Ms": num(m.latency(.p90)), "p99Ms": num(m.latency(.p99)),
        ]
        if let e = m.edge, let peer = e.resource {
            o["edge"] = [
                "direction": .string(e.direction?.rawValue ?? ""),
                "peer": ["kind": .string(peer.kind), "namespace": .string(peer.namespace ?? ""), "name": .string(peer.name ?? "")],
            ]
        }
        return o
    }
}
