internal import CCurl
import Kube
import KubeCore
import Synchronization

/// `HTTPTransport` on libcurl: one instance per cluster endpoint (its TLS settings apply to
/// every request), one network thread per instance, any number of concurrent requests and
/// long-lived watches multiplexed over shared connections.
///
/// `tls-server-name`: libcurl cannot set SNI and the verified name apart from the URL host.
/// When `serverName` differs from the host of an `https` URL, the request goes to
/// `https://<serverName>:<port>/…` with `CURLOPT_CONNECT_TO` mapping that name back to the
/// original host and port, and an explicit `Host` header carrying the original authority. So
/// the TCP connection goes where the URL says, SNI and certificate verification use
/// `serverName` (as client-go's `tls.Config.ServerName` does), and the server sees the Host
/// it was addressed by. Through a proxy the CONNECT tunnel is opened to the original host too.
public final class CurlTransport: HTTPTransport, Sendable {
    public let tls: TLSSettings
    /// Seconds allowed for DNS, TCP and the TLS handshake together.
    public let connectTimeout: Double
    private let engine: NetworkEngine
    private let proxyHost: String?
    /// Tests stand in a directory of their own for the system CA directory, to prove a given
    /// CA replaces the system store rather than adding to it. Nil: libcurl's built-in default.
    let systemCAPathOverride: String?

    public convenience init(tls: TLSSettings = TLSSettings(), connectTimeout: Double = 30) {
        self.init(tls: tls, connectTimeout: connectTimeout, systemCAPathOverride: nil)
    }

    init(tls: TLSSettings, connectTimeout: Double, systemCAPathOverride: String?) {
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.systemCAPathOverride = systemCAPathOverride
        engine = NetworkEngine()
        proxyHost = tls.proxyURL.flatMap { Self.proxyHostName($0) }
        engine.start()
    }

    deinit {
        engine.shutdown()
    }

