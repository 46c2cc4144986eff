import Glibc
import KubeCore
import Testing

@testable import UI

// Glibc's Swift module hides wcwidth (it needs _XOPEN_SOURCE); the C ABI is plain int → int.
@_silgen_name("wcwidth") private func libcWcwidth(_ c: Int32) -> Int32

@Suite struct TextWidthTests {
    @Test func widthsOfCommonScripts() {
        #expect(TextWidth.width("abc") == 3)
        #expect(TextWidth.width("日本語") == 6)
        #expect(TextWidth.width("e\u{301}") == 1)
        #expect(TextWidth.width("👍") == 2)
        #expect(TextWidth.width("ｆｕｌｌ") == 8)
        #expect(TextWidth.width("한") == 2)
        #expect(TextWidth.width("\u{1100}\u{1161}\u{11A8}") == 2)
    }

    @Test func zwjSequencesKeepOnlyTheFirstEmoji() {
        #expect(TextWidth.sanitize("👨‍👩‍👧") == "👨")
        #expect(TextWidth.width("👨‍👩‍👧") == 2)
        #expect(TextWidth.sanitize("👍🏽") == "👍")
        #expect(TextWidth.sanitize("❤️") == "❤")
        #expect(TextWidth.width("❤️") == 1)
        #expect(TextWidth.sanitize("🇩🇪") == "DE")
        #expect(TextWidth.sanitize("🏽") == "?")
    }

    @Test func controlsBecomeVisibleEscapes() {
        #expect(TextWidth.sanitize("a\u{1B}[31mb") == "a\\x1b[31mb")
        #expect(TextWidth.sanitize("\u{9B}2J") == "\\x9b2J")
        #expect(TextWidth.sanitize("x\u{7F}") == "x\\x7f")
        #expect(TextWidth.sanitize("a\r\nb") == "a\\x0d\\x0ab")
        #expect(TextWidth.sanitize("\u{0}") == "\\x00")
    }

    @Test func invisibleAndDirectionalCharactersBecomeQuestionMarks() {
        #expect(TextWidth.sanitize("\u{202E}abc") == "?abc")
        #expect(TextWidth.sanitize("a\u{200B}b") == "a?b")
        #expect(TextWidth.sanitize("\u{2066}x\u{2069}") == "?x?")
        #expect(TextWidth.sanitize("\u{FEFF}") == "?")
        #expect(TextWidth.sanitize("soft\u{AD}hyphen") == "soft?hyphen")
        #expect(TextWidth.sanitize("\u{0378}") == "?")
        #expect(TextWidth.sanitize("\u{301}x") == "?x")
    }

    @Test func combiningMarksAreCapped() {
        let s = TextWidth.sanitize("e\u{301}\u{302}\u{303}\u{304}")
        #expect(s.unicodeScalars.count == 1 + TextWidth.maxCombiningMarks)
        #expect(TextWidth.width(s) == 1)
    }

    @Test func invalidUTF8IsReplaced() {
        let s = TextWidth.decode([0x61, 0xFF, 0xC3, 0x28, 0x62])
        #expect(s.hasPrefix("a"))
        #expect(s.hasSuffix("(b"))
        #expect(s.contains("\u{FFFD}"))
        #expect(TextWidth.width(s) == TextWidth.clusters(s).count)
    }

    @Test func clipAddsEllipsisAndNeverSplitsWideCharacters() {
        #expect(TextWidth.clip("abcdef", to: 4) == "abc…")
        #expect(TextWidth.clip("abc", to: 3) == "abc")
        #expect(TextWidth.clip("日本語", to: 4) == "日…")
        #expect(TextWidth.clip("日本語", to: 3) == "日…")
        #expect(TextWidth.clip("日本語", to: 2, ellipsis: false) == "日")
        #expect(TextWidth.clip("日本語", to: 1, ellipsis: false) == "")
        #expect(TextWidth.clip("abc", to: 0) == "")
        #expect(TextWidth.pad("日", to: 5, align: .right) == "   日")
        #expect(TextWidth.width(TextWidth.pad("日本語abc", to: 6)) == 6)
    }

    @Test func sanitizeIsIdempotentAndWidthConsistent() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let s = Hostile.string(&rng)
            let once = TextWidth.sanitize(s)
            #expect(TextWidth.sanitize(once) == once, "\(s.debugDescription)")
            #expect(TextWidth.width(once) == TextWidth.width(s), "\(s.debugDescription)")
            for c in TextWidth.clusters(s) {
                #expect(c.width == 1 || c.width == 2)
                for sc in c.text.unicodeScalars { #expect(!Invariants.forbidden(sc.value), "\(s.debugDescription)") }
            }
            for w in [0, 1, 2, 5, 13] {
                #expect(TextWidth.width(TextWidth.clip(s, to: w)) <= w)
                #expect(TextWidth.width(TextWidth.pad(s, to: w)) == w)
            }
        }
    }

    /// The table must equal the C library's wcwidth, which ncurses uses to place characters.
    /// If this fails after an OS upgrade, regenerate WidthTable.swift with:
    ///   for c in 0...0x10FFFF: w = wcwidth(c) (surrogates -1) under setlocale(LC_ALL, "C.UTF-8"),
    ///   emit (lo, hi, w == -1 ? 255 : w) for every maximal run with w != 1.
    @Test func widthTableMatchesLibc() throws {
        guard setlocale(LC_CTYPE, "C.UTF-8") != nil else {
            Issue.record("C.UTF-8 locale unavailable")
            return
        }
        var mismatches: [String] = []
        for v in UInt32(0)...0x10FFFF where !(0xD800...0xDFFF).contains(v) {
            let c = Int(libcWcwidth(Int32(bitPattern: v)))
            if c != TextWidth.scalarWidth(v) && mismatches.count < 10 {
                mismatches.append("U+\(String(v, radix: 16)): libc \(c), table \(TextWidth.scalarWidth(v))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
