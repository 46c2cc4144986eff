import KubeCore

/// One line that tells rules apart in a table: what requests a rule takes. A rule's matches are
/// ORed, the conditions inside one match ANDed (HTTPRouteRule.matches), so matches are joined
/// with " | " and conditions with ", ".
enum MatchSummary {
    static let allRequests = "all requests"

    static func text(_ matches: [JSON], kind: RouteKind) -> (text: String, matchesAll: Bool) {
        if matches.isEmpty { return (allRequests, true) }
        var parts: [String] = []
        var all = false
        for m in matches.prefix(8) {
            let s = kind == .grpcRoute ? grpc(m) : http(m)
            if s.isEmpty { all = true }
            parts.append(s.isEmpty ? allRequests : s)
        }
        if matches.count > 8 { parts.append("… \(matches.count - 8) more") }
        // A rule where any match takes everything takes everything.
        if all && matches.count == 1 { return (allRequests, true) }
        return (clean(parts.joined(separator: " | "), limit: 200), all)
    }

    /// "" for a match that takes every request (the CRD's default `PathPrefix /`).
    static func http(_ m: JSON) -> String {
        var c: [String] = []
        if let p = m["path"] {
            let type = p["type"]?.stringValue ?? "PathPrefix"
            let value = p["value"]?.stringValue ?? "/"
            switch type {
            case "PathPrefix": if value != "/" { c.append("path \(value)*") }
            case "Exact": c.append("path =\(value)")
            case "RegularExpression": c.append("path ~\(value)")
            default: c.append("path \(type) \(value)")
            }
        }
        if let method = m["method"]?.stringValue { c.append(method) }
        c += headerTerms(m["headers"], prefix: "header ")
        c += headerTerms(m["queryParams"], prefix: "query ")
        return c.joined(separator: ", ")
    }

    static func grpc(_ m: JSON) -> String {
        var c: [String] = []
        if let method = m["method"] {
            let svc = method["service"]?.stringValue ?? "*"
            let name = method["method"]?.stringValue ?? "*"
            let re = method["type"]?.stringValue == "RegularExpression" ? "~" : ""
            c.append("grpc \(re)\(svc)/\(name)")
        }
        c += headerTerms(m["headers"], prefix: "header ")
        return c.joined(separator: ", ")
    }

    static func headerTerms(_ list: JSON?, prefix: String) -> [String] {
        (list?.arrayValue ?? []).prefix(8).map { h in
            let op = h["type"]?.stringValue == "RegularExpression" ? "~" : "="
            return "\(prefix)\(h["name"]?.stringValue ?? "?")\(op)\(h["value"]?.stringValue ?? "")"
        }
    }
}
