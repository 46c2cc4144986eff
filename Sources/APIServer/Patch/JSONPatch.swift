// JSON Patch (RFC 6902) over JSON Pointer (RFC 6901), as `kubectl patch --type=json` and
// smitop's guarded weight edits (`test` + `replace` on /spec/backends/<i>/weight) send it.
//
// How the real API server answers (k8s.io/apiserver handlers/patch.go, evanphx/json-patch):
// - a body that does not decode as a list of operations → 400 BadRequest;
// - any failure while applying (failed `test`, missing path, bad index, unknown op) → 422
//   with reason Invalid and the library's error text as the message.
// `JSONPatchError.httpStatus` encodes that split; `message` mirrors the library's wording so
// clients that show the server's text see what they would see against a real cluster.
// The patch is atomic: the document is only replaced when every operation succeeded.

import Foundation
import KubeCore

public struct JSONPatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The body is not a JSON array of operation objects (or an operation lacks a string
        /// `path`, or `from` for move/copy). The server answers 400.
        case malformed
        /// A `test` operation compared unequal. 422.
        case testFailed
        /// A path (or `from`) does not exist in the document, or an array index is out of
        /// range or not a number. 422.
        case invalidPath
        /// An `op` other than the six of RFC 6902. 422 (the apiserver only notices it while
        /// applying).
        case unknownOperation
    }

    public let kind: Kind
    public let message: String
    /// Index of the failing operation in the patch, when one failed.
    public let operationIndex: Int?

    public init(kind: Kind, message: String, operationIndex: Int? = nil) {
        self.kind = kind
        self.message = message
        self.operationIndex = operationIndex
    }

    /// The status the real API server returns for this failure.
    public var httpStatus: Int { kind == .malformed ? 400 : 422 }
    /// The metav1.Status reason that goes with `httpStatus`.
    public var statusReason: String { kind == .malformed ? "BadRequest" : "Invalid" }
    public var description: String { message }
}

// MARK: - JSON Pointer

public enum JSONPointer {
    /// Splits a pointer into unescaped reference tokens. `""` is the whole document.
    /// `~1` becomes `/` before `~0` becomes `~` (RFC 6901 section 4), so `~01` is `~1`.
    public static func tokens(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// Escapes one key for use as a reference token.
    public static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// The value the pointer names, or nil when it names nothing.
    public static func resolve(_ pointer: String, in document: JSON) -> JSON? {
        guard let toks = tokens(pointer) else { return nil }
        var cur = document
        for t in toks {
            switch cur {
            case .object(let o):
                guard let next = o[t] else { return nil }
                cur = next
            case .array(let a):
                guard let i = arrayIndex(t), i < a.count else { return nil }
                cur = a[i]
            default:
                return nil
            }
        }
        return cur
    }

    /// RFC 6901 array indices: `0` or digits without a leading zero. `-` is handled by callers.
    static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if token.count > 1 && token.hasPrefix("0") { return nil }
        return Int(token)
    }
}

// MARK: - Operations

public struct JSONPatchOperation: Sendable, Equatable {
    public enum Op: String, Sendable { case add, remove, replace, move, copy, test }
    public var op: Op
    public var path: String
    public var from: String?
    public var value: JSON?

    public init(op: Op, path: String, from: String? = nil, value: JSON? = nil) {
        self.op = op
        self.path = path
        self.from = from
        self.value = value
    }

    public var json: JSON {
        var o = JSONObject()
        o["op"] = .string(op.rawValue)
        if let from { o["from"] = .string(from) }
        o["path"] = .string(path)
        if let value { o["value"] = value }
        return .object(o)
    }
}

