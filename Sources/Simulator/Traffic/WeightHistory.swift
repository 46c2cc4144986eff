import KubeCore
import SMI

/// Split weights over time, so a sample can integrate traffic across weight changes inside
/// its window (see `TrafficModel`). The store records a change whenever a TrafficSplit is
/// created, updated or deleted; the metrics API reads it.
///
/// Times are seconds (any epoch, as long as it matches the `at:` of samples). Changes must
/// arrive in time order; an earlier time is clamped to the latest one so the log stays sorted.
public struct WeightHistory: Sendable {
    struct Change: Sendable {
        var time: Double
        var key: SplitKey
        var backends: [(service: String, weight: Double)]?
    }

    /// The weights in force before the first retained change.
    private(set) var baseline: SplitWeights
    private(set) var log: [Change] = []
    /// Weights after the newest change, for diffing in `observe`.
    public private(set) var current: SplitWeights
    /// How much history is kept; longer `t=` windows see the oldest kept weights throughout.
    public var retention: Double

    public init(initial: SplitWeights = [:], retention: Double = 3600) {
        baseline = initial
        current = initial
        self.retention = retention
    }

    /// Records the weights of one split root from `time` on; nil removes the split.
    public mutating func set(_ key: SplitKey, backends: [(service: String, weight: Double)]?, at time: Double) {
        guard !sameBackends(current[key], backends) else { return }
        let t = max(time, log.last?.time ?? -Double.infinity)
        log.append(Change(time: t, key: key, backends: backends))
        current[key] = backends
        prune(before: t - retention)
    }

    /// Records every difference between `weights` (all splits now) and the current state,
    /// e.g. after recomputing `TrafficModel.activeWeights(splits:)` from the store.
    public mutating func observe(_ weights: SplitWeights, at time: Double) {
        for key in current.keys.sorted() where weights[key] == nil { set(key, backends: nil, at: time) }
        for key in weights.keys.sorted() { set(key, backends: weights[key], at: time) }
    }

    /// Folds changes older than `time` into the baseline.
    public mutating func prune(before time: Double) {
        var n = 0
        while n < log.count, log[n].time < time {
            baseline[log[n].key] = log[n].backends
            n += 1
        }
        if n > 0 { log.removeFirst(n) }
    }

    /// The weights in force at `time` (changes at exactly `time` included).
    public func weights(at time: Double) -> SplitWeights {
        var w = baseline
        for c in log {
            if c.time > time { break }
            w[c.key] = c.backends
        }
        return w
    }

    /// [from, to] cut at every change, with the weights in force in each piece.
    func segments(from: Double, to: Double) -> [(duration: Double, weights: SplitWeights)] {
        guard to > from else { return [] }
        var cuts = [from]
        for c in log where c.time > from && c.time < to && c.time != cuts.last { cuts.append(c.time) }
        cuts.append(to)
        var out: [(duration: Double, weights: SplitWeights)] = []
        var w = weights(at: from)
        var next = log.firstIndex(where: { $0.time > from }) ?? log.count
        for i in 0..<(cuts.count - 1) {
            while next < log.count, log[next].time <= cuts[i] {
                w[log[next].key] = log[next].backends
                next += 1
            }
            out.append((cuts[i + 1] - cuts[i], w))
        }
        return out
    }
}

extension TrafficModel {
    /// The weights the mesh applies, from TrafficSplit objects of any version. When several
    /// splits name the same root service the mesh's choice is unspecified; we take the one
    /// whose name sorts first (deterministic, and documented for users of the simulator).
    public static func activeWeights(splits: some Sequence<JSON>) -> SplitWeights {
        var chosen: [SplitKey: (name: String, backends: [(service: String, weight: Double)])] = [:]
        for obj in splits {
            guard obj["kind"]?.stringValue == "TrafficSplit",
                let ns = obj[path: "metadata", "namespace"]?.stringValue,
                let name = obj[path: "metadata", "name"]?.stringValue,
                let root = obj[path: "spec", "service"]?.stringValue
            else { continue }
            let key = SplitKey(namespace: ns, service: root)
            if let existing = chosen[key], existing.name <= name { continue }
            var backends: [(service: String, weight: Double)] = []
            for b in obj[path: "spec", "backends"]?.arrayValue ?? [] {
                guard let svc = b["service"]?.stringValue else { continue }
                backends.append((svc, b["weight"].flatMap(splitWeightValue) ?? 0))
            }
            chosen[key] = (name, backends)
        }
        return chosen.mapValues(\.backends)
    }

    /// A weight as a number: JSON numbers as they are, strings as Kubernetes quantities
    /// ("900m" = 0.9, "1k" = 1000), so v1alpha1 and v1alpha2+ splits read alike.
    static func splitWeightValue(_ v: JSON) -> Double? {
        switch v {
        case .number(let s): return Double(s)
        case .string(let s): return quantityValue(s)
        default: return nil
        }
    }

    static func quantityValue(_ text: String) -> Double? {
        let s = Substring(text)
        guard !s.isEmpty else { return nil }
        var numberEnd = s.startIndex
        for i in s.indices {
            let c = s[i]
            if c.isNumber || c == "." || ((c == "+" || c == "-") && i == s.startIndex) {
                numberEnd = s.index(after: i)
            } else {
                break
            }
        }
        guard let mantissa = Double(s[s.startIndex..<numberEnd]) else { return nil }
        let suffix = s[numberEnd...]
        let scale: Double
        switch suffix {
        case "": scale = 1
        case "n": scale = 1e-9
        case "u": scale = 1e-6
        case "m": scale = 1e-3
        case "k": scale = 1e3
        case "M": scale = 1e6
        case "G": scale = 1e9
        case "T": scale = 1e12
        case "P": scale = 1e15
        case "E": scale = 1e18
        case "Ki": scale = 1024
        case "Mi": scale = 1_048_576
        case "Gi": scale = 1_073_741_824
        case "Ti": scale = 1_099_511_627_776
        case "Pi": scale = 1_125_899_906_842_624
        case "Ei": scale = 1_152_921_504_606_846_976
        default:
            guard let e = suffix.first, e == "e" || e == "E", let exp = Int(suffix.dropFirst()) else { return nil }
            var p = 1.0
            for _ in 0..<abs(exp) { p *= 10 }
            scale = exp < 0 ? 1 / p : p
        }
        return mantissa * scale
    }
}
