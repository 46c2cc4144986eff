// Validation and pruning of custom resources against a CRD's `openAPIV3Schema`, the subset
// the SMI CRDs use (type, properties, required, items, enum, nullable, additionalProperties,
// x-kubernetes-int-or-string, x-kubernetes-preserve-unknown-fields), with the apiextensions
// server's wording (kube-openapi errors converted to field errors).
//
// Order of checks in the real server, which callers should follow:
// 1. decoding: unknown fields are found; with fieldValidation=Strict the request fails with
//    400 BadRequest `strict decoding error: unknown field "spec.bogus"` (see
//    `ValidationResult.strictDecodingError`), with Warn they become `Warning` headers;
// 2. pruning: unknown fields are dropped from what is stored (`ValidationResult.pruned`);
// 3. metadata validation (`validateObjectMeta`) and schema validation → 422 Invalid.
//
// apiVersion, kind and metadata are not validated by the schema. Unknown fields inside
// metadata are reported and pruned like any other (ObjectMeta is a fixed type).
//
// Defaulting: a property with a `default` that is absent from an object gets the default, as
// the apiextensions server applies it when it decodes a request and when it reads storage
// (so `weight: 1` appears on every stored Gateway API backendRef written without one, and an
// HTTPRoute without rules gets the CRD's PathPrefix "/" rule). Defaults are applied before
// `required` is checked, and the defaulted value is itself validated and defaulted.
//
// Bounds checked with upstream's wording: minimum/maximum (also exclusive), minLength,
// maxLength, minItems, maxItems.
//
// Simplifications: `x-kubernetes-int-or-string` with a wrong type reports
// `must be of type integer,string`; upstream phrases it through anyOf. Formats, `pattern`
// and CEL rules (`x-kubernetes-validations`) are not checked; docs/simulator.md lists the
// Gateway API rules this leaves unenforced.

import Foundation
import KubeCore

public enum FieldValidation: String, Sendable {
    case strict = "Strict"
    case warn = "Warn"
    case ignore = "Ignore"

    /// Parses the `fieldValidation` query parameter; upstream treats a missing one as Warn
    /// (since 1.27) and rejects unknown values.
    public init?(query: String?) {
        switch query?.lowercased() {
        case nil, "": self = .warn
        case "strict": self = .strict
        case "warn": self = .warn
        case "ignore": self = .ignore
        default: return nil
        }
    }
}

public struct ValidationResult: Sendable, Equatable {
    /// Schema violations; non-empty means 422 Invalid with these causes.
    public var errors: [FieldError]
    /// Paths of unknown fields (`spec.bogus`, `spec.backends[0].x`), sorted.
    public var unknownFields: [String]
    /// The object without unknown fields: what the server stores.
    public var pruned: JSON
    public var fieldValidation: FieldValidation

    public var isValid: Bool { errors.isEmpty && strictDecodingError == nil }

    /// The `details.causes` of the 422 response.
    public var causes: [JSON] { errors.map(\.cause) }

    /// With `.strict` and unknown fields: `strict decoding error: unknown field "spec.bogus"`.
    /// The 400 message is `<Kind> in version "<v>" cannot be handled as a <Kind>: ` + this
    /// (see `strictDecodingStatusMessage`).
    public var strictDecodingError: String? {
        guard fieldValidation == .strict, !unknownFields.isEmpty else { return nil }
        return "strict decoding error: " + unknownFields.map { "unknown field \(goQuote($0))" }.joined(separator: ", ")
    }

    /// With `.warn`: one `Warning` header text per unknown field.
    public var warnings: [String] {
        guard fieldValidation == .warn else { return [] }
        return unknownFields.map { "unknown field \(goQuote($0))" }
    }
}

/// The 400 BadRequest message for a strict decoding failure.
public func strictDecodingStatusMessage(kind: String, version: String, error: String) -> String {
    "\(kind) in version \(goQuote(version)) cannot be handled as a \(kind): \(error)"
}

