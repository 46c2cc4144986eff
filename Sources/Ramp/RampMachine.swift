// The guarded ramp as a value-type state machine: inputs (the clock, metrics samples, write
// results, the server's object, the user's keys) go in, actions (a weight write, an audit line,
// the end) come out. The TUI's reducer and `smitop split ramp` drive the same machine, so a
// ramp behaves the same in both, and every transition is a unit test with an injected clock.
//
// Safety rules it keeps: it writes only from a server object it has seen (the caller sends
// the write with that object's resourceVersion, so a concurrent change is a 409, never an
// overwrite); it stops, without writing, the moment the split's weights differ from what it
// last wrote or a controller takes the split over; a lost connection pauses it; a failed gate
// pauses it and proposes the rollback, which is one more guarded write.

import KubeCore
import Mesh

public enum RampPurpose: Sendable, Equatable {
    case step(Int)
    case rollback
    case promote
}

public enum RampOutcome: Sendable, Equatable {
    /// The target share holds and its gates passed (or the user promoted).
    case completed
    /// The pre-ramp weights were written back.
    case rolledBack
    /// Stopped without finishing: a controller owns the split, it was deleted, or a step
    /// cannot be computed. Nothing more is written.
    case stopped(String)
    /// Someone else changed the split (seen on the server, or a 409 on a step or rollback
    /// write): theirs is kept, nothing more is written.
    case concurrentChange(String)
}

public enum RampPhase: Sendable, Equatable {
    /// A plan, nothing written: `.begin` starts it (a restored plan resumes from its step).
    case ready
    case writing(RampPurpose)
    /// Written; waiting for the mesh to accept the route's new generation.
    case applying(RampPurpose, generation: Int64?, since: Double)
    /// At the current step, watching its gates until the wait is over.
    case watching
    /// Manual mode: the step's wait is over and every gate holds; the next step waits for a key.
    case proposing
    /// A gate failed: paused; the rollback is proposed.
    case failed(String)
    /// Paused (connection lost, or by the user); `.resume` restarts the step's wait.
    case paused(String)
    case finished(RampOutcome)

    public var isActive: Bool {
        if case .finished = self { return false }
        return true
    }
}

/// One line of the audit trail (ramps.log) and of `split ramp -o json`.
public struct RampEvent: Sendable, Equatable {
    public var at: Double
    public var split: SplitID
    /// begin, write, in-effect, gates, proposed, failed, paused, resumed, rollback, completed,
    /// stopped, override.
    public var event: String
    public var step: Int?
    /// The canary's configured share at this point, in percent.
    public var share: String?
    public var gates: [GateResult]
    public var message: String

    public init(at: Double, split: SplitID, event: String, step: Int?, share: String?, gates: [GateResult], message: String) {
        self.at = at
        self.split = split
        self.event = event
        self.step = step
        self.share = share
        self.gates = gates
        self.message = message
    }

    public var json: JSON {
        var o: JSON = [
            "time": .double(at), "split": .string(split.key), "event": .string(event), "message": .string(message),
        ]
        if let step { o["step"] = .int(Int64(step + 1)) }
        if let share { o["share"] = .string(share) }
        if !gates.isEmpty {
            o["gates"] = .array(
                gates.map { g in
                    var j: JSON = ["gate": .string(g.kind.rawValue), "verdict": .string(g.verdict.rawValue)]
                    j["value"] = g.value.map { .double(($0 * 1000).rounded() / 1000) } ?? .null
                    j["threshold"] = g.threshold.map { .double(($0 * 1000).rounded() / 1000) } ?? .null
                    if let n = g.note { j["note"] = .string(n) }
                    return j
                })
        }
        return o
    }
}

public enum RampAction: Sendable, Equatable {
    /// Write `target`'s weights, guarded by `base`'s resourceVersion.
    case write(target: WeightedSplit, base: WeightedSplit, purpose: RampPurpose)
    case log(RampEvent)
}

public enum RampWriteFailure: Sendable, Equatable {
    /// 409: the split changed since it was read.
    case conflict(String)
    /// Anything else (refused, unreachable, unknown outcome).
    case other(String)
}

/// A point of the ramp's chart.
public struct RampPoint: Sendable, Equatable {
    public var at: Double
    public var step: Int
    public var successRate: Double?
    public var p99Ms: Double?
    public var observedShare: Double?
}

