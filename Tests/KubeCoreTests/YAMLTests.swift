import Testing

@testable import KubeCore

/// The one YAML converter's limits: every YAML smitop reads (kubeconfigs included, which used
/// a second converter without a node budget) may be hostile.
@Suite struct YAMLLimits {
    /// Nine levels of nine aliases: 9^9 (387 million) nodes once expanded.
    static let aliasBomb: String = {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1...9 {
            let p = "*a\(i - 1)"
            lines.append("a\(i): &a\(i) [\(Array(repeating: p, count: 9).joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n")
    }()

    @Test func anAliasBombStopsAtTheNodeBudget() {
        do {
            _ = try JSON.parseYAML(Self.aliasBomb, maxNodes: 100_000)
            Issue.record("the alias bomb was expanded")
        } catch {
            #expect(error.message.contains("too large"))
        }
    }

    @Test func nestingBeyondTheLimitIsRefused() throws {
        // YAML flow style past libyaml's limit (a `{` or `[` first would be read as JSON).
        let deep = "a: " + String(repeating: "[", count: 1_001) + String(repeating: "]", count: 1_001)
        #expect(throws: YAMLReadError.self) { try JSON.parseYAML(deep) }
        // JSON past the JSON parser's limit.
        let deepJSON = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        #expect(throws: YAMLReadError.self) { try JSON.parseYAML(deepJSON) }
        // JSON between, deeper than YAML goes, is read.
        let json = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        #expect(try JSON.parseYAML(json).serialized() == Array(json.utf8))
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        var v = try JSON.parseYAML(fine)
        var depth = 0
        while case .array(let a) = v, let first = a.first {
            v = first
            depth += 1
        }
        #expect(depth == 99)
    }

    @Test func firstDocumentAndEmptyText() throws {
        #expect(try JSON.parseYAML("") == .null)
        #expect(try JSON.parseYAML("a: 1\n---\nb: 2")["a"] == .number("1"))
        #expect(try JSON.parseYAML("name: y\nflag: yes\non: true")["name"] == "y")
        #expect(try JSON.parseYAML("flag: yes")["flag"] == "yes")
    }
}

/// One set of name rules for the simulator's validation and lint, as apimachinery's.
@Suite struct NameRules {
    @Test func labelsSubdomainsAndServiceNames() {
        #expect(KubeNames.isDNS1123Label("books-v1"))
        #expect(!KubeNames.isDNS1123Label("books\n"))  // the regex version let this pass
        #expect(!KubeNames.isDNS1123Label("-books"))
        #expect(!KubeNames.isDNS1123Label(String(repeating: "a", count: 64)))
        #expect(KubeNames.isDNS1123Subdomain("books.v1"))
        #expect(!KubeNames.isDNS1123Subdomain("books..v1"))
        #expect(!KubeNames.isDNS1123Subdomain(""))
        #expect(!KubeNames.isDNS1123Subdomain("name\n"))
        // apimachinery limits the whole name, not each dotted part.
        #expect(KubeNames.isDNS1123Subdomain(String(repeating: "a", count: 70) + ".b"))
        #expect(!KubeNames.isDNS1123Subdomain(String(repeating: "a", count: 254)))
        #expect(KubeNames.isDNS1035Label("web"))
        #expect(!KubeNames.isDNS1035Label("1web"))
    }
}
