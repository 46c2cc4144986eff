import KubeCore
import Testing

@testable import SMI

@Suite struct QuantityParsing {
    @Test(arguments: [
        ("1", Int128(1_000_000_000)),
        ("500m", 500_000_000),
        ("0m", 0),
        ("1500m", 1_500_000_000),
        ("1.5", 1_500_000_000),
        (".5", 500_000_000),
        ("5.", 5_000_000_000),
        ("+2", 2_000_000_000),
        ("-2", -2_000_000_000),
        ("1k", 1_000_000_000_000),
        ("1M", 1_000_000_000_000_000),
        ("1e3", 1_000_000_000_000),
        ("1E3", 1_000_000_000_000),
        ("1e-3", 1_000_000),
        ("2.5e+2", 250_000_000_000),
        ("1Ki", 1_024_000_000_000),
        ("1.5Ki", 1_536_000_000_000),
        ("10u", 10_000),
        ("7n", 7),
        ("0.1n", 1),  // rounded up to 1n like Kubernetes
        ("-0.1n", -1),  // away from zero
        ("296875m", 296_875_000_000),
        ("28580m", 28_580_000_000),
        ("1E", 1_000_000_000_000_000_000_000_000_000),
        ("007", 7_000_000_000),
    ])
    func parses(text: String, nanos: Int128) throws {
        #expect(try Quantity(parsing: text).nanos == nanos)
    }

    @Test(arguments: ["", "m", ".", "+", "1.2.3", "1 ", " 1", "1K", "1mi", "1e", "1e+", "abc", "1Kii", "--1", "1ee3", "0x10"])
    func rejects(text: String) {
        #expect(throws: QuantityError.self) { try Quantity(parsing: text) }
    }

    @Test func overflowIsTypedNotACrash() throws {
        #expect(throws: QuantityError.outOfRange("1e30")) { try Quantity(parsing: "1e30") }
        #expect(throws: QuantityError.outOfRange("1e999999999999")) { try Quantity(parsing: "1e999999999999") }
        #expect(throws: QuantityError.outOfRange("99999999999999999999999999999999999999999")) {
            try Quantity(parsing: "99999999999999999999999999999999999999999")
        }
        // Tiny exponents round up to 1n instead of failing.
        #expect(try Quantity(parsing: "1e-40").nanos == 1)
    }

    @Test func formatFamilyFollowsSuffix() throws {
        #expect(try Quantity(parsing: "1k").format == .decimalSI)
        #expect(try Quantity(parsing: "1Ki").format == .binarySI)
        #expect(try Quantity(parsing: "1e3").format == .decimalExponent)
        #expect(try Quantity(parsing: "5").format == .decimalSI)
    }

    @Test func jsonNumbersAndStrings() throws {
        #expect(try Quantity(json: .number("1")).nanos == 1_000_000_000)
        #expect(try Quantity(json: .number("1e3")).format == .decimalExponent)
        #expect(try Quantity(json: .string("500m")).nanos == 500_000_000)
        #expect(throws: QuantityError.notAQuantity("boolean")) { try Quantity(json: .bool(true)) }
        #expect(throws: QuantityError.notAQuantity("null")) { try Quantity(json: .null) }
    }
}

@Suite struct QuantityFormatting {
    @Test(arguments: [
        ("1.5", "1500m"), ("1000", "1k"), ("1e3", "1e3"), ("1500", "1500"), ("0.5e0", "500e-3"),
        ("0", "0"), ("0m", "0"), ("100m", "100m"), ("1000m", "1"), ("2048", "2048"), ("2Ki", "2Ki"),
        ("1536", "1536"), ("1.5Ki", "1536"), ("0.5Ki", "512"), ("1024Ki", "1Mi"), ("1Ei", "1Ei"),
        ("-1500m", "-1500m"), ("1e21", "1e21"), ("12e20", "1200e18"), ("1000E", "1e21"), ("10u", "10u"), ("1000000n", "1m"),
        ("296.875", "296875m"), ("294", "294"),
    ])
    func canonical(input: String, expected: String) throws {
        #expect(try Quantity(parsing: input).canonical == expected)
    }

    @Test func decimalStringAndDouble() throws {
        let q = try Quantity(parsing: "296875m")
        #expect(q.decimalString == "296.875")
        #expect(q.doubleValue == 296.875)
        #expect(try Quantity(parsing: "-10u").decimalString == "-0.00001")
        #expect(try Quantity(parsing: "28580m").doubleValue == 28.58)
        #expect(Quantity(integer: 42).decimalString == "42")
    }

    @Test func equalityIgnoresFormat() throws {
        #expect(try Quantity(parsing: "1k") == Quantity(parsing: "1000"))
        #expect(try Quantity(parsing: "1k") == Quantity(parsing: "1e3"))
        #expect(try Quantity(parsing: "1Ki") != Quantity(parsing: "1k"))
    }
}

