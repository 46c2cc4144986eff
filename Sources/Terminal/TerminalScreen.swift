import App
internal import CNcursesw
import Glibc
import UI

public struct TerminalError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// Colour capability used to turn theme roles into ncurses colour pairs.
public enum ColorDepth: Sendable, Hashable {
    case none, eight, full256
}

/// Wakes a thread sleeping in `TerminalScreen.waitForEvents` from any thread.
public struct TerminalWaker: Sendable {
    let fd: Int32
    public func wake() {
        var b: UInt8 = 1
        _ = Glibc.write(fd, &b, 1)
    }
}

/// The terminal, through ncurses. One thread creates it, draws, reads and shuts it down
/// (ncurses is not thread-safe); only `waker` may be used elsewhere.
///
/// Drive it as: `init` → loop { `waitForEvents` (or poll `pollFDs` yourself) → `readEvents()`
/// → reduce → `draw(buffer)` } → `shutdown()`. Every exit path restores the terminal:
/// `shutdown()` (also from `deinit`), termination signals (reported as `.terminate`; a second
/// one restores and dies), stop/continue (handled here), and crash signals (a C handler).
public final class TerminalScreen {
    public private(set) var size: TermSize
    public private(set) var colorDepth: ColorDepth
    /// Set when `$TERM` had no terminfo entry and a fallback was used; show it to the user.
    public private(set) var notice: String?
    public let waker: TerminalWaker
    /// The locale's character set is UTF-8; otherwise draw with `Glyphs.ascii` (non-ASCII
    /// cells would be shown as `?`).
    public let isUTF8: Bool
    /// The tty, the signal pipe and the wake pipe: all three make `readEvents` worth calling.
    public var pollFDs: [Int32] { [inputFD, signalReadFD, wakeReadFD] }
    public let inputFD: Int32 = 0

    private var window: UnsafeMutablePointer<WINDOW>?
    private var screen: OpaquePointer?
    private let signalReadFD: Int32
    private let signalWriteFD: Int32
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private var theme: Theme
    private var pairs: [Role: (attrs: attr_t, pair: Int16)] = [:]
    private var mouseEnabled = false
    /// After a resize or a stop the terminal's contents are unknown to ncurses: repaint it all.
    private var needsFullRepaint = false
    private var active = false

