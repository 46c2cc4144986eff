import Foundation
import Yams

/// Semantic roles: views say what a cell *is*, the theme says how it looks.
public enum Role: String, CaseIterable, Hashable, Sendable {
    case text, muted, header, footer, border, title, selection, focus
    case tableHeader, keyHint, message, error
    case healthy, warning, critical, unknown
    case edge, edgeSelected, split
    case badgeLive, badgeStale, badgeOffline
    case dialog, dialogBorder, input, cursor
    case sparkline, weightBar, weightDraft, diffAdded, diffRemoved

    /// The role used when a theme does not define this one. Only `text` has none: every
    /// chain ends there.
    public var fallback: Role? {
        switch self {
        case .text: return nil
        case .muted, .header, .border, .selection, .message, .healthy, .warning, .critical, .input,
            .sparkline, .edge, .dialog:
            return .text
        case .footer: return .header
        case .title, .tableHeader: return .header
        case .focus: return .selection
        case .keyHint: return .footer
        case .error: return .critical
        case .unknown: return .muted
        case .edgeSelected: return .selection
        case .split: return .edge
        case .badgeLive: return .healthy
        case .badgeStale: return .warning
        case .badgeOffline: return .critical
        case .dialogBorder: return .border
        case .cursor: return .selection
        case .weightBar: return .healthy
        case .weightDraft: return .warning
        case .diffAdded: return .healthy
        case .diffRemoved: return .critical
        }
    }
}

/// A palette colour: the terminal's default, or an index (0–255 in 256-colour mode, 0–7 in
/// 8-colour mode).
public enum ThemeColor: Hashable, Sendable {
    case terminalDefault
    case index(Int)

    static let names: [String: Int] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
        "brightblack": 8, "gray": 8, "grey": 8, "brightred": 9, "brightgreen": 10, "brightyellow": 11,
        "brightblue": 12, "brightmagenta": 13, "brightcyan": 14, "brightwhite": 15,
    ]
}

public struct RoleStyle: Hashable, Sendable {
    /// Used when the terminal has 256 colours.
    public var fg: ThemeColor
    public var bg: ThemeColor
    /// Used when the terminal has only 8.
    public var fg8: ThemeColor
    public var bg8: ThemeColor
    public var attrs: TextAttributes

    public init(
        fg: ThemeColor = .terminalDefault, bg: ThemeColor = .terminalDefault, fg8: ThemeColor = .terminalDefault,
        bg8: ThemeColor = .terminalDefault, attrs: TextAttributes = []
    ) {
        self.fg = fg
        self.bg = bg
        self.fg8 = fg8
        self.bg8 = bg8
        self.attrs = attrs
    }
}

public struct ThemeError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s + ": " + message
    }
}

public struct Theme: Hashable, Sendable {
    public var name: String
    public var description: String
    /// Roles the theme defines itself; the rest resolve through `Role.fallback`.
    public var defined: [Role: RoleStyle]
    /// Where the theme was read from ("builtin:NAME" for compiled-in copies).
    public var source: String

    public init(name: String, description: String = "", defined: [Role: RoleStyle], source: String = "") {
        self.name = name
        self.description = description
        self.defined = defined
        self.source = source
    }

    public func style(_ role: Role) -> RoleStyle {
        var r: Role? = role
        while let cur = r {
            if let s = defined[cur] { return s }
            r = cur.fallback
        }
        return RoleStyle()
    }

    /// Colourless: attributes only. Used for `NO_COLOR`, and whenever nothing else loads.
    public static var mono: Theme {
        (try? parse(BuiltinThemes.sources["mono"]!, file: "builtin:mono")) ?? Theme(name: "mono", defined: [:])
    }

    // MARK: - Loading

