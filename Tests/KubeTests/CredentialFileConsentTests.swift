import Foundation
import KubeCore
import SMI
import Testing

@testable import Kube

/// Issue 14 item 5: credential files outside the kubeconfig's directory and ~/.kube are read
/// only when the caller allows it (smitop asks), and the request names each file.
@Suite struct CredentialFileConsentTests {
    @Test func credentialFilesOutsideTheKubeconfigsDirectoryNeedConsent() throws {
        let d = TempDir()
        d.write("secret/vault-token", "s3cret\n")
        d.write("kc/token", "inside\n")
        d.write("home/.kube/token", "kube-dir\n")
        try FileManager.default.createSymbolicLink(atPath: d.path + "/kc/link", withDestinationPath: d.path + "/secret/vault-token")
        let env = ["HOME": d.path + "/home"]
        func resolve(_ user: String, allow: Bool) throws(KubeError) -> (ResolvedCluster, [CredentialFileRequest]) {
            let path = d.write("kc/config", hostileKubeconfig(user: user))
            var asked: [CredentialFileRequest] = []
            let r = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: env)) { req in
                asked.append(req)
                return allow ? nil : "refused by the test"
            }
            return (r, asked)
        }
        // Beside the kubeconfig, and in ~/.kube: read without asking.
        for user in ["    tokenFile: token", "    tokenFile: \(d.path)/home/.kube/token"] {
            let (r, asked) = try resolve(user, allow: false)
            #expect(asked.isEmpty && r.credentials is TokenFileCredentials, "\(user)")
        }
        // Elsewhere, relative or absolute, or through a symlink beside the kubeconfig: asked,
        // naming the file and the server; a refusal stops resolution before anything is read.
        let secret = Kubeconfig.canonicalPath(d.path + "/secret/vault-token")
        for user in ["    tokenFile: ../secret/vault-token", "    tokenFile: \(d.path)/secret/vault-token", "    tokenFile: link"] {
            #expect(throws: KubeError.self, "\(user)") { _ = try resolve(user, allow: false) }
            do {
                _ = try resolve(user, allow: false)
            } catch {
                #expect(error.userMessage.contains("refused by the test"))
            }
            let (r, asked) = try resolve(user, allow: true)
            #expect(asked.count == 1 && asked.first?.files.map(\.field) == ["tokenFile"], "\(user)")
            #expect(asked.first.map { Kubeconfig.canonicalPath($0.files[0].path) } == secret)
            #expect(asked.first?.server == "https://k:6443")
            #expect(r.credentials is TokenFileCredentials)
        }
        // Client key, certificate and CA are files the same way (here: each one asked for).
        d.write("secret/ca.crt", "CA")
        d.write("secret/c.crt", "C")
        d.write("secret/c.key", "K")
        let path = d.write(
            "kc/config",
            hostileKubeconfig(
                user: "    client-certificate: ../secret/c.crt\n    client-key: ../secret/c.key",
                cluster: "    certificate-authority: ../secret/ca.crt"))
        var asked: [CredentialFileRequest] = []
        _ = try? Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: env)) {
            asked.append($0)
            return "no"
        }
        #expect(asked.first?.files.map(\.field) == ["certificate-authority", "client-certificate", "client-key"])
        // A kubeconfig saved straight into the home directory does not vouch for the rest of it.
        let inHome = d.write("home/config", hostileKubeconfig(user: "    tokenFile: .vault-token"))
        d.write("home/.vault-token", "s3cret")
        var homeAsked: [CredentialFileRequest] = []
        _ = try? Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: inHome, environment: env)) {
            homeAsked.append($0)
            return "no"
        }
        #expect(homeAsked.first?.files.map(\.field) == ["tokenFile"])
    }
}
