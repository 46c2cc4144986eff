import Kube
import KubeCore
import Mesh
import SMI
import Testing

@testable import App

/// The split editor as a state machine, without AppState: every transition of a draft's phase,
/// event → actions, as the reflector's are tested. (AppTests drive the same machine through
/// keys and reduce; these pin each step, including answers that arrive too late.)
@Suite("split editor state machine")
struct SplitEditorMachineTests {
    static let conflict = KubeError(source: .status, code: 409, reason: "Conflict", message: "the object has been modified")
    static let lost = KubeError(source: .transport(.timeout), message: "PATCH https://k/…: timed out", mayHaveBeenSent: true)
    static let refused = KubeError(source: .transport(.couldNotConnect), message: "connection refused", mayHaveBeenSent: false)
    static let books = SplitRef(namespace: "shop", name: "books", apiVersion: "split.smi-spec.io/v1alpha2")
    static let booksCanary = FlaggerCanary(namespace: "shop", name: "books", apiVersion: "flagger.app/v1beta1")

    static func canary(rv: String, suspend: Bool) -> JSON {
        obj(
            #"{"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"books","namespace":"shop","resourceVersion":"\#(rv)"},"spec":{"targetRef":{"name":"books"},"suspend":\#(suspend)},"status":{"phase":"Progressing"}}"#
        )
    }

    /// The machine, what it reads, and what it last asked for.
    struct Harness {
        var e = SplitEditor()
        var env: EditorEnvironment

        init(weights: [Int] = [90, 10], owner: Bool = false, readOnly: Bool = false) {
            var store = MeshStore()
            store.replaceAll(.trafficSplit, [split(weights, rv: "7", owner: owner)])
            var ro = ReadOnlyState()
            ro.flag = readOnly
            env = EditorEnvironment(now: 10, readOnly: ro, store: store, defaultStep: 10)
        }

        @discardableResult
        mutating func send(_ event: EditorEvent) -> [EditorAction] { e.handle(event, env) }
        @discardableResult
        mutating func key(_ a: Action, digit: Int? = nil) -> [EditorAction] { send(.key(a, digit: digit)) }

        var draft: SplitDraft? { e.drafts[booksID] }
        var phase: EditorPhase? { draft?.phase }

        /// The server's split moved on (a watch event).
        mutating func server(_ weights: [Int], rv: String) {
            env.store.upsert(.trafficSplit, split(weights, rv: rv))
            send(.serverChanged([booksID]))
        }

        /// Open, set the first backend to 30 %, show the diff.
        mutating func drafted() {
            send(.open(booksID))
            key(.setShare, digit: 3)
            key(.review)
        }

        /// Drafted and `y`: the patch sent.
        mutating func written() -> PatchRequest? {
            drafted()
            guard case .patch(let p)? = key(.write).first else { return nil }
            return p
        }
    }

    static func patches(_ a: [EditorAction]) -> [PatchRequest] { a.compactMap { if case .patch(let p) = $0 { return p } else { return nil } } }
    static func said(_ a: [EditorAction]) -> [String] { a.compactMap { if case .say(let t, _) = $0 { return t } else { return nil } } }

    // MARK: open, edit, leave

    @Test func openStartsADraftAtTheConfiguredStepAndReopensWhereItWas() {
        var h = Harness()
        #expect(h.send(.open(.trafficSplit("shop", "nope"))) == [.say("no split shop/nope", .error)])
        #expect(h.e.editing == nil)
        #expect(h.send(.open(booksID)).isEmpty)
        #expect(h.e.editing == booksID && h.phase == .editing && h.draft?.step == 10)
        h.key(.setShare, digit: 3)
        #expect(weights(h.draft) == ["30", "70"])
        h.key(.review)
        #expect(h.phase == .reviewing)
        // Leaving from the diff is not possible (Esc goes back first); from the editor it keeps the draft.
        h.key(.backToEditor)
        #expect(h.phase == .editing)
        h.key(.review)
        h.send(.close)
        #expect(h.e.editing == nil && h.draft?.isDirty == true)
        // Reopened: the draft, in the editor (not the diff it was left in).
        h.send(.open(booksID))
        #expect(h.phase == .editing && weights(h.draft) == ["30", "70"])
        h.key(.leaveEditor)
        #expect(h.e.editing == nil && h.e.dirtyKeys == ["shop/books"])
    }

