import APIServer
import Foundation
import KubeCore
import SMI

/// One API resource type as discovery describes it and as the store keeps it.
struct ResourceType: Sendable {
    var group: String  // "" for core
    /// Served versions, preferred first.
    var versions: [String]
    var storageVersion: String
    var resource: String  // plural
    var singular: String
    var kind: String
    var namespaced: Bool
    var shortNames: [String] = []
    var categories: [String] = []
    var verbs: [String] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    /// Custom resources are validated by their CRD schema and refuse strategic merge patch.
    var isCustom = false
    /// Per served version: the CRD's openAPIV3Schema.
    var schemas: [String: JSON] = [:]
    /// Per served version: the CRD's additionalPrinterColumns.
    var printerColumns: [String: [JSON]] = [:]
    var subresources: [String] = []

    var key: String { group.isEmpty ? resource : "\(resource).\(group)" }
    var listKind: String { kind + "List" }

    func apiVersion(_ version: String) -> String { group.isEmpty ? version : "\(group)/\(version)" }
    var groupResource: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

/// The set of types one simulated cluster serves, in the real server's discovery order:
/// core, apps, the other built-in groups, the CRD groups, and the aggregated metrics API last
/// (../shared/kubectl.md §2: kubectl resolves unqualified names in that order).
struct TypeRegistry: Sendable {
    var types: [ResourceType]
    /// CustomResourceDefinition objects as the apiextensions API serves them.
    var crdObjects: [JSON]

    static let metricsGroup = "metrics.smi-spec.io"
    /// metrics-server's resource metrics (`kubectl top`), computed from the traffic model.
    static let resourceMetricsGroup = "metrics.k8s.io"

    func find(group: String, version: String, resource: String) -> ResourceType? {
        types.first { $0.group == group && $0.resource == resource && $0.versions.contains(version) }
    }

    func find(group: String, resource: String) -> ResourceType? {
        types.first { $0.group == group && $0.resource == resource }
    }

    /// Group names in discovery order with their served versions.
    var groups: [(name: String, versions: [String])] {
        var out: [(String, [String])] = []
        for t in types where !t.group.isEmpty {
            if let i = out.firstIndex(where: { $0.0 == t.group }) {
                for v in t.versions where !out[i].1.contains(v) { out[i].1.append(v) }
            } else {
                out.append((t.group, t.versions))
            }
        }
        return out
    }

    static func make(profile: SimProfile) throws -> TypeRegistry {
        var types: [ResourceType] =
            [
                ResourceType(
                    group: "", versions: ["v1"], storageVersion: "v1", resource: "namespaces",
                    singular: "namespace", kind: "Namespace", namespaced: false, shortNames: ["ns"],
                    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
                    subresources: ["finalize", "status"]),
                nodeType,
                ResourceType(
                    group: "", versions: ["v1"], storageVersion: "v1", resource: "services",
                    singular: "service", kind: "Service", namespaced: true, shortNames: ["svc"],
                    categories: ["all"], subresources: ["proxy", "status"]),
                ResourceType(
                    group: "", versions: ["v1"], storageVersion: "v1", resource: "pods", singular: "pod",
                    kind: "Pod", namespaced: true, shortNames: ["po"], categories: ["all"],
                    subresources: ["log", "status"]),
                ResourceType(
                    group: "", versions: ["v1"], storageVersion: "v1", resource: "endpoints",
                    singular: "endpoints", kind: "Endpoints", namespaced: true, shortNames: ["ep"]),
                serviceAccountType,
            ] + playgroundCoreTypes + [
                ResourceType(
                    group: "apps", versions: ["v1"], storageVersion: "v1", resource: "deployments",
                    singular: "deployment", kind: "Deployment", namespaced: true, shortNames: ["deploy"],
                    categories: ["all"], subresources: ["scale", "status"]),
                replicaSetType,
                ResourceType(
                    group: "apiextensions.k8s.io", versions: ["v1"], storageVersion: "v1",
                    resource: "customresourcedefinitions", singular: "customresourcedefinition",
                    kind: "CustomResourceDefinition", namespaced: false, shortNames: ["crd", "crds"],
                    subresources: ["status"]),
                ResourceType(
                    group: "authorization.k8s.io", versions: ["v1"], storageVersion: "v1",
                    resource: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview",
                    kind: "SelfSubjectAccessReview", namespaced: false, verbs: ["create"]),
                eventsGroupType,
            ]
        var crds: [JSON] = []
        for (yaml, versions, storage, tweak) in smiCRDs(profile: profile) where !versions.isEmpty {
            var crd = try crdJSON(yaml)
            crd = applyServedVersions(crd, served: versions, storage: storage, tweak: tweak)
            crds.append(crd)
            types.append(resourceType(fromCRD: crd))
        }
        // The Gateway API and Linkerd policy CRDs as released: every version they list, their
        // schemas, defaults, printer columns and status subresource.
        var routeCRDs: [String] = []
        if profile.servesGatewayAPI { routeCRDs += [EmbeddedCRDs.httpRouteJSON, EmbeddedCRDs.grpcRouteJSON] }
        if profile.servesLinkerdPolicyRoutes { routeCRDs.append(EmbeddedCRDs.linkerdHTTPRouteJSON) }
        for text in routeCRDs {
            guard case .object = try JSON.parse(text) else { throw SimulatorError("embedded CRD is not an object") }
            var crd = try JSON.parse(text)
            // Served versions preferred first, as discovery orders them (storage version first).
            if let vs = crd[path: "spec", "versions"]?.arrayValue {
                let served = vs.filter { $0["served"]?.boolValue == true }
                let ordered = served.filter { $0["storage"]?.boolValue == true } + served.filter { $0["storage"]?.boolValue != true }.reversed()
                crd = setPath(crd, ["spec", "versions"], .array(ordered))
            }
            crds.append(crd)
            types.append(resourceType(fromCRD: crd))
        }
        // Linkerd's ServiceProfile, as its chart installs it (both versions, v1alpha2 stored).
        if profile.servesServiceProfiles {
            var sp = try crdJSON(EmbeddedLinkerd.serviceProfileCRD)
            // Discovery prefers v1alpha2 (the stored one, the newer version) as a real API
            // server does; the CRD lists v1alpha1 first.
            if let vs = sp[path: "spec", "versions"]?.arrayValue {
                sp = setPath(sp, ["spec", "versions"], .array(vs.filter { $0["storage"]?.boolValue == true } + vs.filter { $0["storage"]?.boolValue != true }))
            }
            crds.append(sp)
            types.append(resourceType(fromCRD: sp))
        }
        // Flagger's Canary: the bookstore's payments split and route are owned by one in every
        // profile, and its spec.suspend is the lever smitop offers before an edit.
        let canary = try crdJSON(EmbeddedFlagger.canaryCRD)
        crds.append(canary)
        types.append(resourceType(fromCRD: canary))
        return TypeRegistry(types: types, crdObjects: crds)
    }

