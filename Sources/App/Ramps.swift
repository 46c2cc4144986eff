// Guarded ramps in the TUI: the plan form, the running ramps (one `RampMachine` per split),
// and the glue that feeds each machine the clock, metrics, server objects and write results,
// and turns its actions into ordinary guarded writes (`Effect.patch`) and audit lines
// (`Effect.appendRampLog`). The machine decides; this file only routes.

import Foundation
import Kube
import KubeCore
import Mesh
import Ramp
import SMI

/// A ramp in the UI: its machine and what the view needs beside it.
public struct RampSession: Sendable, Equatable {
    public var machine: RampMachine
    /// Restored from the session file: shown, never run, until the user resumes it.
    public var restored: Bool
    /// `n` once before the gates held: the next `n` takes the step anyway.
    public var overrideArmed = false
    public var notice: String?
    /// A write whose answer was lost after it was sent: the server's object says whether it
    /// landed (these weights) before the machine hears anything.
    public var unknownWrite: WeightedSplit?

    public init(machine: RampMachine, restored: Bool) {
        self.machine = machine
        self.restored = restored
    }
}

/// The plan form, opened from the editor or a table with `R`.
public struct RampForm: Sendable, Equatable {
    public enum Field: Int, Sendable, CaseIterable {
        case canary, steps, wait, minSuccess, maxP99, minRequests, mode
        public var title: String {
            switch self {
            case .canary: return "canary"
            case .steps: return "steps (%)"
            case .wait: return "wait per step"
            case .minSuccess: return "min success %"
            case .maxP99: return "max p99"
            case .minRequests: return "min requests"
            case .mode: return "mode"
            }
        }
        public var isText: Bool { self != .canary && self != .mode }
    }

    public var split: SplitID
    public var backends: [String]
    public var canary: Int
    /// Text of the text fields, by field.
    public var text: [Field: String]
    public var mode: RampMode = .manual
    public var field: Field = .steps
    /// Enter was pressed and the plan is valid: the first write is shown; `y` starts it.
    public var reviewing: RampPlan?
    /// The split's controller, held still by the operator (its Flagger Canary suspended and
    /// read back in the editor): the ramp runs beside it (`RampMachine.heldController`).
    public var heldController: ControllerInfo?
    public var error: String?

    public init(split: WeightedSplit, canary: Int, defaults: RampDefaults) {
        self.split = split.id
        backends = split.backends.map(\.service)
        self.canary = min(max(0, canary), max(0, split.backends.count - 1))
        let g = defaults.gates
        text = [
            .steps: defaults.defaultSteps.map { percentLabel($0).replacingOccurrences(of: "%", with: "") }.joined(separator: ","),
            .wait: GoDuration.format(defaults.defaultWait),
            .minSuccess: g.minSuccessPercent.map { formatFixed($0, 2) } ?? "",
            .maxP99: g.maxP99Ms.map { formatFixed($0, 0) + "ms" } ?? "",
            .minRequests: formatFixed(g.minRequests, 0),
        ]
    }

    /// The plan the form describes, or what is wrong with it. `shares` are the split's shares
    /// now: steps written as "+10" (a step size) start from the canary's.
    public func plan(defaults: RampDefaults, shares: [Fraction?] = []) -> Result<RampPlan, RampPlanError> {
        guard backends.indices.contains(canary) else { return .failure(.init("no canary backend")) }
        let steps: [Fraction]
        let stepsText = (text[.steps] ?? "").filter { $0 != " " }
        if stepsText.hasPrefix("+") {
            guard let size = RampPlan.percent(String(stepsText.dropFirst())) else {
                return .failure(.init("steps: +N is a step size in points, e.g. +10"))
            }
            let now = canary < shares.count ? shares[canary].map { Fraction($0.numerator * 100, $0.denominator) } ?? 0 : 0
            switch RampPlan.steps(from: now, size: size, to: 100) {
            case .success(let s): steps = s
            case .failure(let e): return .failure(e)
            }
        } else {
            switch RampPlan.parseSteps(stepsText) {
            case .success(let s): steps = s
            case .failure(let e): return .failure(e)
            }
        }
        guard let wait = GoDuration.parse(text[.wait] ?? ""), wait >= 0, wait <= 7 * 86400 else {
            return .failure(.init("wait: a duration such as 30s or 2m"))
        }
        var gates = defaults.gates
        let ms = (text[.minSuccess] ?? "").trimmingCharacters(in: .whitespaces)
        if ms.isEmpty {
            gates.minSuccessPercent = nil
        } else {
            guard let v = Double(ms), v.isFinite, (0...100).contains(v) else {
                return .failure(.init("min success: a percentage 0…100, or empty for stable − \(formatFixed(gates.successMargin, 1))"))
            }
            gates.minSuccessPercent = v
        }
        let p = (text[.maxP99] ?? "").trimmingCharacters(in: .whitespaces)
        if p.isEmpty {
            gates.maxP99Ms = nil
        } else {
            let v = Double(p) ?? GoDuration.parse(p).map { $0 * 1000 }
            guard let v, v.isFinite, v > 0, v <= 3_600_000 else {
                return .failure(.init("max p99: a duration such as 300ms, or empty for stable × \(formatFixed(gates.p99Factor, 1))"))
            }
            gates.maxP99Ms = v
        }
        guard let mr = Double((text[.minRequests] ?? "").trimmingCharacters(in: .whitespaces)), mr.isFinite, mr >= 0, mr <= 1e12 else {
            return .failure(.init("min requests: a number, 0 or more"))
        }
        gates.minRequests = mr
        return .success(RampPlan(split: split, canary: backends[canary], steps: steps, wait: wait, gates: gates, mode: mode))
    }
}

