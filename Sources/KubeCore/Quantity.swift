// Kubernetes resource.Quantity, exact.
//
// Representation: the value as a signed count of nano-units in an Int128, plus the format
// family it was written in. Why nano-units: the Kubernetes parser rounds every value up (away
// from zero) to a multiple of 1n, so nano-units hold every value the API server can hold
// without loss, including metric values such as "10u". Why Int128 and not Go's
// int64-or-big-decimal: one fixed-width integer keeps arithmetic exact and cheap, and its range
// (about ±1.7e29) covers everything up to 10^11 Ei; anything larger is reported as
// `.outOfRange` instead of being silently capped. Why not milli-units in Int64 (the original
// design note): metric values below 1m exist in the wild, and milli would round them.

/// How a quantity was written; canonical output keeps the family (Go's `Format`).
public enum QuantityFormat: Sendable, Equatable {
    /// No suffix or one of n u m k M G T P E.
    case decimalSI
    /// Ki Mi Gi Ti Pi Ei.
    case binarySI
    /// e<int> / E<int>, also what a JSON number with an exponent means.
    case decimalExponent
}

public enum QuantityError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    /// The text does not match `<sign>?<digits>[.<digits>]<suffix>?`.
    case malformed(String)
    case unknownSuffix(String)
    /// Larger than ±1.7e20 units (Int128 nano-units): refused, never wrapped or capped.
    case outOfRange(String)
    /// The JSON value is neither a string nor a number.
    case notAQuantity(String)
    /// A valid quantity beyond the bound its use allows (weights: `Weight.maximumUnits`).
    case beyondBound(String, bound: String)

    public var description: String {
        switch self {
        case .empty: return "empty quantity"
        case .malformed(let s): return "\"\(s)\" is not a quantity"
        case .unknownSuffix(let s): return "unknown quantity suffix \"\(s)\""
        case .outOfRange(let s): return "quantity \"\(s)\" is too large"
        case .notAQuantity(let t): return "expected a quantity (string or number), found \(t)"
        case .beyondBound(let s, let bound): return "\(s) is beyond the largest weight meshes can read (\(bound))"
        }
    }
}

public struct Quantity: Sendable, Hashable, CustomStringConvertible {
    /// The exact value in units of 10^-9.
    public let nanos: Int128
    public var format: QuantityFormat

    public static let nanosPerUnit: Int128 = 1_000_000_000
    public static let zero = Quantity(nanos: 0)

    public init(nanos: Int128, format: QuantityFormat = .decimalSI) {
        self.nanos = nanos
        self.format = format
    }

    public init(integer: Int64, format: QuantityFormat = .decimalSI) {
        self.init(nanos: Int128(integer) * Quantity.nanosPerUnit, format: format)
    }

    /// Equality is by value only: "1k", "1000" and "1e3" are the same quantity, as in Go's `Cmp`.
    public static func == (a: Quantity, b: Quantity) -> Bool { a.nanos == b.nanos }
    public func hash(into h: inout Hasher) { h.combine(nanos) }

    public var isZero: Bool { nanos == 0 }
    public var isNegative: Bool { nanos < 0 }
    public var isInteger: Bool { nanos % Quantity.nanosPerUnit == 0 }
    /// The integer value if the quantity is whole and fits Int64.
    public var integerValue: Int64? {
        guard isInteger else { return nil }
        return Int64(exactly: nanos / Quantity.nanosPerUnit)
    }

    /// For metrics and display only; weights use the exact value.
    public var doubleValue: Double {
        // Going through the decimal text avoids the double rounding of (Double(nanos) / 1e9).
        Double(Quantity.decimalString(nanos: nanos)) ?? Double(nanos) / 1e9
    }

    public var description: String { canonical }

    // MARK: Parsing

