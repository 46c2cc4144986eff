// The service graph as data for other tools: JSON (for scripts) and Graphviz DOT (for a
// picture). Both read the same MeshGraph the TUI draws, with the latest metric samples, so
// `smitop graph` and the screen never disagree about what is connected.

import Foundation
import GatewayAPI
import KubeCore
import SMI

public struct GraphExport: Sendable {
    public var graph: MeshGraph
    public var metrics: MetricsStore
    public var thresholds: HealthThresholds
    /// The ServiceProfiles that override routes (`ProfileIndex.deciders`): what decides those
    /// Services' traffic instead of the route edges marked `overriddenBy` (a caller-side one
    /// only for callers in its own namespace, `callerNamespace`).
    public var profiles: [ServiceProfile]

    public init(graph: MeshGraph, metrics: MetricsStore, thresholds: HealthThresholds = HealthThresholds(), profiles: [ServiceProfile] = []) {
        self.graph = graph
        self.metrics = metrics
        self.thresholds = thresholds
        self.profiles = profiles.sorted { $0.ref < $1.ref }
    }

    static func shareJSON(_ s: SplitShare) -> JSON {
        var j: JSON = [
            "namespace": .string(s.split.namespace), "name": .string(s.split.name), "weight": .string(s.weight),
            "share": s.share.map { .double($0.doubleValue) } ?? .null,
        ]
        // Route rules say which kind and rule; TrafficSplit edges stay as they were.
        if case .route(let k) = s.split.kind {
            j["kind"] = .string(k.kind)
            j["group"] = .string(k.group)
            j["rule"] = .int(s.split.rule)
            j["inEffect"] = .bool(s.inEffect)
            if let o = s.overriddenBy { j["overriddenBy"] = .string(o) }
            if let c = s.callerNamespace { j["callerNamespace"] = .string(c) }
        } else if let o = s.overriddenBy {
            // A TrafficSplit a caller-side ServiceProfile replaces for this caller.
            j["inEffect"] = false
            j["overriddenBy"] = .string(o)
        }
        return j
    }

    static func profileJSON(_ p: ServiceProfile) -> JSON {
        let shares = p.shares
        var j: JSON = [
            "namespace": .string(p.namespace), "name": .string(p.meta.name),
            "service": p.service.map { .string($0.key) } ?? .null, "routes": .int(Int64(p.routeCount)),
            "dstOverrides": .array(
                p.dstOverrides.enumerated().map { i, d in
                    [
                        "authority": .string(d.authority), "weight": .string(d.weightText),
                        "share": shares[i].map { .double(($0 * 1_000_000).rounded() / 1_000_000) } ?? .null,
                        "service": d.service.map { .string($0.key) } ?? .null,
                    ]
                }),
        ]
        if !p.isServerProfile { j["callerNamespace"] = .string(p.namespace) }
        return j
    }

    func sample(_ n: GraphNode) -> MetricSample? {
        n.id.kind == .workload ? metrics.workload(n.id.object)?.latest : nil
    }

    func sample(_ e: GraphEdge) -> MetricSample? {
        e.id.trafficKey.flatMap { metrics.edge($0)?.latest }
    }

    static func kindName(_ k: EdgeKind) -> String {
        switch k {
        case .traffic: return "traffic"
        case .split: return "split"
        case .selects: return "selects"
        }
    }

    static func metricsJSON(_ s: MetricSample?) -> JSON {
        guard let s else { return .null }
        func num(_ d: Double?) -> JSON { d.map { .double(($0 * 1000).rounded() / 1000) } ?? .null }
        var o: JSON = ["rps": num(s.rps), "successRate": num(s.successRate)]
        let unit = s.latencyUnit ?? "ms"
        o["p50"] = num(s.p50)
        o["p90"] = num(s.p90)
        o["p99"] = num(s.p99)
        o["latencyUnit"] = .string(unit)
        return o
    }