    @Test func reviewWithoutChangesStaysInTheEditor() {
        var h = Harness()
        h.send(.open(booksID))
        h.key(.review)
        #expect(h.phase == .editing && h.draft?.notice == "no changes to write")
    }

    @Test func keysOutsideAnOpenEditorCloseNothingAndDoNothing() {
        var h = Harness()
        #expect(h.key(.write).isEmpty && h.e.editing == nil)
        #expect(h.send(.key(nil)).isEmpty)
        #expect(h.send(.select(backend: 1)).isEmpty)
        h.send(.open(booksID))
        #expect(h.send(.key(nil)).isEmpty && h.e.editing == booksID)
        h.send(.select(backend: 1))
        #expect(h.draft?.selected == 1)
        h.send(.select(backend: 5))
        #expect(h.draft?.selected == 1, "a click below the backends selects nothing")
        #expect(h.key(.forceQuit) == [.forceQuit])
        #expect(h.key(.suspend) == [.suspend])
    }

    // MARK: writes

    @Test func yWritesAGuardedPatchThenTheAnswerJournalsIt() throws {
        var h = Harness()
        let pSent = h.written()
        let p = try #require(pSent)
        #expect(p.expectedResourceVersion == "7" && p.body[path: "metadata", "resourceVersion"] == "7" && !p.dryRun)
        #expect(h.phase == .writing(requestID: p.id) && h.e.pending[p.id] == .write(booksID))
        #expect(h.e.nextRequestID == p.id + 1)
        // In flight: only leaving is allowed; the answer still lands.
        h.key(.revert)
        #expect(h.phase == .writing(requestID: p.id) && h.draft?.notice == "waiting for the server…")
        h.key(.leaveEditor)
        #expect(h.e.editing == nil)
        // Our own echo before the answer changes nothing.
        h.server([30, 70], rv: "8")
        #expect(h.phase == .writing(requestID: p.id) && h.draft?.theirs == nil)
        let a = h.send(.patchSucceeded(requestID: p.id, object: split([30, 70], rv: "8")))
        #expect(a.first == .stored(.trafficSplit, split([30, 70], rv: "8")))
        #expect(Self.said(a) == ["wrote trafficsplit/books -n shop: books-v1 30, books-v2 70"])
        #expect(h.phase == .editing && h.draft?.isDirty == false && h.draft?.base.meta.resourceVersion == "8")
        #expect(h.e.pending.isEmpty)
        #expect(h.e.journal.map(\.resultingResourceVersion) == ["8"])
        #expect(h.e.journal.first?.before.map(\.weight.description) == ["90", "10"])
        #expect(h.e.journal.first?.at == 10)
    }

    @Test func aStaleOrUnknownRequestIDChangesNothing() throws {
        var h = Harness()
        let pSent = h.written()
        let p = try #require(pSent)
        let before = h.e
        #expect(h.send(.patchSucceeded(requestID: p.id + 1, object: split([30, 70], rv: "8"))).isEmpty)
        #expect(h.send(.patchFailed(requestID: 999, error: Self.conflict)).isEmpty)
        #expect(h.send(.dryRunResult(requestID: p.id, result: .success(split([30, 70], rv: "8")))).isEmpty, "a write's id is no dry run")
        #expect(h.e == before)
        // Answered once: a second answer for the same id is dropped.
        h.send(.patchSucceeded(requestID: p.id, object: split([30, 70], rv: "8")))
        let answered = h.e
        #expect(h.send(.patchFailed(requestID: p.id, error: Self.conflict)).isEmpty)
        #expect(h.e == answered)
    }

