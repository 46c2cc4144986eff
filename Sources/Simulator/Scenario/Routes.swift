import KubeCore

// The bookstore's Gateway API routes, for the profiles that serve them. Each shows one thing
// an operator meets on a GAMMA mesh (../shared/gateway-api/NOTES.md):
// - books: two rules, a header match (insiders go to books-v2) and the default rule, 80/20;
// - payments: Flagger's route (ownerReference to its Canary, Flux's reconcile-disabled
//   annotations), mid-analysis at 80/20 as the Flagger-owned split is;
// - authors: the Argo Rollouts plugin's route, labelled while its canary has weight;
// - payments-from-bookstore: a consumer route in bookstore for the payments Service, which
//   sends bookstore's callers to the primary only;
// - ledger: a GRPCRoute, and ledger-http, an HTTPRoute on the same Service and port that loses
//   to it (RouteReasonConflicted);
// - webapp: a Service parent written without `group` (stored as the Gateway API group), which
//   no mesh resolves: an empty `status.parents`.
// Linkerd profiles add a policy.linkerd.io HTTPRoute (fraud), and the Linkerd profiles with
// routes a ServiceProfile for authors with dstOverrides (as linkerd-smi writes one for the
// TrafficSplit authors, 100/0): it takes precedence over the authors route (95/5), so that
// route is "overridden" and its 5 % reaches nobody (NOTES.md §7).
//
// Objects are written as a client applies them; the simulator stores them with the CRD's
// defaults (weight 1, group "", kind Service, the PathPrefix "/" match) as a cluster would.

struct RouteObjectWriter {
    let profile: SimProfile
    let now: Double

    func time(ago seconds: Double) -> JSON { .string(KubeTime.format(epochSeconds: now - seconds)) }

    static let gatewayV1 = "gateway.networking.k8s.io/v1"

    func backend(_ name: String, _ weight: Int64?, port: Int64 = 8080, namespace: String? = nil) -> JSON {
        var e: [(String, JSON)] = [("name", .string(name))]
        if let namespace { e.append(("namespace", .string(namespace))) }
        e.append(("port", .int(port)))
        if let weight { e.append(("weight", .int(weight))) }
        return jobj(e)
    }

    func serviceParent(_ name: String, namespace: String? = nil, group: JSON? = "", port: Int64? = 8080) -> JSON {
        var e: [(String, JSON)] = []
        if let group { e.append(("group", group)) }
        e += [("kind", "Service"), ("name", .string(name))]
        if let namespace { e.append(("namespace", .string(namespace))) }
        if let port { e.append(("port", .int(port))) }
        return jobj(e)
    }

    func route(
        apiVersion: String = gatewayV1, kind: String = "HTTPRoute", _ namespace: String, _ name: String, ago: Double,
        parents: [JSON], rules: [JSON], labels: [(String, JSON)] = [], annotations: [(String, JSON)] = [],
        owners: [JSON] = [], managers: [JSON] = []
    ) -> JSON {
        var meta: [(String, JSON)] = [("name", .string(name)), ("namespace", .string(namespace))]
        meta.append(("creationTimestamp", time(ago: ago)))
        if !labels.isEmpty { meta.append(("labels", jobj(labels))) }
        if !annotations.isEmpty { meta.append(("annotations", jobj(annotations))) }
        if !owners.isEmpty { meta.append(("ownerReferences", .array(owners))) }
        if !managers.isEmpty { meta.append(("managedFields", .array(managers))) }
        return jobj([
            ("apiVersion", .string(apiVersion)), ("kind", .string(kind)), ("metadata", jobj(meta)),
            ("spec", jobj([("parentRefs", .array(parents)), ("rules", .array(rules))])),
        ])
    }

    func rule(matches: [JSON]? = nil, _ backends: [JSON]) -> JSON {
        var e: [(String, JSON)] = []
        if let matches { e.append(("matches", .array(matches))) }
        e.append(("backendRefs", .array(backends)))
        return jobj(e)
    }

