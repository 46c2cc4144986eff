import KubeCore

// Exact weight arithmetic. Shares are fractions of integers and edits are integer
// apportionment (largest remainder), so no floating-point drift can ever make weights stop
// summing to what they summed to, or turn 1/3 + 1/3 + 1/3 into 0.999….

/// What is wrong or notable about a split's weights, computed exactly.
public struct SplitAnalysis: Sendable, Equatable {
    /// Σ of the non-negative weights.
    public var total: Quantity
    /// weight ÷ total per backend; nil when the total is zero (nothing routes). Negative
    /// weights count as zero, since no mesh can send a negative share of traffic.
    public var shares: [Fraction?]
    /// Every weight is zero (or there are no backends): the split routes nothing.
    public var allZero: Bool
    public var negativeIndices: [Int]
    /// v1alpha2+ only: weights that are not whole numbers (Go clients fail to decode them).
    public var nonIntegerIndices: [Int]
    /// Service names listed more than once, in first-seen order.
    public var duplicateServices: [String]
    /// The root service appears among its own backends (the spec advises against it).
    public var rootIsBackend: Bool
}

public enum WeightEditError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchBackend(Int)
    case noBackends
    /// The weights add up to more than one weight may hold (`Weight.maximumUnits`): an edit
    /// could give one backend the whole total, which no mesh could read back.
    case outOfRange
    public var description: String {
        switch self {
        case .noSuchBackend(let i): return "no backend at index \(i)"
        case .noBackends: return "the split has no backends"
        case .outOfRange: return "the weights add up to more than the largest weight meshes can read (\(Weight.maximumUnitsText)): too large to edit"
        }
    }
}

extension TrafficSplit {
    public var analysis: SplitAnalysis {
        let values = backends.map(\.weight.value.nanos)
        // Decoded weights are bounded (Weight.maximumUnits), but a split built in code is
        // not: the sum saturates rather than trap.
        let total = values.reduce(Int128(0)) { acc, v in
            let (t, o) = acc.addingReportingOverflow(max(v, 0))
            return o ? Int128.max : t
        }
        var seen: Set<String> = []
        var dups: [String] = []
        for b in backends where !seen.insert(b.service).inserted && !dups.contains(b.service) { dups.append(b.service) }
        return SplitAnalysis(
            total: Quantity(nanos: total),
            shares: values.map { total > 0 ? Fraction(max($0, 0), total) : nil },
            allZero: total == 0 && values.allSatisfy { $0 == 0 },
            negativeIndices: values.indices.filter { values[$0] < 0 },
            nonIntegerIndices: version >= .v1alpha2 ? values.indices.filter { values[$0] % Quantity.nanosPerUnit != 0 } : [],
            duplicateServices: dups,
            rootIsBackend: backends.contains { $0.service == service })
    }

    /// The granularity edits work in, in nano-units. Integer-typed splits (v1alpha2+ written
    /// as numbers or numeric strings) edit in whole units so they stay integers; quantity
    /// weights edit in thousandths ("500m"), finer only if the split already uses finer values,
    /// so a split written in milli-units stays in milli-units.
    public var editUnitNanos: Int128 {
        let integerTyped =
            version >= .v1alpha2
            && backends.allSatisfy { b in
                if case .string(let s) = b.weight.literal { return Weight.isPlainInteger(s) }
                return true
            }
        if integerTyped { return Quantity.nanosPerUnit }
        for unit: Int128 in [1_000_000, 1_000] where backends.allSatisfy({ $0.weight.value.nanos % unit == 0 }) {
            return unit
        }
        return 1
    }

    /// Moves `points` percentage points of share to backend `index`, taken from the others in
    /// proportion to their weights (negative `points` gives share away, in proportion too).
    public func shifting(points: Fraction, to index: Int) throws(WeightEditError) -> TrafficSplit {
        // Beyond ±100 points every shift saturates anyway; clamping first keeps the products
        // of any input, however large, inside Int128.
        let points = points.clamped(-100, 100)
        return try edit(index) { units, total in
            let delta = Fraction.hundredth(of: points).scaling(Int128(total)) ?? 0
            return WeightMath.setUnits(units, index: index, to: Int128(units[index]) + delta)
        }
    }

