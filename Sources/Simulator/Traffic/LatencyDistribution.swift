import Foundation

/// Response latency as a mixture of lognormal components, each weighted by its request count.
///
/// Why lognormal: service latencies are right-skewed with a long tail, and a lognormal gives
/// p50/p90/p99 ratios that look like real Linkerd histograms (p99 ≈ 2–4 × p50). Why a mixture:
/// a namespace or a window that straddles a weight change aggregates several workloads, and
/// histogram_quantile over the summed buckets is the quantile of the mixture, not the average
/// of the quantiles.
public struct LatencyDistribution: Sendable, Equatable {
    public struct Component: Sendable, Equatable {
        /// Request count (or any non-negative weight) behind this component.
        public var weight: Double
        public var medianMs: Double
        /// Standard deviation of ln(latency).
        public var sigma: Double

        public init(weight: Double, medianMs: Double, sigma: Double) {
            self.weight = weight
            self.medianMs = medianMs
            self.sigma = sigma
        }
    }

    public private(set) var components: [Component]

    public init(components: [Component] = []) {
        self.components = []
        for c in components { add(c) }
    }

    public init(medianMs: Double, sigma: Double, weight: Double = 1) {
        self.init(components: [Component(weight: weight, medianMs: medianMs, sigma: sigma)])
    }

    public var isEmpty: Bool { totalWeight <= 0 }
    public var totalWeight: Double { components.reduce(0) { $0 + $1.weight } }

    /// Adds a component, folding it into an identical one so integrating over many time
    /// segments does not grow the mixture.
    public mutating func add(_ c: Component) {
        guard c.weight > 0 else { return }
        if let i = components.firstIndex(where: { $0.medianMs == c.medianMs && $0.sigma == c.sigma }) {
            components[i].weight += c.weight
        } else {
            components.append(c)
        }
    }

    public mutating func merge(_ other: LatencyDistribution) {
        for c in other.components { add(c) }
    }

    /// Same shape with every component's weight multiplied (e.g. a pod's share of its workload).
    public func scaled(by factor: Double) -> LatencyDistribution {
        var d = self
        for i in d.components.indices { d.components[i].weight *= factor }
        return d
    }

    /// Every median multiplied by `factor`; used for time-varying jitter.
    public func stretched(by factor: Double) -> LatencyDistribution {
        var d = self
        for i in d.components.indices { d.components[i].medianMs *= factor }
        return d
    }

    /// The q-quantile in milliseconds, or nil without samples (where Prometheus returns NaN).
    public func quantile(_ q: Double) -> Double? {
        let total = totalWeight
        guard total > 0, q > 0, q < 1 else { return nil }
        if components.count == 1 {
            let c = components[0]
            return c.medianMs * exp(c.sigma * LatencyDistribution.normalQuantile(q))
        }
        // Bisection on the mixture CDF in log space; 60 halvings is far below a microsecond.
        var lo = Double.greatestFiniteMagnitude
        var hi = 0.0
        for c in components where c.weight > 0 {
            lo = min(lo, log(c.medianMs) - 6 * c.sigma)
            hi = max(hi, log(c.medianMs) + 6 * c.sigma)
        }
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            var cdf = 0.0
            for c in components where c.weight > 0 {
                let z = c.sigma > 0 ? (mid - log(c.medianMs)) / c.sigma : (mid >= log(c.medianMs) ? 50 : -50)
                cdf += c.weight * 0.5 * erfc(-z / 2.0.squareRoot())
            }
            if cdf / total < q { lo = mid } else { hi = mid }
        }
        return exp((lo + hi) / 2)
    }

    /// The fraction of requests at or below `ms` (0 without samples): what a histogram
    /// bucket with that bound holds, as a share of the count.
    public func cdf(_ ms: Double) -> Double {
        let total = totalWeight
        guard total > 0, !ms.isNaN else { return 0 }
        guard ms > 0 else { return 0 }
        guard ms.isFinite else { return 1 }
        var sum = 0.0
        for c in components where c.weight > 0 {
            let z = c.sigma > 0 ? (log(ms) - log(c.medianMs)) / c.sigma : (ms >= c.medianMs ? 50 : -50)
            sum += c.weight * 0.5 * erfc(-z / 2.0.squareRoot())
        }
        return min(1, max(0, sum / total))
    }

    /// The mean latency in ms (a lognormal's mean is its median times e^(σ²/2)); nil-free: 0
    /// without samples.
    public var mean: Double {
        let total = totalWeight
        guard total > 0 else { return 0 }
        return components.reduce(0) { $0 + $1.weight * $1.medianMs * exp($1.sigma * $1.sigma / 2) } / total
    }

    public var p50: Double? { quantile(0.5) }
    public var p90: Double? { quantile(0.9) }
    public var p99: Double? { quantile(0.99) }

    /// Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
    static func normalQuantile(_ p: Double) -> Double {
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [
            7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00,
        ]
        let plow = 0.02425
        if p < plow {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - plow {
            let q = (-2 * log(1 - p)).squareRoot()
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
