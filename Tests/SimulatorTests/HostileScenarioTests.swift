import APIServer
import Foundation
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// The hostile scenario's objects: what a real API server would accept, and what they hold.
@Suite("hostile scenario objects")
struct HostileScenarioTests {
    static let now = 1_718_000_000.0

    func hostile(_ profile: SimProfile, seed: UInt64 = 7) throws -> Scenario {
        try Scenario.make(name: "hostile", seed: seed, profile: profile, services: 0, splits: 0, now: Self.now)
    }

    func splits(_ s: Scenario, namespace: String = Hostile.namespace) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for o in s.objects where o["kind"]?.stringValue == "TrafficSplit" && o[path: "metadata", "namespace"]?.stringValue == namespace {
            out[o[path: "metadata", "name"]?.stringValue ?? ""] = o
        }
        return out
    }

    /// Each object passes what the API server checks on a create (metadata rules with the
    /// kind's name rule, the CRD schema of the storage version with strict field validation)
    /// and nothing in it would be pruned: the store holds what a real cluster would hold.
    @Test("every object is accepted unchanged by the real CRD schemas and metadata rules", arguments: SimProfile.allCases)
    func acceptedByValidation(profile: SimProfile) throws {
        let s = try hostile(profile)
        let registry = try TypeRegistry.make(profile: profile)
        var checked = 0
        for o in s.objects {
            let kind = o["kind"]?.stringValue ?? ""
            let parts = (o["apiVersion"]?.stringValue ?? "").split(separator: "/").map(String.init)
            let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "")
            guard let t = registry.types.first(where: { $0.group == group && $0.kind == kind }) else {
                Issue.record("no type for \(group)/\(kind)")
                continue
            }
            let rule: NameRule = kind == "Namespace" ? .dns1123Label : kind == "Service" ? .dns1035Label : .dns1123Subdomain
            let name = o[path: "metadata", "name"]?.stringValue ?? ""
            let metaErrors = validateObjectMeta(o["metadata"], namespaced: t.namespaced, nameRule: rule)
            #expect(metaErrors.isEmpty, "\(kind) \(name.prefix(40)): \(metaErrors.map(\.cause))")
            if t.isCustom {
                let schema = try #require(t.schemas[version], "\(kind) \(version) is not served in \(profile)")
                let r = validate(o, schema: schema, fieldValidation: .strict)
                #expect(r.isValid, "\(kind) \(name.prefix(40)) in \(profile): \(r.causes) \(r.unknownFields)")
                #expect(r.pruned == o, "\(kind) \(name.prefix(40)): the server would prune \(r.unknownFields)")
            }
            checked += 1
        }
        #expect(checked == s.objects.count)
    }

    @Test("deterministic for a seed; another seed changes the seeded parts")
    func deterministic() throws {
        let a = try hostile(.all, seed: 3)
        let b = try hostile(.all, seed: 3)
        #expect(a.objects == b.objects)
        let c = try hostile(.all, seed: 4)
        #expect(splits(a)["thousand-backends"] != splits(c)["thousand-backends"])
        #expect(splits(a)["huge-annotation"] != splits(c)["huge-annotation"])
    }

    @Test("weights at and beyond every bound, in the notation each profile's schema accepts", arguments: SimProfile.smiProfiles)
    func weightsAtTheBounds(profile: SimProfile) throws {
        let all = splits(try hostile(profile))
        func weights(_ name: String) -> [JSON] { (all[name]?[path: "spec", "backends"]?.arrayValue ?? []).compactMap { $0["weight"] } }
        let strings = profile.splitWeightsIntOrString
        #expect(weights("huge-weights") == (strings ? [.string("1e29"), .string("1e29")] : [.number("1e+29"), .number("1e+29")]))
        let bound = strings ? JSON.string("9223372036854775") : .number("9223372036854775")
        #expect(weights("at-bound") == [bound, bound])
        #expect(weights("beyond-bound").first == (strings ? .string("9223372036854776") : .number("9223372036854776")))
        #expect(weights("negative-weight").first == (strings ? .string("-5") : .number("-5")))
        #expect(weights("zero-weights").count == 2)
        // "NaN" and "Infinity" exist only as strings; a number schema refuses them.
        #expect((all["nan-weight"] != nil) == strings)
        #expect((all["infinite-weight"] != nil) == strings)
        #expect(weights("thousand-backends").count == 1000)
        #expect(all["self-root"]?[path: "spec", "service"] == all["self-root"]?[path: "spec", "backends"]?[0]?["service"])
        // What smitop makes of them: refused at decode with the problem, or decoded and
        // analysed without a trap.
        for name in ["huge-weights", "beyond-bound", "int128-overflow", "float-max"] {
            #expect(throws: SMIDecodeError.self, "\(name) must be refused") { try TrafficSplit(json: all[name]!) }
        }
        let atBound = try TrafficSplit(json: all["at-bound"]!)
        #expect(atBound.analysis.shares == [Fraction(1, 2), Fraction(1, 2)])
        #expect(try TrafficSplit(json: all["zero-weights"]!).analysis.allZero)
        #expect(try TrafficSplit(json: all["negative-weight"]!).analysis.negativeIndices == [0])
        #expect(try TrafficSplit(json: all["self-root"]!).analysis.rootIsBackend)
        let thousand = try TrafficSplit(json: all["thousand-backends"]!)
        #expect(exactSum(thousand.analysis.shares.compactMap { $0 }) == 1)
    }

    @Test("names, labels, escapes, nesting and sizes at their limits")
    func stringsAndSizes() throws {
        let s = try hostile(.sdk)
        let long = try #require(splits(s, namespace: Hostile.longNamespace)[Hostile.longSplitName])
        #expect(Hostile.longNamespace.utf8.count == 63 && Hostile.longSplitName.utf8.count == 253)
        let labels = long[path: "metadata", "labels"]?.objectValue
        #expect(labels?[Hostile.longLabelKey]?.stringValue?.utf8.count == 63)
        #expect(Hostile.longLabelKey.utf8.count == 253 + 1 + 63)
        let all = splits(s)
        let escapes = try #require(all["terminal-escapes"])
        let names = (escapes[path: "spec", "backends"]?.arrayValue ?? []).compactMap { $0["service"]?.stringValue }
        for needle in ["\u{1B}[2J", "\u{1B}]0;pwned\u{07}", "\u{202E}", "\u{200D}", "\u{9B}", "\u{7F}", "\u{0}"] {
            #expect(names.contains { $0.contains(needle) }, "no backend name holds \(needle.debugDescription)")
            #expect(escapes[path: "metadata", "annotations"]?.objectValue?.entries.contains { $0.value.stringValue?.contains(needle) == true } == true)
        }
        #expect(escapes[path: "spec", "service"]?.stringValue?.contains("\u{1B}[31m") == true)
        let huge = try #require(all["huge-annotation"]?[path: "metadata", "annotations", "hostile.smitop.dev/huge"]?.stringValue)
        #expect(huge.utf8.count >= 200_000 && huge.utf8.count < 256 * 1024)
        let deep = try #require(all["deep-nesting"]?[path: "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]?.stringValue)
        #expect(deep.hasPrefix(String(repeating: #"{"x":"#, count: 10_000) + "1}"))
        // Its field set nests past the 512 levels smitop's parser once stopped at.
        var fields = try #require(all["deep-nesting"]?[path: "metadata", "managedFields"]?[0]?["fieldsV1"])
        var levels = 0
        while let inner = fields.objectValue?.entries.first?.value {
            fields = inner
            levels += 1
        }
        #expect(levels == Hostile.deepLevels + 1 && levels > 1000)
        // The namespace and its services carry the escapes in their annotations too.
        let ns = s.objects.first { $0["kind"]?.stringValue == "Namespace" && $0[path: "metadata", "name"]?.stringValue == Hostile.namespace }
        #expect(ns?[path: "metadata", "annotations", "hostile.smitop.dev/clear"]?.stringValue == "\u{1B}[2J")
        // The healthy mesh beside it is intact.
        #expect(all["web"]?[path: "spec", "backends"]?.arrayValue?.count == 2)
        #expect(s.objects.contains { $0["kind"]?.stringValue == "TrafficSplit" && $0[path: "metadata", "name"]?.stringValue == "books" })
    }

    @Test("the simulator starts with it in every profile")
    func simulatorLoadsIt() throws {
        for profile in SimProfile.smiProfiles {
            var o = SimulatorOptions()
            o.scenario = "hostile"
            o.profile = profile
            o.plainHTTP = true
            let sim = try Simulator(options: o)
            let t = try #require(sim.registry.find(group: "split.smi-spec.io", resource: "trafficsplits"))
            #expect(sim.store.all(t).count == splits(try hostile(profile)).count + 3 + 1)
        }
    }
}

/// Σ of fractions, exactly; nil if a step leaves Int128 (shares of one split never do: their
/// denominators all divide the split's total).
func exactSum(_ fs: [Fraction]) -> Fraction? {
    var n: Int128 = 0
    var d: Int128 = 1
    for f in fs {
        var (x, y) = (d.magnitude, f.denominator.magnitude)
        while y != 0 { (x, y) = (y, x % y) }
        let g = Int128(x)
        let l = d / g * f.denominator
        let (a, o1) = n.multipliedReportingOverflow(by: l / d)
        let (b, o2) = f.numerator.multipliedReportingOverflow(by: l / f.denominator)
        let (s, o3) = a.addingReportingOverflow(b)
        if o1 || o2 || o3 { return nil }
        let r = Fraction(s, l)
        (n, d) = (r.numerator, r.denominator)
    }
    return Fraction(n, d)
}
