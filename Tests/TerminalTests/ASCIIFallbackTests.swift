import Testing

@testable import Terminal

/// Issue 13: with LC_ALL=C, `·` and `…` printed as `?`, and the healthy `+` merged with the
/// `+` of box corners.
@Test func nonASCIICharactersBecomeLookalikesNotQuestionMarks() {
    func map(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { Unicode.Scalar(ASCIIFallback.character(for: $0.value))! }))
    }
    #expect(map("metrics 30s · updated 2s ago") == "metrics 30s . updated 2s ago")
    #expect(map("books-v1 90 · books-v2 10…") == "books-v1 90 . books-v2 10.")
    #expect(map("– ✓ ✗ → ● ┌─┐│└┘ ▁█") == "- o x > * +-+|++ ##")
    #expect(map("plain ASCII stays") == "plain ASCII stays")
    #expect(map("漢") == "?", "what has no lookalike is still marked")
}
