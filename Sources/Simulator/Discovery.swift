import KubeCore
import SMI

/// Discovery documents in both forms kubectl understands (../shared/kubectl.md §2): legacy
/// APIVersions/APIGroupList/APIResourceList, and aggregated APIGroupDiscoveryList (v2 and
/// v2beta1, chosen by the Accept header and echoed in the Content-Type).
struct Discovery {
    let registry: TypeRegistry
    let serverAddress: String

    static let metricsResources: [(name: String, namespaced: Bool)] = [
        ("deployments", true), ("pods", true), ("daemonsets", true), ("statefulsets", true), ("namespaces", false),
    ]

    /// Groups an aggregated API server (not the store) answers, read-only: the SMI metrics
    /// API, and metrics-server's resource metrics that `kubectl top` reads.
    struct ServedElsewhere {
        var group: String
        var version: String
        var resources: [(name: String, kind: String, namespaced: Bool)]
    }
    static let servedElsewhere: [ServedElsewhere] = [
        ServedElsewhere(
            group: TypeRegistry.metricsGroup, version: "v1alpha1", resources: metricsResources.map { ($0.name, "TrafficMetrics", $0.namespaced) }),
        ServedElsewhere(
            group: TypeRegistry.resourceMetricsGroup, version: "v1beta1",
            resources: [("nodes", "NodeMetrics", false), ("pods", "PodMetrics", true)]),
    ]

