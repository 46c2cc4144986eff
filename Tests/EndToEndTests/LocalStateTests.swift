import Foundation
import Kube
import KubeCore
import SMI
import TestSupport
import Testing

@testable import Simulator

/// Issue 14 items 3, 5 and 6 with the real binary: what an untrusted kubeconfig may make
/// smitop read, and saved drafts across `:ctx`.
@Suite("local files and state", .serialized)
struct LocalStateTests {
    /// A token file outside the kubeconfig's directory and ~/.kube is read (and sent to the
    /// kubeconfig's server) only with consent; headless, smitop says how to give it.
    @Test func aTokenFileOutsideTheKubeconfigIsReadOnlyWithConsent() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        try FileManager.default.createDirectory(atPath: h.dir + "/secrets", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: h.dir + "/kc", withIntermediateDirectories: true)
        try h.endpoint.adminToken.write(toFile: h.dir + "/secrets/token", atomically: true, encoding: .utf8)
        let kc = try String(contentsOfFile: h.kubeconfig, encoding: .utf8)
            .replacingOccurrences(of: "token: \(h.endpoint.adminToken)", with: "tokenFile: ../secrets/token")
        let path = h.dir + "/kc/config"
        try kc.write(toFile: path, atomically: true, encoding: .utf8)
        let env = ["HOME": h.dir + "/home", "XDG_STATE_HOME": h.dir + "/state"]

        let refused = try await runProcess(CLITests.binary, ["splits", "-A", "--kubeconfig", path], env: env, stdin: nil, timeout: 60)
        #expect(refused.status == 1, "read a token file outside the kubeconfig's directory without consent: \(refused.stdout)")
        #expect(refused.stderr.contains("--trust-files") && refused.stderr.contains("secrets/token"), "\(refused.stderr)")
        #expect(!refused.stdout.contains("books"))

        let trusted = try await runProcess(
            CLITests.binary, ["splits", "-A", "--kubeconfig", path, "--trust-files"], env: env, stdin: nil, timeout: 60)
        #expect(trusted.status == 0 && trusted.stdout.contains("books"), "\(trusted.stderr)")
    }

    /// `certificate-authority` naming a FIFO or /dev/zero must fail at once, saying why (not
    /// "cannot read", and never by blocking or reading without end, which depends on the
    /// Foundation version with `FileManager.contents`).
    @Test func aFIFOOrADeviceAsCertificateAuthorityFailsAtOnce() async throws {
        let dir = NSTemporaryDirectory() + "smitop-fifo-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/ca-fifo", 0o600) == 0)
        for ca in ["ca-fifo", "/dev/zero"] {
            let path = dir + "/config"
            try """
            apiVersion: v1
            kind: Config
            current-context: c
            clusters:
            - name: k
              cluster: {server: "https://127.0.0.1:1", certificate-authority: "\(ca)"}
            users:
            - name: u
              user: {token: t}
            contexts:
            - name: c
              context: {cluster: k, user: u}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            // /dev/zero is outside the kubeconfig's directory: consent first, then the read.
            let consent = ca.hasPrefix("/") ? ["--trust-files"] : []
            let r = try await runProcess(
                CLITests.binary, ["splits", "-A", "--kubeconfig", path] + consent, env: ["HOME": dir + "/home", "XDG_STATE_HOME": dir + "/state"],
                stdin: nil, timeout: 20)
            #expect(r.status == 1 && r.stderr.contains("not a regular file"), "\(ca): status \(r.status), \(r.stderr)")
        }
    }

    /// drafts saved per context@server in the session file: context name → how many.
    func savedDrafts(_ file: String) -> [String: Int] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8), let j = try? JSON.parse(text),
            let sessions = j["sessions"]?.objectValue
        else { return [:] }
        var out: [String: Int] = [:]
        for (key, value) in sessions {
            out[String(key.split(separator: "@").first ?? "")] = value["drafts"]?.arrayValue?.count ?? 0
        }
        return out
    }

    /// A draft left in context sim-cert, then a run that starts in sim-admin and switches with
    /// `:ctx sim-cert`: the draft is offered, and still on disk afterwards. Before the fix
    /// the switch saved an empty session over sim-cert's and the draft was gone.
    @Test func ctxOffersTheTargetContextsSavedDraftsAndKeepsThem() async throws {
        let h = try await SimHarness.start()
        defer { Task { await h.stop() } }
        let env = ["HOME": h.dir, "XDG_STATE_HOME": h.dir + "/state"]
        let file = h.dir + "/state/smitop/session.json"
        do {
            let t = try await TmuxSession(
                command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A --context sim-cert 2>\(h.dir)/tui.err", env: env)
            defer { t.killNow() }
            try await t.waitFor("the live graph") { $0.contains("LIVE") }
            try await t.keys(":", "t", "s", "Enter")
            try await t.waitFor("the splits table with its rows") { $0.contains("BACKENDS") && $0.contains("books-v1") }
            try await t.keys("j", "Enter")
            try await t.waitFor("the split editor") { $0.contains("edit trafficsplit/books") }
            try await t.keys("j", "l", "l", "Escape")
            try await t.waitFor("the draft mark in the table") { $0.contains("books *") }
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, savedDrafts(file)["sim-cert"] != 1 { try await Task.sleep(for: .milliseconds(100)) }
            await t.kill()
        }
        #expect(savedDrafts(file)["sim-cert"] == 1, "the draft was saved: \(savedDrafts(file))")

        let t = try await TmuxSession(command: "\(CLITests.binary) --kubeconfig \(h.kubeconfig) -A 2>\(h.dir)/tui.err", env: env)
        defer { t.killNow() }
        try await t.waitFor("the live graph") { $0.contains("LIVE") }
        try await t.keys(":", "c", "t", "x", " ", "s", "i", "m", "-", "c", "e", "r", "t", "Enter")
        let offered = try await t.waitFor("the saved draft offered after :ctx", timeout: 40) { $0.contains("unsaved draft") }
        #expect(offered.contains("books"))
        try await t.keys(":", "t", "s", "Enter")
        try await t.waitFor("the restored draft in the table", timeout: 40) { $0.contains("books *") }
        try await t.keys("j", "Enter")
        // Both rows in one capture: a capture taken while the frame is being written can hold
        // the first row of the editor and not yet the second.
        let editor = try await t.waitFor("the editor with the restored draft", timeout: 40) {
            $0.contains("edit trafficsplit/books") && $0.contains("80*") && $0.contains("20*")
        }
        #expect(editor.contains("books-v2") && editor.contains("20*"))
        try await t.keys("Escape")
        await t.kill()
        try await Task.sleep(for: .milliseconds(500))
        #expect(savedDrafts(file)["sim-cert"] == 1, "the draft is still on disk: \(savedDrafts(file))")
    }
}