extension AppState {
    /// The ramp whose view is open.
    public var rampShown: RampSession? { rampOpen.flatMap { ramps[$0] } }

    var rampSettle: Double { GoDuration.parse(options.metricsWindow) ?? 30 }

    /// `R`: the running (or restored) ramp of the split, else a new plan for it.
    mutating func openRamp(_ id: SplitID, canary: Int? = nil) {
        if ramps[id] != nil {
            edit(.close)
            rampOpen = id
            return
        }
        guard let s = store.splits[id] else { return set("no split \(id)", .error) }
        if readOnly.isReadOnly { return set("read-only (\(readOnly.reason ?? "")): a ramp writes", .warning) }
        var held: ControllerInfo?
        if let c = s.controller {
            // A Flagger Canary suspended from this split's editor (S, read back) holds still.
            guard let d = splitEditor.drafts[id], d.isHeldByCanary else {
                let how = FlaggerCanary(owning: s.meta) != nil ? ": S in its editor suspends the Canary, then R" : ""
                return set("\(c.tool) manages \(id) (\(c.detail)): suspend it before ramping by hand\(how)", .warning)
            }
            held = c
        }
        // The canary: the backend selected in the editor, else the last one (where canaries sit).
        let index = canary ?? max(0, s.backends.count - 1)
        edit(.close)
        rampForm = RampForm(split: s, canary: index, defaults: options.ramp)
        rampForm?.heldController = held
    }

    mutating func handleRampForm(_ key: Key, _ action: Action?) -> [Effect] {
        guard var f = rampForm else { return [] }
        if action == .forceQuit {
            quitting = true
            return [.quit]
        }
        if let plan = f.reviewing {
            switch action {
            case .rampStart:
                rampForm = nil
                return startRamp(plan, heldController: f.heldController)
            case .rampCancel:
                f.reviewing = nil
            default: break
            }
            rampForm = f
            return []
        }
        switch action {
        case .rampFieldUp: f.field = RampForm.Field(rawValue: max(0, f.field.rawValue - 1)) ?? f.field
        case .rampFieldDown: f.field = RampForm.Field(rawValue: min(RampForm.Field.allCases.count - 1, f.field.rawValue + 1)) ?? f.field
        case .rampCycle, .rampCycleBack:
            let d = action == .rampCycle ? 1 : -1
            switch f.field {
            case .canary: f.canary = (f.canary + d + f.backends.count) % max(1, f.backends.count)
            case .mode: f.mode = f.mode == .manual ? .auto : .manual
            default: break
            }
        case .rampCancel:
            rampForm = nil
            return []
        case .rampReview:
            switch f.plan(defaults: options.ramp, shares: store.splits[f.split]?.analysis.shares ?? []) {
            case .success(let p):
                if let s = store.splits[p.split], let problem = p.problem(on: s) {
                    f.error = problem
                } else {
                    f.error = nil
                    f.reviewing = p
                }
            case .failure(let e): f.error = e.message
            }
        case .rampDeleteBackward:
            if f.field.isText, var t = f.text[f.field], !t.isEmpty {
                t.removeLast()
                f.text[f.field] = t
            }
        default:
            // Typing into a text field.
            if f.field.isText, case .char(let c) = key, c.isASCII, c.isNumber || ".,%smhu +".contains(c), (f.text[f.field]?.count ?? 0) < 120 {
                f.text[f.field, default: ""].append(c)
                f.error = nil
            }
        }
        rampForm = f
        return []
    }

