import Foundation
import Kube
import KubeCore
import Mesh
import SMI
import Testing

@testable import App

func obj(_ s: String) -> JSON { try! JSON.parse(s) }

func service(_ name: String, _ sel: String) -> JSON {
    obj(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)","namespace":"shop"},"spec":{"selector":{\#(sel)}}}"#)
}
func deployment(_ name: String, _ labels: String) -> JSON {
    obj(
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"\#(name)","namespace":"shop"},"spec":{"template":{"metadata":{"labels":{\#(labels)}}}}}"#
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

let booksID = SplitID.trafficSplit("shop", "books")

func loaded(weights: [Int] = [90, 10], owner: Bool = false, readOnly: Bool = false) -> AppState {
    var o = AppOptions()
    o.readOnly = readOnly
    var s = AppState(
        options: o, context: ContextInfo(context: "kind", scope: .one("shop"), availableContexts: ["kind", "prod"]),
        availableThemes: ["default", "dark", "light"])
    _ = reduce(&s, .start(now: 0))
    _ = reduce(
        &s,
        .objects(
            .service,
            .replaced([
                service("web", #""app":"web""#), service("books", #""app":"books""#), service("books-v1", #""v":"1""#), service("books-v2", #""v":"2""#),
                service("books-v3", #""v":"3""#),
            ])))
    _ = reduce(
        &s,
        .objects(
            .deployment,
            .replaced([
                deployment("web", #""app":"web""#), deployment("books-v1", #""app":"books","v":"1""#), deployment("books-v2", #""app":"books","v":"2""#),
            ])))
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split(weights, rv: "7", owner: owner)])))
    return s
}

@discardableResult
func keys(_ s: inout AppState, _ ks: [Key]) -> [Effect] { ks.flatMap { reduce(&s, .key($0)) } }
func type(_ s: inout AppState, _ text: String) { for c in text { _ = reduce(&s, .key(.char(c))) } }

func weights(_ d: SplitDraft?) -> [String] { d?.working.backends.map(\.weight.description) ?? [] }

@Test func startEmitsWatchesPollsTicksAndAccessReview() {
    var s = AppState(context: ContextInfo(context: "kind", scope: .all))
    let fx = reduce(&s, .start(now: 5))
    #expect(fx.contains(.startWatches(.all)))
    #expect(fx.contains(.pollMetrics(.all, window: "30s", after: 0)))
    #expect(fx.contains(.scheduleTick(after: 1)))
    #expect(fx.contains(.reviewAccess(.all)))
    #expect(s.connection.status == .connecting)
}

@Test func graphNavigationAlongEdges() {
    var s = loaded()
    #expect(s.navigation.selection != nil)
    // Select the books root service and walk right along split edges to a backend, then to its workload.
    s.navigate(.select(.service("shop", "books")))
    keys(&s, [.right])
    #expect(s.navigation.selection?.node?.kind == .service)
    #expect(["books-v1", "books-v2"].contains(s.navigation.selection?.node?.name ?? ""))
    let backend = s.navigation.selection!.node!
    keys(&s, [.char("l")])
    #expect(s.navigation.selection?.node == .workload("shop", backend.name))
    keys(&s, [.char("h")])
    #expect(s.navigation.selection?.node?.kind == .service)
    keys(&s, [.enter])
    #expect(s.navigation.detailOpen)
    keys(&s, [.tab])
    if case .edge = s.navigation.selection {} else { Issue.record("Tab should select an edge") }
    keys(&s, [.esc, .esc])
    #expect(!s.navigation.detailOpen)
}

@Test func focusLimitsGraphAndMetricsDoNotRelayout() {
    var s = loaded()
    s.navigate(.select(.service("shop", "web")))
    keys(&s, [.char("f")])
    #expect(s.navigation.focus == .service("shop", "web"))
    #expect(s.visibleGraph.nodes.count == 2)
    keys(&s, [.char("f")])
    #expect(s.navigation.focus == nil)
    let gen = s.layoutGeneration
    let list = try! TrafficMetricsList(
        json: obj(
            #"{"items":[{"resource":{"kind":"Deployment","namespace":"shop","name":"web"},"edge":{"direction":"from","resource":null},"window":"30s","metrics":[{"name":"success_count","value":"30"},{"name":"failure_count","value":"0"}]}]}"#
        ))
    let fx = reduce(&s, .metricsSampled(namespace: "shop", lists: [list], at: 3))
    #expect(s.layoutGeneration == gen)
    #expect(fx == [.pollMetrics(.one("shop"), window: "30s", after: 2)])
    #expect(s.connection.status == .live)
}

@Test func tableFilterSubstringAndRegexAndSort() {
    var s = loaded()
    keys(&s, [.char(":")])
    type(&s, "svc")
    keys(&s, [.enter])
    #expect(s.navigation.view == .services)
    keys(&s, [.char("/")])
    type(&s, "V2")
    #expect(s.serviceRows().map(\.id.name) == ["books-v2"])
    keys(&s, [.ctrl("u")])
    type(&s, "^books-v[13]$")
    #expect(FilterMatcher("^books-v[13]$").isRegex)
    #expect(s.serviceRows().map(\.id.name) == ["books-v1", "books-v3"])
    keys(&s, [.enter])
    #expect(s.lineEditor.mode == .normal)
    #expect(s.navigation.tables[.services]?.filter == "^books-v[13]$")
    keys(&s, [.esc])  // clears the filter
    #expect(s.serviceRows().count == 5)
    keys(&s, [.char("S")])
    #expect(s.serviceRows().first?.id.name == "web")
    keys(&s, [.char("s")])  // next column after name: type
    #expect(s.navigation.tables[.services]?.sortColumn == .type)
    keys(&s, [.char("j"), .char("j"), .char("G")])
    #expect(s.navigation.tables[.services]?.selectedRow == 4)
}

@Test func commandCompletionAndHistory() {
    var s = loaded()
    keys(&s, [.char(":")])
    type(&s, "t")
    #expect(s.lineEditor.commandLine.completions == ["ts", "theme"])
    keys(&s, [.tab])
    #expect(s.lineEditor.commandLine.text == "ts")
    keys(&s, [.tab])
    #expect(s.lineEditor.commandLine.text == "theme")
    type(&s, " d")
    #expect(s.lineEditor.commandLine.completions == ["default", "dark"])
    keys(&s, [.tab, .tab])
    #expect(s.lineEditor.commandLine.text == "theme dark")
    let fx = keys(&s, [.enter])
    #expect(fx == [.setTheme("dark")])
    keys(&s, [.char(":")])
    type(&s, "ts")
    keys(&s, [.enter])
    #expect(s.navigation.view == .splits)
    keys(&s, [.char(":"), .up])
    #expect(s.lineEditor.commandLine.text == "ts")
    keys(&s, [.up])
    #expect(s.lineEditor.commandLine.text == "theme dark")
    keys(&s, [.down, .down])
    #expect(s.lineEditor.commandLine.text == "")
    type(&s, "ns a")
    keys(&s, [.tab])
    #expect(s.lineEditor.commandLine.text == "ns all")
    let ns = keys(&s, [.enter])
    #expect(ns.contains(.startWatches(.all)))
    keys(&s, [.char(":")])
    type(&s, "bogus")
    keys(&s, [.enter])
    #expect(s.message?.level == .error)
}

@Test func editorEveryKey() {
    var s = loaded(weights: [60, 30, 10])
    keys(&s, [.char(":")])
    type(&s, "ts")
    keys(&s, [.enter, .enter])
    #expect(s.splitEditor.editing == booksID)
    #expect(s.editor?.selected == 0)
    #expect(s.editor?.step == 5)
    keys(&s, [.right])  // +5 points to v1, taken proportionally from v2 (30) and v3 (10)
    #expect(weights(s.editor) == ["65", "26", "9"] || weights(s.editor) == ["65", "27", "8"])
    keys(&s, [.char("+")])
    #expect(s.editor?.step == 10)
    keys(&s, [.char("+"), .char("+")])
    #expect(s.editor?.step == 25)
    keys(&s, [.char("-"), .char("-"), .char("-"), .char("-")])
    #expect(s.editor?.step == 1)
    keys(&s, [.char("j")])
    #expect(s.editor?.selected == 1)
    keys(&s, [.char("5")])
    #expect(s.editor?.working.backends[1].weight.description == "50")
    keys(&s, [.char("h")])
    #expect(s.editor?.working.backends[1].weight.description == "49")
    keys(&s, [.char("=")])
    #expect(weights(s.editor) == ["34", "33", "33"])
    keys(&s, [.char("p")])
    #expect(weights(s.editor) == ["0", "100", "0"])
    keys(&s, [.char("k"), .char("0")])
    #expect(s.editor?.working.backends[0].weight.description == "0")
    keys(&s, [.char("r")])
    #expect(weights(s.editor) == ["60", "30", "10"])
    #expect(s.editor?.isDirty == false)
    keys(&s, [.enter])
    #expect(s.editor?.phase == .editing, "no diff without changes")
    keys(&s, [.char("9")])
    let dry = keys(&s, [.char("d")])
    guard case .patch(let p)? = dry.first else {
        Issue.record("no dry run")
        return
    }
    #expect(p.dryRun && p.expectedResourceVersion == "7")
    _ = reduce(&s, .dryRunResult(requestID: p.id, result: .success(split([90, 8, 2], rv: "7"))))
    #expect(s.editor?.lastDryRun == .accepted(weights: ["books-v1 90", "books-v2 8", "books-v3 2"]))
    let drafted = weights(s.editor)
    #expect(drafted == ["90", "8", "2"], "largest remainder, ties to the lower index")
    keys(&s, [.esc])
    #expect(s.splitEditor.editing == nil)
    #expect(s.splitEditor.drafts[booksID]?.isDirty == true, "Esc keeps the draft")
    // A refresh of the same object keeps it too.
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split([60, 30, 10], rv: "7")])))
    #expect(weights(s.splitEditor.drafts[booksID]) == drafted)
}