public struct RampMachine: Sendable, Equatable {
    public private(set) var plan: RampPlan
    public private(set) var phase: RampPhase = .ready
    /// Index into `plan.steps` of the step in effect; -1 before the first.
    public private(set) var step = -1
    /// The weights before the ramp: what a rollback writes back.
    public private(set) var original: [Weight]
    /// The newest server object seen.
    public private(set) var server: WeightedSplit
    /// The weights smitop last wrote (the original ones before any write): any other weights
    /// on the server mean someone else is writing.
    public private(set) var expected: [Weight]
    public private(set) var window: StepWindow?
    public private(set) var gates: [GateResult] = []
    public private(set) var baseline = Baseline()
    public private(set) var chart: [RampPoint] = []
    /// The latest observed share of the canary.
    public private(set) var observedShare: Double?
    /// Seconds of each metrics sample's window: samples within it after a step began are
    /// charted, not judged.
    public var settle: Double
    /// Longest wait for a mesh to accept a route write before pausing.
    public var applyTimeout: Double = 60
    /// A controller the operator has suspended (a Flagger Canary smitop suspended and read
    /// back): its evidence on the split does not stop the ramp, any other controller does. Not
    /// kept across restarts: a restored ramp on such a split stops, and is planned again once
    /// the Canary is seen suspended.
    public var heldController: ControllerInfo?
    public static let chartCapacity = 600

    public init(plan: RampPlan, split: WeightedSplit, settle: Double) {
        self.plan = plan
        self.server = split
        self.original = split.backends.map(\.weight)
        self.expected = original
        self.settle = settle
    }

    public var canaryIndex: Int? { server.backends.firstIndex { $0.service == plan.canary } }

    /// The canary's configured share now.
    public var configuredShare: Fraction? { canaryIndex.flatMap { server.analysis.shares[$0] } }

    /// Seconds left at this step (nil when not watching).
    public func timeLeft(now: Double) -> Double? {
        guard case .watching = phase, let w = window else { return nil }
        return max(0, w.startedAt + plan.wait - now)
    }

    // MARK: inputs

    /// Start (or, for a restored ramp, resume) the plan. The caller has shown the plan and
    /// its first write, and the user said yes.
    public mutating func begin(now: Double) -> [RampAction] {
        guard case .ready = phase else { return [] }
        if let p = plan.problem(on: server) { return stop(p, now: now) }
        if let c = server.controller, c != heldController { return stop(controllerText(c), now: now) }
        if step >= 0 {
            // Resumed after a restart: only if nobody wrote while smitop was away.
            guard sameWeights(server.backends.map(\.weight), expected) else {
                return changed("the split's weights changed while smitop was not running; nothing written", now: now)
            }
            startWatching(now: now)
            return [log("resumed", now, "resumed at step \(step + 1) of \(plan.steps.count) after a restart")]
        }
        var out = [log("begin", now, "ramp of \(plan.canary) to \(percentLabel(plan.target)) in \(plan.steps.count) steps, \(plan.mode.rawValue)")]
        out += writeStep(0, now: now)
        return out
    }

    public mutating func tick(now: Double) -> [RampAction] {
        switch phase {
        case .watching: return judge(now: now)
        case .applying(_, _, let since) where now - since > max(applyTimeout, 1):
            phase = .paused("the mesh has not accepted the new weights after \(Int(saturating: now - since)) s")
            return [log("paused", now, "the mesh has not accepted the route's new generation; the ramp is paused")]
        default: return []
        }
    }

    public mutating func observe(_ o: RampObservation) -> [RampAction] {
        if let s = o.observedShare { observedShare = s }
        guard phase.isActive else { return [] }
        chart.append(RampPoint(at: o.at, step: max(step, 0), successRate: o.canary.successRate, p99Ms: o.canary.p99Ms, observedShare: o.observedShare))
        if chart.count > Self.chartCapacity { chart.removeFirst(chart.count - Self.chartCapacity) }
        guard case .watching = phase else { return [] }
        window?.add(o)
        return judge(now: o.at)
    }

    /// A write smitop made was stored: `written` is the object the server answered with.
    public mutating func writeSucceeded(_ written: WeightedSplit, now: Double) -> [RampAction] {
        guard case .writing(let purpose) = phase else { return [] }
        server = written
        expected = written.backends.map(\.weight)
        var out = [log("written", now, "\(purposeText(purpose)) written (resourceVersion \(written.meta.resourceVersion ?? "?"))")]
        if let route = written.route, let g = route.generation {
            phase = .applying(purpose, generation: g, since: now)
            out += checkApplied(now: now)
        } else {
            out += inEffect(purpose, now: now)
        }
        return out
    }

    public mutating func writeFailed(_ failure: RampWriteFailure, now: Double) -> [RampAction] {
        guard case .writing(let purpose) = phase else { return [] }
        switch failure {
        case .conflict(let m):
            let text = "the split changed on the server (\(m)); nothing was overwritten"
            phase = .finished(.concurrentChange(text))
            return [log("stopped", now, text)]
        case .other(let m):
            // The write may or may not have landed; the server's object (next input) decides
            // what the ramp sees. Pause so nothing more is written on a guess.
            phase = purpose == .rollback ? .failed("the rollback write failed: \(m)") : .paused("write failed: \(m)")
            return [log("paused", now, "\(purposeText(purpose)) failed: \(m)")]
        }
    }

