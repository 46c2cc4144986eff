/// What a cell's character becomes on a terminal whose locale is not UTF-8 (`LC_ALL=C`).
/// The UI draws with ASCII glyphs there, but text from elsewhere (`·` between metrics, `…`
/// where text is cut, `–` for "no value") still carries a few non-ASCII characters, which
/// ncurses would show as `?`: each gets the ASCII character that reads the same.
public enum ASCIIFallback {
    public static func character(for scalar: UInt32) -> UInt32 {
        if scalar < 0x80 { return scalar }
        switch scalar {
        case 0xB7, 0x2026, 0x2022, 0x22C5: return 0x2E  // · … • ⋅ → .
        case 0x2010...0x2015, 0x2212: return 0x2D  // hyphens and dashes → -
        case 0x2192, 0x25B8, 0x25B6, 0x203A, 0x2794: return 0x3E  // → ▸ ▶ › → >
        case 0x2190, 0x25C2, 0x25C0, 0x2039: return 0x3C  // ← ◂ ◀ ‹ → <
        case 0x2191, 0x25B4: return 0x5E  // ↑ ▴ → ^
        case 0x2193, 0x25BE: return 0x76  // ↓ ▾ → v
        case 0x2713, 0x2714: return 0x6F  // ✓ → o (not +, which box corners use)
        case 0x2717, 0x2718, 0xD7: return 0x78  // ✗ × → x
        case 0x25CF, 0x25CB, 0x25D0, 0x2605: return 0x2A  // ● ○ ◐ ★ → *
        case 0x2018, 0x2019: return 0x27
        case 0x201C, 0x201D: return 0x22
        // Box drawing: horizontals, verticals, everything else (corners, tees) a +.
        case 0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D, 0x2550, 0x2574, 0x2576: return 0x2D
        case 0x2502, 0x2503, 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F, 0x2551, 0x2575, 0x2577: return 0x7C
        case 0x2500...0x257F: return 0x2B
        case 0x2580...0x259F: return 0x23  // blocks (sparklines, bars) → #
        default: return 0x3F
        }
    }
}
