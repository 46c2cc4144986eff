import App
import Testing

@testable import Terminal

/// Key codes as ncurses returns them (curses.h values), decoded without a terminal.
@Suite struct InputDecoderTests {
    @Test func functionKeyCodes() {
        #expect(InputDecoder.decode(keyCode: 0o403) == .up)
        #expect(InputDecoder.decode(keyCode: 0o402) == .down)
        #expect(InputDecoder.decode(keyCode: 0o404) == .left)
        #expect(InputDecoder.decode(keyCode: 0o405) == .right)
        #expect(InputDecoder.decode(keyCode: 0o406) == .home)
        #expect(InputDecoder.decode(keyCode: 0o550) == .end)
        #expect(InputDecoder.decode(keyCode: 0o523) == .pageUp)
        #expect(InputDecoder.decode(keyCode: 0o522) == .pageDown)
        #expect(InputDecoder.decode(keyCode: 0o512) == .delete)
        #expect(InputDecoder.decode(keyCode: 0o407) == .backspace)
        #expect(InputDecoder.decode(keyCode: 0o527) == .enter)
        #expect(InputDecoder.decode(keyCode: 0o541) == .backTab)
        #expect(InputDecoder.decode(keyCode: 0o410 + 1) == .function(1))
        #expect(InputDecoder.decode(keyCode: 0o410 + 12) == .function(12))
        #expect(InputDecoder.decode(keyCode: 0o410 + 13) == nil)
        #expect(InputDecoder.decode(keyCode: 0o631) == nil, "KEY_MOUSE is handled by the screen, not as a key")
    }

    @Test func characters() {
        #expect(InputDecoder.decode(character: 0x0D) == .enter)
        #expect(InputDecoder.decode(character: 0x0A) == .enter)
        #expect(InputDecoder.decode(character: 0x09) == .tab)
        #expect(InputDecoder.decode(character: 0x1B) == .esc)
        #expect(InputDecoder.decode(character: 0x7F) == .backspace)
        #expect(InputDecoder.decode(character: 0x08) == .backspace)
        #expect(InputDecoder.decode(character: 0x03) == .ctrl("c"))
        #expect(InputDecoder.decode(character: 0x01) == .ctrl("a"))
        #expect(InputDecoder.decode(character: 0x1A) == .ctrl("z"))
        #expect(InputDecoder.decode(character: 0x71) == .char("q"))
        #expect(InputDecoder.decode(character: 0xE9) == .char("é"))
        #expect(InputDecoder.decode(character: 0x65E5) == .char("日"))
        #expect(InputDecoder.decode(character: 0x1F44D) == .char("👍"))
        #expect(InputDecoder.decode(character: 0x9B) == nil, "a C1 control is never a key")
        #expect(InputDecoder.decode(character: 0xD800) == nil, "a surrogate is not a scalar")
    }

    @Test func everyPrintableASCIIIsItself() {
        for v in UInt32(0x20)..<0x7F {
            #expect(InputDecoder.decode(character: v) == .char(Character(Unicode.Scalar(v)!)))
        }
    }
}
