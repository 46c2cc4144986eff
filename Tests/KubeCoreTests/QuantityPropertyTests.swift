import PropertyBased
import Testing

@testable import KubeCore

/// Values at the ends of Int128 and of the nano-unit grid, mixed with uniform ones: uniform
/// draws alone almost never land on a bound.
let boundaryNanos: [Int128] = [
    0, 1, -1, 999_999_999, 1_000_000_000, -1_000_000_000, Int128(Int64.max), Int128(Int64.min), Int128(Int64.max) + 1,
    Int128.max, Int128.max - 1, -Int128.max, Int128.max / 1000 * 1000, 170_141_183_460_469_231_731_000_000_000_000_000_000,
    Int128(1) << 100, -(Int128(1) << 100), 1024 * 1_000_000_000, 1_048_576 * 1_000_000_000,
]

/// A listed value a third of the time, else a draw from `a` or `b`.
func mixing<T: Sendable>(_ listed: [T], _ a: Generator<T, AnySequence<Any>>, _ b: Generator<T, AnySequence<Any>>) -> Generator<T, AnySequence<Any>> {
    zip(Gen.int(in: 0...(3 * listed.count - 1)).eraseToAny(), a, b).map { i, x, y in
        i < listed.count ? listed[i] : (i % 2 == 0 ? x : y)
    }.eraseToAny()
}

/// One of `items`, uniformly.
func pick<T: Sendable>(_ items: [T]) -> Generator<T, AnySequence<Any>> {
    Gen.int(in: 0...(items.count - 1)).map { items[$0] }.eraseToAny()
}

/// Quantity text built from the grammar's parts (sign, digits, fraction, every suffix and
/// exponents up to and beyond the parser's bound), so that many draws parse.
func quantityText() -> Generator<String, AnySequence<Any>> {
    let suffixes =
        ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        + ["e0", "e3", "e-3", "e18", "e29", "e38", "e39", "e-38", "e-39", "e1000", "e1001", "E-9223372036854775808"]
    let numbers = mixing(
        ["0", "1", "9223372036854775807", "9223372036854775808", "170141183460469231731687303715884105727", "1.5", ".5", "5."],
        Gen.uint64().map { String($0) }.eraseToAny(),
        zip(Gen.uint32(), Gen.uint32()).map { "\($0).\($1)" }.eraseToAny())
    return zip(pick(["", "+", "-"]), numbers, pick(suffixes)).map { $0 + $1 + $2 }.eraseToAny()
}

@Suite("quantity properties")
struct QuantityProperties {
    /// canonical is Go's form; reading it back gives the same value, for every value the type
    /// can hold (±Int128.max nano-units) in every format family.
    @Test func canonicalReparsesToTheSameValue() async {
        let nanos = mixing(boundaryNanos, Gen.int128(in: -Int128.max...Int128.max).eraseToAny(), Gen.int64().map { Int128($0) }.eraseToAny())
        let formats = pick([QuantityFormat.decimalSI, .binarySI, .decimalExponent])
        await propertyCheck(count: 2000, input: nanos, formats) { n, f in
            let q = Quantity(nanos: n, format: f)
            let again = try Quantity(parsing: q.canonical)
            #expect(again == q, "\(n) \(f): \(q.canonical) read back as \(again.nanos)")
            #expect(try Quantity(parsing: q.decimalString) == q, "\(q.decimalString)")
        }
    }

    /// parse → canonical → parse is the identity on whatever parses; text beyond the bounds is
    /// refused with an error, never a trap.
    @Test func parsedTextRoundTrips() async {
        await propertyCheck(count: 3000, input: quantityText()) { text in
            guard let q = try? Quantity(parsing: text) else { return }
            let again = try Quantity(parsing: q.canonical)
            #expect(again == q, "\(text) → \(q.canonical) → \(again.nanos)")
            #expect(again.canonical == q.canonical || again.format != q.format)
        }
    }

    /// Fraction comparison is exact (full width) and antisymmetric for any parts, at the ends
    /// of Int128 too.
    @Test func fractionOrderIsTotal() async {
        // Found by this test in a full run: Int128.min / -Int128.max saturated to max/max.
        #expect(Fraction(Int128.min, -Int128.max) == Fraction(1))
        // And its mirror (found by seed lwLQ4GkX4yzYKO1KTC1uK5cyYYllE236ZcpuxoiWK0I=): a
        // denominator of Int128.min saturated alone, to max/max.
        let mirror = Fraction(-Int128.max, Int128.min)
        #expect(mirror == Fraction(1) && !(mirror < Fraction(1)) && !(Fraction(1) < mirror), "\(mirror)")
        #expect(Fraction(1, Int128.min) == Fraction(-1, Int128.max))
        let part = mixing(boundaryNanos + [Int128.min], Gen.int128().eraseToAny(), Gen.int128(in: -1000...1000).eraseToAny())
        await propertyCheck(count: 2000, input: part, part, part, part) { a, b, c, d in
            let x = Fraction(a, b)
            let y = Fraction(c, d)
            #expect(x.denominator > 0)
            #expect([x < y, y < x, x == y].filter { $0 }.count == 1, "\(x) vs \(y)")
            _ = x.percentText(decimals: Int(truncatingIfNeeded: a & 7))
            _ = x.scaling(c)
        }
    }

    /// The gcd of two one-word values (taken with the machine's division) is the gcd the
    /// 128-bit steps give, and it divides both; at the ends of UInt64 and across its bound.
    @Test func oneWordGCDIsTheWideOne() async {
        func wide(_ a: UInt128, _ b: UInt128) -> UInt128 {
            var (a, b) = (a, b)
            while b != 0 { (a, b) = (b, a % b) }
            return a == 0 ? 1 : a
        }
        let listed: [UInt128] = [
            0, 1, 2, 6, 1_000_000_000, 90_000_000_000, UInt128(UInt64.max), UInt128(UInt64.max) - 1, UInt128(UInt64.max) + 1, UInt128(1) << 100,
        ]
        for a in listed {
            for b in listed { #expect(Fraction.gcd(a, b) == wide(a, b), "\(a) \(b)") }
        }
        let part = mixing(
            listed.map { Int128(truncatingIfNeeded: $0) }, Gen.int128(in: 0...Int128(Int64.max)).eraseToAny(),
            Gen.int128(in: 0...1_000_000_000_000).eraseToAny())
        await propertyCheck(count: 2000, input: part, part) { a, b in
            let (x, y) = (a.magnitude, b.magnitude)
            let g = Fraction.gcd(x, y)
            #expect(g == wide(x, y), "\(x) \(y)")
            #expect(x % g == 0 && y % g == 0)
        }
    }
}
