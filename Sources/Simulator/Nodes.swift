import Foundation
import KubeCore

// The cluster's machinery a kubectl user looks at first: Nodes (`kubectl get nodes`,
// `describe node`, `top nodes`) and ServiceAccounts (`get sa`; every pod names one). The
// scenario's pods are already spread over worker nodes by name; the nodes themselves are
// made from those names at start, with a control-plane node beside them as kind has, so the
// names pods carry resolve to objects and the scheduler places new pods on the same nodes.

extension TypeRegistry {
    static let nodeType = ResourceType(
        group: "", versions: ["v1"], storageVersion: "v1", resource: "nodes", singular: "node", kind: "Node", namespaced: false,
        shortNames: ["no"], subresources: ["proxy", "status"])
    static let serviceAccountType = ResourceType(
        group: "", versions: ["v1"], storageVersion: "v1", resource: "serviceaccounts", singular: "serviceaccount",
        kind: "ServiceAccount", namespaced: true, shortNames: ["sa"])
}

enum SimNodes {
    static let controlPlane = "smitop-control-plane"
    /// What every simulated node reports (a kind node on a 4-core, 16 GiB machine).
    static let cpuCores = 4
    static let memoryKi: Int64 = 16_318_464
    static let kubeletVersion = "v1.32.0"

    /// The InternalIP of a node: workers `smitop-worker-N` at 172.18.0.(N+1), as the scenarios
    /// give their pods' hostIP; the control plane at .250; any other name hashed into .100–.199.
    static func ip(_ node: String) -> String {
        if node == controlPlane { return "172.18.0.250" }
        if node.hasPrefix("smitop-worker-"), let n = Int(node.dropFirst("smitop-worker-".count)), (1...200).contains(n) {
            return "172.18.0.\(n + 1)"
        }
        var h: UInt32 = 0
        for b in node.utf8 { h = h &* 31 &+ UInt32(b) }
        return "172.18.0.\(100 + Int(h % 100))"
    }

    static func object(name: String, created: Date, heartbeat: Date) -> JSON {
        let control = name == controlPlane
        var labels: JSON = [
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux",
        ]
        if control {
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        }
        let at = KubeTime.format(created)
        let beat = KubeTime.format(heartbeat)
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSON {
            [
                "type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
                "lastHeartbeatTime": .string(beat), "lastTransitionTime": .string(at),
            ]
        }
        let resources: JSON = [
            "cpu": .string(String(cpuCores)), "memory": .string("\(memoryKi)Ki"), "pods": "110", "ephemeral-storage": "102626232Ki",
            "hugepages-2Mi": "0",
        ]
        var spec: JSON = [
            "podCIDR": .string("10.244.\(ip(name).split(separator: ".").last ?? "0").0/24"), "providerID": .string("kind://docker/smitop/\(name)"),
        ]
        if control {
            spec["taints"] = [["key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"]]
        }
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(name), "labels": labels, "creationTimestamp": .string(at),
                "annotations": ["node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"],
            ],
            "spec": spec,
            "status": [
                "capacity": resources, "allocatable": resources,
                "conditions": [
                    condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                "addresses": [["type": "InternalIP", "address": .string(ip(name))], ["type": "Hostname", "address": .string(name)]],
                "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
                "nodeInfo": [
                    "machineID": .string(Simulator.stableUID("machine/\(name)").replacingOccurrences(of: "-", with: "")),
                    "systemUUID": .string(Simulator.stableUID("system/\(name)")),
                    "bootID": .string(Simulator.stableUID("boot/\(name)")),
                    "kernelVersion": "6.1.0-28-amd64", "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "containerRuntimeVersion": "containerd://1.7.24", "kubeletVersion": .string(kubeletVersion),
                    "kubeProxyVersion": .string(kubeletVersion), "operatingSystem": "linux", "architecture": "amd64",
                ],
            ],
        ]
    }

    static func serviceAccount(namespace: String, name: String, created: String?) -> JSON {
        var meta: JSON = ["name": .string(name), "namespace": .string(namespace)]
        if let created { meta["creationTimestamp"] = .string(created) }
        return ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta]
    }

    /// The scheduler's choice for a new pod: a worker node (the control plane is tainted),
    /// by a hash of the pod's name, so a pod's node does not depend on timing.
    static func place(pod name: String, on workers: [String]) -> String {
        guard !workers.isEmpty else { return "smitop-worker-1" }
        var h: UInt32 = 0
        for b in name.utf8 { h = h &* 31 &+ UInt32(b) }
        return workers[Int(h % UInt32(workers.count))]
    }
}

