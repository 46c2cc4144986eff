// ObjectMeta validation as k8s.io/apimachinery/pkg/api/validation does it for every write:
// name, namespace, labels and annotations, with the same messages (kubectl prints them).

import Foundation
import KubeCore

public enum NameRule: Sendable {
    /// Most kinds, including every custom resource.
    case dns1123Subdomain
    /// Namespaces.
    case dns1123Label
    /// Services.
    case dns1035Label
}

private let dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
private let dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
private let dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?"
private let qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
private let labelValueFmt = "(" + qualifiedNameFmt + ")?"
private let qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

/// \A and \z, not ^ and $: ICU's $ also matches before a final newline ("name\n" passed).
private func fullMatch(_ s: String, _ pattern: String) -> Bool {
    s.range(of: "\\A(?:" + pattern + ")\\z", options: .regularExpression) != nil
}

/// apimachinery's RegexError: `<msg> (e.g. 'a',  or 'b', regex used for validation is '<fmt>')`.
private func regexError(_ msg: String, _ fmt: String, _ examples: [String]) -> String {
    if examples.isEmpty { return msg + " (regex used for validation is '\(fmt)')" }
    var m = msg + " (e.g. "
    for (i, e) in examples.enumerated() {
        if i > 0 { m += " or " }
        m += "'\(e)', "
    }
    return m + "regex used for validation is '\(fmt)')"
}

private func maxLenError(_ n: Int) -> String { "must be no more than \(n) characters" }

public func dns1123SubdomainErrors(_ v: String) -> [String] {
    var errs: [String] = []
    if v.utf8.count > 253 { errs.append(maxLenError(253)) }
    if !KubeNames.matchesDNS1123Subdomain(v) {
        errs.append(
            regexError(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                dns1123SubdomainFmt, ["example.com"]))
    }
    return errs
}

public func dns1123LabelErrors(_ v: String) -> [String] {
    var errs: [String] = []
    if v.utf8.count > 63 { errs.append(maxLenError(63)) }
    if !KubeNames.matchesDNS1123Label(v) {
        if KubeNames.matchesDNS1123Subdomain(v) {
            errs.append("must not contain dots")
        } else {
            errs.append(
                regexError(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                    dns1123LabelFmt, ["my-name", "123-abc"]))
        }
    }
    return errs
}

public func dns1035LabelErrors(_ v: String) -> [String] {
    var errs: [String] = []
    if v.utf8.count > 63 { errs.append(maxLenError(63)) }
    if !KubeNames.matchesDNS1035Label(v) {
        errs.append(
            regexError(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
                dns1035LabelFmt, ["my-name", "abc-123"]))
    }
    return errs
}

/// Label and annotation keys: `[prefix/]name`.
public func qualifiedNameErrors(_ v: String) -> [String] {
    var errs: [String] = []
    let parts = v.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    let name: String
    switch parts.count {
    case 1:
        name = parts[0]
    case 2:
        let prefix = parts[0]
        name = parts[1]
        if prefix.isEmpty {
            errs.append("prefix part must be non-empty")
        } else {
            errs += dns1123SubdomainErrors(prefix).map { "prefix part " + $0 }
        }
    default:
        return [
            "a qualified name " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, ["MyName", "my.name", "123-abc"])
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    }
    if name.isEmpty {
        errs.append("name part must be non-empty")
    } else if name.utf8.count > 63 {
        errs.append("name part " + maxLenError(63))
    }
    if !name.isEmpty && !fullMatch(name, qualifiedNameFmt) {
        errs.append("name part " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, ["MyName", "my.name", "123-abc"]))
    }
    return errs
}

public func labelValueErrors(_ v: String) -> [String] {
    var errs: [String] = []
    if v.utf8.count > 63 { errs.append(maxLenError(63)) }
    if !fullMatch(v, labelValueFmt) {
        errs.append(
            regexError(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                labelValueFmt, ["MyValue", "my_value", "12345"]))
    }
    return errs
}

/// Validates `metadata` of an object being created or updated. `namespaced` says whether the
/// kind lives in a namespace (then a namespace is required) or not (then it must be empty).
public func validateObjectMeta(_ metadata: JSON?, namespaced: Bool, nameRule: NameRule = .dns1123Subdomain) -> [FieldError] {
    var errs: [FieldError] = []
    let meta = metadata?.objectValue ?? JSONObject()
    let name = meta["name"]?.stringValue ?? ""
    let generateName = meta["generateName"]?.stringValue ?? ""
    func nameErrors(_ s: String) -> [String] {
        switch nameRule {
        case .dns1123Subdomain: return dns1123SubdomainErrors(s)
        case .dns1123Label: return dns1123LabelErrors(s)
        case .dns1035Label: return dns1035LabelErrors(s)
        }
    }
    if name.isEmpty {
        if generateName.isEmpty {
            errs.append(.required("metadata.name", detail: "name or generateName is required"))
        }
    } else {
        for m in nameErrors(name) { errs.append(.invalid("metadata.name", value: .string(name), detail: m)) }
    }
    let ns = meta["namespace"]?.stringValue ?? ""
    if namespaced {
        if ns.isEmpty {
            errs.append(.required("metadata.namespace"))
        } else {
            for m in dns1123LabelErrors(ns) { errs.append(.invalid("metadata.namespace", value: .string(ns), detail: m)) }
        }
    } else if !ns.isEmpty {
        errs.append(FieldError(reason: "FieldValueForbidden", field: "metadata.namespace", message: "Forbidden: not allowed on this type"))
    }
    if let labels = meta["labels"]?.objectValue {
        for (k, v) in labels {
            for m in qualifiedNameErrors(k) { errs.append(.invalid("metadata.labels", value: .string(k), detail: m)) }
            let value = v.stringValue ?? ""
            for m in labelValueErrors(value) { errs.append(.invalid("metadata.labels", value: .string(value), detail: m)) }
        }
    }
    if let annotations = meta["annotations"]?.objectValue {
        var total = 0
        for (k, v) in annotations {
            for m in qualifiedNameErrors(k.lowercased()) { errs.append(.invalid("metadata.annotations", value: .string(k), detail: m)) }
            total += k.utf8.count + (v.stringValue?.utf8.count ?? 0)
        }
        if total > 256 * 1024 {
            errs.append(FieldError(reason: "FieldValueTooLong", field: "metadata.annotations", message: "Too long: may not be more than 262144 bytes"))
        }
    }
    return errs
}
