import KubeCore

// Built-in types a playground needs beside the mesh's own: ConfigMaps (`kubectl create
// configmap`), Events in both APIs (`kubectl get events`, `kubectl describe`), and the
// Deployment subresources kubectl scale and rollout use.

extension TypeRegistry {
    /// Core v1 types added after endpoints, in the real server's discovery order.
    static let playgroundCoreTypes: [ResourceType] = [
        ResourceType(
            group: "", versions: ["v1"], storageVersion: "v1", resource: "configmaps", singular: "configmap",
            kind: "ConfigMap", namespaced: true, shortNames: ["cm"]),
        ResourceType(
            group: "", versions: ["v1"], storageVersion: "v1", resource: "events", singular: "event",
            kind: "Event", namespaced: true, shortNames: ["ev"]),
    ]

    /// events.k8s.io/v1: the newer Event API. kube-apiserver serves both APIs from one storage;
    /// the simulator keeps a twin object per event under the same name (docs/simulator.md).
    static let eventsGroupType = ResourceType(
        group: "events.k8s.io", versions: ["v1"], storageVersion: "v1", resource: "events", singular: "event",
        kind: "Event", namespaced: true, shortNames: ["ev"])
}

extension Tables {
    /// Column sets of the types above (what kube-apiserver's printers return).
    static func playgroundColumns(for t: ResourceType) -> [Column]? {
        switch (t.group, t.resource) {
        case ("apps", "replicasets"):
            return replicaSetColumns()
        case ("", "configmaps"):
            return [
                nameColumn(),
                Column(
                    name: "Data", type: "string", description: "Number of data items",
                    cell: { o, _ in
                        .int((o["data"]?.objectValue?.count ?? 0) + (o["binaryData"]?.objectValue?.count ?? 0))
                    }),
                ageColumn(),
            ]
        case ("", "events"), ("events.k8s.io", "events"):
            let core = t.group.isEmpty
            func ref(_ o: JSON) -> JSON? { core ? o["involvedObject"] : o["regarding"] }
            return [
                Column(
                    name: "Last Seen", type: "string", description: "Time since the event was last seen",
                    cell: { o, now in
                        let ts =
                            (core ? o["lastTimestamp"]?.stringValue : o[path: "series", "lastObservedTime"]?.stringValue)
                            ?? o["eventTime"]?.stringValue ?? o[path: "metadata", "creationTimestamp"]?.stringValue
                        guard let ts, let d = KubeTime.parse(ts) else { return "<unknown>" }
                        return .string(humanDuration(now.timeIntervalSince(d)))
                    }),
                Column(name: "Type", type: "string", description: "Type of the event", cell: { o, _ in o["type"] ?? "Normal" }),
                Column(name: "Reason", type: "string", description: "Why the action was taken", cell: { o, _ in o["reason"] ?? "" }),
                Column(
                    name: "Object", type: "string", description: "The object the event is about",
                    cell: { o, _ in
                        let kind = (ref(o)?["kind"]?.stringValue ?? "").lowercased()
                        return .string("\(kind)/\(ref(o)?["name"]?.stringValue ?? "")")
                    }),
                Column(name: "Subobject", type: "string", description: "Field of the object", priority: 1, cell: { o, _ in ref(o)?["fieldPath"] ?? "" }),
                Column(
                    name: "Source", type: "string", description: "The component reporting the event", priority: 1,
                    cell: { o, _ in
                        core ? (o[path: "source", "component"] ?? o["reportingComponent"] ?? "") : (o["reportingController"] ?? "")
                    }),
                Column(name: "Message", type: "string", description: "A human-readable description", cell: { o, _ in o[core ? "message" : "note"] ?? "" }),
                Column(
                    name: "First Seen", type: "string", description: "Time since the event was first seen", priority: 1,
                    cell: { o, now in
                        guard let ts = (core ? o["firstTimestamp"] : o["deprecatedFirstTimestamp"])?.stringValue ?? o["eventTime"]?.stringValue,
                            let d = KubeTime.parse(ts)
                        else { return "<unknown>" }
                        return .string(humanDuration(now.timeIntervalSince(d)))
                    }),
                Column(
                    name: "Count", type: "string", description: "How many times the event happened", priority: 1,
                    cell: { o, _ in .string(String((core ? o["count"] : o[path: "series", "count"])?.intValue ?? 1)) }),
                Column(
                    name: "Name", type: "string", format: "name", description: "The event's name", priority: 1,
                    cell: { o, _ in o[path: "metadata", "name"] ?? "" }),
            ]
        default:
            return nil
        }
    }
}
