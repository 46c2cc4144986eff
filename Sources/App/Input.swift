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
