import Foundation
import Kube
import KubeCore
import Testing

@testable import Runtime

@Suite struct TrustQuestionTests {
    func kubeconfig(_ user: String) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: c
        clusters:
        - name: k
          cluster: {server: "https://k:6443"}
        users:
        - name: u
          user:
        \(user)
        contexts:
        - name: c
          context: {cluster: k, user: u}
        """
    }

    /// Issue 14 item 4: the question showed "aws eks get-token" while a PATH (or LD_PRELOAD)
    /// from the kubeconfig's `env` decided what would run.
    @Test func theExecQuestionShowsTheProgramThatRunsAndEveryVariable() throws {
        let d = StateDir()
        let good = d.write("good/aws", "#!/bin/sh\n", executable: true)
        d.write("evil/aws", "#!/bin/sh\n", executable: true)
        d.write("other/aws", "#!/bin/sh\n", executable: true)
        let path = d.write(
            "kc/config",
            kubeconfig(
                """
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: aws
                      args: [eks, get-token]
                      interactiveMode: Never
                      env:
                      - {name: PATH, value: "\(d.path)/evil"}
                      - {name: LD_PRELOAD, value: "\(d.path)/evil/x.so"}
                      - {name: AWS_PROFILE, value: prod}
                """))
        var env = ["PATH": d.path + "/good:/usr/bin:/bin", "HOME": d.path + "/home", "XDG_STATE_HOME": d.path + "/state"]
        let trust = ExecTrust(environment: env)
        var question = ""
        let cluster = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: env))
        #expect(
            trust.decide(cluster, trustFlag: false) {
                question = $0
                return false
            }?.contains("declined") == true)
        #expect(question.contains("\(good) eks get-token"), "\(question)")
        #expect(!question.contains("evil/aws"))
        #expect(question.contains("PATH, AWS_PROFILE"), "every variable the kubeconfig sets, by name")
        #expect(question.contains("LD_PRELOAD") && question.contains("never passes"), "a loader variable is named loudly")
        // Yes is remembered for this program...
        #expect(trust.decide(cluster, trustFlag: false) { _ in true } == nil)
        #expect(
            trust.decide(cluster, trustFlag: false) { _ in
                Issue.record("asked again")
                return nil
            } == nil)
        // ...and another `aws` first on PATH is another question.
        env["PATH"] = d.path + "/other:/usr/bin:/bin"
        let moved = try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: env))
        var asked = false
        _ = trust.decide(moved, trustFlag: false) { q in
            asked = q.contains("\(d.path)/other/aws")
            return false
        }
        #expect(asked)
    }

    /// Issue 14 item 5: a kubeconfig could name any file as its token and have it sent away.
    @Test func credentialFilesOutsideTheKubeconfigAreAskedForAndRemembered() throws {
        let d = StateDir()
        let secret = d.write("secret/vault-token", "s3cret")
        let path = d.write("kc/config", kubeconfig("    tokenFile: ../secret/vault-token"))
        let env = ["HOME": d.path + "/home", "XDG_STATE_HOME": d.path + "/state"]
        let trust = ExecTrust(environment: env)
        func resolve(_ ask: (String) -> Bool?) throws(KubeError) -> ResolvedCluster {
            try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: env)) {
                trust.decideFiles($0, trustFlag: false, ask: ask)
            }
        }
        // Nobody to ask: refused, saying how to consent.
        do {
            _ = try resolve { _ in nil }
            Issue.record("read without consent")
        } catch {
            #expect(error.userMessage.contains("--trust-files") && error.userMessage.contains("vault-token"), "\(error.userMessage)")
        }
        var question = ""
        #expect(throws: KubeError.self) {
            _ = try resolve {
                question = $0
                return false
            }
        }
        #expect(question.contains("tokenFile: ") && question.contains("vault-token") && question.contains("https://k:6443"), "\(question)")
        _ = try resolve { _ in true }
        #expect(try resolve { _ in nil }.credentials is TokenFileCredentials, "remembered")
        // An edited kubeconfig is asked about again.
        try (kubeconfig("    tokenFile: ../secret/vault-token") + "\n# edited\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: KubeError.self) { _ = try resolve { _ in nil } }
        // --trust-files.
        #expect(
            try Kubeconfig.resolve(KubeconfigOptions(kubeconfigPath: path, environment: env)) {
                trust.decideFiles($0, trustFlag: true, ask: { _ in nil })
            }.credentials is TokenFileCredentials)
        _ = secret
    }
}
