import KubeCore

/// Number formatting for metrics; fixed decimals without Foundation's locale-dependent formats.
enum Fmt {
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let n = (abs(v) * scale).rounded()
        guard n < 1e15 else { return v < 0 ? "-∞" : "∞" }
        let i = Int64(n)
        let whole = i / Int64(scale)
        var s = (v < 0 && i != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let frac = String(i % Int64(scale))
            s += "." + String(repeating: "0", count: decimals - frac.count) + frac
        }
        return s
    }

    static func rps(_ v: Double?) -> String {
        guard let v else { return "–" }
        return v >= 100 ? fixed(v, 0) + "rps" : fixed(v, 1) + "rps"
    }

    /// "99.5%"; exactly "100%" without the decimal, the common case, so metric lines fit boxes.
    static func percent(_ v: Double?) -> String {
        guard let v else { return "–" }
        let s = fixed(v * 100, 1)
        return (s == "100.0" ? "100" : s) + "%"
    }

    static func latency(_ v: Double?, unit: String? = "ms") -> String {
        guard let v else { return "–" }
        return fixed(v, v >= 100 ? 0 : 1) + (unit ?? "")
    }

    static func age(_ s: Double) -> String {
        let v = max(0, Int(saturating: s))
        if v < 60 { return "\(v)s" }
        if v < 3600 { return "\(v / 60)m\(v % 60)s" }
        return "\(v / 3600)h\((v % 3600) / 60)m"
    }
}
