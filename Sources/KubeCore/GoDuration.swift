// Go's `time.Duration` text format: the SMI metrics API's `t=` parameter (`time.ParseDuration`)
// and `window` field (`Duration.String()`), smitop's metricsWindow setting, and (later)
// Prometheus range windows. One parser for all of them, summing in nanoseconds as Go does, so
// "100us" is exactly 0.0001 s and totals beyond int64 nanoseconds are refused as in Go.

/// Go's `time.Duration` text format.
public enum GoDuration {
    /// Parses like `time.ParseDuration`: an optional sign, then one or more decimal numbers
    /// each with a unit (ns, us, µs, μs, ms, s, m, h), e.g. "1m30s", "1.5h", "-500ms". A bare
    /// "0" is allowed. Returns seconds, or nil where Go returns an error.
    public static func parse(_ text: String) -> Double? {
        var s = Substring(text)
        var negative = false
        if let c = s.first, c == "-" || c == "+" {
            negative = c == "-"
            s = s.dropFirst()
        }
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        var nanos: Double = 0
        while !s.isEmpty {
            let digits = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, digits != ".", digits.filter({ $0 == "." }).count <= 1,
                let value = Double(digits.hasPrefix(".") ? "0" + digits : String(digits))
            else { return nil }
            s = s.dropFirst(digits.count)
            let unitText = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            s = s.dropFirst(unitText.count)
            let unit: Double
            switch unitText {
            case "ns": unit = 1
            case "us", "µs", "μs": unit = 1e3
            case "ms": unit = 1e6
            case "s": unit = 1e9
            case "m": unit = 60e9
            case "h": unit = 3600e9
            default: return nil
            }
            nanos += value * unit
            // Go rejects anything beyond int64 nanoseconds (~292 years).
            if nanos > 9.223372036854775807e18 { return nil }
        }
        return (negative ? -nanos : nanos) / 1e9
    }

    /// Formats seconds like Go's `Duration.String()`: "30s", "1m0s", "1h0m0s", "1m30s",
    /// "500ms", "1.5s", "0s".
    public static func format(_ seconds: Double) -> String {
        let total = Int64(saturating: (seconds * 1e9).rounded())
        if total == 0 { return "0s" }
        let negative = total < 0
        let u = total.magnitude
        var out: String
        if u < 1_000_000_000 {
            // Sub-second: the largest unit that keeps an integer part.
            if u < 1_000 {
                out = "\(u)ns"
            } else if u < 1_000_000 {
                out = fraction(u, 1_000) + "µs"
            } else {
                out = fraction(u, 1_000_000) + "ms"
            }
        } else {
            let h = u / 3_600_000_000_000
            let m = (u / 60_000_000_000) % 60
            let sec = fraction(u % 60_000_000_000, 1_000_000_000) + "s"
            if h > 0 {
                out = "\(h)h\(m)m" + sec
            } else if m > 0 {
                out = "\(m)m" + sec
            } else {
                out = sec
            }
        }
        if negative { out = "-" + out }
        return out
    }

    /// `value / unit` as a decimal with trailing zeros removed ("1.5", "30").
    private static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        var frac = value % unit
        guard frac > 0 else { return "\(whole)" }
        var width = String(unit).count - 1
        while frac % 10 == 0 {
            frac /= 10
            width -= 1
        }
        let digits = String(frac)
        return "\(whole)." + String(repeating: "0", count: width - digits.count) + digits
    }
}
