import Kube
import KubeCore
import Mesh
import SMI
import Testing

@testable import App
@testable import UI

func obj(_ s: String) -> JSON { try! JSON.parse(s) }

func service(_ name: String, _ sel: String) -> JSON {
    obj(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)","namespace":"shop"},"spec":{"selector":{\#(sel)}}}"#)
}

func deployment(_ name: String, _ labels: String) -> JSON {
    obj(
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"\#(name)","namespace":"shop"},"spec":{"replicas":2,"template":{"metadata":{"labels":{\#(labels)}}}},"status":{"readyReplicas":2}}"#
    )
}

func split(_ weights: [Int], rv: String, owner: Bool = false) -> JSON {
    let names = ["books-v1", "books-v2", "books-v3"]
    let b = weights.enumerated().map { #"{"service":"\#(names[$0.offset])","weight":\#($0.element)}"# }.joined(separator: ",")
    let own = owner ? #","ownerReferences":[{"apiVersion":"flagger.app/v1beta1","kind":"Canary","name":"books","uid":"u","controller":true}]"# : ""
    return obj(
        #"{"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"books","namespace":"shop","resourceVersion":"\#(rv)"\#(own)},"spec":{"service":"books","backends":[\#(b)]}}"#
    )
}

func metricsList(_ items: [(subject: String, peer: String?, success: Int, failure: Int, p99: String)]) -> TrafficMetricsList {
    let its = items.map { i -> String in
        let edge =
            i.peer.map { #"{"direction":"to","resource":{"kind":"Deployment","namespace":"shop","name":"\#($0)"}}"# }
            ?? #"{"direction":"from","resource":null}"#
        return
            #"{"kind":"TrafficMetrics","apiVersion":"metrics.smi-spec.io/v1alpha1","metadata":{"name":"\#(i.subject)","namespace":"shop"},"window":"30s","resource":{"kind":"Deployment","namespace":"shop","name":"\#(i.subject)"},"edge":\#(edge),"metrics":[{"name":"p99_response_latency","unit":"ms","value":"\#(i.p99)"},{"name":"p90_response_latency","unit":"ms","value":"5"},{"name":"p50_response_latency","unit":"ms","value":"2"},{"name":"success_count","value":"\#(i.success)"},{"name":"failure_count","value":"\#(i.failure)"}]}"#
    }.joined(separator: ",")
    return try! TrafficMetricsList(
        json: obj(#"{"kind":"TrafficMetricsList","apiVersion":"metrics.smi-spec.io/v1alpha1","resource":{"kind":"Deployment"},"items":[\#(its)]}"#))
}

/// The bookstore: web calls books, a split sends books to v1/v2; a few polls of metrics with
/// a gap, so sparklines show levels and a missing sample.
func fixture(size: TermSize, owner: Bool = false, context: String = "kind") -> AppState {
    var s = AppState(
        context: ContextInfo(context: context, scope: .one("shop"), availableContexts: ["kind", "prod"]),
        size: size, availableThemes: ["default", "light", "colorblind", "mono"])
    _ = reduce(&s, .start(now: 0))
    _ = reduce(
        &s,
        .objects(
            .service,
            .replaced([
                service("web", #""app":"web""#), service("books", #""app":"books""#), service("books-v1", #""v":"1""#),
                service("books-v2", #""v":"2""#),
            ])))
    _ = reduce(
        &s,
        .objects(
            .deployment,
            .replaced([
                deployment("web", #""app":"web""#), deployment("books-v1", #""app":"books","v":"1""#),
                deployment("books-v2", #""app":"books","v":"2""#),
            ])))
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split([90, 10], rv: "7", owner: owner)])))
    let polls: [[(String, String?, Int, Int, String)]?] = [
        [
            ("web", nil, 300, 0, "12"), ("books-v1", nil, 270, 0, "8"), ("books-v2", nil, 28, 2, "30"), ("web", "books-v1", 270, 0, "8"),
            ("web", "books-v2", 28, 2, "30"),
        ],
        nil,
        [
            ("web", nil, 600, 0, "12"), ("books-v1", nil, 540, 3, "9"), ("books-v2", nil, 50, 10, "45"), ("web", "books-v1", 540, 3, "9"),
            ("web", "books-v2", 50, 10, "45"),
        ],
        [
            ("web", nil, 450, 0, "11"), ("books-v1", nil, 400, 0, "8"), ("books-v2", nil, 45, 5, "41"), ("web", "books-v1", 400, 0, "8"),
            ("web", "books-v2", 45, 5, "41"),
        ],
    ]
    for (i, p) in polls.enumerated() {
        let t = Double(2 + 2 * i)
        if let p {
            _ = reduce(&s, .metricsSampled(namespace: "shop", lists: [metricsList(p.map { ($0.0, $0.1, $0.2, $0.3, $0.4) })], at: t))
        } else {
            _ = reduce(&s, .metricsFailed(namespace: "shop", error: KubeError.decoding("metrics unavailable"), at: t))
        }
    }
    _ = reduce(&s, .tick(now: 12))
    _ = reduce(&s, .resized(size))
    return s
}

let sizes: [(Int, Int)] = [(20, 5), (80, 24), (300, 80)]
let theme = try! Theme.load(name: "default", searchPaths: [])

func render(_ s: AppState, glyphs: Glyphs = .unicode) -> CellBuffer { Screen.render(s, theme: theme, glyphs: glyphs) }

@Suite struct ViewSnapshotTests {
    @Test(arguments: sizes) func graphView(w: Int, h: Int) {
        let s = fixture(size: TermSize(columns: w, rows: h))
        Snapshot.check(render(s), "graph-\(w)x\(h)")
    }

    /// The README's screenshot: the same graph after the message line has been cleared.
    @Test func readmeGraph() {
        var s = fixture(size: TermSize(columns: 80, rows: 22))
        s.message = nil
        Snapshot.check(render(s), "readme-graph-80x22")
    }

    @Test(arguments: sizes) func graphWithDetailOfTheSplitRoot(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h))
        s.navigate(.select(.service("shop", "books")))
        _ = reduce(&s, .key(.enter))
        Snapshot.check(render(s), "graph-detail-\(w)x\(h)")
    }

    @Test(arguments: sizes) func workloadDetailWithSparklines(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h))
        s.navigate(.select(.workload("shop", "books-v2")))
        _ = reduce(&s, .key(.enter))
        Snapshot.check(render(s), "workload-detail-\(w)x\(h)")
    }

    @Test(arguments: sizes) func servicesTable(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h))
        _ = reduce(&s, .key(.char("2")))
        _ = reduce(&s, .key(.down))
        Snapshot.check(render(s), "services-\(w)x\(h)")
    }

    @Test(arguments: sizes) func splitsTable(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h), owner: true)
        _ = reduce(&s, .key(.char("3")))
        Snapshot.check(render(s), "splits-\(w)x\(h)")
    }

    @Test(arguments: sizes) func splitEditorWithDraft(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h))
        _ = reduce(&s, .key(.char("3")))
        _ = reduce(&s, .key(.char("e")))
        _ = reduce(&s, .key(.down))
        _ = reduce(&s, .key(.right))
        _ = reduce(&s, .key(.right))
        Snapshot.check(render(s), "editor-\(w)x\(h)")
        _ = reduce(&s, .key(.enter))
        Snapshot.check(render(s), "editor-diff-\(w)x\(h)")
    }

    @Test(arguments: sizes) func editorTheirsVsYoursAndControllerWarning(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h), owner: true)
        _ = reduce(&s, .key(.char("3")))
        _ = reduce(&s, .key(.char("e")))
        _ = reduce(&s, .key(.char("=")))
        _ = reduce(&s, .objects(.trafficSplit, .upserted(split([70, 30], rv: "9", owner: true))))
        Snapshot.check(render(s), "editor-theirs-\(w)x\(h)")
    }

    @Test(arguments: sizes) func commandLineWithCompletion(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h))
        _ = reduce(&s, .key(.char(":")))
        _ = reduce(&s, .key(.char("t")))
        _ = reduce(&s, .key(.tab))
        Snapshot.check(render(s), "command-\(w)x\(h)")
    }

    @Test(arguments: sizes) func help(w: Int, h: Int) {
        var s = fixture(size: TermSize(columns: w, rows: h))
        _ = reduce(&s, .key(.char("?")))
        Snapshot.check(render(s), "help-\(w)x\(h)")
    }

    @Test func asciiGlyphs() {
        var s = fixture(size: TermSize(columns: 80, rows: 24))
        s.navigate(.select(.service("shop", "books")))
        _ = reduce(&s, .key(.enter))
        Snapshot.check(render(s, glyphs: .ascii), "graph-ascii-80x24")
        let b = render(s, glyphs: .ascii)
        let boxChars = Set("─│┌┐└┘┬┴├┤┼╌╎▸◂▁▂▃▄▅▆▇█✓✗")
        for y in 0..<b.height {
            for x in 0..<b.width { #expect(!b[x, y].text.contains(where: { boxChars.contains($0) }), "\(x),\(y)") }
        }
    }

    @Test func tooSmallAtEverySizeDownToNothing() {
        for w in 0...21 {
            for h in 0...6 {
                var s = fixture(size: TermSize(columns: w, rows: h))
                let b = render(s)
                #expect(b.width == w && b.height == h)
                Invariants.check(b)
                // Every mode at every tiny size: nothing may trap.
                _ = reduce(&s, .key(.char("3")))
                _ = reduce(&s, .key(.char("e")))
                Invariants.check(render(s))
                _ = reduce(&s, .key(.enter))
                Invariants.check(render(s))
            }
        }
        Snapshot.check(render(fixture(size: TermSize(columns: 19, rows: 5))), "too-small-19x5")
        #expect(render(fixture(size: TermSize(columns: 1, rows: 1))).text == "…")
    }

    @Test func hostileStringsNeverReachTheBuffer() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<40 {
            let hostile = Hostile.string(&rng) + Hostile.longName
            var s = fixture(size: TermSize(columns: 80, rows: 24), context: hostile)
            s.message = StatusLine(Hostile.string(&rng, maxPieces: 20), level: .error, at: 0)
            Invariants.check(render(s))
            _ = reduce(&s, .key(.char("/")))
            for c in Hostile.string(&rng) { _ = reduce(&s, .key(.char(c))) }
            Invariants.check(render(s))
            _ = reduce(&s, .key(.esc))
            _ = reduce(&s, .key(.char(":")))
            for c in Hostile.string(&rng) { _ = reduce(&s, .key(.char(c))) }
            let b = render(s)
            Invariants.check(b)
        }
        var s = fixture(size: TermSize(columns: 60, rows: 10), context: "\u{1B}]0;owned\u{07}\u{202E}ctx👨‍👩‍👧")
        s.message = StatusLine("bad \u{1B}[2J news", level: .warning, at: 0)
        Snapshot.check(render(s), "hostile-60x10")
    }
}

