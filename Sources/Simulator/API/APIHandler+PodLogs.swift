import Foundation
import Hummingbird
import KubeCore

// `kubectl logs` (GET pods/NAME/log): what the kubelet would return for a container of a
// simulated pod. The application container logs one line per request it served, drawn from
// the traffic model (its workload's rate, success rate and latency), at most 3 lines a second
// (a sampled access log); a mesh proxy container logs its start-up. The access log holds the
// last 15 minutes (the kubelet rotates a busy container's log; older lines are gone), or less
// for a pod that started later; the proxy's few lines are all kept. Lines are decided by (pod, container, second), so two reads agree and
// `--follow` continues the same log.

enum PodLogs {
    static let retainedSeconds = 900.0
    static let maxLinesPerSecond = 3.0

    struct Traffic: Sendable {
        var requestsPerSecond: Double
        var successRate: Double
        var medianMs: Double
    }

    static func hash(_ parts: String...) -> UInt64 {
        var h: UInt64 = 14_695_981_039_346_656_037
        for p in parts {
            for b in p.utf8 {
                h ^= UInt64(b)
                h = h &* 1_099_511_628_211
            }
            h ^= 0xFF
            h = h &* 1_099_511_628_211
        }
        return h
    }

    /// A uniform number in [0, 1) from a hash (splitmix64 finaliser).
    static func unit(_ seed: UInt64, _ i: Int) -> Double {
        var z = seed &+ UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5B9_E39B
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }

    /// The lines of second `second` (Unix seconds) for an application container.
    static func appLines(pod: String, container: String, service: String, second: Int64, traffic: Traffic) -> [(at: Double, text: String)] {
        let seed = hash(pod, container, String(second))
        let rate = min(max(traffic.requestsPerSecond.isFinite ? traffic.requestsPerSecond : 0, 0), maxLinesPerSecond)
        let whole = Int(rate)
        let n = whole + (unit(seed, 0) < rate - Double(whole) ? 1 : 0)
        var out: [(Double, String)] = []
        for i in 0..<n {
            let at = Double(second) + (Double(i) + unit(seed, 10 + i)) / Double(max(n, 1))
            let ok = unit(seed, 20 + i) < traffic.successRate
            let method = unit(seed, 30 + i) < 0.1 ? "POST" : "GET"
            let id = Int(unit(seed, 40 + i) * 9000) + 1000
            let ms = max(0.1, traffic.medianMs * (0.5 + 1.5 * unit(seed, 50 + i)))
            let status = ok ? (method == "POST" ? 201 : 200) : (unit(seed, 60 + i) < 0.5 ? 500 : 503)
            let level = ok ? "INFO " : "ERROR"
            out.append((at, "\(KubeTime.formatMillis(at)) \(level) \(method) /\(service)/\(id) \(status) \(formatMs(ms))"))
        }
        return out
    }

    static func formatMs(_ ms: Double) -> String {
        let tenths = Int((ms * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)ms"
    }

    /// A mesh proxy's start-up lines, at the pod's start.
    static func proxyLines(container: String, pod: String, namespace: String, serviceAccount: String, started: Double) -> [(at: Double, text: String)] {
        if container == "istio-proxy" {
            return [
                (started + 0.01, "\(KubeTime.formatMillis(started + 0.01))\tinfo\tFLAG: --concurrency=\"2\""),
                (started + 0.20, "\(KubeTime.formatMillis(started + 0.20))\tinfo\tsds\tSDS server for workload certificates started"),
                (started + 0.90, "\(KubeTime.formatMillis(started + 0.90))\tinfo\tReadiness succeeded in 812.4ms"),
                (started + 0.95, "\(KubeTime.formatMillis(started + 0.95))\tinfo\tEnvoy proxy is ready"),
            ]
        }
        let lines = [
            (0.001, "INFO ThreadId(01) linkerd2_proxy: release stable-2.18.0 by linkerd"),
            (0.002, "INFO ThreadId(01) linkerd2_proxy: Admin interface on [::]:4191"),
            (0.002, "INFO ThreadId(01) linkerd2_proxy: Inbound interface on [::]:4143"),
            (0.002, "INFO ThreadId(01) linkerd2_proxy: Outbound interface on 127.0.0.1:4140"),
            (
                0.031,
                "INFO ThreadId(02) daemon:identity: linkerd_app: Certified identity id=\(serviceAccount).\(namespace).serviceaccount.identity.linkerd.cluster.local"
            ),
        ]
        return lines.map { (started + $0.0, String(format: "[%12.6fs] ", $0.0) + " " + $0.1) }
    }
}

extension KubeTime {
    /// RFC 3339 with milliseconds, as application loggers write it.
    static func formatMillis(_ epochSeconds: Double) -> String {
        let whole = epochSeconds.rounded(.down)
        let ms = Int(((epochSeconds - whole) * 1000).rounded(.down))
        let base = format(epochSeconds: whole)
        let msText = String(ms)
        return String(base.dropLast()) + "." + String(repeating: "0", count: 3 - min(3, msText.count)) + msText + "Z"
    }