    /// Gives backend `index` exactly `percent`% of traffic (to within one unit), the rest keeps
    /// the others' proportions.
    public func settingShare(_ percent: Fraction, of index: Int) throws(WeightEditError) -> TrafficSplit {
        let percent = percent.clamped(0, 100)
        return try edit(index) { units, total in
            let target = Fraction.hundredth(of: percent).scaling(Int128(total)) ?? 0
            return WeightMath.setUnits(units, index: index, to: target)
        }
    }

    /// Equal shares; the remainder units go to the first backends, so order decides ties.
    public func evenSplit() throws(WeightEditError) -> TrafficSplit {
        try edit(nil) { units, total in
            WeightMath.apportion(total, proportionalTo: Array(repeating: 1, count: units.count))
        }
    }

    /// 100 % to backend `index`, 0 to every other.
    public func promoting(_ index: Int) throws(WeightEditError) -> TrafficSplit {
        try edit(index) { units, total in units.indices.map { $0 == index ? total : 0 } }
    }

    /// Runs an integer edit in this split's unit and writes the result back in each weight's
    /// own notation. Negative weights are treated as 0 (they are an error anyway); a zero total
    /// becomes 100 units so that percentages map onto whole units.
    private func edit(_ index: Int?, _ op: ([Int64], Int64) -> [Int64]) throws(WeightEditError) -> TrafficSplit {
        if backends.isEmpty { throw .noBackends }
        if let index, !backends.indices.contains(index) { throw .noSuchBackend(index) }
        let unit = editUnitNanos
        var units: [Int64] = []
        var sum: Int128 = 0
        for b in backends {
            let u = max(0, Fraction.roundDiv(b.weight.value.nanos, unit))
            sum += u
            // Bound the total so that products of two unit counts fit Int128, and so that the
            // whole total on one backend (promoting, a large shift) is still a weight smitop and
            // the meshes can read: found by the property tests (two backends at the bound,
            // promoted, wrote twice the bound).
            guard sum <= Int128(Int64.max / 4), sum * unit <= Weight.maximumNanos, let u64 = Int64(exactly: u) else { throw .outOfRange }
            units.append(u64)
        }
        var total = Int64(sum)
        if total == 0 {
            total = 100
            units = WeightMath.apportion(total, proportionalTo: units)
        }
        let result = op(units, total)
        return with(weights: zip(backends, result).map { b, u in b.weight.with(value: Quantity(nanos: Int128(u) * unit)) })
    }
}

/// Integer apportionment on unit counts, exposed for property tests and the split editor's
/// preview. All inputs are non-negative; every output sums to the input total.
public enum WeightMath {
    /// Splits `amount` in proportion to `weights` (largest remainder; ties to the lower index).
    /// All-zero weights split evenly.
    public static func apportion(_ amount: Int64, proportionalTo weights: [Int64]) -> [Int64] {
        guard !weights.isEmpty else { return [] }
        var w = weights.map { Int128(max($0, 0)) }
        var s = w.reduce(0, +)
        if s == 0 {
            w = Array(repeating: 1, count: w.count)
            s = Int128(w.count)
        }
        let a = Int128(max(amount, 0))
        var out = w.map { a * $0 / s }
        var left = a - out.reduce(0, +)
        let order = w.indices.sorted { i, j in
            let ri = a * w[i] % s
            let rj = a * w[j] % s
            return ri != rj ? ri > rj : i < j
        }
        var k = 0
        while left > 0 {
            out[order[k % order.count]] += 1
            left -= 1
            k += 1
        }
        return out.map { Int64($0) }
    }

    /// Sets `units[index]` to `target` clamped to [0, total] and re-apportions the rest over
    /// the other backends in proportion to their current units. With one backend nothing moves.
    public static func setUnits(_ units: [Int64], index: Int, to target: Int128) -> [Int64] {
        guard units.count > 1 else { return units }
        // Callers pass units whose sum fits Int64 (edit bounds it); saturate rather than trap.
        let total = Int64(clamping: units.reduce(Int128(0)) { $0 + Int128(max($1, 0)) })
        let t = Int64(min(max(target, 0), Int128(total)))
        let otherIdx = units.indices.filter { $0 != index }
        let rest = WeightMath.apportion(total - t, proportionalTo: otherIdx.map { units[$0] })
        var out = units
        out[index] = t
        for (k, i) in otherIdx.enumerated() { out[i] = rest[k] }
        return out
    }
}
