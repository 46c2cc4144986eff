// A guarded ramp's plan: which backend gains share, through which steps, how long each step
// is watched, and the gates its metrics must pass. Plain data: the TUI edits it, the CLI
// builds it from flags, the session file stores it (as JSON) so a ramp survives a restart.

import KubeCore
import Mesh

/// Thresholds on the canary's metrics over a step. nil thresholds are derived from the
/// stable backends over the same step (the defaults the issue asks for: success rate of the
/// stable backends minus half a point, p99 of the stable backends × 1.2).
public struct RampGates: Sendable, Equatable {
    /// Minimum success rate, in percent (99.5); nil: the stable backends' minus `successMargin`.
    public var minSuccessPercent: Double?
    /// Points below the stable backends' success rate still accepted (default 0.5).
    public var successMargin: Double = 0.5
    /// Maximum p99 latency in milliseconds; nil: the stable backends' × `p99Factor`.
    public var maxP99Ms: Double?
    public var p99Factor: Double = 1.2
    /// Requests the canary must have served in a step before any verdict (no verdict on no
    /// traffic: a canary that received nothing has proved nothing).
    public var minRequests: Double = 20

    public init(minSuccessPercent: Double? = nil, maxP99Ms: Double? = nil, minRequests: Double = 20) {
        self.minSuccessPercent = minSuccessPercent
        self.maxP99Ms = maxP99Ms
        self.minRequests = minRequests
    }

    /// Every value finite and in range; the message names the first that is not. Config files
    /// and flags are user input: nothing here may turn into a trap or a gate that always holds.
    public var problem: String? {
        if let s = minSuccessPercent, !(s.isFinite && (0...100).contains(s)) { return "minimum success rate must be 0…100 %" }
        if !(successMargin.isFinite && (0...100).contains(successMargin)) { return "success margin must be 0…100 points" }
        if let p = maxP99Ms, !(p.isFinite && p > 0 && p <= 3_600_000) { return "maximum p99 must be above 0 ms and at most an hour" }
        if !(p99Factor.isFinite && p99Factor >= 1 && p99Factor <= 1000) { return "p99 factor must be 1…1000" }
        if !(minRequests.isFinite && minRequests >= 0 && minRequests <= 1e12) { return "minimum requests must be 0…10¹²" }
        return nil
    }
}

public enum RampMode: String, Sendable, Equatable {
    /// Every step waits for the user's key (the default).
    case manual
    /// smitop takes a step itself once every gate has held for the whole wait.
    case auto
}

public struct RampPlan: Sendable, Equatable {
    public var split: SplitID
    /// The backend that gains share (by name, as the split lists it).
    public var canary: String
    /// Shares of the canary, in percent, strictly rising; the last is the target.
    public var steps: [Fraction]
    /// Minimum time at each step, in seconds, counted once the step's weights are in effect.
    public var wait: Double
    public var gates: RampGates
    public var mode: RampMode

    public init(split: SplitID, canary: String, steps: [Fraction], wait: Double, gates: RampGates = RampGates(), mode: RampMode = .manual) {
        self.split = split
        self.canary = canary
        self.steps = steps
        self.wait = wait
        self.gates = gates
        self.mode = mode
    }

    public var target: Fraction { steps.last ?? 100 }

    /// The first reason this plan cannot run on `split`, or nil.
    public func problem(on split: WeightedSplit) -> String? {
        guard split.backends.contains(where: { $0.service == canary }) else {
            return "\(clean(canary)) is not a backend of \(split.id) (backends: \(split.backends.map { clean($0.service) }.joined(separator: ", ")))"
        }
        if split.backends.count < 2 { return "a ramp needs a stable backend beside the canary" }
        if steps.isEmpty { return "the plan has no steps" }
        if !(wait.isFinite && wait >= 0 && wait <= 7 * 86400) { return "the wait must be between 0 s and 7 days" }
        return gates.problem
    }

