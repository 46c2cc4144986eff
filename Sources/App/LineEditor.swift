// The `:` command line and the `/` filter line as a sub-model of AppState: which one is open,
// their text, cursor, completion and history. A value-type state machine like the split
// editor: `handle(event) -> [LineAction]`; AppState runs the command or applies the filter
// (Commands.swift, `AppState.editLine`).

public enum InputMode: String, Sendable, Equatable {
    case normal
    /// `:` command line.
    case command
    /// `/` filter line (tables and graph).
    case filter
}

public struct CommandLineState: Sendable, Equatable {
    public var text = ""
    /// Cursor position in characters.
    public var cursor = 0
    /// Candidates for the word being typed, refreshed on each keystroke.
    public var completions: [String] = []
    /// Which candidate Tab last inserted.
    public var completionIndex: Int?
    /// Oldest first; no consecutive duplicates.
    public var history: [String] = []
    /// While browsing history with ↑/↓: the entry shown.
    public var historyIndex: Int?
    /// The text typed before browsing history began.
    public var draftBeforeHistory = ""
    public init() {}
}

public enum LineEvent: Sendable, Equatable {
    /// `:`: an empty command line.
    case openCommand
    /// `/`: the filter line, starting from the filter in force.
    case openFilter(String)
    /// A key while a line is open, and the action the key map gives it there (nil: none,
    /// a printable key is typed).
    case key(Key, Action?)
}

public enum LineAction: Sendable, Equatable {
    /// Enter on the command line: run it (trimmed; may be empty).
    case run(String)
    /// The filter as typed: after every edit, and "" when Esc cancels the filter line.
    case setFilter(String)
    /// Enter on the filter line (after its `.setFilter`).
    case filterSubmitted(String)
    /// Ctrl-C.
    case forceQuit
    /// Ctrl-Z.
    case suspend
}

public struct LineEditor: Sendable, Equatable {
    public internal(set) var mode: InputMode = .normal
    public internal(set) var commandLine = CommandLineState()
    public internal(set) var filterLine = CommandLineState()
    public init() {}

    /// `completions`: the candidates for a command line's text (its last word), read when the
    /// command text changes.
    public mutating func handle(_ event: LineEvent, completions: (String) -> [String]) -> [LineAction] {
        switch event {
        case .openCommand:
            mode = .command
            commandLine.text = ""
            commandLine.cursor = 0
            commandLine.historyIndex = nil
            commandLine.completions = completions(commandLine.text)
            commandLine.completionIndex = nil
            return []
        case .openFilter(let current):
            mode = .filter
            filterLine.text = current
            filterLine.cursor = filterLine.text.count
            filterLine.historyIndex = nil
            return []
        case .key(let key, let action):
            guard mode != .normal else { return [] }
            return self.key(key, action, completions: completions)
        }
    }

    private mutating func key(_ key: Key, _ action: Action?, completions: (String) -> [String]) -> [LineAction] {
        let isCommand = mode == .command
        var line = isCommand ? commandLine : filterLine
        var chars = Array(line.text)
        line.cursor = min(max(0, line.cursor), chars.count)
        var edited = false
        switch action {
        case .forceQuit?:
            return [.forceQuit]
        case .suspend?:
            return [.suspend]
        case .cancelLine?:
            mode = .normal
            line.text = ""
            line.completions = []
            line.completionIndex = nil
            store(line, isCommand)
            return isCommand ? [] : [.setFilter("")]
        case .submit?:
            mode = .normal
            let text = line.text.trimmingSpaces
            if !text.isEmpty && line.history.last != text { line.history.append(text) }
            if line.history.count > 100 { line.history.removeFirst(line.history.count - 100) }
            line.historyIndex = nil
            line.completions = []
            line.completionIndex = nil
            store(line, isCommand)
            return isCommand ? [.run(text)] : [.setFilter(text), .filterSubmitted(text)]
        case .complete?, .completePrevious?:
            if line.completions.isEmpty { return [] }
            let n = line.completions.count
            let i = line.completionIndex.map { action == .complete ? ($0 + 1) % n : ($0 - 1 + n) % n } ?? (action == .complete ? 0 : n - 1)
            line.completionIndex = i
            line.text = Self.replacingLastWord(line.text, with: line.completions[i])
            line.cursor = line.text.count
            store(line, isCommand)
            return []
        case .historyPrevious?:
            guard !line.history.isEmpty else { return [] }
            if line.historyIndex == nil { line.draftBeforeHistory = line.text }
            let i = max(0, (line.historyIndex ?? line.history.count) - 1)
            line.historyIndex = i
            line.text = line.history[i]
            line.cursor = line.text.count
            edited = true
        case .historyNext?:
            guard let i = line.historyIndex else { return [] }
            if i + 1 < line.history.count {
                line.historyIndex = i + 1
                line.text = line.history[i + 1]
            } else {
                line.historyIndex = nil
                line.text = line.draftBeforeHistory
            }
            line.cursor = line.text.count
            edited = true
        case .deleteBackward?:
            if line.cursor > 0 {
                chars.remove(at: line.cursor - 1)
                line.cursor -= 1
                line.text = String(chars)
                edited = true
            } else if chars.isEmpty {
                // Backspace on an empty line leaves it, like vim.
                mode = .normal
            }
        case .deleteForward?:
            if line.cursor < chars.count {
                chars.remove(at: line.cursor)
                line.text = String(chars)
                edited = true
            }
        case .cursorLeft?: line.cursor = max(0, line.cursor - 1)
        case .cursorRight?: line.cursor = min(chars.count, line.cursor + 1)
        case .cursorHome?: line.cursor = 0
        case .cursorEnd?: line.cursor = chars.count
        case .clearLine?:
            line.text = ""
            line.cursor = 0
            edited = true
        default:
            if case .char(let c) = key {
                chars.insert(c, at: line.cursor)
                line.cursor += 1
                line.text = String(chars)
                edited = true
            }
        }
        if edited {
            line.completionIndex = nil
            if action != .historyPrevious && action != .historyNext { line.historyIndex = nil }
            if isCommand {
                // Candidates for the word under the cursor (the last word).
                line.completions = completions(line.text)
                line.completionIndex = nil
            }
        }
        store(line, isCommand)
        return edited && !isCommand ? [.setFilter(line.text)] : []
    }

    private mutating func store(_ line: CommandLineState, _ isCommand: Bool) {
        if isCommand { commandLine = line } else { filterLine = line }
    }

    static func replacingLastWord(_ text: String, with word: String) -> String {
        if let sp = text.lastIndex(of: " ") { return String(text[...sp]) + word }
        return word
    }
}