    /// The libcurl version line (libcurl, TLS library, nghttp2 …), for `smitop --version`.
    public static var versionDescription: String { Curl.version }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let transfer = try makeTransfer(request)
        let engine = self.engine
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation {
                (continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) in
                transfer.sink = .buffered(continuation)
                engine.submit(transfer)
            }
        } onCancel: {
            engine.cancel(transfer)
        }
        return try result.get()
    }

    public func stream(_ request: HTTPRequest) -> AsyncThrowingStream<StreamChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: StreamChunk.self, throwing: (any Error).self)
        let transfer: Transfer
        do {
            transfer = try makeTransfer(request)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        transfer.sink = .stream(continuation)
        let budget = StreamBudget(limit: request.streamBufferBytes)
        transfer.budget = budget
        let engine = self.engine
        // Also fires when the consumer drops the stream without iterating it to the end.
        continuation.onTermination = { termination in
            if case .cancelled = termination { engine.cancel(transfer) }
        }
        streamBudgets.withLock { list in
            list.removeAll { $0.value == nil }
            list.append(WeakBudget(value: budget))
        }
        engine.submit(transfer)
        // The consumer's side: every piece taken is counted off the budget, which resumes a
        // transfer paused for it.
        let reader = ChunkReader(iterator: stream.makeAsyncIterator(), budget: budget, engine: engine, transfer: transfer)
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    /// The budgets of this transport's live streams (tests read their high-water marks).
    let streamBudgets = Mutex<[WeakBudget]>([])

    // MARK: - Configuring a handle

    private func makeTransfer(_ request: HTTPRequest) throws(TransportError) -> Transfer {
        guard let easy = curl_easy_init() else {
            throw TransportError(kind: .other, message: "curl_easy_init failed")
        }
        let target = try Target(url: request.url, serverName: tls.serverName)
        let transfer = Transfer(
            easy: easy, idleTimeout: request.idleTimeout,
            display: "\(request.method) \(target.display)", proxyHost: proxyHost, isTLS: target.isHTTPS)
        transfer.owner = self
        transfer.maxBodyBytes = request.maxBodyBytes
        do {
            try configure(transfer, request, target)
        } catch {
            transfer.owner = nil
            throw TransportError(
                kind: error.kind, message: "\(request.method) \(target.display): \(error.message)")
        }
        return transfer
    }

    private func configure(
        _ transfer: Transfer, _ request: HTTPRequest, _ target: Target
    )
        throws(TransportError)
    {
        let h = EasyHandle(raw: transfer.easy)
        try h.pointer(CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(transfer.errorBuffer), "CURLOPT_ERRORBUFFER")
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        try h.pointer(CURLOPT_PRIVATE, context, "CURLOPT_PRIVATE")
        try Curl.check(smt_easy_setopt_data_cb(h.raw, CURLOPT_WRITEFUNCTION, Callbacks.write), "CURLOPT_WRITEFUNCTION")
        try h.pointer(CURLOPT_WRITEDATA, context, "CURLOPT_WRITEDATA")
        try Curl.check(smt_easy_setopt_data_cb(h.raw, CURLOPT_HEADERFUNCTION, Callbacks.header), "CURLOPT_HEADERFUNCTION")
        try h.pointer(CURLOPT_HEADERDATA, context, "CURLOPT_HEADERDATA")

        try h.string(CURLOPT_URL, target.url, "CURLOPT_URL")
        try h.string(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR")
        // Signals and threads do not mix: without this, libcurl's DNS timeouts use SIGALRM.
        try h.long(CURLOPT_NOSIGNAL, 1, "CURLOPT_NOSIGNAL")
        try h.long(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS, "CURLOPT_HTTP_VERSION")
        if target.isHTTPS {
            // Wait for a connection being set up to offer HTTP/2 instead of opening another.
            // Only over TLS: there ALPN settles the question and libcurl rechecks the waiting
            // handles; on plain http:// (always HTTP/1.1 here) a waiting handle stays pending
            // until some other transfer on that host finishes, forever behind a watch.
            try h.long(CURLOPT_PIPEWAIT, 1, "CURLOPT_PIPEWAIT")
        }
        try h.long(CURLOPT_FOLLOWLOCATION, 0, "CURLOPT_FOLLOWLOCATION")
        try h.long(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1, "CURLOPT_SUPPRESS_CONNECT_HEADERS")
        // Keepalive probes notice a peer that vanished without FIN under a silent watch.
        try h.long(CURLOPT_TCP_KEEPALIVE, 1, "CURLOPT_TCP_KEEPALIVE")
        try h.long(CURLOPT_TCP_KEEPIDLE, 30, "CURLOPT_TCP_KEEPIDLE")
        try h.long(CURLOPT_TCP_KEEPINTVL, 15, "CURLOPT_TCP_KEEPINTVL")
        // An idle cached connection is closed after 20 s (libcurl's default keeps it 118 s):
        // when every watch reconnects at once after a cut, a few requests can open connections
        // of their own before the first one offers HTTP/2, and those then sat idle in the
        // cache for two minutes (the soak saw +2 descriptors after a watch drop). Connections
        // in use, and a poll's every second, are never that idle.
        try h.long(CURLOPT_MAXAGE_CONN, 20, "CURLOPT_MAXAGE_CONN")
        if request.freshConnection { try h.long(CURLOPT_FRESH_CONNECT, 1, "CURLOPT_FRESH_CONNECT") }
        if request.header("Accept-Encoding") == nil {
            // "": every encoding this libcurl decodes; bodies arrive decoded.
            try h.string(CURLOPT_ACCEPT_ENCODING, "", "CURLOPT_ACCEPT_ENCODING")
        }

        var connect = connectTimeout
        if let total = request.timeout {
            try h.long(CURLOPT_TIMEOUT_MS, Self.milliseconds(total), "CURLOPT_TIMEOUT_MS")
            connect = min(connect, total)
        }
        try h.long(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(connect), "CURLOPT_CONNECTTIMEOUT_MS")

        try configureTLS(h)

        if let proxy = tls.proxyURL {
            // "" disables proxies explicitly; nil leaves libcurl reading http(s)_proxy/no_proxy.
            try h.string(CURLOPT_PROXY, proxy, "CURLOPT_PROXY")
        }

        if let connectTo = target.connectTo {
            transfer.connectToList = curl_slist_append(nil, connectTo)
            guard transfer.connectToList != nil else {
                throw TransportError(kind: .other, message: "out of memory")
            }
            try Curl.check(smt_easy_setopt_slist(h.raw, CURLOPT_CONNECT_TO, transfer.connectToList), "CURLOPT_CONNECT_TO")
        }

        try configureMethodAndBody(h, request)

        var lines: [String] = []
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenByte) else {
                throw TransportError(kind: .other, message: "invalid header name")
            }
            // CR or LF would let a value smuggle extra headers; the value itself is not echoed.
            guard !header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw TransportError(kind: .other, message: "invalid value for header \(header.name)")
            }
            // "Name:" with nothing after it tells libcurl to drop the header; "Name;" sends it empty.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        if let host = target.hostHeader, request.header("Host") == nil {
            lines.append("Host: \(host)")
        }
        // libcurl would wait up to a second for "100 Continue" before sending larger bodies.
        if request.header("Expect") == nil { lines.append("Expect:") }
        // libcurl labels bodies as form data unless told otherwise.
        if request.body != nil, request.header("Content-Type") == nil { lines.append("Content-Type:") }
        for line in lines {
            guard let list = curl_slist_append(transfer.headerList, line) else {
                throw TransportError(kind: .other, message: "out of memory")
            }
            transfer.headerList = list
        }
        try Curl.check(smt_easy_setopt_slist(h.raw, CURLOPT_HTTPHEADER, transfer.headerList), "CURLOPT_HTTPHEADER")
    }

    private func configureTLS(_ h: EasyHandle) throws(TransportError) {
        if let ca = tls.caPEM {
            try h.blob(CURLOPT_CAINFO_BLOB, ca, "CURLOPT_CAINFO_BLOB")
            // With a blob libcurl would still consult its built-in CA directory and bundle:
            // a server signed by any public CA would pass for the cluster.
            try h.string(CURLOPT_CAPATH, nil, "CURLOPT_CAPATH")
            try h.string(CURLOPT_CAINFO, nil, "CURLOPT_CAINFO")
        } else if let path = systemCAPathOverride {
            try h.string(CURLOPT_CAINFO, nil, "CURLOPT_CAINFO")
            try h.string(CURLOPT_CAPATH, path, "CURLOPT_CAPATH")
        }
        if let cert = tls.clientCertPEM {
            try h.string(CURLOPT_SSLCERTTYPE, "PEM", "CURLOPT_SSLCERTTYPE")
            try h.blob(CURLOPT_SSLCERT_BLOB, cert, "CURLOPT_SSLCERT_BLOB")
        }
        if let key = tls.clientKeyPEM {
            try h.string(CURLOPT_SSLKEYTYPE, "PEM", "CURLOPT_SSLKEYTYPE")
            try h.blob(CURLOPT_SSLKEY_BLOB, key, "CURLOPT_SSLKEY_BLOB")
        }
        let verify = !tls.insecureSkipVerify
        try h.long(CURLOPT_SSL_VERIFYPEER, verify ? 1 : 0, "CURLOPT_SSL_VERIFYPEER")
        try h.long(CURLOPT_SSL_VERIFYHOST, verify ? 2 : 0, "CURLOPT_SSL_VERIFYHOST")
    }

    private func configureMethodAndBody(_ h: EasyHandle, _ request: HTTPRequest) throws(TransportError) {
        let method = request.method.uppercased()
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            throw TransportError(kind: .other, message: "invalid HTTP method")
        }
        // PUT/PATCH/POST without a body still send "Content-Length: 0", as servers expect.
        let hasBody = request.body != nil || ["POST", "PUT", "PATCH"].contains(method)
        guard hasBody else {
            switch method {
            case "GET": try h.long(CURLOPT_HTTPGET, 1, "CURLOPT_HTTPGET")
            case "HEAD": try h.long(CURLOPT_NOBODY, 1, "CURLOPT_NOBODY")
            default: try h.string(CURLOPT_CUSTOMREQUEST, method, "CURLOPT_CUSTOMREQUEST")
            }
            return
        }
        let body = request.body ?? []
        // The size must come first: COPYPOSTFIELDS otherwise copies up to the first NUL byte.
        try Curl.check(
            smt_easy_setopt_off(h.raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
            "CURLOPT_POSTFIELDSIZE_LARGE")
        if body.isEmpty {
            // A NULL pointer here would make libcurl read the body from stdin.
            try h.string(CURLOPT_COPYPOSTFIELDS, "", "CURLOPT_COPYPOSTFIELDS")
        } else {
            let code = body.withUnsafeBytes {
                smt_easy_setopt_ptr(h.raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
            }
            try Curl.check(code, "CURLOPT_COPYPOSTFIELDS")
        }
        if method != "POST" {
            try h.string(CURLOPT_CUSTOMREQUEST, method, "CURLOPT_CUSTOMREQUEST")
        }
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        max(1, Int((seconds * 1000).rounded(.up)))
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func proxyHostName(_ proxy: String) -> String? {
        guard !proxy.isEmpty, let url = curl_url() else { return nil }
        defer { curl_url_cleanup(url) }
        guard (try? Curl.check(curl_url_set(url, CURLUPART_URL, proxy, smt_curlu_guess_scheme()), "proxy URL")) != nil
        else { return nil }
        return URLParts.get(url, CURLUPART_HOST, flags: 0)
    }
}

struct WeakBudget {
    weak var value: StreamBudget?
}

/// Takes a stream's pieces for its one consumer and gives their bytes back to the budget.
/// `@unchecked Sendable`: `AsyncThrowingStream(unfolding:)` calls `next` for one iterator, one
/// call at a time, so the iterator is never used concurrently.
private final class ChunkReader: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<StreamChunk, any Error>.Iterator
    private let budget: StreamBudget
    private let engine: NetworkEngine
    private let transfer: Transfer

    init(
        iterator: AsyncThrowingStream<StreamChunk, any Error>.Iterator, budget: StreamBudget, engine: NetworkEngine,
        transfer: Transfer
    ) {
        self.iterator = iterator
        self.budget = budget
        self.engine = engine
        self.transfer = transfer
    }

    func next() async throws -> StreamChunk? {
        let chunk = try await iterator.next()
        if case .data(let bytes) = chunk, budget.take(bytes.count) { engine.resume(transfer) }
        return chunk
    }
}

