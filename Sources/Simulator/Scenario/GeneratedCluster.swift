/// A large cluster for scale testing, deterministic for the seed.
///
/// Layout: about 50 Services per namespace. Services belong to apps; an app is either a
/// single Service + Deployment, or a family (a root Service selecting every version, plus one
/// Service and Deployment per version, 2–3 versions), which is what splits are made of. Apps
/// get a layer 0–4; every Deployment of an app calls 1–4 apps of higher layers (10 % of them
/// in another namespace), layer-0 apps take ingress traffic.
///
/// Splits: split i belongs to family i mod F. The first split of a family is named after its
/// root and is the one the mesh applies; with more splits than families (e.g. 10,000 splits
/// over 5,000 services) further splits of the same root are added as `<root>-<purpose>-<n>`,
/// conflicting splits like the ones real clusters accumulate, and ignored by the traffic model
/// because the first name wins (see `TrafficModel.activeWeights`).
///
/// Memory: above 1,000 services each Deployment has one pod instead of two, which keeps a
/// 10,000-service cluster's object tree to a few hundred MB.
enum GeneratedCluster {
    static let namespaceWords = [
        "checkout", "catalog", "search", "identity", "billing", "shipping", "inventory", "marketing",
        "support", "analytics", "media", "platform", "partners", "mobile", "pricing", "fulfilment",
        "loyalty", "risk", "messaging", "reporting",
    ]
    static let appWords = [
        "orders", "cart", "stock", "prices", "quotes", "users", "sessions", "tokens", "profiles", "reviews",
        "ratings", "recommendations", "images", "thumbnails", "emails", "sms", "push", "invoices", "refunds",
        "coupons", "rewards", "tax", "rates", "geo", "addresses", "audit", "reports", "exports", "imports",
        "webhooks", "gateway", "auth", "flags", "config", "scheduler", "jobs", "events", "feeds", "ledger",
        "fraud", "carriers", "labels", "returns", "wishlist", "sitemap", "translations", "currency", "payouts",
    ]
    static let appSuffixes = ["", "-api", "-svc", "-worker", "-backend", "-gateway", "-reader", "-writer"]
    static let layers = 5

    struct App {
        var namespace: String
        var name: String
        var layer: Int
        /// The Service callers address (family root or the single Service).
        var entry: Int
        var deployments: [Int]
        var versionServices: [Int]
    }

