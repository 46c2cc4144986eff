import Foundation
import KubeCore
import SMI
import Testing

@testable import Kube

/// A kubeconfig with one context whose cluster and user entries get these extra lines.
func hostileKubeconfig(user: String, cluster: String = "") -> String {
    """
    apiVersion: v1
    kind: Config
    current-context: c
    clusters:
    - name: k
      cluster:
        server: https://k:6443
    \(cluster)
    users:
    - name: u
      user:
    \(user)
    contexts:
    - name: c
      context: {cluster: k, user: u}
    """
}

/// Issue 14 item 6: only regular files of bounded size are read for a kubeconfig: `/dev/zero`
/// never ends and a FIFO blocks its opener, and a kubeconfig can name either.
@Suite struct KubeconfigFileReadTests {
    @Test func onlyRegularFilesOfBoundedSizeAreRead() throws {
        let d = TempDir()
        #expect(mkfifo(d.path + "/kc-fifo", 0o600) == 0)
        d.write("big.crt", String(repeating: "A", count: LocalFile.credentialLimit + 1))
        // Each of these would hang or exhaust memory if read naively; each must fail at once.
        for (cluster, user, problem) in [
            ("    certificate-authority: /dev/zero", "    token: t", "not a regular file"),
            ("    certificate-authority: kc-fifo", "    token: t", "not a regular file"),
            ("", "    tokenFile: kc-fifo", "not a regular file"),
            ("    certificate-authority: big.crt", "    token: t", "larger than"),
        ] {
            let path = d.write("config", hostileKubeconfig(user: user, cluster: cluster))
            #expect(throws: KubeError.self, "\(cluster) \(user)") {
                _ = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: ["HOME": d.path + "/home"]))
            }
            do {
                _ = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: ["HOME": d.path + "/home"]))
            } catch {
                #expect(error.userMessage.contains(problem), "\(error.userMessage)")
            }
        }
        #expect(throws: KubeError.self) { _ = try TokenFileCredentials.read(d.path + "/kc-fifo") }
        // The kubeconfig itself too.
        #expect(throws: KubeError.self) { _ = try Kubeconfig.load(files: [d.path + "/kc-fifo"]) }
    }
}
