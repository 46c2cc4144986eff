/// The demo: an online bookshop across two namespaces. A load generator (bookbuyer) and an
/// unmeshed ingress drive the storefront (webapp), which calls the book catalogue, the
/// authors service and, cross-namespace, payments. Three splits show the cases an operator
/// meets: a hand-run canary (books 90/10, the canary visibly worse), a pre-created split whose
/// canary gets nothing yet (authors 100/0, so authors-canary is idle and the metrics API
/// answers 500 for it), and a Flagger-owned split mid-analysis (payments 80/20).
enum Bookstore {
    static func topology(seed: UInt64) -> SimTopology {
        var rng = SimRandom(seed: seed)
        var t = SimTopology()
        let nodes = ["smitop-worker-1", "smitop-worker-2", "smitop-worker-3"]
        t.namespaces = [
            .init(name: "bookstore", ageDays: 41, team: "storefront"),
            .init(name: "payments", ageDays: 63, team: "payments"),
        ]

        func deploy(
            _ ns: String, _ name: String, app: String, version: String, image: String, sa: String,
            sr: Double, p50: Double, sigma: Double, layer: Int, days: Double, pods: Int = 2, partOf: String
        ) -> Int {
            t.deployments.append(
                SimTopology.Deployment(
                    namespace: ns, name: name, app: app, version: version, image: image, port: 8080,
                    serviceAccount: sa, ageSeconds: days * 86400 + rng.double(in: 0...3600),
                    templateHash: rng.kubeSuffix(rng.chance(0.5) ? 9 : 10),
                    successRate: sr, latencyMedianMs: p50, latencySigma: sigma, layer: layer, partOf: partOf))
            let i = t.deployments.count - 1
            t.addPods(to: i, count: pods, rng: &rng, nodes: nodes)
            return i
        }
        func service(_ ns: String, _ name: String, selector: [(String, String)], port: Int = 8080, _ workloads: [Int], days: Double, partOf: String) {
            t.addService(
                SimTopology.Service(
                    namespace: ns, name: name, port: port, targetPort: 8080, selector: selector, workloads: workloads,
                    clusterIP: SimTopology.clusterIP(t.services.count), ageSeconds: days * 86400, partOf: partOf))
        }

        let img = "ghcr.io/smitop/demo"
        // bookstore
        let bookbuyer = deploy(
            "bookstore", "bookbuyer", app: "bookbuyer", version: "v1", image: "\(img)/bookbuyer:1.4.2", sa: "bookbuyer",
            sr: 1, p50: 5, sigma: 0.3, layer: 0, days: 40, pods: 1, partOf: "bookstore")
        t.deployments[bookbuyer].originRPS = 18
        let webapp = deploy(
            "bookstore", "webapp", app: "webapp", version: "v1", image: "\(img)/webapp:2.3.0", sa: "webapp",
            sr: 0.995, p50: 42, sigma: 0.45, layer: 1, days: 40, partOf: "bookstore")
        // Shoppers arriving through the (unmeshed) ingress controller.
        t.deployments[webapp].ingressRPS = 6
        let booksV1 = deploy(
            "bookstore", "books-v1", app: "books", version: "v1", image: "\(img)/books:1.8.0", sa: "books",
            sr: 0.998, p50: 21, sigma: 0.4, layer: 2, days: 33, partOf: "bookstore")
        let booksV2 = deploy(
            "bookstore", "books-v2", app: "books", version: "v2", image: "\(img)/books:2.0.0-rc.1", sa: "books",
            sr: 0.87, p50: 46, sigma: 0.55, layer: 2, days: 2, partOf: "bookstore")
        // The release candidate holds at a tenth of the traffic and breaks above 30 %: a
        // guarded ramp passes its early steps and fails a later gate (issue 18). Above the
        // scenario's starting shares (10 % on SMI, 20 % on the books route), so nothing
        // changes until someone shifts the weights.
        t.deployments[booksV2].degradation = Degradation(errors: 0.3, latencyFactor: 2, above: 0.3)
        let authorsV1 = deploy(
            "bookstore", "authors-v1", app: "authors", version: "v1", image: "\(img)/authors:3.1.4", sa: "authors",
            sr: 0.999, p50: 12, sigma: 0.35, layer: 3, days: 38, partOf: "bookstore")
        let authorsCanary = deploy(
            "bookstore", "authors-canary", app: "authors", version: "v2", image: "\(img)/authors:3.2.0", sa: "authors",
            sr: 0.97, p50: 15, sigma: 0.4, layer: 3, days: 1, pods: 1, partOf: "bookstore")
        // The authors canary stays correct but slows down above 20 % (a gate on p99 catches it,
        // one on success does not); it starts at 0 % (split) or 5 % (route).
        t.deployments[authorsCanary].degradation = Degradation(latencyFactor: 4, above: 0.2)
        // payments: Flagger's layout — the Canary "payments" targets Deployment "payments"
        // (the candidate) and maintains "payments-primary" (what serves by default).
        let paymentsPrimary = deploy(
            "payments", "payments-primary", app: "payments-primary", version: "v4", image: "\(img)/payments:4.0.2", sa: "payments",
            sr: 0.996, p50: 84, sigma: 0.5, layer: 2, days: 12, partOf: "payments")
        let paymentsCanary = deploy(
            "payments", "payments", app: "payments", version: "v4", image: "\(img)/payments:4.1.0", sa: "payments",
            sr: 0.95, p50: 97, sigma: 0.5, layer: 2, days: 60, partOf: "payments")
        let fraud = deploy(
            "payments", "fraud", app: "fraud", version: "v2", image: "\(img)/fraud:2.7.1", sa: "fraud",
            sr: 0.999, p50: 31, sigma: 0.45, layer: 3, days: 55, partOf: "payments")
        let ledger = deploy(
            "payments", "ledger", app: "ledger", version: "v1", image: "\(img)/ledger:1.12.0", sa: "ledger",
            sr: 0.9995, p50: 7, sigma: 0.3, layer: 4, days: 62, partOf: "payments")

        service("bookstore", "webapp", selector: [("app", "webapp")], port: 80, [webapp], days: 41, partOf: "bookstore")
        service("bookstore", "books", selector: [("app", "books")], [booksV1, booksV2], days: 41, partOf: "bookstore")
        service("bookstore", "books-v1", selector: [("app", "books"), ("version", "v1")], [booksV1], days: 33, partOf: "bookstore")
        service("bookstore", "books-v2", selector: [("app", "books"), ("version", "v2")], [booksV2], days: 2, partOf: "bookstore")
        service("bookstore", "authors", selector: [("app", "authors")], [authorsV1, authorsCanary], days: 41, partOf: "bookstore")
        service("bookstore", "authors-v1", selector: [("app", "authors"), ("version", "v1")], [authorsV1], days: 38, partOf: "bookstore")
        service("bookstore", "authors-canary", selector: [("app", "authors"), ("version", "v2")], [authorsCanary], days: 1, partOf: "bookstore")
        service("payments", "payments", selector: [("app", "payments-primary")], [paymentsPrimary], days: 63, partOf: "payments")
        service("payments", "payments-primary", selector: [("app", "payments-primary")], [paymentsPrimary], days: 12, partOf: "payments")
        service("payments", "payments-canary", selector: [("app", "payments")], [paymentsCanary], days: 12, partOf: "payments")
        service("payments", "fraud", selector: [("app", "fraud")], [fraud], days: 55, partOf: "payments")
        service("payments", "ledger", selector: [("app", "ledger")], [ledger], days: 62, partOf: "payments")

        func call(_ from: Int, _ ns: String, _ svc: String, _ n: Double) {
            t.calls.append(SimTopology.Call(from: from, to: t.service(ns, svc)!, callsPerRequest: n))
        }
        call(bookbuyer, "bookstore", "webapp", 1)
        call(webapp, "bookstore", "books", 1)
        call(webapp, "bookstore", "authors", 0.6)
        call(webapp, "payments", "payments", 0.15)
        for b in [booksV1, booksV2] { call(b, "bookstore", "authors", 0.3) }
        for p in [paymentsPrimary, paymentsCanary] {
            call(p, "payments", "fraud", 1)
            call(p, "payments", "ledger", 2)
        }
        call(fraud, "payments", "ledger", 0.5)

        t.splits = [
            SimTopology.Split(
                namespace: "bookstore", name: "books", root: "books",
                backends: [("books-v1", 90), ("books-v2", 10)],
                owner: .kubectl(editedAgoSeconds: nil, originalWeights: nil), style: .milli,
                ageSeconds: 2 * 86400 - 900, labels: [("app", "books")]),
            SimTopology.Split(
                namespace: "bookstore", name: "authors", root: "authors",
                backends: [("authors-v1", 100), ("authors-canary", 0)],
                owner: .kubectl(editedAgoSeconds: nil, originalWeights: nil), style: .integer,
                ageSeconds: 86400 - 300, labels: [("app", "authors")]),
            SimTopology.Split(
                namespace: "payments", name: "payments", root: "payments",
                backends: [("payments-primary", 80), ("payments-canary", 20)],
                owner: .flagger(canary: "payments", uid: rng.uuid(), updatedAgoSeconds: 95), style: .integer,
                ageSeconds: 12 * 86400, labels: []),
        ]

        t.routeGroups = [
            .init(
                namespace: "bookstore", name: "webapp-routes",
                matches: [
                    .init(name: "index", pathRegex: "/", methods: ["GET"]),
                    .init(name: "books-bought", pathRegex: "/books-bought", methods: ["GET"]),
                    .init(name: "checkout", pathRegex: "/checkout", methods: ["POST"]),
                ]),
            .init(
                namespace: "bookstore", name: "books-routes",
                matches: [
                    .init(name: "list-books", pathRegex: "/books", methods: ["GET"]),
                    .init(name: "book-by-isbn", pathRegex: "/books/[0-9-]+", methods: ["GET"]),
                    .init(name: "buy-book", pathRegex: "/books/[0-9-]+/buy", methods: ["POST"]),
                    .init(name: "insiders", pathRegex: "", methods: [], headers: [("x-bookstore-insider", "true")]),
                ]),
            .init(
                namespace: "bookstore", name: "authors-routes",
                matches: [
                    .init(name: "authors", pathRegex: "/authors(/.*)?", methods: ["GET"])
                ]),
            .init(
                namespace: "payments", name: "payments-routes",
                matches: [
                    .init(name: "charge", pathRegex: "/v1/charges", methods: ["POST"]),
                    .init(name: "refund", pathRegex: "/v1/refunds", methods: ["POST"]),
                    .init(name: "health", pathRegex: "/healthz", methods: ["GET"]),
                ]),
            .init(
                namespace: "payments", name: "fraud-routes",
                matches: [
                    .init(name: "score", pathRegex: "/v2/score", methods: ["POST"])
                ]),
            .init(
                namespace: "payments", name: "ledger-routes",
                matches: [
                    .init(name: "entries", pathRegex: "/entries", methods: ["GET", "POST"])
                ]),
        ]
        t.tcpRoutes = [
            .init(namespace: "payments", name: "ledger-port", ports: [8080]),
            .init(namespace: "payments", name: "payments-port", ports: [8080]),
        ]
        t.targets = [
            .init(
                namespace: "bookstore", name: "webapp", destination: "webapp", port: 8080,
                sources: [("bookbuyer", "bookstore")], routeGroup: "webapp-routes", routeMatches: nil, tcpRoute: nil),
            .init(
                namespace: "bookstore", name: "books", destination: "books", port: 8080,
                sources: [("webapp", "bookstore")], routeGroup: "books-routes", routeMatches: ["list-books", "book-by-isbn", "buy-book"], tcpRoute: nil),
            .init(
                namespace: "bookstore", name: "authors", destination: "authors", port: 8080,
                sources: [("webapp", "bookstore"), ("books", "bookstore")], routeGroup: "authors-routes", routeMatches: nil, tcpRoute: nil),
            .init(
                namespace: "payments", name: "payments", destination: "payments", port: 8080,
                sources: [("webapp", "bookstore")], routeGroup: "payments-routes", routeMatches: ["charge", "refund"], tcpRoute: "payments-port"),
            .init(
                namespace: "payments", name: "fraud", destination: "fraud", port: 8080,
                sources: [("payments", "payments")], routeGroup: "fraud-routes", routeMatches: nil, tcpRoute: nil),
            .init(
                namespace: "payments", name: "ledger", destination: "ledger", port: 8080,
                sources: [("payments", "payments"), ("fraud", "payments")], routeGroup: "ledger-routes", routeMatches: nil, tcpRoute: "ledger-port"),
        ]
        return t
    }
}
