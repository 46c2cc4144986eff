import ArgumentParser
import Foundation
import Kube
import KubeCore
import SMI

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Show SMI TrafficMetrics per deployment, or its edges.",
        discussion: "Reads the metrics.smi-spec.io/v1alpha1 API: request rate, success rate and p50/p90/p99 latency.")

    @OptionGroup var cluster: ClusterOptions
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
            if let d = deployment {
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
