import KubeCore
import SMI

// SMI objects in the layout of each version (NOTES.md §1–§3), with the metadata a real API
// server would hold for them: kubectl's last-applied-configuration annotation and
// managedFields entries, or a controller's ownerReferences.

struct SMIObjectWriter {
    let profile: SimProfile
    let now: Double

    var splitVersion: String { profile.splitStorageVersion }
    var accessVersion: String { profile.accessVersions.first ?? "v1alpha3" }
    var specsVersion: String { profile.specsVersions.first ?? "v1alpha4" }

    func time(ago seconds: Double) -> JSON { .string(KubeTime.format(epochSeconds: now - seconds)) }

    /// A weight in the split's stored version: integers for v1alpha2+; for v1alpha1 either a
    /// quantity string (percent 90 → "900m") or a bare number.
    func weightJSON(_ w: Double, style: SimTopology.WeightStyle) -> JSON {
        if splitVersion == "v1alpha1", style == .milli {
            return .string(MetricQuantity.formatMilli(Int64((w * 10).rounded())))
        }
        return .int(Int64(w.rounded()))
    }

    func splitSpec(_ s: SimTopology.Split, weights: [Double]) -> JSON {
        let backends: [JSON] = zip(s.backends, weights).map { b, w in
            jobj([("service", .string(b.service)), ("weight", weightJSON(w, style: s.style))])
        }
        return jobj([("service", .string(s.root)), ("backends", .array(backends))])
    }

    /// kubectl stores the applied manifest as Go's encoding/json prints a map: keys sorted,
    /// compact, a trailing newline, and an empty `annotations` left where it removed its own.
    func lastApplied(
        apiVersion: String, kind: String, name: String, namespace: String,
        labels: [(String, String)], spec: JSON?, root: [(String, JSON)] = []
    ) -> String {
        var meta: [(String, JSON)] = [("annotations", .emptyObject)]
        if !labels.isEmpty { meta.append(("labels", sortedJSON(labelsJSON(labels)))) }
        meta.append(("name", .string(name)))
        meta.append(("namespace", .string(namespace)))
        var entries: [(String, JSON)] = [("apiVersion", .string(apiVersion)), ("kind", .string(kind)), ("metadata", jobj(meta))]
        if let spec { entries.append(("spec", spec)) }
        entries += root
        return sortedJSON(jobj(entries)).compactString + "\n"
    }

    func sortedJSON(_ v: JSON) -> JSON {
        switch v {
        case .object(let o):
            return jobj(o.entries.sorted { $0.key < $1.key }.map { ($0.key, sortedJSON($0.value)) })
        case .array(let a): return .array(a.map(sortedJSON))
        default: return v
        }
    }

    func fieldsFor(labels: [(String, String)]) -> JSON {
        var f: [(String, JSON)] = [(".", .emptyObject)]
        for (k, _) in labels.sorted(by: { $0.0 < $1.0 }) { f.append(("f:" + k, .emptyObject)) }
        return jobj(f)
    }

    func kubectlManagedFields(manager: String, apiVersion: String, ago: Double, labels: [(String, String)], spec: JSON) -> JSON {
        var metaFields: [(String, JSON)] = [
            ("f:annotations", jobj([(".", .emptyObject), ("f:kubectl.kubernetes.io/last-applied-configuration", .emptyObject)]))
        ]
        if !labels.isEmpty { metaFields.append(("f:labels", fieldsFor(labels: labels))) }
        var specFields: [(String, JSON)] = [(".", .emptyObject)]
        for e in (spec.objectValue?.entries ?? []).sorted(by: { $0.key < $1.key }) {
            specFields.append(("f:" + e.key, .emptyObject))
        }
        return jobj([
            ("manager", .string(manager)), ("operation", "Update"),
            ("apiVersion", .string(apiVersion)), ("time", time(ago: ago)),
            ("fieldsType", "FieldsV1"),
            ("fieldsV1", jobj([("f:metadata", jobj(metaFields)), ("f:spec", jobj(specFields))])),
        ])
    }