    mutating func startRamp(_ plan: RampPlan, heldController: ControllerInfo? = nil) -> [Effect] {
        guard let s = store.splits[plan.split] else {
            set("no split \(plan.split)", .error)
            return []
        }
        var machine = RampMachine(plan: plan, split: s, settle: rampSettle)
        machine.heldController = heldController
        var session = RampSession(machine: machine, restored: false)
        let actions = session.machine.begin(now: now)
        ramps[plan.split] = session
        rampOpen = plan.split
        return carryOut(plan.split, actions)
    }

    mutating func handleRampView(_ key: Key, _ action: Action?) -> [Effect] {
        guard let id = rampOpen, var r = ramps[id] else {
            rampOpen = nil
            return []
        }
        if action == .forceQuit {
            quitting = true
            return [.quit]
        }
        var actions: [RampAction] = []
        if action != .rampNext { r.overrideArmed = false }
        switch action {
        case .rampClose:
            rampOpen = nil
            if !r.machine.phase.isActive { ramps[id] = nil } else { ramps[id] = r }
            return []
        case .rampNext:
            if r.restored, r.machine.phase == .ready {
                if readOnly.isReadOnly {
                    r.notice = "read-only: \(readOnly.reason ?? "")"
                    break
                }
                r.restored = false
                r.notice = nil
                actions = r.machine.begin(now: now)
                break
            }
            switch r.machine.phase {
            case .proposing:
                actions = r.machine.next(now: now)
            case .watching, .failed:
                if r.overrideArmed {
                    r.overrideArmed = false
                    actions = r.machine.next(now: now)
                } else {
                    r.overrideArmed = true
                    r.notice = "the gates have not held for the whole wait: n again takes the next step anyway"
                }
            default: break
            }
        case .rampRollback: actions = r.machine.rollback(now: now)
        case .rampPromote: actions = r.machine.promote(now: now)
        case .rampPause:
            switch r.machine.phase {
            case .paused, .failed: actions = r.machine.resume(now: now)
            default: actions = r.machine.pause(now: now)
            }
        case .rampDiscard:
            if r.restored || !r.machine.phase.isActive {
                ramps[id] = nil
                rampOpen = nil
                set("ramp plan of \(id) discarded; nothing was written")
                return []
            }
            r.notice = "a running ramp is not discarded: b rolls back, Esc leaves it running"
        default: break
        }
        ramps[id] = r
        return carryOut(id, actions)
    }

    /// The machine's actions as effects: guarded writes and audit lines; its decisions also
    /// reach the message line, so a ramp running behind another view is still heard.
    mutating func carryOut(_ id: SplitID, _ actions: [RampAction]) -> [Effect] {
        var fx: [Effect] = []
        for a in actions {
            switch a {
            case .log(let e):
                fx.append(.appendRampLog(e.json))
                switch e.event {
                case "failed": set("ramp \(id): \(e.message)", .error)
                case "stopped", "paused": set("ramp \(id): \(e.message)", .warning)
                case "proposed", "completed", "rolled-back", "resumed": set("ramp \(id): \(e.message)")
                default: break
                }
            case .write(let target, let base, _):
                // The same guarded write as the editor's: base's resourceVersion in the patch.
                let sent = edit(.rampWrite(id, target: target, base: base))
                guard !sent.isEmpty else {
                    fx += drive(id) { $0.writeFailed(.other("the split has no resourceVersion; refusing an unguarded write"), now: $1) }
                    continue
                }
                fx += sent
            }
        }
        return fx
    }

    /// Feeds one machine and carries out what it asks.
    mutating func drive(_ id: SplitID, _ step: (inout RampMachine, Seconds) -> [RampAction]) -> [Effect] {
        guard var r = ramps[id], !r.restored else { return [] }
        let actions = step(&r.machine, now)
        ramps[id] = r
        return carryOut(id, actions)
    }