    /// The server's object now (watch event, poll or read-back); nil when it was deleted.
    public mutating func serverObject(_ split: WeightedSplit?, now: Double) -> [RampAction] {
        guard phase.isActive else { return [] }
        guard let split else { return stop("the split was deleted", now: now) }
        if case .writing = phase {
            // Our own write's echo may come first; its answer (or a 409) decides.
            return []
        }
        if !sameWeights(split.backends.map(\.weight), expected) || split.backends.map(\.service) != server.backends.map(\.service) {
            let who = split.meta.lastWriter.map { " (last writer: \(clean($0)))" } ?? ""
            return changed("the split changed on the server\(who): someone else is writing; the ramp stopped without writing", now: now)
        }
        if let c = split.controller, c != heldController, server.controller == nil || phase == .ready { return stop(controllerText(c), now: now) }
        server = split
        if case .applying = phase { return checkApplied(now: now) }
        return []
    }

    public mutating func connection(up: Bool, now: Double) -> [RampAction] {
        guard !up else { return [] }
        switch phase {
        case .watching, .proposing, .applying:
            phase = .paused("connection to the cluster lost")
            window = nil
            return [log("paused", now, "connection to the cluster lost; the ramp is paused")]
        default: return []
        }
    }

    /// The user's key: take the next step now. Before the gates have held it is an override,
    /// logged as one.
    public mutating func next(now: Double) -> [RampAction] {
        switch phase {
        case .watching, .proposing, .failed:
            let override = phase != .proposing
            let i = step + 1
            guard i < plan.steps.count else {
                if override { return [] }
                return complete(now: now)
            }
            var out: [RampAction] = []
            if override { out.append(log("override", now, "next step taken by the user before the gates held", gates: gates)) }
            out += writeStep(i, now: now)
            return out
        default: return []
        }
    }

    public mutating func rollback(now: Double) -> [RampAction] {
        switch phase {
        case .watching, .proposing, .failed, .paused, .applying:
            let target = server.with(weights: original)
            phase = .writing(.rollback)
            return [
                log("rollback", now, "rolling back to the weights before the ramp", gates: gates),
                .write(target: target, base: server, purpose: .rollback),
            ]
        default: return []
        }
    }

    /// `p`: the target share at once.
    public mutating func promote(now: Double) -> [RampAction] {
        switch phase {
        case .watching, .proposing, .failed, .paused:
            guard let i = canaryIndex, let target = try? server.settingShare(plan.target, of: i) else { return [] }
            phase = .writing(.promote)
            return [
                log("promote", now, "promoting \(plan.canary) to \(percentLabel(plan.target)) at once"),
                .write(target: target, base: server, purpose: .promote),
            ]
        default: return []
        }
    }

    public mutating func pause(now: Double) -> [RampAction] {
        switch phase {
        case .watching, .proposing:
            phase = .paused("paused by you")
            window = nil
            return [log("paused", now, "paused by the user")]
        default: return []
        }
    }

    /// Back to watching the current step; its wait starts over (the data during the pause is
    /// not the step's). From a failure too: the human may judge the failure a blip.
    public mutating func resume(now: Double) -> [RampAction] {
        switch phase {
        case .paused, .failed:
            guard step >= 0 else { return [] }
            startWatching(now: now)
            return [log("resumed", now, "watching step \(step + 1) again; its wait starts over")]
        default: return []
        }
    }

    // MARK: internals

    mutating func writeStep(_ i: Int, now: Double) -> [RampAction] {
        guard let c = canaryIndex else { return stop("\(plan.canary) is no longer a backend", now: now) }
        let target: WeightedSplit
        do { target = try server.settingShare(plan.steps[i], of: c) } catch {
            return stop("cannot compute step \(i + 1): \(error)", now: now)
        }
        if let w = window { baseline = Gates.baseline(after: w, plan.gates, previous: baseline) }
        phase = .writing(.step(i))
        return [
            log("step", now, "step \(i + 1) of \(plan.steps.count): \(plan.canary) to \(percentLabel(plan.steps[i]))", step: i, gates: gates),
            .write(target: target, base: server, purpose: .step(i)),
        ]
    }

    mutating func checkApplied(now: Double) -> [RampAction] {
        guard case .applying(let purpose, let g, _) = phase, let route = server.route else { return [] }
        switch route.writeAcceptance(generation: g ?? 0) {
        case .accepted, .acceptedGenerationUnknown:
            return [log("applied", now, "the mesh accepted the new weights")] + inEffect(purpose, now: now)
        case .rejected(let reason, let message):
            let text = "the mesh rejected the new weights: \(clean(reason)) \(clean(message))"
            phase = purpose == .rollback ? .finished(.stopped(text)) : .failed(text)
            return [log("failed", now, text)]
        case .waiting, .noController:
            return []
        }
    }

