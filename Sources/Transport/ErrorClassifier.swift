internal import CCurl
import Kube
import KubeCore

/// What the transfer had reached when it failed; decides between "never left" and
/// "outcome unknown" and between connect and mid-transfer failures.
struct FailureContext: Sendable {
    /// `METHOD scheme://host:port/path`: never the query (it may carry selectors or, from a
    /// careless caller, credentials) and never a header or body.
    var display: String
    /// A connection was established and the request was at least being written.
    var reachedServer: Bool
    /// Request bytes went out or response bytes came back.
    var mayHaveBeenSent: Bool
    /// Host of an explicitly configured proxy, to tell a dead proxy from a dead server.
    var proxyHost: String?
    /// The URL is https (the connection carries TLS to the server).
    var isTLS: Bool = false
}

/// Maps a libcurl result (code plus CURLOPT_ERRORBUFFER text) onto `TransportError`.
/// Pure, so the mapping is tested with recorded codes and texts.
enum ErrorClassifier {
    /// Alerts a TLS server sends when it refuses our client certificate. Under TLS 1.3 the
    /// server checks the certificate after the client considers the handshake done, so the
    /// alert arrives on the first read or write (codes 55/56), not as a connect error (35):
    /// only the text tells it apart from a dropped connection. "alert" marks it as coming from
    /// the peer; our own refusal of the server's certificate never contains it.
    static let clientCertificateAlerts = [
        "certificate required", "bad certificate", "unknown ca", "certificate unknown",
        "certificate expired", "certificate revoked", "unsupported certificate", "access denied",
    ]

    /// OpenSSL's words for a server certificate the configured CA did not sign (or could not
    /// be checked against it): the usual cause is a kubeconfig older than the server's CA.
    static let untrustedServerTexts = [
        "certificate verify failed", "unable to get local issuer certificate", "self-signed certificate",
        "self signed certificate", "unknown ca", "bad signature", "evp lib", "certificate signature failure",
    ]

    static func classify(
        code: UInt32, curlText: String, detail: String, context: FailureContext
    )
        -> TransportError
    {
        let c = CURLcode(rawValue: code)
        let lowered = detail.lowercased()
        let explanation = detail.isEmpty ? curlText : detail
        // The cause first, in plain words, then libcurl's text, then the request: a message cut
        // at the screen's edge loses the request (which the detail keeps), never the cause.
        func error(_ kind: TransportErrorKind, _ what: String, sent: Bool = false) -> TransportError {
            TransportError(
                kind: kind, message: "\(what): \(explanation) (request: \(context.display))",
                mayHaveBeenSent: sent)
        }

        if lowered.contains("alert"), clientCertificateAlerts.contains(where: lowered.contains) {
            return error(
                .clientCertificateRejected, "the server rejected the client certificate",
                sent: context.mayHaveBeenSent)
        }
        if context.isTLS, !context.reachedServer, c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR {
            // The other half of the TLS 1.3 race: the server closed the connection before
            // libcurl read its alert, e.g. "(55) getpeername() failed with errno 107". A server
            // that completes a handshake and hangs up before the request is refusing the
            // client certificate (or its absence) in all but freak cases.
            return error(
                .clientCertificateRejected,
                "the server closed the connection right after the TLS handshake (client certificate missing or rejected)")
        }
        switch c {
        case CURLE_COULDNT_RESOLVE_HOST:
            return error(.couldNotResolve, "could not resolve host")
        case CURLE_COULDNT_RESOLVE_PROXY:
            return error(.proxy, "could not resolve proxy")
        case CURLE_COULDNT_CONNECT:
            if let proxy = context.proxyHost, !proxy.isEmpty, detail.contains(proxy) {
                return error(.proxy, "could not connect to proxy")
            }
            return error(.couldNotConnect, "could not connect")
        case CURLE_OPERATION_TIMEDOUT:
            if !context.reachedServer {
                return error(.couldNotConnect, "timed out connecting")
            }
            return error(.timeout, "timed out", sent: context.mayHaveBeenSent)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE,
            CURLE_USE_SSL_FAILED:
            if c == CURLE_PEER_FAILED_VERIFICATION || Self.untrustedServerTexts.contains(where: lowered.contains) {
                return error(
                    .tls,
                    "the server's certificate does not match the kubeconfig's certificate-authority (if the server was restarted with a new CA, as a restarted `smitop sim` is, write its kubeconfig again)"
                )
            }
            return error(.tls, "TLS failure")
        case CURLE_PROXY:
            return error(.proxy, "proxy failure")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return error(.invalidURL, "invalid URL")
        case CURLE_ABORTED_BY_CALLBACK:
            return error(.cancelled, "cancelled", sent: context.mayHaveBeenSent)
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE,
            CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SSL_SHUTDOWN_FAILED, CURLE_WEIRD_SERVER_REPLY,
            CURLE_BAD_CONTENT_ENCODING:
            if lowered.contains("proxy") || lowered.contains("connect tunnel") {
                return error(.proxy, "proxy failure")
            }
            if !context.reachedServer && c != CURLE_GOT_NOTHING {
                return error(.couldNotConnect, "connection failed")
            }
            return error(.connectionLost, "connection lost", sent: context.mayHaveBeenSent)
        default:
            return error(.other, "transfer failed", sent: context.mayHaveBeenSent)
        }
    }
}
