internal import CNcursesw

public enum TerminalLibrary {
    /// The ncurses this binary runs with, for `smitop --version` and bug reports.
    public static var version: String { String(cString: curses_version()) }
}
