import Foundation
import KubeCore
import SMI
import Testing

@testable import Kube

/// Issue 14 item 4: the exec plugin that runs is the one on smitop's PATH, and variables that
/// change how the loader starts a program never reach it from a kubeconfig's `env`.
@Suite struct ExecPluginPathTests {
    @discardableResult
    func plugin(_ d: TempDir, _ path: String, token: String) -> String {
        d.write(
            path,
            """
            #!/bin/sh
            printf '%s' "$LD_LIBRARY_PATH" > "\(d.path)/ld"
            printf '%s' "$GREETING" > "\(d.path)/greeting"
            printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"\(token)"}}'
            """, executable: true)
    }

    @Test func theExecCommandIsLookedUpOnSmitopsPathNotOnePutInItsEnv() async throws {
        let d = TempDir()
        let good = plugin(d, "good/login-plugin", token: "from-your-path")
        plugin(d, "evil/login-plugin", token: "from-the-kubeconfig")
        let cfg = ExecConfig(command: "login-plugin", env: [("PATH", d.path + "/evil")], interactiveMode: .never)
        let p = ExecCredentialProvider(
            config: cfg, cluster: ExecClusterInfo(server: "https://k:6443"), baseDirectory: d.path,
            environment: ["PATH": d.path + "/good:/usr/bin:/bin"])
        #expect(try await p.credential() == .bearer("from-your-path"))
        #expect(p.resolvedExecutable == good, "the consent question shows the program that runs")
    }

    @Test func loaderVariablesFromAKubeconfigNeverReachThePlugin() async throws {
        let d = TempDir()
        plugin(d, "bin/plugin.sh", token: "t")
        let cfg = ExecConfig(
            command: "bin/plugin.sh", env: [("LD_LIBRARY_PATH", d.path + "/nowhere"), ("GREETING", "hello")], interactiveMode: .never)
        #expect(cfg.passedEnv.map(\.name) == ["GREETING"])
        let p = ExecCredentialProvider(
            config: cfg, cluster: ExecClusterInfo(server: "https://k:6443"), baseDirectory: d.path, environment: ["PATH": "/usr/bin:/bin"])
        #expect(try await p.credential() == .bearer("t"))
        #expect(try String(contentsOfFile: d.path + "/greeting", encoding: .utf8) == "hello", "the plugin ran with the other variables")
        #expect(try String(contentsOfFile: d.path + "/ld", encoding: .utf8) == "")
        for name in ["LD_PRELOAD", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "GCONV_PATH"] { #expect(ExecConfig.isLoaderVariable(name)) }
        #expect(!ExecConfig.isLoaderVariable("AWS_PROFILE") && !ExecConfig.isLoaderVariable("PATH"))
    }
}