    /// Steps for "5,10,25,50,100" (percent; decimals allowed: "0.5,1,5"). Strictly rising, each
    /// above 0 and at most 100.
    public static func parseSteps(_ text: String) -> Result<[Fraction], RampPlanError> {
        var out: [Fraction] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let s = String(part.filter { $0 != " " && $0 != "%" })
            guard let f = percent(s) else { return .failure(.init("step \"\(clean(String(part)))\" is not a percentage between 0 and 100")) }
            if let last = out.last, !(last < f) { return .failure(.init("steps must rise: \(percentLabel(f)) after \(percentLabel(last))")) }
            out.append(f)
        }
        if out.isEmpty { return .failure(.init("no steps given")) }
        if out.count > 100 { return .failure(.init("at most 100 steps")) }
        return .success(out)
    }

    /// Steps of `size` points from the canary's current share up to `target`: current 0,
    /// size 10, target 100 → 10, 20, …, 100. The target is always the last step.
    public static func steps(from current: Fraction, size: Fraction, to target: Fraction) -> Result<[Fraction], RampPlanError> {
        guard 0 < size else { return .failure(.init("the step size must be above 0")) }
        guard current < target else { return .failure(.init("the canary already has \(percentLabel(current)), at or above the target")) }
        var out: [Fraction] = []
        var next = current
        while out.count < 100 {
            let (n, o1) = next.numerator.multipliedReportingOverflow(by: size.denominator)
            let (m, o2) = size.numerator.multipliedReportingOverflow(by: next.denominator)
            let (d, o3) = next.denominator.multipliedReportingOverflow(by: size.denominator)
            guard !o1, !o2, !o3 else { break }
            let (sum, o4) = n.addingReportingOverflow(m)
            guard !o4 else { break }
            next = Fraction(sum, d)
            if !(next < target) { break }
            out.append(next)
        }
        out.append(target)
        return out.count > 100 ? .failure(.init("more than 100 steps: choose a larger step size")) : .success(out)
    }

    /// "12.5" → 25/2 (percent). Up to six decimals, 0 < p ≤ 100.
    public static func percent(_ s: String) -> Fraction? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty || parts.count == 2,
            whole.allSatisfy(\.isASCIIDigit), whole.count <= 3
        else { return nil }
        let fracDigits = parts.count == 2 ? parts[1] : ""
        guard fracDigits.allSatisfy(\.isASCIIDigit), fracDigits.count <= 6, parts.count == 1 || !fracDigits.isEmpty else { return nil }
        let w = Int128(whole) ?? 0
        let f = Int128(fracDigits) ?? 0
        let scale = Quantity.pow10(fracDigits.count)
        let value = Fraction(w * scale + f, scale)
        guard 0 < value, !(100 < value) else { return nil }
        return value
    }

    // MARK: session file

    public var json: JSON {
        var g: JSON = ["successMargin": .double(gates.successMargin), "p99Factor": .double(gates.p99Factor), "minRequests": .double(gates.minRequests)]
        if let s = gates.minSuccessPercent { g["minSuccessPercent"] = .double(s) }
        if let p = gates.maxP99Ms { g["maxP99Ms"] = .double(p) }
        return [
            "split": .string(split.key), "canary": .string(canary),
            "steps": .array(steps.map { .array([.string("\($0.numerator)"), .string("\($0.denominator)")]) }),
            "wait": .double(wait), "mode": .string(mode.rawValue), "gates": g,
        ]
    }

    /// nil for anything that is not a plan this version wrote (a hand-edited or corrupt file
    /// never becomes a ramp that writes).
    public init?(json j: JSON) {
        guard let key = j["split"]?.stringValue, let id = SplitID(key: key), let canary = j["canary"]?.stringValue,
            let stepsJSON = j["steps"]?.arrayValue, let wait = j["wait"]?.doubleValue,
            let mode = j["mode"]?.stringValue.flatMap(RampMode.init(rawValue:))
        else { return nil }
        var steps: [Fraction] = []
        for s in stepsJSON {
            guard let pair = s.arrayValue, pair.count == 2, let n = pair[0].stringValue.flatMap({ Int128($0) }),
                let d = pair[1].stringValue.flatMap({ Int128($0) }), d > 0
            else { return nil }
            let f = Fraction(n, d)
            guard 0 < f, !(100 < f), steps.last.map({ $0 < f }) ?? true else { return nil }
            steps.append(f)
        }
        var gates = RampGates()
        if let g = j["gates"] {
            gates.minSuccessPercent = g["minSuccessPercent"]?.doubleValue
            gates.maxP99Ms = g["maxP99Ms"]?.doubleValue
            gates.successMargin = g["successMargin"]?.doubleValue ?? gates.successMargin
            gates.p99Factor = g["p99Factor"]?.doubleValue ?? gates.p99Factor
            gates.minRequests = g["minRequests"]?.doubleValue ?? gates.minRequests
        }
        guard gates.problem == nil, !steps.isEmpty, steps.count <= 100, wait.isFinite, wait >= 0, wait <= 7 * 86400 else { return nil }
        self.init(split: id, canary: canary, steps: steps, wait: wait, gates: gates, mode: mode)
    }
}

public struct RampPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// "0.5%", "10%", "12.25%": a percentage held as a fraction of 100, for plans and logs.
public func percentLabel(_ p: Fraction) -> String {
    var t = String(Fraction.hundredth(of: p).percentText(decimals: 2).dropLast())
    if t.contains(".") {
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
    }
    return t + "%"
}