    static func topology(seed: UInt64, services n: Int, splits m: Int) -> SimTopology {
        var rng = SimRandom(seed: seed)
        var t = SimTopology()
        let nsCount = max(1, (n + 49) / 50)
        let podsPer = n > 1000 ? 1 : 2
        let nodes = (1...max(3, min(200, n / 40))).map { "smitop-worker-\($0)" }

        var apps: [App] = []
        var appsByNsLayer: [[[Int]]] = Array(repeating: Array(repeating: [], count: layers), count: nsCount)
        var appsByLayer: [[Int]] = Array(repeating: [], count: layers)
        var families: [Int] = []
        var remaining = n
        for ni in 0..<nsCount {
            let w = namespaceWords[ni % namespaceWords.count]
            let ns = ni < namespaceWords.count ? w : "\(w)-\(ni / namespaceWords.count + 1)"
            let nsAge = rng.double(in: 20...400)
            t.namespaces.append(.init(name: ns, ageDays: nsAge, team: w))
            var budget = ni == nsCount - 1 ? remaining : min(remaining, n / nsCount)
            remaining -= budget
            var used = Set<String>()
            var appNo = 0
            while budget > 0 {
                var name = ""
                repeat {
                    name = rng.pick(appWords) + rng.pick(appSuffixes)
                    if used.contains(name) { name += "-\(used.count)" }
                } while used.contains(name)
                used.insert(name)
                let layer = appNo == 0 ? 0 : rng.int(in: 0...(layers - 1))
                appNo += 1
                let versions = budget >= 4 && rng.chance(0.55) ? (rng.chance(0.7) ? 2 : 3) : 0
                let partOf = ns
                let appAge = rng.double(in: 1...(nsAge * 0.9)) * 86400
                let sr = rng.chance(0.1) ? rng.double(in: 0.9...0.99) : rng.double(in: 0.995...1)
                let p50 = [5.0, 12, 25, 40, 80, 150][rng.int(in: 0...5)] * rng.double(in: 0.7...1.4)
                let sigma = rng.double(in: 0.3...0.65)
                var app = App(namespace: ns, name: name, layer: layer, entry: -1, deployments: [], versionServices: [])
                let addService = { (t: inout SimTopology, svcName: String, selector: [(String, String)], workloads: [Int], age: Double) in
                    t.addService(
                        SimTopology.Service(
                            namespace: ns, name: svcName, port: 8080, targetPort: 8080, selector: selector,
                            workloads: workloads, clusterIP: SimTopology.clusterIP(t.services.count), ageSeconds: age, partOf: partOf))
                }
                let addDeployment = {
                    (t: inout SimTopology, rng: inout SimRandom, depName: String, version: String, age: Double, sr: Double, p50: Double) -> Int in
                    t.deployments.append(
                        SimTopology.Deployment(
                            namespace: ns, name: depName, app: name, version: version,
                            image: "registry.example.com/\(ns)/\(name):\(rng.int(in: 1...9)).\(rng.int(in: 0...30)).\(rng.int(in: 0...12))",
                            port: 8080, serviceAccount: name, ageSeconds: age, templateHash: rng.kubeSuffix(rng.chance(0.5) ? 9 : 10),
                            successRate: sr, latencyMedianMs: p50, latencySigma: sigma, layer: layer, partOf: partOf))
                    let d = t.deployments.count - 1
                    t.addPods(to: d, count: podsPer, rng: &rng, nodes: nodes)
                    return d
                }
                if versions > 0 {
                    var deps: [Int] = []
                    for v in 1...versions {
                        let age = appAge * Double(versions - v + 1) / Double(versions)
                        // Newer versions are a little worse, as canaries tend to be.
                        let vsr = v == 1 ? sr : max(0.8, sr - rng.double(in: 0...0.06))
                        let vp50 = v == 1 ? p50 : p50 * rng.double(in: 0.9...1.5)
                        deps.append(addDeployment(&t, &rng, "\(name)-v\(v)", "v\(v)", age, vsr, vp50))
                    }
                    app.entry = t.services.count
                    addService(&t, name, [("app", name)], deps, appAge)
                    for (k, d) in deps.enumerated() {
                        app.versionServices.append(t.services.count)
                        addService(&t, "\(name)-v\(k + 1)", [("app", name), ("version", "v\(k + 1)")], [d], t.deployments[d].ageSeconds)
                    }
                    app.deployments = deps
                    budget -= versions + 1
                    families.append(apps.count)
                } else {
                    let d = addDeployment(&t, &rng, name, "v1", appAge, sr, p50)
                    app.entry = t.services.count
                    addService(&t, name, [("app", name)], [d], appAge)
                    app.deployments = [d]
                    budget -= 1
                }
                if layer == 0 {
                    for d in app.deployments { t.deployments[d].ingressRPS = rng.double(in: 5...60) / Double(app.deployments.count) }
                }
                appsByNsLayer[ni][layer].append(apps.count)
                appsByLayer[layer].append(apps.count)
                apps.append(app)
            }
        }

        // Call graph: every app of a non-final layer calls 1–4 apps further right.
        var nsIndex: [String: Int] = [:]
        for (i, ns) in t.namespaces.enumerated() { nsIndex[ns.name] = i }
        var callers: [Int: [Int]] = [:]
        for (ai, app) in apps.enumerated() where app.layer < layers - 1 {
            let ni = nsIndex[app.namespace]!
            var callees = Set<Int>()
            let want = rng.int(in: 1...4)
            var attempts = 0
            while callees.count < want, attempts < 12 {
                attempts += 1
                let layer = rng.int(in: (app.layer + 1)...(layers - 1))
                let pool = rng.chance(0.9) && !appsByNsLayer[ni][layer].isEmpty ? appsByNsLayer[ni][layer] : appsByLayer[layer]
                guard !pool.isEmpty else { continue }
                callees.insert(rng.pick(pool))
            }
            for c in callees.sorted() {
                let perRequest = rng.double(in: 0.2...1.5)
                for d in app.deployments {
                    t.calls.append(SimTopology.Call(from: d, to: apps[c].entry, callsPerRequest: perRequest))
                }
                callers[c, default: []].append(ai)
            }
        }

        // Splits.
        if !families.isEmpty {
            let purposes = ["canary", "ab", "blue-green", "rollout", "shadow"]
            let two: [[Double]] = [[90, 10], [80, 20], [50, 50], [100, 0], [95, 5], [0, 100], [75, 25]]
            let three: [[Double]] = [[80, 15, 5], [70, 20, 10], [34, 33, 33], [90, 10, 0], [60, 30, 10]]
            for i in 0..<m {
                let app = apps[families[i % families.count]]
                let round = i / families.count
                let root = t.services[app.entry].name
                let name = round == 0 ? root : "\(root)-\(purposes[round % purposes.count])-\(round)"
                let services = app.versionServices.map { t.services[$0].name }
                let preset = services.count == 2 ? rng.pick(two) : rng.pick(three)
                let age = rng.double(in: 600...(30 * 86400))
                let owner: SimTopology.SplitOwner
                let r = rng.unit()
                if r < 0.2 {
                    owner = .flagger(canary: app.name, uid: rng.uuid(), updatedAgoSeconds: rng.double(in: 30...min(age, 7200)))
                } else if r < 0.4 {
                    owner = .kubectl(editedAgoSeconds: rng.double(in: 60...age), originalWeights: rng.pick(services.count == 2 ? two : three))
                } else {
                    owner = .kubectl(editedAgoSeconds: nil, originalWeights: nil)
                }
                // Labels as charts and GitOps tools stamp them; a quarter of the applied splits
                // come from Argo CD (tracking label + its field manager), so clients can
                // exercise GitOps-owner detection at scale.
                var labels: [(String, String)] = [
                    ("app", app.name), ("app.kubernetes.io/name", app.name), ("app.kubernetes.io/part-of", app.namespace),
                    ("app.kubernetes.io/version", "\(rng.int(in: 1...9)).\(rng.int(in: 0...30)).\(rng.int(in: 0...12))"),
                ]
                var manager = "kubectl-client-side-apply"
                if case .kubectl = owner {
                    if rng.chance(0.25) {
                        labels.append(("app.kubernetes.io/instance", "\(app.namespace)-\(app.name)"))
                        manager = "argocd-controller"
                    } else {
                        labels.append(("app.kubernetes.io/managed-by", "kubectl"))
                    }
                }
                t.splits.append(
                    SimTopology.Split(
                        namespace: app.namespace, name: name, root: root,
                        backends: zip(services, preset).map { ($0, $1) }, owner: owner,
                        style: rng.chance(0.6) ? .milli : .integer, ageSeconds: age, labels: labels, applyManager: manager))
            }
        }

        // Policy: one route group and TCP route per namespace, a TrafficTarget per called app.
        for ns in t.namespaces {
            t.routeGroups.append(
                .init(
                    namespace: ns.name, name: "\(ns.name)-routes",
                    matches: [
                        .init(name: "api", pathRegex: "/api/.*", methods: ["*"]),
                        .init(name: "metrics", pathRegex: "/metrics", methods: ["GET"]),
                        .init(name: "health", pathRegex: "/(healthz|readyz)", methods: ["GET"]),
                    ]))
            t.tcpRoutes.append(.init(namespace: ns.name, name: "\(ns.name)-http", ports: [8080]))
        }
        for (ai, app) in apps.enumerated() {
            guard let from = callers[ai] else { continue }
            var seen = Set<String>()
            var sources: [(account: String, namespace: String)] = []
            for c in from where seen.insert(apps[c].namespace + "/" + apps[c].name).inserted {
                sources.append((apps[c].name, apps[c].namespace))
            }
            t.targets.append(
                .init(
                    namespace: app.namespace, name: app.name, destination: app.name, port: 8080, sources: sources,
                    routeGroup: "\(app.namespace)-routes", routeMatches: ["api", "health"], tcpRoute: "\(app.namespace)-http"))
        }
        return t
    }
}