    /// Where themes are looked for, most specific first: the user's directory, then the
    /// installed directory beside the binary, then the repository's `themes/` (development).
    /// Compiled-in copies of the built-in themes are the last resort and need no path.
    ///
    /// The binary's place is where the kernel says it is (`/proc/self/exe`), never argv[0]:
    /// started from PATH, argv[0] is a bare "smitop", which would resolve against the working
    /// directory, and a `themes/default.yaml` planted above it would win. A relative
    /// `executablePath` adds nothing, for the same reason.
    public static func searchPaths(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = runningExecutablePath()
    ) -> [String] {
        var paths: [String] = []
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            paths.append(xdg + "/smitop/themes")
        } else if let home = environment["HOME"], !home.isEmpty {
            paths.append(home + "/.config/smitop/themes")
        }
        if let exe = executablePath, exe.hasPrefix("/") {
            let url = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            paths.append(url.appendingPathComponent("../share/smitop/themes").standardized.path)
            // Development: .build/<config>/smitop → repository root/themes.
            paths.append(url.appendingPathComponent("../../themes").standardized.path)
            paths.append(url.appendingPathComponent("../../../themes").standardized.path)
        }
        return paths
    }

    /// The running binary's absolute path (Linux: `/proc/self/exe`; elsewhere Foundation's
    /// answer, used only when absolute).
    public static func runningExecutablePath() -> String? {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), p.hasPrefix("/") { return p }
        if let p = Bundle.main.executablePath, p.hasPrefix("/") { return p }
        return nil
    }

    /// Theme `name`, honouring `NO_COLOR` (any non-empty value selects `mono`).
    public static func resolve(
        name: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        searchPaths: [String]? = nil
    ) throws -> Theme {
        if let nc = environment["NO_COLOR"], !nc.isEmpty { return mono }
        return try load(
            name: name ?? "default", searchPaths: searchPaths ?? Theme.searchPaths(environment: environment))
    }

    /// The first `NAME.yaml` found on `searchPaths`, else the compiled-in copy. A file that
    /// exists but is malformed is an error (never silently skipped: the user meant it).
    public static func load(name: String, searchPaths: [String]) throws -> Theme {
        try load(name: name, searchPaths: searchPaths, depth: 0)
    }

    private static func load(name: String, searchPaths: [String], depth: Int) throws -> Theme {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw ThemeError(file: name, line: nil, column: nil, message: "invalid theme name")
        }
        guard depth < 8 else {
            throw ThemeError(file: name, line: nil, column: nil, message: "`extends` chain is too long (a cycle?)")
        }
        for dir in searchPaths {
            let path = dir + "/" + name + ".yaml"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ThemeError(file: path, line: nil, column: nil, message: "cannot read file")
            }
            return try parse(
                String(decoding: data, as: UTF8.self), file: path,
                base: { try load(name: $0, searchPaths: searchPaths, depth: depth + 1) })
        }
        if let text = BuiltinThemes.sources[name] {
            return try parse(
                text, file: "builtin:" + name,
                base: { try load(name: $0, searchPaths: searchPaths, depth: depth + 1) })
        }
        let known = Set(BuiltinThemes.sources.keys).union(available(searchPaths: searchPaths)).sorted()
        throw ThemeError(
            file: name, line: nil, column: nil,
            message: "no such theme (looked in \(searchPaths.joined(separator: ", ")); available: "
                + known.joined(separator: ", "))
    }

    /// Names of every theme on the search paths plus the built-in ones.
    public static func available(searchPaths: [String]) -> [String] {
        var names = Set(BuiltinThemes.sources.keys)
        for dir in searchPaths {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where f.hasSuffix(".yaml") {
                names.insert(String(f.dropLast(5)))
            }
        }
        return names.sorted()
    }

    /// Parse theme YAML. `base` resolves an `extends:` name.
    public static func parse(
        _ text: String, file: String, base: ((String) throws -> Theme)? = nil
    ) throws -> Theme {
        func fail(_ node: Node?, _ msg: String) -> ThemeError {
            ThemeError(file: file, line: node?.mark?.line, column: node?.mark?.column, message: msg)
        }
        let root: Node
        do {
            guard let r = try Yams.compose(yaml: text) else { throw fail(nil, "empty theme file") }
            root = r
        } catch let e as YamlError {
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                throw ThemeError(file: file, line: mark.line, column: mark.column, message: "YAML: " + problem)
            default:
                throw ThemeError(file: file, line: nil, column: nil, message: "YAML: \(e)")
            }
        }
        guard let top = root.mapping else { throw fail(root, "expected a mapping with `name` and `roles`") }
        var name = ""
        var desc = ""
        var defined: [Role: RoleStyle] = [:]
        var seenRoles = false
        for (k, v) in top {
            guard let key = k.scalar?.string else { throw fail(k, "keys must be plain strings") }
            switch key {
            case "name":
                guard let s = v.scalar?.string, !s.isEmpty else { throw fail(v, "`name` must be a string") }
                name = s
            case "description":
                guard let s = v.scalar?.string else { throw fail(v, "`description` must be a string") }
                desc = s
            case "extends":
                guard let s = v.scalar?.string else { throw fail(v, "`extends` must be a theme name") }
                guard let base else { throw fail(v, "`extends` is not available here") }
                let parent: Theme
                do { parent = try base(s) } catch let e as ThemeError {
                    throw fail(v, "cannot load base theme `\(s)`: \(e)")
                }
                defined = parent.defined.merging(defined) { _, mine in mine }
            case "roles":
                seenRoles = true
                guard let m = v.mapping else { throw fail(v, "`roles` must be a mapping of role: style") }
                for (rk, rv) in m {
                    guard let rname = rk.scalar?.string, let role = Role(rawValue: rname) else {
                        throw fail(
                            rk,
                            "unknown role `\(rk.scalar?.string ?? "?")` (known: "
                                + Role.allCases.map(\.rawValue).joined(separator: ", ") + ")")
                    }
                    defined[role] = try parseStyle(rv, role: rname, fail: fail)
                }
            default:
                throw fail(k, "unknown key `\(key)` (expected name, description, extends, roles)")
            }
        }
        guard !name.isEmpty else { throw fail(root, "missing `name`") }
        guard seenRoles else { throw fail(root, "missing `roles`") }
        return Theme(name: name, description: desc, defined: defined, source: file)
    }

    private static func parseStyle(
        _ node: Node, role: String, fail: (Node?, String) -> ThemeError
    ) throws -> RoleStyle {
        guard let m = node.mapping else {
            throw fail(node, "role `\(role)`: expected a mapping like { fg: 252, bg: default, fg8: white }")
        }
        var s = RoleStyle()
        for (k, v) in m {
            guard let key = k.scalar?.string else { throw fail(k, "role `\(role)`: keys must be strings") }
            switch key {
            case "fg": s.fg = try color(v, max: 255, what: "\(role).fg", fail: fail)
            case "bg": s.bg = try color(v, max: 255, what: "\(role).bg", fail: fail)
            case "fg8": s.fg8 = try color(v, max: 7, what: "\(role).fg8", fail: fail)
            case "bg8": s.bg8 = try color(v, max: 7, what: "\(role).bg8", fail: fail)
            case "attrs":
                let items: [Node]
                if let seq = v.sequence {
                    items = Array(seq)
                } else if v.scalar != nil {
                    items = [v]
                } else {
                    throw fail(v, "role `\(role)`: `attrs` must be a list")
                }
                for item in items {
                    switch item.scalar?.string {
                    case "bold": s.attrs.insert(.bold)
                    case "underline": s.attrs.insert(.underline)
                    case "reverse": s.attrs.insert(.reverse)
                    case "dim": s.attrs.insert(.dim)
                    default:
                        throw fail(
                            item,
                            "role `\(role)`: unknown attribute `\(item.scalar?.string ?? "?")` (bold, underline, reverse, dim)"
                        )
                    }
                }
            default:
                throw fail(k, "role `\(role)`: unknown key `\(key)` (fg, bg, fg8, bg8, attrs)")
            }
        }
        return s
    }

    private static func color(
        _ node: Node, max: Int, what: String, fail: (Node?, String) -> ThemeError
    ) throws -> ThemeColor {
        guard let raw = node.scalar?.string else { throw fail(node, "\(what): expected a colour") }
        let v = raw.lowercased()
        if v == "default" || v == "none" { return .terminalDefault }
        if let n = Int(v) {
            guard n >= 0, n <= max else { throw fail(node, "\(what): colour \(n) is out of range 0–\(max)") }
            return .index(n)
        }
        if let n = ThemeColor.names[v], n <= max { return .index(n) }
        let allowed = max == 7 ? "black red green yellow blue magenta cyan white" : "0–255 or a colour name"
        throw fail(node, "\(what): unknown colour `\(raw)` (use default, \(allowed))")
    }
}
