import Kube
import Testing

@testable import Transport

/// Issue 13 item 9: errors led with method and URL (`get /apis/…: GET https://…`), so on a
/// 160-column screen the cause was cut; a restarted simulator's new CA read as an OpenSSL
/// "EVP lib" error with no hint. Now the cause comes first, in plain words, with a next step,
/// and the request last.
@Suite struct ErrorWordingTests {
    let context = FailureContext(
        display: "GET https://127.0.0.1:6443/apis/split.smi-spec.io/v1alpha4/trafficsplits", reachedServer: false,
        mayHaveBeenSent: false, proxyHost: nil, isTLS: true)

    @Test func theCauseComesFirstAndTheRequestLast() {
        let e = ErrorClassifier.classify(code: 7, curlText: "", detail: "Failed to connect to 127.0.0.1 port 6443: Connection refused", context: context)
        #expect(e.message.hasPrefix("could not connect: Failed to connect"), "\(e.message)")
        #expect(e.message.hasSuffix("(request: GET https://127.0.0.1:6443/apis/split.smi-spec.io/v1alpha4/trafficsplits)"), "\(e.message)")
        let shown = KubeError(e, operation: "get /apis/split.smi-spec.io/v1alpha4/trafficsplits").userMessage
        #expect(shown.hasPrefix("could not connect"), "\(shown)")
    }

    @Test(
        "a server certificate the kubeconfig's CA did not sign is named as such",
        arguments: [
            (60, "SSL certificate problem: unable to get local issuer certificate"),
            (35, "OpenSSL/3.0.19: error:06880006:asn1 encoding routines::EVP lib"),
            (35, "error:0A000086:SSL routines::certificate verify failed"),
        ])
    func caMismatch(code: UInt32, detail: String) {
        let e = ErrorClassifier.classify(code: code, curlText: "", detail: detail, context: context)
        #expect(e.kind == .tls)
        #expect(e.message.hasPrefix("the server's certificate does not match the kubeconfig's certificate-authority"), "\(e.message)")
        #expect(e.message.contains("write its kubeconfig again"))
        #expect(e.message.contains(detail), "libcurl's words stay in the detail")
    }
}
