// One validation failure, worded as k8s.io/apimachinery's field.Error renders it. The server
// puts `reason`, `message` (the error body, without the field) and `field` into
// `details.causes`, and kubectl rebuilds "The TrafficSplit "bad" is invalid: spec.service:
// Required value" from them, so the wording is part of the API.

import Foundation
import KubeCore

public struct FieldError: Sendable, Equatable, CustomStringConvertible {
    /// FieldValueRequired, FieldValueInvalid, FieldValueTypeInvalid, FieldValueNotSupported,
    /// FieldValueTooLong, FieldValueForbidden…
    public var reason: String
    /// `spec.backends[0].weight`
    public var field: String
    /// The error body, e.g. `Required value` or `Invalid value: "x": <detail>`.
    public var message: String

    public init(reason: String, field: String, message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }

    /// `<field>: <message>`, the text of one error in the Status message.
    public var description: String { "\(field): \(message)" }

    /// The metav1.StatusCause JSON.
    public var cause: JSON { ["reason": .string(reason), "message": .string(message), "field": .string(field)] }

    public static func required(_ field: String, detail: String = "") -> FieldError {
        FieldError(reason: "FieldValueRequired", field: field, message: "Required value" + (detail.isEmpty ? "" : ": " + detail))
    }

    public static func invalid(_ field: String, value: JSON, detail: String) -> FieldError {
        FieldError(reason: "FieldValueInvalid", field: field, message: "Invalid value: \(goValue(value))" + (detail.isEmpty ? "" : ": " + detail))
    }

    public static func typeInvalid(_ field: String, value: JSON, detail: String) -> FieldError {
        FieldError(reason: "FieldValueTypeInvalid", field: field, message: "Invalid value: \(goValue(value))" + (detail.isEmpty ? "" : ": " + detail))
    }

    public static func notSupported(_ field: String, value: JSON, supported: [String]) -> FieldError {
        var m = "Unsupported value: \(goValue(value))"
        if !supported.isEmpty { m += ": supported values: " + supported.map(goQuote).joined(separator: ", ") }
        return FieldError(reason: "FieldValueNotSupported", field: field, message: m)
    }

    /// kube-openapi's "Too many" for maxItems (field.TooMany).
    public static func tooMany(_ field: String, actual: Int, max: Int) -> FieldError {
        FieldError(reason: "FieldValueTooMany", field: field, message: "Too many: \(actual): must have at most \(max) items")
    }

    public static func tooLong(_ field: String, value: JSON, max: Int) -> FieldError {
        FieldError(reason: "FieldValueTooLong", field: field, message: "Too long: may not be more than \(max) bytes")
    }
}

/// Go's `%q` for the ASCII strings Kubernetes names consist of; other characters are escaped
/// the way JSON does, which agrees with Go for everything printable.
func goQuote(_ s: String) -> String {
    JSON.string(s).compactString.replacingOccurrences(of: "\\u003c", with: "<").replacingOccurrences(of: "\\u003e", with: ">").replacingOccurrences(
        of: "\\u0026", with: "&")
}

/// field.Error's rendering of a bad value: strings quoted, numbers and booleans plain, null
/// as `null`, composites as JSON (upstream prints Go syntax there; nobody parses it).
func goValue(_ v: JSON) -> String {
    switch v {
    case .string(let s): return goQuote(s)
    case .null: return "\"null\""
    case .number(let n): return n
    case .bool(let b): return b ? "true" : "false"
    default: return v.compactString
    }
}

/// The message of a 422 Invalid Status: `TrafficSplit.split.smi-spec.io "bad" is invalid:
/// spec.service: Required value`, with several errors in brackets, as errors.NewInvalid
/// words it. `group` is empty for core kinds.
public func invalidStatusMessage(kind: String, group: String, name: String, errors: [FieldError]) -> String {
    let qualified = group.isEmpty ? kind : "\(kind).\(group)"
    let body: String
    if errors.count == 1 { body = errors[0].description } else { body = "[" + errors.map(\.description).joined(separator: ", ") + "]" }
    return "\(qualified) \(goQuote(name)) is invalid: \(body)"
}

/// The full 422 Status body for `errors`.
public func invalidStatus(kind: String, group: String, name: String, errors: [FieldError]) -> JSON {
    [
        "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
        "message": .string(invalidStatusMessage(kind: kind, group: group, name: name, errors: errors)),
        "reason": "Invalid",
        "details": ["name": .string(name), "group": .string(group), "kind": .string(kind), "causes": .array(errors.map(\.cause))],
        "code": 422,
    ]
}
