// What a ramp step has seen, and the verdict of each gate on it. Pure arithmetic on metrics
// samples (which come from a cluster and may be hostile: NaN, negative, huge), so every value
// is checked before use and no operation can trap.

/// The canary's (or the stable backends') metrics in one sample.
public struct BackendStats: Sendable, Equatable {
    public var rps: Double?
    /// 0…1.
    public var successRate: Double?
    /// Milliseconds.
    public var p99Ms: Double?
    public init(rps: Double?, successRate: Double?, p99Ms: Double?) {
        // Anything a server could send that is not a usable number becomes "unknown".
        self.rps = rps.flatMap { $0.isFinite && $0 >= 0 ? min($0, 1e12) : nil }
        self.successRate = successRate.flatMap { $0.isFinite ? min(max($0, 0), 1) : nil }
        self.p99Ms = p99Ms.flatMap { $0.isFinite && $0 >= 0 ? min($0, 1e9) : nil }
    }
}

/// One metrics poll as a ramp sees it.
public struct RampObservation: Sendable, Equatable {
    /// Seconds on the injected clock.
    public var at: Double
    public var canary: BackendStats
    /// The other backends together.
    public var stable: BackendStats
    /// The canary's share of the split's traffic as observed (0…1), when known.
    public var observedShare: Double?
    public init(at: Double, canary: BackendStats, stable: BackendStats, observedShare: Double? = nil) {
        self.at = at
        self.canary = canary
        self.stable = stable
        self.observedShare = observedShare.flatMap { $0.isFinite ? min(max($0, 0), 1) : nil }
    }
}

/// Request-weighted aggregates of one side (canary or stable) over a step.
public struct Aggregate: Sendable, Equatable {
    /// Requests seen (rps × time between samples).
    public private(set) var requests: Double = 0
    private var successWeighted: Double = 0
    private var successRequests: Double = 0
    private var p99Weighted: Double = 0
    private var p99Requests: Double = 0
    public init() {}

    mutating func add(_ s: BackendStats, seconds: Double) {
        guard let rps = s.rps, seconds.isFinite, seconds > 0 else { return }
        let n = min(rps * seconds, 1e15)
        requests = min(requests + n, 1e18)
        if let sr = s.successRate, n > 0 {
            successWeighted += sr * n
            successRequests += n
        }
        if let p = s.p99Ms, n > 0 {
            p99Weighted += p * n
            p99Requests += n
        }
    }

    /// 0…1, nil before any request.
    public var successRate: Double? { successRequests > 0 ? successWeighted / successRequests : nil }
    public var p99Ms: Double? { p99Requests > 0 ? p99Weighted / p99Requests : nil }
}

/// The samples of one step whose metrics window lies wholly inside the step: a sample taken
/// less than `settle` seconds (the metrics window) after the step's weights took effect still
/// averages in traffic from the step before, so it is charted but never judged.
public struct StepWindow: Sendable, Equatable {
    public let startedAt: Double
    public let settle: Double
    public private(set) var canary = Aggregate()
    public private(set) var stable = Aggregate()
    public private(set) var lastSampleAt: Double?
    private var lastCountedAt: Double?
    /// Samples counted towards the verdict.
    public private(set) var counted = 0

    public init(startedAt: Double, settle: Double) {
        self.startedAt = startedAt
        self.settle = settle.isFinite ? max(0, settle) : 0
    }

    public mutating func add(_ o: RampObservation) {
        guard o.at.isFinite else { return }
        lastSampleAt = max(lastSampleAt ?? o.at, o.at)
        guard o.at >= startedAt + settle else { return }
        // A sample's rate covers its trailing window. The first counted sample stands for that
        // whole window (all inside the step); each later one for the time since the one before,
        // capped at the window (after a gap, the rate only speaks for its own window).
        let seconds: Double
        if let last = lastCountedAt {
            seconds = settle > 0 ? min(o.at - last, settle) : o.at - last
        } else {
            seconds = settle > 0 ? settle : o.at - startedAt
        }
        guard seconds > 0 else { return }
        lastCountedAt = o.at
        canary.add(o.canary, seconds: seconds)
        stable.add(o.stable, seconds: seconds)
        counted += 1
    }
}

public enum GateVerdict: String, Sendable, Equatable {
    case pass, fail
    /// Not enough traffic (or no baseline) to judge.
    case noVerdict
}

public enum GateKind: String, Sendable, Equatable, CaseIterable {
    case requests, success, p99
    public var title: String {
        switch self {
        case .requests: return "requests"
        case .success: return "success rate"
        case .p99: return "p99 latency"
        }
    }
}