    /// Take over the terminal. Throws when stdin/stdout is not a terminal or no terminfo
    /// entry at all can be loaded.
    public init(theme: Theme, colorDepth requested: ColorDepth? = nil, mouse: Bool = false) throws {
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw TerminalError(message: "smitop needs a terminal: stdin and stdout must be a tty")
        }
        setlocale(LC_ALL, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET))).uppercased()
        isUTF8 = codeset == "UTF-8" || codeset == "UTF8"
        var sig: [Int32] = [0, 0]
        var wk: [Int32] = [0, 0]
        guard smt_pipe_nonblocking(&sig) == 0, smt_pipe_nonblocking(&wk) == 0 else {
            throw TerminalError(message: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        signalReadFD = sig[0]
        signalWriteFD = sig[1]
        wakeReadFD = wk[0]
        wakeWriteFD = wk[1]
        waker = TerminalWaker(fd: wk[1])
        self.theme = theme
        size = TermSize(columns: 0, rows: 0)
        colorDepth = .none

        let term = Glibc.getenv("TERM").map { String(cString: $0) } ?? ""
        var scr = newterm(nil, smt_stdout(), smt_stdin())
        if scr == nil {
            for fallback in ["xterm-256color", "xterm", "vt100"] {
                scr = newterm(fallback, smt_stdout(), smt_stdin())
                if scr != nil {
                    notice = "TERM=\(term.isEmpty ? "(unset)" : term) has no terminfo entry; using \(fallback)"
                    break
                }
            }
        }
        guard let scr else {
            for fd in [sig[0], sig[1], wk[0], wk[1]] { close(fd) }
            throw TerminalError(
                message: "TERM=\(term.isEmpty ? "(unset)" : term) has no terminfo entry and no fallback "
                    + "(xterm-256color, xterm, vt100) is installed; install ncurses-term or set TERM")
        }
        screen = scr
        set_term(scr)
        // newterm makes the new screen's stdscr current; it is the window we draw into.
        window = newwin(0, 0, 0, 0)
        active = true
        guard let window else {
            endwin()
            delscreen(scr)
            throw TerminalError(message: "ncurses: cannot create the screen window")
        }
        raw()
        noecho()
        nonl()
        keypad(window, true)
        nodelay(window, true)
        intrflush(window, false)
        leaveok(window, false)
        set_escdelay(25)
        smt_signals_install(signalWriteFD)

        let hasColor = has_colors()
        if hasColor { start_color() }
        if let requested {
            colorDepth = hasColor ? requested : .none
        } else if !hasColor {
            colorDepth = .none
        } else {
            colorDepth = smt_colors() >= 256 ? .full256 : (smt_colors() >= 8 ? .eight : .none)
        }
        if colorDepth != .none {
            _ = use_default_colors()
        }
        applyTheme(theme)
        setMouse(mouse)
        size = TermSize(columns: Int(getmaxx(window)), rows: Int(getmaxy(window)))
    }

    deinit { shutdown() }

    /// Restore the terminal. Safe to call more than once.
    public func shutdown() {
        guard active else { return }
        active = false
        if mouseEnabled { _ = mousemask(0, nil) }
        curs_set(1)
        endwin()
        smt_signals_uninstall()
        if let window { delwin(window) }
        if let screen { delscreen(screen) }
        window = nil
        screen = nil
        for fd in [signalReadFD, signalWriteFD, wakeReadFD, wakeWriteFD] { close(fd) }
    }

    /// Use `theme` from the next frame on.
    public func applyTheme(_ theme: Theme) {
        self.theme = theme
        pairs = [:]
        let maxPairs = Int(smt_color_pairs())
        for (i, role) in Role.allCases.enumerated() {
            let s = theme.style(role)
            var attrs: attr_t = smt_a_normal()
            if s.attrs.contains(.bold) { attrs |= smt_a_bold() }
            if s.attrs.contains(.underline) { attrs |= smt_a_underline() }
            if s.attrs.contains(.reverse) { attrs |= smt_a_reverse() }
            if s.attrs.contains(.dim) { attrs |= smt_a_dim() }
            var pair: Int16 = 0
            if colorDepth != .none, i + 1 < maxPairs {
                let (fg, bg) = colorDepth == .full256 ? (s.fg, s.bg) : (s.fg8, s.bg8)
                func number(_ c: ThemeColor) -> Int16 {
                    if case .index(let n) = c { return Int16(n) }
                    return -1
                }
                pair = Int16(i + 1)
                if init_pair(pair, number(fg), number(bg)) == ERR { pair = 0 }
            }
            pairs[role] = (attrs, pair)
        }
    }

    public func setMouse(_ on: Bool) {
        mouseEnabled = on
        if on {
            mouseinterval(0)
            _ = mousemask(smt_mouse_all(), nil)
        } else {
            _ = mousemask(0, nil)
        }
    }

    /// Copy `buffer` to the screen. Every cell is written into the same window each frame;
    /// ncurses compares with what the terminal shows and sends only the differences.
    public func draw(_ buffer: CellBuffer) {
        guard active, let window else { return }
        let rows = Int(getmaxy(window))
        let cols = Int(getmaxx(window))
        if buffer.width != cols || buffer.height != rows {
            // A frame rendered for the old size: blank what it does not cover.
            werase(window)
        }
        if needsFullRepaint {
            needsFullRepaint = false
            clearok(window, true)
        }
        var chars = [wchar_t](repeating: 0, count: 8)
        for y in 0..<min(rows, buffer.height) {
            for x in 0..<min(cols, buffer.width) {
                let cell = buffer[x, y]
                if cell.width == 0 { continue }
                var n = 0
                if cell.width == 2 && x + 1 >= cols {
                    chars[0] = 0x20
                    n = 1
                } else {
                    for s in cell.text.unicodeScalars where n < 4 {
                        // Not UTF-8: one ASCII character that reads the same, never a `?`.
                        chars[n] = wchar_t(bitPattern: isUTF8 ? s.value : ASCIIFallback.character(for: s.value))
                        n += 1
                        if !isUTF8 { break }
                    }
                    if n == 0 {
                        chars[0] = 0x20
                        n = 1
                    }
                }
                chars[n] = 0
                // UI measures with a table taken from glibc; should the C library here disagree
                // (another Unicode version), draw placeholders of the width the UI reserved
                // rather than let ncurses shift the rest of the row.
                if chars[0] >= 0x80 && Int(smt_cells_width(chars)) != (cell.width == 2 && x + 1 < cols ? 2 : 1) {
                    chars[0] = 0x3F
                    chars[1] = 0
                    if cell.width == 2 && x + 1 < cols {
                        let p = pairs[cell.style.role] ?? (smt_a_normal(), 0)
                        _ = smt_put_cell(window, Int32(y), Int32(x + 1), [0x3F, 0], p.attrs, p.pair)
                    }
                }
                let p = pairs[cell.style.role] ?? (smt_a_normal(), 0)
                var attrs = p.attrs
                if cell.style.attrs.contains(.bold) { attrs |= smt_a_bold() }
                if cell.style.attrs.contains(.underline) { attrs |= smt_a_underline() }
                if cell.style.attrs.contains(.reverse) { attrs |= smt_a_reverse() }
                if cell.style.attrs.contains(.dim) { attrs |= smt_a_dim() }
                // The bottom-right cell reports ERR (the cursor cannot advance) but is drawn.
                _ = smt_put_cell(window, Int32(y), Int32(x), chars, attrs, p.pair)
            }
        }
        if let c = buffer.cursor, c.x >= 0, c.y >= 0, c.x < cols, c.y < rows {
            curs_set(1)
            wmove(window, Int32(c.y), Int32(c.x))
        } else {
            curs_set(0)
        }
        wnoutrefresh(window)
        doupdate()
    }

    /// Sleep until input, a signal or `waker.wake()`; `timeoutMs` nil waits indefinitely.
    /// Returns false on timeout.
    @discardableResult
    public func waitForEvents(timeoutMs: Int32? = nil) -> Bool {
        var fds = pollFDs.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        while true {
            let rc = poll(&fds, nfds_t(fds.count), timeoutMs ?? -1)
            if rc < 0 && errno == EINTR { continue }
            return rc > 0
        }
    }

    /// Everything that is ready now, without blocking: signals first (a resize before the
    /// keys typed at the new size), then keys and mouse events.
    public func readEvents() -> [TerminalEvent] {
        guard active, let window else { return [] }
        var events: [TerminalEvent] = []
        drain(wakeReadFD)
        for sig in drain(signalReadFD) {
            switch Int32(sig) {
            case SIGWINCH:
                var r: Int32 = 0
                var c: Int32 = 0
                if smt_winsize(1, &r, &c) == 0 { resize_term(r, c) }
                appendResize(&events)
            case SIGTSTP:
                suspend()
                events.append(.resumed)
                appendResize(&events)
            case SIGCONT:
                repaintAll()
                if events.last != .resumed { events.append(.resumed) }
            case SIGINT, SIGTERM, SIGHUP:
                events.append(.terminate(signal: Int32(sig)))
            default:
                break
            }
        }
        if inputHungUp() {
            // The terminal is gone (its emulator or tmux server died without a SIGHUP reaching
            // us): every poll would report it at once and every read return end-of-file, a hot
            // loop that never ends. Gone is the same as SIGHUP: save and exit.
            events.append(.terminate(signal: SIGHUP))
            return events
        }
        var ch: wint_t = 0
        var count = 0
        // Bounded so a paste of megabytes cannot starve rendering; the rest stays readable.
        while count < 4096 {
            let rc = wget_wch(window, &ch)
            if rc == ERR { break }
            count += 1
            if rc == KEY_CODE_YES {
                switch ch {
                case InputDecoder.Code.resize:
                    appendResize(&events)
                case InputDecoder.Code.mouse:
                    if let m = readMouse() { events.append(.mouse(m)) }
                default:
                    if let k = InputDecoder.decode(keyCode: ch) { events.append(.key(k)) }
                }
            } else if let k = InputDecoder.decode(character: ch) {
                events.append(.key(k))
            }
        }
        return events
    }

    private func inputHungUp() -> Bool {
        var p = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        return p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// The runtime acted on (or chose to ignore) `.terminate`: a later signal is again a
    /// polite request rather than a forced exit.
    public func terminationHandled() {
        smt_signals_termination_handled()
    }

    /// Give the terminal back and stop the process (Ctrl-Z bound in the key map, or SIGTSTP);
    /// returns after the shell continues it, with the screen repainted.
    public func suspend() {
        guard active else { return }
        endwin()
        smt_signals_set_curses_active(0)
        smt_stop_self()
        smt_signals_set_curses_active(1)
        var r: Int32 = 0
        var c: Int32 = 0
        if smt_winsize(1, &r, &c) == 0 { resize_term(r, c) }
        repaintAll()
    }

    private func repaintAll() {
        guard let window else { return }
        clearok(window, true)
        wnoutrefresh(window)
        doupdate()
    }

    private func appendResize(_ events: inout [TerminalEvent]) {
        guard let window else { return }
        if getmaxy(window) != smt_lines() || getmaxx(window) != smt_cols() {
            wresize(window, smt_lines(), smt_cols())
        }
        size = TermSize(columns: Int(getmaxx(window)), rows: Int(getmaxy(window)))
        needsFullRepaint = true
        events.removeAll { if case .resize = $0 { return true } else { return false } }
        events.append(.resize(size))
    }

    private func readMouse() -> MouseEvent? {
        var ev = MEVENT()
        guard getmouse(&ev) == OK else { return nil }
        let b = ev.bstate
        let x = Int(ev.x)
        let y = Int(ev.y)
        if b & smt_button4_pressed() != 0 { return MouseEvent(.scrollUp, x: x, y: y) }
        if b & smt_button5_pressed() != 0 { return MouseEvent(.scrollDown, x: x, y: y) }
        if b & smt_button1_double_clicked() != 0 { return MouseEvent(.doubleClick, x: x, y: y) }
        if b & smt_button1_pressed() != 0 || b & smt_button1_clicked() != 0 {
            return MouseEvent(.press, x: x, y: y)
        }
        if b & smt_button1_released() != 0 { return MouseEvent(.release, x: x, y: y) }
        return nil
    }

    @discardableResult
    private func drain(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(fd, &buf, buf.count)
            if n > 0 {
                out.append(contentsOf: buf[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return out
    }
}