    func bookstoreRoutes(flaggerCanaryUID: String) -> [JSON] {
        guard profile.servesGatewayAPI else { return [] }
        var out: [JSON] = []
        out.append(
            route(
                "bookstore", "books", ago: 2 * 86400 - 600, parents: [serviceParent("books")],
                rules: [
                    rule(
                        matches: [jobj([("headers", .array([jobj([("name", "x-bookstore-insider"), ("value", "true")])]))])],
                        [backend("books-v2", nil)]),
                    rule([backend("books-v1", 80), backend("books-v2", 20)]),
                ],
                labels: [("app", "books")]))
        out.append(
            route(
                "payments", "payments", ago: 12 * 86400, parents: [serviceParent("payments")],
                rules: [rule([backend("payments-primary", 80), backend("payments-canary", 20)])],
                annotations: [
                    ("helm.toolkit.fluxcd.io/driftDetection", "disabled"), ("kustomize.toolkit.fluxcd.io/reconcile", "disabled"),
                ],
                owners: [
                    jobj([
                        ("apiVersion", "flagger.app/v1beta1"), ("kind", "Canary"), ("name", "payments"),
                        ("uid", .string(flaggerCanaryUID)), ("controller", true), ("blockOwnerDeletion", true),
                    ])
                ],
                managers: [
                    jobj([
                        ("manager", "flagger"), ("operation", "Update"), ("apiVersion", .string(Self.gatewayV1)),
                        ("time", time(ago: 95)), ("fieldsType", "FieldsV1"),
                        ("fieldsV1", jobj([("f:spec", jobj([("f:rules", .emptyObject)]))])),
                    ])
                ]))
        out.append(
            route(
                "bookstore", "authors", ago: 86400 - 300, parents: [serviceParent("authors")],
                rules: [rule([backend("authors-v1", 95), backend("authors-canary", 5)])],
                labels: [("rollouts.argoproj.io/gatewayapi-canary", "in-progress")],
                managers: [
                    jobj([
                        ("manager", "rollouts-controller"), ("operation", "Update"), ("apiVersion", .string(Self.gatewayV1)),
                        ("time", time(ago: 240)), ("fieldsType", "FieldsV1"),
                        ("fieldsV1", jobj([("f:spec", jobj([("f:rules", .emptyObject)]))])),
                    ])
                ]))
        out.append(
            route(
                "bookstore", "payments-from-bookstore", ago: 5 * 86400, parents: [serviceParent("payments", namespace: "payments")],
                rules: [rule([backend("payments-primary", 1, namespace: "payments")])]))
        out.append(
            route(
                kind: "GRPCRoute", "payments", "ledger", ago: 30 * 86400, parents: [serviceParent("ledger")],
                rules: [rule(matches: [jobj([("method", jobj([("service", "ledger.v1.Ledger")]))])], [backend("ledger", 1)])]))
        out.append(
            route(
                "payments", "ledger-http", ago: 3 * 86400, parents: [serviceParent("ledger")],
                rules: [rule([backend("ledger", 1)])]))
        out.append(
            route(
                "bookstore", "webapp", ago: 20 * 86400, parents: [serviceParent("webapp", group: nil, port: 80)],
                rules: [rule([backend("webapp", 1, port: 80)])]))
        if profile.servesLinkerdPolicyRoutes {
            out.append(
                route(
                    apiVersion: "policy.linkerd.io/v1beta3", "payments", "fraud", ago: 40 * 86400,
                    parents: [serviceParent("fraud", group: "core")],
                    rules: [rule([backend("fraud", 1)])]))
        }
        // Creation order by kind (HTTPRoutes, then GRPCRoutes), as the other kinds are written.
        return out.filter { $0["kind"]?.stringValue == "HTTPRoute" } + out.filter { $0["kind"]?.stringValue != "HTTPRoute" }
    }

    /// The bookstore's ServiceProfile, on the profiles that serve both routes and profiles.
    func bookstoreProfiles() -> [JSON] {
        guard profile.servesGatewayAPI && profile.servesServiceProfiles else { return [] }
        func dst(_ name: String, _ weight: Int64) -> JSON {
            jobj([("authority", .string("\(name).bookstore.svc.cluster.local:8080")), ("weight", .int(weight))])
        }
        return [
            jobj([
                ("apiVersion", "linkerd.io/v1alpha2"), ("kind", "ServiceProfile"),
                (
                    "metadata",
                    jobj([
                        ("name", "authors.bookstore.svc.cluster.local"), ("namespace", "bookstore"),
                        ("creationTimestamp", time(ago: 86400 - 290)),
                    ])
                ),
                ("spec", jobj([("dstOverrides", .array([dst("authors-v1", 100), dst("authors-canary", 0)]))])),
            ])
        ]
    }

    /// `count` HTTPRoutes over the generated cluster's canary families, three rules each as
    /// real routes have them: a header rule to the newest version, a path rule to the oldest,
    /// and the default rule with the family's weights. Route i takes family i mod n; the first
    /// route of a family is named after its root, later ones `<root>-r<k>` (routes that merge,
    /// as several producer routes on one Service do).
    func generatedRoutes(from splits: [SimTopology.Split], count: Int) -> [JSON] {
        guard !splits.isEmpty else { return [] }
        var out: [JSON] = []
        out.reserveCapacity(count)
        var seen: [String: Int] = [:]
        for i in 0..<count {
            let s = splits[i % splits.count]
            let k = seen["\(s.namespace)/\(s.root)", default: 0]
            seen["\(s.namespace)/\(s.root)"] = k + 1
            let name = k == 0 ? s.root : "\(s.root)-r\(k)"
            let weighted = s.backends.map { backend($0.service, Int64(max(0, min(1_000_000, $0.weight.rounded())))) }
            out.append(
                route(
                    s.namespace, name, ago: s.ageSeconds, parents: [serviceParent(s.root)],
                    rules: [
                        rule(
                            matches: [jobj([("headers", .array([jobj([("name", "x-canary"), ("value", "always")])]))])],
                            [backend(s.backends.last?.service ?? s.root, 1)]),
                        rule(
                            matches: [jobj([("path", jobj([("type", "PathPrefix"), ("value", "/legacy")]))])],
                            [backend(s.backends.first?.service ?? s.root, 1)]),
                        rule(weighted),
                    ]))
        }
        return out
    }
}