/// Issue 14: a TrafficTarget smitop cannot read (no spec: a real server accepts it, the CRDs
/// require the fields inside `spec` only) is listed with its problem like a split, not
/// silently missing; no view has rows for targets.
@Test func unreadableTrafficTargetsAreListedWithTheirProblem() {
    var s = fixture(size: TermSize(columns: 120, rows: 30))
    let target = obj(#"{"apiVersion":"access.smi-spec.io/v1alpha3","kind":"TrafficTarget","metadata":{"name":"no-spec","namespace":"shop"}}"#)
    _ = reduce(&s, .objects(.trafficTarget, .replaced([target])))
    _ = reduce(&s, .key(.char("3")))
    let b = render(s)
    let rows = (0..<30).map { b.row($0) }
    #expect(rows.contains { $0.contains("1 unreadable object:") }, "\(rows.joined(separator: "\n"))")
    #expect(rows.contains { $0.contains("! traffictarget/shop/no-spec: ") && $0.contains("destination is required") }, "\(rows.joined(separator: "\n"))")
    Invariants.check(b)
}

/// Issue 14: a split whose weights smitop refuses (beyond the bound) has no row, but it is
/// never silently missing: it is listed under the table with its problem, and counted.
@Test func unreadableSplitsAreListedWithTheirProblem() {
    var s = fixture(size: TermSize(columns: 120, rows: 30))
    let huge = obj(
        #"{"apiVersion":"split.smi-spec.io/v1alpha1","kind":"TrafficSplit","metadata":{"name":"huge\u001b[2J","namespace":"shop"},"spec":{"service":"books","backends":[{"service":"books-v1","weight":"1e29"}]}}"#
    )
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split([90, 10], rv: "7"), huge])))
    _ = reduce(&s, .key(.char("3")))
    let b = render(s)
    let rows = (0..<30).map { b.row($0) }
    #expect(rows.contains { $0.contains("1 unreadable traffic split:") }, "\(rows.joined(separator: "\n"))")
    #expect(rows.contains { $0.contains("! shop/huge[2J: spec.backends[0].weight: 1e29 is beyond the largest weight") })
    #expect(rows.contains { $0.contains("books-v1 90") }, "the readable split keeps its row")
    #expect(b.row(1).contains("1 ts (1 unreadable)"), "\(b.row(1))")
    Invariants.check(b)
}

@Test func insecureTLSWarningStaysInTheHeaderWhileLive() {
    var s = fixture(size: TermSize(columns: 120, rows: 30))
    s.context.warnings = ["TLS certificates of cluster \"kind\" are not verified (insecure-skip-tls-verify)"]
    _ = reduce(&s, .metricsSampled(namespace: "shop", lists: [], at: 20))
    _ = reduce(&s, .tick(now: 21))
    #expect(s.connection.status == .live)
    let b = render(s)
    #expect(b.row(1).contains("! TLS certificates of cluster \"kind\" are not verified"), "\(b.row(1))")
    #expect(b.row(0).contains("LIVE"))
}
