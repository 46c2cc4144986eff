import KubeCore
import SMI

// Core Kubernetes objects (v1 Namespace/Service/Pod/Endpoints, apps/v1 Deployment) shaped as
// the API server returns them: spec defaults filled in, status present, field order as Go
// marshals the structs. The store adds resourceVersion, uid and generation.

func jobj(_ entries: [(String, JSON)]) -> JSON { .object(JSONObject(entries)) }

func labelsJSON(_ pairs: [(String, String)]) -> JSON { jobj(pairs.map { ($0.0, .string($0.1)) }) }

struct KubeObjectWriter {
    let topology: SimTopology
    let now: Double

    func time(ago seconds: Double) -> JSON { .string(KubeTime.format(epochSeconds: now - seconds)) }

    func namespace(_ ns: SimTopology.Namespace) -> JSON {
        jobj([
            ("apiVersion", "v1"), ("kind", "Namespace"),
            (
                "metadata",
                jobj([
                    ("name", .string(ns.name)),
                    ("creationTimestamp", time(ago: ns.ageDays * 86400)),
                    ("labels", labelsJSON([("kubernetes.io/metadata.name", ns.name), ("team", ns.team)])),
                    ("annotations", labelsJSON([("linkerd.io/inject", "enabled")])),
                ])
            ),
            ("spec", jobj([("finalizers", ["kubernetes"])])),
            ("status", jobj([("phase", "Active")])),
        ])
    }

    func service(_ s: SimTopology.Service) -> JSON {
        jobj([
            ("apiVersion", "v1"), ("kind", "Service"),
            (
                "metadata",
                jobj([
                    ("name", .string(s.name)), ("namespace", .string(s.namespace)),
                    ("creationTimestamp", time(ago: s.ageSeconds)),
                    ("labels", labelsJSON([("app", s.selector.first?.1 ?? s.name), ("app.kubernetes.io/part-of", s.partOf)])),
                ])
            ),
            (
                "spec",
                jobj([
                    (
                        "ports",
                        [
                            jobj([
                                ("name", "http"), ("protocol", "TCP"), ("appProtocol", "http"),
                                ("port", .int(s.port)), ("targetPort", .int(s.targetPort)),
                            ])
                        ]
                    ),
                    ("selector", labelsJSON(s.selector)),
                    ("clusterIP", .string(s.clusterIP)), ("clusterIPs", [.string(s.clusterIP)]),
                    ("type", "ClusterIP"), ("sessionAffinity", "None"),
                    ("ipFamilies", ["IPv4"]), ("ipFamilyPolicy", "SingleStack"),
                    ("internalTrafficPolicy", "Cluster"),
                ])
            ),
            ("status", jobj([("loadBalancer", .emptyObject)])),
        ])
    }

    func podLabels(_ d: SimTopology.Deployment) -> [(String, String)] {
        [("app", d.app), ("version", d.version), ("app.kubernetes.io/part-of", d.partOf)]
    }

    static let proxyVersion = "stable-2.14.10"

    func containers(_ d: SimTopology.Deployment) -> JSON {
        [
            jobj([
                ("name", .string(d.app)), ("image", .string(d.image)),
                ("ports", [jobj([("name", "http"), ("containerPort", .int(d.port)), ("protocol", "TCP")])]),
                ("resources", jobj([("requests", jobj([("cpu", "100m"), ("memory", "128Mi")]))])),
                ("terminationMessagePath", "/dev/termination-log"), ("terminationMessagePolicy", "File"),
                ("imagePullPolicy", "IfNotPresent"),
            ]),
            jobj([
                ("name", "linkerd-proxy"), ("image", .string("cr.l5d.io/linkerd/proxy:\(KubeObjectWriter.proxyVersion)")),
                (
                    "ports",
                    [
                        jobj([("name", "linkerd-proxy"), ("containerPort", 4143), ("protocol", "TCP")]),
                        jobj([("name", "linkerd-admin"), ("containerPort", 4191), ("protocol", "TCP")]),
                    ]
                ),
                ("resources", .emptyObject),
                ("terminationMessagePath", "/dev/termination-log"), ("terminationMessagePolicy", "FallbackToLogsOnError"),
                ("imagePullPolicy", "IfNotPresent"),
            ]),
        ]
    }

