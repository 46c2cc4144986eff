// Exact weight arithmetic. Shares are fractions of integers and edits are integer
// apportionment (largest remainder), so no floating-point drift can ever make weights stop
// summing to what they summed to, or turn 1/3 + 1/3 + 1/3 into 0.999….

/// A reduced fraction with a positive denominator.
public struct Fraction: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public let numerator: Int128
    public let denominator: Int128

    /// Precondition-free: a zero denominator yields 0/1 so that callers never trap on input. The
    /// reduction works on magnitudes, so even Int128.min (whose negation does not exist) cannot
    /// trap: a value beyond ±Int128.max after reduction saturates.
    public init(_ numerator: Int128, _ denominator: Int128 = 1) {
        guard denominator != 0 else {
            self.numerator = 0
            self.denominator = 1
            return
        }
        let g = Fraction.gcd(numerator.magnitude, denominator.magnitude)
        let n = numerator.magnitude / g
        let d = denominator.magnitude / g
        let negative = (numerator < 0) != (denominator < 0) && n != 0
        self.numerator = negative ? (n > UInt128(Int128.max) ? Int128.min : -Int128(n)) : Int128(clamping: n)
        self.denominator = Int128(clamping: d)
    }

    public init(integerLiteral value: Int64) { self.init(Int128(value)) }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a == 0 ? 1 : a
    }

    public static func < (a: Fraction, b: Fraction) -> Bool {
        // Full-width cross products: exact for every pair of fractions, however large the
        // weights a cluster sends (a 256-bit two's-complement comparison, high word first).
        let l = a.numerator.multipliedFullWidth(by: b.denominator)
        let r = b.numerator.multipliedFullWidth(by: a.denominator)
        return l.high != r.high ? l.high < r.high : l.low < r.low
    }

    /// round(x × self), half away from zero; nil when the result does not fit Int128.
    public func scaling(_ x: Int128) -> Int128? {
        let p = x.magnitude.multipliedFullWidth(by: numerator.magnitude)
        let d = denominator.magnitude
        // dividingFullWidth traps when the quotient does not fit one word: check first.
        guard p.high < d else { return nil }
        let (q, r) = d.dividingFullWidth(p)
        let rounded = r >= d - r ? q.addingReportingOverflow(1) : (partialValue: q, overflow: false)
        guard !rounded.overflow, rounded.partialValue <= UInt128(Int128.max) else { return nil }
        let negative = (x < 0) != (numerator < 0)
        return negative ? -Int128(rounded.partialValue) : Int128(rounded.partialValue)
    }

    /// p / 100 (points or percent to a share). A denominator too large to multiply by 100
    /// comes only from code, never from a key or a flag: it is approximated, never trapped on.
    static func hundredth(of p: Fraction) -> Fraction {
        let (d, o) = p.denominator.multipliedReportingOverflow(by: 100)
        if !o { return Fraction(p.numerator, d) }
        let approx = (p.clamped(-100, 100).doubleValue * 1e12).rounded()
        return Fraction(Int128(approx), 100_000_000_000_000)
    }

    /// The fraction clamped to [lo, hi].
    public func clamped(_ lo: Fraction, _ hi: Fraction) -> Fraction { self < lo ? lo : (hi < self ? hi : self) }

    public var doubleValue: Double {
        // Int128 → Double goes through a slow generic path; shares nearly always fit 64 bits.
        if let n = Int64(exactly: numerator), let d = Int64(exactly: denominator) { return Double(n) / Double(d) }
        return Double(numerator) / Double(denominator)
    }

    /// "33.3%": the fraction as a percentage rounded half away from zero to `decimals` places.
    public func percentText(decimals: Int = 1) -> String {
        let decimals = max(0, min(decimals, 6))
        let scale = Quantity.pow10(decimals)
        guard let scaled = Fraction(100 * scale).scalingFraction(self) else {
            // Only fractions no weight or share can produce get here; text, never a trap.
            return doubleValue.isFinite ? "\(doubleValue * 100)%" : "?%"
        }
        let sign = scaled < 0 ? "-" : ""
        let mag = scaled.magnitude
        let whole = mag / UInt128(scale)
        if decimals == 0 { return "\(sign)\(whole)%" }
        let frac = String(mag % UInt128(scale))
        return "\(sign)\(whole).\(String(repeating: "0", count: decimals - frac.count))\(frac)%"
    }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    /// round(self × f) for an integer-valued self; nil on overflow.
    func scalingFraction(_ f: Fraction) -> Int128? { f.scaling(numerator) }

    /// Division rounding half away from zero; `d` > 0.
    static func roundDiv(_ n: Int128, _ d: Int128) -> Int128 {
        let (q, r) = n.quotientAndRemainder(dividingBy: d)
        if r.magnitude * 2 >= d.magnitude { return n < 0 ? q - 1 : q + 1 }
        return q
    }
}

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
    /// The weights are too large to apportion exactly in 64-bit units.
    case outOfRange
    public var description: String {
        switch self {
        case .noSuchBackend(let i): return "no backend at index \(i)"
        case .noBackends: return "the split has no backends"
        case .outOfRange: return "weights are too large to edit exactly"
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
        let integerTyped = version >= .v1alpha2
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
            // Bound the total so that products of two unit counts fit Int128.
            guard sum <= Int128(Int64.max / 4), let u64 = Int64(exactly: u) else { throw .outOfRange }
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
