import Foundation
import KubeCore

/// The Prometheus configuration that scrapes a running simulator the way a mesh's Prometheus
/// scrapes its proxies, so series carry the labels a real installation gives them.
///
/// Why file-based discovery with `__meta_kubernetes_*` labels: a real Prometheus finds pods
/// through `kubernetes_sd_configs` and its relabelling turns the discovered metadata into
/// `namespace`, `pod`, `deployment`, …. The simulated pods' addresses are not reachable, so
/// the simulator writes the discovered targets itself (the simulator's address, a per-pod
/// metrics path, and the same `__meta_kubernetes_*` labels Kubernetes discovery would
/// attach); the relabelling below is then the mesh's own rule set and does the rest.
public enum PrometheusScrapeConfig {
    /// One pod as Kubernetes service discovery reports it.
    public struct Pod: Sendable, Equatable {
        public var namespace: String
        public var name: String
        public var ip: String
        public var phase: String
        public var labels: [(String, String)]
        public var workload: WorkloadRef?

        public static func == (a: Pod, b: Pod) -> Bool {
            a.namespace == b.namespace && a.name == b.name && a.ip == b.ip && a.phase == b.phase && a.workload == b.workload
                && a.labels.elementsEqual(b.labels, by: { $0 == $1 })
        }
    }

    /// Prometheus' label-name sanitising: anything outside [a-zA-Z0-9_] becomes "_".
    static func labelName(_ s: String) -> String {
        String(s.map { c in (c.isASCII && (c.isLetter || c.isNumber)) || c == "_" ? c : "_" })
    }

    /// The file_sd target groups: one per pod and style.
    public static func targets(pods: [Pod], style: PrometheusStyle, address: String) -> JSON {
        var groups: [JSON] = []
        for p in pods {
            for s in [PrometheusStyle.linkerd, .istio] where style.contains(s) {
                var labels: [(String, JSON)] = [
                    ("__metrics_path__", .string("/sim/prometheus/namespaces/\(p.namespace)/pods/\(p.name)/\(s.name)")),
                    ("__meta_kubernetes_namespace", .string(p.namespace)),
                    ("__meta_kubernetes_pod_name", .string(p.name)),
                    ("__meta_kubernetes_pod_ip", .string(p.ip)),
                    ("__meta_kubernetes_pod_phase", .string(p.phase)),
                    ("__meta_kubernetes_pod_container_name", .string(s == .linkerd ? "linkerd-proxy" : "istio-proxy")),
                    ("__meta_kubernetes_pod_container_port_name", .string(s == .linkerd ? "linkerd-admin" : "http-envoy-prom")),
                ]
                var podLabels = p.labels
                // What each mesh's injector adds to a pod it meshes.
                if s == .linkerd {
                    podLabels.append(("linkerd.io/control-plane-ns", "linkerd"))
                    if let w = p.workload { podLabels.append(("linkerd.io/proxy-\(w.kind.rawValue)", w.name)) }
                } else {
                    podLabels.append(("security.istio.io/tlsMode", "istio"))
                    if let w = p.workload { podLabels.append(("service.istio.io/canonical-name", w.name)) }
                }
                for (k, v) in podLabels {
                    labels.append(("__meta_kubernetes_pod_label_\(labelName(k))", .string(v)))
                }
                groups.append(.object(JSONObject([("targets", [.string(address)]), ("labels", .object(JSONObject(labels)))])))
            }
        }
        return .array(groups)
    }

