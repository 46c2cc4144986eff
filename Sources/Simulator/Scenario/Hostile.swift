import KubeCore
import SMI

/// The `hostile` scenario: the bookstore mesh, untouched, beside a namespace `hostile` that
/// holds what any user with write access to one namespace can create and a real API server
/// accepts: TrafficSplit weights at and beyond every bound, a split with 1,000 backends, names
/// and labels at their maximum lengths, control characters, bidi overrides, zero-width joiners
/// and terminal escape sequences in every string field that can hold them, deep nesting, an
/// annotation of about 200 KB and a split whose root is its own backend. A small healthy mesh
/// (`client` → `web` split 50/50 over `web-v1` and `web-v2`) lives in the same namespace, so
/// a test can check that it stays usable beside the rest.
///
/// Every object passes the simulator's own validation with the real CRD schemas of the
/// profile (ScenarioTests checks it): a value a real server refuses is left out instead of
/// being smuggled in through the seeding path. So string weights (`"1e29"`, `"-5"`, `"NaN"`)
/// appear only where the served schema is int-or-string (profiles `linkerd` and `all`); with
/// `type: number` (`sdk`, `osm`) the same bounds are written as JSON numbers, in the form a
/// real server gives them back after its float64 round trip (`1e+29`). Label values and object
/// names cannot hold control characters on a real server (their regexes refuse them), so they
/// carry the length bounds only; annotations, backend and root service names (plain strings
/// in the CRD) carry the escapes.
enum Hostile {
    static let namespace = "hostile"
    /// A namespace name at the DNS-1123 label maximum (63).
    static let longNamespace = "hostile-" + String(repeating: "n", count: 63 - "hostile-".count)
    /// A split name at the DNS-1123 subdomain maximum (253): three 63-character labels (the
    /// label maximum), then a 61-character one.
    static let longSplitName = subdomain253("s")
    /// A label key at its maximum: a 253-character DNS subdomain prefix, "/", a 63-character name.
    static let longLabelKey = subdomain253("p") + "/" + String(repeating: "k", count: 62) + "1"

    static func subdomain253(_ c: Character) -> String {
        let label = String(repeating: c, count: 62) + "1"
        return [label, label, label, String(repeating: c, count: 60) + "2"].joined(separator: ".")
    }
    static let longLabelValue = String(repeating: "v", count: 62) + "1"

    /// Text that would clear the screen, retitle the terminal window, reverse what follows,
    /// join glyphs invisibly or move the cursor, were it ever printed raw.
    static let escapes: [(String, String)] = [
        ("clear", "\u{1B}[2J"),
        ("title", "\u{1B}]0;pwned\u{07}"),
        ("red", "\u{1B}[31mred\u{1B}[0m"),
        ("bidi", "evil\u{202E}gnp.exe"),
        ("zwj", "zero\u{200D}width\u{200B}joiner"),
        ("c1", "csi\u{9B}2J"),
        ("del", "rub\u{7F}out"),
        ("nul", "nul\u{0}byte"),
        ("bell", "bell\u{07}\u{08}\u{08}"),
        ("newline", "line\nbreak\rreturn\ttab"),
        ("isolate", "iso\u{2066}late\u{2069}"),
    ]

    /// Annotations carrying every escape, on the namespace, its services and its splits.
    static var hostileAnnotations: [(String, JSON)] {
        escapes.map { ("hostile.smitop.dev/\($0.0)", .string($0.1)) }
    }

