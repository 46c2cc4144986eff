internal import CCurl
import Glibc
import Kube
import KubeCore

/// Process-wide libcurl set-up and the one place every libcurl return code is checked.
enum Curl {
    /// `curl_global_init` must run once before any other libcurl call and is not meant to be
    /// repeated; a Swift global initialiser runs exactly once, thread-safely.
    private static let initialised: Bool = {
        // A peer that closes a socket mid-write raises SIGPIPE, whose default action kills the
        // process; CURLOPT_NOSIGNAL keeps libcurl from touching signals, so we ignore it here.
        signal(SIGPIPE, SIG_IGN)
        let code = smt_curl_global_init_default()
        return code == CURLE_OK
    }()

    /// Call before touching libcurl. A failed global init (out of memory) makes every later
    /// transfer fail through the regular error path instead of crashing here.
    static func ensureInitialised() { _ = initialised }

    static var version: String {
        ensureInitialised()
        return String(cString: smt_curl_version_string())
    }

    /// Every libcurl return code passes through here: easy, multi and URL-API codes alike.
    static func check<Code: CurlResultCode>(
        _ code: Code, _ operation: StaticString
    )
        throws(TransportError)
    {
        guard !code.isOK else { return }
        throw TransportError(
            kind: code.errorKind,
            message: "\(operation) failed: \(code.text) (\(code.rawCode))")
    }
}

/// The three result-code families of libcurl, so that one `check` covers them all.
protocol CurlResultCode {
    var isOK: Bool { get }
    var text: String { get }
    var rawCode: UInt32 { get }
    var errorKind: TransportErrorKind { get }
}

extension CURLcode: CurlResultCode {
    var isOK: Bool { self == CURLE_OK }
    var text: String { String(cString: curl_easy_strerror(self)) }
    var rawCode: UInt32 { rawValue }
    var errorKind: TransportErrorKind {
        switch self {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: .invalidURL
        case CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_NOT_BUILT_IN, CURLE_UNKNOWN_OPTION:
            .tls
        default: .other
        }
    }
}

extension CURLMcode: CurlResultCode {
    var isOK: Bool { self == CURLM_OK }
    var text: String { String(cString: curl_multi_strerror(self)) }
    var rawCode: UInt32 { UInt32(bitPattern: rawValue) }
    var errorKind: TransportErrorKind { .other }
}

extension CURLUcode: CurlResultCode {
    var isOK: Bool { self == CURLUE_OK }
    var text: String { String(cString: curl_url_strerror(self)) }
    var rawCode: UInt32 { rawValue }
    var errorKind: TransportErrorKind { .invalidURL }
}