    /// The scrape configuration: a `linkerd-proxy` job with linkerd-viz's relabelling and a
    /// `kubernetes-pods` job with the relabelling of Istio's sample Prometheus.
    public static func config(
        style: PrometheusStyle, targetsFile: String, https: Bool, caFile: String?, interval: String = "1s"
    )
        -> String
    {
        func q(_ s: String) -> String { String(decoding: JSON.string(s).serialized(), as: UTF8.self) }
        var tls = ""
        if https {
            tls = "    scheme: https\n    tls_config:\n"
            tls += caFile.map { "      ca_file: \(q($0))\n" } ?? "      insecure_skip_verify: true\n"
        }
        var out = """
            # Written by `smitop sim --write-prometheus-config`: scrapes the simulated pods' proxies.
            global:
              scrape_interval: \(interval)
              evaluation_interval: \(interval)
            scrape_configs:

            """
        if style.contains(.linkerd) {
            out += """
                  - job_name: linkerd-proxy
                \(tls)    file_sd_configs:
                      - files: [\(q(targetsFile))]
                        refresh_interval: 5s
                    relabel_configs:
                      - source_labels: [__metrics_path__]
                        regex: .*/linkerd
                        action: keep
                      - source_labels: [__meta_kubernetes_pod_phase]
                        regex: (Pending|Running)
                        action: keep
                      - source_labels: [__meta_kubernetes_pod_container_name, __meta_kubernetes_pod_container_port_name, __meta_kubernetes_pod_label_linkerd_io_control_plane_ns]
                        regex: ^linkerd-proxy;linkerd-admin;linkerd$
                        action: keep
                      - source_labels: [__meta_kubernetes_namespace]
                        target_label: namespace
                      - source_labels: [__meta_kubernetes_pod_name]
                        target_label: pod
                      - source_labels: [__meta_kubernetes_pod_ip]
                        target_label: instance
                        replacement: $1:4191
                      # linkerd.io/proxy-deployment=web becomes deployment="web" (and so on per kind)
                      - action: labelmap
                        regex: __meta_kubernetes_pod_label_linkerd_io_proxy_(.+)
                      - action: labeldrop
                        regex: __meta_kubernetes_pod_label_linkerd_io_proxy_(.+)
                      - action: labelmap
                        regex: __meta_kubernetes_pod_label_linkerd_io_(.+)
                      # every other pod label, with linkerd_io_ prefixes removed
                      - action: labelmap
                        regex: __meta_kubernetes_pod_label_(.+)
                        replacement: __tmp_pod_label_$1
                      - action: labelmap
                        regex: __tmp_pod_label_linkerd_io_(.+)
                        replacement: __tmp_pod_label_$1
                      - action: labeldrop
                        regex: __tmp_pod_label_linkerd_io_(.+)
                      - action: labelmap
                        regex: __tmp_pod_label_(.+)

                """
        }
        if style.contains(.istio) {
            out += """
                  - job_name: kubernetes-pods
                \(tls)    file_sd_configs:
                      - files: [\(q(targetsFile))]
                        refresh_interval: 5s
                    relabel_configs:
                      - source_labels: [__metrics_path__]
                        regex: .*/istio
                        action: keep
                      - source_labels: [__meta_kubernetes_pod_phase]
                        regex: (Pending|Running)
                        action: keep
                      - action: labelmap
                        regex: __meta_kubernetes_pod_label_(.+)
                      - source_labels: [__meta_kubernetes_namespace]
                        target_label: namespace
                      - source_labels: [__meta_kubernetes_pod_name]
                        target_label: pod
                      - source_labels: [__meta_kubernetes_pod_ip]
                        target_label: instance
                        replacement: $1:15020

                """
        }
        return out
    }
}

extension Simulator {
    /// The pods as Kubernetes discovery would report them, with the workload each belongs to.
    public func discoveredPods() -> [PrometheusScrapeConfig.Pod] {
        let snapshot = metricsSnapshot()
        var owner: [String: WorkloadRef] = [:]
        for (ref, pods) in snapshot.workloads { for p in pods { owner["\(ref.namespace)/\(p)"] = ref } }
        guard let t = registry.find(group: "", resource: "pods") else { return [] }
        var out: [PrometheusScrapeConfig.Pod] = []
        for s in store.all(t) {
            let o = s.object
            guard let name = o[path: "metadata", "name"]?.stringValue, let ns = o[path: "metadata", "namespace"]?.stringValue else {
                continue
            }
            // The mesh Prometheus' own pod (there for `kubectl port-forward`) has no simulated
            // proxy to scrape.
            if let served = prometheusService, ns == served.namespace, o[path: "metadata", "labels", "component"]?.stringValue == "prometheus" {
                continue
            }
            var labels: [(String, String)] = []
            for (k, v) in o[path: "metadata", "labels"]?.objectValue ?? JSONObject() {
                if let s = v.stringValue { labels.append((k, s)) }
            }
            out.append(
                .init(
                    namespace: ns, name: name, ip: o[path: "status", "podIP"]?.stringValue ?? "",
                    phase: o[path: "status", "phase"]?.stringValue ?? "Running", labels: labels, workload: owner["\(ns)/\(name)"]))
        }
        return out.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
    }

    /// Writes `path` (the Prometheus configuration) and `path`.targets.json (the discovered
    /// pods), plus `path`.ca.pem when the simulator serves TLS.
    public func writePrometheusConfig(_ endpoint: SimulatorEndpoint, to path: String, interval: String = "1s") throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let targetsPath = url.path + ".targets.json"
        var caPath: String?
        if let ca = endpoint.caPEM {
            caPath = url.path + ".ca.pem"
            try Data(ca.utf8).write(to: URL(fileURLWithPath: caPath!))
        }
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        let style = options.effectivePrometheusStyle
        let address = "\(host):\(endpoint.port)"
        let pods = discoveredPods()
        // The targets first: Prometheus may read the configuration the moment it appears.
        try Data(PrometheusScrapeConfig.targets(pods: pods, style: style, address: address).serialized())
            .write(to: URL(fileURLWithPath: targetsPath), options: .atomic)
        // Pods come and go (scaling, deletes): rewrite the targets file when they do, as
        // Kubernetes discovery would tell Prometheus; it re-reads the file on change.
        let follow = Task { [self] in
            var last = pods
            while !Task.isCancelled {
                let seen = store.commits.generation
                await store.commits.wait(past: seen)
                try? await Task.sleep(for: .milliseconds(250))
                let now = discoveredPods()
                guard now != last else { continue }
                last = now
                try? Data(PrometheusScrapeConfig.targets(pods: now, style: style, address: address).serialized())
                    .write(to: URL(fileURLWithPath: targetsPath), options: .atomic)
            }
        }
        targetsWriter.withLock { old in
            old?.cancel()
            old = follow
        }
        let config = PrometheusScrapeConfig.config(
            style: style, targetsFile: targetsPath, https: endpoint.caPEM != nil, caFile: caPath, interval: interval)
        try Data(config.utf8).write(to: url, options: .atomic)
    }
}