    /// The bookstore mesh plus the healthy part of the hostile namespaces.
    static func topology(seed: UInt64) -> SimTopology {
        var t = Bookstore.topology(seed: seed)
        var rng = SimRandom(seed: seed ^ 0x0B57_11E5)
        let nodes = ["smitop-worker-1", "smitop-worker-2", "smitop-worker-3"]
        t.namespaces.append(.init(name: namespace, ageDays: 3, team: "hostile"))
        t.namespaces.append(.init(name: longNamespace, ageDays: 3, team: "hostile"))
        func deploy(_ name: String, app: String, version: String, sr: Double, p50: Double, layer: Int, pods: Int = 1) -> Int {
            t.deployments.append(
                SimTopology.Deployment(
                    namespace: namespace, name: name, app: app, version: version, image: "ghcr.io/smitop/demo/\(app):1.0.\(version.dropFirst())",
                    port: 8080, serviceAccount: app, ageSeconds: 3 * 86400 + rng.double(in: 0...3600),
                    templateHash: rng.kubeSuffix(10), successRate: sr, latencyMedianMs: p50, latencySigma: 0.4, layer: layer,
                    partOf: namespace))
            let i = t.deployments.count - 1
            t.addPods(to: i, count: pods, rng: &rng, nodes: nodes)
            return i
        }
        func service(_ name: String, selector: [(String, String)], _ workloads: [Int]) {
            t.addService(
                SimTopology.Service(
                    namespace: namespace, name: name, port: 8080, targetPort: 8080, selector: selector, workloads: workloads,
                    clusterIP: SimTopology.clusterIP(t.services.count), ageSeconds: 3 * 86400, partOf: namespace))
        }
        let client = deploy("client", app: "client", version: "v1", sr: 1, p50: 4, layer: 0)
        t.deployments[client].originRPS = 5
        let v1 = deploy("web-v1", app: "web", version: "v1", sr: 0.999, p50: 20, layer: 1, pods: 2)
        let v2 = deploy("web-v2", app: "web", version: "v2", sr: 0.99, p50: 25, layer: 1)
        service("web", selector: [("app", "web")], [v1, v2])
        service("web-v1", selector: [("app", "web"), ("version", "v1")], [v1])
        service("web-v2", selector: [("app", "web"), ("version", "v2")], [v2])
        t.calls.append(SimTopology.Call(from: client, to: t.service(namespace, "web")!, callsPerRequest: 1))
        t.splits.append(
            SimTopology.Split(
                namespace: namespace, name: "web", root: "web", backends: [("web-v1", 50), ("web-v2", 50)],
                owner: .kubectl(editedAgoSeconds: nil, originalWeights: nil), style: .integer, ageSeconds: 2 * 86400,
                labels: [("app", "web")]))
        // Route names and header values are plain strings in the specs CRDs: escapes too.
        t.routeGroups.append(
            .init(
                namespace: namespace, name: "web-routes",
                matches: [
                    .init(name: "index\u{1B}[2J", pathRegex: "/\u{202E}txt", methods: ["GET"]),
                    .init(name: "title\u{1B}]0;pwned\u{07}", pathRegex: "", methods: [], headers: [("x-evil", "\u{1B}[31mred")]),
                ]))
        // A target whose only source is its own destination.
        t.targets.append(
            .init(
                namespace: namespace, name: "web", destination: "web", port: 8080, sources: [("web", namespace)],
                routeGroup: "web-routes", routeMatches: nil, tcpRoute: nil))
        return t
    }

    /// One weight as the profile's schema lets it be written: `text` where strings are
    /// accepted, else `number` (Go's float64 rendering), else nothing (the backend or split is
    /// left out for this profile).
    struct W {
        var text: String
        var number: String?
        init(_ text: String, number: String? = nil) {
            self.text = text
            self.number = number
        }
        static func n(_ v: String) -> W { W(v, number: v) }
    }

    /// The hostile TrafficSplits, in the profile's storage version.
    /// A TrafficTarget without a spec: the CRDs require destination, rules and sources inside
    /// `spec` but not `spec` itself, so a real server accepts it, and smitop cannot read it
    /// (no destination). Only where the profile serves the access group.
    static func targets(profile: SimProfile, now: Double) -> [JSON] {
        guard let version = profile.accessVersions.first else { return [] }
        let meta: [(String, JSON)] = [
            ("name", "no-spec"), ("namespace", .string(namespace)),
            ("creationTimestamp", .string(KubeTime.format(epochSeconds: now - 86400))),
        ]
        return [jobj([("apiVersion", .string("access.smi-spec.io/\(version)")), ("kind", "TrafficTarget"), ("metadata", jobj(meta))])]
    }

