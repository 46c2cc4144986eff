import Foundation
import Kube
import KubeCore
import Mesh
import Testing

@testable import App

/// "Suspend the Canary first" (issue 15): keys → effects. Nothing is written before `y`; the
/// write is a merge patch carrying the resourceVersion read; a 409 is shown, not retried.
@Suite("Flagger Canary suspend in the editor")
struct CanaryTests {
    func canary(rv: String, suspend: Bool? = nil, phase: String = "Progressing") -> JSON {
        let spec = suspend.map { #","suspend":\#($0)"# } ?? ""
        return obj(
            #"{"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"books","namespace":"shop","resourceVersion":"\#(rv)"},"spec":{"targetRef":{"name":"books"}\#(spec)},"status":{"phase":"\#(phase)"}}"#
        )
    }

    func canaryEffects(_ fx: [Effect]) -> [CanaryRequest] {
        fx.compactMap { if case .canary(let r) = $0 { return r } else { return nil } }
    }
    func hasWrite(_ fx: [Effect]) -> Bool {
        fx.contains {
            switch $0 {
            case .patch: return true
            case .canary(let r): return r.body != nil
            default: return false
            }
        }
    }

    /// The editor open on the Flagger-owned split with `S` pressed: the read it asked for.
    func pressS(_ s: inout AppState) -> CanaryRequest? {
        s.navigate(.show(.splits))
        keys(&s, [.enter])
        let fx = keys(&s, [.char("S")])
        #expect(!hasWrite(fx), "S wrote something")
        return canaryEffects(fx).first
    }

    @Test func sReadsTheOwningCanaryAndWritesNothing() {
        var s = loaded(owner: true)
        guard let read = pressS(&s) else {
            Issue.record("S asked for no Canary read")
            return
        }
        #expect(read.op == .read)
        #expect(read.canary == FlaggerCanary(namespace: "shop", name: "books", apiVersion: "flagger.app/v1beta1"))
        #expect(read.canary.path == "/apis/flagger.app/v1beta1/namespaces/shop/canaries/books")
        #expect(read.body == nil)
        #expect(s.editor?.phase == .canaryReading(requestID: read.id, readBack: false))
    }

    @Test func theDialogShowsTheWriteAndNothingIsWrittenOnCancel() {
        var s = loaded(owner: true)
        guard let read = pressS(&s) else {
            Issue.record("no read")
            return
        }
        let fx = reduce(&s, .canaryAnswered(read, .success(canary(rv: "41"))))
        #expect(fx.isEmpty, "the read's answer wrote: \(fx)")
        guard case .confirmCanary(let plan)? = s.editor?.phase else {
            Issue.record("no dialog: \(String(describing: s.editor?.phase))")
            return
        }
        #expect(plan.suspend == true && plan.resourceVersion == "41" && plan.canaryPhase == "Progressing")
        #expect(plan.patchText == #"{"metadata":{"resourceVersion":"41"},"spec":{"suspend":true}}"#)
        #expect(s.keyContext == .canaryConfirm)
        // Keys other than y and n do nothing here.
        #expect(keys(&s, [.char("l"), .char("S"), .enter]).isEmpty)
        for cancel in [Key.char("n"), .esc, .char("q")] {
            #expect(keys(&s, [cancel]).isEmpty)
            #expect(s.editor?.phase == .editing)
            #expect(s.editor?.notice == "nothing was written to the Canary")
            guard let r = canaryEffects(keys(&s, [.char("S")])).first else {
                Issue.record("no read")
                return
            }
            _ = reduce(&s, .canaryAnswered(r, .success(canary(rv: "41"))))
        }
    }

    @Test func yWritesSuspendWithTheResourceVersionThenReadsBack() {
        var s = loaded(owner: true)
        guard let read = pressS(&s) else {
            Issue.record("no read")
            return
        }
        _ = reduce(&s, .canaryAnswered(read, .success(canary(rv: "41"))))
        let fx = keys(&s, [.char("y")])
        guard let w = canaryEffects(fx).first, case .setSuspend(true, let rv) = w.op else {
            Issue.record("y did not write: \(fx)")
            return
        }
        #expect(rv == "41")
        #expect(w.body == ["metadata": ["resourceVersion": "41"], "spec": ["suspend": true]])
        #expect(w.fieldManager == "smitop")
        #expect(!fx.contains { if case .patch = $0 { return true } else { return false } }, "the weights were written with the Canary")
        // The patch's answer leads to a fresh read, which confirms.
        let back = canaryEffects(reduce(&s, .canaryAnswered(w, .success(canary(rv: "42", suspend: true)))))
        #expect(back.first?.op == .read)
        guard let b = back.first else { return }
        #expect(reduce(&s, .canaryAnswered(b, .success(canary(rv: "43", suspend: true)))).isEmpty)
        #expect(s.editor?.canary == CanaryReading(resourceVersion: "43", suspended: true, phase: "Progressing"))
        #expect(s.editor?.notice?.contains("suspended (spec.suspend: true, read back at resourceVersion 43)") == true)
        #expect(s.editor?.phase == .editing)
        // Now the weight edit is an ordinary guarded write, with no second controller warning.
        keys(&s, [.char("5"), .enter])
        let yfx = keys(&s, [.char("y")])
        guard case .patch(let p)? = yfx.first else {
            Issue.record("the weight write did not go out: \(yfx) \(String(describing: s.editor?.phase)) \(s.editor?.notice ?? "")")
            return
        }
        #expect(p.expectedResourceVersion == "7")
        _ = reduce(&s, .patchSucceeded(requestID: p.id, object: split([50, 50], rv: "8", owner: true)))
        #expect(s.editor?.canary?.suspended == true, "the write forgot the suspended Canary")
        // S again offers the reverse: resume.
        guard let again = canaryEffects(keys(&s, [.char("S")])).first else {
            Issue.record("no read for resume")
            return
        }
        _ = reduce(&s, .canaryAnswered(again, .success(canary(rv: "44", suspend: true))))
        guard case .confirmCanary(let plan)? = s.editor?.phase else {
            Issue.record("no resume dialog")
            return
        }
        #expect(plan.suspend == false && plan.resourceVersion == "44")
    }

    @Test func aConflictIsShownAndNotRetried() {
        var s = loaded(owner: true)
        guard let read = pressS(&s) else {
            Issue.record("no read")
            return
        }
        _ = reduce(&s, .canaryAnswered(read, .success(canary(rv: "41"))))
        guard let w = canaryEffects(keys(&s, [.char("y")])).first else {
            Issue.record("no write")
            return
        }
        let conflict = KubeError(source: .status, code: 409, reason: "Conflict", message: "the object has been modified")
        let fx = reduce(&s, .canaryAnswered(w, .failure(conflict)))
        #expect(fx.isEmpty, "a 409 was followed by \(fx)")
        #expect(s.editor?.phase == .editing)
        #expect(s.editor?.notice?.contains("conflict: Canary shop/books changed on the server since resourceVersion 41") == true)
        #expect(s.editor?.canary == nil)
    }

    @Test func fromTheControllerWarningASuspendReturnsToTheDiff() {
        var s = loaded(owner: true)
        s.navigate(.show(.splits))
        keys(&s, [.enter, .char("5"), .enter])
        #expect(keys(&s, [.char("y")]).isEmpty)
        guard case .confirmController = s.editor?.phase else {
            Issue.record("no warning")
            return
        }
        guard let read = canaryEffects(keys(&s, [.char("S")])).first else {
            Issue.record("S in the warning read nothing")
            return
        }
        _ = reduce(&s, .canaryAnswered(read, .success(canary(rv: "41"))))
        // Cancelling goes back to the warning, nothing written.
        keys(&s, [.char("n")])
        guard case .confirmController = s.editor?.phase else {
            Issue.record("cancel did not return to the warning")
            return
        }
        guard let r2 = canaryEffects(keys(&s, [.char("S")])).first else {
            Issue.record("no read")
            return
        }
        _ = reduce(&s, .canaryAnswered(r2, .success(canary(rv: "41"))))
        guard let w = canaryEffects(keys(&s, [.char("y")])).first else {
            Issue.record("no write")
            return
        }
        guard let b = canaryEffects(reduce(&s, .canaryAnswered(w, .success(canary(rv: "42", suspend: true))))).first else { return }
        _ = reduce(&s, .canaryAnswered(b, .success(canary(rv: "42", suspend: true))))
        #expect(s.editor?.phase == .reviewing)
        guard case .patch? = keys(&s, [.char("y")]).first else {
            Issue.record("y in the diff did not write the weights")
            return
        }
    }

    /// docs/ramps.md: suspend the controller first, then ramp. `R` on a Flagger-owned split is
    /// refused (naming S) until its Canary was suspended and read back in the editor; then
    /// the plan form opens and the ramp it starts holds that controller.
    @Test func rampAfterSuspendingTheCanary() throws {
        var s = loaded(owner: true)
        s.navigate(.show(.splits))
        keys(&s, [.char("R")])
        #expect(s.rampForm == nil)
        #expect(s.message?.text.contains("S in its editor suspends the Canary") == true, "\(String(describing: s.message))")
        guard let read = pressS(&s) else {
            Issue.record("no read")
            return
        }
        _ = reduce(&s, .canaryAnswered(read, .success(canary(rv: "41"))))
        guard let w = canaryEffects(keys(&s, [.char("y")])).first else {
            Issue.record("y did not write")
            return
        }
        guard let b = canaryEffects(reduce(&s, .canaryAnswered(w, .success(canary(rv: "42", suspend: true))))).first else {
            Issue.record("no read-back")
            return
        }
        _ = reduce(&s, .canaryAnswered(b, .success(canary(rv: "43", suspend: true))))
        keys(&s, [.char("R")])
        let form = try #require(s.rampForm, "\(String(describing: s.message))")
        #expect(form.heldController?.tool == "flagger")
        keys(&s, [.enter])
        let fx = keys(&s, [.char("y")])
        #expect(fx.contains { if case .patch = $0 { return true } else { return false } }, "the ramp's first step was not written: \(fx)")
        #expect(s.ramps.values.first?.machine.heldController?.tool == "flagger")
    }

    @Test func noCanaryNoRead() {
        var s = loaded(owner: false)
        s.navigate(.show(.splits))
        keys(&s, [.enter])
        #expect(keys(&s, [.char("S")]).isEmpty)
        #expect(s.editor?.notice?.contains("no Flagger Canary owns this split") == true)
        var ro = loaded(owner: true, readOnly: true)
        ro.navigate(.show(.splits))
        keys(&ro, [.enter])
        #expect(keys(&ro, [.char("S")]).isEmpty)
        #expect(ro.editor?.notice?.contains("read-only") == true)
    }

    @Test func aStaleOrWrongAnswerIsNotActedOn() {
        var s = loaded(owner: true)
        guard let read = pressS(&s) else {
            Issue.record("no read")
            return
        }
        keys(&s, [.esc])  // still waiting: Esc leaves the editor, the answer lands in the draft
        var other = read
        other.id += 100
        #expect(reduce(&s, .canaryAnswered(other, .success(canary(rv: "41")))).isEmpty)
        #expect(s.splitEditor.drafts[booksID]?.phase == .canaryReading(requestID: read.id, readBack: false))
        // An answer that is not the Canary asked for offers no write.
        var wrong = canary(rv: "41")
        wrong["kind"] = "Deployment"
        _ = reduce(&s, .canaryAnswered(read, .success(wrong)))
        #expect(s.splitEditor.drafts[booksID]?.phase == .editing)
    }

    @Test func ownerReferencesThatAreNotACanaryAreNotWrittenTo() {
        func meta(_ apiVersion: String, kind: String = "Canary", controller: Bool = true) -> ObjectMeta {
            ObjectMeta(
                name: "r", namespace: "ns",
                ownerReferences: [OwnerReference(apiVersion: apiVersion, kind: kind, name: "c", controller: controller)])
        }
        #expect(FlaggerCanary(owning: meta("flagger.app/v1beta1"))?.path == "/apis/flagger.app/v1beta1/namespaces/ns/canaries/c")
        #expect(FlaggerCanary(owning: meta("flagger.app.evil/v1beta1")) == nil)
        #expect(FlaggerCanary(owning: meta("flagger.app/../v1")) == nil)
        #expect(FlaggerCanary(owning: meta("flagger.app/v1beta1", kind: "Rollout")) == nil)
        #expect(FlaggerCanary(owning: meta("flagger.app/v1beta1", controller: false)) == nil)
        #expect(
            FlaggerCanary(namespace: "payments", name: "payments").kubectlCommand(suspend: true)
                == #"kubectl patch canaries.flagger.app payments -n payments --type merge -p '{"spec":{"suspend":true}}'"#)
    }
}