    /// `{nodes: [...], edges: [...]}`, nodes and edges in the graph's deterministic order.
    public var json: JSON {
        var nodes: [JSON] = []
        nodes.reserveCapacity(graph.nodes.count)
        for n in graph.nodes {
            nodes.append([
                "id": .string(n.id.description), "kind": .string(n.id.kind.rawValue), "namespace": .string(n.id.namespace),
                "name": .string(n.id.name), "detail": .string(n.subtitle), "ghost": .bool(n.isGhost),
                "metrics": Self.metricsJSON(sample(n)),
            ])
        }
        var edges: [JSON] = []
        edges.reserveCapacity(graph.edges.count)
        for e in graph.edges {
            var o: JSON = ["from": .string(e.id.from.description), "to": .string(e.id.to.description), "kind": .string(Self.kindName(e.id.kind))]
            if let s = e.split { o["split"] = Self.shareJSON(s) }
            if e.id.kind == .traffic { o["metrics"] = Self.metricsJSON(sample(e)) }
            // The rules that apply to this caller, where that depends on the caller.
            if !e.via.isEmpty { o["routes"] = .array(e.via.map(Self.shareJSON)) }
            edges.append(o)
        }
        var out: JSON = [
            "kind": "MeshGraph", "window": metrics.window.map(JSON.string) ?? .null, "namespaces": .array(graph.namespaces.map(JSON.string)),
            "nodes": .array(nodes), "edges": .array(edges),
        ]
        if !profiles.isEmpty { out["serviceProfiles"] = .array(profiles.map(Self.profileJSON)) }
        return out
    }

    /// Graphviz: namespaces as clusters, services as ellipses, workloads as boxes; traffic
    /// edges solid and labelled with rps and success rate (coloured by health, but the number
    /// is always in the label), split edges dashed with the share, selector edges dotted.
    public var dot: String {
        var out = "digraph mesh {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n  edge [fontname=\"monospace\", fontsize=9];\n"
        var i = 0
        while i < graph.nodes.count {
            let ns = graph.nodes[i].id.namespace
            out += "  subgraph \(Self.quote("cluster_" + ns)) {\n    label=\(Self.quote(ns));\n    style=rounded;\n"
            while i < graph.nodes.count, graph.nodes[i].id.namespace == ns {
                let n = graph.nodes[i]
                var attrs = ["label=\(Self.quote(n.label + "\n" + n.subtitle))"]
                attrs.append(n.id.kind == .service ? "shape=ellipse" : "shape=box")
                if n.isGhost { attrs.append("style=dashed") }
                if let s = sample(n), let rps = s.rps {
                    attrs.append("tooltip=\(Self.quote(String(format: "%.2f rps", rps)))")
                }
                out += "    \(Self.quote(n.id.description)) [\(attrs.joined(separator: ", "))];\n"
                i += 1
            }
            out += "  }\n"
        }
        for e in graph.edges {
            var attrs: [String] = []
            switch e.id.kind {
            case .traffic:
                let s = sample(e)
                attrs.append("label=\(Self.quote(Self.trafficLabel(s)))")
                attrs.append("color=\(Self.quote(Self.colour(thresholds.classify(s?.successRate))))")
            case .split:
                let share = e.split?.share.map { $0.percentText(decimals: 1) } ?? "-"
                // A route rule's edge names the route kind and the rule: "httproute books#1 80.0%".
                let sid = e.split?.split
                let what = sid.map { $0.kind == .trafficSplit ? "split \($0.name)" : "\($0.kind.typeName) \($0.name)#\($0.rule)" } ?? "split"
                if let by = e.split?.overriddenBy {
                    // Not in effect: drawn grey and dotted, and the label says what decides.
                    attrs.append("label=\(Self.quote("\(what) \(share) (overridden by \(by))"))")
                    attrs.append("style=dotted")
                    attrs.append("color=\"#808080\"")
                } else {
                    attrs.append("label=\(Self.quote("\(what) \(share)"))")
                    attrs.append("style=dashed")
                    attrs.append("color=\"#5f87d7\"")
                }
            case .selects:
                attrs.append("style=dotted")
                attrs.append("arrowhead=none")
                attrs.append("color=\"#808080\"")
            }
            out += "  \(Self.quote(e.id.from.description)) -> \(Self.quote(e.id.to.description)) [\(attrs.joined(separator: ", "))];\n"
        }
        out += "}\n"
        return out
    }

    static func trafficLabel(_ s: MetricSample?) -> String {
        guard let s, let rps = s.rps else { return "no data" }
        let sr = s.successRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
        return String(format: "%.1f rps", rps) + " " + sr
    }

    static func colour(_ h: Health) -> String {
        switch h {
        case .healthy: return "#2e8b57"
        case .warning: return "#d78700"
        case .critical: return "#d70000"
        case .unknown: return "#808080"
        }
    }

    /// A DOT quoted string. Names are already sanitised; quotes and backslashes still need escaping.
    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}
