// Relative backend weights and the exact arithmetic on them, shared by every kind of weighted
// routing smitop edits: SMI TrafficSplits (quantities or integers) and Gateway API route rules
// (integers 0…1,000,000). Shares are fractions of integers and edits are integer
// apportionment (largest remainder), so no floating-point drift can ever make weights stop
// summing to what they summed to, or turn 1/3 + 1/3 + 1/3 into 0.999….

/// A backend weight: its exact value and the JSON literal it is written as.
public struct Weight: Sendable, Equatable, CustomStringConvertible {
    public let value: Quantity
    /// Exactly what was read, or what will be written.
    public let literal: JSON

    public init(json: JSON) throws(QuantityError) {
        let v = try Quantity(json: json)
        guard v.nanos.magnitude <= Weight.maximumNanos.magnitude else {
            throw .beyondBound(json.stringValue ?? json.compactString, bound: Weight.maximumUnitsText)
        }
        value = v
        literal = json
    }

    /// The largest weight magnitude smitop accepts: 9,223,372,036,854,775 units, the largest
    /// whose milli-value fits Go's int64. Meshes read weights through `Quantity.MilliValue()`
    /// or as Go `int`s and add them up, so a larger weight is already wrong in every consumer;
    /// refusing it at decode (a problem shown on that split alone) keeps every sum and share
    /// computed here far inside Int128: 10^5 backends at this bound sum to about 9.2e29 nanos.
    public static let maximumUnits: Int128 = Int128(Int64.max / 1000)
    public static let maximumNanos: Int128 = maximumUnits * Quantity.nanosPerUnit
    public static let maximumUnitsText = "9223372036854775"

    /// An integer weight written as a JSON number (the v1alpha2+ form).
    public init(integer: Int64) {
        value = Quantity(integer: integer)
        literal = .number(String(integer))
    }

    /// A v1alpha1 weight written as a canonical quantity string ("500m", "1").
    public init(quantity: Quantity) {
        value = quantity
        literal = .string(quantity.canonical)
    }

    public init(value: Quantity, literal: JSON) {
        self.value = value
        self.literal = literal
    }

    /// Was the weight written as a JSON string (quantity or numeric string)?
    public var isString: Bool { literal.stringValue != nil }

    /// The same notation carrying a new value. Whole values in plain-number notations stay
    /// plain numbers; a quantity string gets Go's canonical form in its own format family.
    public func with(value new: Quantity) -> Weight {
        if new == value { return self }
        switch literal {
        case .string(let s):
            if Weight.isPlainInteger(s), new.isInteger {
                return Weight(value: new, literal: .string(new.decimalString))
            }
            var q = new
            q.format = value.format
            return Weight(value: new, literal: .string(q.canonical))
        default:
            return Weight(value: new, literal: .number(new.decimalString))
        }
    }

    public static func isPlainInteger(_ s: String) -> Bool {
        var u = Substring(s)
        if u.first == "-" || u.first == "+" { u = u.dropFirst() }
        return !u.isEmpty && u.allSatisfy { $0 >= "0" && $0 <= "9" }
    }

    public var description: String {
        switch literal {
        case .string(let s): return s
        case .number(let n): return n
        default: return value.canonical
        }
    }
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
        // Callers pass units whose sum fits Int64 (edit bounds it); saturate rather than trap.
        setUnits(units, total: Int64(clamping: units.reduce(Int128(0)) { $0 + Int128(max($1, 0)) }), index: index, to: target)
    }

    /// The same on a total that may differ from the units' sum (a rescaled rule): the others
    /// share `total − target` in proportion to their units as read.
    public static func setUnits(_ units: [Int64], total: Int64, index: Int, to target: Int128) -> [Int64] {
        guard units.count > 1 else { return units }
        let t = Int64(min(max(target, 0), Int128(total)))
        let otherIdx = units.indices.filter { $0 != index }
        let rest = WeightMath.apportion(total - t, proportionalTo: otherIdx.map { units[$0] })
        var out = units
        out[index] = t
        for (k, i) in otherIdx.enumerated() { out[i] = rest[k] }
        return out
    }
}

/// How a kind of object grains and bounds its weights, which decides how an edit is carried out.
public struct WeightPolicy: Sendable, Equatable {
    /// Edits work in whole multiples of this many nano-units (1 unit = 10^9 nanos).
    public var unitNanos: Int128
    /// The largest single weight the kind allows, in nano-units.
    public var maximumNanos: Int128
    /// The total carries no meaning (Gateway API: "Weight is not a percentage and the sum of
    /// weights does not need to equal 100"), so an edit may scale every weight by the same
    /// factor to reach the share asked for: 10 % of a 1:1 rule becomes 90:10 (not 2:0), a
    /// 0.5-point step works on a rule written 70:30, and promoting a backend of a rule whose
    /// total is above the bound gives it the bound. SMI splits keep their total instead,
    /// since tools that write them (Flagger, Argo) read the sum as 100.
    public var mayRescale: Bool

    public init(unitNanos: Int128, maximumNanos: Int128, mayRescale: Bool) {
        self.unitNanos = max(1, unitNanos)
        self.maximumNanos = max(maximumNanos, self.unitNanos)
        self.mayRescale = mayRescale
    }

    /// Gateway API and Linkerd policy `backendRefs[].weight`: int32, 0…1,000,000.
    public static let gatewayAPI = WeightPolicy(
        unitNanos: Quantity.nanosPerUnit, maximumNanos: 1_000_000 * Quantity.nanosPerUnit, mayRescale: true)
}

