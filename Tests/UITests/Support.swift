import Foundation
import KubeCore
import Testing

@testable import UI

/// Snapshot files live beside this file; `SMITOP_RECORD_SNAPSHOTS=1` rewrites them.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots")
    static var recording: Bool { ProcessInfo.processInfo.environment["SMITOP_RECORD_SNAPSHOTS"] == "1" }

    static func check(_ buf: CellBuffer, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        Invariants.check(buf, sourceLocation: sourceLocation)
        let url = directory.appendingPathComponent(name + ".txt")
        let actual = buf.text + "\n"
        if recording {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record(
                "missing snapshot \(name).txt; run with SMITOP_RECORD_SNAPSHOTS=1 to record:\n\(actual)",
                sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            var diff = ""
            for i in 0..<max(e.count, a.count) {
                let el = i < e.count ? String(e[i]) : "<none>"
                let al = i < a.count ? String(a[i]) : "<none>"
                if el != al { diff += "line \(i + 1):\n  expected |\(el)|\n  actual   |\(al)|\n" }
            }
            Issue.record("snapshot \(name) differs:\n\(diff)", sourceLocation: sourceLocation)
        }
    }
}

/// What must hold for every buffer, whatever was drawn into it.
enum Invariants {
    static func forbidden(_ v: UInt32) -> Bool {
        v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0x200D || v == 0x200B || v == 0x200E || v == 0x200F
            || (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069) || v == 0xFEFF || v == 0x061C
            || (v >= 0xFE00 && v <= 0xFE0F)
    }

    static func check(_ buf: CellBuffer, sourceLocation: SourceLocation = #_sourceLocation) {
        for y in 0..<buf.height {
            var cols = 0
            for x in 0..<buf.width {
                let c = buf[x, y]
                for s in c.text.unicodeScalars where forbidden(s.value) {
                    Issue.record("forbidden U+\(String(s.value, radix: 16)) at \(x),\(y)", sourceLocation: sourceLocation)
                }
                switch c.width {
                case 0:
                    if x == 0 || buf[x - 1, y].width != 2 {
                        Issue.record("orphan continuation at \(x),\(y)", sourceLocation: sourceLocation)
                    }
                case 1, 2:
                    let measured = TextWidth.width(c.text)
                    if measured != Int(c.width) {
                        Issue.record(
                            "cell \(x),\(y) \(c.text.debugDescription) claims width \(c.width), measures \(measured)",
                            sourceLocation: sourceLocation)
                    }
                    if c.width == 2 && (x + 1 >= buf.width || buf[x + 1, y].width != 0) {
                        Issue.record("wide cell without continuation at \(x),\(y)", sourceLocation: sourceLocation)
                    }
                    cols += Int(c.width)
                default:
                    Issue.record("bad width \(c.width)", sourceLocation: sourceLocation)
                }
            }
            if cols != buf.width { Issue.record("row \(y) is \(cols) columns", sourceLocation: sourceLocation) }
            let rowWidth = TextWidth.width(buf.row(y))
            if rowWidth != buf.width {
                Issue.record("row \(y) re-measures as \(rowWidth) columns: \(buf.row(y))", sourceLocation: sourceLocation)
            }
        }
    }
}

enum Hostile {
    static let pieces: [String] = [
        "\u{1B}[31m", "\u{1B}]0;pwned\u{07}", "\u{1B}[2J", "\u{9B}1;1H", "\u{7F}", "\u{00}", "\r\n", "\t",
        "\u{202E}evil", "\u{2066}x\u{2069}", "\u{200B}", "\u{200D}", "\u{FEFF}", "👨‍👩‍👧", "👍🏽", "❤️", "🇩🇪",
        "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", "e\u{301}\u{302}\u{303}\u{304}", "\u{301}",
        "日本語", "한국어", "\u{1100}\u{1161}\u{11A8}", "abc", "web-svc", " ", "…", "\u{FFFD}", "\u{E000}",
        "\u{10FFFF}", "\u{0378}", "\u{2028}", "\u{AD}", "1\u{FE0F}\u{20E3}", "ｆｕｌｌ", "\u{0B95}\u{0BCD}",
    ]

    static func string(_ rng: inout SplitMix64, maxPieces: Int = 8) -> String {
        var s = ""
        for _ in 0..<Int.random(in: 0...maxPieces, using: &rng) { s += pieces.randomElement(using: &rng)! }
        return s
    }

    static let longName = String(repeating: "a", count: 9_990) + "日本\u{1B}[0m"
}
