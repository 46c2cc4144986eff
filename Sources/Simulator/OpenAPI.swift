import APIServer
import KubeCore

// OpenAPI v3 schemas of the custom resources: each CRD version's full structural schema, as
// kube-apiserver publishes it (named by the reversed group, tagged with its GVK), so
// `kubectl explain trafficsplit.spec.backends` walks into the fields.

extension Discovery {
    /// `io.smi-spec.split.v1alpha4.TrafficSplit` and the schema, for a custom resource with
    /// a schema for `version`; nil for built-in types.
    static func crdComponentSchema(_ t: ResourceType, version: String) -> (String, JSON)? {
        guard t.isCustom, var schema = t.schemas[version], case .object = schema else { return nil }
        let reversed = t.group.split(separator: ".").reversed().joined(separator: ".")
        let gvk: JSON = ["group": .string(t.group), "version": .string(version), "kind": .string(t.kind)]
        schema["x-kubernetes-group-version-kind"] = [gvk]
        if schema["type"] == nil { schema["type"] = "object" }
        var props = schema["properties"]?.objectValue ?? JSONObject()
        // What the real server adds to every CRD schema: the envelope's documented fields.
        if props["apiVersion"] == nil {
            props["apiVersion"] = [
                "type": "string",
                "description":
                    "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.",
            ]
        }
        if props["kind"] == nil {
            props["kind"] = [
                "type": "string",
                "description":
                    "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to.",
            ]
        }
        var meta = props["metadata"]?.objectValue ?? JSONObject()
        meta["type"] = "object"
        if meta["description"] == nil {
            meta["description"] =
                "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
        }
        props["metadata"] = .object(meta)
        schema["properties"] = .object(props)
        return ("\(reversed).\(version).\(t.kind)", schema)
    }
}

// OpenAPI v2 as kubectl ≤1.28 reads it: the protobuf `openapi.v2.Document` (gnostic). Besides
// swagger and info, it carries one path per resource item whose PATCH operation names its GVK
// (`x-kubernetes-group-version-kind`) and takes a `dryRun` query parameter: kubectl 1.20 checks
// exactly that before `--dry-run=server`, `diff` and `apply --server-side` ("doesn't support
// dry-run" otherwise). Definitions carry the CRDs' schemas (built-in kinds have none: kubectl's
// client-side validation leaves them to the server).

extension Discovery {
    func openAPIV2Document() -> [UInt8] {
        typealias W = ProtobufWriter
        var paths = W()
        for t in registry.types where t.verbs.contains("patch") {
            for v in t.versions {
                let prefix = t.group.isEmpty ? "/api/\(v)" : "/apis/\(t.group)/\(v)"
                let item = t.namespaced ? "\(prefix)/namespaces/{namespace}/\(t.resource)/{name}" : "\(prefix)/\(t.resource)/{name}"
                // Any{yaml}: the GVK map as kubectl unmarshals it.
                let gvk = "group: \"\(t.group)\"\nkind: \(t.kind)\nversion: \(v)\n"
                let ext = W().string(1, "x-kubernetes-group-version-kind").message(2, W().string(2, gvk))
                let dryRun = W().message(  // ParametersItem.parameter
                    1,
                    W().message(  // Parameter.non_body_parameter
                        2,
                        W().message(  // NonBodyParameter.query_parameter_sub_schema
                            3, W().string(2, "query").string(4, "dryRun").string(6, "string"))))
                let fieldValidation = W().message(
                    1, W().message(2, W().message(3, W().string(2, "query").string(4, "fieldValidation").string(6, "string"))))
                let patch = W().string(5, "patch\(t.kind)").message(8, dryRun).message(8, fieldValidation).message(13, ext)
                paths = paths.message(2, W().string(1, item).message(2, W().message(8, patch)))
            }
        }
        // Definitions: each CRD version's structural schema, named and tagged as in v3, so
        // kubectl 1.20's explain and client-side validation see the real fields.
        var definitions = W()
        for t in registry.types where t.isCustom {
            for v in t.versions {
                guard let (name, schema) = Self.crdComponentSchema(t, version: v) else { continue }
                let gvk = "- group: \(t.group)\n  kind: \(t.kind)\n  version: \(v)\n"
                var body = Self.v2Schema(removeKey(schema, "x-kubernetes-group-version-kind"), depth: 0)
                body = body.message(31, W().string(1, "x-kubernetes-group-version-kind").message(2, W().string(2, gvk)))
                definitions = definitions.message(1, W().string(1, name).message(2, body))
            }
        }
        let info = W().string(1, "Kubernetes").string(2, "v1.32.0")
        return W().string(1, "2.0").message(2, info).message(8, paths).message(9, definitions).bytes
    }

    private func removeKey(_ j: JSON, _ k: String) -> JSON {
        guard case .object(var o) = j else { return j }
        _ = o.removeValue(forKey: k)
        return .object(o)
    }

    /// A structural JSON schema as gnostic's `openapi.v2.Schema`: the keywords a CRD schema
    /// uses (v2 has no anyOf/oneOf/nullable; those are left out, as kube-apiserver does when it
    /// publishes CRDs in v2). Bounded: CRD schemas are ours, but nesting is capped anyway.
    static func v2Schema(_ s: JSON, depth: Int) -> ProtobufWriter {
        typealias W = ProtobufWriter
        var w = W()
        guard depth < 64, case .object(let o) = s else { return w }
        if let f = o["format"]?.stringValue { w = w.string(2, f) }
        if let d = o["description"]?.stringValue { w = w.string(4, d) }
        if let x = o["maximum"]?.doubleValue { w = w.double(7, x) }
        if let x = o["minimum"]?.doubleValue { w = w.double(9, x) }
        if let x = o["maxLength"]?.intValue { w = w.int(11, x) }
        if let x = o["minLength"]?.intValue { w = w.int(12, x) }
        if let p = o["pattern"]?.stringValue { w = w.string(13, p) }
        if let x = o["maxItems"]?.intValue { w = w.int(14, x) }
        if let x = o["minItems"]?.intValue { w = w.int(15, x) }
        for r in o["required"]?.arrayValue ?? [] { if let r = r.stringValue { w = w.string(19, r) } }
        for e in o["enum"]?.arrayValue ?? [] { w = w.message(20, W().string(2, e.compactString)) }
        switch o["additionalProperties"] {
        case .object?: w = w.message(21, W().message(1, v2Schema(o["additionalProperties"]!, depth: depth + 1)))
        case .bool(let b)?: w = w.message(21, W().int(2, b ? 1 : 0))
        default: break
        }
        if let t = o["type"]?.stringValue { w = w.message(22, W().string(1, t)) }
        if let items = o["items"], case .object = items { w = w.message(23, W().message(1, v2Schema(items, depth: depth + 1))) }
        if case .object(let props)? = o["properties"] {
            var p = W()
            for (name, child) in props { p = p.message(1, W().string(1, name).message(2, v2Schema(child, depth: depth + 1))) }
            w = w.message(25, p)
        }
        for (k, v) in o where k.hasPrefix("x-kubernetes-") {
            w = w.message(31, W().string(1, k).message(2, W().string(2, v.compactString)))
        }
        return w
    }
}