@Test func proportionalShiftsPreserveTotals() {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<200 {
        let ws = (0..<3).map { _ in Int(rng.next() % 200) }
        var s = loaded(weights: ws)
        s.navigate(.show(.splits))
        keys(&s, [.char("e")])
        let total = ws.reduce(0, +)
        for _ in 0..<10 {
            let k: [Key] = [.left, .right, .up, .down, .char("+"), .char("-"), .char("3"), .char("=")]
            keys(&s, [k[Int(rng.next() % UInt64(k.count))]])
            let sum = s.editor!.working.backends.reduce(Int64(0)) { $0 + $1.weight.value.integerValue! }
            #expect(sum == (total == 0 ? 100 : Int64(total)) || (total == 0 && sum == 0))
        }
    }
}

@Test func writeSucceedsJournalsAndUndoIsSafe() {
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("5"), .enter])
    #expect(s.editor?.phase == .reviewing)
    #expect(s.editor?.diff.rows.map(\.newWeight) == ["50", "50"])
    let fx = keys(&s, [.char("y")])
    guard case .patch(let p)? = fx.first else {
        Issue.record("no patch")
        return
    }
    #expect(!p.dryRun)
    #expect(p.body[path: "metadata", "resourceVersion"]?.stringValue == "7")
    #expect(p.body[path: "spec", "backends"]?.arrayValue?.count == 2)
    _ = reduce(&s, .patchSucceeded(requestID: p.id, object: split([50, 50], rv: "8")))
    #expect(s.splitEditor.journal.count == 1)
    #expect(s.editor?.isDirty == false)
    keys(&s, [.esc])
    // Issue 13: `u` writes nothing by itself; it shows the undo's diff and waits for `y`.
    #expect(keys(&s, [.char("u")]).isEmpty)
    #expect(s.keyContext == .diff)
    #expect(s.editor?.undo != nil)
    #expect(s.editor?.diff.rows.map(\.newWeight) == ["90", "10"])
    let u = keys(&s, [.char("y")])
    guard case .patch(let up)? = u.first else {
        Issue.record("no undo patch")
        return
    }
    #expect(up.expectedResourceVersion == "8")
    #expect(up.body[path: "metadata", "resourceVersion"]?.stringValue == "8")
    let ws = up.body[path: "spec", "backends"]?.arrayValue?.map { $0["weight"]?.intValue }
    #expect(ws == [90, 10])
    _ = reduce(&s, .patchSucceeded(requestID: up.id, object: split([90, 10], rv: "9")))
    #expect(s.splitEditor.journal.isEmpty)
    #expect(s.splitEditor.editing == nil, "back where u was pressed: the table")
    #expect(s.message?.text.contains("undid") == true)
}