    func split(_ s: SimTopology.Split) -> JSON {
        let apiVersion = "split.smi-spec.io/\(splitVersion)"
        let weights = s.backends.map(\.weight)
        let spec = splitSpec(s, weights: weights)
        var meta: [(String, JSON)] = [
            ("name", .string(s.name)), ("namespace", .string(s.namespace)),
            ("creationTimestamp", time(ago: s.ageSeconds)),
        ]
        if !s.labels.isEmpty { meta.append(("labels", labelsJSON(s.labels))) }
        switch s.owner {
        case .kubectl(let editedAgo, let original):
            let appliedSpec = splitSpec(s, weights: original ?? weights)
            meta.append(
                (
                    "annotations",
                    jobj([
                        (
                            "kubectl.kubernetes.io/last-applied-configuration",
                            .string(
                                lastApplied(
                                    apiVersion: apiVersion, kind: "TrafficSplit", name: s.name, namespace: s.namespace,
                                    labels: s.labels, spec: sortedJSON(appliedSpec)))
                        )
                    ])
                ))
            var managed = [kubectlManagedFields(manager: s.applyManager, apiVersion: apiVersion, ago: s.ageSeconds, labels: s.labels, spec: spec)]
            if let editedAgo {
                managed.append(
                    jobj([
                        ("manager", "kubectl-edit"), ("operation", "Update"), ("apiVersion", .string(apiVersion)),
                        ("time", time(ago: editedAgo)), ("fieldsType", "FieldsV1"),
                        ("fieldsV1", jobj([("f:spec", jobj([("f:backends", .emptyObject)]))])),
                    ]))
            }
            meta.append(("managedFields", .array(managed)))
        case .flagger(let canary, let uid, let updatedAgo):
            meta.append(
                (
                    "ownerReferences",
                    [
                        jobj([
                            ("apiVersion", "flagger.app/v1beta1"), ("kind", "Canary"), ("name", .string(canary)),
                            ("uid", .string(uid)), ("controller", true), ("blockOwnerDeletion", true),
                        ])
                    ]
                ))
            // Flagger talks to the split API through its own typed client (v1alpha2 for
            // Linkerd), which is the version its managedFields entry records.
            let managerVersion = splitVersion == "v1alpha1" ? "split.smi-spec.io/v1alpha2" : apiVersion
            meta.append(
                (
                    "managedFields",
                    [
                        jobj([
                            ("manager", "flagger"), ("operation", "Update"), ("apiVersion", .string(managerVersion)),
                            ("time", time(ago: updatedAgo)), ("fieldsType", "FieldsV1"),
                            (
                                "fieldsV1",
                                jobj([
                                    (
                                        "f:metadata",
                                        jobj([
                                            (
                                                "f:ownerReferences",
                                                jobj([
                                                    (".", .emptyObject), ("k:{\"uid\":\"\(uid)\"}", .emptyObject),
                                                ])
                                            )
                                        ])
                                    ),
                                    ("f:spec", jobj([(".", .emptyObject), ("f:backends", .emptyObject), ("f:service", .emptyObject)])),
                                ])
                            ),
                        ])
                    ]
                ))
        }
        return jobj([
            ("apiVersion", .string(apiVersion)), ("kind", "TrafficSplit"),
            ("metadata", jobj(meta)), ("spec", spec),
        ])
    }

    /// A kubectl-applied SMI object: `body` is the version-specific content (spec or root
    /// fields) in the order a manifest would have it.
    func applied(apiVersion: String, kind: String, namespace: String, name: String, ago: Double, body: [(String, JSON)]) -> JSON {
        let spec = body.first { $0.0 == "spec" }?.1
        let rootFields = body.filter { $0.0 != "spec" }
        let annotation = lastApplied(
            apiVersion: apiVersion, kind: kind, name: name, namespace: namespace, labels: [],
            spec: spec.map(sortedJSON), root: rootFields.map { ($0.0, sortedJSON($0.1)) })
        let metaFields = jobj([
            ("f:annotations", jobj([(".", .emptyObject), ("f:kubectl.kubernetes.io/last-applied-configuration", .emptyObject)]))
        ])
        var fields: [(String, JSON)] = [("f:metadata", metaFields)]
        for (k, v) in body.sorted(by: { $0.0 < $1.0 }) {
            if let o = v.objectValue {
                var sub: [(String, JSON)] = [(".", .emptyObject)]
                for e in o.entries.sorted(by: { $0.key < $1.key }) { sub.append(("f:" + e.key, .emptyObject)) }
                fields.append(("f:" + k, jobj(sub)))
            } else {
                fields.append(("f:" + k, .emptyObject))
            }
        }
        let meta = jobj([
            ("name", .string(name)), ("namespace", .string(namespace)),
            ("creationTimestamp", time(ago: ago)),
            ("annotations", jobj([("kubectl.kubernetes.io/last-applied-configuration", .string(annotation))])),
            (
                "managedFields",
                [
                    jobj([
                        ("manager", "kubectl-client-side-apply"), ("operation", "Update"),
                        ("apiVersion", .string(apiVersion)), ("time", time(ago: ago)),
                        ("fieldsType", "FieldsV1"), ("fieldsV1", jobj(fields)),
                    ])
                ]
            ),
        ])
        return jobj([("apiVersion", .string(apiVersion)), ("kind", .string(kind)), ("metadata", meta)] + body)
    }