    typealias SchemaTweak = @Sendable (String, JSON) -> JSON

    private static func smiCRDs(profile: SimProfile) -> [(String, [String], String, SchemaTweak?)] {
        // Linkerd stores v1alpha1 with int-or-string weights and serves v1alpha2 from the same
        // schema without conversion, so readers of v1alpha2 may see "500m" (NOTES.md §0).
        let intOrStringWeights: SchemaTweak = { _, schema in
            var s = schema
            if var w = s[path: "properties", "spec", "properties", "backends", "items", "properties", "weight"] {
                w["type"] = nil
                w["x-kubernetes-int-or-string"] = .bool(true)
                s = setPath(s, ["properties", "spec", "properties", "backends", "items", "properties", "weight"], w)
            }
            return s
        }
        let split: SchemaTweak? = profile.splitWeightsIntOrString ? intOrStringWeights : nil
        return [
            (EmbeddedCRDs.split, profile.splitVersions, profile.splitStorageVersion, split),
            (EmbeddedCRDs.access, profile.accessVersions, "v1alpha3", nil),
            (EmbeddedCRDs.httproutegroup, profile.specsVersions, "v1alpha4", nil),
            (EmbeddedCRDs.tcproute, ["v1alpha4"], "v1alpha4", nil),
            (EmbeddedCRDs.udproute, ["v1alpha4"], "v1alpha4", nil),
        ]
    }

    static func crdJSON(_ yaml: String) throws -> JSON {
        let doc = try YAMLDocuments.read(yaml).first?.json ?? .null
        guard case .object = doc else { throw SimulatorError("embedded CRD is not an object") }
        return doc
    }

    /// Rewrites a CRD's version list to the profile's: served flags, storage version, preferred
    /// order. Versions missing from the SDK file (v1alpha1 of split) reuse the closest schema.
    static func applyServedVersions(_ crd: JSON, served: [String], storage: String, tweak: SchemaTweak?) -> JSON {
        var crd = crd
        let existing = crd[path: "spec", "versions"]?.arrayValue ?? []
        var out: [JSON] = []
        for v in served {
            var entry =
                existing.first { $0["name"]?.stringValue == v }
                ?? existing.first { $0["name"]?.stringValue == "v1alpha2" }
                ?? existing[0]
            entry["name"] = .string(v)
            entry["served"] = true
            entry["storage"] = .bool(v == storage)
            if let tweak, let schema = entry[path: "schema", "openAPIV3Schema"] {
                entry = setPath(entry, ["schema", "openAPIV3Schema"], tweak(v, schema))
            }
            out.append(entry)
        }
        crd = setPath(crd, ["spec", "versions"], .array(out))
        return crd
    }

    static func resourceType(fromCRD crd: JSON) -> ResourceType {
        let spec = crd["spec"] ?? .null
        let names = spec["names"] ?? .null
        let versions = spec["versions"]?.arrayValue ?? []
        var schemas: [String: JSON] = [:]
        var columns: [String: [JSON]] = [:]
        for v in versions {
            guard let name = v["name"]?.stringValue else { continue }
            schemas[name] = v[path: "schema", "openAPIV3Schema"] ?? .emptyObject
            columns[name] = v["additionalPrinterColumns"]?.arrayValue ?? []
        }
        let storage = versions.first { $0["storage"]?.boolValue == true }?["name"]?.stringValue
        return ResourceType(
            group: spec["group"]?.stringValue ?? "",
            versions: versions.compactMap { $0["name"]?.stringValue },
            storageVersion: storage ?? versions.first?["name"]?.stringValue ?? "v1",
            resource: names["plural"]?.stringValue ?? "",
            singular: names["singular"]?.stringValue ?? "",
            kind: names["kind"]?.stringValue ?? "",
            namespaced: spec["scope"]?.stringValue != "Cluster",
            shortNames: names["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            categories: names["categories"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            isCustom: true,
            schemas: schemas,
            printerColumns: columns,
            subresources: (versions.first?["subresources"]?.objectValue?.keys.map { $0 } ?? []).sorted())
    }
}

func setPath(_ value: JSON, _ path: [String], _ newValue: JSON) -> JSON {
    guard let first = path.first else { return newValue }
    var v = value
    let child = v[first] ?? .emptyObject
    v[first] = setPath(child, Array(path.dropFirst()), newValue)
    return v
}

struct SimulatorError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