    @Test func aConflictKeepsTheDraftShowsTheirsAndBlocksTheWriteUntilRebased() throws {
        var h = Harness()
        let pSent = h.written()
        let p = try #require(pSent)
        h.env.store.upsert(.trafficSplit, split([50, 50], rv: "9"))
        let a = h.send(.patchFailed(requestID: p.id, error: Self.conflict))
        #expect(a == [.say("conflict: the split changed on the server; your draft is kept", .error), .reload(.trafficSplit, Self.books)])
        #expect(h.phase == .editing && h.draft?.conflict != nil && h.draft?.theirs?.meta.resourceVersion == "9")
        #expect(weights(h.draft) == ["30", "70"], "your weights are kept")
        // y is refused while theirs is unresolved.
        h.key(.review)
        #expect(h.key(.write).isEmpty && h.phase == .editing)
        #expect(h.draft?.notice?.contains("r takes theirs, o keeps your weights") == true)
        // o: your weights on their version; the next write carries it.
        h.key(.rebase)
        #expect(h.draft?.theirs == nil && h.draft?.base.meta.resourceVersion == "9" && weights(h.draft) == ["30", "70"])
        h.key(.review)
        let again = Self.patches(h.key(.write))
        #expect(again.map(\.expectedResourceVersion) == ["9"])
    }

    @Test func oWithoutAConflictAndRevertAfterOne() throws {
        var h = Harness()
        h.send(.open(booksID))
        h.key(.rebase)
        #expect(h.draft?.notice == "nothing to rebase onto: the server has not changed")
        h.key(.setShare, digit: 3)
        h.server([50, 50], rv: "9")
        #expect(h.draft?.theirs?.meta.resourceVersion == "9")
        h.key(.revert)
        #expect(h.draft?.isDirty == false && weights(h.draft) == ["50", "50"] && h.draft?.theirs == nil)
    }

    @Test func aFailedWriteIsReportedAndTheDraftStays() throws {
        var h = Harness()
        let pSent = h.written()
        let p = try #require(pSent)
        let a = h.send(.patchFailed(requestID: p.id, error: Self.refused))
        #expect(a.count == 1 && Self.patches(a).isEmpty)
        #expect(h.phase == .editing && h.draft?.isDirty == true && h.draft?.unknownOutcome == false)
        #expect(h.draft?.notice?.hasPrefix("write failed:") == true)
        #expect(h.e.journal.isEmpty)
    }

    @Test func aWriteOfUnknownOutcomeIsReadAgainAndSettledByTheServer() throws {
        // It landed.
        var h = Harness()
        let pSent = h.written()
        let p = try #require(pSent)
        let a = h.send(.patchFailed(requestID: p.id, error: Self.lost))
        #expect(Self.patches(a).isEmpty && a.last == .reload(.trafficSplit, Self.books))
        #expect(h.draft?.unknownOutcome == true && h.phase == .editing)
        h.env.store.upsert(.trafficSplit, split([30, 70], rv: "8"))
        #expect(Self.said(h.send(.reloaded([booksID]))) == ["wrote trafficsplit/books -n shop (confirmed by re-reading after the connection failed)"])
        #expect(h.draft?.unknownOutcome == false && h.draft?.isDirty == false)
        #expect(h.e.journal.map(\.resultingResourceVersion) == ["8"])

        // It did not land; a failed re-read changes nothing but the notice.
        var t = Harness()
        let qSent = t.written()
        let q = try #require(qSent)
        t.send(.patchFailed(requestID: q.id, error: Self.lost))
        #expect(t.send(.reloadFailed(booksID, Self.refused)).isEmpty)
        #expect(t.draft?.unknownOutcome == true && t.draft?.notice?.contains("nothing is resent") == true)
        t.server([90, 10], rv: "7")
        #expect(t.draft?.unknownOutcome == false && t.draft?.isDirty == true && t.e.journal.isEmpty)
        #expect(t.draft?.notice?.contains("did not reach the server") == true)

        // Written again and answered: the answer settles it (no second journal entry later).
        var u = Harness()
        let rSent = u.written()
        let r = try #require(rSent)
        u.send(.patchFailed(requestID: r.id, error: Self.lost))
        u.key(.review)
        let sSent = Self.patches(u.key(.write)).first
        let s = try #require(sSent)
        u.send(.patchSucceeded(requestID: s.id, object: split([30, 70], rv: "8")))
        u.server([30, 70], rv: "8")
        #expect(u.e.journal.count == 1 && u.draft?.unknownOutcome == false)
        #expect(u.draft?.notice == "written (resourceVersion 8)", "the echo of a write that was answered settles nothing")
    }

