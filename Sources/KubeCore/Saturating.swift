// Conversions from numbers a cluster, a kubeconfig or a user supplies into integers and
// durations. Swift's `Int(Double)` and `Int64(x * 1000)` trap on NaN, infinities and values
// beyond the type, and such numbers arrive from outside (Retry-After, retryAfterSeconds,
// timeouts, poll intervals): every such conversion goes through here and saturates.

extension Int64 {
    /// `value` rounded toward zero and clamped to Int64's range; NaN is 0.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}

extension Int {
    /// `value` rounded toward zero and clamped to Int's range; NaN is 0.
    public init(saturating value: Double) {
        self = Int(truncatingIfNeeded: Int64(saturating: value))
    }
}

extension Duration {
    /// A sleep of `seconds`, never negative, at most `cap` (a day unless said otherwise); NaN
    /// is no wait at all. The cap keeps a hostile number from freezing a loop for years.
    public static func seconds(saturating seconds: Double, cap: Double = 86_400) -> Duration {
        guard !seconds.isNaN, seconds > 0 else { return .zero }
        let s = min(seconds, cap)
        return .milliseconds(Int64(saturating: (s * 1000).rounded(.up)))
    }
}
