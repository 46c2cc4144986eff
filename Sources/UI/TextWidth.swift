/// One terminal cell's worth of text (or two, for a wide character), already made safe to draw.
///
/// `text` never contains a control character, a bidi override, a zero-width joiner or anything
/// whose width the C library and a terminal might disagree on; `width` is exactly what glibc's
/// `wcwidth` (and therefore ncurses) will advance the cursor by: 1 or 2.
public struct DisplayCluster: Hashable, Sendable {
    public var text: String
    public var width: Int

    public init(_ text: String, width: Int) {
        self.text = text
        self.width = width
    }

    public static let space = DisplayCluster(" ", width: 1)
    public static let ellipsis = DisplayCluster("…", width: 1)
    public static let replacement = DisplayCluster("?", width: 1)
}

/// Display width and sanitisation. Every string drawn by the UI goes through `clusters(_:)`,
/// so nothing a cluster object holds can move the cursor, change the terminal or misalign a row.
public enum TextWidth {
    /// Most marks a base character keeps; more than this ("zalgo" text) is dropped, because
    /// ncurses stores at most 5 characters per cell and terminals stack marks unpredictably.
    public static let maxCombiningMarks = 2

    /// glibc's `wcwidth` for one scalar: -1 (not printable), 0, 1 or 2.
    public static func scalarWidth(_ value: UInt32) -> Int {
        if value >= 0x20 && value < 0x7F { return 1 }
        var lo = 0
        var hi = widthTable.count / 3 - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let start = widthTable[mid * 3]
            let end = widthTable[mid * 3 + 1]
            if value < start {
                hi = mid - 1
            } else if value > end {
                lo = mid + 1
            } else {
                let w = widthTable[mid * 3 + 2]
                return w == 255 ? -1 : Int(w)
            }
        }
        return 1
    }

    /// Decodes bytes from the outside world; invalid UTF-8 becomes U+FFFD (one column).
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The drawable clusters of `string`, in order. Controls become visible escapes (`\x1b`),
    /// invisible or direction-changing characters become `?`, emoji ZWJ sequences keep only
    /// their first emoji, variation selectors and skin-tone modifiers are dropped, flags become
    /// their two letters.
    public static func clusters(_ string: String) -> [DisplayCluster] {
        var out: [DisplayCluster] = []
        out.reserveCapacity(string.utf8.count)
        for character in string {
            appendClusters(of: character, to: &out)
        }
        return out
    }

    /// Total display width of `string` after sanitisation.
    public static func width(_ string: String) -> Int {
        var total = 0
        for character in string {
            if let ascii = character.asciiValue, ascii >= 0x20, ascii < 0x7F {
                total += 1
                continue
            }
            var tmp: [DisplayCluster] = []
            appendClusters(of: character, to: &tmp)
            for c in tmp { total += c.width }
        }
        return total
    }

    /// The sanitised form of `string`; `sanitize(sanitize(s)) == sanitize(s)`.
    public static func sanitize(_ string: String) -> String {
        var s = ""
        for c in clusters(string) { s += c.text }
        return s
    }

    /// Clusters of `string` fitting in `width` columns; when it does not fit and `ellipsis` is
    /// set the last column shows `…`. A wide character that would straddle the limit is dropped
    /// rather than split.
    public static func fit(_ string: String, width: Int, ellipsis: Bool = true) -> [DisplayCluster] {
        fit(clusters(string), width: width, ellipsis: ellipsis)
    }

    public static func fit(_ all: [DisplayCluster], width: Int, ellipsis: Bool = true) -> [DisplayCluster] {
        guard width > 0 else { return [] }
        var total = 0
        for c in all { total += c.width }
        if total <= width { return all }
        let budget = ellipsis ? width - 1 : width
        var out: [DisplayCluster] = []
        var used = 0
        for c in all {
            if used + c.width > budget { break }
            out.append(c)
            used += c.width
        }
        if ellipsis { out.append(.ellipsis) }
        return out
    }

    /// `string` sanitised and clipped to `width` columns (with `…` when cut).
    /// `string` in `width` columns, cut in the middle: generated names differ at the end
    /// ("config-writer-v1" / "config-writer-v2"), so the end is kept.
    public static func middle(_ string: String, to width: Int) -> String {
        let all = clusters(string)
        guard all.reduce(0, { $0 + $1.width }) > width else { return string }
        guard width > 2 else { return clip(string, to: width) }
        let tailBudget = (width - 1) / 2
        var tail: [DisplayCluster] = []
        var used = 0
        for c in all.reversed() {
            guard used + c.width <= tailBudget else { break }
            tail.insert(c, at: 0)
            used += c.width
        }
        var s = ""
        for c in fit(all, width: width - used, ellipsis: true) { s += c.text }
        for c in tail { s += c.text }
        return s
    }

    public static func clip(_ string: String, to width: Int, ellipsis: Bool = true) -> String {
        var s = ""
        for c in fit(string, width: width, ellipsis: ellipsis) { s += c.text }
        return s
    }

    public enum Alignment: Sendable { case left, right, center }

    /// `string` sanitised, clipped and padded with spaces to exactly `width` columns.
    public static func pad(_ string: String, to width: Int, align: Alignment = .left) -> String {
        guard width > 0 else { return "" }
        let cs = fit(string, width: width)
        var used = 0
        var body = ""
        for c in cs {
            body += c.text
            used += c.width
        }
        let gap = width - used
        switch align {
        case .left: return body + String(repeating: " ", count: gap)
        case .right: return String(repeating: " ", count: gap) + body
        case .center:
            let left = gap / 2
            return String(repeating: " ", count: left) + body + String(repeating: " ", count: gap - left)
        }
    }

    // MARK: - Classification

    private static func escape(_ value: UInt32, into out: inout [DisplayCluster]) {
        let hex = Array("0123456789abcdef")
        let chars: [Character] = ["\\", "x", hex[Int(value >> 4) & 0xF], hex[Int(value) & 0xF]]
        for ch in chars { out.append(DisplayCluster(String(ch), width: 1)) }
    }

    private static func isControl(_ v: UInt32) -> Bool {
        v < 0x20 || (v >= 0x7F && v <= 0x9F)
    }

    /// Presentation hints that only change how a terminal *might* draw the base: dropping them
    /// leaves the base at the width glibc reports.
    private static func isPresentationOnly(_ v: UInt32) -> Bool {
        (v >= 0xFE00 && v <= 0xFE0F) || (v >= 0xE0100 && v <= 0xE01EF) || (v >= 0xE0020 && v <= 0xE007F)
    }

    private static func isEmojiModifier(_ v: UInt32) -> Bool { v >= 0x1F3FB && v <= 0x1F3FF }

    /// Characters that draw nothing yet change layout or direction: bidi controls, zero-width
    /// spaces, soft hyphen, line/paragraph separators and every other format character.
    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v == 0xAD || v == 0x2028 || v == 0x2029 || v == 0x115F || v == 0x3164 || v == 0xFFA0 { return true }
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: return true
        default: return false
        }
    }

    private static func appendClusters(of character: Character, to out: inout [DisplayCluster]) {
        if let ascii = character.asciiValue, ascii >= 0x20, ascii < 0x7F {
            out.append(DisplayCluster(String(character), width: 1))
            return
        }
        var base: String.UnicodeScalarView? = nil
        var baseWidth = 0
        var marks = 0
        var inJoinedSequence = false

        func flush() {
            if let b = base { out.append(DisplayCluster(String(b), width: baseWidth)) }
            base = nil
            marks = 0
        }

        for scalar in character.unicodeScalars {
            let v = scalar.value
            if isControl(v) {
                flush()
                inJoinedSequence = false
                escape(v, into: &out)
                continue
            }
            if isPresentationOnly(v) { continue }
            if isEmojiModifier(v) {
                // Alone it is a 2-column swatch, but drawn next to an emoji a terminal fuses the
                // two into one glyph: never let it start a cell.
                if base == nil { out.append(.replacement) }
                continue
            }
            if v == 0x200D {
                // A ZWJ sequence is 2 columns to tmux but the sum of its parts to glibc: keep
                // only the first emoji so both agree.
                if base != nil { inJoinedSequence = true } else { out.append(.replacement) }
                continue
            }
            if inJoinedSequence { continue }
            if v >= 0x1F1E6 && v <= 0x1F1FF {
                flush()
                let letter = Unicode.Scalar(UInt32(0x41) + (v - 0x1F1E6))!
                out.append(DisplayCluster(String(Character(letter)), width: 1))
                continue
            }
            if isInvisible(scalar) {
                flush()
                out.append(.replacement)
                continue
            }
            let w = scalarWidth(v)
            if w < 0 {
                flush()
                out.append(.replacement)
                continue
            }
            if w == 0 {
                if base != nil {
                    if marks < maxCombiningMarks {
                        base!.append(scalar)
                        marks += 1
                    }
                } else {
                    // A mark with nothing to sit on would merge into whatever is drawn left of it.
                    out.append(.replacement)
                }
                continue
            }
            flush()
            base = String.UnicodeScalarView([scalar])
            baseWidth = w
        }
        flush()
    }
}