/// Validates `object` (a whole custom resource) against `schema` (the version's
/// `openAPIV3Schema`). `preserveUnknownFields` is the CRD-level switch of
/// apiextensions v1beta1 (`spec.preserveUnknownFields`, true by default there): nothing is
/// pruned or reported as unknown outside metadata.
public func validate(
    _ object: JSON, schema: JSON, fieldValidation: FieldValidation, preserveUnknownFields: Bool = false
) -> ValidationResult {
    var v = SchemaValidator(preserveAll: preserveUnknownFields)
    var pruned = object
    if case .object(var root) = object {
        // The root's apiVersion/kind/metadata are handled by the server, not the schema.
        var body = root
        for k in ["apiVersion", "kind", "metadata"] { _ = body.removeValue(forKey: k) }
        let checked = v.check(.object(body), schema, path: "", root: true)
        var out = checked.objectValue ?? JSONObject()
        for k in ["apiVersion", "kind"] { if let x = root[k] { out[k] = x } }
        if let meta = root["metadata"] {
            let m = v.pruneObjectMeta(meta)
            root["metadata"] = m
            out["metadata"] = m
        }
        // Keep the caller's key order: apiVersion, kind, metadata first as sent.
        var ordered = JSONObject()
        for (k, _) in root { if let x = out[k] { ordered[k] = x } }
        for (k, x) in out where ordered[k] == nil { ordered[k] = x }
        pruned = .object(ordered)
    } else {
        v.errors.append(.typeInvalid("", value: .string(schemaTypeName(object)), detail: "body must be of type object: \(goQuote(schemaTypeName(object)))"))
    }
    return ValidationResult(errors: v.errors, unknownFields: v.unknown.sorted(), pruned: pruned, fieldValidation: fieldValidation)
}

/// The schema of one served version of a CRD (apiextensions v1 per-version schema, or the
/// v1beta1 top-level `spec.validation`), or nil when the CRD declares none.
public func crdSchema(_ crd: JSON, version: String) -> JSON? {
    if let versions = crd[path: "spec", "versions"]?.arrayValue,
        let v = versions.first(where: { $0["name"]?.stringValue == version }),
        let s = v[path: "schema", "openAPIV3Schema"]
    {
        return s
    }
    return crd[path: "spec", "validation", "openAPIV3Schema"]
}

/// Whether a CRD keeps unknown fields (v1beta1 default true; v1 always false).
public func crdPreservesUnknownFields(_ crd: JSON) -> Bool {
    if crd["apiVersion"]?.stringValue == "apiextensions.k8s.io/v1" { return false }
    return crd[path: "spec", "preserveUnknownFields"]?.boolValue ?? true
}

/// kube-openapi's name for the type of a value: integral numbers are "integer".
func schemaTypeName(_ v: JSON) -> String {
    switch v {
    case .null: return "null"
    case .bool: return "boolean"
    case .string: return "string"
    case .array: return "array"
    case .object: return "object"
    case .number(let s):
        if Int64(s) != nil { return "integer" }
        return v.intValue != nil && !s.contains(".") && !s.lowercased().contains("e") ? "integer" : "number"
    }
}

private let objectMetaFields: Set<String> = [
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
    "ownerReferences", "finalizers", "managedFields",
]

struct SchemaValidator {
    let preserveAll: Bool
    var errors: [FieldError] = []
    var unknown: [String] = []

    init(preserveAll: Bool) { self.preserveAll = preserveAll }

    func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func pruneObjectMeta(_ meta: JSON) -> JSON {
        guard case .object(var m) = meta else { return meta }
        for k in m.keys where !objectMetaFields.contains(k) {
            unknown.append("metadata.\(k)")
            _ = m.removeValue(forKey: k)
        }
        return .object(m)
    }

