import KubeCore
import PropertyBased
import Testing

@testable import SMI

/// Units at and around the weight bound, mixed with uniform draws.
private let maxUnits = Weight.maximumUnits
private let boundaryUnits: [Int128] = [0, 1, 2, 50, 100, maxUnits, maxUnits - 1, maxUnits / 2, maxUnits / 1000]

/// A weight in units: a bound or a uniform value inside [0, maximumUnits].
private func weightUnits() -> Generator<Int128, AnySequence<Any>> {
    mixing(boundaryUnits, Gen.int128(in: 0...maxUnits).eraseToAny(), Gen.int128(in: 0...1000).eraseToAny())
}

/// A generator that draws a listed bound a third of the time, else from `a` or `b`.
func mixing(
    _ bounds: [Int128], _ a: Generator<Int128, AnySequence<Any>>, _ b: Generator<Int128, AnySequence<Any>>
) -> Generator<Int128, AnySequence<Any>> {
    zip(Gen.int(in: 0...(3 * bounds.count - 1)).eraseToAny(), a, b).map { i, x, y in
        i < bounds.count ? bounds[i] : (i % 2 == 0 ? x : y)
    }.eraseToAny()
}

/// A valid split: 1 to 60 backends, in the quantity (v1alpha1) or integer (v1alpha4) notation.
private func validSplit() -> Generator<TrafficSplit, AnySequence<Any>> {
    zip(weightUnits().array(of: 1...60).eraseToAny(), Gen.bool().eraseToAny()).map { units, quantity in
        let backends = units.enumerated().map { i, u in
            Backend(
                service: "b\(i)",
                weight: quantity ? Weight(quantity: Quantity(nanos: u * Quantity.nanosPerUnit)) : Weight(integer: Int64(u)))
        }
        return TrafficSplit(name: "s", namespace: "n", version: quantity ? .v1alpha1 : .v1alpha4, service: "root", backends: backends)
    }.eraseToAny()
}

/// Points or percents as any Fraction: ordinary, at ±100, and with parts at the ends of Int128.
private func points() -> Generator<Fraction, AnySequence<Any>> {
    let part = mixing(
        [Int128.max, Int128.min, Int128.max - 1, 0, 1, -1, 3, 100, -100, 101, Int128(Int64.max)], Gen.int128().eraseToAny(),
        Gen.int128(in: -200...200).eraseToAny())
    return zip(part, part).map { Fraction($0, $1) }.eraseToAny()
}

@Suite("weight properties")
struct WeightProperties {
    /// Beyond Weight.maximumUnits (either sign, as a JSON number or string, plain or with a
    /// suffix) a weight is refused with a problem; inside it is read exactly.
    @Test func weightsBeyondTheBoundAreRefused() async {
        let beyond = mixing(
            [maxUnits + 1, maxUnits + 2, Int128(Int64.max), Int128.max / Quantity.nanosPerUnit, Int128.max],
            Gen.int128(in: (maxUnits + 1)...(Int128.max / Quantity.nanosPerUnit)).eraseToAny(),
            Gen.int128(in: (maxUnits + 1)...(maxUnits * 1000)).eraseToAny())
        await propertyCheck(count: 2000, input: beyond, Gen.bool(), Gen.bool()) { u, negative, asString in
            let text = (negative ? "-" : "") + String(u)
            let json: JSON = asString ? .string(text) : .number(text)
            #expect(throws: QuantityError.self, "\(text) was accepted") { try Weight(json: json) }
            // The same value with a suffix is the same weight.
            if u % 1000 == 0 {
                #expect(throws: QuantityError.self) { try Weight(json: .string((negative ? "-" : "") + String(u / 1000) + "k")) }
            }
        }
        await propertyCheck(count: 2000, input: weightUnits(), Gen.bool()) { u, negative in
            let text = (negative ? "-" : "") + String(u)
            let w = try Weight(json: .number(text))
            #expect(w.value.nanos == (negative ? -u : u) * Quantity.nanosPerUnit)
        }
    }

    /// For any valid split with a positive total, the shares add up to exactly 1, and every
    /// share prints as a percentage.
    @Test func sharesSumToExactlyOne() async {
        await propertyCheck(count: 1000, input: validSplit()) { split in
            let a = split.analysis
            if a.total.isZero {
                #expect(a.allZero && a.shares.allSatisfy { $0 == nil })
                return
            }
            #expect(Fraction.exactSum(a.shares.map { $0 ?? 0 }) == 1)
            for s in a.shares { #expect(s?.percentText().hasSuffix("%") == true) }
        }
    }

    /// Every edit, with any points Fraction, keeps the total it works on (a zero total becomes
    /// 100 units), writes no negative weight and nothing beyond the bound, and never traps;
    /// the only refusal is `outOfRange`.
    @Test func editsPreserveTheTotalAndNeverTrap() async {
        await propertyCheck(count: 1000, input: validSplit(), points(), Gen.int(in: 0...59)) { split, p, i in
            let index = i % split.backends.count
            let unit = split.editUnitNanos
            let units = split.backends.reduce(Int128(0)) { $0 + max(0, Fraction.roundDiv($1.weight.value.nanos, unit)) }
            let expected = (units == 0 ? 100 : units) * unit
            let edits: [(String, Result<TrafficSplit, WeightEditError>)] = [
                ("shifting", Result { () throws(WeightEditError) in try split.shifting(points: p, to: index) }),
                ("settingShare", Result { () throws(WeightEditError) in try split.settingShare(p, of: index) }),
                ("evenSplit", Result { () throws(WeightEditError) in try split.evenSplit() }),
                ("promoting", Result { () throws(WeightEditError) in try split.promoting(index) }),
            ]
            for (name, r) in edits {
                switch r {
                case .failure(let e):
                    #expect(e == .outOfRange, "\(name): \(e)")
                case .success(let edited):
                    let total = edited.backends.reduce(Int128(0)) { $0 + $1.weight.value.nanos }
                    #expect(total == expected, "\(name)(\(p)) on \(split.backends.map(\.weight.description))")
                    #expect(!edited.backends.contains { $0.weight.value.isNegative }, "\(name)")
                    #expect(
                        edited.backends.allSatisfy { $0.weight.value.nanos <= Weight.maximumNanos },
                        "\(name)(\(p)) wrote a weight beyond the bound: \(edited.backends.map(\.weight.description))")
                    if let s = Fraction.exactSum(edited.analysis.shares.map { $0 ?? 0 }) { #expect(s == 1) }
                }
            }
        }
    }

    /// settingShare lands within one edit unit of the asked share, for any percent in [0, 100].
    @Test func settingShareHitsTheTarget() async {
        await propertyCheck(count: 500, input: validSplit(), Gen.int(in: 0...100), Gen.int(in: 0...59)) { split, percent, i in
            guard split.backends.count > 1 else { return }
            let index = i % split.backends.count
            guard let edited = try? split.settingShare(Fraction(Int128(percent)), of: index) else { return }
            let total = edited.analysis.total.nanos
            let got = edited.backends[index].weight.value.nanos
            let want = Fraction(Int128(percent), 100).scaling(total) ?? 0
            #expect((got - want).magnitude <= UInt128(split.editUnitNanos), "\(percent)% of \(total): \(got)")
        }
    }
}
