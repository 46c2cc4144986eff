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
