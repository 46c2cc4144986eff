import KubeCore
import Testing

@testable import GatewayAPI

/// What a slimmed route keeps of ten thousand is kept small (the start-up's memory on 10,000
/// three-rule routes), and gives back exactly what it was given.
@Suite struct RouteStorage {
    /// A route as the API server stores one: defaulted group and kind on every reference, a
    /// header rule, a path rule and a weighted default rule.
    static let stored = #"""
        {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"pay","namespace":"shop","resourceVersion":"812","generation":2},
        "spec":{"parentRefs":[{"group":"core","kind":"Service","name":"pay","port":8080}],"rules":[
        {"backendRefs":[{"group":"","kind":"Service","name":"pay-v3","port":8080,"weight":1}],"matches":[{"headers":[{"name":"x-canary","type":"Exact","value":"true"}],"path":{"type":"PathPrefix","value":"/"}}]},
        {"backendRefs":[{"group":"","kind":"Service","name":"pay-v1","port":8080,"weight":1}],"matches":[{"path":{"type":"PathPrefix","value":"/legacy"}}]},
        {"backendRefs":[{"group":"","kind":"Service","name":"pay-v1","port":8080,"weight":90},{"group":"","kind":"Service","name":"pay-v2","port":8080,"weight":10}],"matches":[{"path":{"type":"PathPrefix","value":"/"}}]}]},
        "status":{"parents":[]}}
        """#

    @Test func aBackendIsHalfItsFieldsInline() {
        // 128 bytes with every field inline (a `Weight`'s Int128 aligned it to 16 bytes).
        #expect(MemoryLayout<RouteBackend>.stride <= 64, "\(MemoryLayout<RouteBackend>.stride)")
    }

    @Test func aBackendGivesBackWhatItWasGiven() throws {
        let weights = [
            Weight(integer: 1), Weight(integer: 0), Weight(integer: 1_000_000), Weight(value: Quantity(integer: 50), literal: .number("5e1")),
            try Weight(json: "500m"), try Weight(json: .number("2.5")), Weight(value: Quantity(integer: 7), literal: .string("7")),
        ]
        let ports: [Int64?] = [nil, 0, 8080, Int64(UInt32.max), Int64(UInt32.max) + 1, -1, .max, .min]
        for group: String? in [nil, "", "core", "gateway.networking.k8s.io"] {
            for kind: String? in [nil, "Service", "ServiceImport"] {
                for port in ports {
                    for weight in weights {
                        for defaulted in [false, true] {
                            let b = RouteBackend(
                                group: group, kind: kind, name: "pay-v2", namespace: "shop", port: port, weight: weight, weightDefaulted: defaulted)
                            #expect(b.group == group && b.kind == kind && b.port == port && b.weightDefaulted == defaulted)
                            #expect(b.weight == weight && b.weight.value.format == weight.value.format && b.weight.literal == weight.literal)
                            #expect(b.name == "pay-v2" && b.namespace == "shop")
                        }
                    }
                }
            }
        }
        var b = RouteBackend(group: "", kind: "Service", name: "a", namespace: nil, port: 80, weight: Weight(integer: 3), weightDefaulted: true)
        let before = b
        b.weight = Weight(integer: 4)
        b.weightDefaulted = false
        #expect(b.weight == Weight(integer: 4) && !b.weightDefaulted && b.port == 80 && b.group == "" && b.kind == "Service")
        #expect(b != before)
        b.port = .max
        b.group = "other"
        #expect(b.port == .max && b.group == "other" && b.weight == Weight(integer: 4))
        b.port = 80
        b.group = ""
        b.weight = Weight(integer: 3)
        b.weightDefaulted = true
        #expect(b == before)
    }

    @Test func aSlimmedRouteKeepsItsTextPacked() throws {
        let json = try JSON.parse(Self.stored)
        let full = try Route(json: json)
        let slim = full.slimmed()
        guard case .text(let packed) = slim.rawStorage else {
            Issue.record("a slimmed route keeps text")
            return
        }
        let plain = RouteText.unpack(packed)
        // Unpacked, it is the slimmed object's serialization; packed, well under half of it.
        var object = json
        object["status"] = nil
        #expect(try JSON.parse(plain) == object)
        #expect(packed.count * 2 < plain.count, "\(packed.count) of \(plain.count) bytes")
        #expect(slim.raw == object && slim.encode() == object)
    }

    @Test func packingGivesBackTheVeryBytes() throws {
        // Every fragment, alone, twice, cut short, at the ends and inside string values (where
        // the writer escapes its quotes), and text beyond ASCII.
        var texts: [[UInt8]] = RouteText.fragments
        texts += RouteText.fragments.map { $0 + $0 }
        texts += RouteText.fragments.map { Array($0.dropLast()) }
        texts += RouteText.fragments.map { Array($0.dropFirst()) }
        texts.append(RouteText.fragments.flatMap { $0 })
        for f in RouteText.fragments {
            let inValue: JSON = ["value": .string(String(decoding: f, as: UTF8.self) + "café ✓ \u{1F600}")]
            texts.append(inValue.serialized())
        }
        texts.append(Array(Self.stored.utf8))
        texts.append([])
        for t in texts {
            let packed = RouteText.pack(t)
            #expect(RouteText.unpack(packed) == t, "\(String(decoding: t, as: UTF8.self))")
            #expect(packed.count <= t.count)
        }
        // Each fragment is one byte.
        for f in RouteText.fragments { #expect(RouteText.pack(f).count == 1) }
    }

    @Test func aSlimmedRouteWithFragmentsInItsValuesWritesThemBack() throws {
        var json = try JSON.parse(Self.stored)
        var rules = try #require(json[path: "spec", "rules"]?.arrayValue)
        // Header values holding what the packing replaces.
        rules[0]["matches"] = [["headers": [["name": "x", "type": "Exact", "value": .string(#""rules":[{"backendRefs":[ ","port": "#)]]]]
        json[path: "spec", "rules"] = .array(rules)
        let full = try Route(json: json)
        let slim = full.slimmed()
        #expect(slim.raw["spec"] == json["spec"])
        let w = [Weight(integer: 30), Weight(integer: 70)]
        #expect(full.with(rule: 2, weights: w).weightsMergePatch().serialized() == slim.with(rule: 2, weights: w).weightsMergePatch().serialized())
    }
}
