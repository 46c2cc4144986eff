import Foundation
import KubeCore
import SMI
import Testing

@testable import Kube

/// A fresh temporary directory per test, removed at the end.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "kubetests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) -> String {
        let p = "\(path)/\(name)"
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        if executable { try! FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: p) }
        return p
    }
}

func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

@Suite struct KubeconfigTests {
    func resolve(_ env: [String: String], _ opts: (inout KubeconfigOptions) -> Void = { _ in }) throws(KubeError) -> ResolvedCluster {
        var o = KubeconfigOptions(environment: env)
        opts(&o)
        return try Kubeconfig.resolve(o)
    }

    func message(_ body: () throws(KubeError) -> ResolvedCluster) -> String {
        do {
            _ = try body()
            return "no error"
        } catch { return error.userMessage }
    }

    @Test func mergesKubeconfigListLikeKubectl() async throws {
        let d = TempDir()
        let a = d.write(
            "a/config",
            """
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
            - name: shared
              cluster: {server: "https://first.example:6443", certificate-authority: ca.pem}
            contexts:
            - name: dev
              context: {cluster: shared, user: alice, namespace: team-a}
            users:
            - name: alice
              user: {token: alice-token}
            """)
        d.write("a/ca.pem", "CA-A")
        let b = d.write(
            "b/config",
            """
            current-context: prod
            clusters:
            - name: shared
              cluster: {server: "https://second.example"}
            - name: prodc
              cluster: {server: "https://prod.example/", insecure-skip-tls-verify: true}
            contexts:
            - name: prod
              context: {cluster: prodc, user: bob}
            - name: dev
              context: {cluster: prodc, user: bob}
            users:
            - name: bob
              user: {username: bob, password: secret}
            """)
        let env = ["KUBECONFIG": "\(d.path)/missing:\(a):\(b)", "HOME": d.path]
        let dev = try resolve(env)
        #expect(dev.contextName == "dev")
        #expect(dev.server.absoluteString == "https://first.example:6443")
        #expect(dev.tls.caPEM == Array("CA-A".utf8), "relative CA path resolves against its own file's directory")
        #expect(dev.namespace == "team-a")
        #expect(dev.userName == "alice")
        #expect(dev.sourceFiles == [a, b])
        #expect(try await dev.credentials.credential() == .bearer("alice-token"))

        let prod = try resolve(env) {
            $0.context = "prod"
            $0.namespace = "ops"
        }
        #expect(prod.server.absoluteString == "https://prod.example")
        #expect(prod.tls.insecureSkipVerify)
        #expect(prod.warnings.count == 1)
        #expect(prod.namespace == "ops")
        #expect(try await prod.credentials.credential() == .basic(username: "bob", password: "secret"))
        #expect(!String(describing: prod).contains("secret"))

        // Order matters: b first makes b's current-context and b's "shared" win.
        let reversed = try resolve(["KUBECONFIG": "\(b):\(a)"])
        #expect(reversed.contextName == "prod")
        let devFromB = try resolve(["KUBECONFIG": "\(b):\(a)"]) { $0.context = "dev" }
        #expect(devFromB.clusterName == "prodc")

        // --kubeconfig overrides KUBECONFIG entirely.
        let only = try resolve(env) {
            $0.kubeconfigPath = b
            $0.allNamespaces = true
        }
        #expect(only.contextName == "prod" && only.allNamespaces && only.namespace == "default")
    }

    @Test func homeConfigIsTheDefault() async throws {
        let d = TempDir()
        d.write(
            ".kube/config",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "127.0.0.1:8443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        let r = try resolve(["HOME": d.path])
        #expect(r.server.absoluteString == "https://127.0.0.1:8443")
        #expect(try await r.credentials.credential() == .none)
    }

    /// Issue 14: a kubeconfig went through a YAML converter without a node budget, so an alias
    /// bomb expanded in full on the UI thread. Now it is refused with a clear message.
    @Test func anAliasBombKubeconfigIsRefused() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1...9 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        lines.append("apiVersion: v1\nkind: Config")
        do {
            _ = try Kubeconfig.parse(lines.joined(separator: "\n"), path: "/tmp/bomb")
            Issue.record("the alias bomb was accepted")
        } catch {
            #expect(error.userMessage.contains("kubeconfig /tmp/bomb: invalid YAML") && error.userMessage.contains("too large"), "\(error.userMessage)")
        }
    }