extension Simulator {
    /// Nodes for every node name the seeded pods carry (at least three workers) plus the
    /// control plane, and ServiceAccounts for `default` in every namespace and each pod's
    /// own, as a cluster that ran those pods holds them. Created as old as the oldest object.
    func seedNodesAndServiceAccounts() throws {
        guard let podType = registry.find(group: "", resource: "pods"), let nsType = registry.find(group: "", resource: "namespaces") else { return }
        let pods = store.all(podType).map(\.object)
        let namespaces = store.all(nsType).map(\.object)
        let oldest = (pods + namespaces).compactMap { $0[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(KubeTime.parse) }.min() ?? startedAt
        let created = oldest.addingTimeInterval(-3600)
        var nodes = Set(pods.compactMap { $0[path: "spec", "nodeName"]?.stringValue }.filter { !$0.isEmpty })
        if nodes.isEmpty { nodes = ["smitop-worker-1", "smitop-worker-2", "smitop-worker-3"] }
        nodes.insert(SimNodes.controlPlane)
        for n in nodes.sorted() where store.get(TypeRegistry.nodeType, namespace: "", name: n) == nil {
            try seedOne(SimNodes.object(name: n, created: created, heartbeat: startedAt))
        }
        var accounts: [String: Set<String>] = [:]
        for ns in namespaces {
            if let n = ns[path: "metadata", "name"]?.stringValue { accounts[n, default: []].insert("default") }
        }
        for p in pods {
            guard let ns = p[path: "metadata", "namespace"]?.stringValue else { continue }
            accounts[ns, default: []].insert(p[path: "spec", "serviceAccountName"]?.stringValue ?? "default")
        }
        let nsCreated = Dictionary(
            namespaces.compactMap { o in o[path: "metadata", "name"]?.stringValue.map { ($0, o[path: "metadata", "creationTimestamp"]?.stringValue) } },
            uniquingKeysWith: { a, _ in a })
        for (ns, names) in accounts.sorted(by: { $0.key < $1.key }) {
            for name in names.sorted() where store.get(TypeRegistry.serviceAccountType, namespace: ns, name: name) == nil {
                try seedOne(SimNodes.serviceAccount(namespace: ns, name: name, created: nsCreated[ns] ?? nil))
            }
        }
    }

    /// The schedulable (worker) nodes, by name.
    var workerNodes: [String] {
        store.all(TypeRegistry.nodeType).compactMap { n -> String? in
            guard n.object[path: "spec", "taints"] == nil else { return nil }
            return n.object[path: "metadata", "name"]?.stringValue
        }.sorted()
    }

    /// A node's InternalIP as its object reports it.
    func nodeAddress(_ name: String) -> String {
        store.get(TypeRegistry.nodeType, namespace: "", name: name)?.object[path: "status", "addresses"]?.arrayValue?
            .first { $0["type"]?.stringValue == "InternalIP" }?["address"]?.stringValue ?? SimNodes.ip(name)
    }
}

extension Tables {
    /// `kubectl get nodes` and `get sa` columns, as kube-apiserver's printers return them.
    static func nodeColumns(for t: ResourceType) -> [Column]? {
        switch (t.group, t.resource) {
        case ("", "nodes"):
            func info(_ k: String) -> (JSON, Date) -> JSON { { o, _ in o[path: "status", "nodeInfo", k] ?? "<unknown>" } }
            func address(_ type: String) -> (JSON, Date) -> JSON {
                { o, _ in
                    .string(
                        o[path: "status", "addresses"]?.arrayValue?.first { $0["type"]?.stringValue == type }?["address"]?.stringValue
                            ?? "<none>")
                }
            }
            return [
                nameColumn(),
                Column(
                    name: "Status", type: "string", description: "The status of the node",
                    cell: { o, _ in
                        let ready = o[path: "status", "conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
                        var s = ready?["status"]?.stringValue == "True" ? "Ready" : "NotReady"
                        if o[path: "spec", "unschedulable"]?.boolValue == true { s += ",SchedulingDisabled" }
                        return .string(s)
                    }),
                Column(
                    name: "Roles", type: "string", description: "The roles of the node",
                    cell: { o, _ in
                        let roles = (o[path: "metadata", "labels"]?.objectValue?.keys ?? []).compactMap { k -> String? in
                            k.hasPrefix("node-role.kubernetes.io/") ? String(k.dropFirst("node-role.kubernetes.io/".count)) : nil
                        }.sorted()
                        return .string(roles.isEmpty ? "<none>" : roles.joined(separator: ","))
                    }),
                ageColumn(),
                Column(name: "Version", type: "string", description: "Kubelet Version reported by the node.", cell: info("kubeletVersion")),
                Column(name: "Internal-IP", type: "string", description: "List of addresses reachable to the node", priority: 1, cell: address("InternalIP")),
                Column(name: "External-IP", type: "string", description: "List of addresses reachable to the node", priority: 1, cell: address("ExternalIP")),
                Column(name: "OS-Image", type: "string", description: "OS Image reported by the node", priority: 1, cell: info("osImage")),
                Column(name: "Kernel-Version", type: "string", description: "Kernel Version reported by the node", priority: 1, cell: info("kernelVersion")),
                Column(
                    name: "Container-Runtime", type: "string", description: "Container Runtime Version reported by the node", priority: 1,
                    cell: info("containerRuntimeVersion")),
            ]
        case ("", "serviceaccounts"):
            return [
                nameColumn(),
                Column(
                    name: "Secrets", type: "string", description: "Secrets is a list of the secrets in the same namespace",
                    cell: { o, _ in .int(o["secrets"]?.arrayValue?.count ?? 0) }),
                ageColumn(),
            ]
        default:
            return nil
        }
    }
}
