import Crypto
import Foundation
import Kube
import KubeCore

/// Asking before running a kubeconfig's exec credential plugin. A kubeconfig is code: its
/// `exec` entry runs a program as you. smitop runs one only from a kubeconfig it has been told
/// to trust: `--trust-exec`, or a "yes" at a prompt (when a terminal is there to ask), which is
/// remembered for exactly that kubeconfig content and program (a SHA-256 of the files, the
/// command and the absolute path it resolves to) in `$XDG_STATE_HOME/smitop/trusted-exec`
/// (mode 0600). An edited kubeconfig asks again.
///
/// The same holds for credential files a kubeconfig names outside its own directory and
/// `~/.kube` (`tokenFile`, `client-key`, `client-certificate`, `certificate-authority`): they
/// are read only with `--trust-files` or a remembered "yes" naming each file.
public struct ExecTrust: Sendable {
    public let storePath: String?

    public init(environment: [String: String]) {
        if let x = environment["XDG_STATE_HOME"], !x.isEmpty {
            storePath = x + "/smitop/trusted-exec"
        } else if let h = environment["HOME"], !h.isEmpty {
            storePath = h + "/.local/state/smitop/trusted-exec"
        } else {
            storePath = nil
        }
    }

    /// SHA-256 of the kubeconfig files (paths and contents) and `extra`: what a "yes" is for.
    public static func fingerprint(_ files: [String], _ extra: [String]) -> String {
        var h = SHA256()
        for f in files {
            h.update(data: Data(f.utf8))
            if case .success(let bytes) = LocalFile.read(f, limit: Kubeconfig.maxKubeconfigBytes) { h.update(data: Data(bytes)) }
        }
        for e in extra { h.update(data: Data(e.utf8)) }
        return h.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The exec plugin this cluster would run, if any: the command as written, the absolute
    /// path it resolves to on smitop's own PATH (what runs), the command line as shown, the
    /// names of the variables its `env` sets and of those dropped, and the fingerprint that
    /// trusting it means.
    public static func plugin(
        of cluster: ResolvedCluster
    ) -> (
        program: String, executable: String?, command: String, env: [String], dropped: [String], fingerprint: String
    )? {
        guard let exec = cluster.credentials as? ExecCredentialProvider else { return nil }
        let executable = exec.resolvedExecutable
        let command = ([executable ?? exec.config.command] + exec.config.args).joined(separator: " ")
        let env = exec.config.passedEnv.map(\.name)
        let dropped = exec.config.env.map(\.name).filter(ExecConfig.isLoaderVariable)
        let fp = fingerprint(cluster.sourceFiles, [command, "exec:" + (executable ?? "")])
        return (exec.config.command, executable, command, env, dropped, fp)
    }

    public func isTrusted(_ fingerprint: String) -> Bool {
        guard let p = storePath, let text = try? String(contentsOfFile: p, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0 == fingerprint }
    }

    public func remember(_ fingerprint: String) {
        guard let p = storePath else { return }
        guard PrivateFile.directory((p as NSString).deletingLastPathComponent) == nil else { return }
        let old = (try? String(contentsOfFile: p, encoding: .utf8)) ?? ""
        _ = PrivateFile.replace(p, with: Array((old + fingerprint + "\n").utf8))
    }

    /// nil when the plugin may run; otherwise why not. `ask` is given the question and returns
    /// the answer (nil: nobody to ask).
    public func decide(_ cluster: ResolvedCluster, trustFlag: Bool, ask: (String) -> Bool?) -> String? {
        guard let (program, executable, command, env, dropped, fingerprint) = Self.plugin(of: cluster) else { return nil }
        if trustFlag || isTrusted(fingerprint) { return nil }
        let files = cluster.sourceFiles.joined(separator: ", ")
        // What runs, as the kernel will find it, and everything the kubeconfig adds to its
        // environment by name: approving "aws eks get-token" must not approve another aws.
        var lines = ["the kubeconfig \(files) (user \"\(cluster.userName)\") logs in by running a program:", "  \(command)"]
        if executable == nil { lines.append("  (\"\(program)\" is not found on your PATH)") }
        if !env.isEmpty { lines.append("with these environment variables set by the kubeconfig: \(env.joined(separator: ", "))") }
        if !dropped.isEmpty { lines.append("WARNING: it also asks for \(dropped.joined(separator: ", ")), which smitop never passes to a plugin") }
        lines.append("Run it now, and trust this kubeconfig from now on?")
        let question = lines.joined(separator: "\n")
        switch ask(question) {
        case true?:
            remember(fingerprint)
            return nil
        case false?:
            return "not running the credential plugin of \(files): declined"
        case nil:
            // The program only: its arguments can carry secrets, and this line may land in a CI log.
            return
                "not running the credential plugin \"\(program)\" of \(files) without your consent: run smitop once in a terminal to be asked, or pass --trust-exec"
        }
    }

    /// Whether the credential files of `request` may be read: nil when they may, otherwise why
    /// not. Remembered like an exec plugin, for exactly these kubeconfig files and paths.
    public func decideFiles(_ request: CredentialFileRequest, trustFlag: Bool, ask: (String) -> Bool?) -> String? {
        let named = request.files.map { "\($0.field): \($0.path)" }
        let fingerprint = Self.fingerprint(request.kubeconfigs, ["files:"] + named)
        if trustFlag || isTrusted(fingerprint) { return nil }
        let files = request.kubeconfigs.joined(separator: ", ")
        let question =
            (["the kubeconfig \(files) (user \"\(request.userName)\") reads credentials from files outside its directory and ~/.kube:"]
            + named.map { "  \($0)" }
            + ["and sends them to \(request.server). Read them, and trust this kubeconfig from now on?"]).joined(separator: "\n")
        switch ask(question) {
        case true?:
            remember(fingerprint)
            return nil
        case false?:
            return "not reading \(request.files.map(\.path).joined(separator: ", ")) for \(files): declined"
        case nil:
            return
                "not reading \(named.joined(separator: ", ")) (named by \(files), outside its directory and ~/.kube) without your consent: run smitop once in a terminal to be asked, or pass --trust-files"
        }
    }

    /// Asks on the terminal when there is one (stdin and stderr both TTYs), before the UI takes it.
    public static func askOnTerminal(_ question: String) -> Bool? {
        guard isatty(0) == 1, isatty(2) == 1 else { return nil }
        // Each line is cleaned on its own: the command comes from a file, and must not be able
        // to move the cursor or hide the question.
        let lines = question.split(separator: "\n").map { sanitizedForDisplay(String($0), limit: 1000) }
        FileHandle.standardError.write(Data("smitop: \(lines.joined(separator: "\n  ")) [y/N] ".utf8))
        guard let line = readLine() else { return false }
        return ["y", "yes"].contains(line.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