public struct GateResult: Sendable, Equatable {
    public var kind: GateKind
    /// requests: count; success: percent; p99: ms.
    public var value: Double?
    public var threshold: Double?
    public var verdict: GateVerdict
    /// Why there is no verdict, in words.
    public var note: String?

    public var text: String {
        func n(_ v: Double?) -> String {
            guard let v else { return "-" }
            switch kind {
            case .requests: return "\(Int(v.rounded(.down)))"
            case .success: return formatFixed(v, 2) + "%"
            case .p99: return formatFixed(v, v >= 100 ? 0 : 1) + "ms"
            }
        }
        let op = kind == .p99 ? "≤" : "≥"
        return "\(kind.title) \(n(value)) \(op) \(n(threshold))"
    }
}

/// The stable backends' values a ramp falls back to when the current step has too little
/// stable traffic to compare with (at 100 % the stable backends get none).
public struct Baseline: Sendable, Equatable {
    public var successRate: Double?
    public var p99Ms: Double?
    public init(successRate: Double? = nil, p99Ms: Double? = nil) {
        self.successRate = successRate
        self.p99Ms = p99Ms
    }
}

public enum Gates {
    /// Every gate's verdict on a step so far.
    public static func evaluate(_ w: StepWindow, _ g: RampGates, baseline: Baseline) -> [GateResult] {
        let enough = w.canary.requests >= g.minRequests && w.counted > 0
        let stableEnough = w.stable.requests >= g.minRequests
        let stableSuccess = stableEnough ? (w.stable.successRate ?? baseline.successRate) : baseline.successRate
        let stableP99 = stableEnough ? (w.stable.p99Ms ?? baseline.p99Ms) : baseline.p99Ms
        var out: [GateResult] = []
        out.append(
            GateResult(
                kind: .requests, value: w.canary.requests, threshold: g.minRequests, verdict: enough ? .pass : .noVerdict,
                note: enough ? nil : "not enough traffic"))
        let successThreshold = g.minSuccessPercent ?? stableSuccess.map { max(0, $0 * 100 - g.successMargin) }
        out.append(
            verdict(.success, value: w.canary.successRate.map { $0 * 100 }, threshold: successThreshold, enough: enough) { $0 >= $1 })
        let p99Threshold = g.maxP99Ms ?? stableP99.map { $0 * g.p99Factor }
        out.append(verdict(.p99, value: w.canary.p99Ms, threshold: p99Threshold, enough: enough) { $0 <= $1 })
        return out
    }

    private static func verdict(
        _ kind: GateKind, value: Double?, threshold: Double?, enough: Bool, _ holds: (Double, Double) -> Bool
    ) -> GateResult {
        guard enough else { return GateResult(kind: kind, value: value, threshold: threshold, verdict: .noVerdict, note: "not enough traffic") }
        guard let t = threshold else {
            return GateResult(kind: kind, value: value, threshold: nil, verdict: .noVerdict, note: "no stable baseline to compare with")
        }
        guard let v = value else { return GateResult(kind: kind, value: nil, threshold: t, verdict: .noVerdict, note: "no data") }
        return GateResult(kind: kind, value: v, threshold: t, verdict: holds(v, t) ? .pass : .fail)
    }

    /// The stable side of a step, as the baseline for later steps (only with enough traffic).
    public static func baseline(after w: StepWindow, _ g: RampGates, previous: Baseline) -> Baseline {
        guard w.stable.requests >= g.minRequests else { return previous }
        return Baseline(successRate: w.stable.successRate ?? previous.successRate, p99Ms: w.stable.p99Ms ?? previous.p99Ms)
    }
}

/// "%.Nf" without Foundation, for the few numbers a ramp prints.
public func formatFixed(_ v: Double, _ decimals: Int) -> String {
    guard v.isFinite else { return "-" }
    let d = max(0, min(decimals, 6))
    var scale = 1.0
    for _ in 0..<d { scale *= 10 }
    let scaled = (abs(v) * scale).rounded()
    guard scaled < 9e15 else { return v < 0 ? "-huge" : "huge" }
    let n = Int64(scaled)
    let s = Int64(scale)
    let sign = v < 0 && n != 0 ? "-" : ""
    if d == 0 { return "\(sign)\(n)" }
    let frac = String(n % s)
    return "\(sign)\(n / s).\(String(repeating: "0", count: d - frac.count))\(frac)"
}