    /// Parses the full grammar of NOTES.md §6. Values finer than 1n are rounded away from zero
    /// to 1n, exactly as Kubernetes does; nothing else is ever rounded.
    public init(parsing text: String) throws(QuantityError) {
        let u = Array(text.utf8)
        if u.isEmpty { throw .empty }
        var i = 0
        var negative = false
        if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            negative = u[i] == UInt8(ascii: "-")
            i += 1
        }
        let isDigit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
        let intStart = i
        while i < u.count, isDigit(u[i]) { i += 1 }
        let intDigits = Array(u[intStart..<i])
        var fracDigits: [UInt8] = []
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            let fs = i
            while i < u.count, isDigit(u[i]) { i += 1 }
            fracDigits = Array(u[fs..<i])
        }
        if intDigits.isEmpty && fracDigits.isEmpty { throw .malformed(text) }
        let suffix = String(decoding: u[i...], as: UTF8.self)

        // value = digits × 10^exp10 × 2^exp2
        var exp10 = 0
        var exp2 = 0
        var format = QuantityFormat.decimalSI
        switch suffix {
        case "": break
        case "n": exp10 = -9
        case "u": exp10 = -6
        case "m": exp10 = -3
        case "k": exp10 = 3
        case "M": exp10 = 6
        case "G": exp10 = 9
        case "T": exp10 = 12
        case "P": exp10 = 15
        case "E": exp10 = 18
        case "Ki":
            exp2 = 10
            format = .binarySI
        case "Mi":
            exp2 = 20
            format = .binarySI
        case "Gi":
            exp2 = 30
            format = .binarySI
        case "Ti":
            exp2 = 40
            format = .binarySI
        case "Pi":
            exp2 = 50
            format = .binarySI
        case "Ei":
            exp2 = 60
            format = .binarySI
        default:
            let s = Array(suffix.utf8)
            guard s.first == UInt8(ascii: "e") || s.first == UInt8(ascii: "E") else {
                throw .unknownSuffix(suffix)
            }
            var j = 1
            var expNeg = false
            if j < s.count, s[j] == UInt8(ascii: "+") || s[j] == UInt8(ascii: "-") {
                expNeg = s[j] == UInt8(ascii: "-")
                j += 1
            }
            guard j < s.count, s[j...].allSatisfy(isDigit) else {
                // Ends in a digit-less exponent or junk: Go reports ErrFormatWrong too.
                if s[j...].allSatisfy(isDigit) { throw .malformed(text) }
                throw .unknownSuffix(suffix)
            }
            // Bounded so a hostile "1e999999999999" cannot overflow Int.
            var e = 0
            for c in s[j...] {
                e = e * 10 + Int(c - 0x30)
                if e > 1000 { throw .outOfRange(text) }
            }
            exp10 = expNeg ? -e : e
            format = .decimalExponent
        }

        // Strip zeros that carry no value so the digit count reflects real precision.
        var digits = intDigits + fracDigits
        exp10 -= fracDigits.count
        while let f = digits.first, f == 0x30, digits.count > 1 { digits.removeFirst() }
        while let l = digits.last, l == 0x30, digits.count > 1 {
            digits.removeLast()
            exp10 += 1
        }
        if digits == [0x30] {
            self.init(nanos: 0, format: format)
            return
        }
        // Mantissa beyond ~38 digits cannot fit; 39 digits may, checked by overflow below.
        if digits.count > 39 { throw .outOfRange(text) }
        var mant: Int128 = 0
        for c in digits {
            let (m1, o1) = mant.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(Int128(c - 0x30))
            if o1 || o2 { throw .outOfRange(text) }
            mant = m2
        }
        // Scale to nano-units: multiply by 2^exp2 and 10^(exp10+9), rounding a remainder up.
        let e = exp10 + 9
        var value = mant
        if exp2 > 0 {
            let (v, o) = value.multipliedReportingOverflow(by: Int128(1) << exp2)
            if o { throw .outOfRange(text) }
            value = v
        }
        if e >= 0 {
            if e > 38 { throw .outOfRange(text) }
            let (v, o) = value.multipliedReportingOverflow(by: Quantity.pow10(e))
            if o { throw .outOfRange(text) }
            value = v
        } else {
            if -e > 38 {
                value = 1  // far below 1n but not zero: rounds up to 1n
            } else {
                let d = Quantity.pow10(-e)
                let (q, r) = value.quotientAndRemainder(dividingBy: d)
                value = r == 0 ? q : q + 1
            }
        }
        self.init(nanos: negative ? -value : value, format: format)
    }

    /// Accepts what Go's Quantity.UnmarshalJSON accepts: a string, or a bare number whose literal
    /// text is read with the same grammar (so 1e3 keeps the exponent format).
    public init(json: JSON) throws(QuantityError) {
        switch json {
        case .string(let s): try self.init(parsing: s)
        case .number(let n): try self.init(parsing: n)
        default: throw .notAQuantity(json.typeName)
        }
    }

    package static func pow10(_ e: Int) -> Int128 {
        var r: Int128 = 1
        for _ in 0..<e { r *= 10 }
        return r
    }

    // MARK: Formatting

    /// Go's canonical form: "1500m", "1k", "1e3", "2Ki"; the format family is kept, except
    /// that a binary value that is not a whole multiple (or is below 1024) prints as decimal SI,
    /// as Go does so no precision is lost.
    public var canonical: String {
        if nanos == 0 { return "0" }
        var format = self.format
        if format == .binarySI {
            if (nanos > -1024 * Quantity.nanosPerUnit && nanos < 1024 * Quantity.nanosPerUnit) || !isInteger {
                format = .decimalSI
            }
        }
        let negative = nanos < 0
        let sign = negative ? "-" : ""
        // Int128.min has no positive counterpart; it is far outside any parsed value anyway.
        var mag = nanos.magnitude
        if format == .binarySI {
            mag /= UInt128(Quantity.nanosPerUnit)
            var exp = 0
            while exp < 6, mag % 1024 == 0 {
                mag /= 1024
                exp += 1
            }
            let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
            return sign + String(mag) + suffixes[exp]
        }
        var exp = -9
        while mag % 10 == 0 {
            mag /= 10
            exp += 1
        }
        // Go lowers the exponent to a multiple of three, growing the mantissa.
        let r = ((exp % 3) + 3) % 3
        for _ in 0..<r { mag *= 10 }
        exp -= r
        let number = sign + String(mag)
        if format == .decimalExponent {
            return exp == 0 ? number : number + "e" + String(exp)
        }
        switch exp {
        case -9: return number + "n"
        case -6: return number + "u"
        case -3: return number + "m"
        case 0: return number
        case 3: return number + "k"
        case 6: return number + "M"
        case 9: return number + "G"
        case 12: return number + "T"
        case 15: return number + "P"
        case 18: return number + "E"
        default: return number + "e" + String(exp)  // Go falls back to the exponent form too.
        }
    }

    /// Plain decimal text without a suffix ("0.6", "-12", "1500"); what a JSON number holds.
    public var decimalString: String { Quantity.decimalString(nanos: nanos) }

    package static func decimalString(nanos: Int128) -> String {
        let sign = nanos < 0 ? "-" : ""
        let mag = nanos.magnitude
        let unit = UInt128(Quantity.nanosPerUnit)
        let whole = mag / unit
        var frac = mag % unit
        if frac == 0 { return sign + String(whole) }
        var width = 9
        while frac % 10 == 0 {
            frac /= 10
            width -= 1
        }
        let f = String(frac)
        return sign + String(whole) + "." + String(repeating: "0", count: width - f.count) + f
    }
}