    mutating func rampsTick() -> [Effect] {
        var fx: [Effect] = []
        for id in ramps.keys.sorted() { fx += drive(id) { $0.tick(now: $1) } }
        return fx
    }

    /// After a metrics poll: each ramp's canary against its stable backends, from the
    /// workloads behind each backend Service.
    mutating func rampsObserve(at t: Seconds) -> [Effect] {
        var fx: [Effect] = []
        for id in ramps.keys.sorted() {
            guard let r = ramps[id], !r.restored else { continue }
            let o = RampObservations.observe(at: t, split: r.machine.server, canary: r.machine.plan.canary, graph: graph) {
                metrics.workload($0)?.latest
            }
            fx += drive(id) { m, _ in m.observe(o) }
        }
        return fx
    }

    /// After objects of `kind` changed: each ramp on that kind sees the server's object.
    mutating func rampsServerChanged(_ kind: ObjectKind) -> [Effect] {
        materializeRestoredRamps()
        var fx: [Effect] = []
        for id in ramps.keys.sorted() where id.kind.objectKind == kind {
            guard var r = ramps[id], !r.restored else { continue }
            let current = store.splits[id]
            if let target = r.unknownWrite, let current {
                // A write whose answer was lost: our weights there mean it landed.
                r.unknownWrite = nil
                ramps[id] = r
                let landed =
                    current.backends.map(\.weight.value) == target.backends.map(\.weight.value)
                    && current.meta.resourceVersion != r.machine.server.meta.resourceVersion
                fx += drive(id) { m, t in
                    landed ? m.writeSucceeded(current, now: t) : m.writeFailed(.other("the write did not reach the server"), now: t)
                }
                continue
            }
            if case .writing = r.machine.phase { continue }
            fx += drive(id) { $0.serverObject(current, now: $1) }
        }
        return fx
    }

    /// The watch of a kind failed, or the cluster went offline: without a watch a concurrent
    /// writer would go unseen, so the ramps on it pause.
    mutating func rampsConnectionLost(kind: ObjectKind?) -> [Effect] {
        var fx: [Effect] = []
        for id in ramps.keys.sorted() where kind == nil || id.kind.objectKind == kind {
            fx += drive(id) { $0.connection(up: false, now: $1) }
        }
        return fx
    }

    mutating func rampWriteSucceeded(_ id: SplitID, _ object: JSON) -> [Effect] {
        guard let written = WeightedSplit.decode(object, as: id) else {
            return drive(id) { $0.writeFailed(.other("the server's answer is not the split"), now: $1) }
        }
        let before = ramps[id]?.machine.server.backends ?? []
        edit(
            .rampWrote(
                JournalEntry(
                    split: SplitRef(written), before: before, after: written.backends, resultingResourceVersion: written.meta.resourceVersion,
                    at: now)))
        applyObjects(id.kind.objectKind) { $0.upsert(id.kind.objectKind, object) }
        return drive(id) { $0.writeSucceeded(written, now: $1) }
    }

    mutating func rampWriteFailed(_ id: SplitID, target: WeightedSplit, _ error: KubeError) -> [Effect] {
        if error.isConflict { return drive(id) { $0.writeFailed(.conflict(error.userMessage), now: $1) } }
        if error.isTransport && error.mayHaveBeenSent, var r = ramps[id] {
            r.unknownWrite = target
            r.notice = "the connection failed after a write was sent: checking whether it reached the server…"
            ramps[id] = r
            return [.reloadObject(id.kind.objectKind, SplitRef(target))]
        }
        return drive(id) { $0.writeFailed(.other(error.userMessage), now: $1) }
    }

    /// Restored plans become ramps (shown, not running) once their split is known.
    mutating func materializeRestoredRamps() {
        for (id, json) in restoredRamps {
            guard ramps[id] == nil, let s = store.splits[id] else { continue }
            restoredRamps[id] = nil
            guard let m = RampMachine(restoring: json, split: s, settle: rampSettle) else {
                set("the saved ramp of \(id) no longer fits the split; it was dropped", .warning)
                continue
            }
            var r = RampSession(machine: m, restored: true)
            r.notice = "restored from your last session at step \(m.step + 1) of \(m.plan.steps.count): Enter resumes (nothing is written before), x discards"
            ramps[id] = r
            set("a ramp of \(id) was in progress (step \(m.step + 1) of \(m.plan.steps.count)): R on it resumes or discards it", .warning)
        }
    }
}