/// Applies an RFC 6902 patch given as parsed JSON (the request body).
public func applyJSONPatch(_ patch: JSON, to document: JSON) throws(JSONPatchError) -> JSON {
    guard case .array(let items) = patch else {
        throw JSONPatchError(
            kind: .malformed,
            message: "json: cannot unmarshal \(goTypeName(patch)) into Go value of type jsonpatch.Patch")
    }
    // Decode everything first: the real server rejects a malformed body before touching the
    // object, and an unknown op only fails when reached.
    var ops: [(Int, JSONPatchOperation?, String)] = []
    for (i, item) in items.enumerated() {
        guard case .object(let o) = item else {
            throw JSONPatchError(
                kind: .malformed,
                message: "json: cannot unmarshal \(goTypeName(item)) into Go value of type jsonpatch.Operation",
                operationIndex: i)
        }
        let opName = o["op"]?.stringValue ?? ""
        guard let op = JSONPatchOperation.Op(rawValue: opName) else {
            ops.append((i, nil, opName))
            continue
        }
        guard let path = o["path"]?.stringValue else {
            throw JSONPatchError(kind: .malformed, message: "\(opName) operation failed to decode path", operationIndex: i)
        }
        let from = o["from"]?.stringValue
        if (op == .move || op == .copy) && from == nil {
            throw JSONPatchError(kind: .malformed, message: "\(opName) operation failed to decode from", operationIndex: i)
        }
        // A missing value for add/replace/test means JSON null, as in the Go library.
        ops.append((i, JSONPatchOperation(op: op, path: path, from: from, value: o["value"] ?? .null), opName))
    }
    var doc = document
    for (i, op, name) in ops {
        guard let op else {
            throw JSONPatchError(kind: .unknownOperation, message: "Unexpected kind: \(name)", operationIndex: i)
        }
        do {
            try apply(op, to: &doc)
        } catch {
            throw JSONPatchError(kind: error.kind, message: error.message, operationIndex: i)
        }
    }
    return doc
}

/// Applies typed operations (what smitop's client builds before serialising).
public func applyJSONPatch(_ ops: [JSONPatchOperation], to document: JSON) throws(JSONPatchError) -> JSON {
    try applyJSONPatch(.array(ops.map(\.json)), to: document)
}

private func goTypeName(_ v: JSON) -> String {
    switch v {
    case .object: return "object"
    case .array: return "array"
    case .string: return "string"
    case .number: return "number"
    case .bool: return "bool"
    case .null: return "null"
    }
}

private func apply(_ op: JSONPatchOperation, to doc: inout JSON) throws(JSONPatchError) {
    func missing(_ m: String) -> JSONPatchError { JSONPatchError(kind: .invalidPath, message: m + ": missing value") }
    guard let path = JSONPointer.tokens(op.path) else {
        throw missing("\(op.op.rawValue) operation does not apply: doc is missing path: \"\(op.path)\"")
    }
    switch op.op {
    case .add:
        try insert(op.value ?? .null, at: path, in: &doc, replacing: false, opName: "add", raw: op.path)
    case .remove:
        _ = try remove(at: path, in: &doc, opName: "remove", raw: op.path)
    case .replace:
        try insert(op.value ?? .null, at: path, in: &doc, replacing: true, opName: "replace", raw: op.path)
    case .move:
        let fromRaw = op.from ?? ""
        guard let from = JSONPointer.tokens(fromRaw) else {
            throw missing("move operation does not apply: doc is missing from path: \(fromRaw)")
        }
        if from == path { return }
        // RFC 6902 4.4: a location cannot be moved into one of its children.
        if path.count > from.count && Array(path.prefix(from.count)) == from {
            throw JSONPatchError(kind: .invalidPath, message: "move operation does not apply: cannot move \(fromRaw) into its own child \(op.path)")
        }
        let value = try remove(at: from, in: &doc, opName: "move", raw: fromRaw)
        try insert(value, at: path, in: &doc, replacing: false, opName: "move", raw: op.path)
    case .copy:
        let fromRaw = op.from ?? ""
        guard let value = JSONPointer.resolve(fromRaw, in: doc) else {
            throw missing("copy operation does not apply: doc is missing from path: \(fromRaw)")
        }
        try insert(value, at: path, in: &doc, replacing: false, opName: "copy", raw: op.path)
    case .test:
        let actual = JSONPointer.resolve(op.path, in: doc)
        if path.count > 0 && actual == nil && parentExists(path, in: doc) == false {
            throw missing("test operation does not apply: is missing path: \(op.path)")
        }
        guard let actual, actual == (op.value ?? .null) else {
            throw JSONPatchError(kind: .testFailed, message: "testing value \(op.path) failed: test failed")
        }
    }
}