    @Test func aControllerOwnedSplitAsksFirst() throws {
        var h = Harness(owner: true)
        h.drafted()
        #expect(h.key(.write).isEmpty)
        guard case .confirmController(let c)? = h.phase else { return #expect(Bool(false), "\(String(describing: h.phase))") }
        #expect(c.tool == "flagger")
        h.key(.backToEditor)
        #expect(h.phase == .editing && h.draft?.controllerAcknowledged == false)
        h.key(.review)
        h.key(.write)
        let pSent = Self.patches(h.key(.write)).first
        let p = try #require(pSent, "y again writes anyway")
        #expect(h.phase == .writing(requestID: p.id))
        // The acknowledgement is for one write.
        h.send(.patchSucceeded(requestID: p.id, object: split([30, 70], rv: "8", owner: true)))
        #expect(h.draft?.controllerAcknowledged == false)
    }

    @Test func aRouteOverriddenByAServiceProfileAsksFirst() throws {
        var h = Harness()
        let route: JSON = [
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": ["name": "pay", "namespace": "shop", "resourceVersion": "3"],
            "spec": [
                "parentRefs": [["group": "", "kind": "Service", "name": "pay", "port": 80]],
                "rules": [["backendRefs": [["name": "pay-v1", "port": 80, "weight": 80], ["name": "pay-v2", "port": 80, "weight": 20]]]],
            ],
        ]
        let profile: JSON = [
            "apiVersion": "linkerd.io/v1alpha2", "kind": "ServiceProfile",
            "metadata": ["name": "pay.shop.svc.cluster.local", "namespace": "shop"],
            "spec": ["dstOverrides": [["authority": "pay-v1.shop.svc.cluster.local:80", "weight": 1]]],
        ]
        h.env.store.upsert(.httpRoute, route)
        h.env.store.upsert(.serviceProfile, profile)
        let id = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"))
        h.send(.open(id))
        h.key(.setShare, digit: 5)
        h.key(.review)
        #expect(h.key(.write).isEmpty)
        #expect(h.e.drafts[id]?.phase == .confirmOverride("ServiceProfile shop/pay.shop.svc.cluster.local"))
        h.key(.backToEditor)
        #expect(h.e.drafts[id]?.phase == .editing)
        h.key(.review)
        h.key(.write)
        let pSent = Self.patches(h.key(.write)).first
        let p = try #require(pSent)
        #expect(p.expectedResourceVersion == "3" && h.e.pending[p.id] == .write(id))
    }

    @Test func readOnlyDraftsButNeverWrites() {
        var h = Harness(readOnly: true)
        h.drafted()
        #expect(h.key(.write).isEmpty && h.phase == .editing)
        #expect(h.draft?.notice == "read-only: --read-only")
        #expect(h.key(.dryRun).isEmpty && h.phase == .editing)
        #expect(h.send(.undo) == [.say("read-only: --read-only", .warning)])
        #expect(h.e.pending.isEmpty && h.e.nextRequestID == 1)
    }

    // MARK: dry run

    @Test func aDryRunIsAcceptedOrRejected() throws {
        var h = Harness()
        h.send(.open(booksID))
        h.key(.setShare, digit: 3)
        let pSent = Self.patches(h.key(.dryRun)).first
        let p = try #require(pSent)
        #expect(p.dryRun && p.expectedResourceVersion == "7" && h.phase == .dryRunning(requestID: p.id))
        #expect(h.send(.patchSucceeded(requestID: p.id + 7, object: .null)).isEmpty)
        h.send(.dryRunResult(requestID: p.id, result: .success(split([30, 70], rv: "7"))))
        #expect(h.phase == .editing && h.draft?.lastDryRun == .accepted(weights: ["books-v1 30", "books-v2 70"]))
        #expect(h.draft?.isDirty == true && h.e.journal.isEmpty, "a dry run writes nothing")

        let qSent = Self.patches(h.key(.dryRun)).first
        let q = try #require(qSent)
        h.env.store.upsert(.trafficSplit, split([50, 50], rv: "9"))
        h.send(.dryRunResult(requestID: q.id, result: .failure(Self.conflict)))
        #expect(h.phase == .editing && h.draft?.theirs?.meta.resourceVersion == "9")
        guard case .rejected? = h.draft?.lastDryRun else { return #expect(Bool(false)) }
    }

    // MARK: undo

    @Test func undoReviewsTheOldWeightsAndBackOutReturnsWhereItWasPressed() throws {
        var h = Harness()
        #expect(h.send(.undo) == [.say("nothing to undo: smitop has not written anything yet", .info)])
        let pSent = h.written()
        let p = try #require(pSent)
        h.send(.patchSucceeded(requestID: p.id, object: split([30, 70], rv: "8")))
        h.env.store.upsert(.trafficSplit, split([30, 70], rv: "8"))
        h.key(.leaveEditor)
        // `u` from outside the editor: the old weights in review.
        #expect(h.send(.undo).isEmpty)
        #expect(h.e.editing == booksID && h.phase == .reviewing && h.draft?.undo == UndoReview(returnTo: nil))
        #expect(weights(h.draft) == ["90", "10"] && h.draft?.base.meta.resourceVersion == "8")
        // Esc cancels it altogether, back to where `u` was pressed.
        #expect(h.key(.backToEditor) == [.say("undo cancelled: nothing was written", .info)])
        #expect(h.e.editing == nil && h.draft?.undo == nil && h.draft?.isDirty == false)
        // Again, from the editor, and y: an undo request; its answer drops the journal entry.
        h.send(.open(booksID))
        h.key(.undo)
        #expect(h.draft?.undo == UndoReview(returnTo: booksID))
        let uSent = Self.patches(h.key(.write)).first
        let u = try #require(uSent)
        #expect(h.e.pending[u.id] == .undo(booksID) && u.expectedResourceVersion == "8")
        let a = h.send(.patchSucceeded(requestID: u.id, object: split([90, 10], rv: "9")))
        #expect(Self.said(a) == ["undid the last write to shop/books"])
        #expect(h.e.journal.isEmpty && h.e.editing == booksID && h.phase == .editing && h.draft?.undo == nil)
    }

    @Test func undoIsRefusedOverADraftOrWhenNothingChanged() throws {
        var h = Harness()
        let pSent = h.written()
        let p = try #require(pSent)
        h.send(.patchSucceeded(requestID: p.id, object: split([30, 70], rv: "8")))
        h.env.store.upsert(.trafficSplit, split([30, 70], rv: "8"))
        h.key(.setShare, digit: 5)
        #expect(Self.said(h.key(.undo)).first?.hasPrefix("cannot undo: you have a draft") == true)
        h.key(.revert)
        // Someone already put the old weights back.
        h.server([90, 10], rv: "9")
        #expect(Self.said(h.send(.undo)).first?.hasPrefix("nothing to undo: trafficsplit/books -n shop already has") == true)
        h.server([20, 80], rv: "10")
        #expect(h.send(.undo).isEmpty)
        #expect(h.draft?.notice?.contains("changed since smitop wrote it") == true)
    }

    @Test func aFailedUndoBecomesAnOrdinaryDraft() throws {
        var h = Harness()
        let pSent = h.written()
        let p = try #require(pSent)
        h.send(.patchSucceeded(requestID: p.id, object: split([30, 70], rv: "8")))
        h.env.store.upsert(.trafficSplit, split([30, 70], rv: "8"))
        h.send(.undo)
        let uSent = Self.patches(h.key(.write)).first
        let u = try #require(uSent)
        h.send(.patchFailed(requestID: u.id, error: Self.lost))
        #expect(h.draft?.undo == nil && h.draft?.unknownOutcome == false, "an undo is never settled by guessing")
        #expect(h.draft?.isDirty == true && h.e.journal.count == 1)
    }

    // MARK: the Flagger Canary

    @Test func theCanarySuspendWalksReadConfirmWriteReadBack() throws {
        var h = Harness(owner: true)
        h.send(.open(booksID))
        guard case .canary(let read)? = h.key(.canarySuspend).first else { return #expect(Bool(false)) }
        #expect(read.op == .read && h.phase == .canaryReading(requestID: read.id, readBack: false))
        // Esc in the dialog writes nothing.
        h.send(.canaryAnswered(read, .success(Self.canary(rv: "42", suspend: false))))
        let plan = CanaryPlan(canary: Self.booksCanary, suspend: true, resourceVersion: "42", canaryPhase: "Progressing")
        #expect(h.phase == .confirmCanary(plan))
        #expect(h.key(.backToEditor).isEmpty && h.phase == .editing)
        // A late answer to the read that was left: dropped.
        #expect(h.send(.canaryAnswered(read, .success(Self.canary(rv: "42", suspend: false)))).isEmpty && h.phase == .editing)

        guard case .canary(let read2)? = h.key(.canarySuspend).first else { return #expect(Bool(false)) }
        h.send(.canaryAnswered(read2, .success(Self.canary(rv: "42", suspend: false))))
        guard case .canary(let write)? = h.key(.write).first else { return #expect(Bool(false)) }
        #expect(write.op == .setSuspend(true, resourceVersion: "42") && h.phase == .canaryWriting(requestID: write.id, plan: plan))
        guard case .canary(let back)? = h.send(.canaryAnswered(write, .success(Self.canary(rv: "43", suspend: true)))).first else {
            return #expect(Bool(false))
        }
        #expect(back.op == .read && h.phase == .canaryReading(requestID: back.id, readBack: true))
        let a = h.send(.canaryAnswered(back, .success(Self.canary(rv: "43", suspend: true))))
        #expect(Self.said(a).first?.contains("suspended (spec.suspend: true, read back at resourceVersion 43)") == true)
        #expect(h.phase == .editing && h.draft?.isHeldByCanary == true)
        // Held: the write needs no controller warning.
        h.key(.setShare, digit: 3)
        h.key(.review)
        #expect(Self.patches(h.key(.write)).count == 1)
    }

    @Test func fromTheControllerWarningTheCanaryStepReturnsToTheDiffOrTheWarning() throws {
        var h = Harness(owner: true)
        h.drafted()
        h.key(.write)
        guard case .confirmController(let c)? = h.phase else { return #expect(Bool(false)) }
        guard case .canary(let read)? = h.key(.canarySuspend).first else { return #expect(Bool(false)) }
        #expect(h.draft?.canaryFromConfirm == true)
        // A conflict on the write: back to the warning, nothing retried.
        h.send(.canaryAnswered(read, .success(Self.canary(rv: "42", suspend: false))))
        guard case .canary(let write)? = h.key(.write).first else { return #expect(Bool(false)) }
        let a = h.send(.canaryAnswered(write, .failure(Self.conflict)))
        #expect(a.count == 1 && Self.said(a).first?.hasPrefix("conflict: Canary shop/books changed on the server since resourceVersion 42") == true)
        #expect(h.phase == .confirmController(c))
        // Again, and it holds: back to the diff.
        guard case .canary(let read2)? = h.key(.canarySuspend).first else { return #expect(Bool(false)) }
        h.send(.canaryAnswered(read2, .success(Self.canary(rv: "44", suspend: false))))
        guard case .canary(let write2)? = h.key(.write).first else { return #expect(Bool(false)) }
        guard case .canary(let back)? = h.send(.canaryAnswered(write2, .success(.null))).first else { return #expect(Bool(false)) }
        h.send(.canaryAnswered(back, .success(Self.canary(rv: "45", suspend: true))))
        #expect(h.phase == .reviewing)
    }

    @Test func theCanaryStepRefusesWhatItCannotGuard() {
        var h = Harness()
        h.send(.open(booksID))
        #expect(h.key(.canarySuspend).isEmpty && h.draft?.notice == "no Flagger Canary owns this split: S suspends a Canary only")
        var o = Harness(owner: true)
        o.send(.open(booksID))
        guard case .canary(let read)? = o.key(.canarySuspend).first else { return #expect(Bool(false)) }
        o.send(.canaryAnswered(read, .success(obj(#"{"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"books","namespace":"shop"}}"#))))
        #expect(o.phase == .editing && o.draft?.notice?.contains("no resourceVersion; refusing an unguarded write") == true)
        guard case .canary(let read2)? = o.key(.canarySuspend).first else { return #expect(Bool(false)) }
        o.send(.canaryAnswered(read2, .failure(KubeError(source: .status, code: 404, reason: "NotFound", message: "not found"))))
        #expect(o.phase == .editing && o.draft?.notice == "Canary shop/books was not found; nothing was written")
        var r = Harness(owner: true, readOnly: true)
        r.send(.open(booksID))
        #expect(r.key(.canarySuspend).isEmpty && r.phase == .editing)
    }

    // MARK: the server's side

    @Test func serverChangesFollowACleanDraftAndShowTheirsBesideADirtyOne() {
        var h = Harness()
        h.send(.open(booksID))
        h.server([50, 50], rv: "8")
        #expect(h.draft?.isDirty == false && weights(h.draft) == ["50", "50"] && h.draft?.theirs == nil)
        h.key(.setShare, digit: 3)
        h.server([60, 40], rv: "9")
        #expect(weights(h.draft) == ["30", "70"] && h.draft?.theirs?.meta.resourceVersion == "9")
        h.env.store.replaceAll(.trafficSplit, [])
        h.send(.serverChanged([booksID]))
        #expect(h.draft?.notice == "the split was deleted on the server; your draft is kept" && h.draft?.isDirty == true)
    }

    @Test func aRouteWhoseStatusAloneMovedKeepsTheDraftAndRenewsItsGuard() throws {
        var h = Harness()
        func route(rv: String, weights: [Int], accepted: String) -> JSON {
            [
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": ["name": "pay", "namespace": "shop", "resourceVersion": .string(rv)],
                "spec": [
                    "parentRefs": [["group": "", "kind": "Service", "name": "pay", "port": 80]],
                    "rules": [
                        ["matches": [["path": ["type": "PathPrefix", "value": "/v2"]]], "backendRefs": [["name": "pay-v2", "port": 80]]],
                        [
                            "backendRefs": [
                                ["name": "pay-v1", "port": 80, "weight": .int(Int64(weights[0]))],
                                ["name": "pay-v2", "port": 80, "weight": .int(Int64(weights[1]))],
                            ]
                        ],
                    ],
                ],
                "status": ["parents": [["conditions": [["type": "Accepted", "status": .string(accepted)]]]]],
            ]
        }
        let id = SplitID(kind: .route(.httpRoute), ref: ObjectRef(namespace: "shop", name: "pay"), rule: 1)
        h.env.store.upsert(.httpRoute, route(rv: "3", weights: [80, 20], accepted: "Unknown"))
        h.send(.open(id))
        h.key(.setShare, digit: 5)
        // The mesh writes the route's status: a new resourceVersion, the same spec.
        h.env.store.upsert(.httpRoute, route(rv: "4", weights: [80, 20], accepted: "True"))
        h.send(.serverChanged([id]))
        let d = try #require(h.e.drafts[id])
        #expect(d.theirs == nil && d.notice == nil, "\(d.notice ?? "")")
        #expect(d.base.meta.resourceVersion == "4" && d.working.backends.map(\.weight.description) == ["50", "50"])
        h.key(.review)
        let pSent = Self.patches(h.key(.write)).first
        let p = try #require(pSent)
        #expect(p.expectedResourceVersion == "4")
        // Someone's change to another rule of the same route is theirs: shown, not absorbed
        // (the write carries every rule).
        var other = Harness()
        other.env.store.upsert(.httpRoute, route(rv: "3", weights: [80, 20], accepted: "True"))
        other.send(.open(id))
        other.key(.setShare, digit: 5)
        var changed = route(rv: "5", weights: [80, 20], accepted: "True")
        changed = obj(String(decoding: changed.serialized(), as: UTF8.self).replacingOccurrences(of: "/v2", with: "/v3"))
        other.env.store.upsert(.httpRoute, changed)
        other.send(.serverChanged([id]))
        #expect(other.e.drafts[id]?.theirs?.meta.resourceVersion == "5" && other.e.drafts[id]?.base.meta.resourceVersion == "3")
    }

    @Test func rampWritesShareTheNumberingAndTheGuard() throws {
        var h = Harness()
        let base = try #require(h.env.store.splits[booksID])
        let target = try base.settingShare(20, of: 1)
        let pSent = Self.patches(h.send(.rampWrite(booksID, target: target, base: base))).first
        let p = try #require(pSent)
        #expect(p.expectedResourceVersion == "7" && h.e.pending[p.id] == .ramp(booksID, target))
        #expect(h.send(.patchSucceeded(requestID: p.id, object: split([80, 20], rv: "8"))) == [.rampWriteSucceeded(booksID, split([80, 20], rv: "8"))])
        let qSent = Self.patches(h.send(.rampWrite(booksID, target: target, base: base))).first
        let q = try #require(qSent)
        #expect(q.id == p.id + 1)
        #expect(h.send(.patchFailed(requestID: q.id, error: Self.conflict)) == [.rampWriteFailed(booksID, target: target, Self.conflict)])
        var unguarded = base
        unguarded.meta.resourceVersion = nil
        #expect(h.send(.rampWrite(booksID, target: target, base: unguarded)).isEmpty && h.e.nextRequestID == q.id + 1)
        let entry = JournalEntry(split: Self.books, before: base.backends, after: target.backends, resultingResourceVersion: "8", at: 3)
        h.send(.rampWrote(entry))
        #expect(h.e.journal == [entry])
    }

    @Test func aRestoredSessionKeepsYourNewerDraftsAndResetDropsEverything() {
        var h = Harness()
        h.send(.open(booksID))
        h.key(.setShare, digit: 3)
        var saved = SplitDraft(split: h.env.store.splits[booksID]!)
        saved.working = saved.working.with(weights: saved.working.backends.reversed().map(\.weight))
        let entry = JournalEntry(split: Self.books, before: saved.base.backends, after: saved.working.backends, resultingResourceVersion: "7", at: 1)
        h.send(.restored(SessionSnapshot(drafts: [saved], journal: [entry])))
        #expect(weights(h.draft) == ["30", "70"], "the draft of this session wins")
        #expect(h.e.journal == [entry])
        h.send(.reset)
        #expect(h.e.drafts.isEmpty && h.e.editing == nil && h.e.journal.isEmpty)
        h.send(.restored(SessionSnapshot(drafts: [saved], journal: [])))
        #expect(weights(h.draft) == ["10", "90"])
    }
}
