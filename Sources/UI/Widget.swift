import Mesh

/// One protocol for everything that draws into a rect of a cell buffer: the widgets
/// (`TableWidget`, `GraphCanvas`) and the views (`HeaderView`, `GraphView`, …). A view is
/// built from its own small model, made from `AppState` by `Screen.render`, so what a view
/// reads is written in one place (its model) rather than being the whole state.
///
/// `Bar`, `InputLine` and `Dialog` are the drawing helpers of `Widgets` as widgets. `Widgets.box`
/// stays a function, since its caller needs the inner rect it returns, and `sparkline` and
/// `weightBar` make strings rather than draw.
public protocol Widget {
    func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer)
}

extension TableWidget: Widget {
    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) { draw(&buf, rect, glyphs: ctx.glyphs) }
}

extension GraphCanvas: Widget {
    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) { draw(&buf, rect, glyphs: ctx.glyphs) }
}

/// One row of segments: `left` from the left edge, `right` flush right and dropped when both
/// do not fit (`Widgets.bar`). The header's two rows and the footer's hints.
public struct Bar: Widget {
    public var left: [(String, Style)]
    public var right: [(String, Style)]
    public var fill: Style
    /// When both do not fit, cut the left part rather than drop the right (the header's
    /// connection badge is the last thing to go).
    public var keepRight: Bool

    public init(left: [(String, Style)], right: [(String, Style)] = [], fill: Style, keepRight: Bool = false) {
        self.left = left
        self.right = right
        self.fill = fill
        self.keepRight = keepRight
    }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        Widgets.bar(&buf, rect, left: left, right: right, fill: fill, keepRight: keepRight)
    }
}

/// A prompt and an editable text with its cursor, scrolled so the cursor shows
/// (`Widgets.input`). The `:` and `/` lines.
public struct InputLine: Widget {
    public var prompt: String
    public var text: String
    public var cursor: Int
    public var style: Style
    public var promptStyle: Style

    public init(prompt: String, text: String, cursor: Int, style: Style, promptStyle: Style) {
        self.prompt = prompt
        self.text = text
        self.cursor = cursor
        self.style = style
        self.promptStyle = promptStyle
    }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        Widgets.input(&buf, rect, prompt: prompt, text: text, cursor: cursor, style: style, promptStyle: promptStyle)
    }
}

/// A framed popup centred in the rect it is drawn in, with lines and a row of buttons
/// (`Widgets.dialog`).
public struct Dialog: Widget {
    public var title: String
    public var lines: [(String, Style)]
    public var buttons: [String]
    public var selectedButton: Int?
    public var minWidth: Int

    public init(title: String, lines: [(String, Style)], buttons: [String] = [], selectedButton: Int? = nil, minWidth: Int = 30) {
        self.title = title
        self.lines = lines
        self.buttons = buttons
        self.selectedButton = selectedButton
        self.minWidth = minWidth
    }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        Widgets.dialog(
            &buf, in: rect, title: title, lines: lines, buttons: buttons, selectedButton: selectedButton, glyphs: ctx.glyphs,
            minWidth: minWidth)
    }
}