/// Issue 13 item 8: a stray `u` in the editor (where `q` used to do nothing) wrote at once.
/// Now it opens the undo's diff; Esc, `n` and `q` each cancel it, write nothing, and return to
/// the editor that was open.
@Test func undoFromTheEditorWaitsForYAndEveryBackOutKeyCancels() {
    for back in [Key.esc, .char("n"), .char("q")] {
        var s = loaded()
        s.navigate(.show(.splits))
        keys(&s, [.enter, .char("5"), .enter])
        guard case .patch(let p)? = keys(&s, [.char("y")]).first else {
            Issue.record("no patch")
            return
        }
        _ = reduce(&s, .patchSucceeded(requestID: p.id, object: split([50, 50], rv: "8")))
        #expect(s.keyContext == .editor)
        #expect(keys(&s, [.char("u")]).isEmpty, "u in the editor must not write")
        #expect(s.keyContext == .diff)
        #expect(keys(&s, [back]).isEmpty, "\(back) must not write")
        #expect(s.keyContext == .editor, "\(back) returns to the editor")
        #expect(s.editor?.undo == nil)
        #expect(weights(s.editor) == ["50", "50"], "the undo is dropped")
        #expect(s.splitEditor.journal.count == 1, "nothing was undone")
    }
}

/// `q` and Esc back out of the editor and help alike; `q` quits only at the top.
@Test func qBacksOutLikeEsc() {
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter])
    #expect(s.keyContext == .editor)
    keys(&s, [.char("q")])
    #expect(s.splitEditor.editing == nil && !s.quitting)
    keys(&s, [.char("?")])
    #expect(s.navigation.view == .help)
    keys(&s, [.char("q")])
    #expect(s.navigation.view == .splits && !s.quitting)
    keys(&s, [.char("q")])
    #expect(s.quitting)
}

@Test func undoAfterSomeoneElseWroteOpensReview() {
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("5"), .enter])
    guard case .patch(let p)? = keys(&s, [.char("y")]).first else {
        Issue.record("no patch")
        return
    }
    _ = reduce(&s, .patchSucceeded(requestID: p.id, object: split([50, 50], rv: "8")))
    keys(&s, [.esc])
    _ = reduce(&s, .objects(.trafficSplit, .upserted(split([70, 30], rv: "12"))))
    let fx = keys(&s, [.char("u")])
    #expect(fx.isEmpty)
    #expect(s.editor?.phase == .reviewing)
    #expect(s.editor?.base.meta.resourceVersion == "12")
    #expect(weights(s.editor) == ["90", "10"])
    #expect(s.editor?.notice?.contains("changed since smitop wrote it") == true)
}

