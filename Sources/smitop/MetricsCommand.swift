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
        do {
            let metricsSource = try source.source(for: client)
            if case .prometheus = try await metricsSource.resolve() {
                FileHandle.standardError.write(Data("smitop: metrics from \(clean(metricsSource.status ?? "", limit: 200))\n".utf8))
                let poll = try await metricsSource.poll(namespace: ns, window: window)
                rows = Self.select(poll, deployment: deployment, namespace: ns, edges: edges)
            } else if let d = deployment {
                guard let ns else { throw CLIError.fail("name a namespace (-n) for a single deployment", code: 2) }
                let base = "\(Self.prefix)/namespaces/\(pathSegment(ns))/deployments/\(pathSegment(d))"
                rows = try await fetch(client, edges ? base + "/edges" : base)
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
