// Input events as facts, decoded by the Terminal module from ncurses and handed to `reduce`.

/// A key press. Printable keys arrive as `.char`; control combinations as `.ctrl("c")`.
public enum Key: Sendable, Hashable, CustomStringConvertible {
    case char(Character)
    case up, down, left, right
    case enter, esc, backspace, delete, tab, backTab
    case home, end, pageUp, pageDown
    /// F1…F12.
    case function(Int)
    /// Ctrl + a letter, lower-case ("c" for Ctrl-C).
    case ctrl(Character)

    /// How the key is written in help and docs.
    public var description: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .enter: return "Enter"
        case .esc: return "Esc"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .function(let n): return "F\(n)"
        case .ctrl(let c): return "Ctrl-\(String(c).uppercased())"
        }
    }

    /// A key as written in the config file: a single character, a name from `description`
    /// ("Enter", "PgDn", "F5", "Ctrl-R", "Space"; any case), or "up"/"down"/"left"/"right".
    public init?(name: String) {
        if name.count == 1, let c = name.first {
            self = .char(c)
            return
        }
        let n = name.lowercased()
        let named: [String: Key] = [
            "space": .char(" "), "up": .up, "↑": .up, "down": .down, "↓": .down, "left": .left, "←": .left,
            "right": .right, "→": .right, "enter": .enter, "return": .enter, "esc": .esc, "escape": .esc,
            "backspace": .backspace, "delete": .delete, "del": .delete, "tab": .tab, "shift-tab": .backTab,
            "backtab": .backTab, "home": .home, "end": .end, "pgup": .pageUp, "pageup": .pageUp, "pgdn": .pageDown,
            "pagedown": .pageDown,
        ]
        if let k = named[n] {
            self = k
            return
        }
        if n.hasPrefix("f"), let i = Int(n.dropFirst()), (1...12).contains(i) {
            self = .function(i)
            return
        }
        for prefix in ["ctrl-", "ctrl+", "c-", "^"] where n.hasPrefix(prefix) {
            let rest = n.dropFirst(prefix.count)
            if rest.count == 1, let c = rest.first, c.isLetter, c.isASCII {
                self = .ctrl(c)
                return
            }
        }
        return nil
    }
}

public struct MouseEvent: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        case press, release, scrollUp, scrollDown
        /// Press with the left button twice in quick succession (decoded by the terminal).
        case doubleClick
    }
    public var action: Action
    /// Screen cell, 0-based from the top-left corner.
    public var x: Int
    public var y: Int
    public init(_ action: Action, x: Int, y: Int) {
        self.action = action
        self.x = x
        self.y = y
    }
}

/// Terminal size in cells.
public struct TermSize: Sendable, Hashable {
    public var columns: Int
    public var rows: Int
    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }
}

/// What a terminal reports to the runtime (the contract with any terminal backend).
public enum TerminalEvent: Sendable, Hashable {
    case key(Key)
    case mouse(MouseEvent)
    /// The screen now has this size; render a new frame at it.
    case resize(TermSize)
    /// SIGINT, SIGTERM or SIGHUP arrived: shut down (call `shutdown()`). A second signal
    /// before the process exits kills it with the terminal restored.
    case terminate(signal: Int32)
    /// The process was continued after a stop; the screen has been repainted in full.
    case resumed
}