@Test func conflictKeepsDraftAndShowsTheirs() {
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("3"), .enter])
    guard case .patch(let p)? = keys(&s, [.char("y")]).first else {
        Issue.record("no patch")
        return
    }
    let conflict = KubeError(source: .status, code: 409, reason: "Conflict", message: "the object has been modified")
    let fx = reduce(&s, .patchFailed(requestID: p.id, error: conflict))
    #expect(fx == [.reloadObject(.trafficSplit, SplitRef(namespace: "shop", name: "books", apiVersion: "split.smi-spec.io/v1alpha2"))])
    #expect(weights(s.editor) == ["30", "70"])
    #expect(s.editor?.conflict != nil)
    _ = reduce(&s, .objectReloaded(.trafficSplit, split([80, 20], rv: "9")))
    #expect(s.editor?.theirs?.backends.map(\.weight.description) == ["80", "20"])
    #expect(s.editor?.base.meta.resourceVersion == "7")
    // Writing is refused until the user chooses.
    keys(&s, [.enter])
    #expect(keys(&s, [.char("y")]).isEmpty)
    keys(&s, [.char("o")])
    #expect(s.editor?.base.meta.resourceVersion == "9")
    #expect(weights(s.editor) == ["30", "70"])
    keys(&s, [.enter])
    guard case .patch(let p2)? = keys(&s, [.char("y")]).first else {
        Issue.record("no second patch")
        return
    }
    #expect(p2.expectedResourceVersion == "9")
}

@Test func serverChangeWhileEditing() {
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("2")])
    _ = reduce(&s, .objects(.trafficSplit, .upserted(split([50, 50], rv: "8"))))
    #expect(s.editor?.theirs?.meta.resourceVersion == "8")
    #expect(weights(s.editor) == ["20", "80"])
    #expect(s.editor?.notice?.contains("changed on the server") == true)
    keys(&s, [.char("r")])
    #expect(weights(s.editor) == ["50", "50"])
    #expect(s.editor?.theirs == nil)
    // Without a dirty draft the editor follows the server silently.
    _ = reduce(&s, .objects(.trafficSplit, .upserted(split([40, 60], rv: "9"))))
    #expect(weights(s.editor) == ["40", "60"])
    #expect(s.editor?.theirs == nil)
}

@Test func controllerOwnedSplitAsksFirst() {
    var s = loaded(owner: true)
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("5"), .enter])
    #expect(keys(&s, [.char("y")]).isEmpty)
    guard case .confirmController(let c)? = s.editor?.phase else {
        Issue.record("no warning")
        return
    }
    #expect(c.tool == "flagger")
    #expect(s.keyContext == .confirm)
    let fx = keys(&s, [.char("y")])
    if case .patch? = fx.first {} else { Issue.record("confirmed write did not patch") }
}

@Test func readOnlyBlocksWrites() {
    for flag in [true, false] {
        var s = loaded(readOnly: flag)
        if !flag { _ = reduce(&s, .accessReview(allowed: false, reason: "RBAC: no patch")) }
        #expect(s.readOnly.isReadOnly)
        s.navigate(.show(.splits))
        keys(&s, [.enter, .char("5")])
        #expect(keys(&s, [.char("d")]).isEmpty)
        keys(&s, [.enter])
        #expect(keys(&s, [.char("y")]).isEmpty)
        #expect(s.editor?.notice?.contains("read-only") == true)
        keys(&s, [.esc])
        #expect(keys(&s, [.char("u")]).isEmpty)
    }
}

@Test func connectionBadgeGoesStaleThenOfflineAndRecovers() {
    var s = loaded()
    #expect(s.connection.status == .live)
    let down = KubeError(source: .transport(.couldNotConnect), message: "connection refused")
    _ = reduce(&s, .tick(now: 10))
    _ = reduce(&s, .watchFailed(.service, down, retryIn: 1.6))
    #expect(s.connection.status == .stale)
    _ = reduce(&s, .tick(now: 30))
    #expect(s.connection.status == .offline)
    #expect(s.store.services.count == 5, "last data stays")
    _ = reduce(&s, .objects(.service, .replaced([])))
    #expect(s.connection.status == .live)
}

@Test func quitWarnsAboutDrafts() {
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("5"), .esc])
    #expect(keys(&s, [.char("q")]).isEmpty)
    #expect(keys(&s, [.char("q")]) == [.quit])
}