private func parentExists(_ path: [String], in doc: JSON) -> Bool {
    var cur = doc
    for t in path.dropLast() {
        switch cur {
        case .object(let o):
            guard let n = o[t] else { return false }
            cur = n
        case .array(let a):
            guard let i = JSONPointer.arrayIndex(t), i < a.count else { return false }
            cur = a[i]
        default: return false
        }
    }
    switch cur {
    case .object, .array: return true
    default: return false
    }
}

/// Adds (or, with `replacing`, replaces) `value` at `path`. Recursion keeps copy-on-write
/// simple; documents are small (one Kubernetes object).
private func insert(_ value: JSON, at path: [String], in doc: inout JSON, replacing: Bool, opName: String, raw: String) throws(JSONPatchError) {
    guard let head = path.first else {
        doc = value
        return
    }
    let rest = Array(path.dropFirst())
    let quoted = opName == "add" || opName == "remove"
    let missingPath = JSONPatchError(
        kind: .invalidPath,
        message: "\(opName) operation does not apply: doc is missing path: \(quoted ? "\"\(raw)\"" : raw): missing value")
    switch doc {
    case .object(var o):
        if rest.isEmpty {
            if replacing && o[head] == nil {
                throw JSONPatchError(kind: .invalidPath, message: "replace operation does not apply: doc is missing key: \(raw): missing value")
            }
            o[head] = value
        } else {
            guard var child = o[head] else { throw missingPath }
            try insert(value, at: rest, in: &child, replacing: replacing, opName: opName, raw: raw)
            o[head] = child
        }
        doc = .object(o)
    case .array(var a):
        if rest.isEmpty {
            if head == "-" && !replacing {
                a.append(value)
            } else {
                guard let i = JSONPointer.arrayIndex(head) else {
                    throw JSONPatchError(kind: .invalidPath, message: "\(opName) operation does not apply: value was not a proper array index: '\(head)'")
                }
                if replacing {
                    guard i < a.count else {
                        throw JSONPatchError(kind: .invalidPath, message: "replace operation does not apply: doc is missing key: \(raw): missing value")
                    }
                    a[i] = value
                } else {
                    guard i <= a.count else {
                        throw JSONPatchError(
                            kind: .invalidPath, message: "error in \(opName) for path: '\(raw)': Unable to access invalid index: \(i): invalid index referenced"
                        )
                    }
                    a.insert(value, at: i)
                }
            }
        } else {
            guard let i = JSONPointer.arrayIndex(head), i < a.count else { throw missingPath }
            var child = a[i]
            try insert(value, at: rest, in: &child, replacing: replacing, opName: opName, raw: raw)
            a[i] = child
        }
        doc = .array(a)
    default:
        throw missingPath
    }
}

private func remove(at path: [String], in doc: inout JSON, opName: String, raw: String) throws(JSONPatchError) -> JSON {
    guard let head = path.first else {
        throw JSONPatchError(kind: .invalidPath, message: "\(opName) operation does not apply: cannot remove the whole document")
    }
    let rest = Array(path.dropFirst())
    let missingPath = JSONPatchError(
        kind: .invalidPath,
        message: opName == "move"
            ? "move operation does not apply: doc is missing from path: \(raw): missing value"
            : "remove operation does not apply: doc is missing path: \"\(raw)\": missing value")
    switch doc {
    case .object(var o):
        let removed: JSON
        if rest.isEmpty {
            guard let v = o.removeValue(forKey: head) else {
                throw JSONPatchError(
                    kind: .invalidPath, message: "error in \(opName) for path: '\(raw)': Unable to remove nonexistent key: \(head): missing value")
            }
            removed = v
        } else {
            guard var child = o[head] else { throw missingPath }
            removed = try remove(at: rest, in: &child, opName: opName, raw: raw)
            o[head] = child
        }
        doc = .object(o)
        return removed
    case .array(var a):
        guard let i = JSONPointer.arrayIndex(head), i < a.count else {
            if rest.isEmpty {
                throw JSONPatchError(
                    kind: .invalidPath, message: "error in \(opName) for path: '\(raw)': Unable to access invalid index: \(head): invalid index referenced")
            }
            throw missingPath
        }
        let removed: JSON
        if rest.isEmpty {
            removed = a.remove(at: i)
        } else {
            var child = a[i]
            removed = try remove(at: rest, in: &child, opName: opName, raw: raw)
            a[i] = child
        }
        doc = .array(a)
        return removed
    default:
        throw missingPath
    }
}