/// Share edits on a list of weights, each result written back in each weight's own notation.
/// Each edit gets the current units, their total, and the total to produce (the same unless
/// the policy rescales), and keeps the other backends' proportions from the units as read.
public enum WeightEdits {
    /// Moves `points` percentage points of share to backend `index`, taken from the others in
    /// proportion to their weights (negative `points` gives share away, in proportion too).
    public static func shifting(
        _ weights: [Weight], policy: WeightPolicy, points: Fraction, to index: Int
    ) throws(WeightEditError) -> [Weight] {
        // Beyond ±100 points every shift saturates anyway; clamping first keeps the products
        // of any input, however large, inside Int128.
        let points = points.clamped(-100, 100)
        return try edit(weights, policy, index, precision: Fraction.hundredth(of: points)) { units, total, newTotal in
            let current = Fraction.roundDiv(Int128(units[index]) * Int128(newTotal), Int128(total))
            let delta = Fraction.hundredth(of: points).scaling(Int128(newTotal)) ?? 0
            return WeightMath.setUnits(units, total: newTotal, index: index, to: current + delta)
        }
    }

    /// Gives backend `index` exactly `percent`% of traffic (to within one unit), the rest keeps
    /// the others' proportions.
    public static func settingShare(
        _ weights: [Weight], policy: WeightPolicy, percent: Fraction, of index: Int
    ) throws(WeightEditError) -> [Weight] {
        let percent = percent.clamped(0, 100)
        return try edit(weights, policy, index, precision: Fraction.hundredth(of: percent)) { units, _, newTotal in
            let target = Fraction.hundredth(of: percent).scaling(Int128(newTotal)) ?? 0
            return WeightMath.setUnits(units, total: newTotal, index: index, to: target)
        }
    }

    /// Equal shares; the remainder units go to the first backends, so order decides ties.
    public static func evenSplit(_ weights: [Weight], policy: WeightPolicy) throws(WeightEditError) -> [Weight] {
        try edit(weights, policy, nil, precision: Fraction(1, Int128(max(weights.count, 1)))) { units, _, newTotal in
            WeightMath.apportion(newTotal, proportionalTo: Array(repeating: 1, count: units.count))
        }
    }

    /// 100 % to backend `index`, 0 to every other.
    public static func promoting(_ weights: [Weight], policy: WeightPolicy, _ index: Int) throws(WeightEditError) -> [Weight] {
        try edit(weights, policy, index, precision: nil) { units, _, newTotal in units.indices.map { $0 == index ? newTotal : 0 } }
    }

    /// Runs an integer edit in the policy's unit and writes the result back in each weight's
    /// own notation. Negative weights are treated as 0 (they are an error anyway); a zero total
    /// becomes 100 units so that percentages map onto whole units. Where the policy may
    /// rescale, a total under 100, or one on which the aimed-at share (`precision`) is not a
    /// whole number of units, is replaced by the smallest power of ten from 100 on where it is
    /// (at most the bound): 10 % of 1:1:1 gives 45:45:10, a 0.5-point step on 70:30 gives
    /// 695:305.
    static func edit(
        _ weights: [Weight], _ policy: WeightPolicy, _ index: Int?, precision: Fraction?,
        _ op: (_ units: [Int64], _ total: Int64, _ newTotal: Int64) -> [Int64]
    ) throws(WeightEditError) -> [Weight] {
        if weights.isEmpty { throw .noBackends }
        if let index, !weights.indices.contains(index) { throw .noSuchBackend(index) }
        let unit = policy.unitNanos
        let maxUnits = Int64(clamping: policy.maximumNanos / unit)
        var units: [Int64] = []
        var sum: Int128 = 0
        for w in weights {
            let u = max(0, Fraction.roundDiv(w.value.nanos, unit))
            sum += u
            // Bound the total so that products of two unit counts fit Int128, and (unless the
            // policy may rescale) so that the whole total on one backend (promoting, a large
            // shift) is still a weight the meshes can read: found by the property tests (two
            // backends at the bound, promoted, wrote twice the bound).
            guard sum <= Int128(Int64.max / 4), policy.mayRescale || sum <= Int128(maxUnits), let u64 = Int64(exactly: u) else {
                throw .outOfRange
            }
            units.append(u64)
        }
        var total = Int64(sum)
        if total == 0 {
            total = 100
            units = WeightMath.apportion(total, proportionalTo: units)
        }
        var newTotal = total
        if policy.mayRescale {
            let exact = precision.map { isWhole($0, times: Int128(total)) } ?? true
            if total < 100 || !exact {
                var r: Int64 = 100
                while r < total && r <= maxUnits / 10 { r *= 10 }
                while let p = precision, !isWhole(p, times: Int128(r)), r <= maxUnits / 10 { r *= 10 }
                newTotal = min(r, maxUnits)
            }
        }
        var result = op(units, total, newTotal)
        if policy.mayRescale, let top = result.max(), top > maxUnits {
            // One weight would pass the bound (a promotion of a rule whose total is above it):
            // scale every weight down so the largest is at the bound, shares kept to 1 unit.
            let sumResult = result.reduce(Int128(0)) { $0 + Int128($1) }
            let scaled = Int64(clamping: sumResult * Int128(maxUnits) / Int128(top))
            result = WeightMath.apportion(scaled, proportionalTo: result)
            if let t = result.max(), t > maxUnits { throw .outOfRange }
        }
        return zip(weights, result).map { w, u in w.with(value: Quantity(nanos: Int128(u) * unit)) }
    }

    /// Is `share × total` a whole number? (Overflow counts as no.)
    static func isWhole(_ share: Fraction, times total: Int128) -> Bool {
        let d = share.denominator
        guard d != 0 else { return false }
        let (p, o) = (total % d).multipliedReportingOverflow(by: share.numerator % d)
        return !o && p % d == 0
    }
}