@Test func keyMapCoversEveryActionAndHelpIsGenerated() {
    let used = Set(KeyMap.all.map(\.action))
    for a in Action.allCases { #expect(used.contains(a), "\(a) has no key") }
    let md = KeyMap.markdown()
    for b in KeyMap.all { #expect(md.contains(b.help)) }
    // Issue 13: `q` backs out of the editor as Esc does (it used to do nothing there).
    #expect(KeyMap.action(for: .char("q"), in: .editor) == .leaveEditor)
    #expect(KeyMap.action(for: .ctrl("c"), in: .editor) == .forceQuit)
}

@Test func mouseSelectsNodesAndRows() {
    var s = loaded()
    let r = s.regions.body
    let (id, box) = s.layout.boxes.min { $0.key < $1.key }!
    _ = reduce(&s, .mouse(MouseEvent(.press, x: r.x + box.x - s.navigation.pan.x + 1, y: r.y + box.y - s.navigation.pan.y + 1)))
    #expect(s.navigation.selection == .node(id))
    s.navigate(.show(.services))
    _ = reduce(&s, .mouse(MouseEvent(.press, x: 2, y: r.y + 3)))
    #expect(s.navigation.tables[.services]?.selectedRow == 2)
}

/// docs/keybindings.md is generated from the key map; this keeps the two identical.
/// `SMITOP_RECORD_SNAPSHOTS=1` rewrites the page.
@Test func keybindingsPageMatchesTheKeyMap() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let page = root.appendingPathComponent("docs/keybindings.md")
    let generated = KeyMap.markdown()
    if ProcessInfo.processInfo.environment["SMITOP_RECORD_SNAPSHOTS"] == "1" {
        try generated.write(to: page, atomically: true, encoding: .utf8)
        return
    }
    let onDisk = try String(contentsOf: page, encoding: .utf8)
    #expect(onDisk == generated, "docs/keybindings.md is out of date; run the tests with SMITOP_RECORD_SNAPSHOTS=1")
}

@Test func refreshZeroPollsOnceThenSleeps() {
    var o = AppOptions()
    o.refreshInterval = 0
    var s = AppState(options: o, context: ContextInfo(context: "kind", scope: .one("shop")), availableThemes: ["default"])
    let start = reduce(&s, .start(now: 0))
    #expect(start.contains { if case .pollMetrics = $0 { return true } else { return false } }, "one first sample")
    let after = reduce(&s, .metricsSampled(namespace: "shop", lists: [], at: 1))
    #expect(after.isEmpty, "paused: no further poll is scheduled")
    _ = reduce(&s, .tick(now: 600))
    #expect(s.connection.status == .live, "old metrics are not 'stale' while polling is paused")
    var running = AppState(context: ContextInfo(context: "kind", scope: .one("shop")), availableThemes: ["default"])
    _ = reduce(&running, .start(now: 0))
    #expect(reduce(&running, .metricsSampled(namespace: "shop", lists: [], at: 1)).contains { if case .pollMetrics = $0 { return true } else { return false } })
}

@Test func configFileParsesEveryKeyAndRefusesTypos() throws {
    let text = """
        theme: light
        refresh: 5
        metricsWindow: 1m
        thresholds: {warning: 0.99, critical: 0.9}
        step: 10
        mouse: false
        contexts:
          prod: {readOnly: true}
          dev: {readOnly: false}
        keys:
          quit: [Q, Ctrl-Q]
          help: F1
        """
    let c = try SmitopConfig.parse(text, file: "/cfg.yaml")
    var o = AppOptions()
    c.apply(to: &o)
    #expect(c.theme == "light")
    #expect(o.refreshInterval == 5 && o.metricsWindow == "1m" && o.defaultStep == 10 && !o.mouseEnabled)
    #expect(o.thresholds.warning == 0.99 && o.thresholds.critical == 0.9)
    #expect(o.readOnlyContexts == ["prod"])
    #expect(o.isReadOnly(context: "prod") && !o.isReadOnly(context: "dev"))
    #expect(o.keyMap.action(for: .char("Q"), in: .graph) == .quit)
    #expect(o.keyMap.action(for: .ctrl("q"), in: .table) == .quit)
    #expect(o.keyMap.action(for: .char("q"), in: .graph) == nil, "the old key is re-bound away")
    #expect(o.keyMap.action(for: .char("?"), in: .graph) == nil)
    #expect(o.keyMap.action(for: .function(1), in: .graph) == .help)

    // The re-bound keys are what the state machine uses, and what help and the footer show.
    var s = AppState(options: o, context: ContextInfo(context: "prod", scope: .one("shop")), availableThemes: ["default"])
    #expect(s.readOnly.isReadOnly && s.readOnly.reason == "read-only context (config)")
    #expect(reduce(&s, .key(.char("q"))).isEmpty)
    #expect(reduce(&s, .key(.char("Q"))) == [.quit])

    // Every mistake names the file, the line and the setting.
    let bad: [(String, String)] = [
        ("refesh: 2\n", "refesh"), ("refresh: fast\n", "refresh"), ("thresholds:\n  warning: 95\n", "thresholds.warning"),
        ("step: 7\n", "step"), ("keys:\n  quit: [Hyper-Q]\n", "Hyper-Q"), ("keys:\n  explode: q\n", "keys.explode"),
        ("contexts:\n  prod: {readonly: true}\n", "contexts.prod.readonly"), ("- a\n", "mapping"),
        ("thresholds: {warning: 0.8, critical: 0.9}\n", "critical"), ("theme: [\n", "/cfg.yaml"),
    ]
    for (text, needle) in bad {
        do {
            _ = try SmitopConfig.parse(text, file: "/cfg.yaml")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(needle) && error.description.hasPrefix("/cfg.yaml"), "\(error)")
        }
    }
    do {
        _ = try SmitopConfig.parse("mouse: true\nstep: 3\n", file: "/cfg.yaml")
    } catch {
        #expect(error.line == 2, "\(error)")
    }
    // A missing default file is fine; a named one that is missing is not.
    #expect(try SmitopConfig.load(path: "/nonexistent/smitop.yaml") == SmitopConfig())
    #expect(throws: ConfigError.self) { try SmitopConfig.load(path: "/nonexistent/smitop.yaml", required: true) }
    #expect(SmitopConfig.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/smitop/config.yaml")
    #expect(SmitopConfig.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/smitop/config.yaml")
    #expect(SmitopConfig.defaultPath(environment: ["SMITOP_CONFIG": "/c.yaml", "HOME": "/h"]) == "/c.yaml")
}

