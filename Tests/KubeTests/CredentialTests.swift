import Foundation
import KubeCore
import SMI
import Testing

@testable import Kube

@Suite struct CredentialTests {
    /// A real exec plugin: a shell script that counts its runs, records what it was given and
    /// prints the ExecCredential in $PLUGIN_OUTPUT.
    func plugin(_ d: TempDir, output: String, extra: String = "") -> String {
        d.write("out.json", output)
        return d.write(
            "bin/plugin.sh",
            """
            #!/bin/sh
            echo run >> "\(d.path)/runs"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "\(d.path)/execinfo"
            printf '%s' "$GREETING" > "\(d.path)/env"
            if [ -t 0 ]; then echo tty > "\(d.path)/stdin"; else cat > "\(d.path)/stdin"; fi
            \(extra)
            cat "\(d.path)/out.json"
            """, executable: true)
    }

    func runs(_ d: TempDir) -> Int {
        (try? String(contentsOfFile: d.path + "/runs", encoding: .utf8))?.split(separator: "\n").count ?? 0
    }

    func provider(_ d: TempDir, _ cfg: ExecConfig, timeout: Seconds = 30, now: @escaping @Sendable () -> Date = { Date() }) -> ExecCredentialProvider {
        ExecCredentialProvider(
            config: cfg, cluster: ExecClusterInfo(server: "https://k:6443", caPEM: Array("CA".utf8)),
            baseDirectory: d.path, environment: ["PATH": "/usr/bin:/bin"], timeout: timeout, now: now)
    }

    @Test func v1TokenIsCachedUntilExpiryAndRefreshedAfter401() async throws {
        let d = TempDir()
        plugin(
            d,
            output:
                #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"tok-1","expirationTimestamp":"2099-01-01T00:00:00Z"}}"#
        )
        let cfg = ExecConfig(
            command: "bin/plugin.sh", env: [("GREETING", "hello")], interactiveMode: .never, provideClusterInfo: true)
        let p = provider(d, cfg)
        #expect(try await p.credential() == .bearer("tok-1"))
        #expect(try await p.credential() == .bearer("tok-1"))
        #expect(runs(d) == 1)
        #expect(await p.invalidate())
        _ = try await p.credential()
        #expect(runs(d) == 2)

        let info = try JSON.parse(try String(contentsOfFile: d.path + "/execinfo", encoding: .utf8))
        #expect(info["apiVersion"] == "client.authentication.k8s.io/v1")
        #expect(info[path: "spec", "interactive"] == false)
        #expect(info[path: "spec", "cluster", "server"] == "https://k:6443")
        #expect(info[path: "spec", "cluster", "certificate-authority-data"]?.stringValue == b64("CA"))
        #expect(try String(contentsOfFile: d.path + "/env", encoding: .utf8) == "hello")
        // stdin is /dev/null: not a terminal, and empty.
        #expect(try String(contentsOfFile: d.path + "/stdin", encoding: .utf8) == "")
    }

    @Test func expiredCredentialsAreFetchedAgain() async throws {
        let d = TempDir()
        plugin(
            d,
            output:
                #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"t","expirationTimestamp":"2024-01-01T00:00:00Z"}}"#
        )
        let p = provider(
            d, ExecConfig(command: "\(d.path)/bin/plugin.sh", apiVersion: "client.authentication.k8s.io/v1beta1"),
            now: { Date(timeIntervalSince1970: 1_704_067_200 - 5) })
        _ = try await p.credential()
        _ = try await p.credential()
        #expect(runs(d) == 2, "a credential expiring within seconds is refreshed")
    }

    @Test func v1beta1ClientCertificate() async throws {
        let d = TempDir()
        plugin(
            d,
            output:
                #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"clientCertificateData":"-----CERT-----","clientKeyData":"-----KEY-----"}}"#
        )
        let p = provider(d, ExecConfig(command: "bin/plugin.sh", apiVersion: "client.authentication.k8s.io/v1beta1"))
        let c = try await p.credential()
        #expect(c == .clientCertificate(certPEM: Array("-----CERT-----".utf8), keyPEM: Array("-----KEY-----".utf8)))
        #expect(!c.description.contains("KEY-----"))
    }

    func failure(_ p: ExecCredentialProvider) async -> String {
        do {
            _ = try await p.credential()
            return "no error"
        } catch { return error.userMessage }
    }

    @Test func failuresAreClear() async {
        let d = TempDir()
        plugin(d, output: "", extra: "echo 'token expired, run login' >&2; exit 3")
        #expect(
            await failure(provider(d, ExecConfig(command: "bin/plugin.sh", interactiveMode: .never)))
                == "exec plugin \"bin/plugin.sh\" failed with exit code 3: token expired, run login")

        let wrong = TempDir()
        plugin(wrong, output: #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"t"}}"#)
        #expect(await failure(provider(wrong, ExecConfig(command: "bin/plugin.sh"))).contains("plugin returned version client.authentication.k8s.io/v1beta1"))

        #expect(
            await failure(provider(d, ExecConfig(command: "no-such-plugin-xyz", installHint: "install it with brew")))
                == "exec plugin \"no-such-plugin-xyz\" not found: install it with brew")

        let always = await failure(provider(d, ExecConfig(command: "bin/plugin.sh", interactiveMode: .always)))
        #expect(always.contains("interactiveMode: Always"))
        #expect(runs(d) == 1, "an Always plugin is never started")

        let empty = TempDir()
        plugin(empty, output: #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}}"#)
        #expect(await failure(provider(empty, ExecConfig(command: "bin/plugin.sh"))).contains("neither a token nor a client certificate"))
    }

    @Test func hungPluginIsStoppedByTheTimeout() async {
        let d = TempDir()
        plugin(d, output: "{}", extra: "exec sleep 30")
        let msg = await failure(provider(d, ExecConfig(command: "bin/plugin.sh"), timeout: 0.3))
        #expect(msg.contains("did not finish within"))
    }

    @Test func cancellationStopsThePlugin() async {
        let d = TempDir()
        plugin(d, output: "{}", extra: "exec sleep 30")
        let p = provider(d, ExecConfig(command: "bin/plugin.sh"))
        let task = Task { await failure(p) }
        while runs(d) == 0 { try? await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let msg = await task.value
        #expect(msg.contains("cancelled"))
    }

    @Test func tokenFileIsRereadAfterInvalidate() async throws {
        let d = TempDir()
        let f = d.write("token", "one")
        let p = TokenFileCredentials(path: f)
        #expect(try await p.credential() == .bearer("one"))
        d.write("token", "two")
        #expect(try await p.credential() == .bearer("one"), "cached within the re-read interval")
        #expect(await p.invalidate())
        #expect(try await p.credential() == .bearer("two"))
    }

    @Test func basicAuthHeader() {
        #expect(Credential.basic(username: "u", password: "p").authorizationHeader == "Basic dTpw")
        #expect(Credential.bearer("x").authorizationHeader == "Bearer x")
        #expect(!Credential.bearer("secret").description.contains("secret"))
    }
}