    mutating func inEffect(_ purpose: RampPurpose, now: Double) -> [RampAction] {
        switch purpose {
        case .rollback:
            phase = .finished(.rolledBack)
            return [log("rolled-back", now, "the weights before the ramp are back")]
        case .promote:
            step = plan.steps.count - 1
            phase = .finished(.completed)
            return [log("completed", now, "promoted: \(plan.canary) at \(percentLabel(plan.target))")]
        case .step(let i):
            step = i
            startWatching(now: now)
            return []
        }
    }

    mutating func startWatching(now: Double) {
        window = StepWindow(startedAt: now, settle: settle)
        gates = []
        phase = .watching
    }

    mutating func judge(now: Double) -> [RampAction] {
        guard case .watching = phase, let w = window else { return [] }
        gates = Gates.evaluate(w, plan.gates, baseline: baseline)
        if let bad = gates.first(where: { $0.verdict == .fail }) {
            let text = "\(bad.text) at step \(step + 1): rollback proposed"
            phase = .failed(text)
            return [log("failed", now, text, gates: gates)]
        }
        guard now >= w.startedAt + plan.wait, gates.allSatisfy({ $0.verdict == .pass }) else { return [] }
        if step + 1 >= plan.steps.count { return complete(now: now) }
        if plan.mode == .auto {
            return [log("passed", now, "every gate held for the whole wait", gates: gates)] + writeStep(step + 1, now: now)
        }
        phase = .proposing
        return [log("proposed", now, "every gate held for the whole wait: step \(step + 2) (\(percentLabel(plan.steps[step + 1]))) proposed", gates: gates)]
    }

    mutating func complete(now: Double) -> [RampAction] {
        phase = .finished(.completed)
        return [log("completed", now, "\(plan.canary) at \(percentLabel(plan.target)); every gate held", gates: gates)]
    }

    mutating func stop(_ why: String, now: Double) -> [RampAction] {
        phase = .finished(.stopped(why))
        return [log("stopped", now, why)]
    }

    mutating func changed(_ why: String, now: Double) -> [RampAction] {
        phase = .finished(.concurrentChange(why))
        return [log("stopped", now, why)]
    }

    func controllerText(_ c: ControllerInfo) -> String {
        "\(c.tool) manages this split (\(c.detail)): suspend it before ramping by hand (see docs/ramps.md)"
    }

    func purposeText(_ p: RampPurpose) -> String {
        switch p {
        case .step(let i): return "step \(i + 1)"
        case .rollback: return "rollback"
        case .promote: return "promotion"
        }
    }

    func log(_ event: String, _ now: Double, _ message: String, step: Int? = nil, gates: [GateResult] = []) -> RampAction {
        .log(
            RampEvent(
                at: now, split: plan.split, event: event, step: step ?? (self.step >= 0 ? self.step : nil),
                share: configuredShare?.percentText(decimals: 1), gates: gates, message: message))
    }

    func sameWeights(_ a: [Weight], _ b: [Weight]) -> Bool { a.map(\.value) == b.map(\.value) }

    // MARK: session file

    /// What survives a restart: the plan, the pre-ramp weights, the step reached and the
    /// weights written for it.
    public var snapshot: JSON? {
        guard phase.isActive, step >= 0 else { return nil }
        return [
            "plan": plan.json, "step": .int(Int64(step)),
            "original": .array(original.map { .string($0.value.canonical) }),
            "expected": .array(expected.map { .string($0.value.canonical) }),
        ]
    }

    /// A restored ramp, `.ready` until the user confirms; nil when the snapshot does not fit
    /// the split as it is now (a backend added or removed).
    public init?(restoring j: JSON, split: WeightedSplit, settle: Double) {
        guard let planJSON = j["plan"], let plan = RampPlan(json: planJSON), plan.split == split.id,
            let stepValue = j["step"]?.intValue, stepValue >= 0, stepValue < plan.steps.count,
            let o = j["original"]?.arrayValue, let e = j["expected"]?.arrayValue,
            o.count == split.backends.count, e.count == split.backends.count
        else { return nil }
        // In the notation the split uses now (an integer field stays an integer).
        func weights(_ a: [JSON]) -> [Weight]? {
            var out: [Weight] = []
            for (x, current) in zip(a, split.backends) {
                guard let s = x.stringValue, let q = try? Quantity(parsing: s), !q.isNegative, q.nanos <= split.weightPolicy.maximumNanos
                else { return nil }
                out.append(current.weight.with(value: q))
            }
            return out
        }
        guard let ow = weights(o), let ew = weights(e) else { return nil }
        self.init(plan: plan, split: split, settle: settle)
        original = ow
        expected = ew
        step = Int(stepValue)
    }
}