    static func splits(seed: UInt64, profile: SimProfile, now: Double) -> [JSON] {
        let version = profile.splitStorageVersion
        let apiVersion = "split.smi-spec.io/\(version)"
        // Profiles whose split schema is int-or-string (ResourceTypes.smiCRDs) take strings.
        let strings = profile.splitWeightsIntOrString
        var rng = SimRandom(seed: seed ^ 0x4057_11E0)
        func weight(_ w: W) -> JSON? {
            if strings { return .string(w.text) }
            return w.number.map(JSON.number)
        }
        func split(
            _ name: String, namespace ns: String = namespace, root: String, _ backends: [(String, W)],
            labels: [(String, String)] = [], annotations: [(String, JSON)] = [], extraMeta: [(String, JSON)] = []
        ) -> JSON? {
            var list: [JSON] = []
            for (svc, w) in backends {
                guard let wj = weight(w) else { return nil }
                list.append(jobj([("service", .string(svc)), ("weight", wj)]))
            }
            var meta: [(String, JSON)] = [
                ("name", .string(name)), ("namespace", .string(ns)),
                ("creationTimestamp", .string(KubeTime.format(epochSeconds: now - 86400))),
            ]
            if !labels.isEmpty { meta.append(("labels", labelsJSON(labels))) }
            if !annotations.isEmpty { meta.append(("annotations", jobj(annotations))) }
            meta += extraMeta
            return jobj([
                ("apiVersion", .string(apiVersion)), ("kind", "TrafficSplit"), ("metadata", jobj(meta)),
                ("spec", jobj([("service", .string(root)), ("backends", .array(list))])),
            ])
        }
        let bound = String(Weight.maximumUnits)
        let beyond = String(Weight.maximumUnits + 1)
        let out: [JSON?] = [
            split("huge-weights", root: "huge", [("web-v1", W("1e29", number: "1e+29")), ("web-v2", W("1e29", number: "1e+29"))]),
            split("at-bound", root: "at-bound", [("web-v1", .n(bound)), ("web-v2", .n(bound))]),
            split("beyond-bound", root: "beyond-bound", [("web-v1", .n(beyond)), ("web-v2", .n("1"))]),
            split("zero-weights", root: "zero", [("web-v1", .n("0")), ("web-v2", .n("0"))]),
            split("negative-weight", root: "negative", [("web-v1", .n("-5")), ("web-v2", .n("10"))]),
            split("nan-weight", root: "nan", [("web-v1", W("NaN")), ("web-v2", .n("1"))]),
            split("infinite-weight", root: "infinite", [("web-v1", W("Infinity")), ("web-v2", .n("1"))]),
            split("float-max", root: "float-max", [("web-v1", W("1e308", number: "1e+308")), ("web-v2", .n("1"))]),
            split(
                "int128-overflow", root: "int128",
                [("web-v1", W("170141183460469231731687303715884105728", number: "1.7014118346046923e+38")), ("web-v2", .n("1"))]),
            split("tiny-exponent", root: "tiny", [("web-v1", W("1e-9223372036854775808", number: "1e-300")), ("web-v2", .n("1"))]),
            split("self-root", root: "loop", [("loop", .n("50")), ("web-v1", .n("50"))]),
            split(
                "thousand-backends", root: "thousand",
                (0..<1000).map { i in ("web-b" + String(i).leftPadded(4), W.n(String(rng.int(in: 0...100)))) }),
            split(
                "terminal-escapes", root: "\u{1B}[31mroot\u{202E}",
                escapes.map { ($0.1, W.n("1")) }, annotations: hostileAnnotations),
            split(
                "huge-annotation", root: "huge-annotation", [("web-v1", .n("1")), ("web-v2", .n("1"))],
                annotations: [("hostile.smitop.dev/huge", .string(hugeAnnotation(rng: &rng)))]),
            split(
                "deep-nesting", root: "deep", [("web-v1", .n("1")), ("web-v2", .n("1"))],
                annotations: [("kubectl.kubernetes.io/last-applied-configuration", .string(deepJSON(levels: 10_000)))],
                extraMeta: [("managedFields", [deepManagedFields(levels: deepLevels, time: KubeTime.format(epochSeconds: now - 86400))])]),
            split(
                longSplitName, namespace: longNamespace, root: "web", [("web-v1", .n("3")), ("web-v2", .n("1"))],
                labels: [(longLabelKey, longLabelValue), ("app", longLabelValue)], annotations: hostileAnnotations),
        ]
        // Drop what this profile's schema cannot hold (a real server refuses it with 422).
        return out.compactMap { $0 }
    }

    /// About 200 KB (under the 256 KiB total a real server allows for annotations) of
    /// printable text with an escape of every kind every kilobyte.
    static func hugeAnnotation(rng: inout SimRandom) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789 ")
        var s = ""
        s.reserveCapacity(200_000)
        var k = 0
        while s.utf8.count < 200_000 {
            for _ in 0..<1000 { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            s += escapes[k % escapes.count].1
            k += 1
        }
        return s
    }

    /// How deep the `deep-nesting` split's field set nests: the object then nests 1,007
    /// levels, twice the 512 smitop once refused (a real server holds up to 10,000: its Go
    /// decoder's limit, tested at the limit in SimulatorTests). Not deeper here because every
    /// indented rendering of it (`kubectl get -o json`, which the hostile tests run in every
    /// profile) grows with the square of the depth: 4 MB at 1,000 levels, 400 MB at 10,000.
    static let deepLevels = 1_000

    /// `{"x":{"x":…}}` nested `levels` deep, as an annotation's text.
    static func deepJSON(levels: Int) -> String {
        String(repeating: #"{"x":"#, count: levels) + "1" + String(repeating: "}", count: levels)
    }

    /// A managedFields entry whose field set nests `levels` deep (fields of fields the object
    /// does not have, which a real server keeps as it was sent).
    static func deepManagedFields(levels: Int, time: String) -> JSON {
        var inner: JSON = .emptyObject
        for i in 0..<levels { inner = jobj([("f:n\(i % 10)", inner)]) }
        return jobj([
            ("manager", "hostile\u{1B}[2J"), ("operation", "Update"), ("apiVersion", "split.smi-spec.io/v1alpha4"),
            ("time", .string(time)), ("fieldsType", "FieldsV1"), ("fieldsV1", jobj([("f:spec", inner)])),
        ])
    }

    /// Adds the escape annotations to the hostile namespace itself and its services.
    static func decorate(_ obj: JSON) -> JSON {
        let kind = obj["kind"]?.stringValue
        let isHostile =
            (kind == "Namespace" && obj[path: "metadata", "name"]?.stringValue == namespace)
            || (kind == "Service" && obj[path: "metadata", "namespace"]?.stringValue == namespace)
        guard isHostile, case .object(var meta)? = obj["metadata"] else { return obj }
        var annotations = meta["annotations"]?.objectValue ?? JSONObject()
        for (k, v) in hostileAnnotations { annotations[k] = v }
        meta["annotations"] = .object(annotations)
        var o = obj
        o["metadata"] = .object(meta)
        return o
    }
}
