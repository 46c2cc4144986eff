// How lists inside an object are merged, per kind. Built-in types carry this in Go struct tags
// (`patchStrategy:"merge" patchMergeKey:"name"`, `listType=map`); a JSON object does not, so
// strategic merge patch and server-side apply look it up here. Paths are the object keys from
// the root joined with "."; list positions are transparent ("spec.containers.ports" is the
// ports list of every container).

import KubeCore

public enum ListStrategy: Sendable, Equatable {
    /// The list is one value: a patch or apply replaces it whole (the default for lists and
    /// for every list in a CRD without `x-kubernetes-list-type`).
    case atomic
    /// A list of objects identified by these key fields (`patchMergeKey`, `listMapKeys`).
    case map(keys: [String])
    /// A list of distinct primitives merged as a set (`finalizers`).
    case set
}

public struct PatchStrategies: Sendable {
    /// kind → dotted path → strategy.
    public var byKind: [String: [String: ListStrategy]]
    /// Applies to every kind (ObjectMeta lists).
    public var common: [String: ListStrategy]

    public init(byKind: [String: [String: ListStrategy]] = [:], common: [String: ListStrategy] = PatchStrategies.objectMeta) {
        self.byKind = byKind
        self.common = common
    }

    public func listStrategy(kind: String?, path: [String]) -> ListStrategy {
        let key = path.joined(separator: ".")
        if let kind, let s = byKind[kind]?[key] { return s }
        return common[key] ?? .atomic
    }

    /// Whether `kind` has an entry (a built-in type SMP is defined for).
    public func knows(kind: String) -> Bool { byKind[kind] != nil }

    public func adding(kind: String, _ paths: [String: ListStrategy]) -> PatchStrategies {
        var copy = self
        copy.byKind[kind, default: [:]].merge(paths) { _, new in new }
        return copy
    }

    /// List types a CRD schema declares with `x-kubernetes-list-type` (`map` with
    /// `x-kubernetes-list-map-keys`, `set`). Lists without it stay atomic, as in the apiserver.
    public static func fromSchema(_ schema: JSON) -> [String: ListStrategy] {
        var out: [String: ListStrategy] = [:]
        func walk(_ s: JSON, _ path: [String]) {
            if let props = s["properties"]?.objectValue {
                for (k, sub) in props { walk(sub, path + [k]) }
            }
            if s["type"]?.stringValue == "array" {
                switch s["x-kubernetes-list-type"]?.stringValue {
                case "map":
                    let keys = s["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    if !keys.isEmpty { out[path.joined(separator: ".")] = .map(keys: keys) }
                case "set":
                    out[path.joined(separator: ".")] = .set
                default: break
                }
                if let items = s["items"] { walk(items, path) }
            }
        }
        walk(schema, [])
        return out
    }

    public static let objectMeta: [String: ListStrategy] = [
        "metadata.finalizers": .set,
        "metadata.ownerReferences": .map(keys: ["uid"]),
    ]

    static func podSpec(_ prefix: String) -> [String: ListStrategy] {
        let p = prefix.isEmpty ? "" : prefix + "."
        var out: [String: ListStrategy] = [
            "\(p)volumes": .map(keys: ["name"]),
            "\(p)imagePullSecrets": .map(keys: ["name"]),
            "\(p)hostAliases": .map(keys: ["ip"]),
            "\(p)topologySpreadConstraints": .map(keys: ["topologyKey", "whenUnsatisfiable"]),
            "\(p)resourceClaims": .map(keys: ["name"]),
            "\(p)schedulingGates": .map(keys: ["name"]),
        ]
        for c in ["containers", "initContainers", "ephemeralContainers"] {
            out["\(p)\(c)"] = .map(keys: ["name"])
            out["\(p)\(c).env"] = .map(keys: ["name"])
            out["\(p)\(c).ports"] = .map(keys: ["containerPort"])
            out["\(p)\(c).volumeMounts"] = .map(keys: ["mountPath"])
            out["\(p)\(c).volumeDevices"] = .map(keys: ["devicePath"])
            out["\(p)\(c).resizePolicy"] = .map(keys: ["resourceName"])
        }
        return out
    }

    /// The kinds the simulator serves natively. Service ports are keyed by `port` alone; the
    /// real key is (port, protocol), which only differs for a port served on TCP and UDP.
    public static let builtIn: PatchStrategies = {
        var pod = podSpec("spec")
        pod["status.conditions"] = .map(keys: ["type"])
        pod["status.containerStatuses"] = .atomic
        var deployment = podSpec("spec.template.spec")
        deployment["status.conditions"] = .map(keys: ["type"])
        deployment["spec.template.metadata.finalizers"] = .set
        return PatchStrategies(byKind: [
            "Pod": pod,
            "Deployment": deployment,
            "Service": [
                "spec.ports": .map(keys: ["port"]),
                "status.conditions": .map(keys: ["type"]),
                "status.loadBalancer.ingress.ports": .atomic,
            ],
            // Endpoints subsets and Namespace spec.finalizers have no patch strategy upstream:
            // both are replaced whole.
            "Endpoints": [:],
            "Namespace": ["status.conditions": .map(keys: ["type"])],
        ])
    }()
}
