import App
import Mesh

/// What the footer shows: key hints (or `:` completions), then the message or an input line.
public struct FooterModel {
    public var mode: InputMode
    public var commandLine: CommandLineState
    public var filterLine: CommandLineState
    /// Hints for the keys of the current context, from the key map.
    public var hints: [(keys: String, label: String)]
    public var message: StatusLine?
    /// A question waiting for y or n (the port-forward offer): shown instead of the message.
    public var prompt: String?

    public init(_ s: AppState) {
        mode = s.lineEditor.mode
        commandLine = s.lineEditor.commandLine
        filterLine = s.lineEditor.filterLine
        hints = s.options.keyMap.hints(for: s.keyContext)
        message = s.message
        prompt = s.portForwardPrompt
    }
}

/// The last two rows: key hints or completions, then the message, the `:` command line or the
/// `/` filter line.
public struct FooterView: Widget {
    public var model: FooterModel
    public init(_ model: FooterModel) { self.model = model }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        let m = model
        guard rect.height > 0 else { return }
        let hintRow = Rect(x: rect.x, y: rect.y, width: rect.width, height: 1)
        let lineRow = rect.height > 1 ? Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1) : nil
        if m.mode == .command, !m.commandLine.completions.isEmpty {
            Self.completions(m.commandLine, hintRow, ctx, &buf)
        } else {
            Self.hints(m.hints, hintRow, ctx, &buf)
        }
        guard let lineRow else { return }
        switch m.mode {
        case .command:
            Self.commandLine(prompt: ":", m.commandLine, lineRow, ctx, &buf)
        case .filter:
            Self.commandLine(prompt: "/", m.filterLine, lineRow, ctx, &buf)
        case .normal:
            if let prompt = m.prompt {
                buf.fill(lineRow, style: Style(.text))
                buf.write("? " + prompt, x: lineRow.x, y: lineRow.y, style: Style(.warning), clip: lineRow)
            } else {
                Self.messageLine(m.message, lineRow, ctx, &buf)
            }
        }
    }

    /// Arrow keys by name in ASCII mode: the terminal's lookalike for ↓ is `v`, which is also
    /// a key ("v/j move" would read as the view key).
    static func asciiKeyNames(_ keys: String) -> String { HelpView.asciiKeyNames(keys) }

    static func hints(_ hints: [(keys: String, label: String)], _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        var segs: [(String, Style)] = []
        for h in hints {
            segs.append((" " + (ctx.glyphs == .ascii ? asciiKeyNames(h.keys) : h.keys), Style(.keyHint)))
            segs.append((" " + h.label + " ", Style(.footer)))
        }
        Bar(left: segs, fill: Style(.footer)).draw(in: rect, ctx, &buf)
    }

    static func completions(_ c: CommandLineState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        var segs: [(String, Style)] = [(" complete:", Style(.footer))]
        for (i, word) in c.completions.enumerated() {
            segs.append((" ", Style(.footer)))
            segs.append((word, i == c.completionIndex ? Style(.selection, [.bold]) : Style(.keyHint)))
        }
        Bar(left: segs, fill: Style(.footer)).draw(in: rect, ctx, &buf)
    }

    static func commandLine(prompt: String, _ c: CommandLineState, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        InputLine(prompt: prompt, text: c.text, cursor: c.cursor, style: Style(.input), promptStyle: Style(.input, [.bold]))
            .draw(in: rect, ctx, &buf)
    }

    static func messageLine(_ message: StatusLine?, _ rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        buf.fill(rect, style: Style(.text))
        guard let m = message else { return }
        let (prefix, role): (String, Role) =
            switch m.level {
            case .info: ("", .message)
            case .warning: ("! ", .warning)
            case .error: (ctx.glyphs == .ascii ? "x " : "✗ ", .error)
            }
        buf.write(prefix + m.text, x: rect.x, y: rect.y, style: Style(role), clip: rect)
    }
}
