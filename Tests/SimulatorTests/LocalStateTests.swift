import Foundation
import KubeCore
import Kube
import SMI
import Testing

@testable import Simulator

/// Issue 14 with the real binary: what an untrusted kubeconfig may make smitop read.
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
}
