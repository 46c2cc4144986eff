import Foundation
import KubeCore

// ReplicaSets (apps/v1), as the deployment controller keeps them: one per pod template a
// Deployment has had, the current one scaled to the Deployment's replicas and the older ones
// to 0, each owning its pods. `kubectl get all` lists them, `kubectl describe deployment` finds
// its NewReplicaSet/OldReplicaSets through them, and the garbage collector deletes the pods
// and replica sets whose owner is gone (`kubectl delete deployment` takes its pods).

extension TypeRegistry {
    static let replicaSetType = ResourceType(
        group: "apps", versions: ["v1"], storageVersion: "v1", resource: "replicasets", singular: "replicaset",
        kind: "ReplicaSet", namespaced: true, shortNames: ["rs"], categories: ["all"], subresources: ["status"])
}

extension Tables {
    static func replicaSetColumns() -> [Column] {
        [
            nameColumn(),
            Column(name: "Desired", type: "integer", description: "Number of desired pods.", cell: { o, _ in o[path: "spec", "replicas"] ?? 1 }),
            Column(name: "Current", type: "integer", description: "Number of actual replicas.", cell: { o, _ in o[path: "status", "replicas"] ?? 0 }),
            Column(name: "Ready", type: "integer", description: "Number of ready replicas.", cell: { o, _ in o[path: "status", "readyReplicas"] ?? 0 }),
            ageColumn(),
            Column(
                name: "Containers", type: "string", description: "Names of each container in the template.", priority: 1,
                cell: { o, _ in
                    .string((o[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.joined(separator: ","))
                }),
            Column(
                name: "Images", type: "string", description: "Images referenced by each container in the template.", priority: 1,
                cell: { o, _ in
                    .string(
                        (o[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []).compactMap { $0["image"]?.stringValue }.joined(separator: ","))
                }),
            Column(
                name: "Selector", type: "string", description: "The label selector.", priority: 1,
                cell: { o, _ in
                    .string(
                        o[path: "spec", "selector", "matchLabels"]?.objectValue?.entries.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(
                            separator: ",")
                            ?? "<none>")
                }),
        ]
    }
}

extension Simulator {
    /// The ReplicaSet a Deployment's pods with `hash` belong to, as the controller writes it.
    /// `uid` is the one its pods name as owner.
    static func replicaSet(for d: JSON, hash: String, uid: String, replicas: Int, revision: Int, pods: [StoredObject], now: Date) -> JSON {
        let ns = d[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = d[path: "metadata", "name"]?.stringValue ?? ""
        var template = d[path: "spec", "template"] ?? .emptyObject
        var labels = template[path: "metadata", "labels"]?.objectValue ?? JSONObject()
        labels["pod-template-hash"] = .string(hash)
        template = setPath(template, ["metadata", "labels"], .object(labels))
        var selector = d[path: "spec", "selector"] ?? .emptyObject
        var match = selector["matchLabels"]?.objectValue ?? JSONObject()
        match["pod-template-hash"] = .string(hash)
        selector["matchLabels"] = .object(match)
        let ready = pods.filter { $0.object[path: "status", "phase"]?.stringValue == "Running" }.count
        var status = JSONObject()
        status["replicas"] = .int(pods.count)
        status["observedGeneration"] = 1
        if pods.count > 0 { status["fullyLabeledReplicas"] = .int(pods.count) }
        if ready > 0 {
            status["readyReplicas"] = .int(ready)
            status["availableReplicas"] = .int(ready)
        }
        let want = desiredReplicas(d)
        return [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string(String("\(name)-\(hash)".prefix(253))), "namespace": .string(ns), "uid": .string(uid),
                "creationTimestamp": .string(KubeTime.format(now)), "generation": 1, "labels": .object(labels),
                "annotations": [
                    "deployment.kubernetes.io/desired-replicas": .string(String(want)),
                    "deployment.kubernetes.io/max-replicas": .string(String(want + max(1, want / 4))),
                    "deployment.kubernetes.io/revision": .string(String(revision)),
                ],
                "ownerReferences": [
                    [
                        "apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name),
                        "uid": d[path: "metadata", "uid"] ?? "", "controller": true, "blockOwnerDeletion": true,
                    ]
                ],
            ],
            "spec": ["replicas": .int(replicas), "selector": selector, "template": template],
            "status": .object(status),
        ]
    }

    /// Creates or updates the ReplicaSets of `d`: `current` at the Deployment's replicas, every
    /// other hash its pods carry (or an existing ReplicaSet has) at 0.
    func syncReplicaSets(_ d: JSON, current: String, pods: [StoredObject]) {
        guard let rsType = registry.find(group: "apps", resource: "replicasets") else { return }
        let ns = d[path: "metadata", "namespace"]?.stringValue ?? ""
        let name = d[path: "metadata", "name"]?.stringValue ?? ""
        let uid = d[path: "metadata", "uid"]?.stringValue ?? ""
        let existing = store.all(rsType).filter {
            $0.object[path: "metadata", "namespace"]?.stringValue == ns
                && ($0.object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).contains { $0["uid"]?.stringValue == uid }
        }
        func hashOf(_ o: JSON) -> String? { o[path: "metadata", "labels", "pod-template-hash"]?.stringValue }
        var hashes = Set(existing.compactMap { hashOf($0.object) })
        for p in pods { if let h = hashOf(p.object) { hashes.insert(h) } }
        hashes.insert(current)
        let revisions = existing.compactMap { Int($0.object[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue ?? "") }
        let currentExisting = existing.first { hashOf($0.object) == current }
        for h in hashes.sorted() {
            let mine = pods.filter { hashOf($0.object) == h }
            let have = existing.first { hashOf($0.object) == h }
            let podUID = mine.first?.object[path: "metadata", "ownerReferences"]?[0]?["uid"]?.stringValue
            let rsUID = have?.object[path: "metadata", "uid"]?.stringValue ?? podUID ?? Self.stableUID("\(ns)/\(name)-\(h)")
            // The current ReplicaSet has the highest revision; one made current again (rollout
            // undo) gets the next number, as kube-controller-manager gives it.
            let others = existing.filter { hashOf($0.object) != current }.compactMap {
                Int($0.object[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue ?? "")
            }
            var revision =
                Int(have?.object[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue ?? "")
                ?? (h == current && currentExisting == nil ? (revisions.max() ?? 0) + 1 : 1)
            if h == current, let top = others.max(), revision <= top { revision = top + 1 }
            let replicas = h == current ? Self.desiredReplicas(d) : 0
            var rs = Self.replicaSet(for: d, hash: h, uid: rsUID, replicas: replicas, revision: revision, pods: mine, now: Date())
            let rsName = rs[path: "metadata", "name"]?.stringValue ?? ""
            if let have {
                // Keep what a previous pass wrote for the template: an old replica set keeps its own.
                if h != current { rs = setPath(rs, ["spec", "template"], have.object[path: "spec", "template"] ?? .null) }
                _ = try? store.update(rsType, namespace: ns, name: rsName, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
                    var next = rs
                    next = setPath(next, ["metadata", "creationTimestamp"], cur[path: "metadata", "creationTimestamp"] ?? .null)
                    next = setPath(next, ["metadata", "resourceVersion"], cur[path: "metadata", "resourceVersion"] ?? .null)
                    return next
                }
            } else if h == current || !mine.isEmpty {
                _ = try? store.create(rsType, namespace: ns, name: rsName, object: rs, dryRun: false)
            }
        }
        if let rev = revisionOf(current: current, ns: ns, rsType: rsType, uid: uid), let deployments = registry.find(group: "apps", resource: "deployments") {
            _ = try? store.update(deployments, namespace: ns, name: name, expectedRV: nil, dryRun: false) { (cur) throws(APIError) -> JSON in
                setPath(cur, ["metadata", "annotations", "deployment.kubernetes.io/revision"], .string(rev))
            }
        }
    }

    private func revisionOf(current: String, ns: String, rsType: ResourceType, uid: String) -> String? {
        store.all(rsType).first {
            $0.object[path: "metadata", "namespace"]?.stringValue == ns && $0.object[path: "metadata", "labels", "pod-template-hash"]?.stringValue == current
                && ($0.object[path: "metadata", "ownerReferences"]?.arrayValue ?? []).contains { $0["uid"]?.stringValue == uid }
        }?.object[path: "metadata", "annotations", "deployment.kubernetes.io/revision"]?.stringValue
    }

    /// The garbage collector's part: ReplicaSets whose Deployment is gone, and pods whose
    /// ReplicaSet is gone, are deleted (background propagation, as kubectl delete asks).
    func collectGarbage() -> Bool {
        guard let rsType = registry.find(group: "apps", resource: "replicasets"),
            let deployments = registry.find(group: "apps", resource: "deployments"),
            let pods = registry.find(group: "", resource: "pods")
        else { return false }
        var deleted = false
        func owner(_ o: JSON, kind: String) -> String? {
            (o[path: "metadata", "ownerReferences"]?.arrayValue ?? []).first { $0["kind"]?.stringValue == kind && $0["controller"]?.boolValue == true }?["uid"]?
                .stringValue
        }
        let deploymentUIDs = Set(store.all(deployments).compactMap { $0.object[path: "metadata", "uid"]?.stringValue })
        for rs in store.all(rsType) {
            guard let u = owner(rs.object, kind: "Deployment"), !deploymentUIDs.contains(u) else { continue }
            if let uid = rs.object[path: "metadata", "uid"]?.stringValue { controllerState.withLock { _ = $0.collectedReplicaSets.insert(uid) } }
            _ = try? store.delete(
                rsType, namespace: rs.object[path: "metadata", "namespace"]?.stringValue ?? "", name: rs.object[path: "metadata", "name"]?.stringValue ?? "",
                expectedRV: nil, dryRun: false)
            deleted = true
        }
        // Pods go with a ReplicaSet this collector deleted (not with one that never existed:
        // a scenario pod may name a ReplicaSet the simulator never had).
        let gone = controllerState.withLock { $0.collectedReplicaSets }
        guard !gone.isEmpty else { return deleted }
        for p in store.all(pods) {
            guard let u = owner(p.object, kind: "ReplicaSet"), gone.contains(u) else { continue }
            _ = try? store.delete(
                pods, namespace: p.object[path: "metadata", "namespace"]?.stringValue ?? "", name: p.object[path: "metadata", "name"]?.stringValue ?? "",
                expectedRV: nil, dryRun: false)
            deleted = true
        }
        return deleted
    }

    /// At start (scenario seeding), each Deployment gets the ReplicaSet its pods name as owner,
    /// loaded like the scenario's own objects (no events): a freshly started cluster has them.
    func seedReplicaSets() {
        guard let rsType = registry.find(group: "apps", resource: "replicasets"),
            let deployments = registry.find(group: "apps", resource: "deployments"),
            let podType = registry.find(group: "", resource: "pods")
        else { return }
        // Pods grouped by namespace once: a generated cluster has thousands of deployments.
        var podsByNamespace: [String: [StoredObject]] = [:]
        for p in store.all(podType) { podsByNamespace[p.object[path: "metadata", "namespace"]?.stringValue ?? "", default: []].append(p) }
        for so in store.all(deployments) {
            let d = so.object
            let ns = d[path: "metadata", "namespace"]?.stringValue ?? ""
            let prefix = (d[path: "metadata", "name"]?.stringValue ?? "") + "-"
            let match = d[path: "spec", "selector", "matchLabels"]?.objectValue
            guard let match, match.count > 0 else { continue }
            let owned = (podsByNamespace[ns] ?? []).filter { p in
                guard (p.object[path: "metadata", "name"]?.stringValue ?? "").hasPrefix(prefix) else { return false }
                let labels = p.object[path: "metadata", "labels"]?.objectValue
                return match.allSatisfy { labels?[$0.key]?.stringValue == $0.value.stringValue }
            }
            guard let hash = owned.first?.object[path: "metadata", "labels", "pod-template-hash"]?.stringValue else { continue }
            let uid = owned.first?.object[path: "metadata", "ownerReferences"]?[0]?["uid"]?.stringValue ?? Self.stableUID("\(hash)")
            var rs = Self.replicaSet(for: d, hash: hash, uid: uid, replicas: Self.desiredReplicas(d), revision: 1, pods: owned, now: startedAt)
            rs = setPath(rs, ["metadata", "creationTimestamp"], d[path: "metadata", "creationTimestamp"] ?? .null)
            store.load(
                rsType, namespace: d[path: "metadata", "namespace"]?.stringValue ?? "", name: rs[path: "metadata", "name"]?.stringValue ?? "",
                object: rs)
        }
    }
}