    /// minimum/maximum, string lengths and list sizes, worded as kube-openapi words them.
    mutating func checkBounds(_ value: JSON, _ schema: JSON, path: String, name: String) {
        switch value {
        case .number:
            guard let v = value.doubleValue else { return }
            if let m = schema["maximum"]?.doubleValue {
                let exclusive = schema["exclusiveMaximum"]?.boolValue == true
                if exclusive ? v >= m : v > m {
                    let bound = schema["maximum"]?.compactString ?? "\(m)"
                    errors.append(.invalid(path, value: value, detail: "\(name) in body should be less than \(exclusive ? "" : "or equal to ")\(bound)"))
                }
            }
            if let m = schema["minimum"]?.doubleValue {
                let exclusive = schema["exclusiveMinimum"]?.boolValue == true
                if exclusive ? v <= m : v < m {
                    let bound = schema["minimum"]?.compactString ?? "\(m)"
                    errors.append(.invalid(path, value: value, detail: "\(name) in body should be greater than \(exclusive ? "" : "or equal to ")\(bound)"))
                }
            }
        case .string(let str):
            let count = str.unicodeScalars.count
            if let m = schema["maxLength"]?.intValue, count > m {
                errors.append(FieldError(reason: "FieldValueTooLong", field: path, message: "Too long: may not be more than \(m) bytes"))
            }
            if let m = schema["minLength"]?.intValue, count < m {
                errors.append(.invalid(path, value: value, detail: "\(name) in body should be at least \(m) chars long"))
            }
        case .array(let a):
            if let m = schema["maxItems"]?.intValue, a.count > m {
                errors.append(.tooMany(path, actual: a.count, max: Int(clamping: m)))
            }
            if let m = schema["minItems"]?.intValue, a.count < m {
                errors.append(.invalid(path, value: .string("array"), detail: "\(name) in body should have at least \(m) items"))
            }
        default:
            break
        }
    }

    /// Validates `value` at `path`, returning it with unknown fields pruned.
    mutating func check(_ value: JSON, _ schema: JSON, path: String, root: Bool = false) -> JSON {
        let type = schema["type"]?.stringValue
        let preserve = preserveAll || schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
        let name = path.isEmpty ? "body" : path
        if case .null = value {
            if schema["nullable"]?.boolValue == true { return value }
            if type != nil || schema["x-kubernetes-int-or-string"]?.boolValue == true {
                errors.append(.typeInvalid(path, value: "null", detail: "\(name) in body must be of type \(type ?? "integer,string"): \"null\""))
            }
            return value
        }
        let actual = schemaTypeName(value)
        if schema["x-kubernetes-int-or-string"]?.boolValue == true {
            if actual != "integer" && actual != "string" {
                errors.append(.typeInvalid(path, value: .string(actual), detail: "\(name) in body must be of type integer,string: \(goQuote(actual))"))
                return value
            }
        } else if let type {
            let ok: Bool
            switch type {
            case "number": ok = actual == "integer" || actual == "number"
            case "integer": ok = actual == "integer" || value.intValue != nil
            default: ok = actual == type
            }
            if !ok {
                errors.append(.typeInvalid(path, value: .string(actual), detail: "\(name) in body must be of type \(type): \(goQuote(actual))"))
                return value
            }
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            let names = allowed.map { $0.stringValue ?? $0.compactString }
            errors.append(.notSupported(path, value: value, supported: names))
        }
        checkBounds(value, schema, path: path, name: name)
        switch value {
        case .object(var o):
            let props = schema["properties"]?.objectValue
            let additional = schema["additionalProperties"]
            if let props {
                for (k, ps) in props where o[k] == nil {
                    if let d = ps["default"] { o[k] = d }
                }
            }
            for req in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[req] == nil {
                errors.append(.required(child(path, req)))
            }
            var out = JSONObject()
            for (k, v) in o {
                let p = child(path, k)
                if let ps = props?[k] {
                    out[k] = check(v, ps, path: p)
                } else if let additional, case .object = additional {
                    out[k] = check(v, additional, path: p)
                } else if additional?.boolValue == true || preserve {
                    out[k] = v
                } else if props == nil && additional == nil && type == nil && !root {
                    // A schema node without type or properties says nothing about the
                    // value's shape; structural schemas do not allow it, keep the data.
                    out[k] = v
                } else {
                    unknown.append(p)
                }
            }
            return .object(out)
        case .array(let a):
            guard let items = schema["items"] else { return value }
            var out: [JSON] = []
            for (i, item) in a.enumerated() { out.append(check(item, items, path: "\(path)[\(i)]")) }
            return .array(out)
        default:
            return value
        }
    }
}
