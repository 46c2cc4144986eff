import Foundation
import KubeCore
import SMI

/// Server-side printing: the `Table` kubectl asks for on every human-readable get, with the
/// real server's column sets (a plain list would lose TYPE, CLUSTER-IP, READY…).
enum Tables {
    struct Column {
        var name: String
        var type: String
        var format: String = ""
        var description: String
        var priority = 0
        var cell: (JSON, Date) -> JSON
    }

    static func age(_ obj: JSON, _ now: Date) -> JSON {
        guard let ts = obj[path: "metadata", "creationTimestamp"]?.stringValue, let d = KubeTime.parse(ts) else {
            return "<unknown>"
        }
        return .string(humanDuration(now.timeIntervalSince(d)))
    }

    static func nameColumn() -> Column {
        Column(
            name: "Name", type: "string", format: "name",
            description:
                "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
            cell: { o, _ in o[path: "metadata", "name"] ?? "" })
    }

    static func ageColumn() -> Column {
        Column(
            name: "Age", type: "string",
            description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
            cell: age)
    }

    static func columns(for t: ResourceType, version: String) -> [Column] {
        if let cols = playgroundColumns(for: t) ?? nodeColumns(for: t) { return cols }
        switch (t.group, t.resource) {
        case ("", "namespaces"):
            return [
                nameColumn(),
                Column(name: "Status", type: "string", description: "The status of the namespace", cell: { o, _ in o[path: "status", "phase"] ?? "Active" }),
                ageColumn(),
            ]
        case ("", "services"):
            return [
                nameColumn(),
                Column(name: "Type", type: "string", description: "The type of the service", cell: { o, _ in o[path: "spec", "type"] ?? "ClusterIP" }),
                Column(
                    name: "Cluster-IP", type: "string", description: "The cluster IP of the service", cell: { o, _ in o[path: "spec", "clusterIP"] ?? "<none>" }
                ),
                Column(
                    name: "External-IP", type: "string", description: "The external IP of the service",
                    cell: { o, _ in
                        let ips = o[path: "spec", "externalIPs"]?.arrayValue?.compactMap(\.stringValue) ?? []
                        return .string(ips.isEmpty ? "<none>" : ips.joined(separator: ","))
                    }),
                Column(
                    name: "Port(s)", type: "string", description: "The ports of the service",
                    cell: { o, _ in
                        let ports = o[path: "spec", "ports"]?.arrayValue ?? []
                        let s = ports.map { p -> String in
                            let port = p["port"]?.intValue.map(String.init) ?? "?"
                            let proto = p["protocol"]?.stringValue ?? "TCP"
                            if let np = p["nodePort"]?.intValue { return "\(port):\(np)/\(proto)" }
                            return "\(port)/\(proto)"
                        }
                        return .string(s.isEmpty ? "<none>" : s.joined(separator: ","))
                    }),
                ageColumn(),
                Column(
                    name: "Selector", type: "string", description: "The selector of the service", priority: 1,
                    cell: { o, _ in
                        let sel = o[path: "spec", "selector"]?.objectValue
                        let s = sel?.entries.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ",") ?? ""
                        return .string(s.isEmpty ? "<none>" : s)
                    }),
            ]
        case ("", "pods"):
            return [
                nameColumn(),
                Column(
                    name: "Ready", type: "string", description: "The aggregate readiness state of this pod for accepting traffic.",
                    cell: { o, _ in
                        let total = o[path: "spec", "containers"]?.arrayValue?.count ?? 0
                        let ready = o[path: "status", "containerStatuses"]?.arrayValue?.filter { $0["ready"]?.boolValue == true }.count ?? 0
                        return .string("\(ready)/\(total)")
                    }),
                Column(
                    name: "Status", type: "string", description: "The aggregate status of the containers in this pod.",
                    cell: { o, _ in o[path: "status", "phase"] ?? "Pending" }),
                Column(
                    name: "Restarts", type: "string",
                    description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
                    cell: { o, _ in
                        let n = o[path: "status", "containerStatuses"]?.arrayValue?.compactMap { $0["restartCount"]?.intValue }.reduce(0, +) ?? 0
                        return .string(String(n))
                    }),
                ageColumn(),
                Column(
                    name: "IP", type: "string", description: "The IP address assigned to the pod", priority: 1,
                    cell: { o, _ in o[path: "status", "podIP"] ?? "<none>" }),
                Column(
                    name: "Node", type: "string", description: "The name of the node where the pod is running", priority: 1,
                    cell: { o, _ in o[path: "spec", "nodeName"] ?? "<none>" }),
            ]
        case ("", "endpoints"):
            return [
                nameColumn(),
                Column(
                    name: "Endpoints", type: "string", description: "The endpoints of the service",
                    cell: { o, _ in
                        var out: [String] = []
                        for subset in o["subsets"]?.arrayValue ?? [] {
                            let ports = subset["ports"]?.arrayValue?.compactMap { $0["port"]?.intValue } ?? []
                            for a in subset["addresses"]?.arrayValue ?? [] {
                                let ip = a["ip"]?.stringValue ?? ""
                                if ports.isEmpty { out.append(ip) } else { out.append(contentsOf: ports.map { "\(ip):\($0)" }) }
                            }
                        }
                        if out.count > 3 { return .string(out.prefix(3).joined(separator: ",") + " + \(out.count - 3) more...") }
                        return .string(out.isEmpty ? "<none>" : out.joined(separator: ","))
                    }),
                ageColumn(),
            ]
        case ("apps", "deployments"):
            return [
                nameColumn(),
                Column(
                    name: "Ready", type: "string", description: "Number of the pod with ready state",
                    cell: { o, _ in
                        let want = o[path: "spec", "replicas"]?.intValue ?? 1
                        let ready = o[path: "status", "readyReplicas"]?.intValue ?? 0
                        return .string("\(ready)/\(want)")
                    }),
                Column(
                    name: "Up-to-date", type: "number",
                    description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
                    cell: { o, _ in
                        o[path: "status", "updatedReplicas"] ?? 0
                    }),
                Column(
                    name: "Available", type: "number",
                    description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
                    cell: { o, _ in
                        o[path: "status", "availableReplicas"] ?? 0
                    }),
                ageColumn(),
                Column(
                    name: "Containers", type: "string", description: "Names of each container in the template.", priority: 1,
                    cell: { o, _ in
                        .string(
                            (o[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.joined(separator: ","))
                    }),
                Column(
                    name: "Images", type: "string", description: "Images referenced by each container in the template.", priority: 1,
                    cell: { o, _ in
                        .string(
                            (o[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []).compactMap { $0["image"]?.stringValue }.joined(separator: ",")
                        )
                    }),
                Column(
                    name: "Selector", type: "string", description: "The label selector for the deployment", priority: 1,
                    cell: { o, _ in
                        let sel = o[path: "spec", "selector", "matchLabels"]?.objectValue
                        return .string(sel?.entries.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ",") ?? "<none>")
                    }),
            ]
        case ("apiextensions.k8s.io", "customresourcedefinitions"):
            return [
                nameColumn(),
                Column(
                    name: "Created At", type: "date", description: "CreationTimestamp of the resource",
                    cell: { o, _ in
                        o[path: "metadata", "creationTimestamp"] ?? ""
                    }),
            ]
        default:
            // The apiextensions server's table: Name and the CRD's printer columns, or Name and
            // Age when it declares none; `date` columns print as ages, as upstream converts them.
            var cols = [nameColumn()]
            let declared = t.printerColumns[version] ?? []
            for pc in declared {
                let path = pc["jsonPath"]?.stringValue ?? ""
                let type = pc["type"]?.stringValue ?? "string"
                cols.append(
                    Column(
                        name: pc["name"]?.stringValue ?? "", type: type,
                        description: pc["description"]?.stringValue ?? "", priority: Int(pc["priority"]?.intValue ?? 0),
                        cell: { o, now in
                            let v = jsonPathValue(o, path) ?? .null
                            guard type == "date", let ts = v.stringValue, let d = KubeTime.parse(ts) else { return v }
                            return .string(humanDuration(now.timeIntervalSince(d)))
                        }))
            }
            if declared.isEmpty { cols.append(ageColumn()) }
            return cols
        }
    }

    /// The simple `.a.b.c` JSONPath subset that additionalPrinterColumns use.
    static func jsonPathValue(_ o: JSON, _ path: String) -> JSON? {
        var cur: JSON? = o
        for part in path.split(separator: ".") { cur = cur?[String(part)] }
        switch cur {
        case .object, .array: return cur.map { .string($0.compactString) }
        default: return cur
        }
    }

    static func partialMetadata(_ obj: JSON) -> JSON {
        ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"] ?? .emptyObject]
    }

    static func table(
        for t: ResourceType, version: String, objects: [JSON], listRV: Int?, continueToken: String?, remaining: Int?, includeObject: String?
    ) -> JSON {
        let cols = columns(for: t, version: version)
        let now = Date()
        var defs: [JSON] = []
        for c in cols {
            defs.append([
                "name": .string(c.name), "type": .string(c.type), "format": .string(c.format),
                "description": .string(c.description), "priority": .int(c.priority),
            ])
        }
        var rows: [JSON] = []
        rows.reserveCapacity(objects.count)
        for o in objects {
            var row: JSON = ["cells": .array(cols.map { $0.cell(o, now) })]
            switch includeObject {
            case "None": break
            case "Object": row["object"] = o
            default: row["object"] = partialMetadata(o)
            }
            rows.append(row)
        }
        var meta = JSONObject()
        if let listRV { meta["resourceVersion"] = .string(String(listRV)) }
        if let continueToken { meta["continue"] = .string(continueToken) }
        if let remaining { meta["remainingItemCount"] = .int(remaining) }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(meta),
            "columnDefinitions": .array(defs), "rows": .array(rows),
        ]
    }

    /// k8s.io/apimachinery's HumanDuration, which `kubectl get` shows as AGE.
    static func humanDuration(_ d: TimeInterval) -> String {
        let seconds = Int(d)
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 60 * 2 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let s = seconds % 60
            return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        let years = hours / 24 / 365
        if years < 8 {
            let days = (hours / 24) % 365
            return days == 0 ? "\(years)y" : "\(years)y\(days)d"
        }
        return "\(years)y"
    }
}
