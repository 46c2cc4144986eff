import Foundation
import Testing

/// The text screenshots in README.md and docs/*.md are the snapshot files these tests render,
/// pasted between `<!-- snapshot: NAME -->` and `<!-- /snapshot -->`. This keeps them true:
/// a changed view changes its snapshot, and the page must follow (`SMITOP_RECORD_SNAPSHOTS=1`
/// rewrites the pages too).
@Suite struct DocScreenshotTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func pages() -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []
        return [root.appendingPathComponent("README.md")] + names.filter { $0.hasSuffix(".md") }.sorted().map { docs.appendingPathComponent($0) }
    }

    /// Replaces every marked block with the snapshot's text; returns the page and the names used.
    static func refreshed(_ text: String) throws -> (String, [String]) {
        var out = ""
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<!-- snapshot: ") {
            out += rest[..<open.upperBound]
            rest = rest[open.upperBound...]
            guard let nameEnd = rest.range(of: " -->"), let close = rest.range(of: "<!-- /snapshot -->") else {
                throw SnapshotDocError(message: "unterminated snapshot marker")
            }
            let name = String(rest[..<nameEnd.lowerBound])
            names.append(name)
            let snap = try String(contentsOf: Snapshot.directory.appendingPathComponent(name + ".txt"), encoding: .utf8)
            let body = snap.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }
            .joined(separator: "\n").trimmingCharacters(in: .newlines)
            out += name + " -->\n```text\n" + body + "\n```\n"
            rest = rest[close.lowerBound...]
        }
        out += rest
        return (out, names)
    }

    @Test func screenshotsInTheDocsAreTheSnapshots() throws {
        var used = 0
        for page in Self.pages() {
            let text = try String(contentsOf: page, encoding: .utf8)
            let (fresh, names) = try Self.refreshed(text)
            used += names.count
            if Snapshot.recording {
                if fresh != text { try fresh.write(to: page, atomically: true, encoding: .utf8) }
                continue
            }
            #expect(fresh == text, "\(page.lastPathComponent): a screenshot differs from its snapshot; run the tests with SMITOP_RECORD_SNAPSHOTS=1")
        }
        #expect(used >= 4, "the user guide and README show the screens")
    }
}

struct SnapshotDocError: Error { var message: String }
