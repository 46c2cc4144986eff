// Exact rational numbers for shares and percentages. Weights are integers (or exact
// quantities), so shares are fractions of integers: no floating-point drift can make weights
// stop summing to what they summed to, or turn 1/3 + 1/3 + 1/3 into 0.999…. Every operation
// here is total: cluster data of any size gives an answer or nil, never a trap.

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
        var n = numerator.magnitude / g
        var d = denominator.magnitude / g
        let negative = (numerator < 0) != (denominator < 0) && n != 0
        // A saturated numerator is reduced again, so that equal values stay equal fields
        // (Int128.min / -Int128.max saturates to max/max, which must be 1/1 to compare equal).
        let limit = negative ? UInt128(Int128.max) + 1 : UInt128(Int128.max)
        if n > limit {
            n = limit
            let g2 = Fraction.gcd(n, d)
            n /= g2
            d /= g2
        }
        // Likewise a denominator of 2^127 (Int128.min's magnitude) has no positive Int128: it
        // saturates and is reduced again, or -(2^127 - 1) / Int128.min would be stored as
        // max/max, which is 1 but neither <, == nor > 1/1.
        if d > UInt128(Int128.max) {
            d = UInt128(Int128.max)
            let g2 = Fraction.gcd(n, d)
            n /= g2
            d /= g2
        }
        self.numerator = negative ? (n > UInt128(Int128.max) ? Int128.min : -Int128(n)) : Int128(clamping: n)
        self.denominator = Int128(clamping: d)
    }

    public init(integerLiteral value: Int64) { self.init(Int128(value)) }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        // Both in one word (every route share, most split shares): the same steps with the
        // machine's division. 128-bit remainders go through a library call each, and the graph
        // of 10,000 three-rule routes reduces some 100,000 shares (perf).
        if let x = UInt64(exactly: a), let y = UInt64(exactly: b) {
            var (x, y) = (x, y)
            while y != 0 { (x, y) = (y, x % y) }
            return x == 0 ? 1 : UInt128(x)
        }
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
    public static func hundredth(of p: Fraction) -> Fraction {
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
    public static func roundDiv(_ n: Int128, _ d: Int128) -> Int128 {
        let (q, r) = n.quotientAndRemainder(dividingBy: d)
        if r.magnitude * 2 >= d.magnitude { return n < 0 ? q - 1 : q + 1 }
        return q
    }

    /// Σ of fractions, exactly; nil if a step leaves Int128 (the shares of one split never do:
    /// their denominators all divide the split's total). For checks that shares sum to 1.
    public static func exactSum(_ fs: [Fraction]) -> Fraction? {
        var n: Int128 = 0
        var d: Int128 = 1
        for f in fs {
            var (x, y) = (d.magnitude, f.denominator.magnitude)
            while y != 0 { (x, y) = (y, x % y) }
            let (l, o0) = (d / Int128(x)).multipliedReportingOverflow(by: f.denominator)
            let (a, o1) = n.multipliedReportingOverflow(by: l / d)
            let (b, o2) = f.numerator.multipliedReportingOverflow(by: l / f.denominator)
            let (s, o3) = a.addingReportingOverflow(b)
            if o0 || o1 || o2 || o3 { return nil }
            let r = Fraction(s, l)
            (n, d) = (r.numerator, r.denominator)
        }
        return Fraction(n, d)
    }
}
