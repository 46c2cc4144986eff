import Foundation
import Hummingbird
import KubeCore

// metrics.k8s.io/v1beta1 as metrics-server serves it (`kubectl top pods|nodes`): the usage of
// each running pod's containers and each node, computed from the traffic model, so a pod that
// takes more requests uses more CPU, and a shift of weights shows in `kubectl top` too.
//
// The model (per pod, from its workload's inbound request rate shared over its pods): the
// application container 3m + 1.2m per request/s of CPU and 48Mi + 0.3Mi per request/s of
// memory; a mesh proxy container (`linkerd-proxy`, `istio-proxy`) 1m + 0.35m and
// 14Mi + 0.05Mi; any other container 1m and 16Mi. A smooth ±5 % per pod and minute keeps it
// from looking constant. A node: the sum of its pods plus 180m and 900Mi for the system.

enum ResourceUsage {
    struct Usage: Equatable {
        var nanocores: Double
        var bytes: Double
        static func + (a: Usage, b: Usage) -> Usage { Usage(nanocores: a.nanocores + b.nanocores, bytes: a.bytes + b.bytes) }
        var json: JSON {
            // metrics-server's units: nanocores and kibibytes, as whole numbers.
            let n = nanocores.isFinite ? min(max(nanocores, 0), 1e15).rounded() : 0
            let k = bytes.isFinite ? min(max(bytes / 1024, 0), 1e15).rounded() : 0
            return ["cpu": .string("\(Int64(n))n"), "memory": .string("\(Int64(k))Ki")]
        }
    }

    static let milli = 1e6  // nanocores per millicore
    static let mi = 1_048_576.0

    static func container(_ name: String, index: Int, requestsPerSecond rps: Double) -> Usage {
        let r = rps.isFinite ? min(max(rps, 0), 1e6) : 0
        if name == "linkerd-proxy" || name == "istio-proxy" {
            return Usage(nanocores: (1 + 0.35 * r) * milli, bytes: (14 + 0.05 * r) * mi)
        }
        if index == 0 { return Usage(nanocores: (3 + 1.2 * r) * milli, bytes: (48 + 0.3 * r) * mi) }
        return Usage(nanocores: 1 * milli, bytes: 16 * mi)
    }

    /// ±5 %, smooth per pod and minute (the same answer within a scrape, a new one later).
    static func jitter(_ key: String, at now: Double) -> Double {
        var h: UInt64 = 14_695_981_039_346_656_037
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 1_099_511_628_211
        }
        let phase = Double(h % 10_000) / 10_000 * 2 * Double.pi
        return 1 + 0.05 * sin(now / 60 + phase)
    }

    static let systemOverhead = Usage(nanocores: 180 * milli, bytes: 900 * mi)
}