/// Typed setters on one easy handle, each result through `Curl.check`.
private struct EasyHandle {
    let raw: UnsafeMutableRawPointer

    func long(_ option: CURLoption, _ value: Int, _ name: StaticString) throws(TransportError) {
        try Curl.check(smt_easy_setopt_long(raw, option, value), name)
    }
    func string(_ option: CURLoption, _ value: String?, _ name: StaticString) throws(TransportError) {
        try Curl.check(smt_easy_setopt_str(raw, option, value), name)
    }
    func pointer(_ option: CURLoption, _ value: UnsafeMutableRawPointer?, _ name: StaticString) throws(TransportError) {
        try Curl.check(smt_easy_setopt_ptr(raw, option, value), name)
    }
    /// libcurl copies the bytes (CURL_BLOB_COPY), so the array need not outlive the call.
    func blob(_ option: CURLoption, _ bytes: [UInt8], _ name: StaticString) throws(TransportError) {
        let code = bytes.withUnsafeBytes { smt_easy_setopt_blob(raw, option, $0.baseAddress, $0.count) }
        try Curl.check(code, name)
    }
}

enum URLParts {
    static func get(_ url: OpaquePointer, _ part: CURLUPart, flags: UInt32) -> String? {
        var out: UnsafeMutablePointer<CChar>?
        guard (try? Curl.check(curl_url_get(url, part, &out, flags), "curl_url_get")) != nil, let out
        else { return nil }
        defer { curl_free(out) }
        return String(cString: out)
    }
}

