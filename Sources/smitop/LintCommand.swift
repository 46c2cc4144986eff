import ArgumentParser
import Foundation
import KubeCore
import Lint
import SMI

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint", abstract: "Validate SMI and Gateway API route manifests offline and show each split's and each route rule's effective shares.",
        discussion: """
            Reads multi-document YAML or JSON (use - for standard input). Exit codes: 0 valid \
            (warnings allowed), 1 an object is invalid, 2 unreadable input.
            """)

    @Argument(help: "Manifest files, or - for standard input.") var files: [String]
    @Option(name: [.customShort("o"), .customLong("output")], help: "text or json.") var output = "text"

    func run() throws {
        guard output == "text" || output == "json" else { throw CLIError.fail("--output must be text or json", code: 2) }
        if files.isEmpty { throw CLIError.fail("name at least one file, or - for standard input", code: 2) }
        var worst: Int32 = 0
        var all: [JSON] = []
        for f in files {
            let source: String
            if f == "-" {
                source = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: f) else {
                    FileHandle.standardError.write(Data("\(f): cannot read file\n".utf8))
                    worst = max(worst, 2)
                    all.append([
                        "kind": nil, "apiVersion": nil, "namespace": nil, "name": nil, "backends": [],
                        "problems": [["severity": "fatal", "message": "cannot read file", "file": .string(f), "line": 0, "path": ""]],
                    ])
                    continue
                }
                source = String(decoding: data, as: UTF8.self)
            }
            let report = lint(documents: source, fileName: f == "-" ? "<stdin>" : f)
            worst = max(worst, report.exitCode)
            if output == "json" {
                all.append(contentsOf: report.json.arrayValue ?? [])
            } else {
                print(report.text, terminator: "")
            }
        }
        if output == "json" { printJSON(.array(all)) }
        if worst != 0 { throw ExitCode(worst) }
    }
}