extension APIHandler {
    func resourceMetrics(_ r: APIRequest) throws -> Response {
        let s = r.segments  // apis, metrics.k8s.io, v1beta1, …
        guard s.count >= 4, s[2] == "v1beta1" else { throw notFoundPath(r.path) }
        let rest = Array(s.dropFirst(3))
        let selector = try r.query["labelSelector"].map { (t) throws(APIError) in try LabelSelector(parsing: t) }
        let now = Date()
        let stamp = KubeTime.format(now)
        func metadata(_ o: JSON) -> JSON {
            var m: JSON = ["name": o[path: "metadata", "name"] ?? "", "creationTimestamp": .string(stamp)]
            if let ns = o[path: "metadata", "namespace"] { m["namespace"] = ns }
            if let l = o[path: "metadata", "labels"] { m["labels"] = l }
            return m
        }
        let usage = currentPodUsage(at: now.timeIntervalSince1970)
        switch rest.count {
        case 1 where rest[0] == "nodes", 2 where rest[0] == "nodes":
            let nodes = store(TypeRegistry.nodeType).filter { selector?.matches($0[path: "metadata", "labels"]?.objectValue) ?? true }
            var perNode: [String: ResourceUsage.Usage] = [:]
            for (_, u) in usage { perNode[u.node, default: ResourceUsage.systemOverhead] = perNode[u.node, default: ResourceUsage.systemOverhead] + u.total }
            func item(_ n: JSON) -> JSON {
                let name = n[path: "metadata", "name"]?.stringValue ?? ""
                return [
                    "metadata": metadata(n), "timestamp": .string(stamp), "window": "20.05s",
                    "usage": (perNode[name] ?? ResourceUsage.systemOverhead).json,
                ]
            }
            if rest.count == 2 {
                guard let n = nodes.first(where: { $0[path: "metadata", "name"]?.stringValue == rest[1] }) else {
                    throw APIError(code: 404, reason: "NotFound", message: "nodemetrics.metrics.k8s.io \"\(rest[1])\" not found")
                }
                return Self.raw(withKind(item(n), "NodeMetrics").serialized())
            }
            return Self.raw(list("NodeMetricsList", nodes.map(item)).serialized())
        case 3 where rest[0] == "namespaces" && rest[2] == "pods", 4 where rest[0] == "namespaces" && rest[2] == "pods", 1 where rest[0] == "pods":
            let ns = rest.count >= 3 ? rest[1] : nil
            let pods = store(sim.registry.find(group: "", resource: "pods")).filter { p in
                guard usage[Self.podKey(p)] != nil else { return false }  // running pods only, as metrics-server
                if let ns, p[path: "metadata", "namespace"]?.stringValue != ns { return false }
                return selector?.matches(p[path: "metadata", "labels"]?.objectValue) ?? true
            }
            func item(_ p: JSON) -> JSON {
                let u = usage[Self.podKey(p)]
                let containers = (u?.containers ?? []).map { c -> JSON in ["name": .string(c.name), "usage": c.usage.json] }
                return ["metadata": metadata(p), "timestamp": .string(stamp), "window": "20.05s", "containers": .array(containers)]
            }
            if rest.count == 4 {
                guard let p = pods.first(where: { $0[path: "metadata", "name"]?.stringValue == rest[3] }) else {
                    throw APIError(code: 404, reason: "NotFound", message: "podmetrics.metrics.k8s.io \"\(rest[1])/\(rest[3])\" not found")
                }
                return Self.raw(withKind(item(p), "PodMetrics").serialized())
            }
            return Self.raw(list("PodMetricsList", pods.map(item)).serialized())
        default:
            throw notFoundPath(r.path)
        }
    }

    private func store(_ t: ResourceType?) -> [JSON] {
        guard let t else { return [] }
        return sim.store.all(t).map(\.object)
    }

    private func withKind(_ item: JSON, _ kind: String) -> JSON {
        var o: JSON = ["kind": .string(kind), "apiVersion": "metrics.k8s.io/v1beta1"]
        for (k, v) in item.objectValue ?? JSONObject() { o[k] = v }
        return o
    }

    private func list(_ kind: String, _ items: [JSON]) -> JSON {
        ["kind": .string(kind), "apiVersion": "metrics.k8s.io/v1beta1", "metadata": .emptyObject, "items": .array(items)]
    }

    static func podKey(_ p: JSON) -> String {
        "\(p[path: "metadata", "namespace"]?.stringValue ?? "")/\(p[path: "metadata", "name"]?.stringValue ?? "")"
    }

    struct PodUsage {
        var node: String
        var containers: [(name: String, usage: ResourceUsage.Usage)]
        var total: ResourceUsage.Usage { containers.reduce(ResourceUsage.Usage(nanocores: 0, bytes: 0)) { $0 + $1.usage } }
    }

    /// Every running pod's usage now, keyed "namespace/name": its workload's inbound rate over
    /// the last 30 s (`podTraffic`: the traffic model's sample, shared with the other metrics
    /// requests of this second), shared equally by the workload's pods.
    func currentPodUsage(at now: Double) -> [String: PodUsage] {
        let rates = podTraffic(at: now)
        var out: [String: PodUsage] = [:]
        guard let podType = sim.registry.find(group: "", resource: "pods") else { return out }
        for stored in sim.store.all(podType) {
            let p = stored.object
            guard p[path: "status", "phase"]?.stringValue == "Running", p[path: "metadata", "deletionTimestamp"] == nil else { continue }
            let key = Self.podKey(p)
            let rps = rates[key]?.requestsPerSecond ?? 0
            let factor = ResourceUsage.jitter(key, at: now)
            let containers = (p[path: "spec", "containers"]?.arrayValue ?? []).enumerated().map { (i, c) in
                let name = c["name"]?.stringValue ?? ""
                let u = ResourceUsage.container(name, index: i, requestsPerSecond: rps)
                return (name: name, usage: ResourceUsage.Usage(nanocores: u.nanocores * factor, bytes: u.bytes * factor))
            }
            out[key] = PodUsage(node: p[path: "spec", "nodeName"]?.stringValue ?? "", containers: containers)
        }
        return out
    }
}
