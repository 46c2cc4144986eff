import Testing

@testable import App

/// The `:` and `/` lines as a state machine of their own: keys in, the command to run or the
/// filter to apply out.
@Suite("line editor")
struct LineEditorTests {
    static let keyMap = KeyMap.standard
    static func pool(_ text: String) -> [String] {
        let word = text.split(separator: " ", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        return ["theme", "ts", "ns"].filter { $0.hasPrefix(word) }
    }

    /// Keys as the key map dispatches them in the open line's context.
    @discardableResult
    static func press(_ e: inout LineEditor, _ keys: [Key]) -> [LineAction] {
        keys.flatMap { k in
            let context: KeyContext = e.mode == .filter ? .filter : .command
            return e.handle(.key(k, keyMap.action(for: k, in: context)), completions: pool)
        }
    }
    static func type(_ e: inout LineEditor, _ text: String) -> [LineAction] { press(&e, text.map { .char($0) }) }

    @Test func typingEditingAndRunningACommand() {
        var e = LineEditor()
        #expect(e.handle(.openCommand, completions: Self.pool).isEmpty)
        #expect(e.mode == .command && e.commandLine.completions == ["theme", "ts", "ns"])
        #expect(Self.type(&e, "tx").isEmpty)
        #expect(e.commandLine.completions.isEmpty)
        Self.press(&e, [.left, .backspace])
        #expect(e.commandLine.text == "x" && e.commandLine.cursor == 0)
        Self.press(&e, [.char("t"), .char("s"), .delete])
        #expect(e.commandLine.text == "ts" && e.commandLine.completions == ["ts"])
        #expect(Self.press(&e, [.char(" "), .enter]) == [.run("ts")], "trimmed")
        #expect(e.mode == .normal && e.commandLine.history == ["ts"] && e.commandLine.completions.isEmpty)
    }

    @Test func tabCyclesCompletionsOfTheLastWord() {
        var e = LineEditor()
        e.handle(.openCommand, completions: Self.pool)
        Self.type(&e, "t")
        #expect(e.commandLine.completions == ["theme", "ts"])
        Self.press(&e, [.tab])
        #expect(e.commandLine.text == "theme")
        Self.press(&e, [.tab])
        #expect(e.commandLine.text == "ts" && e.commandLine.completionIndex == 1)
        Self.press(&e, [.backTab])
        #expect(e.commandLine.text == "theme" && e.commandLine.cursor == 5)
    }

    @Test func historyBrowsesAndReturnsToWhatWasTyped() {
        var e = LineEditor()
        for cmd in ["ts", "ts", "svc"] {
            e.handle(.openCommand, completions: Self.pool)
            Self.type(&e, cmd)
            Self.press(&e, [.enter])
        }
        #expect(e.commandLine.history == ["ts", "svc"], "no consecutive duplicates")
        e.handle(.openCommand, completions: Self.pool)
        Self.type(&e, "gr")
        Self.press(&e, [.up])
        #expect(e.commandLine.text == "svc" && e.commandLine.historyIndex == 1)
        Self.press(&e, [.up, .up])
        #expect(e.commandLine.text == "ts" && e.commandLine.historyIndex == 0)
        Self.press(&e, [.down, .down])
        #expect(e.commandLine.text == "gr" && e.commandLine.historyIndex == nil)
        for i in 0..<120 {
            e.handle(.openCommand, completions: Self.pool)
            Self.type(&e, "ns n\(i)")
            Self.press(&e, [.enter])
        }
        #expect(e.commandLine.history.count == 100 && e.commandLine.history.last == "ns n119")
    }

    @Test func theFilterLineAppliesAsTypedAndEscClearsIt() {
        var e = LineEditor()
        e.handle(.openFilter("bo"), completions: Self.pool)
        #expect(e.mode == .filter && e.filterLine.text == "bo" && e.filterLine.cursor == 2)
        #expect(Self.type(&e, "o") == [.setFilter("boo")])
        #expect(Self.press(&e, [.enter]) == [.setFilter("boo"), .filterSubmitted("boo")])
        #expect(e.mode == .normal)
        e.handle(.openFilter("boo"), completions: Self.pool)
        #expect(Self.press(&e, [.esc]) == [.setFilter("")])
        #expect(e.mode == .normal && e.filterLine.text == "")
    }

    @Test func backspaceOnAnEmptyLineLeavesItAndCtrlKeysPassThrough() {
        var e = LineEditor()
        e.handle(.openCommand, completions: Self.pool)
        #expect(Self.press(&e, [.backspace]).isEmpty && e.mode == .normal)
        #expect(Self.press(&e, [.char("x")]).isEmpty && e.commandLine.text == "", "no line open: keys do nothing")
        e.handle(.openCommand, completions: Self.pool)
        #expect(Self.press(&e, [.ctrl("c")]) == [.forceQuit])
        #expect(Self.press(&e, [.ctrl("z")]) == [.suspend])
    }
}
