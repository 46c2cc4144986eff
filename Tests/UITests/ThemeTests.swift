import Foundation
import Testing

@testable import UI

@Suite struct ThemeTests {
    static let repoThemes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../themes").standardized.path
    static let builtinSwift = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/UI/BuiltinThemes.swift").standardized.path

    static func themeFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: repoThemes)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func everyThemeFileLoadsAndDefinesEveryRole() throws {
        let files = ThemeTests.themeFiles()
        #expect(Set(files).isSuperset(of: ["default.yaml", "light.yaml", "colorblind.yaml", "mono.yaml"]))
        for f in files {
            let name = String(f.dropLast(5))
            let t = try Theme.load(name: name, searchPaths: [ThemeTests.repoThemes])
            #expect(t.name == name, "\(f): name field must match the file name")
            #expect(t.source.hasSuffix(f))
            let missing = Role.allCases.filter { t.defined[$0] == nil }
            #expect(missing.isEmpty, "\(f) does not define \(missing)")
        }
    }

    /// The compiled-in copies are what a binary without its share/ directory uses.
    @Test func builtinCopiesEqualTheFiles() throws {
        var files: [(String, String)] = []
        for f in ThemeTests.themeFiles() {
            let text = try String(contentsOfFile: ThemeTests.repoThemes + "/" + f, encoding: .utf8)
            files.append((String(f.dropLast(5)), text))
        }
        let generated = ThemeTests.render(files)
        if Snapshot.recording {
            try generated.write(toFile: ThemeTests.builtinSwift, atomically: true, encoding: .utf8)
            return
        }
        #expect(BuiltinThemes.sources.count == files.count)
        for (name, text) in files {
            #expect(BuiltinThemes.sources[name] == text, "BuiltinThemes.swift is stale for \(name); re-record")
        }
        let current = try String(contentsOfFile: ThemeTests.builtinSwift, encoding: .utf8)
        #expect(current == generated)
    }

    static func render(_ files: [(String, String)]) -> String {
        var out = "// swift-format-ignore-file\n// Generated from themes/*.yaml: compiled-in copies so the binary always has its built-in themes.\n"
        out += "// Regenerate with `SMITOP_RECORD_SNAPSHOTS=1 swift test --filter UITests`; ThemeTests fails when they differ.\n"
        out += "enum BuiltinThemes {\n    static let sources: [String: String] = [\n"
        for (name, text) in files {
            out += "        \"\(name)\": #\"\"\"\n" + text + "\n\"\"\"#,\n"
        }
        return out + "    ]\n}\n"
    }

    @Test func builtinThemesLoadWithoutAnyDirectory() throws {
        for name in ["default", "light", "colorblind", "mono"] {
            let t = try Theme.load(name: name, searchPaths: ["/nonexistent"])
            #expect(t.source == "builtin:" + name)
        }
    }

    @Test func userDirectoryOverridesAndExtends() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smitop-theme-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "name: mine\nextends: default\nroles:\n  healthy: { fg: 33, fg8: blue }\n".write(
            toFile: dir + "/mine.yaml", atomically: true, encoding: .utf8)
        let t = try Theme.load(name: "mine", searchPaths: [dir, ThemeTests.repoThemes])
        #expect(t.style(.healthy).fg == .index(33))
        #expect(t.style(.header).bg == .index(24))
        try "name: default\nroles:\n  text: { fg: 1 }\n".write(toFile: dir + "/default.yaml", atomically: true, encoding: .utf8)
        let o = try Theme.load(name: "default", searchPaths: [dir, ThemeTests.repoThemes])
        #expect(o.style(.text).fg == .index(1))
        #expect(o.style(.badgeLive) == o.style(.text), "undefined roles fall back along the chain to text")
    }

    @Test func malformedThemesReportFileLineAndProblem() throws {
        func error(_ yaml: String) -> ThemeError? {
            do {
                _ = try Theme.parse(yaml, file: "bad.yaml")
                return nil
            } catch let e as ThemeError { return e } catch { return nil }
        }
        let e1 = error("name: x\nroles:\n  text: { fg: 252 }\n  bogus: { fg: 1 }\n")
        #expect(e1?.line == 4)
        #expect(e1?.description.hasPrefix("bad.yaml:4:") == true)
        #expect(e1?.message.contains("unknown role `bogus`") == true)
        let e2 = error("name: x\nroles:\n  text: { fg: 300 }\n")
        #expect(e2?.line == 3)
        #expect(e2?.message.contains("out of range") == true)
        let e3 = error("name: x\nroles:\n  text: { fg8: orange }\n")
        #expect(e3?.message.contains("unknown colour `orange`") == true)
        let e4 = error("name: x\nroles:\n  text: { fg: 1\n")
        #expect(e4?.line != nil)
        #expect(e4?.message.hasPrefix("YAML:") == true)
        let e5 = error("name: x\nroles:\n  text: { attrs: [blink] }\n")
        #expect(e5?.message.contains("unknown attribute `blink`") == true)
        #expect(error("roles:\n  text: {}\n")?.message == "missing `name`")
        #expect(error("name: x\nroles:\n  text: {}\n") == nil)
    }

    @Test func noColorSelectsMono() throws {
        let t = try Theme.resolve(name: "default", environment: ["NO_COLOR": "1"], searchPaths: [ThemeTests.repoThemes])
        #expect(t.name == "mono")
        for role in Role.allCases {
            #expect(t.style(role).fg == .terminalDefault && t.style(role).bg == .terminalDefault)
        }
        let d = try Theme.resolve(name: nil, environment: ["NO_COLOR": ""], searchPaths: [ThemeTests.repoThemes])
        #expect(d.name == "default")
    }

    @Test func unknownThemeNamesTheAlternatives() {
        #expect(throws: ThemeError.self) { try Theme.load(name: "nope", searchPaths: []) }
        do {
            _ = try Theme.load(name: "nope", searchPaths: [])
        } catch let e as ThemeError {
            #expect(e.message.contains("available: colorblind, default, light, mono"))
        } catch {}
        #expect(throws: ThemeError.self) { try Theme.load(name: "../etc/passwd", searchPaths: []) }
    }

    @Test func searchPathsPutTheUserDirectoryFirst() {
        let p = Theme.searchPaths(environment: ["XDG_CONFIG_HOME": "/x"], executablePath: "/opt/smitop/bin/smitop")
        #expect(p.first == "/x/smitop/themes")
        #expect(p.contains("/opt/smitop/share/smitop/themes"))
        let h = Theme.searchPaths(environment: ["HOME": "/home/u"], executablePath: nil)
        #expect(h == ["/home/u/.config/smitop/themes"])
    }

    /// Issue 14 item 10: started from PATH, argv[0] is a bare "smitop", which used to resolve
    /// against the working directory, so a `themes/default.yaml` planted above it won. A
    /// relative executable path adds nothing; the default is where the kernel says we are.
    @Test func searchPathsNeverDependOnTheWorkingDirectory() {
        let p = Theme.searchPaths(environment: ["HOME": "/home/u"], executablePath: "smitop")
        #expect(p == ["/home/u/.config/smitop/themes"], "\(p)")
        let exe = Theme.runningExecutablePath()
        #expect(exe?.hasPrefix("/") == true)
        #expect(exe.map { FileManager.default.isExecutableFile(atPath: $0) } == true)
    }
}
