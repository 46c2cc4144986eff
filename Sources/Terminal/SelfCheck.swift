import App
import UI

/// A manual check of the terminal layer without a cluster (`smitop` can expose it as a hidden
/// subcommand): draws every theme role, wide and combining characters and box drawing, and
/// echoes each decoded event. Keys: q quits, z suspends (Ctrl-Z semantics), m toggles the
/// mouse, ! crashes on purpose (the terminal must come back usable).
public enum TerminalSelfCheck {
    public static func run(theme: Theme, glyphs: Glyphs = .unicode) throws {
        let screen = try TerminalScreen(theme: theme, mouse: false)
        defer { screen.shutdown() }
        var log: [String] = ["colour depth: \(screen.colorDepth), UTF-8: \(screen.isUTF8)", screen.notice ?? "terminfo ok"]
        var mouse = false
        while true {
            screen.draw(frame(screen.size, theme: theme, glyphs: glyphs, log: log))
            screen.waitForEvents()
            for e in screen.readEvents() {
                log.append(String(describing: e))
                switch e {
                case .key(.char("q")), .terminate:
                    return
                case .key(.char("z")):
                    screen.suspend()
                case .key(.char("m")):
                    mouse.toggle()
                    screen.setMouse(mouse)
                case .key(.char("!")):
                    fatalError("deliberate crash from the terminal self-check")
                default:
                    break
                }
            }
            if log.count > 200 { log.removeFirst(log.count - 200) }
        }
    }

    public static func frame(_ size: TermSize, theme: Theme, glyphs: Glyphs, log: [String]) -> CellBuffer {
        var b = CellBuffer(width: size.columns, height: size.rows)
        let inner = Widgets.box(&b, b.bounds, title: "smitop terminal check — q quit, z suspend, m mouse, ! crash", glyphs: glyphs)
        guard !inner.isEmpty else { return b }
        var y = inner.y
        var x = inner.x + 1
        for role in Role.allCases {
            let w = TextWidth.width(role.rawValue) + 1
            if x + w > inner.maxX {
                x = inner.x + 1
                y += 1
            }
            b.write(role.rawValue, x: x, y: y, style: Style(role), clip: inner)
            x += w
        }
        y += 2
        let samples = [
            "wide: 日本語 한국어 ｆｕｌｌ", "marks: e\u{301} a\u{308} n\u{303}", "emoji: 👍 👨‍👩‍👧 ❤️ 🇩🇪",
            "hostile: \u{1B}[31mred\u{1B}[0m \u{202E}abc", "spark: " + Widgets.sparkline([1, 3, nil, 5, 8, 2, 7], width: 7, glyphs: glyphs),
        ]
        for s in samples where y < inner.maxY {
            b.write(s, x: inner.x + 1, y: y, style: Style(.text), clip: inner)
            b.write("|", x: inner.x + 40, y: y, style: Style(.border), clip: inner)
            y += 1
        }
        y += 1
        let room = max(0, inner.maxY - y)
        for line in log.suffix(room) {
            b.write(line, x: inner.x + 1, y: y, style: Style(.muted), clip: inner)
            y += 1
        }
        return b
    }
}