    func trafficTarget(_ t: SimTopology.Target, ago: Double) -> JSON {
        let v = accessVersion
        let apiVersion = "access.smi-spec.io/\(v)"
        let sources: JSON = .array(
            t.sources.map {
                jobj([("kind", "ServiceAccount"), ("name", .string($0.account)), ("namespace", .string($0.namespace))])
            })
        var destination: [(String, JSON)] = [
            ("kind", "ServiceAccount"), ("name", .string(t.destination)), ("namespace", .string(t.namespace)),
        ]
        // v1alpha3 removed the port (TCPRoute carries ports instead).
        if v != "v1alpha3" { destination.append(("port", .int(t.port))) }
        var rules: [JSON] = []
        if let g = t.routeGroup {
            var r: [(String, JSON)] = [("kind", "HTTPRouteGroup"), ("name", .string(g))]
            if let m = t.routeMatches { r.append(("matches", .array(m.map { .string($0) }))) }
            rules.append(jobj(r))
        }
        if let tcp = t.tcpRoute { rules.append(jobj([("kind", "TCPRoute"), ("name", .string(tcp))])) }
        let body: [(String, JSON)]
        if v == "v1alpha1" {
            body = [("destination", jobj(destination)), ("specs", .array(rules)), ("sources", sources)]
        } else {
            body = [("spec", jobj([("destination", jobj(destination)), ("rules", .array(rules)), ("sources", sources)]))]
        }
        return applied(apiVersion: apiVersion, kind: "TrafficTarget", namespace: t.namespace, name: t.name, ago: ago, body: body)
    }

    func httpRouteGroup(_ g: SimTopology.RouteGroup, ago: Double) -> JSON {
        let v = specsVersion
        let matches: JSON = .array(
            g.matches.map { m in
                var o: [(String, JSON)] = [("name", .string(m.name))]
                if !m.pathRegex.isEmpty { o.append(("pathRegex", .string(m.pathRegex))) }
                if !m.methods.isEmpty { o.append(("methods", .array(m.methods.map { .string($0) }))) }
                // Headers exist from v1alpha2 on, written as the CRD's list of one-key maps.
                if !m.headers.isEmpty, v != "v1alpha1" {
                    o.append(("headers", .array(m.headers.map { jobj([($0.0, .string($0.1))]) })))
                }
                return jobj(o)
            })
        let body: [(String, JSON)] = (v == "v1alpha1" || v == "v1alpha2") ? [("matches", matches)] : [("spec", jobj([("matches", matches)]))]
        return applied(apiVersion: "specs.smi-spec.io/\(v)", kind: "HTTPRouteGroup", namespace: g.namespace, name: g.name, ago: ago, body: body)
    }

    func tcpRoute(_ r: SimTopology.TCPRouteDef, ago: Double) -> JSON {
        let v = specsVersion
        let body: [(String, JSON)]
        switch v {
        case "v1alpha4": body = [("spec", jobj([("matches", jobj([("ports", .array(r.ports.map { .int($0) }))]))]))]
        case "v1alpha3": body = [("spec", .emptyObject)]
        default: body = []
        }
        return applied(apiVersion: "specs.smi-spec.io/\(v)", kind: "TCPRoute", namespace: r.namespace, name: r.name, ago: ago, body: body)
    }
}
