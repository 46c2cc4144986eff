import Foundation
import KubeCore
import Kube
import SMI
import Testing

@testable import Simulator

/// Issue 14 with the real binary: what an untrusted kubeconfig may make smitop read.
@Suite("local files and state", .serialized)
struct LocalStateTests {
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
            let r = try await runProcess(
                CLITests.binary, ["splits", "-A", "--kubeconfig", path], env: ["HOME": dir + "/home", "XDG_STATE_HOME": dir + "/state"],
                stdin: nil, timeout: 20)
            #expect(r.status == 1 && r.stderr.contains("not a regular file"), "\(ca): status \(r.status), \(r.stderr)")
        }
    }
}