/// Where a request goes: the URL libcurl is given and, for `tls-server-name`, the mapping
/// back to the real host. Parsed with libcurl's own URL parser so it agrees with libcurl.
struct Target {
    var url: String
    /// CURLOPT_CONNECT_TO entry "NAME:PORT:HOST:PORT", only with a differing server name.
    var connectTo: String?
    var hostHeader: String?
    var isHTTPS: Bool
    /// scheme://host:port/path, without query or credentials: safe to show in messages.
    var display: String

    init(url original: String, serverName: String?) throws(TransportError) {
        guard let handle = curl_url() else {
            throw TransportError(kind: .other, message: "out of memory")
        }
        defer { curl_url_cleanup(handle) }
        do {
            try Curl.check(curl_url_set(handle, CURLUPART_URL, original, 0), "parsing the URL")
        } catch {
            throw TransportError(kind: .invalidURL, message: "invalid URL: \(error.message)")
        }
        let scheme = URLParts.get(handle, CURLUPART_SCHEME, flags: 0) ?? ""
        let host = URLParts.get(handle, CURLUPART_HOST, flags: 0) ?? ""
        let port = URLParts.get(handle, CURLUPART_PORT, flags: smt_curlu_default_port()) ?? ""
        let explicitPort = URLParts.get(handle, CURLUPART_PORT, flags: 0)
        let path = URLParts.get(handle, CURLUPART_PATH, flags: 0) ?? "/"
        display = "\(scheme)://\(host):\(port)\(path)"
        isHTTPS = scheme.lowercased() == "https"
        url = original
        connectTo = nil
        hostHeader = nil
        guard scheme.lowercased() == "https", let name = serverName, !name.isEmpty,
            name.lowercased() != host.lowercased()
        else { return }
        guard !name.contains(":"), !name.contains("/"), !name.contains("@") else {
            throw TransportError(kind: .invalidURL, message: "invalid tls-server-name")
        }
        do {
            try Curl.check(curl_url_set(handle, CURLUPART_HOST, name, 0), "setting tls-server-name")
        } catch {
            throw TransportError(kind: .invalidURL, message: "invalid tls-server-name: \(error.message)")
        }
        guard let rewritten = URLParts.get(handle, CURLUPART_URL, flags: 0) else {
            throw TransportError(kind: .invalidURL, message: "invalid tls-server-name")
        }
        url = rewritten
        connectTo = "\(name):\(port):\(host):\(port)"
        hostHeader = explicitPort.map { "\(host):\($0)" } ?? host
    }
}
