/// Go's `time.Duration` text format, which the metrics API uses both for the `t=` query
/// parameter (parsed with `time.ParseDuration`) and the `window` field (`Duration.String()`).
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
        let total = Int64((seconds * 1e9).rounded())
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

/// Metric values as smi-metrics writes them: `resource.NewMilliQuantity(int64(v*1000),
/// DecimalSI).String()`, i.e. truncated to milli-units and printed canonically.
public enum MetricQuantity {
    public static func format(_ value: Double) -> String {
        // Go's float→int64 conversion of NaN/±Inf yields the minimum int64 on amd64, which is
        // how smi-metrics ends up printing negative latencies for empty histograms.
        let milli: Int64 = value.isFinite && abs(value * 1000) < 9.2e18 ? Int64(value * 1000) : Int64.min
        return formatMilli(milli)
    }

    public static func formatMilli(_ milli: Int64) -> String {
        if milli == 0 { return "0" }
        let negative = milli < 0
        var m = milli.magnitude
        let sign = negative ? "-" : ""
        if m % 1000 != 0 { return "\(sign)\(m)m" }
        m /= 1000
        let suffixes = ["", "k", "M", "G", "T", "P", "E"]
        var i = 0
        while i < suffixes.count - 1, m % 1000 == 0 {
            m /= 1000
            i += 1
        }
        return "\(sign)\(m)\(suffixes[i])"
    }
}

/// RFC 3339 with second precision in UTC, as `metav1.Time` marshals.
public enum RFC3339 {
    public static func format(_ epochSeconds: Double) -> String {
        let secs = Int64(epochSeconds.rounded(.down))
        var days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let rem = secs - days * 86400
        // Howard Hinnant's civil_from_days.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        return "\(String(repeating: "0", count: max(0, 4 - year.count)))\(year)-\(two(m))-\(two(d))T"
            + "\(two(rem / 3600)):\(two(rem / 60 % 60)):\(two(rem % 60))Z"
    }
}
