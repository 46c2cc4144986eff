import App
import Foundation
import Mesh

/// The key map the help is generated from, and how far it is scrolled.
public struct HelpModel {
    public var keyMap: KeyMap
    public var scroll: Int

    public init(_ s: AppState) {
        keyMap = s.options.keyMap
        scroll = s.navigation.helpScroll
    }
}

/// Every key binding by context, then the graph's legend, scrollable, with arrows when there is more above or below.
public struct HelpView: Widget {
    public var model: HelpModel
    public init(_ model: HelpModel) { self.model = model }

    /// ↑ ↓ ← → as Up, Down, Left, Right, for terminals without them.
    public static func asciiKeyNames(_ keys: String) -> String {
        keys.replacingOccurrences(of: "↑", with: "Up").replacingOccurrences(of: "↓", with: "Down")
            .replacingOccurrences(of: "←", with: "Left").replacingOccurrences(of: "→", with: "Right")
    }

    /// The help text as lines, generated from the key map.
    public static func lines(_ keyMap: KeyMap = .standard, ascii: Bool = false) -> [(String, Style)] {
        var out: [(String, Style)] = []
        for c in KeyContext.allCases {
            let bs = keyMap.bindings(in: c)
            guard !bs.isEmpty else { continue }
            out.append((c.title, Style(.title)))
            for b in bs { out.append(("  " + TextWidth.pad(ascii ? asciiKeyNames(b.keysText) : b.keysText, to: 18) + " " + b.help, Style(.text))) }
            out.append(("", Style(.text)))
        }
        // The legend last: `i` scrolls here (`KeyMap.helpLineCount` lines in).
        for (i, l) in Legend.lines(ascii: ascii).enumerated() { out.append((l, Style(i == 0 ? .title : .text))) }
        return out
    }

    public func draw(in rect: Rect, _ ctx: DrawContext, _ buf: inout CellBuffer) {
        guard !rect.isEmpty else { return }
        let lines = Self.lines(model.keyMap, ascii: ctx.glyphs == .ascii)
        let top = max(0, min(model.scroll, max(0, lines.count - rect.height)))
        for i in 0..<rect.height where top + i < lines.count {
            let (text, st) = lines[top + i]
            buf.write(" " + text, x: rect.x, y: rect.y + i, style: st, clip: rect)
        }
        if top > 0 { buf.put(DisplayCluster(ctx.glyphs.scrollUp, width: 1), x: rect.maxX - 1, y: rect.y, style: Style(.muted)) }
        if top + rect.height < lines.count {
            buf.put(DisplayCluster(ctx.glyphs.scrollDown, width: 1), x: rect.maxX - 1, y: rect.maxY - 1, style: Style(.muted))
        }
    }
}