    /// RFC 3339 with nanoseconds, as the kubelet's `timestamps=true` prefix.
    static func formatNanos(_ epochSeconds: Double) -> String {
        let whole = epochSeconds.rounded(.down)
        let ns = Int(((epochSeconds - whole) * 1e9).rounded(.down))
        let t = String(ns)
        return String(format(epochSeconds: whole).dropLast()) + "." + String(repeating: "0", count: max(0, 9 - t.count)) + t + "Z"
    }
}

extension APIHandler {
    func podLog(_ r: APIRequest, _ target: ResourceTarget) throws -> Response {
        guard let name = target.name, let ns = target.namespace else { throw notFoundPath(r.path) }
        guard let pod = sim.store.get(target.type, namespace: ns, name: name)?.object else { throw APIError.notFound(target.type, name) }
        let containers = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let container: String
        if let c = r.query["container"], !c.isEmpty {
            guard containers.contains(c) else {
                throw APIError.badRequest("container \(c) is not valid for pod \(name)")
            }
            container = c
        } else if containers.count == 1 {
            container = containers[0]
        } else {
            throw APIError.badRequest(
                "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]")
        }
        if r.flag("previous") {
            throw APIError.badRequest("previous terminated container \"\(container)\" in pod \"\(name)\" not found")
        }
        guard pod[path: "status", "phase"]?.stringValue == "Running" else {
            throw APIError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: ContainerCreating")
        }
        func nonNegative(_ key: String) throws(APIError) -> Int64? {
            guard let v = r.query[key] else { return nil }
            guard let n = Int64(v), n >= 0 else { throw APIError.badRequest("\(key): Invalid value: \"\(v)\": must be greater than or equal to 0") }
            return n
        }
        let tail = try nonNegative("tailLines")
        let sinceSeconds = try nonNegative("sinceSeconds")
        let limitBytes = try nonNegative("limitBytes")
        let sinceTime = try r.query["sinceTime"].map { (s) throws(APIError) -> Double in
            guard let d = KubeTime.parse(s) else { throw APIError.badRequest("sinceTime: Invalid value: \"\(s)\": must be RFC3339") }
            return d.timeIntervalSince1970
        }
        let timestamps = r.flag("timestamps")
        let follow = r.flag("follow")

        let now = Date().timeIntervalSince1970
        let started =
            (pod[path: "status", "startTime"]?.stringValue ?? pod[path: "metadata", "creationTimestamp"]?.stringValue)
            .flatMap(KubeTime.parse)?.timeIntervalSince1970 ?? now
        let index = containers.firstIndex(of: container) ?? 0
        let isProxy = container == "linkerd-proxy" || container == "istio-proxy"
        // A busy access log has been rotated; a proxy's few start-up lines never are.
        var from = isProxy ? started : max(started, now - PodLogs.retainedSeconds)
        if let s = sinceSeconds { from = max(from, now - Double(min(s, 1 << 40))) }
        if let s = sinceTime { from = max(from, s) }
        let service = (pod[path: "metadata", "labels", "app"]?.stringValue) ?? name
        let key = "\(ns)/\(name)"
        let traffic = { @Sendable () -> PodLogs.Traffic in
            let t = self.podTraffic(at: Date().timeIntervalSince1970)[key]
            return t ?? PodLogs.Traffic(requestsPerSecond: 0, successRate: 1, medianMs: 10)
        }
        let trafficNow = traffic()
        @Sendable func lines(from a: Double, to b: Double, traffic t: PodLogs.Traffic) -> [(at: Double, text: String)] {
            if isProxy {
                let sa = pod[path: "spec", "serviceAccountName"]?.stringValue ?? "default"
                return PodLogs.proxyLines(container: container, pod: name, namespace: ns, serviceAccount: sa, started: started)
                    .filter { $0.at >= a && $0.at < b }
            }
            if index != 0 { return [] }
            var out: [(Double, String)] = []
            var s = Int64(a.rounded(.down))
            while Double(s) < b {
                out += PodLogs.appLines(pod: key, container: container, service: service, second: s, traffic: t).filter { $0.at >= a && $0.at < b }
                s += 1
            }
            return out
        }
        @Sendable func render(_ ls: [(at: Double, text: String)]) -> [UInt8] {
            var out: [UInt8] = []
            for l in ls {
                if timestamps { out += Array((KubeTime.formatNanos(l.at) + " ").utf8) }
                out += Array(l.text.utf8)
                out.append(0x0A)
            }
            return out
        }
        var first = lines(from: from, to: now, traffic: trafficNow)
        if let tail { first = Array(first.suffix(Int(min(tail, Int64(Int.max))))) }
        var bytes = render(first)
        if let limitBytes, bytes.count > limitBytes { bytes = Array(bytes.prefix(Int(limitBytes))) }
        let headers: HTTPFields = [.contentType: "text/plain", .cacheControl: "no-cache, private"]
        guard follow, limitBytes == nil else {
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let initial = bytes
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(bytes: initial))
            var last = now
            // The pod's log goes on until the client hangs up (or the pod goes away).
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard sim.store.get(target.type, namespace: ns, name: name) != nil else { break }
                let t = Date().timeIntervalSince1970
                let more = render(lines(from: last, to: t, traffic: traffic()))
                last = t
                if !more.isEmpty { try await writer.write(ByteBuffer(bytes: more)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Each running pod's share of its workload's traffic now: request rate, success rate and
    /// median latency (keyed "namespace/name").
    func podTraffic(at now: Double) -> [String: PodLogs.Traffic] {
        let snapshot = sim.metricsSnapshot()
        let window = 30.0
        let sample = sim.trafficSample(window: window, at: now, snapshot: snapshot)
        var out: [String: PodLogs.Traffic] = [:]
        for (ref, pods) in snapshot.workloads where !pods.isEmpty {
            let stats = sample.inbound[ref]
            let t = PodLogs.Traffic(
                requestsPerSecond: (stats?.total ?? 0) / window / Double(pods.count), successRate: stats?.successRate ?? 1,
                medianMs: stats?.latency.quantile(0.5) ?? 10)
            for p in pods { out["\(ref.namespace)/\(p)"] = t }
        }
        return out
    }
}