@Test func configurationPageDocumentsEveryKey() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let page = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
    for r in SmitopConfig.reference {
        #expect(page.contains("| `\(r.key)` | `\(r.defaultValue)` |"), "docs/configuration.md lacks \(r.key) (default \(r.defaultValue))")
    }
}

@Test func sessionSnapshotRoundTripsDraftsAndJournalAndDropsGarbage() throws {
    var s = loaded(owner: true)
    s.navigate(.show(.splits))
    keys(&s, [.enter, .down, .right, .right, .esc])
    let id = SplitID.trafficSplit("shop", "books")
    #expect(s.splitEditor.drafts[id]?.isDirty == true)
    s.splitEditor.journal = [
        JournalEntry(
            split: SplitRef(namespace: "shop", name: "books", apiVersion: "split.smi-spec.io/v1alpha2"),
            before: s.splitEditor.drafts[id]!.base.backends, after: s.splitEditor.drafts[id]!.working.backends, resultingResourceVersion: "8", at: 5)
    ]
    let snap = SessionSnapshot(s)
    #expect(snap.drafts.count == 1)
    // Through text, as on disk.
    let back = SessionSnapshot(json: try JSON.parse(String(decoding: snap.json.serialized(), as: UTF8.self)))
    #expect(back.drafts.first?.working.backends == s.splitEditor.drafts[id]!.working.backends)
    #expect(back.drafts.first?.base.meta.resourceVersion == "7")
    // The stored split is slim; the saved draft still knows who will revert it.
    #expect(back.drafts.first?.base.controller?.tool == "flagger")
    #expect(back.journal == s.splitEditor.journal)

    // A fresh start restores them; when the server's object arrives it is reconciled as usual.
    var fresh = loaded()
    _ = reduce(&fresh, .sessionRestored(back))
    #expect(fresh.splitEditor.drafts[id]?.isDirty == true)
    #expect(fresh.splitEditor.journal.count == 1)
    #expect(fresh.message?.text.contains("unsaved draft") == true)
    _ = reduce(&fresh, .objects(.trafficSplit, .upserted(split([70, 30], rv: "9"))))
    #expect(fresh.splitEditor.drafts[id]?.theirs?.meta.resourceVersion == "9", "a server change meanwhile is shown as theirs")

    // Clean drafts are not kept; broken entries are dropped, the rest restored.
    var clean = loaded()
    clean.navigate(.show(.splits))
    keys(&clean, [.enter, .esc])
    #expect(SessionSnapshot(clean).drafts.isEmpty)
    var j = snap.json
    j["drafts"] = .array([["base": "nonsense"], ["weights": [1]]] + (snap.json["drafts"]?.arrayValue ?? []))
    j["journal"] = .array([["namespace": 3]] + (snap.json["journal"]?.arrayValue ?? []))
    let partial = SessionSnapshot(json: j)
    #expect(partial.drafts.count == 1 && partial.journal.count == 1)
}