    var apiVersions: JSON {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    private func groupJSON(_ name: String, _ versions: [String]) -> JSON {
        let vs = versions.map { v -> JSON in ["groupVersion": .string("\(name)/\(v)"), "version": .string(v)] }
        return ["name": .string(name), "versions": .array(vs), "preferredVersion": vs[0]]
    }

    var apiGroupList: JSON {
        var groups = registry.groups.map { groupJSON($0.name, $0.versions) }
        for g in Self.servedElsewhere { groups.append(groupJSON(g.group, [g.version])) }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    func apiGroup(_ name: String) -> JSON? {
        if let e = Self.servedElsewhere.first(where: { $0.group == name }) {
            var g = groupJSON(name, [e.version])
            g["kind"] = "APIGroup"
            g["apiVersion"] = "v1"
            return g
        }
        guard let g = registry.groups.first(where: { $0.name == name }) else { return nil }
        var out: JSON = ["kind": "APIGroup", "apiVersion": "v1"]
        for (k, v) in groupJSON(g.name, g.versions).objectValue! { out[k] = v }
        return out
    }

    private func subresourceVerbs(_ sub: String) -> [String] {
        switch sub {
        case "log": return ["get"]
        case "proxy": return ["create", "delete", "get", "patch", "update"]
        case "finalize": return ["update"]
        default: return ["get", "patch", "update"]
        }
    }

    func resourceList(group: String, version: String) -> JSON? {
        let gv = group.isEmpty ? version : "\(group)/\(version)"
        var resources: [JSON] = []
        if let e = Self.servedElsewhere.first(where: { $0.group == group }) {
            guard version == e.version else { return nil }
            for r in e.resources {
                resources.append([
                    "name": .string(r.name), "singularName": "", "namespaced": .bool(r.namespaced), "kind": .string(r.kind),
                    "verbs": ["get", "list"],
                ])
            }
        } else {
            let types = registry.types.filter { $0.group == group && $0.versions.contains(version) }
            if types.isEmpty { return nil }
            for t in types {
                var r: JSON = [
                    "name": .string(t.resource), "singularName": .string(t.singular), "namespaced": .bool(t.namespaced),
                    "kind": .string(t.kind), "verbs": .array(t.verbs.map(JSON.string)),
                ]
                if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map(JSON.string)) }
                if !t.categories.isEmpty { r["categories"] = .array(t.categories.map(JSON.string)) }
                resources.append(r)
                for sub in t.subresources {
                    var entry: JSON = [
                        "name": .string("\(t.resource)/\(sub)"), "singularName": "", "namespaced": .bool(t.namespaced),
                        "kind": .string(sub == "scale" ? "Scale" : t.kind),
                        "verbs": .array(subresourceVerbs(sub).map(JSON.string)),
                    ]
                    // Scale is autoscaling/v1's kind; kubectl's scale client reads it from here.
                    if sub == "scale" {
                        entry["group"] = "autoscaling"
                        entry["version"] = "v1"
                    }
                    resources.append(entry)
                }
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(resources)]
    }

    // MARK: Aggregated

    enum AggregatedFormat: String {
        case v2, v2beta1
        var contentType: String { "application/json;g=apidiscovery.k8s.io;v=\(rawValue);as=APIGroupDiscoveryList" }
    }

    /// The first acceptable aggregated format in the client's preference order, if any.
    static func aggregatedFormat(accept: String?) -> AggregatedFormat? {
        guard let accept else { return nil }
        for part in accept.split(separator: ",") {
            let p = part.replacingOccurrences(of: " ", with: "")
            if p.contains("as=APIGroupDiscoveryList") && p.contains("g=apidiscovery.k8s.io") {
                if p.contains("v=v2beta1") { return .v2beta1 }
                if p.contains("v=v2") { return .v2 }
            } else if p.hasPrefix("application/json") || p.hasPrefix("*/*") {
                // The client prefers plain JSON over anything later in the list.
                return nil
            }
        }
        return nil
    }

    private func aggregatedResource(_ t: ResourceType) -> JSON {
        var r: JSON = [
            "resource": .string(t.resource),
            "responseKind": ["group": "", "version": "", "kind": .string(t.kind)],
            "scope": .string(t.namespaced ? "Namespaced" : "Cluster"),
            "singularResource": .string(t.singular),
            "verbs": .array(t.verbs.map(JSON.string)),
        ]
        if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map(JSON.string)) }
        if !t.categories.isEmpty { r["categories"] = .array(t.categories.map(JSON.string)) }
        if !t.subresources.isEmpty {
            r["subresources"] = .array(
                t.subresources.map { sub in
                    [
                        "subresource": .string(sub),
                        "responseKind": sub == "scale"
                            ? ["group": "autoscaling", "version": "v1", "kind": "Scale"] : ["group": "", "version": "", "kind": .string(t.kind)],
                        "verbs": .array(subresourceVerbs(sub).map(JSON.string)),
                    ]
                })
        }
        return r
    }

    func aggregated(core: Bool, format: AggregatedFormat) -> JSON {
        var items: [JSON] = []
        if core {
            let rs = registry.types.filter { $0.group.isEmpty }.map(aggregatedResource)
            items.append([
                "metadata": ["name": "", "creationTimestamp": nil],
                "versions": [["version": "v1", "resources": .array(rs), "freshness": "Current"]],
            ])
        } else {
            for g in registry.groups {
                let versions = g.versions.map { v -> JSON in
                    let rs = registry.types.filter { $0.group == g.name && $0.versions.contains(v) }.map(aggregatedResource)
                    return ["version": .string(v), "resources": .array(rs), "freshness": "Current"]
                }
                items.append(["metadata": ["name": .string(g.name), "creationTimestamp": nil], "versions": .array(versions)])
            }
            for e in Self.servedElsewhere {
                let resources = e.resources.map { r -> JSON in
                    [
                        "resource": .string(r.name),
                        "responseKind": ["group": "", "version": "", "kind": .string(r.kind)],
                        "scope": .string(r.namespaced ? "Namespaced" : "Cluster"),
                        "singularResource": "", "verbs": ["get", "list"],
                    ]
                }
                items.append([
                    "metadata": ["name": .string(e.group), "creationTimestamp": nil],
                    "versions": [["version": .string(e.version), "resources": .array(resources), "freshness": "Current"]],
                ])
            }
        }
        return [
            "kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(format.rawValue)"),
            "metadata": .emptyObject, "items": .array(items),
        ]
    }

    // MARK: OpenAPI

    static let openAPIV2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    /// Every group-version, as `/openapi/v3` lists them.
    var groupVersionPaths: [(path: String, group: String, version: String)] {
        var out: [(String, String, String)] = [("api/v1", "", "v1")]
        for g in registry.groups {
            for v in g.versions { out.append(("apis/\(g.name)/\(v)", g.name, v)) }
        }
        return out
    }

    func openAPIV3Root(hash: String) -> JSON {
        var paths = JSONObject()
        for gv in groupVersionPaths {
            paths[gv.path] = ["serverRelativeURL": .string("/openapi/v3/\(gv.path)?hash=\(hash)")]
        }
        return ["paths": .object(paths)]
    }

    /// A per-group-version document whose write operations name their GVK and accept
    /// `fieldValidation`: kubectl 1.29+ then leaves validation to the server.
    func openAPIV3(group: String, version: String) -> JSON? {
        let types = registry.types.filter { $0.group == group && $0.versions.contains(version) }
        if types.isEmpty { return nil }
        let prefix = group.isEmpty ? "/api/v1" : "/apis/\(group)/\(version)"
        var paths = JSONObject()
        let fieldValidation: JSON = [
            "name": "fieldValidation", "in": "query",
            "description": "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.",
            "schema": ["type": "string", "uniqueItems": true],
        ]
        var schemas = JSONObject()
        for t in types {
            let gvk: JSON = ["group": .string(t.group), "version": .string(version), "kind": .string(t.kind)]
            let op: JSON = [
                "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
                "parameters": [fieldValidation],
                "responses": ["200": ["description": "OK"]],
            ]
            var create = op
            create["x-kubernetes-action"] = "post"
            var put = op
            put["x-kubernetes-action"] = "put"
            let item = t.namespaced ? "\(prefix)/namespaces/{namespace}/\(t.resource)/{name}" : "\(prefix)/\(t.resource)/{name}"
            let coll = t.namespaced ? "\(prefix)/namespaces/{namespace}/\(t.resource)" : "\(prefix)/\(t.resource)"
            paths[item] = ["patch": op, "put": put]
            paths[coll] = ["post": create]
            if let (name, schema) = Self.crdComponentSchema(t, version: version) {
                schemas[name] = schema
                continue
            }
            let schemaName = "\(t.group.isEmpty ? "io.k8s.api.core" : t.group).\(version).\(t.kind)"
            schemas[schemaName] = [
                "type": "object", "x-kubernetes-group-version-kind": [gvk],
                "x-kubernetes-preserve-unknown-fields": true,
            ]
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"],
            "paths": .object(paths), "components": ["schemas": .object(schemas)],
        ]
    }
}
