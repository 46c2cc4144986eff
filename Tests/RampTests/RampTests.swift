import GatewayAPI
import KubeCore
import Mesh
import SMI
import Testing

@testable import Ramp

func splitJSON(_ weights: [Int], rv: String, manager: String? = nil, owner: Bool = false) -> JSON {
    let names = ["books-v1", "books-v2", "books-v3"]
    let b = weights.enumerated().map { #"{"service":"\#(names[$0.offset])","weight":\#($0.element)}"# }.joined(separator: ",")
    let own = owner ? #","ownerReferences":[{"apiVersion":"flagger.app/v1beta1","kind":"Canary","name":"books","uid":"u","controller":true}]"# : ""
    let mf = manager.map { #","managedFields":[{"manager":"\#($0)","operation":"Update","apiVersion":"split.smi-spec.io/v1alpha2"}]"# } ?? ""
    return try! JSON.parse(
        #"{"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"books","namespace":"shop","resourceVersion":"\#(rv)"\#(own)\#(mf)},"spec":{"service":"books","backends":[\#(b)]}}"#
    )
}

func ws(_ weights: [Int], rv: String, manager: String? = nil, owner: Bool = false) -> WeightedSplit {
    WeightedSplit(try! TrafficSplit(json: splitJSON(weights, rv: rv, manager: manager, owner: owner)))
}

func routeSplit(_ weights: [Int], generation: Int, observed: Int?, rv: String) -> WeightedSplit {
    let status =
        observed.map {
            #","status":{"parents":[{"parentRef":{"group":"","kind":"Service","name":"books","port":80},"controllerName":"linkerd.io/gateway-controller","conditions":[{"type":"Accepted","status":"True","reason":"Accepted","observedGeneration":\#($0),"lastTransitionTime":"2026-12-07T00:00:00Z"}]}]}"#
        } ?? ""
    let j = try! JSON.parse(
        #"{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"books","namespace":"shop","resourceVersion":"\#(rv)","generation":\#(generation)},"spec":{"parentRefs":[{"group":"","kind":"Service","name":"books","port":80}],"rules":[{"backendRefs":[{"name":"books-v1","port":80,"weight":\#(weights[0])},{"name":"books-v2","port":80,"weight":\#(weights[1])}]}]}\#(status)}"#
    )
    return WeightedSplit(try! Route(json: j), rule: 0)!
}

let id = SplitID.trafficSplit("shop", "books")

func plan(
    _ steps: String = "10,50,100", wait: Double = 60, mode: RampMode = .manual,
    gates: RampGates = RampGates(minSuccessPercent: 99, maxP99Ms: 200, minRequests: 10)
)
    -> RampPlan
{
    RampPlan(split: id, canary: "books-v2", steps: try! RampPlan.parseSteps(steps).get(), wait: wait, gates: gates, mode: mode)
}

func obs(_ t: Double, canary: (Double, Double, Double), stable: (Double, Double, Double) = (10, 0.999, 50)) -> RampObservation {
    RampObservation(
        at: t, canary: BackendStats(rps: canary.0, successRate: canary.1, p99Ms: canary.2),
        stable: BackendStats(rps: stable.0, successRate: stable.1, p99Ms: stable.2))
}

func writes(_ a: [RampAction]) -> [(WeightedSplit, WeightedSplit, RampPurpose)] {
    a.compactMap { if case .write(let t, let b, let p) = $0 { return (t, b, p) } else { return nil } }
}
func events(_ a: [RampAction]) -> [String] { a.compactMap { if case .log(let e) = $0 { return e.event } else { return nil } } }
func weights(_ s: WeightedSplit) -> [String] { s.backends.map { $0.weight.description } }

/// Writes the step the machine asks for and feeds back the stored object with rv+1.
func acceptWrite(_ m: inout RampMachine, _ a: [RampAction], now: Double, rv: inout Int) -> [RampAction] {
    guard let (t, _, _) = writes(a).first else { return [] }
    rv += 1
    var stored = t
    stored.meta.resourceVersion = "\(rv)"
    let j = stored.encodeWithMetadata()
    return m.writeSucceeded(WeightedSplit.decode(j, as: t.id)!, now: now)
}

@Suite struct RampPlanTests {
    @Test func stepsParseAsExactPercentages() throws {
        let s = try RampPlan.parseSteps("0.5, 5,10,25%,50,100").get()
        #expect(s.map(percentLabel) == ["0.5%", "5%", "10%", "25%", "50%", "100%"])
        #expect(s[0] == Fraction(1, 2))
    }

    @Test(arguments: ["", "10,5", "0", "101", "abc", "1e3", "10,,20", "-5", "nan", "5.1234567", "10,10"])
    func badStepsAreRefusedWithAReason(_ text: String) {
        guard case .failure(let e) = RampPlan.parseSteps(text) else {
            Issue.record("\"\(text)\" was accepted")
            return
        }
        #expect(!e.message.isEmpty)
    }

    @Test func stepSizeEndsAtTheTarget() throws {
        #expect(try RampPlan.steps(from: 10, size: 25, to: 100).get().map(\.description) == ["35", "60", "85", "100"])
        #expect(try RampPlan.steps(from: 0, size: 50, to: 100).get().map(\.description) == ["50", "100"])
        #expect(throws: RampPlanError.self) { try RampPlan.steps(from: 0, size: Fraction(1, 10), to: 100).get() }
        #expect(throws: RampPlanError.self) { try RampPlan.steps(from: 100, size: 10, to: 100).get() }
        #expect(throws: RampPlanError.self) { try RampPlan.steps(from: 0, size: 0, to: 100).get() }
    }

    @Test func planRoundTripsThroughJSONAndRejectsHostileFiles() throws {
        let p = plan("0.5,5,100", wait: 120, mode: .auto)
        #expect(RampPlan(json: p.json) == p)
        var bad = p.json
        bad["steps"] = [["50", "1"], ["10", "1"]]
        #expect(RampPlan(json: bad) == nil)
        bad = p.json
        bad["wait"] = .double(.infinity)
        #expect(RampPlan(json: bad) == nil)
        bad = p.json
        bad["gates"] = ["minSuccessPercent": .double(1e300)]
        #expect(RampPlan(json: bad) == nil)
        bad = p.json
        bad["steps"] = [["1", "0"]]
        #expect(RampPlan(json: bad) == nil)
    }

    @Test func planProblemsOnTheSplit() {
        var p = plan()
        #expect(p.problem(on: ws([90, 10], rv: "1")) == nil)
        p.canary = "books-v9"
        #expect(p.problem(on: ws([90, 10], rv: "1"))?.contains("not a backend") == true)
        p = plan()
        p.gates.maxP99Ms = -1
        #expect(p.problem(on: ws([90, 10], rv: "1"))?.contains("p99") == true)
    }
}

@Suite struct GateTests {
    @Test func noVerdictWithoutEnoughTraffic() {
        var w = StepWindow(startedAt: 0, settle: 0)
        w.add(obs(1, canary: (1, 0.5, 900)))
        let g = Gates.evaluate(w, RampGates(minSuccessPercent: 99, maxP99Ms: 100, minRequests: 20), baseline: Baseline())
        #expect(g.map(\.verdict) == [.noVerdict, .noVerdict, .noVerdict])
        #expect(g[0].note == "not enough traffic")
    }

    @Test func requestWeightedValuesAgainstExplicitThresholds() {
        var w = StepWindow(startedAt: 0, settle: 0)
        w.add(obs(10, canary: (3, 1.0, 100)))  // 30 requests, all good
        w.add(obs(20, canary: (1, 0.5, 300)))  // 10 requests, half failed
        #expect(w.canary.requests == 40)
        #expect(abs((w.canary.successRate ?? 0) - 0.875) < 1e-12)
        #expect(abs((w.canary.p99Ms ?? 0) - 150) < 1e-9)
        let g = Gates.evaluate(w, RampGates(minSuccessPercent: 90, maxP99Ms: 200, minRequests: 20), baseline: Baseline())
        #expect(g.map(\.verdict) == [.pass, .fail, .pass])
        #expect(g[1].text == "success rate 87.50% ≥ 90.00%")
    }

    @Test func defaultsComeFromTheStableBackends() {
        var w = StepWindow(startedAt: 0, settle: 0)
        w.add(obs(10, canary: (5, 0.992, 70), stable: (20, 0.998, 60)))
        let g = Gates.evaluate(w, RampGates(minRequests: 10), baseline: Baseline())
        // 99.8 − 0.5 = 99.3 > 99.2: fails; 60 × 1.2 = 72 ≥ 70: passes.
        #expect(g[1].verdict == .fail)
        #expect(abs((g[1].threshold ?? 0) - 99.3) < 1e-9)
        #expect(g[2].verdict == .pass)
        #expect(abs((g[2].threshold ?? 0) - 72) < 1e-9)
    }

    @Test func theBaselineStandsInWhenTheStableSideIsIdle() {
        var w = StepWindow(startedAt: 0, settle: 0)
        w.add(obs(10, canary: (5, 0.99, 70), stable: (0, 0, 0)))
        let none = Gates.evaluate(w, RampGates(minRequests: 10), baseline: Baseline())
        #expect(none[1].verdict == .noVerdict && none[1].note == "no stable baseline to compare with")
        let g = Gates.evaluate(w, RampGates(minRequests: 10), baseline: Baseline(successRate: 0.99, p99Ms: 50))
        #expect(g[1].verdict == .pass)  // 99.0 ≥ 98.5
        #expect(g[2].verdict == .fail)  // 70 > 60
    }

    @Test func samplesInsideTheSettlingWindowAreNotJudged() {
        var w = StepWindow(startedAt: 100, settle: 30)
        w.add(obs(110, canary: (10, 0.0, 999)))  // still averages the previous step
        #expect(w.counted == 0 && w.canary.requests == 0)
        w.add(obs(130, canary: (2, 1.0, 10)))
        #expect(w.counted == 1 && w.canary.requests == 60)  // the whole window, 30 s × 2 rps
        w.add(obs(135, canary: (2, 1.0, 10)))
        #expect(w.canary.requests == 70)
        w.add(obs(1000, canary: (2, 1.0, 10)))  // after an outage: only its own window
        #expect(w.canary.requests == 130)
    }

    @Test func hostileNumbersNeitherTrapNorPass() {
        var w = StepWindow(startedAt: 0, settle: 0)
        w.add(obs(.nan, canary: (1, 1, 1)))
        w.add(obs(1, canary: (.infinity, .nan, -.infinity)))
        w.add(obs(2, canary: (1e308, 2, 1e308)))
        w.add(obs(3, canary: (-5, -1, -1)))
        let g = Gates.evaluate(w, RampGates(minSuccessPercent: 99, maxP99Ms: 100, minRequests: 1), baseline: Baseline())
        #expect(g.allSatisfy { $0.value.map(\.isFinite) ?? true })
        #expect(g[2].verdict == .fail)  // a huge p99 is clamped, never wrapped into a pass
        #expect(formatFixed(.nan, 2) == "-" && formatFixed(1e300, 1) == "huge" && formatFixed(-0.004, 2) == "0.00")
    }
}

@Suite struct RampMachineTests {
    @Test func manualRampProposesEachStepAndCompletes() {
        var rv = 1
        var m = RampMachine(plan: plan("10,50", wait: 60), split: ws([90, 10], rv: "1"), settle: 0)
        var a = m.begin(now: 0)
        #expect(events(a) == ["begin", "step"])
        #expect(writes(a).map { weights($0.0) } == [["90", "10"]])
        #expect(writes(a).first?.1.meta.resourceVersion == "1")
        a = acceptWrite(&m, a, now: 1, rv: &rv)
        #expect(m.phase == .watching && m.step == 0)
        #expect(m.timeLeft(now: 31) == 30)
        _ = m.observe(obs(30, canary: (2, 1, 50)))
        #expect(m.phase == .watching)  // the wait is not over
        a = m.observe(obs(61, canary: (2, 1, 50)))
        #expect(m.phase == .proposing && events(a) == ["proposed"])
        #expect(m.tick(now: 200).isEmpty && m.phase == .proposing)  // manual: waits for the key
        a = m.next(now: 201)
        #expect(writes(a).map { weights($0.0) } == [["50", "50"]])
        #expect(writes(a).first?.1.meta.resourceVersion == "2")
        _ = acceptWrite(&m, a, now: 202, rv: &rv)
        a = m.observe(obs(300, canary: (10, 1, 50)))
        #expect(m.phase == .finished(.completed) && events(a) == ["completed"])
    }

    @Test func autoRampWritesTheNextStepItselfAndPausesOnAFailingGate() {
        var rv = 1
        var m = RampMachine(plan: plan("10,30,60", wait: 10, mode: .auto), split: ws([100, 0], rv: "1"), settle: 0)
        var a = acceptWrite(&m, m.begin(now: 0), now: 0, rv: &rv)
        a = m.observe(obs(11, canary: (2, 1, 50)))
        #expect(events(a) == ["passed", "step"] && writes(a).map { weights($0.0) } == [["70", "30"]])
        a = acceptWrite(&m, a, now: 12, rv: &rv)
        a = m.observe(obs(20, canary: (4, 0.8, 50)))  // 32 requests, 80 %: fails before the wait ends
        #expect(events(a) == ["failed"])
        guard case .failed(let why) = m.phase else { return #expect(Bool(false), "\(m.phase)") }
        #expect(why.contains("success rate 80.00% ≥ 99.00% at step 2"))
        #expect(m.tick(now: 100).isEmpty)  // nothing more is written on its own
        a = m.rollback(now: 101)
        #expect(writes(a).map { weights($0.0) } == [["100", "0"]] && writes(a).first?.2 == .rollback)
        _ = acceptWrite(&m, a, now: 102, rv: &rv)
        #expect(m.phase == .finished(.rolledBack))
    }

    @Test func aConcurrentChangeStopsTheRampWithoutWriting() {
        var rv = 1
        var m = RampMachine(plan: plan(), split: ws([90, 10], rv: "1"), settle: 0)
        _ = acceptWrite(&m, m.begin(now: 0), now: 0, rv: &rv)
        // A status-only change (same weights, new rv) is followed, not treated as a writer.
        #expect(m.serverObject(ws([90, 10], rv: "5"), now: 1).isEmpty && m.server.meta.resourceVersion == "5")
        let a = m.serverObject(ws([80, 20], rv: "6", manager: "kubectl-edit"), now: 2)
        #expect(writes(a).isEmpty && events(a) == ["stopped"])
        guard case .finished(.concurrentChange(let why)) = m.phase else { return #expect(Bool(false)) }
        #expect(why.contains("kubectl-edit"))
        #expect(m.next(now: 3).isEmpty && m.rollback(now: 3).isEmpty)
    }

    @Test func aConflictOnAStepOrARollbackNeverOverwrites() {
        var m = RampMachine(plan: plan(), split: ws([90, 10], rv: "1"), settle: 0)
        _ = m.begin(now: 0)
        _ = m.writeFailed(.conflict("409"), now: 1)
        #expect(m.phase == .finished(.concurrentChange("the split changed on the server (409); nothing was overwritten")))

        var rv = 1
        var r = RampMachine(plan: plan(), split: ws([90, 10], rv: "1"), settle: 0)
        _ = acceptWrite(&r, r.begin(now: 0), now: 0, rv: &rv)
        _ = r.rollback(now: 1)
        _ = r.writeFailed(.conflict("409"), now: 2)
        guard case .finished(.concurrentChange) = r.phase else { return #expect(Bool(false), "\(r.phase)") }
    }

    @Test func aFailedWriteOrALostConnectionPausesAndResumeRestartsTheWait() {
        var rv = 1
        var m = RampMachine(plan: plan(wait: 30), split: ws([90, 10], rv: "1"), settle: 0)
        _ = acceptWrite(&m, m.begin(now: 0), now: 0, rv: &rv)
        _ = m.observe(obs(20, canary: (5, 1, 10)))
        #expect(events(m.connection(up: false, now: 25)) == ["paused"])
        #expect(m.phase == .paused("connection to the cluster lost"))
        #expect(m.observe(obs(40, canary: (5, 1, 10))).isEmpty && m.phase == .paused("connection to the cluster lost"))
        #expect(events(m.resume(now: 50)) == ["resumed"])
        #expect(m.timeLeft(now: 50) == 30)
        _ = m.next(now: 51)  // override
        #expect(events(m.writeFailed(.other("HTTP 500"), now: 52)) == ["paused"])
        #expect(m.phase == .paused("write failed: HTTP 500"))
    }

    @Test func userPauseOverrideAndPromote() {
        var rv = 1
        var m = RampMachine(plan: plan("10,50,100", wait: 60), split: ws([90, 10], rv: "1"), settle: 0)
        _ = acceptWrite(&m, m.begin(now: 0), now: 0, rv: &rv)
        #expect(events(m.pause(now: 1)) == ["paused"] && m.phase == .paused("paused by you"))
        _ = m.resume(now: 2)
        let a = m.next(now: 3)
        #expect(events(a) == ["override", "step"])
        _ = acceptWrite(&m, a, now: 4, rv: &rv)
        let p = m.promote(now: 5)
        #expect(writes(p).map { weights($0.0) } == [["0", "100"]])
        _ = acceptWrite(&m, p, now: 6, rv: &rv)
        #expect(m.phase == .finished(.completed))
    }

    @Test func aControllerOwnedSplitIsNeverRamped() {
        var m = RampMachine(plan: plan(), split: ws([90, 10], rv: "1", owner: true), settle: 0)
        let a = m.begin(now: 0)
        #expect(writes(a).isEmpty)
        guard case .finished(.stopped(let why)) = m.phase else { return #expect(Bool(false)) }
        #expect(why.contains("flagger") && why.contains("suspend"))
    }

    /// After the operator suspended the owning Flagger Canary (read back), that controller is
    /// held: the ramp writes beside it. Any other controller still stops it.
    @Test func aHeldControllerDoesNotStopTheRamp() {
        let split = ws([90, 10], rv: "1", owner: true)
        var m = RampMachine(plan: plan(), split: split, settle: 0)
        m.heldController = split.controller
        let a = m.begin(now: 0)
        #expect(writes(a).map { weights($0.0) } == [["90", "10"]], "\(a)")
        if case .finished = m.phase { Issue.record("stopped: \(m.phase)") }
        var other = RampMachine(plan: plan(), split: split, settle: 0)
        other.heldController = ControllerInfo(source: .gitOps, tool: "Flux", detail: "a label")
        _ = other.begin(now: 0)
        guard case .finished(.stopped(let why)) = other.phase else { return #expect(Bool(false)) }
        #expect(why.contains("flagger"))
    }

    @Test func deletedSplitAndMissingCanaryStop() {
        var m = RampMachine(plan: plan(), split: ws([90, 10], rv: "1"), settle: 0)
        _ = m.begin(now: 0)
        _ = m.writeFailed(.other("x"), now: 1)
        _ = m.serverObject(nil, now: 2)
        #expect(m.phase == .finished(.stopped("the split was deleted")))
        var p = plan()
        p.canary = "nope"
        var n = RampMachine(plan: p, split: ws([90, 10], rv: "1"), settle: 0)
        _ = n.begin(now: 0)
        guard case .finished(.stopped) = n.phase else { return #expect(Bool(false)) }
    }

    @Test func aRouteStepWaitsForTheMeshToAcceptTheNewGeneration() {
        let rplan = RampPlan(
            split: SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "books"), rule: 0), canary: "books-v2",
            steps: [10, 100], wait: 5, gates: RampGates(minSuccessPercent: 99, maxP99Ms: 200, minRequests: 1))
        var m = RampMachine(plan: rplan, split: routeSplit([100, 0], generation: 1, observed: 1, rv: "1"), settle: 0)
        let a = m.begin(now: 0)
        #expect(writes(a).map { weights($0.0) } == [["90", "10"]])
        _ = m.writeSucceeded(routeSplit([90, 10], generation: 2, observed: 1, rv: "2"), now: 1)
        guard case .applying(.step(0), 2, _) = m.phase else { return #expect(Bool(false), "\(m.phase)") }
        #expect(m.observe(obs(3, canary: (9, 1, 1))).isEmpty)  // not judged before it is in effect
        #expect(events(m.serverObject(routeSplit([90, 10], generation: 2, observed: 2, rv: "3"), now: 4)) == ["applied"])
        #expect(m.phase == .watching)
        // A mesh that never accepts pauses the ramp instead of judging old traffic.
        var n = RampMachine(plan: rplan, split: routeSplit([100, 0], generation: 1, observed: 1, rv: "1"), settle: 0)
        _ = n.begin(now: 0)
        _ = n.writeSucceeded(routeSplit([90, 10], generation: 2, observed: 1, rv: "2"), now: 1)
        _ = n.tick(now: 100)
        guard case .paused = n.phase else { return #expect(Bool(false), "\(n.phase)") }
    }

    @Test func aSnapshotResumesOnlyOnUnchangedWeightsAndOnlyAfterBegin() throws {
        var rv = 1
        var m = RampMachine(plan: plan("10,50,100"), split: ws([90, 10], rv: "1"), settle: 0)
        _ = acceptWrite(&m, m.begin(now: 0), now: 0, rv: &rv)
        _ = m.next(now: 1)
        _ = acceptWrite(&m, [.write(target: ws([50, 50], rv: "2"), base: m.server, purpose: .step(1))], now: 2, rv: &rv)
        let snap = try #require(m.snapshot)
        var r = try #require(RampMachine(restoring: snap, split: ws([50, 50], rv: "9"), settle: 0))
        #expect(r.phase == .ready && r.step == 1)
        #expect(r.tick(now: 10).isEmpty)  // nothing happens before the user confirms
        let a = r.begin(now: 11)
        #expect(events(a) == ["resumed"] && writes(a).isEmpty && r.phase == .watching)
        let back = r.rollback(now: 12)
        #expect(r.phase == .writing(.rollback))
        // Written in the split's own notation: integers stay integers (a string "90" would be
        // refused by an integer-typed CRD).
        #expect(writes(back).first?.0.backends.map(\.weight.literal) == [.int(90), .int(10)])

        var changed = try #require(RampMachine(restoring: snap, split: ws([70, 30], rv: "9"), settle: 0))
        _ = changed.begin(now: 11)
        guard case .finished(.concurrentChange(let why)) = changed.phase else { return #expect(Bool(false)) }
        #expect(why.contains("while smitop was not running"))
        #expect(RampMachine(restoring: snap, split: ws([50, 25, 25], rv: "9"), settle: 0) == nil)
    }

    @Test func everyLogLineCarriesTheGateValuesThatJustifiedIt() {
        var rv = 1
        var m = RampMachine(plan: plan("10,50", wait: 1, mode: .auto), split: ws([90, 10], rv: "1"), settle: 0)
        _ = acceptWrite(&m, m.begin(now: 0), now: 0, rv: &rv)
        let a = m.observe(obs(5, canary: (5, 1, 20)))
        guard case .log(let e)? = a.first else { return #expect(Bool(false)) }
        #expect(e.event == "passed" && e.gates.map(\.verdict) == [.pass, .pass, .pass])
        let j = e.json
        #expect(j["gates"]?.arrayValue?.count == 3 && j["split"]?.stringValue == "shop/books" && j["step"]?.intValue == 1)
    }
}

@Suite struct LastWriterTests {
    @Test func aStatusWriteAfterTheSpecWriteIsNotTheWriterOfTheWeights() throws {
        let meta = ObjectMeta(
            json: try JSON.parse(
                #"{"name":"books","managedFields":[{"manager":"kubectl-patch","operation":"Update","time":"2026-12-07T02:24:17Z"},{"manager":"pilot-discovery","operation":"Update","time":"2026-12-07T02:24:18Z","subresource":"status"},{"manager":"old-tool","operation":"Update","time":"2026-12-01T00:00:00Z"}]}"#
            ))
        #expect(meta.lastWriter == "kubectl-patch")
        // The slim copy the store keeps still knows.
        #expect(meta.keepingControllerEvidence().lastWriter == "kubectl-patch")
        #expect(ObjectMeta(json: try JSON.parse(#"{"name":"x"}"#)).lastWriter == nil)
    }
}
