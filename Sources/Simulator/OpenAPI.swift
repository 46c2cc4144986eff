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
// dry-run" otherwise). Definitions (schemas) are not included: without them kubectl's
// client-side validation leaves every type to the server.

/// A protobuf writer for the few messages above: length-delimited fields only.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    static func varint(_ v: Int) -> [UInt8] {
        var v = UInt64(v)
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    func field(_ n: Int, _ b: [UInt8]) -> ProtobufWriter {
        var c = self
        c.bytes += Self.varint(n << 3 | 2) + Self.varint(b.count) + b
        return c
    }

    func string(_ n: Int, _ s: String) -> ProtobufWriter { field(n, Array(s.utf8)) }
    func message(_ n: Int, _ m: ProtobufWriter) -> ProtobufWriter { field(n, m.bytes) }
}

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
        let info = W().string(1, "Kubernetes").string(2, "v1.32.0")
        return W().string(1, "2.0").message(2, info).message(8, paths).bytes
    }
}
