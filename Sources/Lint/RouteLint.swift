import APIServer
import GatewayAPI
import KubeCore

// `smitop lint` for Gateway API HTTPRoute/GRPCRoute and Linkerd policy HTTPRoute manifests
// (../shared/gateway-api/NOTES.md): the real CRD schema of the version written (Gateway API
// v1.2.1 standard channel, Linkerd 2.19's policy CRD), applied as the API server applies it
// (defaults, then validation; an unknown field is an error as under kubectl's strict field
// validation), then what the schema cannot say:
// * error: a Service backendRef with group "" and no port (the CRD's CEL rule "Must have port
//   for Service reference", which the schema check here cannot run);
// * warning: no Service parent (a Gateway route, not a mesh route), a Service parent stored
//   with the Gateway API group (written without `group`), a rule whose weights are all 0, a
//   rule whose only backend has weight 0, `rules[].name` (Gateway API 1.4: pruned by older
//   CRDs, and Linkerd ignores routes with fields newer than 1.2.1), GRPCRoute v1alpha2 (not
//   served by Gateway API 1.1+ CRDs although Linkerd's docs still write it).
// Shares are reported per rule: each rule splits its own backendRefs.

public struct LintRule: Sendable, Equatable {
    public var index: Int
    public var name: String?
    public var matches: String
    public var backends: [LintBackend]
}

enum RouteCRDs {
    /// Parsed once: the schemas of every served version, by group and kind.
    static let schemas: [String: JSON] = {
        var out: [String: JSON] = [:]
        for text in [EmbeddedCRDs.httpRouteJSON, EmbeddedCRDs.grpcRouteJSON, EmbeddedCRDs.linkerdHTTPRouteJSON] {
            guard let crd = try? JSON.parse(text) else { continue }
            let group = crd[path: "spec", "group"]?.stringValue ?? ""
            let kind = crd[path: "spec", "names", "kind"]?.stringValue ?? ""
            for v in crd[path: "spec", "versions"]?.arrayValue ?? [] where v["served"]?.boolValue == true {
                guard let name = v["name"]?.stringValue, let s = crdSchema(crd, version: name) else { continue }
                out["\(group)/\(name)/\(kind)"] = s
            }
        }
        return out
    }()
}

func lintRoute(_ json: JSON, kind: RouteKind, checker c: inout LintChecker) -> [LintRule]? {
    let apiVersion = json["apiVersion"]?.stringValue ?? ""
    guard let schema = RouteCRDs.schemas["\(apiVersion)/\(kind.kind)"] else {
        if kind == .grpcRoute && apiVersion.hasSuffix("/v1alpha2") {
            c.error(
                "apiVersion",
                "GRPCRoute v1alpha2 is not served by Gateway API 1.1+ CRDs (Linkerd's documentation still writes it): use gateway.networking.k8s.io/v1")
        } else {
            c.error("apiVersion", "\(apiVersion) \(kind.kind) is not served by the Gateway API v1.2.1 or Linkerd 2.19 CRDs")
        }
        return nil
    }
    c.checkMetadata(json)
    let result = validate(json, schema: schema, fieldValidation: .strict)
    for e in result.errors { c.error(e.field, e.message) }
    for path in result.unknownFields {
        if path.hasSuffix(".name"), path.hasPrefix("spec.rules[") {
            c.warn(path, "rules[].name is Gateway API 1.4; these CRDs prune it, and Linkerd ignores routes with fields newer than 1.2.1")
        } else {
            c.error(path, "unknown field (the CRD prunes it; kubectl's strict validation refuses it)")
        }
    }
    // The CEL rule on backendRefs: a core-group Service needs a port. `core` passes it (the
    // rule tests size(group) == 0), so only "" (or the default) fails.
    for (i, rule) in (result.pruned[path: "spec", "rules"]?.arrayValue ?? []).enumerated() {
        for (j, b) in (rule["backendRefs"]?.arrayValue ?? []).enumerated()
        where (b["group"]?.stringValue ?? "") == "" && (b["kind"]?.stringValue ?? "Service") == "Service" && b["port"] == nil {
            c.error("spec.rules[\(i)].backendRefs[\(j)].port", "Must have port for Service reference")
        }
    }
    // The model reads what the API server would store: defaults applied.
    let route: Route
    do { route = try Route(json: result.pruned) } catch {
        if result.errors.isEmpty { c.error(error.path, error.message) }
        return nil
    }
    for p in route.specProblems { c.warn(p.path, p.message) }
    return route.rules.enumerated().map { i, rule in
        let shares = route.shares(rule: i)
        return LintRule(
            index: i, name: rule.name, matches: rule.matchSummary,
            backends: rule.backends.enumerated().map { j, b in
                LintBackend(service: b.displayName(routeNamespace: route.namespace), weight: b.weight.description, share: shares[j])
            })
    }
}
