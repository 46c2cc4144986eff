import KubeCore
import Mesh
import Testing

@testable import UI

@Suite struct CellBufferTests {
    @Test func writesClipAtEdges() {
        var b = CellBuffer(width: 5, height: 2)
        b.write("hello world", x: 0, y: 0, style: Style(.text))
        #expect(b.row(0) == "hell…")
        b.write("abc", x: 3, y: 1, style: Style(.text), ellipsis: false)
        #expect(b.row(1) == "   ab")
        b.write("zzz", x: -2, y: 1, style: Style(.text))
        #expect(b.row(1) == "z  ab")
        b.write("x", x: 0, y: 5, style: Style(.text))
        b.write("x", x: 9, y: 0, style: Style(.text))
        #expect(b.text == "hell…\nz  ab")
    }

    @Test func wideCharactersNeverSplitAtTheRightEdge() {
        var b = CellBuffer(width: 5, height: 1)
        b.write("ab日本", x: 0, y: 0, style: Style(.text), ellipsis: false)
        #expect(b.row(0) == "ab日 ")
        #expect(b[2, 0].width == 2 && b[3, 0].width == 0)
        var c = CellBuffer(width: 3, height: 1)
        c.write("日本", x: 0, y: 0, style: Style(.text))
        #expect(c.row(0) == "日…")
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var b = CellBuffer(width: 6, height: 1)
        b.write("日本語", x: 0, y: 0, style: Style(.text))
        b.write("x", x: 1, y: 0, style: Style(.text))
        #expect(b.row(0) == " x本語")
        b.write("y", x: 2, y: 0, style: Style(.text))
        #expect(b.row(0) == " xy 語")
        b.write("日", x: 3, y: 0, style: Style(.text))
        #expect(b.row(0) == " xy日 ")
        Invariants.check(b)
    }

    @Test func panningLeftOfTheClipShowsASpaceForAHalfVisibleWideCharacter() {
        var b = CellBuffer(width: 4, height: 1)
        b.write("日本", x: -1, y: 0, style: Style(.text))
        #expect(b.row(0) == " 本 ")
        Invariants.check(b)
    }

    @Test func zeroAndOneSizedBuffersAreSafe() {
        var z = CellBuffer(width: 0, height: 0)
        z.write("abc", x: 0, y: 0, style: Style(.text))
        z.fill(Rect(x: -5, y: -5, width: 50, height: 50), style: Style(.header))
        #expect(z.text == "")
        var one = CellBuffer(width: 1, height: 1)
        one.write("日本", x: 0, y: 0, style: Style(.text))
        #expect(one.text == "…")
        one.write("日", x: 0, y: 0, style: Style(.text), ellipsis: false)
        Invariants.check(one)
    }

    @Test func randomHostileWritesKeepInvariants() {
        var rng = SplitMix64(seed: 7)
        for round in 0..<300 {
            let w = Int.random(in: 1...30, using: &rng)
            let h = Int.random(in: 1...4, using: &rng)
            var b = CellBuffer(width: w, height: h)
            for _ in 0..<20 {
                let s = Hostile.string(&rng)
                let x = Int.random(in: -5...(w + 2), using: &rng)
                let y = Int.random(in: -1...h, using: &rng)
                let clip = Rect(
                    x: Int.random(in: -2...w, using: &rng), y: 0, width: Int.random(in: 0...w + 2, using: &rng), height: h)
                b.write(
                    s, x: x, y: y, style: Style(.text), clip: Bool.random(using: &rng) ? clip : nil,
                    ellipsis: Bool.random(using: &rng))
            }
            Invariants.check(b)
            if round == 0 { #expect(b.width == w) }
        }
    }

    @Test func tenThousandCharacterNamesAreClipped() {
        var b = CellBuffer(width: 20, height: 1)
        b.write(Hostile.longName, x: 0, y: 0, style: Style(.text))
        #expect(b.row(0) == String(repeating: "a", count: 19) + "…")
    }
}
