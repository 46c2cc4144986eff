import KubeCore

/// A workload that gets worse under load: while it takes more than `above` of the traffic of
/// a split root that routes to it, an extra fraction `errors` of its requests fail and its
/// latency is multiplied by `latencyFactor`. This is what a canary that holds at 10 % and
/// breaks at 50 % looks like, so a guarded ramp can pass early steps and fail a later gate;
/// `above: 0` degrades it at any share (a plain fault).
///
/// The share is the one the traffic model routes by: for every split root (TrafficSplit or
/// accepted route) whose requests reach the workload, the fraction of that root's requests it
/// receives, and the largest of them counts. A workload no split reaches takes all of its own
/// traffic (share 1). The step at `above` is sharp and strict (exactly `above` is not
/// degraded), so a ramp's outcome does not depend on noise; the model integrates it over the
/// weight history like everything else, so a window that straddles the step shows the blend.
public struct Degradation: Sendable, Equatable {
    /// Extra fraction of requests that fail, 0…1, applied to the ones that would succeed.
    public var errors: Double
    /// Multiplies the workload's median latency (1 = unchanged).
    public var latencyFactor: Double
    /// Share threshold, 0…1: degraded only while the share is strictly above it.
    public var above: Double

    public init(errors: Double = 0, latencyFactor: Double = 1, above: Double = 0) {
        self.errors = errors
        self.latencyFactor = latencyFactor
        self.above = above
    }

    /// Bounds a hand-written degradation must keep; the message names the field.
    public static let maxLatencyFactor = 1000.0

    public func validationProblem() -> String? {
        if !errors.isFinite || errors < 0 || errors > 1 { return "errors must be a fraction between 0 and 1" }
        if !latencyFactor.isFinite || latencyFactor <= 0 || latencyFactor > Self.maxLatencyFactor {
            return "latency must be a factor above 0 and at most \(Int(Self.maxLatencyFactor))"
        }
        if !above.isFinite || above < 0 || above >= 1 { return "above must be a share from 0 up to (not including) 1" }
        return nil
    }

    /// True when it changes nothing, whatever the share.
    public var isNoop: Bool { errors == 0 && latencyFactor == 1 }

    // MARK: the text form (`smitop sim --degrade`, docs/simulator.md)

    /// Parses `errors:0.2,latency:3x,above:30%` (any subset, any order; fractions or
    /// percentages for errors and above, a factor with or without `x` for latency).
    public init(parsing text: String) throws(DegradationSyntaxError) {
        self.init()
        var seen = Set<String>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingWhitespace() }
            guard kv.count == 2, !kv[1].isEmpty else { throw .init("expected KEY:VALUE, got \"\(part)\"") }
            let key = kv[0]
            guard !seen.contains(key) else { throw .init("\(key) given twice") }
            seen.insert(key)
            switch key {
            case "errors":
                guard let f = Self.fraction(kv[1]) else { throw .init("errors wants a fraction or percentage, got \"\(kv[1])\"") }
                errors = f
            case "above":
                guard let f = Self.fraction(kv[1]) else { throw .init("above wants a fraction or percentage, got \"\(kv[1])\"") }
                above = f
            case "latency":
                let v = kv[1].hasSuffix("x") ? String(kv[1].dropLast()) : kv[1]
                guard let f = Double(v) else { throw .init("latency wants a factor such as 3x, got \"\(kv[1])\"") }
                latencyFactor = f
            default:
                throw .init("unknown key \"\(key)\" (known: errors, latency, above)")
            }
        }
        if let p = validationProblem() { throw .init(p) }
    }

    /// "0.2" or "20%" → 0.2.
    static func fraction(_ s: String) -> Double? {
        if s.hasSuffix("%") { return Double(s.dropLast()).map { $0 / 100 } }
        return Double(s)
    }

    /// The text form, `errors:0.2,latency:3x,above:30%`, with the parts that do something.
    public var text: String {
        var parts: [String] = []
        if errors != 0 { parts.append("errors:\(Self.number(errors))") }
        if latencyFactor != 1 { parts.append("latency:\(Self.number(latencyFactor))x") }
        if above != 0 { parts.append("above:\(Self.number(above * 100))%") }
        return parts.isEmpty ? "errors:0" : parts.joined(separator: ",")
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}

public struct DegradationSyntaxError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// Degradations per workload: the scenario's (`TrafficModel.degradations`) or those in force
/// (the scenario's with the faults' on top).
public typealias Degradations = [WorkloadRef: Degradation]

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}

extension TrafficModel {
    /// Per degraded workload index, whether it is degraded under `weights`: its largest share
    /// among the split roots that reach it is above the threshold.
    func degradedNow(_ degradations: [(index: Int, degradation: Degradation)], weights: SplitWeights) -> Set<Int> {
        var out = Set<Int>()
        guard !degradations.isEmpty else { return out }
        var share = [Int: Double]()
        var reached = Set<Int>()
        let wanted = Set(degradations.lazy.filter { $0.degradation.above > 0 }.map(\.index))
        if !wanted.isEmpty {
            for key in weights.keys {
                // A consumer route's weights count for the share its callers give a workload.
                let (service, caller) = SplitWeights.parseKey(key)
                guard let s = serviceIndex[service] else { continue }
                var perTarget = [Int: Double]()
                for (t, x) in route(service: s, caller: caller, weights: weights) where wanted.contains(t) { perTarget[t, default: 0] += x }
                for (t, x) in perTarget {
                    reached.insert(t)
                    share[t] = max(share[t] ?? 0, x)
                }
            }
        }
        for (i, d) in degradations where !d.isNoop {
            let s = reached.contains(i) ? (share[i] ?? 0) : 1
            if d.above == 0 || s > d.above { out.insert(i) }
        }
        return out
    }

    /// The scenario's degradations with `overrides` on top, as dense indexes.
    func indexedDegradations(_ overrides: Degradations?) -> [(index: Int, degradation: Degradation)] {
        var all = degradations
        for (k, v) in overrides ?? [:] { all[k] = v }
        return all.compactMap { k, v in workloadIndex[k].map { ($0, v) } }.sorted { $0.index < $1.index }
    }
}
