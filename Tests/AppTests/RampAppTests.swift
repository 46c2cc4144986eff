import Foundation
import Kube
import KubeCore
import Mesh
import Ramp
import SMI
import Testing

@testable import App

/// The reducer's ramp glue: keys to a plan, the machine's writes as guarded patches, the
/// journal, pauses on a broken watch, and the session file.
@Suite struct RampAppTests {
    func patches(_ fx: [Effect]) -> [PatchRequest] { fx.compactMap { if case .patch(let p) = $0 { return p } else { return nil } } }
    func logLines(_ fx: [Effect]) -> [String] {
        fx.compactMap { if case .appendRampLog(let j) = $0 { return j["event"]?.stringValue } else { return nil } }
    }

    /// The books split (90/10, rv 7) with a ramp planned by keys and started.
    func started() throws -> (AppState, PatchRequest) {
        var s = loaded()
        s.navigate(.show(.splits))
        keys(&s, [.char("R")])
        let form = try #require(s.rampForm)
        #expect(form.backends[form.canary] == "books-v2" && s.keyContext == .rampPlan)
        // Steps typed over the default: Backspace the field clear, then "20,50".
        keys(&s, Array(repeating: Key.backspace, count: 20))
        type(&s, "20,50")
        keys(&s, [.enter])
        #expect(s.keyContext == .rampConfirm)
        let fx = keys(&s, [.char("y")])
        #expect(logLines(fx) == ["begin", "step"])
        let p = try #require(patches(fx).first)
        return (s, p)
    }

    @Test func aPlannedRampWritesItsFirstStepAsAGuardedPatch() throws {
        let (s, p) = try started()
        #expect(p.expectedResourceVersion == "7")
        #expect(p.body[path: "spec", "backends"]?.arrayValue?.map { $0["weight"]?.intValue } == [80, 20])
        #expect(s.keyContext == .ramp && s.rampOpen == booksID)
        guard case .ramp(booksID, _)? = s.splitEditor.pending[p.id] else { return #expect(Bool(false), "\(s.splitEditor.pending)") }
    }

    @Test func eachStepIsAJournalEntryAndAWatchFailurePausesTheRamp() throws {
        var (s, p) = try started()
        _ = reduce(&s, .patchSucceeded(requestID: p.id, object: split([80, 20], rv: "8")))
        #expect(s.splitEditor.journal.last?.after.map { $0.weight.description } == ["80", "20"])
        #expect(s.splitEditor.journal.last?.resultingResourceVersion == "8")
        #expect(s.ramps[booksID]?.machine.phase == .watching)
        let fx = reduce(&s, .watchFailed(.trafficSplit, KubeError(source: .transport(.couldNotConnect), message: "refused"), retryIn: 1))
        #expect(s.ramps[booksID]?.machine.phase == .paused("connection to the cluster lost"))
        #expect(logLines(fx) == ["paused"])
        #expect(patches(reduce(&s, .tick(now: 500))).isEmpty)
    }

    @Test func someoneElsesWriteStopsTheRampAndIsKept() throws {
        var (s, p) = try started()
        _ = reduce(&s, .patchSucceeded(requestID: p.id, object: split([80, 20], rv: "8")))
        let fx = reduce(&s, .objects(.trafficSplit, .upserted(split([60, 40], rv: "9"))))
        guard case .finished(.concurrentChange)? = s.ramps[booksID]?.machine.phase else {
            return #expect(Bool(false), "\(String(describing: s.ramps[booksID]?.machine.phase))")
        }
        #expect(patches(fx).isEmpty && logLines(fx) == ["stopped"])
        #expect(s.message?.text.contains("someone else is writing") == true)
        // b (rollback) does nothing on a stopped ramp.
        #expect(patches(keys(&s, [.char("b")])).isEmpty)
    }

    @Test func aConflictOnAStepIsNeverRetried() throws {
        var (s, p) = try started()
        let conflict = KubeError(source: .status, code: 409, reason: "Conflict", message: "the object has been modified")
        let fx = reduce(&s, .patchFailed(requestID: p.id, error: conflict))
        #expect(patches(fx).isEmpty)
        guard case .finished(.concurrentChange)? = s.ramps[booksID]?.machine.phase else { return #expect(Bool(false)) }
    }

    @Test func theSessionFileKeepsARunningRampAndARestartOffersItWithoutWriting() throws {
        var (s, p) = try started()
        _ = reduce(&s, .patchSucceeded(requestID: p.id, object: split([80, 20], rv: "8")))
        let snap = SessionSnapshot(s)
        #expect(snap.ramps.keys.map(\.key) == ["shop/books"])
        let back = SessionSnapshot(json: try JSON.parse(String(decoding: snap.json.serialized(), as: UTF8.self)))
        #expect(back.ramps == snap.ramps)

        // A new process: the session arrives before the split, then the split (as written).
        var fresh = AppState(options: AppOptions(), context: ContextInfo(context: "kind", scope: .one("shop")))
        _ = reduce(&fresh, .start(now: 0))
        _ = reduce(&fresh, .sessionRestored(back))
        #expect(fresh.ramps.isEmpty && fresh.restoredRamps.count == 1)
        let fx = reduce(&fresh, .objects(.trafficSplit, .replaced([split([80, 20], rv: "8")])))
        #expect(fresh.ramps[booksID]?.restored == true && fresh.ramps[booksID]?.machine.phase == .ready)
        #expect(patches(fx).isEmpty && patches(reduce(&fresh, .tick(now: 100))).isEmpty)
        #expect(SessionSnapshot(fresh).ramps.count == 1, "a restored ramp not yet resumed stays saved")
        // R opens it, Enter resumes it: watching again, still nothing written.
        fresh.navigate(.show(.splits))
        keys(&fresh, [.char("R")])
        #expect(fresh.keyContext == .ramp)
        let resumed = keys(&fresh, [.enter])
        #expect(patches(resumed).isEmpty && logLines(resumed) == ["resumed"])
        #expect(fresh.ramps[booksID]?.machine.phase == .watching)
    }

    @Test func aStepSizeRampsFromTheCanarysShareTo100() throws {
        var s = loaded()
        s.navigate(.show(.splits))
        keys(&s, [.char("R")])
        keys(&s, Array(repeating: Key.backspace, count: 20))
        type(&s, "+30")
        keys(&s, [.enter])
        let plan = try #require(s.rampForm?.reviewing, "\(String(describing: s.rampForm?.error))")
        #expect(plan.steps.map(percentLabel) == ["40%", "70%", "100%"])  // from books-v2's 10 %
    }

    @Test func aControllerOwnedSplitGetsNoPlanForm() {
        var s = loaded(owner: true)
        s.navigate(.show(.splits))
        keys(&s, [.char("R")])
        #expect(s.rampForm == nil)
        #expect(s.message?.text.contains("suspend it before ramping") == true)
    }

    @Test func badPlanTextIsRefusedInTheForm() throws {
        var s = loaded()
        s.navigate(.show(.splits))
        keys(&s, [.char("R")])
        keys(&s, Array(repeating: Key.backspace, count: 20))
        type(&s, "50,20")
        keys(&s, [.enter])
        #expect(s.rampForm?.error?.contains("steps must rise") == true)
        #expect(s.keyContext == .rampPlan)
        keys(&s, [.esc])
        #expect(s.rampForm == nil && s.ramps.isEmpty)
    }
}
