import Foundation
import KubeCore

// The simulated control plane: what kube-controller-manager, the scheduler and the kubelets
// do to the objects clients write. The deployment controller brings a Deployment's pods and
// status to its spec (kubectl scale, rollout status and wait behave as on a cluster); the
// namespace controller empties a Terminating namespace and then removes it. They follow
// writes through the store's commit signal (idle when nothing changes) and take one step per
// pass, a pass every 300 ms while work remains, so clients see the intermediate states
// (pods Pending then Running, readyReplicas climbing) that a real cluster shows.

extension Simulator {
    /// More simulated pods than this per Deployment are not created: a hostile `replicas:
    /// 2147483647` must not exhaust the simulator. Such a Deployment never becomes Available.
    static let maxSimulatedReplicas = 100

    func runControllers() async {
        // The types the controllers follow; writes to anything else (splits, events) do not
        // wake a pass over every deployment and pod.
        let followed = [("", "namespaces"), ("", "pods"), ("apps", "deployments"), ("apps", "replicasets")].compactMap {
            registry.find(group: $0.0, resource: $0.1)?.key
        }
        func stamp() -> [Int] { followed.map { store.lastChange($0) } }
        var idleAt: [Int]? = nil
        while !Task.isCancelled {
            let seen = store.commits.generation
            if stamp() != idleAt {
                if reconcileOnce() {
                    try? await Task.sleep(for: .milliseconds(300))
                    continue
                }
                // Converged, including the pass's own writes.
                idleAt = stamp()
            }
            await store.commits.wait(past: seen)
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// One pass over every controller; true while any has work left.
    @discardableResult
    func reconcileOnce() -> Bool {
        var more = false
        if reconcileNamespaces() { more = true }
        if reconcileKubelet() { more = true }
        if reconcileDeployments() { more = true }
        if collectGarbage() { more = true }
        return more
    }

    // MARK: Deployments

    func reconcileDeployments() -> Bool {
        guard let deployments = registry.find(group: "apps", resource: "deployments"),
            let pods = registry.find(group: "", resource: "pods")
        else { return false }
        var more = false
        for so in store.all(deployments) {
            let d = so.object
            guard d[path: "metadata", "deletionTimestamp"] == nil, Self.deploymentNeedsWork(d) else { continue }
            more = true
            stepDeployment(d, deployments: deployments, pods: pods)
        }
        return more
    }

    static func desiredReplicas(_ d: JSON) -> Int {
        Int(min(max(d[path: "spec", "replicas"]?.intValue ?? 1, 0), Int64(maxSimulatedReplicas)))
    }

    /// Converged: observedGeneration caught up and every wanted replica ready, with conditions.
    static func deploymentNeedsWork(_ d: JSON) -> Bool {
        let want = desiredReplicas(d)
        let st = d["status"]
        if st?["observedGeneration"]?.intValue != d[path: "metadata", "generation"]?.intValue { return true }
        if Int(st?["replicas"]?.intValue ?? 0) != want || Int(st?["readyReplicas"]?.intValue ?? 0) != want { return true }
        if Int(st?["availableReplicas"]?.intValue ?? 0) != want || Int(st?["updatedReplicas"]?.intValue ?? 0) != want { return true }
        return st?["conditions"]?.arrayValue?.count ?? 0 < 2
    }

    func ownedPods(_ d: JSON, pods: ResourceType) -> [StoredObject] {
        let ns = d[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = d[path: "metadata", "name"]?.stringValue ?? ""
        let match = d[path: "spec", "selector", "matchLabels"]?.objectValue
        guard let match, match.count > 0 else { return [] }
        var sel = Selection(namespace: ns)
        sel.labels = LabelSelector(requirements: match.entries.map { .equals($0.key, $0.value.stringValue ?? "") })
        let page = try? store.list(pods, selection: sel, limit: nil, continueToken: nil)
        return (page?.items ?? []).filter {
            ($0.object[path: "metadata", "name"]?.stringValue ?? "").hasPrefix(name + "-") && $0.object[path: "metadata", "deletionTimestamp"] == nil
        }
    }

    /// Go's JSON writes unset pointers as null (`creationTimestamp: null` in a template that
    /// kubectl rollout undo sends); for template identity those equal absent fields.
    static func withoutNulls(_ j: JSON) -> JSON {
        switch j {
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o where v != .null { out[k] = withoutNulls(v) }
            return .object(out)
        case .array(let a): return .array(a.map(withoutNulls))
        default: return j
        }
    }

    static func templateHash(_ d: JSON) -> String {
        var h: UInt32 = 2_166_136_261
        for b in (d[path: "spec", "template"] ?? .null).serialized() {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var out = ""
        var x = h
        for _ in 0..<10 {
            out.append(alphabet[Int(x % UInt32(alphabet.count))])
            x = x / UInt32(alphabet.count) &+ (x &* 2_654_435_761)
        }
        return out
    }

    /// The pod-template-hash of a Deployment's current template. The first time the controller
    /// sees a Deployment, pods it already has are taken as current (the scenario's pods carry
    /// hashes of their own); a template change later gets a new hash, so its pods roll.
    func currentTemplateHash(_ d: JSON, owned: [StoredObject]) -> String {
        let key = (d[path: "metadata", "namespace"]?.stringValue ?? "") + "/" + (d[path: "metadata", "name"]?.stringValue ?? "")
        let template = d[path: "spec", "template"] ?? .null
        let adoptable = owned.first?.object[path: "metadata", "labels", "pod-template-hash"]?.stringValue
        // A ReplicaSet of this Deployment with the same template (ignoring the hash label) is
        // the current one again, as after `kubectl rollout undo`.
        let uid = d[path: "metadata", "uid"]?.stringValue ?? ""
        let known =
            registry.find(group: "apps", resource: "replicasets").map { rsType in
                store.all(rsType).first { rs in
                    guard (rs.object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).contains(where: { $0["uid"]?.stringValue == uid }) else {
                        return false
                    }
                    var t = rs.object[path: "spec", "template"] ?? .null
                    if case .object(var labels)? = t[path: "metadata", "labels"] {
                        _ = labels.removeValue(forKey: "pod-template-hash")
                        t = setPath(t, ["metadata", "labels"], .object(labels))
                    }
                    return Self.withoutNulls(t) == Self.withoutNulls(template)
                }?.object[path: "metadata", "labels", "pod-template-hash"]?.stringValue
            } ?? nil
        return controllerState.withLock { st in
            if let rec = st.templates[key], rec.template == template { return rec.hash }
            let hash = known ?? (st.templates[key] == nil ? (adoptable ?? Self.templateHash(d)) : Self.templateHash(d))
            st.templates[key] = (template, hash)
            return hash
        }
    }

    func stepDeployment(_ d: JSON, deployments: ResourceType, pods: ResourceType) {
        let ns = d[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = d[path: "metadata", "name"]?.stringValue ?? ""
        let want = Self.desiredReplicas(d)
        var owned = ownedPods(d, pods: pods)
        let hash = currentTemplateHash(d, owned: owned)
        func podHash(_ p: StoredObject) -> String { p.object[path: "metadata", "labels", "pod-template-hash"]?.stringValue ?? "" }
        let rsName = "\(name)-\(hash)"
        let fresh = owned.filter { podHash($0) == hash }
        let old = owned.filter { podHash($0) != hash }
        func scaled(_ rs: String, _ from: Int, _ to: Int) {
            recordEvent(
                EventSpec(
                    regarding: d, reason: "ScalingReplicaSet", message: "Scaled \(to > from ? "up" : "down") replica set \(rs) from \(from) to \(to)",
                    component: "deployment-controller", action: "Scaled"))
        }
        if fresh.count < want {
            for _ in fresh.count..<want {
                let pod = newPod(d, hash: hash)
                _ = try? store.create(pods, namespace: ns, name: pod[path: "metadata", "name"]?.stringValue ?? "", object: pod, dryRun: false)
            }
            scaled(rsName, fresh.count, want)
        } else if fresh.count > want {
            // The newest go first, as a ReplicaSet scales down.
            for v in fresh.sorted(by: { $0.rv > $1.rv }).prefix(fresh.count - want) {
                _ = try? store.delete(pods, namespace: ns, name: v.object[path: "metadata", "name"]?.stringValue ?? "", expectedRV: nil, dryRun: false)
            }
            scaled(rsName, fresh.count, want)
        }
        // A rollout: the old template's pods go once the new ones all run.
        let freshRunning = fresh.filter { $0.object[path: "status", "phase"]?.stringValue == "Running" }.count
        if !old.isEmpty, freshRunning >= want {
            for (oldHash, group) in Dictionary(grouping: old, by: podHash).sorted(by: { $0.key < $1.key }) {
                for v in group {
                    _ = try? store.delete(pods, namespace: ns, name: v.object[path: "metadata", "name"]?.stringValue ?? "", expectedRV: nil, dryRun: false)
                }
                scaled("\(name)-\(oldHash)", group.count, 0)
            }
        }
        owned = ownedPods(d, pods: pods)
        syncReplicaSets(d, current: hash, pods: owned)
        let ready = owned.filter { $0.object[path: "status", "phase"]?.stringValue == "Running" }.count
        let updated = owned.filter { podHash($0) == hash }.count
        let total = owned.count
        _ = try? store.update(deployments, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
            Self.deploymentStatus(cur, total: total, ready: ready, updated: updated, rsName: rsName)
        }
    }

    static func firstContainer(_ pod: JSON) -> String {
        pod[path: "spec", "containers"]?.arrayValue?.first?["name"]?.stringValue ?? "main"
    }

    /// maxUnavailable of a RollingUpdate strategy, resolved against `want` (percent rounds down).
    static func maxUnavailable(_ d: JSON, want: Int) -> Int {
        guard d[path: "spec", "strategy", "type"]?.stringValue != "Recreate" else { return want }
        let v = d[path: "spec", "strategy", "rollingUpdate", "maxUnavailable"] ?? "25%"
        if let s = v.stringValue, s.hasSuffix("%"), let p = Int(s.dropLast()) {
            return min(max(p, 0), 100) * want / 100
        }
        return Int(min(max(v.intValue ?? 0, 0), Int64(want)))
    }

    static func deploymentStatus(_ cur: JSON, total: Int, ready: Int, updated: Int, rsName: String) -> JSON {
        let want = desiredReplicas(cur)
        let now = KubeTime.format(Date())
        let old = cur["status"] ?? .emptyObject
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSON {
            let prev = old["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
            let transition = prev?["status"]?.stringValue == status ? (prev?["lastTransitionTime"] ?? .string(now)) : .string(now)
            let update =
                prev?["reason"]?.stringValue == reason && prev?["status"]?.stringValue == status ? (prev?["lastUpdateTime"] ?? .string(now)) : .string(now)
            return [
                "type": .string(type), "status": .string(status), "lastUpdateTime": update, "lastTransitionTime": transition,
                "reason": .string(reason), "message": .string(message),
            ]
        }
        let available = ready >= want - maxUnavailable(cur, want: want)
        let done = total == want && ready == want && updated == want
        var st = JSONObject()
        st["observedGeneration"] = cur[path: "metadata", "generation"] ?? 1
        if total > 0 { st["replicas"] = .int(total) }
        if updated > 0 { st["updatedReplicas"] = .int(updated) }
        if ready > 0 { st["readyReplicas"] = .int(ready) }
        if ready > 0 { st["availableReplicas"] = .int(ready) }
        if total - ready > 0 { st["unavailableReplicas"] = .int(total - ready) }
        st["conditions"] = [
            available
                ? condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
                : condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
            done
                ? condition("Progressing", "True", "NewReplicaSetAvailable", "ReplicaSet \"\(rsName)\" has successfully progressed.")
                : condition("Progressing", "True", "ReplicaSetUpdated", "ReplicaSet \"\(rsName)\" is progressing."),
        ]
        var out = cur
        out["status"] = .object(st)
        return out
    }

    func newPod(_ d: JSON, hash: String) -> JSON {
        let ns = d[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = d[path: "metadata", "name"]?.stringValue ?? ""
        let podName = String("\(name)-\(hash)".prefix(57)) + "-" + APIHandler.randomSuffix()
        var meta = d[path: "spec", "template", "metadata"]?.objectValue ?? JSONObject()
        var labels = meta["labels"]?.objectValue ?? JSONObject()
        labels["pod-template-hash"] = .string(hash)
        meta["labels"] = .object(labels)
        meta["name"] = .string(podName)
        meta["generateName"] = .string("\(name)-\(hash)-")
        meta["namespace"] = .string(ns)
        meta["creationTimestamp"] = nil
        meta["ownerReferences"] = [
            [
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string("\(name)-\(hash)"),
                "uid": .string(Self.stableUID("\(ns)/\(name)-\(hash)")), "controller": true, "blockOwnerDeletion": true,
            ]
        ]
        // Unscheduled: the simulated scheduler and kubelet take it from here.
        let spec = d[path: "spec", "template", "spec"] ?? .emptyObject
        let pod: JSON = ["apiVersion": "v1", "kind": "Pod", "metadata": .object(meta), "spec": spec]
        guard let pods = registry.find(group: "", resource: "pods") else { return pod }
        return Writes.fillNewMetadata(pod, t: pods, now: Date(), namespace: ns)
    }

    static func stableUID(_ key: String) -> String {
        var h: UInt64 = 14_695_981_039_346_656_037
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 1_099_511_628_211
        }
        let hex = String(h, radix: 16).leftPadded(16)
        let a = Array(hex)
        return "\(String(a[0..<8]))-\(String(a[8..<12]))-4\(String(a[12..<15]))-8\(String(a[13..<16]))-\(hex.prefix(12))"
    }

    static func runningPod(_ cur: JSON, hostIP: String) -> JSON {
        var o = cur
        let now = KubeTime.format(Date())
        let name = o[path: "metadata", "name"]?.stringValue ?? ""
        var h: UInt32 = 2_166_136_261
        for b in name.utf8 {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        let ip = "10.244.\(Int((h >> 8) & 0xFF)).\(Int(h & 0xFF) | 2)"
        let containers = o[path: "spec", "containers"]?.arrayValue ?? []
        let statuses: [JSON] = containers.map { c in
            [
                "name": c["name"] ?? "", "state": ["running": ["startedAt": .string(now)]], "lastState": .emptyObject, "ready": true,
                "restartCount": 0, "image": c["image"] ?? "", "imageID": "", "started": true,
            ]
        }
        func cond(_ t: String) -> JSON { ["type": .string(t), "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(now)] }
        o["status"] = [
            "phase": "Running", "conditions": [cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
            "hostIP": .string(hostIP), "hostIPs": [["ip": .string(hostIP)]], "podIP": .string(ip), "podIPs": [["ip": .string(ip)]], "startTime": .string(now),
            "containerStatuses": .array(statuses), "qosClass": "Burstable",
        ]
        return o
    }

    // MARK: Scheduler and kubelet

    /// Every pending pod (a Deployment's or a bare one from `kubectl run`) is scheduled to a
    /// simulated node, and a pass later runs and is ready, with the events a cluster records.
    func reconcileKubelet() -> Bool {
        guard let pods = registry.find(group: "", resource: "pods") else { return false }
        var more = false
        let workers = workerNodes
        // Read before the store's lock is taken for the update (the lock is not re-entrant).
        var addresses: [String: String] = [:]
        for n in store.all(TypeRegistry.nodeType) {
            if let name = n.object[path: "metadata", "name"]?.stringValue { addresses[name] = nodeAddress(name) }
        }
        for p in store.all(pods) {
            let phase = p.object[path: "status", "phase"]?.stringValue
            guard phase == nil || phase == "Pending", p.object[path: "metadata", "deletionTimestamp"] == nil else { continue }
            more = true
            let ns = p.object[path: "metadata", "namespace"]?.stringValue ?? ""
            let name = p.object[path: "metadata", "name"]?.stringValue ?? ""
            let scheduled = p.object[path: "spec", "nodeName"]?.stringValue.map { !$0.isEmpty } ?? false
            guard
                let (stored, _) = try? store.update(
                    pods, namespace: ns, name: name, expectedRV: nil, dryRun: false,
                    transform: { (cur) throws(APIError) -> JSON in
                        if scheduled {
                            let node = cur[path: "spec", "nodeName"]?.stringValue ?? ""
                            return Self.runningPod(cur, hostIP: addresses[node] ?? SimNodes.ip(node))
                        }
                        return Self.scheduledPod(cur, node: SimNodes.place(pod: name, on: workers))
                    })
            else { continue }
            if scheduled {
                recordEvent(
                    EventSpec(
                        regarding: stored.object, reason: "Started", message: "Started container \(Self.firstContainer(stored.object))",
                        component: "kubelet", action: "Started"))
            } else {
                recordEvent(
                    EventSpec(
                        regarding: stored.object, reason: "Scheduled",
                        message: "Successfully assigned \(ns)/\(name) to \(stored.object[path: "spec", "nodeName"]?.stringValue ?? "")",
                        component: "default-scheduler", action: "Binding"))
            }
        }
        return more
    }

    static func scheduledPod(_ cur: JSON, node: String) -> JSON {
        var o = setPath(cur, ["spec", "nodeName"], .string(node))
        o["status"] = [
            "phase": "Pending",
            "conditions": [["type": "PodScheduled", "status": "True", "lastProbeTime": .null, "lastTransitionTime": .string(KubeTime.format(Date()))]],
            "qosClass": "BestEffort",
        ]
        return o
    }

    // MARK: Namespaces

    /// Empties every Terminating namespace (the namespace controller's job), then removes it
    /// once nothing is left, as the `kubernetes` finalizer's removal would.
    func reconcileNamespaces() -> Bool {
        guard let nsType = registry.find(group: "", resource: "namespaces") else { return false }
        var more = false
        for so in store.all(nsType) where so.object[path: "metadata", "deletionTimestamp"] != nil {
            let name = so.object[path: "metadata", "name"]?.stringValue ?? ""
            more = true
            var left = 0
            for other in registry.types where other.namespaced {
                for o in store.all(other) where o.object[path: "metadata", "namespace"]?.stringValue == name {
                    left += 1
                    _ = try? store.delete(other, namespace: name, name: o.object[path: "metadata", "name"]?.stringValue ?? "", expectedRV: nil, dryRun: false)
                }
            }
            if left == 0 {
                _ = try? store.delete(nsType, namespace: "", name: name, expectedRV: nil, dryRun: false)
            }
        }
        return more
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// What the deployment controller remembers between passes (kube-controller-manager keeps it
/// in ReplicaSets, which the simulator does not serve).
struct ControllerState {
    /// Per "namespace/name": the template its current pods were made from, and their hash.
    var templates: [String: (template: JSON, hash: String)] = [:]
    /// ReplicaSets the garbage collector deleted: their pods go next.
    var collectedReplicaSets: Set<String> = []
    /// When Events were last pruned (Events.swift).
    var lastEventPrune = Date.distantPast
}

extension LabelSelector {
    init(requirements: [Requirement]) {
        self.requirements = requirements
    }
}