    @Test func brokenConfigsNameFileFieldAndProblem() {
        let d = TempDir()
        let g = d.write(
            "config2",
            """
            current-context: x
            clusters:
            - {name: real, cluster: {server: "https://k"}}
            - {name: ca-and-insecure, cluster: {server: "https://k", certificate-authority-data: "\(b64("CA"))", insecure-skip-tls-verify: true}}
            - {name: noserver, cluster: {}}
            contexts:
            - {name: x, context: {cluster: nope, user: u}}
            - {name: y, context: {cluster: real, user: ghost}}
            - {name: z, context: {cluster: ca-and-insecure}}
            - {name: w, context: {cluster: real, user: two}}
            - {name: v, context: {cluster: real, user: badcert}}
            - {name: s, context: {cluster: noserver}}
            - {name: e, context: {cluster: real, user: execv1}}
            users:
            - {name: u, user: {}}
            - {name: two, user: {token: t, username: a, password: b}}
            - {name: badcert, user: {client-certificate-data: "!!notbase64", client-key-data: "\(b64("k"))"}}
            - {name: execv1, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}}
            """)
        func m(_ ctx: String?) -> String {
            message { () throws(KubeError) -> ResolvedCluster in try resolve(["KUBECONFIG": g]) { $0.context = ctx } }
        }
        #expect(m(nil) == "kubeconfig \(g): contexts[0].context.cluster: cluster \"nope\" not found")
        #expect(m("y") == "kubeconfig \(g): contexts[1].context.user: user \"ghost\" not found")
        #expect(
            m("z") == "kubeconfig \(g): clusters[1].cluster.insecure-skip-tls-verify: specifying a root certificates file with the insecure flag is not allowed"
        )
        #expect(m("w").contains("users[1]: more than one authentication method found for \"two\""))
        #expect(m("v") == "kubeconfig \(g): users[2].user.client-certificate-data: not valid base64")
        #expect(m("s") == "kubeconfig \(g): clusters[2].cluster.server: missing")
        #expect(m("e").contains("users[3].user.exec.interactiveMode: required"))
        #expect(m("nope") == "kubeconfig \(g): context \"nope\" not found (from --context)")