@Test func aWriteOfUnknownOutcomeIsCheckedNotResent() {
    let lost = KubeError(source: .transport(.timeout), message: "PATCH https://k/…: timed out", mayHaveBeenSent: true)
    let ref = SplitRef(namespace: "shop", name: "books", apiVersion: "split.smi-spec.io/v1alpha2")
    // It landed: the re-read shows our weights at a new resourceVersion.
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("3"), .enter])
    guard case .patch(let p)? = keys(&s, [.char("y")]).first else {
        Issue.record("no patch")
        return
    }
    let fx = reduce(&s, .patchFailed(requestID: p.id, error: lost))
    #expect(fx == [.reloadObject(.trafficSplit, ref)], "re-read, never a second patch")
    #expect(s.editor?.unknownOutcome == true && s.editor?.isDirty == true)
    _ = reduce(&s, .objectReloaded(.trafficSplit, split([30, 70], rv: "8")))
    #expect(s.editor?.unknownOutcome == false)
    #expect(s.editor?.isDirty == false && s.editor?.base.meta.resourceVersion == "8")
    #expect(s.splitEditor.journal.last?.resultingResourceVersion == "8", "a write that landed is undoable like any other")
    #expect(s.editor?.notice?.contains("did reach the server") == true)

    // It did not land: the re-read shows the old weights; the draft stays, nothing is sent.
    var t = loaded()
    t.navigate(.show(.splits))
    keys(&t, [.enter, .char("3"), .enter])
    guard case .patch(let q)? = keys(&t, [.char("y")]).first else {
        Issue.record("no patch")
        return
    }
    _ = reduce(&t, .patchFailed(requestID: q.id, error: lost))
    let after = reduce(&t, .objectReloaded(.trafficSplit, split([90, 10], rv: "7")))
    #expect(!after.contains { if case .patch = $0 { return true } else { return false } })
    #expect(t.editor?.isDirty == true && weights(t.editor) == ["30", "70"])
    #expect(t.editor?.notice?.contains("did not reach the server") == true)
    #expect(t.splitEditor.journal.isEmpty)

    // A request refused before it was sent (connection refused) is an ordinary failure.
    var u = loaded()
    u.navigate(.show(.splits))
    keys(&u, [.enter, .char("3"), .enter])
    guard case .patch(let r)? = keys(&u, [.char("y")]).first else {
        Issue.record("no patch")
        return
    }
    let refused = KubeError(source: .transport(.couldNotConnect), message: "connection refused", mayHaveBeenSent: false)
    #expect(reduce(&u, .patchFailed(requestID: r.id, error: refused)).isEmpty)
    #expect(u.editor?.unknownOutcome == false && u.editor?.notice?.contains("write failed") == true)
}

