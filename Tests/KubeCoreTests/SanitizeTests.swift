import Testing

@testable import KubeCore

/// The fast path of `sanitizedForDisplay` (text that is already clean is returned as it is)
/// must never return anything the scalar-by-scalar rules would not.
@Suite struct SanitizeFastPath {
    static let edgeCases: [String] = [
        "", " ", "a", "reviews-v2", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\u{7F}b", "a\u{1B}[31mb", "café",
        "a\u{202E}b", "a\u{200B}b", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./", String(repeating: "x", count: 253),
        String(repeating: "x", count: 254), String(repeating: "x", count: 252) + " y", "2026-12-07T09:00:00Z",
    ]

    @Test func agreesWithTheFullRulesOnEdgeCases() {
        for s in Self.edgeCases {
            for limit in [0, 1, 2, 3, 252, 253, 254] {
                #expect(sanitizedForDisplay(s, limit: limit) == sanitizedScalarByScalar(s, limit: limit), "\(s.debugDescription) at \(limit)")
            }
        }
    }

    @Test func agreesWithTheFullRulesOnRandomText() {
        // Mostly ASCII with spaces, and now and then a control, DEL or non-ASCII scalar.
        let alphabet: [Unicode.Scalar] = ["a", "b", "-", " ", " ", "\t", "\n", "\u{7F}", "\u{1B}", "é", "\u{202E}", "~"]
        var rng = SplitMix64(seed: 15)
        for _ in 0..<5_000 {
            var v = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 12) { v.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let s = String(v)
            let limit = Int(rng.next() % 12)
            #expect(sanitizedForDisplay(s, limit: limit) == sanitizedScalarByScalar(s, limit: limit), "\(s.debugDescription) at \(limit)")
        }
    }

    @Test func takesTheFastPathOnlyForTextTheRulesKeep() {
        #expect(isAlreadyClean("reviews-v2", limit: 253))
        #expect(isAlreadyClean("Route was valid", limit: 253))
        #expect(isAlreadyClean("", limit: 0))
        #expect(!isAlreadyClean(" leading", limit: 253))
        #expect(!isAlreadyClean("trailing ", limit: 253))
        #expect(!isAlreadyClean("two  spaces", limit: 253))
        #expect(!isAlreadyClean("tab\there", limit: 253))
        #expect(!isAlreadyClean("del\u{7F}", limit: 253))
        #expect(!isAlreadyClean("café", limit: 253))
        #expect(!isAlreadyClean("toolong", limit: 6))
        #expect(sanitizedForDisplay("toolong", limit: 6) == "toolon…")
    }
}