        let bad = d.write("bad", "clusters: [unclosed")
        #expect(message { () throws(KubeError) -> ResolvedCluster in try resolve(["KUBECONFIG": bad]) }.hasPrefix("kubeconfig \(bad): invalid YAML"))
        // A syntax error on a line holding a secret names the place, never the line itself.
        for text in ["users:\n- name: u\n  user: {token: \"sekrit-123456, : x\n", "users:\n- name: u\n  user:\n    token: sekrit-123456\n   bad: [\n"] {
            let f = d.write("leaky", text)
            let msg = message { () throws(KubeError) -> ResolvedCluster in try resolve(["KUBECONFIG": f]) }
            #expect(msg.contains("invalid YAML") && msg.contains("line"), "\(msg)")
            #expect(!msg.contains("sekrit"), "the secret leaked: \(msg)")
        }
        // Credentials in URLs are refused (server) or never echoed (proxy).
        let urls = d.write(
            "urls",
            """
            current-context: a
            clusters:
            - {name: a, cluster: {server: "https://admin:hunter2@k:6443"}}
            - {name: b, cluster: {server: "https://k", proxy-url: "ftp://bob:hunter2@proxy:21"}}
            contexts:
            - {name: a, context: {cluster: a}}
            - {name: b, context: {cluster: b}}
            """)
        let ma = message { () throws(KubeError) -> ResolvedCluster in try resolve(["KUBECONFIG": urls]) }
        #expect(ma.contains("server: must not contain a user name or password") && !ma.contains("hunter2"), "\(ma)")
        let mb = message { () throws(KubeError) -> ResolvedCluster in try resolve(["KUBECONFIG": urls]) { $0.context = "b" } }
        #expect(mb.contains("proxy-url") && !mb.contains("hunter2"), "\(mb)")
        #expect(message { () throws(KubeError) -> ResolvedCluster in try resolve(["HOME": d.path + "/nowhere"]) }.contains("no kubeconfig found"))
        #expect(message { () throws(KubeError) -> ResolvedCluster in try resolve([:]) { $0.kubeconfigPath = d.path + "/absent" } }.contains("no such file"))
    }

    @Test func clientCertificatesTokenFilesAndTLSOptions() async throws {
        let d = TempDir()
        d.write("certs/client.crt", "CERT")
        d.write("certs/client.key", "KEY")
        let tokenFile = d.write("token", "file-token\n")
        let f = d.write(
            "config",
            """
            current-context: files
            clusters:
            - name: c
              cluster:
                server: https://k:6443
                certificate-authority-data: \(b64("CA-DATA"))
                tls-server-name: kubernetes.internal
                proxy-url: http://proxy.local:3128
            contexts:
            - {name: files, context: {cluster: c, user: files}}
            - {name: data, context: {cluster: c, user: data}}
            - {name: tf, context: {cluster: c, user: tf}}
            users:
            - {name: files, user: {client-certificate: certs/client.crt, client-key: certs/client.key}}
            - {name: data, user: {client-certificate-data: \(b64("CERT2")), client-key-data: \(b64("KEY2"))}}
            - {name: tf, user: {tokenFile: \(tokenFile)}}
            """)
        let files = try resolve(["KUBECONFIG": f])
        #expect(files.tls.clientCertPEM == Array("CERT".utf8))
        #expect(files.tls.clientKeyPEM == Array("KEY".utf8))
        #expect(files.tls.caPEM == Array("CA-DATA".utf8))
        #expect(files.tls.serverName == "kubernetes.internal")
        #expect(files.tls.proxyURL == "http://proxy.local:3128")
        #expect(!files.description.contains("KEY"))
        let data = try resolve(["KUBECONFIG": f]) { $0.context = "data" }
        #expect(data.tls.clientCertPEM == Array("CERT2".utf8))
        #expect(data.tls.clientKeyPEM == Array("KEY2".utf8))
        let tf = try resolve(["KUBECONFIG": f]) { $0.context = "tf" }
        #expect(try await tf.credentials.credential() == .bearer("file-token"))
    }

    @Test func inClusterServiceAccount() async throws {
        let d = TempDir()
        d.write("sa/token", "sa-token")
        d.write("sa/ca.crt", "SA-CA")
        d.write("sa/namespace", "mesh\n")
        let env = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": d.path + "/none"]
        let r = try resolve(env) { $0.inCluster = InClusterPaths(directory: d.path + "/sa") }
        #expect(r.server.absoluteString == "https://10.0.0.1:443")
        #expect(r.tls.caPEM == Array("SA-CA".utf8))
        #expect(r.namespace == "mesh")
        #expect(r.contextName == "in-cluster")
        #expect(try await r.credentials.credential() == .bearer("sa-token"))
        let v6 = try resolve(env.merging(["KUBERNETES_SERVICE_HOST": "fd00::1"]) { $1 }) { $0.inCluster = InClusterPaths(directory: d.path + "/sa") }
        #expect(v6.server.absoluteString == "https://[fd00::1]:443")
        let missing = message { () throws(KubeError) -> ResolvedCluster in
            try resolve(env) { $0.inCluster = InClusterPaths(directory: d.path + "/nothing") }
        }
        #expect(missing.contains("service account token"))
    }
}
