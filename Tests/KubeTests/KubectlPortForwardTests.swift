import Kube
import Testing

/// The pure parts of `KubectlPortForward`: reading kubectl's port line, and refusing names
/// from the cluster that are not Kubernetes names before they become kubectl arguments.
@Suite("kubectl port-forward: port line and argument checks")
struct KubectlPortForwardTests {
    @Test("the local port is read from kubectl's IPv4 line only")
    func portLine() {
        #expect(KubectlPortForward.forwardedPort(inLine: "Forwarding from 127.0.0.1:41233 -> 9090") == 41233)
        #expect(KubectlPortForward.forwardedPort(inLine: "Forwarding from [::1]:41233 -> 9090") == nil)
        #expect(KubectlPortForward.forwardedPort(inLine: "Handling connection for 41233") == nil)
        #expect(KubectlPortForward.forwardedPort(inLine: "Forwarding from 127.0.0.1:99999 -> 9090") == nil)
        #expect(KubectlPortForward.forwardedPort(inLine: "Forwarding from 127.0.0.1: -> 9090") == nil)
    }

    @Test("hostile names never reach kubectl's arguments")
    func names() {
        let ok = PortForwardSuggestion(namespace: "linkerd-viz", service: "prometheus", port: "9090", flavor: .linkerd)
        #expect(ok.problem == nil)
        #expect(ok.kubectlArguments == ["port-forward", "-n", "linkerd-viz", "svc/prometheus", ":9090", "--address", "127.0.0.1"])
        #expect(PortForwardSuggestion(namespace: "--kubeconfig=/tmp/x", service: "p", port: "9090", flavor: nil).problem != nil)
        #expect(PortForwardSuggestion(namespace: "ns", service: "p rom", port: "9090", flavor: nil).problem != nil)
        #expect(PortForwardSuggestion(namespace: "ns", service: "prom", port: "-1", flavor: nil).problem != nil)
        #expect(PortForwardSuggestion(namespace: "ns", service: "prom", port: "admin", flavor: nil).problem == nil)
    }
}
