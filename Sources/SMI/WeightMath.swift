import KubeCore

// Exact weight arithmetic. Shares are fractions of integers and edits are integer
// apportionment (largest remainder), so no floating-point drift can ever make weights stop
// summing to what they summed to, or turn 1/3 + 1/3 + 1/3 into 0.999….

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

extension SplitAnalysis {
    /// The analysis of any list of weights: `integerOnly` flags fractional weights (SMI
    /// v1alpha2+, where Go clients cannot decode them); `root` is the service clients address.
    public static func of(weights: [Weight], services: [String], root: String, integerOnly: Bool) -> SplitAnalysis {
        let values = weights.map(\.value.nanos)
        let total = total(values)
        var seen: Set<String> = []
        var dups: [String] = []
        for s in services where !seen.insert(s).inserted && !dups.contains(s) { dups.append(s) }
        return SplitAnalysis(
            total: Quantity(nanos: total),
            shares: shares(values, total: total),
            allZero: total == 0 && values.allSatisfy { $0 == 0 },
            negativeIndices: values.indices.filter { values[$0] < 0 },
            nonIntegerIndices: integerOnly ? values.indices.filter { values[$0] % Quantity.nanosPerUnit != 0 } : [],
            duplicateServices: dups,
            rootIsBackend: services.contains(root))
    }

    /// Σ of the non-negative values. Decoded weights are bounded (Weight.maximumUnits), but a
    /// split built in code is not: the sum saturates rather than trap.
    static func total(_ values: [Int128]) -> Int128 {
        values.reduce(Int128(0)) { acc, v in
            let (t, o) = acc.addingReportingOverflow(max(v, 0))
            return o ? Int128.max : t
        }
    }

    static func shares(_ values: [Int128], total: Int128) -> [Fraction?] {
        values.map { total > 0 ? Fraction(max($0, 0), total) : nil }
    }

    /// `of(…).shares` alone, for weights in nano-units: what the graph labels its edges with,
    /// without the names and checks the rest of the analysis formats and hashes.
    public static func shares(ofNanos values: [Int128]) -> [Fraction?] { shares(values, total: total(values)) }
}

extension TrafficSplit {
    public var analysis: SplitAnalysis {
        SplitAnalysis.of(
            weights: backends.map(\.weight), services: backends.map(\.service), root: service, integerOnly: version >= .v1alpha2)
    }

    /// The granularity edits work in, in nano-units. Integer-typed splits (v1alpha2+ written
    /// as numbers or numeric strings) edit in whole units so they stay integers; quantity
    /// weights edit in thousandths ("500m"), finer only if the split already uses finer values,
    /// so a split written in milli-units stays in milli-units.
    public var editUnitNanos: Int128 {
        let integerTyped =
            version >= .v1alpha2
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

    /// How edits treat this split's weights: its unit, the bound every weight stays under,
    /// and a total that is kept (tools that write splits read the sum as 100).
    public var weightPolicy: WeightPolicy {
        WeightPolicy(unitNanos: editUnitNanos, maximumNanos: Weight.maximumNanos, mayRescale: false)
    }

    /// Moves `points` percentage points of share to backend `index`, taken from the others in
    /// proportion to their weights (negative `points` gives share away, in proportion too).
    public func shifting(points: Fraction, to index: Int) throws(WeightEditError) -> TrafficSplit {
        with(weights: try WeightEdits.shifting(backends.map(\.weight), policy: weightPolicy, points: points, to: index))
    }

    /// Gives backend `index` exactly `percent`% of traffic (to within one unit), the rest keeps
    /// the others' proportions.
    public func settingShare(_ percent: Fraction, of index: Int) throws(WeightEditError) -> TrafficSplit {
        with(weights: try WeightEdits.settingShare(backends.map(\.weight), policy: weightPolicy, percent: percent, of: index))
    }

    /// Equal shares; the remainder units go to the first backends, so order decides ties.
    public func evenSplit() throws(WeightEditError) -> TrafficSplit {
        with(weights: try WeightEdits.evenSplit(backends.map(\.weight), policy: weightPolicy))
    }

    /// 100 % to backend `index`, 0 to every other.
    public func promoting(_ index: Int) throws(WeightEditError) -> TrafficSplit {
        with(weights: try WeightEdits.promoting(backends.map(\.weight), policy: weightPolicy, index))
    }
}