    func deployment(_ d: SimTopology.Deployment) -> JSON {
        let replicas = JSON.int(d.pods.count)
        let selector = labelsJSON([("app", d.app), ("version", d.version)])
        return jobj([
            ("apiVersion", "apps/v1"), ("kind", "Deployment"),
            (
                "metadata",
                jobj([
                    ("name", .string(d.name)), ("namespace", .string(d.namespace)),
                    ("creationTimestamp", time(ago: d.ageSeconds)),
                    ("labels", labelsJSON(podLabels(d))),
                    ("annotations", labelsJSON([("deployment.kubernetes.io/revision", "1")])),
                ])
            ),
            (
                "spec",
                jobj([
                    ("replicas", replicas),
                    ("selector", jobj([("matchLabels", selector)])),
                    (
                        "template",
                        jobj([
                            (
                                "metadata",
                                jobj([
                                    ("creationTimestamp", .null),
                                    ("labels", labelsJSON(podLabels(d))),
                                    ("annotations", labelsJSON([("linkerd.io/inject", "enabled")])),
                                ])
                            ),
                            (
                                "spec",
                                jobj([
                                    (
                                        "containers",
                                        [
                                            jobj([
                                                ("name", .string(d.app)), ("image", .string(d.image)),
                                                ("ports", [jobj([("name", "http"), ("containerPort", .int(d.port)), ("protocol", "TCP")])]),
                                                ("resources", jobj([("requests", jobj([("cpu", "100m"), ("memory", "128Mi")]))])),
                                                ("terminationMessagePath", "/dev/termination-log"), ("terminationMessagePolicy", "File"),
                                                ("imagePullPolicy", "IfNotPresent"),
                                            ])
                                        ]
                                    ),
                                    ("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30),
                                    ("dnsPolicy", "ClusterFirst"),
                                    ("serviceAccountName", .string(d.serviceAccount)), ("serviceAccount", .string(d.serviceAccount)),
                                    ("securityContext", .emptyObject), ("schedulerName", "default-scheduler"),
                                ])
                            ),
                        ])
                    ),
                    (
                        "strategy",
                        jobj([
                            ("type", "RollingUpdate"),
                            ("rollingUpdate", jobj([("maxUnavailable", "25%"), ("maxSurge", "25%")])),
                        ])
                    ),
                    ("revisionHistoryLimit", 10), ("progressDeadlineSeconds", 600),
                ])
            ),
            (
                "status",
                jobj([
                    ("observedGeneration", 1), ("replicas", replicas), ("updatedReplicas", replicas),
                    ("readyReplicas", replicas), ("availableReplicas", replicas),
                    (
                        "conditions",
                        [
                            jobj([
                                ("type", "Available"), ("status", "True"),
                                ("lastUpdateTime", time(ago: d.ageSeconds - 40)), ("lastTransitionTime", time(ago: d.ageSeconds - 40)),
                                ("reason", "MinimumReplicasAvailable"), ("message", "Deployment has minimum availability."),
                            ]),
                            jobj([
                                ("type", "Progressing"), ("status", "True"),
                                ("lastUpdateTime", time(ago: d.ageSeconds - 40)), ("lastTransitionTime", time(ago: d.ageSeconds)),
                                ("reason", "NewReplicaSetAvailable"),
                                ("message", .string("ReplicaSet \"\(d.name)-\(d.templateHash)\" has successfully progressed.")),
                            ]),
                        ]
                    ),
                ])
            ),
        ])
    }

    func pod(_ d: SimTopology.Deployment, _ p: SimTopology.Pod, replicaSetUID: String) -> JSON {
        let started = time(ago: p.ageSeconds - 4)
        let condition = { (type: String) in
            jobj([("type", .string(type)), ("status", "True"), ("lastProbeTime", .null), ("lastTransitionTime", started)])
        }
        let status = { (name: String, image: String, suffix: String) in
            jobj([
                ("name", .string(name)),
                ("state", jobj([("running", jobj([("startedAt", started)]))])),
                ("lastState", .emptyObject), ("ready", true), ("restartCount", 0),
                ("image", .string(image)), ("imageID", .string(String(image.split(separator: ":")[0]) + "@sha256:" + p.containerID)),
                ("containerID", .string("containerd://" + String(p.containerID.prefix(60)) + suffix)),
                ("started", true),
            ])
        }
        return jobj([
            ("apiVersion", "v1"), ("kind", "Pod"),
            (
                "metadata",
                jobj([
                    ("name", .string(p.name)), ("generateName", .string("\(d.name)-\(d.templateHash)-")),
                    ("namespace", .string(d.namespace)),
                    ("creationTimestamp", time(ago: p.ageSeconds)),
                    ("labels", labelsJSON(podLabels(d) + [("pod-template-hash", d.templateHash)])),
                    (
                        "annotations",
                        labelsJSON([
                            ("linkerd.io/created-by", "linkerd/proxy-injector \(KubeObjectWriter.proxyVersion)"),
                            ("linkerd.io/identity-mode", "default"),
                            ("linkerd.io/proxy-version", KubeObjectWriter.proxyVersion),
                        ])
                    ),
                    (
                        "ownerReferences",
                        [
                            jobj([
                                ("apiVersion", "apps/v1"), ("kind", "ReplicaSet"), ("name", .string("\(d.name)-\(d.templateHash)")),
                                ("uid", .string(replicaSetUID)), ("controller", true), ("blockOwnerDeletion", true),
                            ])
                        ]
                    ),
                ])
            ),
            (
                "spec",
                jobj([
                    ("containers", containers(d)),
                    ("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30), ("dnsPolicy", "ClusterFirst"),
                    ("serviceAccountName", .string(d.serviceAccount)), ("serviceAccount", .string(d.serviceAccount)),
                    ("nodeName", .string(p.node)), ("securityContext", .emptyObject), ("schedulerName", "default-scheduler"),
                    ("priority", 0), ("enableServiceLinks", true), ("preemptionPolicy", "PreemptLowerPriority"),
                ])
            ),
            (
                "status",
                jobj([
                    ("phase", "Running"),
                    ("conditions", .array(["Initialized", "Ready", "ContainersReady", "PodScheduled"].map(condition))),
                    ("hostIP", .string(nodeIP(p.node))), ("podIP", .string(p.ip)), ("podIPs", [jobj([("ip", .string(p.ip))])]),
                    ("startTime", time(ago: p.ageSeconds)),
                    (
                        "containerStatuses",
                        [
                            status(d.app, d.image, "a1b2"),
                            status("linkerd-proxy", "cr.l5d.io/linkerd/proxy:\(KubeObjectWriter.proxyVersion)", "c3d4"),
                        ]
                    ),
                    ("qosClass", "Burstable"),
                ])
            ),
        ])
    }

    func nodeIP(_ node: String) -> String {
        let n = Int(node.split(separator: "-").last ?? "1") ?? 1
        return "172.18.0.\(n + 1)"
    }

    func endpoints(_ s: SimTopology.Service) -> JSON {
        var addresses: [JSON] = []
        for d in s.workloads {
            let dep = topology.deployments[d]
            for p in dep.pods {
                addresses.append(
                    jobj([
                        ("ip", .string(p.ip)), ("nodeName", .string(p.node)),
                        ("targetRef", jobj([("kind", "Pod"), ("namespace", .string(dep.namespace)), ("name", .string(p.name))])),
                    ]))
            }
        }
        var meta: [(String, JSON)] = [
            ("name", .string(s.name)), ("namespace", .string(s.namespace)),
            ("creationTimestamp", time(ago: s.ageSeconds)),
            ("labels", labelsJSON([("app", s.selector.first?.1 ?? s.name), ("app.kubernetes.io/part-of", s.partOf)])),
        ]
        meta.append(("annotations", labelsJSON([("endpoints.kubernetes.io/last-change-trigger-time", KubeTime.format(epochSeconds: now - s.ageSeconds))])))
        var o: [(String, JSON)] = [("apiVersion", "v1"), ("kind", "Endpoints"), ("metadata", jobj(meta))]
        // A Service whose selector matches no ready pod has an Endpoints object without subsets.
        if !addresses.isEmpty {
            o.append(
                (
                    "subsets",
                    [
                        jobj([
                            ("addresses", .array(addresses)),
                            ("ports", [jobj([("name", "http"), ("port", .int(s.targetPort)), ("protocol", "TCP"), ("appProtocol", "http")])]),
                        ])
                    ]
                ))
        }
        return jobj(o)
    }
}