@Suite struct QuantityProperties {
    /// Thousands of random strings from the quantity alphabet plus junk: parsing either
    /// succeeds or throws a QuantityError; a success re-parses from its canonical text to the
    /// same value.
    @Test func fuzzNeverCrashesAndCanonicalRoundTrips() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        let alphabet = Array("0123456789.+-eEmkMGTPEinuK ").map(String.init) + ["Ki", "Mi", "Ei", "e9", "e-9", "é", "\u{0}"]
        var parsed = 0
        for _ in 0..<20_000 {
            let len = Int.random(in: 0...12, using: &rng)
            let s = (0..<len).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            do {
                let q = try Quantity(parsing: s)
                parsed += 1
                let again = try Quantity(parsing: q.canonical)
                #expect(again == q, "\(s) -> \(q.canonical)")
                #expect(again.canonical == q.canonical)
            } catch {
                // Typed error is the contract; nothing else to check.
            }
        }
        // The generator must actually hit valid quantities, or this test proves nothing.
        #expect(parsed > 1_000)
    }

    @Test func randomDecimalsAreExact() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            let whole = Int64.random(in: 0...999_999, using: &rng)
            let milli = Int64.random(in: 0...999, using: &rng)
            let text = "\(whole).\(String(repeating: "0", count: 3 - String(milli).count))\(milli)"
            let q = try Quantity(parsing: text)
            #expect(q.nanos == Int128(whole) * 1_000_000_000 + Int128(milli) * 1_000_000)
            #expect(try Quantity(parsing: "\(whole * 1000 + milli)m") == q)
        }
    }
}

@Suite struct GoDurations {
    @Test(arguments: [("30s", 30.0), ("1m0s", 60), ("1m30s", 90), ("500ms", 0.5), ("1h0m0s", 3600), ("1.5s", 1.5), ("0", 0)])
    func parses(text: String, seconds: Double) {
        #expect(GoDuration.parse(text) == seconds)
    }

    @Test func rejectsJunk() {
        #expect(GoDuration.parse("") == nil)
        #expect(GoDuration.parse("30") == nil)
        #expect(GoDuration.parse("1x") == nil)
    }
}

@Test func jsonOutputEscapesTerminalControlsButKeepsTheValue() throws {
    let hostile = "a\u{1B}[2Jb\u{7F}c\u{85}d\u{9B}31m\u{202E}e\u{2066}f\u{2028}g\u{200D}h\u{200B}i\u{FEFF}j€é😀<"
    let bytes = JSON.string(hostile).serialized()
    let text = String(decoding: bytes, as: UTF8.self)
    for bad: Unicode.Scalar in ["\u{1B}", "\u{7F}", "\u{85}", "\u{9B}", "\u{202E}", "\u{2066}", "\u{2028}", "\u{200D}", "\u{200B}", "\u{FEFF}"] {
        #expect(!text.unicodeScalars.contains(bad), "U+\(String(bad.value, radix: 16)) reached the output")
    }
    #expect(text.contains("\\u001b") && text.contains("\\u007f") && text.contains("\\u0085") && text.contains("\\u202e") && text.contains("\\u2028"))
    #expect(text.contains("\\u200d") && text.contains("\\u200b") && text.contains("\\ufeff"))
    #expect(text.contains("€é😀"), "ordinary non-ASCII stays readable")
    #expect(try JSON.parse(bytes) == .string(hostile), "the same value after parsing")
}

@Test func skippingKeysDropsThemAtAnyDepthAndAcceptsExactlyWhatParsingAccepts() throws {
    let doc =
        #"{"metadata":{"name":"a","managedFields":[{"manager":"flagger","fieldsV1":{"f:spec":{"f:backends":{}}}}],"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}","keep":"x"}},"spec":{"fieldsV1":[1,2,{"a":null}]}}"#
    let full = try JSON.parse(doc)
    let slim = try JSON.parse(Array(doc.utf8), skippingKeys: ["fieldsV1", "kubectl.kubernetes.io/last-applied-configuration"])
    #expect(slim[path: "metadata", "managedFields"]?[0]?["manager"] == "flagger")
    #expect(slim[path: "metadata", "managedFields"]?[0]?["fieldsV1"] == nil)
    #expect(slim[path: "metadata", "annotations", "keep"] == "x")
    #expect(slim[path: "metadata", "annotations"]?["kubectl.kubernetes.io/last-applied-configuration"] == nil)
    #expect(slim["spec"]?.objectValue?.isEmpty == true)
    #expect(full[path: "metadata", "managedFields"]?[0]?["fieldsV1"] != nil)
    // Broken JSON inside a skipped member is still an error.
    for bad in [#"{"fieldsV1":{"a":}}"#, #"{"fieldsV1":"\x"}"#, #"{"fieldsV1":[1,}"#, #"{"fieldsV1":"#, "{\"fieldsV1\":\"\u{01}\"}"] {
        #expect(throws: JSONParseError.self) { try JSON.parse(Array(bad.utf8), skippingKeys: ["fieldsV1"]) }
        #expect(throws: JSONParseError.self) { try JSON.parse(bad) }
    }
    // Seeded documents: skipping a key is the same as parsing and removing it.
    var rng = SplitMix64(seed: 5)
    func gen(_ depth: Int) -> String {
        switch rng.next() % (depth > 3 ? 3 : 5) {
        case 0: return "\(Int(rng.next() % 1000))"
        case 1: return "\"s\(rng.next() % 9)\""
        case 2: return ["true", "false", "null"][Int(rng.next() % 3)]
        case 3: return "[" + (0..<Int(rng.next() % 4)).map { _ in gen(depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<Int(rng.next() % 4)).map { i in "\"\(["x", "k\(i)", "y"][Int(rng.next() % 3)])\":" + gen(depth + 1) }.joined(separator: ",") + "}"
        }
    }
    func removing(_ j: JSON, _ key: String) -> JSON {
        switch j {
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o where k != key { out[k] = removing(v, key) }
            return .object(out)
        case .array(let a): return .array(a.map { removing($0, key) })
        default: return j
        }
    }
    for _ in 0..<500 {
        let text = gen(0)
        let parsed = try JSON.parse(text)
        #expect(try JSON.parse(Array(text.utf8), skippingKeys: ["x"]) == removing(parsed, "x"), "\(text)")
    }
}