/// Issue 14 item 7: a metrics outage (a 503 from the metrics API) made the badge STALE and then
/// OFFLINE although every watch was healthy, and the next poll came at the normal interval.
@Test func aMetricsOutageIsNotAClusterOutageAndPollsBackOff() {
    var s = loaded()
    _ = reduce(&s, .tick(now: 1))
    #expect(s.connection.status == .live)
    let outage = KubeError(source: .status, code: 503, reason: "ServiceUnavailable", message: "metrics adapter down")
    var afters: [Seconds] = []
    for i in 0..<8 {
        let fx = reduce(&s, .metricsFailed(namespace: "shop", error: outage, at: Double(2 + 20 * i)))
        if case .pollMetrics(_, _, let after)? = fx.first { afters.append(after) }
        _ = reduce(&s, .tick(now: Double(3 + 20 * i)))
        #expect(s.connection.status == .live, "poll \(i): the watches are healthy")
    }
    #expect(s.metricsStale)
    // 2 s refresh doubled per failure, capped at a minute.
    #expect(afters == [4, 8, 16, 32, 60, 60, 60, 60])
    // One good poll ends the backoff and the staleness.
    let fx = reduce(&s, .metricsSampled(namespace: "shop", lists: [], at: 200))
    if case .pollMetrics(_, _, let after)? = fx.first { #expect(after == 2) } else { Issue.record("no next poll") }
    #expect(!s.metricsStale)
}

/// The resourceVersion precondition has one owner: every weight write (write, dry run, undo)
/// is built by `PatchRequest.weights`, guarded by the base object's version in body and field.
@Test func everyWeightWriteIsGuardedByTheBaseVersion() throws {
    let base = WeightedSplit(try TrafficSplit(json: split([90, 10], rv: "7")))
    let target = WeightedSplit(try TrafficSplit(json: split([50, 50], rv: "99")))  // a stale version on the target must not leak
    let r = try #require(PatchRequest.weights(id: 3, target, basedOn: base, dryRun: true))
    #expect(r.id == 3 && r.dryRun)
    #expect(r.expectedResourceVersion == "7")
    #expect(r.body[path: "metadata", "resourceVersion"]?.stringValue == "7")
    #expect(r.body[path: "spec", "backends"]?.arrayValue?.map { $0["weight"]?.intValue } == [50, 50])
    var unversioned = base
    unversioned.meta.resourceVersion = nil
    #expect(PatchRequest.weights(id: 4, target, basedOn: unversioned, dryRun: false) == nil)
    // The editor's diff shows exactly the body that `y` sends.
    var s = loaded()
    s.navigate(.show(.splits))
    keys(&s, [.enter, .char("5"), .enter])
    let shown = try JSON.parse(s.editor?.diff.patchText ?? "")
    guard case .patch(let sent)? = keys(&s, [.char("y")]).first else {
        Issue.record("no patch")
        return
    }
    #expect(shown == sent.body)
}

/// Issue 14 item 10: with -A the access review is cluster-scoped, so a user allowed to patch
/// splits only in their own namespaces got a read-only UI. A cluster-wide "no" keeps writes
/// enabled (the server checks each namespace); a "no" for the one namespace shown still means
/// read-only.
@Test func aClusterWideDenialIsNotReadOnlyEverywhere() {
    var all = AppState(context: ContextInfo(context: "kind", scope: .all))
    _ = reduce(&all, .accessReview(allowed: false, reason: "no cluster-wide RBAC"))
    #expect(!all.readOnly.isReadOnly)
    #expect(all.message?.text.contains("checked per namespace") == true)
    var one = AppState(context: ContextInfo(context: "kind", scope: .one("shop")))
    _ = reduce(&one, .accessReview(allowed: false, reason: "no RBAC in shop"))
    #expect(one.readOnly.isReadOnly)
}

/// A route rule's draft and journal entry survive the session file as a TrafficSplit's do, and
/// come back keyed by the rule, not by the route's name alone.
@Test func sessionSnapshotKeepsRouteRuleDrafts() throws {
    let route: JSON = try JSON.parse(
        #"""
        {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
         "metadata":{"name":"books","namespace":"shop","resourceVersion":"7","generation":2,
                     "ownerReferences":[{"apiVersion":"flagger.app/v1beta1","kind":"Canary","name":"books","uid":"u","controller":true}]},
         "spec":{"parentRefs":[{"group":"","kind":"Service","name":"books","port":80}],
                 "rules":[{"matches":[{"headers":[{"name":"x","value":"1"}]}],"backendRefs":[{"name":"books-v2","port":80,"weight":1}]},
                          {"backendRefs":[{"name":"books-v1","port":80,"weight":90},{"name":"books-v2","port":80,"weight":10}]}]}}
        """#)
    var s = loaded()
    _ = reduce(&s, .objects(.httpRoute, .replaced([route])))
    let id = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "books"), rule: 1)
    let split = try #require(s.store.splits[id])
    var d = SplitDraft(split: split)
    d.working = try split.settingShare(30, of: 1)
    s.splitEditor.drafts[id] = d
    s.splitEditor.journal = [JournalEntry(split: SplitRef(split), before: split.backends, after: d.working.backends, resultingResourceVersion: "7", at: 5)]
    let back = SessionSnapshot(json: try JSON.parse(String(decoding: SessionSnapshot(s).json.serialized(), as: UTF8.self)))
    #expect(back.drafts.map(\.key) == [id])
    #expect(back.drafts.first?.working.backends.map(\.weight.description) == ["70", "30"])
    #expect(back.drafts.first?.base.controller?.tool == "flagger", "the owner is still known after a restart")
    #expect(back.journal.first?.split.id == id)
    #expect(back.journal.first?.split.path == "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/books")
    // The write it would send: the whole rules list, rule 0 as read.
    let patch = try #require(back.drafts.first?.patch)
    #expect(patch[path: "spec", "rules"]?.arrayValue?[0] == route[path: "spec", "rules"]?.arrayValue?[0])
    #expect(patch[path: "metadata", "resourceVersion"] == "7")
}

/// A relist is applied as watch events are: the graph is rebuilt for a new topology only; new
/// weights or a new ready count are patched in place, and a relist that changed nothing
/// changes nothing (a re-established watch on a quiet mesh).
@Test func aRelistRebuildsTheGraphOnlyForANewTopology() {
    var s = loaded()
    let web = NodeID(.workload, ObjectRef(namespace: "shop", name: "web"))
    let books = NodeID(.service, ObjectRef(namespace: "shop", name: "books"))
    func subtitle(_ id: NodeID) -> String? { s.graph.nodes.first { $0.id == id }?.subtitle }
    // A mark only a rebuild of the graph from the store would take away.
    s.graph.updateSubtitle(books, "marked")
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split([90, 10], rv: "7")])))
    #expect(subtitle(books) == "marked")
    #expect(s.connection.status == .live)
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split([80, 20], rv: "8")])))
    #expect(subtitle(books) == "marked")
    #expect(s.graph.edges.compactMap { $0.split?.weight } == ["80", "20"])
    #expect(s.visibleGraph.edges.compactMap { $0.split?.weight } == ["80", "20"])
    let readyWeb = obj(
        #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","resourceVersion":"3"},"spec":{"template":{"metadata":{"labels":{"app":"web"}}}},"status":{"readyReplicas":1}}"#
    )
    _ = reduce(
        &s,
        .objects(
            .deployment,
            .replaced([readyWeb, deployment("books-v1", #""app":"books","v":"1""#), deployment("books-v2", #""app":"books","v":"2""#)])))
    #expect(subtitle(web) == "deploy 1/1")
    #expect(s.visibleGraph.nodes.first { $0.id == web }?.subtitle == "deploy 1/1")
    #expect(subtitle(books) == "marked")
    // A third backend is a new topology: the graph is built again.
    _ = reduce(&s, .objects(.trafficSplit, .replaced([split([60, 30, 10], rv: "9")])))
    #expect(subtitle(books) == "svc")
    #expect(s.graph.edges.compactMap { $0.split?.weight } == ["60", "30", "10"])
}
