// The seam between the Kubernetes client (pure Swift, testable as values) and the network.
// `Transport` implements it on libcurl; nothing above this protocol knows about sockets.

/// TLS and proxy settings for one cluster endpoint, resolved from a kubeconfig.
/// Key material is held in memory only and never printed: `description` redacts it.
public struct TLSSettings: Sendable, Equatable, CustomStringConvertible {
    /// PEM bytes of the CA bundle. When set, it replaces the system trust store.
    public var caPEM: [UInt8]?
    /// PEM client certificate (chain) and private key, for client-certificate auth.
    public var clientCertPEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// Only ever true when the kubeconfig says `insecure-skip-tls-verify: true`.
    public var insecureSkipVerify: Bool
    /// `tls-server-name`: the name the server certificate is checked against.
    public var serverName: String?
    /// `proxy-url`, or nil to let the transport honour the proxy environment variables.
    public var proxyURL: String?

    public init(
        caPEM: [UInt8]? = nil, clientCertPEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
        insecureSkipVerify: Bool = false, serverName: String? = nil, proxyURL: String? = nil
    ) {
        self.caPEM = caPEM
        self.clientCertPEM = clientCertPEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
        self.proxyURL = proxyURL
    }

    public var description: String {
        "TLSSettings(ca: \(caPEM == nil ? "system" : "custom"), clientCert: \(clientCertPEM == nil ? "none" : "[redacted]"), insecure: \(insecureSkipVerify), serverName: \(serverName ?? "-"), proxy: \(proxyURL == nil ? "env" : "[set]"))"
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public struct HTTPRequest: Sendable {
    public var method: String
    /// Absolute URL: scheme, host, port, path and query.
    public var url: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]?
    /// Whole-request timeout in seconds; nil for none (watches).
    public var timeout: Double?
    /// Abort when no byte has arrived for this many seconds (detects a silent connection).
    public var idleTimeout: Double?
    /// Open a new connection instead of reusing a pooled one: after a connection went silent,
    /// HTTP/2 would otherwise multiplex the retry onto the same dead connection.
    public var freshConnection = false
    /// A buffered response larger than this is refused (the transfer is aborted): a broken or
    /// hostile server must not be able to make smitop hold unbounded memory. Streams are
    /// bounded per frame by their decoder instead.
    public var maxBodyBytes = 512 << 20
    /// A streamed response holds at most about this many bytes that its consumer has not taken
    /// yet: past it the transfer is paused (nothing more is read from the connection) until
    /// the consumer has taken half of them. A watch that outpaces its reader then waits in
    /// the server and the kernel's socket buffers, not in smitop's memory.
    public var streamBufferBytes = 1 << 20

    public init(
        method: String, url: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil,
        timeout: Double? = 30, idleTimeout: Double? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.idleTimeout = idleTimeout
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Pieces of a streamed response, in order: one `.head`, any number of `.data`, then the
/// stream finishes (normally, or by throwing a `TransportError`).
public enum StreamChunk: Sendable {
    case head(status: Int, headers: [HTTPHeader])
    case data([UInt8])
}

public enum TransportErrorKind: String, Sendable {
    case couldNotResolve, couldNotConnect, tls, clientCertificateRejected, timeout, idleTimeout,
        connectionLost, cancelled, invalidURL, proxy, other
}

public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var kind: TransportErrorKind
    /// Human text without secrets (never a header or a body).
    public var message: String
    /// True when the request may have reached the server (outcome unknown for writes).
    public var mayHaveBeenSent: Bool

    public init(kind: TransportErrorKind, message: String, mayHaveBeenSent: Bool = false) {
        self.kind = kind
        self.message = message
        self.mayHaveBeenSent = mayHaveBeenSent
    }

    public var description: String { message }
}

public protocol HTTPTransport: Sendable {
    /// One request, whole body buffered.
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
    /// A streamed response (watches). Cancelling the consuming task cancels the transfer.
    /// Bytes are read from the connection only as fast as the consumer takes them (up to the
    /// request's `streamBufferBytes` ahead).
    func stream(_ request: HTTPRequest) -> AsyncThrowingStream<StreamChunk, any Error>
}
