import ArgumentParser
import Foundation
import Runtime
import Terminal
import Transport

@main
struct Smitop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smitop",
        abstract: "A terminal UI and toolkit for SMI service meshes on Kubernetes.",
        discussion: """
            Exit codes: 0 success; 1 invalid input or a failed request; 2 usage error or unreadable \
            input; 3 write conflict (the object changed on the server).
            """,
        version: SmitopVersion.string,
        subcommands: [
            UICommand.self, DemoCommand.self, SplitsCommand.self, RoutesCommand.self, SplitCommand.self, MetricsCommand.self, GraphCommand.self,
            LintCommand.self,
            ConfigCommand.self, SimCommand.self, TerminalCheckCommand.self,
        ],
        defaultSubcommand: UICommand.self)

    static func main() async {
        disableCoreDumps()
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        let arguments: [String]
        switch GlobalFlags.normalize(Array(CommandLine.arguments.dropFirst()), commands: names) {
        case .parse(let a): arguments = a
        case .unknownCommand(let text):
            FileHandle.standardError.write(Data("smitop: \(text)\n".utf8))
            terminate(2)
        }
        // glibc's malloc tuned for the UI's resident memory (one arena, a fixed mmap threshold),
        // for the UI and the demo only, and before any thread has taken an arena of its own.
        // A UI lives for hours and relists; a one-shot command (`splits`, `routes`, `graph`)
        // decodes its pages on several threads and exits: one arena made them queue on its
        // lock and the fixed threshold mapped each large buffer afresh, so a 10,000-split
        // listing took 250 ms instead of 161 (medians of 12 alternated release runs on one
        // simulator). The simulator keeps per-thread arenas, so that SwiftNIO's threads do not
        // queue on a lock.
        let subcommand = arguments.first.flatMap { names.contains($0) ? $0 : nil } ?? "ui"
        if subcommand == "ui" || subcommand == "demo" { tuneMalloc() }
        do {
            var command = try parseAsRoot(arguments)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            // As ArgumentParser's `exit(withError:)` reports it, but ended through `terminate`.
            let code = exitCode(for: error)
            let text = fullMessage(for: error)
            if !text.isEmpty {
                if code == .success {
                    print(text)
                } else {
                    FileHandle.standardError.write(Data((text + "\n").utf8))
                }
            }
            // ArgumentParser says 64 (EX_USAGE) for a usage error; our table says 2.
            terminate(code.rawValue == 64 ? 2 : code.rawValue)
        }
        terminate(0)
    }
}

/// Ends the process with stdio flushed but without exit handlers or unwinding. Why: libcurl's
/// network thread may still be closing a TLS connection when a command is done, and the exit
/// handlers free OpenSSL's locks under it (a crash seen once in `make test`: `split shift`
/// died of SIGSEGV in pthread_rwlock_rdlock after its work was done). It also spares a
/// command that has written its output the time of freeing what it read.
func terminate(_ code: Int32) -> Never {
    fflush(nil)  // every C stream (`print` writes to stdout's buffer)
    _exit(code)
}

/// A core file would hold what smitop has in memory: bearer tokens, client keys, exec plugin
/// answers. No core files, as ssh-agent does; the crash handler still restores the terminal.
func disableCoreDumps() {
    var none = rlimit(rlim_cur: 0, rlim_max: 0)
    _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
}

enum SmitopVersion {
    static let number = "0.1.0"
    /// The version and the C libraries it runs with: what a bug report needs.
    static var string: String { "smitop \(number)\n\(CurlTransport.versionDescription)\n\(TerminalLibrary.version)" }
}
